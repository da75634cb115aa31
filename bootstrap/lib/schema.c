/*
 * schema: checking a document tree against what a file format expects,
 * with errors that point at the text: "FILE:LINE:COL: what: message".
 * Shared by the stack file and the VM profiles.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"
#include "text.h"

int schema_fail(struct schema *ld, const struct doc_node *node, const char *what, const char *fmt,
                ...)
{
	char msg[ERR_MSG_MAX / 2];
	va_list ap;
	unsigned line = node && node->mark.line ? node->mark.line : 1;
	unsigned col = node && node->mark.line ? node->mark.col : 1;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (what && *what)
		return err_set(ld->err, ERR_FAIL, "%s:%u:%u: %s: %s", ld->path, line, col, what,
		               msg);
	return err_set(ld->err, ERR_FAIL, "%s:%u:%u: %s", ld->path, line, col, msg);
}

/* A short description of what a node holds, for "got ..." in messages. */
void schema_describe(const struct doc_node *n, char *out, size_t size)
{
	if (n->type == DOC_MAP || n->type == DOC_SEQ) {
		snprintf(out, size, "%s", doc_type_name(n->type));
	} else if (n->type == DOC_NULL) {
		snprintf(out, size, "nothing");
	} else if (size > 2) {
		char q[128];

		text_quote(n->text, n->len, q, size - 2 < sizeof(q) ? size - 2 : sizeof(q));
		snprintf(out, size, n->type == DOC_STR ? "'%s'" : "%s", q);
	} else if (size > 0) {
		out[0] = '\0';
	}
}

/* Reject keys of map not in known (NULL-terminated), suggesting the nearest. */
int schema_keys(struct schema *ld, const struct doc_node *map, const char *where,
                const char *const *known)
{
	size_t i, k, nknown;

	for (nknown = 0; known[nknown]; nknown++)
		;
	for (i = 0; i < map->n; i++) {
		const struct doc_node *key = map->pairs[i].key;
		const char *near;
		char list[512] = "", q[64];

		for (k = 0; k < nknown; k++)
			if (strcmp(key->text, known[k]) == 0)
				break;
		if (k < nknown)
			continue;
		near = text_nearest(key->text, known, nknown);
		text_quote(key->text, key->len, q, sizeof(q));
		if (near)
			return schema_fail(ld, key, NULL,
			                   "unknown key '%s' in %s; did you mean '%s'?", q, where,
			                   near);
		for (k = 0; k < nknown; k++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			         k ? ", " : "", known[k]);
		return schema_fail(ld, key, NULL, "unknown key '%s' in %s (expected one of: %s)", q,
		                   where, list);
	}
	return 0;
}

int schema_map(struct schema *ld, const struct doc_node *n, const char *what)
{
	char got[64];

	if (n->type == DOC_MAP)
		return 0;
	schema_describe(n, got, sizeof(got));
	return schema_fail(ld, n, what, "expected a mapping (key: value lines), got %s", got);
}

/* A string value (quoted or plain). Ints and bools are refused. */
int schema_str(struct schema *ld, const struct doc_node *n, const char *what)
{
	char got[64];

	if (n->type == DOC_STR && n->len > 0 && strlen(n->text) == n->len)
		return 0;
	schema_describe(n, got, sizeof(got));
	if (n->type == DOC_STR)
		return schema_fail(ld, n, what, "expected a non-empty string, got %s", got);
	return schema_fail(ld, n, what, "expected a string, got %s%s", got,
	                   n->type == DOC_INT || n->type == DOC_BOOL || n->type == DOC_FLOAT
	                       ? " (quote it to make it a string)"
	                       : "");
}

int schema_int(struct schema *ld, const struct doc_node *n, const char *what, long long min,
               long long max, int *out)
{
	char got[64];

	schema_describe(n, got, sizeof(got));
	if (n->type == DOC_STR && n->len > 0 && strspn(n->text, "0123456789") == n->len)
		return schema_fail(ld, n, what,
		                   "expected an integer from %lld to %lld, got the string %s "
		                   "(remove the quotes)",
		                   min, max, got);
	if (n->type != DOC_INT || n->i < min || n->i > max)
		return schema_fail(ld, n, what, "expected an integer from %lld to %lld, got %s",
		                   min, max, got);
	*out = (int)n->i;
	return 0;
}

/* DNS-1123 label starting with a letter (a valid Service name too). */
int schema_is_label(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int schema_label(struct schema *ld, const struct doc_node *n, const char *what, size_t max)
{
	char got[64];

	if ((n->type == DOC_STR || n->type == DOC_INT) && schema_is_label(n->text, max))
		return 0;
	schema_describe(n, got, sizeof(got));
	return schema_fail(
	    ld, n, what,
	    "expected a DNS-1123 label (lowercase letters, digits and '-', starting with "
	    "a letter, at most %zu characters), got %s",
	    max, got);
}
