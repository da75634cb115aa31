/*
 * Unit tests: the checklist parser and its positioned errors (hostile
 * input included), check_scrub, the runner (a test kind through
 * check_kind_test: it passes, fails, skips, sleeps and records what ran
 * at once) and the five outputs (escaping, scrubbing, limits).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "mono.h"
#include "tap.h"
#include "xmem.h"

/* ---- the checklist ------------------------------------------------------------ */

static struct tmpl_vars vars;
static char msg[ERR_MSG_MAX];

/* Parse text (len bytes) as "c.yaml": the rc, the error in msg. */
static int parse_n(const char *text, size_t len, struct checklist *cl)
{
	struct err err;
	int rc;

	err_clear(&err);
	rc = checklist_parse("c.yaml", text, len, NULL, &vars, cl, &err);
	snprintf(msg, sizeof(msg), "%s", rc < 0 ? err.msg : "");
	return rc;
}

/* Parse text, expect an error, compare it whole; the list is released. */
static void fails(const char *text, size_t len, const char *want, const char *name)
{
	struct checklist cl;

	ok(parse_n(text, len, &cl) < 0, "%s: refused", name);
	is_str(msg, want, "%s: the message", name);
	checklist_release(&cl);
}

#define FAILS(text, want, name) fails(text, sizeof(text) - 1, want, name)

/* A check's lines, for the cases that differ in one key. */
#define CHECK1 "checks:\n  - id: E1\n    title: x\n    kind: images\n"

static void test_parse_errors(void)
{
	FAILS("- a\n",
	      "c.yaml:1:1: the checklist: expected a mapping (key: value lines), got a sequence",
	      "not a mapping");
	FAILS("hello\n",
	      "c.yaml:1:1: the checklist: expected a mapping (key: value lines), got 'hello'",
	      "a scalar");
	FAILS("chekcs: []\n",
	      "c.yaml:1:1: unknown key 'chekcs' in the checklist; did you mean 'checks'?",
	      "unknown top key, nearest suggested");
	FAILS("{}\n", "c.yaml:1:1: checks: the checklist needs checks: (a list)", "no checks");
	FAILS("checks: 3\n", "c.yaml:1:9: checks: expected a list of checks, got 3",
	      "checks not a list");
	FAILS("checks: {a: 1}\n", "c.yaml:1:9: checks: expected a list of checks, got a mapping",
	      "checks a mapping");
	FAILS("checks:\n  - 3\n",
	      "c.yaml:2:5: checks[0]: expected a mapping (key: value lines), got 3",
	      "a check not a mapping");
	FAILS("checks:\n  - title: x\n    kind: images\n",
	      "c.yaml:2:5: checks[0]: a check needs an id (E1, E2, ...)", "no id");
	FAILS("checks:\n  - id: E1\n    kind: images\n",
	      "c.yaml:2:5: checks[0]: check E1 needs a title", "no title");
	FAILS("checks:\n  - id: E1\n    title: x\n", "c.yaml:2:5: checks[0]: check E1 needs a kind",
	      "no kind");
	FAILS("checks:\n  - id: e1\n    title: x\n    kind: images\n",
	      "c.yaml:2:9: checks[0].id: an id is a capital letter, then capitals or digits, then "
	      "optionally a part after a dot, at most 32 (E1, E12, E2.images)",
	      "bad id");
	FAILS("checks:\n  - id: E1.\n    title: x\n    kind: images\n",
	      "c.yaml:2:9: checks[0].id: an id is a capital letter, then capitals or digits, then "
	      "optionally a part after a dot, at most 32 (E1, E12, E2.images)",
	      "an id with an empty part");
	FAILS(
	    "checks:\n  - id: E123456789012345678901234567890123\n    title: x\n    kind: images\n",
	    "c.yaml:2:9: checks[0].id: an id is a capital letter, then capitals or digits, then "
	    "optionally a part after a dot, at most 32 (E1, E12, E2.images)",
	    "an id of 34 characters");
	FAILS(CHECK1 "  - id: E2\n    title: y\n    kind: images\n"
	             "  - id: E1\n    title: z\n    kind: images\n",
	      "c.yaml:8:9: checks[2].id: check E1 again (the first is at line 2)",
	      "duplicate id, the first's line named");
	FAILS("checks:\n  - id: E1\n    title: x\n    kind: layuot\n",
	      "c.yaml:4:11: checks[0].kind: unknown check kind 'layuot'; did you mean 'layout'?",
	      "unknown kind, nearest suggested");
	FAILS("checks:\n  - id: E1\n    title: x\n    kind: zzzzzzzz\n",
	      "c.yaml:4:11: checks[0].kind: unknown check kind 'zzzzzzzz'",
	      "unknown kind, none near");
	FAILS(CHECK1 "    destructive: 1\n",
	      "c.yaml:5:18: checks[0].destructive: expected true or false, got 1",
	      "destructive not a bool");
	FAILS(CHECK1 "    destructive: yes\n",
	      "c.yaml:5:18: checks[0].destructive: expected true or false, got 'yes'",
	      "destructive: yes is YAML 1.1, not a bool");
	FAILS(CHECK1 "    needs: nginx\n",
	      "c.yaml:5:12: checks[0].needs: expected a list of services, like [nginx]",
	      "needs not a list");
	FAILS(CHECK1 "    needs: [3]\n",
	      "c.yaml:5:13: checks[0].needs[0]: expected a string, got 3 (quote it to make it a "
	      "string)",
	      "needs holds a number");
	/* images takes one key of its own (services): any other is unknown. */
	FAILS(CHECK1 "    nosuchkey: 1\n",
	      "c.yaml:5:5: unknown key 'nosuchkey' in checks[0] (expected one of: id, title, kind, "
	      "needs, destructive, services)",
	      "a key the kind does not take");
	FAILS(CHECK1 "    tilte: y\n",
	      "c.yaml:5:5: unknown key 'tilte' in checks[0]; did you mean 'title'?",
	      "a misspelt common key, nearest suggested");
	FAILS("checks:\n  - id: E1\n    title: at ${lb_ipp}\n    kind: images\n",
	      "c.yaml:3:15: unknown variable 'lb_ipp'; did you mean 'lb_ip'?",
	      "unknown template variable at its position");
	FAILS("", "c.yaml: expected one YAML document (a mapping with checks:), found 0",
	      "an empty file");
	FAILS(CHECK1 "---\n" CHECK1,
	      "c.yaml: expected one YAML document (a mapping with checks:), found 2",
	      "two documents");
}

