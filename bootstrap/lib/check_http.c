/*
 * check_http: check kinds (check.h). Not built yet: each kind fails saying so.
 */
#include "check.h"

static int not_built(struct check_run *cr)
{
	return check_fail(cr, "a built check kind", "this check kind is not built yet", NULL);
}

const struct check_kind check_kind_http = {"http", NULL, NULL, not_built};
