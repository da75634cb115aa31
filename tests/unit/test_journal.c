/*
 * test_journal: add/remove/replay in order, detail updates, the file's
 * exact format and mode, a torn last line (ignored, then cut off by the
 * next write), malformed lines (error with the line number), validation,
 * the size cap, that a reopened journal holds what was written, fields
 * (journal_record, journal_get) for any kind of resource, and that a
 * journal written before fields existed still loads and reads.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "journal.h"
#include "scratch.h"
#include "tap.h"
#include "xmem.h"

static char *tmp;

static char *tpath(const char *rel)
{
	return path_join(tmp, rel);
}

static void put(const char *path, const char *data, size_t len)
{
	struct err err;

	if (fs_write_atomic(path, data, len, 0600, 0, &err) < 0) {
		printf("Bail out! %s\n", err.msg);
		exit(1);
	}
}

static void append(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		printf("Bail out! cannot append to %s\n", path);
		exit(1);
	}
	close(fd);
}

static long size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* "kind/name=detail,..." of the live set, for comparing in one go. */
static char *live(const struct journal *j)
{
	struct buf b = BUF_INIT(1 << 20);
	size_t i;

	for (i = 0; i < j->n; i++)
		buf_addf(&b, "%s%s/%s=%s", i ? "," : "", j->v[i].kind, j->v[i].name,
		         j->v[i].detail);
	return buf_detach(&b, NULL);
}

#define is_live(j, want, ...)                                                                      \
	do {                                                                                       \
		char *l_ = live(j);                                                                \
		is_str(l_, want, __VA_ARGS__);                                                     \
		free(l_);                                                                          \
	} while (0)

static void test_basic(void)
{
	char *p = tpath("basic/journal");
	char *d = tpath("basic");
	struct journal j;
	struct err err;
	const struct journal_entry *e;
	char *content;
	long size;
	mode_t old;

	mkdir(d, 0700);
	is_int(journal_open(&j, p, &err), 0, "open a missing journal");
	is_int(j.n, 0, "empty");
	ok(!fs_exists(p), "opening creates nothing");
	is_str(j.path, p, "path kept");

	old = umask(0);
	is_int(journal_add(&j, "network", "ft-net", "10.11.12.0/24", &err), 0, "add network");
	umask(old);
	is_int(size_of(p) > 0, 1, "the file exists after the first add");
	{
		struct stat st;

		stat(p, &st);
		is_int(st.st_mode & 07777, 0600, "the file is 0600 (umask 0)");
	}
	is_int(journal_add(&j, "volume", "ft-disk.qcow2", "", &err), 0, "add volume, empty detail");
	is_int(journal_add(&j, "domain", "ft", "uuid=1234 name with spaces", &err), 0,
	       "add domain");
	is_live(&j,
	        "network/ft-net=10.11.12.0/24,volume/ft-disk.qcow2=,domain/ft=uuid=1234 name with "
	        "spaces",
	        "live set in order");

	e = journal_find(&j, "volume", "ft-disk.qcow2");
	ok(e && strcmp(e->detail, "") == 0, "journal_find finds an entry");
	ok(journal_find(&j, "network", "ft") == NULL, "same name, other kind: not found");
	ok(journal_find(&j, "nope", "x") == NULL, "absent: NULL");

	is_int(journal_add(&j, "network", "ft-net", "10.99.0.0/24", &err), 0, "re-add updates");
	is_live(&j,
	        "network/ft-net=10.99.0.0/24,volume/ft-disk.qcow2=,domain/ft=uuid=1234 name with "
	        "spaces",
	        "detail updated, order kept");
	size = size_of(p);
	is_int(journal_add(&j, "network", "ft-net", "10.99.0.0/24", &err), 0, "identical re-add");
	is_int(size_of(p), size, "identical re-add writes nothing");

	is_int(journal_remove(&j, "network", "ft-net", &err), 0, "remove network");
	is_live(&j, "volume/ft-disk.qcow2=,domain/ft=uuid=1234 name with spaces", "removed");
	size = size_of(p);
	is_int(journal_remove(&j, "network", "ft-net", &err), 0, "remove again: fine");
	is_int(journal_remove(&j, "image", "never", &err), 0, "remove of something never added");
	is_int(size_of(p), size, "removing an absent entry writes nothing");
	is_int(journal_add(&j, "network", "ft-net", "back", &err), 0, "add it back");
	is_live(&j,
	        "volume/ft-disk.qcow2=,domain/ft=uuid=1234 name with spaces,network/ft-net=back",
	        "added back at the end");

	content = scratch_slurp(p);
	is_str(content,
	       "+\tnetwork\tft-net\t10.11.12.0/24\n"
	       "+\tvolume\tft-disk.qcow2\t\n"
	       "+\tdomain\tft\tuuid=1234 name with spaces\n"
	       "+\tnetwork\tft-net\t10.99.0.0/24\n"
	       "-\tnetwork\tft-net\n"
	       "+\tnetwork\tft-net\tback\n",
	       "the file, record by record");
	free(content);
	journal_close(&j);
	ok(j.path == NULL && j.v == NULL && j.n == 0, "journal_close frees");
	journal_close(&j);
	ok(j.path == NULL && j.v == NULL && j.n == 0, "journal_close twice: still closed");
	journal_close(NULL); /* a crash here leaves no plan: run-tiers fails the file */

	/* Reopen: the same live set, the same order. */
	is_int(journal_open(&j, p, &err), 0, "reopen");
	is_live(&j,
	        "volume/ft-disk.qcow2=,domain/ft=uuid=1234 name with spaces,network/ft-net=back",
	        "replay gives the same live set");
	is_int(journal_remove(&j, "domain", "ft", &err), 0, "remove after reopen");
	journal_close(&j);
	is_int(journal_open(&j, p, &err), 0, "reopen again");
	is_live(&j, "volume/ft-disk.qcow2=,network/ft-net=back", "removal survived");
	journal_close(&j);

	/* umask 077 when creating: still exactly 0600. */
	{
		char *p2 = tpath("basic/j2");
		struct stat st;

		old = umask(0277);
		journal_open(&j, p2, &err);
		is_int(journal_add(&j, "k", "n", "", &err), 0, "add with umask 0277");
		umask(old);
		stat(p2, &st);
		is_int(st.st_mode & 07777, 0600, "the file is 0600 whatever the umask");
		journal_close(&j);
		free(p2);
	}
	free(p);
	free(d);
}

