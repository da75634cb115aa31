/*
 * cmd: the command table with each command's options, the one parser of
 * them (cmd_parse, on getopt_long), cmd_run, and the helpers every command
 * calls (usage errors, cmd_ready). Apart from main.c so that a command
 * links into a unit test without main().
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "fs.h"
#include "text.h"
#include "xmem.h"

#define NOT_YET NULL

/*
 * The commands, their options and arguments. Each option is declared once,
 * here: cmd_parse, the synopsis in usage errors and `ftboot help NAME`
 * read it.
 */
const struct cmd_entry cmd_table[] = {
    {.name = "up",
     .run = cmd_up,
     .opts = (const struct cmd_opt[]){{"until", 0, "STEP", "stop after STEP"},
                                      {"jobs", 'j', "N",
                                       "build N images at once (default: the engine's CPUs)"},
                                      {NULL}},
     .summary = "create or converge the VM, cluster, images and manifests",
     .help = "Bring the stack to its declared state, step by step (the steps are below;\n"
             "--until STEP stops after one). Idempotent: with nothing changed it does\n"
             "nothing and says so. Safe to interrupt and run again.\n",
     .needs = NEED_STACK | NEED_STATE | NEED_LOCK},
    {.name = "status",
     .run = cmd_status,
     .opts =
         (const struct cmd_opt[]){{"json", 0, NULL, "print the status as one JSON object"}, {NULL}},
     .summary = "show the VM, node, pods, services and URLs",
     .help = "Show what exists of the stack and where each service answers.\n",
     .needs = NEED_STACK},
    {.name = "check",
     .run = cmd_check,
     .opts =
         (const struct cmd_opt[]){
             {"json", 0, NULL, "print the results as one JSON object"},
             {"junit", 0, "FILE", "also write the results to FILE as JUnit XML"},
             {"report", 0, "FILE", "also write one self-contained HTML page to FILE"},
             {"only", 0, "IDS", "run only these checks (comma-separated: E5,E7)"},
             {"destructive", 0, NULL, "also run the checks that break things (E11, E12)"},
             {"all", 0, NULL, "every check, the destructive ones included"},
             {"fail-fast", 0, NULL, "stop at the first check that fails"},
             {"address", 0, "IP", "check the stack at IP instead of its vm.lb_address"},
             {"jobs", 'j', "N", "checks run side by side (1 to 64, default 8)"},
             {"timeout", 0, "S", "bound each wait of a check to S seconds (1 to 3600)"},
             {NULL}},
     .summary = "check the stack the way an evaluator would (E1-E13)",
     .help = "Run the checks of srcs/checks.yaml (the evaluation sheet, E1-E13) against the\n"
             "running stack and report each: pass, fail (what was expected, what was seen,\n"
             "and a hint) or skip (why it cannot run here). Targets and credentials come from\n"
             "the stack and its state; no secret is printed. Independent checks run side by\n"
             "side; the destructive ones (they kill processes) only with --destructive or\n"
             "--all, one at a time, after the others.\n"
             "\n"
             "Exit status: 0 when every selected check passed, 1 otherwise (a skip is not a\n"
             "pass), 2 for a usage error.\n",
     .needs = NEED_STACK},
    {.name = "down",
     .run = cmd_down,
     .opts = (const struct cmd_opt[]){{"purge", 0, NULL, "also empty the download cache"}, {NULL}},
     .summary = "remove everything this stack created",
     .help = "Destroy exactly what the stack's journal records, and the state.\n",
     .needs = NEED_STACK | NEED_STATE | NEED_LOCK},
    {.name = "reset",
     .run = NOT_YET,
     .opts = (const struct cmd_opt[]){{"keep-data", 0, NULL, "keep the services' data"}, {NULL}},
     .summary = "back to a fresh stack, fast",
     .help = "Remove the stack's workloads and data and apply them again.\n",
     .needs = NEED_STACK | NEED_STATE | NEED_LOCK},
    {.name = "render",
     .run = cmd_render,
     .opts =
         (const struct cmd_opt[]){
             {"out", 'o', "DIR", "write one file per template into DIR (0700, files 0600)"},
             {"show-secrets", 0, NULL, "the real secrets (made on first use), not <secret:NAME>"},
             {NULL}},
     .summary = "print the manifests that would be applied",
     .help = "Render templates/*.yaml with the stack's values and print them as one YAML\n"
             "stream, each document after a '# Source:' line. Two runs print the same bytes.\n"
             "\n"
             "Template variables:\n"
             "  ${stack} ${vm_ip} ${lb_ip}\n"
             "  ${port.SVC} ${port.SVC.NAME} ${port.SVC.NAME.first} ${port.SVC.NAME.last}\n"
             "  ${ports.SVC}              the Service's port list\n"
             "  ${container_ports.SVC}    the container's port list\n"
             "  ${image.SVC}              the service's image, ftboot/SVC:HASH: HASH from the\n"
             "                            content of its build context (srcs/SVC/Dockerfile)\n"
             "  ${type.SVC} ${secret.NAME} ${values.NAME}\n"
             "  ${dashboard.namespace} ${dashboard.service} ${dashboard.account}\n"
             "                            the stack's dashboard: section (or its defaults)\n"
             "  ${tls.cert} ${tls.key} ${ssh_host_key} ${ssh_host_key_pub}\n"
             "                            the stack's TLS certificate and sshd host key (PEM,\n"
             "                            OpenSSH), kept in the state like the secrets\n"
             "A plain value that is one placeholder takes the variable's type; anything else\n"
             "is a string. Write $${ for a literal ${.\n",
     .needs = NEED_STACK},
    {.name = "apply",
     .run = cmd_apply,
     .summary = "render and server-side apply to the cluster, then wait",
     .help = "Only the apply step of up: render the templates (with the real secrets), add\n"
             "the stack's pinned remote manifests (downloaded into the cache, refused on a\n"
             "sha256 mismatch), server-side apply every object to the stack's cluster in\n"
             "dependency order (namespaces, CRDs, service accounts and RBAC, config maps and\n"
             "secrets, storage, services, workloads, the rest), prune the objects labelled\n"
             "ftboot/stack=STACK that the stack no longer declares, and wait, at most\n"
             "cluster.timeout seconds, until the workloads are rolled out. The cluster must\n"
             "be up: the VM's (ftboot up --until provision) or the stack's cluster.kubeconfig.\n"
             "It says how many objects were created, changed and unchanged; -v names each.\n",
     .needs = NEED_STACK | NEED_STATE | NEED_LOCK},
    {.name = "build",
     .run = cmd_build,
     .opts =
         (const struct cmd_opt[]){
             {"jobs", 'j', "N", "build N images at once, 1 to 64 (default: the engine's CPUs)"},
             {NULL}},
     .max_args = CMD_ARGS_MANY,
     .operands = "SERVICE",
     .summary = "build the service images only",
     .help = "Build each service's image (or the SERVICEs named, with the local images they\n"
             "are built FROM) in the stack's engine, the VM's unless the stack names one:\n"
             "only the build step of up, so the VM must be up. An image whose tag\n"
             "ftboot/SERVICE:HASH12 the engine holds is up to date and nothing is sent.\n"
             "Each build's log is kept in the state directory (builds/SERVICE.log); the\n"
             "first failure cancels the other builds, as Ctrl-C does (exit 130).\n",
     .needs = NEED_STACK | NEED_STATE | NEED_LOCK},
    {.name = "ssh",
     .run = cmd_ssh,
     .max_args = CMD_ARGS_MANY,
     .operands = "SERVICE",
     .operands_synopsis = "[SERVICE] [-- COMMAND [ARG...]]",
     .summary = "a shell or a command in the VM, or in a service's container",
     .help = "Open an interactive shell in the VM over SSH with the pinned host key, or run\n"
             "COMMAND with its ARGs as they are (no word is split or expanded again; for\n"
             "shell syntax run: -- sh -c 'LINE'). Standard input is passed on.\n"
             "Exit status: the remote command's (128 + N when signal N killed it), or 255\n"
             "when ftboot ssh itself fails, as with ssh(1).\n",
     .needs = NEED_STACK | NEED_STATE,
     .fail_status = 255},
    {.name = "dashboard",
     .run = cmd_dashboard,
     .opts =
         (const struct cmd_opt[]){
             {"token", 0, NULL, "also print a login token (never written to disk)"}, {NULL}},
     .summary = "the Kubernetes dashboard's URL and login token",
     .help = "Print the URL of the stack's Kubernetes dashboard (https://IP:PORT of its\n"
             "LoadBalancer Service, the stack's dashboard.namespace and dashboard.service)\n"
             "and, with --token, on the next line a login token for the service account\n"
             "dashboard.account from the TokenRequest API, valid for dashboard.token_ttl\n"
             "seconds and never written to disk. Creates nothing.\n",
     .needs = NEED_STACK},
    {.name = "docker-env",
     .run = cmd_docker_env,
     .opts = (const struct cmd_opt[]){{"shell", 0, "SHELL",
                                       "bash, zsh, fish or sh (default: $SHELL's, else bash)"},
                                      {"unset", 'u', NULL, "print the lines that undo them"},
                                      {NULL}},
     .summary = "environment for the docker CLI, like minikube docker-env",
     .help = "Print the lines that point the docker CLI at the stack's engine (DOCKER_HOST,\n"
             "and for TLS DOCKER_TLS_VERIFY and DOCKER_CERT_PATH), each value quoted for the\n"
             "shell: eval \"$(ftboot docker-env)\" (fish: ftboot docker-env | source).\n"
             "The VM's engine needs the VM up (ftboot up). For an external engine on\n"
             "ftboot's certificates they are made here, so that the engine can be started\n"
             "with the state's engine/server/{ca,cert,key}.pem.\n",
     .needs = NEED_STACK},
    {.name = "kubeconfig",
     .run = cmd_kubeconfig,
     .summary = "print the path of the stack's kubeconfig",
     .help = "Print the path of the stack's own kubeconfig: for the VM's cluster the one the\n"
             "provision step keeps in the state (0600; context ftboot-STACK), for a cluster\n"
             "the stack names, its cluster.kubeconfig. For example:\n"
             "  kubectl --kubeconfig \"$(ftboot kubeconfig)\" get pods -A\n"
             "ftboot up also merges the VM's context into your kubeconfig unless the stack\n"
             "says cluster: {merge: false}; ftboot down takes it out again.\n",
     .needs = NEED_STACK},
    {.name = "doctor",
     .run = NOT_YET,
     .summary = "preflight: libvirt, KVM, disk, memory, ports",
     .help = "Check that this machine can run the stack, and say what to fix.\n"},
    {.name = "help",
     .run = cmd_help,
     .max_args = 1,
     .operands = "COMMAND",
     .summary = "show help for ftboot or one command",
     .help = ""},
    {.name = "version",
     .run = cmd_version,
     .summary = "show ftboot's version and its libraries'",
     .help = "Print ftboot's version, then each library it uses with its version.\n"},
    {.name = NULL},
};

