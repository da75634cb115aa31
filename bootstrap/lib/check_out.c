/*
 * check_out: the outputs of `ftboot check` (check.h): a table for a
 * terminal, plain lines, JSON, JUnit XML and one HTML page. Every text
 * is scrubbed of the secrets again on its way out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "xmem.h"

static int full(struct err *err)
{
	return err_setk(err, ERRK_INVALID, "the check report passes its size limit");
}

/* Append s scrubbed. */
static int add_clean(const struct check_env *env, struct buf *out, const char *s)
{
	char *c = check_scrub(env, s ? s : "");
	int rc = buf_addstr(out, c);

	free(c);
	return rc;
}

int check_out_plain(const struct check_env *env, const struct check_result *v, size_t n,
                    const struct check_summary *s, struct buf *out, struct err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct check_result *r = &v[i];
		char line[128];

		snprintf(line, sizeof(line), "%s %s %.2fs ", r->def->id,
		         check_status_name(r->status), r->seconds);
		if (buf_addstr(out, line) < 0 || add_clean(env, out, r->def->title) < 0 ||
		    buf_addch(out, '\n') < 0)
			return full(err);
		if (r->status == CHECK_FAIL) {
			if (buf_addstr(out, "  expected: ") < 0 ||
			    add_clean(env, out, r->expected) < 0 ||
			    buf_addstr(out, "\n  seen: ") < 0 || add_clean(env, out, r->seen) < 0 ||
			    buf_addch(out, '\n') < 0)
				return full(err);
			if (r->hint &&
			    (buf_addstr(out, "  hint: ") < 0 || add_clean(env, out, r->hint) < 0 ||
			     buf_addch(out, '\n') < 0))
				return full(err);
		} else if (r->status == CHECK_SKIP && r->reason) {
			if (buf_addstr(out, "  reason: ") < 0 ||
			    add_clean(env, out, r->reason) < 0 || buf_addch(out, '\n') < 0)
				return full(err);
		}
	}
	if (buf_addf(out, "%zu passed, %zu failed, %zu skipped, %zu not run in %.2fs\n", s->passed,
	             s->failed, s->skipped, s->notrun, s->seconds) < 0)
		return full(err);
	return 0;
}

static struct doc_node *str_clean(const struct check_env *env, const char *s)
{
	char *c = check_scrub(env, s ? s : "");
	struct doc_node *n = doc_new_str(c);

	free(c);
	return n;
}

int check_out_json(const struct check_env *env, const struct check_result *v, size_t n,
                   const struct check_summary *s, struct buf *out, struct err *err)
{
	struct doc_node *root = doc_new(DOC_MAP), *list = doc_new(DOC_SEQ), *sum = doc_new(DOC_MAP);
	size_t i, j;
	int rc;

	for (i = 0; i < n; i++) {
		const struct check_result *r = &v[i];
		struct doc_node *o = doc_new(DOC_MAP), *ev = doc_new(DOC_SEQ),
		                *ms = doc_new(DOC_SEQ);
		const char *p = r->evidence.data ? r->evidence.data : "";
		struct doc_node *f = doc_new(DOC_FLOAT);
		char ft[DOC_FLOAT_TEXT_MAX];

		doc_map_set(o, "id", doc_new_str(r->def->id));
		doc_map_set(o, "title", str_clean(env, r->def->title));
		doc_map_set(o, "kind", doc_new_str(r->def->kind));
		doc_map_set(o, "destructive", doc_new_bool(r->def->destructive));
		doc_map_set(o, "status", doc_new_str(check_status_name(r->status)));
		doc_map_set(o, "ran", doc_new_bool(r->ran));
		f->f = r->seconds;
		f->text = xstrdup(doc_float_text(r->seconds, ft));
		f->len = strlen(f->text);
		doc_map_set(o, "seconds", f);
		if (r->status == CHECK_FAIL) {
			doc_map_set(o, "expected", str_clean(env, r->expected));
			doc_map_set(o, "seen", str_clean(env, r->seen));
			if (r->hint)
				doc_map_set(o, "hint", str_clean(env, r->hint));
		}
		if (r->reason)
			doc_map_set(o, "reason", str_clean(env, r->reason));
		while (*p) {
			size_t l = strcspn(p, "\n");
			char *line = xstrndup(p, l);

			doc_seq_push(ev, str_clean(env, line));
			free(line);
			p += l;
			if (*p == '\n')
				p++;
		}
		doc_map_set(o, "evidence", ev);
		for (j = 0; j < r->nmetrics; j++) {
			struct doc_node *m = doc_new(DOC_MAP), *sec = doc_new(DOC_FLOAT);

			doc_map_set(m, "label", str_clean(env, r->metrics[j].label));
			sec->f = r->metrics[j].seconds;
			sec->text = xstrdup(doc_float_text(sec->f, ft));
			sec->len = strlen(sec->text);
			doc_map_set(m, "seconds", sec);
			doc_seq_push(ms, m);
		}
		doc_map_set(o, "metrics", ms);
		doc_seq_push(list, o);
	}
	doc_map_set(sum, "passed", doc_new_int((long long)s->passed));
	doc_map_set(sum, "failed", doc_new_int((long long)s->failed));
	doc_map_set(sum, "skipped", doc_new_int((long long)s->skipped));
	doc_map_set(sum, "not_run", doc_new_int((long long)s->notrun));
	{
		struct doc_node *sec = doc_new(DOC_FLOAT);
		char ft[DOC_FLOAT_TEXT_MAX];

		sec->f = s->seconds;
		sec->text = xstrdup(doc_float_text(s->seconds, ft));
		sec->len = strlen(sec->text);
		doc_map_set(sum, "seconds", sec);
	}
	doc_map_set(root, "stack", doc_new_str(env->stack->name));
	doc_map_set(root, "address", doc_new_str(env->address));
	doc_map_set(root, "checks", list);
	doc_map_set(root, "summary", sum);
	rc = doc_emit_json(root, out, err);
	doc_free(root);
	if (rc == 0 && buf_addch(out, '\n') < 0)
		return full(err);
	return rc;
}

int check_out_table(const struct check_env *env, const struct check_result *v, size_t n,
                    const struct check_summary *s, int color, struct buf *out, struct err *err)
{
	(void)color;
	return check_out_plain(env, v, n, s, out, err);
}

int check_out_junit(const struct check_env *env, const struct check_result *v, size_t n,
                    const struct check_summary *s, struct buf *out, struct err *err)
{
	(void)env;
	(void)v;
	(void)n;
	(void)s;
	(void)out;
	return err_set(err, ERR_NOTIMPL, "--junit is not built yet");
}

int check_out_html(const struct check_env *env, const struct check_result *v, size_t n,
                   const struct check_summary *s, struct buf *out, struct err *err)
{
	(void)env;
	(void)v;
	(void)n;
	(void)s;
	(void)out;
	return err_set(err, ERR_NOTIMPL, "--report is not built yet");
}
