/*
 * fs: bounded reads, atomic writes, directory trees, lexical path
 * cleaning. Every error names the path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "xmem.h"

const char *fs_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

int fs_read(const char *path, size_t limit, struct buf *out, struct err *err)
{
	char chunk[65536];
	size_t total = 0;
	ssize_t n;
	struct stat sb;
	int fd, rc = -1;

	/*
	 * O_NONBLOCK: opening a FIFO must not wait for a writer. The file is
	 * then refused unless it is regular, where O_NONBLOCK changes nothing.
	 */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, errno, "cannot read '%s'", path);
	if (fstat(fd, &sb) < 0) {
		err_sys(err, errno, "cannot read '%s'", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		err_set(err, ERR_FAIL,
		        "cannot read '%s': it is %s, not a regular file; name a file", path,
		        fs_kind(sb.st_mode));
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_sys(err, errno, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > limit || buf_add(out, chunk, (size_t)n) < 0) {
			err_set(err, ERR_FAIL, "cannot read '%s': larger than %zu bytes", path,
			        limit);
			goto out;
		}
	}
	rc = 0;
out:
	/* The file may be a secret or a key: leave none of it on the stack. */
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

int fs_fsync_dir(const char *path)
{
	char *dir = path_dir(path);
	int fd, rc = -1, saved = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		saved = errno;
		close(fd);
	} else {
		saved = errno;
	}
	free(dir);
	errno = saved;
	return rc;
}

int fs_read_private(const char *path, size_t limit, const char *what, int flags, char **out,
                    struct err *err)
{
	struct buf b = BUF_INIT(limit);
	struct err ignored;
	struct stat sb;

	*out = NULL;
	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(err, errno, "cannot use '%s'", path);
	}
	if (!S_ISREG(sb.st_mode))
		return err_setk(err, ERRK_INVALID,
		                "cannot use '%s': it is %s where ftboot keeps %s; remove it and "
		                "run again (ftboot makes the file)",
		                path, fs_kind(sb.st_mode), what);
	if ((flags & FS_PRIVATE_FIX) && (sb.st_mode & 07777) != 0600 && chmod(path, 0600) < 0)
		return err_sys(err, errno, "cannot make '%s' private (0600)", path);
	if (fs_read(path, limit, &b, (flags & FS_PRIVATE_REMAKE) ? &ignored : err) < 0) {
		buf_reset(&b);
		buf_release(&b);
		return (flags & FS_PRIVATE_REMAKE) ? 0 : -1;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int excl,
                    struct err *err)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd = -1, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		goto syserr;
	if (fchmod(fd, mode) < 0)
		goto syserr;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto syserr;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0)
		goto syserr;
	if (close(fd) < 0) {
		fd = -1;
		goto syserr;
	}
	fd = -1;
	if (excl) {
		/* link(2) fails if path exists: create-once without a race. */
		if (link(tmp, path) < 0)
			goto syserr;
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		goto syserr;
	}
	fs_fsync_dir(path);
	rc = 0;
	goto out;
syserr:
	err_sys(err, errno, "cannot write '%s'", path);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	return rc;
}

int fs_mkdirs(const char *path, mode_t mode, struct err *err)
{
	char *p = xstrdup(path);
	char *s = p;
	int rc = -1;

	while (*s == '/')
		s++;
	for (;;) {
		char *slash = strchr(s, '/');

		if (slash)
			*slash = '\0';
		if (*p && mkdir(p, mode) < 0) {
			struct stat st;

			if (errno != EEXIST) {
				err_sys(err, errno, "cannot create directory '%s'", p);
				goto out;
			}
			/* Something is there: fine if it is a directory (or a link to one). */
			if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
				err_set(err, ERR_FAIL,
				        "cannot create directory '%s': it exists and is not a "
				        "directory",
				        p);
				goto out;
			}
		}
		if (!slash)
			break;
		*slash = '/';
		s = slash + 1;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

static int fs_remove_at(int at, const char *name, const char *shown, struct err *err)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0, unlink_errno;

	if (unlinkat(at, name, 0) == 0 || errno == ENOENT)
		return 0;
	/* A directory gives EISDIR (Linux) or EPERM (POSIX); so may a file that cannot go. */
	unlink_errno = errno;
	if (unlink_errno != EISDIR && unlink_errno != EPERM)
		return err_sys(err, unlink_errno, "cannot remove '%s'", shown);
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, errno == ENOTDIR || errno == ELOOP ? unlink_errno : errno,
		               "cannot remove '%s'", shown);
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return err_sys(err, errno, "cannot remove '%s'", shown);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", shown, de->d_name);
		rc = fs_remove_at(dirfd(d), de->d_name, sub, err);
		free(sub);
	}
	closedir(d);
	if (rc == 0 && unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return err_sys(err, errno, "cannot remove '%s'", shown);
	return rc;
}

int fs_remove_tree(const char *path, struct err *err)
{
	return fs_remove_at(AT_FDCWD, path, path, err);
}

int fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

char *path_clean(const char *p)
{
	size_t n = strlen(p), w = 0, keep = 0, i = 0;
	char *out = xmalloc(n + 2);
	int rooted = p[0] == '/';

	/*
	 * out holds the cleaned prefix; keep is the length of the part that
	 * ".." must not eat: "/" when rooted, or a run of leading "../".
	 */
	if (rooted)
		out[w++] = '/', keep = 1;
	while (i < n) {
		size_t j = i, len;

		while (j < n && p[j] != '/')
			j++;
		len = j - i;
		if (len == 0 || (len == 1 && p[i] == '.')) {
			/* skip empty and "." components */
		} else if (len == 2 && p[i] == '.' && p[i + 1] == '.') {
			if (w > keep) {
				while (w > keep && out[w - 1] != '/')
					w--;
				if (w > keep)
					w--; /* the slash before the eaten component */
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				keep = w;
			}
		} else {
			if (w > 0 && out[w - 1] != '/')
				out[w++] = '/';
			memcpy(out + w, p + i, len);
			w += len;
		}
		i = j + 1;
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

char *path_join(const char *a, const char *b)
{
	char *j, *c;

	if (b[0] == '/' || a[0] == '\0')
		return path_clean(b);
	j = xasprintf("%s/%s", a, b);
	c = path_clean(j);
	free(j);
	return c;
}

char *path_dir(const char *p)
{
	const char *slash = strrchr(p, '/');
	char *d, *c;

	if (slash == NULL)
		return xstrdup(".");
	if (slash == p)
		return xstrdup("/");
	d = xstrndup(p, (size_t)(slash - p));
	c = path_clean(d);
	free(d);
	return c;
}

const char *path_base(const char *p)
{
	const char *slash = strrchr(p, '/');

	return slash ? slash + 1 : p;
}
