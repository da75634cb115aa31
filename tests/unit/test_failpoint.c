/*
 * test_failpoint: points are listed to FTBOOT_TEST_POINTS in order, one
 * a line; FTBOOT_TEST_KILL_AT kills with SIGKILL at exactly that point,
 * or at its N-th pass with NAME#N; odd bytes in names become '_'; the
 * environment is read once; without the variables nothing is written.
 * FTBOOT_TEST_SIGNAL_AT=NAME[#N]:SIG raises SIG in the thread passing
 * the point, whose handler runs before the point returns; points passed
 * from several threads are each listed whole.
 * And the journal's points: after the record is durable, by base name.
 * Each case runs in a forked child, which reads the environment afresh.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "failpoint.h"
#include "fs.h"
#include "journal.h"
#include "scratch.h"
#include "tap.h"
#include "xmem.h"

static char *tmp;

/* Set name to value, or unset it (value NULL). */
static void put_env(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

/* Pass each point of calls, names separated by spaces. */
static void pass_each(const char *calls)
{
	const char *p = calls;
	size_t n;

	while (*p) {
		n = strcspn(p, " ");
		failpoint("%.*s", (int)n, p);
		p += n + (p[n] == ' ');
	}
}

/*
 * Run body, or else pass the points of calls, in a child with
 * FTBOOT_TEST_POINTS=points and FTBOOT_TEST_KILL_AT=kill_at (NULL:
 * unset); its wait status.
 */
static int in_child(const char *points, const char *kill_at, void (*body)(void), const char *calls)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("Bail out! fork failed\n");
		exit(1);
	}
	if (pid == 0) {
		put_env("FTBOOT_TEST_POINTS", points);
		put_env("FTBOOT_TEST_KILL_AT", kill_at);
		if (body)
			body();
		else
			pass_each(calls);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	return status;
}

#define is_killed(status, ...) ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, __VA_ARGS__)
#define is_exited(status, ...) ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, __VA_ARGS__)

/* The file's content, then remove it for the next case. */
#define is_listed(path, want, ...)                                                                 \
	do {                                                                                       \
		char *l_ = scratch_slurp(path);                                                    \
		is_str(l_, want, __VA_ARGS__);                                                     \
		free(l_);                                                                          \
		unlink(path);                                                                      \
	} while (0)

static void abc_formatted(void)
{
	failpoint("a");
	failpoint("b:%d", 2);
	failpoint("c");
}

static void odd_bytes(void)
{
	failpoint("a b\tc\nd%c", 0x7f);
	failpoint("ok");
}

static char *second_file;

static void env_changes(void)
{
	failpoint("first");
	setenv("FTBOOT_TEST_POINTS", second_file, 1);
	setenv("FTBOOT_TEST_KILL_AT", "second", 1);
	failpoint("second");
}

/*
 * One child each, running body or passing calls: FTBOOT_TEST_POINTS is
 * the file ("FILE") or unset (NULL), FTBOOT_TEST_KILL_AT is kill_at
 * (NULL: unset); the child dies by SIGKILL or runs to its end, and the
 * file then holds listed (NULL: there is no file).
 */