static void test_torn(void)
{
	char *p = tpath("torn");
	struct journal j;
	struct err err;
	char *content;

	put(p, "+\tvolume\ta\t1\n+\tvolume\tb\t2\n+\tvolume\tc", 33);
	is_int(journal_open(&j, p, &err), 0, "a torn last line is not an error");
	is_live(&j, "volume/a=1,volume/b=2", "and is ignored");
	is_int(journal_add(&j, "volume", "d", "4", &err), 0, "add after a torn line");
	content = scratch_slurp(p);
	is_str(content, "+\tvolume\ta\t1\n+\tvolume\tb\t2\n+\tvolume\td\t4\n",
	       "the torn line was cut off before the new record");
	free(content);
	journal_close(&j);
	is_int(journal_open(&j, p, &err), 0, "reopen after the repair");
	is_live(&j, "volume/a=1,volume/b=2,volume/d=4", "the live set");
	journal_close(&j);

	/* Torn remove record: the entry stays (the removal never completed). */
	append(p, "-\tvolume\ta");
	is_int(journal_open(&j, p, &err), 0, "a torn remove");
	is_live(&j, "volume/a=1,volume/b=2,volume/d=4", "does not remove");
	is_int(journal_remove(&j, "volume", "b", &err), 0, "remove after a torn remove");
	journal_close(&j);
	content = scratch_slurp(p);
	is_str(content, "+\tvolume\ta\t1\n+\tvolume\tb\t2\n+\tvolume\td\t4\n-\tvolume\tb\n",
	       "torn remove cut off");
	free(content);

	/* The whole file one torn line. */
	put(p, "+\tvol", 5);
	is_int(journal_open(&j, p, &err), 0, "a file of one torn line");
	is_int(j.n, 0, "is empty");
	is_int(journal_add(&j, "volume", "x", "", &err), 0, "add");
	journal_close(&j);
	content = scratch_slurp(p);
	is_str(content, "+\tvolume\tx\t\n", "the torn line is gone");
	free(content);

	/* A long torn line (more than one read chunk back to its start). */
	{
		struct buf b = BUF_INIT(1 << 20);
		int i;

		buf_addstr(&b, "+\tvolume\tkeep\t\n+\tvolume\tlong\t");
		for (i = 0; i < 10000; i++)
			buf_addch(&b, 'x');
		put(p, b.data, b.len);
		buf_release(&b);
		is_int(journal_open(&j, p, &err), 0, "a long torn line");
		is_int(journal_add(&j, "volume", "y", "", &err), 0, "add after it");
		journal_close(&j);
		content = scratch_slurp(p);
		is_str(content, "+\tvolume\tkeep\t\n+\tvolume\ty\t\n",
		       "the long torn line is gone");
		free(content);
	}
	free(p);
}

