/* fd.c: fuzzes parse_fd (--status-fd, --pidfd-fd, --send-pidfd).
 * Properties: what it accepts is a non-negative fd number no larger than the kernel's
 * highest fd limit (fs.nr_open, 2^20 by default), written back in decimal it parses to
 * itself, and a refused input writes nothing. */
#include "config.h"

#include "common/util.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = -42, back = -42;
	char *s = fuzz_string(data, size);
	char text[16];

	if (parse_fd(s, &fd) < 0) {
		CHECK(fd == -42, s);
		free(s);
		return 0;
	}
	CHECK(fd >= 0 && fd <= 1 << 20, s);
	snprintf(text, sizeof(text), "%d", fd);
	CHECK(parse_fd(text, &back) == 0 && back == fd, text);
	free(s);
	return 0;
}
