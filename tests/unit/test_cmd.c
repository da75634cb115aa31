/*
 * test_cmd: the one option parser (cmd_parse) on a declaration made here
 * and on the real command table, the synopsis and help generated from the
 * declarations, and real commands run through cmd_run without main().
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "scratch.h"
#include "tap.h"
#include "xmem.h"

static const struct cmd_opt fake_opts[] = {
    {"all", 'a', NULL, "every one"},       {"brief", 'b', NULL, "say less"},
    {"out", 'o', "DIR", "write into DIR"}, {"output-format", 0, "FMT", "write in FMT"},
    {"level", 0, "N", "at level N"},       {NULL, 0, NULL, NULL},
};

static const struct cmd_entry fake = {
    .name = "fake",
    .opts = fake_opts,
    .min_args = 1,
    .max_args = 2,
    .operands = "SRC DST",
    .summary = "a command for the test",
    .help = "",
};

#define FAKE_USAGE                                                                                 \
	"usage: ftboot fake [--all] [--brief] [--out DIR] [--output-format FMT] [--level N] SRC "  \
	"[DST]"

/* The words of the last parse; cmd_args points into them. */
static char *words[16];
static int nwords;

static void words_free(void)
{
	while (nwords > 0)
		free(words[--nwords]);
}

/* Split line at spaces into words (argv: words[0] the command's name). */
static void split(const char *line)
{
	char *copy = xstrdup(line), *p = copy, *sp;

	words_free();
	for (;;) {
		sp = strchr(p, ' ');
		if (sp)
			*sp = '\0';
		words[nwords++] = xstrdup(p);
		if (sp == NULL)
			break;
		p = sp + 1;
	}
	words[nwords] = NULL;
	free(copy);
}

/* Parse "NAME ARG..." (split at spaces) by e. */
static int parse(const struct cmd_entry *e, const char *line, struct cmd_args *a, struct err *err)
{
	split(line);
	err_clear(err);
	return cmd_parse(e, nwords, words, a, err);
}

/* line fails with the usage error "want; FAKE_USAGE". */
static void parse_fails(const char *line, const char *want)
{
	struct cmd_args a;
	struct err err;
	char *full = xasprintf("%s; %s", want, FAKE_USAGE);
	int rc = parse(&fake, line, &a, &err);

	is_int(rc, -1, "'%s' fails", line);
	is_int(err.code, ERR_USAGE, "'%s' is a usage error", line);
	is_str(err.msg, full, "'%s' says what is wrong", line);
	cmd_args_release(&a);
	free(full);
}

static void test_positions(void)
{
	struct cmd_args a;
	struct err err;

	ok(parse(&fake, "fake x", &a, &err) == 0, "one argument");
	is_int(a.argc, 1, "one positional");
	is_str(a.argv[0], "x", "the positional");
	ok(a.argv[1] == NULL, "argv ends in NULL");
	is_int(cmd_args_has(&a, "all"), 0, "--all not given");
	ok(cmd_args_get(&a, "out") == NULL, "--out not given: NULL");
	ok(!a.help, "no help asked");
	cmd_args_release(&a);

	ok(parse(&fake, "fake -a x -b y", &a, &err) == 0, "options between arguments");
	is_int(a.argc, 2, "two positionals");
	is_str(a.argv[0], "x", "first positional");
	is_str(a.argv[1], "y", "second positional");
	is_int(cmd_args_has(&a, "all"), 1, "-a before");
	is_int(cmd_args_has(&a, "brief"), 1, "-b between");
	is_str(words[1], "-a", "argv is not permuted (1)");
	is_str(words[2], "x", "argv is not permuted (2)");
	cmd_args_release(&a);

	ok(parse(&fake, "fake x y --all", &a, &err) == 0, "option after the arguments");
	is_int(cmd_args_has(&a, "all"), 1, "--all after the arguments");
	is_int(a.argc, 2, "still two positionals");
	cmd_args_release(&a);

	setenv("POSIXLY_CORRECT", "1", 1);
	ok(parse(&fake, "fake x --all", &a, &err) == 0, "POSIXLY_CORRECT set");
	is_int(cmd_args_has(&a, "all"), 1, "an option after an argument still counts");
	cmd_args_release(&a);
	unsetenv("POSIXLY_CORRECT");

	ok(parse(&fake, "fake -- -a x", &a, &err) == 0, "'--' ends the options");
	is_int(a.argc, 2, "what follows '--' is positional");
	is_str(a.argv[0], "-a", "'-a' after '--'");
	is_int(cmd_args_has(&a, "all"), 0, "and is no option");
	cmd_args_release(&a);

	ok(parse(&fake, "fake - x", &a, &err) == 0, "'-' alone");
	is_str(a.argv[0], "-", "is an argument");
	cmd_args_release(&a);
}

