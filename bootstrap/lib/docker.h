/*
 * docker: a client of the Docker Engine API, over the HTTP transport
 * (http.h). Every error carries the engine's own message ({"message":
 * ...}) and names what was asked ("build 'ftboot/web:0123456789ab': ...",
 * "inspect image 'x': no such image: x").
 *
 * Version negotiation as the docker CLI does it: GET /_ping, then every
 * path is prefixed with the lower of the engine's Api-Version and
 * DOCKER_API_MAX; an engine below DOCKER_API_MIN is refused with both
 * versions named.
 *
 * An engine is reached over a unix socket, or over TCP with mutual TLS
 * only: a tcp:// host without CA, certificate and key is refused, and
 * the engine's certificate is always verified against that CA (never
 * "insecure").
 */
#ifndef FTBOOT_DOCKER_H
#define FTBOOT_DOCKER_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "http.h"

/*
 * 1.51 (Docker 28.x) at most: Docker 29 (Alpine 3.23 and later) refuses
 * anything below 1.44. An engine whose own minimum is above the version
 * chosen is refused with both named.
 */
#define DOCKER_API_MIN "1.24"
#define DOCKER_API_MAX "1.51"

struct docker_engine {
	const char *host; /* "tcp://HOST:PORT" or "unix:///path/docker.sock" */
	const char *ca;   /* files, required for tcp:// */
	const char *cert;
	const char *key;
};

struct docker; /* a connection to one engine: one thread at a time */

/*
 * Reach the engine and negotiate the API version (a ping bounded by
 * ping_ms, 0: 10 s). Kinds: ERRK_TRANSIENT (refused, not up yet),
 * ERRK_TIMEOUT, ERRK_DENIED (its certificate is not from the CA, or it
 * refused ours), ERRK_INVALID (a bad host, missing TLS files),
 * ERRK_UNSUPPORTED (too old). Caller owns *out (docker_close).
 */
int docker_open(const struct docker_engine *e, unsigned long ping_ms, struct docker **out,
                struct err *err);

void docker_close(struct docker *d);

/* The API version in use ("1.41") and the engine's version ("20.10.24"). */
const char *docker_api_version(const struct docker *d);
const char *docker_server_version(const struct docker *d);

/* The engine's CPU count (GET /info: NCPU). */
int docker_ncpu(struct docker *d, int *ncpu, struct err *err);

/* ---- build ------------------------------------------------------------- */

enum docker_build_ev {
	DOCKER_EV_STEP,   /* "Step 2/5 : RUN make": a step starts (text: the line) */
	DOCKER_EV_OUTPUT, /* a line the build printed (text, no newline) */
	DOCKER_EV_STATUS, /* {"status": ...} (pulls), text the status */
	DOCKER_EV_ID      /* {"aux":{"ID":...}}: text the image id */
};

/*
 * A build stream event; return 0 to go on, 1 to cancel the build (the
 * connection is closed, which makes the engine stop it; with forcerm it
 * leaves no container).
 */
typedef int (*docker_build_fn)(void *ctx, enum docker_build_ev ev, const char *text);

struct docker_build_opts {
	const char *const *tags;      /* "repo:tag", NULL-terminated */
	const char *dockerfile;       /* in the context; NULL: "Dockerfile" */
	const char *const *labels;    /* "key", "value", ..., NULL */
	const char *const *buildargs; /* "NAME", "value", ..., NULL */
	int nocache;
	/* The context, a gzip tar, from a reader (tgz_read), sent chunked. */
	http_read_fn read;
	void *read_ctx;
	docker_build_fn event;
	void *event_ctx;
	/*
	 * Polled with event_ctx about once a second, also while the engine
	 * sends nothing (a RUN that prints nothing): 1 cancels as event's 1
	 * does. NULL: only event can cancel.
	 */
	int (*cancel)(void *ctx);
	/* Bounds: idle_ms without a byte (0: 10 min), total_ms (0: 2 h). */
	unsigned long idle_ms, total_ms;
};

/*
 * POST /build (the classic builder: JSON lines) with rm and forcerm,
 * the stream parsed as it arrives. The image's id into *id (caller
 * frees). A failure inside the 200 stream is an error naming the step
 * that failed and the engine's message ("Step 3/4 : RUN false: The
 * command '/bin/sh -c false' returned a non-zero code: 1"); a cancel
 * is an error "cancelled".
 */
int docker_build(struct docker *d, const struct docker_build_opts *o, char **id, struct err *err);

/*
 * The build stream's parser, apart for the fuzz target: feed it bytes as
 * they come; each complete line is one JSON object, reported through
 * event. -1 with err set for a line that is not JSON or carries an error
 * ({"error": ..., "errorDetail": {...}}), or for a line over 1 MiB.
 */
