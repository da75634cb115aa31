/*
 * cmd: what main.c hands each command, and the command table (cmd.c). main()
 * parses the global options, looks the command up in cmd_table, runs it,
 * and prints the one error it returns. The command checks its own
 * arguments first, then calls cmd_ready to set up what its `needs` say
 * (stack, state, lock): a usage error reads no stack and creates nothing.
 */
#ifndef FTBOOT_CMD_H
#define FTBOOT_CMD_H

#include "err.h"
#include "journal.h"
#include "stack.h"
#include "state.h"

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
};

struct cmd_entry {
	const char *name;
	/* NULL: the command is in the table but not built yet. */
	int (*run)(struct ctx *ctx, int argc, char **argv, struct err *err);
	const char *args;    /* synopsis after the name */
	const char *summary; /* one line for the command list */
	const char *help;    /* the rest of `ftboot help NAME` */
	unsigned needs;
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
 * A usage error for the running command: "MESSAGE; usage: ftboot NAME
 * ARGS", ARGS from the table. Returns -1 with err->code ERR_USAGE.
 */
int cmd_usage(const struct ctx *ctx, struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The usage error for what getopt_long (with an optstring starting "+:")
 * returned as c, '?' or ':': the unknown option, or the option missing
 * its value.
 */
int cmd_bad_option(const struct ctx *ctx, int c, char **argv, struct err *err);

/* Say on stderr that name is no command, with the nearest one if any. */
void cmd_unknown(const char *name);

/* The entry called name, or NULL. */
const struct cmd_entry *cmd_find(const char *name);

/* Print `ftboot help NAME` text for e to stdout. */
void cmd_print_help(const struct cmd_entry *e);

/* Print the general usage (global options and the command list) to f. */
void cmd_print_usage(void *f);

/* Print the steps of `up`, each with what it converges (help up). */
void cmd_up_help(void);

/* Commands. */
int cmd_render(struct ctx *ctx, int argc, char **argv, struct err *err);
int cmd_up(struct ctx *ctx, int argc, char **argv, struct err *err);
int cmd_down(struct ctx *ctx, int argc, char **argv, struct err *err);
int cmd_status(struct ctx *ctx, int argc, char **argv, struct err *err);
int cmd_ssh(struct ctx *ctx, int argc, char **argv, struct err *err);
int cmd_help(struct ctx *ctx, int argc, char **argv, struct err *err);
int cmd_version(struct ctx *ctx, int argc, char **argv, struct err *err);

#endif
