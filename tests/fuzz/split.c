/* split.c: fuzzes handoff_split, the COMMAND ';' NEXT split of --pidfd-fd.
 * The input is an argument vector, one argument per line. Properties: a split happens at
 * the first ";" exactly, with a non-empty COMMAND before it and a non-empty NEXT after it;
 * COMMAND then ends there, NEXT is the rest, and no argument is lost, moved or changed;
 * otherwise the reason matches the case and the arguments are untouched, except that a
 * leading ";" (missing COMMAND) may have been cut. */
#include "config.h"

#include "common/handoff.h"
#include "fuzz.h"

enum { MAX_ARGS = 64 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), *save = NULL;
	char *orig[MAX_ARGS + 1], *argv[MAX_ARGS + 1], **next;
	const char *why = NULL;
	int n = 0, semi = -1;

	/* strtok would merge empty lines: an empty argument is an argument. */
	for (char *p = s; n < MAX_ARGS; p = save + 1) {
		save = strchr(p, '\n');
		orig[n++] = p;
		if (!save)
			break;
		*save = '\0';
	}
	orig[n] = NULL;
	memcpy(argv, orig, sizeof(orig));
	for (int i = 0; i < n && semi < 0; i++)
		if (strcmp(orig[i], ";") == 0)
			semi = i;
	next = handoff_split(argv, &why);
	if (next) {
		CHECK(semi > 0 && semi < n - 1, s);
		CHECK(next == &argv[semi + 1] && argv[semi] == NULL, s);
		for (int i = 0; i <= n; i++)
			CHECK(i == semi || argv[i] == orig[i], s);
	} else {
		CHECK(why && *why, s);
		if (semi < 0 || semi == n - 1)
			CHECK(strstr(why, "needs") && memcmp(argv, orig, sizeof(orig)) == 0, s);
		else
			CHECK(semi == 0 && strstr(why, "missing COMMAND"), s);
	}
	free(s);
	return 0;
}
