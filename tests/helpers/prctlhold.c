/* prctlhold.so: an LD_PRELOAD shim that holds a process inside prctl(PR_SET_PDEATHSIG), to
 * make a race deterministic: the parent dies while the tool is between reading getppid()
 * and arming its parent-death signal.
 *
 * PRCTLHOLD_AT=FILE: created when a PR_SET_PDEATHSIG call is reached; PRCTLHOLD_FIFO=FIFO
 * (absolute paths, both): then opened and read until end of file before the call goes on. The variables and
 * LD_PRELOAD are removed at load, so COMMAND and its children run unshimmed.
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *at, *fifo;

__attribute__((constructor)) static void init(void)
{
	const char *a = getenv("PRCTLHOLD_AT"), *f = getenv("PRCTLHOLD_FIFO");

	at = a ? strdup(a) : NULL;
	fifo = f ? strdup(f) : NULL;
	unsetenv("PRCTLHOLD_AT");
	unsetenv("PRCTLHOLD_FIFO");
	unsetenv("LD_PRELOAD");
}

int prctl(int option, ...)
{
	unsigned long arg[4];
	va_list ap;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		arg[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_PDEATHSIG && at && fifo) {
		char buf[64];
		int fd = open(at, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0)
			close(fd);
		fd = open(fifo, O_RDONLY | O_CLOEXEC);
		while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
			;
		if (fd >= 0)
			close(fd);
	}
	return (int)syscall(SYS_prctl, option, arg[0], arg[1], arg[2], arg[3]);
}
