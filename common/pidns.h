/* pidns.h: the PID namespace of --contain=pidns: its set-up, its init's life, and
 * COMMAND's status on its way back.
 *
 * COMMAND runs under an init of ours (pid 1 there; spawn.c clones it and starts COMMAND
 * from it). The init relays the signals it receives to COMMAND's group, reaps everything,
 * and when COMMAND has exited writes its wait(2) status up a pipe and exits, upon which the
 * kernel kills whatever is left in the namespace. A namespace init cannot die of a signal
 * of its own, hence the status pipe. COMMAND's job-control stops go up another pipe, since
 * COMMAND is not the tool's child: the tool follows them as it follows its own child's. */
#ifndef AUTOREAP_PIDNS_H
#define AUTOREAP_PIDNS_H

#include <signal.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include <sys/types.h>

struct pidns {
	bool userns;		/* with a user namespace mapping our uid and gid to themselves */
	int status_r, status_w; /* the pipe on which the init reports COMMAND's status */
	int stops_r, stops_w;	/* ... and COMMAND's job-control stops, one byte (the signal)
				 * each; non-blocking */
	const char *init_name;	/* the init's process name ("autokill-init") */
};

/* For either tool, before the spawn: fills NS in, with a user namespace unless we have
 * CAP_SYS_ADMIN. Dies with 125 on failure. */
void pidns_prepare(struct pidns *ns, const char *init_name);

/* Once the init has exited: COMMAND's own wait(2) status into *STATUS (the init's exit
 * says nothing), if the init reported one. Closes both ends of both pipes. */
void pidns_status(struct pidns *ns, int *status);

/* In the parent, right after the clone of the init: maps our uid and gid to themselves in
 * PID's new user namespace, so that COMMAND sees its real ids. 0, or -1 with errno. */
int pidns_write_id_maps(pid_t pid);

/* In the init, before it starts COMMAND: blocks every signal it is to relay, saving the
 * mask it had in *ORIG (COMMAND's), and returns a close-on-exec signalfd for them, or -1
 * with errno. */
int pidns_init_signals(sigset_t *orig);

/* The init's life once COMMAND (CMD_PIDFD, CMD_PID) runs: relays what SFD reads to
 * COMMAND's group, reaps every child, writes COMMAND's TSTP, TTIN and TTOU stops to
 * ns->stops_w, and when COMMAND has exited writes its status to ns->status_w and exits. */
noreturn void pidns_init_serve(const struct pidns *ns, int sfd, int cmd_pidfd, pid_t cmd_pid);

#endif
