// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the device count of DRM driver modules (drm_drv.c): each
 * module counts its devices until the end of their release,
 * drm_module_wait() waits for them, drm_module_gone() reports the devices
 * a going module left without waiting for them, and drm_dev_hold() holds a
 * device without pinning its driver module when that module's exit waits
 * (drm_module_waits_for_devices()), and pins the module otherwise.
 *
 * A wait must end within a second of the release it waits for: a wait that
 * missed its wake-up still ends, at the end of one of its report periods
 * (devhold.wait_warn_secs, 10 s).  WARNs provoked on purpose are declared
 * to the judge of the kernel log (tools/testing/selftests/devhold/vm/
 * kreport.py): suppressed and counted by KUnit in the test's own task,
 * announced with "kreport: expect N at FUNCTIONS" ... "kreport: end" in
 * another.
 */

#include <kunit/devhold.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/devhold.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
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
	struct devhold_domain *domain;	/* of drm_devhold_test_section_fn() */
};

/* What a release saw; the test's, as the device is gone after it. */
struct drm_devhold_test_seen {
	long objs;			/* the device count */
	long wait;			/* drm_module_wait(), when asked for */
	bool call_wait;
	ktime_t released;		/* the end of the driver's callback */
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
	if (d->seen)
		d->seen->released = ktime_get();
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
								  state, true),
				    parent);
}

static struct module *drm_devhold_test_owner(struct drm_devhold_test_dev *d)
{
	return d->drm.driver->fops->owner;
}

/* A gate, opened at the latest when the test ends. */
static struct drm_devhold_test_gate *drm_devhold_test_new_gate(struct kunit *test)
{
	struct drm_devhold_test_gate *gate = kzalloc(sizeof(*gate), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, gate);
	kref_init(&gate->ref);
	init_completion(&gate->entered);
	init_completion(&gate->go);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, drm_devhold_test_gate_open,
							   gate));
	return gate;
}

/* Makes the release of @d block in the driver's callback. */
static struct drm_devhold_test_gate *
drm_devhold_test_gate(struct kunit *test, struct drm_devhold_test_dev *d)
{
	struct drm_devhold_test_gate *gate = drm_devhold_test_new_gate(test);

	kref_get(&gate->ref);		/* the release's */
	d->gate = gate;
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
	ktime_t end;			/* taken by the thread when @fn returned */
	struct task_struct *task;
	struct completion done;
};

static void drm_devhold_test_thread_free(struct kref *ref)
{
	struct drm_devhold_test_thread *t = container_of(ref, typeof(*t), ref);

	if (t->task)
		put_task_struct(t->task);
	kfree(t);
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
	t->end = ktime_get();
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
	task = kthread_create(drm_devhold_test_thread_fn, t, "drm-devhold-test");
	if (IS_ERR(task)) {
		drm_devhold_test_thread_put(t);
		KUNIT_FAIL_AND_ABORT(test, "no thread: %pe", task);
	}
	t->task = get_task_struct(task);
	wake_up_process(task);
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

/*
 * Whether @t sleeps in @state (TASK_IDLE: the wait of
 * devhold_domain_wait_idle(), which drm_module_wait() and drm_module_gone()
 * wait in), polled until it ends, for at most WAIT.  Asleep there, only a
 * wake-up ends its wait early.
 */
static bool drm_devhold_test_sleeps(struct drm_devhold_test_thread *t, unsigned int state)
{
	unsigned long deadline = jiffies + WAIT;

	while (READ_ONCE(t->task->__state) != state) {
		if (completion_done(&t->done) || time_after(jiffies, deadline))
			return false;
		schedule_timeout_uninterruptible(1);
	}
	return true;
}

/* Whether a wait @t ended: longer than a report period, to tell late from hung. */
static bool drm_devhold_test_ended(struct drm_devhold_test_thread *t)
{
	return wait_for_completion_timeout(&t->done, 2 * WAIT);
}

/* The wait @t ended within a second of @last, what it waited for. */
static void drm_devhold_test_prompt(struct kunit *test, struct drm_devhold_test_thread *t,
				    ktime_t last, const char *what)
{
	s64 late = ktime_us_delta(t->end, last);

	kunit_info(test, "the wait ended %lld us after %s\n", late, what);
	KUNIT_EXPECT_LE_MSG(test, late, (s64)USEC_PER_SEC,
			    "the wait ended %lld ms after %s: not woken by it",
			    late / USEC_PER_MSEC, what);
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
	struct drm_devhold_test_seen *seen;
	struct drm_devhold_test_thread *wait;
	struct drm_devhold_test_dev *d;
	struct device *parent;
	struct devhold *hold;

	d = drm_devhold_test_owned_dev(test, MODULE_STATE_LIVE, &parent);
	seen = drm_devhold_test_seen(test, d);
	hold = drm_dev_hold(&d->drm, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hold);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(d->drm.driver), 0);
	drm_kunit_helper_free_device(test, parent);

	wait = drm_devhold_test_run(test, drm_devhold_test_wait_fn,
				    drm_devhold_test_owner(d));
	KUNIT_EXPECT_TRUE_MSG(test, drm_devhold_test_sleeps(wait, TASK_IDLE),
			      "drm_module_wait() does not wait while a device is held");
	KUNIT_EXPECT_TRUE_MSG(test, !completion_done(&wait->done),
			      "drm_module_wait() returned while a device is held");
	drm_dev_unhold(hold);
	KUNIT_ASSERT_TRUE(test, drm_devhold_test_ended(wait));
	KUNIT_EXPECT_EQ(test, wait->ret, 0);
	/* The put is deferred, and delayed with DEVHOLD_DEBUG_DELAY: from the release. */
	drm_devhold_test_prompt(test, wait, seen->released, "the device's release");
}

