/* tree: builds a random process tree from a seed, for the torture tests.
 *
 * tree -s SEED [-d DEPTH] [-f FANOUT] [-n NODES] [-i] [-x] -r REPORT -o READY
 * tree -c REPORT
 *
 * The plan (the tree's shape and what each node does) is drawn from SEED alone, so a seed
 * names one tree: at most NODES processes (default 40), DEPTH levels below the root
 * (default 8), FANOUT children each (default 4). Each node but the root may, by the draw:
 * setsid or setpgid (leaving the root's process group), be started through a double fork
 * (an intermediate that exits at once), ignore or block HUP and TERM, stop itself, exit
 * early (orphaning its children), or exec sleep (which keeps the ignored and blocked
 * signals). Every node forks its children first, then appends "PID STARTTIME INGROUP GONE"
 * to REPORT (GONE: it exits early), then acts. The root (COMMAND in the tests) writes
 * "ready N" to READY once all N other nodes have reported, then waits forever, or exits
 * with -x; with -i it ignores HUP and TERM itself. If a node dies before it reports, the
 * root writes nothing and waits forever (with -x: exits 2).
 *
 * -c REPORT prints "group N" and "all N": how many of the reported nodes that stay (not
 * GONE) are still alive (a zombie is not), those in the root's group and all of them.
 * Processes are matched by pid and start time, so a recycled pid is not counted.
 */
#include "config.h"

#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	F_SETSID = 1 << 0,
	F_SETPGID = 1 << 1,
	F_DFORK = 1 << 2,
	F_IGNORE = 1 << 3,
	F_BLOCK = 1 << 4,
	F_STOP = 1 << 5,
	F_EXIT = 1 << 6,
	F_EXEC = 1 << 7,
};

#define MAX_NODES 256

struct node {
	int parent, depth, flags;
	bool ingroup;
};

static struct node plan[MAX_NODES];
static int nplan;
static uint64_t rng;

