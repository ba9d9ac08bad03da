// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the device count of DRM driver modules (drm_drv.c): each
 * module counts its devices until the end of their release,
 * drm_module_wait() waits for them, drm_module_gone() reports and waits for
 * devices a going module left, and drm_dev_hold() holds a device without
 * pinning its driver module.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/devhold.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_kunit_helpers.h>

#define WAIT	(10 * HZ)

/*
 * Blocks a device release in the driver's callback until the test lets it
 * go.  Shared by the release and the test, freed by whichever is last: a
 * test that fails early leaves it to the release.
 */
struct drm_devhold_test_gate {
	struct kref ref;
	struct completion entered;
	struct completion go;
};

/* What a release saw; the test's, as the device is gone after it. */
struct drm_devhold_test_seen {
	long objs;			/* the device count */
	long wait;			/* drm_module_wait(), when asked for */
	bool call_wait;
};

struct drm_devhold_test_dev {
	struct drm_device drm;
	struct drm_devhold_test_gate *gate;
	struct drm_devhold_test_seen *seen;
};

static void drm_devhold_test_gate_free(struct kref *ref)
{
	kfree(container_of(ref, struct drm_devhold_test_gate, ref));
}

static void drm_devhold_test_gate_open(void *p)
{
	struct drm_devhold_test_gate *gate = p;

	complete_all(&gate->go);
	kref_put(&gate->ref, drm_devhold_test_gate_free);
}

static void drm_devhold_test_release(struct drm_device *drm)
{
	struct drm_devhold_test_dev *d = container_of(drm, typeof(*d), drm);
	struct drm_devhold_test_gate *gate = d->gate;

	if (d->seen) {
		d->seen->objs = devhold_domain_objs(drm_dev_hold_domain(drm));
		if (d->seen->call_wait)
			d->seen->wait = drm_module_wait(drm->driver->fops->owner);
	}
	if (gate) {
		complete(&gate->entered);
		wait_for_completion(&gate->go);
		kref_put(&gate->ref, drm_devhold_test_gate_free);
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

/* A device of a driver owned by a stand-in module of the test's own. */
static struct drm_devhold_test_dev *
drm_devhold_test_owned_dev(struct kunit *test, enum module_state state,
			   struct device **parent)
{
	return drm_devhold_test_dev(test,
				    drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
								  state),
				    parent);
}

static struct module *drm_devhold_test_owner(struct drm_devhold_test_dev *d)
{
	return d->drm.driver->fops->owner;
}

/* Makes the release of @d block in the driver's callback. */
static struct drm_devhold_test_gate *
drm_devhold_test_gate(struct kunit *test, struct drm_devhold_test_dev *d)
{
	struct drm_devhold_test_gate *gate = kzalloc(sizeof(*gate), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, gate);
	kref_init(&gate->ref);
	init_completion(&gate->entered);
	init_completion(&gate->go);
	kref_get(&gate->ref);		/* the release's */
	d->gate = gate;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, drm_devhold_test_gate_open,
							   gate));
	return gate;
}

/*
 * A call in a kthread.  Its data is shared by the thread and the test and
 * freed by whichever is last, so a test that fails early leaves nothing
 * the thread still uses.
 */
struct drm_devhold_test_thread {
	struct kref ref;
	long (*fn)(void *arg);
	void *arg;
	long ret;
	struct completion done;
};

static void drm_devhold_test_thread_free(struct kref *ref)
{
	kfree(container_of(ref, struct drm_devhold_test_thread, ref));
}

static void drm_devhold_test_thread_put(void *p)
{
	struct drm_devhold_test_thread *t = p;

	kref_put(&t->ref, drm_devhold_test_thread_free);
}

static int drm_devhold_test_thread_fn(void *p)
{
	struct drm_devhold_test_thread *t = p;

	t->ret = t->fn(t->arg);
	complete(&t->done);
	drm_devhold_test_thread_put(t);
	return 0;
}