/*
 * One driver module's wait never waits for another's devices: with a
 * release of module A blocked, module B's wait returns.
 */
static void drm_test_module_wait_independent(struct kunit *test)
{
	struct drm_devhold_test_thread *put, *wait_a, *wait_b;
	const struct drm_driver *driver_a, *driver_b;
	struct drm_devhold_test_seen *seen;
	struct drm_devhold_test_dev *a, *b;
	struct drm_devhold_test_gate *gate;
	struct module *owner_a, *owner_b;
	struct device *parent;

	/* Two drivers of two modules, their devices on one parent. */
	driver_a = drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
						 MODULE_STATE_LIVE, true);
	driver_b = drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
						 MODULE_STATE_LIVE, true);
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
	seen = drm_devhold_test_seen(test, a);
	gate = drm_devhold_test_gate(test, a);
	drm_dev_get(&a->drm);
	drm_kunit_helper_free_device(test, parent);
	put = drm_devhold_test_run(test, drm_devhold_test_put_fn, &a->drm);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&gate->entered, WAIT));

	wait_b = drm_devhold_test_run(test, drm_devhold_test_wait_fn, owner_b);
	KUNIT_EXPECT_TRUE_MSG(test, drm_devhold_test_done(wait_b),
			      "module B waited for a release of module A");

	wait_a = drm_devhold_test_run(test, drm_devhold_test_wait_fn, owner_a);
	KUNIT_EXPECT_TRUE_MSG(test, drm_devhold_test_sleeps(wait_a, TASK_IDLE),
			      "drm_module_wait() does not wait while a release runs");
	KUNIT_EXPECT_TRUE_MSG(test, !completion_done(&wait_a->done),
			      "drm_module_wait() returned while a release runs");
	complete_all(&gate->go);
	KUNIT_EXPECT_TRUE(test, drm_devhold_test_done(put));
	KUNIT_ASSERT_TRUE(test, drm_devhold_test_ended(wait_a));
	drm_devhold_test_prompt(test, wait_a, seen->released, "the device's release");
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
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		drm_kunit_helper_free_device(test, parent);
		/* devhold's misuse WARNs once per call site and boot. */
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	KUNIT_EXPECT_EQ(test, seen->wait, -EDEADLK);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
}

/*
 * A module that says it waits for its devices goes with one still alive
 * (its exit did not wait): reported, with the device's holders, and gone
 * at once: nothing waits under the module notifier.  The device's release
 * later touches only its domain, which its count keeps.
 */
