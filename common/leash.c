/* leash.c: the userspace leash watcher. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "leash.h"
#include "pidfd.h"
#include "util.h"

/* close_range, or on kernels before 5.9 one close per open fd in the range. */
static void close_from_to(unsigned lo, unsigned hi)
{
	DIR *d;
	struct dirent *e;

	if (ar_close_range(lo, hi, 0) == 0 || errno != ENOSYS)
		return;
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((e = readdir(d))) {
		long fd = strtol(e->d_name, NULL, 10);

		if (e->d_name[0] != '.' && fd >= (long)lo && fd <= (long)hi && fd != dirfd(d))
			close((int)fd);
	}
	closedir(d);
}

/* Closes every fd above 2 but the ones in KEEP (sorted, -1 for none), so the watcher holds
 * no pipe, terminal or lifeline write end of the holder's (which would keep the lifeline
 * from ever hanging up). */
static void close_all_but(const int *keep, int n)
{
	unsigned lo = 3;

	for (int i = 0; i < n; i++) {
		if (keep[i] < (int)lo)
			continue;
		if ((unsigned)keep[i] > lo)
			close_from_to(lo, (unsigned)keep[i] - 1);
		lo = (unsigned)keep[i] + 1;
	}
	close_from_to(lo, ~0U);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* In a new watcher: leaves the holder's session and terminal behind, takes the process
 * name NAME, and closes every fd but the ones it watches with (LIFELINE_R, CMD's). */
static void watcher_setup(const struct supervisor *cmd, int lifeline_r, bool keep_stderr,
			  const char *name)
{
	int null = open("/dev/null", O_RDWR);

	/* Its own session: the terminal's Ctrl-C and a kill of the holder's process group do
	 * not reach it; a name not the tool's keeps `pkill -x autokill` off it. */
	setsid();
	prctl(PR_SET_NAME, name);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (!keep_stderr)
			dup2(null, 2);
	}
	int keep[5] = {cmd->cfg.pidfd, lifeline_r, cmd->cfg.cg ? cmd->cfg.cg->dirfd : -1,
		       cmd->cfg.cg ? cmd->cfg.cg->eventsfd : -1, cmd->st.pgfd};

	qsort(keep, 5, sizeof(int), cmp_int);
	close_all_but(keep, 5);
}

/* The watcher's life once it knows COMMAND: the ladder on the lifeline's hang-up. */
static noreturn void watch(const struct supervisor *cmd, int lifeline_r, bool finish_ladder)
{
	struct supervisor sv = supervisor_as_watcher(cmd, lifeline_r);

	sv.cfg.finish_ladder = finish_ladder;
	supervise(&sv.cfg, &sv.st, &sv.res);
	if (sv.cfg.cg)
		cgroup_remove(sv.cfg.cg);
	_exit(0);
}

static noreturn void watcher(const struct supervisor *cmd, int lifeline_r, bool keep_stderr,
			     const char *name)
{
	watcher_setup(cmd, lifeline_r, keep_stderr, name);
	watch(cmd, lifeline_r, false);
}

/* Waits on the lifeline socket for COMMAND's pidfd (and pid; see spawn.c's announce) and
 * fills CMD in with them. false: COMMAND never started (the holder hung up first), or is
 * gone already with nothing to leash. */
static bool await_command(int lifeline, struct supervisor *cmd)
{
	pid_t pid = 0;
	int fd[2];

	if (recv_fds(lifeline, &pid, sizeof(pid), fd) != (ssize_t)sizeof(pid) || fd[0] < 0)
		return false;
	if (pid <= 0)
		pid = pidfd_pid(fd[0]);
	if (pid <= 0)
		return false;
	supervisor_as_tool(cmd, fd[0], pid, true);
	return true;
}

int leash_prepare(const struct supervisor *cfg, struct leash *l, const char *name)
{
	int s[2];
	pid_t pid;

	/* A socket, not a pipe: COMMAND announces itself over it, and its hang-up is the
	 * holder's end all the same. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct supervisor cmd = *cfg;

		close(s[1]);
		watcher_setup(&cmd, s[0], cfg->cfg.verbose, name);
		if (!await_command(s[0], &cmd)) {
			/* The holder died before COMMAND announced itself: what may have got
			 * into the leaf is a child that never reached execve. The leaf is ours
			 * to remove, as on any other death of the holder. */
			if (cmd.cfg.cg) {
				cgroup_signal(cmd.cfg.cg, SIGKILL, NULL);
				cgroup_remove(cmd.cfg.cg);
			}
			_exit(0);
		}
		watch(&cmd, s[0], true);
	}
	close(s[0]);
	if (pid < 0 || (l->watcher_pidfd = ar_pidfd_open(pid)) < 0) {
		int e = errno;

		/* Our unreaped child: its pid names nobody else. It has nothing to leash. */
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		close(s[1]);
		errno = e;
		return -1;
	}
	l->watcher_pid = pid;
	l->lifeline = s[1];
	return 0;
}

/* The clone3 pidfd carries the kernel's leash: a watcher holding a copy would keep COMMAND
 * alive after the holder's death. It gets a pidfd of its own, which names COMMAND as long as
 * COMMAND has not exited, as checked after opening it; or -1. */
static int own_pidfd(const struct supervise_config *cfg)
{
	struct pollfd gone = {cfg->pidfd, POLLIN, 0};
	int fd = ar_pidfd_open(cfg->pid);

	if (fd >= 0 && poll(&gone, 1, 0) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int leash_start(const struct supervisor *cmd, struct leash *l, bool orphan, bool kernel,
		const char *name)
{
	struct supervisor copy = *cmd;
	int p[2];
	pid_t pid;

	if (kernel) {
		copy.cfg.pidfd = own_pidfd(&cmd->cfg);
		if (copy.cfg.pidfd < 0) {
			l->watcher_pid = 0;
			l->watcher_pidfd = l->lifeline = -1;
			return 0;
		}
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		/* Orphaned at once (double fork) when the holder is about to exec another
		 * program, which must not inherit a child it did not fork. */
		if (orphan && fork() != 0)
			_exit(0);
		watcher(&copy, p[0], cmd->cfg.verbose, name);
	}
	if (kernel)
		close(copy.cfg.pidfd);
	close(p[0]);
	l->lifeline = p[1];
	if (orphan) {
		l->watcher_pid = 0;
		l->watcher_pidfd = -1;
		waitpid(pid, NULL, 0);
		return 0;
	}
	l->watcher_pid = pid;
	l->watcher_pidfd = ar_pidfd_open(pid);
	if (l->watcher_pidfd < 0) {
		int e = errno;

		/* Without a pidfd the watcher could never be released: end it before it sees
		 * the lifeline hang up, which would run the ladder on COMMAND at once. It is
		 * our child and not yet reaped, so its pid cannot name anyone else. */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(p[1]);
		errno = e;
		return -1;
	}
	return 0;
}

void leash_release(struct leash *l)
{
	ar_pidfd_send_signal(l->watcher_pidfd, SIGKILL, 0);
	pidfd_wait_status(l->watcher_pidfd, true);
	close(l->watcher_pidfd);
	if (l->lifeline >= 0)
		close(l->lifeline);
}
