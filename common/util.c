/* util.c: parsers, the exit-status mapping and small I/O helpers. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *suffix;
		double scale;
	} units[] = {
		{"", 1e9}, {"s", 1e9}, {"ms", 1e6}, {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9},
	};
	char *end;
	double v;

	/* The number as GNU timeout(1) reads it: whatever strtod(3) takes in the C locale
	 * (exponents, "inf", hex), out-of-range values included, so that every DURATION a
	 * script gives timeout means the same here. NaN and negative values are refused. */
	errno = 0;
	v = strtod(s, &end);
	if (end == s || (errno != 0 && errno != ERANGE) || !(v >= 0))
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		v *= units[i].scale;
		/* timeout clamps what it cannot represent to its maximum: that far away is
		 * "never" in practice, and an error would break scripts written for it. */
		if (v >= (double)DURATION_MAX)
			*ns = DURATION_MAX;
		/* A positive duration below the clock's resolution is the shortest timeout,
		 * never 0, which would mean no timeout at all. (1e-10000 is below the float
		 * range and reads as 0, as it does for timeout.) */
		else if (v > 0 && v < 1)
			*ns = 1;
		else
			*ns = (int64_t)(v + 0.5);
		return 0;
	}
	return -1;
}

static const char *const signames[] = {
	[SIGHUP] = "HUP",   [SIGINT] = "INT",	    [SIGQUIT] = "QUIT",	  [SIGILL] = "ILL",
	[SIGTRAP] = "TRAP", [SIGABRT] = "ABRT",	    [SIGBUS] = "BUS",	  [SIGFPE] = "FPE",
	[SIGKILL] = "KILL", [SIGUSR1] = "USR1",	    [SIGSEGV] = "SEGV",	  [SIGUSR2] = "USR2",
	[SIGPIPE] = "PIPE", [SIGALRM] = "ALRM",	    [SIGTERM] = "TERM",	  [SIGSTKFLT] = "STKFLT",
	[SIGCHLD] = "CHLD", [SIGCONT] = "CONT",	    [SIGSTOP] = "STOP",	  [SIGTSTP] = "TSTP",
	[SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU",	    [SIGURG] = "URG",	  [SIGXCPU] = "XCPU",
	[SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF",	  [SIGWINCH] = "WINCH",
	[SIGIO] = "IO",	    [SIGPWR] = "PWR",	    [SIGSYS] = "SYS",
};

const char *signal_name(int sig)
{
	static char buf[16];

	if (sig > 0 && sig < (int)(sizeof(signames) / sizeof(signames[0])) && signames[sig])
		return signames[sig];
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		if (sig - SIGRTMIN <= SIGRTMAX - sig)
			snprintf(buf, sizeof(buf), "RTMIN+%d", sig - SIGRTMIN);
		else
			snprintf(buf, sizeof(buf), "RTMAX-%d", SIGRTMAX - sig);
		return buf;
	}
	snprintf(buf, sizeof(buf), "%d", sig);
	return buf;
}

/* A whole decimal number with no sign, space or junk; -1 otherwise. */
static long parse_small_uint(const char *s, long max)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return v;
}

static int parse_rt_offset(const char *s, int base, int dir, int *sig)
{
	long off = 0;

	if (*s) {
		if (*s != (dir > 0 ? '+' : '-'))
			return -1;
		off = parse_small_uint(s + 1, SIGRTMAX - SIGRTMIN);
		if (off < 0)
			return -1;
	}
	*sig = base + dir * (int)off;
	return 0;
}

