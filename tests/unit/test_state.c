/*
 * test_state: where a stack's state lives (each environment variable
 * combination), the directory's permissions, generated secrets (alphabet,
 * mode, persistence, corruption, a race, a statistical check), the lock
 * against another process (a forked child), and destroy.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "state.h"
#include "scratch.h"
#include "tap.h"
#include "xmem.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

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

static mode_t mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static int all_in_alphabet(const char *s)
{
	for (; *s; s++)
		if (strchr(alphabet, *s) == NULL)
			return 0;
	return 1;
}

/* Point FTBOOT_STATE_DIR at a fresh directory under tmp. */
static char *fresh_state_dir(const char *name)
{
	char *d = tpath(name);

	setenv("FTBOOT_STATE_DIR", d, 1);
	return d;
}

static void check_dir(const char *ftboot, const char *xdg, const char *home, const char *stack,
                      const char *want, const char *label)
{
	struct err err;
	char *out = (char *)"junk";
	int rc;

	if (ftboot)
		setenv("FTBOOT_STATE_DIR", ftboot, 1);
	else
		unsetenv("FTBOOT_STATE_DIR");
	if (xdg)
		setenv("XDG_STATE_HOME", xdg, 1);
	else
		unsetenv("XDG_STATE_HOME");
	if (home)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	err_clear(&err);
	rc = state_dir_for(stack, &out, &err);
	if (want) {
		is_int(rc, 0, "%s: succeeds", label);
		is_str(out, want, "%s", label);
	} else {
		is_int(rc, -1, "%s: fails", label);
		ok(out == NULL, "%s: no result on failure", label);
		diag("%s", err.msg);
	}
	free(rc == 0 ? out : NULL);
}

static void test_dir_for(void)
{
	struct err err;
	char *out;
	char long_name[65];

	check_dir("/x/state", "/xdg", "/home/u", "ft", "/x/state/ft",
	          "FTBOOT_STATE_DIR wins over XDG_STATE_HOME and HOME");
	check_dir("/x/state/", NULL, NULL, "ft", "/x/state/ft",
	          "FTBOOT_STATE_DIR alone, trailing slash");
	check_dir("rel/state", NULL, NULL, "ft", "rel/state/ft",
	          "FTBOOT_STATE_DIR may be relative (explicit override)");
	check_dir("", "/xdg", "/home/u", "ft", "/xdg/ftboot/ft",
	          "empty FTBOOT_STATE_DIR is ignored: XDG_STATE_HOME");
	check_dir(NULL, "/xdg/", "/home/u", "my-stack", "/xdg/ftboot/my-stack",
	          "XDG_STATE_HOME wins over HOME");
	check_dir(NULL, "rel/xdg", "/home/u", "ft", "/home/u/.local/state/ftboot/ft",
	          "relative XDG_STATE_HOME is ignored (XDG spec): HOME");
	check_dir(NULL, "", "/home/u", "ft", "/home/u/.local/state/ftboot/ft",
	          "empty XDG_STATE_HOME is ignored: HOME");
	check_dir(NULL, NULL, "/home/u", "ft", "/home/u/.local/state/ftboot/ft", "HOME alone");
	check_dir(NULL, NULL, NULL, "ft", NULL, "no HOME, no XDG_STATE_HOME");
	check_dir(NULL, "rel", "", "ft", NULL, "empty HOME, relative XDG_STATE_HOME");
	check_dir(NULL, NULL, "home/u", "ft", NULL, "relative HOME");

	unsetenv("FTBOOT_STATE_DIR");
	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	state_dir_for("ft", &out, &err);
	is_str(err.msg,
	       "cannot find the state directory of stack 'ft': HOME is not set; set HOME, or "
	       "FTBOOT_STATE_DIR to a directory for ftboot's state",
	       "no HOME: the message says what to set");

	setenv("FTBOOT_STATE_DIR", "/s", 1);
	memset(long_name, 'a', 63);
	long_name[63] = '\0';
	/* 63 characters is the most: accepted. */
	is_int(state_dir_for(long_name, &out, &err), 0, "63-character stack name accepted");
	free(out);
	long_name[63] = 'a';
	long_name[64] = '\0';
	is_int(state_dir_for(long_name, &out, &err), -1, "64-character stack name refused");
	is_int(state_dir_for("a-1", &out, &err), 0, "stack name with digits and '-'");
	free(out);
	{
		static const char *bad[] = {"", "Ft", "a/b", "..", ".", "a b", "a_b", "ft\n", "é"};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			out = (char *)"junk";
			is_int(state_dir_for(bad[i], &out, &err), -1, "stack name #%zu refused", i);
			ok(out == NULL && err.code == ERR_USAGE, "stack name #%zu: usage error", i);
		}
	}
	state_dir_for("Ft", &out, &err);
	is_str(err.msg, "invalid stack name 'Ft': use 1 to 63 characters of a-z, 0-9 and '-'",
	       "invalid stack name message");
	state_dir_for("ft\n", &out, &err);
	ok(strchr(err.msg, '\n') == NULL, "a control character is not echoed");
}

