/*
 * check: the checklist (srcs/checks.yaml), the environment the checks
 * read, the helpers kinds record results with, and the run (check.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "crypto.h"
#include "fs.h"
#include "ipv4.h"
#include "mono.h"
#include "svckeys.h"
#include "text.h"
#include "xmem.h"

/* ---- the kinds ------------------------------------------------------------ */

extern const struct check_kind check_kind_layout, check_kind_dockerfiles, check_kind_images,
    check_kind_kube, check_kind_http, check_kind_ssh, check_kind_ftps, check_kind_wordpress,
    check_kind_phpmyadmin, check_kind_grafana, check_kind_persistence, check_kind_restart,
    check_kind_dashboard;

static const struct check_kind *const kinds[] = {&check_kind_layout,      &check_kind_dockerfiles,
                                                 &check_kind_images,      &check_kind_kube,
                                                 &check_kind_http,        &check_kind_ssh,
                                                 &check_kind_ftps,        &check_kind_wordpress,
                                                 &check_kind_phpmyadmin,  &check_kind_grafana,
                                                 &check_kind_persistence, &check_kind_restart,
                                                 &check_kind_dashboard,   NULL};

const struct check_kind *check_kind_test;

const struct check_kind *check_kind_find(const char *name)
{
	size_t i;

	for (i = 0; kinds[i]; i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	if (check_kind_test && strcmp(check_kind_test->name, name) == 0)
		return check_kind_test;
	return NULL;
}

/* ---- the checklist ------------------------------------------------------------ */

static const char *const common_keys[] = {"id", "title", "kind", "needs", "destructive", NULL};

/* "E5", or a part of one: "E2.images" ([A-Z][A-Z0-9]*, then .[a-z0-9-]+), at most 32. */
static int id_ok(const char *s)
{
	size_t i = 1;

	if (!(*s >= 'A' && *s <= 'Z'))
		return 0;
	while ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))
		i++;
	if (s[i] == '.') {
		size_t j = ++i;

		while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')
			i++;
		if (i == j)
			return 0;
	}
	return i <= 32 && s[i] == '\0';
}

/* The keys of check allowed for its kind: the common ones and the kind's. */
static int check_keys(struct schema *sc, const struct doc_node *check, const char *where,
                      const struct check_kind *k)
{
	const char *known[64];
	size_t n = 0, i;

	for (i = 0; common_keys[i] && n < 63; i++)
		known[n++] = common_keys[i];
	for (i = 0; k->keys && k->keys[i] && n < 63; i++)
		known[n++] = k->keys[i];
	known[n] = NULL;
	return schema_keys(sc, check, where, known);
}

static int parse_check(struct schema *sc, const struct doc_node *node, size_t index,
                       struct check_def *d)
{
	const struct doc_node *n;
	const struct check_kind *k;
	char where[32], what[64];
	size_t i;

