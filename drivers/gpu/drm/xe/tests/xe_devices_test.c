// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the count of xe devices that module unload waits for:
 * xe_devices_add() counts a device until the end of its release, and
 * xe_devices_wait(), which module exit calls, returns only when every
 * counted device is released and its release has returned.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>

#include <drm/drm_drv.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_managed.h>

#include "tests/xe_kunit_helpers.h"
#include "xe_device_types.h"
#include "xe_module.h"

#define WAIT	(10 * HZ)

struct xe_devices_test {
	struct kunit *test;
	struct device *parent;
	struct xe_device *xe;
	long count_in_action;		/* seen by a later release action */
	struct completion entered;	/* a release action started */
	struct completion go;		/* let it finish */
	struct completion waited;	/* xe_devices_wait() returned */
	struct completion put;		/* the last put returned */
};

static struct xe_devices_test *xe_devices_test_dev(struct kunit *test)
{
	struct xe_devices_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->test = test;
	init_completion(&t->entered);
	init_completion(&t->go);
	init_completion(&t->waited);
	init_completion(&t->put);
	t->parent = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->parent);
	t->xe = xe_kunit_helper_alloc_xe_device(test, t->parent);
	return t;
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

	xe_devices_wait();
	complete(&t->waited);
	return 0;
}

/* Unbind: the device's last reference goes with its parent. */
static int xe_devices_test_unbind_fn(void *p)
{
	struct xe_devices_test *t = p;

	drm_kunit_helper_free_device(t->test, t->parent);
	complete(&t->put);
	return 0;
}

static void xe_devices_test_run(struct kunit *test, int (*fn)(void *),
				struct xe_devices_test *t)
{
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(fn, t, "xe-devices-test")));
}

/* xe_devices_wait() waits for all xe devices: none may be alive elsewhere. */
static void xe_devices_test_need_idle(struct kunit *test)
{
	if (xe_devices_count())
		kunit_skip(test, "%ld xe devices are alive", xe_devices_count());
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
	KUNIT_EXPECT_EQ_MSG(test, 0UL, wait_for_completion_timeout(&t->waited, HZ / 5),
			    "xe_devices_wait() returned while a device is alive");
	drm_kunit_helper_free_device(test, t->parent);	/* the last put */
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&t->waited, WAIT));
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
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->entered, WAIT));
	KUNIT_EXPECT_EQ(test, xe_devices_count(), 0);

	xe_devices_test_run(test, xe_devices_test_wait_fn, t);
	KUNIT_EXPECT_EQ_MSG(test, 0UL, wait_for_completion_timeout(&t->waited, HZ / 5),
			    "xe_devices_wait() returned while a release runs");
	complete(&t->go);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&t->waited, WAIT));
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&t->put, WAIT));
}

static struct kunit_case xe_devices_tests[] = {
	KUNIT_CASE(xe_devices_test_count),
	KUNIT_CASE(xe_devices_test_wait_live),
	KUNIT_CASE(xe_devices_test_wait_release_tail),
	{}
};

static struct kunit_suite xe_devices_test_suite = {
	.name = "xe_devices",
	.test_cases = xe_devices_tests,
};

kunit_test_suite(xe_devices_test_suite);