static uint64_t next(void)
{
	/* splitmix64: a seed's plan is the same everywhere. */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool chance(int percent)
{
	return (int)(next() % 100) < percent;
}

/* Depth first, so that deep chains are as likely as wide fans. */
static void draw(int parent, int depth, int maxdepth, int fanout, int maxnodes)
{
	int kids = (int)(next() % (unsigned)(fanout + 1));

	if (parent == 0 && kids == 0)
		kids = 1;
	for (int k = 0; k < kids && depth < maxdepth && nplan < maxnodes; k++) {
		struct node *n = &plan[nplan];
		int id = nplan++;

		n->parent = parent;
		n->depth = depth + 1;
		n->flags = (chance(12) ? F_SETSID : chance(6) ? F_SETPGID : 0) |
			   (chance(20) ? F_DFORK : 0) | (chance(30) ? F_IGNORE : 0) |
			   (chance(15) ? F_BLOCK : 0) | (chance(10) ? F_STOP : 0) |
			   (chance(12) ? F_EXIT : chance(25) ? F_EXEC : 0);
		n->ingroup = plan[parent].ingroup && !(n->flags & (F_SETSID | F_SETPGID));
		draw(id, depth + 1, maxdepth, fanout, maxnodes);
	}
}

static long start_time(pid_t pid, char *state)
{
	char path[64], buf[1024], *p;
	unsigned long long start;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* Field 3 is the state, field 22 the start time. */
	if (!p || sscanf(p + 2, "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
			    "%*s %*s %*s %llu", state, &start) != 2)
		return -1;
	return (long)start;
}

static const char *report_path;
static int ready_pipe = -1;

static void report(int id)
{
	char line[128], state;
	int fd = open(report_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	int len = snprintf(line, sizeof(line), "%d %ld %d %d\n", (int)getpid(),
			   start_time(getpid(), &state), plan[id].ingroup,
			   !!(plan[id].flags & F_EXIT));

	/* One write with O_APPEND: lines of concurrent nodes never mix. */
	if (fd < 0 || write(fd, line, (size_t)len) != len)
		_exit(3);
	close(fd);
	if (write(ready_pipe, "", 1) != 1)
		_exit(3);
}

static void fork_children(int id);

/* Runs in the new process of node ID; never returns. */
static void become(int id)
{
	int f = plan[id].flags;
	sigset_t ht;

	if (f & F_SETSID)
		setsid();
	if (f & F_SETPGID)
		setpgid(0, 0);
	if (f & F_IGNORE) {
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
	}
	sigemptyset(&ht);
	sigaddset(&ht, SIGHUP);
	sigaddset(&ht, SIGTERM);
	if (f & F_BLOCK)
		sigprocmask(SIG_BLOCK, &ht, NULL);
	fork_children(id);
	report(id);
	close(ready_pipe);
	if (f & F_EXIT)
		_exit(0);
	if (f & F_STOP)
		raise(SIGSTOP);
	if (f & F_EXEC) {
		execlp("sleep", "sleep", "1000", (char *)NULL);
		_exit(4);
	}
	for (;;)
		pause();
}

static void fork_children(int id)
{
	for (int c = 1; c < nplan; c++) {
		pid_t pid;

		if (plan[c].parent != id)
			continue;
		pid = fork();
		if (pid < 0)
			_exit(5);
		if (pid == 0) {
			if ((plan[c].flags & F_DFORK) && fork() != 0)
				_exit(0);
			become(c);
		}
		if (plan[c].flags & F_DFORK)
			waitpid(pid, NULL, 0);
	}
}

static int check(const char *path)
{
	FILE *f = fopen(path, "re");
	int pid, ingroup, gone, group = 0, all = 0;
	long start;

	if (!f)
		err(2, "%s", path);
	while (fscanf(f, "%d %ld %d %d", &pid, &start, &ingroup, &gone) == 4) {
		char state = '?';

		if (gone || start_time(pid, &state) != start || state == 'Z' || state == 'X')
			continue;
		all++;
		group += ingroup;
	}
	fclose(f);
	printf("group %d\nall %d\n", group, all);
	return 0;
}

int main(int argc, char **argv)
{
	int opt, maxdepth = 8, fanout = 4, maxnodes = 40, p[2], fd;
	bool ignore = false, exit_when_ready = false, seeded = false;
	const char *ready = NULL;
	char c, line[64];

	while ((opt = getopt(argc, argv, "s:d:f:n:ixr:o:c:")) != -1) {
		switch (opt) {
		case 's':
			rng = strtoull(optarg, NULL, 10);
			seeded = true;
			break;
		case 'd':
			maxdepth = atoi(optarg);
			break;
		case 'f':
			fanout = atoi(optarg);
			break;
		case 'n':
			maxnodes = atoi(optarg);
			break;
		case 'i':
			ignore = true;
			break;
		case 'x':
			exit_when_ready = true;
			break;
		case 'r':
			report_path = optarg;
			break;
		case 'o':
			ready = optarg;
			break;
		case 'c':
			return check(optarg);
		default:
			return 2;
		}
	}
	if (!seeded || !report_path || !ready || maxnodes < 2 || maxnodes > MAX_NODES)
		errx(2, "usage: tree -s SEED [-d DEPTH] [-f FANOUT] [-n NODES] [-i] [-x] -r REPORT "
			"-o READY | tree -c REPORT");
	plan[0] = (struct node){-1, 0, 0, true};
	nplan = 1;
	draw(0, 0, maxdepth, fanout, maxnodes);
	fd = open(report_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || pipe2(p, O_CLOEXEC) < 0)
		err(2, "%s", report_path);
	close(fd);
	if (ignore) {
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
	}
	ready_pipe = p[1];
	fork_children(0);
	close(p[1]);
	for (int got = 0; got < nplan - 1; got++) {
		/* A node killed before it reported (a timeout while the tree grows): no "ready",
		 * but the root stays as asked, so the ladder is not cut short by its end. */
		if (read(p[0], &c, 1) != 1) {
			if (exit_when_ready)
				return 2;
			for (;;)
				pause();
		}
	}
	fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	snprintf(line, sizeof(line), "ready %d\n", nplan - 1);
	if (fd < 0 || write(fd, line, strlen(line)) < 0)
		err(2, "%s", ready);
	close(fd);
	if (exit_when_ready)
		return 0;
	for (;;)
		pause();
}