static void test_open(void)
{
	struct state st;
	struct err err;
	char *base = fresh_state_dir("open/nested/state");
	char *dir = tpath("open/nested/state/ft");
	char want[1024];
	mode_t old;

	is_int(state_open(&st, "ft", 0, &err), 0, "open without create, missing dir: fine");
	is_str(st.dir, dir, "st.dir set all the same");
	is_str(st.stack, "ft", "st.stack set");
	is_int(st.lock_fd, -1, "no lock held");
	is_int(state_exists(&st), 0, "state_exists: no");
	ok(!fs_exists(base), "nothing created without create");
	state_close(&st);

	old = umask(0);
	is_int(state_open(&st, "ft", 1, &err), 0, "open with create (umask 0)");
	umask(old);
	is_int(state_exists(&st), 1, "state_exists: yes");
	is_int(mode_of(dir), 0700, "stack directory is 0700");
	is_int(mode_of(base), 0700, "created parent is 0700");
	state_close(&st);
	is_int(state_open(&st, "ft", 1, &err), 0, "open with create again");
	state_close(&st);

	/* A restrictive umask must not leave the directory unusable. */
	{
		char *d2 = tpath("open/nested/state/tight");

		old = umask(0777);
		is_int(state_open(&st, "tight", 1, &err), 0, "open with create (umask 0777)");
		umask(old);
		is_int(mode_of(d2), 0700, "stack directory is 0700 whatever the umask");
		state_close(&st);
		free(d2);
	}

	chmod(dir, 0755);
	is_int(state_open(&st, "ft", 1, &err), -1, "a 0755 state directory is refused");
	snprintf(want, sizeof(want),
	         "state directory '%s' is accessible by others (mode 0755); run: chmod 700 '%s'",
	         dir, dir);
	is_str(err.msg, want, "refusal message says what to run");
	is_int(state_open(&st, "ft", 0, &err), -1, "refused without create too");
	chmod(dir, 0710);
	is_int(state_open(&st, "ft", 0, &err), -1, "group execute bit alone is refused");
	ok(strstr(err.msg, "(mode 0710)") != NULL, "mode shown in octal: %s", err.msg);
	chmod(dir, 0700);

	if (geteuid() == 0) {
		chown(dir, 12345, 12345);
		is_int(state_open(&st, "ft", 1, &err), -1,
		       "a directory owned by another uid is refused");
		ok(strstr(err.msg, "belongs to uid 12345") != NULL, "and says whose: %s", err.msg);
		chown(dir, 0, 0);
	} else {
		skip("not root: cannot make a directory owned by someone else");
		skip("not root: cannot make a directory owned by someone else");
	}

	/* The stack directory itself a symlink (to a good 0700 directory): refused. */
	{
		char *real = tpath("open/real"), *link = tpath("open/nested/state/linked");

		mkdir(real, 0700);
		symlink(real, link);
		is_int(state_open(&st, "linked", 1, &err), -1,
		       "a symlinked state directory is refused");
		ok(strstr(err.msg, "symbolic link") != NULL, "and says so: %s", err.msg);
		free(real);
		free(link);
	}
	{
		char *file = tpath("open/nested/state/file");

		put(file, "x", 1);
		is_int(state_open(&st, "file", 1, &err), -1, "a file in place of the directory");
		ok(strstr(err.msg, "not a directory") != NULL, "and says so: %s", err.msg);
		free(file);
	}

	/* A path with a quote: the suggested command is still one shell word. */
	{
		char *q = fresh_state_dir("it's");
		char *qd = tpath("it's/ft");

		is_int(state_open(&st, "ft", 1, &err), 0, "state dir under a name with a quote");
		state_close(&st);
		chmod(qd, 0750);
		state_open(&st, "ft", 0, &err);
		snprintf(want, sizeof(want),
		         "state directory '%s' is accessible by others (mode 0750); run: chmod 700 "
		         "'%s/it'\\''s/ft'",
		         qd, tmp);
		is_str(err.msg, want, "quote escaped in the suggested command");
		free(q);
		free(qd);
	}

	is_int(state_open(&st, "Bad", 1, &err), -1, "invalid stack name refused by state_open");
	state_close(&st);
	state_close(&st);
	ok(st.stack == NULL && st.dir == NULL && st.lock_fd == -1,
	   "state_close after a failed open, twice: nothing held");
	state_close(NULL); /* a crash here leaves no plan: run-tiers fails the file */

	{
		struct state z = {0};

		state_close(&z);
		ok(fcntl(0, F_GETFD) >= 0, "state_close of a zeroed struct does not close fd 0");
	}
	free(base);
	free(dir);
}

