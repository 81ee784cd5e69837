/* autokill: run COMMAND on a leash that holds even when autokill is SIGKILLed.
 *
 * autokill [OPTION]... COMMAND [ARG]...
 *
 * COMMAND runs in its own process group and is supervised like timeout(1) supervises: its
 * status is passed through, signals sent to autokill are relayed to its group, and
 * --timeout runs an escalation ladder (HUP, grace, TERM, grace, KILL by default) that ends
 * as soon as nothing it targets is left (COMMAND and the rest of its process group). The leash: when autokill goes away for any reason, COMMAND
 * goes too.
 *   - kernel mode (Linux 7.1+): COMMAND is created with CLONE_PIDFD_AUTOKILL, so the kernel
 *     SIGKILLs it when autokill's pidfd is released, even by SIGKILL. Unprivileged callers
 *     need CLONE_NNP with it, so COMMAND cannot gain privileges through setuid programs.
 *   - userspace mode: a watcher process, forked before COMMAND, holds a lifeline whose
 *     other end autokill holds; COMMAND sends it its own pidfd over the lifeline before it
 *     executes (no moment unwatched); its hang-up runs the ladder on COMMAND's group. COMMAND's parent-death signal
 *     (the ladder's first step) is the floor if the watcher itself is killed.
 *
 * Hand-off: with --pidfd-fd=N, autokill execs NEXT (after a ';' argument) holding the
 * pidfd at fd N (the leash: in userspace mode the lifeline at N+1); with --send-pidfd=FD
 * it sends them over a unix socket and exits. Whoever holds them holds COMMAND's life.
 *
 * Run under the name `timeout` (a link), it takes GNU timeout's command line instead,
 * `timeout [OPTION] DURATION COMMAND [ARG]...`, with its meaning: SIG (default TERM) at the
 * timeout, KILL only with -k; the leash still holds.
 *
 * Exit status: COMMAND's own; 124 --timeout fired; 137 the ladder sent KILL; 125 autokill's
 * own failure or a usage error; 126 COMMAND cannot be executed; 127 COMMAND not found; when
 * COMMAND died of a signal nobody in autokill sent, autokill dies of the same signal. With
 * --preserve-status, a timeout gives COMMAND's status (128+N for signal N) instead of 124.
 */
#include "config.h"

#include <argp.h>
#include <err.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/compat.h"
#include "common/contain.h"
#include "common/features.h"
#include "common/handoff.h"
#include "common/keeper.h"
#include "common/leash.h"
#include "common/parent.h"
#include "common/pidfd.h"
#include "common/pidns.h"
#include "common/spawn.h"
#include "common/status.h"
#include "common/supervise.h"
#include "common/util.h"

struct opts {
	struct common_opts c;
	int64_t timeout_ns;
	struct ladder ladder;
	struct handoff h;
	int contain;
	bool wait_all;
	int signal;	    /* -s, or -1 */
	int64_t kill_after; /* -k, or -1 */
	bool ladder_set, grace_set;
	bool preserve_status;
	bool foreground;
	bool as_timeout;    /* run as `timeout`: GNU timeout's command line */
	bool duration_set;
};

enum { OPT_NO_NNP = 0x200, OPT_CONTAIN, OPT_WAIT_ALL, OPT_PRESERVE, OPT_FOREGROUND };

static const struct argp_option options[] = {
	{"timeout", 't', "DURATION", 0,
	 "run the ladder when COMMAND is still running after DURATION (0.5, 250ms, 2s, 1.5m, 1h, "
	 "1d; 0: never)", 0},
	{"ladder", 'L', "SIG,...", 0,
	 "the signals of the escalation ladder, in order; the last must be KILL "
	 "(default HUP,TERM,KILL)", 0},
	{"grace", 'g', "DURATION", 0, "time between two steps of the ladder (default 2s)", 0},
	{"signal", 's', "SIG", 0,
	 "timeout(1)'s way: at the timeout send SIG (0: nothing) instead of the ladder; KILL "
	 "follows only with -k", 0},
	{"kill-after", 'k', "DURATION", 0,
	 "send KILL this long after -s's SIG (default TERM); 0: never", 0},
	{"preserve-status", OPT_PRESERVE, NULL, 0,
	 "when --timeout fired, exit with COMMAND's status (128+N for signal N), not 124", 0},
	{"foreground", OPT_FOREGROUND, NULL, 0,
	 "COMMAND stays in autokill's process group: it may read the terminal and gets its "
	 "signals; only COMMAND itself is signalled, not its children", 0},
	{"no-nnp", OPT_NO_NNP, NULL, 0,
	 "never set no_new_privs; the kernel leash then needs CAP_SYS_ADMIN", 0},
	{"contain", OPT_CONTAIN, "MODE", 0,
	 "what gets the ladder and dies with COMMAND: pgrp (default: COMMAND's process group), "
	 "subreaper (every descendant, adopted by a keeper process that outlives autokill), "
	 "pidns (a new PID namespace), cgroup (a new cgroup v2 leaf), auto (the strongest the "
	 "system allows)", 5},
	{"wait-all", OPT_WAIT_ALL, NULL, 0,
	 "subreaper, cgroup: when COMMAND exits, wait for the rest of its tree to finish instead "
	 "of running the ladder on it (a usage error with pgrp or pidns)", 5},
	{0},
};

