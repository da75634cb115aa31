/*
 * image: what each service's image is, before anything is built: its
 * build context (srcs/<service>, or the service's `build`), its
 * Dockerfile, the local base it is built FROM (another service's image),
 * its content hash and so its tag. Pure: reads files, talks to no
 * engine; `render` (${image.SVC}) and the build step both use it.
 *
 * The hash is SHA-256 over: "ftboot-image-1\n", the Dockerfile's path
 * in the context, the base's hash (a local base, else nothing), and the
 * deterministic tar of the context as .dockerignore filters it (tgz.h).
 * So the same files give the same tag on every machine, and a changed
 * base changes every image built on it. The tag is
 * "ftboot/<service>:<first 12 hex digits>"; each image is also tagged
 * "ftboot/<service>:latest", which is what another service's Dockerfile
 * names to build on it: "FROM ftboot/<service>" (or ":latest").
 *
 * Contexts are hashed with the Dockerfile and .dockerignore always kept
 * and symbolic links confined to the stack's directory (srcs/), or to
 * the context itself when its build: names a directory outside it.
 *
 * Errors name the file, line and column: a missing context or
 * Dockerfile, a Dockerfile without FROM, a FROM of ftboot/<x> where x is
 * not a service, a local base with another tag than latest, a cycle of
 * bases (listing it), a bad .dockerignore, a context refused by tgz.
 */
#ifndef FTBOOT_IMAGE_H
#define FTBOOT_IMAGE_H

#include <stddef.h>

#include "crypto.h"
#include "err.h"
#include "stack.h"
#include "tgz.h"

/* The repository of every image ftboot builds: "ftboot/<service>". */
#define IMAGE_REPO "ftboot"
/* The label that carries an image's content hash, and the one naming its stack. */
#define IMAGE_LABEL_HASH    "org.ftboot.hash"
#define IMAGE_LABEL_STACK   "org.ftboot.stack"
#define IMAGE_LABEL_SERVICE "org.ftboot.service"

struct image {
	const struct stack_service *svc; /* borrowed from the stack */
	char *context;                   /* the context directory */
	char *dockerfile;                /* its path in the context: "Dockerfile" */
	char *ignore_path;               /* context/.dockerignore, or NULL without one */
	size_t base;                     /* index in the plan of the local base, or (size_t)-1 */
	char hash[CRYPTO_HEX_MAX];       /* 64 hex digits */
	char *tag;                       /* "ftboot/<service>:<hash12>" */
	char *latest;                    /* "ftboot/<service>:latest" */
	unsigned long long tar_bytes;    /* the context's tar size */
};

struct image_plan {
	struct image *v; /* every service of the stack, bases before the images on them */
	size_t n;
};

/* Largest Dockerfile and .dockerignore read. */
#define IMAGE_FILE_MAX (1u << 20)

/* An image a Dockerfile builds FROM (not an earlier stage, not scratch). */
struct image_from {
	char *image;        /* as the engine reads it: ARGs substituted */
	unsigned line, col; /* where it is written (1-based, characters) */
};

/*
 * The parser of a Dockerfile's FROM instructions, as the engine's
 * (moby/buildkit's) parser reads them: a UTF-8 BOM, the escape parser
 * directive ("# escape=`"), comments, line continuations with the escape
 * character, CRLF line ends, case-insensitive instructions, "FROM
 * [--platform=P] IMAGE [AS NAME]", stages, and ARGs before the first
 * FROM substituted into IMAGE ($VAR, ${VAR}; other forms refused).
 * text[0..len) may hold any bytes; name names it in messages
 * ("NAME:LINE:COL: ..."). *out (image_froms_free) holds each FROM that
 * names an image rather than an earlier stage or scratch, in order.
 */
int image_dockerfile_bases(const char *name, const char *text, size_t len, struct image_from **out,
                           size_t *n, struct err *err);

void image_froms_free(struct image_from *v, size_t n);

/* Plan every service of stack. Release with image_plan_release. */
int image_plan(const struct stack *stack, struct image_plan *out, struct err *err);

/*
 * How img (planned from stack) is packed, by the same rules its hash
 * packs it with: its .dockerignore compiled, the Dockerfile and .dockerignore
 * kept, symbolic links confined as image_plan confines them, at
 * gzip_level (0: plain tar). The build step sends the context with it
 * (tgz_open(img->context, &out->opts, ...)). Release with
 * image_pack_release.
 */
struct image_pack {
	struct tgz_opts opts;  /* for tgz_open; borrows img's strings and the field below */
	struct ignore *ignore; /* NULL without a .dockerignore */
};
int image_pack(const struct stack *stack, const struct image *img, int gzip_level,
               struct image_pack *out, struct err *err);
void image_pack_release(struct image_pack *p);

/* The image of service name in p, or NULL. */
const struct image *image_find(const struct image_plan *p, const char *name);

void image_plan_release(struct image_plan *p);

#endif
