/*
 * virt: everything ftboot asks of libvirt. The only file that includes
 * libvirt's headers is virt.c.
 */
#ifndef FTBOOT_VIRT_H
#define FTBOOT_VIRT_H

#include <stddef.h>

/* The libvirt library's version ("9.0.0") into out; returns out. */
const char *virt_version(char *out, size_t size);

#endif
