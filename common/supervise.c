/* supervise.c: the supervision loop.
 *
 * Everything arrives through one ppoll(): COMMAND's pidfd (its exit), a signalfd (signals
 * to relay, SIGCHLD for stops, SIGCONT for our own resumption) and, for the leash watcher,
 * the lifeline pipe. Deadlines are absolute CLOCK_MONOTONIC times, so neither EINTR nor an
 * early wake-up stretches a grace period, and with nothing pending the loop sleeps without
 * a timeout: no wake-ups while COMMAND runs.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <err.h>
#include <sys/prctl.h>
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

/* Whether a job-control shell can continue JOB (our process group now) once we stop: we
 * are in a session with a controlling terminal among fds 0-2; JOB is not the session
 * leader's own group (such a shell puts every job in a group of its own); and either we
 * lead JOB (the shell made us the job), or our parent is outside it (the shell of a
 * pipeline whose first command leads it), or our parent is a tool that follows our stops
 * (STOPS_FOLLOWED_ENV: `autokill autokill less`). Any other parent inside JOB (make, a
 * script) waits for us and would not stop with us, and no `fg` would ever reach us. */
static bool job_controlled(pid_t job)
{
	pid_t sid = getsid(0);
	bool tty = false;

	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd) && tcgetsid(fd) == sid)
			tty = true;
	if (!tty)
		return false;
	/* The tool above knows whether a shell can continue the job; inside its PID
	 * namespace the session and the job's group, led from outside, both read as 0. */
	if (spawn_parent_follows_stops())
		return true;
	return job != sid && (job == getpid() || getpgid(getppid()) != job);
}

int supervise_signals(struct supervisor *sv, sigset_t *orig)
{
	const struct supervise_config *cfg = &sv->cfg;
	struct supervise_state *st = &sv->st;
	sigset_t block;

	/* Not asking which of them our caller ignores (nohup, `trap '' TERM`): that is one
	 * sigaction(2) per signal, some 50 system calls at every start. Blocked, an ignored
	 * signal is queued instead of discarded (signal(7)); on_signal drops it when read. */
	sigemptyset(&block);
	sigemptyset(&st->relay);
	for (size_t i = 0; i < sizeof(relayable) / sizeof(relayable[0]); i++)
		sigaddset(&st->relay, relayable[i]);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(&st->relay, s);
	block = st->relay;
	/* Even when the caller ignores it: blocked, it is queued all the same. */
	if (cfg->die_with_parent)
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
	st->sfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
	st->next_step = -1;
	st->job_pgrp = getpgrp();
	st->job_control = job_controlled(st->job_pgrp);
	spawn_stops_followed(st->job_control);
	return st->sfd < 0 ? -1 : 0;
}

/* Whether our job's group JOB is the foreground group of the terminal FD. JOB 0: it was
 * made outside our PID namespace (a tool run in another's --contain=pidns), which names
 * neither it nor any other group outside (tcgetpgrp gives 0 for both); /proc/self/stat,
 * numbered as the namespace of its mount (the one above, unless remounted) numbers them,
 * tells them apart, or says nothing (0): not the job's then, so never taken. */
static bool job_holds(int fd, pid_t job)
{
	char buf[1024], *p;
	long pgrp, tpgid;

	if (job)
		return tcgetpgrp(fd) == job;
	if (read_text("/proc/self/stat", buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')) ||
	    sscanf(p + 1, " %*c %*d %ld %*d %*d %ld", &pgrp, &tpgid) != 2)
		return false;
	return pgrp > 0 && tpgid == pgrp;
}

/* A terminal among fds 0-2 whose foreground process group is our job's, JOB, or -1. */
static int tty_held_by(pid_t job)
{
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd) && job_holds(fd, job))
			return fd;
	return -1;
}

/* FD, moved to 3 or above if it landed on 0-2 (a caller may have closed them). */
static int high_fd(int fd)
{
	int high;

	if (fd < 0 || fd > 2)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return high;
}

/* AddressSanitizer cannot follow a child onto a stack of its own (see spawn.c): the
 * sanitizer build forks its holder. */
#if defined(__SANITIZE_ADDRESS__)
#define HOLDER_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOLDER_SANITIZED 1
#endif
#endif
#ifndef HOLDER_SANITIZED
#define HOLDER_SANITIZED 0
#endif

#if !HOLDER_SANITIZED && (defined(__x86_64__) || defined(__aarch64__))
#define HOLDER_SHARES_MEMORY 1

/* A system call that returns -errno and writes nothing else: the holder shares our memory,
 * thread-local errno included, and runs beside us. */
static long holder_call(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
#else
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;

	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
#endif
}

/* One holder per process, so its stack and its arguments are static: the holder reads them
 * after group_holder has returned. */
static char holder_stack[8192] __attribute__((aligned(64)));
static struct {
	int r, w;
	const char *name;
} holder_args;