/* getopt_long's value for the option declared at index i, and for --help. */
#define OPT_LONG 256
#define OPT_HELP (OPT_LONG + CMD_OPTS_MAX)

/* Append to out[0..size) at *at, cut where it is full. */
__attribute__((format(printf, 4, 5))) static void append(char *out, size_t size, size_t *at,
                                                         const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *at, size - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at = *at + (size_t)n < size ? *at + (size_t)n : size - 1;
}

/* The name of positional argument i: that word of e->operands, or its last. */
static char *operand(const struct cmd_entry *e, int i, char *out, size_t size)
{
	const char *w = e->operands ? e->operands : "ARG";
	size_t len = strcspn(w, " ");

	while (i-- > 0 && w[len] == ' ') {
		w += len + 1;
		len = strcspn(w, " ");
	}
	snprintf(out, size, "%.*s", (int)len, w);
	return out;
}

char *cmd_synopsis(const struct cmd_entry *e, char *out, size_t size)
{
	const struct cmd_opt *o;
	char word[64];
	size_t at = 0;
	int i;

	out[0] = '\0';
	for (o = e->opts; o && o->name; o++)
		append(out, size, &at, "%s[--%s%s%s]", at ? " " : "", o->name, o->value ? " " : "",
		       o->value ? o->value : "");
	if (e->operands_synopsis) {
		append(out, size, &at, "%s%s", at ? " " : "", e->operands_synopsis);
		return out;
	}
	for (i = 0; i < e->min_args; i++)
		append(out, size, &at, "%s%s", at ? " " : "", operand(e, i, word, sizeof(word)));
	if (e->max_args == CMD_ARGS_MANY)
		append(out, size, &at, "%s[%s...]", at ? " " : "",
		       operand(e, i, word, sizeof(word)));
	for (; i < e->max_args; i++)
		append(out, size, &at, "%s[%s]", at ? " " : "", operand(e, i, word, sizeof(word)));
	return out;
}

