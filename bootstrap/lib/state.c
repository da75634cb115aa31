/*
 * state: where a stack's private directory is, its permissions (0700,
 * owned by us, not a symlink), the flock(2) lock that keeps two ftboot
 * processes off one stack (with who holds it written inside), and the
 * generated secrets under secrets/ and the VM's UUID in vm-uuid (0600,
 * created once, never replaced).
 *
 * The lock is flock on <dir>/lock, which belongs to an open file
 * description: the kernel drops it when the holder exits, however it
 * exits. This process's locks are kept in a small table so that a second
 * struct state of the same stack shares the lock (dup) instead of
 * reporting itself as busy.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "state.h"
#include "xmem.h"

#define STATE_STACK_MAX       63
#define STATE_SECRET_NAME_MAX 64
#define STATE_SECRET_LEN      24
#define STATE_SECRET_FILE_MAX 4096
#define STATE_COMMAND_MAX     64
#define STATE_LOCK_INFO_MAX   512

static const char state_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/*
 * The lock fds this process holds (see the comment at the top), with the
 * pid that took each: a child forked since is another process.
 */
struct state_held {
	int fd;
	pid_t pid;
};
static struct state_held *state_held;
static size_t state_nheld;

/* 1 if s is 1..max characters, each a-z, 0-9 or the one extra character. */
static int state_name_ok(const char *s, size_t max, char extra)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= max)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == extra))
			return 0;
	}
	return i > 0;
}

/* 1 if s is short and printable enough to be quoted in a message. */
static int state_quotable(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= 128 || s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* s as one shell word: 'a'\''b'. Caller owns the result. */
static char *state_shquote(const char *s)
{
	struct buf b = BUF_INIT((size_t)-1);

	buf_addch(&b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_addstr(&b, "'\\''");
		else
			buf_addch(&b, *s);
	}
	buf_addch(&b, '\'');
	return buf_detach(&b, NULL);
}

int state_dir_for(const char *stack, char **out, struct err *err)
{
	const char *env;
	char *base;

	*out = NULL;
	if (!state_name_ok(stack, STATE_STACK_MAX, '-')) {
		if (state_quotable(stack))
			return err_set(
			    err, ERR_USAGE,
			    "invalid stack name '%s': use 1 to %d characters of a-z, 0-9 "
			    "and '-'",
			    stack, STATE_STACK_MAX);
		return err_set(err, ERR_USAGE,
		               "invalid stack name: use 1 to %d characters of a-z, 0-9 and '-'",
		               STATE_STACK_MAX);
	}
	env = getenv("FTBOOT_STATE_DIR");
	if (env && *env) {
		*out = path_join(env, stack);
		return 0;
	}
	/* XDG: a relative path in these variables is invalid and ignored. */
	env = getenv("XDG_STATE_HOME");
	if (env && env[0] == '/') {
		base = path_join(env, "ftboot");
		*out = path_join(base, stack);
		free(base);
		return 0;
	}
	env = getenv("HOME");
	if (env == NULL || *env == '\0')
		return err_set(err, ERR_FAIL,
		               "cannot find the state directory of stack '%s': HOME is not set; "
		               "set HOME, or FTBOOT_STATE_DIR to a directory for ftboot's state",
		               stack);
	if (env[0] != '/')
		return err_set(err, ERR_FAIL,
		               "cannot find the state directory of stack '%s': HOME '%s' is not an "
		               "absolute path; fix HOME, or set FTBOOT_STATE_DIR",
		               stack, env);
	base = path_join(env, ".local/state/ftboot");
	*out = path_join(base, stack);
	free(base);
	return 0;
}

/*
 * Check that path, if it exists, is a real directory of ours that nobody
 * else can enter. *exists tells whether it does. what names it ("state
 * directory") in messages.
 */
static int state_check_dir(const char *what, const char *path, int *exists, struct err *err)
{
	struct stat sb;
	char *q = NULL;
	int rc = -1;

	*exists = 0;
	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(err, errno, "cannot use %s '%s'", what, path);
	}
	q = state_shquote(path);
	if (S_ISLNK(sb.st_mode)) {
		err_set(err, ERR_FAIL,
		        "%s '%s' is a symbolic link, which ftboot does not follow; "
		        "replace it with a real directory (mode 0700)",
		        what, path);
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		err_set(err, ERR_FAIL, "%s '%s' is not a directory; move it away", what, path);
		goto out;
	}
	if (sb.st_uid != geteuid()) {
		err_set(err, ERR_FAIL,
		        "%s '%s' belongs to uid %lu, not to you (uid %lu); run ftboot as its "
		        "owner, or run: chown -R %lu %s",
		        what, path, (unsigned long)sb.st_uid, (unsigned long)geteuid(),
		        (unsigned long)geteuid(), q);
		goto out;
	}
	if (sb.st_mode & 077) {
		err_set(err, ERR_FAIL,
		        "%s '%s' is accessible by others (mode %04o); run: chmod 700 %s", what,
		        path, (unsigned)(sb.st_mode & 07777), q);
		goto out;
	}
	*exists = 1;
	rc = 0;
out:
	free(q);
	return rc;
}