static void drm_test_module_gone_with_device(struct kunit *test)
{
	int misuse = atomic_read(&devhold_misuse);
	struct drm_devhold_test_thread *gone;
	struct drm_devhold_test_dev *d;
	struct device *parent;
	struct module *owner;

	d = drm_devhold_test_owned_dev(test, MODULE_STATE_LIVE, &parent);
	owner = drm_devhold_test_owner(d);
	drm_dev_get(&d->drm);
	drm_kunit_helper_free_device(test, parent);

	/* The going thread's WARN: its domain destroyed with the device counted. */
	kunit_info(test, "kreport: expect up to 1 at devhold_domain_destroy\n");
	gone = drm_devhold_test_run(test, drm_devhold_test_gone_fn, owner);
	KUNIT_EXPECT_TRUE_MSG(test, drm_devhold_test_done(gone),
			      "the module's going waits for its device");
	kunit_info(test, "kreport: end\n");
	KUNIT_EXPECT_EQ(test, gone->ret, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	drm_dev_put(&d->drm);
	/* Gone and forgotten: a second time finds nothing. */
	KUNIT_EXPECT_EQ(test, drm_module_gone(owner), 0);
}

/* Holds a release section of the gate's domain open until the gate opens. */
static long drm_devhold_test_section_fn(void *p)
{
	struct drm_devhold_test_gate *gate = p;
	struct devhold_release_section section = {};

	devhold_release_begin(gate->domain, &section);
	complete(&gate->entered);
	wait_for_completion(&gate->go);
	devhold_release_end(gate->domain, &section);
	kref_put(&gate->ref, drm_devhold_test_gate_free);
	return 0;
}

/*
 * A module that goes while a drm_module_wait() of it is still on its way
 * out (past the device count, in its release barrier) does not wait for
 * it: the wait keeps the module's domain, and destroys it when it leaves,
 * within a second of the release section's end that held its barrier.
 */
static void drm_test_module_gone_leaves_waiter(struct kunit *test)
{
	struct drm_devhold_test_thread *section, *wait, *gone;
	int misuse = atomic_read(&devhold_misuse);
	struct drm_devhold_test_gate *gate;
	struct drm_devhold_test_dev *d;
	struct device *parent;
	struct module *owner;
	ktime_t end;

	d = drm_devhold_test_owned_dev(test, MODULE_STATE_LIVE, &parent);
	owner = drm_devhold_test_owner(d);
	gate = drm_devhold_test_new_gate(test);
	gate->domain = drm_dev_hold_domain(&d->drm);
	drm_kunit_helper_free_device(test, parent);
	KUNIT_ASSERT_EQ(test, devhold_domain_objs(gate->domain), 0);

	kref_get(&gate->ref);		/* the thread's */
	section = drm_devhold_test_run(test, drm_devhold_test_section_fn, gate);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&gate->entered, WAIT));
	/* No device is left: the wait sleeps in the barrier, a user of the domain. */
	wait = drm_devhold_test_run(test, drm_devhold_test_wait_fn, owner);
	KUNIT_ASSERT_TRUE_MSG(test, drm_devhold_test_sleeps(wait, TASK_UNINTERRUPTIBLE),
			      "drm_module_wait() does not wait for a running release section");
	gone = drm_devhold_test_run(test, drm_devhold_test_gone_fn, owner);
	KUNIT_EXPECT_TRUE_MSG(test, drm_devhold_test_done(gone),
			      "the module's going waits for a drm_module_wait() of it");
	KUNIT_EXPECT_EQ(test, gone->ret, 0);
	KUNIT_EXPECT_FALSE(test, completion_done(&wait->done));
	end = ktime_get();
	complete_all(&gate->go);
	KUNIT_ASSERT_TRUE(test, drm_devhold_test_ended(wait));
	KUNIT_EXPECT_EQ(test, wait->ret, 0);
	drm_devhold_test_prompt(test, wait, end, "the release section's end");
	KUNIT_EXPECT_TRUE(test, drm_devhold_test_done(section));
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse);
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
 * it is held and unpinned after the deferred put; the driver module
 * @pins times while it is held (a module that does not wait for its
 * devices), and never after.
 */
static void drm_devhold_test_hold_cycle(struct kunit *test,
					const struct drm_driver *driver, int pins)
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
		KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(driver), pins);

	drm_dev_unhold(hold);
	devhold_domain_flush(domain);
	KUNIT_EXPECT_EQ(test, kref_read(&d->drm.ref), refs);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), holds);
	if (driver->fops)
		KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(driver), 0);
}

/* A module whose exit waits for its devices is not pinned by a hold. */
static void drm_test_dev_hold_pins_device_only(struct kunit *test)
{
	drm_devhold_test_hold_cycle(test,
				    drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
								  MODULE_STATE_LIVE, true),
				    0);
}

/*
 * A module that does not say its exit waits for its devices is pinned by
 * each hold, as a reference on its device must (without
 * CONFIG_MODULE_UNLOAD nothing counts module references).
 */
static void drm_test_dev_hold_pins_nowait_module(struct kunit *test)
{
	drm_devhold_test_hold_cycle(test,
				    drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
								  MODULE_STATE_LIVE, false),
				    IS_ENABLED(CONFIG_MODULE_UNLOAD) ? 1 : 0);
}

static void drm_test_dev_hold_null_fops(struct kunit *test)
{
	drm_devhold_test_hold_cycle(test, &drm_devhold_test_driver, 0);
}

/* A device of a driver that cannot be held: the module stays unpinned. */
static void drm_devhold_test_hold_refused(struct kunit *test,
					  const struct drm_driver *driver, int err)
{
	struct drm_devhold_test_dev *d;
	struct device *parent;

	d = drm_devhold_test_dev(test, driver, &parent);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(drm_dev_hold(&d->drm, GFP_KERNEL)), err);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(driver), 0);
}

