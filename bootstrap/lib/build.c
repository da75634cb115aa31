/*
 * build: the build step and `ftboot build`: the images image.c plans,
 * built in the stack's engine (engine.h) through the Engine API
 * (docker.h), only when the engine holds no image with that hash, in
 * parallel (one thread and one engine connection per job), a base before
 * the images built FROM it. Owns the "image" teardown kind, the build
 * logs in the state directory and the cancel of every build when one
 * fails or the user presses Ctrl-C.
 *
 * Threads: the workers share struct builds under its mutex (task states,
 * the journal, the report); each worker's docker connection, packer and
 * log are its own. The stop flag and build_signal are read without the
 * lock from the stream's callbacks, which is all a cancel needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "docker.h"
#include "engine.h"
#include "failpoint.h"
#include "fs.h"
#include "image.h"
#include "teardown.h"
#include "text.h"
#include "tgz.h"
#include "xmem.h"

#define BUILD_JOBS_MAX 64
#define BUILD_TAIL     10 /* log lines shown on a failure */
#define BUILD_GZIP     6

volatile sig_atomic_t build_signal;
static volatile sig_atomic_t build_running;

void build_on_signal(int sig)
{
	build_signal = sig;
	if (!build_running) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

enum task_state {
	T_SKIP,     /* not asked for */
	T_WAIT,     /* asked, not started */
	T_RUN,      /* a worker has it */
	T_BUILT,    /* built now */
	T_UPTODATE, /* the engine had it */
	T_FAILED,
	T_CANCELLED
};

struct builds;

struct task {
	struct builds *b;
	unsigned idx;
	const struct image *img;
	enum task_state state;
	struct err err;    /* T_FAILED: why */
	char *id;          /* the image's id, once known */
	atomic_int cancel; /* a callback of ours stopped it */
	/* The build's log and its last lines. */
	int log_fd;
	int log_errno; /* the first write error, 0 if none */
	char *log_path;
	char *tail[BUILD_TAIL];
	size_t ntail;  /* lines seen; the last BUILD_TAIL are in tail[] (ring) */
	char step[64]; /* "Step 2/3" of the step running */
	long stepno;   /* its 2; 0 before the first */
	struct tgz *tgz;
};

struct builds {
	struct run *run;
	struct image_plan plan;
	struct engine eng;
	int have_eng;
	struct task *tasks; /* plan.n of them, in plan order */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int stop;   /* a build failed or was cancelled: the others stop */
	long first_failed; /* index of the first failed task, -1 */
	char *log_dir;
};

struct worker {
	struct builds *b;
	struct docker *d;
	pthread_t thread;
	int started;
};

static int stopping(const struct builds *b)
{
	return atomic_load(&b->stop) || build_signal != 0;
}

static const char *svc_name(const struct task *t)
{
	return t->img->svc->name;
}

/* ---- the log ----------------------------------------------------------- */

/* Write all of data[0..len) to the log; the first failure is kept, the rest skipped. */
static void log_write(struct task *t, const char *data, size_t len)
{
	while (len > 0 && t->log_fd >= 0 && t->log_errno == 0) {
		ssize_t n = write(t->log_fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			t->log_errno = n < 0 ? errno : EIO;
			break;
		}
		data += n;
		len -= (size_t)n;
	}
}

/*
 * A line of the stream: into the log, and into the last lines kept;
 * without the colour the engine wraps a RUN's stderr in ("\033[91m" ...
 * "\033[0m"), which would show as '?[91m' in messages.
 */
static void log_line(struct task *t, const char *text)
{
	static const char *const colours[] = {"\033[91m", "\033[0m"};
	char *line = xstrdup(text), *p;
	size_t i, n;

	for (i = 0; i < 2; i++) {
		n = strlen(colours[i]);
		while ((p = strstr(line, colours[i])) != NULL)
			memmove(p, p + n, strlen(p + n) + 1);
	}
	log_write(t, line, strlen(line));
	log_write(t, "\n", 1);
	free(t->tail[t->ntail % BUILD_TAIL]);
	t->tail[t->ntail % BUILD_TAIL] = line;
	t->ntail++;
}

/*
 * Open builds/<service>.log afresh: unlinked first, so a FIFO, a link
 * or another file put there is replaced, never written through.
 */
static int log_open(struct task *t, struct err *err)
{
	char name[300];

	snprintf(name, sizeof(name), "%s.log", svc_name(t));
	free(t->log_path);
	t->log_path = path_join(t->b->log_dir, name);
	if (unlink(t->log_path) < 0 && errno != ENOENT)
		return err_sys(err, errno, "cannot replace the build log '%s'", t->log_path);
	t->log_fd = open(t->log_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t->log_fd < 0)
		return err_sys(err, errno, "cannot create the build log '%s'", t->log_path);
	return 0;
}

static void task_release(struct task *t)
{
	size_t i;

	if (t->log_fd >= 0)
		close(t->log_fd);
	t->log_fd = -1;
	for (i = 0; i < BUILD_TAIL; i++)
		free(t->tail[i]);
	free(t->log_path);
	free(t->id);
	tgz_free(t->tgz);
}

/* ---- the stream's callbacks -------------------------------------------- */

/* "Step 2/5 : RUN make" -> N (2), or 0. */
static long step_number(const char *text, char *label, size_t size)
{
	const char *p;
	char *end;
	long n;

	if (strncmp(text, "Step ", 5) != 0)
		return 0;
	p = text + 5;
	errno = 0;
	n = strtol(p, &end, 10);
	if (errno != 0 || end == p || *end != '/' || n < 1)
		return 0;
	snprintf(label, size, "%.*s", (int)(end - text) + (int)strcspn(end, " :"), text);
	return n;
}

static int on_event(void *ctx, enum docker_build_ev ev, const char *text)
{
	struct task *t = ctx;
	struct builds *b = t->b;
	long n;

	switch (ev) {
	case DOCKER_EV_STEP:
		log_line(t, text);
		n = step_number(text, t->step, sizeof(t->step));
		if (n > 0) {
			t->stepno = n;
			failpoint("build:step:%s:%ld", svc_name(t), n);
		}
		pthread_mutex_lock(&b->mu);
		report_task_update(b->run->report, t->idx, text);
		pthread_mutex_unlock(&b->mu);
		break;
	case DOCKER_EV_OUTPUT:
		log_line(t, text);
		/* Each line step N prints: NAME#K is its K-th (a RUN at work). */
		failpoint("build:output:%s:%ld", svc_name(t), t->stepno);
		break;
	case DOCKER_EV_STATUS:
		log_line(t, text);
		break;
	case DOCKER_EV_ID:
		break;
	}
	if (stopping(b)) {
		atomic_store(&t->cancel, 1);
		return 1;
	}
	return 0;
}

/* Polled by the transport about once a second: a RUN that prints nothing is cancelled too. */
static int poll_cancel(void *ctx)
{
	struct task *t = ctx;

	if (!stopping(t->b))
		return 0;
	atomic_store(&t->cancel, 1);
	return 1;
}

/* The context, read as it is packed; a stop ends it as a cancel. */
static long read_context(void *ctx, char *data, size_t size, struct err *err)
{
	struct task *t = ctx;

	if (stopping(t->b)) {
		atomic_store(&t->cancel, 1);
		return err_set(err, ERR_FAIL, "cancelled");
	}
	return tgz_read(t->tgz, data, size, err);
}

/* ---- one image --------------------------------------------------------- */

/*
 * 1 if the engine holds img with its hash under its tag, and :latest
 * names the same image (what a service built FROM it gets); 0 if not.
 */
static int up_to_date(struct docker *d, const struct image *img, char **id, struct err *err)
{
	struct docker_image a = {0}, l = {0};
	const char *h;
	int rc = 0;

	if (docker_image_inspect(d, img->tag, &a, err) < 0)
		return err->kind == ERRK_NOTFOUND ? 0 : -1;
	h = docker_image_label(&a, IMAGE_LABEL_HASH);
	if (h == NULL || strcmp(h, img->hash) != 0)
		goto out;
	if (docker_image_inspect(d, img->latest, &l, err) < 0) {
		rc = err->kind == ERRK_NOTFOUND ? 0 : -1;
		goto out;
	}
	if (a.id && l.id && strcmp(a.id, l.id) == 0) {
		*id = xstrdup(a.id);
		rc = 1;
	}
out:
	docker_image_release(&a);
	docker_image_release(&l);
	return rc;
}

/* Journal img's tags (engine outside the VM only), under the lock. */
static int journal_tags(struct builds *b, const struct image *img, const char *id, struct err *err)
{
	const char *kv[] = {"engine",         b->eng.host, "stack", b->run->stack->name,
	                    id ? "id" : NULL, id,          NULL};
	int rc = 0;

	if (b->eng.in_vm)
		return 0;
	pthread_mutex_lock(&b->mu);
	if (journal_record(b->run->journal, "image", img->tag, kv, err) < 0 ||
	    journal_record(b->run->journal, "image", img->latest, kv, err) < 0)
		rc = -1;
	pthread_mutex_unlock(&b->mu);
	return rc;
}

static int build_one(struct worker *w, struct task *t, struct err *err)
{
	const struct image *img = t->img;
	struct builds *b = w->b;
	const char *tags[] = {img->tag, img->latest, NULL};
	const char *labels[] = {IMAGE_LABEL_HASH,
	                        img->hash,
	                        IMAGE_LABEL_STACK,
	                        b->run->stack->name,
	                        IMAGE_LABEL_SERVICE,
	                        svc_name(t),
	                        NULL};
	struct docker_build_opts o = {0};
	struct image_pack pack = {0};
	int rc = -1;

	if (journal_tags(b, img, NULL, err) < 0)
		goto out;
	if (image_pack(b->run->stack, img, BUILD_GZIP, &pack, err) < 0 ||
	    tgz_open(img->context, &pack.opts, &t->tgz, err) < 0 || log_open(t, err) < 0)
		goto out;
	o.tags = tags;
	o.dockerfile = img->dockerfile;
	o.labels = labels;
	o.read = read_context;
	o.read_ctx = t;
	o.event = on_event;
	o.event_ctx = t;
	o.cancel = poll_cancel;
	if (docker_build(w->d, &o, &t->id, err) < 0)
		goto out;
	rc = journal_tags(b, img, t->id, err);
out:
	image_pack_release(&pack);
	tgz_free(t->tgz);
	t->tgz = NULL;
	return rc;
}

/* Run t on w's connection; its state and report end set under the lock. */
static void run_task(struct worker *w, struct task *t)
{
	struct builds *b = w->b;
	const struct report *r = b->run->report;
	char how[160];
	int u;

	err_clear(&t->err);
	u = up_to_date(w->d, t->img, &t->id, &t->err);
	if (u == 0) {
		u = build_one(w, t, &t->err) < 0 ? -1 : 0;
	} else if (u > 0 && journal_tags(b, t->img, t->id, &t->err) < 0) {
		u = -1;
	}
	pthread_mutex_lock(&b->mu);
	if (u < 0 && atomic_load(&t->cancel)) {
		t->state = T_CANCELLED;
		report_task_end(r, t->idx, 0, "cancelled");
	} else if (u < 0) {
		t->state = T_FAILED;
		if (b->first_failed < 0)
			b->first_failed = t->idx;
		snprintf(how, sizeof(how), "failed%s%s", t->step[0] ? " at " : "", t->step);
		report_task_end(r, t->idx, 0, how);
	} else if (u > 0) {
		t->state = T_UPTODATE;
		report_task_end(r, t->idx, 1, "up to date");
	} else {
		t->state = T_BUILT;
		snprintf(how, sizeof(how), "built %s", t->img->tag);
		report_task_end(r, t->idx, 1, how);
	}
	if (u < 0)
		atomic_store(&b->stop, 1);
	if (t->log_fd >= 0)
		close(t->log_fd);
	t->log_fd = -1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

/* ---- the workers ------------------------------------------------------- */

static int base_ready(const struct builds *b, const struct task *t)
{
	size_t base = t->img->base;

	if (base == (size_t)-1)
		return 1;
	return b->tasks[base].state == T_BUILT || b->tasks[base].state == T_UPTODATE;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct builds *b = w->b;
	size_t i;
	int waiting;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		struct task *next = NULL;

		waiting = 0;
		for (i = 0; i < b->plan.n; i++) {
			struct task *t = &b->tasks[i];

			if (t->state != T_WAIT)
				continue;
			if (stopping(b)) {
				t->state = T_CANCELLED;
				report_task_begin(b->run->report, t->idx, svc_name(t));
				report_task_end(b->run->report, t->idx, 0, "cancelled");
				continue;
			}
			waiting = 1;
			if (next == NULL && base_ready(b, t))
				next = t;
		}
		if (next) {
			next->state = T_RUN;
			report_task_begin(b->run->report, next->idx, svc_name(next));
			pthread_mutex_unlock(&b->mu);
			run_task(w, next);
			pthread_mutex_lock(&b->mu);
			continue;
		}
		if (!waiting)
			break;
		/* A base is being built by another worker: its end wakes us. */
		pthread_cond_wait(&b->cv, &b->mu);
	}
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* Mark the services of names (and their bases) wanted; an unknown name is a usage error. */
static int select_tasks(struct builds *b, const char *const *names, size_t *nwanted,
                        struct err *err)
{
	size_t i, k;

	*nwanted = 0;
	for (i = 0; i < b->plan.n; i++)
		b->tasks[i].state = names ? T_SKIP : T_WAIT;
	for (k = 0; names && names[k]; k++) {
		const struct image *img = image_find(&b->plan, names[k]);
		size_t at;

		if (img == NULL) {
			const char **cands = xcalloc(b->plan.n + 1, sizeof(*cands));
			const char *near;
			char q[80];

			for (i = 0; i < b->plan.n; i++)
				cands[i] = b->plan.v[i].svc->name;
			near = text_nearest(names[k], cands, b->plan.n);
			text_quote(names[k], strlen(names[k]), q, sizeof(q));
			if (near)
				err_set(err, ERR_USAGE,
				        "no service '%s' in stack '%s' (did you mean '%s'?)", q,
				        b->run->stack->name, near);
			else
				err_set(err, ERR_USAGE, "no service '%s' in stack '%s'", q,
				        b->run->stack->name);
			free(cands);
			return -1;
		}
		for (at = (size_t)(img - b->plan.v); at != (size_t)-1; at = b->plan.v[at].base)
			b->tasks[at].state = T_WAIT;
	}
	for (i = 0; i < b->plan.n; i++)
		*nwanted += b->tasks[i].state == T_WAIT;
	return 0;
}

/* 1 if the journal records a VM (a libvirt domain). */
static int has_vm(const struct run *run)
{
	size_t i;

	for (i = 0; i < run->journal->n; i++)
		if (strcmp(run->journal->v[i].kind, "domain") == 0)
			return 1;
	return 0;
}

static int connect_engine(struct builds *b, struct docker **d, struct err *err)
{
	if (engine_connect(&b->eng, d, err) == 0)
		return 0;
	if (b->eng.in_vm && (err->kind == ERRK_TRANSIENT || err->kind == ERRK_TIMEOUT))
		err_suffix(err, "; is the VM up? run 'ftboot up' first");
	return -1;
}

/* The error of the run: the first failure with its last log lines shown, or the interrupt. */
static int builds_result(struct builds *b, struct err *err)
{
	const struct report *r = b->run->report;
	struct buf cancelled = BUF_INIT(4096), failed = BUF_INIT(4096);
	size_t i, n, nbuilt = 0, nup = 0;
	int rc = 0;

	for (i = 0; i < b->plan.n; i++) {
		const struct task *t = &b->tasks[i];

		nbuilt += t->state == T_BUILT;
		nup += t->state == T_UPTODATE;
		if (t->state == T_CANCELLED)
			buf_addf(&cancelled, "%s%s", cancelled.len ? ", " : "", svc_name(t));
		if (t->state == T_FAILED && (long)i != b->first_failed)
			buf_addf(&failed, "%s%s", failed.len ? ", " : "", svc_name(t));
	}
	if (b->first_failed >= 0) {
		struct task *t = &b->tasks[b->first_failed];

		n = t->ntail < BUILD_TAIL ? t->ntail : BUILD_TAIL;
		if (n)
			report_info(r, "the last %zu lines of the log of '%s' (all of it: %s):", n,
			            svc_name(t), t->log_path);
		for (i = t->ntail - n; i < t->ntail; i++) {
			char q[256];
			const char *line = t->tail[i % BUILD_TAIL];

			report_info(r, "  | %s", text_quote(line, strlen(line), q, sizeof(q)));
		}
		*err = t->err;
		err_wrap(err, "service '%s'", svc_name(t));
		if (failed.len)
			err_suffix(err, " (also failed: %s; see their logs)", buf_cstr(&failed));
		if (cancelled.len)
			err_suffix(err, " (cancelled: %s)", buf_cstr(&cancelled));
		rc = -1;
	} else if (build_signal) {
		rc = err_set(err, ERR_FAIL, "interrupted by signal %d (%s): cancelled: %s",
		             (int)build_signal, strsignal(build_signal),
		             cancelled.len ? buf_cstr(&cancelled) : "nothing");
	} else if (cancelled.len) {
		rc = err_set(err, ERR_FAIL, "builds cancelled: %s", buf_cstr(&cancelled));
	} else {
		report_info(r, "images: %zu built, %zu up to date", nbuilt, nup);
	}
	for (i = 0; i < b->plan.n; i++)
		if (b->tasks[i].log_errno)
			report_warn(r, "the build log '%s' is incomplete: %s", b->tasks[i].log_path,
			            strerror(b->tasks[i].log_errno));
	buf_release(&cancelled);
	buf_release(&failed);
	return rc;
}

int build_images(struct run *run, const struct build_opts *o, struct err *err)
{
	struct builds b = {.run = run, .first_failed = -1};
	struct worker *w = NULL;
	size_t i, nwanted;
	int jobs = 0, ncpu, nw = 0, rc = -1;

	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.cv, NULL);
	build_signal = 0;
	build_running = 1;
	if (image_plan(run->stack, &b.plan, err) < 0)
		goto out;
	b.tasks = xcalloc(b.plan.n ? b.plan.n : 1, sizeof(*b.tasks));
	for (i = 0; i < b.plan.n; i++) {
		b.tasks[i] =
		    (struct task){.b = &b, .idx = (unsigned)i, .img = &b.plan.v[i], .log_fd = -1};
		atomic_init(&b.tasks[i].cancel, 0);
	}
	atomic_init(&b.stop, 0);
	if (select_tasks(&b, o ? o->services : NULL, &nwanted, err) < 0)
		goto out;
	if (nwanted == 0) {
		report_info(run->report, "images: the stack has none to build");
		rc = 0;
		goto out;
	}
	if (run->stack->engine.host == NULL && !has_vm(run)) {
		err_set(err, ERR_FAIL, "the VM of stack '%s' is not up; run 'ftboot up' first",
		        run->stack->name);
		goto out;
	}
	b.log_dir = path_join(run->state->dir, "builds");
	if (fs_mkdirs(b.log_dir, 0700, err) < 0)
		goto out;
	if (engine_resolve(run, 1, &b.eng, err) < 0)
		goto out;
	b.have_eng = 1;
	w = xcalloc(BUILD_JOBS_MAX, sizeof(*w));
	if (connect_engine(&b, &w[0].d, err) < 0)
		goto out;
	nw = 1;
	jobs = o && o->jobs ? o->jobs : run->jobs;
	if (jobs <= 0) {
		if (docker_ncpu(w[0].d, &ncpu, err) < 0)
			goto out;
		jobs = ncpu;
	}
	if (jobs > BUILD_JOBS_MAX)
		jobs = BUILD_JOBS_MAX;
	if ((size_t)jobs > nwanted)
		jobs = (int)nwanted;
	if (jobs < 1)
		jobs = 1;
	for (; nw < jobs; nw++)
		if (connect_engine(&b, &w[nw].d, err) < 0)
			goto out;
	for (i = 0; i < (size_t)nw; i++) {
		int e;

		w[i].b = &b;
		e = pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
		if (e != 0 && i == 0) {
			err_sys(err, e, "cannot start a build thread");
			goto out;
		}
		if (e != 0) /* fewer workers: the ones running build it all */
			break;
		w[i].started = 1;
	}
	for (i = 0; i < (size_t)nw; i++)
		if (w[i].started)
			pthread_join(w[i].thread, NULL);
	rc = builds_result(&b, err);
out:
	build_running = 0;
	for (i = 0; w && i < (size_t)nw; i++)
		docker_close(w[i].d);
	free(w);
	for (i = 0; b.tasks && i < b.plan.n; i++)
		task_release(&b.tasks[i]);
	free(b.tasks);
	free(b.log_dir);
	if (b.have_eng)
		engine_release(&b.eng);
	image_plan_release(&b.plan);
	pthread_cond_destroy(&b.cv);
	pthread_mutex_destroy(&b.mu);
	return rc;
}

int build_step(struct run *run, struct err *err)
{
	return build_images(run, NULL, err);
}

/* ---- status ------------------------------------------------------------ */

int build_step_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err)
{
	struct image_plan plan = {0};
	struct engine eng;
	struct docker *d = NULL;
	struct err e2;
	struct doc_node *images;
	struct buf lines = BUF_INIT(1u << 20);
	const char *why = NULL;
	size_t i, nbuilt = 0;
	int have_eng = 0;

	(void)err;
	*json = doc_new(DOC_MAP);
	err_clear(&e2);
	if (image_plan(run->stack, &plan, &e2) < 0) {
		buf_addf(text, "build      cannot plan the images: %s\n", e2.msg);
		doc_map_set(*json, "error", doc_new_str(e2.msg));
		return 0;
	}
	if (engine_resolve(run, 0, &eng, &e2) < 0) {
		why = e2.msg;
	} else {
		have_eng = 1;
		doc_map_set(*json, "engine", doc_new_str(eng.host));
		if (eng.in_vm && !has_vm(run))
			why = "there is no VM yet (ftboot up makes it and builds them)";
		else if (engine_connect(&eng, &d, &e2) < 0)
			why = e2.msg;
	}
	if (why) {
		buf_addf(text, "build      engine %s not reached: %s\n", have_eng ? eng.host : "-",
		         why);
		doc_map_set(*json, "reachable", doc_new_bool(0));
		doc_map_set(*json, "error", doc_new_str(why));
	} else {
		doc_map_set(*json, "reachable", doc_new_bool(1));
	}
	images = doc_new(DOC_SEQ);
	for (i = 0; i < plan.n; i++) {
		const struct image *img = &plan.v[i];
		struct doc_node *m = doc_new(DOC_MAP);
		const char *state = "unknown";
		char *id = NULL;
		int u;

		if (d) {
			u = up_to_date(d, img, &id, &e2);
			state = u > 0 ? "built" : u == 0 ? "not built" : e2.msg;
			nbuilt += u > 0;
		}
		buf_addf(&lines, "image      %s %s, %s\n", img->svc->name, img->tag, state);
		doc_map_set(m, "service", doc_new_str(img->svc->name));
		doc_map_set(m, "tag", doc_new_str(img->tag));
		doc_map_set(m, "state", doc_new_str(state));
		doc_map_set(m, "id", id ? doc_new_str(id) : doc_new(DOC_NULL));
		doc_seq_push(images, m);
		free(id);
	}
	doc_map_set(*json, "images", images);
	if (d)
		buf_addf(text, "build      %zu of %zu images up to date\n", nbuilt, plan.n);
	buf_addstr(text, buf_cstr(&lines));
	buf_release(&lines);
	docker_close(d);
	if (have_eng)
		engine_release(&eng);
	image_plan_release(&plan);
	return 0;
}