static int vusage(const struct cmd_entry *e, struct err *err, const char *fmt, va_list ap)
{
	char msg[512], syn[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	cmd_synopsis(e, syn, sizeof(syn));
	return err_set(err, ERR_USAGE, "%s; usage: ftboot %s%s%s", msg, e->name, syn[0] ? " " : "",
	               syn);
}

__attribute__((format(printf, 3, 4))) static int usage(const struct cmd_entry *e, struct err *err,
                                                       const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vusage(e, err, fmt, ap);
	va_end(ap);
	return rc;
}

int cmd_usage(const struct ctx *ctx, struct err *err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vusage(ctx->entry, err, fmt, ap);
	va_end(ap);
	return rc;
}

/* The index of e's option called name (the whole name), or -1. */
static int opt_index(const struct cmd_entry *e, const char *name)
{
	int i;

	for (i = 0; e->opts && e->opts[i].name; i++)
		if (strcmp(e->opts[i].name, name) == 0)
			return i;
	return -1;
}

/* The index of e's option -letter; getopt returns only declared letters. */
static int letter_index(const struct cmd_entry *e, int letter)
{
	int i;

	for (i = 0; e->opts[i].name; i++)
		if (e->opts[i].letter == letter)
			break;
	return i;
}

/*
 * The usage error for what getopt_long returned as c ('?' or ':'). optopt
 * is a declared option's value (that option's value is missing, or was
 * given to a flag), a letter or any other byte (an unknown -LETTER, or its
 * value missing), or 0: an unknown or ambiguous --NAME, the argument just
 * passed (glibc moves past a long option at once).
 */
static int bad_option(const struct cmd_entry *e, int c, char **argv, struct err *err)
{
	const char *names[CMD_OPTS_MAX + 1], *arg, *near;
	char q[80], word[64], letter[2] = {(char)optopt, '\0'};
	size_t len, n = 0, prefixed = 0, i;

	if (optopt >= OPT_LONG) {
		const char *name = optopt == OPT_HELP ? "help" : e->opts[optopt - OPT_LONG].name;

		if (c == ':')
			return usage(e, err, "option '--%s' needs a value", name);
		return usage(e, err, "option '--%s' takes no value", name);
	}
	if (optopt != 0) { /* glibc's char: a byte above 127 is negative */
		text_quote(letter, 1, q, sizeof(q));
		if (c == ':')
			return usage(e, err, "option '-%s' needs a value", q);
		return usage(e, err, "unknown option '-%s'", q);
	}
	arg = argv[optind - 1] + 2;
	len = strcspn(arg, "=");
	for (i = 0; e->opts && e->opts[i].name; i++)
		names[n++] = e->opts[i].name;
	names[n++] = "help";
	for (i = 0; i < n; i++)
		prefixed += strncmp(names[i], arg, len) == 0;
	text_quote(arg, len, q, sizeof(q));
	if (len > 0 && prefixed > 1)
		return usage(e, err, "option '--%s' is ambiguous; write more of its name", q);
	snprintf(word, sizeof(word), "%.*s", (int)len, arg);
	near = text_nearest(word, names, n);
	if (near)
		return usage(e, err, "unknown option '--%s' (did you mean '--%s'?)", q, near);
	return usage(e, err, "unknown option '--%s'", q);
}

int cmd_parse(const struct cmd_entry *e, int argc, char **argv, struct cmd_args *a, struct err *err)
{
	struct option longs[CMD_OPTS_MAX + 2];
	char shorts[2 * CMD_OPTS_MAX + 4], q[80], word[64];
	size_t k = 0;
	int c, i;

	*a = (struct cmd_args){.entry = e, .argv = xcalloc((size_t)argc + 1, sizeof(*a->argv))};
	/* "-": arguments come back in order as 1, never permuted, whatever
	 * POSIXLY_CORRECT says; ":": a missing value is ':', not '?'. */
	shorts[k++] = '-';
	shorts[k++] = ':';
	for (i = 0; e->opts && e->opts[i].name; i++) {
		const struct cmd_opt *o = &e->opts[i];

		if (i == CMD_OPTS_MAX) {
			fprintf(stderr, "ftboot: bug: '%s' declares more than %d options\n",
			        e->name, CMD_OPTS_MAX);
			abort();
		}
		longs[i] = (struct option){o->name, o->value ? required_argument : no_argument,
		                           NULL, OPT_LONG + i};
		if (o->letter) {
			shorts[k++] = o->letter;
			if (o->value)
				shorts[k++] = ':';
		}
	}
	longs[i++] = (struct option){"help", no_argument, NULL, OPT_HELP};
	longs[i] = (struct option){NULL, 0, NULL, 0};
	shorts[k++] = 'h';
	shorts[k] = '\0';

	opterr = 0;
	optind = 0; /* glibc: start over, at argv[1] */
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == 1) {
			a->argv[a->argc++] = optarg;
			continue;
		}
		if (c == '?' || c == ':')
			return bad_option(e, c, argv, err);
		if (c == 'h' || c == OPT_HELP) {
			a->help = 1;
			continue;
		}
		i = c >= OPT_LONG ? c - OPT_LONG : letter_index(e, c);
		if (e->opts[i].value && optarg[0] == '\0')
			return usage(e, err, "option '--%s' needs a value, not an empty one",
			             e->opts[i].name);
		a->count[i]++;
		a->value[i] = optarg;
	}
	a->before_dashdash = a->argc;
	while (optind < argc) /* after "--" */
		a->argv[a->argc++] = argv[optind++];
	if (a->help)
		return 0;
	if (a->argc < e->min_args)
		return usage(e, err, "missing %s", operand(e, a->argc, word, sizeof(word)));
	if (e->max_args != CMD_ARGS_MANY && a->argc > e->max_args) {
		const char *extra = a->argv[e->max_args];

		return usage(e, err, "unexpected argument '%s'",
		             text_quote(extra, strlen(extra), q, sizeof(q)));
	}
	return 0;
}

