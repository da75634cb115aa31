/*
 * Unit tests: the http check kind's validation (through checklist_parse,
 * with its positioned messages) and what it reads of a page's links.
 */
#include <string.h>

#include "check.h"
#include "check_http.h"
#include "tap.h"

/* The checklist "checks: [E5, kind http, requests: REQS]" parsed: 0 or -1 with err. */
static int parse(const char *reqs, struct err *err)
{
	struct tmpl_vars vars = {0};
	struct checklist cl;
	char text[2048];
	int rc;

	snprintf(text, sizeof(text),
	         "checks:\n  - id: E5\n    title: t\n    kind: http\n    requests:\n%s", reqs);
	rc = checklist_parse("c.yaml", text, strlen(text), NULL, &vars, &cl, err);
	checklist_release(&cl);
	return rc;
}

/* REQS is refused with a message holding want. */
static void refused(const char *reqs, const char *want, const char *name)
{
	struct err err = {0};

	if (!ok(parse(reqs, &err) < 0 && strstr(err.msg, want) != NULL, "refused: %s", name))
		diag("got: %s", parse(reqs, &err) < 0 ? err.msg : "(accepted)");
}

static void links(void)
{
	static const char page[] =
	    "<html><head><!-- <link rel=stylesheet href=commented.css> -->\n"
	    "<LINK REL='stylesheet' TYPE=text/css HREF='./themes/a.css?v=1&amp;x=2'>\n"
	    "<link href=b.css>\n"
	    "<link rel=icon href=favicon.ico>\n"
	    "<link rel=\"stylesheet\" href=\"https://cdn.example/c.css\">\n"
	    "<script data-cfasync=\"false\" src=\"js/vendor/jquery.min.js?v=5\"></script>\n"
	    "<script>var inline = '<script src=no.js>';</script>\n"
	    "<script src='../up.js'></script><script src=js/vendor/jquery.min.js?v=5></script>\n"
	    "<script src=\"javascript:alert(1)\"></script><link\n";
	struct check_http_link *v = NULL;
	size_t n = check_http_links(page, "https://10.0.0.1:8443/phpmyadmin/index.php?x=1", 16, &v);
	static const char *const want[] = {
	    "https://10.0.0.1:8443/phpmyadmin/themes/a.css?v=1&x=2",
	    "https://10.0.0.1:8443/phpmyadmin/b.css",
	    "https://cdn.example/c.css",
	    "https://10.0.0.1:8443/phpmyadmin/js/vendor/jquery.min.js?v=5",
	    "https://10.0.0.1:8443/up.js",
	};
	size_t i;

	is_int((long long)n, 5,
	       "the page's stylesheets and scripts, each once; no comment, icon or script text");
	for (i = 0; i < n && i < 5; i++)
		is_str(v[i].url, want[i], "link %zu resolved against the page", i);
	ok(n >= 3 && v[0].kind == CHECK_HTTP_CSS && v[1].kind == CHECK_HTTP_CSS &&
	       v[2].kind == CHECK_HTTP_CSS && n >= 4 && v[3].kind == CHECK_HTTP_JS,
	   "kinds: stylesheets then a script");
	ok(n >= 4 && v[0].same_origin && !v[2].same_origin && v[3].same_origin,
	   "another origin (the CDN) is marked so");
	check_http_links_free(v, n);

	n = check_http_links("<script src=a.js></script><script src=b.js></script>", "http://h/", 1,
	                     &v);
	is_int((long long)n, 1, "at most max links");
	check_http_links_free(v, n);
	n = check_http_links("<link rel=stylesheet href=\"x.css", "http://h/", 4, &v);
	ok(n == 1 && strcmp(v[0].url, "http://h/x.css") == 0, "an unclosed quote ends at the end");
	check_http_links_free(v, n);
	n = check_http_links("", "http://h/", 4, &v);
	is_int((long long)n, 0, "an empty page links nothing");
	check_http_links_free(v, n);
}