static void test_parse_hostile(void)
{
	struct checklist cl;
	struct buf b = BUF_INIT(4u << 20);
	size_t i;

	FAILS("\xef\xbb\xbf"
	      "checks:\n  - id: E1\n    title: x\n    kind: layuot\n",
	      "c.yaml:4:11: checks[0].kind: unknown check kind 'layuot'; did you mean 'layout'?",
	      "a byte-order mark is no character");
	FAILS("checks:\r\n  - id: E1\r\n    title: x\r\n    kind: layuot\r\n",
	      "c.yaml:4:11: checks[0].kind: unknown check kind 'layuot'; did you mean 'layout'?",
	      "CRLF lines counted once");
	FAILS("checks:\r  - id: E1\r    title: x\r    kind: layuot\r",
	      "c.yaml:4:11: checks[0].kind: unknown check kind 'layuot'; did you mean 'layout'?",
	      "CR-only lines counted");
	FAILS("checks:\n  - id: E1\n    title: a\0b\n    kind: images\n",
	      "c.yaml:3:13: control characters are not allowed (#x0)", "a NUL byte");
	FAILS("checks:\n  - id: E1\n    title: a\x1b[2Jb\n    kind: images\n",
	      "c.yaml:3:13: control characters are not allowed (#x1B)", "a raw escape");
	FAILS("checks:\n  - id: E1\n    title: x\n    kind: \"la\\x1byout\"\n",
	      "c.yaml:4:11: checks[0].kind: unknown check kind 'la?yout'; did you mean 'layout'?",
	      "an escaped control character is quoted in the message");
	FAILS("checks:\n  - {id: E1, title: \"${\\tx}\", kind: images}\n",
	      "c.yaml:2:22: bad character '?' in a placeholder; names are letters, digits, '_', "
	      "'.' and '-' (write $${ for a literal '${')",
	      "a tab in a placeholder is quoted in the message (found by fuzz_checks)");
	FAILS("checks:\n  - id: E1\n    title: x\n    kind: la\xffyout\n",
	      "c.yaml:4:13: invalid leading UTF-8 octet (#xFF)", "a byte that is not UTF-8");
	/* Columns count characters: é is 2 bytes, € 3. */
	FAILS("checks:\n  - {id: E1, title: \xc3\xa9\xc3\xa9\xc3\xa9\xe2\x82\xac, kind: layuot}\n",
	      "c.yaml:2:33: checks[0].kind: unknown check kind 'layuot'; did you mean 'layout'?",
	      "multi-byte text before the error: columns in characters");

	/* A huge kind: the message quotes it short. */
	buf_addstr(&b, "checks:\n  - id: E1\n    title: x\n    kind: ");
	for (i = 0; i < 200000; i++)
		buf_addch(&b, 'k');
	buf_addch(&b, '\n');
	ok(parse_n(b.data, b.len, &cl) < 0 && strlen(msg) < 300 && strstr(msg, "...'"),
	   "a 200000-character kind: refused, quoted short (%zu bytes)", strlen(msg));
	checklist_release(&cl);

	/* A huge title is a title. */
	buf_reset(&b);
	buf_addstr(&b, "checks:\n  - id: E1\n    kind: images\n    title: ");
	for (i = 0; i < 500000; i++)
		buf_addch(&b, 't');
	buf_addch(&b, '\n');
	ok(parse_n(b.data, b.len, &cl) == 0 && cl.n == 1 && strlen(cl.v[0].title) == 500000,
	   "a 500000-character title parses whole");
	checklist_release(&cl);

	/* CHECKS_MAX: 10000 checks are refused, CHECKS_MAX are not. */
	buf_reset(&b);
	buf_addstr(&b, "checks:\n");
	for (i = 0; i < 10000; i++)
		buf_addf(&b, "  - {id: E%zu, title: t, kind: images}\n", i);
	ok(parse_n(b.data, b.len, &cl) < 0, "10000 checks: refused");
	is_str(msg, "c.yaml:2:3: checks: 10000 checks: at most 256", "10000 checks: the message");
	checklist_release(&cl);
	buf_reset(&b);
	buf_addstr(&b, "checks:\n");
	for (i = 0; i < CHECKS_MAX; i++)
		buf_addf(&b, "  - {id: E%zu, title: t, kind: images}\n", i);
	ok(parse_n(b.data, b.len, &cl) == 0 && cl.n == CHECKS_MAX, "%d checks parse", CHECKS_MAX);
	checklist_release(&cl);

	/* Deep nesting: an error, not a stack overflow. */
	buf_reset(&b);
	buf_addstr(&b, "checks:\n  - id: E1\n    kind: images\n    title: ");
	for (i = 0; i < 100000; i++)
		buf_addch(&b, '[');
	for (i = 0; i < 100000; i++)
		buf_addch(&b, ']');
	buf_addch(&b, '\n');
	ok(parse_n(b.data, b.len, &cl) < 0 && strncmp(msg, "c.yaml:", 7) == 0,
	   "100000 nested lists: refused with a position (%.80s)", msg);
	checklist_release(&cl);
	buf_release(&b);
}

