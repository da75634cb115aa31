/*
 * cmd: the command table and the helpers every command calls (usage
 * errors, cmd_ready). Apart from main.c so that a command links into a
 * unit test without main().
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "fs.h"
#include "text.h"

#define NOT_YET NULL

const struct cmd_entry cmd_table[] = {
    {"up", cmd_up, "[--until STEP]", "create or converge the VM, cluster, images and manifests",
     "Bring the stack to its declared state, step by step (the steps are below;\n"
     "--until STEP stops after one). Idempotent: with nothing changed it does\n"
     "nothing and says so. Safe to interrupt and run again.\n",
     NEED_STACK | NEED_STATE | NEED_LOCK},
    {"status", cmd_status, "[--json]", "show the VM, node, pods, services and URLs",
     "Show what exists of the stack and where each service answers.\n", NEED_STACK},
    {"check", NOT_YET, "[--json] [--junit FILE] [--destructive] [--fail-fast]",
     "check the stack the way an evaluator would (E1-E13)",
     "Run every check of the evaluation sheet and report each; exit 1 if any fails.\n",
     NEED_STACK | NEED_STATE},
    {"down", cmd_down, "[--purge]", "remove everything this stack created",
     "Destroy exactly what the stack's journal records, and the state. --purge also\n"
     "empties the download cache.\n",
     NEED_STACK | NEED_STATE | NEED_LOCK},
    {"reset", NOT_YET, "[--keep-data]", "back to a fresh stack, fast",
     "Remove the stack's workloads and data and apply them again.\n",
     NEED_STACK | NEED_STATE | NEED_LOCK},
    {"render", cmd_render, "[--out DIR] [--show-secrets]",
     "print the manifests that would be applied",
     "Render templates/*.yaml with the stack's values and print them as one YAML\n"
     "stream, each document after a '# Source:' line. Two runs print the same bytes.\n"
     "\n"
     "  --out DIR        write one file per template into DIR (0700, files 0600)\n"
     "  --show-secrets   put the real secrets in (generated on first use); by\n"
     "                   default each shows as <secret:NAME>\n"
     "\n"
     "Template variables:\n"
     "  ${stack} ${vm_ip} ${lb_ip}\n"
     "  ${port.SVC} ${port.SVC.NAME} ${port.SVC.NAME.first} ${port.SVC.NAME.last}\n"
     "  ${ports.SVC}              the Service's port list\n"
     "  ${container_ports.SVC}    the container's port list\n"
     "  ${type.SVC} ${image.SVC} ${secret.NAME} ${values.NAME}\n"
     "A plain value that is one placeholder takes the variable's type; anything else\n"
     "is a string. Write $${ for a literal ${.\n",
     NEED_STACK},
    {"apply", NOT_YET, "", "render and server-side apply to the cluster, then wait",
     "Render, apply in dependency order, prune what the stack no longer declares,\n"
     "and wait for rollouts.\n",
     NEED_STACK | NEED_STATE | NEED_LOCK},
    {"build", NOT_YET, "[SERVICE...]", "build the service images only",
     "Build each service's image from srcs/SERVICE in the VM's engine.\n",
     NEED_STACK | NEED_STATE | NEED_LOCK},
    {"ssh", cmd_ssh, "[SERVICE]", "a shell in the VM, or in a service's container",
     "Open an interactive shell over SSH with the pinned host key.\n", NEED_STACK | NEED_STATE},
    {"dashboard", NOT_YET, "", "the Kubernetes dashboard's URL and login token",
     "Print the dashboard URL and a login token.\n", NEED_STACK | NEED_STATE},
    {"docker-env", NOT_YET, "", "environment for the docker CLI, like minikube docker-env",
     "Print export lines that point docker at the VM's engine.\n", NEED_STACK | NEED_STATE},
    {"doctor", NOT_YET, "", "preflight: libvirt, KVM, disk, memory, ports",
     "Check that this machine can run the stack, and say what to fix.\n", 0},
    {"help", cmd_help, "[COMMAND]", "show help for ftboot or one command", "", 0},
    {"version", cmd_version, "", "show ftboot's version and its libraries'",
     "Print ftboot's version, then each library it uses with its version.\n", 0},
    {NULL, NULL, NULL, NULL, NULL, 0},
};

int cmd_usage(const struct ctx *ctx, struct err *err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(err, ERR_USAGE, "%s; usage: ftboot %s%s%s", msg, ctx->entry->name,
	               *ctx->entry->args ? " " : "", ctx->entry->args);
}

int cmd_bad_option(const struct ctx *ctx, int c, char **argv, struct err *err)
{
	/* glibc moves past a long option at once, past "-xy" only at its end. */
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int len = (int)strcspn(arg, "=");

	if (strncmp(arg, "--", 2) == 0) {
		if (c == ':')
			return cmd_usage(ctx, err, "option '%.*s' needs a value", len, arg);
		if (optopt && arg[len] == '=')
			return cmd_usage(ctx, err, "option '%.*s' takes no value", len, arg);
		return cmd_usage(ctx, err, "unknown option '%.*s'", len, arg);
	}
	if (c == ':')
		return cmd_usage(ctx, err, "option '-%c' needs a value", optopt);
	return cmd_usage(ctx, err, "unknown option '-%c'", optopt);
}

int cmd_ready(struct ctx *ctx, struct err *err)
{
	const struct cmd_entry *e = ctx->entry;
	char *found = NULL;
	int rc;

	if (e->needs & NEED_STACK) {
		if (ctx->stack_file == NULL) {
			char *cwd = getcwd(NULL, 0);

			if (cwd == NULL)
				return err_sys(err, errno, "cannot get the current directory");
			rc = stack_find(cwd, &found, err);
			free(cwd);
			if (rc < 0)
				return -1;
		}
		rc = stack_load(found ? found : ctx->stack_file, &ctx->stack, err);
		free(found);
		if (rc < 0)
			return -1;
	}
	if (e->needs & (NEED_STATE | NEED_LOCK)) {
		if (state_open(&ctx->state, ctx->stack->name, 1, err) < 0)
			return -1;
		ctx->have_state = 1;
	}
	if ((e->needs & NEED_LOCK) && state_lock(&ctx->state, e->name, err) < 0)
		return -1;
	if (e->needs & (NEED_STATE | NEED_LOCK)) {
		char *path = path_join(ctx->state.dir, "journal");

		rc = journal_open(&ctx->journal, path, err);
		free(path);
		if (rc < 0)
			return -1;
		ctx->have_journal = 1;
	}
	return 0;
}

void cmd_unknown(const char *name)
{
	const char *names[sizeof(cmd_table) / sizeof(cmd_table[0])];
	const char *near;
	size_t n;

	for (n = 0; cmd_table[n].name; n++)
		names[n] = cmd_table[n].name;
	near = text_nearest(name, names, n);
	if (near)
		fprintf(stderr, "ftboot: unknown command '%s'; did you mean '%s'?\n", name, near);
	else
		fprintf(stderr, "ftboot: unknown command '%s'; run 'ftboot --help' for the list\n",
		        name);
}

const struct cmd_entry *cmd_find(const char *name)
{
	const struct cmd_entry *e;

	for (e = cmd_table; e->name; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}