/* ---- the "image" kind -------------------------------------------------- */

struct image_backend {
	struct engine eng;
	struct docker *d;
};

static int image_open(struct run *run, void **handle, struct err *err)
{
	struct image_backend *ib = xcalloc(1, sizeof(*ib));

	if (engine_resolve(run, 0, &ib->eng, err) < 0) {
		free(ib);
		return -1;
	}
	if (engine_connect(&ib->eng, &ib->d, err) < 0) {
		engine_release(&ib->eng);
		free(ib);
		return -1;
	}
	*handle = ib;
	return 0;
}

static void image_close(void *handle)
{
	struct image_backend *ib = handle;

	if (ib == NULL)
		return;
	docker_close(ib->d);
	engine_release(&ib->eng);
	free(ib);
}

/*
 * Untag e's tag, if it is still this stack's image in the engine it was
 * built in: a tag another stack has built since, or an engine the stack
 * no longer names, is left (with a warning).
 */
static int image_remove(struct run *run, void *handle, const struct journal_entry *e,
                        struct err *err)
{
	struct image_backend *ib = handle;
	struct docker_image img = {0};
	char *engine = journal_get(e, "engine");
	const char *stack;
	int rc = 0;

	if (engine && strcmp(engine, ib->eng.host) != 0) {
		report_warn(run->report,
		            "image '%s' was built in the engine %s, the stack now names %s: "
		            "left there",
		            e->name, engine, ib->eng.host);
		goto out;
	}
	if (docker_image_inspect(ib->d, e->name, &img, err) < 0) {
		rc = err->kind == ERRK_NOTFOUND ? 0 : -1;
		goto out;
	}
	stack = docker_image_label(&img, IMAGE_LABEL_STACK);
	if (stack == NULL || strcmp(stack, run->stack->name) != 0) {
		report_warn(run->report,
		            "image '%s' is now stack '%s''s, not this one's: left there", e->name,
		            stack ? stack : "-");
		goto out;
	}
	rc = docker_image_remove(ib->d, e->name, 0, err);
out:
	docker_image_release(&img);
	free(engine);
	return rc;
}

static const struct teardown_backend engine_backend = {"engine", image_open, image_close};
static const struct teardown_kind image_kind = {"image", &engine_backend, image_remove};

int build_kinds(struct err *err)
{
	return teardown_register(&image_kind, err);
}
