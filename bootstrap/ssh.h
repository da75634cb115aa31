/*
 * ssh: everything ftboot does over SSH. The only file that includes
 * libssh2's headers is ssh.c.
 */
#ifndef FTBOOT_SSH_H
#define FTBOOT_SSH_H

/* libssh2's version ("1.10.0"). Static. */
const char *ssh_version(void);

#endif
