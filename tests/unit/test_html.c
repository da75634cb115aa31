/*
 * Unit tests: the HTML readers (html.h) on the shapes of the pages the
 * web checks read (WordPress's wp-login.php, phpMyAdmin's login form and
 * structure page) and on broken ones.
 */
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "tap.h"

/* html_attr of the first <elem> of s, or NULL. */
static char *attr_of(const char *s, const char *elem, const char *attr)
{
	const char *te, *t = html_tag(s, s + strlen(s), elem, &te);

	return t ? html_attr(t, te, attr) : NULL;
}

int main(void)
{
	const char *form =
	    "<form method=\"post\" id=\"login_form\" action=\"index.php?route=/\">\n"
	    "<input type=\"hidden\" name=\"token\" value=\"4a&amp;&#039;&quot;\">\n"
	    "<INPUT TYPE=hidden NAME='server' value=1>"
	    "<input type=\"checkbox\"\n  name=\"selected_tbl[]\"\n  class=\"checkall\"\n"
	    "  value=\"wp_users\"\n id=\"checkbox_tbl_12\">"
	    "<input disabled name=\"a\" value=\"x > y\"></form>";
	const char *end = form + strlen(form), *t, *te;
	char *s;

	const char *refs = "a&amp;b&lt;&gt;&quot;&apos;&#39;&#x41;&#65;&nbsp;&#0;&#;&#x;&amp";

	s = html_decode(refs, strlen(refs));
	is_str(s, "a&b<>\"''AA&nbsp;&#0;&#;&#x;&amp",
	       "decode: named and ASCII numeric "
	       "references; others kept as written");
	free(s);
	s = html_decode("&#128512;&#x80;&#65", 19);
	is_str(s, "&#128512;&#x80;&#65",
	       "decode: references past ASCII, or without their ';', kept");
	free(s);

	t = html_tag(form, end, "input", &te);
	ok(t && strncmp(t, "<input type=\"hidden\" name=\"token\"", 33) == 0 && te[-1] == '>',
	   "tag: the first <input>, to its '>'");
	s = html_attr(t, te, "value");
	is_str(s, "4a&'\"", "attr: a double-quoted value, decoded");
	free(s);
	ok(html_attr(t, te, "id") == NULL, "attr: none is NULL");
	ok(html_tag(form, end, "inp", &te) == NULL, "tag: a name's prefix is not the name");
	ok(html_find(form, end, "input", "name", "server", &t, &te) == 0, "find: by name, tag "
	                                                                  "case-insensitive");
	s = html_attr(t, te, "Value");
	is_str(s, "1", "attr: an unquoted value, the attribute's name case-insensitive");
	free(s);
	s = html_attr(t, te, "type");
	is_str(s, "hidden", "attr: an unquoted name and value in capitals");
	free(s);
	ok(html_find(form, end, "input", "name", "selected_tbl[]", &t, &te) == 0,
	   "find: attributes over several lines");
	s = html_attr(t, te, "value");
	is_str(s, "wp_users", "attr: its value");
	free(s);
	ok(html_find(form, end, "input", "name", "a", &t, &te) == 0,
	   "find: after a bare attribute");
	s = html_attr(t, te, "value");
	is_str(s, "x > y", "attr: a '>' inside quotes does not end the tag");
	free(s);
	s = html_attr(t, te, "disabled");
	is_str(s, "", "attr: a bare attribute is \"\"");
	free(s);
	ok(html_find(form, end, "input", "name", "nosuch", &t, &te) == -1, "find: none");

	s = attr_of("<a href='x", "a", "href");
	is_str(s, "x", "attr: an unclosed quote ends at the tag's end");
	free(s);
	s = attr_of("<a =x href=y", "a", "href");
	is_str(s, "y", "attr: a stray '=' is passed over");
	free(s);
	ok(attr_of("<", "a", "href") == NULL && attr_of("<a", "a", "href") == NULL,
	   "tag: a lone '<', a name at the very end");

	{
		const char *e =
		    "<div id=\"login_error\">\t<strong>Error:</strong> The password "
		    "for <strong>admin</strong> is &quot;wrong&quot;. <a href=\"x\">Lost"
		    "</a><br />\n</div><p>after</p>";

		s = html_text(e, e + strlen(e), "div", 240);
		is_str(s, "Error: The password for admin is \"wrong\". Lost",
		       "text: to </div>, tags dropped, references decoded, blanks collapsed");
		free(s);
		e = "<head><style>body { color: red }</style><script>var a = '<b>';</script></head>"
		    "<body><p>Error establishing a database connection</p></body>";
		s = html_text(e, e + strlen(e), "body", 240);
		is_str(s, "Error establishing a database connection",
		       "text: what a style and a script hold is dropped");
		free(s);
		e = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
		s = html_text(e, e + strlen(e), "div", 8);
		is_str(s, "\xc3\xa9\xc3\xa9...", "text: cut on a character, with \"...\"");
		free(s);
		e = "<style>never closed";
		s = html_text(e, e + strlen(e), "div", 240);
		is_str(s, "never closed", "text: an unclosed style is text");
		free(s);
	}
	return tap_done();
}
