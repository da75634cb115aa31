/*
 * ssh: everything ftboot does over SSH: connect to the VM with a host key
 * pinned in advance (no trust on first use), authenticate with ftboot's
 * key, run commands, copy files (SFTP, or the shell where the server has
 * no SFTP) and relay an interactive shell.
 * The only file that includes libssh2's headers is ssh.c; no libssh2 type
 * or error code crosses this header.
 *
 * Every wait is bounded: the connection by ssh_opts.timeout_ms, each
 * command and transfer by the operation timeout (ssh_set_timeout; 60 s
 * unless set), and a peer that vanishes is noticed by TCP within about a
 * minute. Only the interactive ssh_shell waits as long as its user. Messages
 * name the server as "host:port". Not thread-safe: one struct ssh per
 * thread, and the first ssh_connect initialises libssh2 for the process
 * (released at exit).
 */
#ifndef FTBOOT_SSH_H
#define FTBOOT_SSH_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct ssh;

struct ssh_opts {
	const char *host;     /* address or name of the server */
	int port;             /* 1..65535; 0 means 22 */
	const char *user;     /* user to log in as */
	const char *key_file; /* OpenSSH private key, unencrypted (ed25519) */
	/*
	 * Without key_file: log in with this password ("password", or
	 * "keyboard-interactive" answering each prompt with it when the
	 * server offers only that). Never copied into a message.
	 */
	const char *password;
	const char *host_fingerprint; /* pinned "SHA256:<base64>" of the host key; required */
	int timeout_ms;               /* connect + handshake + auth; <= 0: 10 s */
	int op_timeout_ms;            /* each exec, upload, download; <= 0: 60 s */
	/*
	 * When not NULL: set to 1 when the host key matched but the server
	 * refused the login (the key or the password), 0 otherwise; tells a
	 * refused login from a host key mismatch, both ERRK_DENIED.
	 */
	int *login_refused;
};

/* libssh2's version ("1.10.0"). Static. */
const char *ssh_version(void);

/*
 * Connect to o->host:o->port and log in, all within o->timeout_ms:
 * TCP connect, SSH handshake, then the server's host key is checked
 * against o->host_fingerprint BEFORE any authentication is tried (a
 * mismatch is a hard error that names both fingerprints), then publickey
 * authentication with o->key_file (or, without one, o->password). A handshake past the timeout says
 * what it waited for: "ssh USER@HOST:PORT: no SSH banner within 10 s"
 * (the port accepts but nothing speaks), or "... no answer to the key
 * exchange within 10 s" (a banner, then silence). The server's ed25519 host key is
 * preferred when it offers several.
 *
 * On success *out is a session the caller frees with ssh_close. On
 * failure *out is NULL and err says what failed; err->kind says whether
 * trying again later may help (a VM that is still booting):
 *   ERRK_TRANSIENT  refused, reset, unreachable, connection closed during
 *                   the handshake; a name that does not resolve yet
 *   ERRK_TIMEOUT    o->timeout_ms ran out (TCP connect, no banner, no
 *                   answer to the key exchange, no answer to the login)
 *   ERRK_DENIED     host key mismatch, the key or password refused by the
 *                   server (o->login_refused tells which)
 *   ERRK_NOTFOUND   the key file or the host name does not exist
 *   ERRK_INVALID    bad options, a key file that is no usable key
 * and ERRK_OTHER for the rest. err->errnum is the socket's errno where
 * there is one.
 */
int ssh_connect(const struct ssh_opts *o, struct ssh **out, struct err *err);

/*
 * Bound each following ssh_exec, ssh_upload and ssh_download to
 * timeout_ms in total (<= 0: the default, 60 s; there is no unbounded
 * operation). Replaces o->op_timeout_ms.
 */
void ssh_set_timeout(struct ssh *s, int timeout_ms);

/* The operation timeout in effect, in ms (always > 0). */
int ssh_timeout(const struct ssh *s);

