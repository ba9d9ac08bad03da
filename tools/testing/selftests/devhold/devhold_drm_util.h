/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the devhold selftests' helper programs: find a DRM device by
 * driver name, look up KMS properties, see whether a thread sleeps in an
 * idle wait.
 */
#ifndef DEVHOLD_DRM_UTIL_H
#define DEVHOLD_DRM_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>

/* Open the first /dev/dri/card* whose driver is @driver; -1 if none. */
static inline int open_card(const char *driver)
{
	struct dirent *de;
	DIR *dir = opendir("/dev/dri");
	int fd = -1;

	while (dir && (de = readdir(dir))) {
		struct drm_version v = {};
		char name[32] = "", path[300];

		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, driver))
			break;
		close(fd);
		fd = -1;
	}
	if (dir)
		closedir(dir);
	return fd;
}

/* The id of property @name of KMS object @obj, and its value; 0 if none. */
static inline __u32 prop_id(int fd, __u32 obj, __u32 type,
			    const char *name, __u64 *value)
{
	struct drm_mode_obj_get_properties op = { .obj_id = obj, .obj_type = type };
	__u32 ids[64];
	__u64 vals[64];
	__u32 i;

	if (ioctl(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op) || op.count_props > 64)
		return 0;
	op.props_ptr = (unsigned long)ids;
	op.prop_values_ptr = (unsigned long)vals;
	if (ioctl(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op))
		return 0;
	for (i = 0; i < op.count_props; i++) {
		struct drm_mode_get_property p = { .prop_id = ids[i] };

		if (ioctl(fd, DRM_IOCTL_MODE_GETPROPERTY, &p))
			continue;
		if (!strcmp(p.name, name)) {
			if (value)
				*value = vals[i];
			return ids[i];
		}
	}
	return 0;
}

/* The state letter of thread @tid of this process ("R", "S", "I"...). */
static inline char thread_state(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

#endif /* DEVHOLD_DRM_UTIL_H */
