/* supervise.c: the supervision loop.
 *
 * Everything arrives through one ppoll(): COMMAND's pidfd (its exit), a signalfd (signals
 * to relay, SIGCHLD for stops, SIGCONT for our own resumption) and, for the leash watcher,
 * the lifeline pipe. Deadlines are absolute CLOCK_MONOTONIC times, so neither EINTR nor an
 * early wake-up stretches a grace period, and with nothing pending the loop sleeps without
 * a timeout: no wake-ups while COMMAND runs.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <err.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "compat.h"
#include "parent.h"
#include "pidfd.h"
#include "spawn.h"
#include "supervise.h"
#include "util.h"

/* The signals relayed to COMMAND: those whose default action ends or concerns a process
 * and that are sent from outside, not raised by a fault in the tool itself. */
static const int relayable[] = {
	SIGHUP,	 SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,	SIGALRM, SIGWINCH,
	SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR,	SIGURG,	 SIGIO,	  SIGSTKFLT,
};

static bool ignored(int sig)
{
	struct sigaction sa;

	return sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

int supervise_signals(struct supervisor *sv, sigset_t *orig)
{
	sigset_t block;

	/* Not asking which of them our caller ignores (nohup, `trap '' TERM`): that is one
	 * sigaction(2) per signal, some 50 system calls at every start. Blocked, an ignored
	 * signal is queued instead of discarded (signal(7)); on_signal drops it when read. */
	sigemptyset(&block);
	sigemptyset(&sv->relay);
	for (size_t i = 0; i < sizeof(relayable) / sizeof(relayable[0]); i++)
		sigaddset(&sv->relay, relayable[i]);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(&sv->relay, s);
	block = sv->relay;
	/* Even when the caller ignores it: blocked, it is queued all the same. */
	if (sv->die_with_parent)
		sigaddset(&block, PARENT_DEATH_SIGNAL);
	/* Job control and our own plumbing: read from the signalfd, never relayed as is. */
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGCONT);
	sigaddset(&block, SIGPIPE);
	sigaddset(&block, SIGTTIN);
	sigaddset(&block, SIGTTOU);
	sigaddset(&block, SIGTSTP);
	if (sigprocmask(SIG_BLOCK, &block, orig) < 0)
		return -1;
	sv->sfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
	sv->next_step = -1;
	return sv->sfd < 0 ? -1 : 0;
}

int foreground_tty(void)
{
	pid_t pg = getpgrp();

	if (pg != getpid())
		return -1;
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd) && tcgetpgrp(fd) == pg)
			return fd;
	return -1;
}

/* T + D without wrapping: a duration near the longest one parse_duration takes (292
 * years), added to the uptime of a long-running system, would overflow into the past and
 * fire at once. */
static int64_t deadline(int64_t t, int64_t d)
{
	return d > INT64_MAX - t ? INT64_MAX : t + d;
}

static int signal_command(struct supervisor *sv, int sig)
{
	if (sv->group)
		return pidfd_kill_group(sv->pidfd, sv->pid, sig) < 0 ? -1 : 0;
	return pidfd_kill(sv->pidfd, sig);
}

int supervise_signal(struct supervisor *sv, int sig)
{
	int r = signal_command(sv, sig);

	/* What escaped the process group (setsid, double forks) is reached too. */
	if (sv->contain == CONTAIN_SUBREAPER)
		tree_signal(sig, sv->spare);
	else if (sv->contain == CONTAIN_CGROUP && sv->cg)
		cgroup_signal(sv->cg, sig);
	return r;
}

/* Whether anything of COMMAND's tree is left, reaping what has ended (subreaper). */
static bool tree_left(struct supervisor *sv)
{
	if (sv->contain == CONTAIN_SUBREAPER) {
		tree_reap(sv->spare, 0);
		return tree_children(sv->spare, 0) > 0;
	}
	if (sv->contain == CONTAIN_CGROUP && sv->cg)
		return cgroup_populated(sv->cg);
	return false;
}

static pid_t job_pgrp(const struct supervisor *sv)
{
	return sv->job_pgrp ? sv->job_pgrp : getpgrp();
}

void supervise_restore_tty(const struct supervisor *sv)
{
	if (sv->tty_fd >= 0 && tcgetpgrp(sv->tty_fd) == sv->pid)
		tcsetpgrp(sv->tty_fd, job_pgrp(sv));
}

