/* keeper.c: the split into a thin holder and a keeper, and the holder's life (see keeper.h). */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "keeper.h"
#include "parent.h"
#include "spawn.h"
#include "util.h"

/* The keeper stopped (it follows COMMAND's job-control stops, when a job-control shell can
 * continue the job): stop too, with the same signal, so the shell sees the job stopped as
 * COMMAND did, and continue the keeper once continued. Not when the SIGCONT that woke us
 * is read: a Ctrl-Z typed at once after fg reaches us (the job's group has the terminal
 * until the keeper hands it on) and its TSTP discards that SIGCONT, still pending here
 * (signal(7)); the keeper would stay stopped, the job running. A keeper stopped with
 * SIGSTOP by someone else is between them and the keeper. */
static void follow_keeper_stop(int kfd)
{
	siginfo_t si;
	sigset_t one;

	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)kfd, &si, WSTOPPED | WNOHANG) != 0 || !si.si_pid ||
	    si.si_code != CLD_STOPPED || si.si_status == SIGSTOP)
		return;
	sigemptyset(&one);
	sigaddset(&one, si.si_status);
	raise(si.si_status);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	sigprocmask(SIG_BLOCK, &one, NULL);
	ar_pidfd_send_signal(kfd, SIGCONT, 0);
}

static noreturn void mirror_keeper(int kfd)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid((idtype_t)P_PIDFD, (id_t)kfd, &si, WEXITED) < 0)
		if (errno != EINTR)
			err(EXIT_TOOL_FAILURE, "cannot read the keeper's status");
	/* The keeper exited with COMMAND's status, or already died the way COMMAND did (or
	 * was killed itself). */
	exit_like(wait_status_of(&si));
}

noreturn void keeper_hold(const struct supervisor *sv, const struct keeper *k)
{
	int sfd = sv->st.sfd, kfd = k->pidfd, lifeline = k->lifeline;

	for (;;) {
		struct pollfd pfd[2] = {{kfd, POLLIN, 0}, {sfd, POLLIN, 0}};
		struct signalfd_siginfo si;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			err(EXIT_TOOL_FAILURE, "poll");
		}
		while (pfd[1].revents && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			int sig = (int)si.ssi_signo;
			unsigned char b = (unsigned char)sig;
			enum parent_news news = sv->cfg.die_with_parent && lifeline >= 0 ?
							parent_news(sv->st.ppid, &si) :
							PARENT_NO_NEWS;

			if (news == PARENT_DIED) {
				/* --die-with-parent: let go, as our death would; the keeper runs
				 * the ladder and we mirror how it ends. */
				close(lifeline);
				lifeline = -1;
			} else if (news == PARENT_THREAD) {
				continue;
			} else if (sig == SIGCHLD)
				follow_keeper_stop(kfd);
			else if (sig == SIGCONT)
				/* For real: only a signal continues a stopped keeper. */
				ar_pidfd_send_signal(kfd, sig, 0);
			else if (sig != SIGPIPE && sig != SIGTTIN && sig != SIGTTOU)
				/* A pipe keeps every one, in order; pending signals merge. A
				 * keeper already gone is seen on the pidfd next. */
				(void)!write(lifeline, &b, 1);
		}
		if (pfd[0].revents)
			mirror_keeper(kfd);
	}
}

enum keeper_role keeper_fork(struct supervisor *sv, struct keeper *k, const char *keeper_name)
{
	pid_t job = getpgrp(), holder = getpid(), pid;
	int life[2], kfd;

	if (pipe2(life, O_CLOEXEC) < 0)
		err(EXIT_TOOL_FAILURE, "pipe2");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		err(EXIT_TOOL_FAILURE, "fork");
	if (pid == 0) {
		char go;

		close(life[1]);
		/* Nothing starts before the holder can reach us through a pidfd. */
		if (read(life[0], &go, 1) != 1)
			_exit(EXIT_TOOL_FAILURE);
		/* Not the tool's: `pkill autokill` means the job, which the holder passes on. */
		prctl(PR_SET_NAME, keeper_name);
		supervisor_as_keeper(sv, life[0], job, holder);
		/* COMMAND's parent is the keeper, which follows its stops as the holder does. */
		spawn_stops_followed(sv->st.job_control);
		return KEEPER_ROLE_KEEPER;
	}
	close(life[0]);
	/* Our child: its pid cannot be reused before we reap it. */
	kfd = ar_pidfd_open(pid);
	if (kfd < 0 || write(life[1], "", 1) != 1) {
		int e = errno;

		/* The keeper reads end-of-file and exits without starting anything. */
		close(life[1]);
		waitpid(pid, NULL, 0);
		errno = e;
		err(EXIT_TOOL_FAILURE, "cannot start the keeper");
	}
	/* A keeper stopped for long must not block us: past 64 KiB of signals, drop. */
	fcntl(life[1], F_SETFL, O_NONBLOCK);
	k->pidfd = kfd;
	k->lifeline = life[1];
	return KEEPER_ROLE_HOLDER;
}
