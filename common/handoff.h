/* handoff.h: giving COMMAND's pidfd (and, in userspace mode, its leash) to another program.
 *
 * Chain-loading (--pidfd-fd=N): the tool execs NEXT with the pidfd at fd N and, where the
 * leash is a separate fd (autokill's userspace mode), the leash at fd N+1; the environment
 * names them: PREFIX_PIDFD, PREFIX_PID and (autokill) PREFIX_LEASH.
 * Sending (--send-pidfd=FD): one SCM_RIGHTS message on the inherited AF_UNIX socket FD
 * carries the fds (pidfd, then the leash if separate) and one text line:
 *   "pid=PID mode=kernel|userspace fds=pidfd[,leash] version=VERSION\n"
 */
#ifndef AUTOREAP_HANDOFF_H
#define AUTOREAP_HANDOFF_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct handoff {
	int pidfd_fd;	 /* --pidfd-fd, or -1 */
	int send_fd;	 /* --send-pidfd, or -1 */
	char **next;	 /* NEXT [ARG]... after the ';' of the command line */
	/* Set by the tool: */
	const char *env_prefix; /* PREFIX of NEXT's environment ("AUTOKILL") */
	bool env_leash;	 /* NEXT's environment names the leash (PREFIX_LEASH) */
};

/* --pidfd-fd and --send-pidfd, as an argp child parser whose input is a struct handoff. */
extern const struct argp handoff_argp;

/* After parsing: splits COMMAND [ARG]... ';' NEXT [ARG]... at the first argument that is
 * exactly ";" (for --pidfd-fd) and checks the fds before anything is spawned: N (and the
 * EXTRA fds after it that the tool may place) below the fd limit, a --send-pidfd socket
 * that is a connected unix socket whose peer is there (then made close-on-exec: COMMAND
 * must not write on it). STAYS: why the other options given need the tool to stay (a
 * hand-off is then refused), or NULL. 0, or -1 with the usage error in WHY (LEN bytes). */
int handoff_finish(struct handoff *h, char **cmd, const char *stays, int extra, char *why,
		   size_t len);

/* Splits COMMAND [ARG]... ';' NEXT [ARG]... at the first argument that is exactly ";": ends
 * COMMAND there (the ";" becomes its NULL) and returns NEXT; or NULL with *WHY saying what
 * is missing (COMMAND unchanged when there is no NEXT). */
char **handoff_split(char **cmd, const char **why);

/* Moves *FD off the numbers where NEXT gets its fds (N, N+1), so that placing them there
 * closes nothing the tool still needs. Call it for every fd the tool keeps. */
void handoff_clear(const struct handoff *h, int *fd);

/* Execs NEXT with the fds in place and the environment named by h->env_prefix. LEASH is -1
 * when the pidfd itself is the leash (or there is none). Returns only on failure: the exit
 * status (125, or 126/127 if NEXT cannot run) and, in MSG, the line to report once COMMAND
 * has been taken down. */
int handoff_exec(const struct handoff *h, pid_t pid, int pidfd, int leash, char *msg,
		 size_t msglen);

/* Userspace mode, once COMMAND is orphaned: warns when its new parent does not look like
 * a process that reaps, since its exit status then never becomes readable. ADVICE: what
 * to do about it. */
void check_adopter(int pidfd, pid_t pid, const char *advice);

/* Sends the fds and the message; returns 0 or -1 with errno. */
int handoff_send(const struct handoff *h, pid_t pid, int pidfd, int leash, const char *mode);

#endif