static int secret_file_error(struct state *st, const char *name, const char *data, size_t len,
                             const char *want_part, const char *label)
{
	char *p, *sdir = path_join(st->dir, "secrets");
	char *value = (char *)"junk";
	struct err err;
	int rc;

	p = path_join(sdir, name);
	put(p, data, len);
	rc = state_secret(st, name, &value, &err);
	is_int(rc, -1, "%s: refused", label);
	ok(value == NULL, "%s: no value", label);
	ok(strstr(err.msg, p) != NULL && strstr(err.msg, want_part) != NULL &&
	       strstr(err.msg, "delete it to generate a new secret") != NULL,
	   "%s: message names the file and what to do: %s", label, err.msg);
	ok(strstr(err.msg, "hunter2") == NULL, "%s: the value is not in the message", label);
	free(p);
	free(sdir);
	return rc;
}

static void test_secret(void)
{
	struct state st, st2;
	struct err err;
	char *v1 = NULL, *v2 = NULL, *v3 = NULL, *sfile, *content, *sdir;
	char *base = fresh_state_dir("secret");

	state_open(&st, "ft", 1, &err);
	is_int(state_secret(&st, "db_password", &v1, &err), 0, "first state_secret generates");
	is_int(strlen(v1), 24, "24 characters");
	ok(all_in_alphabet(v1), "all from [A-Za-z0-9]: %s", v1);
	sdir = path_join(st.dir, "secrets");
	sfile = path_join(sdir, "db_password");
	is_int(mode_of(sdir), 0700, "secrets directory is 0700");
	is_int(mode_of(sfile), 0600, "secret file is 0600");
	content = scratch_slurp(sfile);
	ok(content && strlen(content) == 25 && strncmp(content, v1, 24) == 0 && content[24] == '\n',
	   "file holds the value and a newline");
	free(content);

	is_int(state_secret(&st, "db_password", &v2, &err), 0, "second call");
	is_str(v2, v1, "same value the second time");
	free(v2);
	state_close(&st);
	state_open(&st2, "ft", 0, &err);
	is_int(state_secret(&st2, "db_password", &v2, &err), 0, "after reopening");
	is_str(v2, v1, "same value after reopening");
	is_int(state_secret(&st2, "ftp_password", &v3, &err), 0, "another name");
	ok(strcmp(v3, v1) != 0, "another name, another value");
	free(v2);
	free(v3);

	{
		static const char *bad[] = {"", "DB", "a-b", "../x", "a/b", "a.b", "a b"};
		char sixty_five[66];
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			v2 = (char *)"junk";
			is_int(state_secret(&st2, bad[i], &v2, &err), -1,
			       "secret name '%s' refused", bad[i]);
			ok(v2 == NULL, "no value for a refused name");
		}
		memset(sixty_five, 'a', 65);
		sixty_five[64] = '\0';
		is_int(state_secret(&st2, sixty_five, &v2, &err), 0, "64-character name accepted");
		free(v2);
		sixty_five[64] = 'a';
		sixty_five[65] = '\0';
		is_int(state_secret(&st2, sixty_five, &v2, &err), -1, "65-character name refused");
		state_secret(&st2, "DB", &v2, &err);
		is_str(err.msg,
		       "invalid secret name 'DB': use 1 to 64 characters of a-z, 0-9 and '_'",
		       "invalid name message");
	}

	/* A secret the user wrote by hand is kept as it is. */
	{
		char *p = path_join(sdir, "custom");

		put(p, "my own pass\n", 12);
		is_int(state_secret(&st2, "custom", &v2, &err), 0, "a hand-written secret is read");
		is_str(v2, "my own pass", "one trailing newline stripped, spaces kept");
		free(v2);
		put(p, "nonl", 4);
		state_secret(&st2, "custom", &v2, &err);
		is_str(v2, "nonl", "no trailing newline is fine");
		free(v2);
		free(p);
	}

	secret_file_error(&st2, "empty", "", 0, "is empty", "empty secret file");
	secret_file_error(&st2, "newline", "\n", 1, "is empty", "a lone newline");
	secret_file_error(&st2, "ctl", "hunter2\x01xyz\n", 12, "not printable", "a control byte");
	secret_file_error(&st2, "two_nl", "abc\n\n", 5, "not printable", "two trailing newlines");
	secret_file_error(&st2, "crlf", "abc\r\n", 5, "not printable", "a CRLF line end");
	secret_file_error(&st2, "nul", "ab\0cd", 5, "not printable", "a NUL byte");
	{
		char *big = xmalloc(5000);

		memset(big, 'a', 5000);
		secret_file_error(&st2, "big", big, 5000, "larger than 4096", "a 5000-byte file");
		free(big);
	}
	{
		char *p = path_join(sdir, "isdir");

		mkdir(p, 0700);
		v2 = (char *)"junk";
		is_int(state_secret(&st2, "isdir", &v2, &err), -1,
		       "a directory in place of a secret");
		ok(strstr(err.msg, "not a regular file") != NULL, "and says so: %s", err.msg);
		free(p);
	}
	{
		char *p = path_join(sdir, "exact");
		char data[4097];

		memset(data, 'x', 4096);
		data[4096] = '\0';
		put(p, data, 4096);
		is_int(state_secret(&st2, "exact", &v2, &err), 0,
		       "a 4096-byte secret file is read");
		is_int(v2 ? strlen(v2) : 0, 4096, "all 4096 bytes");
		free(v2);
		free(p);
	}

	/* Corrupt the real one: the error, then delete to regenerate. */
	put(sfile, "", 0);
	is_int(state_secret(&st2, "db_password", &v2, &err), -1, "corrupted secret: error");
	unlink(sfile);
	is_int(state_secret(&st2, "db_password", &v2, &err), 0, "deleted secret: regenerated");
	ok(v2 && strcmp(v2, v1) != 0 && strlen(v2) == 24, "a new value");
	free(v2);

	chmod(sdir, 0755);
	is_int(state_secret(&st2, "db_password", &v2, &err), -1,
	       "a 0755 secrets directory is refused");
	ok(strstr(err.msg, "accessible by others (mode 0755)") != NULL, "with the reason: %s",
	   err.msg);
	chmod(sdir, 0700);

	/* A state opened without create, its directory missing. */
	{
		struct state none;

		setenv("FTBOOT_STATE_DIR", base, 1);
		state_open(&none, "missing", 0, &err);
		is_int(state_secret(&none, "x", &v2, &err), -1, "secret without a state directory");
		ok(strstr(err.msg, "does not exist") != NULL, "and says so: %s", err.msg);
		ok(!fs_exists(none.dir), "and creates nothing");
		state_close(&none);
	}

	state_close(&st2);
	free(v1);
	free(sfile);
	free(sdir);
	free(base);
}

