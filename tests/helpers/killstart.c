/* killstart: runs a tool under ptrace and SIGKILLs it at the worst moment of a start: when
 * the clone that starts COMMAND has just returned in the tool, before the tool runs one
 * more instruction. Whatever guards COMMAND from then on (a leash watcher, a floor) must
 * already be in place. Works on static builds, where an LD_PRELOAD shim cannot.
 *
 * killstart -u FILE TOOL [ARG]...
 * killstart -n TOOL [ARG]...
 *
 * COMMAND's clone is the first one in TOOL's own process (not its forks) that returns a
 * pid and is either clone(2) with CLONE_VFORK (the fast path) or clone3(2) (fork-like).
 * At that syscall's exit TOOL stays stopped until FILE exists (COMMAND makes it once it has
 * set itself up; at most 60 s), then gets SIGKILL. With -n it gets SIGKILL there at once:
 * where COMMAND cannot start before the tool's next steps (an unprivileged pidns waits for
 * the tool to write its user namespace's maps), nothing may start and nothing may be left. Exit: TOOL's status (128+N for signal
 * N); 2 on a usage or ptrace error; 3 when no such clone happened.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <linux/ptrace.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/compat.h"

/* glibc's <sys/ptrace.h> and <linux/ptrace.h> clash: declare the call ourselves. */
extern long ptrace(int request, ...);

static void wait_for_file(const char *file)
{
	struct timespec ms = {0, 1000000};

	for (int i = 0; i < 60000 && access(file, F_OK) != 0; i++)
		nanosleep(&ms, NULL);
}

/* Is the syscall that stopped PID at its exit COMMAND's clone, just returned? */
static bool command_clone(pid_t pid, struct ptrace_syscall_info *entry)
{
	struct ptrace_syscall_info info;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(info), &info) <= 0)
		return false;
	if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
		*entry = info;
		return false;
	}
	if (info.op != PTRACE_SYSCALL_INFO_EXIT || info.exit.is_error || info.exit.rval <= 0 ||
	    entry->op != PTRACE_SYSCALL_INFO_ENTRY)
		return false;
	return (entry->entry.nr == SYS_clone && (entry->entry.args[0] & CLONE_VFORK)) ||
	       entry->entry.nr == SYS_clone3;
}

int main(int argc, char **argv)
{
	struct ptrace_syscall_info entry = {0};
	const char *file = NULL;
	bool now = false;
	bool killed = false;
	int opt, st, sig = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+nu:")) != -1) {
		if (opt == 'n')
			now = true;
		else if (opt == 'u')
			file = optarg;
		else
			errx(2, "usage: killstart {-u FILE | -n} TOOL [ARG]...");
	}
	if (!file == !now || optind >= argc)
		errx(2, "usage: killstart {-u FILE | -n} TOOL [ARG]...");
	pid = fork();
	if (pid < 0)
		err(2, "fork");
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			err(2, "PTRACE_TRACEME");
		raise(SIGSTOP);
		execvp(argv[optind], argv + optind);
		err(127, "%s", argv[optind]);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st))
		errx(2, "the tool did not stop for tracing");
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)) < 0)
		err(2, "PTRACE_SETOPTIONS");
	for (;;) {
		if (ptrace(killed ? PTRACE_CONT : PTRACE_SYSCALL, pid, NULL, (void *)(long)sig) < 0 &&
		    errno != ESRCH)
			err(2, "ptrace");
		sig = 0;
		if (waitpid(pid, &st, __WALL) < 0)
			err(2, "waitpid");
		if (WIFEXITED(st))
			return killed ? WEXITSTATUS(st) : 3;
		if (WIFSIGNALED(st))
			return killed ? 128 + WTERMSIG(st) : 3;
		if (!WIFSTOPPED(st))
			continue;
		if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			if (!killed && command_clone(pid, &entry)) {
				int pidfd = ar_pidfd_open(pid);

				if (file)
					wait_for_file(file);
				/* Our own unreaped child: the pidfd names the tool. */
				if (pidfd < 0 || ar_pidfd_send_signal(pidfd, SIGKILL, 0) < 0)
					err(2, "cannot kill the tool");
				close(pidfd);
				killed = true;
			}
		} else if (st >> 16 == 0 && WSTOPSIG(st) != SIGTRAP) {
			sig = WSTOPSIG(st); /* a signal for the tool: deliver it */
		}
	}
}
