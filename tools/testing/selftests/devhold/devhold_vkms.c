// SPDX-License-Identifier: GPL-2.0
/*
 * Unload vkms while the worker of a nonblocking commit still holds the
 * commit's state, and with it a reference to the device:
 *
 *   devhold_vkms [MAX_PIXELS]
 *
 * The worker of a nonblocking atomic commit drops the commit's state, and
 * with it the device reference that the state holds, at its very end: after
 * the driver's commit tail, and after signalling cleanup_done.  The module
 * exit's drm_atomic_helper_shutdown() waits for the commit's hw_done and
 * flip_done, not for that end.  vkms' commit tail flushes the composer work
 * of the CRTC state that the commit replaces; with CRC capture on, that work
 * composes each frame in software, and for a large mode takes long enough
 * to keep the worker in the tail while rmmod goes through the exit.  No
 * delay is added to the kernel: the composition is vkms' own work.
 *
 * Steps: a blocking modeset to the largest mode of at most MAX_PIXELS
 * pixels (1920x1080 by default) with a full-screen primary plane; CRC
 * capture on, until two CRCs were read (the composition time is the
 * interval between them); CRC capture off, which lets the composition
 * under way finish; a nonblocking commit that switches the CRTC off, so
 * that its worker flushes that composition; close the device; unload vkms.
 *
 * Prints one line per step for devhold_bugs.sh: "composing WxH: N ms",
 * "committed", "closed", "unload-held OK|in-use|<error> after N ms", and
 * "unload waited: yes|no": whether the unloading thread was seen asleep in
 * an idle wait (state "I", which in rmmod is drm_module_wait()'s), that is
 * whether the unload overlapped the worker.  On 7.3 the unload returns
 * while the worker still flushes, which then runs vkms' freed code.  When
 * vkms' exit waits for its devices, the unload waits until the worker has
 * put the state, and "waited" says so: a run in which the worker was done
 * before the unload proves nothing.
 */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <drm/drm_fourcc.h>

#include "devhold_drm_util.h"

/* The value of a primary plane's "type" property (enum drm_plane_type). */
#define PLANE_TYPE_PRIMARY 1

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static atomic_int unloaded, unload_tid;
static int unload_ret, unload_errno;

/* As rmmod does: "in use" is EWOULDBLOCK with O_NONBLOCK. */
static void *unload(void *arg)
{
	(void)arg;
	atomic_store(&unload_tid, syscall(SYS_gettid));
	unload_ret = syscall(SYS_delete_module, "vkms", O_NONBLOCK);
	unload_errno = errno;
	atomic_store(&unloaded, 1);
	return NULL;
}

static int die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	return 1;
}

struct atomic_req {
	__u32 objs[4], counts[4], props[16];
	__u64 vals[16];
	unsigned int nobj, nprop;
};

static void add(struct atomic_req *r, __u32 obj, __u32 prop, __u64 val)
{
	if (!r->nobj || r->objs[r->nobj - 1] != obj) {
		r->objs[r->nobj] = obj;
		r->counts[r->nobj++] = 0;
	}
	r->counts[r->nobj - 1]++;
	r->props[r->nprop] = prop;
	r->vals[r->nprop++] = val;
}

static int commit(int fd, struct atomic_req *r, __u32 flags)
{
	struct drm_mode_atomic a = {
		.flags = flags,
		.count_objs = r->nobj,
		.objs_ptr = (unsigned long)r->objs,
		.count_props_ptr = (unsigned long)r->counts,
		.props_ptr = (unsigned long)r->props,
		.prop_values_ptr = (unsigned long)r->vals,
	};

	return ioctl(fd, DRM_IOCTL_MODE_ATOMIC, &a);
}

