/*
 * ignore: .dockerignore patterns, with the semantics of moby's
 * patternmatcher (github.com/moby/patternmatcher), which the docker CLI
 * and the engine use:
 *
 * - one pattern a line; blank lines and lines starting with '#' are
 *   skipped; surrounding blanks are trimmed;
 * - '!' starts an exception (re-includes what an earlier pattern
 *   excluded); the last pattern that matches a path decides;
 * - a pattern is cleaned as Go's filepath.Clean does ("./a//b/" is
 *   "a/b"), and a leading '/' is dropped: patterns are relative to the
 *   context's root;
 * - '*' matches any run of characters but '/', '?' one character but
 *   '/', "[...]" a class ("[^...]" negated, ranges; as in Go, "[!...]"
 *   is not a negation but a class holding '!'), '\' escapes the next
 *   character; "**" matches any number of directories, none included;
 * - the file is read as buildkit's reader reads it: a UTF-8 BOM at the
 *   start is skipped, "\r\n" ends a line as '\n' does, '#' starts a
 *   comment only as a line's first byte;
 * - a pattern matches a path when it matches the path or one of its
 *   parent directories ("a" excludes "a/b/c").
 */
#ifndef FTBOOT_IGNORE_H
#define FTBOOT_IGNORE_H

#include <stddef.h>

#include "err.h"

struct ignore; /* the compiled patterns */

/*
 * Compile the text of a .dockerignore (name names it in messages). A
 * pattern Go's filepath.Match would reject (an unclosed '[', a '\' at
 * the end) is an error "NAME:LINE:COLUMN: bad pattern '...': why".
 * Never fails for empty text. Caller owns *out (ignore_free).
 */
int ignore_parse(const char *name, const char *text, size_t len, struct ignore **out,
                 struct err *err);

/*
 * 1 if path (relative to the context's root, '/'-separated, cleaned, no
 * leading '/') is excluded, else 0.
 */
int ignore_match(const struct ignore *ig, const char *path);

/*
 * 1 if walking into the excluded directory dir could still find paths
 * that an exception re-includes (moby's walk descends only then).
 */
int ignore_may_include_below(const struct ignore *ig, const char *dir);

void ignore_free(struct ignore *ig);

#endif
