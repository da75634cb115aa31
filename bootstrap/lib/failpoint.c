/*
 * failpoint: the test hook that lists the named points ftboot passes and
 * kills it at one of them (failpoint.h has the variables).
 *
 * The state is read from the environment once and kept in this file:
 * ftboot passes its points from one thread. Each name is one write(2) to
 * FILE opened with O_APPEND, so nothing sits in a buffer when the process
 * is killed, and the name of the point it dies at is on disk first.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failpoint.h"
#include "xmem.h"

#define FAILPOINT_NAME_MAX 1024

static struct {
	int read;         /* the environment has been read */
	int on;           /* either variable is set */
	const char *file; /* FTBOOT_TEST_POINTS or NULL */
	char *kill_at;    /* NAME of FTBOOT_TEST_KILL_AT or NULL */
	long kill_nth;    /* its N, 1 without '#N' */
	long seen;        /* times kill_at has been reached */
} fp;

/* NAME#N: the N-th NAME. A '#' not followed by a count 1 or more is part of NAME. */
static void failpoint_parse_kill(const char *v)
{
	const char *hash = strrchr(v, '#');
	char *end;
	long n;

	fp.kill_at = xstrdup(v);
	fp.kill_nth = 1;
	if (hash == NULL || hash[1] < '0' || hash[1] > '9')
		return;
	errno = 0;
	n = strtol(hash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1)
		return;
	fp.kill_at[hash - v] = '\0';
	fp.kill_nth = n;
}

static void failpoint_read_env(void)
{
	const char *file = getenv("FTBOOT_TEST_POINTS");
	const char *kill_at = getenv("FTBOOT_TEST_KILL_AT");

	fp.read = 1;
	if (file && *file)
		fp.file = file;
	if (kill_at && *kill_at)
		failpoint_parse_kill(kill_at);
	fp.on = fp.file != NULL || fp.kill_at != NULL;
}

static void failpoint_list(const char *name, size_t len)
{
	int fd = open(fp.file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return;
	do
		n = write(fd, name, len);
	while (n < 0 && errno == EINTR);
	close(fd);
}

void failpoint(const char *fmt, ...)
{
	char name[FAILPOINT_NAME_MAX + 1];
	va_list ap;
	int len;
	size_t i;

	if (!fp.read)
		failpoint_read_env();
	if (!fp.on)
		return;
	va_start(ap, fmt);
	len = vsnprintf(name, FAILPOINT_NAME_MAX, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len >= FAILPOINT_NAME_MAX)
		len = FAILPOINT_NAME_MAX - 1;
	for (i = 0; i < (size_t)len; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			name[i] = '_';
	if (fp.file) {
		name[len] = '\n';
		failpoint_list(name, (size_t)len + 1);
	}
	name[len] = '\0';
	if (fp.kill_at && strcmp(name, fp.kill_at) == 0 && ++fp.seen == fp.kill_nth)
		raise(SIGKILL);
}
