/*
 * iso: writes ISO 9660 (ECMA-119) images with a Joliet supplementary
 * volume descriptor, root directory only: names checked and mapped to
 * both trees, blocks laid out, every descriptor, path table and
 * directory record encoded byte by byte (both-endian numbers as
 * ECMA-119 7.2/7.3 say). The whole image is built in memory: seeds are
 * small and bounded (ISO_IMAGE_MAX).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "iso.h"
#include "text.h"
#include "xmem.h"

#define ISO_SYSTEM_BLOCKS 16 /* system area: blocks 0..15 */
#define ISO_PRIMARY_LEN   15 /* "NNNNNNNN.EEE;1" and NUL */
#define ISO_JOLIET_LEN    (2 * ISO_NAME_MAX)
#define ISO_QUOTE_MAX     84 /* a name as shown in messages */
#define ISO_REC_FIXED     33 /* directory record before its identifier */
#define ISO_SYSTEM_ID     "LINUX"
#define ISO_APP_ID        "FTBOOT"

/* One file as it goes into both trees. */
struct iso_entry {
	const struct iso_file *file;
	char primary[ISO_PRIMARY_LEN];
	size_t primary_len;
	unsigned char joliet[ISO_JOLIET_LEN]; /* UCS-2 big-endian */
	size_t joliet_len;                    /* bytes */
	uint32_t extent;
};

/* Times as the two encodings want them (ECMA-119 8.4.26.1 and 9.1.5). */
struct iso_time {
	char longform[17];
	unsigned char record[7];
};

static void iso_u16_both(unsigned char *p, uint16_t v)
{
	p[0] = p[3] = (unsigned char)v;
	p[1] = p[2] = (unsigned char)(v >> 8);
}

static void iso_u32_le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void iso_u32_be(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void iso_u32_both(unsigned char *p, uint32_t v)
{
	iso_u32_le(p, v);
	iso_u32_be(p + 4, v);
}

static uint32_t iso_blocks(size_t bytes)
{
	return (uint32_t)((bytes + ISO_BLOCK - 1) / ISO_BLOCK);
}

/* name for an error message (see text_quote) */
static const char *iso_quote(const char *name, char out[ISO_QUOTE_MAX])
{
	return text_quote(name, strlen(name), out, ISO_QUOTE_MAX);
}

/*
 * Decode one UTF-8 character at *s (strict: no overlong forms, no
 * surrogates) and advance. -1 if malformed.
 */
static long iso_utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	long cp, min;
	int more, i;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		cp = p[0] & 0x1f;
		more = 1;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		cp = p[0] & 0x0f;
		more = 2;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		cp = p[0] & 0x07;
		more = 3;
		min = 0x10000;
	} else {
		return -1;
	}
	for (i = 1; i <= more; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*s = p + 1 + more;
	return cp;
}

/* The Joliet identifier of name, checked (Joliet spec, section 3.2). */
static int iso_joliet_name(const char *name, struct iso_entry *e, struct err *err)
{
	const unsigned char *s = (const unsigned char *)name;
	char q[ISO_QUOTE_MAX];
	size_t chars = 0;
	long cp;

	if (*name == '\0')
		return err_set(err, ERR_FAIL, "invalid file name '': a name cannot be empty");
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return err_set(err, ERR_FAIL, "invalid file name '%s': reserved for directories",
		               name);
	if (name[strlen(name) - 1] == '.')
		return err_set(err, ERR_FAIL,
		               "invalid file name '%s': it ends in '.', which readers drop "
		               "(Linux, Windows)",
		               iso_quote(name, q));
	e->joliet_len = 0;
	while (*s) {
		cp = iso_utf8_next(&s);
		if (cp < 0)
			return err_set(err, ERR_FAIL, "invalid file name '%s': not valid UTF-8",
			               iso_quote(name, q));
		if (cp > 0xffff)
			return err_set(err, ERR_FAIL,
			               "invalid file name '%s': U+%04lX is outside UCS-2, which "
			               "Joliet names are limited to",
			               iso_quote(name, q), cp);
		if (cp < 0x20 || cp == 0x7f || (cp < 0x80 && strchr("*/:;?\\", (int)cp) != NULL))
			return err_set(err, ERR_FAIL,
			               "invalid file name '%s': U+%04lX is not allowed in Joliet "
			               "names (no control characters, * / : ; ? or \\)",
			               iso_quote(name, q), cp);
		if (++chars > ISO_NAME_MAX)
			return err_set(err, ERR_FAIL,
			               "invalid file name '%s': longer than %d characters, the "
			               "most Joliet allows",
			               iso_quote(name, q), ISO_NAME_MAX);
		e->joliet[e->joliet_len++] = (unsigned char)(cp >> 8);
		e->joliet[e->joliet_len++] = (unsigned char)cp;
	}
	return 0;
}