/* Many processes ask for one new secret at once: they all get the same. */
static void test_secret_race(void)
{
	enum { KIDS = 8, ROUNDS = 5 };
	char *base = fresh_state_dir("race");
	struct state st;
	struct err err;
	int round, agree = 1, kids_ok = 1;

	state_open(&st, "ft", 1, &err);
	for (round = 0; round < ROUNDS; round++) {
		char name[32], got[KIDS][64];
		int go[2], out[KIDS][2], k;
		pid_t pid[KIDS];

		snprintf(name, sizeof(name), "race_%d", round);
		if (pipe(go) < 0)
			exit(1);
		for (k = 0; k < KIDS; k++) {
			if (pipe(out[k]) < 0)
				exit(1);
			pid[k] = fork();
			if (pid[k] == 0) {
				struct state cst;
				char c, *v = NULL;
				ssize_t n = 0;

				close(go[1]);
				close(out[k][0]);
				if (state_open(&cst, "ft", 0, &err) < 0)
					_exit(2);
				(void)!read(go[0], &c, 1); /* wait for the start */
				if (state_secret(&cst, name, &v, &err) == 0)
					n = write(out[k][1], v, strlen(v));
				free(v);
				state_close(&cst);
				_exit(n == 24 ? 0 : 3);
			}
			close(out[k][1]);
		}
		close(go[0]);
		close(go[1]); /* start them all */
		for (k = 0; k < KIDS; k++) {
			ssize_t n = read(out[k][0], got[k], sizeof(got[k]) - 1);
			int status;

			got[k][n > 0 ? n : 0] = '\0';
			close(out[k][0]);
			waitpid(pid[k], &status, 0);
			kids_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
			agree &= strcmp(got[k], got[0]) == 0 && strlen(got[k]) == 24;
		}
		{
			char *v = NULL;

			state_secret(&st, name, &v, &err);
			agree &= v && strcmp(v, got[0]) == 0;
			free(v);
		}
	}
	ok(kids_ok, "%d processes x %d rounds: all got a secret", KIDS, ROUNDS);
	ok(agree, "and all got the same one, the one in the file");
	{
		char *sdir = path_join(st.dir, "secrets");
		char *cmd = xasprintf("ls -a '%s' | grep -q tmp", sdir);

		ok(system(cmd) != 0, "no temporary files left behind");
		free(cmd);
		free(sdir);
	}
	state_close(&st);
	free(base);
}

