/* ptyjob: a tiny job-control shell on a pseudo-terminal, driven by a script on stdin.
 *
 * ptyjob [-m] [-b] COMMAND [ARG]...
 *
 * Starts COMMAND as the foreground job of a new session whose controlling terminal is a
 * pty, as an interactive shell would, then reads one step per line from stdin and prints
 * one result line per step on stdout. With -m, COMMAND is a member of the job's process
 * group, not its leader, as the last command of a pipeline is: the leader (the pipeline's
 * first command) has exited by the time COMMAND runs. With -b, the job starts in the
 * background (`COMMAND &`): the terminal stays with the shell.
 *   intr | susp          type Ctrl-C / Ctrl-Z              -> "sent"
 *   type TEXT            type TEXT and a newline           -> "sent"
 *   wait-file PATH       until PATH exists                 -> "file PATH"
 *   output TEXT          until the terminal showed TEXT    -> "output TEXT"
 *   stopped              until the job stops               -> "stopped" (by TSTP) |
 *                                                             "stopped TTIN" | "exit N" | ...
 *   fg                   foreground + SIGCONT, like fg     -> "fg"
 *   give-job             the terminal to the job's group,  -> "given"
 *                        no SIGCONT: what a pipeline's first command does in its child
 *                        when it runs late, after the job's later commands started
 *   touch PATH           create PATH                       -> "touched"
 *   exit                 until the job ends                -> "exit N" | "signal NAME"
 *   owner                the terminal's foreground group   -> "fg=job" | "fg=shell" | ...
 * Each step is bounded (10 s; 60 s with AUTOREAP_EMULATED set, as under qemu's emulation,
 * where a step of terminal.bats once took longer): "timeout" and exit 124. At the end every process left in
 * the session is SIGKILLed and reaped.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/compat.h"
#include "common/util.h"
#include "harness.h"

static int master, slave, jobfd;
static pid_t job, jobpg;
static char seen[65536];
static size_t nseen;

static void on_alarm(int sig)
{
	(void)sig;
	printf("timeout\n");
	fflush(stdout);
	kill_children();
	_exit(124);
}

static void drain(int wait_ms)
{
	struct pollfd p = {master, POLLIN, 0};

	while (poll(&p, 1, wait_ms) > 0) {
		ssize_t n = read(master, seen + nseen, sizeof(seen) - 1 - nseen);

		if (n <= 0)
			break;
		nseen += (size_t)n;
		seen[nseen] = '\0';
		wait_ms = 0;
	}
}

static void print_status(int st)
{
	if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP)
		printf("stopped\n");
	else if (WIFSTOPPED(st))
		printf("stopped %s\n", signal_name(WSTOPSIG(st)));
	else
		print_wait_status("", st);
}

static void step(char *line)
{
	char *arg = strchr(line, ' ');
	int st;

	if (arg)
		*arg++ = '\0';
	alarm(getenv("AUTOREAP_EMULATED") ? 60 : 10);
	drain(0);
	if (strcmp(line, "intr") == 0 || strcmp(line, "susp") == 0) {
		struct termios t;

		tcgetattr(slave, &t);
		(void)!write(master, &t.c_cc[line[0] == 'i' ? VINTR : VSUSP], 1);
		printf("sent\n");
	} else if (strcmp(line, "type") == 0 && arg) {
		(void)!write(master, arg, strlen(arg));
		(void)!write(master, "\n", 1);
		printf("sent\n");
	} else if (strcmp(line, "touch") == 0 && arg) {
		close(open(arg, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
		printf("touched\n");
	} else if (strcmp(line, "wait-file") == 0 && arg) {
		struct stat sb;

		while (stat(arg, &sb) < 0)
			drain(10);
		printf("file %s\n", arg);
	} else if (strcmp(line, "output") == 0 && arg) {
		while (!strstr(seen, arg))
			drain(50);
		printf("output %s\n", arg);
	} else if (strcmp(line, "stopped") == 0) {
		while (waitpid(job, &st, WUNTRACED) < 0)
			if (errno != EINTR)
				err(2, "waitpid");
		print_status(st);
	} else if (strcmp(line, "fg") == 0) {
		tcsetpgrp(slave, jobpg);
		/* Before Linux 6.9 the flag is EINVAL: the group by its number then, as a shell
		 * does. It is still the job's: a pid that names a process group is not reused
		 * while the group has members. */
		if (ar_pidfd_send_signal(jobfd, SIGCONT, PIDFD_SIGNAL_PROCESS_GROUP) < 0 &&
		    errno == EINVAL)
			killpg(jobpg, SIGCONT);
		printf("fg\n");
	} else if (strcmp(line, "give-job") == 0) {
		tcsetpgrp(slave, jobpg);
		printf("given\n");
	} else if (strcmp(line, "exit") == 0) {
		while (waitpid(job, &st, 0) < 0)
			if (errno != EINTR)
				err(2, "waitpid");
		print_status(st);
	} else if (strcmp(line, "owner") == 0) {
		pid_t pg = tcgetpgrp(slave);

		if (pg == jobpg)
			printf("fg=job\n");
		else if (pg == getpgrp())
			printf("fg=shell\n");
		else
			printf("fg=other\n");
	} else {
		errx(2, "unknown step '%s'", line);
	}
	alarm(0);
	fflush(stdout);
}

