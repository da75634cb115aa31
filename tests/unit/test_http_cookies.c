/*
 * Unit tests: http_cookies (http.h), against a small peer forked here on
 * loopback: GET /set answers two Set-Cookie lines (a=1 for /, b=2 for
 * /deep); any other path answers the Cookie header it was sent (empty:
 * none). Each answer closes its connection, so nothing but the cookie
 * engine carries state from one request to the next.
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "tap.h"
#include "xmem.h"

/* The peer: serve connections on lfd until killed. */
static void peer(int lfd)
{
	for (;;) {
		char req[8192], out[9000];
		size_t got = 0;
		const char *c, *body = "";
		char cookie[4096] = "";
		int fd = accept(lfd, NULL, NULL), n;

		if (fd < 0)
			continue;
		while (got < sizeof(req) - 1) {
			ssize_t r = read(fd, req + got, sizeof(req) - 1 - got);

			if (r <= 0)
				break;
			got += (size_t)r;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[got] = '\0';
		if ((c = strstr(req, "\r\nCookie: ")) != NULL) {
			c += 10;
			snprintf(cookie, sizeof(cookie), "%.*s", (int)strcspn(c, "\r"), c);
		}
		if (strncmp(req, "GET /set ", 9) == 0)
			n = snprintf(out, sizeof(out),
			             "HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\n"
			             "Set-Cookie: b=2; Path=/deep\r\nContent-Length: 3\r\n"
			             "Connection: close\r\n\r\nset");
		else
			n = snprintf(
			    out, sizeof(out),
			    "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n"
			    "\r\n%s%s",
			    strlen(cookie), cookie, body);
		if (n > 0 && write(fd, out, (size_t)n) < 0)
			n = 0;
		close(fd);
	}
}

/* GET path through h: the body, or "FAILED: message". Caller frees. */
static char *get(struct http *h, int port, const char *path)
{
	struct http_resp resp = HTTP_RESP_INIT(4096);
	char *url = xasprintf("http://127.0.0.1:%d%s", port, path), *r;
	struct http_req req = {.url = url, .total_ms = 5000};
	struct err err;

	if (http_request(h, &req, &resp, &err) < 0)
		r = xasprintf("FAILED: %s", err.msg);
	else
		r = xstrdup(buf_cstr(&resp.body));
	http_resp_release(&resp);
	free(url);
	return r;
}

int main(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port, status;
	struct http *h, *other;
	pid_t pid;
	char *s;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) < 0)
		skip_all("cannot listen on a loopback port");
	port = ntohs(sa.sin_port);
	if ((pid = fork()) == 0) {
		peer(lfd);
		_exit(0);
	}
	close(lfd);

	h = http_new();
	free(get(h, port, "/set"));
	s = get(h, port, "/");
	is_str(s, "", "off by default: a cookie set is not sent back");
	free(s);

	http_cookies(h, 1);
	other = http_new();
	http_cookies(other, 1);
	free(get(h, port, "/set"));
	s = get(h, port, "/");
	is_str(s, "a=1", "on: the cookie for / is sent with the next request");
	free(s);
	s = get(h, port, "/deep/x");
	ok(strstr(s, "a=1") && strstr(s, "b=2"), "on: under /deep both are sent (%s)", s);
	free(s);
	s = get(h, port, "/again");
	is_str(s, "a=1", "on: kept across requests, each on a new connection");
	free(s);
	s = get(other, port, "/");
	is_str(s, "", "another client does not get them");
	free(s);

	http_cookies(h, 0);
	s = get(h, port, "/");
	is_str(s, "", "off again: the cookies are forgotten");
	free(s);
	free(get(h, port, "/set"));
	s = get(h, port, "/");
	is_str(s, "", "off again: none is kept any more");
	free(s);
	http_cookies(h, 0);
	s = get(h, port, "/");
	is_str(s, "", "off twice: the client still works");
	free(s);

	http_free(h);
	http_free(other);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return tap_done();
}
