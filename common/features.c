/* features.c: the feature probe behind --features and --mode=auto.
 *
 * One cheap probe per facility the tools use, each answered without side effects: a call
 * that the kernel refuses before doing anything (EINVAL for an unknown flag, EBADF for a
 * bad fd, signal 0), or a child that exits at once and is reaped here, so that no process
 * is left behind. Kernels before 7.1 answer EINVAL for the new clone3 flags before
 * creating anything, so a refused probe costs one syscall.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "contain.h"
#include "features.h"
#include "pidfd.h"
#include "spawn.h"

bool clone3_accepts(uint64_t flags)
{
	int pidfd = -1;
	struct ar_clone_args args = {
		.flags = CLONE_PIDFD | flags,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = (flags & CLONE_AUTOREAP) ? 0 : SIGCHLD,
	};
	pid_t pid = ar_clone3(&args);

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return false;
	if (!(flags & CLONE_AUTOREAP))
		pidfd_wait_status(pidfd, true);
	close(pidfd);
	return true;
}

/* CLONE_INTO_CGROUP with an fd that cannot be open: EBADF once the flag is known (5.7),
 * EINVAL before, and no process either way. */
static bool clone_into_cgroup_known(void)
{
	struct ar_clone_args args = {
		.flags = CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = INT_MAX,
	};
	pid_t pid = ar_clone3(&args);

	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return true;
	}
	return errno == EBADF;
}

/* close_range on a range that holds no fd: 0 where the call exists (5.9), ENOSYS before. */
static bool close_range_works(void)
{
	return ar_close_range(INT_MAX - 1, INT_MAX - 1, 0) == 0;
}

/* cgroup.kill (5.14) exists in every cgroup but the root: our own if it is not the root,
 * else a child of the root, else one made and removed for the probe (PROBE_NAME-PID). */
static int cgroup_kill_exists(const char *probe_name)
{
	char dir[8192], path[8448];
	struct dirent *e;
	bool root;
	DIR *d;
	int r;

	if (cgroup_own_dir(dir, sizeof(dir), &root) < 0)
		return FEAT_NO;
	if (!root) {
		if (snprintf(path, sizeof(path), "%s/cgroup.kill", dir) >= (int)sizeof(path))
			return FEAT_UNKNOWN;
		return access(path, F_OK) == 0 ? FEAT_YES : FEAT_NO;
	}
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		r = snprintf(path, sizeof(path), "%s/%s/cgroup.kill", dir, e->d_name);
		closedir(d);
		if (r >= (int)sizeof(path))
			return FEAT_UNKNOWN;
		return access(path, F_OK) == 0 ? FEAT_YES : FEAT_NO;
	}
	if (d)
		closedir(d);
	if (snprintf(path, sizeof(path), "%s/%s-%d/cgroup.kill", dir, probe_name, (int)getpid()) >=
	    (int)sizeof(path))
		return FEAT_UNKNOWN;
	*strrchr(path, '/') = '\0';
	if (mkdir(path, 0755) < 0)
		return FEAT_UNKNOWN;
	path[strlen(path)] = '/';
	r = access(path, F_OK) == 0 ? FEAT_YES : FEAT_NO;
	*strrchr(path, '/') = '\0';
	rmdir(path);
	return r;
}

/* Whether we may create a user namespace: tried in a child that exits at once. */
static bool userns_allowed(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

void probe_features(struct features *f, const char *probe_name)
{
	struct utsname u;

	memset(f, 0, sizeof(*f));
	/* A zero-sized clone_args is EINVAL where clone3 exists, and whatever errno a seccomp
	 * filter chose (ENOSYS, EPERM) where it is refused: no process either way. */
	f->clone3 = syscall(SYS_clone3, NULL, 0) < 0 && errno == EINVAL;
	if (f->clone3) {
		f->autoreap = clone3_accepts(CLONE_AUTOREAP);
		f->nnp = clone3_accepts(CLONE_AUTOREAP | CLONE_NNP);
		f->autokill = clone3_accepts(CLONE_AUTOREAP | CLONE_NNP | CLONE_PIDFD_AUTOKILL);
		f->clone_into_cgroup = clone_into_cgroup_known();
	}
	f->pidfd_open = pidfd_open_works();
	f->pidfd_send_signal = pidfd_signal_works();
	f->waitid_pidfd = pidfd_waitid_works();
	f->pidfd_get_info = pidfd_info_works();
	f->pidfd_exit_info = pidfd_exit_info_works();
	f->pidfd_signal_group = pidfd_group_works();
	f->close_range = close_range_works();
	f->cgroup_kill = cgroup_kill_exists(probe_name);
	f->userns = userns_allowed();
	if (uname(&u) == 0)
		snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
}

void print_features(const struct features *f, const char *mode)
{
	static const char *const word[] = {"no", "yes", "unknown"};
	const struct {
		const char *key;
		int val;
	} rows[] = {
		{"clone3", f->clone3},
		{"autoreap", f->autoreap},
		{"nnp", f->nnp},
		{"autokill", f->autokill},
		{"pidfd_open", f->pidfd_open},
		{"pidfd_send_signal", f->pidfd_send_signal},
		{"waitid_pidfd", f->waitid_pidfd},
		{"pidfd_get_info", f->pidfd_get_info},
		{"pidfd_exit_info", f->pidfd_exit_info},
		{"pidfd_signal_group", f->pidfd_signal_group},
		{"close_range", f->close_range},
		{"clone_into_cgroup", f->clone_into_cgroup},
		{"cgroup_kill", f->cgroup_kill},
		{"userns", f->userns},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		printf("%s=%s\n", rows[i].key, word[rows[i].val]);
	printf("kernel=%s\nmode=%s\n", f->kernel, mode);
}