int main(void)
{
	struct err err = {0};

	ok(parse(
	       "      - url: http://a/\n        expect: {status: 301, location: {prefix: "
	       "\"https://a/\"}}\n"
	       "      - url: https://a/x\n        method: POST\n        tls: stack\n"
	       "        headers: [\"Cookie: a=b\"]\n        body: \"x=1\"\n"
	       "        hint: fix it\n"
	       "        expect:\n          status: [2xx, 302]\n          body: [a, \"b|c\"]\n"
	       "          body_not: x\n          headers: {Content-Type: ^text/}\n"
	       "          location: {regex: \"^https?://\"}\n          assets: true\n"
	       "      - url: https://a/\n        tls: unverified\n        expect: {status: 200}\n",
	       &err) == 0,
	   "a full checklist is accepted");
	if (err.msg[0])
		diag("%s", err.msg);
	refused(
	    "      - url: https://a/\n        tls: unverified\n        headers: [\"Authorization: "
	    "Basic x\"]\n        expect: {status: 200}\n",
	    "c.yaml:7:14: checks[0].requests[0].tls: a request with an Authorization or Cookie "
	    "header may not go over an unverified channel",
	    "tls: unverified with Authorization");
	refused(
	    "      - url: https://u:p@a/\n        tls: unverified\n        expect: {status: 200}\n",
	    "a request with credentials in its URL may not go over an unverified channel",
	    "tls: unverified with credentials in the URL");
	refused(
	    "      - url: https://a/\n        tls: unverified\n        body: x\n        expect: "
	    "{status: 200}\n",
	    "a request with a body may not", "tls: unverified with a body");
	refused("      - url: https://a/\n        tls: insecure\n        expect: {status: 200}\n",
	        "c.yaml:7:14: checks[0].requests[0].tls: expected stack", "an unknown tls mode");
	refused("      - url: ftp://a/\n        expect: {status: 200}\n",
	        "c.yaml:6:14: checks[0].requests[0].url: expected an http:// or https:// URL",
	        "an ftp URL");
	refused("      - url: http://a/\n", "a request needs expect:", "no expect");
	refused("      - url: http://a/\n        expect: {location: x}\n", "expect needs a status",
	        "no status");
	refused("      - url: http://a/\n        expect: {status: 600}\n",
	        "checks[0].requests[0].expect.status: expected a status", "status 600");
	refused("      - url: http://a/\n        expect: {status: [200, 6xx]}\n",
	        "a status is 100 to 599 or a class", "a class 6xx in a list");
	refused("      - url: http://a/\n        expect: {status: 200, body: \"a(\"}\n",
	        "expect.body: not a POSIX extended regular expression", "a bad body regex");
	refused("      - url: http://a/\n        expect: {status: 200, body_not: [\"[\"]}\n",
	        "expect.body_not[0]: not a POSIX", "a bad body_not regex");
	refused(
	    "      - url: http://a/\n        expect: {status: 301, location: {prefix: a, regex: "
	    "b}}\n",
	    "expected the exact Location, or {prefix: ...} or {regex: ...}",
	    "location with both prefix and regex");
	refused("      - url: http://a/\n        expect: {status: 301, location: {start: a}}\n",
	        "unknown key 'start'", "location with an unknown key");
	refused(
	    "      - url: http://a/\n        expect: {status: 200, headers: {\"Bad Name\": x}}\n",
	    "expect.headers.Bad Name: not a header name", "a header name with a space");
	refused("      - url: http://a/\n        expect: {status: 200, assets: yes please}\n",
	        "expect.assets: expected true or false", "assets not a boolean");
	refused("      - url: http://a/\n        headers: [\"NoColon\"]\n        expect: {status: "
	        "200}\n",
	        "requests[0].headers[0]: expected one \"Name: value\" line",
	        "a header without colon");
	refused("      - url: http://a/\n        method: \"GE T\"\n        expect: {status: 200}\n",
	        "not an HTTP method", "a method with a space");
	refused("      - url: http://a/\n        tls: stack\n        expect: {status: 200}\n",
	        "tls is for https:// URLs", "tls on http");
	refused("      - url: http://a/\n        expect: {status: 200}\n        follow: true\n",
	        "unknown key 'follow'", "an unknown request key");
	refused("      []\n", "checks[0].requests: expected a list of requests", "no request");
	links();
	return tap_done();
}
