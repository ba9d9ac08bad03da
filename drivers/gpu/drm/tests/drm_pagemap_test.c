// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the drm_pagemap provider pin: the hold drm_pagemap_init()
 * and drm_pagemap_reinit() take on the provider drm_device and the module
 * owning its driver, and its deferred release.
 *
 * The pagemaps here have no device-private memory behind them: the pin and
 * its release do not depend on it.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/devhold.h>
#include <linux/spinlock.h>

#include <drm/drm_drv.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_pagemap.h>

#define WAIT	(10 * HZ)

struct drm_pagemap_test {
	struct drm_device *drm;
	struct device *parent;
	const struct drm_driver *driver;
	struct drm_pagemap dpagemap;
	int destroyed;
	int owner_refs_at_destroy;	/* the provider is pinned across destroy */
	struct completion released;	/* the provider device's release */
	bool release_atomic;
	int owner_refs_at_release;
};

struct drm_pagemap_test_dev {
	struct drm_device drm;
	struct drm_pagemap_test *t;
};

static void drm_pagemap_test_destroy(struct drm_pagemap *dpagemap,
				     bool is_atomic_or_reclaim)
{
	struct drm_pagemap_test *t = container_of(dpagemap, typeof(*t), dpagemap);

	t->destroyed++;
	t->owner_refs_at_destroy = drm_kunit_helper_driver_module_refs(t->driver);
}

static const struct drm_pagemap_ops drm_pagemap_test_ops = {
	.destroy = drm_pagemap_test_destroy,
};

static void drm_pagemap_test_release(struct drm_device *drm)
{
	struct drm_pagemap_test *t = container_of(drm, struct drm_pagemap_test_dev, drm)->t;

	t->release_atomic = irqs_disabled();
	t->owner_refs_at_release = drm_kunit_helper_driver_module_refs(t->driver);
	complete(&t->released);
}

static const struct drm_driver drm_pagemap_test_driver = {
	.name = "drm-pagemap-test",
	.release = drm_pagemap_test_release,
};

static struct drm_pagemap_test *drm_pagemap_test_setup(struct kunit *test,
						       enum module_state state)
{
	struct drm_pagemap_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct drm_pagemap_test_dev *d;

	KUNIT_ASSERT_NOT_NULL(test, t);
	init_completion(&t->released);
	/* The provider driver, owned by a stand-in module in @state. */
	t->driver = drm_kunit_helper_owned_driver(test, &drm_pagemap_test_driver,
						  state);

	t->parent = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->parent);
	d = drm_kunit_helper_alloc_drm_device_with_driver(test, t->parent,
							  struct drm_pagemap_test_dev,
							  drm, t->driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d);
	d->t = t;
	t->drm = &d->drm;
	return t;
}

/* The provider's device and module are pinned until the release is done. */
static void drm_pagemap_test_pin_and_release(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_LIVE);
	unsigned int refs = kref_read(&t->drm->ref);

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_init(&t->dpagemap, NULL, t->drm,
						  &drm_pagemap_test_ops));
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs + 1);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 1);

	drm_pagemap_put(&t->dpagemap);
	KUNIT_EXPECT_EQ(test, t->destroyed, 1);
	KUNIT_EXPECT_EQ(test, t->owner_refs_at_destroy, 1);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 0);
}

/* The last put may come from atomic context (folio_free, notifier lock). */
static void drm_pagemap_test_release_atomic(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_LIVE);
	unsigned int refs = kref_read(&t->drm->ref);
	static DEFINE_SPINLOCK(lock);
	unsigned long flags;

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_init(&t->dpagemap, NULL, t->drm,
						  &drm_pagemap_test_ops));
	spin_lock_irqsave(&lock, flags);
	drm_pagemap_put(&t->dpagemap);
	spin_unlock_irqrestore(&lock, flags);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, t->destroyed, 1);
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 0);
}

/* A provider module that is going: init fails, nothing is pinned. */
static void drm_pagemap_test_going_provider(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_GOING);
	unsigned int refs = kref_read(&t->drm->ref);

	KUNIT_EXPECT_EQ(test, -ENODEV, drm_pagemap_init(&t->dpagemap, NULL, t->drm,
							&drm_pagemap_test_ops));
	devhold_flush();
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 0);
}