void cmd_args_release(struct cmd_args *a)
{
	free(a->argv);
	a->argv = NULL;
	a->argc = 0;
}

/* The index of the option a's command reads as name; a bug if undeclared. */
static int args_index(const struct cmd_args *a, const char *name)
{
	int i = opt_index(a->entry, name);

	if (i < 0) {
		fprintf(stderr,
		        "ftboot: bug: '%s' reads option '--%s', which it does not declare\n",
		        a->entry->name, name);
		abort();
	}
	return i;
}

int cmd_args_has(const struct cmd_args *a, const char *name)
{
	return a->count[args_index(a, name)];
}

const char *cmd_args_get(const struct cmd_args *a, const char *name)
{
	return a->value[args_index(a, name)];
}

int cmd_run(struct ctx *ctx, int argc, char **argv, struct err *err)
{
	const struct cmd_entry *e = ctx->entry;
	struct cmd_args a;
	int rc;

	ctx->fail_status = e->fail_status;
	if (cmd_parse(e, argc, argv, &a, err) < 0) {
		rc = -1;
	} else if (a.help) {
		cmd_print_help(e);
		rc = 0;
	} else if (e->run == NULL) {
		rc = err_set(err, ERR_NOTIMPL, "'%s' is not implemented yet", e->name);
	} else {
		rc = e->run(ctx, &a, err);
	}
	cmd_args_release(&a);
	return rc;
}