static int hold_in_shared_memory(void *unused)
{
	int r = holder_args.r;
	char c;

	(void)unused;
	holder_call(SYS_setpgid, 0, 0, 0);
	holder_call(SYS_prctl, PR_SET_NAME, (long)holder_args.name, 0);
	if ((r > 0 && holder_call(SYS_close_range, 0, r - 1, 0) < 0) ||
	    holder_call(SYS_close_range, r + 1, ~0U, 0) < 0) {
		/* Before Linux 5.9: the pipe's other end and the caller's stdio at least. */
		holder_call(SYS_close, holder_args.w, 0, 0);
		for (int fd = 0; fd <= 2; fd++)
			if (fd != r)
				holder_call(SYS_close, fd, 0, 0);
	}
	while (holder_call(SYS_read, r, (long)&c, 1) == -EINTR)
		;
	holder_call(SYS_exit, 0, 0, 0);
	return 0;
}
#else
#define HOLDER_SHARES_MEMORY 0
#endif

/* The leader of a group for COMMAND when we must stay in the job's group: a child that
 * only waits, its signals blocked, until we are gone (end of file on our pipe). It returns
 * the holder's pid, with a pidfd for it in *PIDFD.
 *
 * The holder shares our memory (CLONE_VM) where it can: a fork copies our page tables and
 * makes every page we write afterwards a copy-on-write fault, and its exit, which we wait
 * for, tears its copy down again. That was a fifth of autoreap --wait's time at each start
 * (bench/results/profile.md). Sharing is safe because the holder touches nothing of ours:
 * raw system calls on a static stack of its own, its own fd table and signal dispositions
 * (no CLONE_FILES, no CLONE_SIGHAND); our exit leaves the memory to it until it reads end of
 * file and exits too. */
static pid_t group_holder(int *hold, int *pidfd, const char *name)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	*pidfd = -1;
#if HOLDER_SHARES_MEMORY
	holder_args.r = p[0];
	holder_args.w = p[1];
	holder_args.name = name;
	pid = clone(hold_in_shared_memory, holder_stack + sizeof(holder_stack),
		    CLONE_VM | CLONE_PIDFD | SIGCHLD, NULL, pidfd);
	if (pid < 0 && (errno == ENOSYS || errno == EPERM || errno == EINVAL))
#endif
		pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_NAME, name);
		/* It holds nothing of ours: no pipe of the caller's stays open in it. */
		close(p[1]);
		for (int fd = 0; fd <= 2; fd++)
			if (fd != p[0])
				close(fd);
		if (p[0] > 3)
			ar_close_range(3, (unsigned)p[0] - 1, 0);
		ar_close_range((unsigned)p[0] + 1, ~0U, 0);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return -1;
	}
	/* Both sides, so the group exists whichever runs first. */
	setpgid(pid, pid);
	*hold = high_fd(p[1]);
	return pid;
}

static pid_t job_pgrp(const struct supervise_state *st)
{
	return st->job_pgrp ? st->job_pgrp : getpgrp();
}

/* When the job's group holds the terminal and COMMAND's is another group, the terminal goes
 * to COMMAND's group: at the START, and again when the job holds it later, which a shell's
 * fg does to a job started in the background, and which a pipeline's first command does in
 * its own child when it runs after we handed the terminal on. Later only if we took it at
 * the start or a job-control shell's fg means us: a program that is not a shell (make -j,
 * python) and runs us in the background of its job reads the terminal itself after its fg.
 * SIGTTOU is blocked, so we may. A command started in the background of a script (SIGINT
 * ignored) never takes it. Returns whether it went. */
static bool hand_tty(struct supervise_state *st, bool start)
{
	pid_t job = job_pgrp(st);
	int fd = st->tty_fd >= 0 ? st->tty_fd : tty_held_by(job);

	if (fd < 0 || !st->pgid || job == st->pgid || ignored(SIGINT) ||
	    (!start && st->tty_fd < 0 && !st->job_control) || !job_holds(fd, job) ||
	    tcsetpgrp(fd, st->pgid) < 0)
		return false;
	st->tty_fd = fd;
	return true;
}

/* The holder child must be gone, and reaped, however we exit (spawn_die, err). */
static struct supervise_state *held;

static void release_at_exit(void)
{
	if (held)
		supervise_release_group(held);
}