static void test_values(void)
{
	static const char *const forms[] = {"fake -oDIR x", "fake -o DIR x", "fake --out=DIR x",
	                                    "fake --out DIR x", "fake x -ab -o DIR"};
	struct cmd_args a;
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		ok(parse(&fake, forms[i], &a, &err) == 0, "'%s'", forms[i]);
		is_str(cmd_args_get(&a, "out"), "DIR", "'%s': the value", forms[i]);
		is_int(cmd_args_has(&a, "out"), 1, "'%s': given once", forms[i]);
		is_int(a.argc, 1, "'%s': one positional", forms[i]);
		cmd_args_release(&a);
	}

	ok(parse(&fake, "fake -ab x", &a, &err) == 0, "a cluster of flags");
	is_int(cmd_args_has(&a, "all"), 1, "-a in the cluster");
	is_int(cmd_args_has(&a, "brief"), 1, "-b in the cluster");
	cmd_args_release(&a);

	ok(parse(&fake, "fake -aa --all x", &a, &err) == 0, "a flag three times");
	is_int(cmd_args_has(&a, "all"), 3, "counted three times");
	cmd_args_release(&a);

	ok(parse(&fake, "fake --out A x --out B", &a, &err) == 0, "a value twice");
	is_str(cmd_args_get(&a, "out"), "B", "the last one counts");
	is_int(cmd_args_has(&a, "out"), 2, "given twice");
	cmd_args_release(&a);

	ok(parse(&fake, "fake x --outp=json", &a, &err) == 0, "a unique prefix");
	is_str(cmd_args_get(&a, "output-format"), "json", "names its option");
	ok(cmd_args_get(&a, "out") == NULL, "not the shorter one");
	cmd_args_release(&a);

	ok(parse(&fake, "fake x --out y", &a, &err) == 0, "an exact name beside a longer one");
	is_str(cmd_args_get(&a, "out"), "y", "is that option");
	cmd_args_release(&a);

	ok(parse(&fake, "fake --help", &a, &err) == 0, "--help, even without the arguments");
	ok(a.help, "asks for help");
	cmd_args_release(&a);
	ok(parse(&fake, "fake x -h y z", &a, &err) == 0, "-h, even with too many arguments");
	ok(a.help, "asks for help");
	cmd_args_release(&a);
}

static void test_errors(void)
{
	struct cmd_args a;
	struct err err;

	parse_fails("fake", "missing SRC");
	parse_fails("fake --all", "missing SRC");
	parse_fails("fake a b c", "unexpected argument 'c'");
	parse_fails("fake a -- b c", "unexpected argument 'c'");
	parse_fails("fake x --out", "option '--out' needs a value");
	parse_fails("fake x --outp", "option '--output-format' needs a value");
	parse_fails("fake x -o", "option '-o' needs a value");
	parse_fails("fake x --out=", "option '--out' needs a value, not an empty one");
	parse_fails("fake x -o ", "option '--out' needs a value, not an empty one");
	parse_fails("fake x --all=1", "option '--all' takes no value");
	parse_fails("fake x --help=1", "option '--help' takes no value");
	parse_fails("fake x -z", "unknown option '-z'");
	parse_fails("fake x -az", "unknown option '-z'");
	parse_fails("fake --all -zb x", "unknown option '-z'");
	parse_fails("fake x --bogus", "unknown option '--bogus'");
	parse_fails("fake x --bogus=1", "unknown option '--bogus'");
	parse_fails("fake x --levle=3", "unknown option '--levle' (did you mean '--level'?)");
	parse_fails("fake x --ou=1", "option '--ou' is ambiguous; write more of its name");
	/* What the user typed is quoted, never copied to the terminal raw. */
	parse_fails("fake x --\x1b[31m", "unknown option '--?[31m'");
	parse_fails("fake x -\x1b", "unknown option '-?'");
	parse_fails("fake x -\xc3\xa9", "unknown option '-?'");
	parse_fails("fake x -a\xff", "unknown option '-?'");
	parse_fails("fake x --=1", "unknown option '--'");
	parse_fails("fake a b \x1b]0;x\x07", "unexpected argument '?]0;x?'");

	/* The parser starts over each time: a failure leaves nothing behind. */
	ok(parse(&fake, "fake x", &a, &err) == 0, "a good parse after a bad one");
	is_int(a.argc, 1, "sees only its own arguments");
	cmd_args_release(&a);
}

