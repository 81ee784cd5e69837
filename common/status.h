/* status.h: the --status-fd stream, one JSON object per line.
 *
 *   {"event":"start","tool":T,"version":V,"pid":N,"mode":"kernel"|"userspace",
 *    "nnp":B,"contain":C,"spawn":"clone3"|"clone"|"fork","kernel_flags":[...]}
 *   {"event":"signal","signal":"TERM","target":"group"|"process","relayed":B,"elapsed":S}
 *   {"event":"end","exit_code":N|null,"signal":"NAME"|null,"core":B,"timed_out":B,
 *    "killed":B,"duration":S,"user_cpu":S|null,"sys_cpu":S|null,"max_rss_kib":N|null}
 *
 * A record that cannot be written within 100 ms is dropped rather than block the tool (and
 * while the reader has not caught up, the next ones are dropped without waiting); a
 * reader that has gone away (EPIPE) ends the stream, never the tool.
 */
#ifndef AUTOREAP_STATUS_H
#define AUTOREAP_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct status_stream {
	int fd; /* -1: no stream */
	bool broken;
	bool stalled; /* the last record could not be written: do not wait for the next */
};

/* The start record. KFLAGS: the clone3 flags of Linux 7.1 in effect. */
void status_start(struct status_stream *s, const char *tool, pid_t pid, bool kernel, bool nnp,
		  const char *contain, const char *method, uint64_t kflags);

/* Writes one record (a JSON object without the newline, printf-style). */
void status_emit(struct status_stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The end record for wait(2) status STATUS; with_rusage: the CPU times and peak RSS of our
 * reaped children are COMMAND's (not so for an auto-reaped COMMAND). */
void status_end(struct status_stream *s, int status, bool timed_out, bool killed,
		int64_t duration_ns, bool with_rusage);

#endif
