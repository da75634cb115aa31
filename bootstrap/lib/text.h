/*
 * text: small string helpers shared by the validators: edit distance for
 * "did you mean" suggestions, a line:column for a byte offset, and the
 * sanitiser that makes user bytes safe to show in a message.
 */
#ifndef FTBOOT_TEXT_H
#define FTBOOT_TEXT_H

#include <stddef.h>

/* Levenshtein distance of a and b; 64 or more means "far" (long words). */
size_t text_distance(const char *a, const char *b);

/*
 * The candidate nearest to word, if it is close enough to suggest
 * (at most 2 edits, and fewer than word's length); else NULL. Borrowed.
 */
const char *text_nearest(const char *word, const char *const *cands, size_t n);

/*
 * Advance a 1-based line/column from offset from to offset to in text,
 * counting UTF-8 characters and line breaks as libyaml's marks do: CR LF,
 * CR, LF, NEL, LS and PS each end a line, and a byte-order mark at
 * offset 0 is not a character.
 */
void text_advance(const char *text, size_t from, size_t to, unsigned *line, unsigned *col);

/*
 * The length in bytes of the UTF-8 character at s[0..len) by RFC 3629
 * (no overlong form, surrogate or code point past U+10FFFF), 1 for any
 * ASCII byte, 0 if s does not start with one. len must be at least 1.
 */
size_t text_utf8_len(const char *s, size_t len);

/* The value of the hex digit c (either case), or -1. */
int text_hex_digit(char c);

/*
 * The one sanitiser for user bytes in messages: s[0..len) (it may hold
 * NUL bytes) as printable text in out (NUL-terminated, at most size
 * bytes). Control characters (C0, DEL, C1), NUL and bytes that are not
 * UTF-8 become '?'; text longer than 60 bytes or than out holds is cut
 * at a character boundary and ends in "...". Returns out.
 */
char *text_quote(const char *s, size_t len, char *out, size_t size);

/* Longest text text_url_host writes, NUL included (a DNS name, brackets). */
#define TEXT_URL_HOST_MAX 260

/*
 * An address a peer gave (an API's LoadBalancer ingress) as the host part
 * of a URL, into out (TEXT_URL_HOST_MAX bytes): a DNS name or IPv4 address
 * (letters, digits, '.', '-'; at most 253) as it is, never cut; an IPv6
 * address (hex digits, ':' and '.') in brackets; anything else through
 * text_quote (it is no host: the URL is only shown). Returns out.
 */
char *text_url_host(const char *addr, char out[TEXT_URL_HOST_MAX]);

/*
 * Standard base64 (RFC 4648) of data[0..len), with "=" padding unless
 * nopad (as OpenSSH writes SHA256 fingerprints). Caller owns the result.
 */
char *text_base64(const void *data, size_t len, int nopad);

/*
 * s percent-encoded for a URL (RFC 3986): every byte but the unreserved
 * ones (A-Z a-z 0-9 - . _ ~) and those in keep (NULL: none) as %XX, so a
 * query value or a path segment cannot end early. Caller owns the result.
 */
char *text_url_encode(const char *s, const char *keep);

#endif
