/* pidfd.h: every question the tools ask about a process, asked through its pidfd.
 *
 * One small function per question. Each uses the newest kernel facility first and
 * remembers, for the life of the process, when the kernel cannot answer (an old kernel, or
 * a seccomp profile that refuses the call), falling back to a method that is still safe
 * against pid reuse:
 *
 *   question                 kernel facility (first kernel)       fallback
 *   parent, pgid, cgroup     PIDFD_GET_INFO (6.13)                 /proc/PID/stat or /cgroup,
 *                                                                  trusted only if the pidfd's
 *                                                                  process is not reaped after
 *                                                                  the read (signal 0 reaches
 *                                                                  it; then PID was its), and
 *                                                                  only if /proc is our pidns's
 *   exit status, own child   waitid(P_PIDFD) (5.4)                 -
 *   exit status, not ours    PIDFD_INFO_EXIT (6.15)                none: PIDFD_NO_STATUS
 *   signal a process group   PIDFD_SIGNAL_PROCESS_GROUP (6.9)      every member found in /proc
 *                                                                  whose pgid is checked as
 *                                                                  above, each by its own pidfd;
 *                                                                  with another pidns's /proc,
 *                                                                  kill(-pgid) while the leader
 *                                                                  is unreaped
 *
 * The man pages' KERNELS section says the same for users; keep them in step.
 *
 * No function signals a pid read from /proc: such a pid is only ever used to open a pidfd,
 * and that pidfd is only used once it is proven to name the process we meant.
 */
#ifndef AUTOREAP_PIDFD_H
#define AUTOREAP_PIDFD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* pidfd_wait_status and pidfd_try_status: a status that exists but cannot be read on this
 * kernel (a process that is not our child, before Linux 6.15). */
#define PIDFD_NO_STATUS (-2)

/* Whether the process has exited (it may still be a zombie). Never blocks. */
bool pidfd_exited(int pidfd);

/* The pid of the pidfd's process in our PID namespace (from /proc/self/fdinfo), 0 if it
 * is not visible in our namespace, -1 if it has exited and been reaped or on error. */
pid_t pidfd_pid(int pidfd);

/* Its parent's and its process group's pids in our namespace. PID is the pid the caller
 * opened the pidfd for (needed by the /proc fallback). 0, or -1 with errno (ESRCH: the
 * process has exited, so it needs no signal and has no children left to find). */
int pidfd_ppid(int pidfd, pid_t pid, pid_t *ppid);
int pidfd_pgid(int pidfd, pid_t pid, pid_t *pgid);

/* Whether it is stopped now (state T in /proc/PID/stat, read while the pidfd shows it was
 * not reaped): 1, 0, or -1 when that cannot be told (/proc numbers pids otherwise). */
int pidfd_stopped(int pidfd, pid_t pid);

/* Whether it is a member of the cgroup v2 whose id (the directory's inode) is CGID, and
 * whose path below the hierarchy's root is PATH (for the /proc fallback). */
bool pidfd_in_cgroup(int pidfd, pid_t pid, uint64_t cgid, const char *path);

/* Opens a pidfd for PID only if PID is a child of PARENT (checked race-free as above):
 * the way to turn a pid read from /proc/PARENT/task/.../children into something that may
 * be signalled. -1 otherwise. */
int pidfd_open_child(pid_t parent, pid_t pid);

/* Sends SIG to the process. 0, or -1 with errno (ESRCH once it is reaped). */
int pidfd_kill(int pidfd, int sig);

/* Sends SIG to the process group whose leader the pidfd names, PGID being its number.
 * Returns how many processes were signalled when it can tell (the fallback), 1 when the
 * kernel did it in one call (group not empty), 0 when the group is empty, -1 on error.
 * Before 6.9 (no PIDFD_SIGNAL_PROCESS_GROUP) and with a /proc of another PID namespace, it
 * falls back to kill(-PGID), checked only by the leader's pidfd not being reaped yet: safe
 * only for a caller that is the leader's parent and reaps it after its last signal (the
 * --contain=pidns init); any other caller could hit a reused group number. */
int pidfd_kill_group(int leader_pidfd, pid_t pgid, int sig);

/* Whether the group has any member left (through /proc; a pidfd gives no such answer). */
bool pgrp_has_members(pid_t pgid);

/* How many members the group has besides NOT1 and NOT2 (zombies never count; with
 * RUNNING, stopped members do not count either). Through /proc, like the above. */
int pgrp_others(pid_t pgid, pid_t not1, pid_t not2, bool running);

/* Sends SIG to every member of the group but SELF, each through its own pidfd whose group
 * is checked: the way to send KILL or STOP to a group we are a member of. Returns how many
 * were signalled. */
int pgrp_kill_others(pid_t pgid, pid_t self, int sig);

/* Exit status of a child through its pidfd: blocks until it has exited and returns its
 * wait(2) status, -1 on error, or PIDFD_NO_STATUS. OWN_CHILD: the caller is its parent
 * and it is not auto-reaped, so waitid() reaps it; otherwise PIDFD_INFO_EXIT (Linux 6.15)
 * is read once it has been reaped by whoever reaps it. */
int pidfd_wait_status(int pidfd, bool own_child);

/* Like pidfd_wait_status, but without blocking: 0 if still running, 1 with *STATUS, -1 on
 * error, or PIDFD_NO_STATUS. */
int pidfd_try_status(int pidfd, bool own_child, int *status);

/* What the running kernel answers, probed once and remembered. None leaves a process
 * behind; only pidfd_exit_info_works creates one (a child that exits at once, reaped). */
bool pidfd_open_works(void);	 /* pidfd_open (5.3) */
bool pidfd_signal_works(void);	 /* pidfd_send_signal (5.1) */
bool pidfd_waitid_works(void);	 /* waitid(P_PIDFD) (5.4) */
bool pidfd_info_works(void);	 /* PIDFD_GET_INFO at all (6.13; seccomp may refuse) */
bool pidfd_group_works(void);	 /* PIDFD_SIGNAL_PROCESS_GROUP (6.9) */
bool pidfd_exit_info_works(void); /* PIDFD_INFO_EXIT (6.15), probed with a child of ours */
void pidfd_exit_info_implied(void); /* clone3 took a 7.1 flag: no probe needed */

/* Whether pidfd_send_signal (Linux 5.1) and waitid(P_PIDFD) (5.4) work here; a seccomp
 * profile may refuse either. 0, or -1 with errno and *CALL naming the one that does not.
 * The tools signal and wait through nothing else, so they check before starting COMMAND
 * rather than run a ladder that signals nobody or lose a status they cannot read. */
int pidfd_calls_work(const char **call);

#endif
