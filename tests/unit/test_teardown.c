/*
 * test_teardown: the registry of resource kinds and `down`'s walk of the
 * journal: newest first, each entry to its kind, on past a failure (and
 * past an unknown kind), every failure in one error at the end, the
 * state kept while anything is left; a backend opened only when an entry
 * needs it, once.
 */
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "scratch.h"
#include "tap.h"
#include "teardown.h"
#include "xmem.h"

static char *tmp;
static int opens, closes;
static char order[256]; /* names removed, in order */

static int fake_open(struct run *run, void **handle, struct err *err)
{
	(void)run;
	(void)err;
	opens++;
	*handle = &opens;
	return 0;
}

static int fake_open_fail(struct run *run, void **handle, struct err *err)
{
	(void)run;
	(void)handle;
	opens++;
	return err_set(err, ERR_FAIL, "the daemon's socket is not there");
}

static void fake_close(void *handle)
{
	if (handle == &opens)
		closes++;
}

static const struct teardown_backend fake_backend = {"fakebackend", fake_open, fake_close};

/* Removes anything but "bad", which fails. */
static int fake_remove(struct run *run, void *handle, const struct journal_entry *e,
                       struct err *err)
{
	(void)run;
	if (handle != &opens)
		return err_set(err, ERR_FAIL, "no backend handle");
	if (strcmp(e->name, "bad") == 0)
		return err_set(err, ERR_FAIL, "the fake refuses to remove 'bad'");
	snprintf(order + strlen(order), sizeof(order) - strlen(order), "%s%s", *order ? "," : "",
	         e->name);
	return 0;
}

static const struct teardown_kind fake = {"fake", &fake_backend, fake_remove};

/* A fresh stack state dir with its journal open in j, run set up over both. */
static void setup(const char *stack, struct stack *st, struct state *state, struct journal *j,
                  struct run *run)
{
	struct err err;
	char *path;

	memset(st, 0, sizeof(*st));
	st->name = (char *)stack;
	if (state_open(state, stack, 1, &err) < 0 || state_lock(state, "test", &err) < 0) {
		printf("Bail out! %s\n", err.msg);
		exit(1);
	}
	path = path_join(state->dir, "journal");
	if (journal_open(j, path, &err) < 0) {
		printf("Bail out! %s\n", err.msg);
		exit(1);
	}
	free(path);
	*run = (struct run){.stack = st, .state = state, .journal = j};
	opens = closes = 0;
	order[0] = '\0';
}

static void test_one_fails(void)
{
	struct stack st;
	struct state state = {0};
	struct journal j;
	struct run run;
	struct err err;
	char *file;

	setup("three", &st, &state, &j, &run);
	file = path_join(state.dir, "made-by-up");
	fs_write_atomic(file, "x", 1, 0600, 0, &err);
	ok(journal_record(&j, "fake", "good", NULL, &err) == 0 &&
	       journal_record(&j, "file", file, NULL, &err) == 0 &&
	       journal_record(&j, "fake", "bad", (const char *[]){"why", "test", NULL}, &err) == 0,
	   "three resources of two kinds journaled");
	ok(teardown_register(&fake, &err) == 0 && teardown_register(&teardown_file, &err) == 0,
	   "a fake kind and the file kind registered");
	err_clear(&err);
	is_int(teardown_stack(&run, &err), -1, "down fails: one removal failed");
	is_str(order, "good", "the other fake resource was removed");
	ok(!fs_exists(file), "the file was removed");
	ok(strstr(err.msg, "1 of 3 resources were not removed") != NULL &&
	       strstr(err.msg, "\n  fake 'bad': the fake refuses to remove 'bad'") != NULL,
	   "the failure is reported, with the resource and why: %s", err.msg);
	is_int(j.n, 1, "only the failed one is left in the journal");
	ok(j.n == 1 && strcmp(j.v[0].name, "bad") == 0, "and it is 'bad'");
	ok(state_exists(&state), "the state is kept");
	is_int(opens, 1, "the backend was opened once for two entries");
	is_int(closes, 1, "and closed");
	journal_close(&j);
	{
		char *path = path_join(state.dir, "journal");

		journal_open(&j, path, &err);
		free(path);
	}
	is_int(j.n, 1, "the kept journal on disk holds what is left");
	journal_close(&j);
	state_close(&state);
	free(file);
	teardown_reset();
}

