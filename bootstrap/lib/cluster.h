/*
 * cluster: which Kubernetes cluster the stack is applied to, how ftboot
 * reaches it, and the provision step's cluster part.
 *
 * - The VM's own cluster (k3s), by default. The provision step waits,
 *   with the profile's cluster.timeout, for the kubeconfig the cluster
 *   writes in the VM (the profile's cluster.kubeconfig,
 *   /etc/rancher/k3s/k3s.yaml for k3s), fetches it over the pinned SSH,
 *   points its server at https://VM_ADDRESS:PORT, keeps it 0600 at
 *   <state>/kubeconfig (cluster, user and context "ftboot-<stack>"), then
 *   waits for GET /readyz over TLS verified against the cluster's CA. On
 *   timeout it says what it waited for and what the VM reports (the
 *   profile's cluster.status command, run as root over SSH). Unless the
 *   stack says `cluster: {merge: false}`, the context is then merged into
 *   the user's kubeconfig (kubeconfig_merge), journaled as a
 *   "kubecontext" resource (name: the context, fields path, previous),
 *   so `down` removes it again.
 * - Or the stack's `cluster: {kubeconfig: PATH, context: NAME}`: that
 *   cluster as it is. The vm step is skipped; so is the VM's engine
 *   (provision checks the cluster's readiness only).
 */
#ifndef FTBOOT_CLUSTER_H
#define FTBOOT_CLUSTER_H

#include "buf.h"
#include "doc.h"
#include "err.h"
#include "kube.h"
#include "kubeconfig.h"
#include "step.h"

struct cluster {
	struct kube_target target;
	char *kubeconfig; /* the file read: <state>/kubeconfig or the stack's */
	char *context;    /* "ftboot-<stack>" for the VM's cluster, else the one used */
	int in_vm;        /* the VM's own cluster: its objects go with the VM */
};

/* 1 if the stack names a cluster of its own (stack's cluster.kubeconfig). */
int cluster_external(const struct stack *stack);

/* "ftboot-<stack>": the VM cluster's context, cluster and user name. A new string. */
char *cluster_context_name(const struct stack *stack);

/* <state>/kubeconfig: the VM cluster's kubeconfig in the state. A new string. */
char *cluster_state_kubeconfig(const struct state *state);

/*
 * Resolve the stack's cluster into *c: read the stack's kubeconfig and
 * context, or the state's. The VM's cluster before provision has run:
 * ERRK_NOTFOUND, "the cluster of stack 'ft' is not set up yet (ftboot up
 * --until provision)". Release with cluster_release, also on failure.
 */
int cluster_resolve(const struct run *run, struct cluster *c, struct err *err);
void cluster_release(struct cluster *c);

/* cluster_resolve, then kube_open: a client for the stack's cluster. */
int cluster_connect(const struct run *run, struct cluster *c, struct kube **k, struct err *err);

/* The provision step: the VM's engine (engine.h) and then its cluster, or the external cluster. */
int provision_step(struct run *run, struct err *err);

/* The provision step's status: the engine's (engine_status) and the cluster's (below). */
int provision_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err);

/*
 * The cluster's part of status: its server, whether /readyz answers (a
 * request bounded to 2 s) and the version, the kubeconfig and the merged
 * context. Not answering is said, not an error.
 */
int cluster_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err);

/* Register "kubecontext" (a context merged into a user's kubeconfig) for teardown. */
int cluster_kinds(struct err *err);

#endif
