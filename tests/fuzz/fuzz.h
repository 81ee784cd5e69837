/* fuzz.h: what every libFuzzer target here shares. The targets assert properties of what
 * the parsers accept, not only that they do not crash: a broken property aborts, which
 * libFuzzer reports like a crash, with the input saved as an artifact. */
#ifndef AUTOREAP_FUZZ_H
#define AUTOREAP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a string of exactly its own length, so that ASan sees any read past the
 * NUL (the parsers get what argv gives them: NUL-terminated text). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#define CHECK(cond, s)                                                                     \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: property broken: %s, input '%s'\n", __FILE__,      \
				__LINE__, #cond, (s));                                             \
			abort();                                                           \
		}                                                                          \
	} while (0)

#endif
