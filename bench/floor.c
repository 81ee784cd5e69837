/* floor: the least a waiting wrapper can do: posix_spawn COMMAND, waitpid, exit with its
 * status. Built statically, it is the floor the benchmarks compare the tools with.
 *
 * floor -w COMMAND: the least a userspace leash can add to that: before the spawn, a
 * watcher with memory of its own (fork) that blocks on a pipe, as autokill's watcher does;
 * after COMMAND's exit, the watcher is killed and reaped, as autokill does. It watches
 * nothing: it is there to be paid for. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	pid_t pid, watcher = -1;
	int st, p[2];
	char c;

	if (argc > 2 && strcmp(argv[1], "-w") == 0) {
		if (pipe2(p, O_CLOEXEC) < 0 || (watcher = fork()) < 0)
			return 125;
		if (watcher == 0) {
			close(p[1]);
			(void)!read(p[0], &c, 1);
			_exit(0);
		}
		close(p[0]);
		argv++;
	}
	if (argc < 2 || posix_spawnp(&pid, argv[1], NULL, NULL, &argv[1], environ) != 0)
		return 127;
	if (waitpid(pid, &st, 0) < 0)
		return 125;
	if (watcher > 0) {
		kill(watcher, SIGKILL);
		waitpid(watcher, NULL, 0);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
