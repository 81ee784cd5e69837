/* floor: the least a waiting wrapper can do: posix_spawn COMMAND, waitpid, exit with its
 * status. Built statically, it is the floor the benchmarks compare the tools with. */
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
	pid_t pid;
	int st;

	if (argc < 2 || posix_spawnp(&pid, argv[1], NULL, NULL, &argv[1], environ) != 0)
		return 127;
	if (waitpid(pid, &st, 0) < 0)
		return 125;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