void supervise_lead_group(struct supervisor *sv, const char *holder_name)
{
	struct supervise_config *cfg = &sv->cfg;
	struct supervise_state *st = &sv->st;
	pid_t job = getpgrp(), leader = getpid();
	int fd, leader_fd = -1;

	st->tty_fd = -1;
	st->in_group = true;
	/* As PID 1 of a namespace (a container's init) no shell's fg can reach our caller's
	 * group, and COMMAND should be pid 2: we lead the group ourselves. */
	if (job != leader && !cfg->holder && holder_name && leader != 1) {
		/* Not the job's leader (a pipeline's last command, a recipe of make): the job's
		 * group must keep us, since a shell's fg continues that group, and it may have no
		 * other member left. A holder child leads COMMAND's group instead. */
		leader = group_holder(&st->group_hold, &fd, holder_name);
		if (leader < 0)
			err(EXIT_TOOL_FAILURE, "cannot create a process group");
		leader_fd = fd;
		st->group_holder = leader;
		st->in_group = false;
		held = st;
		atexit(release_at_exit);
	} else if (job != leader && setpgid(0, 0) < 0) {
		/* A keeper: its holder stays in the job's group. */
		err(EXIT_TOOL_FAILURE, "cannot create a process group");
	}
	st->pgid = leader;
	hand_tty(st, true);
	fd = high_fd(leader_fd >= 0 ? leader_fd : ar_pidfd_open(leader));
	if (fd < 0)
		err(EXIT_TOOL_FAILURE, "cannot open a pidfd for the process group");
	st->pgfd = fd;
	cfg->group = true;
}

void supervise_release_group(struct supervise_state *st)
{
	if (st->group_holder <= 0)
		return;
	close(st->group_hold);
	/* End of file ends it, unless it was stopped (a STOP sent to it, or to the group it
	 * leads once we have left it): KILL, which a stop does not hold back. pgfd is its
	 * pidfd. */
	if (st->pgfd >= 0)
		ar_pidfd_send_signal(st->pgfd, SIGKILL, 0);
	waitpid(st->group_holder, NULL, 0);
	st->group_holder = 0;
}

/* T + D without wrapping: a duration near the longest one parse_duration takes (292
 * years), added to the uptime of a long-running system, would overflow into the past and
 * fire at once. */
static int64_t deadline(int64_t t, int64_t d)
{
	return d > INT64_MAX - t ? INT64_MAX : t + d;
}

static int signal_command(const struct supervise_config *cfg, struct supervise_state *st,
			  int sig)
{
	pid_t pg;

	if (!cfg->group)
		return pidfd_kill(cfg->pidfd, sig);
	/* KILL and STOP cannot be read from the signalfd and dropped: not to ourselves. */
	if (st->in_group && (sig == SIGKILL || sig == SIGSTOP))
		return pgrp_kill_others(st->pgid, getpid(), sig) >= 0 ? 0 : -1;
	/* Our own copy is dropped when read. Its ssi_pid is not always ours (seen as 0 on
	 * 6.18 with a PID namespace's init in the group), so it is also remembered here. */
	if (st->in_group && sig > 0 && sig < 65)
		st->self_sent |= 1ULL << (sig - 1);
	/* COMMAND itself left the group (setsid(1) execs in place now): it is reached
	 * directly, as timeout(1) reaches its child. */
	if (st->pgid && pidfd_pgid(cfg->pidfd, cfg->pid, &pg) == 0 && pg != st->pgid)
		pidfd_kill(cfg->pidfd, sig);
	/* Through the leader's pidfd, the group is reached even once its leader (we, for the
	 * leash watcher) has been reaped. */
	return pidfd_kill_group(st->pgfd >= 0 ? st->pgfd : cfg->pidfd,
				st->pgid ? st->pgid : cfg->pid, sig) < 0 ?
		       -1 :
		       0;
}

/* The process group the ladder targets: ours (or our holder child's) when COMMAND joined
 * it, else COMMAND's own, which outlives COMMAND while members are left (a hand-off's
 * watcher: COMMAND leads its group there, and may die of the ladder's first step). */
static pid_t ladder_pgid(const struct supervise_config *cfg, const struct supervise_state *st)
{
	return st->pgid ? st->pgid : cfg->pid;
}

/* Sends SIG to COMMAND (its group when cfg->group); returns 0 or -1. */
static int supervise_signal(const struct supervise_config *cfg, struct supervise_state *st,
			    int sig)
{
	int r = signal_command(cfg, st, sig);
	/* What signal_command reached: COMMAND, and its group when the group took it. */
	struct reached reached = {cfg->pid, cfg->group && r == 0 ? ladder_pgid(cfg, st) : 0};

	/* What escaped the process group (setsid, double forks) is reached too, and only
	 * that. */
	if (cfg->contain == CONTAIN_SUBREAPER)
		tree_signal(sig, cfg->spare, r == 0 ? &reached : NULL);
	else if (cfg->contain == CONTAIN_CGROUP && cfg->cg)
		cgroup_signal(cfg->cg, sig, r == 0 ? &reached : NULL);
	return r;
}

/* The lifeline, until it hangs up; or -1. */
static int lifeline(const struct supervise_config *cfg, const struct supervise_state *st)
{
	return st->hung_up ? -1 : cfg->leash_fd;
}

/* The leash watcher's role, while its holder lives (see supervisor_as_watcher). */
static bool watching(const struct supervise_config *cfg, const struct supervise_state *st)
{
	return cfg->finish_ladder && lifeline(cfg, st) >= 0;
}

