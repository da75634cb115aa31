/*
 * apply: the apply step. Renders the stack, adds its pinned remote
 * manifests, puts every object into the stack's cluster in dependency
 * order, prunes what the stack no longer declares and waits for the
 * rollouts; and the "kube" kind that `down` removes on an external
 * cluster. (apply_status lives in apply_status.c.)
 *
 * What counts as created, changed or unchanged: before applying, every
 * listable kind of discovery is listed once with the stack's label (the
 * same listing prune needs, so it costs nothing more). An object the
 * listing does not hold is new to the stack ("created"); one it holds is
 * "changed" when the resourceVersion the server answers the apply with
 * differs from the listed one (the API server bumps it on every real
 * change and never on a no-op apply), else "unchanged".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cluster.h"
#include "crypto.h"
#include "failpoint.h"
#include "fs.h"
#include "http.h"
#include "ipv4.h"
#include "kube.h"
#include "mono.h"
#include "rollout.h"
#include "teardown.h"
#include "text.h"
#include "vm.h"
#include "xmem.h"

#define APPLY_RANKS 8
/* Largest remote manifest read. */
#define APPLY_REMOTE_MAX  (64u << 20)
#define APPLY_CRD_POLL_MS 250

#define CRD_API "apiextensions.k8s.io/v1"

int apply_rank(const char *kind)
{
	static const struct {
		const char *kind;
		int rank;
	} ranks[] = {
	    {"Namespace", 0},
	    {"CustomResourceDefinition", 1},
	    {"ServiceAccount", 2},
	    {"Role", 2},
	    {"ClusterRole", 2},
	    {"RoleBinding", 2},
	    {"ClusterRoleBinding", 2},
	    {"ResourceQuota", 2},
	    {"LimitRange", 2},
	    {"PriorityClass", 2},
	    {"ConfigMap", 3},
	    {"Secret", 3},
	    {"StorageClass", 4},
	    {"PersistentVolume", 4},
	    {"PersistentVolumeClaim", 4},
	    {"Service", 5},
	    {"Deployment", 6},
	    {"StatefulSet", 6},
	    {"DaemonSet", 6},
	    {"ReplicaSet", 6},
	    {"Job", 6},
	    {"CronJob", 6},
	    {"Pod", 6},
	};
	size_t i;

	if (kind == NULL)
		return APPLY_RANKS - 1;
	for (i = 0; i < sizeof(ranks) / sizeof(ranks[0]); i++)
		if (strcmp(ranks[i].kind, kind) == 0)
			return ranks[i].rank;
	return APPLY_RANKS - 1;
}

static const char *str_at(const struct doc_node *map, const char *key)
{
	const struct doc_node *n = map && map->type == DOC_MAP ? doc_map_get(map, key) : NULL;

	return n && n->type == DOC_STR ? n->text : NULL;
}

/* A counting sort: stable, one pass per rank. */
void apply_sort(struct render_out *out)
{
	struct render_doc *v;
	size_t i, n = 0;
	int rank;

	if (out->n < 2)
		return;
	v = xreallocarray(NULL, out->n, sizeof(*v));
	for (rank = 0; rank < APPLY_RANKS; rank++)
		for (i = 0; i < out->n; i++)
			if (apply_rank(str_at(out->v[i].doc, "kind")) == rank)
				v[n++] = out->v[i];
	free(out->v);
	out->v = v;
}

/* ---- remote manifests ------------------------------------------------- */

static void add_doc(struct render_out *out, const char *url, struct doc_node *doc)
{
	out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
	out->v[out->n].source = xstrdup(url);
	out->v[out->n].name = xstrdup(url);
	out->v[out->n].doc = doc;
	out->n++;
}

/*
 * Add the documents of one parsed manifest file to out, each checked and
 * labelled; null documents are skipped and a v1 List gives its items.
 * Takes every document of docs (freed or moved).
 */
