/* contain.c: signalling and accounting for whole trees: the subreaper's descendants and
 * cgroup v2 leaves. Every signal goes through a pidfd, and every pidfd is checked to name
 * the process we meant before it is used. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "contain.h"
#include "pidfd.h"
#include "util.h"

static const char *const names[] = {"pgrp", "subreaper", "pidns", "cgroup", "auto"};

const char *contain_name(int contain)
{
	return names[contain];
}

int contain_parse(const char *s)
{
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int children_of(pid_t pid, pid_t *out, int max)
{
	char path[64];
	FILE *f;
	long v;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (n < max && fscanf(f, "%ld", &v) == 1)
		out[n++] = (pid_t)v;
	fclose(f);
	return n;
}

/* Signals PID (known to be a child of PARENT) and, depth first, its descendants. */
static void signal_below(pid_t parent, pid_t pid, int sig, int depth)
{
	pid_t kids[256];
	int fd = pidfd_open_child(parent, pid), n;

	if (fd < 0)
		return;
	pidfd_kill(fd, sig);
	if (sig != SIGKILL && sig != SIGSTOP)
		pidfd_kill(fd, SIGCONT);
	n = depth < 64 ? children_of(pid, kids, 256) : 0;
	for (int i = 0; i < n; i++)
		signal_below(pid, kids[i], sig, depth + 1);
	close(fd);
}

void tree_signal(int sig, pid_t exclude)
{
	pid_t kids[1024], self = getpid();
	int n = children_of(self, kids, 1024);

	for (int i = 0; i < n; i++)
		if (kids[i] != exclude)
			signal_below(self, kids[i], sig, 0);
}

int tree_children(pid_t not1, pid_t not2)
{
	pid_t kids[1024];
	int n = children_of(getpid(), kids, 1024), count = 0;

	for (int i = 0; i < n; i++)
		if (kids[i] != not1 && kids[i] != not2)
			count++;
	return count;
}

void tree_reap(pid_t not1, pid_t not2)
{
	pid_t kids[1024];
	int n = children_of(getpid(), kids, 1024);

	for (int i = 0; i < n; i++) {
		siginfo_t si;

		if (kids[i] == not1 || kids[i] == not2)
			continue;
		memset(&si, 0, sizeof(si));
		waitid(P_PID, (id_t)kids[i], &si, WEXITED | WNOHANG);
	}
}

/* The cgroup v2 mount point, from /proc/self/mountinfo. */
static int cgroup2_mount(char *out, size_t len)
{
	char line[4096], mnt[4096], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = -1;

	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		if (strcmp(fstype, "cgroup2") == 0 && strlen(mnt) < len) {
			strcpy(out, mnt);
			found = 0;
		}
	}
	fclose(f);
	if (found < 0)
		errno = ENOENT;
	return found;
}

/* Our own cgroup v2 path, from the "0::" line of /proc/self/cgroup. */
static int own_cgroup(char *out, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = -1;

	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line + 3) < len) {
			strcpy(out, line + 3);
			found = 0;
		}
	}
	fclose(f);
	return found;
}

int cgroup_create(struct cgroup *cg, char *err, size_t errlen)
{
	char mnt[4096], own[4096], base[8192 + 2];
	struct stat st;

	memset(cg, 0, sizeof(*cg));
	cg->dirfd = cg->eventsfd = -1;
	if (cgroup2_mount(mnt, sizeof(mnt)) < 0) {
		/* Under a small fd limit (EMFILE) the hierarchy may well be there. */
		if (errno != ENOENT)
			snprintf(err, errlen, "cannot read /proc/self/mountinfo: %s", strerror(errno));
		else
			snprintf(err, errlen, "no cgroup v2 hierarchy is mounted (looked in /proc/self/mountinfo)");
		return -1;
	}
	if (own_cgroup(own, sizeof(own)) < 0) {
		snprintf(err, errlen, "no cgroup v2 membership in /proc/self/cgroup (hierarchy at %s)", mnt);
		return -1;
	}
	snprintf(base, sizeof(base), "%s%s", mnt, strcmp(own, "/") == 0 ? "" : own);
	if (snprintf(cg->path, sizeof(cg->path), "%s/autokill-%d", base, (int)getpid()) >=
	    (int)sizeof(cg->path)) {
		snprintf(err, errlen, "cgroup path too long below %s", base);
		return -1;
	}
	snprintf(cg->rel, sizeof(cg->rel), "%s/autokill-%d", strcmp(own, "/") == 0 ? "" : own,
		 (int)getpid());
	if (mkdir(cg->path, 0755) < 0) {
		snprintf(err, errlen, "no writable cgroup v2: cannot create %s: %s", cg->path,
			 strerror(errno));
		return -1;
	}
	cg->dirfd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cg->eventsfd = openat(cg->dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	if (cg->dirfd < 0 || fstat(cg->dirfd, &st) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", cg->path, strerror(errno));
		rmdir(cg->path);
		return -1;
	}
	cg->id = (uint64_t)st.st_ino;
	return 0;
}

void cgroup_signal(const struct cgroup *cg, int sig)
{
	char buf[32];
	long v;
	FILE *f;
	int fd;

	if (sig == SIGKILL) {
		fd = openat(cg->dirfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, "1", 1) == 1) {
			close(fd);
			return;
		}
		if (fd >= 0)
			close(fd);
		/* Before Linux 5.14: member by member, as for the other signals. */
	}
	fd = openat(cg->dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	f = fd >= 0 ? fdopen(fd, "re") : NULL;
	while (f && fgets(buf, sizeof(buf), f)) {
		int pfd;

		v = strtol(buf, NULL, 10);
		pfd = ar_pidfd_open((pid_t)v);
		if (pfd < 0)
			continue;
		/* Still a member: the pid was not reused by a process elsewhere. */
		if (!pidfd_in_cgroup(pfd, (pid_t)v, cg->id, cg->rel)) {
			close(pfd);
			continue;
		}
		pidfd_kill(pfd, sig);
		if (sig != SIGKILL && sig != SIGSTOP)
			pidfd_kill(pfd, SIGCONT);
		close(pfd);
	}
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
}

bool cgroup_populated(const struct cgroup *cg)
{
	char buf[256];
	ssize_t n = pread(cg->eventsfd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "populated 1") != NULL;
}

void cgroup_remove(struct cgroup *cg)
{
	for (int i = 0; i < 500 && cgroup_populated(cg); i++) {
		struct pollfd p = {cg->eventsfd, POLLPRI, 0};

		poll(&p, 1, 10);
	}
	if (cg->eventsfd >= 0)
		close(cg->eventsfd);
	if (cg->dirfd >= 0)
		close(cg->dirfd);
	rmdir(cg->path);
	cg->dirfd = cg->eventsfd = -1;
}
