/*
 * vm: the stack's virtual machine from end to end: keys, base image,
 * libvirt network, pool, volumes, cloud-init seed, domain, lease, SSH;
 * and its removal. Every resource is recorded in the journal before it
 * is created, so `down` and a re-run after a crash know what may exist.
 *
 * The pipeline's "vm" step (step.h) and the removers of the kinds it
 * creates (teardown.h). Library code: it prints nothing; steps and
 * downloads are reported through the run's struct report.
 */
#ifndef FTBOOT_VM_H
#define FTBOOT_VM_H

#include "buf.h"
#include "doc.h"
#include "err.h"
#include "ipv4.h"
#include "journal.h"
#include "profile.h"
#include "step.h"
#include "ssh.h"
#include "stack.h"
#include "state.h"
#include "virt.h"

struct vm {
	struct run *run; /* borrowed, as are the next four (from it) */
	const struct stack *stack;
	struct state *state;
	const struct report *report;
	struct journal *journal;
	struct profile *profile; /* loaded by vm_up */
	struct virt *virt;       /* opened on first need */
	char *net;               /* libvirt network */
	char *bridge;
	char *pool;
	char *pool_dir;
	char *dom;
	char mac[VIRT_MAC_STRLEN];
	char *cache_dir;
	char *console_log;
	char *key_file; /* ftboot's SSH key for the VM */
	char *host_fp;  /* the VM's pinned host key fingerprint */
	char ip[IPV4_STRLEN];
	char step[64]; /* the current step's test point word (failpoint.h) */
};

/* Cache of downloads: $FTBOOT_CACHE_DIR, else $XDG_CACHE_HOME/ftboot, else ~/.cache/ftboot. */
int vm_cache_dir(char **out, struct err *err);

/*
 * Prepare vm for run's stack (whose state is open, and locked to change
 * anything): names and paths. Opens nothing yet; the journal is the run's.
 */
int vm_open(struct vm *vm, struct run *run, struct err *err);

/* The keys a seed carries: OpenSSH public lines, and the host's private key (PEM). */
struct vm_seed_keys {
	const char *user_pub;
	const char *host_pub;
	const char *host_priv;
};

/*
 * Build the NoCloud seed ISO into iso: user-data ("#cloud-config" + the
 * profile's template rendered), meta-data (an instance-id that changes
 * with user-data, the stack's name as local-hostname), and network-config
 * when the profile has that template. The templates see hostname, user,
 * ssh_port (an integer: the profile's, where the VM's sshd must listen),
 * ssh_authorized_key, host_key_public, host_key_private, stack, vm_ip,
 * lb_ip (the stack's LoadBalancer address), mac, cidr, prefix (an
 * integer), gateway and dns. vm->profile must be
 * loaded.
 */
int vm_seed(struct vm *vm, const struct vm_seed_keys *keys, struct buf *iso, struct err *err);

/*
 * Converge: the VM exists, runs, has its address and answers SSH with
 * the pinned host key. Idempotent; safe to run again after any crash.
 * On a boot failure the error ends with the serial console's last lines.
 */
int vm_up(struct vm *vm, struct err *err);

/* The pipeline's step "vm" (step.h): vm_open, vm_up, and a line saying where it is. */
int vm_step(struct run *run, struct err *err);

/* The step's status (step.h): the domain, its state, address and network. */
int vm_step_status(struct run *run, struct buf *text, struct doc_node **json, struct err *err);

/*
 * Register the kinds vm creates (teardown.h): network (kept while another
 * domain uses it), pool (and its directory), volume, domain (destroyed
 * and undefined), all through one libvirt connection opened on the first
 * of them, and file.
 */
int vm_kinds(struct err *err);

struct vm_status {
	enum virt_dom_state state;
	char ip[IPV4_STRLEN]; /* "" when unknown */
	size_t resources;     /* the journal's libvirt objects */
};

/* What exists: the domain's state and address. */
int vm_status(struct vm *vm, struct vm_status *out, struct err *err);

/*
 * An SSH session to the VM as the profile's user, with the pinned host
 * key (vm_up must have run once). timeout_ms bounds the connection and,
 * until ssh_set_timeout says otherwise, each command and copy. err->kind
 * as for ssh_connect (ERRK_TRANSIENT or ERRK_TIMEOUT: try again later).
 */
int vm_ssh(struct vm *vm, int timeout_ms, struct ssh **out, struct err *err);

/* The last lines of the serial console log, appended to err's message. */
void vm_console_tail(const struct vm *vm, int lines, struct err *err);

/*
 * Run the words argv[0..argc) as root in the VM over s (sudo -n, or
 * doas -n where there is no sudo), as ssh_exec does: output into out and
 * errout (either NULL to discard, or the same buffer), *status its exit.
 */
int vm_exec_root(struct ssh *s, const char *const *argv, int argc, struct buf *out,
                 struct buf *errout, int *status, struct err *err);

/*
 * Append "\n", intro and the last 30 lines of a command's output out to
 * err's message, control characters but newline and tab as '?'
 * ("(no output)" when out is empty): what the VM says, for a message.
 */
void vm_output_tail(struct err *err, const char *intro, const struct buf *out);

void vm_close(struct vm *vm);

#endif
