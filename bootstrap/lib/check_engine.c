/*
 * check_engine: the check kinds that talk to the stack's container
 * engine (check.h): images (E2: each service's image is in the engine,
 * built by ftboot build), restart (E12: kill a process through exec, the
 * container comes back and its service answers again, with the time it
 * took) and persistence (E11: a marker written into a database outlives
 * the kill of its process).
 *
 * A service's container is found by the labels the kubelet's docker
 * runtime (cri-dockerd) puts on it: io.kubernetes.container.name=SVC and
 * io.kubernetes.pod.namespace=NS. A killed container comes back either
 * as a NEW container (the kubelet replaces it: attempt + 1) or as the
 * SAME one restarted (the engine's own restart policy: RestartCount + 1,
 * a new StartedAt): both count as "restarted". When the cluster answers,
 * the pod's restartCount from the Kubernetes API is evidence too.
 *
 *   - id: E12
 *     kind: restart
 *     namespace: default          # optional, the pods' namespace
 *     timeout: 120                # optional, seconds per process
 *     processes:
 *       - {service: nginx, process: sshd, tcp: "${lb_ip}:${port.nginx.ssh}"}
 *       - {service: telegraf, process: telegraf, exec: [telegraf, --version]}
 *   - id: E11
 *     kind: persistence
 *     databases:
 *       - service: mysql
 *         process: mariadbd
 *         data: /var/lib/mysql    # named in the hint
 *         write: [mariadb, -e, "INSERT ... '@MARKER@'"]
 *         ready: [mariadb-admin, ping]
 *         read:  [mariadb, -N, -e, "SELECT ... '@MARKER@'"]
 *         clean: [mariadb, -e, "DROP ..."]        # optional
 *
 * A process is named as the kernel keeps it (/proc/PID/comm, at most 15
 * characters) and every process of that name in the container is killed
 * (nginx's master and workers alike).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "cluster.h"
#include "docker.h"
#include "engine.h"
#include "image.h"
#include "ipv4.h"
#include "mono.h"
#include "text.h"
#include "xmem.h"

#define ENGINE_WAIT_S    120 /* default bound of one process's recovery, seconds */
#define ENGINE_POLL_MS   250
#define ENGINE_EXEC_MS   30000UL
#define ENGINE_OUT_MAX   (64u * 1024)
#define ENGINE_KILL_NONE 3 /* the kill script's status when no process has the name */
#define MARKER           "@MARKER@"

/* ---- validation ------------------------------------------------------------ */

/* n (at what) must be a list of strings, not empty. */
static int v_argv(struct schema *sc, const struct doc_node *n, const char *what)
{
	char w[224];
	size_t i;

	if (n->type != DOC_SEQ || n->n == 0)
		return schema_fail(sc, n, what,
		                   "expected a command as a list of strings, like [mariadb-admin, "
		                   "ping]");
	for (i = 0; i < n->n; i++) {
		snprintf(w, sizeof(w), "%s[%zu]", what, i);
		if (schema_str(sc, n->items[i], w) < 0)
			return -1;
	}
	return 0;
}

