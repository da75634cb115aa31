/*
 * docker-env: `ftboot docker-env [--shell bash|zsh|fish|sh] [--unset]`,
 * as `minikube docker-env`: the shell lines that point the user's docker
 * CLI at the stack's engine (DOCKER_HOST, and for TLS DOCKER_TLS_VERIFY
 * and DOCKER_CERT_PATH, the PKI's client directory), or with --unset the
 * lines that undo them. Every value is quoted for the shell it is for.
 *
 * For the VM's engine it says plainly when the VM is not up, and creates
 * nothing; for an external engine on ftboot's PKI it makes the PKI
 * (engine_resolve with ensure), so that the engine can be started with
 * engine/server/{ca,cert,key}.pem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "engine.h"
#include "fs.h"
#include "pki.h"
#include "ssh.h"
#include "text.h"
#include "vm.h"
#include "xmem.h"

enum shell { SH_BASH, SH_ZSH, SH_FISH, SH_SH };

static const char *const shell_names[] = {"bash", "zsh", "fish", "sh"};

/* The variables docker-env sets, in the order printed. */
static const char *const vars[] = {"DOCKER_TLS_VERIFY", "DOCKER_HOST", "DOCKER_CERT_PATH",
                                   "FTBOOT_ACTIVE_DOCKERD"};

/* The shell to print for: --shell, else $SHELL's name, else bash. */
static int pick_shell(const struct ctx *ctx, const char *opt, enum shell *out, struct err *err)
{
	const char *env = getenv("SHELL"), *base;
	char q[80];
	size_t i;

	if (opt) {
		for (i = 0; i < sizeof(shell_names) / sizeof(shell_names[0]); i++)
			if (strcmp(opt, shell_names[i]) == 0) {
				*out = (enum shell)i;
				return 0;
			}
		return cmd_usage(ctx, err, "unknown shell '%s'; expected bash, zsh, fish or sh",
		                 text_quote(opt, strlen(opt), q, sizeof(q)));
	}
	*out = SH_BASH;
	if (env == NULL || *env == '\0')
		return 0;
	base = path_base(env);
	if (strcmp(base, "zsh") == 0)
		*out = SH_ZSH;
	else if (strcmp(base, "fish") == 0)
		*out = SH_FISH;
	else if (strcmp(base, "sh") == 0 || strcmp(base, "dash") == 0 || strcmp(base, "ash") == 0 ||
	         strcmp(base, "ksh") == 0 || strcmp(base, "mksh") == 0)
		*out = SH_SH;
	return 0;
}

/* 1 if every byte of s is one that no shell treats specially in "...". */
static int plain(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("/._:+,=@%-", *s)))
			return 0;
	return 1;
}

/*
 * s as one word for sh: "s" when plain (as minikube prints it), else in
 * single quotes; for fish, in single quotes where \ and ' are escaped
 * (fish's only escapes there). A new string.
 */
static char *quote(enum shell sh, const char *s)
{
	struct buf b = BUF_INIT(SIZE_MAX);

	if (plain(s))
		return xasprintf("\"%s\"", s);
	if (sh != SH_FISH) {
		char *v[] = {(char *)s};

		return ssh_command_of_argv(v, 1);
	}
	buf_addch(&b, '\'');
	for (; *s; s++) {
		if (*s == '\\' || *s == '\'')
			buf_addch(&b, '\\');
		buf_addch(&b, *s);
	}
	buf_addch(&b, '\'');
	return buf_detach(&b, NULL);
}

static void print_set(enum shell sh, const char *name, const char *value)
{
	char *q = quote(sh, value);

	if (sh == SH_FISH)
		printf("set -gx %s %s;\n", name, q);
	else
		printf("export %s=%s\n", name, q);
	free(q);
}

/*
 * The hint, as minikube prints it: how to apply the lines, with -f FILE
 * if it was given. The command substitution is quoted, so that a value
 * with a newline or two spaces in a row comes through as it is.
 */