static void parse_ladder_arg(struct argp_state *state, struct ladder *l, char *arg)
{
	struct ladder_error e;

	if (parse_ladder(arg, l, &e) == 0)
		return;
	if (e.why == LADDER_NO_MEMORY)
		argp_failure(state, EXIT_TOOL_FAILURE, ENOMEM, "strdup");
	else if (e.why == LADDER_TOO_LONG)
		argp_error(state, "ladder '%s' has more than %d steps", arg, LADDER_MAX);
	else if (e.why == LADDER_BAD_SIGNAL)
		argp_error(state, "invalid signal '%.*s' in ladder '%s'", e.len, e.tok, arg);
	else
		argp_error(state, "ladder '%s' must end with KILL", arg);
}

/* -s: a signal as parse_signal reads it, or 0 (EXIT), timeout's "send nothing". */
static int parse_timeout_signal(const char *s, int *sig)
{
	const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;

	if (strcmp(s, "0") == 0 || strcasecmp(name, "EXIT") == 0) {
		*sig = 0;
		return 0;
	}
	return parse_signal(s, sig);
}

/* The operands of `timeout [OPTION] DURATION COMMAND [ARG]...`. */
static error_t timeout_operand(int key, char *arg, struct argp_state *state, struct opts *o)
{
	if (key == ARGP_KEY_END) {
		if (!o->duration_set)
			argp_error(state, "missing DURATION");
		if (!o->c.cmd)
			argp_error(state, "missing COMMAND");
		return 0;
	}
	if (parse_duration(arg, &o->timeout_ns) < 0)
		argp_error(state, "invalid duration '%s'", arg);
	o->duration_set = true;
	/* Options must precede operands: everything after DURATION is COMMAND's, so that
	 * `timeout 10 -v cmd` runs "-v", as GNU's getopt with "+" does. */
	if (state->next < state->argc) {
		o->c.cmd = &state->argv[state->next];
		state->next = state->argc;
	}
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		if (o->as_timeout)
			return 0;
		state->child_inputs[0] = &o->c;
		state->child_inputs[1] = &o->h;
		return 0;
	case ARGP_KEY_ARG:
	case ARGP_KEY_END:
		return o->as_timeout ? timeout_operand(key, arg, state, o) : ARGP_ERR_UNKNOWN;
	case 't':
		if (parse_duration(arg, &o->timeout_ns) < 0)
			argp_error(state, "invalid duration '%s'", arg);
		return 0;
	case 'g':
		if (parse_duration(arg, &o->ladder.grace_ns) < 0)
			argp_error(state, "invalid duration '%s'", arg);
		o->grace_set = true;
		return 0;
	case 'L':
		parse_ladder_arg(state, &o->ladder, arg);
		o->ladder_set = true;
		return 0;
	case 's':
		if (parse_timeout_signal(arg, &o->signal) < 0)
			argp_error(state, "invalid signal '%s'", arg);
		return 0;
	case 'k':
		if (parse_duration(arg, &o->kill_after) < 0)
			argp_error(state, "invalid duration '%s'", arg);
		return 0;
	case 'v':
		o->c.verbose++;
		return 0;
	case OPT_PRESERVE:
		o->preserve_status = true;
		return 0;
	case OPT_FOREGROUND:
		o->foreground = true;
		return 0;
	case OPT_NO_NNP:
		o->c.nnp = 0;
		return 0;
	case OPT_CONTAIN:
		o->contain = contain_parse(arg);
		if (o->contain < 0)
			argp_error(state, "invalid containment '%s' (pgrp, subreaper, pidns, cgroup or auto)",
				   arg);
		return 0;
	case OPT_WAIT_ALL:
		o->wait_all = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const char doc[] =
	"Run COMMAND on a leash: it dies when autokill dies, even by SIGKILL.\v"
	"The escalation ladder sends each signal to COMMAND's process group, followed by CONT, "
	"waits the grace, and ends as soon as nothing it targets is left (by default COMMAND and the "
	"rest of its process group). TERM, HUP or INT received by "
	"autokill are relayed and then continue the ladder; a second INT jumps to KILL; ALRM "
	"counts as the timeout firing; other signals are relayed as they are. -s and -k give "
	"timeout(1)'s ladder instead: SIG, and KILL only with -k. Run as `timeout` (a link), "
	"autokill takes timeout(1)'s command line. In a job of an interactive shell, a stop of "
	"COMMAND stops autokill, and COMMAND's environment names autokill in "
	"AUTOKILL_STOPS_FOLLOWED_BY, so that a tool run as COMMAND follows stops too.\n\n"
	"Exit status:\n"
	"  124  --timeout fired (or ALRM received), unless --preserve-status\n"
	"  125  autokill itself failed, or a usage error; nothing runs\n"
	"  126  COMMAND found but cannot be executed\n"
	"  127  COMMAND not found\n"
	"  137  the ladder had to send KILL\n"
	"  -    otherwise COMMAND's status; if it died of signal N, autokill dies of signal N";

static const struct argp argp = {options, parse_opt, "COMMAND [ARG]...", doc, cli_children,
				 NULL, NULL};

/* GNU timeout's options, and only those, for autokill run as `timeout`. */
static const struct argp_option timeout_options[] = {
	{"preserve-status", OPT_PRESERVE, NULL, 0,
	 "exit with the same status as COMMAND, even when the command times out", 0},
	{"foreground", OPT_FOREGROUND, NULL, 0,
	 "when not running timeout directly from a shell prompt, allow COMMAND to read from the "
	 "TTY and get TTY signals; in this mode, children of COMMAND will not be timed out", 0},
	{"kill-after", 'k', "DURATION", 0,
	 "also send a KILL signal if COMMAND is still running this long after the initial "
	 "signal was sent", 0},
	{"signal", 's', "SIGNAL", 0,
	 "specify the signal to be sent on timeout; SIGNAL may be a name like 'HUP' or a number",
	 0},
	{"verbose", 'v', NULL, 0, "diagnose to stderr any signal sent upon timeout", 0},
	{0},
};

static const char timeout_doc[] =
	"Start COMMAND, and kill it if still running after DURATION.\v"
	"DURATION is a floating point number with an optional suffix: 's' for seconds (the "
	"default), 'm' for minutes, 'h' for hours or 'd' for days. A duration of 0 disables the "
	"associated timeout.\n\n"
	"Upon timeout, send the TERM signal to COMMAND, if no other SIGNAL specified. This is "
	"autokill run as timeout: COMMAND is also on autokill's leash, so it dies when timeout "
	"is killed, even by SIGKILL (see autokill(1)).\n\n"
	"Exit status:\n"
	"  124  if COMMAND times out, and --preserve-status is not specified\n"
	"  125  if the timeout command itself fails\n"
	"  126  if COMMAND is found but cannot be invoked\n"
	"  127  if COMMAND cannot be found\n"
	"  137  if COMMAND (or timeout itself) is sent the KILL (9) signal (128+9)\n"
	"  -    the exit status of COMMAND otherwise";

static const struct argp timeout_argp = {timeout_options, parse_opt, "DURATION COMMAND [ARG]...",
					 timeout_doc, NULL, NULL, NULL};

const char *argp_program_version = "autokill " PACKAGE_VERSION;

/* -s and -k are timeout(1)'s ladder: SIG at the timeout, and KILL -k later if -k is given
 * and not 0. They replace --ladder and --grace, so combining them is a usage error. */
static void signal_ladder(struct opts *o)
{
	if (o->signal < 0 && o->kill_after < 0 && !o->as_timeout)
		return;
	if (o->ladder_set)
		usage_error("-s and -k build the ladder; they cannot be combined with --ladder");
	if (o->kill_after >= 0 && o->grace_set)
		usage_error("-k is the time before KILL; it cannot be combined with --grace");
	o->ladder.sig[0] = o->signal < 0 ? SIGTERM : o->signal;
	o->ladder.n = 1;
	if (o->kill_after > 0 && o->ladder.sig[0] != SIGKILL) {
		o->ladder.sig[o->ladder.n++] = SIGKILL;
		o->ladder.grace_ns = o->kill_after;
	}
}

static bool named_timeout(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	return strcmp(base ? base + 1 : argv0, "timeout") == 0;
}

static struct opts parse_args(int argc, char **argv)
{
	struct opts o = {
		.c = {.nnp = -1, .prog = "autokill", .status_fd = -1},
		.ladder = {{SIGHUP, SIGTERM, SIGKILL}, 3, 2 * NS_PER_SEC},
		.signal = -1,
		.kill_after = -1,
		.h = {.pidfd_fd = -1, .send_fd = -1, .env_prefix = "AUTOKILL", .env_leash = true},
		.as_timeout = argc > 0 && named_timeout(argv[0]),
	};
	char why[256];

	if (o.as_timeout) {
		/* No no_new_privs behind timeout's back: a kernel leash only with CAP_SYS_ADMIN,
		 * else the userspace one, so that `timeout 10 sudo ...` works as it does. */
		o.c.nnp = 0;
		o.c.prog = "timeout";
		cli_init("timeout", argv);
		argp_program_version = "timeout (autokill) " PACKAGE_VERSION;
		argp_parse(&timeout_argp, argc, argv, ARGP_IN_ORDER, NULL, &o);
	} else {
		cli_init("autokill", argv);
		argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &o);
	}
	signal_ladder(&o);
	if (o.foreground && o.contain != CONTAIN_PGRP)
		usage_error("--foreground leaves COMMAND in autokill's process group; it cannot be "
			    "combined with --contain=%s", contain_name(o.contain));
	if (handoff_finish(&o.h, o.c.cmd,
			   o.timeout_ns ? "--timeout needs autokill to stay; it cannot be combined with a hand-off" :
			   o.contain == CONTAIN_SUBREAPER || o.contain == CONTAIN_CGROUP ||
					   o.contain == CONTAIN_AUTO ?
					   "this --contain needs autokill to stay; with a hand-off use pgrp or pidns" :
					   NULL,
			   1, why, sizeof(why)) < 0)
		usage_error("%s", why);
	if (o.c.die_with_parent && (o.h.pidfd_fd >= 0 || o.h.send_fd >= 0))
		usage_error("--die-with-parent cannot be combined with a hand-off: the holder "
			    "decides when COMMAND dies");
	if (o.wait_all && (o.contain == CONTAIN_PGRP || o.contain == CONTAIN_PIDNS))
		usage_error("--wait-all needs --contain=subreaper, cgroup or auto: with %s nothing "
			    "of the tree is left to wait for when COMMAND exits",
			    contain_name(o.contain));
	cli_reserve_stdio();
	return o;
}

