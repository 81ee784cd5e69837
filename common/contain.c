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

/* How long a walk may sweep to freeze the tree before it signals what it found. */
#define TREE_WALK_NS (NS_PER_SEC / 2)

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

struct pid_array {
	pid_t *pid;
	int n, max;
};

static int add_pid(long v, void *arg)
{
	struct pid_array *a = arg;

	if (a->n >= a->max)
		return 1;
	a->pid[a->n++] = (pid_t)v;
	return 0;
}

int children_of(pid_t pid, pid_t *out, int max)
{
	char path[64];
	struct pid_array a = {out, 0, max};

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	each_number_in(path, add_pid, &a);
	return a.n;
}

/* A growable list of (pid, parent) pairs: the walk's stack and its visiting order. */
struct node {
	pid_t pid, ppid;
};

struct nodes {
	struct node *v;
	size_t n, cap;
};

static int nodes_push(struct nodes *l, pid_t pid, pid_t ppid)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct node *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct node){pid, ppid};
	return 0;
}

/* A set of pids (open addressing; 0 is never a pid we store). */
struct pidset {
	pid_t *v;
	size_t n, cap;
};

static size_t slot(const struct pidset *s, pid_t pid)
{
	size_t i = ((size_t)pid * 2654435761u) & (s->cap - 1);

	while (s->v[i] && s->v[i] != pid)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static bool pidset_has(const struct pidset *s, pid_t pid)
{
	return s->cap && s->v[slot(s, pid)] == pid;
}

/* Adds PID; true if it was not there yet (also when out of memory: better signalled twice
 * than never). */
static bool pidset_add(struct pidset *s, pid_t pid)
{
	if (2 * (s->n + 1) > s->cap) {
		struct pidset bigger = {calloc(s->cap ? 2 * s->cap : 256, sizeof(pid_t)), 0,
					s->cap ? 2 * s->cap : 256};

		if (!bigger.v)
			return true;
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i])
				bigger.v[slot(&bigger, s->v[i])] = s->v[i], bigger.n++;
		free(s->v);
		*s = bigger;
	}
	size_t i = slot(s, pid);

	if (s->v[i] == pid)
		return false;
	s->v[i] = pid;
	s->n++;
	return true;
}

/* Appends the children of every thread of PID (a thread's fork is its child alone, and
 * /proc/PID/task/PID/children lists the main thread's only). */
struct child_of {
	struct nodes *out;
	pid_t parent;
};

static int push_child(long v, void *arg)
{
	struct child_of *c = arg;

	return nodes_push(c->out, (pid_t)v, c->parent) < 0;
}

static void push_children(pid_t pid, struct nodes *out)
{
	char path[96];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	struct child_of c = {out, pid};

	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", (int)pid, e->d_name);
		each_number_in(path, push_child, &c);
	}
	closedir(d);
}

/* The state letter of /proc/PID/stat, for the pidfd's process: '?' when it cannot be
 * read, and 'Z' once the pidfd says it has exited (whatever PID names by then). */
static char state_of(int pidfd, pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_text(path, buf, sizeof(buf));
	if (pidfd_exited(pidfd))
		return 'Z';
	if (n <= 0)
		return '?';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] ? p[2] : '?';
}

/* One sweep over our descendants but EXCLUDE (and its own), parents before their children.
 * Each is reached through a pidfd proven to name a child of the process it was found under
 * (pidfd_open_child), and its children are only trusted if it was still alive after they
 * were read (a pid is not reused before its process is reaped). VISIT gets each one and
 * may signal it before its children are read. ORDER, if not NULL, receives the visiting
 * order. */
static void sweep(pid_t exclude, void (*visit)(int pidfd, pid_t pid, void *arg), void *arg,
		  struct nodes *order)
{
	struct nodes stack = {0}, kids = {0};
	pid_t self = getpid();

	push_children(self, &stack);
	while (stack.n) {
		struct node nd = stack.v[--stack.n];
		int fd;

		if (nd.ppid == self && nd.pid == exclude)
			continue;
		fd = pidfd_open_child(nd.ppid, nd.pid);
		if (fd < 0)
			continue;
		if (visit)
			visit(fd, nd.pid, arg);
		if (order)
			nodes_push(order, nd.pid, nd.ppid);
		kids.n = 0;
		push_children(nd.pid, &kids);
		/* Dead since: its children went to a subreaper, where a later sweep finds them. */
		if (!pidfd_exited(fd))
			for (size_t i = 0; i < kids.n; i++)
				nodes_push(&stack, kids.v[i].pid, kids.v[i].ppid);
		close(fd);
	}
	free(stack.v);
	free(kids.v);
}

/* The first sweeps of a walk: each process not yet met gets SIG (STOP to freeze it, or
 * KILL), and the sweeps go on until the tree has settled: every process found stopped (or
 * dead, for KILL). A stopped process cannot fork, exit or reap, so its children stay where
 * they are; a process that dies (or is killed) re-parents its children to a subreaper (us,
 * or one in the tree), where the next sweep finds them. */
