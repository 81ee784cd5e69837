/* sigrec: a COMMAND that records the signals it receives.
 *
 * sigrec [-c SIG,...] [-i SIG,...] [-x SIG:CODE] [-r READY] LOG
 *
 * Catches the -c signals (default HUP,INT,QUIT,TERM,USR1,USR2,WINCH) and appends one line
 * "NAME MONOTONIC_NS" per signal to LOG; ignores the -i signals; on the -x signal exits
 * with CODE after logging it. READY is created once all of that is in place, so tests
 * wait for it instead of sleeping. Runs until killed or until the -x signal.
 */
#include "config.h"

#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/util.h"

static void parse_set(const char *arg, sigset_t *set)
{
	char *copy = strdup(arg), *save = NULL;
	int sig;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (parse_signal(t, &sig) < 0)
			errx(2, "bad signal '%s'", t);
		sigaddset(set, sig);
	}
	free(copy);
}

int main(int argc, char **argv)
{
	sigset_t catch, ign;
	int opt, exit_sig = 0, exit_code = 0, log, sfd;
	const char *ready = NULL;
	char *colon;

	sigemptyset(&catch);
	sigemptyset(&ign);
	parse_set("HUP,INT,QUIT,TERM,USR1,USR2,WINCH", &catch);
	while ((opt = getopt(argc, argv, "+c:i:x:r:")) != -1) {
		switch (opt) {
		case 'c':
			sigemptyset(&catch);
			parse_set(optarg, &catch);
			break;
		case 'i':
			parse_set(optarg, &ign);
			break;
		case 'x':
			colon = strchr(optarg, ':');
			if (!colon)
				errx(2, "bad -x '%s'", optarg);
			*colon = '\0';
			if (parse_signal(optarg, &exit_sig) < 0)
				errx(2, "bad -x '%s'", optarg);
			exit_code = atoi(colon + 1);
			sigaddset(&catch, exit_sig);
			break;
		case 'r':
			ready = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc - 1)
		errx(2, "usage: sigrec [-c SIGS] [-i SIGS] [-x SIG:CODE] [-r READY] LOG");
	log = open(argv[optind], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log < 0)
		err(2, "%s", argv[optind]);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&ign, s))
			signal(s, SIG_IGN);
	sigprocmask(SIG_BLOCK, &catch, NULL);
	sfd = signalfd(-1, &catch, SFD_CLOEXEC);
	if (sfd < 0)
		err(2, "signalfd");
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			err(2, "%s", ready);
		dprintf(fd, "%d\n", (int)getpid());
		close(fd);
	}
	for (;;) {
		struct signalfd_siginfo si;

		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		dprintf(log, "%s %lld\n", signal_name((int)si.ssi_signo), (long long)now_ns());
		/* _exit: the log is written already, and a sanitizer's exit-time leak check
		 * would stretch the exit past the ladder's grace. */
		if ((int)si.ssi_signo == exit_sig)
			_exit(exit_code);
	}
}
