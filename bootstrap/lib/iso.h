/*
 * iso: ISO 9660 images with Joliet names, written by ftboot itself, for
 * cloud-init NoCloud seeds (volume "cidata"; files "user-data",
 * "meta-data", "network-config" in the root directory).
 *
 * cloud-init finds the seed by its label and reads the files by their
 * real names, which plain ISO 9660 cannot carry ("USER_DAT.;1"): the
 * Joliet tree gives each file its name as given, the primary tree an
 * 8.3 name derived from it (for readers without Joliet).
 *
 * Root directory only. Every time in the image is `when` (UTC): the same
 * files, volume id and time always give the same bytes, so a caller that
 * wants a stable seed (an unchanged seed is not rewritten) passes a fixed
 * time, e.g. when its state was created; time(NULL) is fine otherwise.
 */
#ifndef FTBOOT_ISO_H
#define FTBOOT_ISO_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

#define ISO_FILES_MAX  64          /* files in one image */
#define ISO_NAME_MAX   64          /* characters in a Joliet name */
#define ISO_VOLUME_MAX 32          /* characters in a volume id */
#define ISO_FILE_MAX   (16u << 20) /* bytes in one file */
#define ISO_IMAGE_MAX  (64u << 20) /* bytes in one image */
#define ISO_BLOCK      2048        /* logical block size */

struct iso_file {
	const char *name; /* UTF-8; 1..64 characters of the Basic Multilingual Plane, */
	                  /* none of: control characters * / : ; ? \ ; not ending in "." */
	const void *data; /* borrowed; may be NULL when len is 0 */
	size_t len;
};

/*
 * Build an image of the n files (0..ISO_FILES_MAX, names unique, as
 * compared byte for byte) and append it to out, which must have room
 * for it. volume_id: 1..32 characters of A-Z a-z 0-9 _ space and
 * ! " % & ' ( ) * + , - . / : ; < = > ?, not ending in a space (the
 * letters ISO 9660 allows, plus lower case as genisoimage -V writes it;
 * the Joliet copy keeps the first 16). Errors name the offending file
 * or volume id and say what is allowed; out is then unchanged.
 *
 * Layout, in 2048-byte blocks: 16 blocks of zeros (system area); the
 * primary volume descriptor; the Joliet supplementary descriptor (escape
 * "%/E", UCS-2 level 3); the terminator; L and M path tables of the
 * primary then the Joliet tree; the primary root directory; the Joliet
 * root directory; the files' data, each from a block boundary, in the
 * order given. A 0-byte file points at the block after the last data,
 * as genisoimage does (a zero block is added if that is the end).
 *
 * Primary names: upper-cased, each character that is not A-Z 0-9 _ made
 * "_", the part before the last dot cut to 8 and the part after it to 3,
 * version ";1": "user-data" is "USER_DAT.;1", "network-config"
 * "NETWORK_.;1", "vendor.data.yaml" "VENDOR_D.YAM;1". A name another file
 * already has gets its end replaced by a number: "USER_DA1.;1".
 * Joliet names are the names as given, in UCS-2 big-endian, without a
 * version (as genisoimage and multipass write them; Linux's isofs reads
 * either form). Directory records are sorted as ECMA-119 9.3 says
 * (primary) and by UCS-2 code units (Joliet).
 */
int iso_build(const char *volume_id, const struct iso_file *files, size_t n, time_t when,
              struct buf *out, struct err *err);

/*
 * iso_build into a file at path, replaced atomically (fs_write_atomic),
 * mode 0600.
 */
int iso_write(const char *path, const char *volume_id, const struct iso_file *files, size_t n,
              time_t when, struct err *err);

#endif
