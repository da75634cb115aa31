/*
 * check: `ftboot check`, the evaluation sheet (EVAL.md E1-E13) as data
 * and code. The checklist is srcs/checks.yaml beside the stack file: a
 * template rendered with render's variables (${lb_ip}, ${port.SVC.NAME},
 * ${values.NAME}, ${secret.NAME}, ...), then validated with positioned
 * errors like the stack file:
 *
 *   checks:
 *     - id: E5                      # [A-Z][A-Z0-9]*, unique
 *       title: nginx redirects, serves HTTPS and proxies phpMyAdmin
 *       kind: http                  # one of check_kinds[] below
 *       needs: [nginx, phpmyadmin]  # services that must be in the stack, else skip
 *       destructive: false          # true: run only with --destructive or --all
 *       ...                         # the kind's own keys (check_kind.keys)
 *
 * Check kinds are C (check_*.c, one file per family); each declares the
 * keys it takes, validates them (positioned errors through schema.h) and
 * runs. A run gets a struct check_run: the shared, read-only environment
 * (targets and credentials from the stack and its state) and its own
 * result, filled through check_fail, check_skip, check_evidence and
 * check_metric. A kind makes its own clients (HTTP, Kubernetes, engine,
 * SSH): checks run on threads of their own, side by side.
 *
 * No secret is ever in a result: every text a result holds is scrubbed
 * of the secrets' values (replaced by <secret:NAME>) as it is recorded,
 * and the outputs scrub again.
 */
#ifndef FTBOOT_CHECK_H
#define FTBOOT_CHECK_H

#include <stddef.h>

#include "buf.h"
#include "doc.h"
#include "err.h"
#include "schema.h"
#include "stack.h"
#include "step.h"
#include "tmpl.h"

/* Largest checklist read. */
#define CHECKS_MAX_BYTES (1u << 20)
/* Most checks in one checklist. */
#define CHECKS_MAX 256

struct check_def {
	char *id;    /* "E5" */
	char *title; /* "nginx redirects ..." */
	char *kind;  /* "http" */
	int destructive;
	char **needs;                /* services, NULL-terminated (may be empty) */
	const struct doc_node *node; /* the check's mapping, rendered (owned by the list) */
	struct doc_mark mark;
};

struct checklist {
	char *path; /* as shown in messages: "srcs/checks.yaml" */
	struct doc_list docs;
	struct check_def *v;
	size_t n;
};

/*
 * Render the checklist text (named path in messages) with vars and
 * validate it: the top-level mapping has only `checks:`, a sequence of
 * mappings each with id, title and kind (known), optional needs (services
 * of stack) and destructive, and the kind's own keys, validated by the
 * kind. Errors: "PATH:LINE:COL: checks[3].requests[0].status: expected
 * ..." Caller releases *out (also on failure).
 */
int checklist_parse(const char *path, const char *text, size_t len, const struct stack *stack,
                    const struct tmpl_vars *vars, struct checklist *out, struct err *err);
/* The same from the file at path (a regular file of at most CHECKS_MAX_BYTES). */
int checklist_load(const char *path, const struct stack *stack, const struct tmpl_vars *vars,
                   struct checklist *out, struct err *err);
void checklist_release(struct checklist *cl);
/* The check with id, or NULL. */
const struct check_def *checklist_find(const struct checklist *cl, const char *id);

/* ---- results ------------------------------------------------------------ */

enum check_status { CHECK_PASS, CHECK_FAIL, CHECK_SKIP };

/* A figure a check measured, for the outputs (E12's recovery times). */
struct check_metric {
	char *label;    /* "nginx/sshd" */
	double seconds; /* < 0: did not recover */
};

struct check_result {
	const struct check_def *def;
	enum check_status status;
	double seconds;      /* how long the check ran */
	int ran;             /* 0: not run (--fail-fast stopped before it) */
	char *expected;      /* CHECK_FAIL: what was expected */
	char *seen;          /* ... what was seen */
	char *hint;          /* ... and what to do (may be NULL) */
	char *reason;        /* CHECK_SKIP: why */
	struct buf evidence; /* lines ending in "\n": status lines, headers, timings */
	struct check_metric *metrics;
	size_t nmetrics;
};

