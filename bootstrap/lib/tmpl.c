/*
 * tmpl: ${name} substitution in parsed YAML trees, with errors at the
 * placeholder's position in the template text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "text.h"
#include "tmpl.h"
#include "xmem.h"

#define TMPL_NAME_MAX   128
#define TMPL_SCALAR_MAX (1u << 20) /* one substituted scalar */

static int tmpl_find(const struct tmpl_vars *vars, const char *name, size_t *at)
{
	size_t lo = 0, hi = vars->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(vars->v[mid].name, name);

		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return 0;
}

void tmpl_vars_set(struct tmpl_vars *vars, const char *name, struct doc_node *value)
{
	size_t at;

	if (tmpl_find(vars, name, &at)) {
		doc_free(vars->v[at].value);
		vars->v[at].value = value;
		return;
	}
	vars->v = xreallocarray(vars->v, vars->n + 1, sizeof(*vars->v));
	memmove(&vars->v[at + 1], &vars->v[at], (vars->n - at) * sizeof(*vars->v));
	vars->v[at].name = xstrdup(name);
	vars->v[at].value = value;
	vars->n++;
}

const struct doc_node *tmpl_vars_get(const struct tmpl_vars *vars, const char *name)
{
	size_t at;

	return tmpl_find(vars, name, &at) ? vars->v[at].value : NULL;
}

void tmpl_vars_release(struct tmpl_vars *vars)
{
	size_t i;

	for (i = 0; i < vars->n; i++) {
		free(vars->v[i].name);
		doc_free(vars->v[i].value);
	}
	free(vars->v);
	vars->v = NULL;
	vars->n = 0;
}

struct renderer {
	const char *name;
	const char *text;
	size_t len;
	const struct tmpl_vars *vars;
	struct err *err;
};

/*
 * An error at the placeholder token (as written, e.g. "${lb_ipp}") that
 * starts at byte at of node's text: the source is searched from node's
 * start for the same occurrence of token (the third "${" of the scalar
 * for the third), else the first, else the error is at node itself.
 */