static void test_order_unknown_and_lazy(void)
{
	struct stack st;
	struct state state = {0};
	struct journal j;
	struct run run;
	struct err err;
	char *f1, *f2;

	setup("lazy", &st, &state, &j, &run);
	f1 = path_join(state.dir, "f1");
	f2 = path_join(state.dir, "f2");
	fs_write_atomic(f1, "x", 1, 0600, 0, &err);
	teardown_register(&fake, &err);
	teardown_register(&teardown_file, &err);
	ok(journal_record(&j, "file", f1, NULL, &err) == 0 &&
	       journal_record(&j, "file", f2, NULL, &err) == 0,
	   "only file entries (one already gone)");
	is_int(teardown_stack(&run, &err), 0, "down: %s", err.msg);
	is_int(opens, 0, "no entry needed the backend: never opened");
	ok(!fs_exists(f1) && !state_exists(&state), "the file and then the state are gone");
	journal_close(&j);
	state_close(&state);

	setup("order", &st, &state, &j, &run);
	ok(journal_record(&j, "fake", "first", NULL, &err) == 0 &&
	       journal_record(&j, "from-the-future", "thing", NULL, &err) == 0 &&
	       journal_record(&j, "fake", "second", NULL, &err) == 0 &&
	       journal_record(&j, "fake", "third", NULL, &err) == 0,
	   "three fakes around an unknown kind");
	is_int(teardown_stack(&run, &err), -1, "an unknown kind fails down");
	is_str(order, "third,second,first", "newest first, and on past the unknown kind");
	ok(strstr(err.msg, "from-the-future 'thing': unknown kind of resource") != NULL,
	   "the unknown kind is named: %s", err.msg);
	ok(j.n == 1 && state_exists(&state), "it stays in the journal, the state with it");
	journal_close(&j);
	state_destroy(&state, &err);
	state_close(&state);
	teardown_reset();

	/* A backend that cannot be opened: tried once, its entries kept, the rest removed. */
	{
		static const struct teardown_backend down_backend = {"downbackend", fake_open_fail,
		                                                     fake_close};
		static const struct teardown_kind broken = {"broken", &down_backend, fake_remove};

		setup("nobackend", &st, &state, &j, &run);
		fs_write_atomic(f1, "x", 1, 0600, 0, &err);
		teardown_register(&broken, &err);
		teardown_register(&teardown_file, &err);
		journal_record(&j, "broken", "a", NULL, &err);
		journal_record(&j, "file", f1, NULL, &err);
		journal_record(&j, "broken", "b", NULL, &err);
		is_int(teardown_stack(&run, &err), -1,
		       "a backend that cannot be opened fails down");
		is_int(opens, 1, "it was tried once");
		ok(!fs_exists(f1), "the file was removed all the same");
		ok(strstr(err.msg, "2 of 3") &&
		       strstr(err.msg, "broken 'b': cannot open downbackend: "
		                       "the daemon's socket is not there") &&
		       strstr(err.msg, "broken 'a': not tried: downbackend could not be opened"),
		   "both entries say why: %s", err.msg);
		is_int(j.n, 2, "both kept");
		journal_close(&j);
		state_destroy(&state, &err);
		state_close(&state);
		teardown_reset();
	}

	{
		static const struct teardown_kind other = {"fake", NULL, fake_remove};

		ok(teardown_register(&fake, &err) == 0 && teardown_register(&fake, &err) == 0,
		   "registering a kind twice is nothing");
		is_int(teardown_register(&other, &err), -1,
		       "another kind of the same name is refused");
		ok(teardown_find("fake") == &fake && teardown_find("nope") == NULL,
		   "teardown_find");
		teardown_reset();
	}
	free(f1);
	free(f2);
}

int main(void)
{
	tmp = scratch_open("teardown");
	setenv("FTBOOT_STATE_DIR", tmp, 1);
	test_one_fails();
	test_order_unknown_and_lazy();
	scratch_close(tmp);
	return tap_done();
}