/* The first signal the leash sends: the ladder's first that sends something (`-s 0` sends
 * nothing) and that COMMAND does not ignore from the start (under nohup, HUP is ignored and
 * inherited so by COMMAND: it would be no floor at all), else KILL, which the leash always
 * ends with. */
static int leash_first_signal(const struct ladder *l)
{
	struct sigaction sa;

	for (int i = 0; i < l->n; i++)
		if (l->sig[i] != 0 &&
		    (sigaction(l->sig[i], NULL, &sa) < 0 || sa.sa_handler != SIG_IGN))
			return l->sig[i];
	return SIGKILL;
}

/* The kernel leash, when the mode allows it and the kernel has it (with the status readable
 * through PIDFD_GET_INFO): true once COMMAND runs with it. false: start it in userspace
 * mode (the reason said with -vv). Dies where --mode=kernel cannot be honoured. */
static bool spawn_kernel_leash(const struct opts *o, bool handing, struct spawn_req *req,
			       struct spawn_res *res)
{
	bool cap = has_cap_sys_admin();
	bool nnp = o->c.nnp == 1 || (o->c.nnp == -1 && !cap);

	/* An auto-reaped COMMAND's status comes only through PIDFD_GET_INFO, which a seccomp
	 * profile may refuse where the flags exist (on Linux 7.2, COMMAND ran and autokill
	 * then exited 125). A hand-off leaves at once and says status=unavailable instead.
	 * Older kernels lack both: there the flags' own refusal is the reason given. */
	if (o->c.mode != MODE_USERSPACE && !(o->c.nnp == 0 && !cap) && !handing &&
	    !pidfd_info_works() &&
	    clone3_accepts(CLONE_AUTOREAP | CLONE_NNP | CLONE_PIDFD_AUTOKILL)) {
		if (o->c.mode == MODE_KERNEL)
			errx(EXIT_TOOL_FAILURE, "kernel mode unavailable: PIDFD_GET_INFO refused");
		if (o->c.verbose > 1)
			warnx("mode=userspace: PIDFD_GET_INFO refused");
	} else if (o->c.mode != MODE_USERSPACE && !(o->c.nnp == 0 && !cap)) {
		req->kflags = CLONE_AUTOREAP | CLONE_PIDFD_AUTOKILL | (nnp ? CLONE_NNP : 0);
		req->nnp = nnp;
		if (spawn_kernel(req, res, o->c.mode == MODE_KERNEL, "CLONE_PIDFD_AUTOKILL") == 0) {
			if (o->c.verbose > 1)
				warnx("mode=kernel: CLONE_PIDFD_AUTOKILL, no_new_privs %s",
				      nnp ? (cap ? "applied (--nnp)" :
						   "applied (no CAP_SYS_ADMIN)") :
					    "not applied");
			return true;
		}
		if (o->c.verbose > 1)
			warnx("mode=userspace: clone3 with CLONE_PIDFD_AUTOKILL: %s",
			      strerror(res->err));
	} else if (o->c.mode == MODE_KERNEL) {
		errx(EXIT_TOOL_FAILURE,
		     "--no-nnp needs CAP_SYS_ADMIN for the kernel leash: without it, the kernel "
		     "only lets COMMAND be leashed with no_new_privs");
	} else if (o->c.verbose > 1) {
		warnx("mode=userspace: %s", o->c.mode == MODE_USERSPACE ?
						    "--mode=userspace" :
						    "--no-nnp without CAP_SYS_ADMIN");
	}
	return false;
}