/* "A.B.C.D:PORT" into addr and port; -1 if it is not that. */
static int parse_hostport(const char *s, uint32_t *addr, int *port)
{
	const char *colon = strrchr(s, ':');
	char ip[IPV4_STRLEN], *end;
	long p;

	if (!colon || (size_t)(colon - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	if (ipv4_parse(ip, addr) < 0 || colon[1] < '1' || colon[1] > '9')
		return -1;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (*end || errno || p < 1 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

/* The common keys of restart and persistence: namespace and timeout. */
static int v_common(struct schema *sc, const struct doc_node *check, const char *where)
{
	const struct doc_node *n;
	char w[96];
	int t;

	if ((n = doc_map_get(check, "namespace"))) {
		snprintf(w, sizeof(w), "%s.namespace", where);
		if (schema_label(sc, n, w, 63) < 0)
			return -1;
	}
	if ((n = doc_map_get(check, "timeout"))) {
		snprintf(w, sizeof(w), "%s.timeout", where);
		if (schema_int(sc, n, w, 1, 3600, &t) < 0)
			return -1;
	}
	return 0;
}

/*
 * The list at key of check: mappings with service and process, the keys
 * allowed, and the commands among them (argv_keys) valid; with tcp, a
 * HOST:PORT.
 */
static int v_entries(struct schema *sc, const struct doc_node *check, const char *where,
                     const char *key, const char *const *allowed, const char *const *argv_keys)
{
	const struct doc_node *list = doc_map_get(check, key), *n;
	char w[96], w2[160];
	size_t i, j;

	snprintf(w, sizeof(w), "%s.%s", where, key);
	if (!list)
		return schema_fail(sc, check, where, "a check of this kind needs %s: (a list)",
		                   key);
	if (list->type != DOC_SEQ || list->n == 0)
		return schema_fail(sc, list, w, "expected a list of {service, process, ...}");
	for (i = 0; i < list->n; i++) {
		const struct doc_node *e = list->items[i];

		snprintf(w, sizeof(w), "%s.%s[%zu]", where, key, i);
		if (schema_map(sc, e, w) < 0 || schema_keys(sc, e, w, allowed) < 0)
			return -1;
		for (j = 0; j < 2; j++) {
			const char *k = j == 0 ? "service" : "process";

			snprintf(w2, sizeof(w2), "%s.%s", w, k);
			if (!(n = doc_map_get(e, k)))
				return schema_fail(sc, e, w, "an entry needs a %s", k);
			if (schema_str(sc, n, w2) < 0)
				return -1;
		}
		n = doc_map_get(e, "process");
		if (n->len > 15 || strchr(n->text, '/'))
			return schema_fail(
			    sc, n, w2,
			    "a process name as the kernel keeps it (/proc/PID/comm): "
			    "at most 15 characters, no '/'");
		for (j = 0; argv_keys[j]; j++) {
			if (!(n = doc_map_get(e, argv_keys[j])))
				continue;
			snprintf(w2, sizeof(w2), "%s.%s", w, argv_keys[j]);
			if (v_argv(sc, n, w2) < 0)
				return -1;
		}
		if ((n = doc_map_get(e, "tcp"))) {
			uint32_t a;
			int p;

			snprintf(w2, sizeof(w2), "%s.tcp", w);
			if (schema_str(sc, n, w2) < 0)
				return -1;
			if (parse_hostport(n->text, &a, &p) < 0)
				return schema_fail(
				    sc, n, w2,
				    "expected IPV4:PORT, like \"${lb_ip}:${port.nginx.ssh}\"");
		}
		if ((n = doc_map_get(e, "data"))) {
			snprintf(w2, sizeof(w2), "%s.data", w);
			if (schema_str(sc, n, w2) < 0)
				return -1;
		}
	}
	return 0;
}

static int v_restart(struct schema *sc, const struct doc_node *check, const char *where)
{
	static const char *const allowed[] = {"service", "process", "tcp", "exec", NULL};
	static const char *const argv_keys[] = {"exec", NULL};
	const struct doc_node *list;
	size_t i;

	if (v_common(sc, check, where) < 0 ||
	    v_entries(sc, check, where, "processes", allowed, argv_keys) < 0)
		return -1;
	list = doc_map_get(check, "processes");
	for (i = 0; i < list->n; i++) {
		const struct doc_node *e = list->items[i];
		int tcp = doc_map_get(e, "tcp") != NULL, ex = doc_map_get(e, "exec") != NULL;
		char w[96];

		snprintf(w, sizeof(w), "%s.processes[%zu]", where, i);
		if (tcp == ex)
			return schema_fail(sc, e, w,
			                   "an entry says how its service answers again: tcp: "
			                   "IPV4:PORT or exec: [command], one of them");
	}
	return 0;
}

static int v_persistence(struct schema *sc, const struct doc_node *check, const char *where)
{
	static const char *const allowed[] = {"service", "process", "data",  "write",
	                                      "ready",   "read",    "clean", NULL};
	static const char *const argv_keys[] = {"write", "ready", "read", "clean", NULL};
	static const char *const needed[] = {"write", "ready", "read", NULL};
	const struct doc_node *list;
	size_t i, j;

	if (v_common(sc, check, where) < 0 ||
	    v_entries(sc, check, where, "databases", allowed, argv_keys) < 0)
		return -1;
	list = doc_map_get(check, "databases");
	for (i = 0; i < list->n; i++) {
		const struct doc_node *e = list->items[i], *n;
		char w[96];
		int marked = 0;

		snprintf(w, sizeof(w), "%s.databases[%zu]", where, i);
		for (j = 0; needed[j]; j++)
			if (!doc_map_get(e, needed[j]))
				return schema_fail(sc, e, w, "a database needs %s: [command]",
				                   needed[j]);
		n = doc_map_get(e, "write");
		for (j = 0; j < n->n; j++)
			marked |= strstr(n->items[j]->text, MARKER) != NULL;
		snprintf(w, sizeof(w), "%s.databases[%zu].write", where, i);
		if (!marked)
			return schema_fail(sc, n, w,
			                   "the write command must hold " MARKER
			                   " (where the marker goes; the read command's output "
			                   "must show it)");
	}
	return 0;
}

static int v_images(struct schema *sc, const struct doc_node *check, const char *where)
{
	const struct doc_node *n = doc_map_get(check, "services");
	char w[96];
	size_t i;

	if (!n)
		return 0;
	snprintf(w, sizeof(w), "%s.services", where);
	if (n->type != DOC_SEQ)
		return schema_fail(sc, n, w, "expected a list of services, like [nginx, mysql]");
	for (i = 0; i < n->n; i++) {
		char w2[128];

		snprintf(w2, sizeof(w2), "%s[%zu]", w, i);
		if (schema_str(sc, n->items[i], w2) < 0)
			return -1;
	}
	return 0;
}

/* ---- the engine --------------------------------------------------------------- */

/*
 * Connect to the stack's engine into *d: 0, 1 when the check cannot run
 * here (skipped), -1 failed (check_fail called).
 */
static int engine_open(struct check_run *cr, struct docker **d)
{
	const struct stack *st = cr->env->stack;
	struct engine e = {0};
	struct err err = {0};
	int rc;

	*d = NULL;
	if (cluster_external(st) && st->engine.host == NULL) {
		check_skip(cr, "the stack's cluster is its own (cluster.kubeconfig) and the stack "
		               "names no engine: ftboot cannot reach its containers (give the "
		               "stack engine: {host: ...} to run this check)");
		return 1;
	}
	if (engine_resolve(cr->env->run, 0, &e, &err) < 0)
		return check_fail_err(cr, "the stack's container engine", &err,
		                      "is the stack up? (ftboot up; ftboot status)");
	rc = engine_connect(&e, d, &err);
	engine_release(&e);
	if (rc < 0)
		return check_fail_err(cr, "the stack's container engine answering", &err,
		                      "is the stack up? (ftboot up; ftboot status)");
	return 0;
}

/* ms since the monotonic clock's origin. */
static long long now_ms(void)
{
	return (long long)(mono_now() * 1000);
}

/*
 * The running container of svc in ns (the newest if several) into *c,
 * its labels kept: 1 found, 0 none runs, -1 err.
 */
static int find_container(struct docker *d, const char *ns, const char *svc,
                          struct docker_container *c, struct err *err)
{
	char *l1 = xasprintf("io.kubernetes.container.name=%s", svc);
	char *l2 = xasprintf("io.kubernetes.pod.namespace=%s", ns);
	const char *labels[] = {l1, l2, NULL};
	struct docker_container *v = NULL;
	size_t n = 0, i, best = (size_t)-1;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = docker_container_list(d, labels, &v, &n, err);
	free(l1);
	free(l2);
	if (rc < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].state, "running") == 0 &&
		    (best == (size_t)-1 || v[i].created > v[best].created))
			best = i;
	if (best == (size_t)-1) {
		docker_containers_free(v, n);
		return 0;
	}
	*c = v[best];
	memset(&v[best], 0, sizeof(v[best]));
	docker_containers_free(v, n);
	return 1;
}

/* Release a container find_container filled. */
static void container_release(struct docker_container *c)
{
	struct docker_container *v = xmalloc(sizeof(*v));

	*v = *c;
	docker_containers_free(v, 1);
	memset(c, 0, sizeof(*c));
}

/* The first line of b, cut to fit out (for what was seen). */
static const char *first_line(const struct buf *b, char *out, size_t size)
{
	const char *s = buf_cstr(b);
	size_t l = strcspn(s, "\n");

	snprintf(out, size, "%.*s", (int)(l < size ? l : size - 1), s);
	return out;
}

/* argv of n with @MARKER@ replaced by marker (NULL: as it is), NULL-terminated. */
static char **argv_of(const struct doc_node *n, const char *marker)
{
	char **v = xcalloc(n->n + 1, sizeof(char *));
	size_t i;

	for (i = 0; i < n->n; i++) {
		const char *s = n->items[i]->text, *m;
		struct buf b = BUF_INIT(64u * 1024);

		while (marker && (m = strstr(s, MARKER))) {
			buf_add(&b, s, (size_t)(m - s));
			buf_addstr(&b, marker);
			s = m + strlen(MARKER);
		}
		buf_addstr(&b, s);
		v[i] = buf_detach(&b, NULL);
	}
	return v;
}

static void argv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/*
 * Run argv in container id: 0 with *code and its stdout in out (stderr's
 * first line in errline), -1 err.
 */
static int run_in(struct docker *d, const char *id, const char *const *argv, struct buf *out,
                  char *errline, size_t size, int *code, struct err *err)
{
	struct buf eb = BUF_INIT(ENGINE_OUT_MAX);
	int rc;

	buf_reset(out);
	rc = docker_exec(d, id, argv, out, &eb, code, ENGINE_EXEC_MS, err);
	first_line(&eb, errline, size);
	buf_release(&eb);
	return rc;
}

/* ---- kill and recover ------------------------------------------------------------ */

/*
 * Kills every process whose /proc/PID/comm is $1 (the container's own
 * shell, busybox or not: no pkill whose matching differs between
 * procps and busybox), prints how many, ENGINE_KILL_NONE if none.
 */
static const char kill_script[] = "n=0\n"
                                  "for p in /proc/[0-9]*; do\n"
                                  "\t{ read -r c <\"$p/comm\"; } 2>/dev/null || continue\n"
                                  "\t[ \"$c\" = \"$1\" ] || continue\n"
                                  "\tkill -9 \"${p#/proc/}\" 2>/dev/null && n=$((n + 1))\n"
                                  "done\n"
                                  "[ \"$n\" -gt 0 ] || exit 3\n"
                                  "echo \"$n\"\n";

struct target {
	const char *ns, *svc, *process;
	long long deadline; /* ms, now_ms's clock */
};

/*
 * Kill t's process in container c, then wait (until t->deadline) for
 * t's service to run again: a running container of its name that is
 * another one, or c restarted (RestartCount up, or another StartedAt).
 * The container that runs into *now. 0, or -1 failed (check_fail
 * called).
 */
static int kill_and_wait(struct check_run *cr, struct docker *d, const struct target *t,
                         const struct docker_container *c, struct docker_container *now)
{
	const char *argv[] = {"sh", "-c", kill_script, "sh", t->process, NULL};
	struct docker_container_run before = {0}, r = {0};
	struct buf out = BUF_INIT(ENGINE_OUT_MAX);
	char what[160], eline[256], seen[600] = "it did not come back";
	struct err err = {0};
	int code = -1, rc = -1, found;

	memset(now, 0, sizeof(*now));
	snprintf(what, sizeof(what), "%s/%s", t->svc, t->process);
	if (docker_container_inspect(d, c->id, &before, &err) < 0) {
		check_fail_err(cr, "the service's container", &err, NULL);
		goto out;
	}
	if (run_in(d, c->id, argv, &out, eline, sizeof(eline), &code, &err) < 0) {
		/* The container may go down under the exec: its restart says whether it worked. */
		check_evidence(cr,
		               "%s: killed the processes named %s in container %.12s; the exec "
		               "ended early, the container going down with them? (%s)",
		               what, t->process, c->id, err.msg);
		snprintf(seen, sizeof(seen), "it did not come back (the kill's exec: %.500s)",
		         err.msg);
	} else if (code == ENGINE_KILL_NONE) {
		check_fail(cr, "a process to kill", "no process of that name runs in the container",
		           "no process '%s' in the container of %s (%.12s): is the name the one in "
		           "/proc/PID/comm? (the service's entrypoint.sh starts it)",
		           t->process, t->svc, c->id);
		goto out;
	} else if (code != 0) {
		check_evidence(cr, "%s: the kill exited %d (%s)", what, code, eline);
	} else {
		char n[32];

		check_evidence(cr, "%s: killed %s process(es) named %s in container %.12s", what,
		               first_line(&out, n, sizeof(n)), t->process, c->id);
	}
	for (;;) {
		if (check_cancelled(cr)) {
			check_fail(cr, "the service running again",
			           "the run was stopped (--fail-fast)", NULL);
			goto out;
		}
		if ((found = find_container(d, t->ns, t->svc, now, &err)) < 0) {
			check_fail_err(cr, "the service's containers", &err, NULL);
			goto out;
		}
		if (found && strcmp(now->id, c->id) != 0) {
			check_evidence(cr,
			               "%s: a new container %.12s runs (the old one %.12s was "
			               "replaced)",
			               what, now->id, c->id);
			break;
		}
		if (found && docker_container_inspect(d, now->id, &r, &err) == 0) {
			int again = r.running && (r.restarts > before.restarts ||
			                          strcmp(r.started_at, before.started_at) != 0);

			if (again) {
				check_evidence(
				    cr,
				    "%s: container %.12s restarted (RestartCount %lld -> "
				    "%lld)",
				    what, now->id, before.restarts, r.restarts);
				break;
			}
		}
		docker_container_run_release(&r);
		if (found)
			container_release(now);
		if (now_ms() >= t->deadline) {
			check_fail(
			    cr, "the container restarted after its process was killed", seen,
			    "%s did not recover: no container of %s ran again within the "
			    "bound after %s was killed; a PID 1 that exits when a child dies, "
			    "or a liveness probe (R14), makes it restart",
			    what, t->svc, t->process);
			goto out;
		}
		mono_nap(ENGINE_POLL_MS);
	}
	rc = 0;
out:
	if (rc < 0)
		container_release(now);
	docker_container_run_release(&before);
	docker_container_run_release(&r);
	buf_release(&out);
	return rc;
}

/* 0 once IPv4 addr:port takes a TCP connection within ms, -1 otherwise. */
static int tcp_answers(uint32_t addr, int port, int ms)
{
	struct sockaddr_in sa = {0};
	struct pollfd pfd;
	int fd, rc = -1, e = 0;
	socklen_t el = sizeof(e);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		rc = 0;
	} else if (errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 &&
		    e == 0)
			rc = 0;
	}
	close(fd);
	return rc;
}

