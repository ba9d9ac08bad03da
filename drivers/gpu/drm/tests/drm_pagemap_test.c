// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the drm_pagemap provider hold: the hold drm_pagemap_init()
 * and drm_pagemap_reinit() take on the provider drm_device (and not on the
 * module owning its driver when its exit waits for the device; on the
 * module too when it does not, which is refused while that module is
 * going or in its init), and its deferred release.
 *
 * Each provider has device-private memory made in software, the way
 * lib/test_hmm.c makes it: struct pages for a free physical address range
 * with no memory behind it.  drm_pagemap_migrate_to_devmem() moves the pages
 * of an anonymous mapping of the test's process there, so the pagemap is
 * held by device-private pages whose free reaches folio_free().
 */

#include <kunit/devhold.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/devhold.h>
#include <linux/dma-mapping.h>
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <drm/drm_drv.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_pagemap_util.h>

#define DRM_PAGEMAP_TEST_WAIT		(10 * HZ)
#define DRM_PAGEMAP_TEST_MEM_SIZE	SZ_2M	/* of device-private memory */
#define DRM_PAGEMAP_TEST_PAGES		4	/* migrated to it */

/* Whether preemptible() tells atomic context, under a spinlock included. */
#define DRM_PAGEMAP_TEST_SEES_ATOMIC \
	(IS_ENABLED(CONFIG_PREEMPT_COUNT) && !IS_ENABLED(CONFIG_PREEMPT_RT))

struct drm_pagemap_test {
	struct drm_device *drm;
	struct device *parent;
	const struct drm_driver *driver;
	struct drm_pagemap dpagemap;
	struct resource *res;		/* device-private memory: */
	struct dev_pagemap pgmap;	/* its struct pages */
	struct drm_pagemap_devmem devmem;
	int devmem_released;
	int created;			/* by a cache lookup */
	int destroyed;
	bool destroy_preemptible;
	struct devhold_domain *domain;	/* of the provider's driver module */
	long holds_at_destroy;		/* the provider is held across destroy */
	struct completion released;	/* the provider device's release */
	bool release_atomic;
	struct task_struct *release_task;
	long holds_at_release;
};

/* Holds on the provider's device (drm_dev_hold()), live or being put. */
static long drm_pagemap_test_holds(struct drm_pagemap_test *t)
{
	return devhold_domain_holds(t->domain);
}

static bool drm_pagemap_test_wait(struct completion *done)
{
	return wait_for_completion_timeout(done, DRM_PAGEMAP_TEST_WAIT);
}

struct drm_pagemap_test_dev {
	struct drm_device drm;
	struct drm_pagemap_test *t;
};

static void drm_pagemap_test_destroy(struct drm_pagemap *dpagemap,
				     bool is_atomic_or_reclaim)
{
	struct drm_pagemap_test *t = container_of(dpagemap, typeof(*t), dpagemap);

	t->destroyed++;
	t->destroy_preemptible = preemptible();
	t->holds_at_destroy = drm_pagemap_test_holds(t);
}

static const struct drm_pagemap_ops drm_pagemap_test_ops = {
	.destroy = drm_pagemap_test_destroy,
};

static void drm_pagemap_test_release(struct drm_device *drm)
{
	struct drm_pagemap_test *t = container_of(drm, struct drm_pagemap_test_dev, drm)->t;

	t->release_atomic = irqs_disabled();
	t->release_task = current;
	t->holds_at_release = drm_pagemap_test_holds(t);
	complete(&t->released);
}

static const struct drm_driver drm_pagemap_test_driver = {
	.name = "drm-pagemap-test",
	.release = drm_pagemap_test_release,
};

static void drm_pagemap_test_devmem_release(struct drm_pagemap_devmem *devmem)
{
	struct drm_pagemap_test *t = container_of(devmem, typeof(*t), devmem);

	t->devmem_released++;
}

static int drm_pagemap_test_populate_pfn(struct drm_pagemap_devmem *devmem,
					 unsigned long npages, unsigned long *pfn)
{
	struct drm_pagemap_test *t = container_of(devmem, typeof(*t), devmem);
	unsigned long i;

	if (npages > PHYS_PFN(resource_size(t->res)))
		return -ENOSPC;
	for (i = 0; i < npages; i++)
		pfn[i] = PHYS_PFN(t->res->start) + i;
	return 0;
}