static int add_docs(const struct stack *stack, const char *url, struct doc_list *docs,
                    struct render_out *out, struct err *err)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; i < docs->n; i++) {
		struct doc_node *doc = docs->docs[i];
		const char *kind = str_at(doc, "kind"), *api = str_at(doc, "apiVersion");
		struct doc_node *items;

		docs->docs[i] = NULL;
		if (rc < 0 || doc->type == DOC_NULL) {
			doc_free(doc);
			continue;
		}
		items = doc_map_get(doc, "items");
		if (kind && api && strcmp(kind, "List") == 0 && strcmp(api, "v1") == 0 && items &&
		    items->type == DOC_SEQ) {
			for (j = 0; j < items->n && rc == 0; j++) {
				struct doc_node *item = items->items[j];

				if (item->type == DOC_NULL)
					continue;
				rc = render_check_manifest(stack, url, item, err);
				if (rc == 0) {
					add_doc(out, url, item);
					items->items[j] = NULL;
				}
			}
			for (j = 0; j < items->n; j++)
				doc_free(items->items[j]);
			items->n = 0;
			doc_free(doc);
			continue;
		}
		rc = render_check_manifest(stack, url, doc, err);
		if (rc < 0)
			doc_free(doc);
		else
			add_doc(out, url, doc);
	}
	free(docs->docs);
	docs->docs = NULL;
	docs->n = 0;
	return rc;
}

static int fetch_manifest(const struct run *run, const char *cache, const struct stack_manifest *m,
                          struct render_out *out, struct err *err)
{
	const struct report *r = run->report;
	struct buf text = BUF_INIT(APPLY_REMOTE_MAX);
	struct doc_list docs = {0};
	char *name = xasprintf("manifests/%s.yaml", m->sha256);
	char *dest = path_join(cache, name);
	char *label = xasprintf("downloading manifest %s", m->url);
	int rc = -1, have = fs_exists(dest);

	if (!have && r && r->download_begin)
		r->download_begin(r->ctx, label);
	rc = http_download(m->url, dest, m->sha256, !have && r ? r->download_progress : NULL,
	                   r ? r->ctx : NULL, err);
	if (!have && r && r->download_end)
		r->download_end(r->ctx, rc == 0);
	if (rc < 0)
		goto out;
	rc = -1;
	if (fs_read(dest, APPLY_REMOTE_MAX, &text, err) < 0 ||
	    doc_parse_yaml(m->url, buf_cstr(&text), text.len, &docs, err) < 0)
		goto out;
	rc = add_docs(run->stack, m->url, &docs, out, err);
out:
	doc_list_release(&docs);
	buf_release(&text);
	free(label);
	free(dest);
	free(name);
	return rc;
}

int apply_remote(const struct run *run, struct render_out *out, struct err *err)
{
	const struct stack *stack = run->stack;
	char *cache = NULL;
	size_t i;
	int rc = 0;

	if (stack->nmanifests == 0)
		return 0;
	if (vm_cache_dir(&cache, err) < 0)
		return -1;
	for (i = 0; i < stack->nmanifests && rc == 0; i++) {
		const struct stack_manifest *m = &stack->manifests[i];

		rc = fetch_manifest(run, cache, m, out, err);
		if (rc < 0)
			err_wrap(err, "%s:%u:%u: manifest", stack->path,
			         m->mark.line ? m->mark.line : 1, m->mark.line ? m->mark.col : 1);
	}
	free(cache);
	return rc == 0 ? render_check_unique(out, err) : -1;
}

/* ---- the objects ------------------------------------------------------ */

/* The group of an apiVersion ("apps/v1": "apps", "v1": ""), into out. */
static const char *api_group(const char *api, char *out, size_t size)
{
	const char *slash = api ? strchr(api, '/') : NULL;
	size_t len = slash ? (size_t)(slash - api) : 0;

	if (len >= size)
		len = size - 1;
	memcpy(out, api ? api : "", len);
	out[len] = '\0';
	return out;
}

static const char *api_version(const char *api)
{
	const char *slash = api ? strchr(api, '/') : NULL;

	return slash ? slash + 1 : api ? api : "";
}

/* An object's identity: the same object whatever the version asked for. */
struct ident {
	char *group, *kind, *ns, *name;
};

static void ident_of(struct ident *id, const char *api, const char *kind, const char *ns,
                     const char *name)
{
	char group[256];

	id->group = xstrdup(api_group(api, group, sizeof(group)));
	id->kind = xstrdup(kind ? kind : "");
	id->ns = xstrdup(ns ? ns : "");
	id->name = xstrdup(name ? name : "");
}

static int ident_eq(const struct ident *a, const struct ident *b)
{
	return strcmp(a->group, b->group) == 0 && strcmp(a->kind, b->kind) == 0 &&
	       strcmp(a->ns, b->ns) == 0 && strcmp(a->name, b->name) == 0;
}

static void ident_release(struct ident *id)
{
	free(id->group);
	free(id->kind);
	free(id->ns);
	free(id->name);
}

/* An object the stack's label selects, as listed before the apply. */
struct listed {
	struct ident id;
	char *api_version;
	char *rv;
	int owned;   /* has ownerReferences: a controller's, never pruned */
	int applied; /* the set holds it */
};

