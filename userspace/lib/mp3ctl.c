// SPDX-License-Identifier: GPL-2.0
/* mp3ctl.c - register and unregister processes (see mp3ctl.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mp3ctl.h"

int mp3ctl(char cmd, pid_t pid)
{
	char line[32];
	int fd, len, err = 0;

	len = snprintf(line, sizeof(line), "%c %d\n", cmd, (int)pid);
	fd = open(MP3_STATUS_PATH, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, line, len) != len)
		err = -errno;
	close(fd);
	return err;
}