/*
 * Wait (until deadline) for entry e's probe to pass: tcp HOST:PORT takes
 * a connection, or exec [command] exits 0 in container id. 0, or -1
 * with what it last saw in seen.
 */
static int wait_answer(struct check_run *cr, struct docker *d, const struct doc_node *e,
                       const char *id, long long deadline, char *seen, size_t size)
{
	const struct doc_node *tcp = doc_map_get(e, "tcp"), *ex = doc_map_get(e, "exec");
	char **argv = ex ? argv_of(ex, NULL) : NULL;
	struct buf out = BUF_INIT(ENGINE_OUT_MAX);
	uint32_t addr = 0;
	int port = 0, rc = -1;

	if (tcp)
		parse_hostport(tcp->text, &addr, &port);
	snprintf(seen, size, "no answer");
	while (!check_cancelled(cr)) {
		long long left = deadline - now_ms();

		if (tcp) {
			if (tcp_answers(addr, port,
			                left < 1000 ? (int)(left > 0 ? left : 1) : 1000) == 0) {
				rc = 0;
				break;
			}
			snprintf(seen, size, "%s takes no connection", tcp->text);
		} else {
			char eline[256];
			struct err err = {0};
			int code = -1;

			if (run_in(d, id, (const char *const *)argv, &out, eline, sizeof(eline),
			           &code, &err) == 0 &&
			    code == 0) {
				rc = 0;
				break;
			}
			if (err.msg[0])
				snprintf(seen, size, "%.400s", err.msg);
			else
				snprintf(seen, size, "'%s' exited %d: %s", argv[0], code, eline);
		}
		if (now_ms() >= deadline)
			break;
		mono_nap(ENGINE_POLL_MS);
	}
	argv_free(argv);
	buf_release(&out);
	return rc;
}

