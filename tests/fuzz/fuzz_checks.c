/*
 * libFuzzer target: the checklist parser (checklist_parse), with the
 * variables render gives a small fixed stack without state (its secrets
 * are placeholders). Any input must parse or fail with a message that
 * names the file and holds no control character; never crash, leak or
 * hang. What parses is then reported as plain lines, JUnit XML and HTML
 * (a result per check, its title as what was seen): the plain lines hold
 * no control character but line ends, the markup no character XML 1.0
 * forbids and no raw '<' from a title.
 *
 * Run from the repository's top (tests/fuzz/run.sh does): the stack's
 * services are built from srcs/nginx and srcs/mysql, which render reads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct stack *stack;
static struct tmpl_vars vars;

static void setup(void)
{
	static const char y[] = "name: ft\nvm: {cpus: 2, cidr: 10.0.0.0/24, address: 10.0.0.9}\n"
	                        "services:\n  nginx: {ports: {https: 443, ssh: 22}}\n"
	                        "  mysql: {ports: {mysql: 3306}}\n";
	struct err err;

	if (stack_parse("srcs/stack.yaml", y, sizeof(y) - 1, &stack, &err) < 0 ||
	    render_vars(stack, NULL, &vars, &err) < 0) {
		fprintf(stderr, "fuzz_checks: %s (run from the repository's top)\n", err.msg);
		abort();
	}
}

/* 1 if s[0..len) holds a byte below 0x20 other than those in allowed, or DEL. */
static int has_control(const char *s, size_t len, const char *allowed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && !strchr(allowed, s[i])) || s[i] == 0x7f)
			return 1;
	return 0;
}

static void report(const struct checklist *cl)
{
	static char name[] = "db", value[] = "<secret:db>", address[] = "10.0.0.9";
	char *names[] = {name}, *values[] = {value};
	struct check_env env = {0};
	struct check_result *r = calloc(cl->n ? cl->n : 1, sizeof(*r));
	struct check_summary sum;
	struct buf out = BUF_INIT(64u << 20);
	struct err err;
	size_t i;

	env.stack = stack;
	env.address = address;
	env.secret_names = names;
	env.secret_values = values;
	env.nsecrets = 1;
	for (i = 0; i < cl->n; i++) {
		r[i].def = &cl->v[i];
		r[i].ran = 1;
		r[i].status = (enum check_status)(i % 3);
		buf_init(&r[i].evidence, 1u << 20);
		if (r[i].status == CHECK_FAIL) {
			r[i].expected = check_clean(&env, "a title");
			r[i].seen = check_clean(&env, cl->v[i].title);
		} else if (r[i].status == CHECK_SKIP) {
			r[i].reason = check_clean(&env, cl->v[i].title);
		}
	}
	check_summarize(r, cl->n, 0.5, &sum);
	if (check_out_plain(&env, r, cl->n, &sum, &out, &err) < 0 ||
	    has_control(out.data, out.len, "\n"))
		abort();
	buf_reset(&out);
	if (check_out_junit(&env, r, cl->n, &sum, &out, &err) < 0 ||
	    has_control(out.data, out.len, "\n\t\r"))
		abort();
	buf_reset(&out);
	if (check_out_html(&env, r, cl->n, &sum, &out, &err) < 0 ||
	    has_control(out.data, out.len, "\n\t\r") || strstr(out.data, "<script"))
		abort();
	buf_release(&out);
	check_results_free(r, cl->n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct checklist cl;
	struct err err;

	if (stack == NULL)
		setup();
	err_clear(&err);
	if (checklist_parse("fuzz.yaml", (const char *)data, size, stack, &vars, &cl, &err) == 0)
		report(&cl);
	else if (strncmp(err.msg, "fuzz.yaml", 9) != 0)
		abort(); /* every error must say where */
	else if (has_control(err.msg, strlen(err.msg), ""))
		abort(); /* a user's control byte reached the terminal */
	checklist_release(&cl);
	return 0;
}
