/*
 * main: global options, the dispatch through the command table (cmd_run
 * in cmd.c parses the command's own options), and the one place errors
 * are printed. Each command's work is in its own file of bootstrap/cmd/.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "cmd.h"

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
			return cmd_run(&ctx, 1, args, &err) < 0 ? ERR_FAIL : 0;
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
		cmd_unknown(argv[optind]);
		return ERR_USAGE;
	}
	first = optind;
	ctx.entry = e;
	rc = cmd_run(&ctx, argc - first, argv + first, &err);
	if (rc < 0) {
		if (err.code == ERR_USAGE)
			fprintf(stderr, "ftboot %s: %s\n", e->name, err.msg);
		else
			fprintf(stderr, "ftboot: %s\n", err.msg);
	}
	if (ctx.have_journal)
		journal_close(&ctx.journal);
	if (ctx.have_state)
		state_close(&ctx.state);
	stack_free(ctx.stack);
	if (rc == 0)
		return ctx.status;
	if (ctx.fail_status)
		return ctx.fail_status;
	return err.code ? err.code : ERR_FAIL;
}
