/* signal.c: fuzzes parse_signal (the ladder's steps).
 * Properties: what it accepts is a real signal number (1..SIGRTMAX); its name, from
 * signal_name (what -v and the status stream print), parses back to the same number, in
 * any case and with or without "SIG"; a refused input writes nothing. */
#include "config.h"

#include <ctype.h>
#include <signal.h>

#include "common/util.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sig = -42, back = -42;
	char *s = fuzz_string(data, size);
	char name[32];

	if (parse_signal(s, &sig) < 0) {
		CHECK(sig == -42, s);
		free(s);
		return 0;
	}
	CHECK(sig >= 1 && sig <= SIGRTMAX, s);
	snprintf(name, sizeof(name), "%s", signal_name(sig));
	CHECK(parse_signal(name, &back) == 0 && back == sig, name);
	if (!isdigit((unsigned char)name[0])) {
		char lower[40];
		size_t i;

		snprintf(lower, sizeof(lower), "sig%s", name);
		for (i = 0; lower[i]; i++)
			lower[i] = (char)tolower((unsigned char)lower[i]);
		back = -42;
		CHECK(parse_signal(lower, &back) == 0 && back == sig, lower);
	}
	free(s);
	return 0;
}