static const struct kill_case {
	const char *points, *kill_at;
	void (*body)(void);
	const char *calls; /* without body */
	int killed;
	const char *listed, *what;
} kill_cases[] = {
    {"FILE", NULL, abc_formatted, NULL, 0, "a\nb:2\nc\n",
     "points only: each listed, in order, one a line"},
    {"FILE", "b", NULL, "a b c", 1, "a\nb\n", "KILL_AT=b: a and b listed, not c"},
    {"FILE", "a", NULL, "a b c", 1, "a\n", "KILL_AT=a: at the first point"},
    {"FILE", "c", NULL, "a b c", 1, "a\nb\nc\n", "KILL_AT=c: at the last point"},
    {"FILE", "b:2", abc_formatted, NULL, 1, "a\nb:2\n", "KILL_AT=b:2: the formatted name"},
    {"FILE", "nowhere", NULL, "a b c", 0, "a\nb\nc\n", "KILL_AT of a point never reached"},
    {"FILE", "b", abc_formatted, NULL, 0, "a\nb:2\nc\n", "KILL_AT=b does not match the point b:2"},
    {NULL, "b", NULL, "a b c", 1, NULL, "KILL_AT without POINTS: killed, no file"},
    {"FILE", "x#2", NULL, "x y x y x", 1, "x\ny\nx\n", "x#2: at the second x"},
    {"FILE", "x#1", NULL, "x y x y x", 1, "x\n", "x#1 is x"},
    {"FILE", "y#2", NULL, "x y x y x", 1, "x\ny\nx\ny\n", "y#2: at the second y"},
    {"FILE", "x#3", NULL, "x y x y x", 1, "x\ny\nx\ny\nx\n", "x#3: at the last point"},
    {"FILE", "x#4", NULL, "x y x y x", 0, "x\ny\nx\ny\nx\n", "x#4: x passes only three times"},
    {"FILE", "x#0", NULL, "x y x y x", 0, "x\ny\nx\ny\nx\n", "x#0 is no count: the name 'x#0'"},
    {"FILE", "x#", NULL, "x y x y x", 0, "x\ny\nx\ny\nx\n", "x# is no count either"},
    {"FILE", "a_b_c_d_", odd_bytes, NULL, 1, "a_b_c_d_\n",
     "spaces and control characters become '_', in KILL_AT's match too"},
    {NULL, NULL, NULL, "a b c", 0, NULL, "no variables: nothing written"},
    {"", "", NULL, "a b c", 0, NULL, "empty variables are unset ones"},
};

static void test_kill_cases(void)
{
	char *f = path_join(tmp, "points");
	size_t i;

	for (i = 0; i < sizeof(kill_cases) / sizeof(kill_cases[0]); i++) {
		const struct kill_case *c = &kill_cases[i];
		const char *points = c->points && strcmp(c->points, "FILE") == 0 ? f : c->points;
		int st = in_child(points, c->kill_at, c->body, c->calls);

		if (c->killed)
			is_killed(st, "%s: killed by SIGKILL", c->what);
		else
			is_exited(st, "%s: the child runs to its end", c->what);
		is_listed(f, c->listed, "%s: the list", c->what);
	}
	in_child(f, NULL, NULL, "a b");
	in_child(f, NULL, NULL, "c");
	is_listed(f, "a\nb\nc\n", "two runs append to the same file");
	free(f);
}

static void test_env_once(void)
{
	char *f = path_join(tmp, "points");
	int st;

	second_file = path_join(tmp, "second");
	st = in_child(f, NULL, env_changes, NULL);
	is_exited(st, "a KILL_AT set after the first point is not read");
	is_listed(f, "first\nsecond\n", "the environment is read once: the first file keeps both");
	ok(!fs_exists(second_file), "the later POINTS file is never written");
	free(second_file);
	free(f);
}

static char *journal_path;

static void journal_body(void)
{
	struct journal j;
	struct err err;
	char *file = path_join(tmp, "pool/ft-base.qcow2");

	if (journal_open(&j, journal_path, &err) < 0 ||
	    journal_add(&j, "network", "ft-net", "10.0.0.0/24", &err) < 0 ||
	    journal_add(&j, "network", "ft-net", "10.0.0.0/24", &err) < 0 ||
	    journal_add(&j, "file", file, "", &err) < 0 ||
	    journal_add(&j, "network", "ft-net", "10.1.0.0/24", &err) < 0 ||
	    journal_remove(&j, "network", "ft-net", &err) < 0 ||
	    journal_remove(&j, "network", "ft-net", &err) < 0)
		_exit(3);
	journal_close(&j);
	free(file);
}

static volatile sig_atomic_t got_signo;
static volatile sig_atomic_t got_after; /* the point after the signal had been passed */
static volatile sig_atomic_t passed_b;

static void on_signal(int signo)
{
	got_signo = signo;
	got_after = passed_b;
}

/* Pass a b:N x3 c with a handler for INT and TERM; exit 10 + what it saw. */
static void signal_body(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	failpoint("a");
	failpoint("b:%d", 1);
	failpoint("b:%d", 2);
	passed_b = 1;
	failpoint("b:%d", 2);
	failpoint("c");
	/* 0: no signal; else 10*signo + 1 if raised at the second b:2 (after passed_b) */
	_exit(got_signo ? 10 * got_signo + got_after : 0);
}