/*
 * mkdir path 0700 if missing. A directory we create gets exactly 0700,
 * whatever the umask. Its parent must exist.
 */
static int state_mkdir(const char *what, const char *path, struct err *err)
{
	int fd;

	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return 0;
		return err_sys(err, errno, "cannot create %s '%s'", what, path);
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, errno, "cannot open %s '%s'", what, path);
	if (fchmod(fd, 0700) < 0) {
		int e = errno;

		close(fd);
		return err_sys(err, e, "cannot set the mode of %s '%s'", what, path);
	}
	close(fd);
	return 0;
}

int state_open(struct state *st, const char *stack, int create, struct err *err)
{
	char *dir = NULL, *parent = NULL;
	int exists, rc = -1;

	st->stack = NULL;
	st->dir = NULL;
	st->lock_fd = -1;
	if (state_dir_for(stack, &dir, err) < 0)
		goto out;
	if (create) {
		parent = path_dir(dir);
		if (fs_mkdirs(parent, 0700, err) < 0)
			goto out;
		if (state_mkdir("state directory", dir, err) < 0)
			goto out;
	}
	if (state_check_dir("state directory", dir, &exists, err) < 0)
		goto out;
	st->stack = xstrdup(stack);
	st->dir = dir;
	dir = NULL;
	rc = 0;
out:
	free(dir);
	free(parent);
	return rc;
}

