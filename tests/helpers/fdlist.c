/* fdlist: prints the numbers of the file descriptors it was started with, on one line. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	DIR *d = opendir("/proc/self/fd");
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
	for (int i = 0; i < n; i++)
		printf(i ? " %d" : "%d", fds[i]);
	printf("\n");
	return 0;
}
