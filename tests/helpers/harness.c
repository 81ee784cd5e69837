/* harness.c: shared by the test helpers. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/compat.h"
#include "common/contain.h"
#include "common/util.h"
#include "harness.h"

int list_children(pid_t *out, int max)
{
	return children_of(getpid(), out, max);
}

void kill_children(void)
{
	pid_t kids[1024];
	int n;

	/* Without blocking: a child killed here can leave a stopped child of its own to us
	 * (a subreaper), which the next round kills. */
	while ((n = list_children(kids, 1024)) > 0) {
		for (int i = 0; i < n; i++) {
			int fd = ar_pidfd_open(kids[i]);

			if (fd >= 0) {
				ar_pidfd_send_signal(fd, SIGKILL, 0);
				close(fd);
			}
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		usleep(1000);
	}
}

void print_wait_status(const char *prefix, int st)
{
	if (WIFEXITED(st))
		printf("%sexit %d\n", prefix, WEXITSTATUS(st));
	else
		printf("%ssignal %s\n", prefix, signal_name(WTERMSIG(st)));
}
