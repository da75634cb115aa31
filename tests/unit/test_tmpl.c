/* Unit tests: template substitution, typing, escaping and errors. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tmpl.h"
#include "xmem.h"

static struct tmpl_vars vars;

static int render(const char *text, struct doc_list *out, struct err *err)
{
	err_clear(err);
	return tmpl_render("templates/t.yaml", text, strlen(text), &vars, out, err);
}

static const char *error_of(const char *text)
{
	static struct err err;
	struct doc_list out = {0};

	if (render(text, &out, &err) == 0) {
		doc_list_release(&out);
		return "";
	}
	return err.msg;
}

static void setup(void)
{
	struct doc_node *list = doc_new(DOC_SEQ);

	doc_seq_push(list, doc_new_int(80));
	doc_seq_push(list, doc_new_int(443));
	tmpl_vars_set(&vars, "lb_ip", doc_new_str("192.168.61.10"));
	tmpl_vars_set(&vars, "port.nginx", doc_new_int(80));
	tmpl_vars_set(&vars, "ports.nginx", list);
	tmpl_vars_set(&vars, "secret.pw", doc_new_str(": #\"'\n- x\n{a: b}"));
	tmpl_vars_set(&vars, "values.n", doc_new_str("123"));
	tmpl_vars_set(&vars, "port.nginx", doc_new_int(8080)); /* replaces */
	tmpl_vars_set(&vars, "port.nginx", doc_new_int(80));
}

static void test_vars(void)
{
	const struct doc_node *v = tmpl_vars_get(&vars, "port.nginx");

	ok(v && v->type == DOC_INT && v->i == 80, "set replaces, get finds");
	ok(tmpl_vars_get(&vars, "port") == NULL, "no prefix match");
	is_int(vars.n, 5, "five variables");
	ok(strcmp(vars.v[0].name, vars.v[1].name) < 0 && strcmp(vars.v[3].name, vars.v[4].name) < 0,
	   "kept sorted");
}

static void test_typed(void)
{
	struct doc_list out = {0};
	struct err err;
	const struct doc_node *root, *n;

	ok(render("a: ${port.nginx}\n"
	          "b: \"${port.nginx}\"\n"
	          "c: http://${lb_ip}:${port.nginx}/\n"
	          "d: ${ports.nginx}\n"
	          "e: ${values.n}\n"
	          "f: $${HOME} and $$ and ${lb_ip}\n"
	          "g: |\n  listen ${port.nginx};\n  # ${lb_ip}\n"
	          "h${port.nginx}: x\n"
	          "# ${unknown} in a comment is not read\n",
	          &out, &err) == 0,
	   "renders: %s", err.msg);
	if (out.n != 1)
		return;
	root = out.docs[0];
	n = doc_map_get(root, "a");
	ok(n && n->type == DOC_INT && n->i == 80, "plain whole placeholder takes the int type");
	n = doc_map_get(root, "b");
	ok(n && n->type == DOC_STR && strcmp(n->text, "80") == 0, "quoted stays a string");
	n = doc_map_get(root, "c");
	ok(n && n->type == DOC_STR && strcmp(n->text, "http://192.168.61.10:80/") == 0,
	   "concatenation is a string");
	n = doc_map_get(root, "d");
	ok(n && n->type == DOC_SEQ && n->n == 2 && n->items[1]->i == 443,
	   "a list variable becomes a sequence");
	n = doc_map_get(root, "e");
	ok(n && n->type == DOC_STR && strcmp(n->text, "123") == 0,
	   "a string value that looks like a number stays a string");
	n = doc_map_get(root, "f");
	ok(n && strcmp(n->text, "${HOME} and $$ and 192.168.61.10") == 0, "$${ escapes: %s",
	   n ? n->text : "");
	n = doc_map_get(root, "g");
	ok(n && strcmp(n->text, "listen 80;\n# 192.168.61.10\n") == 0, "block scalar");
	ok(doc_map_get(root, "h80") != NULL, "placeholder in a key (as text)");
	doc_list_release(&out);
}

