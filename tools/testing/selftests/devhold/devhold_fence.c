// SPDX-License-Identifier: GPL-2.0
/*
 * Keep a vgem fence in a sync_file, close everything else, and try to
 * unload vgem while the sync_file is still open:
 *
 *   devhold_fence
 *
 * Prints one line per step for devhold_bugs.sh:
 *   "exported", "unload-held OK|in-use|<error>", "closed".
 * Closing the sync_file releases the fence: on 7.3 its release callback is
 * vgem's, and with vgem gone that is a use-after-free.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <drm/vgem_drm.h>
#include <linux/dma-buf.h>

#include "devhold_drm_util.h"

int main(void)
{
	struct drm_mode_create_dumb dumb = { .width = 64, .height = 64, .bpp = 32 };
	struct drm_vgem_fence_attach attach = { .flags = VGEM_FENCE_WRITE };
	struct drm_prime_handle prime = { .flags = DRM_CLOEXEC | DRM_RDWR };
	struct dma_buf_export_sync_file sync = { .flags = DMA_BUF_SYNC_RW };
	int fd, ret;

	fd = open_card("vgem");
	if (fd < 0) {
		fprintf(stderr, "no vgem device\n");
		return 1;
	}
	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb)) {
		perror("DRM_IOCTL_MODE_CREATE_DUMB");
		return 1;
	}
	attach.handle = dumb.handle;
	if (ioctl(fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &attach)) {
		perror("DRM_IOCTL_VGEM_FENCE_ATTACH");
		return 1;
	}
	prime.handle = dumb.handle;
	if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime)) {
		perror("DRM_IOCTL_PRIME_HANDLE_TO_FD");
		return 1;
	}
	/* The fence is unsignalled yet: the sync_file gets it, not a stub. */
	if (ioctl(prime.fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &sync)) {
		perror("DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
		return 1;
	}
	/* vgem signals the file's fences when it is closed. */
	close(prime.fd);
	close(fd);
	printf("exported\n");
	fflush(stdout);

	/* As rmmod does: "in use" is EWOULDBLOCK with O_NONBLOCK. */
	ret = syscall(SYS_delete_module, "vgem", O_NONBLOCK);
	printf("unload-held %s\n", ret == 0 ? "OK" :
	       errno == EWOULDBLOCK || errno == EBUSY ? "in-use" : strerror(errno));
	fflush(stdout);

	close(sync.fd);
	printf("closed\n");
	return 0;
}