/* Reading an option the command does not declare is a bug: it aborts. */
static void test_undeclared(void)
{
	struct cmd_args a;
	struct err err;
	int status = 0;
	pid_t pid;

	ok(parse(&fake, "fake x", &a, &err) == 0, "parse for the undeclared read");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		(void)cmd_args_has(&a, "nosuch");
		_exit(0);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid, "the child ran");
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	   "cmd_args_has on an undeclared option aborts");
	cmd_args_release(&a);
}

static void test_synopsis(void)
{
	static const struct cmd_entry many = {
	    .name = "m", .min_args = 2, .max_args = CMD_ARGS_MANY, .operands = "HOST FILE"};
	char syn[512];
	struct err err;
	struct ctx ctx = {.entry = &fake};

	is_str(cmd_synopsis(&fake, syn, sizeof(syn)), FAKE_USAGE + strlen("usage: ftboot fake "),
	       "synopsis of the test's command");
	is_str(cmd_synopsis(&many, syn, sizeof(syn)), "HOST FILE [FILE...]",
	       "required arguments, then the rest repeated");
	is_str(cmd_synopsis(cmd_find("build"), syn, sizeof(syn)), "[--jobs N] [SERVICE...]",
	       "build");
	is_str(cmd_synopsis(cmd_find("version"), syn, sizeof(syn)), "", "version has none");
	is_str(cmd_synopsis(cmd_find("render"), syn, sizeof(syn)), "[--out DIR] [--show-secrets]",
	       "render");
	is_str(cmd_synopsis(&fake, syn, 20), "[--all] [--brief] [", "a short buffer cuts, ended");
	is_int(cmd_usage(&ctx, &err, "no %s", "good"), -1, "cmd_usage returns -1");
	is_str(err.msg, "no good; " FAKE_USAGE, "cmd_usage adds the synopsis");
}