/* Starts COMMAND with the kernel leash when the mode allows and the kernel has it, else
 * with the userspace leash's watcher started first (LEASH; not when handing off: hand_off
 * starts it once the floor holds). Returns true for the kernel leash. */
static bool spawn_leashed(const struct opts *o, const struct supervisor *sv,
			  struct leash *leash, struct spawn_req *req, struct spawn_res *res)
{
	bool handing = o->h.pidfd_fd >= 0 || o->h.send_fd >= 0;

	if (spawn_kernel_leash(o, handing, req, res))
		return true;
	req->kflags = 0;
	req->nnp = o->c.nnp == 1;
	/* The floor under the watcher: if both autokill and the watcher die, COMMAND still
	 * gets the first step of the ladder from the kernel. Not when handing off: autokill
	 * leaves at once, and NEXT must not find a child it did not fork; COMMAND is orphaned
	 * instead, its intermediate being the floor until the leash holds (spawn_release). */
	req->pdeathsig = handing ? 0 : leash_first_signal(&o->ladder);
	req->orphan = req->floor = handing;
	if (!handing && leash_prepare(sv, leash, "autokill-leash") < 0)
		errx(EXIT_TOOL_FAILURE, "cannot start the leash watcher: %s", strerror(errno));
	req->leash_sock = handing ? 0 : leash->lifeline;
	if (spawn_command(req, res) < 0) {
		/* COMMAND never ran: the watcher has nothing to leash. */
		if (leash->watcher_pidfd >= 0)
			leash_release(leash);
		spawn_die(o->c.cmd[0], res);
	}
	if (!handing && o->c.verbose > 1)
		warnx("leash watcher %d, ladder grace %.2fs", (int)leash->watcher_pid,
		      ns_to_s(o->ladder.grace_ns));
	return false;
}

