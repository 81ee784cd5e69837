/* pidfd.c: questions about a process through its pidfd, with fallbacks (see pidfd.h). */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "pidfd.h"
#include "util.h"

/* -1: not known yet; 0: the kernel cannot; 1: it can. */
static int info_state = -1, exit_state = -1, group_state = -1;

bool pidfd_exited(int pidfd)
{
	struct pollfd p = {pidfd, POLLIN, 0};

	return poll(&p, 1, 0) != 0;
}

pid_t pidfd_pid(int pidfd)
{
	char path[64], text[1024], *end;
	const char *v;
	long pid;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	if (read_text(path, text, sizeof(text)) < 0 || !(v = proc_field(text, "Pid")))
		return -1;
	pid = strtol(v, &end, 10);
	return end == v ? -1 : (pid_t)pid;
}

static int get_info(int pidfd, struct ar_pidfd_info *info)
{
	if (info_state == 0) {
		errno = ENOTTY;
		return -1;
	}
	if (ioctl(pidfd, PIDFD_GET_INFO, info) == 0) {
		info_state = 1;
		return 0;
	}
	/* ENOTTY before 6.13; EPERM, ENOSYS or EACCES from a seccomp profile. */
	if (errno != ESRCH && errno != EINTR)
		info_state = 0;
	return -1;
}

bool pidfd_info_works(void)
{
	if (info_state < 0) {
		struct ar_pidfd_info info = {.mask = PIDFD_INFO_PID};
		int fd = ar_pidfd_open(getpid());

		if (fd < 0)
			return false;
		get_info(fd, &info);
		close(fd);
	}
	return info_state == 1;
}

/* Fields 4 (ppid) and 5 (pgrp) of /proc/PID/stat; the command name before them may hold
 * spaces and parentheses, so the fields are counted from its last ')'. */
static int proc_stat_ids(pid_t pid, pid_t *ppid, pid_t *pgid, char *state)
{
	char path[64], buf[1024], *p, *end, st;
	long pp, pg;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_text(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')) || p[1] != ' ' ||
	    !p[2] || p[3] != ' ')
		return -1;
	st = p[2];
	pp = strtol(p + 4, &end, 10);
	if (end == p + 4 || *end != ' ')
		return -1;
	p = end + 1;
	pg = strtol(p, &end, 10);
	if (end == p)
		return -1;
	if (ppid)
		*ppid = (pid_t)pp;
	if (pgid)
		*pgid = (pid_t)pg;
	if (state)
		*state = st;
	return 0;
}

/* Whether /proc numbers processes as our PID namespace does: not inside a new PID
 * namespace that still sees its parent's /proc (autokill's pidns init), where /proc/N is
 * somebody else than our pid N. The /proc fallbacks are only used when it does. */
static bool proc_is_ours(void)
{
	static int ours = -1;

	if (ours < 0) {
		char buf[32];
		ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		ours = n > 0 && strtol(buf, NULL, 10) == (long)getpid();
	}
	return ours;
}

/* Whether the pidfd's process has not been reaped yet (it may be a zombie): signal 0
 * through the pidfd reaches a zombie and fails with ESRCH only once it has been reaped
 * (EPERM: it exists, but is not ours to signal). Every kernel with pidfds answers this. */
static bool not_reaped(int pidfd)
{
	return ar_pidfd_send_signal(pidfd, 0, 0) == 0 || errno == EPERM;
}

/* What /proc said about PID is about the pidfd's process if that process has not been
 * reaped after the read: it held PID when the pidfd was opened, and a pid is not reused
 * before its process has been reaped. A zombie still answers (its parent is still the
 * one that must reap it). */
