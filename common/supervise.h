/* supervise.h: the one poll loop that waits for COMMAND, relays signals, keeps terminal job
 * control working and runs the escalation ladder. autoreap --wait, autokill and autokill's
 * userspace leash watcher all run it with different settings. */
#ifndef AUTOREAP_SUPERVISE_H
#define AUTOREAP_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "contain.h"
#include "status.h"
#include "util.h"

/* What the front-end and the role constructors configure: written during the set-up, never
 * once supervise() has started (the loop reads it through a const pointer). */
struct supervise_config {
	int pidfd;
	pid_t pid;
	bool parent;	/* COMMAND is our child: its stops are visible to waitid() */
	bool reap;	/* ... and not auto-reaped: its status comes from waitid() */
	bool no_status;	/* only COMMAND's end matters, not its status (the watcher) */
	bool group;	/* signal COMMAND's whole process group, PGID */
	bool foreground; /* COMMAND shares our process group: no SIGCONT after a step */
	bool escalate;	/* TERM, HUP and INT received start the ladder (autokill) */
	struct ladder ladder;
	int64_t timeout_ns; /* 0: no timeout */
	bool alrm_fires; /* a SIGALRM received is the timeout firing, as in timeout(1) */
	bool timeout_compat; /* timeout(1)'s ways: a second INT is relayed, QUIT goes on */
	int leash_fd;	/* hang-up here means the holder let go: run the ladder; or -1 */
	bool leash_kill; /* ... and the ladder starts at its last step (the kernel leash's way) */
	pid_t holder;	/* a keeper's holder, which passes signals on over leash_fd; or 0 */
	int stops_fd;	/* a PID namespace's init reports COMMAND's job-control stops here
			 * (pidns.h), as waitid() does for a child; or -1 */
	int contain;	/* enum contain: who else gets COMMAND's signals */
	struct cgroup *cg; /* CONTAIN_CGROUP: COMMAND's leaf */
	pid_t spare;	/* a child of ours outside COMMAND's tree (the watcher), or 0 */
	bool wait_all;	/* when COMMAND exits, wait for the rest of the tree, no ladder */
	bool finish_ladder; /* the watcher of a holder that runs the ladder itself (autokill,
			     * not a hand-off): watch the group after COMMAND, in case the
			     * holder dies in the middle of its ladder */
	bool die_with_parent; /* our parent's death runs the ladder (see parent.h) */
	int verbose;	/* 1: one line per signal sent; 2: with its details */
	const char *name; /* COMMAND's name for those lines, or NULL */
	struct status_stream *status; /* signal records go here, or NULL */
};

/* What the set-up finds and the loop changes. */
struct supervise_state {
	/* Set-up: found by supervise_signals, supervise_lead_group and parent_watch. */
	int sfd;
	sigset_t relay;
	pid_t pgid;	/* COMMAND's process group (ours when we lead it), 0: not known */
	int pgfd;	/* a pidfd of its leader (-1: COMMAND's pidfd is the leader's) */
	bool in_group;	/* we are a member of PGID: what we send it reaches us too */
	pid_t group_holder; /* or a child of ours leads it, until GROUP_HOLD closes; or 0 */
	int group_hold;
	int tty_fd;	/* the terminal whose foreground we gave PGID, or -1 */
	pid_t job_pgrp;	/* the process group the shell sees as the job, 0: our own */
	bool job_control; /* a job-control shell can continue that job: follow stops */
	pid_t ppid;	/* the parent, as parent_watch() found it */

	/* Loop: supervise() starts it from the configuration. */
	struct ladder ladder; /* the configured one, made to end in KILL by a lifeline's
			       * hang-up, a second Ctrl-C or the leftovers' clean-up */
	bool hung_up;	     /* the lifeline (config leash_fd) has hung up */
	bool stops_over;     /* config stops_fd failed or hung up: not polled again */
	bool parent_died;    /* --die-with-parent has fired */
	int next_step;	     /* index into ladder, -1: not running */
	int64_t step_at;     /* absolute CLOCK_MONOTONIC deadline of the next step */
	int ints;	     /* SIGINTs received */
	uint64_t self_sent;  /* signals we sent our own group, not read back yet (bit sig-1) */
	bool timed_out;	     /* so far, for the results */
	bool sent_kill;
	int64_t start_ns;
};