static void test_malformed(void)
{
	static const struct {
		const char *line, *why;
	} t[] = {
	    {"x\tk\tn\td", "does not start with '+<TAB>' or '-<TAB>'"},
	    {"+k\tn\td", "does not start with"},
	    {"+\tk\tn", "too few fields"},
	    {"+\tk\tn\td\textra", "too many fields"},
	    {"-\tk\tn\td", "too many fields"},
	    {"-\tk", "too few fields"},
	    {"+\tBad\tn\td", "kind has byte 0x42"},
	    {"+\t\tn\td", "kind is empty"},
	    {"+\tk\t\td", "name is empty"},
	    {"+\tk\tn\td\r", "detail has control character 0x0d"},
	    {"", "empty line"},
	    {"+", "does not start with"},
	};
	char *p = tpath("bad"), want[1024];
	struct journal j;
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b = BUF_INIT(4096);

		buf_addf(&b, "+\tvolume\ta\t1\n-\tvolume\ta\n%s\n+\tvolume\tz\t\n", t[i].line);
		put(p, b.data, b.len);
		buf_release(&b);
		err_clear(&err);
		is_int(journal_open(&j, p, &err), -1, "malformed line %zu refused", i);
		snprintf(want, sizeof(want), "journal '%s': line 3: ", p);
		ok(strncmp(err.msg, want, strlen(want)) == 0 && strstr(err.msg, t[i].why) != NULL &&
		       strstr(err.msg, "fix or delete the line") != NULL,
		   "line %zu: message: %s", i, err.msg);
		ok(j.path == NULL && j.n == 0, "line %zu: journal left closed", i);
		journal_close(&j);
	}

	{
		static const char nul[] = "+\tvolume\ta\t1\n+\tvol\0ume\tb\t2\n";

		put(p, nul, sizeof(nul) - 1);
	}
	is_int(journal_open(&j, p, &err), -1, "a NUL byte in a line is refused");
	snprintf(
	    want, sizeof(want),
	    "journal '%s': line 2: holds a NUL byte; the journal is written only by ftboot: fix "
	    "or delete the line",
	    p);
	is_str(err.msg, want, "the exact message");

	put(p, "-\tvolume\tnever-added\n", 22);
	is_int(journal_open(&j, p, &err), 0, "a remove of an absent entry in the file is fine");
	journal_close(&j);
	free(p);
}

