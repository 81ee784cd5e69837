/* features.h: what the running kernel offers, decided at run time. */
#ifndef AUTOREAP_FEATURES_H
#define AUTOREAP_FEATURES_H

#include <stdbool.h>

struct features {
	bool clone3;	       /* clone3(2) answers (not refused by seccomp) */
	bool autoreap;	       /* CLONE_AUTOREAP, Linux 7.1 */
	bool nnp;	       /* CLONE_NNP, Linux 7.1 */
	bool autokill;	       /* CLONE_PIDFD_AUTOKILL (with CLONE_NNP), Linux 7.1 */
	bool pidfd_exit_info;  /* PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux 6.15 */
	char kernel[65];
};

/* Runs the probes; leaves no process behind. */
void probe_features(struct features *f);

/* Prints one key=value line per feature on stdout, then mode=MODE. */
void print_features(const struct features *f, const char *mode);

#endif
