/*
 * failpoint: named points that ftboot passes, for tests that must stop it
 * at an exact place instead of at a moment on the clock. A test hook, not
 * a user interface: only tests set the two variables.
 *
 *   FTBOOT_TEST_POINTS=FILE    each point reached is appended to FILE, one
 *                              name a line, in the order reached
 *   FTBOOT_TEST_KILL_AT=NAME   the process kills itself with SIGKILL right
 *                              after the point NAME (after it is listed)
 *   FTBOOT_TEST_KILL_AT=NAME#N ... after the N-th time it reaches NAME
 *                              (NAME alone is NAME#1)
 *   FTBOOT_TEST_SIGNAL_AT=NAME[#N]:SIG
 *                              the thread passing NAME (its N-th time)
 *                              raises signal SIG (a number, or INT, TERM,
 *                              HUP, QUIT, USR1, USR2) there and goes on:
 *                              a Ctrl-C at an exact place, handlers and all
 *
 * Names are words joined by ':', for example "journal:add:network:ft-net"
 * or "step:network:start": fixed words and the stack's resource names,
 * nothing that changes from run to run. A space or control character in
 * a name becomes '_', so each name is one word on one line. The
 * environment is read once, at the first point; without any of the
 * variables a point costs the test of one flag. Points may be passed from
 * several threads (parallel builds): each is listed whole, in the order
 * the threads pass them.
 */
#ifndef FTBOOT_FAILPOINT_H
#define FTBOOT_FAILPOINT_H

/*
 * Pass the point named by fmt and its arguments: list it, and die there
 * if it is the one to kill at. Never fails: a FILE that cannot be written
 * only misses the name, which the test reading it notices.
 */
void failpoint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