/* ---- the Kubernetes evidence ----------------------------------------------------- */

/* The cluster, when it answers (else NULL, said in the evidence once). */
static struct kube *kube_maybe(struct check_run *cr, struct cluster *cl)
{
	struct kube *k = NULL;
	struct err err = {0};

	if (cluster_connect(cr->env->run, cl, &k, &err) < 0) {
		check_evidence(cr, "pod restart counts not shown: %s", err.msg);
		return NULL;
	}
	kube_set_timeout(k, 5000, 5000);
	return k;
}

/* Evidence: the restartCount the kubelet reports for container c's pod. */
static void pod_restarts(struct check_run *cr, struct kube *k, const struct docker_container *c,
                         const char *svc)
{
	const char *pod = docker_container_label(c, "io.kubernetes.pod.name");
	const char *ns = docker_container_label(c, "io.kubernetes.pod.namespace");
	struct doc_node *obj = NULL;
	const struct doc_node *cs;
	struct err err = {0};
	char *path;
	size_t i;

	if (!k || !pod || !ns)
		return;
	path = xasprintf("/api/v1/namespaces/%s/pods/%s", ns, pod);
	if (kube_call(k, "GET", path, NULL, NULL, NULL, &obj, &err) < 0) {
		check_evidence(cr, "pod %s: %s", pod, err.msg);
		goto out;
	}
	cs = doc_map_get(doc_map_get(obj, "status"), "containerStatuses");
	for (i = 0; cs && cs->type == DOC_SEQ && i < cs->n; i++) {
		const struct doc_node *name = doc_map_get(cs->items[i], "name");
		const struct doc_node *n = doc_map_get(cs->items[i], "restartCount");

		if (name && name->type == DOC_STR && strcmp(name->text, svc) == 0 && n &&
		    n->type == DOC_INT)
			check_evidence(cr, "pod %s: container %s restartCount %lld", pod, svc,
			               n->i);
	}
out:
	doc_free(obj);
	free(path);
}