/*
 * Run command through the remote user's shell (no PTY; its stdin is
 * empty, as with ssh -n) and wait for it to end, appending its standard
 * output to out and its standard error to errout (either may be NULL to
 * discard; they may be the same buffer). The buffers' limits bound
 * memory: output past a limit fails with "output of 'CMD' exceeds N
 * bytes" ("error output of" for errout) after the part that fits is
 * appended; the channel is closed, the command gets SIGPIPE, and the
 * session stays usable.
 *
 * *exit_status (when not NULL) is the command's exit status, or 128 + the
 * signal's number when a signal killed it (ssh_exit_signal names it).
 *
 * Past the operation timeout: "run 'CMD' on HOST:PORT: timed out after N
 * ms" (err->kind ERRK_TIMEOUT, as for every operation below). The command is left to run until it exits or writes (libssh2 1.10
 * cannot signal it) and the session stays usable; with more than 8 such
 * commands still running, or after a timeout in the middle of sending,
 * the session is given up and every later call fails with "...
 * reconnect".
 */
int ssh_exec(struct ssh *s, const char *command, struct buf *out, struct buf *errout,
             int *exit_status, struct err *err);

/*
 * The command line that runs argv[0..argc) as it is through the remote
 * user's POSIX shell: each word in single quotes (' as '\''), joined by
 * spaces, so the remote shell splits and expands nothing (ssh(1) joins
 * the words with spaces instead, and the remote shell splits them
 * again). For ssh_exec and ssh_shell. The caller frees it.
 */
char *ssh_command_of_argv(char *const *argv, int argc);

/*
 * The name of the signal ("KILL", "TERM", ...: without "SIG") that killed
 * the last command run by ssh_exec or ssh_shell, or NULL if it exited.
 * Borrowed, valid until the next command.
 */
const char *ssh_exit_signal(const struct ssh *s);

/*
 * Write data[0..len) to remote_path over SFTP, creating or truncating it,
 * and set its permission bits to mode (e.g. 0600; not subject to the
 * remote umask). Not atomic: a failed upload leaves a partial file.
 * Byte-exact.
 *
 * When the server has no working SFTP subsystem (none configured, or its
 * program missing: Alpine's image without openssh-sftp-server), the copy
 * goes through the remote shell instead ("cat > PATH", then chmod), and
 * the session remembers it for later copies. Its errors then end with
 * the command's own error output. Each of the two attempts has the
 * operation timeout.
 */
int ssh_upload(struct ssh *s, const void *data, size_t len, const char *remote_path, int mode,
               struct err *err);

/*
 * Append the content of remote_path to out over SFTP (or, as for
 * ssh_upload, through the shell: "cat -- PATH"), byte-exact. A file
 * larger than out's limit fails with "'PATH' on HOST:PORT exceeds N
 * bytes". After a failure, out may hold part of the file.
 *
 * Over SFTP, err->kind carries the server's answer: ERRK_NOTFOUND (no such
 * file or directory), ERRK_DENIED, ERRK_EXISTS, ERRK_UNSUPPORTED; the same
 * for ssh_upload. Through the shell it is ERRK_OTHER.
 */
int ssh_download(struct ssh *s, const char *remote_path, struct buf *out, struct err *err);

/*
 * Run command (NULL: the user's login shell) interactively, relaying this
 * process's stdin, stdout and stderr until the remote side closes. When
 * stdin is a terminal: a PTY is requested with the local TERM and window
 * size, the terminal is put in raw mode (restored on every return) and
 * window size changes (SIGWINCH; the previous handler is restored) are
 * forwarded. Without a terminal there is no PTY and stdin's EOF is sent
 * on. Starting it has the operation timeout; the relay has none.
 * *exit_status (when not NULL) is the remote exit status, 128 + signal
 * number when killed.
 */
int ssh_shell(struct ssh *s, const char *command, int *exit_status, struct err *err);

/* Disconnect and free. NULL-safe. */
void ssh_close(struct ssh *s);

#endif
