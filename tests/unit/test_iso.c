/*
 * test_iso: seed images read back by real ISO 9660 readers: isoinfo
 * (genisoimage) for the volume, both trees and every file's bytes,
 * blkid for the label, xorriso as a second Joliet reader, and the
 * kernel's isofs through a loop mount where this machine allows one.
 * Also the structure by hand (descriptors, both-endian numbers, path
 * tables), determinism, and every input the writer must refuse.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "iso.h"
#include "run.h"
#include "tap.h"
#include "xmem.h"

#define WHEN 1700000000 /* 2023-11-14 22:13:20 UTC */

static char *tmp;

static int have(const char *tool)
{
	char *cmd = xasprintf("command -v %s", tool);
	const char *argv[] = {"sh", "-c", cmd, NULL};
	struct buf out = BUF_INIT(4096);
	int rc = run_capture(argv, &out, 0);

	buf_release(&out);
	free(cmd);
	return rc == 0;
}

/* genisoimage's own checker of the primary tree and path tables. */
static void check_isovfy(const char *img, const char *what)
{
	const char *argv[] = {"isovfy", img, NULL};
	struct buf out = BUF_INIT(1 << 16);
	int rc;

	if (!have("isovfy")) {
		skip("isovfy is not installed (apt-get install genisoimage)");
		return;
	}
	rc = run_capture(argv, &out, 1);
	ok(rc == 0 && strstr(buf_cstr(&out), "No errors found") != NULL, "isovfy: %s: no errors",
	   what);
	if (strstr(buf_cstr(&out), "No errors found") == NULL)
		diag("isovfy: %s", buf_cstr(&out));
	buf_release(&out);
}

static char *tpath(const char *rel)
{
	return path_join(tmp, rel);
}

/* Deterministic noise (xorshift32) for binary file contents. */
static unsigned char *noise(size_t len, uint32_t seed)
{
	unsigned char *p = xmalloc(len);
	size_t i;

	for (i = 0; i < len; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		p[i] = (unsigned char)seed;
	}
	return p;
}

/*
 * In isoinfo -l output, the line for name: 1 if found with that size.
 * A line: "----------   0    0    0   SIZE Mon DD YYYY [ EXTENT 00]  NAME "
 */
