/*
 * help: `ftboot help [COMMAND]`, `ftboot --help`, and the usage text,
 * all generated from the command table.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

void cmd_print_usage(void *fp)
{
	FILE *f = fp;
	const struct cmd_entry *e;

	fprintf(f, "usage: ftboot [-f FILE] [-v] [-q] COMMAND [ARGS]\n"
	           "\n"
	           "Bring up, check and tear down an ft_services stack (k3s in a libvirt VM).\n"
	           "\n"
	           "Commands:\n");
	for (e = cmd_table; e->name; e++)
		fprintf(f, "  %-11s %s%s\n", e->name, e->summary,
		        e->run ? "" : " (not implemented yet)");
	fprintf(f, "\n"
	           "Options:\n"
	           "  -f, --file FILE  the stack file (default: srcs/stack.yaml, searched from\n"
	           "                   the current directory upward)\n"
	           "  -v, --verbose    say more (repeatable)\n"
	           "  -q, --quiet      say only errors\n"
	           "  -h, --help       this help\n"
	           "  -V, --version    ftboot's version and its libraries'\n"
	           "\n"
	           "Run 'ftboot help COMMAND' for a command's options.\n"
	           "Exit status: 0 done, 1 failed, 2 bad usage, 3 not implemented yet,\n"
	           "4 another ftboot holds the stack's lock.\n");
}

void cmd_print_help(const struct cmd_entry *e)
{
	printf("usage: ftboot %s%s%s\n\n%s.\n", e->name, e->args[0] ? " " : "", e->args,
	       e->summary);
	if (e->help[0])
		printf("\n%s", e->help);
	if (e->run == cmd_up)
		cmd_up_help();
	if (e->run == NULL)
		printf("\nThis command is not implemented yet.\n");
}

int cmd_help(struct ctx *ctx, int argc, char **argv, struct err *err)
{
	const struct cmd_entry *e;

	if (argc < 2) {
		cmd_print_usage(stdout);
		return 0;
	}
	if (argc > 2)
		return cmd_usage(ctx, err, "unexpected argument '%s'", argv[2]);
	e = cmd_find(argv[1]);
	if (e == NULL)
		return err_set(err, ERR_USAGE, "no command '%s'; run 'ftboot --help' for the list",
		               argv[1]);
	cmd_print_help(e);
	return 0;
}