/* Unprivileged PID namespaces need an unprivileged user namespace, which sysctls, LSMs
 * and a chroot can each refuse: ask the kernel, in a throwaway child. */
static bool pidns_allowed(void)
{
	pid_t pid;
	int st;

	if (has_cap_sys_admin())
		return true;
	pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER | CLONE_NEWPID) == 0 ? 0 : 1);
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The leaf this process created: removed on every way out of it, err() and spawn_die()
 * included (atexit), not only at the end of main(). A fork of ours that calls exit() must
 * not remove it, hence the pid. The watcher removes it when autokill is killed. */
static struct cgroup *made_cg;
static pid_t made_by;

static void remove_made_cgroup(void)
{
	if (made_cg && made_cg->dirfd >= 0 && getpid() == made_by)
		cgroup_remove(made_cg);
}

static int make_cgroup(struct cgroup *cg, char *why, size_t len)
{
	if (cgroup_create(cg, "autokill", why, len) < 0)
		return -1;
	if (!made_cg) {
		made_by = getpid();
		atexit(remove_made_cgroup);
	}
	made_cg = cg;
	return 0;
}

/* The strongest containment the system allows: a PID namespace (the kernel kills it
 * whole), else a cgroup v2 leaf, else the subreaper. */
static int contain_auto(struct cgroup *cg)
{
	char why[256];

	if (pidns_allowed())
		return CONTAIN_PIDNS;
	if (make_cgroup(cg, why, sizeof(why)) == 0)
		return CONTAIN_CGROUP;
	return CONTAIN_SUBREAPER;
}

