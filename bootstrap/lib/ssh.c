/*
 * ssh: the libssh2 module, and the only file that includes libssh2. Owns
 * the TCP connection to the VM, the pinned host key check, publickey
 * or password login, remote commands, SFTP transfers and the interactive shell relay.
 *
 * libssh2 runs non-blocking. A call that returns LIBSSH2_ERROR_EAGAIN is
 * made again after poll() on the socket in the directions libssh2 says it
 * is blocked on (libssh2_session_block_directions), and every poll is
 * bounded by the operation's deadline: no peer can hold ftboot past its
 * timeout. Errors carry libssh2's own words (libssh2_session_last_error).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "ssh.h"
#include "text.h"
#include "xmem.h"

#define SSH_CONNECT_MS 10000 /* default for ssh_opts.timeout_ms */
#define SSH_OP_MS      60000 /* default for the operation timeout */
#define SSH_GRACE_MS   2000  /* closing a channel or the session */
#define SSH_IOBUF      32768
#define SSH_ORPHANS    8 /* channels whose close the peer has not answered yet */

struct ssh {
	LIBSSH2_SESSION *session;
	int fd;         /* the TCP socket; -1 before connect */
	int handshaken; /* the SSH transport is up */
	int broken;     /* a timeout left the session mid-operation */
	LIBSSH2_CHANNEL *orphans[SSH_ORPHANS];
	int norphans;
	int op_timeout_ms;        /* exec, upload, download; always > 0 */
	int sftp_known;           /* sftp_probe has run: no_sftp is the answer */
	int no_sftp;              /* the server has no working SFTP: copy through the shell */
	char *where;              /* "host:port", for messages */
	char *who;                /* "ssh user@host:port", for messages */
	char signal[32];          /* what killed the last command; "" if it exited */
	const char *kbd_password; /* borrowed while keyboard-interactive runs */
};

/* A deadline and the timeout it came from (for messages). */
struct ssh_limit {
	int64_t deadline; /* CLOCK_MONOTONIC milliseconds; 0: none */
	int ms;
};

static int64_t ssh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct ssh_limit ssh_limit(int ms)
{
	struct ssh_limit lim;

	lim.ms = ms > 0 ? ms : 0;
	lim.deadline = ms > 0 ? ssh_now() + ms : 0;
	return lim;
}

/* Milliseconds left as poll() takes them: -1 without deadline, 0 once passed. */
static int ssh_left(const struct ssh_limit *lim)
{
	int64_t left;

	if (!lim->deadline)
		return -1;
	left = lim->deadline - ssh_now();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* poll() until ready or the deadline; restarts after signals. poll's result. */
static int ssh_poll(struct pollfd *fds, nfds_t n, const struct ssh_limit *lim)
{
	int rc;

	for (;;) {
		rc = poll(fds, n, ssh_left(lim));
		if (rc >= 0 || errno != EINTR)
			return rc;
	}
}

const char *ssh_version(void)
{
	const char *v = libssh2_version(0);

	return v ? v : "unknown";
}

static void ssh_lib_exit(void)
{
	libssh2_exit();
}

static int ssh_lib_rc;

static void ssh_lib_once(void)
{
	ssh_lib_rc = libssh2_init(0);
	if (ssh_lib_rc == 0)
		atexit(ssh_lib_exit);
}

/*
 * libssh2_init once per process (checks log in on threads of their own,
 * side by side: pthread_once, as http_init); libssh2_exit at exit.
 */
static int ssh_lib_init(struct err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, ssh_lib_once);
	if (ssh_lib_rc != 0)
		return err_set(err, ERR_FAIL, "cannot initialise libssh2");
	return 0;
}

/*
 * The kind of a libssh2 error: a connection cut or stalled, as while a VM
 * boots, is transient; a bound that ran out is a timeout; a refused login
 * or request is denied; a key file libssh2 cannot read is invalid input.
 */
static enum err_kind ssh_kind_of_rc(int rc)
{
	switch (rc) {
	case LIBSSH2_ERROR_BANNER_RECV:
	case LIBSSH2_ERROR_BANNER_SEND:
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
	case LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE:
		return ERRK_TRANSIENT;
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
	case LIBSSH2_ERROR_TIMEOUT:
		return ERRK_TIMEOUT;
	case LIBSSH2_ERROR_AUTHENTICATION_FAILED:
	case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
	case LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED:
		return ERRK_DENIED;
	case LIBSSH2_ERROR_FILE:
		return ERRK_INVALID;
	default:
		return ERRK_OTHER;
	}
}

/* err = "WHAT: libssh2's last error", of the kind that error is. Returns -1. */
static int ssh_fail(struct ssh *s, const char *what, struct err *err)
{
	char *msg = NULL;
	int len = 0, rc;

	rc = libssh2_session_last_error(s->session, &msg, &len, 0);
	return err_setk(err, ssh_kind_of_rc(rc), "%s: %s", what,
	                msg && *msg ? msg : "unknown libssh2 error");
}

/*
 * Give up on a session that libssh2 was left in the middle of sending or
 * of a session-wide step: shut the socket, so that every later call fails
 * at once (and frees what it holds) instead of waiting for the peer.
 */
