/* compat.h: kernel ABI and syscall wrappers that libc or the installed headers may lack.
 *
 * The build machines have Linux 6.1 headers and glibc 2.36, while the tools use facilities
 * up to Linux 7.1; every constant is defined here behind #ifndef, with the kernel that first
 * had it. A wrapper uses libc's function when configure found one, else the raw syscall;
 * where the kernel has no such syscall the call fails with ENOSYS, which callers turn into
 * a clear message or a fallback.
 */
#ifndef AUTOREAP_COMPAT_H
#define AUTOREAP_COMPAT_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_SYS_PIDFD_H
#include <sys/pidfd.h>
#endif

/* clone(2)/clone3(2) flags. */
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000 /* Linux 5.2 */
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL /* Linux 5.7 */
#endif
#ifndef CLONE_AUTOREAP
#define CLONE_AUTOREAP (1ULL << 34) /* Linux 7.1 */
#endif
#ifndef CLONE_NNP
#define CLONE_NNP (1ULL << 35) /* Linux 7.1 */
#endif
#ifndef CLONE_PIDFD_AUTOKILL
#define CLONE_PIDFD_AUTOKILL (1ULL << 36) /* Linux 7.1 */
#endif

/* struct clone_args as of Linux 5.7 (CLONE_ARGS_SIZE_VER2); older kernels accept the
 * larger struct as long as the fields they do not know are zero. */
struct ar_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

/* waitid(2) id type for pidfds, Linux 5.4. */
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* pidfd_send_signal(2) flags, Linux 6.9: PROCESS_GROUP signals the process group whose
 * leader the pidfd names, through the pidfd's struct pid, so a recycled pgid is never hit. */
#ifndef PIDFD_SIGNAL_PROCESS_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP (1U << 2)
#endif

/* PIDFD_GET_INFO, Linux 6.13; PIDFD_INFO_EXIT, Linux 6.15. The 64-byte request is valid on
 * every kernel that has the ioctl. */
struct ar_pidfd_info {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
};
#ifndef PIDFD_GET_INFO
#define PIDFD_GET_INFO _IOWR(0xFF, 11, struct ar_pidfd_info)
#endif
#ifndef PIDFD_INFO_PID
#define PIDFD_INFO_PID (1ULL << 0)
#endif
#ifndef PIDFD_INFO_CGROUPID
#define PIDFD_INFO_CGROUPID (1ULL << 2)
#endif
#ifndef PIDFD_INFO_EXIT
#define PIDFD_INFO_EXIT (1ULL << 3)
#endif

#ifndef SYS_clone3
#define SYS_clone3 435 /* Linux 5.3, same number on every architecture */
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* clone3 with fork semantics (no CLONE_VM): returns 0 in the child, like fork. The child
 * must only do async-signal-safe work before execve, as after any raw clone. */
static inline pid_t ar_clone3(struct ar_clone_args *args)
{
	return (pid_t)syscall(SYS_clone3, args, sizeof(*args));
}

/* clone(2) with fork semantics and CLONE_PIDFD: the x86-64 argument order (flags, stack,
 * parent_tid, child_tid, tls); the pidfd is stored through parent_tid. */
static inline pid_t ar_clone_pidfd(int *pidfd, uint64_t extra)
{
	return (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_PIDFD | SIGCHLD | extra), 0UL, pidfd,
			      (int *)0, 0UL);
}

static inline int ar_pidfd_open(pid_t pid)
{
#ifdef HAVE_PIDFD_OPEN
	return pidfd_open(pid, 0);
#else
	return (int)syscall(SYS_pidfd_open, pid, 0);
#endif
}

static inline int ar_pidfd_send_signal(int pidfd, int sig, unsigned int flags)
{
#ifdef HAVE_PIDFD_SEND_SIGNAL
	return pidfd_send_signal(pidfd, sig, (siginfo_t *)0, flags);
#else
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, (siginfo_t *)0, flags);
#endif
}

static inline int ar_close_range(unsigned int first, unsigned int last, int flags)
{
#ifdef HAVE_CLOSE_RANGE
	return close_range(first, last, flags);
#else
	return (int)syscall(SYS_close_range, first, last, flags);
#endif
}

#endif
