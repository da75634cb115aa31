/* Unit tests: schema checks and their positioned messages. */
#include <string.h>

#include "schema.h"
#include "tap.h"

static struct doc_list docs;

static const struct doc_node *get(const char *key)
{
	return doc_map_get(docs.docs[0], key);
}

int main(void)
{
	static const char text[] = "name: web\nport: \"80\"\ncount: 7\nmap: {a: 1}\nempty: ''\n"
	                           "flag: true\nbad: Web_1\n";
	static const char *const known[] = {"name",  "port", "count", "map",
	                                    "empty", "flag", "bad",   NULL};
	static const char *const fewer[] = {"name", "port", "count", NULL};
	struct err err;
	struct schema s = {"f.yaml", &err};
	char got[64];
	int v = 0;

	/* The parser is ftboot's own: if it fails, that is a failure, not a skip. */
	if (!ok(doc_parse_yaml("f.yaml", text, sizeof(text) - 1, &docs, &err) == 0,
	        "the test document parses")) {
		diag("%s", err.msg);
		return tap_done();
	}
	ok(schema_keys(&s, docs.docs[0], "the file", known) == 0, "all keys known");
	ok(schema_keys(&s, docs.docs[0], "the file", fewer) < 0, "an unknown key");
	is_str(err.msg,
	       "f.yaml:4:1: unknown key 'map' in the file (expected one of: name, port, count)",
	       "lists the known keys when none is near");
	ok(schema_int(&s, get("count"), "count", 1, 10, &v) == 0 && v == 7, "int in range");
	ok(schema_int(&s, get("count"), "count", 1, 5, &v) < 0, "int out of range");
	is_str(err.msg, "f.yaml:3:8: count: expected an integer from 1 to 5, got 7",
	       "range message");
	ok(schema_int(&s, get("port"), "port", 1, 65535, &v) < 0, "a quoted number is not an int");
	is_str(err.msg,
	       "f.yaml:2:7: port: expected an integer from 1 to 65535, got the string '80' (remove "
	       "the quotes)",
	       "and says to remove the quotes");
	ok(schema_str(&s, get("name"), "name") == 0, "string");
	ok(schema_str(&s, get("empty"), "empty") < 0, "an empty string is refused");
	ok(schema_str(&s, get("flag"), "flag") < 0 && strstr(err.msg, "(quote it") != NULL,
	   "a boolean where a string is expected says to quote it");
	ok(schema_map(&s, get("map"), "map") == 0, "mapping");
	ok(schema_map(&s, get("name"), "name") < 0, "a string is not a mapping");
	ok(schema_label(&s, get("name"), "name", 63) == 0, "label");
	ok(schema_label(&s, get("bad"), "bad", 63) < 0, "not a label");
	ok(schema_is_label("a-1", 3) && !schema_is_label("a-1", 2) && !schema_is_label("1a", 9) &&
	       !schema_is_label("a-", 9) && !schema_is_label("", 9),
	   "label rules: length, first letter, no trailing '-', not empty");
	schema_describe(get("map"), got, sizeof(got));
	is_str(got, "a mapping", "describe a mapping");
	ok(schema_fail(&s, NULL, NULL, "whole file") < 0 &&
	       strcmp(err.msg, "f.yaml:1:1: whole file") == 0,
	   "no node: the file's start");
	doc_list_release(&docs);
	return tap_done();
}
