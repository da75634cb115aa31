/*
 * fs: file and path helpers with ftboot's error type: bounded reads,
 * atomic writes with a given mode, private directories, lexical paths.
 */
#ifndef FTBOOT_FS_H
#define FTBOOT_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

/*
 * Read all of path into out (appending), refusing files over limit bytes
 * and anything but a regular file (a FIFO, directory or device would
 * block or never end), without waiting on it.
 */
int fs_read(const char *path, size_t limit, struct buf *out, struct err *err);

/*
 * A private file ftboot keeps (a key, a certificate) into *out (a string
 * the caller frees, wiping it), NULL if path is missing. Anything but a
 * regular file there is an error naming what ftboot keeps there (what:
 * "a service key"). With FS_PRIVATE_FIX, a mode other than 0600 is put
 * back to 0600. With FS_PRIVATE_REMAKE, a file that cannot be read is
 * *out NULL (the caller makes it again) rather than an error; without it,
 * such a file must not be replaced, and is an error.
 */
enum { FS_PRIVATE_FIX = 1, FS_PRIVATE_REMAKE = 2 };
int fs_read_private(const char *path, size_t limit, const char *what, int flags, char **out,
                    struct err *err);

/*
 * Write data to path atomically: a temporary file in the same directory
 * with the given mode, fsync, rename over path, fsync the directory.
 * With excl, fail rather than replace an existing file: err->kind
 * ERRK_EXISTS (err->errnum EEXIST). Every failure keeps its errno in
 * err->errnum.
 */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int excl,
                    struct err *err);

/*
 * fsync the directory holding path, so a rename or create in it is
 * durable. 0, or -1 with errno set.
 */
int fs_fsync_dir(const char *path);

/* mkdir -p with mode for each directory created. */
int fs_mkdirs(const char *path, mode_t mode, struct err *err);

/* Remove a tree (rm -rf), not following symlinks. Missing is fine. */
int fs_remove_tree(const char *path, struct err *err);

/*
 * What a file that is not a regular file is, for messages ("a directory",
 * "a FIFO", "a symbolic link" ...), from its st_mode. Static.
 */
const char *fs_kind(mode_t mode);

/* 1 if path exists (any type), 0 if not. */
int fs_exists(const char *path);

/*
 * Join a and b (b absolute wins) and clean the result lexically: no "."
 * components, no "x/..", no double slashes (Go's filepath.Join). The
 * result belongs to the caller.
 */
char *path_join(const char *a, const char *b);

/* Lexically cleaned copy of p ("" becomes "."). Caller owns it. */
char *path_clean(const char *p);

/* Directory part of p, cleaned ("." for a bare name). Caller owns it. */
char *path_dir(const char *p);

/* Last component of p. Borrowed pointer into p. */
const char *path_base(const char *p);

#endif
