/*
 * apply: the apply step (and `ftboot apply`). It renders the stack's
 * templates (render.h), adds the stack's pinned remote manifests, and
 * puts every object into the stack's cluster (cluster.h):
 *
 * 1. Remote manifests: each `manifests: [{url, sha256}]` entry of the
 *    stack is downloaded into the cache (<cache>/manifests/SHA256.yaml),
 *    refused on a digest mismatch, parsed, and labelled as the stack's,
 *    like the rendered ones.
 * 2. Order: stable, by apply_rank (namespaces, CRDs, service accounts and
 *    RBAC, config maps and secrets, storage, services, workloads, the
 *    rest). Before the first object of a rank after CRDs, every CRD the
 *    stack applied is waited for until it is Established (bounded), and
 *    discovery is refreshed.
 * 3. Before the first apply, each object the stack's labelled objects do
 *    not hold is looked up: one that exists without the label
 *    ftboot/stack=<stack> (someone else's) is refused, ERRK_EXISTS, naming
 *    it, and nothing is applied. Then server-side apply of each object
 *    over one client (kube_apply). For
 *    an external cluster each object is journaled first ("kube": name
 *    CONTEXT/GROUP/VERSION/KIND/NAMESPACE/NAME, fields cluster, server,
 *    group, version, kind, namespace, name; `down` refuses an entry whose
 *    server is not the context's now; a name over the journal's 255 bytes
 *    keeps its start, "~" and the SHA-256 of the whole), so `down`
 *    deletes exactly those; the VM's cluster's objects go with the VM and
 *    are not journaled. The step's line ends with how many objects were
 *    created (new to the stack's label), changed (another
 *    resourceVersion than listed before) and unchanged.
 * 4. Prune: for every listable kind of discovery, the objects labelled
 *    ftboot/stack=<stack> (label selector, paged) that the set does not
 *    hold are deleted (and dropped from the journal). Never anything
 *    without the stack's label.
 * 5. Wait (rollout.h) with the stack's cluster.timeout.
 */
#ifndef FTBOOT_APPLY_H
#define FTBOOT_APPLY_H

#include "buf.h"
#include "doc.h"
#include "err.h"
#include "render.h"
#include "step.h"

/* The apply step (step.h). */
int apply_step(struct run *run, struct err *err);

/*
 * The apply step's status: pods (ready containers, restarts, phase or
 * waiting reason), services (type, cluster IP, external address, ports)
 * and the URL of each port of a LoadBalancer service (scheme from the
 * port's name: http, https, ssh, ftp; else tcp). A cluster that does not
 * answer is said, not an error. JSON: {"pods": [...], "services": [...]}.
 */
int apply_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err);

/* Register the "kube" kind (backend "kube": cluster_connect) for teardown. */
int apply_kinds(struct err *err);

/* The rank of kind in apply order: 0 first (Namespace) ... 7 (anything else). */
int apply_rank(const char *kind);

/*
 * Sort out's documents by apply_rank, stably (the rendered order within
 * one rank).
 */
void apply_sort(struct render_out *out);

/*
 * Add the stack's remote manifests to out (downloaded or from the cache,
 * verified, labelled). Their source is the URL.
 */
int apply_remote(const struct run *run, struct render_out *out, struct err *err);

#endif
