/* autoreap: run COMMAND as a child that can never become a zombie.
 *
 * autoreap [OPTION]... COMMAND [ARG]...
 *
 * Fire-and-forget (default): COMMAND is started and autoreap exits 0 as soon as COMMAND has
 * been executed. With --wait, autoreap waits for COMMAND through its pidfd, relays signals,
 * keeps terminal job control working and exits with COMMAND's status.
 *   - kernel mode (Linux 7.1+): COMMAND is created with CLONE_AUTOREAP, so it is reaped by
 *     the kernel when it exits, whoever its parent is by then; its status is read through
 *     the pidfd (PIDFD_INFO_EXIT).
 *   - userspace mode: with --wait, autoreap reaps COMMAND the moment it exits. Without it,
 *     COMMAND is orphaned at once (double fork) and its reaping falls to the nearest
 *     subreaper or init; autoreap warns when that process does not look like it reaps.
 *
 * --contain (with --wait): subreaper adopts, reaps and waits for the orphans COMMAND
 * leaves; pidns runs COMMAND in a new PID namespace that dies with it.
 *
 * Hand-off: --pidfd-fd=N execs NEXT (after a ';' argument) holding COMMAND's pidfd at fd
 * N; --send-pidfd=FD sends it over a unix socket. The holder polls it and reads COMMAND's
 * exit status, and never has a zombie to reap: COMMAND is not its child (userspace mode)
 * or is auto-reaped (kernel mode).
 *
 * Exit status: 0 COMMAND started (fire-and-forget); with --wait COMMAND's own status, or
 * autoreap dies of the signal that killed COMMAND; 125 autoreap's own failure or a usage
 * error; 126 COMMAND cannot be executed; 127 COMMAND not found.
 */
#include "config.h"

#include <argp.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/compat.h"
#include "common/contain.h"
#include "common/features.h"
#include "common/handoff.h"
#include "common/parent.h"
#include "common/pidfd.h"
#include "common/pidns.h"
#include "common/spawn.h"
#include "common/status.h"
#include "common/supervise.h"
#include "common/util.h"

struct opts {
	struct common_opts c;
	bool wait, print_pid, setsid, detach, quiet;
	int contain;
	const char *pid_file;
	struct handoff h;
};

enum { OPT_PID_FILE = 0x200, OPT_CONTAIN };

