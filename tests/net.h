/*
 * net.h: loopback ports for unit tests that start a peer of their own
 * (header-only, beside tap.h).
 *
 *   int port = net_free_port();   a loopback port nothing listens on (bound,
 *                                 then closed); 0 if none could be had
 *   net_wait_port(port)           1 once something accepts on 127.0.0.1:port,
 *                                 0 after 5 s (polled every 50 ms)
 */
#ifndef FTBOOT_TEST_NET_H
#define FTBOOT_TEST_NET_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static inline int net_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
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

#endif