/* Prepares the containment before COMMAND starts (in the keeper, for subreaper); NS
 * receives the PID namespace's. */
static void contain_setup(const struct opts *o, struct spawn_req *req, struct cgroup *cg,
			  struct pidns *ns)
{
	char why[512];

	switch (o->contain) {
	case CONTAIN_SUBREAPER:
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			err(EXIT_TOOL_FAILURE, "cannot become a child subreaper");
		break;
	case CONTAIN_PIDNS:
		pidns_prepare(ns, "autokill-init");
		req->ns = ns;
		break;
	case CONTAIN_CGROUP:
		if (cg->dirfd < 0 && make_cgroup(cg, why, sizeof(why)) < 0)
			errx(EXIT_TOOL_FAILURE, "--contain=cgroup: %s", why);
		req->cgroup_fd = cg->dirfd;
		break;
	}
	if (o->c.verbose > 1)
		warnx("containment: %s%s", contain_name(o->contain),
		      req->ns && req->ns->userns ? " (with a user namespace)" : "");
	if (o->c.verbose > 1 && o->contain == CONTAIN_CGROUP)
		warnx("cgroup: %s", cg->path);
}

static int exit_code(const struct opts *o, const struct supervise_result *res, int status)
{
	if (res->sent_kill)
		return EXIT_KILLED;
	if (res->timed_out && !o->preserve_status)
		return EXIT_TIMEDOUT;
	/* --preserve-status reports a signal as 128+N, as timeout(1) does: dying of a signal
	 * we sent ourselves would tell the caller we were killed. */
	if (res->timed_out)
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	exit_like(status);
}

/* The holder is someone else from now on: NEXT (chain-loading) or the socket's reader.
 * COMMAND is leashed first (the watcher, or the kernel's pidfd), then released by its
 * intermediate; any failure on the way takes COMMAND down before it is reported, so that
 * 125/126/127 keep meaning "nothing runs". With pidns, the holder gets COMMAND's own pidfd
 * and pid, passed up by the init, and the init's pidfd is the kernel mode's leash. */
static noreturn void hand_off(const struct opts *o, struct supervisor *sv,
			      const struct spawn_req *req, struct spawn_res *res, bool kernel)
{
	struct leash leash = {-1, 0, -1};
	bool same = res->cmd_pidfd == res->pidfd;
	char msg[512];
	int st, leash_fd;

	if (!kernel && leash_start(sv, &leash, o->h.pidfd_fd >= 0, false, "autokill-leash") < 0)
		spawn_fail(req, res, EXIT_TOOL_FAILURE, "cannot start the leash watcher: %s",
			   strerror(errno));
	spawn_release(res);
	if (!kernel && !req->ns)
		check_adopter(res->cmd_pidfd, res->cmd_pid,
			      "run the holder under a reaping init or subreaper, or use Linux 7.1+; "
			      "see autokill(1)");
	handoff_clear(&o->h, &res->pidfd);
	if (same)
		res->cmd_pidfd = res->pidfd;
	else
		handoff_clear(&o->h, &res->cmd_pidfd);
	handoff_clear(&o->h, &leash.lifeline);
	leash_fd = !kernel ? leash.lifeline : same ? -1 : res->pidfd;
	if (o->h.send_fd >= 0) {
		if (handoff_send(&o->h, res->cmd_pid, res->cmd_pidfd, leash_fd,
				 kernel ? "kernel" : "userspace") < 0)
			spawn_fail(req, res, EXIT_TOOL_FAILURE,
				   "--send-pidfd=%d: cannot send the pidfd: %s", o->h.send_fd,
				   strerror(errno));
		exit(0);
	}
	st = handoff_exec(&o->h, res->cmd_pid, res->cmd_pidfd, leash_fd, msg, sizeof(msg));
	spawn_fail(req, res, st, "%s", msg);
}