static void ssh_break(struct ssh *s)
{
	if (!s->broken && s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	s->broken = 1;
}

/*
 * What to poll the socket for: a packet half sent must go out before
 * libssh2 reads again; otherwise it waits for the peer.
 */
static short ssh_events(int dir)
{
	return (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) ? POLLOUT : POLLIN;
}

/*
 * libssh2 said EAGAIN: wait until the socket is ready in the directions
 * it is blocked on. 0: call it again. -1 with err set when the deadline
 * passes ("WHAT: timed out after N ms") or poll fails. A timeout with a
 * packet half sent leaves the session broken; callers in the middle of a
 * session-wide step (opening a channel, starting SFTP) mark it broken too.
 */
static int ssh_again(struct ssh *s, const struct ssh_limit *lim, const char *what, struct err *err)
{
	struct pollfd p;
	int dir = libssh2_session_block_directions(s->session);
	int rc;

	p.fd = s->fd;
	p.events = ssh_events(dir);
	p.revents = 0;
	rc = ssh_poll(&p, 1, lim);
	if (rc > 0)
		return 0;
	if (rc < 0)
		return err_sys(err, errno, "%s: poll", what);
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		ssh_break(s);
	return err_setk(err, ERRK_TIMEOUT, "%s: timed out after %d ms", what, lim->ms);
}

/* 1 while libssh2 holds a packet half sent (after EAGAIN). */
static int ssh_sending(const struct ssh *s)
{
	return !!(libssh2_session_block_directions(s->session) & LIBSSH2_SESSION_BLOCK_OUTBOUND);
}

/* Operations that send: one that left a packet half sent goes first. */
enum ssh_op { SSH_OP_NONE, SSH_OP_READ, SSH_OP_WRITE, SSH_OP_EOF, SSH_OP_RESIZE };

/*
 * After EAGAIN from op: whether libssh2 holds a packet of op half sent.
 * libssh2 1.10 must then be called with the same operation again: any
 * other call that sends fails with LIBSSH2_ERROR_BAD_USE until that
 * packet is out (transport.c, send_existing).
 */
static enum ssh_op ssh_stuck(const struct ssh *s, enum ssh_op op)
{
	return ssh_sending(s) ? op : SSH_OP_NONE;
}

/* The command as messages quote it: its first line, at most 60 bytes. Caller frees. */
static char *ssh_label(const char *command)
{
	size_t n = strcspn(command, "\n");

	if (n > 60)
		return xasprintf("%.57s...", command);
	if (command[n])
		return xasprintf("%.*s...", (int)n, command);
	return xstrdup(command);
}

/* Try again to free the channels whose close the peer had not answered. */
static void ssh_reap(struct ssh *s)
{
	struct ssh_limit lim = ssh_limit(SSH_GRACE_MS);
	struct err ignored;
	int i = 0, rc;

	while (i < s->norphans && !s->broken) {
		rc = libssh2_channel_free(s->orphans[i]);
		if (rc == LIBSSH2_ERROR_EAGAIN && ssh_sending(s))
			/* Finish sending before anything else; a timeout breaks s. */
			(void)ssh_again(s, &lim, "close channel", &ignored);
		else if (rc == LIBSSH2_ERROR_EAGAIN)
			i++;
		else
			s->orphans[i] = s->orphans[--s->norphans];
	}
}

/* Before each operation: refuse a broken session, tidy up orphans. */
static int ssh_usable(struct ssh *s, const char *what, struct err *err)
{
	if (!s->broken)
		ssh_reap(s);
	if (s->broken)
		return err_set(err, ERR_FAIL,
		               "%s: the connection was given up after an earlier timeout: "
		               "reconnect",
		               what);
	return 0;
}

/* ---- connecting --------------------------------------------------------- */

/*
 * errno values of a peer that is not (yet) there, beyond those err_sys
 * calls transient: a VM whose network is still coming up.
 */
static int ssh_gone_errno(int e)
{
	return e == ECONNABORTED || e == EHOSTDOWN || e == ENETDOWN;
}

/* Non-blocking TCP connect to host:port within lim; sets s->fd. */
static int ssh_tcp(struct ssh *s, const char *host, int port, const struct ssh_limit *lim,
                   struct err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd p;
	char service[16];
	socklen_t elen;
	int fd = -1, e = EHOSTUNREACH, timed_out = 0, one = 1, rc, ret = -1;
	int keep_idle = 20, keep_intvl = 10, keep_cnt = 4;
	unsigned user_timeout = 60000;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		err_setk(err,
		         rc == EAI_AGAIN    ? ERRK_TRANSIENT
		         : rc == EAI_NONAME ? ERRK_NOTFOUND
		                            : ERRK_OTHER,
		         "cannot connect to %s: cannot resolve '%s': %s", s->where, host,
		         rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		goto out;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			p.fd = fd;
			p.events = POLLOUT;
			p.revents = 0;
			rc = ssh_poll(&p, 1, lim);
			if (rc == 0) {
				timed_out = 1;
				close(fd);
				fd = -1;
				break;
			}
			elen = sizeof(e);
			if (rc < 0)
				e = errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
				e = errno;
			if (rc > 0 && e == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		if (timed_out) {
			err_setk(err, ERRK_TIMEOUT, "cannot connect to %s: timed out after %d ms",
			         s->where, lim->ms);
		} else {
			err_sys(err, e, "cannot connect to %s", s->where);
			if (ssh_gone_errno(e))
				err->kind = ERRK_TRANSIENT;
		}
		goto out;
	}
	/*
	 * Interactive keystrokes go out at once. A peer that vanishes (a VM
	 * destroyed mid-command) is noticed within about a minute, even by an
	 * operation without a timeout: keepalive probes, and a bound on how
	 * long sent data may stay unacknowledged.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &keep_idle, sizeof(keep_idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &keep_intvl, sizeof(keep_intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &keep_cnt, sizeof(keep_cnt));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
	s->fd = fd;
	ret = 0;
out:
	if (res)
		freeaddrinfo(res);
	return ret;
}

/*
 * Length of the base64 part of a "SHA256:<base64>" fingerprint (43 for a
 * SHA-256, "=" padding allowed and not counted), or 0 if pin is not one.
 */
static size_t ssh_pin_len(const char *pin)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n;

	if (strncmp(pin, "SHA256:", 7) != 0)
		return 0;
	pin += 7;
	n = strspn(pin, b64);
	if (n != 43 || strspn(pin + n, "=") != strlen(pin + n))
		return 0;
	return n;
}

/* Compare the server's host key with the pin, before any authentication. */
static int ssh_check_hostkey(struct ssh *s, const char *pin, struct err *err)
{
	const char *hash = libssh2_hostkey_hash(s->session, LIBSSH2_HOSTKEY_HASH_SHA256);
	char *b64 = NULL;
	int ret = -1;

	if (!hash) {
		err_setk(err, ERRK_UNSUPPORTED,
		         "cannot connect to %s: libssh2 gives no SHA256 hash of the host key",
		         s->where);
		goto out;
	}
	b64 = text_base64(hash, 32, 1);
	if (strlen(b64) != ssh_pin_len(pin) || strncmp(pin + 7, b64, strlen(b64)) != 0) {
		err_setk(err, ERRK_DENIED,
		         "host key mismatch for %s: expected %s, got SHA256:%s; the VM is not the "
		         "one ftboot created (or its key changed): run 'ftboot down' and "
		         "'ftboot up'",
		         s->where, pin, b64);
		goto out;
	}
	ret = 0;
out:
	free(b64);
	return ret;
}

/*
 * keyboard-interactive: every prompt is answered with the password
 * (sshd's PAM asks "Password: " once). The answers are freed by
 * libssh2 with its allocator, the default one: malloc's.
 */
static void ssh_kbd_answer(const char *name, int name_len, const char *instruction,
                           int instruction_len, int num_prompts,
                           const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
                           LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract)
{
	struct ssh *s = *abstract;
	int i;

	(void)name;
	(void)name_len;
	(void)instruction;
	(void)instruction_len;
	(void)prompts;
	for (i = 0; i < num_prompts; i++) {
		const char *pw = s && s->kbd_password ? s->kbd_password : "";

		responses[i].text = strdup(pw);
		responses[i].length = responses[i].text ? (unsigned)strlen(pw) : 0;
	}
}

/* 1 if the comma-separated method list has name. */
static int ssh_has_method(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (list && *list) {
		size_t w = strcspn(list, ",");

		if (w == n && strncmp(list, name, n) == 0)
			return 1;
		list += w;
		if (*list == ',')
			list++;
	}
	return 0;
}

/*
 * Password login: "password" when the server offers it, else
 * "keyboard-interactive" with the password as every answer. A refusal
 * is denied; the password is in no message.
 */
static int ssh_auth_password(struct ssh *s, const struct ssh_opts *o, const struct ssh_limit *lim,
                             struct err *err)
{
	char *what = xasprintf("log in as '%s' on %s", o->user, s->where);
	unsigned ulen = (unsigned)strlen(o->user);
	const char *methods;
	char *offered = NULL;
	int rc, ret = -1;

	while ((methods = libssh2_userauth_list(s->session, o->user, ulen)) == NULL) {
		if (libssh2_userauth_authenticated(s->session)) {
			/*
			 * "none" was accepted: the server lets anyone in as USER.
			 * A password login was asked for, to prove the password
			 * works: a server that asks for nothing proves nothing.
			 */
			err_setk(err, ERRK_DENIED,
			         "%s: the server let the user in with no authentication at all "
			         "(sshd's PermitEmptyPasswords, or a user without a password?)",
			         what);
			goto out;
		}
		if (libssh2_session_last_errno(s->session) != LIBSSH2_ERROR_EAGAIN) {
			ssh_fail(s, what, err);
			goto out;
		}
		if (ssh_again(s, lim, what, err) < 0)
			goto out;
	}
	offered = xstrdup(methods);
	if (ssh_has_method(offered, "password")) {
		while ((rc = libssh2_userauth_password_ex(s->session, o->user, ulen, o->password,
		                                          (unsigned)strlen(o->password), NULL)) ==
		       LIBSSH2_ERROR_EAGAIN)
			if (ssh_again(s, lim, what, err) < 0)
				goto out;
	} else if (ssh_has_method(offered, "keyboard-interactive")) {
		s->kbd_password = o->password;
		while ((rc = libssh2_userauth_keyboard_interactive_ex(
		            s->session, o->user, ulen, ssh_kbd_answer)) == LIBSSH2_ERROR_EAGAIN)
			if (ssh_again(s, lim, what, err) < 0)
				goto out;
	} else {
		err_setk(err, ERRK_DENIED,
		         "%s: the server offers no password login (only '%s'): is "
		         "PasswordAuthentication on in its sshd_config?",
		         what, offered);
		if (o->login_refused)
			*o->login_refused = 1;
		goto out;
	}
	if (rc == 0) {
		ret = 0;
		goto out;
	}
	ssh_fail(s, what, err);
	if (err->kind != ERRK_TRANSIENT && err->kind != ERRK_TIMEOUT) {
		err->kind = ERRK_DENIED;
		err_suffix(err, " (with a password): the server refuses it: is it the user's "
		                "password?");
		if (o->login_refused)
			*o->login_refused = 1;
	}
out:
	s->kbd_password = NULL;
	free(offered);
	free(what);
	return ret;
}

/*
 * Publickey login. A connection cut or stalled meanwhile keeps its kind
 * (transient, timeout); a key file libssh2 cannot use is invalid; any
 * other failure is the server refusing the key: denied.
 */
static int ssh_auth(struct ssh *s, const struct ssh_opts *o, const struct ssh_limit *lim,
                    struct err *err)
{
	char *what = xasprintf("log in as '%s' on %s", o->user, s->where);
	int rc, ret = -1;

	if (!o->key_file) {
		free(what);
		return ssh_auth_password(s, o, lim, err);
	}
	while ((rc = libssh2_userauth_publickey_fromfile_ex(
	            s->session, o->user, (unsigned)strlen(o->user), NULL, o->key_file, NULL)) ==
	       LIBSSH2_ERROR_EAGAIN)
		if (ssh_again(s, lim, what, err) < 0)
			goto out;
	if (rc == 0) {
		ret = 0;
		goto out;
	}
	ssh_fail(s, what, err);
	if (rc == LIBSSH2_ERROR_FILE) {
		err_suffix(err, " (key '%s': an unencrypted OpenSSH or PEM private key is needed)",
		           o->key_file);
	} else if (err->kind != ERRK_TRANSIENT && err->kind != ERRK_TIMEOUT) {
		err->kind = ERRK_DENIED;
		err_suffix(err,
		           " (with key '%s'): the server does not accept this key: is its public "
		           "key in the user's authorized_keys?",
		           o->key_file);
		if (o->login_refused)
			*o->login_refused = 1;
	}
out:
	free(what);
	return ret;
}

/*
 * The client's order decides which of the server's host keys is used, and
 * libssh2 1.10 puts ECDSA first: put ed25519, the type ftboot generates
 * and pins, first. Only names libssh2 supports are passed: 1.10's
 * libssh2_session_method_pref drops the others with an overlapping memcpy.
 */
static int ssh_prefer_ed25519(struct ssh *s)
{
	struct buf pref = BUF_INIT(4096);
	const char **algs = NULL;
	int i, n, rc = 0;

	n = libssh2_session_supported_algs(s->session, LIBSSH2_METHOD_HOSTKEY, &algs);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(algs[i], "ssh-ed25519") == 0)
			buf_addstr(&pref, "ssh-ed25519");
	for (i = 0; i < n && pref.len; i++)
		if (strcmp(algs[i], "ssh-ed25519") != 0)
			buf_addf(&pref, ",%s", algs[i]);
	if (pref.len)
		rc = libssh2_session_method_pref(s->session, LIBSSH2_METHOD_HOSTKEY, pref.data);
	libssh2_free(s->session, algs);
	buf_release(&pref);
	return rc ? -1 : 0;
}

/* "700 ms", or "10 s" for whole seconds. */
static const char *ssh_duration(int ms, char *out, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(out, size, "%d s", ms / 1000);
	else
		snprintf(out, size, "%d ms", ms);
	return out;
}

/*
 * The handshake ran out of time: say what it waited for. No banner: the
 * port accepts connections but no SSH server speaks there (yet). A
 * banner but no key exchange: the server stopped answering.
 */
static int ssh_handshake_timeout(struct ssh *s, const struct ssh_limit *lim, struct err *err)
{
	const char *banner = libssh2_session_banner_get(s->session);
	char d[32];

	ssh_duration(lim->ms, d, sizeof(d));
	if (banner == NULL || *banner == '\0')
		return err_setk(err, ERRK_TIMEOUT,
		                "%s: no SSH banner within %s: the port accepts connections but "
		                "nothing answers there (is sshd running yet?)",
		                s->who, d);
	return err_setk(err, ERRK_TIMEOUT,
	                "%s: no answer to the key exchange within %s (the server sent its SSH "
	                "banner, then nothing)",
	                s->who, d);
}

int ssh_connect(const struct ssh_opts *o, struct ssh **out, struct err *err)
{
	struct ssh_limit lim;
	struct ssh *s = NULL;
	char *what = NULL;
	int port = o->port ? o->port : 22;
	int fd, rc, ret = -1;

	*out = NULL;
	if (o->login_refused)
		*o->login_refused = 0;
	if (!o->host || !*o->host || !o->user || !*o->user || (!o->key_file && !o->password)) {
		err_setk(err, ERRK_INVALID,
		         "cannot connect: host, user and a key file or password are required");
		goto out;
	}
	if (port < 1 || port > 65535) {
		err_setk(err, ERRK_INVALID, "cannot connect to %s: bad port %d", o->host, port);
		goto out;
	}
	if (!o->host_fingerprint || !ssh_pin_len(o->host_fingerprint)) {
		err_setk(err, ERRK_INVALID,
		         "cannot connect to %s:%d: bad pinned host fingerprint '%s': want "
		         "SHA256:<43 base64 characters>, as 'ssh-keygen -lf KEY.pub' prints",
		         o->host, port, o->host_fingerprint ? o->host_fingerprint : "");
		goto out;
	}
	/* A missing key is not worth retrying: say so before connecting. */
	if (o->key_file) {
		fd = open(o->key_file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err_sys(err, errno, "cannot read SSH key '%s'", o->key_file);
			goto out;
		}
		close(fd);
	}
	if (ssh_lib_init(err) < 0)
		goto out;

	lim = ssh_limit(o->timeout_ms > 0 ? o->timeout_ms : SSH_CONNECT_MS);
	s = xcalloc(1, sizeof(*s));
	s->fd = -1;
	ssh_set_timeout(s, o->op_timeout_ms);
	s->where = strchr(o->host, ':') ? xasprintf("[%s]:%d", o->host, port)
	                                : xasprintf("%s:%d", o->host, port);
	s->who = xasprintf("ssh %s@%s", o->user, s->where);
	if (ssh_tcp(s, o->host, port, &lim, err) < 0)
		goto out;

	/* s is the abstract pointer keyboard-interactive's callback gets. */
	s->session = libssh2_session_init_ex(NULL, NULL, NULL, s);
	if (!s->session) {
		err_set(err, ERR_FAIL, "cannot connect to %s: cannot create an SSH session",
		        s->where);
		goto out;
	}
	libssh2_session_set_blocking(s->session, 0);
	if (ssh_prefer_ed25519(s) < 0) {
		ssh_fail(s, "cannot set host key preferences", err);
		goto out;
	}
	what = xasprintf("SSH handshake with %s", s->where);
	while ((rc = libssh2_session_handshake(s->session, s->fd)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_again(s, &lim, what, err) < 0) {
			if (ssh_left(&lim) == 0)
				ssh_handshake_timeout(s, &lim, err);
			goto out;
		}
	if (rc) {
		ssh_fail(s, what, err);
		goto out;
	}
	s->handshaken = 1;
	if (ssh_check_hostkey(s, o->host_fingerprint, err) < 0)
		goto out;
	if (ssh_auth(s, o, &lim, err) < 0)
		goto out;
	*out = s;
	s = NULL;
	ret = 0;
out:
	free(what);
	ssh_close(s);
	return ret;
}

void ssh_set_timeout(struct ssh *s, int timeout_ms)
{
	s->op_timeout_ms = timeout_ms > 0 ? timeout_ms : SSH_OP_MS;
}

int ssh_timeout(const struct ssh *s)
{
	return s->op_timeout_ms;
}

const char *ssh_exit_signal(const struct ssh *s)
{
	return s->signal[0] ? s->signal : NULL;
}

void ssh_close(struct ssh *s)
{
	if (!s)
		return;
	if (s->session) {
		/* The goodbye may block, briefly: a dead peer must not hold us. */
		libssh2_session_set_timeout(s->session, SSH_GRACE_MS);
		libssh2_session_set_blocking(s->session, 1);
		if (s->handshaken && !s->broken)
			libssh2_session_disconnect(s->session, "ftboot: done");
		/*
		 * libssh2_session_free closes the channels still open (orphans)
		 * and would wait for the peer's answers, time out and then free
		 * nothing at all. With the socket shut, it frees everything.
		 */
		if (s->fd >= 0)
			shutdown(s->fd, SHUT_RDWR);
		libssh2_session_free(s->session);
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s->where);
	free(s->who);
	free(s);
}

/* ---- channels ----------------------------------------------------------- */

/*
 * A libssh2 call that opens something (a channel, SFTP) returned NULL:
 * 0 once it may be called again, -1 (err set) when it failed or the time
 * ran out. A setup cut short leaves the session mid-request: it is given
 * up.
 */
static int ssh_setup_again(struct ssh *s, const struct ssh_limit *lim, const char *what,
                           struct err *err)
{
	if (libssh2_session_last_errno(s->session) != LIBSSH2_ERROR_EAGAIN)
		return ssh_fail(s, what, err);
	if (ssh_again(s, lim, what, err) < 0) {
		ssh_break(s);
		return -1;
	}
	return 0;
}

static LIBSSH2_CHANNEL *ssh_channel(struct ssh *s, const struct ssh_limit *lim, const char *what,
                                    struct err *err)
{
	LIBSSH2_CHANNEL *ch;

	while (!(ch = libssh2_channel_open_session(s->session)))
		if (ssh_setup_again(s, lim, what, err) < 0)
			return NULL;
	return ch;
}

/*
 * Free a channel, closing it first if needed; wait for the peer's answer
 * SSH_GRACE_MS at most, or not at all without wait_close (a half-sent
 * packet is always finished first). sshd answers a close only once the
 * command has exited: a channel still open then is kept and freed later
 * (ssh_reap, or ssh_close).
 */
static void ssh_channel_drop(struct ssh *s, LIBSSH2_CHANNEL *ch, int wait_close)
{
	struct ssh_limit lim = ssh_limit(SSH_GRACE_MS);
	struct err ignored;
	int tries;

	for (tries = 0; libssh2_channel_free(ch) == LIBSSH2_ERROR_EAGAIN; tries++) {
		/* Broken: each call fails at once and frees; never spin. */
		if (s->broken) {
			if (tries > 10)
				return; /* libssh2_session_free will */
			continue;
		}
		if ((!wait_close && !ssh_sending(s)) ||
		    ssh_again(s, &lim, "close channel", &ignored) < 0) {
			if (s->broken)
				continue;
			if (s->norphans < SSH_ORPHANS) {
				s->orphans[s->norphans++] = ch;
				return;
			}
			ssh_break(s);
		}
	}
}

/* Close ch (after the remote side's EOF) and wait for the remote close. */
static int ssh_channel_finish(struct ssh *s, LIBSSH2_CHANNEL *ch, const struct ssh_limit *lim,
                              const char *what, struct err *err)
{
	int rc;

	while ((rc = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_again(s, lim, what, err) < 0)
			return -1;
	if (rc)
		return ssh_fail(s, what, err);
	while ((rc = libssh2_channel_wait_closed(ch)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_again(s, lim, what, err) < 0)
			return -1;
	if (rc)
		return ssh_fail(s, what, err);
	return 0;
}

/* Signal names of RFC 4254 6.10 (OpenSSH sends others as "NAME@openssh.com"). */
static int ssh_signum(const char *name)
{
	static const struct {
		const char *name;
		int num;
	} sigs[] = {
	    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},   {"FPE", SIGFPE},
	    {"HUP", SIGHUP},   {"ILL", SIGILL},   {"INT", SIGINT},   {"KILL", SIGKILL},
	    {"PIPE", SIGPIPE}, {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV}, {"TERM", SIGTERM},
	    {"TRAP", SIGTRAP}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
	};
	size_t i, n = strcspn(name, "@");

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strlen(sigs[i].name) == n && strncmp(sigs[i].name, name, n) == 0)
			return sigs[i].num;
	return 0;
}

/* The closed channel's exit status (128 + signal when killed); names the signal in s. */
static int ssh_exit_status(struct ssh *s, LIBSSH2_CHANNEL *ch)
{
	char *sig = NULL;
	size_t len = 0;
	int status = libssh2_channel_get_exit_status(ch), num;

	if (libssh2_channel_get_exit_signal(ch, &sig, &len, NULL, NULL, NULL, NULL) == 0 && sig) {
		snprintf(s->signal, sizeof(s->signal), "%.*s", (int)len, sig);
		num = ssh_signum(s->signal);
		status = num ? 128 + num : 255;
	}
	if (sig)
		libssh2_free(s->session, sig);
	return status;
}

/* Append as much of data as fits in b; -1 if some did not. */
static int ssh_keep(struct buf *b, const char *data, size_t n)
{
	size_t room = b->limit > b->len ? b->limit - b->len : 0;

	if (n <= room)
		return buf_add(b, data, n);
	if (room)
		buf_add(b, data, room);
	return -1;
}

/* What one ssh_drain call saw. */
struct ssh_drained {
	int got;          /* some bytes were read */
	int ended;        /* both streams are at EOF */
	struct buf *over; /* the buffer that overflowed, or NULL */
};

/*
 * Read what the command has written so far, stdout into out and stderr
 * into errout (NULL: discard), without waiting. -1 when the session
 * failed (err set).
 */
static int ssh_drain(struct ssh *s, LIBSSH2_CHANNEL *ch, struct buf *out, struct buf *errout,
                     char *data, struct ssh_drained *d, const char *what, struct err *err)
{
	struct buf *b;
	ssize_t n, last[2] = {-1, -1};
	int stream;

	d->got = 0;
	for (stream = 0; stream < 2 && !d->over; stream++) {
		b = stream ? errout : out;
		while ((n = libssh2_channel_read_ex(ch, stream ? SSH_EXTENDED_DATA_STDERR : 0, data,
		                                    SSH_IOBUF)) > 0) {
			d->got = 1;
			if (b && ssh_keep(b, data, (size_t)n) < 0) {
				d->over = b;
				break;
			}
		}
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
			return ssh_fail(s, what, err);
		last[stream] = n;
	}
	/* 0 from both: EOF. Reading one stream may queue the other's data. */
	d->ended = last[0] == 0 && last[1] == 0;
	return 0;
}

/*
 * ssh_exec with in[0..inlen) as the command's standard input, then EOF.
 * Output is read while the input is sent, so neither side waits on the
 * other; a command that ends before reading all its input (cat > a
 * missing directory) stops the sending, and its status tells.
 */
static int ssh_run(struct ssh *s, const char *command, const void *in, size_t inlen,
                   struct buf *out, struct buf *errout, int *exit_status, struct err *err)
{
	struct ssh_limit lim = ssh_limit(s->op_timeout_ms);
	struct ssh_drained d = {0};
	LIBSSH2_CHANNEL *ch = NULL;
	char *label = ssh_label(command);
	char *what = xasprintf("run '%s' on %s", label, s->where);
	char *data = xmalloc(SSH_IOBUF);
	size_t sent = 0;
	ssize_t n;
	int rc, ret = -1;

	s->signal[0] = '\0';
	if (ssh_usable(s, what, err) < 0)
		goto out;
	ch = ssh_channel(s, &lim, what, err);
	if (!ch)
		goto out;
	while ((rc = libssh2_channel_exec(ch, command)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_again(s, &lim, what, err) < 0)
			goto out;
	if (rc) {
		ssh_fail(s, what, err);
		goto out;
	}
	while (sent < inlen) {
		n = libssh2_channel_write(ch, (const char *)in + sent, inlen - sent);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			if (n == LIBSSH2_ERROR_CHANNEL_CLOSED)
				break;
			ssh_fail(s, what, err);
			goto out;
		}
		/* The window is shut: read, which may show the command has ended. */
		if (ssh_drain(s, ch, out, errout, data, &d, what, err) < 0)
			goto out;
		if (d.over || d.ended || libssh2_channel_eof(ch))
			break;
		if (!d.got && ssh_again(s, &lim, what, err) < 0)
			goto out;
	}
	/* The end of stdin: without input, a command that reads gets EOF (ssh -n). */
	rc = 0;
	while (!d.over && !d.ended && !libssh2_channel_eof(ch) &&
	       (rc = libssh2_channel_send_eof(ch)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_again(s, &lim, what, err) < 0)
			goto out;
	if (rc && !libssh2_channel_eof(ch)) {
		ssh_fail(s, what, err);
		goto out;
	}
	while (!d.over && !d.ended) {
		if (ssh_drain(s, ch, out, errout, data, &d, what, err) < 0)
			goto out;
		if (d.over || d.ended)
			break;
		if (d.got || libssh2_poll_channel_read(ch, 1) > 0)
			continue;
		if (libssh2_channel_eof(ch))
			break;
		if (ssh_again(s, &lim, what, err) < 0)
			goto out;
	}
	if (d.over) {
		/* ssh_channel_drop below closes the channel: the command gets SIGPIPE. */
		err_set(err, ERR_FAIL, "%soutput of '%s' exceeds %zu bytes",
		        d.over == errout && errout != out ? "error " : "", label, d.over->limit);
		goto out;
	}
	if (ssh_channel_finish(s, ch, &lim, what, err) < 0)
		goto out;
	if (exit_status)
		*exit_status = ssh_exit_status(s, ch);
	ret = 0;
out:
	/* After a timeout, the command is still running: do not wait for it. */
	if (ch)
		ssh_channel_drop(s, ch, ret == 0 || d.over);
	free(data);
	free(what);
	free(label);
	return ret;
}

int ssh_exec(struct ssh *s, const char *command, struct buf *out, struct buf *errout,
             int *exit_status, struct err *err)
{
	return ssh_run(s, command, NULL, 0, out, errout, exit_status, err);
}

/* ---- copies through the shell, for servers without SFTP ------------------ */

/* path in single quotes for a POSIX shell: ' becomes '\''. */
static char *ssh_quote(const char *path)
{
	struct buf b = BUF_INIT(4 * strlen(path) + 3);
	char *q;

	buf_addch(&b, '\'');
	for (; *path; path++)
		if (*path == '\'')
			buf_addstr(&b, "'\\''");
		else
			buf_addch(&b, *path);
	buf_addch(&b, '\'');
	q = xstrdup(buf_cstr(&b));
	buf_release(&b);
	return q;
}

char *ssh_command_of_argv(char *const *argv, int argc)
{
	struct buf b = BUF_INIT(SIZE_MAX);
	char *q;
	int i;

	for (i = 0; i < argc; i++) {
		q = ssh_quote(argv[i]);
		buf_addf(&b, "%s%s", i ? " " : "", q);
		free(q);
	}
	return buf_detach(&b, NULL);
}

/*
 * Copy through the remote shell, for what: upload in[0..inlen) to
 * remote_path with mode when out is NULL, else download remote_path into
 * out. A non-zero exit is an error quoting the command's own error output.
 */
static int ssh_shell_copy(struct ssh *s, const char *remote_path, int mode, const void *in,
                          size_t inlen, struct buf *out, const char *what, struct err *err)
{
	struct buf errout = BUF_INIT(1024);
	char *q = ssh_quote(remote_path);
	char *command =
	    out ? xasprintf("cat -- %s", q)
	        : xasprintf("umask 077 && cat > %s && chmod %04o -- %s", q, mode & 07777, q);
	size_t len;
	int status = 0, rc;

	rc = ssh_run(s, command, in, inlen, out, &errout, &status, err);
	if (rc < 0 && out && out->len >= out->limit)
		err_set(err, ERR_FAIL, "'%s' on %s exceeds %zu bytes", remote_path, s->where,
		        out->limit);
	else if (rc < 0)
		err_wrap(err, "%s (through the shell, no SFTP)", what);
	if (rc == 0 && status != 0) {
		len = errout.len;
		while (len && (errout.data[len - 1] == '\n' || errout.data[len - 1] == '\r'))
			len--;
		if (len)
			rc = err_set(err, ERR_FAIL, "%s (through the shell, no SFTP): %.*s", what,
			             (int)len, errout.data);
		else
			rc = err_set(err, ERR_FAIL,
			             "%s (through the shell, no SFTP): exit status %d", what,
			             status);
	}
	buf_release(&errout);
	free(command);
	free(q);
	return rc;
}

/*
 * Does the server's SFTP subsystem work? Once per session: request it on
 * a channel of our own and send SSH_FXP_INIT (version 3). A server
 * without the subsystem refuses the request; one whose program is
 * missing (Alpine's image without openssh-sftp-server) accepts it and
 * closes the channel, where libssh2_sftp_init would wait for a reply to
 * the end of the timeout. Any answer means it works. Sets s->no_sftp;
 * -1 only when the session failed.
 */
static int ssh_sftp_probe(struct ssh *s, const struct ssh_limit *lim, const char *what,
                          struct err *err)
{
	static const char init[9] = {0, 0, 0, 5, 1, 0, 0, 0, 3};
	LIBSSH2_CHANNEL *ch;
	char reply[64];
	ssize_t n;
	size_t sent = 0;
	int rc, ret = -1;

	if (s->sftp_known)
		return 0;
	ch = ssh_channel(s, lim, what, err);
	if (!ch)
		return -1;
	while ((rc = libssh2_channel_subsystem(ch, "sftp")) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_again(s, lim, what, err) < 0)
			goto out;
	if (rc && rc != LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED) {
		ssh_fail(s, what, err);
		goto out;
	}
	s->no_sftp = rc != 0; /* denied: no subsystem */
	/* From here, the channel closing under us means the program is missing. */
	while (!s->no_sftp && sent < sizeof(init)) {
		n = libssh2_channel_write(ch, init + sent, sizeof(init) - sent);
		if (n == LIBSSH2_ERROR_EAGAIN || n == 0) {
			if (libssh2_channel_eof(ch))
				s->no_sftp = 1;
			else if (ssh_again(s, lim, what, err) < 0)
				goto out;
			continue;
		}
		if (n < 0) {
			if (n != LIBSSH2_ERROR_CHANNEL_CLOSED && !libssh2_channel_eof(ch)) {
				ssh_fail(s, what, err);
				goto out;
			}
			s->no_sftp = 1;
			break;
		}
		sent += (size_t)n;
	}
	while (!s->no_sftp) {
		n = libssh2_channel_read(ch, reply, sizeof(reply));
		if (n > 0)
			break;
		if (libssh2_channel_eof(ch) || n == LIBSSH2_ERROR_CHANNEL_CLOSED) {
			s->no_sftp = 1;
			break;
		}
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			ssh_fail(s, what, err);
			goto out;
		}
		if (ssh_again(s, lim, what, err) < 0)
			goto out;
	}
	s->sftp_known = 1;
	ret = 0;
out:
	ssh_channel_drop(s, ch, ret == 0);
	return ret;
}

/* ---- SFTP --------------------------------------------------------------- */

static const char *ssh_sftp_strerror(unsigned long code)
{
	switch (code) {
	case LIBSSH2_FX_EOF:
		return "end of file";
	case LIBSSH2_FX_NO_SUCH_FILE:
		return "no such file or directory";
	case LIBSSH2_FX_PERMISSION_DENIED:
		return "permission denied";
	case LIBSSH2_FX_FAILURE:
		return "failure (e.g. a directory, or the disk is full)";
	case LIBSSH2_FX_BAD_MESSAGE:
		return "bad message";
	case LIBSSH2_FX_OP_UNSUPPORTED:
		return "operation not supported";
	case LIBSSH2_FX_NO_SUCH_PATH:
		return "no such path";
	case LIBSSH2_FX_FILE_ALREADY_EXISTS:
		return "file already exists";
	case LIBSSH2_FX_WRITE_PROTECT:
		return "write protected";
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
		return "no space left on the file system";
	case LIBSSH2_FX_QUOTA_EXCEEDED:
		return "quota exceeded";
	case LIBSSH2_FX_NOT_A_DIRECTORY:
		return "not a directory";
	default:
		return "SFTP error";
	}
}

static enum err_kind ssh_sftp_kind(unsigned long code)
{
	switch (code) {
	case LIBSSH2_FX_NO_SUCH_FILE:
	case LIBSSH2_FX_NO_SUCH_PATH:
		return ERRK_NOTFOUND;
	case LIBSSH2_FX_PERMISSION_DENIED:
	case LIBSSH2_FX_WRITE_PROTECT:
		return ERRK_DENIED;
	case LIBSSH2_FX_FILE_ALREADY_EXISTS:
		return ERRK_EXISTS;
	case LIBSSH2_FX_OP_UNSUPPORTED:
		return ERRK_UNSUPPORTED;
	default:
		return ERRK_OTHER;
	}
}

/* Like ssh_fail, with the SFTP server's status (and its kind) when that is what failed. */
static int ssh_sftp_fail(struct ssh *s, LIBSSH2_SFTP *sftp, const char *what, struct err *err)
{
	unsigned long code;

	if (libssh2_session_last_errno(s->session) != LIBSSH2_ERROR_SFTP_PROTOCOL)
		return ssh_fail(s, what, err);
	code = libssh2_sftp_last_error(sftp);
	return err_setk(err, ssh_sftp_kind(code), "%s: %s", what, ssh_sftp_strerror(code));
}

static LIBSSH2_SFTP *ssh_sftp(struct ssh *s, const struct ssh_limit *lim, const char *what,
                              struct err *err)
{
	LIBSSH2_SFTP *sftp;

	while (!(sftp = libssh2_sftp_init(s->session)))
		if (ssh_setup_again(s, lim, what, err) < 0)
			return NULL;
	return sftp;
}

static LIBSSH2_SFTP_HANDLE *ssh_sftp_open(struct ssh *s, LIBSSH2_SFTP *sftp, const char *path,
                                          unsigned long flags, int mode,
                                          const struct ssh_limit *lim, const char *what,
                                          struct err *err)
{
	LIBSSH2_SFTP_HANDLE *h;

	while (!(h = libssh2_sftp_open_ex(sftp, path, (unsigned)strlen(path), flags, mode,
	                                  LIBSSH2_SFTP_OPENFILE))) {
		if (libssh2_session_last_errno(s->session) != LIBSSH2_ERROR_EAGAIN) {
			ssh_sftp_fail(s, sftp, what, err);
			return NULL;
		}
		if (ssh_again(s, lim, what, err) < 0)
			return NULL;
	}
	return h;
}

/*
 * Close h and stop SFTP (each may be NULL) within SSH_GRACE_MS. A server
 * that does not answer in time leaves the session broken.
 */
static void ssh_sftp_end(struct ssh *s, LIBSSH2_SFTP *sftp, LIBSSH2_SFTP_HANDLE *h)
{
	struct ssh_limit lim = ssh_limit(SSH_GRACE_MS);
	struct err ignored;
	int tries;

	/* Broken: each call fails at once and frees; never spin. */
	for (tries = 0; h && libssh2_sftp_close_handle(h) == LIBSSH2_ERROR_EAGAIN && tries < 10000;
	     tries++)
		if (!s->broken && ssh_again(s, &lim, "close", &ignored) < 0)
			ssh_break(s);
	for (tries = 0;
	     sftp && libssh2_sftp_shutdown(sftp) == LIBSSH2_ERROR_EAGAIN && tries < 10000; tries++)
		if (!s->broken && ssh_again(s, &lim, "close", &ignored) < 0)
			ssh_break(s);
}

int ssh_upload(struct ssh *s, const void *data, size_t len, const char *remote_path, int mode,
               struct err *err)
{
	struct ssh_limit lim = ssh_limit(s->op_timeout_ms);
	LIBSSH2_SFTP *sftp = NULL;
	LIBSSH2_SFTP_HANDLE *h = NULL;
	LIBSSH2_SFTP_ATTRIBUTES attrs;
	const char *p = data;
	char *what = xasprintf("upload to '%s' on %s", remote_path, s->where);
	size_t off = 0;
	ssize_t n;
	int rc, ret = -1;

	if (ssh_usable(s, what, err) < 0)
		goto out;
	if (ssh_sftp_probe(s, &lim, what, err) < 0)
		goto out;
	if (s->no_sftp) {
		ret = ssh_shell_copy(s, remote_path, mode, data, len, NULL, what, err);
		goto out;
	}
	sftp = ssh_sftp(s, &lim, what, err);
	if (!sftp)
		goto out;
	h = ssh_sftp_open(s, sftp, remote_path,
	                  LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, mode & 07777,
	                  &lim, what, err);
	if (!h)
		goto out;
	/* libssh2 pipelines the writes: after EAGAIN, pass the same rest again. */
	while (off < len) {
		n = libssh2_sftp_write(h, p + off, len - off);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			if (ssh_again(s, &lim, what, err) < 0)
				goto out;
			continue;
		}
		if (n < 0) {
			ssh_sftp_fail(s, sftp, what, err);
			goto out;
		}
		off += (size_t)n;
	}
	/* The mode given to open is only used on creation, through the umask. */
	memset(&attrs, 0, sizeof(attrs));
	attrs.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
	attrs.permissions = (unsigned long)(mode & 07777);
	while ((rc = libssh2_sftp_fsetstat(h, &attrs)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_again(s, &lim, what, err) < 0)
			goto out;
	if (rc) {
		ssh_sftp_fail(s, sftp, what, err);
		goto out;
	}
	while ((rc = libssh2_sftp_close_handle(h)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_again(s, &lim, what, err) < 0)
			goto out;
	h = NULL;
	if (rc) {
		ssh_sftp_fail(s, sftp, what, err);
		goto out;
	}
	ret = 0;
out:
	ssh_sftp_end(s, sftp, h);
	free(what);
	return ret;
}

int ssh_download(struct ssh *s, const char *remote_path, struct buf *out, struct err *err)
{
	struct ssh_limit lim = ssh_limit(s->op_timeout_ms);
	LIBSSH2_SFTP *sftp = NULL;
	LIBSSH2_SFTP_HANDLE *h = NULL;
	char *what = xasprintf("download '%s' from %s", remote_path, s->where);
	char *data = NULL;
	ssize_t n;
	int ret = -1;

	if (ssh_usable(s, what, err) < 0)
		goto out;
	if (ssh_sftp_probe(s, &lim, what, err) < 0)
		goto out;
	if (s->no_sftp) {
		ret = ssh_shell_copy(s, remote_path, 0, NULL, 0, out, what, err);
		goto out;
	}
	sftp = ssh_sftp(s, &lim, what, err);
	if (!sftp)
		goto out;
	h = ssh_sftp_open(s, sftp, remote_path, LIBSSH2_FXF_READ, 0, &lim, what, err);
	if (!h)
		goto out;
	data = xmalloc(SSH_IOBUF);
	for (;;) {
		n = libssh2_sftp_read(h, data, SSH_IOBUF);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			if (ssh_again(s, &lim, what, err) < 0)
				goto out;
			continue;
		}
		if (n < 0) {
			ssh_sftp_fail(s, sftp, what, err);
			goto out;
		}
		if (n == 0)
			break;
		if (buf_add(out, data, (size_t)n) < 0) {
			err_set(err, ERR_FAIL, "'%s' on %s exceeds %zu bytes", remote_path,
			        s->where, out->limit);
			goto out;
		}
	}
	ret = 0;
out:
	ssh_sftp_end(s, sftp, h);
	free(data);
	free(what);
	return ret;
}

/* ---- interactive shell -------------------------------------------------- */

/* Write end of the SIGWINCH self-pipe while ssh_shell runs; -1 otherwise. */
static volatile sig_atomic_t ssh_winch_fd = -1;

static void ssh_on_winch(int sig)
{
	int saved = errno;
	char c = 0;

	(void)sig;
	if (ssh_winch_fd >= 0 && write(ssh_winch_fd, &c, 1) < 0) {
		/* A full pipe already says "resized". */
	}
	errno = saved;
}

static void ssh_winsize(struct winsize *ws)
{
	memset(ws, 0, sizeof(*ws));
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, ws) < 0 || !ws->ws_col || !ws->ws_row) {
		ws->ws_col = 80;
		ws->ws_row = 24;
	}
}