/*
 * Chi-square of the character counts of many secrets against uniform.
 * 62 classes, 61 degrees of freedom: P(chi2 > 130) is about 1e-6, while
 * a plain "byte % 62" (modulo bias) gives about 220 on this sample.
 */
static void test_secret_statistics(void)
{
	enum { N = 1000 };
	char *base = fresh_state_dir("stats");
	long count[256] = {0};
	struct state st;
	struct err err;
	double chi2 = 0, expect;
	long total = 0, outside = 0, seen = 0;
	int i, failed = 0;

	state_open(&st, "ft", 1, &err);
	for (i = 0; i < N; i++) {
		char name[32], *v = NULL;

		snprintf(name, sizeof(name), "s%d", i);
		if (state_secret(&st, name, &v, &err) < 0) {
			failed++;
			continue;
		}
		for (const char *p = v; *p; p++, total++)
			count[(unsigned char)*p]++;
		free(v);
	}
	is_int(failed, 0, "%d secrets generated", N);
	expect = (double)total / 62;
	for (i = 0; i < 256; i++) {
		if (strchr(alphabet, i) && i != 0) {
			double d = (double)count[i] - expect;

			chi2 += d * d / expect;
			seen += count[i] > 0;
		} else {
			outside += count[i];
		}
	}
	is_int(total, 24L * N, "24 characters each");
	is_int(outside, 0, "no character outside [A-Za-z0-9]");
	is_int(seen, 62, "every one of the 62 characters used");
	ok(chi2 < 130, "character counts uniform: chi-square %.1f < 130 (61 df)", chi2);
	state_close(&st);
	free(base);
}

/*
 * A child that takes the lock of stack "ft" and holds it until the parent
 * closes *release. raw: flock only, without ftboot's record (an older or
 * a stuck holder). Returns the child's pid.
 */
static pid_t hold_lock(const char *what, int raw, int *release)
{
	int ready[2], go[2];
	pid_t pid;
	char c;

	if (pipe(ready) < 0 || pipe(go) < 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		struct state st;
		struct err err;
		int rc = 0;

		close(ready[0]);
		close(go[1]);
		if (state_open(&st, "ft", 1, &err) < 0)
			_exit(2);
		if (raw) {
			char *p = path_join(st.dir, "lock");
			int fd = open(p, O_RDWR | O_CREAT, 0600);

			free(p);
			if (fd < 0 || flock(fd, LOCK_EX) < 0 || ftruncate(fd, 0) < 0)
				rc = 3;
		} else if (state_lock(&st, what, &err) < 0) {
			rc = 3;
		}
		(void)!write(ready[1], rc ? "n" : "y", 1);
		(void)!read(go[0], &c, 1);
		state_close(&st);
		_exit(rc);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) != 1 || c != 'y') {
		printf("Bail out! the child could not take the lock\n");
		exit(1);
	}
	close(ready[0]);
	*release = go[1];
	return pid;
}

