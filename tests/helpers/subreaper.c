/* subreaper: runs COMMAND as a child subreaper, so that the tests' orphans land here
 * instead of on this machine's PID 1 (which never reaps), and leaves nothing behind.
 *
 * subreaper [-n] [-w] [-k GATE] [-p PIDFILE] [-r REPORT] [-t SECONDS] COMMAND [ARG]...
 *
 * Default: adopted orphans are reaped as they die (SIGCHLD is caught, as a reaping init
 * does). -n: they are not reaped while COMMAND runs, and SIGCHLD is left at its default,
 * like a non-reaping init. When COMMAND has exited, REPORT (default stderr) gets the lines
 * "reaped N" (orphans reaped meanwhile), "zombies N" and "alive N" (descendants in either
 * state now, the dead ones reaped first unless -n); -w first waits for the descendants to
 * finish on their own, -k until the file GATE exists (the test has looked at what is left).
 * Then every descendant left is SIGKILLed through a pidfd and reaped. Exit: COMMAND's
 * status (128+N for signal N); 124 when -t SECONDS (default 60) ran out first. COMMAND
 * starts with INT and QUIT at their default action, as a foreground job would. -p writes
 * COMMAND's pid to PIDFILE once it is forked (its only child then, but not for long: the
 * orphans it leaves are ours too).
 */
#include "config.h"

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/compat.h"
#include "harness.h"

static volatile sig_atomic_t expired;

static void on_alarm(int sig)
{
	(void)sig;
	expired = 1;
}

static void on_chld(int sig)
{
	(void)sig;
}

static char state_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] ? p[2] : '?';
}

int main(int argc, char **argv)
{
	bool reap = true, wait_all = false;
	const char *report = NULL, *gate = NULL, *pidfile = NULL;
	int opt, seconds = 60, status = 0, reaped = 0, zombies = 0, alive = 0, n;
	pid_t cmd, pid, kids[1024];
	FILE *out = stderr;
	struct sigaction sa = {.sa_handler = on_alarm};

	while ((opt = getopt(argc, argv, "+nwk:p:r:t:")) != -1) {
		switch (opt) {
		case 'n':
			reap = false;
			break;
		case 'w':
			wait_all = true;
			break;
		case 'k':
			gate = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'r':
			report = optarg;
			break;
		case 't':
			seconds = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc)
		errx(2, "usage: subreaper [-n] [-w] [-k GATE] [-p PIDFILE] [-r REPORT] [-t SECONDS] COMMAND [ARG]...");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		err(2, "PR_SET_CHILD_SUBREAPER");
	sigaction(SIGALRM, &sa, NULL);
	if (reap) {
		struct sigaction chld = {.sa_handler = on_chld};

		sigaction(SIGCHLD, &chld, NULL);
	}
	alarm((unsigned)seconds);
	cmd = fork();
	if (cmd < 0)
		err(2, "fork");
	if (cmd == 0) {
		/* Tests start the harness with &, and a non-interactive shell starts those with
		 * INT and QUIT ignored: give COMMAND a foreground job's dispositions. */
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		execvp(argv[optind], &argv[optind]);
		err(127, "%s", argv[optind]);
	}
	if (pidfile) {
		FILE *pf = fopen(pidfile, "we");

		if (!pf || fprintf(pf, "%d\n", (int)cmd) < 0 || fclose(pf) != 0)
			err(2, "%s", pidfile);
	}
	for (;;) {
		pid = waitpid(reap ? -1 : cmd, &status, 0);
		if (pid == cmd)
			break;
		if (pid > 0)
			reaped++;
		else if (expired || errno != EINTR)
			break;
	}
	/* The SIGCHLD of an orphan that stops itself interrupts the wait (EINTR): go on. */
	while (wait_all && !expired) {
		if (waitpid(-1, NULL, 0) > 0)
			reaped++;
		else if (errno != EINTR)
			break;
	}
	while (gate && !expired && access(gate, F_OK) != 0) {
		if (reap)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				reaped++;
		usleep(10000);
	}
	/* A reaping init reaps an orphan soon after it dies, not at once: the ones that died
	 * with COMMAND (a killed tree) are not counted as zombies. */
	if (reap)
		while (waitpid(-1, NULL, WNOHANG) > 0)
			reaped++;
	n = list_children(kids, 1024);
	for (int i = 0; i < n; i++) {
		if (state_of(kids[i]) == 'Z')
			zombies++;
		else
			alive++;
	}
	if (report && !(out = fopen(report, "we")))
		err(2, "%s", report);
	fprintf(out, "reaped %d\nzombies %d\nalive %d\n", reaped, zombies, alive);
	if (out != stderr)
		fclose(out);
	kill_children();
	if (expired)
		return 124;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
