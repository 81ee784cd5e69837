/* pidfdwait: a NEXT for autoreap --pidfd-fd: waits on the inherited pidfd FD and prints
 * "command exit N" or "command signal NAME", then "children N": how many children it has
 * (0: no zombie it did not fork was left to it). Bounded: 20 s. */
#include "config.h"

#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/compat.h"
#include "common/util.h"
#include "harness.h"

int main(int argc, char **argv)
{
	struct pollfd p;
	pid_t kids[64];
	int fd;

	if (argc != 2)
		errx(2, "usage: pidfdwait FD");
	fd = atoi(argv[1]);
	p = (struct pollfd){fd, POLLIN, 0};
	alarm(20);
	if (poll(&p, 1, -1) < 0)
		err(2, "poll");
	for (;;) {
		struct ar_pidfd_info info = {.mask = PIDFD_INFO_EXIT};

		if (ioctl(fd, PIDFD_GET_INFO, &info) == 0 && (info.mask & PIDFD_INFO_EXIT)) {
			if (WIFEXITED(info.exit_code))
				printf("command exit %d\n", WEXITSTATUS(info.exit_code));
			else
				printf("command signal %s\n", signal_name(WTERMSIG(info.exit_code)));
			break;
		}
		/* Exit information is stored when COMMAND is reaped (POLLHUP). */
		p.events = 0;
		poll(&p, 1, 20);
	}
	printf("children %d\n", list_children(kids, 64));
	return 0;
}