	snprintf(where, sizeof(where), "checks[%zu]", index);
	d->mark = node->mark;
	if (schema_map(sc, node, where) < 0)
		return -1;
	snprintf(what, sizeof(what), "%s.id", where);
	if ((n = doc_map_get(node, "id")) == NULL)
		return schema_fail(sc, node, where, "a check needs an id (E1, E2, ...)");
	if (schema_str(sc, n, what) < 0)
		return -1;
	if (!id_ok(n->text))
		return schema_fail(
		    sc, n, what,
		    "an id is a capital letter, then capitals or digits, then "
		    "optionally a part after a dot, at most 32 (E1, E12, E2.images)");
	d->id = xstrdup(n->text);
	snprintf(what, sizeof(what), "%s.title", where);
	if ((n = doc_map_get(node, "title")) == NULL)
		return schema_fail(sc, node, where, "check %s needs a title", d->id);
	if (schema_str(sc, n, what) < 0)
		return -1;
	d->title = xstrdup(n->text);
	snprintf(what, sizeof(what), "%s.kind", where);
	if ((n = doc_map_get(node, "kind")) == NULL)
		return schema_fail(sc, node, where, "check %s needs a kind", d->id);
	if (schema_str(sc, n, what) < 0)
		return -1;
	if ((k = check_kind_find(n->text)) == NULL) {
		/* kinds[] ends in NULL: one name per kind, and room to spare. */
		const char *names[sizeof(kinds) / sizeof(kinds[0])];
		const char *near;
		char q[80];
		size_t m;

		for (m = 0; kinds[m]; m++)
			names[m] = kinds[m]->name;
		near = text_nearest(n->text, names, m);
		text_quote(n->text, n->len, q, sizeof(q));
		if (near)
			return schema_fail(sc, n, what,
			                   "unknown check kind '%s'; did you mean '%s'?", q, near);
		return schema_fail(sc, n, what, "unknown check kind '%s'", q);
	}
	d->kind = xstrdup(k->name);
	if ((n = doc_map_get(node, "destructive"))) {
		snprintf(what, sizeof(what), "%s.destructive", where);
		if (n->type != DOC_BOOL) {
			char got[64];

			schema_describe(n, got, sizeof(got));
			return schema_fail(sc, n, what, "expected true or false, got %s", got);
		}
		d->destructive = n->b;
	}
	n = doc_map_get(node, "needs");
	d->needs = xcalloc(n && n->type == DOC_SEQ ? n->n + 1 : 1, sizeof(char *));
	if (n) {
		snprintf(what, sizeof(what), "%s.needs", where);
		if (n->type != DOC_SEQ)
			return schema_fail(sc, n, what,
			                   "expected a list of services, like [nginx]");
		for (i = 0; i < n->n; i++) {
			char w2[96];

			snprintf(w2, sizeof(w2), "%s[%zu]", what, i);
			if (schema_str(sc, n->items[i], w2) < 0)
				return -1;
			d->needs[i] = xstrdup(n->items[i]->text);
		}
	}
	if (check_keys(sc, node, where, k) < 0)
		return -1;
	if (k->validate && k->validate(sc, node, where) < 0)
		return -1;
	d->node = node;
	return 0;
}

int checklist_parse(const char *path, const char *text, size_t len, const struct stack *stack,
                    const struct tmpl_vars *vars, struct checklist *out, struct err *err)
{
	struct schema sc = {path, err};
	const struct doc_node *root, *list;
	size_t i, j;

	(void)stack; /* the services a check needs are looked up when it runs */
	memset(out, 0, sizeof(*out));
	out->path = xstrdup(path);
	if (tmpl_render(path, text, len, vars, &out->docs, err) < 0)
		return -1;
	if (out->docs.n != 1)
		return err_setk(
		    err, ERRK_INVALID,
		    "%s: expected one YAML document (a mapping with checks:), found %zu", path,
		    out->docs.n);
	root = out->docs.docs[0];
	if (schema_map(&sc, root, "the checklist") < 0)
		return -1;
	if (schema_keys(&sc, root, "the checklist", (const char *const[]){"checks", NULL}) < 0)
		return -1;
	list = doc_map_get(root, "checks");
	if (list == NULL)
		return schema_fail(&sc, root, "checks", "the checklist needs checks: (a list)");
	if (list->type != DOC_SEQ) {
		char got[64];

		schema_describe(list, got, sizeof(got));
		return schema_fail(&sc, list, "checks", "expected a list of checks, got %s", got);
	}
	if (list->n > CHECKS_MAX)
		return schema_fail(&sc, list, "checks", "%zu checks: at most %d", list->n,
		                   CHECKS_MAX);
	/* Nothing to check would pass by saying nothing. */
	if (list->n == 0)
		return schema_fail(&sc, list, "checks", "the checklist has no check");
	out->v = xcalloc(list->n ? list->n : 1, sizeof(*out->v));
	for (i = 0; i < list->n; i++) {
		out->n = i + 1;
		if (parse_check(&sc, list->items[i], i, &out->v[i]) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(out->v[j].id, out->v[i].id) == 0) {
				char what[48];

				snprintf(what, sizeof(what), "checks[%zu].id", i);
				return schema_fail(&sc, doc_map_get(list->items[i], "id"), what,
				                   "check %s again (the first is at line %u)",
				                   out->v[i].id, out->v[j].mark.line);
			}
	}
	return 0;
}