static struct drm_devhold_test_thread *
drm_devhold_test_run(struct kunit *test, long (*fn)(void *), void *arg)
{
	struct drm_devhold_test_thread *t = kzalloc(sizeof(*t), GFP_KERNEL);
	struct task_struct *task;

	KUNIT_ASSERT_NOT_NULL(test, t);
	kref_init(&t->ref);
	init_completion(&t->done);
	t->fn = fn;
	t->arg = arg;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, drm_devhold_test_thread_put,
							   t));
	kref_get(&t->ref);		/* the thread's */
	task = kthread_run(drm_devhold_test_thread_fn, t, "drm-devhold-test");
	if (IS_ERR(task)) {
		drm_devhold_test_thread_put(t);
		KUNIT_FAIL_AND_ABORT(test, "no thread: %pe", task);
	}
	return t;
}

static long drm_devhold_test_wait_fn(void *owner)
{
	return drm_module_wait(owner);
}

static long drm_devhold_test_gone_fn(void *owner)
{
	return drm_module_gone(owner);
}

static long drm_devhold_test_put_fn(void *drm)
{
	drm_dev_put(drm);
	return 0;
}

static bool drm_devhold_test_done(struct drm_devhold_test_thread *t)
{
	return wait_for_completion_timeout(&t->done, WAIT);
}

/* Whether @t is still running a short while later: what a wait must be. */
static bool drm_devhold_test_blocked(struct drm_devhold_test_thread *t)
{
	return !wait_for_completion_timeout(&t->done, HZ / 5);
}

static struct drm_devhold_test_seen *
drm_devhold_test_seen(struct kunit *test, struct drm_devhold_test_dev *d)
{
	d->seen = kunit_kzalloc(test, sizeof(*d->seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d->seen);
	return d->seen;
}

/*
 * A device counts in the domain of the module owning its driver from its
 * allocation to the very end of its release: its release callback still
 * sees it counted.
 */
static void drm_test_dev_counted_until_released(struct kunit *test)
{
	struct drm_devhold_test_seen *seen;
	struct drm_devhold_test_dev *d;
	struct devhold_domain *domain;
	struct device *parent;

	d = drm_devhold_test_owned_dev(test, MODULE_STATE_LIVE, &parent);
	seen = drm_devhold_test_seen(test, d);
	domain = drm_dev_hold_domain(&d->drm);
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(domain), 1);

	drm_kunit_helper_free_device(test, parent);
	KUNIT_EXPECT_EQ(test, seen->objs, 1);
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(domain), 0);
}

/* A release blocked in the driver's callback is still counted. */
static void drm_test_dev_release_runs_counted(struct kunit *test)
{
	struct drm_devhold_test_gate *gate;
	struct drm_devhold_test_thread *put;
	struct drm_devhold_test_dev *d;
	struct devhold_domain *domain;
	struct device *parent;

	d = drm_devhold_test_owned_dev(test, MODULE_STATE_LIVE, &parent);
	domain = drm_dev_hold_domain(&d->drm);
	gate = drm_devhold_test_gate(test, d);
	drm_dev_get(&d->drm);
	drm_kunit_helper_free_device(test, parent);
	put = drm_devhold_test_run(test, drm_devhold_test_put_fn, &d->drm);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&gate->entered, WAIT));
	/* In the driver's release callback: still counted. */
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(domain), 1);
	complete_all(&gate->go);
	KUNIT_ASSERT_TRUE(test, drm_devhold_test_done(put));
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(domain), 0);
}

/*
 * drm_module_wait() waits while a hold keeps a device after it was unbound,
 * and returns once the hold's deferred put released it.  The hold never
 * pinned the module.
 */