static void signal_record(const struct supervisor *sv, int sig, bool relayed, int64_t t)
{
	if (sv->status)
		status_emit(sv->status,
			    "{\"event\":\"signal\",\"signal\":\"%s\",\"target\":\"%s\","
			    "\"relayed\":%s,\"elapsed\":%.3f}",
			    signal_name(sig), sv->group ? "group" : "process",
			    relayed ? "true" : "false", ns_to_s(t - sv->start_ns));
}

/* -v: one line per signal sent, in timeout(1)'s words; -vv adds the details. */
static void say_sent(const struct supervisor *sv, int sig, bool relayed, int64_t t)
{
	/* timeout -s 0 names the null signal as the shell's trap does. */
	const char *name = sig == 0 ? "EXIT" : signal_name(sig);

	if (!sv->verbose)
		return;
	if (!sv->name)
		warnx("sending signal %s to %d", name, (int)sv->pid);
	else if (sv->verbose == 1)
		warnx("sending signal %s to command '%s'", name, sv->name);
	else
		warnx("sending signal %s to command '%s' (pid %d, after %.2fs%s)", name, sv->name,
		      (int)sv->pid, ns_to_s(t - sv->start_ns), relayed ? ", relayed" : "");
}

/* The ladder of the leash and of the leftovers' clean-up always ends in KILL, also when the
 * timeout's own ladder stops short of it (timeout -s SIG without -k). */
static void end_in_kill(struct ladder *l)
{
	if (l->n > 0 && l->sig[l->n - 1] == SIGKILL)
		return;
	if (l->n == LADDER_MAX)
		l->n--;
	l->sig[l->n++] = SIGKILL;
}

/* The first step that sends something: `-s 0 -k D` waits D before its KILL, which the
 * leash has no reason to. */
static int first_real_step(const struct ladder *l)
{
	int i;

	for (i = 0; i < l->n - 1 && l->sig[i] == 0; i++)
		;
	return i;
}

static void run_step(struct supervisor *sv)
{
	int sig = sv->ladder.sig[sv->next_step];
	int64_t t = now_ns();

	supervise_signal(sv, sig);
	/* A stopped COMMAND cannot act on a catchable signal until it is continued. Not in
	 * the foreground: timeout(1) sends no SIGCONT there (it upsets debuggers). */
	if (sig != SIGKILL && sig != SIGSTOP && !sv->foreground)
		supervise_signal(sv, SIGCONT);
	if (sig == SIGKILL)
		sv->sent_kill = true;
	say_sent(sv, sig, false, t);
	signal_record(sv, sig, false, t);
	sv->next_step++;
	if (sv->next_step >= sv->ladder.n)
		sv->next_step = -1;
	else
		sv->step_at = deadline(t, sv->ladder.grace_ns);
}

/* Starts the ladder at step FIRST unless it is already running further on. */
static void start_ladder(struct supervisor *sv, int first, int64_t delay)
{
	if (first >= sv->ladder.n || (sv->next_step >= 0 && sv->next_step >= first))
		return;
	sv->next_step = first;
	sv->step_at = deadline(now_ns(), delay);
}

/* COMMAND stopped (Ctrl-Z, a relayed TSTP, or SIGTTIN in the background): take the
 * terminal back and stop ourselves, so the shell sees the job stopped; on `fg` or `bg` we
 * are continued here. */