struct settle {
	int sig;
	struct pidset met;	/* every process found */
	struct pidset in_d, was_d; /* in uninterruptible sleep this sweep, and the last one */
	bool fresh;		/* this sweep met a process for the first time */
	bool unsettled;		/* ... or found one still running */
};

static void settle_one(int pidfd, pid_t pid, void *arg)
{
	struct settle *st = arg;
	char state;

	if (pidset_add(&st->met, pid)) {
		st->fresh = true;
		pidfd_kill(pidfd, st->sig);
	}
	state = state_of(pidfd, pid);
	if (state == 'D')
		pidset_add(&st->in_d, pid);
	/* Stopped, traced, or gone. Uninterruptible sleep twice in a row counts too: a vfork
	 * parent waits there until its (stopped) child execs, and cannot fork meanwhile; on
	 * its way out it stops first. */
	if (st->sig == SIGKILL ? state != 'Z' && state != 'X' && state != 'x' :
				 !strchr("TtZXx", state) && !(state == 'D' && pidset_has(&st->was_d, pid)))
		st->unsettled = true;
}

/* Sweeps until two sweeps in a row met no new process and found every one settled, or
 * until DEADLINE. */
static void settle(struct settle *st, pid_t exclude, int64_t deadline)
{
	int clean = 0;

	while (clean < 2 && now_ns() < deadline) {
		st->fresh = st->unsettled = false;
		sweep(exclude, settle_one, st, NULL);
		free(st->was_d.v);
		st->was_d = st->in_d;
		st->in_d = (struct pidset){0};
		clean = st->fresh || st->unsettled ? 0 : clean + 1;
		/* Give a process a moment to act on its STOP (or KILL). */
		if (st->unsettled)
			poll(NULL, 0, 1);
	}
}

/* Whether SIG ends a process that does not handle it; only those are worth freezing the
 * tree for, the others (CONT, the job-control stops, WINCH...) go to what one sweep finds. */
static bool terminates(int sig)
{
	switch (sig) {
	case SIGCHLD:
	case SIGCONT:
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
	case SIGURG:
	case SIGWINCH:
		return false;
	default:
		return true;
	}
}

/* Whether PID (open as PIDFD) got the signal already (see struct reached). */
static bool reached_already(const struct reached *r, int pidfd, pid_t pid)
{
	pid_t pg;

	if (!r)
		return false;
	if (r->pid > 0 && pid == r->pid)
		return true;
	return r->pgid > 0 && pidfd_pgid(pidfd, pid, &pg) == 0 && pg == r->pgid;
}

struct send_arg {
	int sig;
	const struct reached *reached;
};

/* SIG, then CONT (a stopped process acts on it); to one reached already, only the CONT
 * that a freeze of ours may owe it. Only after a signal that ends a process: a TSTP, TTIN
 * or TTOU (a Ctrl-Z the holder relays to its keeper) would be undone by it, and a WINCH
 * would wake a stopped job; neither froze anything. */
static void send_with_cont(int pidfd, pid_t pid, void *arg)
{
	const struct send_arg *a = arg;

	if (!reached_already(a->reached, pidfd, pid))
		pidfd_kill(pidfd, a->sig);
	if (a->sig != SIGKILL && a->sig != SIGSTOP && terminates(a->sig))
		pidfd_kill(pidfd, SIGCONT);
}

void tree_signal(int sig, pid_t exclude, const struct reached *reached)
{
	struct send_arg a = {sig, reached};
	struct settle st = {.sig = sig == SIGKILL ? SIGKILL : SIGSTOP};
	int64_t deadline = now_ns() + TREE_WALK_NS;
	struct pidset done = {0};
	bool more = true;

	if (!terminates(sig)) {
		sweep(exclude, send_with_cont, &a, NULL);
		return;
	}
	settle(&st, exclude, deadline);
	/* Frozen (or, for KILL and STOP, done). Each process now gets SIG and CONT after all
	 * of its descendants: its death, if SIG ends it, re-parents only children that have
	 * theirs already. Sweeps repeat (within the bound) only while they find a process we
	 * stopped that has not been continued, which only a freeze cut short can leave. */
	while (sig != SIGKILL && sig != SIGSTOP && more) {
		struct nodes order = {0};

		more = false;
		sweep(exclude, NULL, NULL, &order);
		for (size_t i = order.n; i-- > 0;) {
			struct node nd = order.v[i];
			int fd;

			if (!pidset_add(&done, nd.pid))
				continue;
			more = more || pidset_has(&st.met, nd.pid);
			/* Its parent comes later in this order: still stopped, so it cannot have
			 * forked a new process under the same pid. */
			fd = pidfd_open_child(nd.ppid, nd.pid);
			if (fd < 0)
				continue;
			send_with_cont(fd, nd.pid, &a);
			close(fd);
		}
		free(order.v);
		if (now_ns() >= deadline + TREE_WALK_NS)
			break;
	}
	free(st.met.v);
	free(st.was_d.v);
	free(st.in_d.v);
	free(done.v);
}