/* d-characters (ECMA-119 7.4.1): any other character becomes '_'. */
static size_t iso_dchars(const char *s, size_t len, char *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n = 0;

	while (p < end && n < max) {
		unsigned char c = *p++;

		if (c >= 0x80) /* a multibyte character is one '_' */
			while (p < end && (*p & 0xc0) == 0x80)
				p++;
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			c = '_';
		out[n++] = (char)c;
	}
	return n;
}

static int iso_primary_taken(const struct iso_entry *entries, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(entries[i].primary, name) == 0)
			return 1;
	return 0;
}

/* "BASE" (its first keep characters) + "TAIL" + "." + "EXT" + ";1" into e->primary. */
static void iso_set_primary(struct iso_entry *e, const char *base, size_t keep, const char *tail,
                            const char *ext)
{
	size_t tlen = strlen(tail), elen = strlen(ext);
	char *p = e->primary;

	if (keep + tlen > 8 || elen > 3)
		abort();
	memcpy(p, base, keep);
	p += keep;
	memcpy(p, tail, tlen);
	p += tlen;
	*p++ = '.';
	memcpy(p, ext, elen);
	p += elen;
	memcpy(p, ";1", 3);
	e->primary_len = (size_t)(p + 2 - e->primary);
}

/* The 8.3 name of entries[i], unique among entries[0..i). */
static void iso_primary_name(struct iso_entry *entries, size_t i)
{
	const char *name = entries[i].file->name, *dot = strrchr(name, '.');
	char base[9], ext[4], digits[12];
	size_t blen, elen, dlen;
	unsigned k;

	if (dot == NULL || dot == name)
		dot = name + strlen(name);
	blen = iso_dchars(name, (size_t)(dot - name), base, 8);
	elen = *dot ? iso_dchars(dot + 1, strlen(dot + 1), ext, 3) : 0;
	base[blen] = '\0';
	ext[elen] = '\0';
	iso_set_primary(&entries[i], base, blen, "", ext);
	/* at most ISO_FILES_MAX names are taken: a free number comes soon */
	for (k = 1; iso_primary_taken(entries, i, entries[i].primary); k++) {
		dlen = (size_t)snprintf(digits, sizeof(digits), "%u", k);
		iso_set_primary(&entries[i], base, blen + dlen > 8 ? 8 - dlen : blen, digits, ext);
	}
}

