/*
 * help: `ftboot help [COMMAND]`, `ftboot --help`, and the usage text,
 * all generated from the command table: a command's synopsis and options
 * from its declaration.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "text.h"

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

/*
 * How o is written in the list: "-o, --out DIR", or "--purge"; with pad,
 * a long-only option is indented as if it had a letter ("    --json").
 */
static char *opt_label(const struct cmd_opt *o, int pad, char *out, size_t size)
{
	char letter[5] = "    ";

	if (o->letter)
		snprintf(letter, sizeof(letter), "-%c, ", o->letter);
	snprintf(out, size, "%s--%s%s%s", o->letter || pad ? letter : "", o->name,
	         o->value ? " " : "", o->value ? o->value : "");
	return out;
}

void cmd_print_help(const struct cmd_entry *e)
{
	const struct cmd_opt *o;
	char syn[512], label[96];
	int width = 0, pad = 0;

	cmd_synopsis(e, syn, sizeof(syn));
	printf("usage: ftboot %s%s%s\n\n%s.\n", e->name, syn[0] ? " " : "", syn, e->summary);
	if (e->help[0])
		printf("\n%s", e->help);
	if (e->run == cmd_up)
		cmd_up_help();
	for (o = e->opts; o && o->name; o++)
		pad |= o->letter != 0;
	for (o = e->opts; o && o->name; o++) {
		int n = (int)strlen(opt_label(o, pad, label, sizeof(label)));

		width = n > width ? n : width;
	}
	if (e->opts && e->opts[0].name)
		printf("\nOptions:\n");
	for (o = e->opts; o && o->name; o++)
		printf("  %-*s  %s\n", width, opt_label(o, pad, label, sizeof(label)), o->help);
	if (e->run == NULL)
		printf("\nThis command is not implemented yet.\n");
}

int cmd_help(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	const struct cmd_entry *e;
	const char *name = args->argv[0];
	char q[80];

	(void)ctx;
	if (args->argc == 0) {
		cmd_print_usage(stdout);
		return 0;
	}
	e = cmd_find(name);
	if (e == NULL)
		return err_set(err, ERR_USAGE, "no command '%s'; run 'ftboot --help' for the list",
		               text_quote(name, strlen(name), q, sizeof(q)));
	cmd_print_help(e);
	return 0;
}
