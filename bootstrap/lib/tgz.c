/*
 * tgz: the zlib module. For now: the library's version.
 */
#include <zlib.h>

#include "tgz.h"

const char *tgz_version(void)
{
	return zlibVersion();
}
