/*
 * rollout: waiting until applied objects are really up, and saying why
 * when they are not.
 *
 * What ready means, per kind (kubectl's rollout status rules):
 *   Deployment   metadata.generation <= status.observedGeneration, its
 *                Progressing condition's reason is not
 *                ProgressDeadlineExceeded (that is a failure at once),
 *                updatedReplicas >= spec.replicas (default 1),
 *                status.replicas <= updatedReplicas, availableReplicas >=
 *                updatedReplicas
 *   StatefulSet  observedGeneration (not 0) caught up, readyReplicas >=
 *                spec.replicas; with RollingUpdate, updatedReplicas >=
 *                spec.replicas - partition, or without a rollingUpdate
 *                block currentRevision == updateRevision; with OnDelete
 *                ready pods are enough (kubectl cannot tell)
 *   DaemonSet    observedGeneration caught up, updatedNumberScheduled
 *                (RollingUpdate only) and numberAvailable >=
 *                desiredNumberScheduled
 *   PersistentVolumeClaim  status.phase Bound (Lost is a failure)
 *   Service      type LoadBalancer only: an ingress IP set, and equal to
 *                the stack's LB address when one is given (another
 *                address is a failure, naming both); without one, a
 *                hostname-only ingress (a cloud's LB) is an address too
 *   anything else: ready once applied.
 */
#ifndef FTBOOT_ROLLOUT_H
#define FTBOOT_ROLLOUT_H

#include <stddef.h>

#include "doc.h"
#include "err.h"
#include "kube.h"
#include "report.h"

/* Whether obj (as the API returns it) is ready. */
enum rollout_state { ROLLOUT_WAITING, ROLLOUT_READY, ROLLOUT_FAILED };

/*
 * The state of obj by the rules above; why (size bytes) says what is
 * missing or wrong in a few words ("1 of 2 updated replicas available",
 * "no ingress IP yet", "progress deadline exceeded"). lb_address is the
 * stack's LB address ("192.168.61.10") or NULL: any address.
 */
enum rollout_state rollout_check(const struct doc_node *obj, const char *lb_address, char *why,
                                 size_t size);

/* 1 if objects of kind are waited for (the kinds above). */
int rollout_waits_for(const char *kind);

/*
 * Wait until every object of objs (applied manifests: apiVersion, kind,
 * metadata.name, metadata.namespace) that rollout_waits_for is ready:
 * for each kind, list it once, then watch it (kube_watch, from the
 * list's resourceVersion; listed again on 410 Gone), until every object
 * is ready, one fails, or timeout_s pass. ns is the namespace of objects
 * without one. A live summary through r ("3/7 ready; waiting for
 * Deployment/wordpress: 0 of 1 updated replicas available"), updated on
 * each change (report_task_update). On a failure or the deadline: -1
 * naming every object not ready and why, and for a workload its pods'
 * waiting reasons (ErrImagePull, CrashLoopBackOff with the last
 * termination, Pending with the scheduler's message) and their last 5
 * events (rollout_diagnose).
 */
int rollout_wait(struct kube *k, const struct doc_node *const *objs, size_t n, const char *ns,
                 const char *lb_address, int timeout_s, const struct report *r, struct err *err);

/*
 * Append to err, for the workload obj (Deployment, StatefulSet,
 * DaemonSet), what its pods say: found by the workload's
 * spec.selector.matchLabels, each pod's phase, its containers' waiting
 * or terminated reasons and messages, the PodScheduled condition's
 * message when Pending, and the pod's last 5 events (fieldSelector
 * involvedObject.name=POD). Best effort: a failing request is said in
 * err, not returned.
 */
void rollout_diagnose(struct kube *k, const struct doc_node *obj, const char *ns, struct err *err);

/*
 * A workload's spec.selector.matchLabels as a label selector
 * ("app=web,tier=front"), or NULL when it has none. A new string.
 */
char *rollout_selector(const struct doc_node *obj);

/*
 * Items of lists, kept (cloned): rollout_collect is a kube_item_fn that
 * keeps at most max of them in v (0: none) and counts all in total.
 */
struct rollout_items {
	struct doc_node **v;
	size_t n, cap;
	size_t total, max;
};
int rollout_collect(void *ctx, const struct doc_node *item, struct err *err);
void rollout_items_release(struct rollout_items *it);

#endif
