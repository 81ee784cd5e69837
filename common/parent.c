/* parent.c: the parent-death signal, made race-free and thread-proof, and reaping as PID 1.
 *
 * PR_SET_PDEATHSIG (prctl(2)) fires when the THREAD that created us exits, not the process:
 * a parent that started us from a worker thread which then ended would look dead. The
 * kernel re-parents us before it sends the signal (kernel/exit.c, forget_original_parent):
 * to a sibling thread of the same process, whose pid getppid() still returns, or, once the
 * whole process is gone, to a subreaper or init. So the signal is a prompt and getppid()
 * the answer. A parent outside our PID namespace (we are its init) is pid 0 to us before
 * and after: there the signal alone decides, and a thread's exit counts as the parent's. */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contain.h"
#include "parent.h"
#include "util.h"

pid_t parent_watch(void)
{
	pid_t ppid = getppid();

	if (prctl(PR_SET_PDEATHSIG, PARENT_DEATH_SIGNAL) < 0)
		err(EXIT_TOOL_FAILURE, "--die-with-parent: cannot set the parent-death signal");
	/* Gone between the getppid() and the prctl(): nothing would ever fire. */
	if (getppid() != ppid)
		errx(EXIT_TOOL_FAILURE, "--die-with-parent: parent %d is gone already; COMMAND "
					"not started", (int)ppid);
	return ppid;
}

enum parent_news parent_news(pid_t ppid, const struct signalfd_siginfo *si)
{
	/* The kernel sends it as kill(2) would, from the exiting thread's process. */
	if ((int)si->ssi_signo != PARENT_DEATH_SIGNAL || si->ssi_code != SI_USER)
		return PARENT_NO_NEWS;
	if (getppid() != ppid || (ppid == 0 && si->ssi_pid == 0))
		return PARENT_DIED;
	/* The parent lives: one of its threads ended (or it sent the signal itself, which
	 * cannot be told apart and is dropped too). */
	return (pid_t)si->ssi_pid == ppid ? PARENT_THREAD : PARENT_NO_NEWS;
}

void init_reap(pid_t not1, pid_t not2)
{
	for (;;) {
		siginfo_t si;

		/* tini's way, waitpid(-1), would also take COMMAND's status from its pidfd; so
		 * look first (WNOWAIT), and reap by pid. */
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			return;
		if (si.si_pid == not1 || si.si_pid == not2) {
			/* It comes first and is not ours to reap: the others by their pids. */
			tree_reap(not1, not2);
			return;
		}
		waitid(P_PID, (id_t)si.si_pid, &si, WEXITED | WNOHANG);
	}
}