/* What supervise() tells: COMMAND's own outcome, not what the ladder did to the rest of the
 * tree afterwards. */
struct supervise_result {
	bool timed_out;	/* the timeout fired before COMMAND ended */
	bool sent_kill;	/* the ladder sent KILL before COMMAND ended */
	int64_t start_ns; /* when supervise() started, CLOCK_MONOTONIC */
};

/* The three parts, for the set-up and the front-ends; supervisor_as_* (below) build the
 * roles, supervise() asserts the combinations no role may have. */
struct supervisor {
	struct supervise_config cfg;
	struct supervise_state st;
	struct supervise_result res;
};

/* The three roles that run the loop, one constructor each. Each sets what its role fixes
 * and asserts the combinations it forbids (a failed assert is a programming error);
 * supervise() asserts the ones every role must keep.
 *   tool     autokill, or autoreap --wait: COMMAND (PIDFD, PID) is our child, reaped here
 *            unless the kernel auto-reaps it (REAP false). The rest is the caller's to set.
 *   keeper   autokill's keeper (keeper.h), in the child of the split, before it becomes the
 *            tool: the holder (HOLDER, in the job's group JOB) passes signals on over
 *            LIFELINE, whose hang-up means the holder is gone.
 *   watcher  autokill's leash watcher (leash.h), from the tool's CMD: COMMAND is not its
 *            child, nothing but LIFELINE's hang-up makes it act, no status is read. */
void supervisor_as_tool(struct supervisor *sv, int pidfd, pid_t pid, bool reap);
void supervisor_as_keeper(struct supervisor *sv, int lifeline, pid_t job, pid_t holder);
struct supervisor supervisor_as_watcher(const struct supervisor *cmd, int lifeline);

/* Blocks the signals the loop handles, saving the caller's mask in *orig (to restore in
 * COMMAND), and opens the signalfd. Signals ignored at start stay ignored and are never
 * relayed, as with timeout(1): a background job stays immune to the terminal's Ctrl-C. */
int supervise_signals(struct supervisor *sv, sigset_t *orig);

/* Before COMMAND starts (in the process that will supervise it): COMMAND joins a process
 * group it does not lead, so that it may call setsid() without forking (the process we
 * wait for is the one that runs), and the group outlives COMMAND for the ladder. A group
 * we already lead (a shell's job, setsid) is used as it is, as timeout(1) does. Otherwise
 * we stay in the job's group (which a shell's fg continues) and a holder child of ours
 * leads COMMAND's (a keeper leads it itself: its holder stays in the job); that group
 * takes the terminal's foreground if the job held it, to give it back at the end.
 * HOLDER_NAME is that child's process name; without one (NULL: a PID namespace's init
 * cannot join a group from inside), we leave the job's group and lead COMMAND's ourselves,
 * as timeout(1) does. COMMAND is to be started with SPAWN_PGRP_JOIN of sv->st.pgid. Dies
 * with 125 on failure. */
void supervise_lead_group(struct supervisor *sv, const char *holder_name);

/* At the end: lets a group's holder child go, and reaps it. */
void supervise_release_group(struct supervise_state *st);

/* Waits for COMMAND's end, doing all of the above; returns its wait(2) status or -1, and
 * fills *RES. CFG is not written; ST goes on from the set-up's. */
int supervise(const struct supervise_config *cfg, struct supervise_state *st,
	      struct supervise_result *res);

/* Gives the terminal back to the job's process group if COMMAND's group still holds it. */
void supervise_restore_tty(const struct supervise_state *st);

#endif
