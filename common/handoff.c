/* handoff.c: chain-loading NEXT with the pidfd, or sending it over a unix socket. */
#include "config.h"

#include <argp.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handoff.h"
#include "pidfd.h"
#include "util.h"

enum { OPT_PIDFD_FD = 0x300, OPT_SEND_PIDFD };

static const struct argp_option options[] = {
	{"pidfd-fd", OPT_PIDFD_FD, "N", 0,
	 "after COMMAND [ARG]... ';' comes NEXT [ARG]...: exec NEXT holding COMMAND's pidfd at fd "
	 "N (autokill in userspace mode: and its leash at N+1); the environment names them", 30},
	{"send-pidfd", OPT_SEND_PIDFD, "FD", 0,
	 "send COMMAND's pidfd (and leash) over the unix socket FD with SCM_RIGHTS, then exit 0",
	 30},
	{0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct handoff *h = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		h->pidfd_fd = h->send_fd = -1;
		h->next = NULL;
		return 0;
	case OPT_PIDFD_FD:
	case OPT_SEND_PIDFD:
		if (parse_fd(arg, key == OPT_PIDFD_FD ? &h->pidfd_fd : &h->send_fd) < 0)
			argp_error(state, "invalid fd number '%s'", arg);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp handoff_argp = {options, parse_opt, NULL, NULL, NULL, NULL, NULL};

char **handoff_split(char **cmd, const char **why)
{
	for (char **a = cmd; *a; a++) {
		if (strcmp(*a, ";") != 0)
			continue;
		if (!a[1])
			break;
		*a = NULL;
		if (!cmd[0]) {
			*why = "missing COMMAND before ';'";
			return NULL;
		}
		return a + 1;
	}
	*why = "--pidfd-fd needs COMMAND [ARG]... ';' NEXT [ARG]...";
	return NULL;
}

/* What can be known about the socket before COMMAND starts: a message on it can only
 * reach a reader if it is connected and its peer is still there. NULL, or why not. */
static const char *unfit_socket(int fd)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct pollfd p = {fd, POLLOUT, 0};
	int v = 0;
	socklen_t vlen = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vlen) == 0 && v)
		return "a listening socket";
	if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0)
		return "not connected";
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
		return "closed by its peer";
	return NULL;
}