/* Whether anything of COMMAND's tree is left, reaping what has ended (subreaper). */
static bool tree_left(const struct supervise_config *cfg, const struct supervise_state *st)
{
	if (cfg->contain == CONTAIN_SUBREAPER) {
		tree_reap(cfg->spare, 0);
		return tree_children(cfg->spare, 0) > 0;
	}
	if (cfg->contain == CONTAIN_CGROUP && cfg->cg)
		return cgroup_populated(cfg->cg);
	/* The process group: a ladder once running goes on until nothing of the group is left
	 * (services started with & that ignore the signal that ended COMMAND); when COMMAND
	 * exits on its own, the rest of its group is left alone, as timeout(1) leaves it.
	 * The leash watcher keeps watching while the group has members, since the holder's
	 * ladder may still be at work on them: a holder killed in its middle leaves the rest
	 * to the watcher. A holder that ends normally releases the watcher first. */
	return cfg->group && (st->next_step >= 0 || watching(cfg, st)) &&
	       pgrp_others(ladder_pgid(cfg, st), st->in_group ? getpid() : 0, st->group_holder,
			   false) > 0;
}

void supervise_restore_tty(const struct supervise_state *st)
{
	pid_t job = job_pgrp(st), pg;

	/* The group we gave the terminal to: in a PID namespace COMMAND's pid (cfg->pid) is its
	 * init's, which never was the group. */
	if (st->tty_fd >= 0 && st->pgid && tcgetpgrp(st->tty_fd) == st->pgid) {
		tcsetpgrp(st->tty_fd, job);
		return;
	}
	/* Or a group with no process left, which a tool in our PID namespace gave it and could
	 * not give back (it cannot name our job's group, see job_holds): the job's again, as
	 * a shell takes it back from a job that ended. kill(2) with signal 0 sends nothing;
	 * ESRCH says the group is empty. */
	if (!st->pgid || !job)
		return;
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd) && tcgetsid(fd) == getsid(0) && (pg = tcgetpgrp(fd)) > 0 &&
		    pg != job && kill(-pg, 0) < 0 && errno == ESRCH) {
			tcsetpgrp(fd, job);
			return;
		}
}

static void signal_record(const struct supervise_config *cfg, const struct supervise_state *st,
			  int sig, bool relayed, int64_t t)
{
	if (cfg->status)
		status_emit(cfg->status,
			    "{\"event\":\"signal\",\"signal\":\"%s\",\"target\":\"%s\","
			    "\"relayed\":%s,\"elapsed\":%.3f}",
			    signal_name(sig), cfg->group ? "group" : "process",
			    relayed ? "true" : "false", ns_to_s(t - st->start_ns));
}

/* -v: one line per signal sent, in timeout(1)'s words; -vv adds the details. */
static void say_sent(const struct supervise_config *cfg, const struct supervise_state *st, int sig,
		     bool relayed, int64_t t)
{
	/* timeout -s 0 names the null signal as the shell's trap does. */
	const char *name = sig == 0 ? "EXIT" : signal_name(sig);

	if (!cfg->verbose)
		return;
	if (!cfg->name)
		warnx("sending signal %s to %d", name, (int)cfg->pid);
	else if (cfg->verbose == 1)
		warnx("sending signal %s to command '%s'", name, cfg->name);
	else
		warnx("sending signal %s to command '%s' (pid %d, after %.2fs%s)", name, cfg->name,
		      (int)cfg->pid, ns_to_s(t - st->start_ns), relayed ? ", relayed" : "");
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

static void run_step(const struct supervise_config *cfg, struct supervise_state *st)
{
	int sig = st->ladder.sig[st->next_step];
	int64_t t = now_ns();

	supervise_signal(cfg, st, sig);
	/* A stopped COMMAND cannot act on a catchable signal until it is continued. Not in
	 * the foreground: timeout(1) sends no SIGCONT there (it upsets debuggers). */
	if (sig != SIGKILL && sig != SIGSTOP && !cfg->foreground)
		supervise_signal(cfg, st, SIGCONT);
	if (sig == SIGKILL)
		st->sent_kill = true;
	say_sent(cfg, st, sig, false, t);
	signal_record(cfg, st, sig, false, t);
	st->next_step++;
	if (st->next_step >= st->ladder.n)
		st->next_step = -1;
	else
		st->step_at = deadline(t, st->ladder.grace_ns);
}

/* Starts the ladder at step FIRST unless it is already running further on. */
static void start_ladder(struct supervise_state *st, int first, int64_t delay)
{
	if (first >= st->ladder.n || (st->next_step >= 0 && st->next_step >= first))
		return;
	st->next_step = first;
	st->step_at = deadline(now_ns(), delay);
}

/* Whether COMMAND, our child, still needs a CONT from us once we are continued: not when the
 * CONT that continued us reached it too (a group we share with it), nor when it has stopped
 * again since (a Ctrl-Z typed at once after fg), which we follow instead: our CONT would
 * undo that stop, or discard the stop signal still pending. Both are read from waitid(),
 * which reports a stop or a continuation once; a stop we have not followed yet is left
 * for follow_stop. Nor when it is not stopped at all by /proc's account: waitid was seen
 * to report no continuation of a COMMAND running again after fg, and the CONT then sent
 * discarded the Ctrl-Z typed next (1 round in 10 of bench/ctrlz-race). COMMAND not our
 * child (a PID namespace's init): always. */
static bool needs_cont(const struct supervise_config *cfg)
{
	siginfo_t si;

	if (!cfg->parent || cfg->contain == CONTAIN_PIDNS)
		return true;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)cfg->pidfd, &si, WSTOPPED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid != 0)
		return false;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)cfg->pidfd, &si, WCONTINUED | WNOHANG) == 0 &&
	    si.si_pid != 0)
		return false;
	return pidfd_stopped(cfg->pidfd, cfg->pid) != 0;
}

