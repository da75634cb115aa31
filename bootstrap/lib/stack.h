/*
 * stack: the stack definition (srcs/stack.yaml) as typed, validated
 * structs. Every error names the file, line and column, the key, what
 * was expected and what was found.
 *
 *   name: ft
 *   vm:        {profile, cpus, memory, disk, uri, network, cidr,
 *               address, lb_address, accel}
 *   templates: ../templates
 *   secrets:   [mysql_root_password, ...]
 *   values:    {wp_users: 3, ...}
 *   services:
 *     nginx: {type: LoadBalancer, build: nginx,
 *             ports: {http: 80, https: 443, ssh: 22}}
 *     ftps:  {ports: {ftps: 21, pasv: 30020-30024}}
 *   engine:    {host: tcp://HOST:PORT | unix:///PATH, cert_path: DIR}
 *   cluster:   {kubeconfig: PATH, context: NAME, merge: true, timeout: 600}
 *   manifests: [{url: https://..., sha256: HEX}, ...]
 *   dashboard: {namespace: kubernetes-dashboard, service: kubernetes-dashboard,
 *               account: ftboot-admin, token_ttl: 3600}
 *
 * engine (optional, both keys too) names the container engine that
 * builds the images, as DOCKER_HOST and DOCKER_CERT_PATH do: without
 * host, the VM's own engine; tcp:// is always mutual TLS (DIR holds
 * ca.pem, cert.pem, key.pem; without cert_path, ftboot's own PKI), a
 * unix:// socket takes no certificates.
 *
 * cluster (optional, every key too) names the Kubernetes cluster the
 * stack is applied to (cluster.h): without kubeconfig, the VM's own; with
 * it, that kubeconfig's context (NULL: its current-context) and no VM.
 * merge: for the VM's cluster, merge the context ftboot-<stack> into the
 * user's kubeconfig (default true). timeout: seconds the apply step waits
 * in all, for the stack's CRDs to be Established and then, with what is
 * left, for the rollouts (default 600, 1 to 86400).
 *
 * manifests lists third-party manifests applied with the stack (the
 * dashboard, an LB controller), each by URL (http or https) and the
 * SHA-256 of its bytes (64 hex digits): nothing third-party is committed.
 *
 * dashboard says where `ftboot dashboard` finds the Kubernetes dashboard:
 * its Service (namespace/service, a LoadBalancer) and the service account
 * whose token logs in (account, in the same namespace), and the token's
 * lifetime in seconds (600 to 86400, default 3600).
 *
 * Relative paths (build, templates, cert_path, cluster.kubeconfig; a
 * leading "~/" is $HOME) are relative to the stack
 * file's directory, as in docker-compose.
 */
#ifndef FTBOOT_STACK_H
#define FTBOOT_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "doc.h"
#include "err.h"

enum stack_svc_type { STACK_SVC_LOADBALANCER, STACK_SVC_CLUSTERIP, STACK_SVC_NONE };
enum stack_accel { STACK_ACCEL_AUTO, STACK_ACCEL_KVM, STACK_ACCEL_TCG };

struct stack_port {
	char *name; /* an IANA service name: [a-z0-9-], at most 15 */
	int port;   /* the first port */
	int count;  /* 1, or how many ports the range "A-B" has */
	struct doc_mark mark;
};

struct stack_service {
	char *name;
	enum stack_svc_type type;
	char *build; /* build context directory, joined to the stack's dir */
	struct stack_port *ports;
	size_t nports;
	struct doc_mark mark;
};

struct stack_vm {
	char *profile;
	int cpus;
	unsigned long long memory; /* bytes */
	unsigned long long disk;   /* bytes */
	char *uri;
	char *network;
	uint32_t net; /* network address of cidr, host order */
	unsigned prefix;
	uint32_t address;
	uint32_t lb_address;
	enum stack_accel accel;
};

/*
 * engine: which container engine builds the images (engine.h). host NULL:
 * the VM's own engine. cert_path (NULL: ftboot's PKI) is joined to the
 * stack's dir.
 */
struct stack_engine {
	char *host;           /* "tcp://HOST:PORT" or "unix:///PATH"; NULL: the VM's engine */
	char *cert_path;      /* joined to the stack's dir; NULL: ftboot's PKI */
	struct doc_mark mark; /* of the engine mapping (line 0 without one) */
};

/* cluster: see above. kubeconfig NULL: the VM's own cluster. */
struct stack_cluster {
	char *kubeconfig; /* joined to the stack's dir ("~/" expanded); NULL: the VM's */
	char *context;    /* NULL: the kubeconfig's current-context */
	int merge;        /* merge ftboot-<stack> into the user's kubeconfig (default 1) */
	int timeout;      /* seconds to wait for CRDs, then rollouts, in all (default 600) */
	struct doc_mark mark;
};

/* A pinned third-party manifest. */
struct stack_manifest {
	char *url;
	char *sha256; /* lowercase hex */
	struct doc_mark mark;
};

/* dashboard: see above; every field has its default. */
struct stack_dashboard {
	char *namespace; /* "kubernetes-dashboard" */
	char *service;   /* "kubernetes-dashboard" */
	char *account;   /* "ftboot-admin" */
	int token_ttl;   /* 3600 */
};

struct stack_value {
	char *name;
	struct doc_node *value; /* a scalar */
};

struct stack {
	char *path; /* the stack file, as shown in messages */
	char *dir;  /* its directory */
	char *name;
	struct stack_vm vm;
	struct stack_engine engine;
	struct stack_cluster cluster;
	struct stack_manifest *manifests;
	size_t nmanifests;
	struct stack_dashboard dashboard;
	char *templates; /* templates directory, joined to dir */
	char **secrets;
	size_t nsecrets;
	struct stack_value *values;
	size_t nvalues;
	struct stack_service *services;
	size_t nservices;
};

/* Largest stack file read. */
#define STACK_MAX_BYTES (4u << 20)

/*
 * Find the stack file: "srcs/stack.yaml" in start or its nearest parent
 * that has one. *path is relative to start when the file is below it
 * ("srcs/stack.yaml", "../srcs/stack.yaml"), otherwise absolute. Caller
 * owns *path.
 */
int stack_find(const char *start, char **path, struct err *err);

/* Read and validate the stack file at path. Caller owns *out (stack_free). */
int stack_load(const char *path, struct stack **out, struct err *err);

/* The same from text already in memory (path only names it in messages). */
int stack_parse(const char *path, const char *text, size_t len, struct stack **out,
                struct err *err);

/* The service called name, or NULL. */
const struct stack_service *stack_service(const struct stack *st, const char *name);

/* "LoadBalancer", "ClusterIP" or "None". */
const char *stack_svc_type_name(enum stack_svc_type type);

/* "auto", "kvm" or "tcg". */
const char *stack_accel_name(enum stack_accel accel);

/*
 * Parse a size such as "20G", "512M", "2Gi" or "1TiB" (binary units
 * K, M, G, T, optionally followed by "i" or "iB"). 0, with a size too
 * large for 64 bits as ULLONG_MAX (out of any range), or -1 if s is not
 * a size.
 */
int stack_parse_size(const char *s, unsigned long long *bytes);

void stack_free(struct stack *st);

#endif