/* The device-private pages have no memory behind them: nothing to copy. */
static int drm_pagemap_test_copy(struct page **pages,
				 struct drm_pagemap_addr *pagemap_addr,
				 unsigned long npages,
				 struct dma_fence *pre_migrate_fence)
{
	return 0;
}

static const struct drm_pagemap_devmem_ops drm_pagemap_test_devmem_ops = {
	.devmem_release = drm_pagemap_test_devmem_release,
	.populate_devmem_pfn = drm_pagemap_test_populate_pfn,
	.copy_to_devmem = drm_pagemap_test_copy,
	.copy_to_ram = drm_pagemap_test_copy,
};

static void drm_pagemap_test_memunmap(void *arg)
{
	struct drm_pagemap_test *t = arg;

	memunmap_pages(&t->pgmap);
	release_mem_region(t->res->start, resource_size(t->res));
}

/* Device-private memory made in software, as lib/test_hmm.c does. */
static void drm_pagemap_test_memremap(struct kunit *test,
				      struct drm_pagemap_test *t)
{
	void *addr;

	t->res = request_free_mem_region(&iomem_resource,
					 DRM_PAGEMAP_TEST_MEM_SIZE,
					 "drm-pagemap-test");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->res);
	t->pgmap.type = MEMORY_DEVICE_PRIVATE;
	t->pgmap.range.start = t->res->start;
	t->pgmap.range.end = t->res->end;
	t->pgmap.nr_range = 1;
	t->pgmap.ops = drm_pagemap_pagemap_ops_get();
	t->pgmap.owner = t;
	addr = memremap_pages(&t->pgmap, numa_node_id());
	if (IS_ERR(addr)) {
		release_mem_region(t->res->start, resource_size(t->res));
		KUNIT_FAIL_AND_ABORT(test, "memremap_pages(): %pe", addr);
	}
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   drm_pagemap_test_memunmap,
							   t));
}

/*
 * Runs before the provider's device and memory are torn down: drops the
 * pagemap references a failed case left behind, and lets every queued
 * release finish before the driver and its stand-in module are freed.
 */
static void drm_pagemap_test_cleanup(void *arg)
{
	struct drm_pagemap_test *t = arg;

	while (kref_read(&t->dpagemap.ref))
		drm_pagemap_put(&t->dpagemap);
	devhold_flush();
}

/*
 * The stand-in driver module's exit, as drm_module_pci_driver()'s: the
 * device's release may end after the test saw its driver callback (it
 * runs from a worker), and the module must not go before it has.
 */
static void drm_pagemap_test_module_exit(void *owner)
{
	drm_module_wait(owner);
}

static struct drm_pagemap_test *drm_pagemap_test_setup(struct kunit *test,
						       enum module_state state,
						       bool waits)
{
	struct drm_pagemap_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct drm_pagemap_test_dev *d;

	KUNIT_ASSERT_NOT_NULL(test, t);
	init_completion(&t->released);
	/* The provider driver, owned by a stand-in module in @state. */
	t->driver = drm_kunit_helper_owned_driver(test, &drm_pagemap_test_driver,
						  state, waits);
	/* Before it goes, the stand-in module's exit waits for its devices. */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, drm_pagemap_test_module_exit,
							   t->driver->fops->owner));

	t->parent = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->parent);
	/* drm_pagemap DMA-maps the pages it migrates for the provider. */
	KUNIT_ASSERT_EQ(test, 0, dma_coerce_mask_and_coherent(t->parent,
							      DMA_BIT_MASK(64)));
	d = drm_kunit_helper_alloc_drm_device_with_driver(test, t->parent,
							  struct drm_pagemap_test_dev,
							  drm, t->driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d);
	d->t = t;
	t->drm = &d->drm;
	t->domain = drm_dev_hold_domain(t->drm);
	drm_pagemap_test_memremap(test, t);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   drm_pagemap_test_cleanup,
							   t));
	return t;
}

static int drm_pagemap_test_init(struct drm_pagemap_test *t)
{
	return drm_pagemap_init(&t->dpagemap, &t->pgmap, t->drm,
				&drm_pagemap_test_ops);
}