int checklist_load(const char *path, const struct stack *stack, const struct tmpl_vars *vars,
                   struct checklist *out, struct err *err)
{
	struct buf b = BUF_INIT(CHECKS_MAX_BYTES);
	int rc;

	memset(out, 0, sizeof(*out));
	if (fs_read(path, CHECKS_MAX_BYTES, &b, err) < 0) {
		buf_release(&b);
		return err_wrap(err, "checklist");
	}
	rc = checklist_parse(path, b.data ? b.data : "", b.len, stack, vars, out, err);
	buf_release(&b);
	return rc;
}

void checklist_release(struct checklist *cl)
{
	size_t i, j;

	for (i = 0; i < cl->n; i++) {
		free(cl->v[i].id);
		free(cl->v[i].title);
		free(cl->v[i].kind);
		for (j = 0; cl->v[i].needs && cl->v[i].needs[j]; j++)
			free(cl->v[i].needs[j]);
		free(cl->v[i].needs);
	}
	free(cl->v);
	doc_list_release(&cl->docs);
	free(cl->path);
	memset(cl, 0, sizeof(*cl));
}

const struct check_def *checklist_find(const struct checklist *cl, const char *id)
{
	size_t i;

	for (i = 0; i < cl->n; i++)
		if (strcmp(cl->v[i].id, id) == 0)
			return &cl->v[i];
	return NULL;
}

/* ---- results -------------------------------------------------------------------- */

const char *check_status_name(enum check_status s)
{
	return s == CHECK_PASS ? "pass" : s == CHECK_FAIL ? "fail" : "skip";
}

void check_result_release(struct check_result *r)
{
	size_t i;

	free(r->expected);
	free(r->seen);
	free(r->hint);
	free(r->reason);
	buf_release(&r->evidence);
	for (i = 0; i < r->nmetrics; i++)
		free(r->metrics[i].label);
	free(r->metrics);
	memset(r, 0, sizeof(*r));
}

void check_results_free(struct check_result *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		check_result_release(&v[i]);
	free(v);
}

/* ---- the environment ---------------------------------------------------------- */

char *check_scrub(const struct check_env *env, const char *s)
{
	struct buf b = BUF_INIT(64u << 20);
	size_t i, best_len;
	const char *p = s, *hit;
	size_t best;

	if (s == NULL)
		return NULL;
	for (;;) {
		hit = NULL;
		best = 0;
		best_len = 0;
		for (i = 0; env && i < env->nsecrets; i++) {
			const char *h;
			size_t l = strlen(env->secret_values[i]);

			if (l == 0 || (h = strstr(p, env->secret_values[i])) == NULL)
				continue;
			if (hit == NULL || h < hit || (h == hit && l > best_len)) {
				hit = h;
				best = i;
				best_len = l;
			}
		}
		if (hit == NULL)
			break;
		buf_add(&b, p, (size_t)(hit - p));
		buf_addf(&b, "<secret:%s>", env->secret_names[best]);
		p = hit + best_len;
	}
	buf_addstr(&b, p);
	return buf_detach(&b, NULL);
}

/* The repository: the parent of the stack file's directory (srcs/..). */
static char *top_of(const struct stack *st)
{
	return path_dir(st->dir);
}

/*
 * A service private key (svckeys.h) among the secrets to scrub: its whole
 * text, without the final newline, so that no check's output can show it.
 */
static void env_add_key(struct check_env *env, const char *name, const char *path)
{
	struct buf b = BUF_INIT(64u << 10);
	struct err e2;

	if (fs_read(path, b.limit, &b, &e2) == 0 && b.len > 0) {
		char *v = buf_detach(&b, NULL);
		size_t l = strlen(v);

		while (l > 0 && (v[l - 1] == '\n' || v[l - 1] == '\r'))
			v[--l] = '\0';
		env->secret_names[env->nsecrets] = xstrdup(name);
		env->secret_values[env->nsecrets] = v;
		env->nsecrets++;
	}
	buf_reset(&b);
	buf_release(&b);
}