__attribute__((format(printf, 5, 6))) static int fail_at(struct renderer *r,
                                                         const struct doc_node *node,
                                                         const char *token, size_t at,
                                                         const char *fmt, ...)
{
	char msg[ERR_MSG_MAX / 2];
	unsigned line = node->mark.line ? node->mark.line : 1;
	unsigned col = node->mark.line ? node->mark.col : 1;
	va_list ap;

	if (token && node->mark.line && node->mark.offset < r->len) {
		size_t tl = strlen(token), before = 0, k, from = node->mark.offset;
		const char *hit, *first = NULL;

		for (k = 0; k < at && k + tl <= node->len; k++)
			if (memcmp(node->text + k, token, tl) == 0)
				before++;
		while ((hit = memmem(r->text + from, r->len - from, token, tl)) != NULL) {
			if (first == NULL)
				first = hit;
			if (before-- == 0)
				break;
			from = (size_t)(hit - r->text) + 1;
		}
		if (hit == NULL)
			hit = first;
		if (hit)
			text_advance(r->text, node->mark.offset, (size_t)(hit - r->text), &line,
			             &col);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(r->err, ERR_FAIL, "%s:%u:%u: %s", r->name, line, col, msg);
}

static int valid_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Bytes of the UTF-8 character at s (1 for a stray byte), at most n. */
static size_t utf8_len(const char *s, size_t n)
{
	size_t k = 1;

	while (k < n && k < 4 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k++;
	return k;
}

/* Unknown name, with the list of the known ones. */
static int fail_unknown_list(struct renderer *r, const struct doc_node *node, const char *token,
                             size_t at, const char *name)
{
	struct buf known = BUF_INIT(1024);
	const char *v;
	size_t i;
	int rc;

	/* The first names that fit, then "...": never a list with silent gaps. */
	for (i = 0; i < r->vars->n; i++) {
		v = r->vars->v[i].name;
		if (known.len + strlen(v) + sizeof(", , ...") > known.limit) {
			buf_addstr(&known, ", ...");
			break;
		}
		buf_addf(&known, "%s%s", i ? ", " : "", v);
	}
	rc = fail_at(r, node, token, at,
	             "unknown variable '%s' (write $${ for a literal '${'; known: %s)", name,
	             r->vars->n ? buf_cstr(&known) : "none");
	buf_release(&known);
	return rc;
}

/* Unknown name: say so, with the nearest known name when there is one. */
static int fail_unknown(struct renderer *r, const struct doc_node *node, const char *token,
                        size_t at, const char *name)
{
	const struct tmpl_vars *vars = r->vars;
	const char *near = NULL;
	size_t i, best = (size_t)-1;

	for (i = 0; i < vars->n; i++) {
		size_t d = text_distance(name, vars->v[i].name);

		if (d < best)
			best = d, near = vars->v[i].name;
	}
	/* Near only if the edit is small against the last part: not db -> pw. */
	if (near && best <= 2 && best < strlen(strrchr(name, '.') ? strrchr(name, '.') + 1 : name))
		return fail_at(r, node, token, at, "unknown variable '%s'; did you mean '%s'?",
		               name, near);
	if (strncmp(name, "secret.", 7) == 0)
		return fail_at(r, node, token, at,
		               "unknown variable '%s'; declare the secret under 'secrets:' in the "
		               "stack file",
		               name);
	if (strncmp(name, "values.", 7) == 0)
		return fail_at(r, node, token, at,
		               "unknown variable '%s'; set it under 'values:' in the stack file",
		               name);
	if (vars->help)
		return fail_at(r, node, token, at,
		               "unknown variable '%s' (write $${ for a literal '${'; %s)", name,
		               vars->help);
	return fail_unknown_list(r, node, token, at, name);
}

/*
 * Substitute inside one scalar. *replace is set to a new node when the
 * scalar is one plain placeholder (typed substitution), else the node's
 * text is rewritten in place. is_key forces a string result.
 */
static int subst_scalar(struct renderer *r, struct doc_node *node, int is_key,
                        struct doc_node **replace)
{
	struct buf out = BUF_INIT(TMPL_SCALAR_MAX);
	const char *s = node->text;
	size_t i = 0, len = node->len;
	int rc = -1, changed = 0;

	*replace = NULL;
	if (memchr(s, '$', len) == NULL)
		return 0;
	while (i < len) {
		char token[TMPL_NAME_MAX + 4], name[TMPL_NAME_MAX + 1];
		const struct doc_node *v;
		size_t j, n;

		if (s[i] == '$' && i + 2 < len && s[i + 1] == '$' && s[i + 2] == '{') {
			if (buf_add(&out, "${", 2) < 0)
				goto toolong;
			i += 3;
			changed = 1;
			continue;
		}
		if (!(s[i] == '$' && i + 1 < len && s[i + 1] == '{')) {
			if (buf_addch(&out, s[i]) < 0)
				goto toolong;
			i++;
			continue;
		}
		for (j = i + 2; j < len && valid_name_char(s[j]); j++)
			;
		n = j - (i + 2);
		if (j >= len || s[j] != '}' || n == 0 || n > TMPL_NAME_MAX) {
			if (j < len && s[j] == '}' && n == 0)
				fail_at(r, node, "${}", i, "empty placeholder '${}'");
			else if (n > TMPL_NAME_MAX)
				fail_at(r, node, "${", i,
				        "placeholder name longer than %d characters",
				        TMPL_NAME_MAX);
			else if (j < len && s[j] != '}') {
				/* Quoted: a tab or an escaped control character is no text to print. */
				char q[16];

				text_quote(s + j, utf8_len(s + j, len - j), q, sizeof(q));
				fail_at(r, node, "${", i,
				        "bad character '%s' in a placeholder; names are letters, "
				        "digits, '_', '.' and '-' (write $${ for a literal '${')",
				        q);
			} else
				fail_at(r, node, "${", i,
				        "unterminated placeholder: '${' without '}' (write $${ for "
				        "a literal '${')");
			goto out;
		}
		memcpy(name, s + i + 2, n);
		name[n] = '\0';
		snprintf(token, sizeof(token), "${%s}", name);
		v = tmpl_vars_get(r->vars, name);
		if (v == NULL) {
			fail_unknown(r, node, token, i, name);
			goto out;
		}
		changed = 1;
		if (!is_key && i == 0 && j + 1 == len && node->style == DOC_STYLE_PLAIN) {
			*replace = doc_clone(v);
			(*replace)->mark = node->mark;
			rc = 0;
			goto out;
		}
		if (v->type == DOC_SEQ || v->type == DOC_MAP) {
			fail_at(r, node, token, i,
			        "'%s' is %s: it must stand alone as a plain value, e.g. "
			        "'key: ${%s}'",
			        name, doc_type_name(v->type), name);
			goto out;
		}
		if (buf_add(&out, v->text, v->len) < 0)
			goto toolong;
		i = j + 1;
	}
	if (changed) {
		free(node->text);
		node->len = out.len;
		node->text = buf_detach(&out, NULL);
	}
	rc = 0;
	goto out;
toolong:
	fail_at(r, node, NULL, 0, "value longer than %u bytes after substitution", TMPL_SCALAR_MAX);
out:
	buf_release(&out);
	return rc;
}

static int subst_node(struct renderer *r, struct doc_node **slot);

static int subst_map(struct renderer *r, struct doc_node *map)
{
	size_t i, j;
	int keys_changed = 0;

	for (i = 0; i < map->n; i++) {
		struct doc_node *key = map->pairs[i].key, *unused;
		size_t before = key->len;
		char *old = memchr(key->text, '$', key->len) ? xstrdup(key->text) : NULL;

		if (subst_scalar(r, key, 1, &unused) < 0) {
			free(old);
			return -1;
		}
		if (old && (before != key->len || strcmp(old, key->text) != 0))
			keys_changed = 1;
		free(old);
		if (subst_node(r, &map->pairs[i].value) < 0)
			return -1;
	}
	if (!keys_changed)
		return 0;
	for (i = 0; i < map->n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(map->pairs[i].key->text, map->pairs[j].key->text) == 0)
				return fail_at(r, map->pairs[i].key, NULL, 0,
				               "duplicate key '%s' after substitution (first at "
				               "line %u)",
				               map->pairs[i].key->text,
				               map->pairs[j].key->mark.line);
	return 0;
}

static int subst_node(struct renderer *r, struct doc_node **slot)
{
	struct doc_node *node = *slot, *repl;
	size_t i;

	switch (node->type) {
	case DOC_MAP:
		return subst_map(r, node);
	case DOC_SEQ:
		for (i = 0; i < node->n; i++)
			if (subst_node(r, &node->items[i]) < 0)
				return -1;
		return 0;
	case DOC_STR:
		if (subst_scalar(r, node, 0, &repl) < 0)
			return -1;
		if (repl) {
			doc_free(node);
			*slot = repl;
		}
		return 0;
	default:
		return 0;
	}
}

int tmpl_render(const char *name, const char *text, size_t len, const struct tmpl_vars *vars,
                struct doc_list *out, struct err *err)
{
	struct renderer r = {name, text, len, vars, err};
	struct doc_list docs = {0};
	size_t i;
	int rc = -1;

	if (doc_parse_yaml(name, text, len, &docs, err) < 0) {
		/* '{' and '}' end a plain scalar in flow style: say so. */
		if (strstr(err->msg, "flow") && memmem(text, len, "${", 2))
			err_suffix(err, "; a ${...} inside [...] or {...} must be quoted, or write "
			                "the collection in block style");
		return -1;
	}
	for (i = 0; i < docs.n; i++)
		if (subst_node(&r, &docs.docs[i]) < 0)
			goto out;
	if (docs.n > 0) {
		out->docs = xreallocarray(out->docs, out->n + docs.n, sizeof(*out->docs));
		memcpy(out->docs + out->n, docs.docs, docs.n * sizeof(*docs.docs));
		out->n += docs.n;
	}
	free(docs.docs);
	docs.docs = NULL;
	docs.n = 0;
	rc = 0;
out:
	doc_list_release(&docs);
	return rc;
}
