// SPDX-License-Identifier: GPL-2.0
/*
 * Close a DRM driver's fbdev device after the unbind, racing rmmod:
 *
 *   devhold_fbclose FBDEV UNBIND DEVICE MODULE [COMMAND]
 *
 * Opens FBDEV (/dev/fbN of the driver's fbdev emulation), unbinds its DRM
 * device by writing DEVICE to UNBIND (a driver's sysfs unbind file, or the
 * "enabled" file of a vkms configfs device, with DEVICE "0"), runs COMMAND
 * if given (with sh -c: what else keeps MODULE, such as the configfs
 * device, goes), then closes FBDEV while another thread unloads MODULE as
 * soon as it can.  The fbdev release
 * (fb_release(): the helper's fb_release callback, then put_fb_info())
 * drops the driver module reference that the open took before it drops the
 * fbdev client's reference to the DRM device, whose release then runs the
 * driver's DRM-managed actions and reads its drm_driver and KMS funcs.  On
 * 7.3 the unload can get in between.
 *
 * The window between the two is a few microseconds of the close; to make
 * the unload land in it, the closing thread runs SCHED_IDLE on the CPU of a
 * busy thread of normal policy, so that the scheduler preempts it at a tick
 * and leaves it off the CPU for long (no delay in the kernel, nothing that
 * could hide an ordering bug: the close and the unload are only stretched
 * out in time).  The unloading thread runs on the other CPU and retries
 * delete_module(O_NONBLOCK) while the module is in use.
 *
 * Prints "opened", "unbound", "closed", "unload-held OK|in-use|<error>
 * after N tries" and "unload began in the close: yes|no" for
 * devhold_bugs.sh: whether the delete_module() call that unloaded MODULE
 * began before close() returned, that is whether the unload raced the
 * release (a run in which it did not proves nothing), and "unload waited:
 * yes|no": whether the busy thread saw the unloading one asleep in an idle
 * wait (state "I": drm_module_wait()'s, in rmmod).  Needs two CPUs.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devhold_drm_util.h"

static atomic_int closed, hog_stop, unload_tid, waited;
static const char *module;
static int unload_ret, unload_errno, began_in_close;
static long tries;

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *hog(void *arg)
{
	(void)arg;
	pin(0);
	/* Busy, and watching whether the unload sleeps in an idle wait. */
	while (!atomic_load(&hog_stop))
		if (atomic_load(&unload_tid) && thread_state(atomic_load(&unload_tid)) == 'I')
			atomic_store(&waited, 1);
	return NULL;
}

static void *unload(void *arg)
{
	(void)arg;
	pin(1);
	atomic_store(&unload_tid, syscall(SYS_gettid));
	for (;;) {
		int done = atomic_load(&closed);

		tries++;
		unload_ret = syscall(SYS_delete_module, module, O_NONBLOCK);
		unload_errno = errno;
		began_in_close = !done;
		/* Once the close returned, one more try must do. */
		if (!unload_ret || done ||
		    (unload_errno != EWOULDBLOCK && unload_errno != EBUSY))
			break;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sched_param sp = {};
	pthread_t h, u;
	int fd, ufd;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: %s FBDEV UNBIND DEVICE MODULE [COMMAND]\n", argv[0]);
		return 1;
	}
	module = argv[4];
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "needs two CPUs\n");
		return 1;
	}
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	printf("opened\n");
	ufd = open(argv[2], O_WRONLY | O_CLOEXEC);
	if (ufd < 0 || write(ufd, argv[3], strlen(argv[3])) < 0) {
		perror(argv[2]);
		return 1;
	}
	close(ufd);
	printf("unbound\n");
	fflush(stdout);
	if (argc == 6 && system(argv[5])) {
		fprintf(stderr, "%s failed\n", argv[5]);
		return 1;
	}

	pin(0);
	if (pthread_create(&h, NULL, hog, NULL) || pthread_create(&u, NULL, unload, NULL)) {
		fprintf(stderr, "pthread_create failed\n");
		return 1;
	}
	if (sched_setscheduler(0, SCHED_IDLE, &sp))
		perror("SCHED_IDLE");
	close(fd);
	atomic_store(&closed, 1);
	atomic_store(&hog_stop, 1);
	pthread_join(h, NULL);
	pthread_join(u, NULL);
	printf("closed\n");
	printf("unload-held %s after %ld tries\n", unload_ret == 0 ? "OK" :
	       unload_errno == EWOULDBLOCK || unload_errno == EBUSY ? "in-use" :
	       strerror(unload_errno), tries);
	printf("unload began in the close: %s\n", !unload_ret && began_in_close ? "yes" : "no");
	printf("unload waited: %s\n", atomic_load(&waited) ? "yes" : "no");
	return 0;
}
