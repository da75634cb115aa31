/*
 * test_buf: the capped buffer: appends, the limit and its exact boundary,
 * addf, detach, reset, release, NUL termination.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

static void test_empty(void)
{
	struct buf b = BUF_INIT(16);
	struct buf c;
	size_t len = 99;
	char *s;

	is_str(buf_cstr(&b), "", "empty buffer reads as \"\"");
	is_int(b.len, 0, "empty buffer has length 0");
	ok(b.data == NULL, "empty buffer allocates nothing");

	buf_init(&c, 5);
	is_int(c.limit, 5, "buf_init sets the limit");
	ok(c.data == NULL && c.len == 0 && c.cap == 0, "buf_init starts empty");

	s = buf_detach(&b, &len);
	ok(s != NULL, "detach of an empty buffer is not NULL");
	is_str(s, "", "detach of an empty buffer is \"\"");
	is_int(len, 0, "detach of an empty buffer gives length 0");
	free(s);

	is_int(buf_add(&b, "", 0), 0, "adding nothing succeeds");
	is_str(buf_cstr(&b), "", "adding nothing leaves \"\"");
	ok(b.data != NULL && b.data[0] == '\0', "adding nothing still NUL-terminates");
	buf_release(&b);
}

static void test_add(void)
{
	struct buf b = BUF_INIT(1024);
	int i, all = 1;

	is_int(buf_addstr(&b, "hello"), 0, "addstr");
	is_int(buf_addch(&b, ' '), 0, "addch");
	is_int(buf_add(&b, "worldXX", 5), 0, "add with length");
	is_str(buf_cstr(&b), "hello world", "contents");
	is_int(b.len, 11, "length");
	is_int(b.data[b.len], '\0', "NUL after the contents");

	is_int(buf_add(&b, "a\0b", 3), 0, "add with an embedded NUL");
	is_int(b.len, 14, "embedded NUL counted");
	ok(memcmp(b.data + 11, "a\0b", 3) == 0 && b.data[14] == '\0', "embedded NUL kept");

	buf_reset(&b);
	for (i = 0; i < 1000; i++)
		all &= buf_addch(&b, (char)('a' + i % 26)) == 0;
	ok(all, "1000 addch within the limit");
	is_int(b.len, 1000, "grew to 1000 bytes");
	ok(b.cap > b.len, "capacity covers the NUL");
	is_int(b.data[1000], '\0', "NUL-terminated after growth");
	is_int(b.data[999], 'a' + 999 % 26, "last byte right after growth");
	buf_release(&b);
}

static void test_limit(void)
{
	struct buf b = BUF_INIT(8);
	struct buf z = BUF_INIT(0);

	is_int(buf_add(&b, "12345678", 8), 0, "add up to exactly the limit");
	is_int(b.len, 8, "exactly at the limit");
	is_int(buf_addch(&b, 'x'), -1, "one more byte over the limit fails");
	is_str(buf_cstr(&b), "12345678", "failed add leaves the contents");
	is_int(buf_add(&b, "", 0), 0, "adding nothing at the limit succeeds");

	buf_reset(&b);
	is_int(buf_add(&b, "123456789", 9), -1, "a single add over the limit fails");
	is_int(b.len, 0, "and appends nothing");
	is_int(buf_add(&b, "1234", 4), 0, "half");
	is_int(buf_add(&b, "56789", 5), -1, "second half one byte too many fails");
	is_str(buf_cstr(&b), "1234", "nothing of the failed add appended");
	is_int(buf_add(&b, "5678", 4), 0, "second half exactly to the limit");
	is_int(buf_add(&b, "x", (size_t)-1), -1, "a huge length fails without overflow");
	is_str(buf_cstr(&b), "12345678", "contents unchanged");

	is_int(buf_addch(&z, 'x'), -1, "limit 0: one byte fails");
	is_int(buf_add(&z, "", 0), 0, "limit 0: nothing succeeds");
	is_str(buf_cstr(&z), "", "limit 0: empty");

	buf_release(&b);
	buf_release(&z);
}

static void test_addf(void)
{
	struct buf b = BUF_INIT(10);

	is_int(buf_addf(&b, "%d-%s", 42, "ab"), 0, "addf");
	is_str(buf_cstr(&b), "42-ab", "addf formats");
	is_int(buf_addf(&b, "%s", "12345"), 0, "addf to exactly the limit");
	is_str(buf_cstr(&b), "42-ab12345", "addf exact");
	is_int(buf_addf(&b, "%c", 'x'), -1, "addf over the limit fails");
	is_str(buf_cstr(&b), "42-ab12345", "failed addf appends nothing");
	buf_release(&b);
}

static void test_detach_reset(void)
{
	struct buf b = BUF_INIT(100);
	size_t len = 0;
	char *s;

	buf_addstr(&b, "abc");
	s = buf_detach(&b, &len);
	is_str(s, "abc", "detach hands over the contents");
	is_int(len, 3, "detach reports the length");
	ok(b.data == NULL && b.len == 0 && b.cap == 0, "detach empties the buffer");
	is_int(b.limit, 100, "detach keeps the limit");
	is_str(buf_cstr(&b), "", "detached buffer reads as \"\"");
	free(s);

	is_int(buf_addstr(&b, "again"), 0, "a detached buffer can be used again");
	s = buf_detach(&b, NULL);
	is_str(s, "again", "detach with a NULL length");
	free(s);

	buf_addstr(&b, "xyz");
	{
		char *before = b.data;
		size_t cap = b.cap;

		buf_reset(&b);
		is_int(b.len, 0, "reset empties");
		is_str(buf_cstr(&b), "", "reset leaves \"\"");
		ok(b.data == before && b.cap == cap, "reset keeps the memory");
		is_int(b.limit, 100, "reset keeps the limit");
	}
	buf_reset(&b);
	buf_release(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0, "release frees");
	buf_release(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0 && b.limit == 100,
	   "release twice: still empty, the limit kept");
	buf_reset(&b);
	ok(b.data == NULL && b.len == 0 && strcmp(buf_cstr(&b), "") == 0,
	   "reset of a released buffer allocates nothing and reads as \"\"");
	is_int(buf_addstr(&b, "ok"), 0, "released buffer can be used again");
	is_str(buf_cstr(&b), "ok", "contents after reuse");
	buf_release(&b);
}

int main(void)
{
	test_empty();
	test_add();
	test_limit();
	test_addf();
	test_detach_reset();
	return tap_done();
}