static int release_child(pid_t pid, int release)
{
	int status;

	close(release);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* In a child: can it take the lock now? 0 yes, 1 busy, 2 other error. */
static int child_can_lock(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct state st;
		struct err err;
		int rc = 2;

		if (state_open(&st, "ft", 1, &err) == 0) {
			if (state_lock(&st, "check", &err) == 0)
				rc = 0;
			else if (err.code == ERR_BUSY)
				rc = 1;
		}
		state_close(&st);
		_exit(rc);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_lock(void)
{
	char *base = fresh_state_dir("lock");
	struct state st, st2;
	struct err err;
	char *lockfile, *content, want[1024], since[64] = "";
	int release, fd;
	pid_t pid;

	state_open(&st, "ft", 1, &err);
	lockfile = path_join(st.dir, "lock");

	is_int(state_lock(&st, "up", &err), 0, "state_lock takes a free lock");
	ok(st.lock_fd >= 0, "lock_fd set");
	is_int(mode_of(lockfile), 0600, "lock file is 0600");
	content = scratch_slurp(lockfile);
	{
		char wantpid[64];
		const char *s;

		snprintf(wantpid, sizeof(wantpid), "pid=%ld\ncommand=up\nsince=", (long)getpid());
		ok(content && strncmp(content, wantpid, strlen(wantpid)) == 0,
		   "lock file records pid and command");
		s = content ? content + strlen(wantpid) : "";
		ok(strlen(s) == 21 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
		       s[16] == ':' && s[19] == 'Z' && s[20] == '\n',
		   "since is ISO 8601 UTC: %s", s);
	}
	free(content);
	fd = st.lock_fd;
	is_int(state_lock(&st, "down", &err), 0, "taking it again: fine");
	is_int(st.lock_fd, fd, "and a no-op");

	state_open(&st2, "ft", 0, &err);
	is_int(state_lock(&st2, "status", &err), 0,
	       "a second struct state in this process shares it");
	is_int(child_can_lock(), 1, "another process is told it is busy");
	state_close(&st);
	is_int(child_can_lock(), 1, "still held through the second struct");
	state_close(&st2);
	is_int(child_can_lock(), 0, "state_close released it");

	/* A child holds it. */
	pid = hold_lock("up", 0, &release);
	content = scratch_slurp(lockfile);
	if (content && strstr(content, "since="))
		snprintf(since, sizeof(since), "%.20s", strstr(content, "since=") + 6);
	free(content);
	state_open(&st, "ft", 1, &err);
	err_clear(&err);
	is_int(state_lock(&st, "down", &err), -1, "lock held by a child: refused");
	is_int(err.code, ERR_BUSY, "code ERR_BUSY");
	snprintf(want, sizeof(want),
	         "stack 'ft' is busy: 'ftboot up' (pid %ld) has held it since %s; wait for it to "
	         "finish, or stop it",
	         (long)pid, since);
	is_str(err.msg, want, "message names the child's pid, command and since");
	is_int(st.lock_fd, -1, "no lock_fd after a refusal");
	is_int(release_child(pid, release), 0, "child exited cleanly");
	is_int(state_lock(&st, "down", &err), 0, "after the child exits, the lock is ours");
	content = scratch_slurp(lockfile);
	snprintf(want, sizeof(want), "pid=%ld\ncommand=down\n", (long)getpid());
	ok(content && strncmp(content, want, strlen(want)) == 0, "and the record is ours");
	free(content);
	state_close(&st);

	/* A child killed while holding it. */
	pid = hold_lock("up", 0, &release);
	kill(pid, SIGKILL);
	release_child(pid, release);
	state_open(&st, "ft", 1, &err);
	is_int(state_lock(&st, "up", &err), 0, "a killed holder's lock is free");
	state_close(&st);

	/* A holder that wrote no record. */
	pid = hold_lock("up", 1, &release);
	state_open(&st, "ft", 1, &err);
	is_int(state_lock(&st, "up", &err), -1, "held without a record: refused");
	is_int(err.code, ERR_BUSY, "code ERR_BUSY");
	snprintf(
	    want, sizeof(want),
	    "stack 'ft' is busy: another ftboot holds its lock; wait for it to finish, or stop "
	    "it (fuser -v '%s' shows it)",
	    lockfile);
	is_str(err.msg, want, "generic message when the holder left no record");
	release_child(pid, release);
	state_close(&st);

	/* Bad command names, and no directory. */
	state_open(&st, "ft", 1, &err);
	is_int(state_lock(&st, "", &err), -1, "empty command name refused");
	is_int(state_lock(&st, "up\nevil=1", &err), -1, "command name with a newline refused");
	state_close(&st);
	state_open(&st, "nodir", 0, &err);
	is_int(state_lock(&st, "up", &err), -1, "locking a stack with no state directory fails");
	ok(strstr(err.msg, "does not exist") != NULL, "and says so: %s", err.msg);
	state_close(&st);

	free(lockfile);
	free(base);
}

static void test_vm_uuid(void)
{
	char *base = fresh_state_dir("uuid");
	char u1[STATE_UUID_LEN + 1], u2[STATE_UUID_LEN + 1], *file, *content;
	struct state st, st2;
	struct err err;
	pid_t pid;
	int status;

	state_open(&st, "ft", 0, &err);
	ok(state_vm_uuid(&st, u1, &err) < 0 && strstr(err.msg, "does not exist"),
	   "no state directory: no UUID: %s", err.msg);
	state_close(&st);
	state_open(&st, "ft", 1, &err);
	is_int(state_vm_uuid(&st, u1, &err), 0, "the vm UUID is generated");
	ok(strlen(u1) == 36 && u1[8] == '-' && u1[13] == '-' && u1[14] == '4' && u1[18] == '-' &&
	       strchr("89ab", u1[19]) && u1[23] == '-',
	   "... a random (version 4) UUID in libvirt's form: %s", u1);
	file = path_join(st.dir, "vm-uuid");
	is_int(mode_of(file), 0600, "vm-uuid is 0600");
	content = scratch_slurp(file);
	ok(content && strncmp(content, u1, 36) == 0 && strcmp(content + 36, "\n") == 0,
	   "the file holds it and a newline");
	free(content);
	is_int(state_vm_uuid(&st, u2, &err), 0, "asked again");
	is_str(u2, u1, "... the same UUID");
	state_open(&st2, "ft", 1, &err);
	ok(state_vm_uuid(&st2, u2, &err) == 0 && strcmp(u1, u2) == 0,
	   "another struct state of the stack reads the same");
	state_close(&st2);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct state cst;
		char cu[STATE_UUID_LEN + 1];

		state_open(&cst, "ft", 1, &err);
		_exit(state_vm_uuid(&cst, cu, &err) == 0 && strcmp(cu, u1) == 0 ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0,
	   "another process reads the same");
	put(file, "not-a-uuid\n", 11);
	ok(state_vm_uuid(&st, u2, &err) < 0 && strstr(err.msg, "holds no UUID") &&
	       strstr(err.msg, "ftboot down"),
	   "a file that holds no UUID is refused, with what to do: %s", err.msg);
	put(file, "", 0);
	ok(state_vm_uuid(&st, u2, &err) < 0 && strstr(err.msg, "vm UUID file") &&
	       strstr(err.msg, "is empty"),
	   "an empty one too: %s", err.msg);
	unlink(file);
	ok(state_vm_uuid(&st, u2, &err) == 0 && strcmp(u1, u2) != 0,
	   "deleted: a new one is generated");
	free(file);
	state_close(&st);
	free(base);
}

static void test_destroy(void)
{
	char *base = fresh_state_dir("destroy");
	struct state st;
	struct err err;
	char *v = NULL;

	state_open(&st, "ft", 1, &err);
	state_lock(&st, "down", &err);
	state_secret(&st, "a", &v, &err);
	free(v);
	{
		char *sub = path_join(st.dir, "deep/er");
		char *f = path_join(sub, "file");

		fs_mkdirs(sub, 0700, &err);
		put(f, "x", 1);
		free(sub);
		free(f);
	}
	is_int(state_destroy(&st, &err), 0, "state_destroy");
	is_int(state_exists(&st), 0, "the directory is gone");
	is_int(st.lock_fd, -1, "the lock is released");
	ok(fs_exists(base), "the parent stays");
	is_int(child_can_lock(), 0, "another process can take the (new) lock");
	is_int(state_destroy(&st, &err), 0, "destroying a missing directory is fine");
	state_close(&st);
	state_close(&st);
	ok(st.stack == NULL && st.dir == NULL && st.lock_fd == -1,
	   "state_close after destroy, twice: nothing held");
	free(base);
}

int main(void)
{
	tmp = scratch_open("state");
	test_dir_for();
	test_open();
	test_secret();
	test_secret_race();
	test_secret_statistics();
	test_lock();
	test_vm_uuid();
	test_destroy();

	scratch_close(tmp);
	return tap_done();
}