int check_env_open(struct check_env *env, struct run *run, const char *address, struct err *err)
{
	const struct stack *st = run->stack;
	struct svckeys k = {0};
	char ip[IPV4_STRLEN];
	size_t i;

	memset(env, 0, sizeof(*env));
	env->stack = st;
	env->run = run;
	env->top = top_of(st);
	if (address) {
		uint32_t a;

		if (ipv4_parse(address, &a) < 0) {
			char q[80];

			return err_set(err, ERR_USAGE,
			               "--address '%s' is not an IPv4 address (like 192.168.61.10)",
			               text_quote(address, strlen(address), q, sizeof(q)));
		}
		env->address = xstrdup(ipv4_format(a, ip));
	} else {
		env->address = xstrdup(ipv4_format(st->vm.lb_address, ip));
	}
	env->have_state = run->state && state_exists(run->state);
	/* + the two private keys' texts (below) */
	env->secret_names = xcalloc(st->nsecrets + 3, sizeof(char *));
	env->secret_values = xcalloc(st->nsecrets + 3, sizeof(char *));
	if (!env->have_state)
		return 0;
	for (i = 0; i < st->nsecrets; i++) {
		char *path = xasprintf("%s/secrets/%s", run->state->dir, st->secrets[i]);
		struct buf b = BUF_INIT(4096);
		struct err e2;

		if (fs_read(path, 4096, &b, &e2) == 0 && b.len > 0) {
			char *v = buf_detach(&b, NULL);

			v[strcspn(v, "\n")] = '\0';
			env->secret_names[env->nsecrets] = xstrdup(st->secrets[i]);
			env->secret_values[env->nsecrets] = v;
			env->nsecrets++;
		}
		buf_release(&b);
		free(path);
	}
	svckeys_paths(&k, run->state);
	env_add_key(env, "tls.key", k.tls_key);
	env_add_key(env, "ssh_host_key", k.ssh_host_key);
	if (fs_exists(k.tls_cert))
		env->tls_cert = xstrdup(k.tls_cert);
	{
		struct buf b = BUF_INIT(4096);
		struct err e2;

		if (fs_read(k.ssh_host_pub, 4096, &b, &e2) == 0 && b.len > 0) {
			char *line = buf_detach(&b, NULL);

			line[strcspn(line, "\n")] = '\0';
			if (crypto_fingerprint_line(line, &env->ssh_host_fp, &e2) < 0)
				env->ssh_host_fp = NULL;
			free(line);
		}
		buf_release(&b);
	}
	svckeys_release(&k);
	return 0;
}

void check_env_release(struct check_env *env)
{
	size_t i;

	for (i = 0; i < env->nsecrets; i++) {
		explicit_bzero(env->secret_values[i], strlen(env->secret_values[i]));
		free(env->secret_values[i]);
		free(env->secret_names[i]);
	}
	free(env->secret_values);
	free(env->secret_names);
	free(env->top);
	free(env->address);
	free(env->tls_cert);
	free(env->ssh_host_fp);
	memset(env, 0, sizeof(*env));
}

/* ---- what kinds call ------------------------------------------------------------ */

/* The length of the UTF-8 character at s (1 to 4), or 0 if none starts there. */
static size_t utf8_char(const unsigned char *s)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
		return 0;
	return n;
}

char *check_clean(const struct check_env *env, const char *s)
{
	char *sc = check_scrub(env, s), *q;
	const unsigned char *p;
	size_t o = 0;

	if (sc == NULL)
		return NULL;
	q = xmalloc(strlen(sc) + 1);
	for (p = (const unsigned char *)sc; *p;) {
		size_t l = utf8_char(p);

		if (l == 0 || (l == 1 && (*p < 0x20 || *p == 0x7f))) {
			q[o++] = '?';
			p++;
			continue;
		}
		memcpy(q + o, p, l);
		o += l;
		p += l;
	}
	q[o] = '\0';
	free(sc);
	return q;
}

void check_secret(struct check_run *cr, const char *value)
{
	if (value && *value && cr->nsecrets < CHECK_RUN_SECRETS)
		cr->secrets[cr->nsecrets++] = xstrdup(value);
}