static void test_parse_ok(void)
{
	static const char text[] = "checks:\n"
	                           "  - id: E1\n    title: at ${lb_ip}\n    kind: images\n"
	                           "  - id: E11\n    title: x\n    kind: images\n"
	                           "    needs: [mysql, influxdb]\n    destructive: true\n";
	struct checklist cl;

	ok(parse_n(text, sizeof(text) - 1, &cl) == 0, "a good checklist parses (%s)", msg);
	is_int(cl.n, 2, "two checks");
	is_str(cl.v[0].title, "at 10.0.0.9", "the title rendered with ${lb_ip}");
	ok(cl.v[0].needs && cl.v[0].needs[0] == NULL && !cl.v[0].destructive,
	   "defaults: needs nothing, not destructive");
	ok(cl.v[1].destructive && cl.v[1].needs[1] && strcmp(cl.v[1].needs[1], "influxdb") == 0 &&
	       cl.v[1].needs[2] == NULL,
	   "destructive and needs read");
	is_int(cl.v[1].mark.line, 5, "a check's line kept");
	ok(checklist_find(&cl, "E11") == &cl.v[1] && checklist_find(&cl, "E2") == NULL,
	   "checklist_find");
	checklist_release(&cl);
}

/* ---- check_scrub -------------------------------------------------------------- */

