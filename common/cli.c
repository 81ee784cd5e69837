/* cli.c: the shared part of the command line. */
#include "config.h"

#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "handoff.h"
#include "util.h"

enum { OPT_MODE = 0x100, OPT_FEATURES, OPT_NNP, OPT_STATUS_FD, OPT_DIE_WITH_PARENT };

static const struct argp_option options[] = {
	{"mode", OPT_MODE, "MODE", 0,
	 "auto (default): the kernel's flags when the running kernel has them, else the "
	 "userspace fallback; kernel: refuse to run without them; userspace: always the "
	 "fallback", 20},
	{"nnp", OPT_NNP, NULL, 0, "start COMMAND with no_new_privs (setuid bits and file "
	 "capabilities are ignored at exec)", 20},
	{"die-with-parent", OPT_DIE_WITH_PARENT, NULL, 0,
	 "when the process that started this tool dies, COMMAND goes too (autokill: the ladder; "
	 "autoreap: KILL)", 20},
	{"verbose", 'v', NULL, 0, "say on stderr each signal sent; autoreap, and autokill given "
	 "-v twice, also which mode runs and why", 20},
	{"status-fd", OPT_STATUS_FD, "N", 0,
	 "write JSON lines to fd N: a start record, one per signal sent, and an end record", 20},
	{"features", OPT_FEATURES, NULL, 0,
	 "print what the running kernel offers, one key=value line each, and exit", 20},
	{0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct common_opts *o = state->input;

	switch (key) {
	case OPT_MODE:
		if (strcmp(arg, "auto") == 0)
			o->mode = MODE_AUTO;
		else if (strcmp(arg, "kernel") == 0)
			o->mode = MODE_KERNEL;
		else if (strcmp(arg, "userspace") == 0)
			o->mode = MODE_USERSPACE;
		else
			argp_error(state, "invalid mode '%s' (auto, kernel or userspace)", arg);
		return 0;
	case OPT_NNP:
		o->nnp = 1;
		return 0;
	case OPT_DIE_WITH_PARENT:
		o->die_with_parent = true;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case OPT_FEATURES:
		o->features = true;
		return 0;
	case OPT_STATUS_FD:
		if (parse_fd(arg, &o->status_fd) < 0)
			argp_error(state, "invalid fd number '%s'", arg);
		if (o->status_fd == 0 || fcntl(o->status_fd, F_GETFL) < 0 ||
		    (fcntl(o->status_fd, F_GETFL) & O_ACCMODE) == O_RDONLY)
			argp_error(state, "--status-fd=%s is not an fd open for writing", arg);
		/* The tool's stream, not COMMAND's (nor NEXT's): a COMMAND holding it would keep
		 * a reader such as $(...) waiting, and could forge records. */
		if (o->status_fd > 2)
			fcntl(o->status_fd, F_SETFD, FD_CLOEXEC);
		return 0;
	case ARGP_KEY_ARG:
		/* The first operand is COMMAND: everything from here on is COMMAND's, so that
		 * `autokill -v sleep -v 1` leaves the second -v to sleep. */
		o->cmd = &state->argv[state->next - 1];
		state->next = state->argc;
		return 0;
	case ARGP_KEY_END:
		if (!o->cmd && !o->features)
			argp_error(state, "missing COMMAND");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp common_argp = {options, parse_opt, NULL, NULL, NULL, NULL, NULL};

const struct argp_child cli_children[] = {
	{&common_argp, 0, NULL, 0},
	{&handoff_argp, 0, "Hand-off (see HAND-OFF in the man page):", 30},
	{0},
};

static const char *tool_name = PACKAGE;

void cli_init(const char *prog, char **argv)
{
	/* getopt names the program by argv[0] in its messages: make them all say "autokill:",
	 * whatever path the tool was run by. */
	argv[0] = (char *)prog;
	tool_name = prog;
	argp_program_version_hook = NULL;
	argp_err_exit_status = EXIT_TOOL_FAILURE;
}

void cli_reserve_stdio(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free number: FD itself, as the lower ones are open by now. */
		if (open("/dev/null", O_RDWR | O_CLOEXEC) != fd) {
			fprintf(stderr, "%s: cannot open /dev/null: %s\n", tool_name, strerror(errno));
			exit(EXIT_TOOL_FAILURE);
		}
	}
}

_Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry `%s --help' or `%s --usage' for more information.\n", tool_name,
		tool_name);
	exit(EXIT_TOOL_FAILURE);
}

void cli_verbose_started(const struct common_opts *o, pid_t pid, const char *method)
{
	if (o->verbose)
		fprintf(stderr, "%s: started %d with %s\n", o->prog, (int)pid, method);
}
