/*
 * Unit tests: rollout_check and rollout_waits_for (rollout.h): each of
 * kubectl's rollout rules and their edges, over objects as the API
 * server returns them.
 */
#include <stdlib.h>
#include <string.h>

#include "rollout.h"
#include "tap.h"

static char why[256];

/* The state of the object in json (the why in `why`). */
static enum rollout_state check(const char *json, const char *lb)
{
	struct doc_node *obj = NULL;
	struct err err = {0};
	enum rollout_state st;

	if (doc_parse_json("test", json, strlen(json), &obj, &err) < 0) {
		diag("bad test JSON: %s", err.msg);
		exit(1);
	}
	st = rollout_check(obj, lb, why, sizeof(why));
	doc_free(obj);
	return st;
}

#define is_state(json, lb, want_st, want_why, name)                                                \
	do {                                                                                       \
		is_int(check(json, lb), want_st, "%s: state", name);                               \
		is_str(why, want_why, "%s: why", name);                                            \
	} while (0)

#define DEP(gen, spec, status)                                                                     \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\","      \
	"\"generation\":" gen "},\"spec\":{" spec "},\"status\":{" status "}}"

static void deployments(void)
{
	is_state(DEP("2", "\"replicas\":1",
	             "\"observedGeneration\":1,\"replicas\":1,"
	             "\"updatedReplicas\":1,\"availableReplicas\":1"),
	         NULL, ROLLOUT_WAITING, "spec update not observed yet",
	         "deployment: generation ahead of observedGeneration");
	is_state(DEP("1", "\"replicas\":1", ""), NULL, ROLLOUT_WAITING,
	         "spec update not observed yet", "deployment: no status yet");
	is_state(DEP("3", "\"replicas\":2",
	             "\"observedGeneration\":3,\"replicas\":2,\"updatedReplicas\":2,"
	             "\"availableReplicas\":2"),
	         NULL, ROLLOUT_READY, "rolled out, 2 of 2 replicas available",
	         "deployment: rolled out");
	is_state(DEP("3", "\"replicas\":3",
	             "\"observedGeneration\":3,\"replicas\":3,\"updatedReplicas\":1,"
	             "\"availableReplicas\":3"),
	         NULL, ROLLOUT_WAITING, "1 of 3 replicas updated",
	         "deployment: replicas not updated");
	is_state(DEP("3", "\"replicas\":2",
	             "\"observedGeneration\":3,\"replicas\":3,\"updatedReplicas\":2,"
	             "\"availableReplicas\":2"),
	         NULL, ROLLOUT_WAITING, "1 old replicas pending termination",
	         "deployment: an old replica is still there");
	is_state(DEP("3", "\"replicas\":2",
	             "\"observedGeneration\":3,\"replicas\":2,\"updatedReplicas\":2,"
	             "\"availableReplicas\":1"),
	         NULL, ROLLOUT_WAITING, "1 of 2 updated replicas available",
	         "deployment: one updated replica not available");
	/* spec.replicas left out: the API's default, 1. */
	is_state(DEP("1", "\"paused\":false", "\"observedGeneration\":1"), NULL, ROLLOUT_WAITING,
	         "0 of 1 replicas updated", "deployment: replicas default to 1");
	is_state(DEP("1", "\"paused\":false",
	             "\"observedGeneration\":1,\"replicas\":1,\"updatedReplicas\":1,"
	             "\"availableReplicas\":1"),
	         NULL, ROLLOUT_READY, "rolled out, 1 of 1 replicas available",
	         "deployment: default 1 replica, rolled out");
	is_state(DEP("4", "\"replicas\":0", "\"observedGeneration\":4"), NULL, ROLLOUT_READY,
	         "rolled out, 0 of 0 replicas available", "deployment: 0 replicas is rolled out");
	is_state(
	    DEP("2", "\"replicas\":1",
	        "\"observedGeneration\":2,\"conditions\":[{\"type\":\"Available\","
	        "\"status\":\"False\"},{\"type\":\"Progressing\",\"status\":\"False\","
	        "\"reason\":\"ProgressDeadlineExceeded\",\"message\":\"ReplicaSet "
	        "\\\"web-5d8f\\\" has timed out progressing.\\u001b[31m\"}]"),
	    NULL, ROLLOUT_FAILED,
	    "progress deadline exceeded (ProgressDeadlineExceeded): ReplicaSet \"web-5d8f\" has "
	    "timed out progressing. [31m",
	    "deployment: ProgressDeadlineExceeded is a failure, its message cleaned");
	is_state(
	    DEP("2", "\"replicas\":1",
	        "\"observedGeneration\":2,\"conditions\":[{\"type\":\"Progressing\","
	        "\"reason\":\"ProgressDeadlineExceeded\",\"message\":\"a\\u009b31mb\\t\u00e9\"}]"),
	    NULL, ROLLOUT_FAILED,
	    "progress deadline exceeded (ProgressDeadlineExceeded): a?31mb \xc3\xa9",
	    "deployment: a C1 control (CSI) in the message is '?', a tab a space, UTF-8 kept");
	/* kubectl: a deadline of an older generation is not this rollout's. */
	is_state(DEP("3", "\"replicas\":1",
	             "\"observedGeneration\":2,\"conditions\":[{\"type\":\"Progressing\","
	             "\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\"}]"),
	         NULL, ROLLOUT_WAITING, "spec update not observed yet",
	         "deployment: an old generation's deadline is not a failure");
	is_state(DEP("2", "\"replicas\":1",
	             "\"observedGeneration\":2,\"replicas\":1,\"updatedReplicas\":1,"
	             "\"availableReplicas\":1,\"conditions\":[{\"type\":\"Progressing\","
	             "\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]"),
	         NULL, ROLLOUT_READY, "rolled out, 1 of 1 replicas available",
	         "deployment: Progressing True is fine");
	/* A huge message in UTF-8: cut at a character boundary, marked, not overrun. */
	{
		size_t n = 100000, i, len = 0;
		char *json = malloc(n * 2 + 512), *msg = malloc(n * 2 + 1);

		for (i = 0; i < n; i++)
			len += (size_t)snprintf(msg + len, 3, "\xc3\xa9");
		snprintf(json, n * 2 + 512,
		         DEP("1", "\"replicas\":1",
		             "\"observedGeneration\":1,\"conditions\":[{\"type\":\"Progressing\","
		             "\"reason\":\"ProgressDeadlineExceeded\",\"message\":\"%s\"}]"),
		         msg);
		is_int(check(json, NULL), ROLLOUT_FAILED, "deadline with a 200 KB message");
		len = strlen(why);
		ok(len < sizeof(why) && strcmp(why + len - 5, "\xc3\xa9...") == 0,
		   "its message is cut at a character boundary and marked (%zu bytes)", len);
		ok(strncmp(why, "progress deadline exceeded (ProgressDeadlineExceeded): \xc3\xa9",
		           57) == 0,
		   "after the reason");
		free(json);
		free(msg);
	}
	/* A number where a string is, or the reverse: not a crash, not ready. */
	is_state(DEP("\"x\"", "\"replicas\":\"2\"", "\"observedGeneration\":[1]"), NULL,
	         ROLLOUT_WAITING, "0 of 1 replicas updated",
	         "deployment: fields of the wrong type");
}

