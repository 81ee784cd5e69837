/* leash.h: autokill's userspace leash, for kernels without CLONE_PIDFD_AUTOKILL.
 *
 * A watcher process holds the read end of a lifeline pipe; the holder (autokill, or a
 * program it handed the leash to) holds the write end. When the last write end closes,
 * whatever the reason (exit, SIGKILL, OOM kill), the watcher sees the hang-up and runs the
 * ladder on COMMAND through its pidfd. No pid is ever used to signal. */
#ifndef AUTOREAP_LEASH_H
#define AUTOREAP_LEASH_H

#include <stdbool.h>
#include <sys/types.h>

#include "supervise.h"

struct leash {
	int watcher_pidfd;
	pid_t watcher_pid;
	int lifeline; /* close-on-exec: the holder's end (a pipe's write end; from
		       * leash_prepare, a socket's, where COMMAND announces itself too) */
};

/* Starts the watcher for the COMMAND that CMD supervises (pidfd, group, ladder, verbose),
 * as our child, or as an orphan (ORPHAN: no watcher_pidfd then), with the process name
 * NAME. KERNEL: CMD's pidfd is the kernel's leash and must not be shared with the watcher.
 * Returns 0, or -1. */
int leash_start(const struct supervisor *cmd, struct leash *l, bool orphan, bool kernel,
		const char *name);

/* The userspace leash without a moment's gap: called before COMMAND starts, with CFG set
 * up as for supervise() but for COMMAND itself (no pidfd yet). Forks the watcher as our
 * child; l->lifeline is then a socket, which the caller passes to spawn_command as
 * spawn_req.leash_sock: before its execve, COMMAND sends its own pidfd over it to the
 * watcher, and only then does anything of COMMAND's run. From then on the leash holds even
 * if we die at once; if we die before COMMAND starts, the watcher just exits. NAME: its
 * process name. Returns 0,
 * or -1 with errno (nothing forked). */
int leash_prepare(const struct supervisor *cfg, struct leash *l, const char *name);

/* The holder is done with COMMAND (it has exited): stop and reap the watcher. */
void leash_release(struct leash *l);

#endif
