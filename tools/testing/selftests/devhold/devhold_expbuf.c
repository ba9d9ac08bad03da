// SPDX-License-Identifier: GPL-2.0
/*
 * Export a capture buffer of a V4L2 test driver as a dma-buf, close the
 * video device, unload the driver, use the dma-buf, load the driver again,
 * then let the dma-buf go:
 *
 *   devhold_expbuf DRIVER MODPROBE_ARGS...
 *
 * DRIVER is vivid or vimc, loaded with videobuf2-dma-contig (vivid
 * allocators=1, vimc allocator=1); MODPROBE_ARGS load it again.  Prints
 * one line per step for devhold_bugs.sh:
 *   "exported", "listed yes|no", "unload-held OK|in-use|<error>",
 *   "mapped OK|<error>", "reloaded OK|<status>", "closed",
 *   "released yes|no".
 * The buffer keeps its allocation device, the driver's platform device,
 * and nothing pins the driver: the unload succeeds.  On 7.3 the driver
 * defines that device in its module, and using or freeing the buffer
 * afterwards goes through the device in the freed module.  The last
 * reference is the mapping: the buffer is freed by the munmap(), and
 * must then be gone from the dma-buf debugfs list.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

/* Open the first /dev/video* of @driver that captures video; -1 if none. */
static int open_capture(const char *driver)
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
		    !strcmp((char *)cap.driver, driver) &&
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

/* Whether debugfs lists the dma-buf of inode @ino (its sixth column). */
static int listed(unsigned long ino)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	char line[512];
	int found = 0;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long i;

		if (sscanf(line, "%*s %*s %*s %*s %*s %lu", &i) == 1 && i == ino)
			found = 1;
	}
	if (f)
		fclose(f);
	return found;
}

static void step(const char *what, const char *result)
{
	printf("%s%s%s\n", what, *result ? " " : "", result);
	fflush(stdout);
}

int main(int argc, char **argv)
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
	struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };
	char cmd[512] = "modprobe";
	unsigned char *p;
	struct stat st;
	size_t size;
	int fd, ret, i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DRIVER MODPROBE_ARGS...\n", argv[0]);
		return 2;
	}
	for (i = 2; i < argc; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", argv[i]);

	fd = open_capture(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "no %s capture device\n", argv[1]);
		return 1;
	}
	if (ioctl(fd, VIDIOC_REQBUFS, &req) || req.count < 1) {
		perror("VIDIOC_REQBUFS");
		return 1;
	}
	if (ioctl(fd, VIDIOC_EXPBUF, &exp) || fstat(exp.fd, &st)) {
		perror("VIDIOC_EXPBUF");
		return 1;
	}
	size = lseek(exp.fd, 0, SEEK_END);
	/* The queue lets its buffers go: the dma-buf keeps the one exported. */
	close(fd);
	step("exported", "");
	step("listed", listed(st.st_ino) ? "yes" : "no");

	/* As rmmod does: "in use" is EWOULDBLOCK with O_NONBLOCK. */
	ret = syscall(SYS_delete_module, argv[1], O_NONBLOCK);
	step("unload-held", ret == 0 ? "OK" :
	     errno == EWOULDBLOCK || errno == EBUSY ? "in-use" : strerror(errno));

	/* The dma-buf's mmap, CPU access sync and memory, driver gone. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, exp.fd, 0);
	if (p == MAP_FAILED) {
		step("mapped", strerror(errno));
	} else if (ioctl(exp.fd, DMA_BUF_IOCTL_SYNC, &sync)) {
		step("mapped", strerror(errno));
	} else {
		p[0] = 0x5a;
		p[size - 1] = p[0];
		sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
		ret = ioctl(exp.fd, DMA_BUF_IOCTL_SYNC, &sync);
		step("mapped", ret ? strerror(errno) : p[size - 1] == 0x5a ? "OK" : "mismatch");
	}

	/* The driver again, under the same device name, the old one still out. */
	ret = system(cmd);
	step("reloaded", ret == 0 ? "OK" : "failed");

	/* The mapping holds the last reference: munmap() frees the buffer. */
	close(exp.fd);
	step("closed", "");
	if (p != MAP_FAILED)
		munmap(p, size);
	step("released", listed(st.st_ino) ? "no" : "yes");
	return 0;
}