/* The primary plane of the CRTC of index 0. */
static __u32 primary_plane(int fd)
{
	struct drm_mode_get_plane_res pr = {};
	__u32 ids[32], i;
	__u64 type;

	if (ioctl(fd, DRM_IOCTL_MODE_GETPLANERESOURCES, &pr) || pr.count_planes > 32)
		return 0;
	pr.plane_id_ptr = (unsigned long)ids;
	if (ioctl(fd, DRM_IOCTL_MODE_GETPLANERESOURCES, &pr))
		return 0;
	for (i = 0; i < pr.count_planes; i++) {
		struct drm_mode_get_plane p = { .plane_id = ids[i] };

		if (ioctl(fd, DRM_IOCTL_MODE_GETPLANE, &p) || !(p.possible_crtcs & 1))
			continue;
		if (prop_id(fd, ids[i], DRM_MODE_OBJECT_PLANE, "type", &type) &&
		    type == PLANE_TYPE_PRIMARY)
			return ids[i];
	}
	return 0;
}

/* A connected connector and its largest mode of at most @max pixels. */
static __u32 connector_mode(int fd, unsigned long max, struct drm_mode_modeinfo *mode)
{
	struct drm_mode_card_res res = {};
	__u32 conns[16], i, j;

	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res) || res.count_connectors > 16)
		return 0;
	res.connector_id_ptr = (unsigned long)conns;
	res.count_crtcs = 0;
	res.count_encoders = 0;
	res.count_fbs = 0;
	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return 0;
	for (i = 0; i < res.count_connectors; i++) {
		struct drm_mode_get_connector c = { .connector_id = conns[i] };
		struct drm_mode_modeinfo modes[128];
		unsigned long best = 0;

		if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) || c.connection != 1 ||
		    !c.count_modes || c.count_modes > 128)
			continue;
		c.modes_ptr = (unsigned long)modes;
		c.count_props = 0;
		c.count_encoders = 0;
		if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c))
			continue;
		for (j = 0; j < c.count_modes; j++) {
			unsigned long px = (unsigned long)modes[j].hdisplay * modes[j].vdisplay;

			if (px <= max && px > best) {
				best = px;
				*mode = modes[j];
			}
		}
		if (best)
			return conns[i];
	}
	return 0;
}

static __u32 crtc0(int fd)
{
	struct drm_mode_card_res res = {};
	__u32 crtcs[16];

	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res) || !res.count_crtcs ||
	    res.count_crtcs > 16)
		return 0;
	res.crtc_id_ptr = (unsigned long)crtcs;
	res.count_connectors = 0;
	res.count_encoders = 0;
	res.count_fbs = 0;
	if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return 0;
	return crtcs[0];
}