/* ---- the kinds -------------------------------------------------------------------- */

static const char *ns_of(const struct check_run *cr)
{
	return check_str(cr, "namespace", "default");
}

static long long deadline_of(const struct check_run *cr)
{
	return now_ms() + (long long)check_timeout(
	                      cr, (unsigned long)check_int(cr, "timeout", ENGINE_WAIT_S) * 1000UL);
}

/*
 * 1 when the stack's cluster is its own and none of the engine's
 * containers is a Kubernetes one: the cluster runs them elsewhere
 * (containerd), and exec through this engine cannot reach them.
 */
static int pods_elsewhere(struct check_run *cr, struct docker *d)
{
	const char *labels[] = {"io.kubernetes.pod.namespace", NULL};
	struct docker_container *v = NULL;
	struct err err = {0};
	size_t n = 0;

	if (!cluster_external(cr->env->stack) || docker_container_list(d, labels, &v, &n, &err) < 0)
		return 0;
	docker_containers_free(v, n);
	return n == 0;
}

/*
 * The running container of svc into *c; 0, 1 when the check cannot run
 * here (check_skip called), or -1 failed (check_fail called).
 */
static int container_of(struct check_run *cr, struct docker *d, const char *svc,
                        struct docker_container *c)
{
	struct err err = {0};
	int found = find_container(d, ns_of(cr), svc, c, &err);