/* ECMA-119 9.3: by name, then extension, each padded with spaces. */
static int iso_cmp_padded(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen > blen ? alen : blen;

	for (i = 0; i < n; i++) {
		unsigned char ca = i < alen ? (unsigned char)a[i] : ' ';
		unsigned char cb = i < blen ? (unsigned char)b[i] : ' ';

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return 0;
}

static int iso_cmp_primary(const void *pa, const void *pb)
{
	const struct iso_entry *a = *(const struct iso_entry *const *)pa;
	const struct iso_entry *b = *(const struct iso_entry *const *)pb;
	size_t an = strcspn(a->primary, "."), bn = strcspn(b->primary, ".");
	const char *ae = a->primary + an + 1, *be = b->primary + bn + 1;
	int c = iso_cmp_padded(a->primary, an, b->primary, bn);

	if (c != 0)
		return c;
	return iso_cmp_padded(ae, strcspn(ae, ";"), be, strcspn(be, ";"));
}

static int iso_cmp_joliet(const void *pa, const void *pb)
{
	const struct iso_entry *a = *(const struct iso_entry *const *)pa;
	const struct iso_entry *b = *(const struct iso_entry *const *)pb;
	size_t n = a->joliet_len < b->joliet_len ? a->joliet_len : b->joliet_len;
	int c = memcmp(a->joliet, b->joliet, n);

	if (c != 0)
		return c;
	return a->joliet_len < b->joliet_len ? -1 : a->joliet_len > b->joliet_len;
}

static size_t iso_record_len(size_t id_len)
{
	return ISO_REC_FIXED + id_len + (id_len % 2 == 0);
}

static const unsigned char *iso_entry_id(const struct iso_entry *e, int joliet, size_t *len)
{
	*len = joliet ? e->joliet_len : e->primary_len;
	return joliet ? e->joliet : (const unsigned char *)e->primary;
}

/* Blocks the root directory takes: records never cross a block (ECMA-119 6.8.1.1). */
static uint32_t iso_dir_blocks(struct iso_entry *const *sorted, size_t n, int joliet)
{
	size_t used = 2 * iso_record_len(1), i, rec, id_len;
	uint32_t blocks = 1;

	for (i = 0; i < n; i++) {
		iso_entry_id(sorted[i], joliet, &id_len);
		rec = iso_record_len(id_len);
		if (used + rec > ISO_BLOCK) {
			blocks++;
			used = 0;
		}
		used += rec;
	}
	return blocks;
}

/* One directory record at p; returns its length. */
static size_t iso_record(unsigned char *p, uint32_t extent, uint32_t size, int dir,
                         const unsigned char *id, size_t id_len, const struct iso_time *t)
{
	size_t len = iso_record_len(id_len);

	p[0] = (unsigned char)len;
	p[1] = 0; /* no extended attribute record */
	iso_u32_both(p + 2, extent);
	iso_u32_both(p + 10, size);
	memcpy(p + 18, t->record, 7);
	p[25] = dir ? 0x02 : 0x00;
	p[26] = 0; /* not interleaved */
	p[27] = 0;
	iso_u16_both(p + 28, 1); /* volume sequence number */
	p[32] = (unsigned char)id_len;
	memcpy(p + 33, id, id_len);
	return len;
}

static void iso_write_dir(unsigned char *img, uint32_t block, uint32_t nblocks,
                          struct iso_entry *const *sorted, size_t n, int joliet,
                          const struct iso_time *t)
{
	static const unsigned char self = 0, parent = 1;
	unsigned char *p = img + (size_t)block * ISO_BLOCK;
	uint32_t size = nblocks * ISO_BLOCK;
	size_t off = 0, i, id_len;
	const unsigned char *id;

	off += iso_record(p + off, block, size, 1, &self, 1, t);
	off += iso_record(p + off, block, size, 1, &parent, 1, t); /* root: its own parent */
	for (i = 0; i < n; i++) {
		id = iso_entry_id(sorted[i], joliet, &id_len);
		if (off % ISO_BLOCK + iso_record_len(id_len) > ISO_BLOCK)
			off += ISO_BLOCK - off % ISO_BLOCK;
		off += iso_record(p + off, sorted[i]->extent, (uint32_t)sorted[i]->file->len, 0, id,
		                  id_len, t);
	}
}

/* Path tables of a root-only tree: one 10-byte record (ECMA-119 9.4). */
#define ISO_PATH_TABLE_LEN 10

static void iso_write_path_tables(unsigned char *img, uint32_t l_block, uint32_t m_block,
                                  uint32_t root)
{
	unsigned char *l = img + (size_t)l_block * ISO_BLOCK;
	unsigned char *m = img + (size_t)m_block * ISO_BLOCK;

	l[0] = m[0] = 1; /* identifier length */
	iso_u32_le(l + 2, root);
	iso_u32_be(m + 2, root);
	l[6] = 1; /* parent directory number, little-endian */
	m[7] = 1; /* ... big-endian */
	          /* identifier 0x00 and the padding byte are already zero */
}

/* A field of a-/d-characters, padded with spaces. */
static void iso_field(unsigned char *p, size_t size, const char *s)
{
	size_t n = strlen(s);

	memset(p, ' ', size);
	memcpy(p, s, n < size ? n : size);
}

/* The same in UCS-2 big-endian, padded with UCS-2 spaces; ASCII in. */
static void iso_field_ucs2(unsigned char *p, size_t size, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i + 1 < size; i += 2) {
		p[i] = 0;
		p[i + 1] = i / 2 < n ? (unsigned char)s[i / 2] : ' ';
	}
	if (size % 2)
		p[size - 1] = 0;
}

