/*
 * test_failpoint: points are listed to FTBOOT_TEST_POINTS in order, one
 * a line; FTBOOT_TEST_KILL_AT kills with SIGKILL at exactly that point,
 * or at its N-th pass with NAME#N; odd bytes in names become '_'; the
 * environment is read once; without the variables nothing is written.
 * And the journal's points: after the record is durable, by base name.
 * Each case runs in a forked child, which reads the environment afresh.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "failpoint.h"
#include "fs.h"
#include "journal.h"
#include "tap.h"
#include "xmem.h"

static char *tmp;

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT(1 << 20);
	struct err err;

	if (fs_read(path, 1 << 20, &b, &err) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/*
 * Run body in a child with FTBOOT_TEST_POINTS=points and
 * FTBOOT_TEST_KILL_AT=kill_at (NULL: unset); its wait status.
 */
static int in_child(const char *points, const char *kill_at, void (*body)(void))
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
		if (points)
			setenv("FTBOOT_TEST_POINTS", points, 1);
		else
			unsetenv("FTBOOT_TEST_POINTS");
		if (kill_at)
			setenv("FTBOOT_TEST_KILL_AT", kill_at, 1);
		else
			unsetenv("FTBOOT_TEST_KILL_AT");
		body();
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
		char *l_ = slurp(path);                                                            \
		is_str(l_, want, __VA_ARGS__);                                                     \
		free(l_);                                                                          \
		unlink(path);                                                                      \
	} while (0)

static void abc(void)
{
	failpoint("a");
	failpoint("b:%d", 2);
	failpoint("c");
}

static void abc_plain(void)
{
	failpoint("a");
	failpoint("b");
	failpoint("c");
}

static void xyxyx(void)
{
	failpoint("x");
	failpoint("y");
	failpoint("x");
	failpoint("y");
	failpoint("x");
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

static void test_list_and_kill(void)
{
	char *f = path_join(tmp, "points");
	int st;

	st = in_child(f, NULL, abc);
	is_exited(st, "points only: the child runs to its end");
	is_listed(f, "a\nb:2\nc\n", "each point listed, in order, one a line");

	st = in_child(f, NULL, abc);
	st = in_child(f, NULL, abc);
	is_listed(f, "a\nb:2\nc\na\nb:2\nc\n", "two runs append to the same file");

	st = in_child(f, "b", abc_plain);
	is_killed(st, "KILL_AT=b: the child dies by SIGKILL");
	is_listed(f, "a\nb\n", "KILL_AT=b: a and b listed, not c");

	st = in_child(f, "a", abc_plain);
	is_killed(st, "KILL_AT=a: killed at the first point");
	is_listed(f, "a\n", "KILL_AT=a: only a listed");

	st = in_child(f, "c", abc_plain);
	is_killed(st, "KILL_AT=c: killed at the last point");
	is_listed(f, "a\nb\nc\n", "KILL_AT=c: all three listed");

	st = in_child(f, "b:2", abc);
	is_killed(st, "KILL_AT names the formatted point");
	is_listed(f, "a\nb:2\n", "KILL_AT=b:2: killed right after b:2");

	st = in_child(f, "nowhere", abc_plain);
	is_exited(st, "KILL_AT of a point never reached: the child exits");
	is_listed(f, "a\nb\nc\n", "and lists every point");

	st = in_child(f, "b", abc);
	is_exited(st, "KILL_AT=b does not match the point b:2");
	unlink(f);

	st = in_child(NULL, "b", abc_plain);
	is_killed(st, "KILL_AT without POINTS still kills");
	ok(!fs_exists(f), "and writes no file");
	free(f);
}

static void test_nth(void)
{
	char *f = path_join(tmp, "points");
	int st;

	st = in_child(f, "x#2", xyxyx);
	is_killed(st, "x#2: killed");
	is_listed(f, "x\ny\nx\n", "x#2: at the second x");

	st = in_child(f, "x#1", xyxyx);
	is_killed(st, "x#1: killed");
	is_listed(f, "x\n", "x#1 is x");

	st = in_child(f, "y#2", xyxyx);
	is_killed(st, "y#2: killed");
	is_listed(f, "x\ny\nx\ny\n", "y#2: at the second y");

	st = in_child(f, "x#3", xyxyx);
	is_killed(st, "x#3: killed");
	is_listed(f, "x\ny\nx\ny\nx\n", "x#3: at the last point");

	st = in_child(f, "x#4", xyxyx);
	is_exited(st, "x#4: x passes only three times, no kill");
	is_listed(f, "x\ny\nx\ny\nx\n", "x#4: every point listed");

	st = in_child(f, "x#0", xyxyx);
	is_exited(st, "x#0 is no count: the name 'x#0', never reached");
	unlink(f);
	st = in_child(f, "x#", xyxyx);
	is_exited(st, "x# is no count either");
	unlink(f);
	free(f);
}

static void test_names_env(void)
{
	char *f = path_join(tmp, "points");
	int st;

	st = in_child(f, "a_b_c_d_", odd_bytes);
	is_killed(st, "KILL_AT matches the name as listed");
	is_listed(f, "a_b_c_d_\n", "spaces and control characters become '_'");

	second_file = path_join(tmp, "second");
	st = in_child(f, NULL, env_changes);
	is_exited(st, "a KILL_AT set after the first point is not read");
	is_listed(f, "first\nsecond\n", "the environment is read once: the first file keeps both");
	ok(!fs_exists(second_file), "the later POINTS file is never written");
	free(second_file);

	st = in_child(NULL, NULL, abc_plain);
	is_exited(st, "no variables: the child runs to its end");
	ok(!fs_exists(f), "no variables: nothing written");
	st = in_child("", "", abc_plain);
	is_exited(st, "empty variables are unset ones");
	ok(!fs_exists(f), "empty variables: nothing written");
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

static void test_journal(void)
{
	char *f = path_join(tmp, "points");
	struct journal j;
	struct err err;
	int st;

	journal_path = path_join(tmp, "journal");
	st = in_child(f, NULL, journal_body);
	is_exited(st, "journal: the child runs to its end");
	is_listed(f,
	          "journal:add:network:ft-net\n"
	          "journal:add:file:ft-base.qcow2\n"
	          "journal:add:network:ft-net\n"
	          "journal:remove:network:ft-net\n",
	          "journal: one point a record written, a file by its base name");
	unlink(journal_path);

	st = in_child(f, "journal:add:file:ft-base.qcow2", journal_body);
	is_killed(st, "journal: killed at the file's record");
	is_int(journal_open(&j, journal_path, &err), 0, "journal: it opens after the kill");
	is_int(j.n, 2, "journal: the record killed at is on disk");
	ok(j.n == 2 && strcmp(j.v[1].kind, "file") == 0, "journal: the file is the last record");
	journal_close(&j);
	unlink(journal_path);
	unlink(f);

	st = in_child(f, "journal:add:network:ft-net#2", journal_body);
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
	const char *t = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/ftboot-test-failpoint.XXXXXX", t && *t ? t : "/tmp");
	struct err err;

	tmp = mkdtemp(tmpl);
	if (tmp == NULL)
		skip_all("cannot create a temporary directory");
	test_list_and_kill();
	test_nth();
	test_names_env();
	test_journal();
	if (fs_remove_tree(tmp, &err) < 0)
		diag("cleanup: %s", err.msg);
	free(tmpl);
	return tap_done();
}