int parse_signal(const char *s, int *sig)
{
	long n;

	if (isdigit((unsigned char)s[0])) {
		n = parse_small_uint(s, SIGRTMAX);
		if (n < 1)
			return -1;
		*sig = (int)n;
		return 0;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	if (strncasecmp(s, "RTMIN", 5) == 0)
		return parse_rt_offset(s + 5, SIGRTMIN, 1, sig);
	if (strncasecmp(s, "RTMAX", 5) == 0)
		return parse_rt_offset(s + 5, SIGRTMAX, -1, sig);
	for (size_t i = 1; i < sizeof(signames) / sizeof(signames[0]); i++) {
		if (signames[i] && strcasecmp(s, signames[i]) == 0) {
			*sig = (int)i;
			return 0;
		}
	}
	/* The aliases procps and bash accept. */
	if (strcasecmp(s, "IOT") == 0)
		*sig = SIGABRT;
	else if (strcasecmp(s, "POLL") == 0)
		*sig = SIGIO;
	else if (strcasecmp(s, "CLD") == 0)
		*sig = SIGCHLD;
	else
		return -1;
	return 0;
}

int parse_ladder(const char *s, struct ladder *l, struct ladder_error *e)
{
	char *copy = strdup(s), *one, *end;

	e->why = LADDER_OK;
	if (!copy) {
		e->why = LADDER_NO_MEMORY;
		return -1;
	}
	l->n = 0;
	/* Split by hand: strtok would skip an empty step, and "HUP,,KILL" is a typo, not a
	 * two-step ladder. "" has no step at all: it lacks the KILL. */
	for (one = copy; *s; one = end + 1) {
		end = one + strcspn(one, ",");
		if (l->n == LADDER_MAX) {
			e->why = LADDER_TOO_LONG;
			break;
		}
		if (*end)
			*end = '\0';
		else
			end = NULL;
		if (parse_signal(one, &l->sig[l->n]) < 0) {
			e->why = LADDER_BAD_SIGNAL;
			e->tok = s + (one - copy);
			e->len = (int)strlen(one);
			break;
		}
		l->n++;
		if (!end)
			break;
	}
	free(copy);
	if (e->why == LADDER_OK && (l->n == 0 || l->sig[l->n - 1] != SIGKILL))
		e->why = LADDER_NO_KILL;
	return e->why == LADDER_OK ? 0 : -1;
}

int parse_fd(const char *s, int *fd)
{
	long v = parse_small_uint(s, 1L << 20);

	if (v < 0)
		return -1;
	*fd = (int)v;
	return 0;
}

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

double ns_to_s(int64_t ns)
{
	return (double)ns / 1e9;
}

ssize_t send_fds(int sock, const void *data, size_t len, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {(void *)data, len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;
	ssize_t r;

	if (nfds < 1 || nfds > 2) {
		errno = EINVAL;
		return -1;
	}
	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	do
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r;
}

ssize_t recv_fds(int sock, void *data, size_t len, int fds[2])
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {data, len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;
	ssize_t n;

	fds[0] = fds[1] = -1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (c = CMSG_FIRSTHDR(&msg); n > 0 && c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fds, CMSG_DATA(c), sizeof(int) * (k > 2 ? 2 : k));
	}
	return n;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < len - 1) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

const char *proc_field(const char *text, const char *key)
{
	size_t k = strlen(key);

	for (const char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, k) != 0 || line[k] != ':')
			continue;
		line += k + 1;
		while (*line == ' ' || *line == '\t')
			line++;
		return line;
	}
	return NULL;
}

int each_number_in(const char *path, int (*fn)(long v, void *arg), void *arg)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long v = 0;
	bool in = false;
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				v = v < LONG_MAX / 10 ? v * 10 + (buf[i] - '0') : LONG_MAX;
				in = true;
			} else if (in) {
				in = false;
				if (fn(v, arg))
					goto done;
				v = 0;
			}
		}
	}
	if (in)
		fn(v, arg);
done:
	close(fd);
	return 0;
}

noreturn void exit_like(int status)
{
	struct rlimit nocore = {0, 0};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t one;
	int sig;

	if (WIFEXITED(status))
		exit(WEXITSTATUS(status));
	sig = WTERMSIG(status);
	/* COMMAND already dumped core if it was going to; a second, useless core of the tool
	 * would only overwrite it. coreutils timeout does the same. */
	setrlimit(RLIMIT_CORE, &nocore);
	/* A piped core_pattern ignores RLIMIT_CORE 0; a non-dumpable process dumps nothing. */
	prctl(PR_SET_DUMPABLE, 0);
	fflush(stdout);
	sigaction(sig, &dfl, NULL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	raise(sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	exit(128 + sig);
}

int exec_errno_status(int err)
{
	return err == ENOENT ? EXIT_ENOENT : EXIT_CANNOT_INVOKE;
}

int wait_status_of(const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		return W_EXITCODE(si->si_status, 0);
	return si->si_status | (si->si_code == CLD_DUMPED ? WCOREFLAG : 0);
}

bool has_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN);
}