/* write() all of data to fd, waiting when fd is non-blocking. */
static int ssh_write_all(int fd, const char *data, size_t n)
{
	struct pollfd p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, data, n);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			p.fd = fd;
			p.events = POLLOUT;
			p.revents = 0;
			(void)poll(&p, 1, -1);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

/* What ssh_tty_setup changed, for ssh_tty_restore to undo. */
struct ssh_tty {
	struct termios saved;
	struct sigaction old_sa;
	int raw_set, winch_set;
	int pipefd[2]; /* SIGWINCH self-pipe */
};

/* Catch SIGWINCH (into the self-pipe) and put the terminal on stdin in raw mode. */
static int ssh_tty_setup(struct ssh_tty *t, const char *what, struct err *err)
{
	struct sigaction sa;
	struct termios raw;

	if (pipe2(t->pipefd, O_NONBLOCK | O_CLOEXEC) < 0)
		return err_sys(err, errno, "%s: pipe", what);
	ssh_winch_fd = t->pipefd[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ssh_on_winch;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGWINCH, &sa, &t->old_sa) == 0)
		t->winch_set = 1;
	if (tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		raw = t->saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0)
			t->raw_set = 1;
	}
	return 0;
}

/* Undo ssh_tty_setup, whatever part of it was done. */
static void ssh_tty_restore(struct ssh_tty *t)
{
	if (t->raw_set)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved);
	if (t->winch_set)
		sigaction(SIGWINCH, &t->old_sa, NULL);
	ssh_winch_fd = -1;
	if (t->pipefd[0] >= 0)
		close(t->pipefd[0]);
	if (t->pipefd[1] >= 0)
		close(t->pipefd[1]);
	t->raw_set = t->winch_set = 0;
	t->pipefd[0] = t->pipefd[1] = -1;
}