/* A device of a module being unloaded can still be held when it waits. */
static void drm_test_dev_hold_going_module(struct kunit *test)
{
	drm_devhold_test_hold_cycle(test,
				    drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
								  MODULE_STATE_GOING, true),
				    0);
}

/* Not when it does not wait: the pin on the going module fails. */
static void drm_test_dev_hold_going_nowait_module(struct kunit *test)
{
	drm_devhold_test_hold_refused(test,
				      drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
								    MODULE_STATE_GOING, false),
				      -ENODEV);
}

/*
 * A device of a module still in its init (a probe that init triggers) can
 * be held when the module waits for its devices.
 */
static void drm_test_dev_hold_coming_module(struct kunit *test)
{
	drm_devhold_test_hold_cycle(test,
				    drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
								  MODULE_STATE_COMING, true),
				    0);
}

/*
 * Not when it does not wait: its loader frees it if its init fails,
 * pinned or not, so the pin is refused.
 */
static void drm_test_dev_hold_coming_nowait_module(struct kunit *test)
{
	drm_devhold_test_hold_refused(test,
				      drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
								    MODULE_STATE_COMING, false),
				      -EBUSY);
}

/*
 * A module that does not wait for its devices goes with one alive (a plain
 * reference): reported the same way, not waited for.
 */
static void drm_test_module_gone_nowait_with_device(struct kunit *test)
{
	int misuse = atomic_read(&devhold_misuse);
	struct drm_devhold_test_thread *gone;
	const struct drm_driver *driver;
	struct drm_devhold_test_dev *d;
	struct device *parent;
	struct module *owner;

	driver = drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
					       MODULE_STATE_LIVE, false);
	d = drm_devhold_test_dev(test, driver, &parent);
	owner = drm_devhold_test_owner(d);
	drm_dev_get(&d->drm);
	drm_kunit_helper_free_device(test, parent);

	kunit_info(test, "kreport: expect up to 1 at devhold_domain_destroy\n");
	gone = drm_devhold_test_run(test, drm_devhold_test_gone_fn, owner);
	KUNIT_EXPECT_TRUE_MSG(test, drm_devhold_test_done(gone),
			      "the module's going waits for its device");
	kunit_info(test, "kreport: end\n");
	KUNIT_EXPECT_EQ(test, gone->ret, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	drm_dev_put(&d->drm);
}

/*
 * A module that says it waits after it made devices is refused with a
 * WARN: they stay in the domain that pins the module.
 */
static void drm_test_module_waits_after_devices(struct kunit *test)
{
	const struct drm_driver *driver;
	struct drm_devhold_test_dev *d;
	struct device *parent;
	struct devhold *hold;
	struct module *owner;
	int ret;

	driver = drm_kunit_helper_owned_driver(test, &drm_devhold_test_driver,
					       MODULE_STATE_LIVE, false);
	d = drm_devhold_test_dev(test, driver, &parent);
	owner = drm_devhold_test_owner(d);
	kunit_warning_suppress(test) {
		ret = drm_module_waits_for_devices(owner);
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
	}
	KUNIT_EXPECT_EQ(test, ret, -EBUSY);
	hold = drm_dev_hold(&d->drm, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hold);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(driver),
			IS_ENABLED(CONFIG_MODULE_UNLOAD) ? 1 : 0);
	drm_dev_unhold(hold);
	devhold_domain_flush(drm_dev_hold_domain(&d->drm));
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(driver), 0);
}

static struct kunit_case drm_devhold_tests[] = {
	KUNIT_CASE(drm_test_dev_counted_until_released),
	KUNIT_CASE(drm_test_dev_release_runs_counted),
	KUNIT_CASE(drm_test_module_wait_for_held_device),
	KUNIT_CASE(drm_test_module_wait_independent),
	KUNIT_CASE(drm_test_module_wait_from_release),
	KUNIT_CASE(drm_test_module_gone_with_device),
	KUNIT_CASE(drm_test_module_gone_nowait_with_device),
	KUNIT_CASE(drm_test_module_gone_leaves_waiter),
	KUNIT_CASE(drm_test_module_gone_clean),
	KUNIT_CASE(drm_test_module_waits_after_devices),
	KUNIT_CASE(drm_test_dev_hold_pins_device_only),
	KUNIT_CASE(drm_test_dev_hold_pins_nowait_module),
	KUNIT_CASE(drm_test_dev_hold_null_fops),
	KUNIT_CASE(drm_test_dev_hold_going_module),
	KUNIT_CASE(drm_test_dev_hold_going_nowait_module),
	KUNIT_CASE(drm_test_dev_hold_coming_module),
	KUNIT_CASE(drm_test_dev_hold_coming_nowait_module),
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
