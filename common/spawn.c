/* spawn.c: starting COMMAND: clone with a fallback chain, the child's set-up before execve,
 * the report of how it went, and the children that stand between the tool and COMMAND
 * when one must (the orphan's intermediate; the PID namespace's init until it runs
 * COMMAND, see pidns.h).
 *
 * The child reports a failed set-up or execve over a close-on-exec socket: end of file
 * means execve succeeded, a failure record means it did not. This is what lets the tools
 * exit 127/126 with the reason instead of "started, then died". A socket, not a pipe, so
 * that a process between us and COMMAND (the orphaning intermediate, the PID namespace's
 * init) can pass COMMAND's pidfd up with SCM_RIGHTS: every pid the tools act on comes from
 * a pidfd for a process they created, never from a number read in another namespace.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "pidfd.h"
#include "pidns.h"
#include "spawn.h"
#include "util.h"

struct report {
	int stage; /* enum spawn_stage; SPAWN_OK: success */
	int err;
	pid_t pid; /* from an intermediate: COMMAND's pid, read from its pidfd */
};

static const char *const stage_names[] = {
	[SPAWN_OK] = "",
	[SPAWN_SETSID] = "setsid",
	[SPAWN_SETPGID] = "setpgid",
	[SPAWN_TCSETPGRP] = "tcsetpgrp",
	[SPAWN_DEVNULL] = "/dev/null",
	[SPAWN_NNP] = "no_new_privs",
	[SPAWN_PDEATHSIG] = "parent-death signal",
	[SPAWN_EXEC] = "execve",
	[SPAWN_FORK] = "fork",
	[SPAWN_SIGNALFD] = "signalfd",
	[SPAWN_CLONE3] = "clone3",
	[SPAWN_CLONE] = "clone",
	[SPAWN_SOCKETPAIR] = "socketpair",
	[SPAWN_UIDMAP] = "uid_map",
	[SPAWN_PIDFD_OPEN] = "pidfd_open",
	[SPAWN_LEASH] = "leash watcher",
};

const char *spawn_stage_name(enum spawn_stage stage)
{
	return stage_names[stage];
}

/* A descriptor that the -d rule sends to /dev/null: a terminal, a pipe or a socket, i.e.
 * something that ties COMMAND to its caller; files and devices were redirected on purpose. */
static bool ties_to_caller(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return false;
	return isatty(fd) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
}

static noreturn void child_fail(int pipefd, enum spawn_stage stage, int err)
{
	struct report r = {stage, err, 0};

	(void)!write(pipefd, &r, sizeof(r));
	_exit(stage == SPAWN_EXEC ? exec_errno_status(err) : EXIT_TOOL_FAILURE);
}

/* In COMMAND (or its namespace's init), before anything of COMMAND's runs: sends a pidfd of
 * itself, and its pid when the watcher can read it that way (not from a new namespace,
 * where getpid() is 1), to the leash watcher that waits for it. Async-signal-safe. */
static void announce(const struct spawn_req *req, int pipefd)
{
	pid_t pid = req->ns ? 0 : getpid();
	int self = ar_pidfd_open(getpid());

	if (self < 0)
		child_fail(pipefd, SPAWN_PIDFD_OPEN, errno);
	if (send_fds(req->leash_sock, &pid, sizeof(pid), &self, 1) < 0)
		child_fail(pipefd, SPAWN_LEASH, errno);
	close(self);
}