/* -1, with the message in WHY. */
static int refuse(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* --send-pidfd=FD: a connected unix socket, made ours alone. */
static int check_send_fd(int fd, char *why, size_t len)
{
	struct stat st;
	const char *unfit;
	int domain;
	socklen_t dlen = sizeof(domain);

	if (fstat(fd, &st) < 0)
		return refuse(why, len, "--send-pidfd=%d: %s", fd, strerror(errno));
	if (!S_ISSOCK(st.st_mode) || getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0 ||
	    domain != AF_UNIX)
		return refuse(why, len, "--send-pidfd=%d is not a unix socket", fd);
	unfit = unfit_socket(fd);
	if (unfit)
		return refuse(why, len, "--send-pidfd=%d: %s", fd, unfit);
	/* Ours to write on, not COMMAND's: it could forge a message on it. */
	if (fd > 2)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

int handoff_finish(struct handoff *h, char **cmd, const char *stays, int extra, char *why,
		   size_t len)
{
	struct rlimit rl;
	const char *missing;

	if (h->pidfd_fd >= 0 && h->send_fd >= 0)
		return refuse(why, len, "--pidfd-fd and --send-pidfd cannot be combined");
	if ((h->pidfd_fd >= 0 || h->send_fd >= 0) && stays)
		return refuse(why, len, "%s", stays);
	if (h->pidfd_fd >= 0 && cmd) {
		h->next = handoff_split(cmd, &missing);
		if (!h->next)
			return refuse(why, len, "%s", missing);
	}
	if (h->pidfd_fd >= 0 && h->pidfd_fd <= 2)
		return refuse(why, len, "--pidfd-fd=%d would replace stdin, stdout or stderr",
			      h->pidfd_fd);
	/* Checked now: found out after COMMAND has started, it would have to be killed. */
	if (h->pidfd_fd >= 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    (rlim_t)h->pidfd_fd + (rlim_t)extra >= rl.rlim_cur)
		return refuse(why, len, "--pidfd-fd=%d: fd %d is not below the fd limit (%llu)",
			      h->pidfd_fd, h->pidfd_fd + extra, (unsigned long long)rl.rlim_cur);
	return h->send_fd < 0 ? 0 : check_send_fd(h->send_fd, why, len);
}

void handoff_clear(const struct handoff *h, int *fd)
{
	int n = h->pidfd_fd, moved;

	if (n < 0 || *fd < 0 || (*fd != n && *fd != n + 1))
		return;
	moved = fcntl(*fd, F_DUPFD_CLOEXEC, n + 2);
	if (moved < 0)
		return;
	close(*fd);
	*fd = moved;
}

/* Puts a copy of FD at number TARGET, without close-on-exec; FD itself is elsewhere
 * (handoff_clear), so this never closes a descriptor we still need. */
static int place(int fd, int target)
{
	return dup2(fd, target) < 0 ? -1 : 0;
}

/* Whether the holder can read COMMAND's exit status through the pidfd: only where the
 * kernel stores it there (PIDFD_INFO_EXIT, Linux 6.15), since the holder is not COMMAND's
 * parent. Before that a holder learns that COMMAND ended (the pidfd turns readable), never
 * how: "unavailable", said in the hand-off so that it need not find out by failing. */
static const char *status_source(void)
{
	return pidfd_exit_info_works() ? "pidfd" : "unavailable";
}

int handoff_exec(const struct handoff *h, pid_t pid, int pidfd, int leash, char *msg,
		 size_t msglen)
{
	const char *prefix = h->env_prefix;
	int n = h->pidfd_fd;
	char name[32], val[32];

	if (leash >= 0 && place(leash, n + 1) < 0) {
		snprintf(msg, msglen, "cannot place the leash at fd %d: %s", n + 1, strerror(errno));
		return EXIT_TOOL_FAILURE;
	}
	if (place(pidfd, n) < 0) {
		snprintf(msg, msglen, "cannot place the pidfd at fd %d: %s", n, strerror(errno));
		return EXIT_TOOL_FAILURE;
	}
	snprintf(name, sizeof(name), "%s_PIDFD", prefix);
	snprintf(val, sizeof(val), "%d", n);
	setenv(name, val, 1);
	snprintf(name, sizeof(name), "%s_PID", prefix);
	snprintf(val, sizeof(val), "%d", (int)pid);
	setenv(name, val, 1);
	snprintf(name, sizeof(name), "%s_STATUS", prefix);
	setenv(name, status_source(), 1);
	if (h->env_leash) {
		snprintf(name, sizeof(name), "%s_LEASH", prefix);
		snprintf(val, sizeof(val), "%d", leash >= 0 ? n + 1 : n);
		setenv(name, val, 1);
	}
	execvp(h->next[0], h->next);
	snprintf(msg, msglen, "cannot run NEXT '%s': %s", h->next[0], strerror(errno));
	return exec_errno_status(errno);
}

/* /proc/PID/status: does PID catch, ignore or block SIGCHLD? A process doing none of these
 * never learns that a child died, so it does not reap (this machine's PID 1 is such). */
static bool looks_like_reaper(pid_t pid, char *name, size_t namelen)
{
	static const char *const masks[] = {"SigBlk", "SigIgn", "SigCgt"};
	char path[64], text[4096];
	unsigned long long all = 0;
	const char *v;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_text(path, text, sizeof(text)) < 0)
		return true;
	if ((v = proc_field(text, "Name")))
		snprintf(name, namelen, "%.*s", (int)strcspn(v, " \t\n"), v);
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++)
		if ((v = proc_field(text, masks[i])))
			all |= strtoull(v, NULL, 16);
	return all & (1ULL << (SIGCHLD - 1));
}

void check_adopter(int pidfd, pid_t pid, const char *advice)
{
	char name[64] = "?";
	pid_t ppid;

	/* Gone already, and reaped: whoever adopted it does reap. */
	if (pidfd_ppid(pidfd, pid, &ppid) == 0 && !looks_like_reaper(ppid, name, sizeof(name)))
		warnx("warning: COMMAND's new parent, pid %d (%s), does not seem to reap orphans: "
		      "COMMAND will stay a zombie after it exits and its exit status will never be "
		      "known (%s)",
		      (int)ppid, name, advice);
}

int handoff_send(const struct handoff *h, pid_t pid, int pidfd, int leash, const char *mode)
{
	char text[128];
	int fds[2] = {pidfd, leash};
	int nfds = leash >= 0 ? 2 : 1;
	int len = snprintf(text, sizeof(text), "pid=%d mode=%s fds=%s status=%s version=%s\n",
			   (int)pid, mode, nfds == 2 ? "pidfd,leash" : "pidfd", status_source(),
			   PACKAGE_VERSION);

	return send_fds(h->send_fd, text, (size_t)len, fds, nfds) == len ? 0 : -1;
}