/* check_clean, and the run's own secrets scrubbed too. */
static char *run_clean(const struct check_run *cr, const char *s)
{
	char *c = check_clean(cr->env, s);
	size_t i;

	for (i = 0; c && i < cr->nsecrets; i++) {
		size_t l = strlen(cr->secrets[i]);
		struct buf b = BUF_INIT(64u << 20);
		const char *p = c, *h;

		while ((h = strstr(p, cr->secrets[i]))) {
			buf_add(&b, p, (size_t)(h - p));
			buf_addstr(&b, "<secret:run>");
			p = h + l;
		}
		buf_addstr(&b, p);
		free(c);
		c = buf_detach(&b, NULL);
	}
	return c;
}

int check_fail(struct check_run *cr, const char *expected, const char *seen, const char *hint_fmt,
               ...)
{
	struct check_result *r = cr->res;
	char *hint = NULL;

	if (hint_fmt) {
		va_list ap;

		va_start(ap, hint_fmt);
		hint = xvasprintf(hint_fmt, ap);
		va_end(ap);
	}
	if (r->status == CHECK_FAIL) {
		check_evidence(cr, "also: expected %s, saw %s", expected ? expected : "",
		               seen ? seen : "");
		free(hint);
		return -1;
	}
	r->status = CHECK_FAIL;
	free(r->reason);
	r->reason = NULL;
	r->expected = run_clean(cr, expected ? expected : "");
	r->seen = run_clean(cr, seen ? seen : "");
	r->hint = hint ? run_clean(cr, hint) : NULL;
	free(hint);
	return -1;
}

int check_fail_err(struct check_run *cr, const char *expected, const struct err *err,
                   const char *hint)
{
	return check_fail(cr, expected, err->msg, hint ? "%s" : NULL, hint);
}

int check_skip(struct check_run *cr, const char *fmt, ...)
{
	struct check_result *r = cr->res;
	va_list ap;
	char *s;

	if (r->status == CHECK_FAIL)
		return 0;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	r->status = CHECK_SKIP;
	free(r->reason);
	r->reason = run_clean(cr, s);
	free(s);
	return 0;
}

void check_evidence(struct check_run *cr, const char *fmt, ...)
{
	va_list ap;
	char *s, *c;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	c = run_clean(cr, s);
	if (buf_addstr(&cr->res->evidence, c) == 0)
		buf_addch(&cr->res->evidence, '\n');
	free(c);
	free(s);
}

void check_metric(struct check_run *cr, const char *label, double seconds)
{
	struct check_result *r = cr->res;

	r->metrics = xreallocarray(r->metrics, r->nmetrics + 1, sizeof(*r->metrics));
	r->metrics[r->nmetrics].label = run_clean(cr, label);
	r->metrics[r->nmetrics].seconds = seconds;
	r->nmetrics++;
}

int check_cancelled(const struct check_run *cr)
{
	return __atomic_load_n(&cr->env->cancel, __ATOMIC_ACQUIRE) != 0;
}

unsigned long check_timeout(const struct check_run *cr, unsigned long dflt)
{
	return cr->env->timeout_ms ? cr->env->timeout_ms : dflt;
}

const struct doc_node *check_key(const struct check_run *cr, const char *key)
{
	return doc_map_get(cr->def->node, key);
}

const char *check_str(const struct check_run *cr, const char *key, const char *dflt)
{
	const struct doc_node *n = check_key(cr, key);

	return n && n->type == DOC_STR ? n->text : dflt;
}

long long check_int(const struct check_run *cr, const char *key, long long dflt)
{
	const struct doc_node *n = check_key(cr, key);

	return n && n->type == DOC_INT ? n->i : dflt;
}

/* ---- the run ---------------------------------------------------------------------- */

/* A secret the state does not have leaves its placeholder in the rendered check. */
static const char *missing_secret(const struct doc_node *n)
{
	size_t i;
	const char *m;

	if (n == NULL)
		return NULL;
	if (n->type == DOC_STR)
		return n->text && strstr(n->text, "<secret:") ? n->text : NULL;
	for (i = 0; n->type == DOC_SEQ && i < n->n; i++)
		if ((m = missing_secret(n->items[i])))
			return m;
	for (i = 0; n->type == DOC_MAP && i < n->n; i++)
		if ((m = missing_secret(n->pairs[i].value)))
			return m;
	return NULL;
}

