/* pidfdwait: a NEXT for autoreap --pidfd-fd: waits on the inherited pidfd FD and prints
 * "command exit N" or "command signal NAME" (on kernels before 6.15, which keep no exit
 * status in the pidfd: "command ended, status unavailable"), then "children N": how many children it has
 * (0: no zombie it did not fork was left to it). Bounded: 20 s. */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/compat.h"
#include "harness.h"

int main(int argc, char **argv)
{
	pid_t kids[64];
	int fd, st;

	if (argc != 2)
		errx(2, "usage: pidfdwait FD");
	fd = atoi(argv[1]);
	alarm(20);
	/* Its own reader, not the product's: poll until the exit information, stored at the
	 * reap, is there (the alarm bounds it). */
	for (;;) {
		struct ar_pidfd_info info = {.mask = PIDFD_INFO_EXIT};
		struct pollfd p = {fd, POLLIN, 0};

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			err(2, "poll fd %d", fd);
		if (ioctl(fd, PIDFD_GET_INFO, &info) == 0 && (info.mask & PIDFD_INFO_EXIT)) {
			st = info.exit_code;
			break;
		}
		/* Before Linux 6.15 the pidfd keeps no exit status: the tool said so in
		 * AUTOREAP_STATUS / AUTOKILL_STATUS, and COMMAND has ended (POLLIN). */
		if (errno == ENOTTY || errno == EINVAL || errno == ENOSYS || errno == EPERM) {
			st = -1;
			break;
		}
		poll(&p, 0, 10);
	}
	if (st == -1)
		printf("command ended, status unavailable\n");
	else
		print_wait_status("command ", st);
	printf("children %d\n", list_children(kids, 64));
	return 0;
}