static int proc_ids_checked(int pidfd, pid_t pid, pid_t *ppid, pid_t *pgid)
{
	if (!proc_is_ours() || proc_stat_ids(pid, ppid, pgid, NULL) < 0 || !not_reaped(pidfd)) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

int pidfd_ppid(int pidfd, pid_t pid, pid_t *ppid)
{
	struct ar_pidfd_info info = {.mask = PIDFD_INFO_PID};

	if (get_info(pidfd, &info) == 0) {
		if (!(info.mask & PIDFD_INFO_PID)) {
			errno = ESRCH;
			return -1;
		}
		*ppid = (pid_t)info.ppid;
		return 0;
	}
	if (errno == ESRCH)
		return -1;
	return proc_ids_checked(pidfd, pid, ppid, NULL);
}

int pidfd_pgid(int pidfd, pid_t pid, pid_t *pgid)
{
	/* PIDFD_GET_INFO has no process group: getpgid(2), checked as /proc is (it numbers
	 * PID as we do, which /proc does not in a PID namespace that kept its parent's). */
	pid_t pg = getpgid(pid);

	if (pg < 0 || !not_reaped(pidfd)) {
		errno = ESRCH;
		return -1;
	}
	*pgid = pg;
	return 0;
}

int pidfd_stopped(int pidfd, pid_t pid)
{
	char state;

	if (!proc_is_ours() || proc_stat_ids(pid, NULL, NULL, &state) < 0 || !not_reaped(pidfd))
		return -1;
	return state == 'T';
}

bool pidfd_in_cgroup(int pidfd, pid_t pid, uint64_t cgid, const char *path)
{
	struct ar_pidfd_info info = {.mask = PIDFD_INFO_CGROUPID};
	char file[64], line[4096];
	bool in = false;
	FILE *f;

	if (get_info(pidfd, &info) == 0)
		return (info.mask & PIDFD_INFO_CGROUPID) && info.cgroupid == cgid;
	if (errno == ESRCH)
		return false;
	if (!proc_is_ours())
		return false;
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	f = fopen(file, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		in = strcmp(line + 3, path) == 0;
		break;
	}
	fclose(f);
	return in && not_reaped(pidfd);
}

int pidfd_open_child(pid_t parent, pid_t pid)
{
	int fd = ar_pidfd_open(pid);
	pid_t ppid;

	if (fd < 0)
		return -1;
	/* Between reading PID and opening it, the process may have died and its pid been
	 * reused: the pidfd is only trusted while its parent is still the one we found. */
	if (pidfd_ppid(fd, pid, &ppid) < 0 || ppid != parent) {
		close(fd);
		return -1;
	}
	return fd;
}

int pidfd_kill(int pidfd, int sig)
{
	return ar_pidfd_send_signal(pidfd, sig, 0);
}

/* Calls FN(pid, arg) for each process in /proc whose process group is PGID and that is not
 * a zombie; stops early when FN returns non-zero. Returns how many were visited. */
static int each_member(pid_t pgid, int (*fn)(pid_t, void *), void *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		pid_t pg;
		char st;
		long v;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		v = strtol(e->d_name, NULL, 10);
		if (proc_stat_ids((pid_t)v, NULL, &pg, &st) < 0 || pg != pgid || st == 'Z')
			continue;
		n++;
		if (fn((pid_t)v, arg))
			break;
	}
	closedir(d);
	return n;
}

struct kill_arg {
	pid_t pgid;
	int sig;
	int sent;
};

static int kill_member(pid_t pid, void *arg)
{
	struct kill_arg *k = arg;
	int fd = ar_pidfd_open(pid);
	pid_t pg;

	if (fd < 0)
		return 0;
	if (pidfd_pgid(fd, pid, &pg) == 0 && pg == k->pgid && pidfd_kill(fd, k->sig) == 0)
		k->sent++;
	close(fd);
	return 0;
}

bool pidfd_group_works(void)
{
	if (group_state < 0) {
		int fd = ar_pidfd_open(getpid());

		if (fd < 0)
			return false;
		/* Signal 0 with the flag to ourselves: EINVAL names a kernel without it. The
		 * kernel signals the group that our pid leads, none unless we lead ours: ESRCH
		 * then, and also an answer that the flag is known. Anything else (a seccomp
		 * profile refusing pidfd_send_signal) is no. */
		group_state = ar_pidfd_send_signal(fd, 0, PIDFD_SIGNAL_PROCESS_GROUP) == 0 ||
			      errno == ESRCH;
		close(fd);
	}
	return group_state == 1;
}