int state_exists(const struct state *st)
{
	struct stat sb;

	return st->dir && lstat(st->dir, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void state_held_add(int fd)
{
	state_held = xreallocarray(state_held, state_nheld + 1, sizeof(*state_held));
	state_held[state_nheld].fd = fd;
	state_held[state_nheld++].pid = getpid();
}

/* Forget fd; 1 if it was one of ours. */
static int state_held_del(int fd)
{
	size_t i;

	for (i = 0; i < state_nheld; i++) {
		if (state_held[i].fd != fd)
			continue;
		state_held[i] = state_held[--state_nheld];
		if (state_nheld == 0) {
			free(state_held);
			state_held = NULL;
		}
		return 1;
	}
	return 0;
}

/* A lock fd this process took on the same file as sb, or -1. */
static int state_held_find(const struct stat *sb)
{
	pid_t self = getpid();
	struct stat hs;
	size_t i;

	for (i = 0; i < state_nheld; i++)
		if (state_held[i].pid == self && fstat(state_held[i].fd, &hs) == 0 &&
		    hs.st_dev == sb->st_dev && hs.st_ino == sb->st_ino)
			return state_held[i].fd;
	return -1;
}

static void state_unlock(struct state *st)
{
	if (st->lock_fd >= 0 && state_held_del(st->lock_fd))
		close(st->lock_fd);
	st->lock_fd = -1;
}

static int state_pwrite_all(int fd, const char *p, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Value of "key=" in the holder's record, if printable; NULL if absent. */
static char *state_info_field(const char *info, const char *key, size_t max)
{
	size_t klen = strlen(key), n, i;
	const char *p = info;

	while (*p) {
		const char *eol = strchr(p, '\n');

		if (eol == NULL)
			break; /* an unfinished line: the holder is still writing */
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1;

			n = (size_t)(eol - v);
			if (n == 0 || n > max)
				return NULL;
			for (i = 0; i < n; i++)
				if (v[i] < 0x20 || v[i] > 0x7e)
					return NULL;
			return xstrndup(v, n);
		}
		p = eol + 1;
	}
	return NULL;
}

/*
 * The lock is taken: say who has it. Its holder writes its record just
 * after taking the lock, so give it a moment if the record is not there.
 */
static int state_busy(const struct state *st, int fd, const char *path, struct err *err)
{
	char info[STATE_LOCK_INFO_MAX];
	char *pid = NULL, *cmd = NULL, *since = NULL, *q;
	int tries;

	for (tries = 0; tries < 20; tries++) {
		ssize_t n = pread(fd, info, sizeof(info) - 1, 0);
		long v;
		char *end;

		free(pid);
		free(cmd);
		free(since);
		pid = cmd = since = NULL;
		if (n < 0 && errno == EINTR)
			continue;
		info[n > 0 ? n : 0] = '\0';
		pid = state_info_field(info, "pid", 10);
		cmd = state_info_field(info, "command", STATE_COMMAND_MAX);
		since = state_info_field(info, "since", 32);
		if (pid) {
			errno = 0;
			v = strtol(pid, &end, 10);
			if (errno || *end || v <= 0 || v > INT_MAX) {
				free(pid);
				pid = NULL;
			}
		}
		if (pid && cmd && since)
			break;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	if (pid && cmd && since) {
		err_set(err, ERR_BUSY,
		        "stack '%s' is busy: 'ftboot %s' (pid %s) has held it since %s; "
		        "wait for it to finish, or stop it",
		        st->stack, cmd, pid, since);
	} else {
		q = state_shquote(path);
		err_set(err, ERR_BUSY,
		        "stack '%s' is busy: another ftboot holds its lock; wait for it to finish, "
		        "or stop it (fuser -v %s shows it)",
		        st->stack, q);
		free(q);
	}
	free(pid);
	free(cmd);
	free(since);
	return -1;
}

/* Write who holds the lock into it. */
static int state_lock_record(int fd, const char *path, const char *what, struct err *err)
{
	char since[32], rec[STATE_LOCK_INFO_MAX];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return err_set(err, ERR_FAIL, "cannot format the current time");
	n = snprintf(rec, sizeof(rec), "pid=%ld\ncommand=%s\nsince=%s\n", (long)getpid(), what,
	             since);
	if (n < 0 || (size_t)n >= sizeof(rec))
		return err_set(err, ERR_FAIL, "lock record for '%s' is too long", path);
	if (ftruncate(fd, 0) < 0 || state_pwrite_all(fd, rec, (size_t)n, 0) < 0)
		return err_sys(err, errno, "cannot write lock file '%s'", path);
	return 0;
}

int state_lock(struct state *st, const char *what, struct err *err)
{
	struct stat sb, now;
	char *path = NULL;
	int fd = -1, held, tries, rc = -1;
	size_t i;

	if (st->lock_fd >= 0)
		return 0;
	for (i = 0; what[i]; i++)
		if (what[i] < 0x20 || what[i] > 0x7e)
			break;
	if (i == 0 || what[i] || i > STATE_COMMAND_MAX)
		return err_set(err, ERR_FAIL, "cannot lock stack '%s': invalid command name",
		               st->stack);
	path = path_join(st->dir, "lock");
	/*
	 * The lock file may be removed (state_destroy) between our open and
	 * our flock: then we hold a lock nobody else sees. Check that the
	 * path still names the file we locked, and start again if not.
	 */
	for (tries = 0;; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno == ENOENT)
				err_set(err, ERR_FAIL,
				        "cannot lock stack '%s': its state directory '%s' does not "
				        "exist",
				        st->stack, st->dir);
			else
				err_sys(err, errno, "cannot open lock file '%s'", path);
			goto out;
		}
		if (fstat(fd, &sb) < 0) {
			err_sys(err, errno, "cannot open lock file '%s'", path);
			goto out;
		}
		if (!S_ISREG(sb.st_mode)) {
			err_set(err, ERR_FAIL, "lock file '%s' is not a regular file; remove it",
			        path);
			goto out;
		}
		held = state_held_find(&sb);
		if (held >= 0) {
			/* This process holds it already: share it. */
			close(fd);
			fd = fcntl(held, F_DUPFD_CLOEXEC, 0);
			if (fd < 0) {
				err_sys(err, errno, "cannot share lock '%s'", path);
				goto out;
			}
			state_held_add(fd);
			st->lock_fd = fd;
			fd = -1;
			rc = 0;
			goto out;
		}
		while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EWOULDBLOCK)
				state_busy(st, fd, path, err);
			else
				err_sys(err, errno, "cannot lock '%s'", path);
			goto out;
		}
		if (lstat(path, &now) == 0 && now.st_dev == sb.st_dev && now.st_ino == sb.st_ino)
			break;
		close(fd);
		fd = -1;
		if (tries == 10) {
			err_set(err, ERR_FAIL, "cannot lock '%s': it keeps being replaced", path);
			goto out;
		}
	}
	if ((sb.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0) {
		err_sys(err, errno, "cannot set the mode of lock file '%s'", path);
		goto out;
	}
	if (state_lock_record(fd, path, what, err) < 0)
		goto out;
	state_held_add(fd);
	st->lock_fd = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

void state_close(struct state *st)
{
	if (st == NULL)
		return;
	state_unlock(st);
	free(st->stack);
	free(st->dir);
	st->stack = NULL;
	st->dir = NULL;
}

/* n bytes from getrandom(2) (what: what they are for, in messages). */
static int state_random_bytes(unsigned char *out, size_t n, const char *what, struct err *err)
{
	size_t have = 0;
	ssize_t r;

	while (have < n) {
		r = getrandom(out + have, n - have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_sys(err, errno, "cannot generate %s: getrandom", what);
		have += (size_t)r;
	}
	return 0;
}

/* n characters of state_alphabet, uniformly, from getrandom(2). */
static int state_random(char *out, size_t n, struct err *err)
{
	unsigned char pool[64];
	size_t have = sizeof(pool), used = sizeof(pool), w = 0;

	/*
	 * 248 = 4 * 62: a byte below it maps to each of the 62 characters
	 * from exactly 4 values; bytes from 248 up are thrown away, so there
	 * is no modulo bias.
	 */
	while (w < n) {
		if (used == have) {
			if (state_random_bytes(pool, sizeof(pool), "a secret", err) < 0) {
				explicit_bzero(out, w);
				return -1;
			}
			used = 0;
			continue;
		}
		if (pool[used] < 248)
			out[w++] = state_alphabet[pool[used] % 62];
		used++;
	}
	explicit_bzero(pool, sizeof(pool));
	return 0;
}

/*
 * Read the one-line value file path (what: "secret", "vm UUID") into
 * *value. Returns 1 if read, 0 if it does not exist, -1 on error.
 * Messages never show the value.
 */
static int state_value_read(const char *path, const char *what, char **value, struct err *err)
{
	struct buf b = BUF_INIT(STATE_SECRET_FILE_MAX);
	struct stat sb;
	size_t i;
	int rc = -1;

	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(err, errno, "cannot read %s file '%s'", what, path);
	}
	if (!S_ISREG(sb.st_mode))
		return err_set(err, ERR_FAIL,
		               "%s file '%s' is not a regular file; delete it to generate a "
		               "new %s",
		               what, path, what);
	if (sb.st_size > STATE_SECRET_FILE_MAX)
		return err_set(err, ERR_FAIL,
		               "%s file '%s' is larger than %d bytes; delete it to generate a "
		               "new %s",
		               what, path, STATE_SECRET_FILE_MAX, what);
	if (fs_read(path, STATE_SECRET_FILE_MAX, &b, err) < 0)
		goto out;
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	if (b.len == 0) {
		err_set(err, ERR_FAIL, "%s file '%s' is empty; delete it to generate a new %s",
		        what, path, what);
		goto out;
	}
	for (i = 0; i < b.len; i++) {
		if (b.data[i] < 0x20 || b.data[i] > 0x7e) {
			err_set(err, ERR_FAIL,
			        "%s file '%s' holds a character that is not printable (byte "
			        "%zu); fix it, or delete it to generate a new %s",
			        what, path, i + 1, what);
			goto out;
		}
	}
	*value = buf_detach(&b, NULL);
	rc = 1;
out:
	if (b.data)
		explicit_bzero(b.data, b.cap);
	buf_release(&b);
	return rc;
}

/*
 * Write the generated value gen[0..len) (ending in a newline) to path
 * once: whoever links first wins, and a loser reads the winner's value.
 * *value is the value in force, without the newline.
 */
static int state_value_once(const char *path, const char *what, const char *gen, size_t len,
                            char **value, struct err *err)
{
	int r;

	if (fs_write_atomic(path, gen, len, 0600, 1, err) == 0) {
		*value = xstrndup(gen, len - 1);
		return 0;
	}
	if (err->kind != ERRK_EXISTS)
		return -1;
	r = state_value_read(path, what, value, err);
	if (r == 0)
		err_set(err, ERR_FAIL, "%s file '%s' vanished while being created", what, path);
	return r > 0 ? 0 : -1;
}

int state_secret(struct state *st, const char *name, char **value, struct err *err)
{
	char gen[STATE_SECRET_LEN + 1];
	char *sdir = NULL, *path = NULL;
	int exists, r, rc = -1;

	*value = NULL;
	if (!state_name_ok(name, STATE_SECRET_NAME_MAX, '_')) {
		if (state_quotable(name))
			return err_set(
			    err, ERR_FAIL,
			    "invalid secret name '%s': use 1 to %d characters of a-z, 0-9 "
			    "and '_'",
			    name, STATE_SECRET_NAME_MAX);
		return err_set(err, ERR_FAIL,
		               "invalid secret name: use 1 to %d characters of a-z, 0-9 and '_'",
		               STATE_SECRET_NAME_MAX);
	}
	if (!state_exists(st))
		return err_set(
		    err, ERR_FAIL,
		    "cannot get secret '%s': the state directory '%s' of stack '%s' does "
		    "not exist",
		    name, st->dir ? st->dir : "", st->stack ? st->stack : "");
	sdir = path_join(st->dir, "secrets");
	if (state_mkdir("secrets directory", sdir, err) < 0)
		goto out;
	if (state_check_dir("secrets directory", sdir, &exists, err) < 0)
		goto out;
	path = path_join(sdir, name);
	r = state_value_read(path, "secret", value, err);
	if (r != 0) {
		rc = r < 0 ? -1 : 0;
		goto out;
	}
	if (state_random(gen, STATE_SECRET_LEN, err) < 0)
		goto out;
	gen[STATE_SECRET_LEN] = '\n';
	rc = state_value_once(path, "secret", gen, sizeof(gen), value, err);
out:
	explicit_bzero(gen, sizeof(gen));
	free(sdir);
	free(path);
	return rc;
}

/* 1 if s is a UUID in libvirt's string form: 8-4-4-4-12 lowercase hex digits. */
static int state_uuid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != STATE_UUID_LEN)
		return 0;
	for (i = 0; i < STATE_UUID_LEN; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
		                                              : !strchr("0123456789abcdef", s[i]))
			return 0;
	return 1;
}