static void drm_test_module_wait_for_held_device(struct kunit *test)
{
	struct drm_devhold_test_thread *wait;
	struct drm_devhold_test_dev *d;
	struct device *parent;
	struct devhold *hold;

	d = drm_devhold_test_owned_dev(test, MODULE_STATE_LIVE, &parent);
	hold = drm_dev_hold(&d->drm, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hold);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(d->drm.driver), 0);
	drm_kunit_helper_free_device(test, parent);

	wait = drm_devhold_test_run(test, drm_devhold_test_wait_fn,
				    drm_devhold_test_owner(d));
	KUNIT_EXPECT_TRUE_MSG(test, drm_devhold_test_blocked(wait),
			      "drm_module_wait() returned while a device is held");
	drm_dev_unhold(hold);
	KUNIT_ASSERT_TRUE(test, drm_devhold_test_done(wait));
	KUNIT_EXPECT_EQ(test, wait->ret, 0);
}

/*
 * One driver module's wait never waits for another's devices: with a
 * release of module A blocked, module B's wait returns.
 */
static void drm_test_module_wait_independent(struct kunit *test)
{
	struct drm_devhold_test_thread *put, *wait_a, *wait_b;
	const struct drm_driver *driver_a, *driver_b;
	struct drm_devhold_test_dev *a, *b;
	struct drm_devhold_test_gate *gate;
	struct module *owner_a, *owner_b;
	struct device *parent;

	/* Two drivers of two modules, their devices on one parent. */
	driver_a = drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
						 MODULE_STATE_LIVE);
	driver_b = drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
						 MODULE_STATE_LIVE);
	parent = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, parent);
	a = drm_kunit_helper_alloc_drm_device_with_driver(test, parent, struct drm_devhold_test_dev,
							  drm, driver_a);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	b = drm_kunit_helper_alloc_drm_device_with_driver(test, parent, struct drm_devhold_test_dev,
							  drm, driver_b);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);
	owner_a = drm_devhold_test_owner(a);
	owner_b = drm_devhold_test_owner(b);
	KUNIT_ASSERT_PTR_NE(test, drm_dev_hold_domain(&a->drm), drm_dev_hold_domain(&b->drm));

	/* B is released with the parent; A's release blocks in its callback. */
	gate = drm_devhold_test_gate(test, a);
	drm_dev_get(&a->drm);
	drm_kunit_helper_free_device(test, parent);
	put = drm_devhold_test_run(test, drm_devhold_test_put_fn, &a->drm);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&gate->entered, WAIT));

	wait_b = drm_devhold_test_run(test, drm_devhold_test_wait_fn, owner_b);
	KUNIT_EXPECT_TRUE_MSG(test, drm_devhold_test_done(wait_b),
			      "module B waited for a release of module A");

	wait_a = drm_devhold_test_run(test, drm_devhold_test_wait_fn, owner_a);
	KUNIT_EXPECT_TRUE_MSG(test, drm_devhold_test_blocked(wait_a),
			      "drm_module_wait() returned while a release runs");
	complete_all(&gate->go);
	KUNIT_EXPECT_TRUE(test, drm_devhold_test_done(put));
	KUNIT_EXPECT_TRUE(test, drm_devhold_test_done(wait_a));
}

/* From the release of one of the module's devices it would wait forever. */
static void drm_test_module_wait_from_release(struct kunit *test)
{
	int misuse = atomic_read(&devhold_misuse);
	struct drm_devhold_test_seen *seen;
	struct drm_devhold_test_dev *d;
	struct device *parent;

	d = drm_devhold_test_owned_dev(test, MODULE_STATE_LIVE, &parent);
	seen = drm_devhold_test_seen(test, d);
	seen->call_wait = true;
	drm_kunit_helper_free_device(test, parent);
	KUNIT_EXPECT_EQ(test, seen->wait, -EDEADLK);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
}

/*
 * A module that goes with a device still alive (its exit did not wait) is
 * reported, and its going waits for the device.
 */