int pidfd_calls_work(const char **call)
{
	siginfo_t si;

	/* With an fd that is no pidfd (INT_MAX is never open): EBADF where the call exists;
	 * ENOSYS (or EINVAL for P_PIDFD) on older kernels, or what a seccomp profile returns. */
	*call = "pidfd_send_signal";
	if (ar_pidfd_send_signal(-1, 0, 0) == 0 || errno != EBADF)
		return -1;
	*call = "waitid(P_PIDFD)";
	if (waitid((idtype_t)P_PIDFD, (id_t)INT_MAX, &si, WEXITED | WNOHANG) == 0 ||
	    errno != EBADF)
		return -1;
	return 0;
}

int pidfd_kill_group(int leader_pidfd, pid_t pgid, int sig)
{
	struct kill_arg k = {pgid, sig, 0};

	/* Probe with the pidfd at hand when we can: a seccomp profile may refuse pidfd_open,
	 * which pidfd_group_works needs, and then the member-by-member fallback, which opens
	 * a pidfd per member, would signal nobody. */
	if (group_state < 0) {
		if (ar_pidfd_send_signal(leader_pidfd, 0, PIDFD_SIGNAL_PROCESS_GROUP) == 0)
			group_state = 1;
		else if (errno == EINVAL)
			group_state = 0;
	}
	if (pidfd_group_works()) {
		if (ar_pidfd_send_signal(leader_pidfd, sig, PIDFD_SIGNAL_PROCESS_GROUP) == 0)
			return 1;
		return errno == ESRCH ? 0 : -1;
	}
	/* Before 6.9: member by member. A process that joins the group during the scan can be
	 * missed; the ladder's next step, or the caller's next sweep, finds it. */
	if (proc_is_ours()) {
		each_member(pgid, kill_member, &k);
		return k.sent;
	}
	/* A /proc of another namespace names nobody here: the group by its number, which is
	 * still the leader's while the leader has not been reaped (the pidns init is its
	 * parent and reaps it only after its last signal). */
	if (!not_reaped(leader_pidfd))
		return 0;
	return kill(-pgid, sig) == 0 ? 1 : errno == ESRCH ? 0 : -1;
}

static int stop_at_first(pid_t pid, void *arg)
{
	(void)pid;
	(void)arg;
	return 1;
}

bool pgrp_has_members(pid_t pgid)
{
	return each_member(pgid, stop_at_first, NULL) > 0;
}

struct others_arg {
	pid_t not1, not2;
	bool running;
	int sig;
	pid_t pgid;
	int n;
};

static int count_other(pid_t pid, void *arg)
{
	struct others_arg *o = arg;
	char st;

	if (pid == o->not1 || pid == o->not2)
		return 0;
	if (o->running && (proc_stat_ids(pid, NULL, NULL, &st) < 0 || st == 'T' || st == 't'))
		return 0;
	o->n++;
	return 0;
}

int pgrp_others(pid_t pgid, pid_t not1, pid_t not2, bool running)
{
	struct others_arg o = {not1, not2, running, 0, pgid, 0};

	each_member(pgid, count_other, &o);
	return o.n;
}

static int kill_other(pid_t pid, void *arg)
{
	struct others_arg *o = arg;
	struct kill_arg k = {o->pgid, o->sig, 0};

	if (pid != o->not1)
		kill_member(pid, &k);
	o->n += k.sent;
	return 0;
}

int pgrp_kill_others(pid_t pgid, pid_t self, int sig)
{
	struct others_arg o = {self, 0, false, sig, pgid, 0};
	int total = 0;

	/* A member that forked while the scan passed can have a child the scan missed; a
	 * killed parent cannot fork again, so a few passes catch every such child. */
	for (int pass = 0; pass < 3; pass++) {
		o.n = 0;
		each_member(pgid, kill_other, &o);
		total += o.n;
		if (o.n == 0)
			break;
	}
	return total;
}

