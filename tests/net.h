/*
 * net.h: loopback ports for unit tests that start a peer of their own
 * (header-only, beside tap.h).
 *
 *   int port = net_free_port();   a loopback port nothing listens on (bound,
 *                                 then closed), below the ephemeral range;
 *                                 0 if none could be had
 *   net_wait_port(port)           1 once something accepts on 127.0.0.1:port,
 *                                 0 after 5 s (polled every 50 ms)
 *   net_httpd_start(top, root, run)   tests/servers/httpd.sh (nginx) serving
 *                                 root, its files in run: the port, 0 if it
 *                                 cannot start; net_httpd_stop(top, run)
 */
#ifndef FTBOOT_TEST_NET_H
#define FTBOOT_TEST_NET_H

#include <netinet/in.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "xmem.h"

/* 1 if port can be bound on 127.0.0.1 now (it is closed again at once). */
static inline int net_bind_test(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Drawn at random below the kernel's ephemeral range, as tests/freeport.py
 * does and for its reason: a port from inside it (bind to port 0) can be
 * taken as the local end of an outgoing connection before the test's
 * server binds it. */
static inline int net_free_port(void)
{
	static unsigned seed;
	int low = 32768, high = 60999, first, last, i;
	FILE *fp = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	if (fp) {
		if (fscanf(fp, "%d %d", &low, &high) != 2)
			low = 32768, high = 60999;
		fclose(fp);
	}
	if (low - 10000 >= 2000)
		first = 10000, last = low - 1;
	else if (high + 1 <= 65535 - 2000)
		first = high + 1, last = 65535;
	else
		first = 1024, last = 65535;
	if (!seed)
		seed = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
	for (i = 0; i < 500; i++) {
		int port = first + (int)(rand_r(&seed) % (unsigned)(last - first + 1));
		if (net_bind_test(port))
			return port;
	}
	return 0;
}

static inline int net_wait_port(int port)
{
	int i;

	for (i = 0; i < 100; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), up;

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		up = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (fd >= 0)
			close(fd);
		if (up)
			return 1;
		usleep(50 * 1000);
	}
	return 0;
}

static inline int net_httpd_start(const char *top, const char *root, const char *run)
{
	char *cmd = xasprintf("'%s/tests/servers/httpd.sh' start '%s' '%s'", top, root, run);
	char line[64] = "";
	FILE *fp = popen(cmd, "r");
	long port = 0;

	free(cmd);
	if (!fp)
		return 0;
	if (fgets(line, sizeof(line), fp))
		port = strtol(line, NULL, 10);
	if (pclose(fp) != 0 || port <= 0 || port > 65535)
		return 0;
	return (int)port;
}

static inline void net_httpd_stop(const char *top, const char *run)
{
	char *cmd = xasprintf("'%s/tests/servers/httpd.sh' stop '%s'", top, run);

	if (system(cmd) != 0)
		diag("httpd.sh stop failed");
	free(cmd);
}

#endif
