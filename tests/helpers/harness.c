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

	while ((n = list_children(kids, 1024)) > 0) {
		for (int i = 0; i < n; i++) {
			int fd = ar_pidfd_open(kids[i]);

			if (fd >= 0) {
				ar_pidfd_send_signal(fd, SIGKILL, 0);
				close(fd);
			}
		}
		/* One at a time: a blocking wait for all would also wait for the orphans that
		 * the deaths re-parent to us, which nobody has killed yet. */
		waitpid(-1, NULL, 0);
	}
}

void print_wait_status(const char *prefix, int st)
{
	if (WIFEXITED(st))
		printf("%sexit %d\n", prefix, WEXITSTATUS(st));
	else
		printf("%ssignal %s\n", prefix, signal_name(WTERMSIG(st)));
}