/* The secret holds YAML syntax; it must stay one string through emit and parse. */
static void test_injection(void)
{
	struct doc_list out = {0}, back = {0};
	struct buf b = BUF_INIT(1 << 20);
	struct err err;
	const struct doc_node *n;

	ok(render("password: ${secret.pw}\nother: ${secret.pw}x\nlist:\n  - ${secret.pw}\n", &out,
	          &err) == 0,
	   "renders");
	if (out.n != 1)
		return;
	n = doc_map_get(out.docs[0], "password");
	ok(n && n->type == DOC_STR && strcmp(n->text, ": #\"'\n- x\n{a: b}") == 0,
	   "value substituted as one string");
	ok(doc_emit_yaml(out.docs[0], &b, &err) == 0, "emits");
	ok(doc_parse_yaml("emitted", b.data, b.len, &back, &err) == 0 && back.n == 1,
	   "emitted text parses");
	if (back.n == 1) {
		ok(doc_equal(out.docs[0], back.docs[0]), "round trip keeps the structure");
		is_int(back.docs[0]->n, 3, "still three keys");
	}
	doc_list_release(&back);
	doc_list_release(&out);
	buf_release(&b);
}

/* Too many names to list: the first ones, then "...", no gaps. */
static void test_long_list(void)
{
	static const char text[] = "a: ${nope}\n";
	struct tmpl_vars many = {0};
	struct doc_list out = {0};
	struct err err;
	char name[64];
	const char *tail;
	int i;

	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "values.a_rather_long_name_%03d", i);
		tmpl_vars_set(&many, name, doc_new_str("x"));
	}
	ok(tmpl_render("t.yaml", text, sizeof(text) - 1, &many, &out, &err) < 0, "unknown name");
	tail = strstr(err.msg,
	              "known: values.a_rather_long_name_000, values.a_rather_long_name_001, ");
	ok(tail != NULL, "the list starts with the first names");
	ok(strlen(err.msg) > 6 && strcmp(err.msg + strlen(err.msg) - 6, ", ...)") == 0,
	   "and ends with ', ...' when they do not all fit: ...%s",
	   strlen(err.msg) > 60 ? err.msg + strlen(err.msg) - 60 : err.msg);
	ok(strstr(err.msg, "_199") == NULL, "the last ones are left out, not the middle");
	tmpl_vars_release(&many);
}

static void test_errors(void)
{
	is_str(error_of("a: 1\nb: x ${lb_ipp}\n"),
	       "templates/t.yaml:2:6: unknown variable 'lb_ipp'; did you mean 'lb_ip'?",
	       "unknown variable at its own column, with a suggestion");
	is_str(error_of("a:\n  - |\n    one\n    two ${nope.x} three\n"),
	       "templates/t.yaml:4:9: unknown variable 'nope.x' (write $${ for a literal '${'; "
	       "known: lb_ip, port.nginx, ports.nginx, secret.pw, values.n)",
	       "position inside a block scalar; with no help set, the known names are listed");
	vars.help = "'ftboot help render' lists the variables";
	is_str(error_of("a: ${nope.x}\n"),
	       "templates/t.yaml:1:4: unknown variable 'nope.x' (write $${ for a literal '${'; "
	       "'ftboot help render' lists the variables)",
	       "with help set, it is given instead");
	vars.help = NULL;
	test_long_list();
	is_str(error_of("a: ${secret.db}\n"),
	       "templates/t.yaml:1:4: unknown variable 'secret.db'; declare the secret under "
	       "'secrets:' in the stack file",
	       "undeclared secret");
	is_str(error_of("a: x${lb_ip\n"),
	       "templates/t.yaml:1:5: unterminated placeholder: '${' without '}' (write $${ for "
	       "a literal '${')",
	       "unterminated");
	is_str(error_of("a: x${}\n"), "templates/t.yaml:1:5: empty placeholder '${}'", "empty");
	is_str(error_of("a: \"${a b}\"\n"),
	       "templates/t.yaml:1:5: bad character ' ' in a placeholder; names are letters, "
	       "digits, '_', '.' and '-' (write $${ for a literal '${')",
	       "bad character");
	is_str(error_of("a: \"${ports.nginx}\"\n"),
	       "templates/t.yaml:1:5: 'ports.nginx' is a sequence: it must stand alone as a plain "
	       "value, e.g. 'key: ${ports.nginx}'",
	       "list inside a string");
	is_str(error_of("h80: 1\nh${port.nginx}: 2\n"),
	       "templates/t.yaml:2:1: duplicate key 'h80' after substitution (first at line 1)",
	       "duplicate key after substitution");
	ok(strncmp(error_of("a: [\n"), "templates/t.yaml:", 17) == 0, "YAML error names the file");
}

