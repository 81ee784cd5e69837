/* duration.c: fuzzes parse_duration (--timeout, --grace).
 * Properties of what it accepts: a finite, non-negative number of nanoseconds; the same
 * result when parsed again; and the value, written back as plain seconds, parses back to
 * (nearly) itself, so that a duration the tool reports (-v, the status stream) is one it
 * would take. A refused input writes nothing. Nothing here depends on which spellings are
 * accepted (exponents, inf), which other work may widen. */
#include "config.h"

#include "common/util.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const int64_t unset = -42;
	int64_t ns = unset, again = unset, back = unset;
	char *s = fuzz_string(data, size);
	char text[64];

	if (parse_duration(s, &ns) < 0) {
		CHECK(ns == unset, s);
		free(s);
		return 0;
	}
	CHECK(ns >= 0, s);
	CHECK(parse_duration(s, &again) == 0 && again == ns, s);
	snprintf(text, sizeof(text), "%lld.%09lld", (long long)(ns / NS_PER_SEC),
		 (long long)(ns % NS_PER_SEC));
	CHECK(parse_duration(text, &back) == 0, text);
	/* A double holds 53 bits: past 2^53 ns (104 days) the last digits may move. */
	CHECK(back >= 0 && (back > ns ? back - ns : ns - back) <= 1 + ns / (INT64_C(1) << 50),
	      text);
	free(s);
	return 0;
}
