/*
 * main: global options, the command table, and the one place errors are
 * printed. Each command's work is in cmd_<verb>.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "text.h"
#include "xmem.h"

#define NOT_YET NULL

const struct cmd_entry cmd_table[] = {
    {"up", cmd_up, "[--until STEP]", "create or converge the VM, cluster, images and manifests",
     "Bring the stack to its declared state, step by step: fetch, vm, provision,\n"
     "build, apply, report. Idempotent: with nothing changed it does nothing and\n"
     "says so. Safe to interrupt and run again.\n",
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
	return 0;
}

static void unknown_command(const char *name)
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"file", required_argument, NULL, 'f'}, {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},      {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},    {NULL, 0, NULL, 0},
	};
	struct ctx ctx = {0};
	struct err err;
	const struct cmd_entry *e;
	int c, rc, first;

	err_clear(&err);
	/*
	 * A peer that closes its socket (sshd in a guest, libvirtd, an HTTP
	 * server) must be an error ftboot reports, not a silent death: libssh2
	 * and libvirt's RPC write with plain send(2). Seen: a converged `up`
	 * killed by SIGPIPE on its way out (exit 141). ftboot runs no child
	 * program, so nothing inherits the ignored signal.
	 */
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "+f:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			ctx.stack_file = optarg;
			break;
		case 'v':
			ctx.verbose++;
			break;
		case 'q':
			ctx.quiet = 1;
			break;
		case 'h':
			cmd_print_usage(stdout);
			return 0;
		case 'V': {
			char name[] = "version";
			char *args[] = {name, NULL};

			ctx.entry = cmd_find(name);
			return cmd_version(&ctx, 1, args, &err) < 0 ? ERR_FAIL : 0;
		}
		default:
			cmd_print_usage(stderr);
			return ERR_USAGE;
		}
	}
	if (optind >= argc) {
		cmd_print_usage(stderr);
		return ERR_USAGE;
	}
	e = cmd_find(argv[optind]);
	if (e == NULL) {
		unknown_command(argv[optind]);
		return ERR_USAGE;
	}
	if (e->run == NULL) {
		fprintf(stderr, "ftboot: '%s' is not implemented yet\n", e->name);
		return ERR_NOTIMPL;
	}
	first = optind;
	ctx.entry = e;
	optind = 0; /* glibc: start over, at argv[1] of the command's argv */
	rc = e->run(&ctx, argc - first, argv + first, &err);
	if (rc < 0) {
		if (err.code == ERR_USAGE)
			fprintf(stderr, "ftboot %s: %s\n", e->name, err.msg);
		else
			fprintf(stderr, "ftboot: %s\n", err.msg);
	}
	if (ctx.have_state)
		state_close(&ctx.state);
	stack_free(ctx.stack);
	return rc < 0 ? (err.code ? err.code : ERR_FAIL) : 0;
}