	if (found < 0)
		return check_fail_err(cr, "the service's containers", &err, NULL);
	if (found == 0 && pods_elsewhere(cr, d)) {
		check_skip(cr, "the stack's cluster is its own (cluster.kubeconfig) and its "
		               "containers are not in the stack's engine: exec through the engine "
		               "cannot reach them");
		return 1;
	}
	if (found == 0)
		return check_fail(cr, "a running container of the service", "none runs",
		                  "no running container of %s (labelled io.kubernetes.container."
		                  "name=%s in namespace %s): is the stack up? (ftboot status)",
		                  svc, svc, ns_of(cr));
	return 0;
}

/* E12. */
static int run_restart(struct check_run *cr)
{
	const struct doc_node *list = check_key(cr, "processes");
	struct cluster cl = {0};
	struct docker *d = NULL;
	struct kube *k = NULL;
	size_t i, checked = 0;
	int rc;

	if ((rc = engine_open(cr, &d)) != 0)
		return rc < 0 ? -1 : 0;
	k = kube_maybe(cr, &cl);
	for (i = 0; i < list->n && !check_cancelled(cr); i++) {
		checked += stack_service(cr->env->stack,
		                         doc_map_get(list->items[i], "service")->text) != NULL;
		const struct doc_node *e = list->items[i];
		struct target t = {ns_of(cr), doc_map_get(e, "service")->text,
		                   doc_map_get(e, "process")->text, deadline_of(cr)};
		struct docker_container c = {0}, now = {0};
		char label[64], seen[512];
		double t0;

		snprintf(label, sizeof(label), "%s/%s", t.svc, t.process);
		if (stack_service(cr->env->stack, t.svc) == NULL) {
			check_evidence(cr, "%s: service %s is not in the stack: not checked", label,
			               t.svc);
			continue;
		}
		if ((rc = container_of(cr, d, t.svc, &c)) != 0) {
			if (rc > 0)
				break;
			check_metric(cr, label, -1);
			continue;
		}
		t0 = mono_now();
		if (kill_and_wait(cr, d, &t, &c, &now) < 0) {
			check_metric(cr, label, -1);
			container_release(&c);
			continue;
		}
		if (wait_answer(cr, d, e, now.id, t.deadline, seen, sizeof(seen)) < 0) {
			check_metric(cr, label, -1);
			check_fail(cr, "the service answering again after its restart", seen,
			           "%s did not recover: its container runs again but does not "
			           "answer (see its log: kubectl logs deploy/%s)",
			           label, t.svc);
		} else {
			double s = mono_now() - t0;

			check_metric(cr, label, s);
			check_evidence(cr, "%s: recovered in %.2f s", label, s);
			pod_restarts(cr, k, &now, t.svc);
		}
		container_release(&c);
		container_release(&now);
	}
	kube_close(k);
	cluster_release(&cl);
	docker_close(d);
	/* Nothing checked is no pass. */
	if (checked == 0 && cr->res->status == CHECK_PASS)
		check_skip(cr, "none of the listed services is in the stack");
	return cr->res->status == CHECK_FAIL ? -1 : 0;
}

/* A random marker: "ftboot-" and 16 hex digits. */
static void new_marker(char out[32])
{
	unsigned char r[8] = {0};
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		long long t = now_ms();

		memcpy(r, &t, sizeof(r));
	}
	memcpy(out, "ftboot-", 7);
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", r[i]);
}