static void test_validation(void)
{
	char *p = tpath("valid"), kind33[34], name256[257], *detail;
	struct journal j;
	struct err err;
	char want[1024];

	journal_open(&j, p, &err);
	memset(kind33, 'k', 33);
	kind33[33] = '\0';
	memset(name256, 'n', 256);
	name256[256] = '\0';
	detail = xmalloc(4098);
	memset(detail, 'd', 4097);
	detail[4097] = '\0';

	is_int(journal_add(&j, "", "n", "", &err), -1, "empty kind refused");
	is_int(journal_add(&j, "Vol", "n", "", &err), -1, "upper-case kind refused");
	snprintf(want, sizeof(want),
	         "journal '%s': cannot record a resource: kind has byte 0x56 at position 1; kinds "
	         "are 1 to 32 characters of a-z, 0-9 and '-'",
	         p);
	is_str(err.msg, want, "kind message");
	is_int(journal_add(&j, "a_b", "n", "", &err), -1, "kind with '_' refused");
	is_int(journal_add(&j, kind33, "n", "", &err), -1, "33-character kind refused");
	kind33[32] = '\0';
	is_int(journal_add(&j, kind33, "n", "", &err), 0, "32-character kind accepted");

	is_int(journal_add(&j, "k", "", "", &err), -1, "empty name refused");
	is_int(journal_add(&j, "k", name256, "", &err), -1, "256-byte name refused");
	ok(strstr(err.msg, "name is 256 bytes long") != NULL, "says why: %s", err.msg);
	name256[255] = '\0';
	is_int(journal_add(&j, "k", name256, "", &err), 0, "255-byte name accepted");
	is_int(journal_add(&j, "k", "a\tb", "", &err), -1, "name with a tab refused");
	is_int(journal_add(&j, "k", "a\nb", "", &err), -1, "name with a newline refused");
	snprintf(want, sizeof(want),
	         "journal '%s': cannot record a resource: name has control character 0x0a at byte "
	         "2; tabs, newlines and other control characters are not allowed",
	         p);
	is_str(err.msg, want, "name message, the value not echoed");
	is_int(journal_add(&j, "k", "del\x7f", "", &err), -1, "name with DEL refused");
	is_int(journal_add(&j, "k", "caf\xc3\xa9 net", "", &err), 0, "UTF-8 and spaces accepted");

	is_int(journal_add(&j, "k", "n", "a\tb", &err), -1, "detail with a tab refused");
	ok(strstr(err.msg, "cannot record k 'n': detail has control character 0x09") != NULL,
	   "detail message names the resource: %s", err.msg);
	is_int(journal_add(&j, "k", "n", "a\nb", &err), -1, "detail with a newline refused");
	is_int(journal_add(&j, "k", "n", detail, &err), -1, "4097-byte detail refused");
	detail[4096] = '\0';
	is_int(journal_add(&j, "k", "n", detail, &err), 0, "4096-byte detail accepted");

	is_int(journal_remove(&j, "K", "n", &err), -1, "remove with a bad kind refused");
	is_int(journal_remove(&j, "k", "", &err), -1, "remove with an empty name refused");
	is_int(j.n, 4, "refusals changed nothing in memory");
	journal_close(&j);
	is_int(journal_open(&j, p, &err), 0, "reopen");
	is_int(j.n, 4, "refusals wrote nothing");
	ok(journal_find(&j, "k", detail) == NULL && journal_find(&j, "k", "n") &&
	       strlen(journal_find(&j, "k", "n")->detail) == 4096,
	   "the 4096-byte detail came back");
	journal_close(&j);
	free(detail);
	free(p);
}