/*
 * Open a session channel with a PTY (when tty) and start command or a
 * shell, within the operation timeout: only the relay that follows waits
 * as long as its user.
 */
static LIBSSH2_CHANNEL *ssh_shell_start(struct ssh *s, const char *command, int tty,
                                        const char *what, struct err *err)
{
	struct ssh_limit lim = ssh_limit(s->op_timeout_ms);
	LIBSSH2_CHANNEL *ch = NULL;
	struct winsize ws;
	const char *term = getenv("TERM");
	int rc, started = 0;

	ch = ssh_channel(s, &lim, what, err);
	if (!ch)
		goto out;
	if (tty) {
		if (!term || !*term)
			term = "xterm";
		ssh_winsize(&ws);
		while ((rc = libssh2_channel_request_pty_ex(ch, term, (unsigned)strlen(term), NULL,
		                                            0, ws.ws_col, ws.ws_row, ws.ws_xpixel,
		                                            ws.ws_ypixel)) == LIBSSH2_ERROR_EAGAIN)
			if (ssh_again(s, &lim, what, err) < 0)
				goto out;
		if (rc) {
			ssh_fail(s, what, err);
			err_suffix(err, " (requesting a terminal)");
			goto out;
		}
	}
	while ((rc = command ? libssh2_channel_exec(ch, command) : libssh2_channel_shell(ch)) ==
	       LIBSSH2_ERROR_EAGAIN)
		if (ssh_again(s, &lim, what, err) < 0)
			goto out;
	if (rc) {
		ssh_fail(s, what, err);
		goto out;
	}
	started = 1;
out:
	if (ch && !started) {
		ssh_channel_drop(s, ch, 1);
		ch = NULL;
	}
	return ch;
}

