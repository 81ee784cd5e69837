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

#define LADDER_MAX 8

struct ladder {
	int sig[LADDER_MAX];
	int n;
	int64_t grace_ns;
};

struct supervisor {
	/* Set by the caller. */
	int pidfd;
	pid_t pid;
	bool parent;	/* COMMAND is our child: its stops are visible to waitid() */
	bool reap;	/* ... and not auto-reaped: its status comes from waitid() */
	bool group;	/* COMMAND leads its own process group: signal the whole group */
	int tty_fd;	/* the terminal whose foreground COMMAND's group holds, or -1 */
	bool escalate;	/* TERM, HUP and INT received start the ladder (autokill) */
	struct ladder ladder;
	int64_t timeout_ns; /* 0: no timeout */
	int leash_fd;	/* hang-up here means the holder let go: run the ladder; or -1 */
	bool leash_kill; /* ... and the ladder starts at its last step (the kernel leash's way) */
	pid_t job_pgrp;	/* the process group the shell sees as the job, 0: our own */
	pid_t holder;	/* a keeper's holder, which passes signals on over leash_fd; or 0 */
	bool no_status;	/* only COMMAND's end matters, not its status (the watcher) */
	int contain;	/* enum contain: who else gets COMMAND's signals */
	struct cgroup *cg; /* CONTAIN_CGROUP: COMMAND's leaf */
	pid_t spare;	/* a child of ours outside COMMAND's tree (the watcher), or 0 */
	bool wait_all;	/* when COMMAND exits, wait for the rest of the tree, no ladder */
	bool die_with_parent; /* our parent's death runs the ladder (see parent.h) */
	pid_t ppid;	/* ... the parent, as parent_watch() found it */
	bool alrm_fires; /* a SIGALRM received is the timeout firing, as in timeout(1) */
	bool timeout_compat; /* timeout(1)'s ways: a second INT is relayed, QUIT goes on */
	bool foreground; /* COMMAND shares our process group: no SIGCONT after a step */
	int verbose;	/* 1: one line per signal sent; 2: with its details */
	const char *name; /* COMMAND's name for those lines, or NULL */
	struct status_stream *status; /* signal records go here, or NULL */

	/* Results of supervise(). */
	bool timed_out;
	bool sent_kill;
	int64_t start_ns;

	/* Internal. */
	int sfd;
	sigset_t relay;
	int next_step;	     /* index into ladder, -1: not running */
	int64_t step_at;     /* absolute CLOCK_MONOTONIC deadline of the next step */
	int ints;	     /* SIGINTs received */
};

/* Blocks the signals the loop handles, saving the caller's mask in *orig (to restore in
 * COMMAND), and opens the signalfd. Signals ignored at start stay ignored and are never
 * relayed, as with timeout(1): a background job stays immune to the terminal's Ctrl-C. */
int supervise_signals(struct supervisor *sv, sigset_t *orig);

/* Waits for COMMAND's end, doing all of the above; returns its wait(2) status or -1. */
int supervise(struct supervisor *sv);

/* Sends SIG to COMMAND (its group when sv->group); returns 0 or -1. */
int supervise_signal(struct supervisor *sv, int sig);

/* Gives the terminal back to our own process group if COMMAND's group still holds it. */
void supervise_restore_tty(const struct supervisor *sv);

/* A terminal among fds 0-2 for which we are a foreground job leader, or -1: only then does
 * COMMAND's group get the terminal's foreground (a shell script's commands are not leaders
 * and must leave the terminal to the script's own group). */
int foreground_tty(void);

#endif