/*
 * Run e's command key (the marker substituted) in container id: 0 when
 * it exits 0 (its stdout in out), else -1 with what was seen.
 */
static int db_cmd(struct docker *d, const struct doc_node *e, const char *key, const char *id,
                  const char *marker, struct buf *out, char *seen, size_t size)
{
	char **argv = argv_of(doc_map_get(e, key), marker), eline[256];
	struct err err = {0};
	int code = -1, rc = -1;

	if (run_in(d, id, (const char *const *)argv, out, eline, sizeof(eline), &code, &err) < 0)
		snprintf(seen, size, "%.400s", err.msg);
	else if (code != 0)
		snprintf(seen, size, "the %s command '%s' exited %d: %s", key, argv[0], code,
		         eline);
	else
		rc = 0;
	argv_free(argv);
	return rc;
}

/* One database of E11; 0, 1 skipped (check_skip called) or -1 (check_fail called). */
static int persist_one(struct check_run *cr, struct docker *d, const struct doc_node *e)
{
	const char *data = doc_map_get(e, "data") ? doc_map_get(e, "data")->text : NULL;
	struct target t = {ns_of(cr), doc_map_get(e, "service")->text,
	                   doc_map_get(e, "process")->text, deadline_of(cr)};
	struct docker_container c = {0}, now = {0};
	struct buf out = BUF_INIT(ENGINE_OUT_MAX);
	char marker[32], seen[512];
	int rc = -1;
	double t0;

	new_marker(marker);
	if ((rc = container_of(cr, d, t.svc, &c)) != 0) {
		rc = rc > 0 ? 1 : -1;
		goto out;
	}
	rc = -1;
	if (db_cmd(d, e, "write", c.id, marker, &out, seen, sizeof(seen)) < 0) {
		check_fail(cr, "the marker written", seen,
		           "cannot write into %s: does the write command log in inside its "
		           "container?",
		           t.svc);
		goto out;
	}
	if (db_cmd(d, e, "read", c.id, marker, &out, seen, sizeof(seen)) < 0 ||
	    !strstr(buf_cstr(&out), marker)) {
		check_fail(cr, "the marker read back before the kill",
		           out.len ? "the read answer lacks it" : seen,
		           "the read command of %s does not see what the write command wrote",
		           t.svc);
		goto out;
	}
	check_evidence(cr, "%s: wrote the marker %s into container %.12s and read it back", t.svc,
	               marker, c.id);
	t0 = mono_now();
	if (kill_and_wait(cr, d, &t, &c, &now) < 0)
		goto out;
	for (;;) {
		if (db_cmd(d, e, "ready", now.id, marker, &out, seen, sizeof(seen)) == 0)
			break;
		if (check_cancelled(cr) || now_ms() >= t.deadline) {
			check_fail(
			    cr, "the database answering again after its restart", seen,
			    "%s did not answer its ready command in time after %s was killed",
			    t.svc, t.process);
			goto out;
		}
		mono_nap(ENGINE_POLL_MS);
	}
	if (db_cmd(d, e, "read", now.id, marker, &out, seen, sizeof(seen)) < 0 ||
	    !strstr(buf_cstr(&out), marker)) {
		check_fail(cr, "the marker written before the kill, read back",
		           out.len ? "an answer without the marker" : seen,
		           "the data of %s did not survive a restart: is %s on the PVC? (a "
		           "PersistentVolumeClaim mounted there, R13)",
		           t.svc, data ? data : "its data directory");
		goto out;
	}
	check_evidence(cr, "%s: the marker is still there after the restart (%.2f s)", t.svc,
	               mono_now() - t0);
	if (doc_map_get(e, "clean") &&
	    db_cmd(d, e, "clean", now.id, marker, &out, seen, sizeof(seen)) < 0)
		check_evidence(cr, "%s: cleaning the marker up failed: %s", t.svc, seen);
	rc = 0;
out:
	container_release(&c);
	container_release(&now);
	buf_release(&out);
	return rc;
}

/* E11. */
static int run_persistence(struct check_run *cr)
{
	const struct doc_node *list = check_key(cr, "databases");
	struct docker *d = NULL;
	size_t i, checked = 0;
	int rc;

	if ((rc = engine_open(cr, &d)) != 0)
		return rc < 0 ? -1 : 0;
	for (i = 0; i < list->n && !check_cancelled(cr); i++) {
		const char *svc = doc_map_get(list->items[i], "service")->text;

		if (stack_service(cr->env->stack, svc) == NULL) {
			check_evidence(cr, "%s: not in the stack: not checked", svc);
			continue;
		}
		checked++;
		if (persist_one(cr, d, list->items[i]) > 0)
			break;
	}
	docker_close(d);
	/* Nothing checked is no pass. */
	if (checked == 0 && cr->res->status == CHECK_PASS)
		check_skip(cr, "none of the listed databases is in the stack");
	return cr->res->status == CHECK_FAIL ? -1 : 0;
}

