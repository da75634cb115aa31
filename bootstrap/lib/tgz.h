/*
 * tgz: gzip-compressed tar archives (image build contexts). The only file
 * that includes zlib's header is tgz.c.
 */
#ifndef FTBOOT_TGZ_H
#define FTBOOT_TGZ_H

/* zlib's version ("1.2.13"). Static. */
const char *tgz_version(void);

#endif
