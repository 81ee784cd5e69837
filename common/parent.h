/* parent.h: --die-with-parent, and what a tool running as PID 1 owes its orphans. */
#ifndef AUTOREAP_PARENT_H
#define AUTOREAP_PARENT_H

#include <stdbool.h>
#include <sys/signalfd.h>
#include <sys/types.h>

/* The parent-death signal: SIGRTMAX, which nobody sends by habit (the relayed HUP, INT or
 * TERM would be ambiguous). The loop reads it from its signalfd like any other. */
#define PARENT_DEATH_SIGNAL SIGRTMAX

/* --die-with-parent, after supervise_signals() (which blocks PARENT_DEATH_SIGNAL and reads
 * it from its signalfd when the configuration's die_with_parent is set): arms
 * PR_SET_PDEATHSIG on the calling process and returns the parent (for parent_news). Dies
 * with 125 when the parent is gone already (COMMAND must not start then) or the prctl
 * fails. */
pid_t parent_watch(void);

/* What a signal read from the signalfd says about the parent recorded by parent_watch. */
enum parent_news {
	PARENT_NO_NEWS, /* an ordinary signal: handle it as usual */
	PARENT_THREAD,	/* a thread of the parent exited; the parent lives: drop it */
	PARENT_DIED,
};
enum parent_news parent_news(pid_t ppid, const struct signalfd_siginfo *si);

/* As PID 1 of a PID namespace, every orphan in it is our child: reaps those that have
 * exited, except the two given (COMMAND, reaped through its pidfd, and the leash watcher). */
void init_reap(pid_t not1, pid_t not2);

#endif