static const struct argp_option options[] = {
	{"wait", 'w', NULL, 0,
	 "wait for COMMAND and exit with its status, relaying signals (required as PID 1)", 0},
	{"print-pid", 'p', NULL, 0,
	 "print COMMAND's pid on stdout once it runs (COMMAND is killed if that fails: 125)", 0},
	{"pid-file", OPT_PID_FILE, "FILE", 0, "write COMMAND's pid to FILE (atomically)", 0},
	{"setsid", 's', NULL, 0, "start COMMAND in a new session, detached from the terminal", 0},
	{"detach", 'd', NULL, 0,
	 "stdin, stdout and stderr that are a terminal, pipe or socket go to /dev/null", 0},
	{"quiet", 'q', NULL, 0, "no warning about an init that does not reap", 0},
	{"contain", OPT_CONTAIN, "MODE", 0,
	 "with --wait: pgrp (default), subreaper (orphans COMMAND leaves are adopted and reaped, "
	 "and waited for), pidns (a new PID namespace whose init reaps everything; what is left "
	 "when COMMAND exits dies with it)", 0},
	{0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->c;
		state->child_inputs[1] = &o->h;
		return 0;
	case 'w':
		o->wait = true;
		return 0;
	case 'p':
		o->print_pid = true;
		return 0;
	case OPT_PID_FILE:
		if (!*arg)
			argp_error(state, "empty --pid-file");
		o->pid_file = arg;
		return 0;
	case 's':
		o->setsid = true;
		return 0;
	case 'd':
		o->detach = true;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case OPT_CONTAIN:
		o->contain = contain_parse(arg);
		if (o->contain != CONTAIN_PGRP && o->contain != CONTAIN_SUBREAPER &&
		    o->contain != CONTAIN_PIDNS)
			argp_error(state, "invalid containment '%s' (pgrp, subreaper or pidns; "
					  "autokill has the others)", arg);
		return 0;
	case ARGP_KEY_END:
		if (o->contain != CONTAIN_PGRP && !o->wait)
			argp_error(state, "--contain needs --wait: a tree is contained while "
					  "autoreap waits");
		if (o->c.die_with_parent && !o->wait)
			argp_error(state, "--die-with-parent needs --wait: COMMAND is watched while "
					  "autoreap waits");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const char doc[] =
	"Run COMMAND as a child that is reaped automatically when it exits: it never becomes a "
	"zombie, whoever its parent is by then.\v"
	"With --wait in a job of an interactive shell, a stop of COMMAND stops autoreap, and "
	"COMMAND's environment names autoreap in AUTOKILL_STOPS_FOLLOWED_BY, so that a tool "
	"run as COMMAND follows stops too.\n\n"
	"Exit status:\n"
	"  0    COMMAND was started (without --wait)\n"
	"  125  autoreap itself failed, or a usage error; nothing runs\n"
	"  126  COMMAND found but cannot be executed\n"
	"  127  COMMAND not found\n"
	"  -    with --wait, COMMAND's status; if it died of signal N, autoreap dies of "
	"signal N";

static const struct argp argp = {options, parse_opt, "COMMAND [ARG]...", doc, cli_children,
				 NULL, NULL};

const char *argp_program_version = PACKAGE_STRING;

static struct opts parse_args(int argc, char **argv)
{
	struct opts o = {.c = {.nnp = -1, .prog = "autoreap", .status_fd = -1},
			 .h = {.pidfd_fd = -1, .send_fd = -1, .env_prefix = "AUTOREAP"}};
	char why[256];

	cli_init("autoreap", argv);
	argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &o);
	if (handoff_finish(&o.h, o.c.cmd,
			   o.wait ? "--wait cannot be combined with a hand-off: the holder waits" : NULL,
			   0, why, sizeof(why)) < 0)
		usage_error("%s", why);
	/* Else the pid would go to the /dev/null that cli_reserve_stdio puts there. */
	if (o.print_pid && fcntl(STDOUT_FILENO, F_GETFD) < 0)
		errx(EXIT_TOOL_FAILURE, "--print-pid: standard output is closed");
	cli_reserve_stdio();
	return o;
}

/* Kernel mode if allowed and available, else the userspace fallback. Returns true for the
 * kernel's CLONE_AUTOREAP. */
static bool spawn_reaped(const struct opts *o, struct spawn_req *req, struct spawn_res *res)
{
	const char *why = "--mode=userspace";

	/* With --wait the status can only come through PIDFD_GET_INFO, which a seccomp
	 * profile may refuse even where the flag exists. */
	if (o->c.mode != MODE_USERSPACE && o->wait && !pidfd_info_works()) {
		why = "PIDFD_GET_INFO refused";
		if (o->c.mode == MODE_KERNEL)
			errx(EXIT_TOOL_FAILURE, "kernel mode unavailable: %s", why);
	} else if (o->c.mode != MODE_USERSPACE) {
		req->kflags = CLONE_AUTOREAP | (o->c.nnp == 1 ? CLONE_NNP : 0);
		if (spawn_kernel(req, res, o->c.mode == MODE_KERNEL, "CLONE_AUTOREAP") == 0) {
			if (o->c.verbose)
				warnx("mode=kernel: CLONE_AUTOREAP");
			return true;
		}
		why = strerror(res->err);
	}
	if (o->c.verbose)
		warnx("mode=userspace: %s", why);
	req->kflags = 0;
	req->orphan = !o->wait;
	if (spawn_command(req, res) < 0)
		spawn_die(o->c.cmd[0], res);
	return false;
}

/* The pid file is written in two steps around the start: its temporary file is created
 * before COMMAND starts, so a path that cannot be written (a missing directory) fails with
 * nothing started; after the start it is filled in and renamed into place, so a reader
 * sees the old file or the whole new one, never a partial pid. */
static char pid_tmp[4096];

static void pid_tmp_remove(void)
{
	if (pid_tmp[0])
		unlink(pid_tmp);
}

static int pid_file_prepare(const char *path)
{
	struct stat st;
	int fd;

	if (!path)
		return -1;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		errx(EXIT_TOOL_FAILURE, "cannot write pid file '%s': %s", path, strerror(EISDIR));
	if (snprintf(pid_tmp, sizeof(pid_tmp), "%s.XXXXXX", path) >= (int)sizeof(pid_tmp))
		errx(EXIT_TOOL_FAILURE, "pid file name too long: '%s'", path);
	fd = mkostemp(pid_tmp, O_CLOEXEC);
	if (fd < 0) {
		pid_tmp[0] = '\0';
		err(EXIT_TOOL_FAILURE, "cannot write pid file '%s'", path);
	}
	atexit(pid_tmp_remove);
	return fd;
}

static int pid_file_commit(const char *path, int fd, pid_t pid)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);

	if (write_all(fd, buf, (size_t)n) < 0 || fchmod(fd, 0644) < 0 || close(fd) < 0 ||
	    rename(pid_tmp, path) < 0)
		return -1;
	pid_tmp[0] = '\0';
	return 0;
}

