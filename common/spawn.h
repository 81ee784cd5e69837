/* spawn.h: the one way both tools start COMMAND. */
#ifndef AUTOREAP_SPAWN_H
#define AUTOREAP_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct pidns;

enum spawn_pgrp {
	SPAWN_PGRP_KEEP, /* stay in the caller's process group */
	SPAWN_PGRP_NEW,	 /* setpgid(0, 0): COMMAND leads a group the tool can signal whole */
	SPAWN_SESSION,	 /* setsid(): also detached from the controlling terminal */
	SPAWN_PGRP_JOIN, /* setpgid(0, req->pgid): a member of the tool's group for it */
};

/* What failed, for spawn_res.stage; spawn_stage_name gives the name messages use. */
enum spawn_stage {
	SPAWN_OK, SPAWN_SETSID, SPAWN_SETPGID, SPAWN_TCSETPGRP, SPAWN_DEVNULL, SPAWN_NNP,
	SPAWN_PDEATHSIG, SPAWN_EXEC, SPAWN_FORK, SPAWN_SIGNALFD, SPAWN_CLONE3, SPAWN_CLONE,
	SPAWN_SOCKETPAIR, SPAWN_UIDMAP, SPAWN_PIDFD_OPEN, SPAWN_LEASH,
};

const char *spawn_stage_name(enum spawn_stage stage);

struct spawn_req {
	char *const *argv;
	uint64_t kflags;  /* CLONE_AUTOREAP, CLONE_NNP, CLONE_PIDFD_AUTOKILL: kernel mode */
	int pgrp;	  /* enum spawn_pgrp */
	pid_t pgid;	  /* SPAWN_PGRP_JOIN: the group to join */
	int tty_fd;	  /* >= 0: COMMAND's new group takes this terminal's foreground */
	bool nnp;	  /* no_new_privs by prctl when kflags lacks CLONE_NNP */
	bool detach;	  /* stdio that is a terminal, pipe or socket goes to /dev/null */
	bool orphan;	  /* double fork: COMMAND is reparented at once, or with FLOOR at
			   * spawn_release */
	bool floor;	  /* orphan: until spawn_release the intermediate keeps COMMAND as its
			   * child and kills it if the tool dies first */
	int pdeathsig;	  /* 0, or the signal COMMAND gets when the tool dies */
	int cgroup_fd;	  /* > 0: start in this cgroup v2 directory (CLONE_INTO_CGROUP) */
	const struct pidns *ns; /* COMMAND runs under an init of ours in a new PID namespace
				 * (see pidns.h), or NULL */
	const sigset_t *mask; /* the caller's original mask, restored in COMMAND */
	int leash_sock;	  /* > 0: before its execve, COMMAND (with ns, its init) sends a
			   * pidfd of itself here, to a leash watcher started before it (see
			   * leash_prepare), so that no moment exists when COMMAND runs
			   * unwatched; a failed send fails the start */
};

struct spawn_res {
	pid_t pid;	  /* of pidfd's process, in our PID namespace */
	int pidfd;	  /* close-on-exec: COMMAND's, or (pidns) its init's; in orphan mode from
			   * the intermediate, so COMMAND is not our child */
	int cmd_pidfd;	  /* COMMAND's own pidfd: == pidfd, or (pidns) one passed up by the init */
	pid_t cmd_pid;	  /* COMMAND's pid in our namespace, read from cmd_pidfd */
	int hold;	  /* orphan mode, until spawn_release: the intermediate waits on it */
	int inter_pidfd;  /* ... and the intermediate's pidfd */
	uint64_t kflags;  /* the kernel flags in effect */
	const char *method; /* "clone3", "clone", "fork" */
	/* on failure: */
	enum spawn_stage stage; /* what failed (SPAWN_EXEC: execve), or SPAWN_OK */
	int err;
};

/* Starts COMMAND and returns once it has been executed: 0, or -1 with res->stage and
 * res->err set. A failed execve leaves no process behind (it is reaped here, or
 * auto-reaped by the kernel). With req->kflags, a kernel that refuses the flags gives -1
 * with stage SPAWN_CLONE3 and nothing started, so the caller can fall back. */
int spawn_command(const struct spawn_req *req, struct spawn_res *res);

/* Orphan mode: COMMAND is leashed now; the intermediate may exit, handing COMMAND to the
 * nearest reaper. Until then, the tool's death (or spawn_take_down) makes the intermediate
 * kill COMMAND: the floor between the start and the leash. No-op in other modes. */
void spawn_release(struct spawn_res *res);

/* A failure after the start: SIGKILLs COMMAND (its group when it leads one; its init, and
 * so its whole namespace, with pidns), waits until it is gone, and closes its pidfds, so
 * that the tool may report 125/126/127 truthfully. */
void spawn_take_down(const struct spawn_req *req, struct spawn_res *res);

/* A failure after COMMAND's start: takes COMMAND down (spawn_take_down), then reports
 * "tool: FMT... (COMMAND was killed)" and exits STATUS, so that 125/126/127 keep meaning
 * that nothing runs. Evaluate strerror(errno) in the arguments: it is read before. */
_Noreturn void spawn_fail(const struct spawn_req *req, struct spawn_res *res, int status,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* SIGKILL to what spawn_take_down takes down, without waiting. */
void spawn_kill(const struct spawn_req *req, const struct spawn_res *res);

/* The kernel mode's start: spawn_command with req->kflags (FLAG names the one that
 * matters, for messages). 0: COMMAND runs. -1: the kernel (or a seccomp profile) refused
 * clone3 with the flags, res->err says why, nothing started, and the caller may fall
 * back. Dies on any other failure (spawn_die), and with 125 on a refusal when REQUIRED
 * (--mode=kernel). */
int spawn_kernel(const struct spawn_req *req, struct spawn_res *res, bool required,
		 const char *flag);

/* Reports a failed spawn_command of CMD and exits: 127/126 with "cannot run 'CMD': why"
 * for a failed execve, else 125 naming the stage that failed. */
_Noreturn void spawn_die(const char *cmd, const struct spawn_res *res);

/* Named in COMMAND's environment while its parent, one of the tools (or a keeper, or a
 * PID namespace's init) follows COMMAND's job-control stops: that parent's pid, as COMMAND
 * sees it. A tool whose COMMAND is another tool (`autokill autokill less`) is then a job
 * a shell can continue although its parent shares its process group. */
#define STOPS_FOLLOWED_ENV "AUTOKILL_STOPS_FOLLOWED_BY"

/* Names us in STOPS_FOLLOWED_ENV for COMMAND when FOLLOWS, else removes the variable:
 * inherited from a tool above, it names a process that is not COMMAND's parent. */
void spawn_stops_followed(bool follows);

/* Whether STOPS_FOLLOWED_ENV names our parent. */
bool spawn_parent_follows_stops(void);

#endif
