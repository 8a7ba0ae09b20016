// SPDX-License-Identifier: GPL-2.0
/* mp3ctl.c - register and unregister processes (see mp3ctl.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mp3ctl.h"

int mp3ctl_write(const void *buf, size_t len)
{
	int fd = open(MP3_STATUS_PATH, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;	/* the module takes a command whole or refuses it */
	close(fd);
	return ret;
}

int mp3ctl(char cmd, pid_t pid)
{
	char line[32];
	int len = snprintf(line, sizeof(line), "%c %d\n", cmd, (int)pid);

	return mp3ctl_write(line, len);
}
