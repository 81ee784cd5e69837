/* harness.h: what several test helpers share. */
#ifndef AUTOREAP_TESTS_HARNESS_H
#define AUTOREAP_TESTS_HARNESS_H

#include <sys/types.h>

/* Our children's pids, from /proc/self/task/TID/children; returns how many. */
int list_children(pid_t *out, int max);

/* SIGKILLs (through pidfds) and reaps our children until none is left, including the
 * orphans that get reparented to us meanwhile (we are a subreaper). */
void kill_children(void);

/* Prints "PREFIXexit N" or "PREFIXsignal NAME" for wait(2) status ST. */
void print_wait_status(const char *prefix, int st);

#endif
