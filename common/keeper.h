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

#include "supervise.h"

/* Splits. Returns in the keeper only, with sv->leash_fd (the lifeline), sv->job_pgrp and
 * sv->holder set; the keeper is in a process group of its own and, while the holder lives,
 * acts only on the signals the holder writes to the lifeline (and on SIGCONT), so a signal
 * to the job reaches it once. The holder never returns. Dies with 125 on failure. */
void keeper_split(struct supervisor *sv);

#endif
