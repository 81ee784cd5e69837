/* pidns.c: the PID namespace's set-up, its init's signal relay and reaping loop, and the
 * status pipe (see pidns.h). */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "pidfd.h"
#include "pidns.h"
#include "util.h"

void pidns_prepare(struct pidns *ns, const char *init_name)
{
	int p[2], s[2];

	/* A stop the tool is slow to read is dropped rather than block the init: the next
	 * one, or the user's next Ctrl-Z, comes the same way. */
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(s, O_CLOEXEC | O_NONBLOCK) < 0)
		err(EXIT_TOOL_FAILURE, "pipe2");
	ns->userns = !has_cap_sys_admin();
	ns->status_r = p[0];
	ns->status_w = p[1];
	ns->stops_r = s[0];
	ns->stops_w = s[1];
	ns->init_name = init_name;
}

void pidns_status(struct pidns *ns, int *status)
{
	int inner;

	/* Our write end closed, an init that died unreported gives end-of-file, not a hang. */
	close(ns->status_w);
	if (read(ns->status_r, &inner, sizeof(inner)) == (ssize_t)sizeof(inner))
		*status = inner;
	close(ns->status_r);
	close(ns->stops_r);
	close(ns->stops_w);
	ns->status_r = ns->status_w = ns->stops_r = ns->stops_w = -1;
}

int pidns_write_id_maps(pid_t pid)
{
	char path[64], map[64];
	const char *files[] = {"setgroups", "uid_map", "gid_map"};
	const char *texts[3];
	char uid[32], gid[32];

	snprintf(uid, sizeof(uid), "%u %u 1\n", (unsigned)getuid(), (unsigned)getuid());
	snprintf(gid, sizeof(gid), "%u %u 1\n", (unsigned)getgid(), (unsigned)getgid());
	texts[0] = "deny";
	texts[1] = uid;
	texts[2] = gid;
	for (int i = 0; i < 3; i++) {
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		snprintf(map, sizeof(map), "%s", texts[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write_all(fd, map, strlen(map)) < 0) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			errno = e;
			return -1;
		}
		close(fd);
	}
	return 0;
}

int pidns_init_signals(sigset_t *orig)
{
	sigset_t all;

	/* Every signal is read here and relayed: a namespace init ignores the ones it has no
	 * handler for, so one left unblocked (the tool's mask blocks none in a hand-off) would
	 * never reach COMMAND. COMMAND gets the mask we started with. */
	sigfillset(&all);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGTRAP);
	sigdelset(&all, SIGSYS);
	sigprocmask(SIG_BLOCK, &all, orig);
	return signalfd(-1, &all, SFD_CLOEXEC);
}

/* Whether SIG, received by the init, reached COMMAND without us: job control's signals come
 * to the whole group (the terminal's, a shell's fg, the tool's), and COMMAND is in ours
 * unless it left it (0 from both sides: a group led from outside the namespace). Relayed
 * again, a CONT would undo a Ctrl-Z typed since, and a stop signal stop COMMAND twice. */
static bool reached_command(int sig, pid_t cmd_pid)
{
	return (sig == SIGCONT || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) &&
	       getpgid(cmd_pid) == getpgrp();
}

noreturn void pidns_init_serve(const struct pidns *ns, int sfd, int cmd_pidfd, pid_t cmd_pid)
{
	prctl(PR_SET_NAME, ns->init_name);
	for (;;) {
		struct signalfd_siginfo si;
		int s;
		pid_t pid;

		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		/* To COMMAND's group when COMMAND leads one; else (it stayed in the job's
		 * group, led from outside the namespace, as under a caller that is not its
		 * group's leader) to COMMAND itself, where it went nowhere before: the floor
		 * reached nobody. */
		if ((int)si.ssi_signo != SIGCHLD) {
			if (reached_command((int)si.ssi_signo, cmd_pid))
				continue;
			if (pidfd_kill_group(cmd_pidfd, cmd_pid, (int)si.ssi_signo) == 0)
				ar_pidfd_send_signal(cmd_pidfd, (int)si.ssi_signo, 0);
			continue;
		}
		while ((pid = waitpid(-1, &s, WNOHANG | WUNTRACED)) > 0) {
			unsigned char sig = WIFSTOPPED(s) ? (unsigned char)WSTOPSIG(s) : 0;

			/* Only job-control stops: a STOP sent to COMMAND is between the sender
			 * and COMMAND. */
			if (pid == cmd_pid && (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU))
				(void)!write(ns->stops_w, &sig, 1);
			if (pid != cmd_pid || sig)
				continue;
			(void)!write(ns->status_w, &s, sizeof(s));
			_exit(0);
		}
	}
}
