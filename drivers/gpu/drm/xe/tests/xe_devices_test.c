// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the count of xe devices that module unload waits for:
 * xe_devices_add() counts a device until the end of its release, and
 * xe_devices_wait(), which module exit calls, returns only when every
 * counted device is released and its release has returned.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/kthread.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_managed.h>

#include "tests/xe_kunit_helpers.h"
#include "xe_device_types.h"
#include "xe_module.h"

#define XE_DEVICES_TEST_WAIT	(10 * HZ)

struct xe_devices_test {
	struct device *parent;
	struct xe_device *xe;
	long count_in_action;		/* seen by a later release action */
	struct completion entered;	/* a release action started */
	struct completion go;		/* let it finish */
	struct completion started;	/* the waiter runs */
	struct completion waited;	/* xe_devices_wait() returned */
	struct completion put;		/* the last put returned */
	atomic_t threads;		/* running threads that use this */
};

/*
 * Runs after the device is gone.  A thread of a failed case may still use
 * the data, waiting for a device that another case leaked: leave it then.
 */
static void xe_devices_test_free(void *p)
{
	struct xe_devices_test *t = p;

	if (!atomic_read(&t->threads))
		kfree(t);
}

/* Runs before the device is released: a blocked release action goes on. */
static void xe_devices_test_go(void *p)
{
	struct xe_devices_test *t = p;

	complete_all(&t->go);
}

static struct xe_devices_test *xe_devices_test_dev(struct kunit *test)
{
	struct xe_devices_test *t = kzalloc(sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	init_completion(&t->entered);
	init_completion(&t->go);
	init_completion(&t->started);
	init_completion(&t->waited);
	init_completion(&t->put);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   xe_devices_test_free,
							   t));
	t->parent = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->parent);
	t->xe = xe_kunit_helper_alloc_xe_device(test, t->parent);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   xe_devices_test_go,
							   t));
	return t;
}

static bool xe_devices_test_wait(struct completion *done)
{
	return wait_for_completion_timeout(done, XE_DEVICES_TEST_WAIT);
}

static void xe_devices_test_record(struct drm_device *drm, void *p)
{
	struct xe_devices_test *t = p;

	t->count_in_action = xe_devices_count();
}

static void xe_devices_test_block(struct drm_device *drm, void *p)
{
	struct xe_devices_test *t = p;

	complete(&t->entered);
	wait_for_completion(&t->go);
}

static int xe_devices_test_wait_fn(void *p)
{
	struct xe_devices_test *t = p;

	complete(&t->started);
	xe_devices_wait();
	complete(&t->waited);
	atomic_dec(&t->threads);
	return 0;
}

/* Unbind: the device's last reference goes with the parent's driver. */
static int xe_devices_test_unbind_fn(void *p)
{
	struct xe_devices_test *t = p;

	device_release_driver(t->parent);
	complete(&t->put);
	atomic_dec(&t->threads);
	return 0;
}

static void xe_devices_test_run(struct kunit *test, int (*fn)(void *),
				struct xe_devices_test *t)
{
	struct task_struct *task;

	atomic_inc(&t->threads);
	task = kthread_run(fn, t, "xe-devices-test");
	if (IS_ERR(task))
		atomic_dec(&t->threads);
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
}

static int xe_devices_test_init(struct kunit *test)
{
	if (xe_devices_count() < 0)
		kunit_skip(test, "xe's module init did not set the count up");
	return 0;
}

/* xe_devices_wait() waits for all xe devices: none may be alive elsewhere. */
static void xe_devices_test_need_idle(struct kunit *test)
{
	long n = xe_devices_count();

	if (n)
		kunit_skip(test, "%ld xe devices are alive", n);
}

/*
 * A device counts from xe_devices_add() until its release has run every
 * drmm action xe added after it.
 */
static void xe_devices_test_count(struct kunit *test)
{
	struct xe_devices_test *t = xe_devices_test_dev(test);
	long n = xe_devices_count();

	KUNIT_ASSERT_EQ(test, 0, xe_devices_add(&t->xe->drm));
	KUNIT_EXPECT_EQ(test, xe_devices_count(), n + 1);
	KUNIT_ASSERT_EQ(test, 0, drmm_add_action_or_reset(&t->xe->drm,
							  xe_devices_test_record,
							  t));
	drm_kunit_helper_free_device(test, t->parent);	/* the last put */
	KUNIT_EXPECT_EQ(test, t->count_in_action, n + 1);
	KUNIT_EXPECT_EQ(test, xe_devices_count(), n);
}

/* Module exit waits for a device that is still referenced. */
static void xe_devices_test_wait_live(struct kunit *test)
{
	struct xe_devices_test *t;

	xe_devices_test_need_idle(test);
	t = xe_devices_test_dev(test);
	KUNIT_ASSERT_EQ(test, 0, xe_devices_add(&t->xe->drm));

	xe_devices_test_run(test, xe_devices_test_wait_fn, t);
	KUNIT_ASSERT_TRUE(test, xe_devices_test_wait(&t->started));
	KUNIT_EXPECT_EQ_MSG(test, 0UL, wait_for_completion_timeout(&t->waited, HZ / 5),
			    "xe_devices_wait() returned while a device is alive");
	drm_kunit_helper_free_device(test, t->parent);	/* the last put */
	KUNIT_EXPECT_TRUE(test, xe_devices_test_wait(&t->waited));
}

/*
 * Module exit also waits for the tail of a release: the drmm actions added
 * before xe_devices_add() run after the count has dropped, and so does the
 * return into drm_dev_release().
 */
static void xe_devices_test_wait_release_tail(struct kunit *test)
{
	struct xe_devices_test *t;

	xe_devices_test_need_idle(test);
	t = xe_devices_test_dev(test);
	KUNIT_ASSERT_EQ(test, 0, drmm_add_action_or_reset(&t->xe->drm,
							  xe_devices_test_block,
							  t));
	KUNIT_ASSERT_EQ(test, 0, xe_devices_add(&t->xe->drm));

	xe_devices_test_run(test, xe_devices_test_unbind_fn, t);
	KUNIT_ASSERT_TRUE(test, xe_devices_test_wait(&t->entered));
	KUNIT_EXPECT_EQ(test, xe_devices_count(), 0);

	xe_devices_test_run(test, xe_devices_test_wait_fn, t);
	KUNIT_ASSERT_TRUE(test, xe_devices_test_wait(&t->started));
	KUNIT_EXPECT_EQ_MSG(test, 0UL, wait_for_completion_timeout(&t->waited, HZ / 5),
			    "xe_devices_wait() returned while a release runs");
	complete_all(&t->go);
	KUNIT_EXPECT_TRUE(test, xe_devices_test_wait(&t->waited));
	KUNIT_EXPECT_TRUE(test, xe_devices_test_wait(&t->put));
}

static struct kunit_case xe_devices_tests[] = {
	KUNIT_CASE(xe_devices_test_count),
	KUNIT_CASE(xe_devices_test_wait_live),
	KUNIT_CASE(xe_devices_test_wait_release_tail),
	{}
};

static struct kunit_suite xe_devices_test_suite = {
	.name = "xe_devices",
	.init = xe_devices_test_init,
	.test_cases = xe_devices_tests,
};

kunit_test_suite(xe_devices_test_suite);
