// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the devhold-based lifetime helpers of drm_drv.c:
 * drm_dev_release_barrier(), drm_dev_hold() and drm_dev_unhold().
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/devhold.h>
#include <linux/kthread.h>

#include <drm/drm_drv.h>
#include <drm/drm_kunit_helpers.h>

#define WAIT	(10 * HZ)

struct drm_devhold_test_dev {
	struct drm_device drm;
	struct completion *entered;	/* release started */
	struct completion *go;		/* let the release finish */
};

static void drm_devhold_test_release(struct drm_device *drm)
{
	struct drm_devhold_test_dev *d = container_of(drm, typeof(*d), drm);

	if (d->entered) {
		complete(d->entered);
		wait_for_completion(d->go);
	}
}

static const struct drm_driver drm_devhold_test_driver = {
	.name = "drm-devhold-test",
	.release = drm_devhold_test_release,
};

static struct drm_devhold_test_dev *
drm_devhold_test_dev(struct kunit *test, const struct drm_driver *driver,
		     struct device **parent)
{
	struct drm_devhold_test_dev *d;

	*parent = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, *parent);
	d = drm_kunit_helper_alloc_drm_device_with_driver(test, *parent,
							  struct drm_devhold_test_dev,
							  drm, driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d);
	return d;
}

struct drm_devhold_test_thread {
	struct drm_device *drm;
	struct completion done;
};

static int drm_devhold_test_put_fn(void *p)
{
	struct drm_devhold_test_thread *t = p;

	drm_dev_put(t->drm);
	complete(&t->done);
	return 0;
}

static int drm_devhold_test_barrier_fn(void *p)
{
	struct drm_devhold_test_thread *t = p;

	drm_dev_release_barrier();
	complete(&t->done);
	return 0;
}

static void drm_devhold_test_run(struct kunit *test, int (*fn)(void *), void *data)
{
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(fn, data, "drm-devhold-test")));
}

/* A release blocked in the driver's callback holds the barrier back. */
static void drm_test_dev_release_barrier_waits(struct kunit *test)
{
	struct drm_devhold_test_thread put = {}, barrier = {};
	struct completion entered, go;
	struct drm_devhold_test_dev *d;
	struct device *parent;

	init_completion(&entered);
	init_completion(&go);
	init_completion(&put.done);
	init_completion(&barrier.done);
	d = drm_devhold_test_dev(test, &drm_devhold_test_driver, &parent);
	d->entered = &entered;
	d->go = &go;

	/* Our reference becomes the last one once the parent is gone. */
	drm_dev_get(&d->drm);
	drm_kunit_helper_free_device(test, parent);
	put.drm = &d->drm;
	drm_devhold_test_run(test, drm_devhold_test_put_fn, &put);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&entered, WAIT));

	drm_devhold_test_run(test, drm_devhold_test_barrier_fn, &barrier);
	KUNIT_EXPECT_EQ_MSG(test, 0UL, wait_for_completion_timeout(&barrier.done, HZ / 5),
			    "barrier returned while a release callback runs");
	complete(&go);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&barrier.done, WAIT));
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&put.done, WAIT));
}

static void drm_test_dev_release_barrier_idle(struct kunit *test)
{
	struct drm_devhold_test_thread barrier = {};

	init_completion(&barrier.done);
	drm_devhold_test_run(test, drm_devhold_test_barrier_fn, &barrier);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&barrier.done, WAIT));
}

/*
 * Take and drop a hold on a device of @driver: the device, and the driver
 * module when @driver has one, are pinned while it is held and unpinned
 * after the release.
 */
static void drm_devhold_test_hold_cycle(struct kunit *test,
					const struct drm_driver *driver)
{
	struct drm_devhold_test_dev *d;
	struct device *parent;
	struct devhold *hold;
	unsigned int refs;

	d = drm_devhold_test_dev(test, driver, &parent);
	refs = kref_read(&d->drm.ref);
	hold = drm_dev_hold(&d->drm, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hold);
	KUNIT_EXPECT_EQ(test, kref_read(&d->drm.ref), refs + 1);
	if (driver->fops)
		KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(driver), 1);

	drm_dev_unhold(hold);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, kref_read(&d->drm.ref), refs);
	if (driver->fops)
		KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(driver), 0);
}

static void drm_test_dev_hold_pins_device_and_module(struct kunit *test)
{
	drm_devhold_test_hold_cycle(test,
				    drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
								  MODULE_STATE_LIVE));
}

static void drm_test_dev_hold_null_fops(struct kunit *test)
{
	drm_devhold_test_hold_cycle(test, &drm_devhold_test_driver);
}

static void drm_test_dev_hold_going_module(struct kunit *test)
{
	const struct drm_driver *driver;
	struct drm_devhold_test_dev *d;
	struct device *parent;
	struct devhold *hold;
	unsigned int refs;

	driver = drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
					       MODULE_STATE_GOING);
	d = drm_devhold_test_dev(test, driver, &parent);
	refs = kref_read(&d->drm.ref);
	hold = drm_dev_hold(&d->drm, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(hold), -ENODEV);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, kref_read(&d->drm.ref), refs);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(driver), 0);
}

static struct kunit_case drm_devhold_tests[] = {
	KUNIT_CASE(drm_test_dev_release_barrier_waits),
	KUNIT_CASE(drm_test_dev_release_barrier_idle),
	KUNIT_CASE(drm_test_dev_hold_pins_device_and_module),
	KUNIT_CASE(drm_test_dev_hold_null_fops),
	KUNIT_CASE(drm_test_dev_hold_going_module),
	{}
};

static struct kunit_suite drm_devhold_test_suite = {
	.name = "drm_devhold",
	.test_cases = drm_devhold_tests,
};

kunit_test_suite(drm_devhold_test_suite);

MODULE_DESCRIPTION("KUnit tests for the DRM device holds and release barrier");
MODULE_LICENSE("GPL");
