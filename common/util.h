/* util.h: the exit-status table, parsers and small helpers shared by autoreap and autokill.
 *
 * The error convention of common/ (one, for every module):
 *   - A function reports, its caller decides: it returns 0 (or a count, a pid, an fd) and
 *     -1 with errno on failure. When errno alone cannot say what failed, the caller's
 *     result says it too: spawn_res.stage (an enum spawn_stage) with .err, or a message
 *     in a caller's buffer (cgroup_create, handoff_exec) for text that names a path.
 *   - Only set-up that runs before COMMAND starts may exit, and its contract says so:
 *     "Dies with 125" (err(3)/errx(3) with EXIT_TOOL_FAILURE: keeper_fork, pidns_prepare,
 *     parent_watch, supervise_lead_group; spawn_die reports a failed start). A bad command
 *     line exits through argp_error or usage_error (cli.h): one line, the --help hint, 125.
 *   - After COMMAND has started, nothing in common/ exits in the supervising process on
 *     its own: the front-end reports such a failure through spawn_fail, which takes
 *     COMMAND down first and ends the line with "(COMMAND was killed)", so that
 *     125/126/127 keep meaning "nothing runs". (keeper_hold's holder may exit: its exit
 *     is the lifeline's hang-up, on which the keeper takes the tree down.)
 *   - Best-effort work whose failure changes nothing the caller could act on (one signal
 *     of a tree walk, a status record, a clean-up) returns void, and its contract says
 *     what is given up.
 * Messages follow style.md: "autokill: what failed: why", lower case, naming the object.
 */
#ifndef AUTOREAP_UTIL_H
#define AUTOREAP_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/types.h>

/* The exit-status table, the same as coreutils timeout(1). COMMAND's own exit status passes
 * through unchanged; a COMMAND killed by signal N makes the tool die of signal N. */
enum {
	EXIT_TIMEDOUT = 124,	 /* autokill --timeout fired */
	EXIT_TOOL_FAILURE = 125, /* usage error or the tool's own failure; no COMMAND started */
	EXIT_CANNOT_INVOKE = 126, /* COMMAND found but could not be executed */
	EXIT_ENOENT = 127,	 /* COMMAND not found */
	EXIT_KILLED = 137,	 /* autokill had to send SIGKILL (128 + 9) */
};

#define NS_PER_SEC 1000000000LL
#define NS_PER_MS 1000000LL
/* The longest duration (73 years): longer ones are clamped to it, and a deadline of now plus
 * two of them still fits in an int64_t. */
#define DURATION_MAX (INT64_MAX / 4)

/* Parsers return 0, or -1 with nothing written. A duration is a non-negative number as
 * strtod(3) reads it (1e3, inf, 0x10) with an optional unit s, ms, m, h or d, like GNU
 * timeout's (which lacks ms); it is clamped to DURATION_MAX, and a positive one is at least
 * 1 ns. */
int parse_duration(const char *s, int64_t *ns);
int parse_signal(const char *s, int *sig);
int parse_fd(const char *s, int *fd);

/* The escalation ladder that supervise.h runs: its signals in order, a grace after each. */
#define LADDER_MAX 8
struct ladder {
	int sig[LADDER_MAX];
	int n;
	int64_t grace_ns;
};

/* An escalation ladder "SIG,SIG,...,KILL" of at most LADDER_MAX steps (its grace is left
 * alone). On -1, E says why and, for a bad signal, which step (LEN bytes at TOK, inside
 * S). */
struct ladder_error {
	enum { LADDER_OK, LADDER_TOO_LONG, LADDER_BAD_SIGNAL, LADDER_NO_KILL, LADDER_NO_MEMORY } why;
	const char *tok;
	int len;
};
int parse_ladder(const char *s, struct ladder *l, struct ladder_error *e);

/* "TERM", "RTMIN+2"; a static buffer for the real-time ones. */
const char *signal_name(int sig);

int64_t now_ns(void);
double ns_to_s(int64_t ns);

/* Sends LEN bytes of DATA with NFDS (at most 2) fds as SCM_RIGHTS over the unix socket SOCK,
 * retrying on EINTR and never raising SIGPIPE. Async-signal-safe. Returns sendmsg's count,
 * or -1 with errno. */
ssize_t send_fds(int sock, const void *data, size_t len, const int *fds, int nfds);

/* The other end of send_fds: receives up to LEN bytes into DATA and up to 2 fds into FDS
 * (close-on-exec; -1 where none came), retrying on EINTR. Returns recvmsg's count (0 at
 * end of file), or -1 with errno. */
ssize_t recv_fds(int sock, void *data, size_t len, int fds[2]);

/* Loops over short writes and EINTR; -1 with errno on failure. */
int write_all(int fd, const void *buf, size_t len);

/* The /proc readers, without stdio's scanf (35 KiB of text, and a stream set up per call):
 * read_text reads at most LEN - 1 bytes of the file at PATH into BUF, NUL-terminated, and
 * returns how many (-1 with errno); proc_field returns the value of TEXT's "KEY:" line
 * (as in /proc/PID/status), past the colon and blanks, or NULL; each_number_in calls FN
 * with every decimal number of the file at PATH (a children list), in order, until FN
 * returns non-zero, and returns -1 with errno when PATH cannot be opened. */
ssize_t read_text(const char *path, char *buf, size_t len);
const char *proc_field(const char *text, const char *key);
int each_number_in(const char *path, int (*fn)(long v, void *arg), void *arg);

/* Dies the way a process with wait(2) status STATUS died: exits with its code, or disables
 * core dumps and raises its signal, so that shells report 128+N and make reports the
 * signal. Falls back to exit(128+N) for signals whose default action is not to die. */
noreturn void exit_like(int status);

/* The one map from an execve errno to an exit status: 127 (not found) for ENOENT alone,
 * 126 (found but cannot execute) for every other, ENOTDIR and EACCES included, as GNU
 * timeout(1) and env(1) do. Async-signal-safe. */
int exec_errno_status(int err);

/* The wait(2) status that a waitid(2) siginfo describes (CLD_EXITED, CLD_KILLED or
 * CLD_DUMPED), for exit_like and the WIF* macros. */
int wait_status_of(const siginfo_t *si);

/* Whether we have CAP_SYS_ADMIN in our user namespace (effective set). */
bool has_cap_sys_admin(void);

#endif