#define STS(spec, status)                                                                          \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"db\","      \
	"\"generation\":2},\"spec\":{" spec "},\"status\":{" status "}}"

static void statefulsets(void)
{
	is_state(STS("\"replicas\":1", ""), NULL, ROLLOUT_WAITING, "spec update not observed yet",
	         "statefulset: observedGeneration 0");
	is_state(STS("\"replicas\":1", "\"observedGeneration\":1,\"readyReplicas\":1"), NULL,
	         ROLLOUT_WAITING, "spec update not observed yet",
	         "statefulset: generation ahead of observedGeneration");
	is_state(STS("\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\","
	             "\"rollingUpdate\":{\"partition\":0}}",
	             "\"observedGeneration\":2,\"readyReplicas\":2,\"updatedReplicas\":3"),
	         NULL, ROLLOUT_WAITING, "2 of 3 pods ready", "statefulset: pods not ready");
	is_state(STS("\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\","
	             "\"rollingUpdate\":{\"partition\":0}}",
	             "\"observedGeneration\":2,\"readyReplicas\":3,\"updatedReplicas\":2"),
	         NULL, ROLLOUT_WAITING, "2 of 3 pods updated", "statefulset: pods not updated");
	is_state(STS("\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\","
	             "\"rollingUpdate\":{\"partition\":2}}",
	             "\"observedGeneration\":2,\"readyReplicas\":3,\"updatedReplicas\":1"),
	         NULL, ROLLOUT_READY, "rolled out, 1 pods updated",
	         "statefulset: the partition's pods are enough");
	is_state(STS("\"replicas\":1,\"updateStrategy\":{\"type\":\"RollingUpdate\"}",
	             "\"observedGeneration\":2,\"readyReplicas\":1,\"updatedReplicas\":1,"
	             "\"currentRevision\":\"db-1\",\"updateRevision\":\"db-2\""),
	         NULL, ROLLOUT_WAITING, "rolling update: 1 pods at revision db-2",
	         "statefulset: without rollingUpdate, revisions must match");
	is_state(STS("\"replicas\":1",
	             "\"observedGeneration\":2,\"readyReplicas\":1,\"updatedReplicas\":1,"
	             "\"currentRevision\":\"db-2\",\"updateRevision\":\"db-2\""),
	         NULL, ROLLOUT_READY, "rolled out, 1 pods ready",
	         "statefulset: strategy left out is RollingUpdate, revisions match");
	is_state(STS("\"updateStrategy\":{\"type\":\"OnDelete\"}",
	             "\"observedGeneration\":2,\"readyReplicas\":1,\"updatedReplicas\":0,"
	             "\"currentRevision\":\"db-1\",\"updateRevision\":\"db-2\""),
	         NULL, ROLLOUT_READY, "1 pods ready (OnDelete: pods update when deleted)",
	         "statefulset: OnDelete, default 1 replica, ready pods are enough");
	is_state(STS("\"updateStrategy\":{\"type\":\"OnDelete\"}",
	             "\"observedGeneration\":2,\"readyReplicas\":0"),
	         NULL, ROLLOUT_WAITING, "0 of 1 pods ready",
	         "statefulset: OnDelete, pod not ready");
	is_state(STS("\"replicas\":0", "\"observedGeneration\":2"), NULL, ROLLOUT_READY,
	         "rolled out, 0 pods ready", "statefulset: 0 replicas");
}

