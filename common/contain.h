/* contain.h: whole-tree containment (--contain; autoreap --wait has pgrp, subreaper, pidns).
 *
 *   pgrp       COMMAND's process group gets every signal (the default)
 *   subreaper  the tool (autokill's keeper) is a child subreaper: orphaned descendants are
 *              adopted, reaped and signalled too; what is left when COMMAND exits gets the
 *              ladder (autokill) or is waited for (autoreap)
 *   pidns      COMMAND runs under a tiny init in a new PID namespace; when that init dies,
 *              the kernel kills everything in it
 *   cgroup     COMMAND starts in a new cgroup v2 leaf (CLONE_INTO_CGROUP); the ladder goes
 *              to every member and its last step is cgroup.kill
 */
#ifndef AUTOREAP_CONTAIN_H
#define AUTOREAP_CONTAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum contain { CONTAIN_PGRP, CONTAIN_SUBREAPER, CONTAIN_PIDNS, CONTAIN_CGROUP, CONTAIN_AUTO };

const char *contain_name(int contain);
int contain_parse(const char *s); /* -1 if unknown */

/* PID's children, from /proc/PID/task/PID/children; returns how many (at most MAX). */
int children_of(pid_t pid, pid_t *out, int max);

/* What a signal reached already, through COMMAND's group (and COMMAND itself): the walks
 * below send it only to the rest, so no process gets it twice (a second INT is a double
 * Ctrl-C to a nested autokill). pid or pgid 0: none. */
struct reached {
	pid_t pid;
	pid_t pgid;
};

/* Subreaper mode: our descendants, reached through our children (whose pids cannot be
 * reused while unreaped) and, below them, pids checked against their parent's through
 * PIDFD_GET_INFO. EXCLUDE: a child to leave alone (the leash watcher). */
void tree_signal(int sig, pid_t exclude, const struct reached *reached);
/* How many children we have besides the two given (0: the tree is gone). */
int tree_children(pid_t not1, pid_t not2);
/* Reaps the children that have exited, except the two given. */
void tree_reap(pid_t not1, pid_t not2);

struct cgroup {
	int dirfd;	     /* the leaf, O_DIRECTORY */
	int eventsfd;	     /* its cgroup.events, for POLLPRI on "populated" changes */
	uint64_t id;	     /* its cgroup id (the directory's inode) */
	char path[4096];     /* where it is mounted here */
	char rel[4096];      /* below the hierarchy's root, as /proc/PID/cgroup names it */
};

/* Creates a leaf, PREFIX-PID, below our own cgroup on the cgroup v2 hierarchy. -1 with a
 * message in ERR (naming where it looked) when there is no writable cgroup v2. */
int cgroup_create(struct cgroup *cg, const char *prefix, char *err, size_t errlen);

/* Our own cgroup v2 directory (mount point plus /proc/self/cgroup's path); *ROOT when it
 * is the hierarchy's root. -1 without a cgroup v2 hierarchy. */
int cgroup_own_dir(char *out, size_t len, bool *root);
/* Sends SIG to every member; KILL goes through cgroup.kill (Linux 5.14). */
void cgroup_signal(const struct cgroup *cg, int sig, const struct reached *reached);
bool cgroup_populated(const struct cgroup *cg);
/* Removes the leaf once it is empty (waits up to 5 s for the last members to go). */
void cgroup_remove(struct cgroup *cg);

#endif