static void test_scrub(void)
{
	static char nv[][16] = {"db",      "a",   "b",   "short", "long",      "empty",
	                        "hunter2", "abc", "bcd", "pass",  "password1", ""};
	char *names[6], *values[6];
	struct check_env env = {0};
	static const struct {
		const char *in, *want, *name;
	} cases[] = {
	    {"hunter2", "<secret:db>", "the whole text"},
	    {"hunter2 at the start", "<secret:db> at the start", "at the start"},
	    {"at the end hunter2", "at the end <secret:db>", "at the end"},
	    {"hunter2hunter2 x hunter2", "<secret:db><secret:db> x <secret:db>", "repeated"},
	    {"xabcdx", "x<secret:a>dx", "overlapping: the earliest wins"},
	    {"xbcdabc", "x<secret:b><secret:a>", "overlapping, the other way round"},
	    {"password1!", "<secret:long>!", "the longest of those starting at one place"},
	    {"a pass", "a <secret:short>", "the shorter alone"},
	    {"nothing here", "nothing here", "no secret"},
	    {"", "", "an empty text"},
	};
	size_t i;
	char *s;

	for (i = 0; i < 6; i++) {
		names[i] = nv[i];
		values[i] = nv[6 + i];
	}
	env.secret_names = names;
	env.secret_values = values;
	env.nsecrets = 6;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = check_scrub(&env, cases[i].in);
		is_str(s, cases[i].want, "scrub: %s", cases[i].name);
		free(s);
	}
	ok(check_scrub(&env, NULL) == NULL, "scrub: NULL is NULL");
	s = check_scrub(NULL, "hunter2");
	is_str(s, "hunter2", "scrub: no environment, nothing to scrub");
	free(s);
	s = check_clean(&env, "a\x1b[2Jhunter2\xff\tz");
	is_str(s, "a?[2J<secret:db>??z", "clean: scrubbed, control and non-UTF-8 bytes as '?'");
	free(s);
}

/* ---- the runner, with a test kind ------------------------------------------------- */

/*
 * The kind "test": result pass|fail|skip|evidence, sleep_ms before it
 * ends (polling check_cancelled); it records how many ran at once and
 * the order they started in.
 */
static pthread_mutex_t tk_mu = PTHREAD_MUTEX_INITIALIZER;
static int tk_now, tk_most;
static char tk_order[256];

static int tk_run(struct check_run *cr)
{
	const char *result = check_str(cr, "result", "pass");
	long long ms = check_int(cr, "sleep_ms", 0);
	double until = mono_now() + (double)ms / 1000;

	pthread_mutex_lock(&tk_mu);
	tk_now++;
	if (tk_now > tk_most)
		tk_most = tk_now;
	snprintf(tk_order + strlen(tk_order), sizeof(tk_order) - strlen(tk_order), "%s ",
	         cr->def->id);
	pthread_mutex_unlock(&tk_mu);
	while (mono_now() < until && !check_cancelled(cr)) {
		struct timespec ts = {0, 5000000};

		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&tk_mu);
	tk_now--;
	pthread_mutex_unlock(&tk_mu);
	if (check_str(cr, "token", NULL)) {
		check_secret(cr, check_str(cr, "token", NULL));
		check_evidence(cr, "a token: %s", check_str(cr, "token", NULL));
	}
	check_evidence(cr, "GET http://%s/ -> 200 (secret %s)", cr->env->address, "hunter2");
	check_metric(cr, "nginx/sshd", 1.5);
	if (strcmp(result, "fail") == 0)
		return check_fail(cr, "301", "302 with hunter2", "fix the redirect");
	if (strcmp(result, "skip") == 0)
		return check_skip(cr, "exec is not available here");
	return 0;
}

static const char *const tk_keys[] = {"result", "sleep_ms", "token", NULL};
static const struct check_kind tk = {"test", tk_keys, NULL, tk_run};

static struct stack *small_stack(void)
{
	static const char y[] = "name: x\nvm: {cpus: 2, cidr: 10.0.0.0/24, address: 10.0.0.9}\n"
	                        "services: {nginx: {ports: {https: 443}}}\n";
	struct stack *st = NULL;
	struct err err;

	if (stack_parse("srcs/stack.yaml", y, sizeof(y) - 1, &st, &err) < 0)
		diag("%s", err.msg);
	return st;
}

/* Run text's checks with sel; results in *res (*n). */
static int run(struct check_env *env, const char *text, const struct check_select *sel,
               struct checklist *cl, struct check_result **res, size_t *n, double *secs)
{
	struct err err;
	double t0;
	int rc;

	tk_now = tk_most = 0;
	tk_order[0] = '\0';
	env->cancel = 0;
	if (parse_n(text, strlen(text), cl) < 0) {
		diag("%s", msg);
		return -1;
	}
	t0 = mono_now();
	rc = check_run_all(env, cl, sel, NULL, res, n, &err);
	*secs = mono_now() - t0;
	snprintf(msg, sizeof(msg), "%s", rc < 0 ? err.msg : "");
	return rc;
}