/* Of an object applied: its template, and whether the apply changed it. */
struct applied_of {
	const char *source; /* the render_out's, which outlives the apply */
	int unchanged;
};

struct apply {
	struct run *run;
	struct cluster c;
	struct kube *k;
	const char *ns; /* of objects without one */
	struct listed *listed;
	size_t nlisted;
	struct doc_node **applied; /* the server's answers, for the wait */
	struct applied_of *of;     /* where each came from */
	size_t napplied;
	int created, changed, unchanged;
	struct buf said; /* with -v: a line per object, said once the step's line ends */
	double deadline; /* of the waits, the CRDs' then the rollouts': cluster.timeout in all */
};

static int list_item(void *ctx, const struct doc_node *item, struct err *err)
{
	struct apply *a = ctx;
	const struct doc_node *meta = doc_map_get(item, "metadata");
	const struct doc_node *owners = meta ? doc_map_get(meta, "ownerReferences") : NULL;
	const struct doc_node *labels = meta ? doc_map_get(meta, "labels") : NULL;
	const char *stack = str_at(labels, RENDER_LABEL_STACK);
	struct listed *l;

	(void)err;
	/* The selector chose it; the label is checked again all the same. */
	if (stack == NULL || strcmp(stack, a->run->stack->name) != 0)
		return 0;
	a->listed = xreallocarray(a->listed, a->nlisted + 1, sizeof(*a->listed));
	l = &a->listed[a->nlisted++];
	memset(l, 0, sizeof(*l));
	ident_of(&l->id, str_at(item, "apiVersion"), str_at(item, "kind"),
	         kube_meta(item, "namespace"), kube_meta(item, "name"));
	l->api_version = xstrdup(str_at(item, "apiVersion") ? str_at(item, "apiVersion") : "");
	l->rv =
	    kube_meta(item, "resourceVersion") ? xstrdup(kube_meta(item, "resourceVersion")) : NULL;
	l->owned = owners && owners->type == DOC_SEQ && owners->n > 0;
	return 0;
}