static void print_hint(const struct ctx *ctx, enum shell sh, int unset)
{
	char *f = ctx->stack_file ? quote(sh, ctx->stack_file) : NULL;
	char *cmd = xasprintf("ftboot%s%s docker-env%s", f ? " -f " : "", f ? f : "",
	                      unset ? " --unset" : "");

	if (unset)
		printf("\n# To stop pointing your shell to ftboot's docker engine, run:\n");
	else
		printf("\n# To point your shell to ftboot's docker engine, run:\n");
	if (sh == SH_FISH)
		printf("# %s | source\n", cmd);
	else
		printf("# eval \"$(%s)\"\n", cmd);
	free(cmd);
	free(f);
}

/*
 * With the VM's engine: 0 if the VM is up (its domain recorded and
 * running, its PKI made), else -1 saying it is not and what to run.
 */
static int vm_is_up(struct run *run, struct err *err)
{
	struct vm vm;
	struct vm_status s;
	struct pki p = {0};
	const char *why = NULL;
	int rc = -1;

	if (vm_open(&vm, run, err) < 0)
		goto out;
	pki_paths(&p, run->state);
	if (!state_exists(run->state) || !journal_find(run->journal, "domain", vm.dom))
		why = "";
	else if (!pki_exists(&p))
		why = " (its engine's certificates are not made yet)";
	else if (vm_status(&vm, &s, err) < 0)
		goto out;
	else if (s.state != VIRT_DOM_RUNNING)
		why = s.state == VIRT_DOM_ABSENT ? " (its domain does not exist)"
		                                 : " (it is not running)";
	if (why) {
		err_set(err, ERR_FAIL, "the VM of stack '%s' is not up%s; run 'ftboot up' first",
		        run->stack->name, why);
		goto out;
	}
	rc = 0;
out:
	pki_release(&p);
	vm_close(&vm);
	return rc;
}

int cmd_docker_env(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct state st = {0};
	struct journal j = {0};
	struct run run = {0};
	struct engine e = {0};
	enum shell sh = SH_BASH;
	size_t i;
	int unset = cmd_args_has(args, "unset"), own, rc = -1;

	if (pick_shell(ctx, cmd_args_get(args, "shell"), &sh, err) < 0)
		return -1;
	if (unset) {
		for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			printf(sh == SH_FISH ? "set -e %s;\n" : "unset %s\n", vars[i]);
		print_hint(ctx, sh, 1);
		return 0;
	}
	if (cmd_ready(ctx, err) < 0)
		return -1;
	/*
	 * The state is made only for an external engine on ftboot's PKI,
	 * which docker-env makes; the VM's is made by `up`.
	 */
	own = ctx->stack->engine.host && ctx->stack->engine.cert_path == NULL &&
	      strncmp(ctx->stack->engine.host, "tcp://", 6) == 0;
	if (cmd_peek_state(ctx, own, &st, &j, &run, err) < 0)
		goto out;
	if (ctx->stack->engine.host == NULL && vm_is_up(&run, err) < 0)
		goto out;
	/*
	 * Made once, under the stack's lock (so no `up` makes it at the same
	 * time); once it exists `up` keeps it renewed, and docker-env only
	 * names it, beside a running `up`.
	 */
	if (own) {
		struct pki p = {0};

		pki_paths(&p, &st);
		own = !pki_exists(&p);
		pki_release(&p);
		if (own && state_lock(&st, "docker-env", err) < 0)
			goto out;
	}
	if (engine_resolve(&run, own, &e, err) < 0)
		goto out;
	if (e.ca) {
		print_set(sh, "DOCKER_TLS_VERIFY", "1");
		print_set(sh, "DOCKER_HOST", e.host);
		print_set(sh, "DOCKER_CERT_PATH", e.cert_path);
	} else {
		print_set(sh, "DOCKER_HOST", e.host);
	}
	print_set(sh, "FTBOOT_ACTIVE_DOCKERD", ctx->stack->name);
	print_hint(ctx, sh, 0);
	rc = 0;
out:
	engine_release(&e);
	journal_close(&j);
	state_close(&st);
	return rc;
}
