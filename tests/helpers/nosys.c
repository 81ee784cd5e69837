/* nosys: runs COMMAND with chosen syscalls failing, as an older kernel or a locked-down
 * container would make them fail.
 *
 * nosys [-e ENOSYS|EPERM|EINVAL|KILL] NAME[,NAME...] COMMAND [ARG]...
 *
 * NAME: clone3, clone, pidfd_open, pidfd_send_signal, waitid, close_range, signalfd4, pipe2,
 * clone_pidfd
 * (clone(2) only with CLONE_PIDFD, so that fork still works), pidfd_get_info (the
 * PIDFD_GET_INFO ioctl) or pidfd_group (pidfd_send_signal with PIDFD_SIGNAL_PROCESS_GROUP,
 * always EINVAL, as before Linux 6.9). A seccomp filter (with no_new_privs) makes them return the errno;
 * KILL instead kills the calling process on the spot, as a SIGKILL at that moment would.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/compat.h"

static const struct {
	const char *name;
	long nr;
} calls[] = {
	{"clone3", SYS_clone3},
	{"clone", SYS_clone},
	{"pidfd_open", SYS_pidfd_open},
	{"pidfd_send_signal", SYS_pidfd_send_signal},
	{"waitid", SYS_waitid},
	{"close_range", SYS_close_range},
	{"signalfd4", SYS_signalfd4},
	{"pipe2", SYS_pipe2},
};

int main(int argc, char **argv)
{
	struct sock_filter f[64];
	struct sock_fprog prog;
	unsigned n = 0, err_no = ENOSYS, action = SECCOMP_RET_ERRNO;
	int opt;
	bool getinfo = false, clone_pidfd = false, group = false;
	char *save = NULL;

	while ((opt = getopt(argc, argv, "+e:")) != -1) {
		if (opt != 'e')
			return 2;
		if (strcmp(optarg, "KILL") == 0) {
			action = SECCOMP_RET_KILL_PROCESS;
			continue;
		}
		err_no = strcmp(optarg, "EPERM") == 0	 ? EPERM :
			 strcmp(optarg, "EINVAL") == 0 ? EINVAL :
			 strcmp(optarg, "ENOSYS") == 0 ? ENOSYS :
							  0;
		if (!err_no)
			errx(2, "bad errno '%s'", optarg);
	}
	if (argc - optind < 2)
		errx(2, "usage: nosys [-e ERRNO] NAME[,NAME...] COMMAND [ARG]...");
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (char *t = strtok_r(argv[optind], ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;

		if (strcmp(t, "pidfd_get_info") == 0) {
			getinfo = true;
			continue;
		}
		if (strcmp(t, "clone_pidfd") == 0) {
			clone_pidfd = true;
			continue;
		}
		if (strcmp(t, "pidfd_group") == 0) {
			group = true;
			continue;
		}
		for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
			if (strcmp(t, calls[i].name) == 0)
				break;
		if (i == sizeof(calls) / sizeof(calls[0]))
			errx(2, "unknown syscall name '%s'", t);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned)calls[i].nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						      (action == SECCOMP_RET_ERRNO ? action | err_no : action));
	}
	if (clone_pidfd && getinfo)
		errx(2, "clone_pidfd and pidfd_get_info cannot be combined");
	if (group) {
		/* The kernel's answer to an unknown flag, whatever -e says. Loads the number
		 * again after, for the checks below. */
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      SYS_pidfd_send_signal, 0, 4);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						      offsetof(struct seccomp_data, args[3]));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
						      PIDFD_SIGNAL_PROCESS_GROUP, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						      offsetof(struct seccomp_data, nr));
	}
	if (clone_pidfd) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						      offsetof(struct seccomp_data, args[0]));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_PIDFD, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						      (action == SECCOMP_RET_ERRNO ? action | err_no : action));
	}
	if (getinfo) {
		/* Last, since loading the argument overwrites the syscall number. */
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 3);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						      offsetof(struct seccomp_data, args[1]));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned)PIDFD_GET_INFO, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						      (action == SECCOMP_RET_ERRNO ? action | err_no : action));
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		err(2, "seccomp");
	execvp(argv[optind + 1], &argv[optind + 1]);
	err(127, "%s", argv[optind + 1]);
}