/* Each declaration in the table is one the parser and help can use. */
static void test_table(void)
{
	const struct cmd_entry *e;
	const struct cmd_opt *o, *p;

	for (e = cmd_table; e->name; e++) {
		int n = 0, bad = 0;

		ok(e->summary && e->summary[0] && e->help, "'%s' has a summary and help", e->name);
		ok(e->max_args == CMD_ARGS_MANY || e->max_args >= e->min_args,
		   "'%s': max_args >= min_args", e->name);
		ok((e->max_args == 0) == (e->operands == NULL), "'%s': arguments have names",
		   e->name);
		for (o = e->opts; o && o->name; o++, n++) {
			/* "  -o, --out DIR  help" must fit in 80 columns. */
			size_t width =
			    2 + 6 + strlen(o->name) + (o->value ? 1 + strlen(o->value) : 0);

			bad |= strspn(o->name, "abcdefghijklmnopqrstuvwxyz-") != strlen(o->name);
			bad |= strcmp(o->name, "help") == 0 || o->letter == 'h';
			bad |= o->value &&
			       strspn(o->value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(o->value);
			bad |= o->help == NULL || o->help[0] == '\0' ||
			       width + 2 + strlen(o->help) > 80;
			for (p = e->opts; p != o; p++)
				bad |= strcmp(p->name, o->name) == 0 ||
				       (o->letter && p->letter == o->letter);
		}
		ok(n <= CMD_OPTS_MAX, "'%s' declares at most %d options", e->name, CMD_OPTS_MAX);
		ok(!bad, "'%s': options named, lettered and helped as the parser and help need",
		   e->name);
	}
}

/* Run line ("COMMAND ARG...") through cmd_run; its stdout in *out (freed by the caller). */
static int run(const char *dir, const char *line, char **out, struct err *err)
{
	struct ctx ctx = {.stack_file = "/nonexistent/stack.yaml", .quiet = 1};
	char *path = xasprintf("%s/stdout", dir);
	int saved, fd, rc;

	split(line);
	ctx.entry = cmd_find(words[0]);
	err_clear(err);
	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	rc = cmd_run(&ctx, nwords, words, err);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	*out = scratch_slurp(path);
	free(path);
	if (ctx.have_state)
		state_close(&ctx.state);
	stack_free(ctx.stack);
	return rc;
}

static void test_commands(void)
{
	char *dir = scratch_open("cmd"), *out = NULL, want[256];
	const struct cmd_entry *e;
	const struct cmd_opt *o;
	struct err err;
	size_t i;
	/* Usage errors come before the stack is read: -f names no file. */
	static const char *const usage_errors[][2] = {
	    {"up extra", "unexpected argument 'extra'; usage: ftboot up [--until STEP] [--jobs N]"},
	    {"up --until",
	     "option '--until' needs a value; usage: ftboot up [--until STEP] [--jobs N]"},
	    {"down --purge=1", "option '--purge' takes no value; usage: ftboot down [--purge]"},
	    {"down --prge", "unknown option '--prge' (did you mean '--purge'?); usage: ftboot down "
	                    "[--purge]"},
	    {"status x", "unexpected argument 'x'; usage: ftboot status [--json]"},
	    {"render -o", "option '-o' needs a value; usage: ftboot render [--out DIR] "
	                  "[--show-secrets]"},
	    {"ssh a b",
	     "unexpected argument 'b'; usage: ftboot ssh [SERVICE] [-- COMMAND [ARG...]]"},
	    {"help a b", "unexpected argument 'b'; usage: ftboot help [COMMAND]"},
	    {"version x", "unexpected argument 'x'; usage: ftboot version"},
	    {"check --junit", "option '--junit' needs a value; usage: ftboot check [--json] "
	                      "[--junit FILE] [--report FILE] [--only IDS] [--destructive] [--all] "
	                      "[--fail-fast] [--address IP] [--jobs N] [--timeout S]"},
	};

	is_int(run(dir, "version", &out, &err), 0, "version runs without main()");
	snprintf(want, sizeof(want), "ftboot %s\nlibvirt ", FTBOOT_VERSION);
	ok(out && strncmp(out, want, strlen(want)) == 0, "version prints its version first");
	free(out);

	for (i = 0; i < sizeof(usage_errors) / sizeof(usage_errors[0]); i++) {
		is_int(run(dir, usage_errors[i][0], &out, &err), -1, "'%s' fails",
		       usage_errors[i][0]);
		is_int(err.code, ERR_USAGE, "'%s' is a usage error", usage_errors[i][0]);
		is_str(err.msg, usage_errors[i][1], "'%s': the message", usage_errors[i][0]);
		free(out);
	}
	is_int(run(dir, "up --until nothing", &out, &err), -1, "up --until nothing");
	is_int(err.code, ERR_USAGE, "is a usage error, from up itself");
	free(out);
	is_int(run(dir, "render extra", &out, &err), -1, "render extra, before the stack");
	ok(strstr(err.msg, "stack") == NULL, "the stack file is not read: %s", err.msg);
	free(out);

	/* check is built: past its options it reads the stack file, which is not there. */
	is_int(run(dir, "check", &out, &err), -1, "check");
	is_int(err.code, ERR_FAIL, "is built: it fails on the missing stack file");
	ok(strstr(err.msg, "stack.yaml") != NULL, "naming it: %s", err.msg);
	free(out);

	is_int(run(dir, "help render", &out, &err), 0, "help render");
	ok(out && strncmp(out, "usage: ftboot render [--out DIR] [--show-secrets]\n", 50) == 0,
	   "starts with the generated synopsis");
	ok(out && strstr(out, "\nOptions:\n  -o, --out DIR       write one file per template"),
	   "lists --out with its letter and value");
	ok(out && strstr(out, "\n      --show-secrets  the real secrets"),
	   "lists --show-secrets, aligned");
	free(out);

	is_int(run(dir, "render --help", &out, &err), 0, "render --help");
	ok(out && strncmp(out, "usage: ftboot render ", 21) == 0, "prints render's help");
	free(out);

	/* help CMD lists each option the entry declares, with its help line. */
	for (e = cmd_table; e->name; e++) {
		char *line = xasprintf("help %s", e->name);
		int all = 1;

		is_int(run(dir, line, &out, &err), 0, "'%s' exits 0", line);
		for (o = e->opts; o && o->name; o++) {
			char *label = xasprintf("--%s%s%s  ", o->name, o->value ? " " : "",
			                        o->value ? o->value : "");
			char *at = out ? strstr(out, label) : NULL;

			all &= at && strstr(at, o->help) && strchr(at, '\n') > strstr(at, o->help);
			free(label);
		}
		ok(all, "'%s' lists each declared option with its help", line);
		ok(out && (e->opts == NULL) == (strstr(out, "\nOptions:\n") == NULL),
		   "'%s' has an Options list exactly when options are declared", line);
		free(line);
		free(out);
	}
	words_free();
	scratch_close(dir);
}

int main(void)
{
	test_positions();
	test_values();
	test_errors();
	test_undeclared();
	test_synopsis();
	test_table();
	test_commands();
	words_free();
	return tap_done();
}