/* The provider's device is held, and its module not pinned, until the release. */
static void drm_pagemap_test_pin_and_release(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_LIVE, true);
	unsigned int refs = kref_read(&t->drm->ref);

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_test_init(t));
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs + 1);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 1);

	drm_pagemap_put(&t->dpagemap);
	KUNIT_EXPECT_EQ(test, t->destroyed, 1);
	KUNIT_EXPECT_EQ(test, t->holds_at_destroy, 1);
	if (DRM_PAGEMAP_TEST_SEES_ATOMIC)
		KUNIT_EXPECT_TRUE(test, t->destroy_preemptible);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 0);
}

/*
 * The last put may come from atomic context (folio_free, notifier lock),
 * and may be the last reference to the provider device: the device release
 * then runs later, from the devhold worker.
 */
static void drm_pagemap_test_release_atomic(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_LIVE, true);
	static DEFINE_SPINLOCK(lock);
	unsigned long flags;

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_test_init(t));
	drm_kunit_helper_free_device(test, t->parent);	/* unbind */
	spin_lock_irqsave(&lock, flags);
	drm_pagemap_put(&t->dpagemap);
	spin_unlock_irqrestore(&lock, flags);
	KUNIT_EXPECT_EQ(test, t->destroyed, 1);
	KUNIT_ASSERT_TRUE(test, drm_pagemap_test_wait(&t->released));
	KUNIT_EXPECT_PTR_NE(test, t->release_task, current);
	KUNIT_EXPECT_FALSE(test, t->release_atomic);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 0);
}

/*
 * A provider module that is going: the pagemap still holds the device (the
 * module's exit waits for it) and never pins the module.
 */
static void drm_pagemap_test_going_provider(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_GOING, true);
	unsigned int refs = kref_read(&t->drm->ref);

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_test_init(t));
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs + 1);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 0);
	drm_pagemap_put(&t->dpagemap);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 0);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 0);
}

/*
 * A provider module whose exit does not wait for its devices: the pagemap
 * pins the module with the device, until its release is done.
 */
static void drm_pagemap_test_nowait_pins_module(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_LIVE, false);
	unsigned int refs = kref_read(&t->drm->ref);

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_test_init(t));
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs + 1);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 1);
	drm_pagemap_put(&t->dpagemap);
	KUNIT_EXPECT_EQ(test, t->destroyed, 1);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 0);
}

/*
 * A provider module that does not wait cannot be pinned while it is going
 * (-ENODEV) or still in its init (-EBUSY): the init fails, and neither the
 * device nor the module keeps a reference.
 */
static void drm_pagemap_test_nowait_refused(struct kunit *test,
					    enum module_state state, int err)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, state, false);
	unsigned int refs = kref_read(&t->drm->ref);

	int ret = drm_pagemap_test_init(t);

	KUNIT_EXPECT_EQ(test, ret, err);
	if (!ret) {
		/* Wrongly taken: dropped, so that the module's exit can end. */
		drm_pagemap_put(&t->dpagemap);
		devhold_flush();
		return;
	}
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 0);
	/* A failed init leaves nothing to put; the cleanup must not try. */
	refcount_set(&t->dpagemap.ref.refcount, 0);
}

static void drm_pagemap_test_nowait_going(struct kunit *test)
{
	drm_pagemap_test_nowait_refused(test, MODULE_STATE_GOING, -ENODEV);
}

static void drm_pagemap_test_nowait_coming(struct kunit *test)
{
	drm_pagemap_test_nowait_refused(test, MODULE_STATE_COMING, -EBUSY);
}

/*
 * A foreign holder (another device's VM whose preferred location is this
 * pagemap) keeps its reference across the provider's unbind: the provider
 * device stays held (its module is never pinned), and the holder's final
 * put, from atomic context, completes the release through devhold: destroy
 * at once, the device release later from the worker.
 */
