/*
 * failpoint: the test hook that lists the named points ftboot passes and
 * kills it at one of them (failpoint.h has the variables).
 *
 * The state is read from the environment once (pthread_once) and kept in
 * this file; a mutex keeps the counts and the listing whole when several
 * threads pass points (parallel builds). Each name is one write(2) to
 * FILE opened with O_APPEND, so nothing sits in a buffer when the process
 * is killed, and the name of the point it dies at is on disk first.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failpoint.h"
#include "xmem.h"

#define FAILPOINT_NAME_MAX 1024

/* A point to act at: its NAME, the N-th pass, the passes so far. */
struct failpoint_at {
	char *name; /* NULL: none */
	long nth;   /* its N, 1 without '#N' */
	long seen;  /* times name has been reached */
};

static struct {
	int on;                   /* any variable is set */
	const char *file;         /* FTBOOT_TEST_POINTS or NULL */
	struct failpoint_at kill; /* FTBOOT_TEST_KILL_AT */
	struct failpoint_at sig;  /* FTBOOT_TEST_SIGNAL_AT, without ":SIG" */
	int signo;                /* its SIG */
} fp;

static pthread_once_t fp_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t fp_lock = PTHREAD_MUTEX_INITIALIZER;

/* NAME#N: the N-th NAME. A '#' not followed by a count 1 or more is part of NAME. */
static void failpoint_parse_at(const char *v, size_t len, struct failpoint_at *at)
{
	const char *hash;
	char *end;
	long n;

	at->name = xstrndup(v, len);
	at->nth = 1;
	hash = strrchr(at->name, '#');
	if (hash == NULL || hash[1] < '0' || hash[1] > '9')
		return;
	errno = 0;
	n = strtol(hash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1)
		return;
	at->name[hash - at->name] = '\0';
	at->nth = n;
}

/* SIG of FTBOOT_TEST_SIGNAL_AT: a number 1-64 or a name; 0 if neither. */
static int failpoint_signo(const char *s)
{
	static const struct {
		const char *name;
		int signo;
	} names[] = {{"INT", SIGINT},   {"TERM", SIGTERM}, {"HUP", SIGHUP},
	             {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};
	char *end;
	long n;
	size_t i;

	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].signo;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 1 || n > 64)
		return 0;
	return (int)n;
}

static void failpoint_read_env(void)
{
	const char *file = getenv("FTBOOT_TEST_POINTS");
	const char *kill_at = getenv("FTBOOT_TEST_KILL_AT");
	const char *sig_at = getenv("FTBOOT_TEST_SIGNAL_AT");
	const char *colon;

	if (file && *file)
		fp.file = file;
	if (kill_at && *kill_at)
		failpoint_parse_at(kill_at, strlen(kill_at), &fp.kill);
	/* NAME[#N]:SIG; a value without a valid SIG is ignored, as a bad #N is. */
	if (sig_at && (colon = strrchr(sig_at, ':')) != NULL && colon > sig_at &&
	    (fp.signo = failpoint_signo(colon + 1)) != 0)
		failpoint_parse_at(sig_at, (size_t)(colon - sig_at), &fp.sig);
	fp.on = fp.file != NULL || fp.kill.name != NULL || fp.sig.name != NULL;
}

/* 1 when name is at's point, passed for the N-th time now. */
static int failpoint_hit(struct failpoint_at *at, const char *name)
{
	return at->name && strcmp(name, at->name) == 0 && ++at->seen == at->nth;
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
	int len, signo = 0;
	size_t i;

	pthread_once(&fp_once, failpoint_read_env);
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
	pthread_mutex_lock(&fp_lock);
	if (fp.file) {
		name[len] = '\n';
		failpoint_list(name, (size_t)len + 1);
	}
	name[len] = '\0';
	if (failpoint_hit(&fp.kill, name))
		raise(SIGKILL);
	if (failpoint_hit(&fp.sig, name))
		signo = fp.signo;
	pthread_mutex_unlock(&fp_lock);
	/* raise(3) signals this thread: its handler runs before the point returns. */
	if (signo)
		raise(signo);
}