/* Continued (fg or bg): COMMAND continued, then the terminal back to COMMAND's group if the
 * shell made the job the foreground one again. In that order: a Ctrl-Z typed once COMMAND's
 * group has the terminal must find COMMAND running, since a CONT sent to a stopped process
 * discards the stop signals it has pending (signal(7)). A read COMMAND makes before the
 * hand-over stops it with TTIN, which stop_like continues. */
static void resume(const struct supervise_config *cfg, struct supervise_state *st)
{
	if (!needs_cont(cfg))
		return;
	supervise_signal(cfg, st, SIGCONT);
	hand_tty(st, false);
}

/* Whether COMMAND's group, with COMMAND in it, holds the terminal already: a TTIN or TTOU
 * stop then comes from a read or write made before we handed it over. */
static bool tty_is_commands(const struct supervise_config *cfg, const struct supervise_state *st)
{
	pid_t pg;

	return st->tty_fd >= 0 && st->pgid && tcgetpgrp(st->tty_fd) == st->pgid &&
	       (cfg->contain == CONTAIN_PIDNS ||
		(pidfd_pgid(cfg->pidfd, cfg->pid, &pg) == 0 && pg == st->pgid));
}

/* COMMAND stopped with SIG (Ctrl-Z, TSTP, a background read's TTIN or write's TTOU): stop
 * too, with the same signal, so the shell sees the job stopped the way COMMAND stopped and
 * `fg` continues us here. Only when a job-control shell can continue us: otherwise COMMAND
 * stays stopped, and the timeout (the ladder sends CONT after each catchable step) ends it,
 * as timeout(1) does. */