struct docker_stream;
struct docker_stream *docker_stream_new(docker_build_fn event, void *ctx);
/* 0 go on, 1 the callback cancelled, -1 error. */
int docker_stream_feed(struct docker_stream *s, const char *data, size_t len, struct err *err);
/* The end of the stream: a last line without newline is parsed. Same returns. */
int docker_stream_end(struct docker_stream *s, struct err *err);
/* The image id seen ({"aux":{"ID":...}} or "Successfully built X"), or NULL. Borrowed. */
const char *docker_stream_id(const struct docker_stream *s);
void docker_stream_free(struct docker_stream *s);

/* ---- images ------------------------------------------------------------ */

struct docker_image {
	char *id;          /* "sha256:..." */
	char **tags;       /* RepoTags, NULL-terminated */
	char **labels;     /* Config.Labels as "key", "value", ..., NULL */
	long long size;    /* bytes */
	long long created; /* Unix time */
};

/* GET /images/REF/json. ERRK_NOTFOUND when there is no such image. */
int docker_image_inspect(struct docker *d, const char *ref, struct docker_image *out,
                         struct err *err);

/* The value of label key of img, or NULL. Borrowed. */
const char *docker_image_label(const struct docker_image *img, const char *key);

/* GET /images/json with filters={"label":[label]} ("key" or "key=value"). */
int docker_image_list(struct docker *d, const char *label, struct docker_image **out, size_t *n,
                      struct err *err);

/* DELETE /images/REF (untags; removes the image with its last tag). Absent is 0. */
int docker_image_remove(struct docker *d, const char *ref, int force, struct err *err);

void docker_image_release(struct docker_image *img);
void docker_images_free(struct docker_image *v, size_t n);

/* ---- exec -------------------------------------------------------------- */

/*
 * Run argv (NULL-terminated) in the running container (name or id):
 * POST /containers/C/exec, POST /exec/ID/start (the stream demultiplexed
 * from its 8-byte frame headers into out and errout, each bounded by its
 * buffer's limit; either may be NULL), GET /exec/ID/json for the exit
 * code. timeout_ms bounds the whole (0: 60 s). ERRK_NOTFOUND for no such
 * container; ERRK_INVALID when it is not running.
 */
int docker_exec(struct docker *d, const char *container, const char *const *argv, struct buf *out,
                struct buf *errout, int *exit_code, unsigned long timeout_ms, struct err *err);

/*
 * The demultiplexer of an attached stream, apart for tests and fuzzing:
 * frames "type(1) 0 0 0 size(4, big-endian) payload", type 1 stdout, 2
 * stderr (0 stdin is taken as stdout). Feed bytes as they come.
 */
struct docker_demux {
	struct buf *out, *err;
	unsigned char head[8];
	size_t have;             /* bytes of head read */
	unsigned long long left; /* payload bytes left in the current frame */
	int type;
};
void docker_demux_init(struct docker_demux *m, struct buf *out, struct buf *errout);
/* -1 with err set when a buffer's limit is passed or a frame type is unknown. */
int docker_demux_feed(struct docker_demux *m, const char *data, size_t len, struct err *err);

/* ---- containers -------------------------------------------------------- */

struct docker_container {
	char *id;          /* 64 hex digits */
	char **names;      /* Names without their leading '/', NULL-terminated */
	char *state;       /* "running", "exited", "restarting", ... */
	char **labels;     /* "key", "value", ..., NULL */
	long long created; /* Unix time */
};

/*
 * GET /containers/json?all=1 with filters={"label":[labels...]}: the
 * containers, running or not, that carry every one of labels ("key" or
 * "key=value", NULL-terminated; NULL or empty: every container).
 */
int docker_container_list(struct docker *d, const char *const *labels,
                          struct docker_container **out, size_t *n, struct err *err);

/* The value of label key of c, or NULL. Borrowed. */
const char *docker_container_label(const struct docker_container *c, const char *key);

void docker_containers_free(struct docker_container *v, size_t n);

/* What GET /containers/C/json says of a container's run. */
struct docker_container_run {
	char *id;
	int running;         /* State.Running */
	long long restarts;  /* RestartCount: restarts by the engine's restart policy */
	char *started_at;    /* State.StartedAt, as given ("2026-12-02T02:50:00.1Z") */
	long long pid;       /* State.Pid (0 when not running) */
	long long exit_code; /* State.ExitCode */
};

/* GET /containers/C/json. ERRK_NOTFOUND when there is no such container. */
int docker_container_inspect(struct docker *d, const char *container,
                             struct docker_container_run *out, struct err *err);

void docker_container_run_release(struct docker_container_run *r);

#endif