bool pidfd_open_works(void)
{
	int fd = ar_pidfd_open(getpid());

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Signal 0 to ourselves: checks the call and the permission, sends nothing. */
bool pidfd_signal_works(void)
{
	int fd = ar_pidfd_open(getpid()), ok;

	if (fd < 0)
		return false;
	ok = ar_pidfd_send_signal(fd, 0, 0) == 0;
	close(fd);
	return ok;
}

/* We are not our own child: ECHILD where P_PIDFD is known, EINVAL (unknown id type)
 * before 5.4. */
bool pidfd_waitid_works(void)
{
	int fd = ar_pidfd_open(getpid()), ok;
	siginfo_t si;

	if (fd < 0)
		return false;
	ok = waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) < 0 && errno == ECHILD;
	close(fd);
	return ok;
}

/* Whether reaped children keep their exit status in the pidfd (6.15), probed once on a
 * child of our own that exits at once. */
bool pidfd_exit_info_works(void)
{
	if (exit_state < 0) {
		struct ar_pidfd_info info = {.mask = PIDFD_INFO_EXIT};
		pid_t pid;
		int fd;

		if (!pidfd_info_works()) {
			exit_state = 0;
			return false;
		}
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0)
			return false;
		/* Unreaped, the pid is still its own. */
		fd = ar_pidfd_open(pid);
		waitpid(pid, NULL, 0);
		exit_state = fd >= 0 && ioctl(fd, PIDFD_GET_INFO, &info) == 0 &&
			     (info.mask & PIDFD_INFO_EXIT);
		if (fd >= 0)
			close(fd);
	}
	return exit_state == 1;
}

/* The 7.1 clone3 flags came after PIDFD_INFO_EXIT (6.15): once clone3 has taken them,
 * PIDFD_GET_INFO answers for it wherever it is allowed at all, with no probe child. Without
 * this, the probe forked at COMMAND's end, when its status is read, where a seccomp
 * profile or a process limit may refuse the fork (seen on 7.2: a status lost). */
void pidfd_exit_info_implied(void)
{
	if (exit_state < 0 && pidfd_info_works())
		exit_state = 1;
}

/* After POLLIN, an auto-reaped child's exit information may not be stored yet (seen on
 * 6.18 in about one case out of ten): it is, once the pidfd also reports POLLHUP. Polling
 * with no events asks for exactly that; the timeout is a guard against a missed wake-up
 * (and, on kernels without POLLHUP for pidfds, the pace of the retries). */
static int read_exit_info(int pidfd)
{
	if (!pidfd_exit_info_works())
		return PIDFD_NO_STATUS;
	for (int i = 0; i < 1000; i++) {
		struct ar_pidfd_info info = {.mask = PIDFD_INFO_EXIT};
		struct pollfd pfd = {pidfd, 0, 0};

		if (ioctl(pidfd, PIDFD_GET_INFO, &info) == 0 && (info.mask & PIDFD_INFO_EXIT))
			return info.exit_code;
		if (errno == ENOTTY || errno == EINVAL)
			return PIDFD_NO_STATUS;
		poll(&pfd, 1, 10);
	}
	errno = ETIMEDOUT;
	return -1;
}

static int waitid_status(int pidfd, int options)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | options) < 0)
		if (errno != EINTR)
			return -1;
	if (si.si_pid == 0)
		return 0;
	return wait_status_of(&si);
}

int pidfd_try_status(int pidfd, bool own_child, int *status)
{
	int st;

	if (own_child) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
			if (errno != ECHILD)
				return -1;
			/* Reaped by someone else after all: its status may still be in the pidfd. */
			st = read_exit_info(pidfd);
		} else if (si.si_pid == 0) {
			return 0;
		} else {
			st = waitid_status(pidfd, 0);
		}
	} else {
		if (!pidfd_exited(pidfd))
			return 0;
		st = read_exit_info(pidfd);
	}
	if (st < 0)
		return st;
	*status = st;
	return 1;
}

int pidfd_wait_status(int pidfd, bool own_child)
{
	struct pollfd pfd = {pidfd, POLLIN, 0};

	if (own_child)
		return waitid_status(pidfd, 0);
	while (poll(&pfd, 1, -1) < 0)
		if (errno != EINTR)
			return -1;
	return read_exit_info(pidfd);
}