/* Runs in the child between clone and execve: async-signal-safe calls only. */
static noreturn void child_exec(const struct spawn_req *req, int pipefd, pid_t parent)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	/* An ignored SIGCHLD would make COMMAND's own children vanish from wait(); an ignored
	 * SIGPIPE (left by many runtimes) would turn `yes | head` into an endless write loop. */
	sigaction(SIGCHLD, &dfl, NULL);
	sigaction(SIGPIPE, &dfl, NULL);

	if (req->pgrp == SPAWN_SESSION && setsid() < 0)
		child_fail(pipefd, SPAWN_SETSID, errno);
	if (req->pgrp == SPAWN_PGRP_NEW && setpgid(0, 0) < 0)
		child_fail(pipefd, SPAWN_SETPGID, errno);
	if (req->pgrp == SPAWN_PGRP_JOIN && setpgid(0, req->pgid) < 0)
		child_fail(pipefd, SPAWN_SETPGID, errno);
	/* Still with every signal blocked, so SIGTTOU cannot stop us here. */
	if (req->tty_fd >= 0 && tcsetpgrp(req->tty_fd, getpid()) < 0)
		child_fail(pipefd, SPAWN_TCSETPGRP, errno);
	if (req->detach) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0)
			child_fail(pipefd, SPAWN_DEVNULL, errno);
		for (int fd = 0; fd <= 2; fd++)
			if (ties_to_caller(fd) && dup2(null, fd) < 0)
				child_fail(pipefd, SPAWN_DEVNULL, errno);
	}
	if (req->nnp && !(req->kflags & CLONE_NNP) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(pipefd, SPAWN_NNP, errno);
	if (req->pdeathsig) {
		if (prctl(PR_SET_PDEATHSIG, req->pdeathsig) < 0)
			child_fail(pipefd, SPAWN_PDEATHSIG, errno);
		/* The tool may have died before the prctl: then nothing would ever fire. */
		/* Not raise(): after a raw clone, glibc's cached thread id is the parent's. */
		if (getppid() != parent)
			syscall(SYS_tgkill, getpid(), gettid(), req->pdeathsig);
	}
	if (req->leash_sock > 0)
		announce(req, pipefd);
	/* A Ctrl-Z (or a background read's SIGTTIN) that arrived since the clone is pending
	 * here; delivered now it would stop us before execve, with the tool blocked reading
	 * the report pipe and unable to follow the stop. Drop it: the tool got its own copy
	 * (same process group until now) and relays it to COMMAND, or the user presses again. */
	{
		sigset_t stops;

		sigemptyset(&stops);
		sigaddset(&stops, SIGTSTP);
		sigaddset(&stops, SIGTTIN);
		sigaddset(&stops, SIGTTOU);
		while (sigtimedwait(&stops, NULL, &(struct timespec){0, 0}) > 0)
			;
	}
	if (req->mask)
		sigprocmask(SIG_SETMASK, req->mask, NULL);
	execvp(req->argv[0], req->argv);
	child_fail(pipefd, SPAWN_EXEC, errno);
}

/* clone3, else clone(CLONE_PIDFD), else fork + pidfd_open: container seccomp profiles
 * refuse clone3 with ENOSYS or EPERM so that libc falls back, and so must we. Returns the
 * pid in both processes' sense (0 in the child), -1 with errno. */
static pid_t clone_child(const struct spawn_req *req, struct spawn_res *res, int *pidfd,
			 enum spawn_stage *tried)
{
	uint64_t ns = !req->ns ? 0 : CLONE_NEWPID | (req->ns->userns ? CLONE_NEWUSER : 0);
	struct ar_clone_args args = {
		.flags = CLONE_PIDFD | req->kflags | ns |
			 (req->cgroup_fd > 0 ? CLONE_INTO_CGROUP : 0) |
			 /* Resumed after COMMAND's execve or exit (see spawn_vm); not when the
			  * child waits for us (a namespace's init, the orphan's intermediate). */
			 (req->orphan || req->ns ? 0 : CLONE_VFORK),
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = (req->kflags & CLONE_AUTOREAP) ? 0 : SIGCHLD,
		.cgroup = req->cgroup_fd > 0 ? (uint64_t)req->cgroup_fd : 0,
	};
	pid_t pid;

	res->method = "clone3";
	*tried = SPAWN_CLONE3;
	pid = ar_clone3(&args);
	/* CLONE_INTO_CGROUP exists only in clone3: no fallback can honour it. */
	if (pid >= 0 || req->kflags || req->cgroup_fd > 0 || (errno != ENOSYS && errno != EPERM))
		return pid;
	res->method = "clone";
	*tried = SPAWN_CLONE;
	pid = ar_clone_pidfd(pidfd, ns);
	if (pid >= 0 || ns || (errno != ENOSYS && errno != EPERM && errno != EINVAL))
		return pid;
	res->method = "fork";
	*tried = SPAWN_FORK;
	pid = fork();
	if (pid > 0) {
		/* Our own unreaped child: its pid cannot be reused before we wait for it. */
		*pidfd = ar_pidfd_open(pid);
		if (*pidfd < 0) {
			int e = errno;

			waitpid(pid, NULL, 0);
			errno = e;
			return -1;
		}
	}
	return pid;
}