static int listed(const char *listing, const char *name, size_t size, const char *date)
{
	const char *line = listing;
	char *want_tail = xasprintf("]  %s ", name), *want_size = xasprintf(" %zu ", size);
	int found = 0;

	while (*line && !found) {
		size_t len = strcspn(line, "\n");
		char *l = xstrndup(line, len);
		size_t tl = strlen(want_tail);

		if (len >= tl && strcmp(l + len - tl, want_tail) == 0 && l[0] == '-' &&
		    strstr(l, want_size) != NULL && (date == NULL || strstr(l, date) != NULL))
			found = 1;
		free(l);
		line += len + (line[len] ? 1 : 0);
	}
	free(want_tail);
	free(want_size);
	return found;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

static int both32(const unsigned char *p, uint32_t *v)
{
	*v = le32(p);
	return be32(p + 4) == *v;
}

static int both16(const unsigned char *p, unsigned *v)
{
	*v = (unsigned)p[0] | (unsigned)p[1] << 8;
	return ((unsigned)p[2] << 8 | p[3]) == *v;
}

/* Every record of a directory: both-endian numbers agree, none crosses a block. */
static void check_records(const unsigned char *d, uint32_t block, uint32_t len, const char *what)
{
	const unsigned char *p = d + (size_t)block * ISO_BLOCK;
	size_t off = 0, count = 0;
	uint32_t v;
	unsigned s;
	int good = 1;

	while (off < len) {
		if (p[off] == 0) { /* rest of this block is padding */
			off += ISO_BLOCK - off % ISO_BLOCK;
			continue;
		}
		if (off % ISO_BLOCK + p[off] > ISO_BLOCK || p[off] % 2 || p[off] < 34 ||
		    !both32(p + off + 2, &v) || !both32(p + off + 10, &v) ||
		    !both16(p + off + 28, &s) || s != 1 || 33 + p[off + 32] > p[off])
			good = 0;
		count++;
		off += p[off];
	}
	ok(good && count >= 2, "%s: %zu directory records, all well formed", what, count);
}

/* Descriptors, path tables and root records, read by hand. */
static void test_structure(void)
{
	static const char ud[] = "#cloud-config\n";
	struct iso_file files[] = {{"user-data", ud, sizeof(ud) - 1}, {"meta-data", "", 0}};
	struct buf img = BUF_INIT(ISO_IMAGE_MAX);
	const unsigned char *d, *pvd, *svd, *rec;
	uint32_t total = 0, v = 0, pt_size = 0, root = 0, root_len = 0;
	unsigned u = 0, t = 0;
	int okay;
	struct err err;

	is_int(iso_build("cidata", files, 2, WHEN, &img, &err), 0, "build a small image");
	d = (const unsigned char *)img.data;
	is_int(img.len % ISO_BLOCK, 0, "image is whole blocks");
	okay = 1;
	for (u = 0; u < 16 * ISO_BLOCK; u++)
		if (d[u] != 0)
			okay = 0;
	ok(okay, "system area is zero");

	pvd = d + 16 * ISO_BLOCK;
	svd = d + 17 * ISO_BLOCK;
	ok(pvd[0] == 1 && memcmp(pvd + 1, "CD001", 5) == 0 && pvd[6] == 1, "block 16: PVD");
	ok(svd[0] == 2 && memcmp(svd + 1, "CD001", 5) == 0 && svd[6] == 1, "block 17: SVD");
	ok(memcmp(svd + 88, "%/E", 3) == 0, "SVD escape sequence %%/E (UCS-2 level 3)");
	ok(d[18 * ISO_BLOCK] == 255 && memcmp(d + 18 * ISO_BLOCK + 1, "CD001", 5) == 0,
	   "block 18: terminator");
	ok(memcmp(pvd + 40, "cidata                          ", 32) == 0,
	   "PVD volume id, space padded");
	ok(memcmp(svd + 40, "\0c\0i\0d\0a\0t\0a\0 ", 14) == 0, "SVD volume id in UCS-2");
	ok(both32(pvd + 80, &total) && total * ISO_BLOCK == img.len,
	   "PVD volume space size is both-endian and right: %u", total);
	ok(both32(svd + 80, &v) && v == total, "SVD volume space size");
	ok(both16(pvd + 128, &u) && u == 2048 && both16(svd + 128, &t) && t == 2048,
	   "logical block size 2048, both-endian");
	ok(both16(pvd + 120, &u) && u == 1 && both16(pvd + 124, &t) && t == 1,
	   "volume set size and sequence number");
	ok(memcmp(pvd + 813, "2023111422132000", 16) == 0 && pvd[829] == 0,
	   "creation date from when, in UTC");
	ok(memcmp(pvd + 847, "0000000000000000", 16) == 0 && pvd[863] == 0,
	   "expiration date unset");
	is_int(pvd[881], 1, "file structure version");

	for (u = 0; u < 2; u++) {
		const unsigned char *vd = u ? svd : pvd, *l, *m;

		ok(both32(vd + 132, &pt_size) && pt_size == 10, "%s: path table size 10",
		   u ? "joliet" : "primary");
		l = d + (size_t)le32(vd + 140) * ISO_BLOCK;
		m = d + (size_t)be32(vd + 148) * ISO_BLOCK;
		rec = vd + 156;
		ok(rec[0] == 34 && rec[32] == 1 && rec[33] == 0 && (rec[25] & 2),
		   "%s: root directory record", u ? "joliet" : "primary");
		ok(both32(rec + 2, &root) && both32(rec + 10, &root_len) && root_len == ISO_BLOCK,
		   "%s: root extent %u, one block", u ? "joliet" : "primary", root);
		ok(l[0] == 1 && le32(l + 2) == root && l[6] == 1 && l[7] == 0 && l[8] == 0,
		   "%s: L path table points at the root", u ? "joliet" : "primary");
		ok(m[0] == 1 && be32(m + 2) == root && m[6] == 0 && m[7] == 1 && m[8] == 0,
		   "%s: M path table points at the root", u ? "joliet" : "primary");
		rec = d + (size_t)root * ISO_BLOCK;
		ok(rec[0] == 34 && rec[33] == 0 && rec[34] == 34 && rec[34 + 33] == 1 &&
		       le32(rec + 2) == root && le32(rec + 34 + 2) == root,
		   "%s: '.' and '..' are the root itself", u ? "joliet" : "primary");
		ok(memcmp(rec + 18, "\x7b\x0b\x0e\x16\x0d\x14\x00", 7) == 0,
		   "%s: record date 2023-11-14 22:13:20 +0", u ? "joliet" : "primary");
		rec += 68;
		if (u)
			ok(rec[32] == 18 &&
			       memcmp(rec + 33, "\0m\0e\0t\0a\0-\0d\0a\0t\0a", 18) == 0,
			   "joliet: first file is meta-data in UCS-2, no version");
		else
			ok(rec[32] == 11 && memcmp(rec + 33, "META_DAT.;1", 11) == 0,
			   "primary: first file is META_DAT.;1");
		ok(rec[0] % 2 == 0, "records have even length");
		check_records(d, root, root_len, u ? "joliet" : "primary");
	}
	buf_release(&img);
}

struct sample {
	const char *name, *primary;
	const void *data;
	size_t len;
};

static void check_extract(const char *img, const char *path, int joliet, const void *data,
                          size_t len, const char *what)
{
	const char *argv_j[] = {"isoinfo", "-J", "-x", path, "-i", img, NULL};
	const char *argv_p[] = {"isoinfo", "-x", path, "-i", img, NULL};
	struct buf out = BUF_INIT(1 << 24);
	int rc = run_capture(joliet ? argv_j : argv_p, &out, 0);

	ok(rc == 0 && out.len == len && (len == 0 || memcmp(out.data, data, len) == 0),
	   "isoinfo%s -x %s: %zu bytes, exact (%s)", joliet ? " -J" : "", path, len, what);
	if (out.len != len)
		diag("got %zu bytes", out.len);
	buf_release(&out);
}

/* The seed files, and the sizes at block edges, through isoinfo. */
static void test_isoinfo(void)
{
	static const char ud[] = "#cloud-config\nhostname: ft\nssh_genkeytypes: [ed25519]\n";
	static const char md[] = "instance-id: ft-1\nlocal-hostname: ft\n";
	static const char nc[] = "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n";
	unsigned char *big = noise(100 * 1024, 7), *block = noise(2048, 9), *over = noise(2049, 11);
	const struct sample samples[] = {
	    {"user-data", "USER_DAT.;1", ud, sizeof(ud) - 1},
	    {"meta-data", "META_DAT.;1", md, sizeof(md) - 1},
	    {"network-config", "NETWORK_.;1", nc, sizeof(nc) - 1},
	    {"empty", "EMPTY.;1", "", 0},
	    {"one", "ONE.;1", "x", 1},
	    {"block.bin", "BLOCK.BIN;1", block, 2048},
	    {"block-and-one.bin", "BLOCK_AN.BIN;1", over, 2049},
	    {"random-100k.bin", "RANDOM_1.BIN;1", big, 100 * 1024},
	    {"zz-empty-last", "ZZ_EMPTY.;1", NULL, 0},
	};
	size_t n = sizeof(samples) / sizeof(samples[0]), i;
	struct iso_file files[sizeof(samples) / sizeof(samples[0])];
	char *img = tpath("seed.iso"), *jpath, *ppath;
	const char *argv_d[] = {"isoinfo", "-d", "-i", img, NULL};
	const char *argv_jl[] = {"isoinfo", "-J", "-l", "-i", img, NULL};
	const char *argv_l[] = {"isoinfo", "-l", "-i", img, NULL};
	struct buf out = BUF_INIT(1 << 20), file = BUF_INIT(ISO_IMAGE_MAX);
	struct stat st;
	struct err err;
	char *want;

	for (i = 0; i < n; i++) {
		files[i].name = samples[i].name;
		files[i].data = samples[i].data;
		files[i].len = samples[i].len;
	}
	is_int(iso_write(img, "cidata", files, n, WHEN, &err), 0, "iso_write a seed");
	ok(stat(img, &st) == 0 && (st.st_mode & 07777) == 0600, "image file mode 0600");
	if (fs_read(img, ISO_IMAGE_MAX, &file, &err) < 0)
		diag("read: %s", err.msg);
	is_int(file.len % ISO_BLOCK, 0, "image file is whole blocks");
	check_isovfy(img, "seed image");

	if (!have("isoinfo")) {
		skip("isoinfo is not installed (apt-get install genisoimage)");
		goto out;
	}
	is_int(run_capture(argv_d, &out, 1), 0, "isoinfo -d reads the image");
	ok(strstr(buf_cstr(&out), "Volume id: cidata\n") != NULL, "isoinfo: Volume id: cidata");
	ok(strstr(buf_cstr(&out), "Joliet with UCS level 3 found") != NULL,
	   "isoinfo: Joliet with UCS level 3 found");
	ok(strstr(buf_cstr(&out), "Logical block size is: 2048") != NULL, "isoinfo: block size");
	want = xasprintf("Volume size is: %zu\n", file.len / ISO_BLOCK);
	ok(strstr(buf_cstr(&out), want) != NULL, "isoinfo: %.*s", (int)strlen(want) - 1, want);
	free(want);
	ok(strstr(buf_cstr(&out), "Application id: FTBOOT") != NULL, "isoinfo: Application id");

	buf_reset(&out);
	is_int(run_capture(argv_jl, &out, 1), 0, "isoinfo -J -l lists the Joliet tree");
	for (i = 0; i < n; i++)
		ok(listed(buf_cstr(&out), samples[i].name, samples[i].len, "Nov 14 2023"),
		   "joliet listing: %s, %zu bytes, Nov 14 2023", samples[i].name, samples[i].len);
	buf_reset(&out);
	is_int(run_capture(argv_l, &out, 1), 0, "isoinfo -l lists the primary tree");
	for (i = 0; i < n; i++)
		ok(listed(buf_cstr(&out), samples[i].primary, samples[i].len, "Nov 14 2023"),
		   "primary listing: %s, %zu bytes", samples[i].primary, samples[i].len);

	for (i = 0; i < n; i++) {
		jpath = xasprintf("/%s", samples[i].name);
		ppath = xasprintf("/%s", samples[i].primary);
		check_extract(img, jpath, 1, samples[i].data, samples[i].len, "joliet");
		check_extract(img, ppath, 0, samples[i].data, samples[i].len, "primary");
		free(jpath);
		free(ppath);
	}
out:
	buf_release(&out);
	buf_release(&file);
	free(img);
	free(big);
	free(block);
	free(over);
}

static void test_blkid(void)
{
	static const struct iso_file files[] = {{"user-data", "#cloud-config\n", 14},
	                                        {"meta-data", "", 0}};
	char *img = tpath("label.iso");
	const char *argv_label[] = {"blkid", "-p", "-o", "value", "-s", "LABEL", img, NULL};
	const char *argv_type[] = {"blkid", "-p", "-o", "value", "-s", "TYPE", img, NULL};
	struct buf out = BUF_INIT(4096);
	struct err err;

	if (iso_write(img, "cidata", files, 2, WHEN, &err) < 0)
		diag("write: %s", err.msg);
	if (!have("blkid")) {
		skip("blkid is not installed (apt-get install util-linux)");
		goto out;
	}
	is_int(run_capture(argv_label, &out, 1), 0, "blkid probes the image");
	is_str(buf_cstr(&out), "cidata\n", "blkid: LABEL=cidata (how cloud-init finds the seed)");
	buf_reset(&out);
	run_capture(argv_type, &out, 1);
	is_str(buf_cstr(&out), "iso9660\n", "blkid: TYPE=iso9660");
out:
	buf_release(&out);
	free(img);
}

/* A second, independent reader of the Joliet tree. */
static void test_xorriso(void)
{
	static const char ud[] = "#cloud-config\n";
	static const struct iso_file files[] = {{"user-data", ud, sizeof(ud) - 1},
	                                        {"meta-data", "instance-id: x\n", 15},
	                                        {"network-config", "", 0}};
	char *img = tpath("x.iso"), *dir = tpath("x-out"), *ex = tpath("x-out/user-data");
	const char *argv_ls[] = {"xorriso", "-abort_on", "FAILURE", "-read_fs", "norock",
	                         "-indev",  img,         "-find",   "/",        "-type",
	                         "f",       "--",        NULL};
	const char *argv_x[] = {"xorriso",  "-abort_on", "FAILURE", "-read_fs", "norock",
	                        "-osirrox", "on",        "-indev",  img,        "-extract",
	                        "/",        dir,         NULL};
	struct buf out = BUF_INIT(1 << 20), got = BUF_INIT(1 << 20);
	struct err err;

	if (iso_write(img, "cidata", files, 3, WHEN, &err) < 0)
		diag("write: %s", err.msg);
	if (!have("xorriso")) {
		skip("xorriso is not installed (apt-get install xorriso)");
		goto out;
	}
	is_int(run_capture(argv_ls, &out, 1), 0, "xorriso loads the image");
	ok(strstr(buf_cstr(&out), "'/user-data'") != NULL &&
	       strstr(buf_cstr(&out), "'/meta-data'") != NULL &&
	       strstr(buf_cstr(&out), "'/network-config'") != NULL,
	   "xorriso finds the Joliet names");
	if (strstr(buf_cstr(&out), "'/user-data'") == NULL)
		diag("xorriso: %s", buf_cstr(&out));
	buf_reset(&out);
	is_int(run_capture(argv_x, &out, 1), 0, "xorriso extracts the files");
	ok(fs_read(ex, 1 << 20, &got, &err) == 0 && got.len == sizeof(ud) - 1 &&
	       memcmp(got.data, ud, got.len) == 0,
	   "xorriso: user-data has the exact bytes");
out:
	if (fs_remove_tree(dir, &err) < 0)
		diag("cleanup: %s", err.msg);
	buf_release(&out);
	buf_release(&got);
	free(img);
	free(dir);
	free(ex);
}

/* The kernel's own isofs, as cloud-init in the guest will read the seed. */
static void test_mount(void)
{
	static const char ud[] = "#cloud-config\n";
	static const struct iso_file files[] = {{"user-data", ud, sizeof(ud) - 1},
	                                        {"meta-data", "", 0},
	                                        {"network-config", "version: 2\n", 11}};
	char *img = tpath("m.iso"), *mnt = tpath("mnt"), *ud_path = tpath("mnt/user-data");
	char *nc_path = tpath("mnt/network-config");
	const char *argv_mount[] = {"mount", "-o", "loop,ro", "-t", "iso9660", img, mnt, NULL};
	const char *argv_umount[] = {"umount", mnt, NULL};
	struct buf out = BUF_INIT(4096), got = BUF_INIT(4096);
	struct err err;

	if (iso_write(img, "cidata", files, 3, WHEN, &err) < 0 || mkdir(mnt, 0700) < 0) {
		diag("setup failed");
		goto out;
	}
	if (geteuid() != 0 || run_capture(argv_mount, &out, 1) != 0) {
		char *why = xasprintf("kernel isofs check: loop mount not possible here (%.*s)",
		                      (int)strcspn(buf_cstr(&out), "\n"),
		                      geteuid() != 0 ? "not root" : buf_cstr(&out));

		skip(why);
		free(why);
		goto out;
	}
	ok(fs_read(ud_path, 4096, &got, &err) == 0 && strcmp(buf_cstr(&got), ud) == 0,
	   "kernel isofs reads user-data by its Joliet name");
	buf_reset(&got);
	ok(fs_read(nc_path, 4096, &got, &err) == 0 && strcmp(buf_cstr(&got), "version: 2\n") == 0,
	   "kernel isofs reads network-config");
	run_capture(argv_umount, &out, 1);
out:
	rmdir(mnt);
	buf_release(&out);
	buf_release(&got);
	free(img);
	free(mnt);
	free(ud_path);
	free(nc_path);
}

/* 64 files with 64-character names: directories over several blocks. */
static void test_many(void)
{
	struct iso_file files[ISO_FILES_MAX];
	char *names[ISO_FILES_MAX], *img = tpath("many.iso");
	const char *argv_jl[] = {"isoinfo", "-J", "-l", "-i", img, NULL};
	const char *argv_l[] = {"isoinfo", "-l", "-i", img, NULL};
	struct buf out = BUF_INIT(1 << 20), pl = BUF_INIT(1 << 20), one = BUF_INIT(1 << 16);
	size_t i, all = 1, uniq = 1;
	struct err err;

	for (i = 0; i < ISO_FILES_MAX; i++) {
		/* same first 8 characters: the 8.3 names all need numbers */
		names[i] = xasprintf("network-%02zu-%s", i,
		                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0");
		files[i].name = names[i];
		files[i].data = names[i];
		files[i].len = strlen(names[i]);
	}
	is_int(strlen(names[0]), ISO_NAME_MAX, "names of exactly %d characters", ISO_NAME_MAX);
	is_int(iso_write(img, "CIDATA", files, ISO_FILES_MAX, WHEN, &err), 0,
	       "an image of %d files", ISO_FILES_MAX);
	check_isovfy(img, "64 files");
	{
		struct buf raw = BUF_INIT(ISO_IMAGE_MAX);
		const unsigned char *d, *rec;

		iso_build("CIDATA", files, ISO_FILES_MAX, WHEN, &raw, &err);
		d = (const unsigned char *)raw.data;
		for (i = 16; i < 18; i++) {
			rec = d + i * ISO_BLOCK + 156;
			ok(le32(rec + 10) > (i == 17 ? 4 : 1) * ISO_BLOCK,
			   "%s root directory spans %u blocks", i == 17 ? "joliet" : "primary",
			   le32(rec + 10) / ISO_BLOCK);
			check_records(d, le32(rec + 2), le32(rec + 10),
			              i == 17 ? "joliet, 64 files" : "primary, 64 files");
		}
		buf_release(&raw);
	}
	if (!have("isoinfo")) {
		skip("isoinfo is not installed (apt-get install genisoimage)");
		goto out;
	}
	run_capture(argv_jl, &out, 1);
	for (i = 0; i < ISO_FILES_MAX; i++)
		if (!listed(buf_cstr(&out), names[i], strlen(names[i]), NULL))
			all = 0;
	ok(all, "isoinfo -J lists all %d long names", ISO_FILES_MAX);
	run_capture(argv_l, &pl, 1);
	/* the first keeps NETWORK_, then NETWORK1 ... NETWORK9, NETWOR10 ... NETWOR63 */
	for (i = 1; i < ISO_FILES_MAX; i++) {
		char *p = i < 10 ? xasprintf("NETWORK%zu.;1", i) : xasprintf("NETWOR%zu.;1", i);

		if (!listed(buf_cstr(&pl), p, ISO_NAME_MAX, NULL))
			uniq = 0;
		free(p);
	}
	ok(listed(buf_cstr(&pl), "NETWORK_.;1", 64, NULL), "primary: the first is NETWORK_.;1");
	ok(uniq, "primary: the others NETWORK1.;1 ... NETWOR63.;1");
	{
		const char *argv_x[] = {"isoinfo", "-J", "-x", "", "-i", img, NULL};
		char *path = xasprintf("/%s", names[ISO_FILES_MAX - 1]);

		argv_x[3] = path;
		run_capture(argv_x, &one, 0);
		ok(one.len == strlen(names[ISO_FILES_MAX - 1]) &&
		       memcmp(one.data, names[ISO_FILES_MAX - 1], one.len) == 0,
		   "the last file's bytes read back");
		free(path);
	}
out:
	for (i = 0; i < ISO_FILES_MAX; i++)
		free(names[i]);
	buf_release(&out);
	buf_release(&pl);
	buf_release(&one);
	free(img);
}

/* Non-ASCII names: UCS-2 in Joliet, "_" in the primary tree. */
static void test_unicode(void)
{
	static const struct iso_file files[] = {{"caf\xc3\xa9.txt", "x", 1},
	                                        {"caf\xc3\xa9-\xe2\x82\xac.txt", "yz", 2}};
	static const char ucs2[] = "\0c\0a\0f\0\xe9\0-\x20\xac\0.\0t\0x\0t";
	char *img = tpath("u.iso");
	const char *argv_jl[] = {"isoinfo", "-j", "iso8859-1", "-J", "-l", "-i", img, NULL};
	const char *argv_l[] = {"isoinfo", "-l", "-i", img, NULL};
	struct buf out = BUF_INIT(1 << 16);
	struct err err;

	static const struct iso_file macron[] = {{"\xc4\xaa", "", 0}, {"\xe2\xbc\xaf", "", 0}};

	/* U+012A and U+2F2F: their low bytes are '*' and '/', which must not matter */
	is_int(iso_build("cidata", macron, 2, WHEN, &out, &err), 0, "names U+012A and U+2F2F");
	buf_reset(&out);
	is_int(iso_build("cidata", files, 2, WHEN, &out, &err), 0, "names with é and €");
	ok(memmem(out.data, out.len, ucs2, sizeof(ucs2) - 1) != NULL,
	   "the Joliet record holds the name in UCS-2 big-endian (U+00E9, U+20AC)");
	buf_reset(&out);
	is_int(iso_write(img, "cidata", files, 2, WHEN, &err), 0, "write it");
	if (!have("isoinfo")) {
		skip("isoinfo is not installed (apt-get install genisoimage)");
		goto out;
	}
	run_capture(argv_jl, &out, 1);
	ok(listed(buf_cstr(&out), "caf\xe9.txt", 1, NULL),
	   "isoinfo -J -j iso8859-1 reads caf\\xe9.txt");
	buf_reset(&out);
	run_capture(argv_l, &out, 1);
	ok(listed(buf_cstr(&out), "CAF_.TXT;1", 1, NULL), "primary: CAF_.TXT;1");
	ok(listed(buf_cstr(&out), "CAF___.TXT;1", 2, NULL), "primary: CAF___.TXT;1");
out:
	buf_release(&out);
	free(img);
}

static void test_deterministic(void)
{
	static const struct iso_file files[] = {{"user-data", "a", 1}, {"meta-data", "b", 1}};
	static const struct iso_file swapped[] = {{"meta-data", "b", 1}, {"user-data", "a", 1}};
	struct buf a = BUF_INIT(1 << 20), b = BUF_INIT(1 << 20), c = BUF_INIT(1 << 20);
	struct err err;

	iso_build("cidata", files, 2, WHEN, &a, &err);
	iso_build("cidata", files, 2, WHEN, &b, &err);
	iso_build("cidata", files, 2, WHEN + 1, &c, &err);
	ok(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
	   "same files and time: the same bytes");
	ok(a.len == c.len && memcmp(a.data, c.data, a.len) != 0, "another time: other bytes");
	buf_reset(&b);
	iso_build("cidata", swapped, 2, WHEN, &b, &err);
	ok(a.len == b.len, "order given only moves the data: same size");
	buf_reset(&b);
	buf_addstr(&b, "prefix");
	iso_build("cidata", files, 2, WHEN, &b, &err);
	ok(b.len == 6 + a.len && memcmp(b.data + 6, a.data, a.len) == 0, "iso_build appends");
	buf_release(&a);
	buf_release(&b);
	buf_release(&c);
}

static void expect_fail(const char *vol, const struct iso_file *files, size_t n, const char *needle,
                        const char *what)
{
	struct buf out = BUF_INIT(ISO_IMAGE_MAX);
	struct err err;

	err_clear(&err);
	is_int(iso_build(vol, files, n, WHEN, &out, &err), -1, "refused: %s", what);
	ok(strstr(err.msg, needle) != NULL && out.len == 0, "%s: %s", what, err.msg);
	buf_release(&out);
}

static void test_bad(void)
{
	static const char long65[] =
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm";
	const struct iso_file dup[] = {
	    {"user-data", "a", 1}, {"meta-data", "", 0}, {"user-data", "b", 1}};
	const struct iso_file empty[] = {{"", "a", 1}};
	const struct iso_file noname[] = {{NULL, "a", 1}};
	const struct iso_file toolong[] = {{long65, "a", 1}};
	const struct iso_file slash[] = {{"dir/user-data", "a", 1}};
	const struct iso_file semi[] = {{"user-data;1", "a", 1}};
	const struct iso_file ctl[] = {{"user\ndata", "a", 1}};
	const struct iso_file dot[] = {{"..", "a", 1}};
	const struct iso_file trail[] = {{"user-data.", "a", 1}};
	const struct iso_file utf8[] = {{"user-\xc3(", "a", 1}};
	const struct iso_file longutf8[] = {
	    {"a"
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	     "a", 1}};
	const struct iso_file overlong[] = {{"\xc0\xaf", "a", 1}};
	const struct iso_file astral[] = {{"smile-\xf0\x9f\x98\x80", "a", 1}};
	const struct iso_file nodata[] = {{"user-data", NULL, 5}};
	const struct iso_file huge[] = {{"user-data", "a", (size_t)ISO_FILE_MAX + 1}};
	const struct iso_file fine[] = {{"user-data", "a", 1}};
	struct iso_file many[ISO_FILES_MAX + 1];
	struct buf small = BUF_INIT(10 * ISO_BLOCK);
	char *img = tpath("nodir/seed.iso");
	struct err err;
	size_t i;

	expect_fail("cidata", dup, 3, "duplicate file name 'user-data'", "duplicate names");
	expect_fail("cidata", empty, 1, "cannot be empty", "empty name");
	expect_fail("cidata", noname, 1, "no name", "NULL name");
	expect_fail("cidata", toolong, 1, "longer than 64 characters", "65-character name");
	expect_fail("cidata", slash, 1, "not allowed in Joliet", "name with a slash");
	expect_fail("cidata", semi, 1, "not allowed in Joliet", "name with a semicolon");
	expect_fail("cidata", ctl, 1, "U+000A is not allowed", "name with a newline");
	expect_fail("cidata", dot, 1, "reserved", "name '..'");
	expect_fail("cidata", trail, 1, "ends in '.'", "name ending in a dot");
	expect_fail("cidata", utf8, 1, "not valid UTF-8", "bad UTF-8");
	expect_fail("cidata", longutf8, 1, "\xc3\xa9\xc3\xa9...'", "cut at a whole character");
	expect_fail("cidata", overlong, 1, "not valid UTF-8", "overlong UTF-8");
	expect_fail("cidata", astral, 1, "outside UCS-2", "emoji outside the BMP");
	expect_fail("cidata", nodata, 1, "no data", "NULL data");
	expect_fail("cidata", huge, 1, "too large", "file over ISO_FILE_MAX");
	expect_fail("", fine, 1, "invalid volume id ''", "empty volume id");
	expect_fail("abcdefghijklmnopqrstuvwxyz0123456", fine, 1, "33 characters",
	            "33-character volume id");
	expect_fail("ci\tdata", fine, 1, "character 3 is not allowed", "tab in volume id");
	expect_fail("caf\xc3\xa9", fine, 1, "not allowed", "non-ASCII volume id");
	expect_fail("cidata ", fine, 1, "ends in a space", "volume id ending in a space");
	expect_fail(NULL, fine, 1, "invalid volume id", "NULL volume id");
	expect_fail("cidata", NULL, 1, "invalid files", "NULL files");
	for (i = 0; i <= ISO_FILES_MAX; i++) {
		many[i].name = "x";
		many[i].data = "";
		many[i].len = 0;
	}
	expect_fail("cidata", many, ISO_FILES_MAX + 1, "too many files", "65 files");

	is_int(iso_build("cidata", fine, 1, WHEN, &small, &err), -1, "buffer limit too small");
	ok(strstr(err.msg, "image too large") != NULL && small.len == 0, "%s", err.msg);
	buf_release(&small);

	is_int(iso_write(img, "cidata", fine, 1, WHEN, &err), -1, "write into a missing dir");
	ok(strstr(err.msg, img) != NULL, "names the path: %s", err.msg);
	is_int(iso_write(img, "bad\tid", fine, 1, WHEN, &err), -1, "write with a bad volume id");
	ok(strstr(err.msg, "cannot write image") != NULL && strstr(err.msg, "invalid volume id"),
	   "says both: %s", err.msg);

	/* edges that are fine */
	{
		struct buf out = BUF_INIT(ISO_IMAGE_MAX);
		const struct iso_file max64[] = {{long65 + 1, "a", 1}};
		const struct iso_file odd[] = {{"a.b", "", 0}, {".hidden", "", 0}, {"A", "", 0}};

		is_int(iso_build("abcdefghijklmnopqrstuvwxyz012345", max64, 1, WHEN, &out, &err), 0,
		       "64-character name and 32-character volume id are fine");
		buf_reset(&out);
		is_int(iso_build("cidata", NULL, 0, WHEN, &out, &err), 0, "no files is fine");
		is_int(out.len, 25 * ISO_BLOCK, "an empty image is 25 blocks");
		buf_reset(&out);
		is_int(iso_build("cidata", odd, 3, WHEN, &out, &err), 0,
		       "names 'a.b', '.hidden', 'A' (case differs) are fine");
		buf_release(&out);
	}
	free(img);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/ftboot-test-iso.XXXXXX", t && *t ? t : "/tmp");
	struct err err;

	tmp = mkdtemp(tmpl);
	if (tmp == NULL)
		skip_all("cannot create a temporary directory");

	test_structure();
	test_isoinfo();
	test_blkid();
	test_xorriso();
	test_mount();
	test_many();
	test_unicode();
	test_deterministic();
	test_bad();

	if (fs_remove_tree(tmp, &err) < 0)
		diag("cleanup: %s", err.msg);
	free(tmpl);
	return tap_done();
}