struct iso_layout {
	uint32_t total;       /* blocks */
	uint32_t path_tables; /* first of 4: primary L, M, Joliet L, M */
	uint32_t proot, pblocks, jroot, jblocks;
};

static void iso_write_descriptor(unsigned char *img, uint32_t block, int joliet,
                                 const char *volume_id, const struct iso_layout *lay,
                                 const struct iso_time *t)
{
	static const unsigned char root_id = 0;
	static const char unset[17] = "0000000000000000"; /* with the offset byte 0 */
	unsigned char *d = img + (size_t)block * ISO_BLOCK;
	uint32_t pt = lay->path_tables + (joliet ? 2 : 0);
	char vol16[ISO_VOLUME_MAX / 2 + 1];
	void (*field)(unsigned char *, size_t, const char *) = joliet ? iso_field_ucs2 : iso_field;

	d[0] = joliet ? 2 : 1;
	memcpy(d + 1, "CD001", 5);
	d[6] = 1;
	field(d + 8, 32, ISO_SYSTEM_ID);
	if (joliet) {
		snprintf(vol16, sizeof(vol16), "%s", volume_id);
		field(d + 40, 32, vol16);
		memcpy(d + 88, "%/E", 3); /* UCS-2 level 3 */
	} else {
		field(d + 40, 32, volume_id);
	}
	iso_u32_both(d + 80, lay->total);
	iso_u16_both(d + 120, 1);         /* volume set size */
	iso_u16_both(d + 124, 1);         /* volume sequence number */
	iso_u16_both(d + 128, ISO_BLOCK); /* logical block size */
	iso_u32_both(d + 132, ISO_PATH_TABLE_LEN);
	iso_u32_le(d + 140, pt);
	iso_u32_be(d + 148, pt + 1);
	iso_record(d + 156, joliet ? lay->jroot : lay->proot,
	           (joliet ? lay->jblocks : lay->pblocks) * ISO_BLOCK, 1, &root_id, 1, t);
	field(d + 190, 128, "");          /* volume set */
	field(d + 318, 128, "");          /* publisher */
	field(d + 446, 128, "");          /* data preparer */
	field(d + 574, 128, ISO_APP_ID);  /* application */
	field(d + 702, 37, "");           /* copyright file */
	field(d + 739, 37, "");           /* abstract file */
	field(d + 776, 37, "");           /* bibliographic file */
	memcpy(d + 813, t->longform, 17); /* created */
	memcpy(d + 830, t->longform, 17); /* modified */
	memcpy(d + 847, unset, 17);       /* expires: never */
	memcpy(d + 864, unset, 17);       /* effective: at once */
	d[881] = 1;                       /* file structure version */
}

