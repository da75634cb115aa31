/*
 * teardown: the kinds registry and the walk of the journal for `down`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "teardown.h"
#include "xmem.h"

#define TEARDOWN_KINDS_MAX    32
#define TEARDOWN_BACKENDS_MAX 8

static const struct teardown_kind *kinds[TEARDOWN_KINDS_MAX];
static size_t nkinds;

static int file_remove(struct run *run, void *handle, const struct journal_entry *e,
                       struct err *err)
{
	(void)run;
	(void)handle;
	if (unlink(e->name) < 0 && errno != ENOENT)
		return err_sys(err, errno, "cannot remove '%s'", e->name);
	return 0;
}

const struct teardown_kind teardown_file = {"file", NULL, file_remove};

int teardown_register(const struct teardown_kind *k, struct err *err)
{
	const struct teardown_kind *have = teardown_find(k->kind);

	if (have == k)
		return 0;
	if (have)
		return err_set(err, ERR_FAIL, "resource kind '%s' is registered twice", k->kind);
	if (nkinds == TEARDOWN_KINDS_MAX)
		return err_set(err, ERR_FAIL, "more than %d resource kinds", TEARDOWN_KINDS_MAX);
	kinds[nkinds++] = k;
	return 0;
}

const struct teardown_kind *teardown_find(const char *kind)
{
	size_t i;

	for (i = 0; i < nkinds; i++)
		if (strcmp(kinds[i]->kind, kind) == 0)
			return kinds[i];
	return NULL;
}

void teardown_reset(void)
{
	nkinds = 0;
}

/* The backends opened (or tried) during one teardown_run. */
struct backends {
	struct {
		const struct teardown_backend *b;
		void *handle;
		int failed;
	} v[TEARDOWN_BACKENDS_MAX];
	size_t n;
};

/* b's handle, opening it on first need; -1 (once with the reason) if it cannot be. */
static int backend_get(struct backends *bs, const struct teardown_backend *b, struct run *run,
                       void **handle, struct err *err)
{
	size_t i;

	for (i = 0; i < bs->n && bs->v[i].b != b; i++)
		;
	if (i < bs->n) {
		*handle = bs->v[i].handle;
		if (bs->v[i].failed)
			return err_set(err, ERR_FAIL, "not tried: %s could not be opened (above)",
			               b->name);
		return 0;
	}
	if (bs->n == TEARDOWN_BACKENDS_MAX)
		return err_set(err, ERR_FAIL, "more than %d backends", TEARDOWN_BACKENDS_MAX);
	bs->v[bs->n].b = b;
	bs->v[bs->n].handle = NULL;
	bs->v[bs->n].failed = b->open(run, &bs->v[bs->n].handle, err) < 0;
	*handle = bs->v[bs->n].handle;
	bs->n++;
	if (bs->v[bs->n - 1].failed)
		return err_wrap(err, "cannot open %s", b->name);
	return 0;
}

int teardown_run(struct run *run, struct err *err)
{
	struct journal *j = run->journal;
	struct backends bs = {0};
	struct buf failed = BUF_INIT(ERR_MSG_MAX - 256);
	size_t i, total = j->n, nfailed = 0;
	int cut = 0;
	struct err e1;

	for (i = j->n; i-- > 0;) {
		/* Copies: journal_remove moves the entries. */
		struct journal_entry e = j->v[i];
		char *kind = xstrdup(e.kind), *name = xstrdup(e.name);
		const struct teardown_kind *k = teardown_find(kind);
		void *handle = NULL;
		int rc = -1;

		err_clear(&e1);
		report_step(run->report, "removing %s '%s'", kind, name);
		if (k == NULL)
			err_set(
			    &e1, ERR_FAIL,
			    "unknown kind of resource (a journal from a newer ftboot?): remove it "
			    "with that ftboot, or by hand and then its lines from '%s'",
			    j->path);
		else if (k->backend == NULL || backend_get(&bs, k->backend, run, &handle, &e1) == 0)
			rc = k->remove(run, handle, &e, &e1);
		if (rc == 0)
			rc = journal_remove(j, kind, name, &e1);
		if (rc == 0) {
			report_done(run->report, "done");
		} else {
			report_done(run->report, "failed");
			/* Names are printable (journal.h); a list too long ends in "...". */
			if (buf_addf(&failed, "\n  %s '%s': %s", kind, name, e1.msg) < 0 && !cut) {
				buf_addstr(&failed, "\n  ...");
				cut = 1;
			}
			nfailed++;
		}
		free(kind);
		free(name);
	}
	for (i = 0; i < bs.n; i++)
		if (!bs.v[i].failed && bs.v[i].b->close)
			bs.v[i].b->close(bs.v[i].handle);
	if (nfailed)
		err_set(
		    err, ERR_FAIL,
		    "%zu of %zu resources were not removed; the journal keeps them and the state "
		    "stays, so 'ftboot down' can try again once this is fixed:%s",
		    nfailed, total, buf_cstr(&failed));
	buf_release(&failed);
	return nfailed ? -1 : 0;
}

int teardown_stack(struct run *run, struct err *err)
{
	if (teardown_run(run, err) < 0)
		return -1;
	return state_destroy(run->state, err);
}