/* Read one CRC line ("frame crc") from the CRC data file. */
static int read_crc(int fd)
{
	char line[64];
	ssize_t n = read(fd, line, sizeof(line));

	return n > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long max = argc > 1 ? strtoul(argv[1], NULL, 0) : 1920UL * 1080;
	struct drm_mode_create_dumb dumb = { .bpp = 32 };
	struct drm_mode_fb_cmd2 fb = { .pixel_format = DRM_FORMAT_XRGB8888 };
	struct drm_mode_create_blob blob = {};
	struct drm_mode_modeinfo mode;
	struct atomic_req on = {}, off = {};
	__u32 conn, crtc, plane;
	char path[128];
	struct stat st;
	long t0, t1;
	int fd, ctl, data, waited = 0;
	pthread_t u;

	fd = open_card("vkms");
	if (fd < 0) {
		fprintf(stderr, "no vkms device\n");
		return 1;
	}
	if (ioctl(fd, DRM_IOCTL_SET_CLIENT_CAP,
		  &(struct drm_set_client_cap){ DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1 }) ||
	    ioctl(fd, DRM_IOCTL_SET_CLIENT_CAP,
		  &(struct drm_set_client_cap){ DRM_CLIENT_CAP_ATOMIC, 1 }))
		return die("DRM_IOCTL_SET_CLIENT_CAP");
	conn = connector_mode(fd, max, &mode);
	crtc = crtc0(fd);
	plane = primary_plane(fd);
	if (!conn || !crtc || !plane) {
		fprintf(stderr, "no connector with a mode, CRTC or primary plane\n");
		return 1;
	}
	dumb.width = mode.hdisplay;
	dumb.height = mode.vdisplay;
	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb))
		return die("DRM_IOCTL_MODE_CREATE_DUMB");
	fb.width = dumb.width;
	fb.height = dumb.height;
	fb.handles[0] = dumb.handle;
	fb.pitches[0] = dumb.pitch;
	if (ioctl(fd, DRM_IOCTL_MODE_ADDFB2, &fb))
		return die("DRM_IOCTL_MODE_ADDFB2");
	blob.data = (unsigned long)&mode;
	blob.length = sizeof(mode);
	if (ioctl(fd, DRM_IOCTL_MODE_CREATEPROPBLOB, &blob))
		return die("DRM_IOCTL_MODE_CREATEPROPBLOB");

	add(&on, conn, prop_id(fd, conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", NULL), crtc);
	add(&on, crtc, prop_id(fd, crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", NULL), blob.blob_id);
	add(&on, crtc, prop_id(fd, crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", NULL), 1);
	add(&on, plane, prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "FB_ID", NULL), fb.fb_id);
	add(&on, plane, prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_ID", NULL), crtc);
	add(&on, plane, prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_X", NULL), 0);
	add(&on, plane, prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_Y", NULL), 0);
	add(&on, plane, prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_W", NULL),
	    (__u64)dumb.width << 16);
	add(&on, plane, prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_H", NULL),
	    (__u64)dumb.height << 16);
	add(&on, plane, prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_X", NULL), 0);
	add(&on, plane, prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_Y", NULL), 0);
	add(&on, plane, prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_W", NULL), dumb.width);
	add(&on, plane, prop_id(fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_H", NULL), dumb.height);
	if (commit(fd, &on, DRM_MODE_ATOMIC_ALLOW_MODESET))
		return die("modeset");

	/* CRC capture: each vblank queues a composition of the frame. */
	if (fstat(fd, &st))
		return die("fstat");
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%u/crtc-0/crc/control",
		 minor(st.st_rdev));
	ctl = open(path, O_WRONLY);
	if (ctl < 0 || write(ctl, "auto", 4) != 4)
		return die(path);
	close(ctl);
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%u/crtc-0/crc/data",
		 minor(st.st_rdev));
	data = open(path, O_RDONLY);
	if (data < 0 || read_crc(data))
		return die(path);
	t0 = now_ms();
	if (read_crc(data))
		return die(path);
	t1 = now_ms();
	printf("composing %ldx%ld: %ld ms\n", (long)dumb.width, (long)dumb.height, t1 - t0);
	/* Capture off: the composition under way (and one queued) still runs. */
	close(data);

	add(&off, crtc, prop_id(fd, crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", NULL), 0);
	if (commit(fd, &off, DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_ATOMIC_ALLOW_MODESET))
		return die("nonblocking commit");
	printf("committed\n");
	close(fd);
	printf("closed\n");
	fflush(stdout);

	t0 = now_ms();
	if (pthread_create(&u, NULL, unload, NULL)) {
		fprintf(stderr, "pthread_create failed\n");
		return 1;
	}
	/* Watch the unload until it returns (every ms): does it wait? */
	while (!atomic_load(&unloaded)) {
		if (atomic_load(&unload_tid) && thread_state(atomic_load(&unload_tid)) == 'I')
			waited = 1;
		usleep(1000);
	}
	pthread_join(u, NULL);
	t1 = now_ms();
	printf("unload-held %s after %ld ms\n", unload_ret == 0 ? "OK" :
	       unload_errno == EWOULDBLOCK || unload_errno == EBUSY ? "in-use" :
	       strerror(unload_errno), t1 - t0);
	printf("unload waited: %s\n", waited ? "yes" : "no");
	return 0;
}