#define DS(strategy, status)                                                                       \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"agent\","     \
	"\"generation\":5},\"spec\":{" strategy "},\"status\":{" status "}}"

static void daemonsets(void)
{
	is_state(DS("", "\"observedGeneration\":4,\"desiredNumberScheduled\":1,"
	                "\"updatedNumberScheduled\":1,\"numberAvailable\":1"),
	         NULL, ROLLOUT_WAITING, "spec update not observed yet",
	         "daemonset: generation ahead of observedGeneration");
	is_state(DS("", "\"observedGeneration\":5,\"desiredNumberScheduled\":3,"
	                "\"updatedNumberScheduled\":2,\"numberAvailable\":3"),
	         NULL, ROLLOUT_WAITING, "2 of 3 pods updated", "daemonset: pods not updated");
	is_state(DS("", "\"observedGeneration\":5,\"desiredNumberScheduled\":3,"
	                "\"updatedNumberScheduled\":3,\"numberAvailable\":2"),
	         NULL, ROLLOUT_WAITING, "2 of 3 pods available", "daemonset: pods not available");
	is_state(DS("\"updateStrategy\":{\"type\":\"RollingUpdate\"}",
	            "\"observedGeneration\":5,\"desiredNumberScheduled\":3,"
	            "\"updatedNumberScheduled\":3,\"numberAvailable\":3"),
	         NULL, ROLLOUT_READY, "rolled out, 3 of 3 pods available", "daemonset: rolled out");
	is_state(DS("\"updateStrategy\":{\"type\":\"OnDelete\"}",
	            "\"observedGeneration\":5,\"desiredNumberScheduled\":3,"
	            "\"updatedNumberScheduled\":0,\"numberAvailable\":3"),
	         NULL, ROLLOUT_READY, "rolled out, 3 of 3 pods available",
	         "daemonset: OnDelete needs available pods only");
	is_state(DS("", "\"observedGeneration\":5,\"desiredNumberScheduled\":0"), NULL,
	         ROLLOUT_READY, "rolled out, 0 of 0 pods available",
	         "daemonset: no node to run on is rolled out");
}

#define PVC(status)                                                                                \
	"{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":"        \
	"\"data\"},\"status\":{" status "}}"

static void claims(void)
{
	is_state(PVC("\"phase\":\"Pending\""), NULL, ROLLOUT_WAITING,
	         "not bound yet (phase Pending)", "pvc: Pending");
	is_state(PVC(""), NULL, ROLLOUT_WAITING, "not bound yet (phase unknown)", "pvc: no phase");
	is_state(PVC("\"phase\":\"Bound\""), NULL, ROLLOUT_READY, "bound", "pvc: Bound");
	is_state(PVC("\"phase\":\"Lost\""), NULL, ROLLOUT_FAILED, "its volume is lost (phase Lost)",
	         "pvc: Lost is a failure");
}

#define SVC(type, ingress)                                                                         \
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"lb\"},\"spec\":"     \
	"{" type "},\"status\":{\"loadBalancer\":{" ingress "}}}"
#define LB "\"type\":\"LoadBalancer\""

