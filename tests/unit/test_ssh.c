/*
 * Unit tests: the ssh module (libssh2) against a real peer: Debian's
 * OpenSSH sshd on loopback, started by tests/servers/sshd.sh with its own
 * host key, client key and log; then two more without working SFTP (no
 * subsystem; a missing sftp-server program, as on Alpine), where copies
 * go through the shell. Skipped when sshd cannot run here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fs.h"
#include "ssh.h"
#include "tap.h"
#include "xmem.h"

static char dir[] = "/tmp/ftboot-test-ssh.XXXXXX";
static char script[PATH_MAX];
static int started;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cleanup(void)
{
	char cmd[PATH_MAX * 2 + 32];
	struct err err;

	if (started) {
		snprintf(cmd, sizeof(cmd), "'%s' stop '%s'", script, dir);
		if (system(cmd) != 0)
			diag("could not stop sshd in %s", dir);
	}
	if (fs_remove_tree(dir, &err) < 0)
		diag("%s", err.msg);
}

/* Run a shell command, its first output line into line (trailing newline cut). */
static int run_line(const char *cmd, char *line, size_t size)
{
	FILE *f = popen(cmd, "r");
	int st;

	if (!f)
		return -1;
	line[0] = '\0';
	if (!fgets(line, (int)size, f))
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	st = pclose(f);
	return st == 0 ? 0 : -1;
}

