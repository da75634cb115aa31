/*
 * step: the table of `up`'s steps. The one place the steps are listed.
 */
#include <string.h>

#include "apply.h"
#include "build.h"
#include "cluster.h"
#include "step.h"
#include "vm.h"

#define NOT_YET NULL

/* A stack on a cluster of its own has no VM. */
static int skip_vm(const struct run *run, const char **why)
{
	if (!cluster_external(run->stack))
		return 0;
	*why = "the stack names a cluster of its own (cluster.kubeconfig)";
	return 1;
}

/* ... and without an engine of its own, nothing to build in. */
static int skip_build(const struct run *run, const char **why)
{
	if (!cluster_external(run->stack) || run->stack->engine.host)
		return 0;
	*why = "images are not built: the stack names a cluster but no engine; see README";
	return 1;
}

const struct step step_table[] = {
    {"vm", "the VM runs, has its address and answers SSH with the pinned host key", vm_step,
     vm_step_status, skip_vm, vm_kinds},
    {"provision",
     "the VM's container engine answers over mutual TLS and its Kubernetes API is ready",
     provision_step, provision_status, NULL, cluster_kinds},
    {"build", "each service's image is built in the VM's engine", build_step, build_step_status,
     skip_build, build_kinds},
    {"apply", "the manifests are applied and rolled out", apply_step, apply_status, NULL,
     apply_kinds},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

const struct step *step_find(const char *name)
{
	const struct step *s;

	for (s = step_table; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

char *step_names(const struct step *first, int after)
{
	struct buf b = BUF_INIT(4096);
	const struct step *s = first ? first : step_table;

	if (after && s->name)
		s++;
	for (; s->name; s++)
		buf_addf(&b, "%s%s", b.len ? ", " : "", s->name);
	return buf_detach(&b, NULL);
}

int step_register_kinds(struct err *err)
{
	const struct step *s;

	for (s = step_table; s->name; s++)
		if (s->kinds && s->kinds(err) < 0)
			return -1;
	return 0;
}