/* List every listable kind with the stack's label (what exists of the stack). */
static int list_stack(struct apply *a, struct err *err)
{
	const struct kube_resource *v;
	struct kube_list_opts o = {0};
	char *selector = xasprintf("%s=%s", RENDER_LABEL_STACK, a->run->stack->name);
	size_t n, i;
	int rc = -1;

	o.label_selector = selector;
	if (kube_resources(a->k, &v, &n, err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct err e = {0};

		if (!v[i].listable)
			continue;
		if (kube_list(a->k, &v[i], &o, list_item, a, NULL, &e) < 0)
			report_warn(
			    a->run->report,
			    "cannot list %s (%s%s%s) of stack '%s'; they are neither counted "
			    "nor pruned: %s",
			    v[i].plural, v[i].group, *v[i].group ? "/" : "", v[i].version,
			    a->run->stack->name, e.msg);
	}
	rc = 0;
out:
	free(selector);
	return rc;
}

static struct listed *find_listed(struct apply *a, const struct ident *id)
{
	size_t i;

	for (i = 0; i < a->nlisted; i++)
		if (ident_eq(&a->listed[i].id, id))
			return &a->listed[i];
	return NULL;
}

/*
 * The journal's name of an object: CONTEXT/GROUP/VERSION/KIND/NAMESPACE/NAME.
 * A journal name holds at most JOURNAL_NAME_BYTES, and a long context (an
 * EKS ARN) with a long group and name passes that: then its first bytes,
 * "~" and the SHA-256 of the whole (unique still; the entry's fields
 * carry the object, and nothing reads it back from the name).
 */
#define JOURNAL_NAME_BYTES 255
static char *journal_name(const char *context, const char *api, const char *kind, const char *ns,
                          const char *name)
{
	char group[256], hex[CRYPTO_HEX_MAX];
	char *full = xasprintf("%s/%s/%s/%s/%s/%s", context, api_group(api, group, sizeof(group)),
	                       api_version(api), kind, ns, name);
	char *cut;

	if (strlen(full) <= JOURNAL_NAME_BYTES)
		return full;
	crypto_hash_buf(CRYPTO_SHA256, full, strlen(full), hex);
	cut = xasprintf("%.*s~%s", JOURNAL_NAME_BYTES - 65, full, hex);
	free(full);
	return cut;
}

static int journal_object(struct apply *a, const char *api, const char *kind, const char *ns,
                          const char *name, struct err *err)
{
	char group[256];
	char *jname = journal_name(a->c.context, api, kind, ns, name);
	const char *kv[] = {"cluster",   a->c.context,
	                    "server",    kube_server(a->k),
	                    "group",     api_group(api, group, sizeof(group)),
	                    "version",   api_version(api),
	                    "kind",      kind,
	                    "namespace", ns,
	                    "name",      name,
	                    NULL};
	int rc = journal_record(a->run->journal, "kube", jname, kv, err);

	free(jname);
	return rc;
}

/* Drop the journal's entries of the object id (any version) on this cluster. */
static int unjournal(struct apply *a, const struct ident *id, struct err *err)
{
	struct journal *j = a->run->journal;
	size_t i = 0;

	while (i < j->n) {
		const struct journal_entry *e = &j->v[i];
		char *f[5] = {journal_get(e, "cluster"), journal_get(e, "group"),
		              journal_get(e, "kind"), journal_get(e, "namespace"),
		              journal_get(e, "name")};
		int match = strcmp(e->kind, "kube") == 0 && f[0] && f[1] && f[2] && f[3] && f[4] &&
		            strcmp(f[0], a->c.context) == 0 && strcmp(f[1], id->group) == 0 &&
		            strcmp(f[2], id->kind) == 0 && strcmp(f[3], id->ns) == 0 &&
		            strcmp(f[4], id->name) == 0;
		char *name = match ? xstrdup(e->name) : NULL;
		int k, rc = 0;

		for (k = 0; k < 5; k++)
			free(f[k]);
		if (match) {
			rc = journal_remove(j, "kube", name, err);
			free(name);
			if (rc < 0)
				return -1;
			continue; /* the entries moved down */
		}
		i++;
	}
	return 0;
}

/* Whether obj's condition type has status ("True", "False"). */
static int cond_is(const struct doc_node *obj, const char *type, const char *status)
{
	const char *s = str_at(kube_condition(obj, type), "status");

	return s && strcmp(s, status) == 0;
}

/*
 * A CRD the naming controller refused (NamesAccepted False: another CRD
 * of its group has one of its names) is never Established. Said as it
 * fails, with the condition's reason and message.
 */
static int crd_refused(const struct doc_node *crd, const char *source, struct err *err)
{
	const struct doc_node *c = kube_condition(crd, "NamesAccepted");
	const char *reason = str_at(c, "reason"), *msg = str_at(c, "message");
	const char *name = kube_meta(crd, "name"), *group = str_at(kube_at(crd, "spec"), "group");
	char qr[80], qm[80], qg[80];

	text_quote(reason ? reason : "", reason ? strlen(reason) : 0, qr, sizeof(qr));
	text_quote(msg ? msg : "", msg ? strlen(msg) : 0, qm, sizeof(qm));
	text_quote(group ? group : "", group ? strlen(group) : 0, qg, sizeof(qg));
	return err_setk(err, ERRK_EXISTS,
	                "%s: CustomResourceDefinition/%s will never be Established: its names "
	                "are not accepted (NamesAccepted False, %s: %s), another "
	                "CustomResourceDefinition of group %s has that name; rename the kind, "
	                "plural, singular, shortNames or listKind in %s, or delete the other "
	                "CustomResourceDefinition (kubectl get crd lists them)",
	                source, name, qr, qm, qg, source);
}

/*
 * Wait until every CRD applied so far is Established, then refresh
 * discovery. Bounded by a->deadline, which the rollout wait shares: the
 * stack's cluster.timeout is how long the apply step waits, in all.
 * A CRD whose names are refused fails at once: the refusal read is the
 * naming controller's for this spec when the apply changed nothing or
 * the CRD was written since the apply (the apply's answer, and a GET
 * before the controller has run, carry the status of the spec before).
 */
static int wait_crds(struct apply *a, struct err *err)
{
	const struct kube_resource *r;
	int timeout_s = a->run->stack->cluster.timeout;
	double deadline = a->deadline;
	size_t i;
	int waited = 0;

	for (i = 0; i < a->napplied; i++) {
		const struct doc_node *obj = a->applied[i];
		const char *kind = str_at(obj, "kind"), *name = kube_meta(obj, "name");
		const char *rv = kube_meta(obj, "resourceVersion"), *now_rv;
		struct doc_node *now = NULL;
		int said = 0;

		if (kind == NULL || strcmp(kind, "CustomResourceDefinition") != 0 || name == NULL)
			continue;
		waited = 1;
		if (cond_is(obj, "Established", "True"))
			continue;
		if (kube_resource(a->k, CRD_API, "CustomResourceDefinition", &r, err) < 0)
			return -1;
		for (;;) {
			if (kube_get(a->k, r, NULL, name, &now, err) < 0)
				return err_wrap(err, "%s: CustomResourceDefinition/%s",
				                a->of[i].source, name);
			if (cond_is(now, "Established", "True"))
				break;
			now_rv = kube_meta(now, "resourceVersion");
			if (cond_is(now, "NamesAccepted", "False") &&
			    (a->of[i].unchanged || rv == NULL || now_rv == NULL ||
			     strcmp(rv, now_rv) != 0 || mono_now() >= deadline)) {
				crd_refused(now, a->of[i].source, err);
				doc_free(now);
				return -1;
			}
			doc_free(now);
			now = NULL;
			if (!said) {
				report_info(a->run->report,
				            "  waiting for CustomResourceDefinition/%s (%s) to be "
				            "Established: at most %.0f s more",
				            name, a->of[i].source, deadline - mono_now());
				said = 1;
			}
			if (mono_now() >= deadline)
				return err_setk(
				    err, ERRK_TIMEOUT,
				    "%s: CustomResourceDefinition/%s is not Established within "
				    "%d s (the stack's cluster.timeout, for the CRDs and the "
				    "rollouts together; its status.conditions say why: kubectl "
				    "get crd %s -o yaml)",
				    a->of[i].source, name, timeout_s, name);
			mono_nap(APPLY_CRD_POLL_MS);
		}
		doc_free(now);
	}
	if (waited)
		kube_discovery_reset(a->k);
	return 0;
}

/* The resource of doc's kind, and the namespace it goes to ("" for a cluster-wide kind). */
static int resolve(struct apply *a, const struct doc_node *doc, const struct kube_resource **r,
                   const char **ns, struct err *err)
{
	const char *in = kube_meta(doc, "namespace");

	if (kube_resource(a->k, str_at(doc, "apiVersion"), str_at(doc, "kind"), r, err) < 0)
		return -1;
	*ns = (*r)->namespaced ? (in && *in ? in : a->ns) : "";
	return 0;
}

/*
 * 1 if a CustomResourceDefinition of the set serves kind in api
 * (GROUP/VERSION): one of its versions has that name and is served. 0 if
 * none does; then *other is a CRD of the set for that group and kind
 * that serves other versions (or none), or NULL.
 */
static int set_defines(const struct render_out *out, const char *api, const char *kind,
                       const struct doc_node **other)
{
	const char *slash = api ? strchr(api, '/') : NULL;
	size_t glen, i, k;

	*other = NULL;
	if (slash == NULL || kind == NULL)
		return 0;
	glen = (size_t)(slash - api);
	for (i = 0; i < out->n; i++) {
		const struct doc_node *doc = out->v[i].doc, *vs = kube_at(doc, "spec.versions");
		const char *dkind = str_at(doc, "kind"),
		           *group = str_at(kube_at(doc, "spec"), "group");
		const char *names_kind = str_at(kube_at(doc, "spec.names"), "kind");

		if (dkind == NULL || strcmp(dkind, "CustomResourceDefinition") != 0 ||
		    group == NULL || strlen(group) != glen || strncmp(group, api, glen) != 0 ||
		    names_kind == NULL || strcmp(names_kind, kind) != 0)
			continue;
		*other = doc;
		for (k = 0; vs && vs->type == DOC_SEQ && k < vs->n; k++) {
			const char *v = str_at(vs->items[k], "name");
			const struct doc_node *served = doc_map_get(vs->items[k], "served");

			if (v && strcmp(v, slash + 1) == 0 && served && served->type == DOC_BOOL &&
			    served->b)
				return 1;
		}
	}
	return 0;
}

/* The versions a CRD serves, as "v1, v2" (or "none") into buf. */
static const char *crd_served(const struct doc_node *crd, char *buf, size_t size)
{
	const struct doc_node *vs = kube_at(crd, "spec.versions");
	size_t k, used = 0;

	buf[0] = '\0';
	for (k = 0; vs && vs->type == DOC_SEQ && k < vs->n && used + 1 < size; k++) {
		const char *v = str_at(vs->items[k], "name");
		const struct doc_node *served = doc_map_get(vs->items[k], "served");

		if (v && served && served->type == DOC_BOOL && served->b)
			used +=
			    (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "", v);
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "none");
	return buf;
}

/*
 * Before anything is applied: every object of the set that the stack's
 * listing does not hold is looked up. One that exists without the stack's
 * label is someone else's: refused, since applying would take it over and
 * `down` or prune would then delete it (and, for a namespace, all in it).
 * One that exists with the label (its kind's listing failed) joins the
 * listing, so it is not counted as created. A kind the cluster does not
 * serve yet (a CRD the set applies) has no objects to find; one that no
 * CRD of the set defines either is refused here, before anything is
 * applied (it would fail only at its turn, the rest applied before it).
 */
static int check_one(struct apply *a, const struct render_out *out, const struct render_doc *d,
                     struct err *err)
{
	const char *kind = str_at(d->doc, "kind"), *name = kube_meta(d->doc, "name");
	const struct kube_resource *r;
	struct doc_node *got = NULL;
	const char *ns, *stack, *want = a->run->stack->name;
	struct ident id;
	struct listed *l;
	char label[128];

	if (resolve(a, d->doc, &r, &ns, err) < 0) {
		const struct doc_node *crd;
		char what[256];

		if (err->kind != ERRK_NOTFOUND)
			return err_wrap(err, "%s", d->source);
		if (!set_defines(out, str_at(d->doc, "apiVersion"), kind, &crd)) {
			char *why = xstrdup(err->msg), served[256];

			if (crd)
				err_setk(
				    err, ERRK_NOTFOUND,
				    "%s (%s): CustomResourceDefinition/%s of the stack does not "
				    "serve '%s' (it serves %s), so nothing was applied: change "
				    "the apiVersion, or add the version to the CRD with served: "
				    "true",
				    kube_what(d->doc, what, sizeof(what)), d->source,
				    kube_meta(crd, "name") ? kube_meta(crd, "name") : "?",
				    str_at(d->doc, "apiVersion"),
				    crd_served(crd, served, sizeof(served)));
			else
				err_setk(err, ERRK_NOTFOUND,
				         "%s (%s): %s; no CustomResourceDefinition of the stack "
				         "defines it either, so nothing was applied",
				         kube_what(d->doc, what, sizeof(what)), d->source, why);
			free(why);
			return -1;
		}
		err_clear(err);
		return 0;
	}
	ident_of(&id, str_at(d->doc, "apiVersion"), kind, ns, name);
	l = find_listed(a, &id);
	ident_release(&id);
	if (l)
		return 0;
	if (kube_get(a->k, r, *ns ? ns : NULL, name, &got, err) < 0) {
		if (err->kind != ERRK_NOTFOUND)
			return err_wrap(err, "%s: %s/%s", d->source, kind, name);
		err_clear(err);
		return 0;
	}
	stack = str_at(kube_at(got, "metadata.labels"), RENDER_LABEL_STACK);
	if (stack && strcmp(stack, want) == 0) {
		list_item(a, got, err);
		doc_free(got);
		return 0;
	}
	text_quote(stack ? stack : want, strlen(stack ? stack : want), label, sizeof(label));
	err_setk(err, ERRK_EXISTS,
	         "%s: %s/%s%s%s exists in the cluster and is not this stack's (%s %s=%s): "
	         "ftboot does not take over objects it did not create; delete it, or remove it "
	         "from the stack",
	         d->source, kind, name, *ns ? " in namespace " : "", ns,
	         stack ? "it has the label" : "no label", RENDER_LABEL_STACK, label);
	doc_free(got);
	return -1;
}

static int check_foreign(struct apply *a, const struct render_out *out, struct err *err)
{
	size_t i;

	for (i = 0; i < out->n; i++)
		if (check_one(a, out, &out->v[i], err) < 0)
			return -1;
	return 0;
}

/* Apply one manifest, journaled first on an external cluster, and count it. */
static int apply_one(struct apply *a, const struct render_doc *d, struct err *err)
{
	const struct doc_node *doc = d->doc;
	const char *api = str_at(doc, "apiVersion"), *kind = str_at(doc, "kind");
	const char *name = kube_meta(doc, "name"), *ns;
	const struct kube_resource *r;
	struct doc_node *got = NULL;
	struct listed *l;
	struct ident id;
	char what[256];
	const char *rv, *how;

	if (resolve(a, doc, &r, &ns, err) < 0)
		return err_wrap(err, "%s (%s)", kube_what(doc, what, sizeof(what)), d->source);
	if (!a->c.in_vm && journal_object(a, api, kind, ns, name, err) < 0)
		return -1;
	failpoint("apply:object:%s:%s:%s", kind, *ns ? ns : "-", name);
	if (kube_apply(a->k, doc, a->ns, &got, err) < 0)
		return err_wrap(err, "%s", d->source);
	if (got == NULL)
		got = doc_clone(doc);
	ident_of(&id, api, kind, ns, name);
	l = find_listed(a, &id);
	rv = kube_meta(got, "resourceVersion");
	if (l == NULL) {
		a->created++;
		how = "created";
	} else if (rv == NULL || l->rv == NULL || strcmp(rv, l->rv) != 0) {
		a->changed++;
		how = "changed";
	} else {
		a->unchanged++;
		how = NULL;
	}
	if (l)
		l->applied = 1;
	if (a->run->verbose && how)
		buf_addf(&a->said, "%s %s\n", how, kube_what(got, what, sizeof(what)));
	ident_release(&id);
	a->applied = xreallocarray(a->applied, a->napplied + 1, sizeof(*a->applied));
	a->of = xreallocarray(a->of, a->napplied + 1, sizeof(*a->of));
	a->of[a->napplied].source = d->source;
	a->of[a->napplied].unchanged = how == NULL;
	a->applied[a->napplied++] = got;
	return 0;
}

/* Say the lines -v collected during a step, one report_info each. */
static void say_lines(struct apply *a)
{
	const char *p = buf_cstr(&a->said), *nl;

	while ((nl = strchr(p, '\n')) != NULL) {
		report_info(a->run->report, "  %.*s", (int)(nl - p), p);
		p = nl + 1;
	}
	buf_reset(&a->said);
}

/* Delete what the stack's label selects and the set no longer holds, last rank first. */
static int prune(struct apply *a, struct err *err)
{
	size_t i, n = 0;
	int rank;

	for (i = 0; i < a->nlisted; i++)
		if (!a->listed[i].applied && !a->listed[i].owned)
			n++;
	if (n == 0)
		return 0;
	report_step(a->run->report, "prune %zu object%s stack '%s' no longer declares", n,
	            n == 1 ? "" : "s", a->run->stack->name);
	for (rank = APPLY_RANKS - 1; rank >= 0; rank--) {
		for (i = 0; i < a->nlisted; i++) {
			const struct listed *l = &a->listed[i];
			const struct kube_resource *r;
			char what[512];

			if (l->applied || l->owned || apply_rank(l->id.kind) != rank)
				continue;
			snprintf(what, sizeof(what), "%s/%s%s%s", l->id.kind, l->id.name,
			         *l->id.ns ? " in namespace " : "", l->id.ns);
			if (kube_resource(a->k, l->api_version, l->id.kind, &r, err) < 0 ||
			    kube_delete(a->k, r, *l->id.ns ? l->id.ns : NULL, l->id.name,
			                "Background", NULL, err) < 0)
				return err_wrap(err, "prune %s", what);
			if (unjournal(a, &l->id, err) < 0)
				return -1;
			if (a->run->verbose)
				buf_addf(&a->said, "pruned %s\n", what);
		}
	}
	report_done(a->run->report, "deleted");
	say_lines(a);
	return 0;
}

static void apply_release(struct apply *a)
{
	size_t i;

	for (i = 0; i < a->nlisted; i++) {
		ident_release(&a->listed[i].id);
		free(a->listed[i].api_version);
		free(a->listed[i].rv);
	}
	free(a->listed);
	for (i = 0; i < a->napplied; i++)
		doc_free(a->applied[i]);
	free(a->applied);
	free(a->of);
	buf_release(&a->said);
	kube_close(a->k);
	cluster_release(&a->c);
}

int apply_step(struct run *run, struct err *err)
{
	const struct stack *stack = run->stack;
	struct render_out out = {0};
	struct apply a = {0};
	char lb[IPV4_STRLEN], summary[128];
	size_t i;
	int rc = -1, crds_waited = 0, left;

	a.run = run;
	a.said = (struct buf)BUF_INIT(1u << 20);
	/* The cluster before the remote manifests: one not set up yet is
	 * said at once, without a download. */
	if (render_stack(stack, run->state, &out, err) < 0 ||
	    cluster_connect(run, &a.c, &a.k, err) < 0 || apply_remote(run, &out, err) < 0)
		goto out;
	apply_sort(&out);
	a.ns = a.c.target.namespace && *a.c.target.namespace ? a.c.target.namespace : "default";
	report_step(run->report, "apply %zu object%s to %s (%s)", out.n, out.n == 1 ? "" : "s",
	            a.c.context, kube_server(a.k));
	if (list_stack(&a, err) < 0)
		goto out;
	if (check_foreign(&a, &out, err) < 0)
		goto out;
	a.deadline = mono_now() + stack->cluster.timeout;
	for (i = 0; i < out.n; i++) {
		if (!crds_waited && apply_rank(str_at(out.v[i].doc, "kind")) > 1) {
			crds_waited = 1;
			if (wait_crds(&a, err) < 0)
				goto out;
		}
		if (apply_one(&a, &out.v[i], err) < 0)
			goto out;
	}
	snprintf(summary, sizeof(summary), "%d created, %d changed, %d unchanged", a.created,
	         a.changed, a.unchanged);
	report_done(run->report, summary);
	say_lines(&a);
	if (prune(&a, err) < 0)
		goto out;
	/* The rollouts get what the CRDs left of cluster.timeout (at least 1 s). */
	left = (int)(a.deadline - mono_now() + 0.999);
	rc = rollout_wait(a.k, (const struct doc_node *const *)a.applied, a.napplied, a.ns,
	                  a.c.in_vm ? ipv4_format(stack->vm.lb_address, lb) : NULL,
	                  left < 1 ? 1 : left, run->report, err);
out:
	apply_release(&a);
	render_out_release(&out);
	return rc;
}

/* ---- teardown --------------------------------------------------------- */

struct kube_handle {
	struct cluster c;
	struct kube *k;
};

static int kube_backend_open(struct run *run, void **handle, struct err *err)
{
	struct kube_handle *h = xcalloc(1, sizeof(*h));

	if (cluster_connect(run, &h->c, &h->k, err) < 0) {
		cluster_release(&h->c);
		free(h);
		return -1;
	}
	*handle = h;
	return 0;
}

static void kube_backend_close(void *handle)
{
	struct kube_handle *h = handle;

	if (h == NULL)
		return;
	kube_close(h->k);
	cluster_release(&h->c);
	free(h);
}

static const struct teardown_backend kube_backend = {"kube", kube_backend_open, kube_backend_close};

static int kube_remove(struct run *run, void *handle, const struct journal_entry *e,
                       struct err *err)
{
	struct kube_handle *h = handle;
	const struct kube_resource *r;
	char *f[6] = {journal_get(e, "cluster"),   journal_get(e, "group"),
	              journal_get(e, "version"),   journal_get(e, "kind"),
	              journal_get(e, "namespace"), journal_get(e, "name")};
	char *server = journal_get(e, "server");
	char *api = NULL;
	int i, rc = -1;

	(void)run;
	for (i = 0; i < 6; i++)
		if (f[i] == NULL) {
			err_setk(err, ERRK_INVALID, "journal entry 'kube %s' has no field '%s'",
			         e->name,
			         (const char *[]){"cluster", "group", "version", "kind",
			                          "namespace", "name"}[i]);
			goto out;
		}
	if (strcmp(f[0], h->c.context) != 0) {
		err_setk(
		    err, ERRK_INVALID,
		    "%s/%s was applied to cluster '%s', but the stack's cluster is now '%s' "
		    "(%s): point cluster.kubeconfig and cluster.context back at it to remove it",
		    f[3], f[5], f[0], h->c.context, h->c.kubeconfig);
		goto out;
	}
	/* An older journal has no server: the context alone is all it says. */
	if (server && strcmp(server, kube_server(h->k)) != 0) {
		err_setk(err, ERRK_INVALID,
		         "%s/%s was applied to %s, but context '%s' (%s) now points at %s: "
		         "point cluster.kubeconfig and cluster.context at %s again to remove "
		         "it there",
		         f[3], f[5], server, f[0], h->c.kubeconfig, kube_server(h->k), server);
		goto out;
	}
	api = *f[1] ? xasprintf("%s/%s", f[1], f[2]) : xstrdup(f[2]);
	if (kube_resource(h->k, api, f[3], &r, err) < 0) {
		/* The kind itself is gone (its CRD deleted): so is the object. */
		rc = err->kind == ERRK_NOTFOUND ? 0 : -1;
		if (rc == 0)
			err_clear(err);
		goto out;
	}
	rc = kube_delete(h->k, r, *f[4] ? f[4] : NULL, f[5], "Background", NULL, err);
out:
	for (i = 0; i < 6; i++)
		free(f[i]);
	free(server);
	free(api);
	return rc;
}

static const struct teardown_kind kube_kind = {"kube", &kube_backend, kube_remove};

int apply_kinds(struct err *err)
{
	return teardown_register(&kube_kind, err);
}
