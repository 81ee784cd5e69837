/* pidfdrecv: the receiving side of --send-pidfd, as a program would do it.
 *
 * pidfdrecv [-c] FD TOOL [ARG]...
 *
 * Makes a socketpair, runs TOOL ARG... with one end at fd FD (the args should contain
 * --send-pidfd=FD), receives the message and the fds, and prints:
 *   message MESSAGE      the text line as received
 *   fds N                how many fds came
 *   fdinfo-pid PID       COMMAND's pid as /proc/self/fdinfo shows it for the pidfd
 *   tool exit N          how TOOL ended
 * then, holding the fds (or with -c having closed them all at once), waits for COMMAND's
 * end through a pidfd and prints "command exit N" or "command signal NAME". It is a child
 * subreaper so that COMMAND, orphaned by TOOL, becomes its child: it reads the status as
 * COMMAND's parent (waitid, every kernel), or through PIDFD_INFO_EXIT once COMMAND has
 * been reaped by the kernel (kernel mode; 6.15 has both); at the
 * end everything left is killed and reaped. Bounded: 30 s.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/compat.h"
#include "common/util.h"
#include "harness.h"

static int fdinfo_pid(int fd)
{
	char path[64], line[128];
	int pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	if (f)
		fclose(f);
	return pid;
}

int main(int argc, char **argv)
{
	int sv[2], fds[2] = {-1, -1}, nfds, opt, watch, target, st;
	bool close_all = false;
	char text[256];
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {text, sizeof(text) - 1};
	struct msghdr msg = {0};
	struct cmsghdr *c;
	ssize_t n;
	pid_t tool, cmd;

	while ((opt = getopt(argc, argv, "+c")) != -1) {
		if (opt != 'c')
			return 2;
		close_all = true;
	}
	if (argc - optind < 2)
		errx(2, "usage: pidfdrecv [-c] FD TOOL [ARG]...");
	target = atoi(argv[optind]);
	alarm(30);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		err(2, "socketpair");
	tool = fork();
	if (tool == 0) {
		if (dup2(sv[1], target) < 0)
			err(2, "dup2");
		execvp(argv[optind + 1], &argv[optind + 1]);
		err(127, "%s", argv[optind + 1]);
	}
	close(sv[1]);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	n = recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
	waitpid(tool, &st, 0);
	if (n <= 0) {
		printf("nothing received\ntool exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return 0;
	}
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	c = CMSG_FIRSTHDR(&msg);
	nfds = c ? (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)) : 0;
	if (nfds > 0)
		memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)nfds);
	printf("message %s\nfds %d\nfdinfo-pid %d\ntool exit %d\n", text, nfds, fdinfo_pid(fds[0]),
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	fflush(stdout);
	/* A pidfd of our own, from pidfd_open: a different file, so holding it holds no leash.
	 * COMMAND may have exited already (fdinfo says -1: a slow receiver, an emulated
	 * guest): the received pidfd is then the only name left for it, and no leash to hold. */
	cmd = fdinfo_pid(fds[0]);
	watch = cmd > 0 ? ar_pidfd_open(cmd) : dup(fds[0]);
	if (close_all) {
		close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
	}
	for (;;) {
		struct ar_pidfd_info info = {.mask = PIDFD_INFO_EXIT};
		struct pollfd p = {watch, POLLIN, 0};
		pid_t kids[64];
		siginfo_t si;

		/* COMMAND, orphaned by the tool in userspace mode, is our child now: its status
		 * through waitid, on every kernel. Auto-reaped in kernel mode: PIDFD_INFO_EXIT. */
		memset(&si, 0, sizeof(si));
		if (waitid((idtype_t)P_PIDFD, (id_t)watch, &si, WEXITED | WNOHANG) == 0 && si.si_pid) {
			print_wait_status("command ", si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0)
									 : si.si_status);
			break;
		}
		if (ioctl(watch, PIDFD_GET_INFO, &info) == 0 && (info.mask & PIDFD_INFO_EXIT)) {
			print_wait_status("command ", info.exit_code);
			break;
		}
		/* Reap the others we adopted (the leash watcher), never COMMAND. */
		for (int i = 0, k = list_children(kids, 64); i < k; i++)
			if (kids[i] != cmd)
				waitpid(kids[i], NULL, WNOHANG);
		poll(&p, 1, 20);
	}
	/* Whatever is left (a watcher still running its ladder): end it. */
	kill_children();
	return 0;
}