static void test_runner(struct check_env *env)
{
	struct checklist cl;
	struct check_result *res = NULL;
	size_t n = 0;
	double secs;
	struct check_select sel = {0};
	const char *four = "checks:\n"
	                   "  - {id: A, title: a, kind: test, sleep_ms: 200}\n"
	                   "  - {id: B, title: b, kind: test, sleep_ms: 200}\n"
	                   "  - {id: C, title: c, kind: test, sleep_ms: 200}\n"
	                   "  - {id: D, title: d, kind: test, sleep_ms: 200}\n";

	sel.jobs = 4;
	ok(run(env, four, &sel, &cl, &res, &n, &secs) == 0 && n == 4, "four checks run");
	ok(tk_most == 4 && secs < 0.6, "side by side: 4 at once, %.2f s for 4 x 0.2 s", secs);
	ok(res[0].status == CHECK_PASS && res[0].ran && res[0].seconds >= 0.19,
	   "a check that records nothing passes, its time measured (%.2f s)", res[0].seconds);
	check_results_free(res, n);
	checklist_release(&cl);
	sel.jobs = 1;
	ok(run(env, four, &sel, &cl, &res, &n, &secs) == 0 && tk_most == 1 && secs >= 0.8,
	   "--jobs 1: one at a time (%.2f s)", secs);
	check_results_free(res, n);
	checklist_release(&cl);

	/* Destructive ones: only when asked, after the others, alone, in order. */
	{
		const char *text =
		    "checks:\n"
		    "  - {id: X1, title: a, kind: test, sleep_ms: 50, destructive: true}\n"
		    "  - {id: A, title: a, kind: test, sleep_ms: 50}\n"
		    "  - {id: X2, title: a, kind: test, sleep_ms: 50, destructive: true}\n"
		    "  - {id: B, title: b, kind: test, sleep_ms: 50}\n";

		sel.jobs = 8;
		ok(run(env, text, &sel, &cl, &res, &n, &secs) == 0 && n == 2 &&
		       strcmp(res[0].def->id, "A") == 0 && strcmp(res[1].def->id, "B") == 0,
		   "without --destructive the destructive checks are not selected");
		check_results_free(res, n);
		checklist_release(&cl);
		sel.destructive = 1;
		ok(run(env, text, &sel, &cl, &res, &n, &secs) == 0 && n == 4,
		   "--destructive: all four");
		ok(strcmp(tk_order + 4, "X1 X2 ") == 0, "the destructive ones after the others: %s",
		   tk_order);
		ok(strcmp(res[0].def->id, "X1") == 0 && strcmp(res[3].def->id, "B") == 0,
		   "results in the checklist's order");
		check_results_free(res, n);
		checklist_release(&cl);
		ok(run(env,
		       "checks:\n  - {id: X1, title: a, kind: test, sleep_ms: 50, destructive: "
		       "true}\n"
		       "  - {id: A, title: a, kind: test, sleep_ms: 50, destructive: true}\n",
		       &sel, &cl, &res, &n, &secs) == 0 &&
		       n == 2 && tk_most == 1,
		   "destructive ones run alone whatever --jobs");
		check_results_free(res, n);
		checklist_release(&cl);
		sel.destructive = 0;
	}

	/* --fail-fast: what did not start is "not run", with why. */
	{
		const char *text = "checks:\n"
		                   "  - {id: A, title: a, kind: test, result: fail}\n"
		                   "  - {id: B, title: b, kind: test}\n"
		                   "  - {id: C, title: c, kind: test}\n";
		struct check_summary sum;

		sel.jobs = 1;
		sel.fail_fast = 1;
		ok(run(env, text, &sel, &cl, &res, &n, &secs) == 0 && n == 3, "--fail-fast runs");
		ok(res[0].status == CHECK_FAIL && !res[1].ran && !res[2].ran &&
		       res[1].status == CHECK_SKIP,
		   "--fail-fast: the later checks are not run");
		is_str(res[2].reason, "not run: --fail-fast stopped at A", "and say why");
		check_summarize(res, n, secs, &sum);
		ok(sum.failed == 1 && sum.notrun == 2 && sum.passed == 0 && sum.skipped == 0,
		   "the summary counts 1 failed, 2 not run");
		check_results_free(res, n);
		checklist_release(&cl);
		/*
		 * A waiting check gives up when another fails, and is a skip,
		 * never a pass: B would pass after its wait if nothing stopped
		 * it (and the run would take that long). Whether B had started
		 * when A failed does not matter: either way it is no pass.
		 */
		sel.jobs = 2;
		ok(run(env,
		       "checks:\n  - {id: A, title: a, kind: test, result: fail, sleep_ms: 50}\n"
		       "  - {id: B, title: b, kind: test, sleep_ms: 600000}\n",
		       &sel, &cl, &res, &n, &secs) == 0 &&
		       n == 2,
		   "--fail-fast with a waiting check: the run ends");
		ok(n == 2 && res[0].status == CHECK_FAIL && res[1].status == CHECK_SKIP &&
		       res[1].reason && strstr(res[1].reason, "--fail-fast stopped at A"),
		   "the waiting check is stopped, a skip saying why: %s",
		   n == 2 && res[1].reason ? res[1].reason : "(none)");
		check_results_free(res, n);
		checklist_release(&cl);
		sel.fail_fast = 0;
	}

	/* A run's own secret (check_secret) is scrubbed from what it records. */
	{
		ok(run(env, "checks:\n  - {id: T, title: t, kind: test, token: eyJtok3n}\n", &sel,
		       &cl, &res, &n, &secs) == 0 &&
		       n == 1,
		   "a check with a token of its own runs");
		ok(n == 1 && res[0].evidence.data && !strstr(res[0].evidence.data, "eyJtok3n") &&
		       strstr(res[0].evidence.data, "a token: <secret:run>"),
		   "its token is scrubbed from its evidence");
		check_results_free(res, n);
		checklist_release(&cl);
	}

	/* needs, a secret the state lacks, fail and skip recorded. */
	{
		const char *text =
		    "checks:\n"
		    "  - {id: A, title: a, kind: test, needs: [nginx, nosuch]}\n"
		    "  - {id: B, title: b, kind: test, result: '${secret.missing}'}\n"
		    "  - {id: C, title: c, kind: test, result: fail}\n"
		    "  - {id: D, title: d, kind: test, result: skip}\n";

		sel.jobs = 4;
		ok(run(env, text, &sel, &cl, &res, &n, &secs) == 0 && n == 4, "four checks");
		ok(res[0].status == CHECK_SKIP && res[0].reason &&
		       strcmp(res[0].reason, "service 'nosuch' is not in the stack") == 0,
		   "a service the stack lacks: a skip saying which (%s)", res[0].reason);
		ok(res[1].status == CHECK_FAIL && res[1].hint &&
		       strcmp(res[1].hint,
		              "secret 'missing' is not generated yet: run ftboot up first") == 0,
		   "a secret the state lacks: a failure saying what to run (%s)", res[1].hint);
		ok(res[2].status == CHECK_FAIL && strcmp(res[2].expected, "301") == 0 &&
		       strcmp(res[2].seen, "302 with <secret:db>") == 0 &&
		       strcmp(res[2].hint, "fix the redirect") == 0,
		   "a failure: expected, seen (scrubbed), hint");
		ok(strstr(res[2].evidence.data,
		          "GET http://10.0.0.9/ -> 200 (secret <secret:db>)\n") != NULL,
		   "evidence recorded, scrubbed");
		ok(res[3].status == CHECK_SKIP &&
		       strcmp(res[3].reason, "exec is not available here") == 0,
		   "a skip with its reason");
		check_results_free(res, n);
		checklist_release(&cl);
	}

	/* --only. */
	{
		const char *text = "checks:\n"
		                   "  - {id: E2, title: a, kind: test}\n"
		                   "  - {id: E2.images, title: b, kind: test}\n"
		                   "  - {id: E20, title: c, kind: test}\n"
		                   "  - {id: E11, title: d, kind: test, destructive: true}\n";

		sel.only = "E2";
		ok(run(env, text, &sel, &cl, &res, &n, &secs) == 0 && n == 2 &&
		       strcmp(res[1].def->id, "E2.images") == 0,
		   "--only E2: E2 and its parts, not E20");
		check_results_free(res, n);
		checklist_release(&cl);
		sel.only = "E2.images,E11";
		ok(run(env, text, &sel, &cl, &res, &n, &secs) < 0 && res == NULL,
		   "--only names a destructive check without --destructive: refused");
		checklist_release(&cl);
		sel.destructive = 1;
		ok(run(env, text, &sel, &cl, &res, &n, &secs) == 0 && n == 2 &&
		       strcmp(res[1].def->id, "E11") == 0,
		   "--only names a destructive check, with --destructive: it runs");
		sel.destructive = 0;
		check_results_free(res, n);
		checklist_release(&cl);
		sel.only = "E5";
		ok(run(env, text, &sel, &cl, &res, &n, &secs) < 0 && res == NULL,
		   "--only with an unknown id: an error");
		is_str(
		    msg,
		    "--only: no check 'E5' in c.yaml (ids are comma-separated, like --only E5,E7)",
		    "naming it");
		checklist_release(&cl);
		sel.only = "E2,,E11";
		ok(run(env, text, &sel, &cl, &res, &n, &secs) < 0,
		   "--only E2,,E11: an empty id refused");
		checklist_release(&cl);
		sel.only = NULL;
	}
}

