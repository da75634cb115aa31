/*
 * check_repo: check kinds (check.h). Not built yet: each kind fails saying so.
 */
#include "check.h"

static int not_built(struct check_run *cr)
{
	return check_fail(cr, "a built check kind", "this check kind is not built yet", NULL);
}

const struct check_kind check_kind_layout = {"layout", NULL, NULL, not_built};

const struct check_kind check_kind_dockerfiles = {"dockerfiles", NULL, NULL, not_built};
