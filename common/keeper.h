/* keeper.h: a subreaper that outlives autokill, for --contain=subreaper.
 *
 * Orphans are adopted by the nearest subreaper among their ancestors. If that were the
 * process the caller started, a SIGKILL of it would pass the orphans of COMMAND's tree on
 * to init, out of anyone's reach. So the caller's process splits: it stays as a thin holder
 * (relays signals, follows stops, exits as the keeper did), and its child, the keeper, is
 * the subreaper and COMMAND's parent and does all the supervising. The keeper holds the
 * read end of a lifeline whose write end only the holder has: the holder's death, however
 * it comes, is a hang-up there, on which the keeper takes the whole tree down. */
#ifndef AUTOREAP_KEEPER_H
#define AUTOREAP_KEEPER_H

#include <stdnoreturn.h>

#include "supervise.h"

/* The holder's side of the split, for keeper_hold. */
struct keeper {
	int pidfd;    /* the keeper's */
	int lifeline; /* the write end, non-blocking */
};

enum keeper_role { KEEPER_ROLE_HOLDER, KEEPER_ROLE_KEEPER };

/* Forks; returns in both processes. In the child, KEEPER_ROLE_KEEPER, with SV made a keeper
 * by supervisor_as_keeper (the lifeline, the job's group, the holder): it is to become the
 * subreaper and supervise. While the holder lives it acts only on the signals the holder
 * writes to the lifeline (and on SIGCONT), so a signal to the job reaches it once. In the
 * caller's process, KEEPER_ROLE_HOLDER with *K filled in for keeper_hold. KEEPER_NAME is
 * the keeper's process name. Dies with 125 on failure. */
enum keeper_role keeper_fork(struct supervisor *sv, struct keeper *k, const char *keeper_name);

/* The holder's whole life: passes the signals it receives on over the lifeline, follows
 * the keeper's job-control stops, and exits (or dies) as the keeper did. */
noreturn void keeper_hold(const struct supervisor *sv, const struct keeper *k);

#endif
