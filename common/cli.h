/* cli.h: the options both tools share, as an argp child parser, and the command line's
 * split into COMMAND and (for hand-off) NEXT. */
#ifndef AUTOREAP_CLI_H
#define AUTOREAP_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <sys/types.h>

enum mode { MODE_AUTO, MODE_KERNEL, MODE_USERSPACE };

struct common_opts {
	int mode;	  /* enum mode */
	int verbose;	  /* -v given how many times */
	bool features;
	int nnp;	  /* -1: default, 0: --no-nnp, 1: --nnp */
	char **cmd;	  /* COMMAND [ARG]..., NULL-terminated (points into argv) */
	int status_fd;	  /* --status-fd, or -1 */
	bool die_with_parent;
	const char *prog; /* "autoreap" or "autokill" */
};

/* Put this in the tool's argp children; KEY_INIT of the tool must set
 * state->child_inputs[0] to its struct common_opts. */
extern const struct argp common_argp;

/* Both tools' argp children: common_argp (child_inputs[0]) and handoff_argp
 * (child_inputs[1], a struct handoff). */
extern const struct argp_child cli_children[];

/* Sets argp's globals (version, exit status 125 for usage errors) for the tool. */
void cli_init(const char *prog, char **argv);

/* Fds 0-2 that the caller closed get a close-on-exec /dev/null: no fd the tool creates
 * (a pidfd, a pipe, a socket) can then land on them, where a dup2 onto stdio or a message
 * written to stderr would hit it; and COMMAND, whose execve closes the placeholders, still
 * finds them closed, as its caller left them. Call once the options are parsed. */
void cli_reserve_stdio(void);

/* A usage error found after parsing: one line naming the problem plus the --help hint,
 * exit 125, as argp does for its own errors. */
_Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* With --verbose: "PROG: started PID with clone3|clone|fork". */
void cli_verbose_started(const struct common_opts *o, pid_t pid, const char *method);

#endif
