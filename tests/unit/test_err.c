/*
 * test_err: err_set, err_sys and err_wrap: formats, codes, and that a
 * message too long for the buffer is cut, NUL-terminated, and harmless.
 */
#include <errno.h>
#include <string.h>

#include "err.h"
#include "tap.h"

static void test_set(void)
{
	struct err err;

	err_clear(&err);
	is_int(err.code, ERR_OK, "err_clear: code is ERR_OK");
	is_str(err.msg, "", "err_clear: message is empty");

	is_int(err_set(&err, ERR_USAGE, "unknown option '%s'", "--x"), -1, "err_set returns -1");
	is_int(err.code, ERR_USAGE, "err_set keeps the code");
	is_str(err.msg, "unknown option '--x'", "err_set formats the message");

	err_set(&err, ERR_BUSY, "%d %s", 42, "busy");
	is_int(err.code, ERR_BUSY, "err_set with ERR_BUSY");
	is_str(err.msg, "42 busy", "err_set replaces the old message");

	err_clear(&err);
	is_int(err.code, ERR_OK, "err_clear after err_set resets the code");
	is_str(err.msg, "", "err_clear after err_set empties the message");
}

static void test_sys(void)
{
	struct err err;
	char want[256];

	err_clear(&err);
	is_int(err_sys(&err, ENOENT, "cannot read '%s'", "a.yaml"), -1, "err_sys returns -1");
	is_int(err.code, ERR_FAIL, "err_sys sets ERR_FAIL");
	snprintf(want, sizeof(want), "cannot read 'a.yaml': %s", strerror(ENOENT));
	is_str(err.msg, want, "err_sys appends ': strerror'");

	errno = EACCES;
	err_sys(&err, EPERM, "x");
	snprintf(want, sizeof(want), "x: %s", strerror(EPERM));
	is_str(err.msg, want, "err_sys uses its errnum argument, not errno");
}

static void test_wrap(void)
{
	struct err err;

	err_clear(&err);
	err_set(&err, ERR_BUSY, "inner");
	is_int(err_wrap(&err, "outer '%s'", "ft"), -1, "err_wrap returns -1");
	is_str(err.msg, "outer 'ft': inner", "err_wrap prefixes context");
	is_int(err.code, ERR_BUSY, "err_wrap keeps the code");

	err_wrap(&err, "top");
	is_str(err.msg, "top: outer 'ft': inner", "err_wrap nests");

	err_clear(&err);
	err_wrap(&err, "ctx");
	is_int(err.code, ERR_FAIL, "err_wrap of a cleared err makes it a failure");
	is_str(err.msg, "ctx: ", "err_wrap of a cleared err keeps an empty message");

	err_set(&err, ERR_FAIL, "inner");
	err_wrap(&err, "%s", err.msg);
	is_str(err.msg, "inner: inner", "err_wrap with an argument pointing into err->msg");

	err_set(&err, ERR_FAIL, "%s", "50%");
	err_wrap(&err, "p");
	is_str(err.msg, "p: 50%", "err_wrap does not reinterpret '%%' in the old message");
}

static void test_truncation(void)
{
	static char big[3 * ERR_MSG_MAX];
	struct err err;
	size_t len;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

	err_set(&err, ERR_FAIL, "%s", big);
	len = strlen(err.msg);
	is_int(len, ERR_MSG_MAX - 1, "err_set: long message cut to ERR_MSG_MAX - 1");
	ok(memcmp(err.msg, big, len) == 0, "err_set: cut message is a prefix");

	err_sys(&err, ENOENT, "%s", big);
	is_int(strlen(err.msg), ERR_MSG_MAX - 1, "err_sys: long message stays within the buffer");

	err_set(&err, ERR_FAIL, "%.*s", ERR_MSG_MAX - 3, big);
	err_sys(&err, ENOENT, "%.*s", ERR_MSG_MAX - 3, big);
	len = strlen(err.msg);
	is_int(len, ERR_MSG_MAX - 1, "err_sys: suffix cut at the buffer end");
	ok(strncmp(err.msg + ERR_MSG_MAX - 3, ": ", 2) == 0,
	   "err_sys: suffix starts where it should");

	err_set(&err, ERR_FAIL, "inner");
	err_wrap(&err, "%s", big);
	is_int(strlen(err.msg), ERR_MSG_MAX - 1, "err_wrap: long prefix cut to the buffer");

	err_set(&err, ERR_FAIL, "%s", big);
	err_wrap(&err, "ctx");
	len = strlen(err.msg);
	is_int(len, ERR_MSG_MAX - 1, "err_wrap: long inner message cut to the buffer");
	ok(strncmp(err.msg, "ctx: aaa", 8) == 0, "err_wrap: prefix first when cut");

	err_set(&err, ERR_FAIL, "%s", "");
	is_str(err.msg, "", "err_set with an empty message");
}

static void test_kind(void)
{
	struct err err;

	err_clear(&err);
	is_int(err.kind, ERRK_OTHER, "err_clear: no kind");
	err_sys(&err, ENOENT, "open 'x'");
	is_int(err.kind, ERRK_NOTFOUND, "err_sys: ENOENT is not found");
	is_int(err.errnum, ENOENT, "err_sys: errno kept");
	err_wrap(&err, "loading");
	is_int(err.kind, ERRK_NOTFOUND, "err_wrap keeps the kind");
	is_int(err.errnum, ENOENT, "err_wrap keeps the errno");
	err_suffix(&err, "; try again");
	is_int(err.kind, ERRK_NOTFOUND, "err_suffix keeps the kind");
	err_sys(&err, ECONNREFUSED, "connect");
	is_int(err.kind, ERRK_TRANSIENT, "err_sys: ECONNREFUSED is transient");
	err_sys(&err, EACCES, "open");
	is_int(err.kind, ERRK_DENIED, "err_sys: EACCES is denied");
	err_sys(&err, EIO, "read");
	is_int(err.kind, ERRK_OTHER, "err_sys: EIO has no kind");
	err_set(&err, ERR_USAGE, "bad");
	is_int(err.kind, ERRK_OTHER, "err_set resets the kind");
	is_int(err.errnum, 0, "err_set resets the errno");
	is_int(err_setk(&err, ERRK_TIMEOUT, "waited %d s", 5), -1, "err_setk returns -1");
	is_int(err.kind, ERRK_TIMEOUT, "err_setk sets the kind");
	is_int(err.code, ERR_FAIL, "err_setk: exit status 1");
	is_str(err.msg, "waited 5 s", "err_setk: the message");
	is_str(err_kind_name(ERRK_NOTFOUND), "not found", "err_kind_name");
	is_str(err_kind_name((enum err_kind)99), "other", "err_kind_name: out of range");
}

int main(void)
{
	test_kind();
	test_set();
	test_sys();
	test_wrap();
	test_truncation();
	return tap_done();
}
