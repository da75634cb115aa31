/*
 * check_ssh: the `ssh` check kind (E6, R8): log in to nginx's sshd on the
 * checked address with the generated user and password, the host key
 * pinned to the stack's own (svckeys.h: no trust on first use), run a
 * command and compare what it prints.
 *
 *   - id: E6
 *     kind: ssh
 *     port: ${port.nginx.ssh}
 *     user: ${values.ssh_user}
 *     password: ${secret.ssh_password}
 *     command: echo ftboot-check
 *     expect: ftboot-check          # its standard output, trailing newlines cut
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mono.h"
#include "ssh.h"
#include "xmem.h"

#define SSH_CHECK_MS     10000 /* connect and log in; then the command */
#define SSH_CHECK_OUTPUT 65536 /* what the command may print */

static const char *const ssh_keys[] = {"port", "user", "password", "command", "expect", NULL};

static int ssh_validate(struct schema *sc, const struct doc_node *check, const char *where)
{
	static const char *const strs[] = {"user", "password", "command", "expect"};
	const struct doc_node *n;
	char what[64];
	int v;
	size_t i;

	snprintf(what, sizeof(what), "%s.port", where);
	if ((n = doc_map_get(check, "port")) == NULL)
		return schema_fail(sc, check, where,
		                   "an ssh check needs port: (${port.nginx.ssh})");
	if (schema_int(sc, n, what, 1, 65535, &v) < 0)
		return -1;
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		snprintf(what, sizeof(what), "%s.%s", where, strs[i]);
		if ((n = doc_map_get(check, strs[i])) == NULL)
			return schema_fail(sc, check, where, "an ssh check needs %s:", strs[i]);
		/* expect may be empty: a command that prints nothing. */
		if (strcmp(strs[i], "expect") == 0 && n->type == DOC_STR)
			continue;
		if (schema_str(sc, n, what) < 0)
			return -1;
	}
	return 0;
}

/* s without its trailing newlines (CR LF too). A new string. */
static char *chomp(const char *s, size_t len)
{
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return xstrndup(s, len);
}

static int ssh_run_check(struct check_run *cr)
{
	const struct check_env *env = cr->env;
	const char *user = check_str(cr, "user", "");
	const char *command = check_str(cr, "command", "");
	const char *expect = check_str(cr, "expect", "");
	struct buf out = BUF_INIT(SSH_CHECK_OUTPUT), errout = BUF_INIT(SSH_CHECK_OUTPUT);
	struct ssh_opts o = {0};
	struct ssh *s = NULL;
	struct err err;
	char *got = NULL, *where = NULL;
	int refused = 0, status = -1, ret = -1;
	double t0 = mono_now();

	where = xasprintf("%s:%lld", env->address, check_int(cr, "port", 22));
	if (env->ssh_host_fp == NULL) {
		check_fail(cr, "the stack's own sshd host key, to pin",
		           "the state has no service keys",
		           "run ftboot up (it makes the stack's host key and certificate)");
		goto out;
	}
	o.host = env->address;
	o.port = (int)check_int(cr, "port", 22);
	o.user = user;
	o.password = check_str(cr, "password", "");
	o.host_fingerprint = env->ssh_host_fp;
	o.timeout_ms = (int)check_timeout(cr, SSH_CHECK_MS);
	o.op_timeout_ms = (int)check_timeout(cr, SSH_CHECK_MS);
	o.login_refused = &refused;
	if (ssh_connect(&o, &s, &err) < 0) {
		if (err.kind == ERRK_DENIED && refused) {
			check_fail(cr, "a password login with the generated credentials", err.msg,
			           "the login of %s is refused: is nginx's sshd running with the "
			           "stack's secret (ssh-password)? run ftboot up to apply it",
			           user);
		} else if (err.kind == ERRK_DENIED) {
			check_fail(cr, env->ssh_host_fp, err.msg,
			           "the sshd on %s is not the stack's nginx (another host key): "
			           "is the address right, and nginx deployed with the stack's "
			           "host key? run ftboot up",
			           where);
		} else {
			check_fail_err(cr, "nginx's sshd answering with the pinned host key", &err,
			               "is nginx running and its port 22 on the LoadBalancer "
			               "address? kubectl get svc nginx");
		}
		goto out;
	}
	check_evidence(cr, "ssh %s@%s: host key %s, password login accepted (%.0f ms)", user, where,
	               env->ssh_host_fp, (mono_now() - t0) * 1000);
	t0 = mono_now();
	if (ssh_exec(s, command, &out, &errout, &status, &err) < 0) {
		check_fail_err(cr, "the command to run", &err, NULL);
		goto out;
	}
	got = chomp(out.data ? out.data : "", out.len);
	check_evidence(cr, "run '%s': exit status %d, %zu bytes of output (%.0f ms)", command,
	               status, out.len, (mono_now() - t0) * 1000);
	if (status != 0) {
		char *e = chomp(errout.data ? errout.data : "", errout.len);
		char *seen = xasprintf("exit status %d%s%s", status, *e ? ": " : "", e);

		check_fail(cr, "exit status 0", seen, "run '%s' by hand as %s on nginx", command,
		           user);
		free(seen);
		free(e);
		goto out;
	}
	if (strcmp(got, expect) != 0) {
		check_fail(cr, expect, got, "'%s' printed something else", command);
		goto out;
	}
	ret = 0;
out:
	ssh_close(s);
	buf_release(&out);
	buf_release(&errout);
	free(got);
	free(where);
	return ret;
}

const struct check_kind check_kind_ssh = {"ssh", ssh_keys, ssh_validate, ssh_run_check};