/* -p and --pid-file, once COMMAND runs. A pid file that cannot be written after all means
 * a COMMAND nobody can find: it is taken down before the failure is reported. */
static void announce(const struct opts *o, int pid_fd, const struct spawn_req *req,
		     struct spawn_res *res)
{
	if (o->print_pid) {
		struct sigaction ign = {.sa_handler = SIG_IGN}, old;

		/* A reader that has gone gives EPIPE here, not our death with COMMAND running. */
		sigaction(SIGPIPE, &ign, &old);
		printf("%d\n", (int)res->cmd_pid);
		if (fflush(stdout) == EOF)
			spawn_fail(req, res, EXIT_TOOL_FAILURE, "cannot print the pid: %s",
				   strerror(errno));
		sigaction(SIGPIPE, &old, NULL);
	}
	if (o->pid_file && pid_file_commit(o->pid_file, pid_fd, res->cmd_pid) < 0)
		spawn_fail(req, res, EXIT_TOOL_FAILURE, "cannot write pid file '%s': %s",
			   o->pid_file, strerror(errno));
}

/* The hand-off of fire-and-forget; a failure takes COMMAND down before it is reported. */
static void hand_off(const struct opts *o, const struct spawn_req *req, struct spawn_res *res,
		     bool kernel)
{
	char msg[512];
	int st;

	if (o->h.send_fd >= 0) {
		if (handoff_send(&o->h, res->cmd_pid, res->cmd_pidfd, -1,
				 kernel ? "kernel" : "userspace") < 0)
			spawn_fail(req, res, EXIT_TOOL_FAILURE,
				   "--send-pidfd=%d: cannot send the pidfd: %s", o->h.send_fd,
				   strerror(errno));
		return;
	}
	handoff_clear(&o->h, &res->pidfd);
	res->cmd_pidfd = res->pidfd;
	st = handoff_exec(&o->h, res->cmd_pid, res->cmd_pidfd, -1, msg, sizeof(msg));
	spawn_fail(req, res, st, "%s", msg);
}

/* Without --wait: starts COMMAND, says so, lets it go and exits 0 (or hands it off). */
static noreturn void fire_and_forget(const struct opts *o, struct spawn_req *req, int pid_fd)
{
	struct status_stream stream = {o->c.status_fd, false, false};
	struct spawn_res res;
	bool kernel;

	/* COMMAND's parent will not be us, nor follow its stops. */
	spawn_stops_followed(false);
	kernel = spawn_reaped(o, req, &res);

	cli_verbose_started(&o->c, res.cmd_pid, res.method);
	status_start(&stream, "autoreap", res.cmd_pid, kernel, req->nnp,
		     o->setsid ? "session" : "none", res.method, res.kflags);
	announce(o, pid_fd, req, &res);
	spawn_release(&res);
	if (!kernel && !o->quiet)
		check_adopter(res.cmd_pidfd, res.cmd_pid,
			      "use --wait, a reaping init or subreaper, or Linux 7.1+; see "
			      "autoreap(1)");
	if (o->h.send_fd >= 0 || o->h.pidfd_fd >= 0)
		hand_off(o, req, &res, kernel);
	exit(0);
}

