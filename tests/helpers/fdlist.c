/* fdlist: prints the numbers of the file descriptors it was started with, on one line.
 *
 * fdlist [-o FILE]: -o writes the line to FILE instead of stdout (which may be closed). */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	DIR *d = opendir("/proc/self/fd");
	FILE *out = stdout;
	struct dirent *e;
	int self, n = 0, fds[1024];

	if (!d)
		return 2;
	self = dirfd(d);
	while ((e = readdir(d)) && n < 1024) {
		if (e->d_name[0] == '.')
			continue;
		if (atoi(e->d_name) != self)
			fds[n++] = atoi(e->d_name);
	}
	closedir(d);
	/* readdir order is the kernel's; sort for stable output. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			int t = fds[j];

			fds[j] = fds[j - 1];
			fds[j - 1] = t;
		}
	if (argc == 3 && strcmp(argv[1], "-o") == 0 && !(out = fopen(argv[2], "we")))
		return 2;
	for (int i = 0; i < n; i++)
		fprintf(out, i ? " %d" : "%d", fds[i]);
	fprintf(out, "\n");
	return fclose(out) == 0 ? 0 : 2;
}