int cmd_ready(struct ctx *ctx, struct err *err)
{
	const struct cmd_entry *e = ctx->entry;
	char *found = NULL;
	int rc;

	if (e->needs & NEED_STACK) {
		if (ctx->stack_file == NULL) {
			char *cwd = getcwd(NULL, 0);

			if (cwd == NULL)
				return err_sys(err, errno, "cannot get the current directory");
			rc = stack_find(cwd, &found, err);
			free(cwd);
			if (rc < 0)
				return -1;
		}
		rc = stack_load(found ? found : ctx->stack_file, &ctx->stack, err);
		free(found);
		if (rc < 0)
			return -1;
	}
	if (e->needs & (NEED_STATE | NEED_LOCK)) {
		if (state_open(&ctx->state, ctx->stack->name, 1, err) < 0)
			return -1;
		ctx->have_state = 1;
	}
	if ((e->needs & NEED_LOCK) && state_lock(&ctx->state, e->name, err) < 0)
		return -1;
	if (e->needs & (NEED_STATE | NEED_LOCK)) {
		char *path = path_join(ctx->state.dir, "journal");

		rc = journal_open(&ctx->journal, path, err);
		free(path);
		if (rc < 0)
			return -1;
		ctx->have_journal = 1;
	}
	return 0;
}