int ssh_shell(struct ssh *s, const char *command, int *exit_status, struct err *err)
{
	struct ssh_limit none = ssh_limit(0);
	struct ssh_tty t = {.pipefd = {-1, -1}};
	LIBSSH2_CHANNEL *ch = NULL;
	struct winsize ws;
	struct pollfd fds[3];
	char *label = command ? ssh_label(command) : NULL;
	char *what = label ? xasprintf("run '%s' on %s", label, s->where)
	                   : xasprintf("shell on %s", s->where);
	char *data = NULL, *pend = NULL;
	size_t pend_len = 0, pend_off = 0;
	ssize_t n, last[2];
	enum ssh_op stuck = SSH_OP_NONE;
	int tty = isatty(STDIN_FILENO);
	int resize = 0, in_eof = 0, eof_sent = 0, stream, got, dir, rc, ret = -1;
	char c[64];

	s->signal[0] = '\0';
	if (ssh_usable(s, what, err) < 0)
		goto out;
	ch = ssh_shell_start(s, command, tty, what, err);
	if (!ch)
		goto out;
	if (tty && ssh_tty_setup(&t, what, err) < 0)
		goto out;
	data = xmalloc(SSH_IOBUF);
	pend = xmalloc(SSH_IOBUF);
	for (;;) {
		/* Remote to local. */
		got = 0;
		last[0] = last[1] = -1;
		for (stream = 0; stream < 2 && (!stuck || stuck == SSH_OP_READ); stream++) {
			stuck = SSH_OP_NONE;
			while (
			    (n = libssh2_channel_read_ex(ch, stream ? SSH_EXTENDED_DATA_STDERR : 0,
			                                 data, SSH_IOBUF)) > 0) {
				got = 1;
				if (ssh_write_all(stream ? STDERR_FILENO : STDOUT_FILENO, data,
				                  (size_t)n) < 0) {
					err_sys(err, errno, "%s: cannot write to standard %s", what,
					        stream ? "error" : "output");
					goto out;
				}
			}
			if (n == LIBSSH2_ERROR_EAGAIN)
				stuck = ssh_stuck(s, SSH_OP_READ);
			else if (n < 0) {
				ssh_fail(s, what, err);
				goto out;
			}
			last[stream] = n;
		}
		/* Local to remote: a new window size before the keys typed after it. */
		if (resize && (!stuck || stuck == SSH_OP_RESIZE)) {
			ssh_winsize(&ws);
			rc = libssh2_channel_request_pty_size_ex(ch, ws.ws_col, ws.ws_row,
			                                         ws.ws_xpixel, ws.ws_ypixel);
			stuck =
			    rc == LIBSSH2_ERROR_EAGAIN ? ssh_stuck(s, SSH_OP_RESIZE) : SSH_OP_NONE;
			if (rc != LIBSSH2_ERROR_EAGAIN)
				resize = 0;
		}
		while (pend_off < pend_len && (!stuck || stuck == SSH_OP_WRITE)) {
			stuck = SSH_OP_NONE;
			n = libssh2_channel_write(ch, pend + pend_off, pend_len - pend_off);
			if (n == LIBSSH2_ERROR_EAGAIN) {
				stuck = ssh_stuck(s, SSH_OP_WRITE);
				break;
			}
			if (n < 0) {
				ssh_fail(s, what, err);
				goto out;
			}
			pend_off += (size_t)n;
		}
		if (pend_off == pend_len)
			pend_off = pend_len = 0;
		if (in_eof && !pend_len && !eof_sent && (!stuck || stuck == SSH_OP_EOF)) {
			rc = libssh2_channel_send_eof(ch);
			stuck = rc == LIBSSH2_ERROR_EAGAIN ? ssh_stuck(s, SSH_OP_EOF) : SSH_OP_NONE;
			/* A failure: the remote side is gone already; its close tells. */
			if (rc != LIBSSH2_ERROR_EAGAIN)
				eof_sent = 1;
		}
		if (!stuck) {
			if (last[0] == 0 && last[1] == 0)
				break;
			if (got || libssh2_poll_channel_read(ch, 1) > 0)
				continue;
			if (libssh2_channel_eof(ch))
				break;
		}

		dir = libssh2_session_block_directions(s->session);
		fds[0].fd = s->fd;
		fds[0].events = ssh_events(dir);
		fds[1].fd = in_eof || pend_len ? -1 : STDIN_FILENO;
		fds[1].events = POLLIN;
		fds[2].fd = t.pipefd[0];
		fds[2].events = POLLIN;
		fds[0].revents = fds[1].revents = fds[2].revents = 0;
		/* Something still to send: come back soon even if the socket is quiet. */
		rc = poll(fds, 3, pend_len || resize || (in_eof && !eof_sent) ? 50 : -1);
		if (rc < 0 && errno != EINTR) {
			err_sys(err, errno, "%s: poll", what);
			goto out;
		}
		if (rc > 0 && fds[1].revents) {
			n = read(STDIN_FILENO, pend, SSH_IOBUF);
			if (n > 0)
				pend_len = (size_t)n;
			else if (n == 0 || (errno != EINTR && errno != EAGAIN))
				in_eof = 1;
		}
		if (rc > 0 && (fds[2].revents & POLLIN)) {
			while (read(t.pipefd[0], c, sizeof(c)) > 0)
				;
			resize = 1;
		}
	}
	if (ssh_channel_finish(s, ch, &none, what, err) < 0)
		goto out;
	if (exit_status)
		*exit_status = ssh_exit_status(s, ch);
	ret = 0;
out:
	ssh_tty_restore(&t);
	if (ch)
		ssh_channel_drop(s, ch, 1);
	free(pend);
	free(data);
	free(what);
	free(label);
	return ret;
}