/* The error is at the bad placeholder, not at the first of its scalar. */
static void test_which_placeholder(void)
{
	is_str(error_of("a: ${lb_ip} and ${bad\n"),
	       "templates/t.yaml:1:17: unterminated placeholder: '${' without '}' (write $${ for "
	       "a literal '${')",
	       "unterminated: the second '${'");
	is_str(error_of("a: \"${lb_ip}${a b}\"\n"),
	       "templates/t.yaml:1:13: bad character ' ' in a placeholder; names are letters, "
	       "digits, '_', '.' and '-' (write $${ for a literal '${')",
	       "bad character: the second '${'");
	is_str(error_of("a: $${} x${}\n"), "templates/t.yaml:1:10: empty placeholder '${}'",
	       "empty: not the '${}' inside a literal '$${}'");
	is_str(error_of("a: ${lb_ip} $${nope} ${nope}\n"),
	       "templates/t.yaml:1:22: unknown variable 'nope' (write $${ for a literal '${'; "
	       "known: lb_ip, port.nginx, ports.nginx, secret.pw, values.n)",
	       "unknown: not the same name inside a literal '$${nope}'");
	is_str(error_of("a: |\n  ${lb_ip}\n  ${port.nginx} ${a\xc3\xa9}\n"),
	       "templates/t.yaml:3:17: bad character '\xc3\xa9' in a placeholder; names are "
	       "letters, digits, '_', '.' and '-' (write $${ for a literal '${')",
	       "bad character: a multi-byte one is quoted whole, the third '${' of a block");
}

/* Columns count characters, 1-based, whatever comes before on the line or in the file. */
static void test_positions(void)
{
	is_str(error_of("\xc3\xa9: x ${nope}\n"),
	       "templates/t.yaml:1:6: unknown variable 'nope' (write $${ for a literal '${'; "
	       "known: lb_ip, port.nginx, ports.nginx, secret.pw, values.n)",
	       "a two-byte character before the placeholder on its line counts as one column");
	is_str(error_of("a: \xe2\x82\xac\xf0\x9f\x98\x80\nb: ${lb_ipp}\n"),
	       "templates/t.yaml:2:4: unknown variable 'lb_ipp'; did you mean 'lb_ip'?",
	       "three- and four-byte characters on an earlier line do not shift the column");
	is_str(error_of("k\xc3\xbc: \"\xc3\xbc \\u00fc ${lb_ipp}\"\n"),
	       "templates/t.yaml:1:15: unknown variable 'lb_ipp'; did you mean 'lb_ip'?",
	       "non-ASCII and an escape inside the quoted scalar: columns of the text as written");
	is_str(error_of("\xef\xbb\xbf"
	                "a: ${lb_ipp}\n"),
	       "templates/t.yaml:1:4: unknown variable 'lb_ipp'; did you mean 'lb_ip'?",
	       "a byte-order mark is not a column");
	is_str(error_of("\xef\xbb\xbf"
	                "a: 1\nb: \xc3\xa9${lb_ipp}\n"),
	       "templates/t.yaml:2:5: unknown variable 'lb_ipp'; did you mean 'lb_ip'?",
	       "a byte-order mark and a two-byte character, a line later");
	is_str(error_of("a: 1\r\nb: |\r\n  x\r\n  y ${lb_ipp}\r\n"),
	       "templates/t.yaml:4:5: unknown variable 'lb_ipp'; did you mean 'lb_ip'?",
	       "CR LF line breaks, inside a block scalar too");
	is_str(error_of("a: 1\rb: \"x\r  y ${lb_ipp}\"\r"),
	       "templates/t.yaml:3:5: unknown variable 'lb_ipp'; did you mean 'lb_ip'?",
	       "a lone CR ends a line, inside a quoted scalar too");
}

int main(void)
{
	setup();
	test_vars();
	test_typed();
	test_injection();
	test_errors();
	test_positions();
	test_which_placeholder();
	tmpl_vars_release(&vars);
	return tap_done();
}
