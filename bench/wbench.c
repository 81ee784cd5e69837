/* wbench: the measuring side of bench/run. Runs as a child subreaper that reaps whatever it
 * adopts, so fire-and-forget spawns leave no zombie on machines whose PID 1 never reaps.
 *
 * wbench spawn ROUNDS NAME CMD... [:: NAME CMD...]...
 *	Runs each command ROUNDS times, round-robin (drift hits all alike), timing each run
 *	from fork to the wrapper's exit, and adding up the CPU time (user + system) of the
 *	whole tree, orphans included (each run's are reaped before the next run starts).
 *	Prints "NAME median_ms p95_ms cpu_median_ms" per command. The CPU time depends far
 *	less than the wall time on what else the machine runs.
 * wbench supervise SECONDS NAME CMD...
 *	Starts CMD (a wrapper around `sleep`), lets it settle for 0.2 s, then measures the
 *	wrapper process alone over SECONDS: "NAME cpu_ms ctxsw wakeups_per_s hwm_kb".
 * wbench leash TRIALS WRAPPER...
 *	TRIALS times: starts WRAPPER... sleep 1000, finds its child COMMAND, SIGKILLs the
 *	wrapper and times until COMMAND is dead: "leash median_ms p99_ms max_ms".
 * wbench fanout N JOBS CMD...
 *	Runs CMD... N times, JOBS at a time, each to its exit:
 *	"fanout N seconds per_s zombies jobs".
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);

	return v[i];
}

static double cpu_ms(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
}

static void reap_adopted(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static pid_t start(char **argv, int out_null)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (out_null) {
			FILE *n = freopen("/dev/null", "w", stdout);

			n = freopen("/dev/null", "w", stderr);
			(void)n;
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int spawn_bench(int rounds, int argc, char **argv)
{
	char **cmds[64];
	const char *names[64];
	double *t[64], *cpu[64];
	int n = 0;

	for (int i = 0; i < argc && n < 64;) {
		names[n] = argv[i++];
		cmds[n] = &argv[i];
		while (i < argc && strcmp(argv[i], "::") != 0)
			i++;
		if (i < argc)
			argv[i++] = NULL;
		t[n] = calloc((size_t)rounds, sizeof(double));
		cpu[n] = calloc((size_t)rounds, sizeof(double));
		n++;
	}
	for (int r = 0; r < rounds; r++) {
		for (int c = 0; c < n; c++) {
			struct rusage ru0, ru1;
			double t0;
			pid_t pid;

			getrusage(RUSAGE_CHILDREN, &ru0);
			t0 = now_ms();
			pid = start(cmds[c], 1);
			waitpid(pid, NULL, 0);
			t[c][r] = now_ms() - t0;
			/* A fire-and-forget COMMAND, adopted by us, is waited for too. */
			while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
				;
			getrusage(RUSAGE_CHILDREN, &ru1);
			cpu[c][r] = cpu_ms(&ru1) - cpu_ms(&ru0);
		}
	}
	for (int c = 0; c < n; c++) {
		qsort(t[c], (size_t)rounds, sizeof(double), cmp);
		qsort(cpu[c], (size_t)rounds, sizeof(double), cmp);
		printf("%s %.3f %.3f %.3f\n", names[c], pct(t[c], rounds, 0.5), pct(t[c], rounds, 0.95),
		       pct(cpu[c], rounds, 0.5));
	}
	return 0;
}

static int read_stat(pid_t pid, long *ticks, long *ctx, long *hwm)
{
	char path[64], buf[2048], *p;
	FILE *f;
	unsigned long ut, st;
	long vol = 0, nonvol = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		return -1;
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	*ticks = (long)(ut + st);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		sscanf(buf, "VmHWM: %ld", hwm);
		sscanf(buf, "voluntary_ctxt_switches: %ld", &vol);
		sscanf(buf, "nonvoluntary_ctxt_switches: %ld", &nonvol);
	}
	fclose(f);
	*ctx = vol + nonvol;
	return 0;
}