/* DIR/name, in one of 4 buffers used in turn. */
static char *path_in(const char *name)
{
	static char p[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static int read_file(const char *path, struct buf *b)
{
	struct err err;

	buf_reset(b);
	return fs_read(path, 64 << 20, b, &err);
}

/*
 * Wait up to 3 s for sshd to log the end of the connections opened since
 * offset, then return that part of the log in b.
 */
static void log_since(size_t offset, struct buf *b)
{
	struct buf all = BUF_INIT(64 << 20);
	int i;

	buf_reset(b);
	for (i = 0; i < 60; i++) {
		if (read_file(path_in("sshd.log"), &all) == 0 && all.len > offset &&
		    (strstr(all.data + offset, "Connection closed by") ||
		     strstr(all.data + offset, "Disconnected from") ||
		     strstr(all.data + offset, "Connection reset by")))
			break;
		usleep(50000);
	}
	if (all.len > offset)
		buf_add(b, all.data + offset, all.len - offset);
	buf_release(&all);
}

static size_t log_size(void)
{
	struct stat st;

	return stat(path_in("sshd.log"), &st) == 0 ? (size_t)st.st_size : 0;
}

/* A loopback listener that never accepts (listen = 1) or is closed again. */
static int loopback(int do_listen, int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0 || (do_listen && listen(fd, 8) < 0)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	if (!do_listen) {
		close(fd);
		return -2;
	}
	return fd;
}

/* err's kind is want: compared by name, so a failure reads "got 'denied'". */
static void kind_is(const struct err *err, enum err_kind want, const char *what)
{
	is_str(err_kind_name(err->kind), err_kind_name(want), "%s", what);
}

/*
 * Connect to a peer on port that stops answering: it must fail, a
 * timeout, within o's timeout of 700 ms, its message "ssh USER@HOST:PORT: " + want.
 */
static void stalled(struct ssh_opts *o, int port, const char *want, const char *what)
{
	struct ssh *s = NULL;
	struct err err;
	char msg[512];
	long t0, dt;
	int rc;

	o->port = port;
	o->timeout_ms = 700;
	t0 = now_ms();
	rc = ssh_connect(o, &s, &err);
	dt = now_ms() - t0;
	ok(rc < 0, "%s fails", what);
	kind_is(&err, ERRK_TIMEOUT, "... of kind timeout");
	snprintf(msg, sizeof(msg), "ssh %s@127.0.0.1:%d: %s", o->user, port, want);
	ok(strstr(err.msg, msg) != NULL, "... naming what it waited for: %s", err.msg);
	ok(dt >= 650 && dt < 700 + 1000, "... within the timeout (%ld ms)", dt);
}

/* Run ssh_shell with stdin from in_path and stdout/stderr to files. */
static int shell_with(struct ssh *s, const char *command, const char *in_path, const char *out_path,
                      const char *err_path, int *status, struct err *err)
{
	int saved[3], fd, i, rc;

	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 3; i++)
		saved[i] = dup(i);
	fd = open(in_path, O_RDONLY);
	dup2(fd, 0);
	close(fd);
	fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	rc = ssh_shell(s, command, status, err);
	for (i = 0; i < 3; i++) {
		dup2(saved[i], i);
		close(saved[i]);
	}
	return rc;
}

/*
 * In a child on a new pseudo-terminal (33 rows, 101 columns): connect,
 * run command through ssh_shell, exit with its status (100 + n when
 * something else failed, 110 if the terminal's mode was not restored).
 */
static pid_t pty_child(const struct ssh_opts *o, const char *command, int *master)
{
	struct winsize ws = {.ws_row = 33, .ws_col = 101};
	struct termios before, after;
	struct ssh *s = NULL;
	struct err err;
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = forkpty(master, NULL, NULL, &ws);
	if (pid != 0)
		return pid;
	setenv("TERM", "vt100", 1);
	if (tcgetattr(0, &before) < 0)
		_exit(101);
	if (ssh_connect(o, &s, &err) < 0)
		_exit(102);
	if (ssh_shell(s, command, &status, &err) < 0)
		_exit(103);
	ssh_close(s);
	if (tcgetattr(0, &after) < 0 || before.c_lflag != after.c_lflag ||
	    before.c_iflag != after.c_iflag || before.c_oflag != after.c_oflag)
		_exit(110);
	_exit(status);
}

/* Read the terminal's output into b until it holds want (NULL: until EOF), 10 s at most. */
static int pty_read(int master, struct buf *b, const char *want)
{
	struct pollfd p = {.fd = master, .events = POLLIN};
	char chunk[4096];
	long end = now_ms() + 10000;
	ssize_t n;

	while (!want || !strstr(buf_cstr(b), want)) {
		if (now_ms() >= end || poll(&p, 1, (int)(end - now_ms())) <= 0)
			return -1;
		n = read(master, chunk, sizeof(chunk));
		if (n <= 0)
			return want ? -1 : 0;
		buf_add(b, chunk, (size_t)n);
	}
	return 0;
}

/*
 * Uploads and downloads through s, via says how ("" for SFTP). Leaves
 * DIR/up.bin holding blob (1 MiB), mode 0600.
 */
static void test_copies(struct ssh *s, const unsigned char *blob, const char *via)
{
	struct buf got = BUF_INIT(4 << 20), small = BUF_INIT(1000);
	struct stat st;
	struct err err;
	char *big;
	long t0, dt;
	int rc;

	rc = ssh_upload(s, blob, 1 << 20, path_in("up.bin"), 0640, &err);
	ok(rc == 0, "upload 1 MiB%s", via);
	if (rc < 0)
		diag("%s", err.msg);
	ok(read_file(path_in("up.bin"), &got) == 0 && got.len == (1 << 20) &&
	       memcmp(got.data, blob, 1 << 20) == 0,
	   "... the remote file is byte-exact%s", via);
	rc = stat(path_in("up.bin"), &st);
	ok(rc == 0 && (st.st_mode & 07777) == 0640, "... with mode 0640 (%o)%s",
	   (unsigned)(st.st_mode & 07777), via);
	rc = ssh_upload(s, "short", 5, path_in("up.bin"), 0600, &err);
	ok(rc == 0 && read_file(path_in("up.bin"), &got) == 0 && got.len == 5 &&
	       stat(path_in("up.bin"), &st) == 0 && (st.st_mode & 07777) == 0600,
	   "upload over an existing file truncates it and sets the mode%s", via);
	rc = ssh_upload(s, blob, 1 << 20, path_in("up.bin"), 0600, &err);
	buf_reset(&got);
	rc = rc == 0 ? ssh_download(s, path_in("up.bin"), &got, &err) : rc;
	ok(rc == 0, "download 1 MiB%s", via);
	if (rc < 0)
		diag("%s", err.msg);
	ok(got.len == (1 << 20) && memcmp(got.data, blob, 1 << 20) == 0,
	   "... byte-exact round trip%s", via);
	rc = ssh_upload(s, "", 0, path_in("empty"), 0644, &err);
	buf_reset(&got);
	rc = rc == 0 ? ssh_download(s, path_in("empty"), &got, &err) : rc;
	ok(rc == 0 && got.len == 0, "an empty file goes and comes back%s", via);
	buf_reset(&small);
	rc = ssh_download(s, path_in("up.bin"), &small, &err);
	ok(rc < 0 && strstr(err.msg, "up.bin' on 127.0.0.1:") &&
	       strstr(err.msg, "exceeds 1000 bytes"),
	   "download beyond the buffer's limit fails%s: %s", via, err.msg);
	rc = ssh_download(s, path_in("missing"), &got, &err);
	ok(rc < 0 && strstr(err.msg, "download '") && strcasestr(err.msg, "no such file") &&
	       !strstr(err.msg, "through the shell") == !*via,
	   "download of a missing file%s: %s", via, err.msg);
	if (!*via)
		kind_is(&err, ERRK_NOTFOUND, "... of kind not found (the SFTP server's answer)");
	rc = ssh_upload(s, "x", 1, path_in("no/such/dir/f"), 0600, &err);
	ok(rc < 0 && strstr(err.msg, "upload to '") &&
	       (strcasestr(err.msg, "no such file") || strcasestr(err.msg, "nonexistent")),
	   "upload into a missing directory%s: %s", via, err.msg);
	/* More than the channel's window: the copy must notice that nobody reads. */
	big = xcalloc(1, 8 << 20);
	t0 = now_ms();
	rc = ssh_upload(s, big, 8 << 20, path_in("no/such/dir/big"), 0600, &err);
	dt = now_ms() - t0;
	ok(rc < 0 && (strcasestr(err.msg, "no such file") || strcasestr(err.msg, "nonexistent")) &&
	       dt < 5000,
	   "8 MiB into a missing directory fails at once%s (%ld ms): %s", via, dt, err.msg);
	free(big);
	buf_release(&got);
	buf_release(&small);
}

static void test_pty(const struct ssh_opts *o)
{
	struct buf b = BUF_INIT(1 << 20);
	struct winsize ws = {.ws_row = 40, .ws_col = 120};
	int master = -1, st = 0;
	pid_t pid;

	pid = pty_child(o,
	                "tty; echo TERM=$TERM; stty size; read x; stty size; read y; "
	                "stty size; exit 4",
	                &master);
	ok(pid > 0, "a child on a pseudo-terminal");
	if (pid < 0)
		return;
	ok(pty_read(master, &b, "33 101") == 0, "tty: a PTY with the local size (33 101)");
	ok(strstr(buf_cstr(&b), "/dev/pts/") && strstr(buf_cstr(&b), "TERM=vt100"),
	   "tty: the remote side has a tty and the local TERM");
	/* The window changes: SIGWINCH, then a window-change request. */
	ioctl(master, TIOCSWINSZ, &ws);
	usleep(300000);
	ok(write(master, "go\r", 3) == 3, "tty: keys typed");
	ok(pty_read(master, &b, "40 120") == 0, "tty: a new window size is forwarded");
	ws.ws_row = 41;
	ws.ws_col = 121;
	ioctl(master, TIOCSWINSZ, &ws);
	usleep(300000);
	ok(write(master, "go\r", 3) == 3, "tty: keys typed again");
	ok(pty_read(master, &b, "41 121") == 0, "tty: and the next one");
	pty_read(master, &b, NULL);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 4,
	   "tty: exit status 4, terminal mode restored (status %d)",
	   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 4)
		diag("output: %s", buf_cstr(&b));
	close(master);
	buf_release(&b);
}

