/* Unit tests: the grafana (E10) and dashboard (E13) check kinds' keys and their positioned errors. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stack.h"
#include "tap.h"
#include "xmem.h"

static struct stack *st;

/* The error a checklist gives, or "" when it is valid. */
static const char *error_of(const char *text)
{
	static struct err err;
	struct tmpl_vars vars = {0};
	struct checklist cl = {0};
	int rc;

	err_clear(&err);
	rc = checklist_parse("srcs/checks.yaml", text, strlen(text), st, &vars, &cl, &err);
	checklist_release(&cl);
	return rc == 0 ? "" : err.msg;
}

#define GF "checks:\n  - {id: E10, title: g, kind: grafana, "
#define DB "checks:\n  - {id: E13, title: d, kind: dashboard, "

struct want {
	const char *yaml, *err;
};

int main(void)
{
	static const char stack[] = "name: ft\nservices:\n  grafana:\n    ports: {http: 3000}\n"
	                            "  influxdb:\n    type: ClusterIP\n    ports: {http: 8086}\n";
	static const struct want cases[] = {
	    {GF "url: 'http://1.2.3.4:3000', user: admin, password: pw}\n", ""},
	    {GF "url: 'http://1.2.3.4:3000', user: admin, password: pw, datasource: InfluxDB, "
	        "services: [grafana, influxdb]}\n",
	     ""},
	    {GF "url: 'ftp://1.2.3.4', user: admin, password: pw}\n",
	     "srcs/checks.yaml:2:45: checks[0].url: expected an http:// or https:// URL"},
	    {GF "user: admin, password: pw}\n",
	     "srcs/checks.yaml:2:5: checks[0]: the check needs url (a URL)"},
	    {GF "url: 'http://1.2.3.4', user: admin}\n",
	     "srcs/checks.yaml:2:5: checks[0]: the check needs user and password (Grafana's "
	     "admin)"},
	    {GF "url: 'http://1.2.3.4', user: '', password: pw}\n",
	     "srcs/checks.yaml:2:69: checks[0].user: expected a non-empty string, got ''"},
	    {GF "url: 'http://1.2.3.4', user: a, password: pw, services: [Bad_Name]}\n", NULL},
	    {GF "url: 'http://1.2.3.4', user: a, password: pw, services: nginx}\n",
	     "srcs/checks.yaml:2:96: checks[0].services: expected a list of service names"},
	    {DB "url: 'https://1.2.3.4:8443/', namespace: kubernetes-dashboard, account: a}\n", ""},
	    {DB "url: 'http://1.2.3.4:8443/', namespace: n, account: a}\n",
	     "srcs/checks.yaml:2:47: checks[0].url: the dashboard answers over HTTPS: expected an "
	     "https:// URL"},
	    {DB "url: 'https://1.2.3.4/', account: a}\n",
	     "srcs/checks.yaml:2:5: checks[0]: the check needs namespace and account (the stack's "
	     "dashboard:)"},
	    {DB "url: 'https://1.2.3.4/', namespace: n, account: a, ttl: 60}\n",
	     "srcs/checks.yaml:2:98: checks[0].ttl: expected an integer from 600 to 86400, got 60"},
	    {DB "url: 'https://1.2.3.4/', namespace: n, account: a, token: x}\n", NULL},
	};
	struct err err;
	size_t i;

	if (!ok(stack_parse("srcs/stack.yaml", stack, strlen(stack), &st, &err) == 0,
	        "the test stack loads")) {
		diag("%s", err.msg);
		return tap_done();
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = error_of(cases[i].yaml);

		if (cases[i].err)
			is_str(got, cases[i].err, "%s", cases[i].yaml);
		else
			ok(got[0] != '\0', "refused: %s (%s)", cases[i].yaml, got);
	}
	stack_free(st);
	return tap_done();
}
