/*
 * check_out: the outputs of `ftboot check` (check.h): a table for a
 * terminal, plain lines, JSON, JUnit XML and one HTML page. Every text
 * is scrubbed of the secrets again on its way out; the terminal's texts
 * are cleaned of control characters, the markup's escaped and rid of
 * the characters XML 1.0 forbids.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text.h"
#include "xmem.h"

static int full(struct err *err)
{
	return err_setk(err, ERRK_INVALID, "the check report passes its size limit");
}

/* Append s scrubbed and safe for a terminal. */
static int add_clean(const struct check_env *env, struct buf *out, const char *s)
{
	char *c = check_clean(env, s ? s : "");
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

/* A float node of f, written as doc_float_text writes it. */
static struct doc_node *float_node(double f)
{
	struct doc_node *n = doc_new(DOC_FLOAT);
	char ft[DOC_FLOAT_TEXT_MAX];

	n->f = f;
	free(n->text); /* doc_new's "0.0" */
	n->text = xstrdup(doc_float_text(f, ft));
	n->len = strlen(n->text);
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

		doc_map_set(o, "id", doc_new_str(r->def->id));
		doc_map_set(o, "title", str_clean(env, r->def->title));
		doc_map_set(o, "kind", doc_new_str(r->def->kind));
		doc_map_set(o, "destructive", doc_new_bool(r->def->destructive));
		doc_map_set(o, "status", doc_new_str(check_status_name(r->status)));
		doc_map_set(o, "ran", doc_new_bool(r->ran));
		doc_map_set(o, "seconds", float_node(r->seconds));
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
			struct doc_node *m = doc_new(DOC_MAP);

			doc_map_set(m, "label", str_clean(env, r->metrics[j].label));
			doc_map_set(m, "seconds", float_node(r->metrics[j].seconds));
			doc_seq_push(ms, m);
		}
		doc_map_set(o, "metrics", ms);
		doc_seq_push(list, o);
	}
	doc_map_set(sum, "passed", doc_new_int((long long)s->passed));
	doc_map_set(sum, "failed", doc_new_int((long long)s->failed));
	doc_map_set(sum, "skipped", doc_new_int((long long)s->skipped));
	doc_map_set(sum, "not_run", doc_new_int((long long)s->notrun));
	doc_map_set(sum, "seconds", float_node(s->seconds));
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

/* ---- a writer that remembers a refused append --------------------------------- */

/*
 * The table and the markup append a great many pieces: each goes
 * through w_*, and one flag says at the end whether any was refused
 * (the buffer's limit), instead of a check after every call.
 */
struct w {
	struct buf *b;
	int full;
};

static void w_add(struct w *w, const char *s, size_t len)
{
	if (buf_add(w->b, s, len) < 0)
		w->full = 1;
}

static void w_str(struct w *w, const char *s)
{
	w_add(w, s, strlen(s));
}

