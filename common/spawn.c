/* spawn.c: clone with a fallback chain, the child's set-up before execve, and exit status
 * through pidfds.
 *
 * The child reports a failed set-up or execve over a close-on-exec pipe: end of file means
 * execve succeeded, a record means it did not. This is what lets the tools exit 127/126
 * with the reason instead of "started, then died".
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "pidfd.h"
#include "spawn.h"
#include "util.h"

struct report {
	int stage; /* index into stage_names; 0: success */
	int err;
	pid_t pid; /* orphan mode: COMMAND's pid */
};

enum { ST_OK, ST_SETSID, ST_SETPGID, ST_TCSETPGRP, ST_DEVNULL, ST_NNP, ST_PDEATHSIG,
       ST_EXEC, ST_FORK };
static const char *const stage_names[] = {
	"", "setsid", "setpgid", "tcsetpgrp", "/dev/null", "no_new_privs", "parent-death signal",
	"execve", "fork",
};

/* A descriptor that the -d rule sends to /dev/null: a terminal, a pipe or a socket, i.e.
 * something that ties COMMAND to its caller; files and devices were redirected on purpose. */
static bool ties_to_caller(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return false;
	return isatty(fd) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
}

static noreturn void child_fail(int pipefd, int stage, int err)
{
	struct report r = {stage, err, 0};

	(void)!write(pipefd, &r, sizeof(r));
	_exit(stage == ST_EXEC ? (err == ENOENT ? 127 : 126) : 125);
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
		child_fail(pipefd, ST_SETSID, errno);
	if (req->pgrp == SPAWN_PGRP_NEW && setpgid(0, 0) < 0)
		child_fail(pipefd, ST_SETPGID, errno);
	/* Still with every signal blocked, so SIGTTOU cannot stop us here. */
	if (req->tty_fd >= 0 && tcsetpgrp(req->tty_fd, getpid()) < 0)
		child_fail(pipefd, ST_TCSETPGRP, errno);
	if (req->detach) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0)
			child_fail(pipefd, ST_DEVNULL, errno);
		for (int fd = 0; fd <= 2; fd++)
			if (ties_to_caller(fd) && dup2(null, fd) < 0)
				child_fail(pipefd, ST_DEVNULL, errno);
	}
	if (req->nnp && !(req->kflags & CLONE_NNP) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(pipefd, ST_NNP, errno);
	if (req->pdeathsig) {
		if (prctl(PR_SET_PDEATHSIG, req->pdeathsig) < 0)
			child_fail(pipefd, ST_PDEATHSIG, errno);
		/* The tool may have died before the prctl: then nothing would ever fire. */
		/* Not raise(): after a raw clone, glibc's cached thread id is the parent's. */
		if (getppid() != parent)
			syscall(SYS_tgkill, getpid(), gettid(), req->pdeathsig);
	}
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
	child_fail(pipefd, ST_EXEC, errno);
}

/* clone3, else clone(CLONE_PIDFD), else fork + pidfd_open: container seccomp profiles
 * refuse clone3 with ENOSYS or EPERM so that libc falls back, and so must we. Returns the
 * pid in both processes' sense (0 in the child), -1 with errno. */
static pid_t clone_child(const struct spawn_req *req, struct spawn_res *res, int *pidfd)
{
	uint64_t ns = (req->pidns ? CLONE_NEWPID : 0) | (req->userns ? CLONE_NEWUSER : 0);
	struct ar_clone_args args = {
		.flags = CLONE_PIDFD | req->kflags | ns |
			 (req->cgroup_fd > 0 ? CLONE_INTO_CGROUP : 0) |
			 /* Resumed after COMMAND's execve or exit (see spawn_vm); not when the
			  * child waits for us (a namespace's init, the orphan's intermediate). */
			 (req->orphan || req->pidns ? 0 : CLONE_VFORK),
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = (req->kflags & CLONE_AUTOREAP) ? 0 : SIGCHLD,
		.cgroup = req->cgroup_fd > 0 ? (uint64_t)req->cgroup_fd : 0,
	};
	pid_t pid;

	res->method = "clone3";
	pid = ar_clone3(&args);
	/* CLONE_INTO_CGROUP exists only in clone3: no fallback can honour it. */
	if (pid >= 0 || req->kflags || req->cgroup_fd > 0 || (errno != ENOSYS && errno != EPERM))
		return pid;
	res->method = "clone";
	pid = ar_clone_pidfd(pidfd, ns);
	if (pid >= 0 || ns || (errno != ENOSYS && errno != EPERM && errno != EINVAL))
		return pid;
	res->method = "fork";
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

static int read_report(int fd, struct report *r)
{
	ssize_t n;

	do
		n = read(fd, r, sizeof(*r));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*r) ? 1 : 0;
}