/* Success, with up to two pidfds: COMMAND's (or its init's), then, from an init, COMMAND's. */
static void send_report(int fd, const int *fds, int nfds, pid_t pid)
{
	struct report r = {SPAWN_OK, 0, pid};

	send_fds(fd, &r, sizeof(r), fds, nfds);
}

/* 1 with a record (and its fds, close-on-exec, -1 where none came), 0 at end of file. */
static int read_report(int fd, struct report *r, int fds[2])
{
	return recv_fds(fd, r, sizeof(*r), fds) == (ssize_t)sizeof(*r) ? 1 : 0;
}

/* The socket both ends of which are close-on-exec; -1 with errno. */
static int report_pair(int p[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p);
}

/* Orphan mode, in the intermediate process: starts COMMAND (or its namespace's init) as
 * its own child, passes the outcome and the pidfds up, and stays, keeping COMMAND's pid
 * from being reused and COMMAND from being anyone else's, until the tool says on HOLD that
 * it may go (1: its exit hands COMMAND to the nearest reaper) or must kill COMMAND first
 * (2: a failure after the start). With req->floor, end of file without a word means the
 * tool died between the start and the leash: nobody would ever take COMMAND down, so the
 * intermediate does, at once. */
static noreturn void orphan_parent(const struct spawn_req *req, int up, int hold)
{
	struct spawn_req inner = *req;
	struct spawn_res res;
	int fds[2];
	ssize_t n;
	char go = 0;

	inner.orphan = false;
	inner.pdeathsig = 0;
	if (spawn_command(&inner, &res) < 0)
		child_fail(up, res.stage, res.err);
	if (req->leash_sock > 0)
		close(req->leash_sock);
	fds[0] = res.pidfd;
	fds[1] = res.cmd_pidfd;
	send_report(up, fds, res.cmd_pidfd != res.pidfd ? 2 : 1, res.cmd_pid);
	close(up);
	do
		n = read(hold, &go, 1);
	while (n < 0 && errno == EINTR);
	if ((n == 1 && go == 2) || (n != 1 && req->floor)) {
		spawn_kill(&inner, &res);
		waitpid(res.pid, NULL, 0);
	}
	_exit(0);
}

/* The init of COMMAND's PID namespace (pid 1 there; see pidns.h): starts COMMAND, passes
 * its pidfd up, and serves as the namespace's init until COMMAND has exited. */
