/* features.h: what the running kernel offers, decided at run time. */
#ifndef AUTOREAP_FEATURES_H
#define AUTOREAP_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

/* One value per facility the tools use: FEAT_YES or FEAT_NO; FEAT_UNKNOWN where the probe
 * cannot tell (cgroup.kill with no cgroup below the root to look at). */
enum { FEAT_NO, FEAT_YES, FEAT_UNKNOWN };

struct features {
	int clone3;		/* clone3(2) answers (not refused by seccomp), Linux 5.3 */
	int autoreap;		/* CLONE_AUTOREAP, Linux 7.1 */
	int nnp;		/* CLONE_NNP, Linux 7.1 */
	int autokill;		/* CLONE_PIDFD_AUTOKILL (with CLONE_NNP), Linux 7.1 */
	int pidfd_open;		/* pidfd_open(2), Linux 5.3 */
	int pidfd_send_signal;	/* pidfd_send_signal(2), Linux 5.1 */
	int waitid_pidfd;	/* waitid(P_PIDFD), Linux 5.4 */
	int pidfd_get_info;	/* PIDFD_GET_INFO, Linux 6.13 */
	int pidfd_exit_info;	/* PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux 6.15 */
	int pidfd_signal_group; /* PIDFD_SIGNAL_PROCESS_GROUP, Linux 6.9 */
	int close_range;	/* close_range(2), Linux 5.9 */
	int clone_into_cgroup;	/* clone3 CLONE_INTO_CGROUP, Linux 5.7 */
	int cgroup_kill;	/* cgroup v2 cgroup.kill, Linux 5.14 */
	int userns;		/* this caller may create a user namespace */
	char kernel[65];
};

/* Runs the probes; leaves no process behind. A probe's cgroup, if one is made, is named
 * PROBE_NAME-PID (and removed). */
void probe_features(struct features *f, const char *probe_name);

/* One clone3 with FLAGS (plus CLONE_PIDFD) whose child exits at once: whether the kernel
 * (and any seccomp profile) accepts them. */
bool clone3_accepts(uint64_t flags);

/* Prints one key=value line per facility on stdout, then kernel= and mode=MODE. */
void print_features(const struct features *f, const char *mode);

#endif
