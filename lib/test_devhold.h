/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What test_devhold_provider publishes to test_devhold_holder.
 *
 * The holder finds the provider's devices on the platform bus and reads
 * this from their driver data under the device lock.  It never links
 * against the provider: a symbol dependency would pin the provider module
 * and hide exactly what the tests look for.
 */
#ifndef _LIB_TEST_DEVHOLD_H
#define _LIB_TEST_DEVHOLD_H

#include <linux/types.h>

struct device;
struct devhold;
struct devhold_domain;
struct module;

#define TEST_DEVHOLD_PROVIDER	"test_devhold_provider"

/**
 * struct test_devhold_provider_data - driver data of a bound provider device
 * @obj: the object holders pin: a device whose release runs provider code;
 *	NULL when only @hold applies
 * @domain: the provider's domain, or NULL when it has none (busted=nobarrier,
 *	or a provider with its own @hold)
 * @owner: the provider module
 * @counted: the provider's module exit waits for its objects (the counted
 *	model): holders pin @obj only; otherwise they pin @owner too
 * @hold: optional; takes the provider's own kind of hold (drm_dev_hold()
 *	for a DRM driver) instead of devhold_get_device() on @obj.  Called
 *	under the device lock while the device is bound.
 */
struct test_devhold_provider_data {
	struct device *obj;
	struct devhold_domain *domain;
	struct module *owner;
	bool counted;
	struct devhold *(*hold)(struct test_devhold_provider_data *data);
};

#endif /* _LIB_TEST_DEVHOLD_H */