static noreturn void ns_init(const struct spawn_req *req, int up, int sync)
{
	struct spawn_req inner = *req;
	struct spawn_res res;
	sigset_t orig;
	int sfd;
	char c;

	if (req->leash_sock > 0) {
		announce(req, up);
		close(req->leash_sock);
		inner.leash_sock = 0;
	}
	/* The tool writes one byte once our id maps are written and we are in COMMAND's
	 * group. End of file instead: it died or failed before, and COMMAND must not start
	 * with unmapped ids or outside its group, its holder gone (the leash would kill it,
	 * but only after it has run). */
	if (sync >= 0) {
		ssize_t n;

		while ((n = read(sync, &c, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			_exit(EXIT_TOOL_FAILURE);
		close(sync);
	}
	inner.ns = NULL;
	/* COMMAND's parent is us: the tool follows the stops we report. */
	spawn_stops_followed(getenv(STOPS_FOLLOWED_ENV) != NULL);
	/* The tool has put us in the group COMMAND is to join (from inside the namespace
	 * its leader cannot be named): COMMAND inherits it. */
	if (inner.pgrp == SPAWN_PGRP_JOIN)
		inner.pgrp = SPAWN_PGRP_KEEP;
	inner.kflags = 0;
	inner.cgroup_fd = 0;
	inner.pdeathsig = 0;
	/* COMMAND's parent is this init, so the floor (for a watcher killed together with the
	 * tool) is ours: the signal comes to the signalfd below and is relayed to COMMAND like
	 * any other. (getppid() is 0 in the namespace: a tool already dead cannot be told
	 * from here; the watcher covers that moment.) */
	if (req->pdeathsig && prctl(PR_SET_PDEATHSIG, req->pdeathsig) < 0)
		child_fail(up, SPAWN_PDEATHSIG, errno);
	sfd = pidns_init_signals(&orig);
	if (!inner.mask)
		inner.mask = &orig;
	/* Without it, nothing would ever be relayed or reaped. */
	if (sfd < 0)
		child_fail(up, SPAWN_SIGNALFD, errno);
	if (spawn_command(&inner, &res) < 0)
		child_fail(up, res.stage, res.err);
	/* COMMAND's pidfd, for the tool to learn COMMAND's pid in its own namespace; and
	 * COMMAND is not reaped (its pid stays readable) until the tool has read it. */
	send_report(up, &res.pidfd, 1, 0);
	while (recv(up, &c, 1, 0) < 0 && errno == EINTR)
		;
	close(up);
	pidns_init_serve(req->ns, sfd, res.pidfd, res.pid);
}

/* AddressSanitizer cannot follow a CLONE_VM child onto a stack of its own: it warns on
 * stderr ("ignoring requested __asan_handle_no_return") and may report false positives.
 * The sanitizer build takes the fork-like path, which the fast path falls back to anyway. */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_SANITIZED 1
#endif
#endif
#ifndef SPAWN_SANITIZED
#define SPAWN_SANITIZED 0
#endif

/* The fast path, as glibc's posix_spawn takes it: the child shares our memory (CLONE_VM)
 * on a stack of its own, and we are suspended until it has called execve or exited
 * (CLONE_VFORK). No page tables are copied and none of our pages becomes copy-on-write,
 * and when clone returns the report pipe already holds the outcome: no wake-up to wait
 * for. child_exec is fit for it: async-signal-safe calls only, no handlers of ours to run
 * in the child, and the parent it writes errno for is suspended. */
struct vm_child {
	const struct spawn_req *req;
	int report;	/* the report pipe's write end */
	int report_r;	/* orphan: its read end, to see whether COMMAND's execve failed */
	pid_t parent;
	char *stack2;	/* orphan: the top of COMMAND's stack */
	pid_t pid;	/* orphan: COMMAND's pid and pidfd, for the tool */
	int pidfd;
	int clone_err;	/* orphan: why COMMAND's clone failed */
};

static int vm_exec(void *arg)
{
	const struct vm_child *c = arg;

	child_exec(c->req, c->report, c->parent);
}

/* Orphan mode, in the intermediate, which shares the tool's fd table (CLONE_FILES): starts
 * COMMAND the same way, so COMMAND's pidfd lands in the tool's table while COMMAND is still
 * our child (no pid to reuse), reaps COMMAND if its execve failed (no zombie left for a
 * reaper that may never reap), and exits, which hands COMMAND to the nearest reaper. */
static int vm_orphan(void *arg)
{
	struct vm_child *c = arg;
	struct spawn_req inner = *c->req;
	struct vm_child cc = {&inner, c->report, -1, getpid(), NULL, 0, -1, 0};
	struct pollfd failed = {c->report_r, POLLIN, 0};

	inner.orphan = false;
	inner.pdeathsig = 0;
	c->pid = clone(vm_exec, c->stack2, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &cc,
		       &c->pidfd);
	if (c->pid < 0) {
		c->clone_err = errno;
		_exit(0);
	}
	/* Suspended until COMMAND's execve or exit: a report is there now or never. */
	if (poll(&failed, 1, 0) > 0)
		waitpid(c->pid, NULL, 0);
	_exit(0);
}

/* Returns the child's pid (0: the kernel or a seccomp profile refused this clone; fall
 * back), with *PIDFD, or -1 with errno. */
static pid_t spawn_vm(const struct spawn_req *req, int p[2], int *pidfd, pid_t parent)
{
	size_t argc = 0, size;
	char *stack;
	struct vm_child c = {req, p[1], p[0], parent, NULL, 0, -1, 0};
	pid_t pid;
	int e;

	while (req->argv[argc])
		argc++;
	/* execvp's path buffer, and for a script without #! the new argument vector. */
	size = (32768 + (argc + 2) * sizeof(char *) + 4095) & ~(size_t)4095;
	stack = mmap(NULL, req->orphan ? 2 * size : size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -1;
	c.stack2 = stack + 2 * size;
	if (req->orphan)
		pid = clone(vm_orphan, stack + size, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD,
			    &c);
	else
		pid = clone(vm_exec, stack + size, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &c,
			    pidfd);
	e = errno;
	munmap(stack, req->orphan ? 2 * size : size);
	if (pid > 0 && req->orphan) {
		/* Once it is reaped, COMMAND has been reparented. */
		waitpid(pid, NULL, 0);
		e = c.clone_err;
		pid = c.pid;
		*pidfd = c.pidfd;
	}
	if (pid < 0 && (e == ENOSYS || e == EPERM || e == EINVAL))
		return 0;
	errno = e;
	return pid;
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

/* The fork-like path's channels besides the report socket P: HOLD for an orphan's
 * intermediate (a socket too: the tool's first pipe after the start is the leash's), SYNC
 * for the id maps of a new user namespace and for a namespace's init that is to join a
 * process group (a socket: its "go" is sent with MSG_NOSIGNAL, which a child killed
 * meanwhile must not turn into our SIGPIPE). 0, or -1 with res->stage and res->err set
 * and every end closed, P's included. */
static int open_channels(const struct spawn_req *req, const struct spawn_req *outer, int p[2],
			 int hold[2], int sync[2], struct spawn_res *res)
{
	if ((req->orphan && report_pair(hold) < 0) ||
	    (outer->ns && (outer->ns->userns || outer->pgrp == SPAWN_PGRP_JOIN) &&
	     report_pair(sync) < 0)) {
		res->stage = SPAWN_SOCKETPAIR;
		res->err = errno;
		close_pair(p);
		close_pair(hold);
		close_pair(sync);
		return -1;
	}
	return 0;
}

/* In the child of spawn_command's clone: becomes the orphan's intermediate, the
 * namespace's init, or COMMAND. */
static noreturn void run_child(const struct spawn_req *req, int p[2], int hold[2], int sync[2],
			       pid_t parent)
{
	close(p[0]);
	if (req->orphan) {
		close(hold[1]);
		orphan_parent(req, p[1], hold[0]);
	}
	if (req->ns) {
		if (sync[1] >= 0)
			close(sync[1]);
		ns_init(req, p[1], sync[0]);
	}
	child_exec(req, p[1], parent);
}

/* In the tool, once the clone has returned: closes the child's ends and, for a namespace's
 * init, writes its id maps (a new user namespace) and puts it in COMMAND's group, before
 * it may go on (SYNC). */
static void after_clone(const struct spawn_req *req, pid_t pid, int pidfd, int p[2], int hold[2],
			int sync[2], struct spawn_res *res)
{
	close(p[1]);
	if (hold[0] >= 0)
		close(hold[0]);
	if (sync[0] >= 0)
		close(sync[0]);
	if (pid > 0 && sync[1] >= 0) {
		if (req->ns->userns && pidns_write_id_maps(pid) < 0) {
			res->stage = SPAWN_UIDMAP;
			res->err = errno;
			ar_pidfd_send_signal(pidfd, SIGKILL, 0);
		} else if (req->pgrp == SPAWN_PGRP_JOIN && setpgid(pid, req->pgid) < 0) {
			res->stage = SPAWN_SETPGID;
			res->err = errno;
			ar_pidfd_send_signal(pidfd, SIGKILL, 0);
		} else {
			while (send(sync[1], "", 1, MSG_NOSIGNAL) < 0 && errno == EINTR)
				;
		}
	}
	/* Closed whatever happened: a clone that failed must not leave it open in the tool. */
	if (sync[1] >= 0)
		close(sync[1]);
}

/* Reads the child's report from FD into RES: the outcome, and who COMMAND is (res->pid
 * and res->pidfd are the child's). HOLD: the orphan's hold socket; VM: the fast path. */
static void read_outcome(const struct spawn_req *req, struct spawn_res *res, int fd, int hold,
			 bool vm)
{
	struct report r = {SPAWN_OK, 0, 0};
	int got[2];

	if (read_report(fd, &r, got) && r.stage != SPAWN_OK && !res->stage) {
		res->stage = (enum spawn_stage)r.stage;
		res->err = r.err;
	}
	if (req->orphan && vm) {
		/* The fast path's intermediate has exited: COMMAND (orphaned already, its pidfd
		 * taken while it was still the intermediate's child) or, if its execve failed,
		 * nothing (the intermediate reaped it). */
		if (res->stage && res->pidfd >= 0) {
			close(res->pidfd);
			res->pidfd = -1;
		}
		res->cmd_pidfd = res->pidfd;
		res->cmd_pid = res->pid;
	} else if (req->orphan) {
		/* The intermediate passed up its child's pidfd (and COMMAND's, from an init)
		 * and COMMAND's pid: its child is still its unreaped child, so the pid read from
		 * the pidfd is its own. */
		res->inter_pidfd = res->pidfd;
		res->hold = hold;
		res->pidfd = got[0];
		res->cmd_pidfd = got[1] >= 0 ? got[1] : got[0];
		res->pid = got[0] >= 0 ? pidfd_pid(got[0]) : -1;
		res->cmd_pid = r.pid;
		if (!res->stage && res->pid <= 0) {
			res->stage = SPAWN_PIDFD_OPEN;
			res->err = ESRCH;
		}
	} else if (req->ns) {
		/* Read while the init keeps COMMAND unreaped, waiting for our close. */
		res->cmd_pidfd = got[0];
		res->cmd_pid = got[0] >= 0 ? pidfd_pid(got[0]) : -1;
	} else {
		res->cmd_pidfd = res->pidfd;
		res->cmd_pid = res->pid;
	}
}

int spawn_command(const struct spawn_req *req, struct spawn_res *res)
{
	struct spawn_req outer = *req;
	pid_t parent = getpid();
	enum spawn_stage tried = SPAWN_CLONE;
	int p[2] = {-1, -1}, hold[2] = {-1, -1}, sync[2] = {-1, -1}, pidfd = -1;
	/* What clone3 alone can do (kernel flags, a cgroup) and what needs a long-lived
	 * child (a namespace's init, an intermediate that holds COMMAND until the leash
	 * holds) takes the fork-like path. */
	bool vm = !req->kflags && req->cgroup_fd <= 0 && !req->ns && !req->floor &&
		  !SPAWN_SANITIZED;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->pidfd = res->cmd_pidfd = res->hold = res->inter_pidfd = -1;
	/* In orphan mode the intermediate is a plain child; the namespaces are its child's. */
	if (req->orphan)
		outer.ns = NULL;
	if (report_pair(p) < 0) {
		res->stage = SPAWN_SOCKETPAIR;
		res->err = errno;
		return -1;
	}
	res->method = "clone";
	pid = vm ? spawn_vm(req, p, &pidfd, parent) : 0;
	vm = pid != 0;
	if (!vm && open_channels(req, &outer, p, hold, sync, res) < 0)
		return -1;
	if (!vm)
		pid = clone_child(&outer, res, &pidfd, &tried);
	if (pid == 0)
		run_child(req, p, hold, sync, parent);
	after_clone(&outer, pid, pidfd, p, hold, sync, res);
	if (pid < 0) {
		res->stage = tried;
		res->err = errno;
		close(p[0]);
		if (hold[1] >= 0)
			close(hold[1]);
		return -1;
	}
	/* Both sides call setpgid, so the group exists whichever runs first (as shells do).
	 * Not after the fast path: the child has run its own setpgid before we resumed. */
	if (req->pgrp == SPAWN_PGRP_NEW && !req->orphan && !vm)
		setpgid(pid, pid);
	if (req->pgrp == SPAWN_PGRP_JOIN && !req->orphan && !vm)
		setpgid(pid, req->pgid);
	res->pid = pid;
	res->pidfd = pidfd;
	res->kflags = req->kflags;
	read_outcome(req, res, p[0], hold[1], vm);
	close(p[0]);
	if (!res->stage && res->cmd_pid <= 0) {
		res->stage = SPAWN_PIDFD_OPEN;
		res->err = ESRCH;
	}
	if (!res->stage)
		return 0;
	spawn_take_down(req, res);
	return -1;
}

void spawn_kill(const struct spawn_req *req, const struct spawn_res *res)
{
	/* An init's group is ours: the init alone, whose death the kernel turns into the
	 * whole namespace's. */
	if (req->pgrp != SPAWN_PGRP_KEEP && !req->ns)
		pidfd_kill_group(res->pidfd, res->pid, SIGKILL);
	pidfd_kill(res->pidfd, SIGKILL);
}

/* Orphan mode: tells the intermediate WHAT (1: go, 2: kill COMMAND first; see
 * orphan_parent) and reaps it. */
static void tell_intermediate(struct spawn_res *res, char what)
{
	(void)!send(res->hold, &what, 1, MSG_NOSIGNAL);
	close(res->hold);
	res->hold = -1;
	pidfd_wait_status(res->inter_pidfd, true);
	close(res->inter_pidfd);
	res->inter_pidfd = -1;
}

void spawn_release(struct spawn_res *res)
{
	if (res->hold >= 0)
		tell_intermediate(res, 1);
}

void spawn_take_down(const struct spawn_req *req, struct spawn_res *res)
{
	if (res->hold >= 0) {
		/* The intermediate kills and reaps COMMAND. */
		tell_intermediate(res, 2);
	} else if (res->pidfd >= 0) {
		struct pollfd gone = {res->pidfd, POLLIN, 0};

		spawn_kill(req, res);
		if (!req->orphan && !(res->kflags & CLONE_AUTOREAP))
			pidfd_wait_status(res->pidfd, true);
		else
			while (poll(&gone, 1, -1) < 0 && errno == EINTR)
				;
	}
	if (res->cmd_pidfd >= 0 && res->cmd_pidfd != res->pidfd)
		close(res->cmd_pidfd);
	if (res->pidfd >= 0)
		close(res->pidfd);
	res->pidfd = res->cmd_pidfd = -1;
}

void spawn_fail(const struct spawn_req *req, struct spawn_res *res, int status, const char *fmt,
		...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	spawn_take_down(req, res);
	errx(status, "%s (COMMAND was killed)", why);
}

int spawn_kernel(const struct spawn_req *req, struct spawn_res *res, bool required,
		 const char *flag)
{
	if (spawn_command(req, res) == 0) {
		pidfd_exit_info_implied();
		return 0;
	}
	if (res->stage != SPAWN_CLONE3)
		spawn_die(req->argv[0], res);
	if (required)
		errx(EXIT_TOOL_FAILURE,
		     "kernel mode unavailable: clone3 with %s: %s (needs Linux 7.1 and clone3 allowed)",
		     flag, strerror(res->err));
	return -1;
}

_Noreturn void spawn_die(const char *cmd, const struct spawn_res *res)
{
	if (res->stage == SPAWN_EXEC) {
		warnx("cannot run '%s': %s", cmd, strerror(res->err));
		exit(exec_errno_status(res->err));
	}
	errx(EXIT_TOOL_FAILURE, "cannot start '%s': %s: %s", cmd,
	     spawn_stage_name(res->stage), strerror(res->err));
}

void spawn_stops_followed(bool follows)
{
	char pid[16];

	if (!follows) {
		unsetenv(STOPS_FOLLOWED_ENV);
		return;
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv(STOPS_FOLLOWED_ENV, pid, 1);
}

bool spawn_parent_follows_stops(void)
{
	const char *v = getenv(STOPS_FOLLOWED_ENV);
	char *end;
	long pid;

	if (!v || !*v)
		return false;
	errno = 0;
	pid = strtol(v, &end, 10);
	return errno == 0 && !*end && pid > 0 && pid == (long)getppid();
}
