/*
 * check_web: the check kinds of the stack's two PHP applications
 * (check.h): wordpress (E8) and phpmyadmin (E9). Not built yet: each
 * fails saying so.
 */
#include "check.h"

static int not_built(struct check_run *cr)
{
	return check_fail(cr, "a built check kind", "this check kind is not built yet", NULL);
}

const struct check_kind check_kind_wordpress = {"wordpress", NULL, NULL, not_built};

const struct check_kind check_kind_phpmyadmin = {"phpmyadmin", NULL, NULL, not_built};