static void test_files(void)
{
	char *p = tpath("files"), *d = tpath("adir"), *l = tpath("alink"), *big = tpath("big");
	char *nodir = tpath("no/such/journal");
	struct journal j;
	struct err err;
	int fd;

	mkdir(d, 0700);
	is_int(journal_open(&j, d, &err), -1, "a directory is not a journal");
	ok(strstr(err.msg, "not a regular file") != NULL, "says so: %s", err.msg);
	put(p, "+\tk\tn\t\n", 7);
	symlink(p, l);
	is_int(journal_open(&j, l, &err), -1, "a symlink is not followed");

	fd = open(big, O_WRONLY | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, 16 * 1024 * 1024 + 1) < 0)
		exit(1);
	close(fd);
	is_int(journal_open(&j, big, &err), -1, "a journal over 16 MiB is refused");
	ok(strstr(err.msg, "larger than 16 MiB") != NULL, "says so: %s", err.msg);

	is_int(journal_open(&j, nodir, &err), 0, "a journal in a missing directory opens empty");
	is_int(journal_add(&j, "k", "n", "", &err), -1, "but cannot be written");
	ok(strstr(err.msg, nodir) != NULL, "the error names it: %s", err.msg);
	journal_close(&j);

	/* Many records: replay keeps the order of first add. */
	{
		char *mp = tpath("many"), name[32];
		int i, good = 1;

		journal_open(&j, mp, &err);
		for (i = 0; i < 300; i++) {
			snprintf(name, sizeof(name), "r%03d", i);
			good &= journal_add(&j, "volume", name, "", &err) == 0;
		}
		for (i = 0; i < 300; i += 2) {
			snprintf(name, sizeof(name), "r%03d", i);
			good &= journal_remove(&j, "volume", name, &err) == 0;
		}
		ok(good, "300 adds, 150 removes");
		journal_close(&j);
		journal_open(&j, mp, &err);
		is_int(j.n, 150, "150 live after replay");
		for (i = 0; i < 150 && good; i++) {
			snprintf(name, sizeof(name), "r%03d", 2 * i + 1);
			good &= strcmp(j.v[i].name, name) == 0;
		}
		ok(good, "in the order first added");
		journal_close(&j);
		free(mp);
	}
	free(p);
	free(d);
	free(l);
	free(big);
	free(nodir);
}

/* The value of field key of kind/name in j, "(none)" when absent; freed by the caller. */
static char *field(const struct journal *j, const char *kind, const char *name, const char *key)
{
	const struct journal_entry *e = journal_find(j, kind, name);
	char *v = e ? journal_get(e, key) : NULL;

	return v ? v : xstrdup("(none)");
}

#define is_field(j, kind, name, key, want, ...)                                                    \
	do {                                                                                       \
		char *f_ = field(j, kind, name, key);                                              \
		is_str(f_, want, __VA_ARGS__);                                                     \
		free(f_);                                                                          \
	} while (0)

static void test_fields(void)
{
	char *p = tpath("fields"), *content;
	struct journal j;
	struct err err;

	journal_open(&j, p, &err);
	is_int(journal_record(&j, "pool", "ftboot-ft",
	                      (const char *[]){"dir", "/var/my pool/50%", NULL}, &err),
	       0, "a record with a field holding a space and a '%%'");
	is_int(journal_record(&j, "file", "/s/ft/pool/base.raw", NULL, &err), 0,
	       "a record without fields");
	is_int(journal_record(&j, "kube", "ft/apps/v1/Deployment/default/nginx",
	                      (const char *[]){"cluster", "ft", "group", "apps", "version", "v1",
	                                       "kind", "Deployment", "namespace", "default", "name",
	                                       "nginx", NULL},
	                      &err),
	       0, "a Kubernetes object: group/version/kind, namespace, name, cluster");
	is_int(journal_record(
	           &j, "image", "nginx:ft",
	           (const char *[]){"engine", "docker", "id", "sha256:ab", "note", "", NULL}, &err),
	       0, "an image in an engine, with an empty field");
	content = scratch_slurp(p);
	is_str(content,
	       "+\tpool\tftboot-ft\tdir=/var/my%20pool/50%25\n"
	       "+\tfile\t/s/ft/pool/base.raw\t\n"
	       "+\tkube\tft/apps/v1/Deployment/default/nginx\tcluster=ft group=apps version=v1 "
	       "kind=Deployment namespace=default name=nginx\n"
	       "+\timage\tnginx:ft\tengine=docker id=sha256:ab note=\n",
	       "fields on disk: key=value apart by a space, ' ' and '%%' escaped");
	free(content);
	journal_close(&j);
	is_int(journal_open(&j, p, &err), 0, "reopen");
	is_field(&j, "pool", "ftboot-ft", "dir", "/var/my pool/50%",
	         "a field reads back as written");
	is_field(&j, "pool", "ftboot-ft", "dirx", "(none)", "an absent field: NULL");
	is_field(&j, "file", "/s/ft/pool/base.raw", "dir", "(none)", "no fields: NULL");
	is_field(&j, "kube", "ft/apps/v1/Deployment/default/nginx", "kind", "Deployment",
	         "the object's kind");
	is_field(&j, "kube", "ft/apps/v1/Deployment/default/nginx", "cluster", "ft",
	         "and its cluster");
	is_field(&j, "kube", "ft/apps/v1/Deployment/default/nginx", "name", "nginx",
	         "a key that ends another key's value is not mistaken");
	is_field(&j, "image", "nginx:ft", "note", "", "an empty field: \"\"");
	is_field(&j, "image", "nginx:ft", "id", "sha256:ab", "a field after it");

	is_int(
	    journal_record(&j, "pool", "ftboot-ft", (const char *[]){"dir", "/other", NULL}, &err),
	    0, "record again with another value");
	is_field(&j, "pool", "ftboot-ft", "dir", "/other", "updated");
	is_int(journal_record(&j, "pool", "x", (const char *[]){"Bad", "v", NULL}, &err), -1,
	       "a bad key is refused");
	ok(strstr(err.msg, "cannot record pool 'x': field key: kind has byte 0x42") != NULL,
	   "says which record and why: %s", err.msg);
	is_int(journal_record(&j, "pool", "x", (const char *[]){"dir", "a\nb", NULL}, &err), -1,
	       "a value with a newline is refused");
	ok(journal_find(&j, "pool", "x") == NULL, "refusals record nothing");
	journal_close(&j);
	free(p);
}

