/*
 * http: everything ftboot sends over HTTP (downloads, the Docker Engine
 * and Kubernetes APIs). The only file that includes curl's headers is
 * http.c.
 */
#ifndef FTBOOT_HTTP_H
#define FTBOOT_HTTP_H

/* libcurl's version and its TLS library ("7.88.1 (OpenSSL/3.0.15)"). Static. */
const char *http_version(void);

#endif