static void services(void)
{
	is_state(SVC(LB, ""), NULL, ROLLOUT_WAITING, "no ingress IP yet", "lb: no ingress");
	is_state(SVC(LB, "\"ingress\":[]"), "192.168.61.10", ROLLOUT_WAITING, "no ingress IP yet",
	         "lb: empty ingress");
	is_state(SVC(LB, "\"ingress\":[{\"ip\":\"192.168.61.10\"}]"), NULL, ROLLOUT_READY,
	         "ingress IP 192.168.61.10", "lb: any IP without a stack address");
	is_state(SVC(LB, "\"ingress\":[{\"ip\":\"192.168.61.10\"}]"), "192.168.61.10",
	         ROLLOUT_READY, "ingress IP 192.168.61.10", "lb: the stack's IP");
	is_state(SVC(LB, "\"ingress\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"192.168.61.10\"}]"),
	         "192.168.61.10", ROLLOUT_READY, "ingress IP 192.168.61.10",
	         "lb: the stack's IP among others");
	is_state(SVC(LB, "\"ingress\":[{\"ip\":\"10.0.0.1\"}]"), "192.168.61.10", ROLLOUT_FAILED,
	         "ingress IP 10.0.0.1 is not the stack's LB address 192.168.61.10 (is another LB "
	         "controller or pool handing out addresses?)",
	         "lb: the wrong IP fails, naming both");
	is_state(SVC(LB, "\"ingress\":[{\"hostname\":\"lb.example.com\"}]"), NULL, ROLLOUT_READY,
	         "ingress hostname lb.example.com", "lb: a hostname only, any address");
	is_state(SVC(LB, "\"ingress\":[{\"hostname\":\"lb.example.com\"}]"), "192.168.61.10",
	         ROLLOUT_FAILED,
	         "ingress hostname lb.example.com, not the stack's LB address "
	         "192.168.61.10",
	         "lb: a hostname only is not the stack's IP");
	is_state(SVC(LB, "\"ingress\":[{\"ip\":\"\"}]"), NULL, ROLLOUT_WAITING, "no ingress IP yet",
	         "lb: an empty IP is none");
	is_state(SVC(LB, "\"ingress\":[{\"ip\":\"10.0.0.1\\u0007\"}]"), "192.168.61.10",
	         ROLLOUT_FAILED,
	         "ingress IP 10.0.0.1? is not the stack's LB address 192.168.61.10 (is another LB "
	         "controller or pool handing out addresses?)",
	         "lb: a control character in the IP is shown safely");
	is_state(SVC("\"type\":\"ClusterIP\"", ""), "192.168.61.10", ROLLOUT_READY,
	         "type ClusterIP: no address to wait for", "ClusterIP: not waited for");
	is_state(SVC("\"clusterIP\":\"10.43.0.5\"", ""), NULL, ROLLOUT_READY,
	         "type ClusterIP: no address to wait for", "type left out: ClusterIP");
	is_state(SVC("\"type\":\"NodePort\"", ""), NULL, ROLLOUT_READY,
	         "type NodePort: no address to wait for", "NodePort: not waited for");
}

static void others(void)
{
	is_state("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"}}",
	         NULL, ROLLOUT_READY, "applied", "ConfigMap: ready once applied");
	is_state("{\"metadata\":{\"name\":\"c\"}}", NULL, ROLLOUT_READY, "applied",
	         "no kind: ready once applied");
	is_state("[]", NULL, ROLLOUT_READY, "applied", "not even a map");
	ok(rollout_waits_for("Deployment") && rollout_waits_for("StatefulSet") &&
	       rollout_waits_for("DaemonSet") && rollout_waits_for("PersistentVolumeClaim") &&
	       rollout_waits_for("Service"),
	   "the five kinds are waited for");
	ok(!rollout_waits_for("ConfigMap") && !rollout_waits_for("deployment") &&
	       !rollout_waits_for("") && !rollout_waits_for(NULL),
	   "other kinds (and case) are not");
	/* A short why buffer is cut, not overrun; size 0 writes nothing. */
	{
		char small[8] = "xxxxxxx", none[1] = {'z'};
		struct doc_node *o = NULL;
		struct err err = {0};
		const char *j = PVC("\"phase\":\"Pending\"");

		doc_parse_json("t", j, strlen(j), &o, &err);
		is_int(rollout_check(o, NULL, small, sizeof(small)), ROLLOUT_WAITING,
		       "short buffer");
		is_str(small, "not ...", "short buffer: cut and marked");
		is_int(rollout_check(o, NULL, none, 0), ROLLOUT_WAITING, "size 0");
		ok(none[0] == 'z', "size 0: nothing written");
		doc_free(o);
	}
}

int main(void)
{
	deployments();
	statefulsets();
	daemonsets();
	claims();
	services();
	others();
	return tap_done();
}