/* With --wait, before COMMAND starts: signals, the process group, the containment. */
static void prepare_wait(const struct opts *o, struct supervisor *sv, struct spawn_req *req,
			 sigset_t *orig, struct pidns *ns)
{
	const char *call;

	if (pidfd_calls_work(&call) < 0)
		err(EXIT_TOOL_FAILURE, "cannot signal and wait through pidfds: %s", call);
	sv->cfg.die_with_parent = o->c.die_with_parent;
	if (supervise_signals(sv, orig) < 0)
		err(EXIT_TOOL_FAILURE, "cannot set up signal handling");
	if (sv->cfg.die_with_parent)
		sv->st.ppid = parent_watch();
	/* As autokill: autoreap leads the group, COMMAND joins it and may call setsid()
	 * without forking, so the process autoreap waits for is the one that runs. */
	if (!o->setsid) {
		/* With subreaper or cgroup, a child of ours would be one more process to wait
		 * for. A pidns one is outside the namespace, whose end is what we wait for, and
		 * keeps us in the job's group, which a shell's fg continues. */
		supervise_lead_group(sv, o->contain == CONTAIN_PGRP || o->contain == CONTAIN_PIDNS ?
						 "autoreap-group" :
						 NULL);
		req->pgrp = SPAWN_PGRP_JOIN;
		req->pgid = sv->st.pgid;
	}
	req->mask = orig;
	if (o->contain == CONTAIN_SUBREAPER && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		err(EXIT_TOOL_FAILURE, "cannot become a child subreaper");
	if (o->contain == CONTAIN_PIDNS) {
		pidns_prepare(ns, "autoreap-init");
		req->ns = ns;
		sv->cfg.stops_fd = ns->stops_r;
	}
}

/* What autoreap's supervision of the COMMAND that RES names is to do. */
static void configure(const struct opts *o, struct supervisor *sv, const struct spawn_res *res,
		      bool kernel, struct status_stream *stream)
{
	sv->cfg.status = stream;
	supervisor_as_tool(sv, res->pidfd, res->pid, !kernel);
	/* In a PID namespace, its init and COMMAND are members of the group too. */
	sv->cfg.group = true;
	sv->cfg.contain = o->contain;
	/* A reaper does not kill: the tree is waited for, each orphan reaped as it ends. Only
	 * --die-with-parent kills, the way bubblewrap's does: KILL, no ladder. */
	sv->cfg.wait_all = true;
	/* The group's holder child, if any, is no orphan of COMMAND's to wait for. */
	sv->cfg.spare = sv->st.group_holder;
	sv->cfg.ladder = (struct ladder){{SIGKILL}, 1, 0};
	sv->cfg.verbose = o->c.verbose;
}

int main(int argc, char **argv)
{
	struct opts o = parse_args(argc, argv);
	struct supervisor sv = {.cfg.leash_fd = -1, .cfg.stops_fd = -1, .st.tty_fd = -1,
				.st.pgfd = -1};
	struct spawn_req req = {.tty_fd = -1, .argv = o.c.cmd, .detach = o.detach,
				.nnp = o.c.nnp == 1};
	struct spawn_res res;
	struct status_stream stream = {o.c.status_fd, false, false};
	struct pidns ns = {.status_r = -1, .status_w = -1, .stops_r = -1, .stops_w = -1};
	sigset_t orig;
	bool kernel;
	int status, pid_fd;

	/* A caller's ignored SIGCHLD (inherited across exec) would have the kernel reap our
	 * children before we wait for them (COMMAND, the orphans a subreaper adopts).
	 * COMMAND gets its own dispositions in spawn.c. */
	signal(SIGCHLD, SIG_DFL);
	if (o.c.features) {
		struct features f;

		probe_features(&f, "autoreap-probe");
		print_features(&f, f.autoreap ? "kernel" : "userspace");
		return 0;
	}
	req.pgrp = o.setsid ? SPAWN_SESSION : o.wait ? SPAWN_PGRP_NEW : SPAWN_PGRP_KEEP;
	/* Fire-and-forget as a PID namespace's init: our exit would end the namespace and
	 * kill COMMAND at once. Chain-loading NEXT keeps PID 1 alive, so it is allowed. */
	if (!o.wait && o.h.pidfd_fd < 0 && getpid() == 1)
		errx(EXIT_TOOL_FAILURE, "as PID 1, COMMAND cannot outlive autoreap (its exit ends "
					"the PID namespace): use --wait");
	pid_fd = pid_file_prepare(o.pid_file);
	if (!o.wait)
		fire_and_forget(&o, &req, pid_fd);
	prepare_wait(&o, &sv, &req, &orig, &ns);
	kernel = spawn_reaped(&o, &req, &res);
	cli_verbose_started(&o.c, res.cmd_pid, res.method);
	if (o.c.verbose && o.contain != CONTAIN_PGRP)
		warnx("containment: %s%s", contain_name(o.contain),
		      req.ns && ns.userns ? " (with a user namespace)" : "");
	status_start(&stream, "autoreap", res.cmd_pid, kernel, req.nnp,
		     o.setsid ? "session" : contain_name(o.contain), res.method, res.kflags);
	announce(&o, pid_fd, &req, &res);
	configure(&o, &sv, &res, kernel, &stream);
	status = supervise(&sv.cfg, &sv.st, &sv.res);
	supervise_restore_tty(&sv.st);
	supervise_release_group(&sv.st);
	if (req.ns)
		pidns_status(&ns, &status);
	if (status < 0)
		err(EXIT_TOOL_FAILURE, "cannot read the status of '%s'", o.c.cmd[0]);
	status_end(&stream, status, false, false, now_ns() - sv.res.start_ns, !kernel);
	exit_like(status);
}
