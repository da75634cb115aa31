/*
 * tmpl: Kubernetes manifest templates. A template is YAML with ${name}
 * placeholders in its scalars. It is parsed first and substituted in the
 * tree, never as text, so no value can change the YAML structure: a
 * password holding `: #"'` and newlines stays one string.
 *
 *   key: ${port.nginx}        a plain scalar that is one placeholder takes
 *                             the value's type (integer, string, list ...)
 *   url: "https://${lb_ip}/"  anything else is text: the value must be a
 *                             scalar, and the result is a string
 *   cmd: echo $${HOME}        "$${" writes a literal "${"
 *
 * Placeholders in comments are not read. An unknown name is an error at
 * the placeholder's own line and column.
 */
#ifndef FTBOOT_TMPL_H
#define FTBOOT_TMPL_H

#include <stddef.h>

#include "doc.h"
#include "err.h"

struct tmpl_var {
	char *name;
	struct doc_node *value;
};

/*
 * The variables, kept sorted by name. help, when set, is where an
 * unknown variable's error sends the reader; unset, the error lists the
 * known names.
 */
struct tmpl_vars {
	struct tmpl_var *v;
	size_t n;
	const char *help;
};

/* Set name to value (taken), replacing any earlier value. */
void tmpl_vars_set(struct tmpl_vars *vars, const char *name, struct doc_node *value);

/* The value of name or NULL. Borrowed. */
const struct doc_node *tmpl_vars_get(const struct tmpl_vars *vars, const char *name);

void tmpl_vars_release(struct tmpl_vars *vars);

/*
 * Render template text (named name in errors) with vars: every YAML
 * document of it, substituted, appended to out. On failure out is left
 * as it was.
 */
int tmpl_render(const char *name, const char *text, size_t len, const struct tmpl_vars *vars,
                struct doc_list *out, struct err *err);

#endif
