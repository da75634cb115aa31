/*
 * step: the pipeline of `up`, as data. One table lists the steps in
 * order, each with what it converges and the function that does it;
 * `up --until`, `ftboot help up`, `status` and the messages about steps
 * all read it, and nothing else lists the steps.
 *
 * A step takes the run (below) and converges one layer; it reports
 * through run->report and journals each resource before creating it.
 * It never reaches into another step's internals.
 */
#ifndef FTBOOT_STEP_H
#define FTBOOT_STEP_H

#include "buf.h"
#include "doc.h"
#include "err.h"
#include "journal.h"
#include "report.h"
#include "stack.h"
#include "state.h"

/*
 * The run: what one command run hands every step and `down` (teardown.h):
 * the stack, its open (and locked) state, the journal opened with it,
 * the report interface and the options. All borrowed: the command owns
 * them.
 */
struct run {
	const struct stack *stack;
	struct state *state;
	struct journal *journal;
	const struct report *report; /* NULL: say nothing */
	const char *until;           /* `up --until STEP`, or NULL: every step */
	int verbose;
	int jobs; /* `--jobs N`: parallel builds; 0: the engine's CPU count */
};

struct step {
	const char *name;
	const char *summary; /* one line: what the step converges */
	/* Converge the layer; idempotent. NULL: not built yet. */
	int (*run)(struct run *run, struct err *err);
	/*
	 * What exists of the layer, for `status`: lines "LABEL      VALUE\n"
	 * into text and an object into *json. NULL: nothing to say yet.
	 * run->state may not exist; then run->journal is empty.
	 */
	int (*status)(struct run *run, struct buf *text, struct doc_node **json, struct err *err);
	/*
	 * NULL, or: 1 when the step has nothing to do for this stack (the
	 * vm step for a stack on an external cluster), *why saying so in a
	 * few words ("the stack names a cluster of its own"); up then says
	 * "skipped: WHY" and goes on.
	 */
	int (*skip)(const struct run *run, const char **why);
	/* Register the resource kinds the step creates (teardown.h), or NULL. */
	int (*kinds)(struct err *err);
};

/* The steps, in order, ended by an entry with name NULL. */
extern const struct step step_table[];

/* The step called name, or NULL. */
const struct step *step_find(const char *name);

/*
 * The names of the steps from first (NULL: the first) to the end, or of
 * the steps after first with after set, joined by ", ": a new string.
 */
char *step_names(const struct step *first, int after);

/* Register every step's resource kinds, for `down`. */
int step_register_kinds(struct err *err);

#endif