static void sleep_ms(double ms)
{
	struct timespec ts = {(time_t)(ms / 1e3), (long)((ms - (double)(long)(ms / 1e3) * 1e3) * 1e6)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int supervise_bench(double seconds, const char *name, char **argv)
{
	long t0, t1, c0, c1, hwm = 0;
	pid_t pid = start(argv, 1);
	int pidfd;

	sleep_ms(200);
	if (read_stat(pid, &t0, &c0, &hwm) < 0)
		return 1;
	sleep_ms(seconds * 1e3);
	if (read_stat(pid, &t1, &c1, &hwm) < 0)
		return 1;
	printf("%s %.1f %ld %.2f %ld\n", name, (double)(t1 - t0) * 1e3 / (double)sysconf(_SC_CLK_TCK),
	       c1 - c0, (double)(c1 - c0) / seconds, hwm);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 100; i++) {
		reap_adopted();
		sleep_ms(10);
	}
	return 0;
}

static pid_t child_of(pid_t pid)
{
	char path[64];
	long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	for (int i = 0; i < 2000; i++) {
		f = fopen(path, "r");
		if (f) {
			int ok = fscanf(f, "%ld", &v) == 1;

			fclose(f);
			if (ok)
				return (pid_t)v;
		}
		sleep_ms(0.5);
	}
	return -1;
}

static int leash_bench(int trials, int argc, char **argv)
{
	double *t = calloc((size_t)trials, sizeof(double));
	char **cmd = calloc((size_t)argc + 3, sizeof(char *));

	memcpy(cmd, argv, sizeof(char *) * (size_t)argc);
	cmd[argc] = "sleep";
	cmd[argc + 1] = "1000";
	for (int i = 0; i < trials; i++) {
		pid_t w = start(cmd, 0), c = child_of(w);
		int wfd = (int)syscall(SYS_pidfd_open, w, 0);
		int cfd = (int)syscall(SYS_pidfd_open, c, 0);
		struct pollfd p = {cfd, POLLIN, 0};
		double t0;

		/* Let the wrapper finish starting (its watcher, in userspace mode). */
		sleep_ms(20);
		t0 = now_ms();
		syscall(SYS_pidfd_send_signal, wfd, SIGKILL, NULL, 0);
		poll(&p, 1, 10000);
		t[i] = now_ms() - t0;
		waitpid(w, NULL, 0);
		close(wfd);
		close(cfd);
		for (int k = 0; k < 50; k++) {
			reap_adopted();
			if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
				break;
			sleep_ms(2);
		}
	}
	qsort(t, (size_t)trials, sizeof(double), cmp);
	printf("leash %.3f %.3f %.3f\n", pct(t, trials, 0.5), pct(t, trials, 0.99), t[trials - 1]);
	return 0;
}

static int fanout_bench(int n, int jobs, char **argv)
{
	pid_t flight[64];
	double t0 = now_ms(), secs;
	int zombies = 0, started = 0, running = 0;

	if (jobs < 1 || jobs > 64)
		jobs = 1;
	/* Up to JOBS spawns in flight; orphans adopted meanwhile are reaped as they come. */
	while (started < n || running > 0) {
		pid_t pid;

		while (running < jobs && started < n) {
			flight[running++] = start(argv, 1);
			started++;
		}
		pid = waitpid(-1, NULL, 0);
		for (int i = 0; i < running; i++) {
			if (flight[i] == pid) {
				flight[i] = flight[--running];
				break;
			}
		}
	}
	secs = (now_ms() - t0) / 1e3;
	sleep_ms(300);
	reap_adopted();
	/* Anything still a child of ours now is a process the spawns left behind. */
	{
		char path[64];
		long v;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
		f = fopen(path, "r");
		while (f && fscanf(f, "%ld", &v) == 1)
			zombies++;
		if (f)
			fclose(f);
	}
	printf("fanout %d %.3f %.0f %d %d\n", n, secs, n / secs, zombies, jobs);
	return 0;
}

static void on_chld(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	/* A subreaper that catches SIGCHLD, as a reaping init does (autoreap checks). */
	signal(SIGCHLD, on_chld);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (argc > 3 && strcmp(argv[1], "spawn") == 0)
		return spawn_bench(atoi(argv[2]), argc - 3, argv + 3);
	if (argc > 4 && strcmp(argv[1], "supervise") == 0)
		return supervise_bench(atof(argv[2]), argv[3], argv + 4);
	if (argc > 3 && strcmp(argv[1], "leash") == 0)
		return leash_bench(atoi(argv[2]), argc - 3, argv + 3);
	if (argc > 4 && strcmp(argv[1], "fanout") == 0)
		return fanout_bench(atoi(argv[2]), atoi(argv[3]), argv + 4);
	fprintf(stderr, "usage: see the header of bench/wbench.c\n");
	return 2;
}
