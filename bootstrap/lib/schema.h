/*
 * schema: checking document trees against a file format, with errors
 * that point at the text ("FILE:LINE:COL: what: message") and say what
 * was expected and what was found. Used by the stack file and the VM
 * profiles.
 */
#ifndef FTBOOT_SCHEMA_H
#define FTBOOT_SCHEMA_H

#include <stddef.h>

#include "doc.h"
#include "err.h"

struct schema {
	const char *path; /* the file, as shown in messages */
	struct err *err;
};

/* Set the error "path:line:col: what: message" at node (or the file's start). Returns -1. */
int schema_fail(struct schema *ld, const struct doc_node *node, const char *what, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

/* What a node holds, for "got ...": 'text', 42, a mapping, nothing. */
void schema_describe(const struct doc_node *n, char *out, size_t size);

/* Refuse keys of map not in known (NULL-terminated), naming the nearest known key. */
int schema_keys(struct schema *ld, const struct doc_node *map, const char *where,
                const char *const *known);

/* n must be a mapping. */
int schema_map(struct schema *ld, const struct doc_node *n, const char *what);

/* n must be a non-empty string (a quoted or plain scalar that is not a number or boolean). */
int schema_str(struct schema *ld, const struct doc_node *n, const char *what);

/* n must be an integer in [min, max] (a quoted number gets "remove the quotes"). */
int schema_int(struct schema *ld, const struct doc_node *n, const char *what, long long min,
               long long max, int *out);

/* 1 if s is a DNS-1123 label starting with a letter, at most max characters. */
int schema_is_label(const char *s, size_t max);

/* n must be such a label. */
int schema_label(struct schema *ld, const struct doc_node *n, const char *what, size_t max);

#endif
