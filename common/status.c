/* status.c: the machine-readable status stream. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "status.h"
#include "util.h"

void status_emit(struct status_stream *s, const char *fmt, ...)
{
	struct pollfd p = {s->fd, POLLOUT, 0};
	sigset_t pipe_only, old, pending;
	char buf[1024];
	va_list ap;
	int n;

	if (s->fd < 0 || s->broken)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(buf) - 1)
		return;
	buf[n++] = '\n';
	/* A reader that has already let one record time out is not waited for again until
	 * it catches up: a stalled reader costs one wait, not one per record. */
	if (poll(&p, 1, s->stalled ? 0 : 100) <= 0 || !(p.revents & POLLOUT)) {
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
			s->broken = true;
		s->stalled = true;
		return;
	}
	s->stalled = false;
	/* A reader gone away must cost the stream, not the tool: SIGPIPE is held back for the
	 * write and discarded if it came. */
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_only, &old);
	if (write_all(s->fd, buf, (size_t)n) < 0) {
		s->broken = true;
		if (errno == EPIPE && !sigismember(&old, SIGPIPE) && sigpending(&pending) == 0 &&
		    sigismember(&pending, SIGPIPE))
			sigtimedwait(&pipe_only, NULL, &(struct timespec){0, 0});
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void status_start(struct status_stream *s, const char *tool, pid_t pid, bool kernel, bool nnp,
		  const char *contain, const char *method, uint64_t kflags)
{
	status_emit(s,
		    "{\"event\":\"start\",\"tool\":\"%s\",\"version\":\"%s\",\"pid\":%d,"
		    "\"mode\":\"%s\",\"nnp\":%s,\"contain\":\"%s\",\"spawn\":\"%s\","
		    "\"kernel_flags\":[%s%s%s]}",
		    tool, PACKAGE_VERSION, (int)pid, kernel ? "kernel" : "userspace",
		    nnp ? "true" : "false", contain, method,
		    (kflags & CLONE_AUTOREAP) ? "\"CLONE_AUTOREAP\"" : "",
		    (kflags & CLONE_PIDFD_AUTOKILL) ? ",\"CLONE_PIDFD_AUTOKILL\"" : "",
		    (kflags & CLONE_NNP) ? ",\"CLONE_NNP\"" : "");
}

void status_end(struct status_stream *s, int status, bool timed_out, bool killed,
		int64_t duration_ns, bool with_rusage)
{
	char code[16] = "null", sig[24] = "null", cpu[64] = "\"user_cpu\":null,\"sys_cpu\":null",
	     rss[32] = "null";
	struct rusage ru;

	/* Nothing to format for nobody: snprintf's code is not even paged in. */
	if (s->fd < 0 || s->broken)
		return;
	if (WIFEXITED(status))
		snprintf(code, sizeof(code), "%d", WEXITSTATUS(status));
	else
		snprintf(sig, sizeof(sig), "\"%s\"", signal_name(WTERMSIG(status)));
	if (with_rusage && getrusage(RUSAGE_CHILDREN, &ru) == 0) {
		snprintf(cpu, sizeof(cpu), "\"user_cpu\":%.3f,\"sys_cpu\":%.3f",
			 (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
			 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
		snprintf(rss, sizeof(rss), "%ld", ru.ru_maxrss);
	}
	status_emit(s,
		    "{\"event\":\"end\",\"exit_code\":%s,\"signal\":%s,\"core\":%s,"
		    "\"timed_out\":%s,\"killed\":%s,\"duration\":%.3f,%s,\"max_rss_kib\":%s}",
		    code, sig, WIFSIGNALED(status) && WCOREDUMP(status) ? "true" : "false",
		    timed_out ? "true" : "false", killed ? "true" : "false", ns_to_s(duration_ns),
		    cpu, rss);
}