/* --features: what the kernel offers, and what --contain=auto would pick. */
static noreturn void show_features(void)
{
	struct cgroup cg = {.dirfd = -1, .eventsfd = -1};
	struct features f;
	int contain;

	probe_features(&f, "autokill-probe");
	print_features(&f, f.autokill && f.pidfd_get_info ? "kernel" : "userspace");
	contain = contain_auto(&cg);
	if (cg.dirfd >= 0)
		cgroup_remove(&cg);
	printf("contain=%s\n", contain_name(contain));
	exit(0);
}

/* Unless handing off: the signals autokill handles are blocked and read from now on (the
 * caller's mask saved in *ORIG, for COMMAND), and --die-with-parent watches the parent. */
static void take_signals(const struct opts *o, struct supervisor *sv, struct spawn_req *req,
			 sigset_t *orig)
{
	const char *call;

	if (pidfd_calls_work(&call) < 0)
		err(EXIT_TOOL_FAILURE, "cannot signal and wait through pidfds: %s", call);
	if (o->h.pidfd_fd >= 0 || o->h.send_fd >= 0) {
		/* Handed off, COMMAND's parent will not be us, nor follow its stops. */
		spawn_stops_followed(false);
		return;
	}
	sv->cfg.die_with_parent = o->c.die_with_parent;
	if (supervise_signals(sv, orig) < 0)
		err(EXIT_TOOL_FAILURE, "cannot set up signal handling");
	if (sv->cfg.die_with_parent)
		sv->st.ppid = parent_watch();
	req->mask = orig;
}

/* autokill (its keeper) leads the group, COMMAND joins it. When handing off, autokill goes
 * (or becomes NEXT): COMMAND leads a group of its own then. --foreground: COMMAND stays in
 * our group, which has the terminal if anyone does. */
static void lead_group(const struct opts *o, struct supervisor *sv, struct spawn_req *req)
{
	if (o->h.pidfd_fd >= 0 || o->h.send_fd >= 0 || o->foreground)
		return;
	supervise_lead_group(sv, "autokill-group");
	req->pgrp = SPAWN_PGRP_JOIN;
	req->pgid = sv->st.pgid;
}

/* What autokill's supervision of COMMAND is to do, as the options say: set before COMMAND
 * starts, for the leash watcher started then too. */
static void configure(const struct opts *o, struct supervisor *sv, struct status_stream *stream,
		      struct cgroup *cg)
{
	sv->cfg.status = stream;
	sv->cfg.contain = o->contain;
	sv->cfg.cg = o->contain == CONTAIN_CGROUP ? cg : NULL;
	sv->cfg.wait_all = o->wait_all;
	/* In a PID namespace, its init and COMMAND are members of the group too; KILL kills
	 * the init, and the kernel the rest of the namespace. */
	sv->cfg.group = !o->foreground;
	sv->cfg.foreground = o->foreground;
	sv->cfg.escalate = true;
	sv->cfg.ladder = o->ladder;
	sv->cfg.timeout_ns = o->timeout_ns;
	sv->cfg.verbose = o->c.verbose;
	sv->cfg.name = o->c.cmd[0];
	sv->cfg.alrm_fires = true;
	sv->cfg.timeout_compat = o->as_timeout;
}

/* With the kernel leash, a watcher still kills the cgroup whole on the holder's death
 * (the userspace leash's watcher started before COMMAND: spawn_leashed). */