/*
 * A second sshd without working SFTP: sftp is SSHD_SFTP for
 * tests/servers/sshd.sh ("none", or a program that does not exist, as in
 * Alpine's image without openssh-sftp-server). Copies must go through the
 * shell, with any file name.
 */
static void test_no_sftp(const char *sftp, const char *name, const struct passwd *pw)
{
	static const char odd[] = "it's $(touch ftboot-pwned) a b.bin";
	char sub[PATH_MAX], cmd[PATH_MAX * 3], port[512], fp[128], key[PATH_MAX + 16], via[128];
	unsigned char *blob = xmalloc(1 << 20);
	struct buf got = BUF_INIT(1 << 20);
	struct ssh_opts o;
	struct ssh *s = NULL;
	struct err err;
	size_t i;

	for (i = 0; i < (1 << 20); i++)
		blob[i] = (unsigned char)(i * 2654435761u >> 11);
	snprintf(sub, sizeof(sub), "%s", path_in(name));
	snprintf(via, sizeof(via), " (sftp %s: through the shell)", sftp);
	snprintf(cmd, sizeof(cmd), "SSHD_SFTP='%s' '%s' start '%s' %ld 2>&1", sftp, script, sub,
	         (long)getpid());
	if (run_line(cmd, port, sizeof(port)) < 0) {
		skip("sshd without SFTP cannot be started here");
		free(blob);
		return;
	}
	snprintf(cmd, sizeof(cmd), "cat '%s/host_fingerprint'", sub);
	run_line(cmd, fp, sizeof(fp));
	snprintf(key, sizeof(key), "%s/id_ed25519", sub);
	memset(&o, 0, sizeof(o));
	o.host = "127.0.0.1";
	o.port = (int)strtol(port, NULL, 10);
	o.user = pw->pw_name;
	o.key_file = key;
	o.host_fingerprint = fp;
	o.timeout_ms = 5000;
	o.op_timeout_ms = 10000;
	ok(ssh_connect(&o, &s, &err) == 0, "connect to sshd with sftp %s", sftp);
	if (s) {
		test_copies(s, blob, via);
		ok(ssh_upload(s, "odd", 3, path_in(odd), 0600, &err) == 0 &&
		       read_file(path_in(odd), &got) == 0 && strcmp(buf_cstr(&got), "odd") == 0,
		   "a name with quotes, spaces and $( ) arrives as it is%s", via);
		snprintf(cmd, sizeof(cmd), "%s/ftboot-pwned", pw->pw_dir);
		ok(access(cmd, F_OK) != 0 && access(path_in("ftboot-pwned"), F_OK) != 0,
		   "... and nothing in it ran (no %s)", cmd);
	}
	ssh_close(s);
	snprintf(cmd, sizeof(cmd), "'%s' stop '%s'", script, sub);
	if (system(cmd) != 0)
		diag("could not stop sshd in %s", sub);
	buf_release(&got);
	free(blob);
}