int state_vm_uuid(struct state *st, char out[STATE_UUID_LEN + 1], struct err *err)
{
	unsigned char b[16];
	char gen[STATE_UUID_LEN + 2];
	char *path = NULL, *value = NULL;
	int r, rc = -1;

	if (!state_exists(st))
		return err_set(err, ERR_FAIL,
		               "cannot get the vm UUID: the state directory '%s' of stack '%s' "
		               "does not exist",
		               st->dir ? st->dir : "", st->stack ? st->stack : "");
	path = path_join(st->dir, "vm-uuid");
	r = state_value_read(path, "vm UUID", &value, err);
	if (r < 0)
		goto out;
	if (r == 0) {
		if (state_random_bytes(b, sizeof(b), "a vm UUID", err) < 0)
			goto out;
		b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4: random */
		b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
		snprintf(gen, sizeof(gen),
		         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n",
		         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		         b[12], b[13], b[14], b[15]);
		if (state_value_once(path, "vm UUID", gen, STATE_UUID_LEN + 1, &value, err) < 0)
			goto out;
	}
	if (!state_uuid_ok(value)) {
		err_set(err, ERR_FAIL,
		        "vm UUID file '%s' holds no UUID (want 8-4-4-4-12 lowercase hex digits); "
		        "run 'ftboot down' and delete it",
		        path);
		goto out;
	}
	memcpy(out, value, STATE_UUID_LEN + 1);
	rc = 0;
out:
	free(path);
	free(value);
	return rc;
}