static void start_watcher(const struct opts *o, struct supervisor *sv, struct leash *leash,
			  const struct spawn_req *req, struct spawn_res *res, bool kernel,
			  struct cgroup *cg)
{
	if (kernel && o->contain == CONTAIN_CGROUP &&
	    leash_start(sv, leash, false, true, "autokill-leash") < 0) {
		int e = errno;

		/* The cgroup would outlive a dead autokill: the leash is what autokill promises,
		 * so COMMAND goes before the failure is reported. */
		spawn_take_down(req, res);
		supervise_restore_tty(&sv->st);
		if (cg->dirfd >= 0)
			cgroup_remove(cg);
		errx(EXIT_TOOL_FAILURE, "cannot start the leash watcher: %s (COMMAND was killed)",
		     strerror(e));
	} else if (kernel && o->contain == CONTAIN_CGROUP && o->c.verbose > 1)
		warnx("leash watcher %d, ladder grace %.2fs", (int)leash->watcher_pid,
		      ns_to_s(o->ladder.grace_ns));
	sv->cfg.spare = leash->watcher_pid;
}

int main(int argc, char **argv)
{
	struct opts o = parse_args(argc, argv);
	struct supervisor sv = {.cfg.leash_fd = -1, .cfg.stops_fd = -1, .st.tty_fd = -1,
				.st.pgfd = -1};
	struct spawn_req req = {.pgrp = o.foreground ? SPAWN_PGRP_KEEP : SPAWN_PGRP_NEW,
				.tty_fd = -1, .argv = o.c.cmd};
	struct spawn_res res;
	struct leash leash = {-1, 0, -1};
	struct status_stream stream = {o.c.status_fd, false, false};
	struct cgroup cg = {.dirfd = -1, .eventsfd = -1};
	struct keeper keeper;
	struct pidns ns = {.status_r = -1, .status_w = -1, .stops_r = -1, .stops_w = -1};
	sigset_t orig;
	bool kernel;
	int status;

	/* A caller's ignored SIGCHLD (inherited across exec) would have the kernel reap our
	 * children before we wait for them: the keeper, the pidns probe, the leash watcher.
	 * COMMAND gets its own dispositions in spawn.c. */
	signal(SIGCHLD, SIG_DFL);
	if (o.c.features)
		show_features();
	take_signals(&o, &sv, &req, &orig);
	if (o.contain == CONTAIN_AUTO)
		o.contain = contain_auto(&cg);
	if (o.contain == CONTAIN_SUBREAPER &&
	    keeper_fork(&sv, &keeper, "autokill-keeper") == KEEPER_ROLE_HOLDER)
		keeper_hold(&sv, &keeper);
	contain_setup(&o, &req, &cg, &ns);
	sv.cfg.stops_fd = req.ns ? ns.stops_r : -1;
	lead_group(&o, &sv, &req);
	configure(&o, &sv, &stream, &cg);
	kernel = spawn_leashed(&o, &sv, &leash, &req, &res);
	if (o.c.verbose > 1)
		cli_verbose_started(&o.c, res.cmd_pid, res.method);
	status_start(&stream, "autokill", res.cmd_pid, kernel, req.nnp, contain_name(o.contain),
		     res.method, res.kflags);
	/* A keeper whose holder died does what the kernel's leash would: KILL at once. */
	sv.cfg.leash_kill = kernel;
	supervisor_as_tool(&sv, res.pidfd, res.pid, !kernel);
	if (o.h.pidfd_fd >= 0 || o.h.send_fd >= 0)
		hand_off(&o, &sv, &req, &res, kernel);
	start_watcher(&o, &sv, &leash, &req, &res, kernel, &cg);
	status = supervise(&sv.cfg, &sv.st, &sv.res);
	supervise_restore_tty(&sv.st);
	supervise_release_group(&sv.st);
	if (req.ns)
		pidns_status(&ns, &status);
	if (status >= 0)
		status_end(&stream, status, sv.res.timed_out, sv.res.sent_kill,
			   now_ns() - sv.res.start_ns, !kernel);
	if (leash.watcher_pidfd >= 0)
		leash_release(&leash);
	if (cg.dirfd >= 0)
		cgroup_remove(&cg);
	if (status < 0)
		err(EXIT_TOOL_FAILURE, "cannot read the status of '%s'", o.c.cmd[0]);
	return exit_code(&o, &sv.res, status);
}