/* ---- outputs ------------------------------------------------------------------------- */

static void test_outputs(struct check_env *env)
{
	static char txt[][64] = {"E1",
	                         "setup.sh at the root",
	                         "layout",
	                         "E5",
	                         "<script>alert(1)</script> & \x1b[2J hunter2 \xef\xbf\xbe",
	                         "http",
	                         "E11",
	                         "persistence",
	                         "persistence",
	                         "E12",
	                         "restart",
	                         "restart"};
	struct check_def defs[4];
	struct check_result r[4];
	struct check_summary sum;
	struct buf out = BUF_INIT(1u << 20), tiny = BUF_INIT(64);
	struct err err;
	size_t i;
	int (*const outs[])(const struct check_env *, const struct check_result *, size_t,
	                    const struct check_summary *, struct buf *, struct err *) = {
	    check_out_plain, check_out_json, check_out_junit, check_out_html};
	static const char *const names[] = {"plain", "json", "junit", "html"};

	memset(r, 0, sizeof(r));
	memset(defs, 0, sizeof(defs));
	for (i = 0; i < 4; i++) {
		defs[i].id = txt[3 * i];
		defs[i].title = txt[3 * i + 1];
		defs[i].kind = txt[3 * i + 2];
		defs[i].destructive = i >= 2;
		r[i].def = &defs[i];
		r[i].ran = 1;
		r[i].seconds = 0.25 * (double)i;
		buf_init(&r[i].evidence, 1u << 20);
	}
	r[0].status = CHECK_PASS;
	buf_addstr(&r[0].evidence, "setup.sh: present\n");
	r[1].status = CHECK_FAIL;
	r[1].expected = xstrdup("301 to https://10.0.0.9/");
	r[1].seen = xstrdup("302 <b>hunter2</b>");
	r[1].hint = xstrdup("return 301 in nginx.conf");
	buf_addstr(&r[1].evidence, "GET http://10.0.0.9/ -> 302\x01\nLocation: </pre>hunter2\n");
	r[2].status = CHECK_SKIP;
	r[2].ran = 0;
	r[2].reason = xstrdup("not run: --fail-fast stopped at E5");
	r[3].status = CHECK_PASS;
	r[3].metrics = xcalloc(2, sizeof(*r[3].metrics));
	r[3].metrics[0].label = xstrdup("nginx/<sshd>");
	r[3].metrics[0].seconds = 2.5;
	r[3].metrics[1].label = xstrdup("mysql/mysqld");
	r[3].metrics[1].seconds = -1;
	r[3].nmetrics = 2;
	check_summarize(r, 4, 1.5, &sum);
	ok(sum.passed == 2 && sum.failed == 1 && sum.notrun == 1, "summary");

	for (i = 0; i < 4; i++) {
		buf_reset(&out);
		ok(outs[i](env, r, 4, &sum, &out, &err) == 0, "%s: written", names[i]);
		ok(out.data && !strstr(out.data, "hunter2"), "%s: no secret", names[i]);
		ok(out.data && !strstr(out.data, "\x1b") && !strchr(out.data, '\x01'),
		   "%s: no control character", names[i]);
		buf_reset(&tiny);
		ok(outs[i](env, r, 4, &sum, &tiny, &err) < 0,
		   "%s: a buffer too small is an error (%s)", names[i], err.msg);
	}
	buf_reset(&tiny);
	ok(check_out_table(env, r, 4, &sum, 1, &tiny, &err) < 0, "table: a buffer too small");

	buf_reset(&out);
	check_out_plain(env, r, 4, &sum, &out, &err);
	ok(strstr(out.data, "E1 pass 0.00s setup.sh at the root\n") &&
	       strstr(out.data,
	              "\n  expected: 301 to https://10.0.0.9/\n  seen: 302 <b><secret:db></b>\n"
	              "  hint: return 301 in nginx.conf\n") &&
	       strstr(out.data,
	              "E11 skip 0.50s persistence\n  reason: not run: --fail-fast stopped "
	              "at E5\n") &&
	       strstr(out.data, "2 passed, 1 failed, 0 skipped, 1 not run in 1.50s\n"),
	   "plain: one line per check, details indented, a summary");

	buf_reset(&out);
	check_out_table(env, r, 4, &sum, 0, &out, &err);
	ok(strncmp(out.data, "ID   TITLE", 10) == 0 && strstr(out.data, "\nE11  persistence") &&
	       strstr(out.data, "not run") && strstr(out.data, "     seen:     302") &&
	       strstr(out.data, "     reason:   not run"),
	   "table: a header, rows, the details under them");
	ok(!strchr(out.data, '\033'), "table without colour: no escape");
	buf_reset(&out);
	check_out_table(env, r, 4, &sum, 1, &out, &err);
	ok(strstr(out.data, "\033[31mfail") && strstr(out.data, "\033[32mpass") &&
	       !strstr(out.data, "\033[2J"),
	   "table with colour: red fail, green pass, and no escape from a title");

	buf_reset(&out);
	check_out_junit(env, r, 4, &sum, &out, &err);
	ok(strstr(out.data,
	          "<testsuite name=\"ftboot check\" tests=\"4\" failures=\"1\" errors=\"0\" "
	          "skipped=\"1\" time=\"1.500\">") != NULL,
	   "junit: one testsuite, its counts");
	ok(strstr(out.data, "classname=\"http\" time=\"0.250\">") != NULL,
	   "junit: classname the kind, time the check's");
	ok(strstr(
	       out.data,
	       "name=\"E5 &lt;script&gt;alert(1)&lt;/script&gt; &amp; [2J &lt;secret:db&gt; \"") !=
	       NULL,
	   "junit: markup escaped, the escape and U+FFFE dropped, the secret scrubbed");
	ok(strstr(out.data,
	          "<failure message=\"expected 301 to https://10.0.0.9/, saw 302 &lt;b&gt;") &&
	       strstr(out.data, "type=\"http\">expected: ") &&
	       strstr(out.data, "<skipped message=\"not run: --fail-fast stopped at E5\"/>") &&
	       strstr(out.data,
	              "<system-out>GET http://10.0.0.9/ -&gt; 302\nLocation: &lt;/pre&gt;") &&
	       strstr(out.data, "mysql/mysqld: did not recover"),
	   "junit: failure, skipped, system-out with evidence and metrics");

	buf_reset(&out);
	check_out_html(env, r, 4, &sum, &out, &err);
	ok(!strstr(out.data, "<script") && strstr(out.data, "&lt;script&gt;alert(1)"),
	   "html: <script> in a title is escaped");
	ok(strstr(out.data, "id=\"check-E1\"") && strstr(out.data, "id=\"check-E5\"") &&
	       strstr(out.data, "id=\"check-E11\"") && strstr(out.data, "id=\"check-E12\""),
	   "html: an element per check, id check-ID");
	ok(!strstr(out.data, "src=") && !strstr(out.data, "<link") &&
	       !strstr(out.data, "href=\"http") && !strstr(out.data, "url("),
	   "html: no external asset");
	ok(strstr(out.data, "<svg") && strstr(out.data, "nginx/&lt;sshd&gt;") &&
	       strstr(out.data, "2.50 s") && strstr(out.data, "did not recover"),
	   "html: the recovery times as an inline SVG chart");
	ok(strstr(out.data, "<pre class=\"evidence\">GET http://10.0.0.9/ -&gt; 302\nLocation: "
	                    "&lt;/pre&gt;&lt;secret:db&gt;\n</pre>") != NULL,
	   "html: evidence in <pre>, escaped, scrubbed");
	ok(strstr(out.data, "<dt>hint</dt><dd>return 301 in nginx.conf</dd>") != NULL,
	   "html: expected, seen and hint");

	buf_reset(&out);
	{
		struct doc_node *j = NULL;

		check_out_json(env, r, 4, &sum, &out, &err);
		ok(doc_parse_json("out.json", out.data, out.len, &j, &err) == 0, "json: parses");
		doc_free(j);
	}
	for (i = 0; i < 4; i++)
		check_result_release(&r[i]);
	buf_release(&out);
	buf_release(&tiny);
}

int main(void)
{
	static char db[] = "db", hunter2[] = "hunter2", address[] = "10.0.0.9";
	char *names[] = {db}, *values[] = {hunter2};
	struct check_env env = {0};
	struct stack *st;

	tmpl_vars_set(&vars, "lb_ip", doc_new_str("10.0.0.9"));
	tmpl_vars_set(&vars, "secret.db", doc_new_str("hunter2"));
	tmpl_vars_set(&vars, "secret.missing", doc_new_str("<secret:missing>"));
	test_parse_errors();
	test_parse_hostile();
	test_parse_ok();
	test_scrub();

	st = small_stack();
	if (!ok(st != NULL, "the test stack parses"))
		return tap_done();
	env.stack = st;
	env.address = address;
	env.secret_names = names;
	env.secret_values = values;
	env.nsecrets = 1;
	check_kind_test = &tk;
	test_runner(&env);
	test_outputs(&env);
	check_kind_test = NULL;
	stack_free(st);
	tmpl_vars_release(&vars);
	return tap_done();
}