static void drm_test_module_gone_with_device(struct kunit *test)
{
	struct drm_devhold_test_thread *gone;
	struct drm_devhold_test_dev *d;
	struct device *parent;
	struct module *owner;

	d = drm_devhold_test_owned_dev(test, MODULE_STATE_LIVE, &parent);
	owner = drm_devhold_test_owner(d);
	drm_dev_get(&d->drm);
	drm_kunit_helper_free_device(test, parent);

	gone = drm_devhold_test_run(test, drm_devhold_test_gone_fn, owner);
	KUNIT_EXPECT_TRUE_MSG(test, drm_devhold_test_blocked(gone),
			      "the module went while its device is alive");
	drm_dev_put(&d->drm);
	KUNIT_ASSERT_TRUE(test, drm_devhold_test_done(gone));
	KUNIT_EXPECT_EQ(test, gone->ret, 1);
	/* Gone and forgotten: a second time finds nothing. */
	KUNIT_EXPECT_EQ(test, drm_module_gone(owner), 0);
}

static void drm_test_module_gone_clean(struct kunit *test)
{
	struct drm_devhold_test_dev *d;
	struct device *parent;
	struct module *owner;

	d = drm_devhold_test_owned_dev(test, MODULE_STATE_LIVE, &parent);
	owner = drm_devhold_test_owner(d);
	drm_kunit_helper_free_device(test, parent);
	KUNIT_EXPECT_EQ(test, drm_module_wait(owner), 0);
	KUNIT_EXPECT_EQ(test, drm_module_gone(owner), 0);
}

/*
 * Take and drop a hold on a device of @driver: the device is pinned while
 * it is held and unpinned after the deferred put; the driver module never.
 */
static void drm_devhold_test_hold_cycle(struct kunit *test,
					const struct drm_driver *driver)
{
	struct drm_devhold_test_dev *d;
	struct devhold_domain *domain;
	struct device *parent;
	struct devhold *hold;
	unsigned int refs;
	long holds;

	d = drm_devhold_test_dev(test, driver, &parent);
	domain = drm_dev_hold_domain(&d->drm);
	refs = kref_read(&d->drm.ref);
	holds = devhold_domain_holds(domain);	/* the built-in domain is shared */
	hold = drm_dev_hold(&d->drm, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hold);
	KUNIT_EXPECT_EQ(test, kref_read(&d->drm.ref), refs + 1);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), holds + 1);
	if (driver->fops)
		KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(driver), 0);

	drm_dev_unhold(hold);
	devhold_domain_flush(domain);
	KUNIT_EXPECT_EQ(test, kref_read(&d->drm.ref), refs);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), holds);
}

static void drm_test_dev_hold_pins_device_only(struct kunit *test)
{
	drm_devhold_test_hold_cycle(test,
				    drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
								  MODULE_STATE_LIVE));
}

static void drm_test_dev_hold_null_fops(struct kunit *test)
{
	drm_devhold_test_hold_cycle(test, &drm_devhold_test_driver);
}

/*
 * A device of a module being unloaded can still be held: the module's exit
 * waits for it.
 */
static void drm_test_dev_hold_going_module(struct kunit *test)
{
	drm_devhold_test_hold_cycle(test,
				    drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
								  MODULE_STATE_GOING));
}

static struct kunit_case drm_devhold_tests[] = {
	KUNIT_CASE(drm_test_dev_counted_until_released),
	KUNIT_CASE(drm_test_dev_release_runs_counted),
	KUNIT_CASE(drm_test_module_wait_for_held_device),
	KUNIT_CASE(drm_test_module_wait_independent),
	KUNIT_CASE(drm_test_module_wait_from_release),
	KUNIT_CASE(drm_test_module_gone_with_device),
	KUNIT_CASE(drm_test_module_gone_clean),
	KUNIT_CASE(drm_test_dev_hold_pins_device_only),
	KUNIT_CASE(drm_test_dev_hold_null_fops),
	KUNIT_CASE(drm_test_dev_hold_going_module),
	{}
};

static struct kunit_suite drm_devhold_test_suite = {
	.name = "drm_devhold",
	.test_cases = drm_devhold_tests,
};

kunit_test_suite(drm_devhold_test_suite);

MODULE_DESCRIPTION("KUnit tests for the device count of DRM driver modules");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
MODULE_LICENSE("GPL");
