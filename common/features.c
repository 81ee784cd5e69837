/* features.c: the feature probe behind --features and --mode=auto.
 *
 * Kernels before 7.1 answer EINVAL for the new clone3 flags before creating anything, so a
 * refused probe costs one syscall. An accepted probe creates a child that exits at once;
 * every probe child is auto-reaped or reaped here, so none is left behind.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "compat.h"
#include "features.h"
#include "pidfd.h"
#include "spawn.h"

/* One clone3 with FLAGS (plus CLONE_PIDFD) whose child exits at once. */
static bool clone3_accepts(uint64_t flags)
{
	int pidfd = -1;
	struct ar_clone_args args = {
		.flags = CLONE_PIDFD | flags,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = (flags & CLONE_AUTOREAP) ? 0 : SIGCHLD,
	};
	pid_t pid = ar_clone3(&args);

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return false;
	if (!(flags & CLONE_AUTOREAP))
		pidfd_wait_status(pidfd, true);
	close(pidfd);
	return true;
}

void probe_features(struct features *f)
{
	struct utsname u;

	memset(f, 0, sizeof(*f));
	/* A zero-sized clone_args is EINVAL where clone3 exists, and whatever errno a seccomp
	 * filter chose (ENOSYS, EPERM) where it is refused: no process either way. */
	f->clone3 = syscall(SYS_clone3, NULL, 0) < 0 && errno == EINVAL;
	if (f->clone3) {
		f->autoreap = clone3_accepts(CLONE_AUTOREAP);
		f->nnp = clone3_accepts(CLONE_AUTOREAP | CLONE_NNP);
		f->autokill = clone3_accepts(CLONE_AUTOREAP | CLONE_NNP | CLONE_PIDFD_AUTOKILL);
	}
	f->pidfd_exit_info = pidfd_exit_info_works();
	if (uname(&u) == 0)
		snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
}

void print_features(const struct features *f, const char *mode)
{
	printf("clone3=%s\nautoreap=%s\nnnp=%s\nautokill=%s\npidfd_exit_info=%s\nkernel=%s\n"
	       "mode=%s\n",
	       f->clone3 ? "yes" : "no", f->autoreap ? "yes" : "no", f->nnp ? "yes" : "no",
	       f->autokill ? "yes" : "no", f->pidfd_exit_info ? "yes" : "no", f->kernel, mode);
}
