/*
 * profile: a VM profile, images/<name>/ beside srcs/: which base image to
 * boot (pinned by URL and sha512), how (disk image, or direct kernel
 * boot), the login user, and the cloud-init user-data template.
 *
 *   images/alpine/image.yaml
 *     description: Alpine Linux 3.20 (cloud-init)
 *     image:  {url: https://…/x.qcow2, sha512: HEX, format: qcow2}
 *     kernel: {url: …, sha512: HEX}         optional: direct kernel boot
 *     initrd: {url: …, sha512: HEX}         (with kernel)
 *     cmdline: root=/dev/vda rw console=ttyS0
 *     user: alpine
 *     ssh_port: 2222                         the port of the VM's own sshd,
 *                                            where ftboot connects (default
 *                                            22); the seed templates see it
 *                                            as ${ssh_port}
 *     boot_timeout: 300                      seconds from start to SSH
 *     engine: {setup: engine.sh, timeout: 120}
 *                                            the script that sets up the
 *                                            VM's dockerd for mutual TLS
 *                                            (engine.h), in this directory;
 *                                            seconds it may take to answer
 *     cluster: {kubeconfig: /etc/rancher/k3s/k3s.yaml, port: 6443,
 *               timeout: 300, status: "rc-service k3s status; ..."}
 *                                            where the VM's cluster writes
 *                                            its kubeconfig, the API's port,
 *                                            seconds from provision to
 *                                            /readyz, and the command (run
 *                                            as root) that shows the
 *                                            service's state and last log
 *                                            lines on a timeout (cluster.h)
 *   images/alpine/user-data                  #cloud-config template
 *   images/alpine/network-config             optional: cloud-init network
 *                                            config (v1 or v2) template
 *
 * Instead of sha512, an artifact may name sha512_url: the digest file its
 * distributor publishes beside it, fetched over verified TLS. A literal
 * sha512 is the stronger pin and is preferred.
 */
#ifndef FTBOOT_PROFILE_H
#define FTBOOT_PROFILE_H

#include "err.h"
#include "stack.h"

struct profile_artifact {
	char *url;        /* NULL: absent (kernel, initrd) */
	char *sha512;     /* lowercase hex, or NULL with sha512_url */
	char *sha512_url; /* or NULL */
	char *format;     /* "qcow2" or "raw" (image only) */
};

struct profile {
	char *name;
	char *dir;  /* images/<name> */
	char *path; /* its image.yaml */
	char *description;
	struct profile_artifact image;
	struct profile_artifact kernel;
	struct profile_artifact initrd;
	char *cmdline; /* NULL without kernel */
	char *user;
	int ssh_port;         /* the VM's sshd port (default 22) */
	char *user_data;      /* path of the user-data template */
	char *network_config; /* path of the network-config template, or NULL */
	int boot_timeout;
	char *engine_setup;       /* path of the engine setup script, or NULL: none named */
	int engine_timeout;       /* seconds for the engine to answer once set up */
	char *cluster_kubeconfig; /* absolute path in the VM, or NULL: the profile has no cluster */
	int cluster_port;         /* the API server's port (default 6443) */
	int cluster_timeout;      /* seconds for the cluster to be ready (default 300) */
	char *cluster_status;     /* shell command shown on a timeout, or NULL */
};

/* Largest image.yaml read. */
#define PROFILE_MAX_BYTES (1u << 20)

/* Load the profile stack->vm.profile from images/ beside the stack's srcs/. */
int profile_load(const struct stack *stack, struct profile **out, struct err *err);

/* The same from text (path names it in messages; dir is its directory). */
int profile_parse(const char *name, const char *dir, const char *path, const char *text, size_t len,
                  struct profile **out, struct err *err);

void profile_free(struct profile *p);

#endif
