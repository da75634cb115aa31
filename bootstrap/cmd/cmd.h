/*
 * cmd: what main.c hands each command, and the command table (cmd.c). main()
 * parses the global options, looks the command up in cmd_table and calls
 * cmd_run, which parses the command's options and arguments from the
 * entry's declaration (one parser for every command) and runs it; main
 * prints the one error it returns. A command then calls cmd_ready to set up
 * what its `needs` say (stack, state, lock): a usage error reads no stack
 * and creates nothing.
 */
#ifndef FTBOOT_CMD_H
#define FTBOOT_CMD_H

#include "err.h"
#include "journal.h"
#include "stack.h"
#include "state.h"
#include "step.h"

enum cmd_needs {
	NEED_STACK = 1 << 0, /* the stack file, loaded and validated */
	NEED_STATE = 1 << 1, /* the stack's state directory, created */
	NEED_LOCK = 1 << 2,  /* ... and its lock */
};

struct ctx {
	const char *stack_file; /* -f FILE, or NULL to search */
	int verbose;            /* -v, repeatable */
	int quiet;              /* -q */
	struct stack *stack;    /* with NEED_STACK */
	struct state state;     /* with NEED_STATE */
	int have_state;
	struct journal journal; /* with NEED_STATE: the run's, opened with the state */
	int have_journal;
	const struct cmd_entry *entry; /* the command being run */
	/*
	 * Exit statuses a command may set for main: status on success (0
	 * unless set; `ssh`: the remote command's), and fail_status, when not
	 * 0, for any failure in place of err->code (`ssh`: 255, as ssh(1), so
	 * that no own failure looks like a remote exit status).
	 */
	int status;
	int fail_status;
};

/*
 * One option of a command, as declared in its table entry: --NAME, also
 * -LETTER if letter is not 0; with a value (--out DIR, --out=DIR, -o DIR,
 * -oDIR) if value names it, else a flag. help is its line in
 * `ftboot help NAME`. -h and --help are every command's, not declared.
 */
struct cmd_opt {
	const char *name;
	char letter;
	const char *value;
	const char *help;
};

#define CMD_OPTS_MAX  12 /* options one command may declare */
#define CMD_ARGS_MANY -1 /* max_args: no limit */

/*
 * What cmd_parse found: for the option declared at index i, how often it
 * was given and its last value; then the positional arguments. Read it
 * with cmd_args_has and cmd_args_get.
 */
struct cmd_args {
	const struct cmd_entry *entry;
	int count[CMD_OPTS_MAX];
	const char *value[CMD_OPTS_MAX];
	int argc;            /* positional arguments, after the options */
	char **argv;         /* argv[argc] is NULL */
	int before_dashdash; /* how many of them came before "--"; argc if none */
	int help;            /* -h or --help was given */
};

struct cmd_entry {
	const char *name;
	/* NULL: the command is in the table but not built yet. */
	int (*run)(struct ctx *ctx, const struct cmd_args *args, struct err *err);
	const struct cmd_opt *opts; /* ended by {NULL}; NULL if none */
	/* Positional arguments: between min_args and max_args (or CMD_ARGS_MANY),
	 * named for the synopsis by the words of operands ("COMMAND"; the last
	 * word names the rest). */
	int min_args, max_args;
	const char *operands;
	/* The arguments' part of the synopsis, written out, where the words of
	 * operands cannot say it ("[SERVICE] [-- COMMAND [ARG...]]"); the
	 * command then checks its arguments itself. */
	const char *operands_synopsis;
	const char *summary; /* one line for the command list */
	const char *help;    /* the rest of `ftboot help NAME` (options are added) */
	unsigned needs;
	/* Not 0: the exit status of every failure of the command, usage
	 * errors included (`ssh`: 255, as ssh(1)). */
	int fail_status;
};

extern const struct cmd_entry cmd_table[];

/*
 * Set up what ctx->entry needs: load and validate the stack file (-f, or
 * found upward from the current directory), open the state directory,
 * take the lock, open the journal (ctx->journal, closed by main). Called
 * by each command once its arguments are checked.
 */
int cmd_ready(struct ctx *ctx, struct err *err);

/*
 * Parse argv (argv[0] is the command's name) by e's declaration into a
 * (released with cmd_args_release, also on failure): options before,
 * between and after the positional arguments, until "--". An unknown
 * option, a value missing or given to a flag, too many or too few
 * arguments: -1 with a cmd_usage error. argv is not changed.
 */
int cmd_parse(const struct cmd_entry *e, int argc, char **argv, struct cmd_args *a,
              struct err *err);

void cmd_args_release(struct cmd_args *a);

/*
 * How often the option called name was given (0: not at all), and its
 * last value (NULL if not given). name must be declared for the command:
 * anything else is a bug, and aborts.
 */
int cmd_args_has(const struct cmd_args *a, const char *name);
const char *cmd_args_get(const struct cmd_args *a, const char *name);

/*
 * Run ctx->entry with argv (argv[0] its name): parse the options, answer
 * -h/--help, then call the command. Returns what it returns; ERR_NOTIMPL
 * for a command not built yet.
 */
int cmd_run(struct ctx *ctx, int argc, char **argv, struct err *err);

/*
 * The synopsis of e after "ftboot NAME": "[--out DIR] [--show-secrets]",
 * built from its declaration, in out (size bytes). Returns out.
 */
char *cmd_synopsis(const struct cmd_entry *e, char *out, size_t size);

/*
 * A usage error for the running command: "MESSAGE; usage: ftboot NAME
 * SYNOPSIS". Returns -1 with err->code ERR_USAGE.
 */
int cmd_usage(const struct ctx *ctx, struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Say on stderr that name is no command, with the nearest one if any. */
void cmd_unknown(const char *name);

/* The entry called name, or NULL. */
const struct cmd_entry *cmd_find(const char *name);

/* Print `ftboot help NAME` text for e to stdout. */
void cmd_print_help(const struct cmd_entry *e);

/* Print the general usage (global options and the command list) to f. */
void cmd_print_usage(void *f);

/*
 * The run a command hands the steps or the teardown: ctx's stack, state and
 * journal (cmd_ready has opened them), report (NULL: say nothing), -v.
 */
struct run cmd_run_of(struct ctx *ctx, const struct report *report);

/*
 * For a command that takes no lock (status, docker-env): open the stack's
 * state into st (made only with create), its journal into j if the state
 * exists (else j stays empty: nothing is made to read it), and fill run
 * with them, as cmd_run_of. The caller releases j and st, also on failure.
 */
int cmd_peek_state(struct ctx *ctx, int create, struct state *st, struct journal *j,
                   struct run *run, struct err *err);

/* Print the steps of `up`, each with what it converges (help up). */
void cmd_up_help(void);

/*
 * --jobs N of args (1 to 64) into *jobs, 0 when not given; anything else
 * is a usage error.
 */
int cmd_jobs(const struct ctx *ctx, const struct cmd_args *args, int *jobs, struct err *err);

/* Install build_on_signal (build.h) for SIGINT and SIGTERM. */
void cmd_catch_interrupts(void);

/* After a failure: if a signal cancelled the builds, exit 128 + its number. */
void cmd_interrupted(struct ctx *ctx);

/* Commands: each gets its options and arguments parsed and checked. */
int cmd_render(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_up(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_build(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_apply(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_down(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_status(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_check(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_ssh(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_docker_env(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_kubeconfig(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_dashboard(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_help(struct ctx *ctx, const struct cmd_args *args, struct err *err);
int cmd_version(struct ctx *ctx, const struct cmd_args *args, struct err *err);

#endif
