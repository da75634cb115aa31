/*
 * Unit tests: the ignore module (.dockerignore).
 *
 * The match table is ported from moby's own tests, with each case's
 * expected result as moby states it: github.com/moby/patternmatcher,
 * patternmatcher_test.go (TestMatches' tests and multiPatternTests, run
 * there through MatchesOrParentMatches: "exact" and "inexact" are both a
 * match; TestMatch's matchTests, taken from Go's filepath.Match tests;
 * TestPatternMatches*, TestExclusion*, TestSingleExclamationError,
 * TestMatchesWithMalformedPatterns). The reader's cases follow buildkit's
 * frontend/dockerfile/dockerignore/dockerignore.go (ReadAll: BOM on the
 * first line stripped, '#' only at a line's start, TrimSpace, Clean,
 * leading '/' dropped, bufio.Scanner lines: "\r\n" ends a line, a lone
 * '\r' does not).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ignore.h"
#include "tap.h"
#include "xmem.h"

struct mcase {
	const char *text; /* the .dockerignore */
	const char *path;
	int want;
};

static const struct mcase cases[] = {
    /* patternmatcher_test.go TestMatches: tests */
    {"**", "file", 1},
    {"**", "file/", 1},
    {"**/", "file", 1},
    {"**/", "file/", 1},
    {"**", "/", 1},
    {"**/", "/", 1},
    {"**", "dir/file", 1},
    {"**/", "dir/file", 1},
    {"**", "dir/file/", 1},
    {"**/", "dir/file/", 1},
    {"**/**", "dir/file", 1},
    {"**/**", "dir/file/", 1},
    {"dir/**", "dir/file", 1},
    {"dir/**", "dir/file/", 1},
    {"dir/**", "dir/dir2/file", 1},
    {"dir/**", "dir/dir2/file/", 1},
    {"**/dir", "dir", 1},
    {"**/dir", "dir/file", 1},
    {"**/dir2/*", "dir/dir2/file", 1},
    {"**/dir2/*", "dir/dir2/file/", 1},
    {"**/dir2/**", "dir/dir2/dir3/file", 1},
    {"**/dir2/**", "dir/dir2/dir3/file/", 1},
    {"**file", "file", 1},
    {"**file", "dir/file", 1},
    {"**/file", "dir/file", 1},
    {"**file", "dir/dir/file", 1},
    {"**/file", "dir/dir/file", 1},
    {"**/file*", "dir/dir/file", 1},
    {"**/file*", "dir/dir/file.txt", 1},
    {"**/file*txt", "dir/dir/file.txt", 1},
    {"**/file*.txt", "dir/dir/file.txt", 1},
    {"**/file*.txt*", "dir/dir/file.txt", 1},
    {"**/**/*.txt", "dir/dir/file.txt", 1},
    {"**/**/*.txt2", "dir/dir/file.txt", 0},
    {"**/*.txt", "file.txt", 1},
    {"**/**/*.txt", "file.txt", 1},
    {"a**/*.txt", "a/file.txt", 1},
    {"a**/*.txt", "a/dir/file.txt", 1},
    {"a**/*.txt", "a/dir/dir/file.txt", 1},
    {"a/*.txt", "a/dir/file.txt", 0},
    {"a/*.txt", "a/file.txt", 1},
    {"a/*.txt**", "a/file.txt", 1},
    {"a[b-d]e", "ae", 0},
    {"a[b-d]e", "ace", 1},
    {"a[b-d]e", "aae", 0},
    {"a[^b-d]e", "aze", 1},
    {".*", ".foo", 1},
    {".*", "foo", 0},
    {"abc.def", "abcdef", 0},
    {"abc.def", "abc.def", 1},
    {"abc.def", "abcZdef", 0},
    {"abc?def", "abcZdef", 1},
    {"abc?def", "abcdef", 0},
    {"**/foo/bar", "foo/bar", 1},
    {"**/foo/bar", "dir/foo/bar", 1},
    {"**/foo/bar", "dir/dir2/foo/bar", 1},
    {"abc/**", "abc", 0},
    {"abc/**", "abc/def", 1},
    {"abc/**", "abc/def/ghi", 1},
    {"**/.foo", ".foo", 1},
    {"**/.foo", "bar.foo", 0},
    {"a(b)c/def", "a(b)c/def", 1},
    {"a(b)c/def", "a(b)c/xyz", 0},
    {"a.|)$(}+{bc", "a.|)$(}+{bc", 1},
    {"dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", 1},
    {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", 1},
    {"a\\\\", "a\\", 1},
    {"a\\*b", "a*b", 1},
    /* TestMatches: multiPatternTests */
    {"**\n!util/docker/web", "util/docker/web/foo", 0},
    {"**\n!util/docker/web\nutil/docker/web/foo", "util/docker/web/foo", 1},
    {"**\n!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", 0},
    {"**\n!dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", 0},
    /* TestMatch: matchTests (Go's filepath.Match cases) */
    {"abc", "abc", 1},
    {"*", "abc", 1},
    {"*c", "abc", 1},
    {"a*", "a", 1},
    {"a*", "abc", 1},
    {"a*", "ab/c", 1},
    {"a*/b", "abc/b", 1},
    {"a*/b", "a/c/b", 0},
    {"a*b*c*d*e*/f", "axbxcxdxe/f", 1},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/f", 1},
    {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", 0},
    {"a*b?c*x", "abxbbxdbxebxczzx", 1},
    {"a*b?c*x", "abxbbxdbxebxczzy", 0},
    {"ab[c]", "abc", 1},
    {"ab[b-d]", "abc", 1},
    {"ab[e-g]", "abc", 0},
    {"ab[^c]", "abc", 0},
    {"ab[^b-d]", "abc", 0},
    {"ab[^e-g]", "abc", 1},
    {"a\\*b", "ab", 0},
    {"a?b",
     "a\xe2\x98\xba"
     "b",
     1},
    {"a[^a]b",
     "a\xe2\x98\xba"
     "b",
     1},
    {"a???b",
     "a\xe2\x98\xba"
     "b",
     0},
    {"a[^a][^a][^a]b",
     "a\xe2\x98\xba"
     "b",
     0},
    {"[a-\xce\xb6]*", "\xce\xb1", 1},
    {"*[a-\xce\xb6]", "A", 0},
    {"a?b", "a/b", 0},
    {"a*b", "a/b", 0},
    {"[\\]a]", "]", 1},
    {"[\\-]", "-", 1},
    {"[x\\-]", "x", 1},
    {"[x\\-]", "-", 1},
    {"[x\\-]", "z", 0},
    {"[\\-x]", "x", 1},
    {"[\\-x]", "-", 1},
    {"[\\-x]", "a", 0},
    {"*x", "xxx", 1},
    /* TestPatternMatches, TestExclusion*, TestPatternMatchesFolder* */
    {"*", "fileutils.go", 1},
    {"*.go", "fileutils.go", 1},
    {"!fileutils.go\n*.go", "fileutils.go", 1},
    {"docs\n!docs/README.md", "docs/README.md", 0},
    {"docs/\n!docs/README.md", "docs/README.md", 0},
    {"docs/*\n!docs/README.md", "docs/README.md", 0},
    {"*.go\n!fileutils.go", "fileutils.go", 0},
    {"", "/any/path/there", 0},
    /* TestCleanPatternsLeadingSpaceTrimmed / TrailingSpaceTrimmed */
    {"docs\n  !docs/README.md", "docs/README.md", 0},
    {"docs\n!docs/README.md  ", "docs/README.md", 0},
    /* ReadAll (buildkit dockerignore.go): the reader's rules */
    {"# a comment\nb", "# a comment", 0},
    {"# a comment\nb", "b", 1},
    {" #notcomment", "#notcomment", 1},
    {"\xef\xbb\xbf"
     "bom",
     "bom", 1},
    {"x\n\xef\xbb\xbf"
     "bom",
     "bom", 0},
    {"\xef\xbb\xbf#c\nd", "#c", 0},
    {"crlf\r\nnext\r\n", "crlf", 1},
    {"crlf\r\nnext\r\n", "next", 1},
    {"lone\rcr", "lone", 0},
    {"\t spaced \t\n", "spaced", 1},
    {"\xc2\xa0nbsp\xc2\xa0", "nbsp", 1},
    {"/rooted", "rooted", 1},
    {"./dot/./x//y/", "dot/x/y", 1},
    {"a/../b", "b", 1},
    {"a/../b", "a", 0},
    {"! /lead", "lead", 0},
    {"*\n! /lead", "lead", 0},
    {"*\n!/lead\n", "lead/x", 0},
    /* parents: a pattern matching a parent directory excludes below it */
    {"a", "a/b/c", 1},
    {"a/b", "a/b/c/d", 1},
    {"b", "a/b/c", 0},
    {"*/b", "a/b/c", 1},
    {"**/b", "x/y/b/c", 1},
    /* last match wins, exceptions of exceptions */
    {"*.md\n!README.md\nREADME.md", "README.md", 1},
    {"*.md\n!*.md\n", "x.md", 0},
    /* '?' is one character (a rune), not one byte */
    {"caf?", "caf\xc3\xa9", 1},
    {"caf??", "caf\xc3\xa9", 0},
    {"\xe2\x98\xba?", "\xe2\x98\xba\xe2\x98\xba", 1},
    {"[\xe2\x98\xba]x",
     "\xe2\x98\xba"
     "x",
     1},
    {"\xe2\x98\xba", "\xe2\x98\xba", 1},
    /* shortcuts that differ from the expression, as moby has them */
    {"**foo", "barfoo", 1},
    {"**foo", "a/barfoo", 1},
    {"**/foo", "barfoo", 0},
    {"a**", "abc/d", 1},
    {"?**", "abc/d", 1},
    /* "**" in the middle: any number of directories, none included */
    {"a/**/b", "a/b", 1},
    {"a/**/b", "a/x/y/b", 1},
    {"a/**/b", "a/xb", 0},
    {"a/**/b", "ab", 0},
    {"x/**/*.c", "x/y/z.c", 1},
    /* escapes of punctuation are literal */
    {"\\[x\\]", "[x]", 1},
    {"\\?", "a", 0},
    {"\\?", "?", 1},
    {"a]", "a]", 1},
    {"[!a]", "!", 1}, /* Go has no '!' negation: a class of '!' and 'a' */
    {"[!a]", "b", 0},
    {"^a", "^a", 1}, /* no wildcard: compared as a string */
};

struct bcase {
	const char *text;
	const char *want; /* the start of the message */
};

static const struct bcase bads[] = {
    /* TestMatch's ErrBadPattern cases and TestMatchesWithMalformedPatterns */
    {"[]a]", ".dockerignore:1:2: bad pattern '[]a]': a class needs a character here"},
    {"[-]", ".dockerignore:1:2: bad pattern '[-]'"},
    {"[x-]", ".dockerignore:1:4: bad pattern '[x-]'"},
    {"[-x]", ".dockerignore:1:2: bad pattern '[-x]'"},
    {"\\", ".dockerignore:1:1: bad pattern '\\': '\\' at the end escapes nothing"},
    {"[a-b-c]", ".dockerignore:1:5: bad pattern '[a-b-c]'"},
    {"[", ".dockerignore:1:2: bad pattern '[': '[' is never closed"},
    {"[^", ".dockerignore:1:3: bad pattern '[^'"},
    {"[^bc", ".dockerignore:1:5: bad pattern '[^bc'"},
    {"a[", ".dockerignore:1:3: bad pattern 'a['"},
    /* TestSingleExclamationError */
    {"!", ".dockerignore:1:2: bad pattern '!': '!' alone"},
    {"ok\n  ! ", ".dockerignore:2:"},
    /* columns count characters, the line is the file's */
    {"a\n\xc3\xa9\xc3\xa9[", ".dockerignore:2:4: bad pattern '\xc3\xa9\xc3\xa9['"},
    {"x\n  !  ab[", ".dockerignore:2:9: bad pattern '!  ab[': '[' is never closed"},
    {"[z-a]", ".dockerignore:1:3: bad pattern '[z-a]': a range's end comes before its start"},
    /* what moby's regexp translation reads otherwise */
    {"a\\d", ".dockerignore:1:2: bad pattern 'a\\d': docker's matcher reads '\\'"},
    {"[*]", ".dockerignore:1:2: bad pattern '[*]'"},
    {"[[:alpha:]]", ".dockerignore:1:2:"},
    {"^a*", ".dockerignore:1:1: bad pattern '^a*': docker's matcher reads '^'"},
    /* user bytes are quoted */
    {"x\x01[", ".dockerignore:1:4: bad pattern 'x?['"},
    {"a\0b", ".dockerignore:1:1: bad pattern 'a?b': a pattern cannot hold a NUL byte"},
};

struct dcase {
	const char *text, *dir;
	int want;
};

static const struct dcase below[] = {
    {"docs\n!docs/README.md", "docs", 1},
    {"*\n!a/b/c", "a", 1},
    {"*\n!a/b/c", "a/b", 1},
    {"*\n!a/b/c", "a/b/c", 1},
    {"*\n!a/b/c", "ab", 0},
    {"*\n!a/*/c", "a/b", 0}, /* a string prefix test, as moby's walk has it */
    {"*", "a", 0},
    {"*\n!a", "a", 1},
};

/* text on one line for a test's name: '\n' as '|', '\r' as '~'. */
static char *one_line(const char *s)
{
	char *o = xstrdup(s), *p;

	for (p = o; *p; p++)
		if (*p == '\n')
			*p = '|';
		else if (*p == '\r')
			*p = '~';
	return o;
}

int main(void)
{
	struct ignore *ig;
	struct err err;
	size_t i;
	char *big, *name;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mcase *c = &cases[i];

		ig = NULL;
		if (!ok(ignore_parse(".dockerignore", c->text, strlen(c->text), &ig, &err) == 0,
		        "parse %zu", i)) {
			diag("%s", err.msg);
			continue;
		}
		name = one_line(c->text);
		is_int(ignore_match(ig, c->path), c->want, "case %zu: '%s' on '%s'", i, name,
		       c->path);
		free(name);
		ignore_free(ig);
	}
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const char *t = bads[i].text;
		size_t len = strlen(t);

		if (strcmp(t, "a") == 0)
			len = 3; /* "a\0b": the NUL is part of the text */
		ig = NULL;
		err_clear(&err);
		ok(ignore_parse(".dockerignore", t, len, &ig, &err) < 0 &&
		       strncmp(err.msg, bads[i].want, strlen(bads[i].want)) == 0 &&
		       err.kind == ERRK_INVALID,
		   "bad %zu refused: %s", i, err.msg);
		ok(ig == NULL, "and nothing returned");
	}
	for (i = 0; i < sizeof(below) / sizeof(below[0]); i++) {
		ig = NULL;
		ignore_parse("t", below[i].text, strlen(below[i].text), &ig, &err);
		name = one_line(below[i].text);
		is_int(ignore_may_include_below(ig, below[i].dir), below[i].want,
		       "may include below '%s' with '%s'", below[i].dir, name);
		free(name);
		ignore_free(ig);
	}

	/* bufio.Scanner's limit */
	big = xmalloc(70000);
	memset(big, 'x', 70000);
	ok(ignore_parse(".dockerignore", big, 70000, &ig, &err) < 0 &&
	       strstr(err.msg, ".dockerignore:1: line longer than 65535 bytes"),
	   "a 70000-byte line is refused: %.60s", err.msg);
	ok(ignore_parse(".dockerignore", big, 65535, &ig, &err) == 0, "65535 bytes are read");
	ignore_free(ig);
	free(big);

	/* empty text, NULL matcher */
	ok(ignore_parse("e", "", 0, &ig, &err) == 0 && ignore_match(ig, "x") == 0, "empty text");
	ignore_free(ig);
	ok(ignore_match(NULL, "x") == 0 && ignore_may_include_below(NULL, "x") == 0, "NULL");

	/* many stars do not blow up (an NFA, not backtracking) */
	{
		const char *p = "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
		char path[4100];

		memset(path, 'a', 4096);
		path[4096] = '\0';
		ignore_parse("t", p, strlen(p), &ig, &err);
		is_int(ignore_match(ig, path), 0, "22 stars on 4096 bytes, no match, quickly");
		ignore_free(ig);
	}
	/* 20000 "**" in a row: the closure has its own stack, no deep recursion */
	{
		struct buf p = BUF_INIT(1 << 20);

		for (i = 0; i < 20000; i++)
			buf_addstr(&p, "**/");
		buf_addstr(&p, "x*");
		ok(ignore_parse("t", p.data, p.len, &ig, &err) == 0, "parse 20000 double stars");
		is_int(ignore_match(ig, "a/b/c/xyz"), 1, "and match through them");
		is_int(ignore_match(ig, "a/b/c/yz"), 0, "or not");
		ignore_free(ig);
		buf_release(&p);
	}
	return tap_done();
}
