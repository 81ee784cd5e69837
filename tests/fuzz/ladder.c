/* ladder.c: fuzzes parse_ladder (autokill -L).
 * Properties of an accepted ladder: 1..LADDER_MAX steps, one per comma-separated field (no
 * empty step skipped), each a real signal, the last KILL; written back with signal_name it
 * parses to the same ladder; the grace is left alone. A refusal names its reason, and a
 * refused step is one whole field of the input that parse_signal refuses too. */
#include "config.h"

#include <signal.h>

#include "common/supervise.h"
#include "common/util.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ladder l = {.grace_ns = 7}, back = {.grace_ns = 7};
	struct ladder_error e;
	char *s = fuzz_string(data, size);
	char text[LADDER_MAX * 16], *one;
	size_t fields = 1, len = 0;
	int sig;

	for (const char *p = s; *p; p++)
		fields += *p == ',';
	if (parse_ladder(s, &l, &e) < 0) {
		CHECK(l.grace_ns == 7, s);
		CHECK(e.why == LADDER_TOO_LONG || e.why == LADDER_BAD_SIGNAL ||
			      e.why == LADDER_NO_KILL,
		      s);
		CHECK(e.why != LADDER_NO_KILL || !*s ||
			      (parse_signal(strrchr(s, ',') ? strrchr(s, ',') + 1 : s, &sig) == 0 &&
			       sig != SIGKILL),
		      s);
		if (e.why == LADDER_TOO_LONG)
			CHECK(fields > LADDER_MAX, s);
		if (e.why == LADDER_BAD_SIGNAL) {
			CHECK(e.tok >= s && e.len >= 0 && e.tok + e.len <= s + strlen(s), s);
			CHECK(e.tok == s || e.tok[-1] == ',', s);
			CHECK(e.tok[e.len] == ',' || e.tok[e.len] == '\0', s);
			one = strndup(e.tok, (size_t)e.len);
			CHECK(one && parse_signal(one, &sig) < 0, s);
			free(one);
		}
		free(s);
		return 0;
	}
	CHECK(l.grace_ns == 7, s);
	CHECK(l.n >= 1 && l.n <= LADDER_MAX && (size_t)l.n == fields, s);
	CHECK(l.sig[l.n - 1] == SIGKILL, s);
	for (int i = 0; i < l.n; i++) {
		CHECK(l.sig[i] >= 1 && l.sig[i] <= SIGRTMAX, s);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", i ? "," : "",
					signal_name(l.sig[i]));
	}
	CHECK(parse_ladder(text, &back, &e) == 0 && back.n == l.n, text);
	CHECK(memcmp(back.sig, l.sig, sizeof(l.sig[0]) * (size_t)l.n) == 0, text);
	free(s);
	return 0;
}