/*
 * A foreign holder (another device's VM whose preferred location is this
 * pagemap) keeps its reference across the provider's unbind: the provider
 * device and module stay pinned, and the holder's final put, from atomic
 * context, completes the release through devhold: destroy at once, the
 * device release later from the worker, the module unpinned last.
 */
static void drm_pagemap_test_foreign_holder_unbind(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_LIVE);
	static DEFINE_SPINLOCK(lock);
	struct drm_pagemap *foreign;
	unsigned long flags;

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_init(&t->dpagemap, NULL, t->drm,
						  &drm_pagemap_test_ops));
	foreign = drm_pagemap_get(&t->dpagemap);
	drm_pagemap_put(&t->dpagemap);
	drm_kunit_helper_free_device(test, t->parent);	/* unbind */
	KUNIT_EXPECT_EQ(test, t->destroyed, 0);
	KUNIT_EXPECT_FALSE(test, completion_done(&t->released));
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 1);

	spin_lock_irqsave(&lock, flags);
	drm_pagemap_put(foreign);
	spin_unlock_irqrestore(&lock, flags);
	KUNIT_EXPECT_EQ(test, t->destroyed, 1);
	KUNIT_EXPECT_EQ(test, t->owner_refs_at_destroy, 1);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->released, WAIT));
	KUNIT_EXPECT_FALSE(test, t->release_atomic);
	KUNIT_EXPECT_EQ(test, t->owner_refs_at_release, 1);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 0);
}

/*
 * Reinit from the cache while the previous hold is still queued: the old
 * and the new hold are independent, every count comes back.
 */
struct drm_pagemap_test_blocker {
	struct completion entered, go;
};

static void drm_pagemap_test_block(void *p)
{
	struct drm_pagemap_test_blocker *b = p;

	complete(&b->entered);
	wait_for_completion(&b->go);
}

static const struct devhold_ops drm_pagemap_test_blocker_ops = {
	.put = drm_pagemap_test_block,
};

static void drm_pagemap_test_reinit_while_queued(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_LIVE);
	unsigned int refs = kref_read(&t->drm->ref);
	struct drm_pagemap_test_blocker b;
	struct devhold_domain *domain;
	struct devhold *blocker;

	init_completion(&b.entered);
	init_completion(&b.go);
	domain = devhold_domain_create("drm-pagemap-test");
	KUNIT_ASSERT_NOT_NULL(test, domain);
	blocker = devhold_get(domain, &drm_pagemap_test_blocker_ops, &b, NULL,
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, blocker);

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_init(&t->dpagemap, NULL, t->drm,
						  &drm_pagemap_test_ops));
	/* Keep the devhold worker busy so the released hold stays queued. */
	devhold_put(blocker);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&b.entered, WAIT));
	drm_pagemap_put(&t->dpagemap);
	KUNIT_EXPECT_EQ(test, t->destroyed, 1);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 1);

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_reinit(&t->dpagemap));
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 2);
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs + 2);

	complete(&b.go);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs + 1);

	drm_pagemap_put(&t->dpagemap);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, t->destroyed, 2);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 0);
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs);
	devhold_domain_destroy(domain);
}

static struct kunit_case drm_pagemap_tests[] = {
	KUNIT_CASE(drm_pagemap_test_pin_and_release),
	KUNIT_CASE(drm_pagemap_test_release_atomic),
	KUNIT_CASE(drm_pagemap_test_going_provider),
	KUNIT_CASE(drm_pagemap_test_foreign_holder_unbind),
	KUNIT_CASE(drm_pagemap_test_reinit_while_queued),
	{}
};

static struct kunit_suite drm_pagemap_test_suite = {
	.name = "drm_pagemap",
	.test_cases = drm_pagemap_tests,
};

kunit_test_suite(drm_pagemap_test_suite);

MODULE_DESCRIPTION("KUnit tests for the drm_pagemap provider pin");
MODULE_LICENSE("GPL");