static void w_f(struct w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void w_f(struct w *w, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	w_str(w, s);
	free(s);
}

static int w_end(struct w *w, struct err *err)
{
	return w->full ? full(err) : 0;
}

/* ---- the table ------------------------------------------------------------- */

/* Widest title column: a longer title is cut (the plain lines keep it whole). */
#define TITLE_COLS 60

/* The characters of UTF-8 s (its bytes that start one). */
static size_t cols(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Append s (clean UTF-8) in exactly width columns: padded, or cut to end in "...". */
static void w_cell(struct w *w, const char *s, size_t width)
{
	size_t c = cols(s), i = 0, k = 0;

	if (c <= width) {
		w_str(w, s);
		for (; c < width; c++)
			w_str(w, " ");
		return;
	}
	while (s[i] && k < width - 3) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		k++;
	}
	w_add(w, s, i);
	w_str(w, "...");
}

/* "LABEL TEXT" under a row, indented, the text cleaned for the terminal. */
static void w_detail(const struct check_env *env, struct w *w, size_t indent, const char *label,
                     const char *text)
{
	char *c = check_clean(env, text ? text : "");

	w_f(w, "%*s%-9s %s\n", (int)indent, "", label, c);
	free(c);
}

int check_out_table(const struct check_env *env, const struct check_result *v, size_t n,
                    const struct check_summary *s, int color, struct buf *out, struct err *err)
{
	/* Indexed by enum check_status: green, red, yellow. */
	static const char *const paint[] = {"\033[32m", "\033[31m", "\033[33m"};
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	struct w w = {out, 0};
	size_t i, idw = 2, tw = 5;
	char **titles = xcalloc(n ? n : 1, sizeof(char *));

	for (i = 0; i < n; i++) {
		titles[i] = check_clean(env, v[i].def->title);
		if (strlen(v[i].def->id) > idw)
			idw = strlen(v[i].def->id);
		if (cols(titles[i]) > tw)
			tw = cols(titles[i]);
	}
	if (tw > TITLE_COLS)
		tw = TITLE_COLS;
	w_f(&w, "%s%-*s  ", bold, (int)idw, "ID");
	w_cell(&w, "TITLE", tw);
	w_f(&w, "  %-7s %8s%s\n", "STATUS", "TIME", reset);
	for (i = 0; i < n; i++) {
		const struct check_result *r = &v[i];

		w_f(&w, "%-*s  ", (int)idw, r->def->id);
		w_cell(&w, titles[i], tw);
		w_f(&w, "  %s%-7s%s %7.2fs\n", color ? paint[r->status] : "",
		    r->ran ? check_status_name(r->status) : "not run", reset, r->seconds);
		if (r->status == CHECK_FAIL) {
			w_detail(env, &w, idw + 2, "expected:", r->expected);
			w_detail(env, &w, idw + 2, "seen:", r->seen);
			if (r->hint)
				w_detail(env, &w, idw + 2, "hint:", r->hint);
		} else if (r->status == CHECK_SKIP && r->reason) {
			w_detail(env, &w, idw + 2, "reason:", r->reason);
		}
	}
	w_f(&w, "%s%zu passed, %zu failed, %zu skipped, %zu not run in %.2fs%s\n", bold, s->passed,
	    s->failed, s->skipped, s->notrun, s->seconds, reset);
	for (i = 0; i < n; i++)
		free(titles[i]);
	free(titles);
	return w_end(&w, err);
}

/* ---- markup: JUnit XML and HTML ------------------------------------------------ */

/*
 * Append s scrubbed and escaped for XML and HTML text and attributes
 * (& < > " '). Dropped: bytes that are not UTF-8, the characters XML 1.0
 * forbids (C0 but tab and line breaks, U+FFFE, U+FFFF), DEL and C1
 * (allowed by XML, but never meant in a report).
 */
static void w_esc(const struct check_env *env, struct w *w, const char *s)
{
	char *c = check_scrub(env, s ? s : "");
	const char *p = c;
	size_t len = strlen(c);

	while (*p) {
		size_t l = text_utf8_len(p, len - (size_t)(p - c));
		unsigned char b = (unsigned char)*p;

		if (l == 0) {
			p++;
			continue;
		}
		if (l == 1) {
			if (b == '&')
				w_str(w, "&amp;");
			else if (b == '<')
				w_str(w, "&lt;");
			else if (b == '>')
				w_str(w, "&gt;");
			else if (b == '"')
				w_str(w, "&quot;");
			else if (b == '\'')
				w_str(w, "&#39;");
			else if (b >= 0x20 && b != 0x7f)
				w_add(w, p, 1);
			else if (b == '\t' || b == '\n' || b == '\r')
				w_add(w, p, 1);
		} else if (!(l == 2 && b == 0xc2 && (unsigned char)p[1] < 0xa0) &&
		           !(l == 3 && b == 0xef && (unsigned char)p[1] == 0xbf &&
		             ((unsigned char)p[2] == 0xbe || (unsigned char)p[2] == 0xbf))) {
			w_add(w, p, l);
		}
		p += l;
	}
	free(c);
}

/* "%.3f" of a duration, never negative (a clock that stepped). */
static void w_secs(struct w *w, double s)
{
	w_f(w, "%.3f", s > 0 ? s : 0.0);
}

int check_out_junit(const struct check_env *env, const struct check_result *v, size_t n,
                    const struct check_summary *s, struct buf *out, struct err *err)
{
	struct w w = {out, 0};
	size_t i;

	w_str(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	w_f(&w,
	    "<testsuite name=\"ftboot check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	    "skipped=\"%zu\" time=\"",
	    n, s->failed, s->skipped + s->notrun);
	w_secs(&w, s->seconds);
	w_str(&w, "\">\n  <properties>\n    <property name=\"stack\" value=\"");
	w_esc(env, &w, env->stack ? env->stack->name : "");
	w_str(&w, "\"/>\n    <property name=\"address\" value=\"");
	w_esc(env, &w, env->address);
	w_str(&w, "\"/>\n  </properties>\n");
	for (i = 0; i < n; i++) {
		const struct check_result *r = &v[i];

		w_str(&w, "  <testcase name=\"");
		w_esc(env, &w, r->def->id);
		w_str(&w, " ");
		w_esc(env, &w, r->def->title);
		w_str(&w, "\" classname=\"");
		w_esc(env, &w, r->def->kind);
		w_str(&w, "\" time=\"");
		w_secs(&w, r->seconds);
		w_str(&w, "\">\n");
		if (r->status == CHECK_FAIL) {
			w_str(&w, "    <failure message=\"expected ");
			w_esc(env, &w, r->expected);
			w_str(&w, ", saw ");
			w_esc(env, &w, r->seen);
			w_str(&w, "\" type=\"");
			w_esc(env, &w, r->def->kind);
			w_str(&w, "\">expected: ");
			w_esc(env, &w, r->expected);
			w_str(&w, "\nseen: ");
			w_esc(env, &w, r->seen);
			if (r->hint) {
				w_str(&w, "\nhint: ");
				w_esc(env, &w, r->hint);
			}
			w_str(&w, "</failure>\n");
		} else if (r->status == CHECK_SKIP) {
			w_str(&w, "    <skipped message=\"");
			w_esc(env, &w, r->reason ? r->reason : "skipped");
			w_str(&w, "\"/>\n");
		}
		if (r->evidence.len || r->nmetrics) {
			size_t j;

			w_str(&w, "    <system-out>");
			w_esc(env, &w, buf_cstr(&r->evidence));
			for (j = 0; j < r->nmetrics; j++) {
				w_esc(env, &w, r->metrics[j].label);
				if (r->metrics[j].seconds < 0)
					w_str(&w, ": did not recover\n");
				else
					w_f(&w, ": recovered in %.2f s\n", r->metrics[j].seconds);
			}
			w_str(&w, "</system-out>\n");
		}
		w_str(&w, "  </testcase>\n");
	}
	w_str(&w, "</testsuite>\n");
	return w_end(&w, err);
}

/* The metrics of every check (E12's recovery times) as one inline SVG bar chart. */
static void w_chart(const struct check_env *env, struct w *w, const struct check_result *v,
                    size_t n)
{
	const int bar = 22, label_w = 260, plot_w = 420;
	size_t i, j, rows = 0;
	double max = 0;
	int y;

	for (i = 0; i < n; i++)
		for (j = 0; j < v[i].nmetrics; j++) {
			rows++;
			if (v[i].metrics[j].seconds > max)
				max = v[i].metrics[j].seconds;
		}
	if (rows == 0)
		return;
	if (max <= 0)
		max = 1;
	w_str(w, "<h2 id=\"recovery\">Recovery times</h2>\n");
	w_f(w,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" height=\"%zu\" "
	    "aria-label=\"recovery time of each process, in seconds\">\n",
	    label_w + plot_w + 130, rows * (size_t)bar + 10);
	y = 5;
	for (i = 0; i < n; i++)
		for (j = 0; j < v[i].nmetrics; j++) {
			const struct check_metric *m = &v[i].metrics[j];
			int never = m->seconds < 0;
			int len = never ? plot_w : (int)(m->seconds / max * plot_w);

			w_f(w, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6,
			    y + bar - 8);
			w_esc(env, w, v[i].def->id);
			w_str(w, " ");
			w_esc(env, w, m->label);
			w_f(w,
			    "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
			    "class=\"%s\"/>",
			    label_w, y + 2, len > 1 ? len : 1, bar - 6, never ? "never" : "bar");
			w_f(w, "<text x=\"%d\" y=\"%d\">", label_w + len + 6, y + bar - 8);
			if (never)
				w_str(w, "did not recover");
			else
				w_f(w, "%.2f s", m->seconds);
			w_str(w, "</text>\n");
			y += bar;
		}
	w_str(w, "</svg>\n");
}

int check_out_html(const struct check_env *env, const struct check_result *v, size_t n,
                   const struct check_summary *s, struct buf *out, struct err *err)
{
	struct w w = {out, 0};
	const char *stack = env->stack ? env->stack->name : "";
	size_t i;

	w_str(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	          "<title>ftboot check: ");
	w_esc(env, &w, stack);
	w_str(&w,
	      "</title>\n<style>\n"
	      "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}\n"
	      "table{border-collapse:collapse}td,th{padding:.2em .8em;text-align:left;"
	      "border-bottom:1px solid #ddd;vertical-align:top}\n"
	      "td.pass,span.pass{color:#17702a}td.fail,span.fail{color:#b3141b}"
	      "td.skip,span.skip{color:#8a6100}\n"
	      "section{border-left:4px solid #ccc;padding:.1em 1em;margin:1.2em 0}\n"
	      "section.pass{border-color:#17702a}section.fail{border-color:#b3141b}"
	      "section.skip{border-color:#c99400}\nsection h3{color:#222}\n"
	      "pre{background:#f5f5f5;padding:.6em;overflow-x:auto;white-space:pre-wrap}\n"
	      "dt{font-weight:bold}dd{margin:0 0 .4em 1.5em;white-space:pre-wrap}\n"
	      "svg text{font-size:13px;fill:#222}rect.bar{fill:#3a6ea5}rect.never{fill:#b3141b}\n"
	      "</style>\n</head>\n<body>\n<h1>ftboot check: ");
	w_esc(env, &w, stack);
	w_str(&w, " at ");
	w_esc(env, &w, env->address);
	w_f(&w,
	    "</h1>\n<p id=\"summary\">%zu passed, %zu failed, %zu skipped, %zu not run in "
	    "%.2f s</p>\n",
	    s->passed, s->failed, s->skipped, s->notrun, s->seconds);
	w_str(&w, "<table>\n<thead><tr><th>id</th><th>title</th><th>status</th><th>time</th>"
	          "</tr></thead>\n<tbody>\n");
	for (i = 0; i < n; i++) {
		const struct check_result *r = &v[i];
		const char *st = check_status_name(r->status);

		w_str(&w, "<tr><td><a href=\"#check-");
		w_esc(env, &w, r->def->id);
		w_str(&w, "\">");
		w_esc(env, &w, r->def->id);
		w_str(&w, "</a></td><td>");
		w_esc(env, &w, r->def->title);
		w_f(&w, "</td><td class=\"%s\">%s</td><td>%.2f s</td></tr>\n", st,
		    r->ran ? st : "not run", r->seconds);
	}
	w_str(&w, "</tbody>\n</table>\n");
	w_chart(env, &w, v, n);
	w_str(&w, "<h2>Checks</h2>\n");
	for (i = 0; i < n; i++) {
		const struct check_result *r = &v[i];
		const char *st = check_status_name(r->status);
		size_t j;

		w_str(&w, "<section id=\"check-");
		w_esc(env, &w, r->def->id);
		w_f(&w, "\" class=\"%s\">\n<h3>", st);
		w_esc(env, &w, r->def->id);
		w_str(&w, ": ");
		w_esc(env, &w, r->def->title);
		w_f(&w, "</h3>\n<p><span class=\"%s\">%s</span>, %.2f s; kind ", st,
		    r->ran ? st : "not run", r->seconds);
		w_esc(env, &w, r->def->kind);
		w_f(&w, "%s</p>\n", r->def->destructive ? ", destructive" : "");
		if (r->status == CHECK_FAIL) {
			w_str(&w, "<dl>\n<dt>expected</dt><dd>");
			w_esc(env, &w, r->expected);
			w_str(&w, "</dd>\n<dt>seen</dt><dd>");
			w_esc(env, &w, r->seen);
			w_str(&w, "</dd>\n");
			if (r->hint) {
				w_str(&w, "<dt>hint</dt><dd>");
				w_esc(env, &w, r->hint);
				w_str(&w, "</dd>\n");
			}
			w_str(&w, "</dl>\n");
		} else if (r->status == CHECK_SKIP && r->reason) {
			w_str(&w, "<dl>\n<dt>reason</dt><dd>");
			w_esc(env, &w, r->reason);
			w_str(&w, "</dd>\n</dl>\n");
		}
		if (r->evidence.len) {
			w_str(&w, "<pre class=\"evidence\">");
			w_esc(env, &w, buf_cstr(&r->evidence));
			w_str(&w, "</pre>\n");
		}
		for (j = 0; j < r->nmetrics; j++) {
			w_str(&w, j == 0 ? "<ul class=\"metrics\">\n<li>" : "<li>");
			w_esc(env, &w, r->metrics[j].label);
			if (r->metrics[j].seconds < 0)
				w_str(&w, ": did not recover</li>\n");
			else
				w_f(&w, ": %.2f s</li>\n", r->metrics[j].seconds);
			if (j + 1 == r->nmetrics)
				w_str(&w, "</ul>\n");
		}
		w_str(&w, "</section>\n");
	}
	w_str(&w, "</body>\n</html>\n");
	return w_end(&w, err);
}