static int iso_check_volume(const char *v, struct err *err)
{
	static const char extra[] = "_ !\"%&'()*+,-./:;<=>?";
	static const char allowed[] = "1 to 32 of A-Z a-z 0-9 _ space ! \" % & ' ( ) * + , - . / "
	                              ": ; < = > ?, e.g. 'cidata'";
	char q[ISO_QUOTE_MAX];
	size_t i, len = strlen(v);

	if (len == 0 || len > ISO_VOLUME_MAX)
		return err_set(err, ERR_FAIL, "invalid volume id '%s': %zu characters: use %s",
		               iso_quote(v, q), len, allowed);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr(extra, c) != NULL))
			return err_set(
			    err, ERR_FAIL,
			    "invalid volume id '%s': character %zu is not allowed: use %s",
			    iso_quote(v, q), i + 1, allowed);
	}
	if (v[len - 1] == ' ')
		return err_set(err, ERR_FAIL,
		               "invalid volume id '%s': it ends in a space, which reads as padding",
		               iso_quote(v, q));
	return 0;
}

static int iso_time_of(time_t when, struct iso_time *t, struct err *err)
{
	struct tm tm;
	char s[72]; /* room for any int, as the compiler checks */

	if (gmtime_r(&when, &tm) == NULL || tm.tm_year < 0 || tm.tm_year > 255)
		return err_set(err, ERR_FAIL,
		               "invalid image time %lld: ISO 9660 records years 1900 to 2155",
		               (long long)when);
	snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02d00", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(t->longform, s, 16);
	t->longform[16] = 0; /* offset from GMT in 15-minute units */
	t->record[0] = (unsigned char)tm.tm_year;
	t->record[1] = (unsigned char)(tm.tm_mon + 1);
	t->record[2] = (unsigned char)tm.tm_mday;
	t->record[3] = (unsigned char)tm.tm_hour;
	t->record[4] = (unsigned char)tm.tm_min;
	t->record[5] = (unsigned char)tm.tm_sec;
	t->record[6] = 0;
	return 0;
}

/* Check and name every file; entries[i] for files[i]. */
static int iso_prepare(const struct iso_file *files, size_t n, struct iso_entry *entries,
                       struct err *err)
{
	char q[ISO_QUOTE_MAX];
	size_t i, j;

	for (i = 0; i < n; i++) {
		entries[i].file = &files[i];
		if (files[i].name == NULL)
			return err_set(err, ERR_FAIL, "invalid file %zu: no name", i + 1);
		if (iso_joliet_name(files[i].name, &entries[i], err) < 0)
			return -1;
		if (files[i].data == NULL && files[i].len > 0)
			return err_set(err, ERR_FAIL, "invalid file '%s': no data",
			               iso_quote(files[i].name, q));
		if (files[i].len > ISO_FILE_MAX)
			return err_set(err, ERR_FAIL,
			               "file '%s' is too large: %zu bytes, at most %u in a seed",
			               iso_quote(files[i].name, q), files[i].len, ISO_FILE_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(files[j].name, files[i].name) == 0)
				return err_set(err, ERR_FAIL,
				               "duplicate file name '%s': each file needs its own",
				               iso_quote(files[i].name, q));
		iso_primary_name(entries, i);
	}
	return 0;
}

int iso_build(const char *volume_id, const struct iso_file *files, size_t n, time_t when,
              struct buf *out, struct err *err)
{
	struct iso_entry *entries = NULL, **psorted = NULL, **jsorted = NULL;
	struct iso_layout lay;
	struct iso_time t;
	unsigned char *img = NULL;
	uint64_t next, size;
	size_t i;
	int rc = -1, empty_at_end = 0;

	if (volume_id == NULL)
		return err_set(err, ERR_FAIL, "invalid volume id: none given");
	if (iso_check_volume(volume_id, err) < 0 || iso_time_of(when, &t, err) < 0)
		return -1;
	if (n > ISO_FILES_MAX)
		return err_set(err, ERR_FAIL, "too many files for an image: %zu, at most %d", n,
		               ISO_FILES_MAX);
	if (n > 0 && files == NULL)
		return err_set(err, ERR_FAIL, "invalid files: none given");

