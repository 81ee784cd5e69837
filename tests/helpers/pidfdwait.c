/* pidfdwait: a NEXT for autoreap --pidfd-fd: waits on the inherited pidfd FD and prints
 * "command exit N" or "command signal NAME", then "children N": how many children it has
 * (0: no zombie it did not fork was left to it). Bounded: 20 s. */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/spawn.h"
#include "harness.h"

int main(int argc, char **argv)
{
	pid_t kids[64];
	int fd, st;

	if (argc != 2)
		errx(2, "usage: pidfdwait FD");
	fd = atoi(argv[1]);
	alarm(20);
	/* The core's own reader: it waits for the exit information, stored at the reap. */
	st = pidfd_wait_status(fd, false);
	if (st < 0)
		err(2, "cannot read the exit status through fd %d", fd);
	print_wait_status("command ", st);
	printf("children %d\n", list_children(kids, 64));
	return 0;
}