/* 1 if img carries tag. */
static int has_tag(const struct docker_image *img, const char *tag)
{
	size_t i;

	for (i = 0; img->tags && img->tags[i]; i++)
		if (strcmp(img->tags[i], tag) == 0)
			return 1;
	return 0;
}

/* One service's image against the engine's images labelled with the stack. */
static void image_one(struct check_run *cr, struct docker *d, const struct image *img,
                      const struct docker_image *v, size_t n)
{
	const char *stack = cr->env->stack->name, *h, *s;
	struct docker_image got = {0};
	struct err err = {0};
	size_t i;

	for (i = 0; i < n; i++)
		if (has_tag(&v[i], img->tag)) {
			h = docker_image_label(&v[i], IMAGE_LABEL_HASH);
			if (h && strcmp(h, img->hash) == 0) {
				check_evidence(cr, "%s: %.19s, built by ftboot build for stack %s",
				               img->tag, v[i].id, stack);
				return;
			}
			check_fail(
			    cr, "the image's " IMAGE_LABEL_HASH " label its tag names",
			    h ? "another hash" : "no hash label",
			    "image %s does not carry the content hash of srcs/%s: run ftboot "
			    "build",
			    img->tag, img->svc->name);
			return;
		}
	if (docker_image_inspect(d, img->tag, &got, &err) < 0) {
		if (err.kind == ERRK_NOTFOUND)
			check_fail(cr, "each service's image in the engine", "no such image",
			           "image %s is not in the engine: run ftboot build", img->tag);
		else
			check_fail_err(cr, "each service's image in the engine", &err, NULL);
		return;
	}
	s = docker_image_label(&got, IMAGE_LABEL_STACK);
	check_fail(cr, "an image built by ftboot build (label " IMAGE_LABEL_STACK ")",
	           s ? "the label of another stack" : "no such label",
	           "image %s is in the engine but was not built by ftboot build for stack %s: "
	           "remove it and run ftboot build (R3: every image is built here)",
	           img->tag, stack);
	docker_image_release(&got);
}

/* E2.images. */
static int run_images(struct check_run *cr)
{
	const struct doc_node *only = check_key(cr, "services");
	const struct stack *st = cr->env->stack;
	struct image_plan plan = {0};
	struct docker_image *v = NULL;
	struct docker *d = NULL;
	struct err err = {0};
	char *label = NULL;
	size_t i, n = 0;
	int rc;

	if (image_plan(st, &plan, &err) < 0) {
		check_fail_err(cr, "each service's image planned from its Dockerfile", &err,
		               "fix the file named, then run ftboot build");
		goto out;
	}
	if ((rc = engine_open(cr, &d)) != 0)
		goto out;
	label = xasprintf("%s=%s", IMAGE_LABEL_STACK, st->name);
	if (docker_image_list(d, label, &v, &n, &err) < 0) {
		check_fail_err(cr, "the engine's images", &err, NULL);
		goto out;
	}
	for (i = 0; i < plan.n; i++) {
		const struct image *img = &plan.v[i];
		size_t j;
		int want = only == NULL;

		for (j = 0; only && j < only->n; j++)
			want |= strcmp(only->items[j]->text, img->svc->name) == 0;
		if (want)
			image_one(cr, d, img, v, n);
	}
	for (i = 0; only && i < only->n; i++)
		if (!image_find(&plan, only->items[i]->text))
			check_fail(cr, "a service of the stack", only->items[i]->text,
			           "service '%s' is not in the stack", only->items[i]->text);
out:
	docker_images_free(v, n);
	free(label);
	docker_close(d);
	image_plan_release(&plan);
	return cr->res->status == CHECK_FAIL ? -1 : 0;
}

static const char *const images_keys[] = {"services", NULL};
static const char *const restart_keys[] = {"namespace", "timeout", "processes", NULL};
static const char *const persistence_keys[] = {"namespace", "timeout", "databases", NULL};

const struct check_kind check_kind_images = {"images", images_keys, v_images, run_images};

const struct check_kind check_kind_persistence = {"persistence", persistence_keys, v_persistence,
                                                  run_persistence};

const struct check_kind check_kind_restart = {"restart", restart_keys, v_restart, run_restart};