static void stop_like(const struct supervise_config *cfg, struct supervise_state *st, int sig)
{
	pid_t job = job_pgrp(st);
	bool moved = false;
	sigset_t one, cont;

	/* A read or write of the terminal while the job is in the foreground: only COMMAND's
	 * group was not (see hand_tty). Nothing to follow. */
	if ((sig == SIGTTIN || sig == SIGTTOU) && (hand_tty(st, false) || tty_is_commands(cfg, st))) {
		supervise_signal(cfg, st, SIGCONT);
		return;
	}
	/* A keeper whose holder is gone has nobody to continue it. */
	if (!st->job_control || (cfg->holder && lifeline(cfg, st) < 0))
		return;
	supervise_restore_tty(st);
	/* The shell continues the job's group: be in it while stopped (a keeper is continued
	 * by its holder instead). The group we lead lives on in COMMAND. */
	if (!cfg->holder && getpgrp() != job) {
		if (setpgid(0, job) < 0)
			return;
		moved = true;
	}
	if (ignored(sig))
		sig = SIGSTOP;
	sigemptyset(&one);
	sigaddset(&one, sig);
	raise(sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	sigprocmask(SIG_BLOCK, &one, NULL);
	if (moved)
		setpgid(0, 0);
	/* Drop the SIGCONT that woke us; it is handled here. */
	sigemptyset(&cont);
	sigaddset(&cont, SIGCONT);
	sigtimedwait(&cont, NULL, &(struct timespec){0, 0});
	resume(cfg, st);
}

static void follow_stop(const struct supervise_config *cfg, struct supervise_state *st)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (!cfg->parent ||
	    waitid((idtype_t)P_PIDFD, (id_t)cfg->pidfd, &si, WSTOPPED | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return;
	/* Only job-control stops are followed; a SIGSTOP sent to COMMAND by someone else is
	 * between them and COMMAND (timeout(1) does not follow it either). */
	if (si.si_status == SIGSTOP)
		return;
	stop_like(cfg, st, si.si_status);
}

/* A PID namespace's init reported COMMAND's stops (pidns.h): the newest is followed as a
 * stop of our own child is (waitid reports a child's stop once, the latest one; older ones
 * read here were continued since). */
static void on_stops(const struct supervise_config *cfg, struct supervise_state *st)
{
	unsigned char sig[16];
	ssize_t n = read(cfg->stops_fd, sig, sizeof(sig));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0)
		st->stops_over = true;
	else
		stop_like(cfg, st, sig[n - 1]);
}

/* Whether a relayed SIG stands for a step of the ladder, the steps after it following: TERM,
 * HUP and INT, the ladder's own first signal, and for timeout(1) QUIT too (each of those
 * starts its -k countdown there). */
static bool continues_ladder(const struct supervise_config *cfg, const struct supervise_state *st,
			     int sig)
{
	return sig == SIGTERM || sig == SIGHUP || sig == SIGINT || sig == st->ladder.sig[0] ||
	       (cfg->timeout_compat && sig == SIGQUIT);
}

/* Job control and our own plumbing, never relayed as they are: returns false for any other
 * SIG. DIRECT: COMMAND got SIG from the terminal too (see on_signal). */
static bool on_plumbing(const struct supervise_config *cfg, struct supervise_state *st, int sig,
			bool direct)
{
	switch (sig) {
	case SIGCHLD:
		if (cfg->contain == CONTAIN_SUBREAPER)
			tree_reap(cfg->pid, cfg->spare);
		else if (getpid() == 1)
			/* PID 1 of a namespace adopts every orphan in it. */
			init_reap(cfg->pid, cfg->spare);
		follow_stop(cfg, st);
		return true;
	case SIGCONT:
		resume(cfg, st);
		return true;
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		/* COMMAND got it from the terminal too: its stop is followed when we see it (from
		 * waitid, or from a PID namespace's init, which never stops itself). Someone
		 * asked us to stop: stop COMMAND; its stop then stops us. */
		if (sig == SIGTSTP && !direct && !ignored(SIGTSTP))
			supervise_signal(cfg, st, SIGTSTP);
		return true;
	case SIGPIPE:
		return true;
	}
	return false;
}

/* SIG arrived; KERNEL: from the terminal (Ctrl-C, Ctrl-Z, a background read), sent to the
 * terminal's foreground group, which COMMAND's group is when we are a member of it. */
static void on_signal(const struct supervise_config *cfg, struct supervise_state *st, int sig,
		      bool kernel)
{
	bool direct = kernel && st->in_group;
	int pos;

	if (sig == SIGALRM && cfg->alrm_fires && !ignored(sig)) {
		/* timeout(1) counts a SIGALRM it receives as its own timer firing, so that
		 * `timeout -s ALRM 30 timeout 25 cmd` cascades. */
		st->timed_out = true;
		start_ladder(st, 0, 0);
		return;
	}
	if (on_plumbing(cfg, st, sig, direct))
		return;
	if (!sigismember(&st->relay, sig) || ignored(sig))
		return;
	if (cfg->escalate && !cfg->timeout_compat && sig == SIGINT && ++st->ints >= 2) {
		/* A second Ctrl-C: the user wants it gone now. */
		end_in_kill(&st->ladder);
		st->next_step = st->ladder.n - 1;
		run_step(cfg, st);
		return;
	}
	/* From the terminal, COMMAND has it already: relayed again, a Ctrl-C would count
	 * twice. It still stands for its step of the ladder. */
	if (!direct) {
		supervise_signal(cfg, st, sig);
		say_sent(cfg, st, sig, true, now_ns());
	}
	signal_record(cfg, st, sig, !direct, now_ns());
	if (!cfg->escalate || !continues_ladder(cfg, st, sig))
		return;
	/* The relayed signal stands for its own step of the ladder (or the first one when it
	 * is not on the ladder); the steps after it follow after the grace. */
	for (pos = 0; pos < st->ladder.n && st->ladder.sig[pos] != sig; pos++)
		;
	start_ladder(st, pos < st->ladder.n ? pos + 1 : 1, st->ladder.grace_ns);
}

/* --die-with-parent: what the holder's death does (a lifeline's hang-up), the kernel
 * leash's way (KILL at once) when COMMAND is on it. */
static void on_parent_death(const struct supervise_config *cfg, struct supervise_state *st)
{
	if (cfg->verbose)
		warnx("parent %d is gone", (int)st->ppid);
	st->parent_died = true;
	start_ladder(st, cfg->leash_kill ? st->ladder.n - 1 : 0, 0);
}

static void drain_signals(const struct supervise_config *cfg, struct supervise_state *st)
{
	struct signalfd_siginfo si;

	while (read(st->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		bool kernel = si.ssi_code == SI_KERNEL;

		/* What we sent COMMAND's group reached us too. */
		if (si.ssi_signo != SIGCHLD && !kernel && si.ssi_signo < 65 &&
		    ((pid_t)si.ssi_pid == getpid() || (st->self_sent & (1ULL << (si.ssi_signo - 1))))) {
			st->self_sent &= ~(1ULL << (si.ssi_signo - 1));
			continue;
		}
		if (cfg->die_with_parent && !st->parent_died) {
			enum parent_news news = parent_news(st->ppid, &si);

			if (news == PARENT_DIED)
				on_parent_death(cfg, st);
			if (news != PARENT_NO_NEWS)
				continue;
		}
		/* A keeper gets the job's signals from its holder, over the lifeline. One sent to
		 * both (`pkill autokill` matches both names) must count once: a double INT is
		 * KILL. SIGCONT, which the holder sends for real to wake a stopped keeper, is
		 * the same however often it comes. The terminal's reach the keeper's group,
		 * not the holder. */
		if (cfg->holder && lifeline(cfg, st) >= 0 && si.ssi_signo != SIGCHLD &&
		    si.ssi_signo != SIGCONT && !kernel)
			continue;
		on_signal(cfg, st, (int)si.ssi_signo, kernel);
	}
}

/* The lifeline. A keeper's holder writes the signals it receives there, one byte each; end
 * of file (for the watcher, any event: it never gets data) means the last holder of the
 * write end is gone, whatever killed it. */
static void on_lifeline(const struct supervise_config *cfg, struct supervise_state *st)
{
	unsigned char sig[64];
	ssize_t n = cfg->holder ? read(cfg->leash_fd, sig, sizeof(sig)) : 0;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	for (ssize_t i = 0; i < n; i++)
		on_signal(cfg, st, sig[i], false);
	if (n > 0)
		return;
	st->hung_up = true;
	end_in_kill(&st->ladder);
	start_ladder(st, cfg->leash_kill ? st->ladder.n - 1 : first_real_step(&st->ladder), 0);
}

void supervisor_as_tool(struct supervisor *sv, int pidfd, pid_t pid, bool reap)
{
	assert(pidfd >= 0 && pid > 0 && !sv->cfg.no_status);
	sv->cfg.pidfd = pidfd;
	sv->cfg.pid = pid;
	sv->cfg.parent = true;
	sv->cfg.reap = reap;
}

void supervisor_as_keeper(struct supervisor *sv, int lifeline, pid_t job, pid_t holder)
{
	assert(lifeline >= 0 && holder > 0 && !sv->cfg.parent);
	sv->cfg.leash_fd = lifeline;
	sv->st.job_pgrp = job;
	sv->cfg.holder = holder;
	/* The holder watches the parent; the keeper watches the holder. */
	sv->cfg.die_with_parent = false;
}

struct supervisor supervisor_as_watcher(const struct supervisor *cmd, int lifeline)
{
	struct supervisor sv = *cmd;
	struct supervise_config *cfg = &sv.cfg;
	struct supervise_state *st = &sv.st;

	assert(lifeline >= 0 && !cmd->cfg.no_status);
	st->sfd = -1;
	cfg->stops_fd = -1;
	cfg->parent = cfg->reap = false;
	cfg->no_status = true;
	st->tty_fd = -1;
	/* Out of the group now: it reaches the group, after the holder's death too, through
	 * the holder's pidfd (the group's leader). */
	st->in_group = false;
	st->job_control = false;
	cfg->escalate = false;
	cfg->timeout_ns = 0;
	cfg->leash_fd = lifeline;
	st->next_step = -1;
	cfg->status = NULL;
	cfg->spare = 0;
	/* While the holder lives, what is left of the tree after COMMAND is the holder's to
	 * deal with; the watcher acts only on the lifeline's hang-up. */
	cfg->wait_all = true;
	cfg->finish_ladder = false;
	if (cfg->contain != CONTAIN_CGROUP)
		cfg->contain = CONTAIN_PGRP;
	return sv;
}

/* The loop's next deadline (0: none): the timeout, the ladder's next step, a look at a
 * group that has no pidfd, a KILL again (which sets *REKILL_AT). */
static int64_t next_due(const struct supervise_config *cfg, const struct supervise_state *st,
			bool done, int64_t timeout_at, int64_t *rekill_at)
{
	int64_t due = 0;

	if (!st->timed_out && timeout_at)
		due = timeout_at;
	if (st->next_step >= 0 && (!due || st->step_at < due))
		due = st->step_at;
	/* A group has no pidfd: while the ladder waits for the rest of it, look again
	 * every 20 ms, so that it ends soon after the last member. */
	if (done && st->next_step >= 0 && cfg->group &&
	    (!due || due > now_ns() + 20000000))
		due = now_ns() + 20000000;
	/* The ladder is over and the tree is not gone: a KILL walk that ran out of time
	 * (its victims slow to die, on a loaded machine) can miss the children they
	 * re-parent to us later. KILL again until nothing is left. */
	if (done && cfg->contain == CONTAIN_SUBREAPER && st->sent_kill && st->next_step < 0) {
		if (!*rekill_at)
			*rekill_at = now_ns() + NS_PER_SEC / 10;
		if (!due || *rekill_at < due)
			due = *rekill_at;
	}
	return due;
}

/* The time from now until DUE (at least 0), in *TS, which it returns. */
static struct timespec *until(int64_t due, struct timespec *ts)
{
	int64_t t = due - now_ns();

	if (t < 0)
		t = 0;
	ts->tv_sec = t / NS_PER_SEC;
	ts->tv_nsec = t % NS_PER_SEC;
	return ts;
}

/* What is due by now: the timeout firing, the ladder's next step, a KILL again. */
static void on_time(const struct supervise_config *cfg, struct supervise_state *st,
		    int64_t timeout_at, int64_t *rekill_at)
{
	int64_t t = now_ns();

	if (!st->timed_out && timeout_at && t >= timeout_at) {
		st->timed_out = true;
		start_ladder(st, 0, 0);
	}
	if (st->next_step >= 0 && t >= st->step_at)
		run_step(cfg, st);
	if (*rekill_at && t >= *rekill_at) {
		tree_signal(SIGKILL, cfg->spare, NULL);
		*rekill_at = 0;
	}
}

/* What every role keeps: the combinations the loop cannot make sense of. */
static void assert_legal(const struct supervise_config *cfg)
{
	assert(cfg->pidfd >= 0);
	assert(!cfg->reap || cfg->parent);
	assert(!cfg->no_status || (!cfg->parent && !cfg->escalate));
	assert(!cfg->holder || cfg->leash_fd >= 0);
	assert(!cfg->foreground || !cfg->group);
	assert(cfg->contain != CONTAIN_AUTO &&
	       (cfg->cg != NULL) == (cfg->contain == CONTAIN_CGROUP));
	assert(cfg->ladder.n >= 1 && cfg->ladder.n <= LADDER_MAX);
	assert(!cfg->timeout_ns || cfg->escalate);
}

/* supervise() cannot go on (COMMAND's status unreadable): what the loop did so far is the
 * result, so that a timeout that fired still counts (a PID namespace's init passes
 * COMMAND's status up another way). -1. */
static int give_up(const struct supervise_state *st, struct supervise_result *res)
{
	res->timed_out = st->timed_out;
	res->sent_kill = st->sent_kill;
	return -1;
}

int supervise(const struct supervise_config *cfg, struct supervise_state *st,
	      struct supervise_result *res)
{
	int64_t timeout_at, rekill_at = 0;
	int status = -1;
	bool done = false;

	assert_legal(cfg);
	/* What the loop changes of the configuration, it changes in ST. */
	st->ladder = cfg->ladder;
	st->hung_up = st->parent_died = st->stops_over = false;
	st->start_ns = now_ns();
	*res = (struct supervise_result){.start_ns = st->start_ns};
	timeout_at = cfg->timeout_ns ? deadline(st->start_ns, cfg->timeout_ns) : 0;
	for (;;) {
		struct pollfd pfd[5] = {
			{done ? -1 : cfg->pidfd, POLLIN, 0},
			{st->sfd, POLLIN, 0},
			{lifeline(cfg, st), POLLIN, 0},
			{done && cfg->cg ? cfg->cg->eventsfd : -1, POLLPRI, 0},
			{done || st->stops_over ? -1 : cfg->stops_fd, POLLIN, 0},
		};
		int64_t due;
		struct timespec ts;
		int r;

		if (done && !tree_left(cfg, st))
			break;
		due = next_due(cfg, st, done, timeout_at, &rekill_at);
		r = ppoll(pfd, 5, due ? until(due, &ts) : NULL, NULL);
		if (r < 0 && errno != EINTR)
			return give_up(st, res);
		if (r > 0 && pfd[0].revents && cfg->no_status) {
			status = 0;
			done = true;
		} else if (r > 0 && pfd[0].revents) {
			r = pidfd_try_status(cfg->pidfd, cfg->reap, &status);
			if (r < 0)
				return give_up(st, res);
			done = r > 0;
		}
		if (done && !res->timed_out && !res->sent_kill && pfd[0].fd >= 0) {
			/* COMMAND's own outcome; what the ladder does to the rest of the tree
			 * afterwards does not change it. */
			res->timed_out = st->timed_out;
			res->sent_kill = st->sent_kill;
			if (!cfg->wait_all && tree_left(cfg, st)) {
				end_in_kill(&st->ladder);
				start_ladder(st, first_real_step(&st->ladder), 0);
			}
		}
		if (r >= 0 && pfd[1].revents)
			drain_signals(cfg, st);
		if (lifeline(cfg, st) >= 0 && pfd[2].revents)
			on_lifeline(cfg, st);
		if (r > 0 && pfd[4].fd >= 0 && pfd[4].revents)
			on_stops(cfg, st);
		on_time(cfg, st, timeout_at, &rekill_at);
	}
	return status;
}