/* Orphan mode, in the intermediate process: starts COMMAND, waits for its execve, reaps
 * it if it failed (so a failure leaves no zombie for a reaper that may never reap), and
 * passes the outcome up. It then stays, keeping COMMAND's pid from being reused, until the
 * tool has opened a pidfd for it and closed HOLD; its exit hands COMMAND to the nearest
 * reaper. */
static noreturn void orphan_parent(const struct spawn_req *req, int up, int hold)
{
	struct spawn_req inner = *req;
	struct report r = {ST_OK, 0, 0};
	int p[2];
	pid_t pid;
	char c;

	inner.orphan = false;
	inner.pdeathsig = 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		child_fail(up, ST_FORK, errno);
	pid = fork();
	if (pid < 0)
		child_fail(up, ST_FORK, errno);
	if (pid == 0) {
		close(p[0]);
		child_exec(&inner, p[1], getppid());
	}
	close(p[1]);
	if (read_report(p[0], &r))
		waitpid(pid, NULL, 0);
	r.pid = pid;
	(void)!write(up, &r, sizeof(r));
	close(up);
	while (read(hold, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* The init of COMMAND's PID namespace (pid 1 there): starts COMMAND, relays the signals
 * it receives to COMMAND's group, reaps everything, and when COMMAND has exited writes its
 * status up and exits, upon which the kernel kills whatever is left in the namespace. A
 * namespace init cannot die of a signal of its own, hence the status pipe. */
static noreturn void ns_init(const struct spawn_req *req, int up, int sync)
{
	struct spawn_req inner = *req;
	struct spawn_res res;
	sigset_t all;
	int sfd, st = 0;
	char c;

	if (sync >= 0) {
		while (read(sync, &c, 1) < 0 && errno == EINTR)
			;
		close(sync);
	}
	inner.pidns = inner.userns = false;
	inner.kflags = 0;
	inner.cgroup_fd = 0;
	inner.pdeathsig = 0;
	/* The tool's mask (every relayed signal blocked) is inherited: read them here. */
	sigprocmask(SIG_BLOCK, NULL, &all);
	sigaddset(&all, SIGCHLD);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sfd = signalfd(-1, &all, SFD_CLOEXEC);
	if (spawn_command(&inner, &res) < 0)
		child_fail(up, strcmp(res.stage, "execve") == 0 ? ST_EXEC : ST_FORK, res.err);
	close(up);
	prctl(PR_SET_NAME, "autokill-init");
	for (;;) {
		struct signalfd_siginfo si;
		int s;
		pid_t pid;

		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if ((int)si.ssi_signo != SIGCHLD) {
			pidfd_kill_group(res.pidfd, res.pid, (int)si.ssi_signo);
			continue;
		}
		while ((pid = waitpid(-1, &s, WNOHANG)) > 0) {
			if (pid != res.pid)
				continue;
			st = s;
			(void)!write(req->ns_status_fd, &st, sizeof(st));
			_exit(0);
		}
	}
}

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
static pid_t spawn_vm(const struct spawn_req *req, int p[2], int *pidfd)
{
	size_t argc = 0, size;
	char *stack;
	struct vm_child c = {req, p[1], p[0], getpid(), NULL, 0, -1, 0};
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

/* Maps our uid and gid to themselves in the child's new user namespace, so that COMMAND
 * sees its real ids. */
static int write_id_maps(pid_t pid)
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

int spawn_command(const struct spawn_req *req, struct spawn_res *res)
{
	struct report r = {ST_OK, 0, 0};
	pid_t parent = getpid();
	int p[2], hold[2] = {-1, -1}, sync[2] = {-1, -1}, pidfd = -1;
	/* What clone3 alone can do (kernel flags, a cgroup) and what needs a long-lived
	 * child (a namespace's init) takes the fork-like path. */
	bool vm = !req->kflags && req->cgroup_fd <= 0 && !req->pidns;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->pidfd = -1;
	/* An ignored SIGCHLD inherited from our caller would have the kernel reap our children
	 * behind our back, and their status would be lost. */
	signal(SIGCHLD, SIG_DFL);
	if (pipe2(p, O_CLOEXEC) < 0) {
		res->stage = "pipe2";
		res->err = errno;
		return -1;
	}
	res->method = "clone";
	pid = vm ? spawn_vm(req, p, &pidfd) : 0;
	vm = pid != 0;
	if (!vm && ((req->orphan && pipe2(hold, O_CLOEXEC) < 0) ||
		    (req->userns && pipe2(sync, O_CLOEXEC) < 0))) {
		res->stage = "pipe2";
		res->err = errno;
		close(p[0]);
		close(p[1]);
		if (hold[0] >= 0) {
			close(hold[0]);
			close(hold[1]);
		}
		return -1;
	}
	if (!vm)
		pid = clone_child(req, res, &pidfd);
	if (pid == 0) {
		close(p[0]);
		if (req->orphan) {
			close(hold[1]);
			orphan_parent(req, p[1], hold[0]);
		}
		if (req->pidns) {
			if (sync[1] >= 0)
				close(sync[1]);
			ns_init(req, p[1], sync[0]);
		}
		child_exec(req, p[1], parent);
	}
	close(p[1]);
	if (hold[0] >= 0)
		close(hold[0]);
	if (sync[0] >= 0)
		close(sync[0]);
	if (pid > 0 && sync[1] >= 0) {
		if (write_id_maps(pid) < 0) {
			res->stage = "uid_map";
			res->err = errno;
			ar_pidfd_send_signal(pidfd, SIGKILL, 0);
		}
		close(sync[1]);
	}
	if (pid < 0) {
		res->stage = res->method;
		res->err = errno;
		close(p[0]);
		if (hold[1] >= 0)
			close(hold[1]);
		return -1;
	}
	/* Both sides call setpgid, so the group exists whichever runs first (as shells do). */
	if (req->pgrp == SPAWN_PGRP_NEW && !req->orphan)
		setpgid(pid, pid);
	res->pid = pid;
	res->pidfd = pidfd;
	res->kflags = req->kflags;
	if (read_report(p[0], &r) && r.stage != ST_OK && !res->stage) {
		res->stage = stage_names[r.stage];
		res->err = r.err;
	}
	close(p[0]);
	if (req->orphan && vm && res->stage && res->pidfd >= 0) {
		/* COMMAND's execve failed and the intermediate reaped it. */
		close(res->pidfd);
		res->pidfd = -1;
	} else if (req->orphan && !vm) {
		int cmdfd = -1;

		/* COMMAND is the intermediate's unreaped child until we release it: its pid is
		 * still its own, so the pidfd cannot name another process. */
		if (!res->stage && r.pid > 0) {
			cmdfd = ar_pidfd_open(r.pid);
			/* No pidfd (refused by seccomp): COMMAND must not run on while we report
			 * that it could not start. For the same reason its pid is still its. */
			if (cmdfd < 0) {
				int e = errno;

				kill(r.pid, SIGKILL);
				errno = e;
			}
		}
		close(hold[1]);
		pidfd_wait_status(pidfd, true);
		close(pidfd);
		res->pidfd = cmdfd;
		res->pid = r.pid;
		if (!res->stage && cmdfd < 0) {
			res->stage = r.pid > 0 ? "pidfd_open" : "fork";
			res->err = r.pid > 0 ? errno : ECHILD;
		}
	}
	if (!res->stage)
		return 0;
	if (res->pidfd >= 0 && !req->orphan) {
		pidfd_wait_status(res->pidfd, !(req->kflags & CLONE_AUTOREAP));
		close(res->pidfd);
		res->pidfd = -1;
	}
	return -1;
}

int pidns_prepare(struct spawn_req *req)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		err(EXIT_TOOL_FAILURE, "pipe2");
	req->pidns = true;
	req->userns = !has_cap_sys_admin();
	req->ns_status_fd = p[1];
	return p[0];
}

void pidns_status(const struct spawn_req *req, int fd, int *status)
{
	int inner;

	/* Our write end closed, an init that died unreported gives end-of-file, not a hang. */
	close(req->ns_status_fd);
	if (read(fd, &inner, sizeof(inner)) == (ssize_t)sizeof(inner))
		*status = inner;
	close(fd);
}

_Noreturn void spawn_die(const char *cmd, const struct spawn_res *res)
{
	if (strcmp(res->stage, "execve") == 0) {
		warnx("cannot run '%s': %s", cmd, strerror(res->err));
		exit(exec_errno_status(res->err));
	}
	errx(EXIT_TOOL_FAILURE, "cannot start '%s': %s: %s", cmd, res->stage, strerror(res->err));
}