struct runner {
	const struct check_env *env;
	const struct check_select *sel;
	const struct check_progress *progress;
	struct check_result *res;
	size_t n;
	size_t next; /* the next result to run (under mu) */
	size_t last; /* one past the last of this phase */
	pthread_mutex_t mu;
	const char *stopped_by; /* --fail-fast: the id that failed first */
};

static void run_one(struct runner *rn, struct check_result *r)
{
	const struct check_def *d = r->def;
	const struct check_kind *k = check_kind_find(d->kind);
	struct check_run cr = {.env = rn->env, .def = d, .res = r};
	const char *ph;
	double t0 = mono_now();
	size_t i;

	r->ran = 1;
	r->status = CHECK_PASS;
	for (i = 0; d->needs[i]; i++)
		if (stack_service(rn->env->stack, d->needs[i]) == NULL) {
			check_skip(&cr, "service '%s' is not in the stack", d->needs[i]);
			goto done;
		}
	if ((ph = missing_secret(d->node))) {
		const char *s = strstr(ph, "<secret:");
		char name[64];
		size_t l = strcspn(s + 8, ">");

		snprintf(name, sizeof(name), "%.*s", (int)(l < 40 ? l : 40), s + 8);
		check_fail(&cr, "the stack's generated secrets",
		           rn->env->have_state ? "a secret the state does not hold"
		                               : "no state directory for the stack",
		           "secret '%s' is not generated yet: run ftboot up first", name);
		goto done;
	}
	k->run(&cr);
done:
	r->seconds = mono_now() - t0;
	for (i = 0; i < cr.nsecrets; i++) {
		explicit_bzero(cr.secrets[i], strlen(cr.secrets[i]));
		free(cr.secrets[i]);
	}
}

static void *worker(void *arg)
{
	struct runner *rn = arg;

	for (;;) {
		struct check_result *r;

		pthread_mutex_lock(&rn->mu);
		if (rn->next >= rn->last || rn->stopped_by) {
			pthread_mutex_unlock(&rn->mu);
			return NULL;
		}
		r = &rn->res[rn->next++];
		if (rn->progress && rn->progress->begin)
			rn->progress->begin(rn->progress->ctx, r->def);
		pthread_mutex_unlock(&rn->mu);
		run_one(rn, r);
		pthread_mutex_lock(&rn->mu);
		if (rn->stopped_by) {
			/*
			 * --fail-fast stopped the run while this check ran: whatever
			 * it says now is the stop's doing (a wait given up, a loop
			 * left early), neither a pass nor a failure of its own.
			 */
			char *why = xasprintf("stopped: --fail-fast stopped at %s", rn->stopped_by);

			free(r->expected);
			free(r->seen);
			free(r->hint);
			free(r->reason);
			r->expected = r->seen = r->hint = NULL;
			r->status = CHECK_SKIP;
			r->reason = why;
		} else if (r->status == CHECK_FAIL && rn->sel->fail_fast) {
			__atomic_store_n(&((struct check_env *)rn->env)->cancel, 1,
			                 __ATOMIC_RELEASE);
			rn->stopped_by = r->def->id;
		}
		if (rn->progress && rn->progress->end)
			rn->progress->end(rn->progress->ctx, r);
		pthread_mutex_unlock(&rn->mu);
	}
}

