/*
 * run.h: running a program from a unit test and capturing its output
 * (header-only, beside tap.h). For tests that check ftboot's files with
 * the tools people use on them: ssh-keygen, isoinfo, blkid.
 */
#ifndef FTBOOT_TEST_RUN_H
#define FTBOOT_TEST_RUN_H

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"

/*
 * Run argv (searched in PATH); its stdout, and its stderr too with merge,
 * appended to out (stderr otherwise goes to /dev/null). The exit status,
 * or -1 if it could not run or did not exit.
 */
static inline int run_capture(const char *const argv[], struct buf *out, int merge)
{
	int fds[2], status;
	char chunk[65536];
	ssize_t n;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		if (merge) {
			dup2(fds[1], 2);
		} else if (freopen("/dev/null", "w", stderr) == NULL) {
			_exit(126);
		}
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		buf_add(out, chunk, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
