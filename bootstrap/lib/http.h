/*
 * http: everything ftboot sends over HTTP (downloads, the Docker Engine
 * and Kubernetes APIs). The only file that includes curl's headers is
 * http.c; curl's error codes are translated there into messages that name
 * the URL and say what happened.
 */
#ifndef FTBOOT_HTTP_H
#define FTBOOT_HTTP_H

#include "buf.h"
#include "err.h"

/* libcurl's version and its TLS library ("7.88.1 (OpenSSL/3.0.15)"). Static. */
const char *http_version(void);

/*
 * Download progress: done bytes of total (0 when the server did not say).
 * Counts include what an earlier, interrupted attempt already fetched.
 * Called once when the file's bytes start to arrive (done = what the
 * .part already held), at most every 100 ms while they arrive, and once
 * at the end of a successful download with done == total. Never called
 * when the file was already in the cache.
 */
typedef void (*http_progress_fn)(void *ctx, unsigned long long done, unsigned long long total);

/*
 * Make dest hold the file at url whose SHA-512 is sha512_hex (128 hex
 * digits, either case), downloading it only if needed:
 *
 * - If dest exists and matches, return 0 without touching the network (so
 *   a cached image works offline). Hashing gigabytes on every run is slow:
 *   after a verification, "DEST.sha512" records the digest with dest's
 *   size, modification time (ns) and inode, and while those still match
 *   dest is trusted without rehashing. The stamp is a cache, never the
 *   proof: any change to them (touch, replacement) makes it rehash.
 * - Otherwise fetch into "DEST.part" (mode 0644, parent directories
 *   created). An existing .part (an interrupted run) is resumed with a
 *   Range request; if the server answers 200 instead of 206 the download
 *   restarts from zero; a 416 (nothing left to send) means the .part is
 *   complete and is verified as it is.
 * - The bytes are hashed as they are written (a resumed .part is hashed
 *   first). A digest other than the pin deletes the .part and fails: a
 *   corrupt or substituted file is never kept. On success the .part is
 *   fsynced and renamed to dest atomically, and the stamp written.
 *
 * Redirects are followed (at most 10), https certificates are verified
 * against the system CAs, only http and https URLs are accepted. A
 * transfer that stalls (see http_set_stall_timeout) or cannot connect
 * fails rather than hangs; an interrupted or failed transfer keeps its
 * .part, so running again resumes it.
 *
 * progress may be NULL. A second process downloading the same dest at the
 * same time is refused with ERR_BUSY (the .part is locked).
 * Every error starts "cannot download 'URL': " and says what happened:
 * "HTTP 404 Not Found; is the URL right?", "cannot resolve host 'x'; ...",
 * "cannot connect to HOST port N: Connection refused; ...", "transfer
 * from HOST stalled ...", "cannot write 'DEST.part': No space left on
 * device (disk full: ...)", "sha512 mismatch: expected X, got Y; the
 * download was deleted (is the pinned sha512 right?)". The caller wraps
 * it with where the pin comes from (images/PROFILE/image.yaml).
 */
int http_download(const char *url, const char *dest, const char *sha512_hex,
                  http_progress_fn progress, void *ctx, struct err *err);

/*
 * A transfer slower than 1 KiB/s for this many seconds is abandoned as
 * stalled (default 30; connecting also gives up after 30 s). For tests
 * and a future command-line option. Process-wide; set it before starting
 * transfers.
 */
void http_set_stall_timeout(unsigned seconds);

/*
 * GET url and append the body to out (bounded by out's limit: a larger
 * answer fails). For small documents such as a published digest. Same
 * rules as http_download: http and https only, TLS verified, redirects
 * followed; a status of 300 or more is an error. On failure out is as it
 * was and err names the URL.
 */
int http_get(const char *url, struct buf *out, struct err *err);

#endif