void check_result_release(struct check_result *r);

/* "pass", "fail", "skip". */
const char *check_status_name(enum check_status s);

/* ---- the environment ---------------------------------------------------- */

/*
 * What every check reads, set up once by check_env_open and read-only
 * while checks run.
 */
struct check_env {
	const struct stack *stack;
	struct run *run; /* the command's run: state (may not exist), journal */
	char *top;       /* the repository: the parent of the stack file's directory */
	char *address;   /* the LB address the checks target (--address, else the stack's) */
	int have_state;  /* the state directory exists: secrets are real */
	/*
	 * The stack's own service certificate and SSH host key (svckeys.h),
	 * as the check pins them: NULL when the state has none (then the
	 * checks that need them fail saying so).
	 */
	char *tls_cert;    /* path of the PEM certificate nginx and vsftpd serve */
	char *ssh_host_fp; /* "SHA256:..." of nginx's sshd host key */
	/* Secrets: their values, to scrub from every text. */
	char **secret_names, **secret_values;
	size_t nsecrets;
	unsigned long timeout_ms; /* the bound of one check's waits (--timeout), 0: its own */
	/*
	 * Set by the runner: 1 once --fail-fast stops the run. A kind that
	 * waits polls check_cancelled.
	 */
	volatile int cancel;
};

/*
 * Fill env for the command's run: the stack, the address (address, or
 * NULL for the stack's vm.lb_address), the service keys' pins and the
 * secrets of the state (if it exists: nothing is created). Release with
 * check_env_release.
 */
int check_env_open(struct check_env *env, struct run *run, const char *address, struct err *err);
void check_env_release(struct check_env *env);

/*
 * Replace in s every secret value of env by "<secret:NAME>". A new
 * string (s NULL: NULL).
 */
char *check_scrub(const struct check_env *env, const char *s);
/*
 * s scrubbed and made safe for a terminal: control characters (C0,
 * DEL, C1) and bytes that are not UTF-8 become '?'. Not cut. A new
 * string (s NULL: NULL).
 */
char *check_clean(const struct check_env *env, const char *s);

/* ---- what a kind does ---------------------------------------------------- */

#define CHECK_RUN_SECRETS 4

struct check_run {
	const struct check_env *env;
	const struct check_def *def;
	struct check_result *res;
	/* Secrets of this run only (check_secret): copies, wiped at its end. */
	char *secrets[CHECK_RUN_SECRETS];
	size_t nsecrets;
};

/*
 * A secret the run came by (a login token): from now on scrubbed from
 * whatever this run records, as "<secret:run>", like the state's. At
 * most CHECK_RUN_SECRETS; value is copied.
 */
void check_secret(struct check_run *cr, const char *value);

struct check_kind {
	const char *name;
	/* The kind's own keys (NULL-terminated), beside id, title, kind, needs, destructive. */
	const char *const *keys;
	/*
	 * Validate the check's mapping (the keys are already known to be
	 * among keys). where is "checks[3]" for messages ("checks[3].url").
	 * NULL: nothing more to check.
	 */
	int (*validate)(struct schema *sc, const struct doc_node *check, const char *where);
	/*
	 * Run the check: return 0 when it ended (passed, unless check_fail or
	 * check_skip was called), -1 when it failed (check_fail called).
	 */
	int (*run)(struct check_run *cr);
};

/* Every kind, ended by {NULL}. */
extern const struct check_kind check_kinds[];
const struct check_kind *check_kind_find(const char *name);
/*
 * Unit tests only (test_check): one more kind, found after the table's,
 * so the runner can be seen to pass, wait and run side by side without
 * a real peer. NULL in ftboot.
 */
extern const struct check_kind *check_kind_test;

/*
 * Record a failure: what was expected, what was seen, and a hint (may be
 * NULL). Only the first failure of a run is kept; later ones go to the
 * evidence. Texts are scrubbed and quoted for a terminal. Returns -1.
 */