static void drm_pagemap_test_foreign_holder_unbind(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_LIVE, true);
	static DEFINE_SPINLOCK(lock);
	struct drm_pagemap *foreign;
	unsigned long flags;

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_test_init(t));
	foreign = drm_pagemap_get(&t->dpagemap);
	drm_pagemap_put(&t->dpagemap);
	drm_kunit_helper_free_device(test, t->parent);	/* unbind */
	KUNIT_EXPECT_EQ(test, t->destroyed, 0);
	KUNIT_EXPECT_FALSE(test, completion_done(&t->released));
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 1);

	spin_lock_irqsave(&lock, flags);
	drm_pagemap_put(foreign);
	spin_unlock_irqrestore(&lock, flags);
	KUNIT_EXPECT_EQ(test, t->destroyed, 1);
	KUNIT_EXPECT_EQ(test, t->holds_at_destroy, 1);
	KUNIT_ASSERT_TRUE(test, drm_pagemap_test_wait(&t->released));
	KUNIT_EXPECT_FALSE(test, t->release_atomic);
	KUNIT_EXPECT_EQ(test, t->holds_at_release, 1);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 0);
}

/*
 * Device-private pages in the test's process hold the pagemap, and through
 * it the provider, across the provider's unbind.  Unmapping them frees the
 * pages under the page table lock: folio_free() drops the last pagemap
 * reference there, ->destroy runs at once, and the release completes through
 * devhold: the device release in the devhold worker.
 */
static void drm_pagemap_test_device_private_unbind(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_LIVE, true);
	const struct drm_pagemap_migrate_details mdetails = {};
	const unsigned long size = DRM_PAGEMAP_TEST_PAGES * PAGE_SIZE;
	unsigned long addr;
	int err;

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_test_init(t));
	addr = kunit_vm_mmap(test, NULL, 0, size, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE, 0);
	KUNIT_ASSERT_NE(test, addr, 0UL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));

	drm_pagemap_devmem_init(&t->devmem, t->parent, current->mm,
				&drm_pagemap_test_devmem_ops, &t->dpagemap,
				size, NULL);
	mmap_read_lock(current->mm);
	err = drm_pagemap_migrate_to_devmem(&t->devmem, current->mm, addr,
					    addr + size, &mdetails);
	mmap_read_unlock(current->mm);
	KUNIT_ASSERT_EQ(test, err, 0);
	/* The pages hold one pagemap reference besides ours. */
	KUNIT_EXPECT_EQ(test, kref_read(&t->dpagemap.ref), 2);

	drm_pagemap_put(&t->dpagemap);
	drm_kunit_helper_free_device(test, t->parent);	/* unbind */
	KUNIT_EXPECT_EQ(test, t->destroyed, 0);
	KUNIT_EXPECT_EQ(test, t->devmem_released, 0);
	KUNIT_EXPECT_FALSE(test, completion_done(&t->released));
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 1);

	KUNIT_ASSERT_EQ(test, 0, vm_munmap(addr, size));
	KUNIT_EXPECT_EQ(test, t->devmem_released, 1);
	KUNIT_EXPECT_EQ(test, t->destroyed, 1);
	KUNIT_EXPECT_EQ(test, t->holds_at_destroy, 1);
	if (DRM_PAGEMAP_TEST_SEES_ATOMIC)
		KUNIT_EXPECT_FALSE(test, t->destroy_preemptible);
	KUNIT_ASSERT_TRUE(test, drm_pagemap_test_wait(&t->released));
	KUNIT_EXPECT_PTR_NE(test, t->release_task, current);
	KUNIT_EXPECT_FALSE(test, t->release_atomic);
	KUNIT_EXPECT_EQ(test, t->holds_at_release, 1);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 0);
}

/*
 * Keeps the release work of drm_dev_hold()'s domain busy until released:
 * holds put on that domain meanwhile stay queued.
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

/* Also when a case fails: the worker goes on, then the blocker goes. */
static void drm_pagemap_test_unblock(void *p)
{
	struct drm_pagemap_test_blocker *b = p;

	complete_all(&b->go);
	devhold_flush();
	kfree(b);
}

static struct drm_pagemap_test_blocker *
drm_pagemap_test_blocker(struct kunit *test, struct drm_pagemap_test *t,
			 struct devhold **blocker)
{
	struct drm_pagemap_test_blocker *b = kzalloc(sizeof(*b), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	init_completion(&b->entered);
	init_completion(&b->go);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   drm_pagemap_test_unblock,
							   b));
	*blocker = devhold_get(t->domain, &drm_pagemap_test_blocker_ops, b,
			       NULL, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, *blocker);
	return b;
}