/* Run res[from..to) on jobs threads. */
static void run_phase(struct runner *rn, size_t from, size_t to, int jobs)
{
	pthread_t th[64];
	int i, started = 0;

	rn->next = from;
	rn->last = to;
	if (to <= from)
		return;
	if ((size_t)jobs > to - from)
		jobs = (int)(to - from);
	for (i = 0; i < jobs && i < 64; i++) {
		if (pthread_create(&th[i], NULL, worker, rn) != 0)
			break;
		started++;
	}
	if (started == 0)
		worker(rn);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

/* 1 if id is in the comma-separated list only ("E2" names E2 and its parts E2.x). */
static int listed(const char *only, const char *id)
{
	size_t l = strcspn(id, "."), full = strlen(id);
	const char *p = only;

	while (*p) {
		size_t w = strcspn(p, ",");

		if ((w == l || w == full) && strncmp(p, id, w) == 0)
			return 1;
		p += w;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* 1 if some check of cl is id or a part of it. */
static int any_listed(const struct checklist *cl, const char *id)
{
	size_t i;

	for (i = 0; i < cl->n; i++)
		if (listed(id, cl->v[i].id))
			return 1;
	return 0;
}

int check_run_all(const struct check_env *env, const struct checklist *cl,
                  const struct check_select *sel, const struct check_progress *progress,
                  struct check_result **results, size_t *n, struct err *err)
{
	struct runner rn = {0};
	size_t i, m = 0, ndestr;
	int jobs = sel->jobs > 0 ? sel->jobs : 8;

	*results = NULL;
	*n = 0;
	if (sel->only) {
		const char *p = sel->only;

		while (*p) {
			size_t w = strcspn(p, ",");
			char id[40];

			snprintf(id, sizeof(id), "%.*s", (int)(w < 39 ? w : 39), p);
			if (w == 0 || w > 32 || !any_listed(cl, id)) {
				char q[80];

				return err_set(
				    err, ERR_USAGE,
				    "--only: no check '%s' in %s (ids are comma-separated, "
				    "like --only E5,E7)",
				    text_quote(p, w, q, sizeof(q)), cl->path);
			}
			p += w;
			if (*p == ',')
				p++;
		}
	}
	if (sel->only && !sel->destructive) {
		for (i = 0; i < cl->n; i++)
			if (cl->v[i].destructive && listed(sel->only, cl->v[i].id))
				return err_set(
				    err, ERR_USAGE,
				    "--only: %s is destructive (it kills processes of the "
				    "stack): add --destructive to run it",
				    cl->v[i].id);
	}
	rn.res = xcalloc(cl->n ? cl->n : 1, sizeof(*rn.res));
	/* Non-destructive ones first, then the destructive ones; each phase in list order. */
	for (i = 0; i < cl->n; i++) {
		const struct check_def *d = &cl->v[i];

		if (sel->only ? !listed(sel->only, d->id) : (d->destructive && !sel->destructive))
			continue;
		if (!d->destructive) {
			rn.res[m].def = d;
			buf_init(&rn.res[m].evidence, 1u << 20);
			m++;
		}
	}
	ndestr = m;
	for (i = 0; i < cl->n; i++) {
		const struct check_def *d = &cl->v[i];

		if (sel->only ? !listed(sel->only, d->id) : (d->destructive && !sel->destructive))
			continue;
		if (d->destructive) {
			rn.res[m].def = d;
			buf_init(&rn.res[m].evidence, 1u << 20);
			m++;
		}
	}
	rn.env = env;
	rn.sel = sel;
	rn.progress = progress;
	rn.n = m;
	pthread_mutex_init(&rn.mu, NULL);
	run_phase(&rn, 0, ndestr, jobs);
	run_phase(&rn, ndestr, m, 1);
	pthread_mutex_destroy(&rn.mu);
	for (i = 0; i < m; i++)
		if (!rn.res[i].ran) {
			rn.res[i].status = CHECK_SKIP;
			rn.res[i].reason = xasprintf("not run: --fail-fast stopped at %s",
			                             rn.stopped_by ? rn.stopped_by : "a failure");
		}
	/* Back into the checklist's order. */
	{
		struct check_result *sorted = xcalloc(m ? m : 1, sizeof(*sorted));
		size_t o = 0, j;

		for (i = 0; i < cl->n; i++)
			for (j = 0; j < m; j++)
				if (rn.res[j].def == &cl->v[i])
					sorted[o++] = rn.res[j];
		free(rn.res);
		*results = sorted;
	}
	*n = m;
	return 0;
}

void check_summarize(const struct check_result *v, size_t n, double seconds,
                     struct check_summary *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->seconds = seconds;
	for (i = 0; i < n; i++) {
		if (!v[i].ran)
			s->notrun++;
		else if (v[i].status == CHECK_PASS)
			s->passed++;
		else if (v[i].status == CHECK_FAIL)
			s->failed++;
		else
			s->skipped++;
	}
}