	entries = xcalloc(n, sizeof(*entries));
	psorted = xcalloc(n, sizeof(*psorted));
	jsorted = xcalloc(n, sizeof(*jsorted));
	if (iso_prepare(files, n, entries, err) < 0)
		goto out;
	for (i = 0; i < n; i++)
		psorted[i] = jsorted[i] = &entries[i];
	if (n > 0) {
		qsort(psorted, n, sizeof(*psorted), iso_cmp_primary);
		qsort(jsorted, n, sizeof(*jsorted), iso_cmp_joliet);
	}

	/* 16 system, PVD, SVD, terminator, 4 path tables, directories, data */
	lay.path_tables = ISO_SYSTEM_BLOCKS + 3;
	lay.proot = lay.path_tables + 4;
	lay.pblocks = iso_dir_blocks(psorted, n, 0);
	lay.jroot = lay.proot + lay.pblocks;
	lay.jblocks = iso_dir_blocks(jsorted, n, 1);
	next = lay.jroot + lay.jblocks;
	for (i = 0; i < n; i++) {
		entries[i].extent = (uint32_t)next;
		next += iso_blocks(files[i].len);
	}
	for (i = 0; i < n; i++)
		if (files[i].len == 0 && entries[i].extent == next)
			empty_at_end = 1;
	lay.total = (uint32_t)(next + (uint64_t)empty_at_end);
	size = (uint64_t)lay.total * ISO_BLOCK;
	if (size > ISO_IMAGE_MAX || out->len > out->limit || size > out->limit - out->len) {
		err_set(err, ERR_FAIL, "image too large: %llu bytes, at most %zu here",
		        (unsigned long long)size,
		        out->limit < ISO_IMAGE_MAX ? out->limit : (size_t)ISO_IMAGE_MAX);
		goto out;
	}

	img = xcalloc(lay.total, ISO_BLOCK);
	iso_write_descriptor(img, ISO_SYSTEM_BLOCKS, 0, volume_id, &lay, &t);
	iso_write_descriptor(img, ISO_SYSTEM_BLOCKS + 1, 1, volume_id, &lay, &t);
	img[(ISO_SYSTEM_BLOCKS + 2) * ISO_BLOCK] = 255; /* set terminator */
	memcpy(img + (ISO_SYSTEM_BLOCKS + 2) * ISO_BLOCK + 1, "CD001", 5);
	img[(ISO_SYSTEM_BLOCKS + 2) * ISO_BLOCK + 6] = 1;
	iso_write_path_tables(img, lay.path_tables, lay.path_tables + 1, lay.proot);
	iso_write_path_tables(img, lay.path_tables + 2, lay.path_tables + 3, lay.jroot);
	iso_write_dir(img, lay.proot, lay.pblocks, psorted, n, 0, &t);
	iso_write_dir(img, lay.jroot, lay.jblocks, jsorted, n, 1, &t);
	for (i = 0; i < n; i++)
		if (files[i].len > 0)
			memcpy(img + (size_t)entries[i].extent * ISO_BLOCK, files[i].data,
			       files[i].len);
	if (buf_add(out, img, (size_t)size) < 0) {
		err_set(err, ERR_FAIL, "image too large: %llu bytes", (unsigned long long)size);
		goto out;
	}
	rc = 0;
out:
	free(img);
	free(entries);
	free(psorted);
	free(jsorted);
	return rc;
}

int iso_write(const char *path, const char *volume_id, const struct iso_file *files, size_t n,
              time_t when, struct err *err)
{
	struct buf img = BUF_INIT(ISO_IMAGE_MAX);
	int rc = -1;

	if (iso_build(volume_id, files, n, when, &img, err) < 0) {
		err_wrap(err, "cannot write image '%s'", path);
		goto out;
	}
	if (fs_write_atomic(path, img.data, img.len, 0600, 0, err) < 0)
		goto out;
	rc = 0;
out:
	buf_release(&img);
	return rc;
}