int main(void)
{
	char fp[128], other_fp[128], sum[128], portstr[512], cmd[PATH_MAX * 2 + 64], key[PATH_MAX];
	const char *top = getenv("FTBOOT_TOP");
	const char *v;
	struct passwd *pw = getpwuid(geteuid());
	struct ssh_opts o;
	struct ssh *s = NULL;
	struct err err;
	struct buf out = BUF_INIT(1 << 20), errout = BUF_INIT(4 << 20);
	struct buf got = BUF_INIT(4 << 20), log = BUF_INIT(64 << 20), small = BUF_INIT(1000);
	unsigned char *blob;
	size_t off, i;
	long t0, dt;
	int major = 0, minor = 0, port, status, rc, fd, lport;
	pid_t child;

	if (!pw)
		skip_all("no user name for this uid");
	snprintf(script, sizeof(script), "%s/tests/servers/sshd.sh", top ? top : ".");
	if (access(script, X_OK) != 0)
		skip_all("tests/servers/sshd.sh not found (run from the top directory)");
	if (!mkdtemp(dir))
		skip_all("cannot make a temporary directory");
	atexit(cleanup);
	/* With our pid: sshd stops when this process is gone, even by a crash. */
	snprintf(cmd, sizeof(cmd), "'%s' start '%s' %ld 2>&1", script, dir, (long)getpid());
	if (run_line(cmd, portstr, sizeof(portstr)) < 0) {
		snprintf(cmd, sizeof(cmd), "sshd cannot be started here: %s",
		         portstr[0] ? portstr : "tests/servers/sshd.sh failed");
		skip_all(cmd);
	}
	started = 1;

	v = ssh_version();
	ok(sscanf(v, "%d.%d", &major, &minor) == 2, "libssh2 version parses: %s", v);
	ok(major > 1 || (major == 1 && minor >= 10), "libssh2 is at least 1.10");
	port = (int)strtol(portstr, NULL, 10);
	ok(port > 0, "sshd listens on 127.0.0.1:%d", port);
	snprintf(cmd, sizeof(cmd), "cat '%s/host_fingerprint'", dir);
	run_line(cmd, fp, sizeof(fp));
	ok(strncmp(fp, "SHA256:", 7) == 0, "host fingerprint %s", fp);
	/* Another valid fingerprint: the client key's. */
	snprintf(cmd, sizeof(cmd), "ssh-keygen -l -E sha256 -f '%s/id_ed25519.pub' | cut -d' ' -f2",
	         dir);
	run_line(cmd, other_fp, sizeof(other_fp));

	memset(&o, 0, sizeof(o));
	o.host = "127.0.0.1";
	o.port = port;
	o.user = pw->pw_name;
	/* path_in's buffers are reused: keep the key's path in one of ours. */
	snprintf(key, sizeof(key), "%s", path_in("id_ed25519"));
	o.key_file = key;
	o.host_fingerprint = fp;
	o.timeout_ms = 5000;

	/* ---- good key, pinned host key ---- */
	rc = ssh_connect(&o, &s, &err);
	ok(rc == 0 && s, "connect with the pinned host key and the right user key");
	if (rc < 0)
		diag("%s", err.msg);
	if (!s) {
		diag("cannot go on without a session");
		return tap_done();
	}
	/* No operation waits forever: unset, or set to 0, is the default bound. */
	is_int(ssh_timeout(s), 60000, "no operation timeout given: each operation has 60 s");
	ssh_set_timeout(s, 0);
	is_int(ssh_timeout(s), 60000, "ssh_set_timeout(0) keeps a bound: 60 s");
	rc = ssh_exec(s, "echo hello; echo err >&2; exit 3", &out, &errout, &status, &err);
	ok(rc == 0, "exec runs");
	if (rc < 0)
		diag("%s", err.msg);
	is_str(buf_cstr(&out), "hello\n", "exec: stdout collected");
	is_str(buf_cstr(&errout), "err\n", "exec: stderr collected");
	is_int(status, 3, "exec: exit status");
	ok(ssh_exit_signal(s) == NULL, "exec: no signal");

	rc = ssh_exec(s, "kill -9 $$", NULL, NULL, &status, &err);
	ok(rc == 0, "exec of a command killed by a signal");
	is_int(status, 128 + 9, "killed: status 128 + 9");
	is_str(ssh_exit_signal(s), "KILL", "killed: signal named");
	/* The statuses ftboot itself uses (usage 2, not built 3, busy 4, ssh's own 255) come back as they are. */
	for (i = 1; i <= 5; i++) {
		static const int codes[] = {0, 1, 2, 3, 4, 255};
		char line[32];

		snprintf(line, sizeof(line), "exit %d", codes[i]);
		rc = ssh_exec(s, line, NULL, NULL, &status, &err);
		ok(rc == 0 && status == codes[i], "exec '%s': status %d (%d)", line, codes[i],
		   status);
	}
	{
		/* execv's argv type: the strings are not written to. */
		const char *words[] = {"printf", "<%s>", "a  b", "$HOME", "it's", "`id`", "*", ""};
		const char *sh_exit[] = {"sh", "-c", "exit 3"};
		char *line = ssh_command_of_argv((char *const *)words, 8);

		buf_reset(&out);
		rc = ssh_exec(s, line, &out, NULL, &status, &err);
		is_str(
		    buf_cstr(&out), "<a  b><$HOME><it's><`id`><*><>",
		    "ssh_command_of_argv: each word arrives as it is, nothing split or expanded");
		free(line);
		line = ssh_command_of_argv((char *const *)sh_exit, 3);
		rc = ssh_exec(s, line, NULL, NULL, &status, &err);
		ok(rc == 0 && status == 3, "ssh_command_of_argv: sh -c 'exit 3' exits 3 (%d)",
		   status);
		free(line);
		line = ssh_command_of_argv(NULL, 0);
		is_str(line, "", "ssh_command_of_argv of no words: empty");
		free(line);
	}

	buf_reset(&out);
	ssh_set_timeout(s, 5000);
	rc = ssh_exec(s, "cat; echo done", &out, NULL, &status, &err);
	ok(rc == 0 && strcmp(buf_cstr(&out), "done\n") == 0, "exec: stdin is empty (EOF at once)");
	ssh_set_timeout(s, 0);
	buf_reset(&out);
	buf_reset(&errout);
	rc = ssh_exec(s,
	              "i=0; while [ $i -lt 3000 ]; do echo out$i; echo err$i >&2; i=$((i+1)); "
	              "done; head -c 3000000 /dev/zero; head -c 2500000 /dev/zero >&2",
	              &got, &errout, &status, &err);
	ok(rc == 0 && status == 0, "exec: interleaved stdout and stderr, MBs of each");
	ok(got.len == 3000000 + 22890 && strstr(buf_cstr(&got), "out2999\n") &&
	       !strstr(buf_cstr(&got), "err"),
	   "... all of stdout, nothing else (%zu bytes)", got.len);
	ok(errout.len == 2500000 + 22890 && strstr(buf_cstr(&errout), "err2999\n") &&
	       !strstr(buf_cstr(&errout), "out"),
	   "... all of stderr, nothing else (%zu bytes)", errout.len);
	buf_reset(&got);
	buf_reset(&errout);

	/* Output beyond the buffer's limit. */
	buf_reset(&out);
	t0 = now_ms();
	rc = ssh_exec(s, "head -c 5000000 /dev/zero", &out, NULL, &status, &err);
	dt = now_ms() - t0;
	ok(rc < 0, "5 MB of output into a 1 MiB buffer fails");
	ok(rc < 0 && strstr(err.msg, "output of 'head -c 5000000 /dev/zero' exceeds 1048576 bytes"),
	   "... saying: %s", err.msg);
	is_int(out.len, 1 << 20, "... after keeping what fits");
	ok(dt < 3000, "... at once (%ld ms)", dt);
	buf_reset(&out);
	rc = ssh_exec(s, "echo again", &out, NULL, &status, &err);
	ok(rc == 0 && strcmp(buf_cstr(&out), "again\n") == 0 && status == 0,
	   "the session is still usable after that");
	if (rc < 0)
		diag("%s", err.msg);
	rc = ssh_exec(s, "echo 0123456789abcdef >&2", NULL, &small, &status, &err);
	ok(rc == 0, "stderr within its limit");
	small.limit = 8;
	buf_reset(&small);
	rc = ssh_exec(s, "echo 0123456789abcdef >&2", NULL, &small, &status, &err);
	ok(rc < 0 && strstr(err.msg, "error output of 'echo 0123456789abcdef >&2' exceeds 8 bytes"),
	   "stderr beyond its limit: %s", err.msg);
	small.limit = 1000;

	/* A command that runs past the operation timeout. */
	ssh_set_timeout(s, 500);
	t0 = now_ms();
	rc = ssh_exec(s, "sleep 3", NULL, NULL, &status, &err);
	dt = now_ms() - t0;
	ok(rc < 0 && strstr(err.msg, "run 'sleep 3' on 127.0.0.1:") &&
	       strstr(err.msg, "timed out after 500 ms"),
	   "a command past its timeout fails: %s", err.msg);
	kind_is(&err, ERRK_TIMEOUT, "... of kind timeout");
	ok(dt >= 450 && dt < 1500, "... in time, without waiting for the command (%ld ms)", dt);
	ssh_set_timeout(s, 0);
	buf_reset(&out);
	rc = ssh_exec(s, "echo still", &out, NULL, &status, &err);
	ok(rc == 0 && strcmp(buf_cstr(&out), "still\n") == 0, "the session is usable after that");
	if (rc < 0)
		diag("%s", err.msg);

	/* Upload 1 MiB of random bytes, download them back. */
	blob = xmalloc(1 << 20);
	fd = open("/dev/urandom", O_RDONLY);
	for (off = 0; fd >= 0 && off < (1 << 20);) {
		ssize_t n = read(fd, blob + off, (1 << 20) - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (off < (1 << 20))
		for (i = 0; i < (1 << 20); i++)
			blob[i] = (unsigned char)(i * 2654435761u >> 13);
	test_copies(s, blob, "");
	buf_reset(&out);
	rc = ssh_exec(s, "echo after-sftp", &out, NULL, &status, &err);
	ok(rc == 0 && strcmp(buf_cstr(&out), "after-sftp\n") == 0, "exec still works after SFTP");

	/* The interactive relay, without a terminal. */
	rc = shell_with(s, "exit 7", "/dev/null", path_in("sh.out"), path_in("sh.err"), &status,
	                &err);
	ok(rc == 0, "ssh_shell without a tty");
	if (rc < 0)
		diag("%s", err.msg);
	is_int(status, 7, "ssh_shell: exit status 7");
	rc = shell_with(s, "kill -9 $$", "/dev/null", path_in("sh.out"), path_in("sh.err"), &status,
	                &err);
	ok(rc == 0 && status == 128 + 9 && ssh_exit_signal(s) &&
	       strcmp(ssh_exit_signal(s), "KILL") == 0,
	   "ssh_shell: a command killed by SIGKILL: 128 + 9, signal named (%d)", status);
	rc = shell_with(s, "exit 4", "/dev/null", path_in("sh.out"), path_in("sh.err"), &status,
	                &err);
	ok(rc == 0 && status == 4 && !ssh_exit_signal(s),
	   "ssh_shell: exit 4 after that, no signal (%d)", status);
	fd = open(path_in("sh.in"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, "abc\n", 4) == 4, "stdin file written");
	close(fd);
	rc = shell_with(s, "cat; echo e >&2; exit 5", path_in("sh.in"), path_in("sh.out"),
	                path_in("sh.err"), &status, &err);
	ok(rc == 0 && status == 5, "ssh_shell relays until the command exits (status %d)", status);
	ok(read_file(path_in("sh.out"), &got) == 0 && strcmp(buf_cstr(&got), "abc\n") == 0,
	   "ssh_shell: stdin reaches the command, its stdout comes back");
	ok(read_file(path_in("sh.err"), &got) == 0 && strcmp(buf_cstr(&got), "e\n") == 0,
	   "ssh_shell: its stderr comes back on stderr");
	/* Megabytes both ways at once: windows fill up, writes wait. */
	rc = shell_with(s, "tee /dev/stderr | sha256sum", path_in("up.bin"), path_in("sh.out"),
	                path_in("sh.err"), &status, &err);
	ok(rc == 0 && status == 0, "ssh_shell: 1 MiB in, 1 MiB back on stderr");
	ok(read_file(path_in("sh.err"), &got) == 0 && got.len == (1 << 20) &&
	       memcmp(got.data, blob, 1 << 20) == 0,
	   "... byte-exact");
	snprintf(cmd, sizeof(cmd), "sha256sum < '%s'", path_in("up.bin"));
	run_line(cmd, sum, sizeof(sum));
	ok(read_file(path_in("sh.out"), &got) == 0 && strlen(sum) > 64 &&
	       strncmp(buf_cstr(&got), sum, 64) == 0,
	   "... and the command saw every byte");
	free(blob);
	ssh_close(s);
	s = NULL;
	ssh_close(NULL);
	test_pty(&o);

	/* Commands left running by timeouts: up to 8 are tolerated, then reconnect. */
	rc = ssh_connect(&o, &s, &err);
	ok(rc == 0, "connect again");
	if (s) {
		ssh_set_timeout(s, 100);
		for (i = 0; i < 9; i++)
			rc = ssh_exec(s, "sleep 3", NULL, NULL, &status, &err);
		ok(rc < 0 && strstr(err.msg, "timed out"), "nine timeouts in a row");
		ssh_set_timeout(s, 2000);
		rc = ssh_exec(s, "true", NULL, NULL, &status, &err);
		ok(rc < 0 && strstr(err.msg, "reconnect"), "then the session must be replaced: %s",
		   err.msg);
		t0 = now_ms();
		ssh_close(s);
		s = NULL;
		ok(now_ms() - t0 < 1000, "and closes at once (%ld ms)", now_ms() - t0);
	}
	log_since(0, &log);
	ok(strstr(buf_cstr(&log), "Accepted publickey for"), "sshd logged the publickey login");

	/* ---- wrong pinned host key: no authentication tried ---- */
	off = log_size();
	o.host_fingerprint = other_fp;
	rc = ssh_connect(&o, &s, &err);
	ok(rc < 0 && !s, "a wrong pinned fingerprint fails");
	kind_is(&err, ERRK_DENIED, "... of kind denied (not worth trying again)");
	ok(strstr(err.msg, "host key mismatch for 127.0.0.1:") && strstr(err.msg, other_fp) &&
	       strstr(err.msg, fp) && strstr(err.msg, "ftboot down"),
	   "... naming both fingerprints and what to do: %s", err.msg);
	log_since(off, &log);
	ok(strstr(buf_cstr(&log), "Connection from 127.0.0.1") != NULL, "sshd saw that connection");
	ok(!strstr(buf_cstr(&log), "userauth-request") && !strstr(buf_cstr(&log), "publickey"),
	   "... and no authentication attempt");
	o.host_fingerprint = "SHA256:short";
	rc = ssh_connect(&o, &s, &err);
	ok(rc < 0 && strstr(err.msg, "bad pinned host fingerprint"),
	   "a malformed pin is refused: %s", err.msg);
	kind_is(&err, ERRK_INVALID, "... of kind invalid");
	o.host_fingerprint = NULL;
	rc = ssh_connect(&o, &s, &err);
	ok(rc < 0, "the pin is required");
	kind_is(&err, ERRK_INVALID, "... of kind invalid");
	o.host_fingerprint = fp;

	/* ---- wrong user key ---- */
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' -f '%s/other' </dev/null", dir);
	ok(system(cmd) == 0, "another user key made");
	o.key_file = path_in("other");
	rc = ssh_connect(&o, &s, &err);
	ok(rc < 0 && !s, "a key the server does not know fails");
	kind_is(&err, ERRK_DENIED, "... of kind denied");
	ok(strstr(err.msg, "log in as '") && strstr(err.msg, "does not accept this key"),
	   "... saying: %s", err.msg);
	o.key_file = path_in("nonexistent");
	rc = ssh_connect(&o, &s, &err);
	ok(rc < 0 && strstr(err.msg, "cannot read SSH key"), "a missing key file: %s", err.msg);
	kind_is(&err, ERRK_NOTFOUND, "... of kind not found");
	is_int(err.errnum, ENOENT, "... errno ENOENT");
	fd = open(path_in("garbage"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, "not a key\n", 10) == 10, "garbage key written");
	close(fd);
	o.key_file = path_in("garbage");
	rc = ssh_connect(&o, &s, &err);
	ok(rc < 0, "a key file that is no key: %s", err.msg);
	kind_is(&err, ERRK_INVALID, "... of kind invalid");
	o.key_file = key;

	/*
	 * ---- password logins (key_file NULL) ----
	 * This sshd offers publickey only; a password login that succeeds
	 * is covered by tests/integration/check_ssh_ftps.sh (a user with a
	 * password needs a private /etc).
	 */
	{
		int refused = -1;

		o.key_file = NULL;
		o.password = NULL;
		rc = ssh_connect(&o, &s, &err);
		ok(rc < 0 && strstr(err.msg, "a key file or password are required"),
		   "neither key nor password: %s", err.msg);
		kind_is(&err, ERRK_INVALID, "... of kind invalid");
		o.password = "not-a-real-pw-4711";
		o.login_refused = &refused;
		off = log_size();
		rc = ssh_connect(&o, &s, &err);
		ok(rc < 0 && !s && strstr(err.msg, "the server offers no password login") &&
		       strstr(err.msg, "publickey") && strstr(err.msg, "PasswordAuthentication"),
		   "a password to a server without password logins: %s", err.msg);
		kind_is(&err, ERRK_DENIED, "... of kind denied");
		is_int(refused, 1, "... a refused login (the host key matched)");
		ok(!strstr(err.msg, "not-a-real-pw-4711"), "... the password in no message");
		log_since(off, &log);
		ok(!strstr(buf_cstr(&log), "password for"), "... and never sent");
		o.host_fingerprint = other_fp;
		rc = ssh_connect(&o, &s, &err);
		ok(rc < 0 && err.kind == ERRK_DENIED && refused == 0 &&
		       strstr(err.msg, "host key mismatch"),
		   "a host key mismatch is denied but no refused login: %s", err.msg);
		o.host_fingerprint = fp;
		o.password = NULL;
		o.key_file = path_in("other");
		rc = ssh_connect(&o, &s, &err);
		ok(rc < 0 && err.kind == ERRK_DENIED && refused == 1,
		   "a refused key is a refused login");
		o.key_file = key;
		o.login_refused = NULL;
	}

	/* ---- nobody there ---- */
	ok(loopback(0, &lport) == -2, "a closed port found (%d)", lport);
	o.port = lport;
	t0 = now_ms();
	rc = ssh_connect(&o, &s, &err);
	dt = now_ms() - t0;
	ok(rc < 0, "a closed port fails");
	kind_is(&err, ERRK_TRANSIENT, "... of kind transient");
	is_int(err.errnum, ECONNREFUSED, "... errno ECONNREFUSED");
	ok(strstr(err.msg, "cannot connect to 127.0.0.1:") && strstr(err.msg, "refused"),
	   "... saying: %s", err.msg);
	ok(dt < 1000, "... at once (%ld ms)", dt);

	/* A port that accepts (the kernel does) but never speaks. */
	fd = loopback(1, &lport);
	ok(fd >= 0, "a silent listener on %d", lport);
	stalled(&o, lport, "no SSH banner within 700 ms", "a silent peer");
	close(fd);

	/* A peer that accepts, sends its banner, then never answers the key exchange. */
	fd = loopback(1, &lport);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		static const char banner[] = "SSH-2.0-stall\r\n";
		int c = accept(fd, NULL, NULL);

		if (c >= 0 && write(c, banner, sizeof(banner) - 1) > 0)
			pause();
		_exit(0);
	}
	stalled(&o, lport, "no answer to the key exchange within 700 ms",
	        "a peer that stalls after its banner");
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	close(fd);

	/* A peer that accepts and hangs up (sshd not ready in a booting VM). */
	fd = loopback(1, &lport);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		for (;;) {
			int c = accept(fd, NULL, NULL);
			if (c >= 0)
				close(c);
		}
	}
	o.port = lport;
	o.timeout_ms = 3000;
	t0 = now_ms();
	rc = ssh_connect(&o, &s, &err);
	dt = now_ms() - t0;
	ok(rc < 0, "a peer that hangs up fails");
	kind_is(&err, ERRK_TRANSIENT, "... of kind transient");
	ok(strstr(err.msg, "SSH handshake with 127.0.0.1:"), "... saying: %s", err.msg);
	ok(dt < 2000, "... at once (%ld ms)", dt);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	close(fd);

	test_no_sftp("/nonexistent/sftp-server", "sshd-missing", pw);
	test_no_sftp("none", "sshd-none", pw);

	buf_release(&out);
	buf_release(&errout);
	buf_release(&got);
	buf_release(&log);
	buf_release(&small);
	return tap_done();
}