int check_fail(struct check_run *cr, const char *expected, const char *seen, const char *hint_fmt,
               ...) __attribute__((format(printf, 4, 5)));
/* check_fail with err's message as what was seen. Returns -1. */
int check_fail_err(struct check_run *cr, const char *expected, const struct err *err,
                   const char *hint);
/* Record a skip with its reason (the check could not run here). Returns 0. */
int check_skip(struct check_run *cr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Add a line of evidence ("GET http://IP/ -> 301, Location: https://IP/"), scrubbed. */
void check_evidence(struct check_run *cr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Record a figure (E12: the time one process took to recover; < 0: never). */
void check_metric(struct check_run *cr, const char *label, double seconds);
/* 1 once the run is being stopped (--fail-fast): a waiting kind gives up. */
int check_cancelled(const struct check_run *cr);
/* The bound of one wait, in ms: env->timeout_ms if set, else dflt. */
unsigned long check_timeout(const struct check_run *cr, unsigned long dflt);

/* Accessors for a check's own keys (validated already). */
const struct doc_node *check_key(const struct check_run *cr, const char *key);
/* The string at key, or dflt when absent. */
const char *check_str(const struct check_run *cr, const char *key, const char *dflt);
/* The integer at key, or dflt when absent. */
long long check_int(const struct check_run *cr, const char *key, long long dflt);

/* ---- the run ------------------------------------------------------------- */

struct check_select {
	const char *only; /* "E5,E7" or NULL: every check */
	int destructive;  /* also the destructive checks */
	int fail_fast;    /* stop at the first failure */
	int jobs;         /* checks run side by side (0: 8) */
};

/*
 * Live progress of a run (may be NULL): a check starts, a check ends.
 * Called from the checks' threads, one call at a time.
 */
struct check_progress {
	void *ctx;
	void (*begin)(void *ctx, const struct check_def *def);
	void (*end)(void *ctx, const struct check_result *res);
};

/*
 * Run the selected checks of cl: the non-destructive ones side by side
 * (at most sel->jobs at a time), then the destructive ones one after
 * the other (they break what the others look at). *results gets one
 * result per selected check, in the checklist's order (not-run ones
 * with ran 0 and a skip reason). A --only naming no check is an error.
 * Returns 0 when the run happened (whatever the checks said); the caller
 * reads the statuses.
 */
int check_run_all(const struct check_env *env, const struct checklist *cl,
                  const struct check_select *sel, const struct check_progress *progress,
                  struct check_result **results, size_t *n, struct err *err);
void check_results_free(struct check_result *v, size_t n);

/* ---- outputs (check_out.c) ------------------------------------------------ */

struct check_summary {
	size_t passed, failed, skipped, notrun;
	double seconds; /* the whole run's wall time */
};
void check_summarize(const struct check_result *v, size_t n, double seconds,
                     struct check_summary *s);

/*
 * The results as a table for a terminal (id, title, status, duration;
 * under each failure: expected, seen, hint), as plain lines otherwise
 * ("E5 pass 0.12s nginx ..."), as JSON, as JUnit XML, as one
 * self-contained HTML page (evidence, E12's times as an inline SVG
 * chart). Every text is scrubbed with env. -1 when out's limit is passed.
 */
int check_out_table(const struct check_env *env, const struct check_result *v, size_t n,
                    const struct check_summary *s, int color, struct buf *out, struct err *err);
int check_out_plain(const struct check_env *env, const struct check_result *v, size_t n,
                    const struct check_summary *s, struct buf *out, struct err *err);
int check_out_json(const struct check_env *env, const struct check_result *v, size_t n,
                   const struct check_summary *s, struct buf *out, struct err *err);
int check_out_junit(const struct check_env *env, const struct check_result *v, size_t n,
                    const struct check_summary *s, struct buf *out, struct err *err);
int check_out_html(const struct check_env *env, const struct check_result *v, size_t n,
                   const struct check_summary *s, struct buf *out, struct err *err);

#endif