static void follow_stop(struct supervisor *sv)
{
	siginfo_t si;
	sigset_t cont;

	memset(&si, 0, sizeof(si));
	/* A keeper whose holder is gone has nobody to continue it: no stopping then. */
	if (sv->holder && sv->leash_fd < 0)
		return;
	if (!sv->parent ||
	    waitid((idtype_t)P_PIDFD, (id_t)sv->pidfd, &si, WSTOPPED | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return;
	/* Only job-control stops are followed; a SIGSTOP sent to COMMAND by someone else is
	 * between them and COMMAND (timeout(1) does not follow it either). */
	if (si.si_status == SIGSTOP)
		return;
	supervise_restore_tty(sv);
	raise(SIGSTOP);
	/* Continued. Drop the SIGCONT that woke us, then hand the terminal back if the shell
	 * made us the foreground job again (fg), and continue COMMAND either way (fg or bg). */
	sigemptyset(&cont);
	sigaddset(&cont, SIGCONT);
	sigtimedwait(&cont, NULL, &(struct timespec){0, 0});
	if (sv->tty_fd >= 0 && tcgetpgrp(sv->tty_fd) == job_pgrp(sv))
		tcsetpgrp(sv->tty_fd, sv->pid);
	supervise_signal(sv, SIGCONT);
}

/* Whether a relayed SIG stands for a step of the ladder, the steps after it following: TERM,
 * HUP and INT, the ladder's own first signal, and for timeout(1) QUIT too (each of those
 * starts its -k countdown there). */
static bool continues_ladder(const struct supervisor *sv, int sig)
{
	return sig == SIGTERM || sig == SIGHUP || sig == SIGINT || sig == sv->ladder.sig[0] ||
	       (sv->timeout_compat && sig == SIGQUIT);
}

static void on_signal(struct supervisor *sv, int sig)
{
	int pos;

	if (sig == SIGALRM && sv->alrm_fires && !ignored(sig)) {
		/* timeout(1) counts a SIGALRM it receives as its own timer firing, so that
		 * `timeout -s ALRM 30 timeout 25 cmd` cascades. */
		sv->timed_out = true;
		start_ladder(sv, 0, 0);
		return;
	}
	switch (sig) {
	case SIGCHLD:
		if (sv->contain == CONTAIN_SUBREAPER)
			tree_reap(sv->pid, sv->spare);
		else if (getpid() == 1)
			/* PID 1 of a namespace adopts every orphan in it. */
			init_reap(sv->pid, sv->spare);
		follow_stop(sv);
		return;
	case SIGCONT:
		if (sv->tty_fd >= 0 && tcgetpgrp(sv->tty_fd) == job_pgrp(sv))
			tcsetpgrp(sv->tty_fd, sv->pid);
		supervise_signal(sv, SIGCONT);
		return;
	case SIGTSTP:
		/* Someone asked us to stop: stop COMMAND; its stop then stops us. */
		if (!ignored(SIGTSTP))
			supervise_signal(sv, SIGTSTP);
		return;
	case SIGPIPE:
	case SIGTTIN:
	case SIGTTOU:
		return;
	}
	if (!sigismember(&sv->relay, sig) || ignored(sig))
		return;
	if (sv->escalate && !sv->timeout_compat && sig == SIGINT && ++sv->ints >= 2) {
		/* A second Ctrl-C: the user wants it gone now. */
		end_in_kill(&sv->ladder);
		sv->next_step = sv->ladder.n - 1;
		run_step(sv);
		return;
	}
	supervise_signal(sv, sig);
	say_sent(sv, sig, true, now_ns());
	signal_record(sv, sig, true, now_ns());
	if (!sv->escalate || !continues_ladder(sv, sig))
		return;
	/* The relayed signal stands for its own step of the ladder (or the first one when it
	 * is not on the ladder); the steps after it follow after the grace. */
	for (pos = 0; pos < sv->ladder.n && sv->ladder.sig[pos] != sig; pos++)
		;
	start_ladder(sv, pos < sv->ladder.n ? pos + 1 : 1, sv->ladder.grace_ns);
}

/* --die-with-parent: what the holder's death does (a lifeline's hang-up), the kernel
 * leash's way (KILL at once) when COMMAND is on it. */
static void on_parent_death(struct supervisor *sv)
{
	if (sv->verbose)
		warnx("parent %d is gone", (int)sv->ppid);
	sv->die_with_parent = false;
	start_ladder(sv, sv->leash_kill ? sv->ladder.n - 1 : 0, 0);
}

static void drain_signals(struct supervisor *sv)
{
	struct signalfd_siginfo si;

	while (read(sv->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (sv->die_with_parent) {
			enum parent_news news = parent_news(sv->ppid, &si);

			if (news == PARENT_DIED)
				on_parent_death(sv);
			if (news != PARENT_NO_NEWS)
				continue;
		}
		/* A keeper gets the job's signals from its holder, over the lifeline. One sent to
		 * both (`pkill autokill` matches both names) must count once: a double INT is
		 * KILL. SIGCONT, which the holder sends for real to wake a stopped keeper, is
		 * the same however often it comes. */
		if (sv->holder && sv->leash_fd >= 0 && si.ssi_signo != SIGCHLD &&
		    si.ssi_signo != SIGCONT)
			continue;
		on_signal(sv, (int)si.ssi_signo);
	}
}

/* The lifeline. A keeper's holder writes the signals it receives there, one byte each; end
 * of file (for the watcher, any event: it never gets data) means the last holder of the
 * write end is gone, whatever killed it. */
static void on_lifeline(struct supervisor *sv)
{
	unsigned char sig[64];
	ssize_t n = sv->holder ? read(sv->leash_fd, sig, sizeof(sig)) : 0;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	for (ssize_t i = 0; i < n; i++)
		on_signal(sv, sig[i]);
	if (n > 0)
		return;
	sv->leash_fd = -1;
	end_in_kill(&sv->ladder);
	start_ladder(sv, sv->leash_kill ? sv->ladder.n - 1 : first_real_step(&sv->ladder), 0);
}

int supervise(struct supervisor *sv)
{
	int64_t timeout_at, rekill_at = 0;
	int status = -1;
	bool done = false, timed_out = false, sent_kill = false;

	sv->start_ns = now_ns();
	timeout_at = sv->timeout_ns ? deadline(sv->start_ns, sv->timeout_ns) : 0;
	for (;;) {
		struct pollfd pfd[4] = {
			{done ? -1 : sv->pidfd, POLLIN, 0},
			{sv->sfd, POLLIN, 0},
			{sv->leash_fd, POLLIN, 0},
			{done && sv->cg ? sv->cg->eventsfd : -1, POLLPRI, 0},
		};
		int64_t due = 0, t;
		struct timespec ts, *tsp = NULL;
		int r;

		if (done && !tree_left(sv))
			break;
		if (!sv->timed_out && timeout_at)
			due = timeout_at;
		if (sv->next_step >= 0 && (!due || sv->step_at < due))
			due = sv->step_at;
		/* The ladder is over and the tree is not gone: a KILL walk that ran out of time
		 * (its victims slow to die, on a loaded machine) can miss the children they
		 * re-parent to us later. KILL again until nothing is left. */
		if (done && sv->contain == CONTAIN_SUBREAPER && sv->sent_kill && sv->next_step < 0) {
			if (!rekill_at)
				rekill_at = now_ns() + NS_PER_SEC / 10;
			if (!due || rekill_at < due)
				due = rekill_at;
		}
		if (due) {
			t = due - now_ns();
			if (t < 0)
				t = 0;
			ts.tv_sec = t / NS_PER_SEC;
			ts.tv_nsec = t % NS_PER_SEC;
			tsp = &ts;
		}
		r = ppoll(pfd, 4, tsp, NULL);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0 && pfd[0].revents && sv->no_status) {
			status = 0;
			done = true;
		} else if (r > 0 && pfd[0].revents) {
			r = pidfd_try_status(sv->pidfd, sv->reap, &status);
			if (r < 0)
				return -1;
			done = r > 0;
		}
		if (done && !timed_out && !sent_kill && pfd[0].fd >= 0) {
			/* COMMAND's own outcome; what the ladder does to the rest of the tree
			 * afterwards does not change it. */
			timed_out = sv->timed_out;
			sent_kill = sv->sent_kill;
			if (!sv->wait_all && tree_left(sv)) {
				end_in_kill(&sv->ladder);
				start_ladder(sv, first_real_step(&sv->ladder), 0);
			}
		}
		if (r >= 0 && pfd[1].revents)
			drain_signals(sv);
		if (sv->leash_fd >= 0 && pfd[2].revents)
			on_lifeline(sv);
		t = now_ns();
		if (!sv->timed_out && timeout_at && t >= timeout_at) {
			sv->timed_out = true;
			start_ladder(sv, 0, 0);
		}
		if (sv->next_step >= 0 && t >= sv->step_at)
			run_step(sv);
		if (rekill_at && t >= rekill_at) {
			tree_signal(SIGKILL, sv->spare);
			rekill_at = 0;
		}
		if (done && sv->contain == CONTAIN_PGRP)
			break;
	}
	sv->timed_out = timed_out;
	sv->sent_kill = sent_kill;
	return status;
}
