// SPDX-License-Identifier: GPL-2.0
/*
 * Export a vivid capture buffer as a dma-buf, close the video device and
 * try to unload vivid while the dma-buf is still open:
 *
 *   devhold_vivid
 *
 * vivid must be loaded with allocators=1 (videobuf2-dma-contig).  Prints
 * one line per step for devhold_bugs.sh:
 *   "exported", "unload-held OK|in-use|<error>", "closed".
 * The buffer keeps its allocation device, vivid's platform device, and
 * nothing pins vivid: the unload succeeds.  On 7.3 vivid defines that
 * device in its module, and closing the dma-buf frees the buffer through
 * the device in the freed module.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/videodev2.h>

/* Open the first /dev/video* of vivid that captures video; -1 if none. */
static int open_vivid_capture(void)
{
	struct dirent *de;
	DIR *dir = opendir("/dev");
	int fd = -1;

	while (dir && (de = readdir(dir))) {
		struct v4l2_capability cap = {};
		char path[300];

		if (strncmp(de->d_name, "video", 5))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.driver, "vivid") &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
		    (cap.device_caps & V4L2_CAP_STREAMING))
			break;
		close(fd);
		fd = -1;
	}
	if (dir)
		closedir(dir);
	return fd;
}

int main(void)
{
	struct v4l2_requestbuffers req = {
		.count = 1,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	struct v4l2_exportbuffer exp = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.index = 0,
		.flags = O_RDWR | O_CLOEXEC,
	};
	int fd, ret;

	fd = open_vivid_capture();
	if (fd < 0) {
		fprintf(stderr, "no vivid capture device\n");
		return 1;
	}
	if (ioctl(fd, VIDIOC_REQBUFS, &req) || req.count < 1) {
		perror("VIDIOC_REQBUFS");
		return 1;
	}
	if (ioctl(fd, VIDIOC_EXPBUF, &exp)) {
		perror("VIDIOC_EXPBUF");
		return 1;
	}
	/* The queue lets its buffers go: the dma-buf keeps the one exported. */
	close(fd);
	printf("exported\n");
	fflush(stdout);

	/* As rmmod does: "in use" is EWOULDBLOCK with O_NONBLOCK. */
	ret = syscall(SYS_delete_module, "vivid", O_NONBLOCK);
	printf("unload-held %s\n", ret == 0 ? "OK" :
	       errno == EWOULDBLOCK || errno == EBUSY ? "in-use" : strerror(errno));
	fflush(stdout);

	close(exp.fd);
	printf("closed\n");
	return 0;
}