void cmd_unknown(const char *name)
{
	const char *names[sizeof(cmd_table) / sizeof(cmd_table[0])];
	const char *near;
	size_t n;

	for (n = 0; cmd_table[n].name; n++)
		names[n] = cmd_table[n].name;
	near = text_nearest(name, names, n);
	if (near)
		fprintf(stderr, "ftboot: unknown command '%s'; did you mean '%s'?\n", name, near);
	else
		fprintf(stderr, "ftboot: unknown command '%s'; run 'ftboot --help' for the list\n",
		        name);
}

const struct cmd_entry *cmd_find(const char *name)
{
	const struct cmd_entry *e;

	for (e = cmd_table; e->name; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

struct run cmd_run_of(struct ctx *ctx, const struct report *report)
{
	return (struct run){.stack = ctx->stack,
	                    .state = &ctx->state,
	                    .journal = &ctx->journal,
	                    .report = report,
	                    .verbose = ctx->verbose};
}

int cmd_peek_state(struct ctx *ctx, int create, struct state *st, struct journal *j,
                   struct run *run, struct err *err)
{
	char *path;
	int rc = 0;

	if (state_open(st, ctx->stack->name, create, err) < 0)
		return -1;
	path = path_join(st->dir, "journal");
	if (state_exists(st))
		rc = journal_open(j, path, err);
	free(path);
	*run =
	    (struct run){.stack = ctx->stack, .state = st, .journal = j, .verbose = ctx->verbose};
	return rc;
}
