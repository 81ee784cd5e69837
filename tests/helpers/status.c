/* status: runs COMMAND and prints how it ended, which a shell's $? cannot tell apart:
 * "exit N", "signal NAME" or "signal NAME core". Exits 0 unless COMMAND could not run. */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

int main(int argc, char **argv)
{
	pid_t pid;
	int st;

	if (argc < 2)
		errx(2, "usage: status COMMAND [ARG]...");
	pid = fork();
	if (pid == 0) {
		execvp(argv[1], &argv[1]);
		err(127, "%s", argv[1]);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		err(2, "wait");
	if (WIFEXITED(st))
		printf("exit %d\n", WEXITSTATUS(st));
	else
		printf("signal %s%s\n", signal_name(WTERMSIG(st)), WCOREDUMP(st) ? " core" : "");
	return 0;
}