/* -m: the job's leader, which only waits until COMMAND has joined its group. */
static pid_t start_leader(int go[2], bool bg)
{
	pid_t pid = fork();
	char c;

	if (pid == 0) {
		setpgid(0, 0);
		if (!bg)
			tcsetpgrp(slave, getpid());
		close(go[1]);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	setpgid(pid, pid);
	if (!bg)
		tcsetpgrp(slave, pid);
	return pid;
}

static int session(char **argv, bool member, bool bg)
{
	char line[4096];
	int go[2] = {-1, -1};
	pid_t leader = 0;

	setsid();
	slave = open(ptsname(master), O_RDWR); /* the first terminal opened: ours */
	if (slave < 0)
		err(2, "open pty");
	signal(SIGTTOU, SIG_IGN);
	signal(SIGALRM, on_alarm);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (member) {
		if (pipe2(go, O_CLOEXEC) < 0)
			err(2, "pipe2");
		leader = start_leader(go, bg);
		/* Its pidfd, so that fg reaches the group after the leader is reaped (6.9+). */
		jobfd = ar_pidfd_open(leader);
	}
	jobpg = member ? leader : 0;
	job = fork();
	if (job == 0) {
		setpgid(0, jobpg);
		if (!bg)
			tcsetpgrp(slave, getpgrp());
		signal(SIGTTOU, SIG_DFL);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(slave);
		close(master);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (!member) {
		jobpg = job;
		jobfd = ar_pidfd_open(job);
	}
	setpgid(job, jobpg);
	tcsetpgrp(slave, bg ? getpgrp() : jobpg);
	if (member) {
		close(go[0]);
		close(go[1]);
		waitpid(leader, NULL, 0);
	}
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			step(line);
	}
	kill_children();
	return 0;
}

int main(int argc, char **argv)
{
	pid_t pid;
	int st;
	bool member = false, bg = false;

	for (; argc > 1 && (strcmp(argv[1], "-m") == 0 || strcmp(argv[1], "-b") == 0); argc--, argv++)
		*(argv[1][1] == 'm' ? &member : &bg) = true;
	if (argc < 2)
		errx(2, "usage: ptyjob [-m] COMMAND [ARG]... < SCRIPT");
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		err(2, "pty");
	/* setsid needs a process that does not lead a group. */
	pid = fork();
	if (pid == 0)
		return session(&argv[1], member, bg);
	close(master);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			err(2, "waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
