/*
 * render: the stack's manifests. Builds the template variables from the
 * stack (and its secrets), renders every template (*.yaml, *.yml) in name order,
 * checks that each document is a manifest (apiVersion, kind,
 * metadata.name, no two alike), and labels it as ftboot's.
 *
 * Variables:
 *   ${stack} ${vm_ip} ${lb_ip}
 *   ${port.SVC}                first port of a service (integer)
 *   ${port.SVC.NAME}           a named port; for a range, its first port,
 *   ${port.SVC.NAME.first} ${port.SVC.NAME.last}   and its bounds
 *   ${ports.SVC}               the Service's ports (a list of
 *                              {name, port, targetPort, protocol})
 *   ${container_ports.SVC}     the container's ports (a list of
 *                              {name, containerPort, protocol})
 *   ${type.SVC}                LoadBalancer or ClusterIP
 *   ${image.SVC}               the image built from the service's context,
 *                              tagged by its content: ftboot/SVC:HASH12
 *                              (image.h); a missing context is an error
 *   ${secret.NAME}             a generated secret (see state.h)
 *   ${values.NAME}             a value from the stack's values:
 *   ${tls.cert} ${tls.key}     the stack's TLS certificate and its key (PEM),
 *   ${ssh_host_key}            nginx sshd's host key (OpenSSH private key)
 *   ${ssh_host_key_pub}        and its public line (svckeys.h): like the
 *                              secrets, "<secret:NAME>" without a state
 */
#ifndef FTBOOT_RENDER_H
#define FTBOOT_RENDER_H

#include <stddef.h>

#include "buf.h"
#include "doc.h"
#include "err.h"
#include "stack.h"
#include "state.h"
#include "tmpl.h"

#define RENDER_LABEL_MANAGED "app.kubernetes.io/managed-by"
#define RENDER_LABEL_STACK   "ftboot/stack"

/* Largest rendered output. */
#define RENDER_MAX_BYTES (256u << 20)

struct render_doc {
	char *source; /* the template it came from, as a path from here */
	char *name;   /* the same, stable: "DIR/FILE" (DIR: the templates dir's name) */
	struct doc_node *doc;
};

struct render_out {
	struct render_doc *v;
	size_t n;
};

/*
 * The template variables of stack (its images planned, see image.h:
 * every service's context must exist). With state, secrets are the real
 * values (generated on first use); without, each is the placeholder
 * "<secret:NAME>" so output can be shown safely. Likewise the service
 * keys, made or renewed (svckeys_ensure) for the LB address with state.
 */
int render_vars(const struct stack *stack, struct state *state, struct tmpl_vars *vars,
                struct err *err);

/*
 * render_vars for a stack that is only read (`check`): a secret the state
 * holds is its value, one it does not hold (or no state, NULL) stays the
 * placeholder "<secret:NAME>"; the same for the service keys (read,
 * never made nor renewed). Nothing is generated.
 */
int render_vars_peek(const struct stack *stack, const struct state *state, struct tmpl_vars *vars,
                     struct err *err);

/*
 * Render every template of stack into out (see render_vars for state).
 * With state, secrets are generated only once every template renders
 * with their placeholders, so a broken template creates none.
 */
int render_stack(const struct stack *stack, struct state *state, struct render_out *out,
                 struct err *err);

/*
 * Write out as one multi-document YAML stream: each document starts with
 * "---" and a "# Source: DIR/FILE" line. Deterministic: the same bytes
 * from any working directory.
 */
int render_write(const struct render_out *out, struct buf *b, struct err *err);

/*
 * Check that doc (from source, named in errors with its line and column)
 * is a manifest: a mapping with apiVersion, kind and metadata.name; then
 * label it as the stack's (RENDER_LABEL_MANAGED, RENDER_LABEL_STACK).
 */
int render_check_manifest(const struct stack *stack, const char *source, struct doc_node *doc,
                          struct err *err);

/* Refuse two documents of out for one object (kind, namespace, name). */
int render_check_unique(const struct render_out *out, struct err *err);

void render_out_release(struct render_out *out);

#endif