int tree_children(pid_t not1, pid_t not2)
{
	struct nodes kids = {0};
	int count = 0;

	push_children(getpid(), &kids);
	for (size_t i = 0; i < kids.n; i++)
		if (kids.v[i].pid != not1 && kids.v[i].pid != not2)
			count++;
	free(kids.v);
	return count;
}

void tree_reap(pid_t not1, pid_t not2)
{
	struct nodes kids = {0};

	push_children(getpid(), &kids);
	for (size_t i = 0; i < kids.n; i++) {
		siginfo_t si;

		if (kids.v[i].pid == not1 || kids.v[i].pid == not2)
			continue;
		memset(&si, 0, sizeof(si));
		waitid(P_PID, (id_t)kids.v[i].pid, &si, WEXITED | WNOHANG);
	}
	free(kids.v);
}

/* The cgroup v2 mount point, from /proc/self/mountinfo. */
/* Word N (from 0) of the blank-separated LINE into OUT, or -1 (none, or too long). */
static int word(const char *line, int n, char *out, size_t len)
{
	size_t k;

	for (line += strspn(line, " \t\n"); n > 0 && *line; n--) {
		line += strcspn(line, " \t\n");
		line += strspn(line, " \t\n");
	}
	k = strcspn(line, " \t\n");
	if (k == 0 || k >= len)
		return -1;
	memcpy(out, line, k);
	out[k] = '\0';
	return 0;
}

static int cgroup2_mount(char *out, size_t len)
{
	char line[4096], mnt[4096], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = -1;

	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || word(line, 4, mnt, sizeof(mnt)) < 0 ||
		    word(sep + 3, 0, fstype, sizeof(fstype)) < 0)
			continue;
		if (strcmp(fstype, "cgroup2") == 0 && strlen(mnt) < len) {
			strcpy(out, mnt);
			found = 0;
		}
	}
	fclose(f);
	if (found < 0)
		errno = 0;
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

int cgroup_own_dir(char *out, size_t len, bool *root)
{
	char mnt[4096], own[4096];

	if (cgroup2_mount(mnt, sizeof(mnt)) < 0 || own_cgroup(own, sizeof(own)) < 0)
		return -1;
	*root = strcmp(own, "/") == 0;
	return snprintf(out, len, "%s%s", mnt, *root ? "" : own) < (int)len ? 0 : -1;
}

int cgroup_create(struct cgroup *cg, const char *prefix, char *err, size_t errlen)
{
	char mnt[4096], own[4096], base[8192 + 2];
	struct stat st;

	memset(cg, 0, sizeof(*cg));
	cg->dirfd = cg->eventsfd = -1;
	errno = 0;
	if (cgroup2_mount(mnt, sizeof(mnt)) < 0) {
		/* Unreadable (EMFILE under a tiny fd limit) is not the same as absent. */
		if (errno)
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
	if (snprintf(cg->path, sizeof(cg->path), "%s/%s-%d", base, prefix, (int)getpid()) >=
		    (int)sizeof(cg->path) ||
	    snprintf(cg->rel, sizeof(cg->rel), "%s/%s-%d", strcmp(own, "/") == 0 ? "" : own,
		     prefix, (int)getpid()) >= (int)sizeof(cg->rel)) {
		snprintf(err, errlen, "cgroup path too long below %s", base);
		return -1;
	}
	/* A leaf of our name is litter of an earlier run with our pid (killed before it could
	 * remove it): rmdir takes it only if it is empty. */
	if (mkdir(cg->path, 0755) < 0 && (errno != EEXIST || rmdir(cg->path) < 0 ||
					  mkdir(cg->path, 0755) < 0)) {
		snprintf(err, errlen, "no writable cgroup v2: cannot create %s: %s", cg->path,
			 strerror(errno));
		return -1;
	}
	cg->dirfd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->dirfd >= 0)
		cg->eventsfd = openat(cg->dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	/* Without cgroup.events the leaf would look empty at once (EMFILE). */
	if (cg->eventsfd < 0 || fstat(cg->dirfd, &st) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", cg->path, strerror(errno));
		if (cg->eventsfd >= 0)
			close(cg->eventsfd);
		if (cg->dirfd >= 0)
			close(cg->dirfd);
		cg->dirfd = cg->eventsfd = -1;
		rmdir(cg->path);
		return -1;
	}
	cg->id = (uint64_t)st.st_ino;
	return 0;
}

void cgroup_signal(const struct cgroup *cg, int sig, const struct reached *reached)
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
		if (!reached_already(reached, pfd, (pid_t)v))
			pidfd_kill(pfd, sig);
		/* As send_with_cont: not after a job-control stop, which it would undo. */
		if (sig != SIGKILL && sig != SIGSTOP && terminates(sig))
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