int state_set_vm_uuid(struct state *st, const char *uuid, struct err *err)
{
	char line[STATE_UUID_LEN + 2];
	char *path;
	int rc;

	if (!state_uuid_ok(uuid))
		return err_setk(err, ERRK_INVALID,
		                "cannot keep '%.40s' as the vm UUID: want 8-4-4-4-12 lowercase hex "
		                "digits",
		                uuid);
	snprintf(line, sizeof(line), "%s\n", uuid);
	path = path_join(st->dir, "vm-uuid");
	rc = fs_write_atomic(path, line, STATE_UUID_LEN + 1, 0600, 0, err);
	free(path);
	return rc;
}

int state_destroy(struct state *st, struct err *err)
{
	int rc;

	if (st->dir == NULL)
		return err_set(err, ERR_FAIL, "cannot remove the state of a stack not opened");
	/*
	 * Remove the tree while still holding the lock, then let it go: a
	 * process that tries to take it meanwhile is told the stack is busy
	 * rather than winning a lock on a directory about to vanish.
	 */
	rc = fs_remove_tree(st->dir, err);
	state_unlock(st);
	return rc;
}

char *state_lock_field(const char *record, const char *key, size_t max)
{
	return state_info_field(record, key, max);
}

int state_secret_peek(const struct state *st, const char *name, char **value, struct err *err)
{
	char *path;
	int r;

	*value = NULL;
	if (!state_name_ok(name, STATE_SECRET_NAME_MAX, '_'))
		return err_set(err, ERR_FAIL,
		               "invalid secret name: use 1 to %d characters of a-z, 0-9 and '_'",
		               STATE_SECRET_NAME_MAX);
	if (!state_exists(st))
		return 0;
	path = xasprintf("%s/secrets/%s", st->dir, name);
	r = state_value_read(path, "secret", value, err);
	free(path);
	return r;
}