/* A cache lookup that creates the pagemap on a miss, as drivers do it. */
static struct drm_pagemap *drm_pagemap_test_lookup(struct kunit *test,
						   struct drm_pagemap_test *t,
						   struct drm_pagemap_cache *cache)
{
	struct drm_pagemap *dpagemap;

	KUNIT_ASSERT_EQ(test, 0, drm_pagemap_cache_lock_lookup(cache));
	dpagemap = drm_pagemap_get_from_cache(cache);
	if (!dpagemap && !drm_pagemap_test_init(t)) {
		t->created++;
		dpagemap = &t->dpagemap;
		drm_pagemap_cache_set_pagemap(cache, dpagemap);
	}
	drm_pagemap_cache_unlock_lookup(cache);
	return dpagemap;
}

/*
 * Reinit from the cache while the previous hold is still queued: a lookup in
 * the provider's drm_pagemap_cache reinitialises the inactive pagemap with a
 * new hold; the old and the new hold are independent, every count comes
 * back.
 */
static void drm_pagemap_test_reinit_while_queued(struct kunit *test)
{
	struct drm_pagemap_test *t = drm_pagemap_test_setup(test, MODULE_STATE_LIVE, true);
	unsigned int refs = kref_read(&t->drm->ref);
	struct drm_pagemap_shrinker *shrinker;
	struct drm_pagemap_test_blocker *b;
	struct drm_pagemap_cache *cache;
	struct drm_pagemap *dpagemap;
	struct devhold *blocker;

	shrinker = drm_pagemap_shrinker_create_devm(t->drm);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shrinker);
	cache = drm_pagemap_cache_create_devm(shrinker);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cache);
	b = drm_pagemap_test_blocker(test, t, &blocker);

	dpagemap = drm_pagemap_test_lookup(test, t, cache);
	KUNIT_ASSERT_PTR_EQ(test, dpagemap, &t->dpagemap);
	/* Keep the drm domain's release work busy: the released hold stays queued. */
	devhold_put_deferred(blocker);
	KUNIT_ASSERT_TRUE(test, drm_pagemap_test_wait(&b->entered));
	drm_pagemap_put(dpagemap);
	/* Inactive in the cache, not destroyed; its hold is queued. */
	KUNIT_EXPECT_EQ(test, t->destroyed, 0);
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 1 + 1 /* the blocker */);

	/* The lookup reinitialises the cached pagemap with a new hold. */
	dpagemap = drm_pagemap_test_lookup(test, t, cache);
	KUNIT_ASSERT_PTR_EQ(test, dpagemap, &t->dpagemap);
	if (t->created != 1)
		kunit_skip(test, "the pagemap shrinker ran between put and lookup");
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 2 + 1 /* the blocker */);
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs + 2);

	complete_all(&b->go);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs + 1);

	drm_pagemap_put(dpagemap);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, drm_pagemap_test_holds(t), 0);
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs);
	/* The provider's unbind takes the cache and its inactive pagemap. */
	drm_kunit_helper_free_device(test, t->parent);
	KUNIT_EXPECT_EQ(test, t->destroyed, 1);
}

static struct kunit_case drm_pagemap_tests[] = {
	KUNIT_CASE(drm_pagemap_test_pin_and_release),
	KUNIT_CASE(drm_pagemap_test_release_atomic),
	KUNIT_CASE(drm_pagemap_test_going_provider),
	KUNIT_CASE(drm_pagemap_test_nowait_pins_module),
	KUNIT_CASE(drm_pagemap_test_nowait_going),
	KUNIT_CASE(drm_pagemap_test_nowait_coming),
	KUNIT_CASE(drm_pagemap_test_foreign_holder_unbind),
	KUNIT_CASE(drm_pagemap_test_device_private_unbind),
	KUNIT_CASE(drm_pagemap_test_reinit_while_queued),
	{}
};

static struct kunit_suite drm_pagemap_test_suite = {
	.name = "drm_pagemap",
	.test_cases = drm_pagemap_tests,
};

kunit_test_suite(drm_pagemap_test_suite);

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

MODULE_DESCRIPTION("KUnit tests for the drm_pagemap provider hold");
MODULE_LICENSE("GPL");