static void *pass_many(void *arg)
{
	int i;

	for (i = 0; i < 200; i++)
		failpoint("thread:%s:%d", (const char *)arg, i);
	return NULL;
}

static void threads_body(void)
{
	pthread_t t[4];
	const char *names[] = {"w", "x", "y", "z"};
	int i;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, pass_many, (void *)names[i]);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

static void test_signal_at(void)
{
	static const struct {
		const char *sig_at;
		int status; /* the child's exit status: 10*signo + 1 at the second b:2 */
		const char *what;
	} cases[] = {
	    {"b:2#2:INT", 10 * SIGINT + 1, "b:2#2:INT: SIGINT at the second b:2"},
	    {"b:2#2:SIGTERM", 10 * SIGTERM + 1, "SIGTERM by its full name"},
	    {"b:2:15", 10 * SIGTERM, "a number; NAME alone is its first pass"},
	    {"b:2#3:INT", 0, "b:2 passes twice: no signal"},
	    {"b:2:BOGUS", 0, "an unknown signal name: ignored"},
	    {"b:2:0", 0, "signal 0: ignored"},
	    {"b:2", 0, "no :SIG at all: ignored"},
	    {":INT", 0, "no NAME: ignored"},
	};
	char *f = path_join(tmp, "points"), *list;
	size_t i;
	int st, n, w;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("FTBOOT_TEST_SIGNAL_AT", cases[i].sig_at, 1);
		st = in_child(f, NULL, signal_body, NULL);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == cases[i].status, "%s (status %d)",
		   cases[i].what, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		is_listed(f, "a\nb:1\nb:2\nb:2\nc\n", "%s: every point listed, it goes on",
		          cases[i].what);
	}
	unsetenv("FTBOOT_TEST_SIGNAL_AT");

	st = in_child(f, NULL, threads_body, NULL);
	is_exited(st, "four threads pass 200 points each");
	list = scratch_slurp(f);
	n = 0;
	w = 0;
	for (char *p = list; p && *p; p = strchr(p, '\n') + 1) {
		n += strncmp(p, "thread:", 7) == 0 && p[8] == ':';
		w += strncmp(p, "thread:w:", 9) == 0;
		if (strchr(p, '\n') == NULL)
			break;
	}
	is_int(n, 800, "each of the 800 points listed whole, one a line");
	is_int(w, 200, "thread w's 200 among them");
	free(list);
	unlink(f);
	free(f);
}

static void test_journal(void)
{
	char *f = path_join(tmp, "points");
	struct journal j;
	struct err err;
	int st;

	journal_path = path_join(tmp, "journal");
	st = in_child(f, NULL, journal_body, NULL);
	is_exited(st, "journal: the child runs to its end");
	is_listed(f,
	          "journal:add:network:ft-net\n"
	          "journal:add:file:ft-base.qcow2\n"
	          "journal:add:network:ft-net\n"
	          "journal:remove:network:ft-net\n",
	          "journal: one point a record written, a file by its base name");
	unlink(journal_path);

	st = in_child(f, "journal:add:file:ft-base.qcow2", journal_body, NULL);
	is_killed(st, "journal: killed at the file's record");
	is_int(journal_open(&j, journal_path, &err), 0, "journal: it opens after the kill");
	is_int(j.n, 2, "journal: the record killed at is on disk");
	ok(j.n == 2 && strcmp(j.v[1].kind, "file") == 0, "journal: the file is the last record");
	journal_close(&j);
	unlink(journal_path);
	unlink(f);

	st = in_child(f, "journal:add:network:ft-net#2", journal_body, NULL);
	is_killed(st, "journal: killed at the second add of the network");
	is_int(journal_open(&j, journal_path, &err), 0, "journal: it opens");
	ok(j.n == 2 && strcmp(j.v[0].detail, "10.1.0.0/24") == 0,
	   "journal: the network's new detail is on disk, its removal is not");
	journal_close(&j);
	unlink(journal_path);
	unlink(f);
	free(journal_path);
	free(f);
}

int main(void)
{
	tmp = scratch_open("failpoint");
	test_kill_cases();
	test_env_once();
	test_signal_at();
	test_journal();
	scratch_close(tmp);
	return tap_done();
}