/*
 * A journal as the ftboot before fields wrote it (one bare value as the
 * detail), as the VM tier's state directories hold it: loads, reads each
 * old value as its field, and takes new records after it.
 */
static void test_legacy(void)
{
	static const char old[] = "+\tfile\t/state/ft/pool/ftboot-ft-base-98712f35e773.qcow2\t\n"
	                          "+\tnetwork\tftboot-ft\t192.168.61.0\n"
	                          "+\tpool\tftboot-ft\t/var/lib/libvirt/images/ftboot-ft\n"
	                          "+\tvolume\tftboot-ft-disk.qcow2\tftboot-ft\n"
	                          "+\tvolume\tftboot-ft-seed.iso\tftboot-ft\n"
	                          "+\tdomain\tftboot-ft\ttcg\n"
	                          "+\tthing\tx\tsome old words\n";
	char *p = tpath("legacy");
	struct journal j;
	struct err err;

	put(p, old, sizeof(old) - 1);
	is_int(journal_open(&j, p, &err), 0, "a journal of today's format loads");
	is_int(j.n, 7, "every record");
	is_field(&j, "network", "ftboot-ft", "cidr", "192.168.61.0", "network: its cidr");
	is_field(&j, "pool", "ftboot-ft", "dir", "/var/lib/libvirt/images/ftboot-ft",
	         "pool: its directory");
	is_field(&j, "volume", "ftboot-ft-seed.iso", "pool", "ftboot-ft", "volume: its pool");
	is_field(&j, "domain", "ftboot-ft", "accel", "tcg", "domain: its accel");
	is_field(&j, "volume", "ftboot-ft-seed.iso", "dir", "(none)",
	         "an old value is only its kind's field");
	is_field(&j, "thing", "x", "some", "(none)", "a kind without an old field: nothing");
	is_int(journal_record(&j, "volume", "ftboot-ft-seed.iso",
	                      (const char *[]){"pool", "ftboot-ft", NULL}, &err),
	       0, "a new record of an old entry");
	is_int(journal_remove(&j, "domain", "ftboot-ft", &err), 0, "and a removal");
	journal_close(&j);
	is_int(journal_open(&j, p, &err), 0, "the mixed file loads");
	is_int(j.n, 6, "the live set");
	is_field(&j, "volume", "ftboot-ft-seed.iso", "pool", "ftboot-ft", "the new record reads");
	is_field(&j, "volume", "ftboot-ft-disk.qcow2", "pool", "ftboot-ft", "the old one still");
	journal_close(&j);
	free(p);
}

int main(void)
{
	tmp = scratch_open("journal");
	test_basic();
	test_torn();
	test_malformed();
	test_validation();
	test_files();
	test_fields();
	test_legacy();
	scratch_close(tmp);
	return tap_done();
}
