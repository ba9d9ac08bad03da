// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for lib/devhold.c.
 *
 * Deferred work is observed with completions and bounded waits, never with
 * bare sleeps.  Owner modules are stand-ins ("injectable owners") whose state
 * and reference count the tests control; a built-in test has no module of
 * its own (THIS_MODULE is NULL).
 *
 * The WARNs of misuse cases are all suppressed and counted by KUnit, in
 * the task that makes them: the test's own (kunit_warning_suppress()), or
 * a thread the case starts, or the put callback a domain's release work
 * runs (kunit_start_suppress_warning() there).  Misuse WARNs once per call
 * site and boot, so a case may see no WARN of its own: the cases count
 * misuse with devhold_misuse, and the WARNs the library printed with
 * devhold_misuse_warned, which KUnit's suppressed count must match.
 */

#include <kunit/devhold.h>
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/devhold.h>
#include <linux/dma-fence.h>
#include <linux/irq_work.h>
#include <linux/kprobes.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/isolation.h>
#include <linux/sched/mm.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>
#include <linux/timer.h>
#include <linux/tracepoint.h>
#include <linux/wait_bit.h>
#include <trace/events/devhold.h>

#include "../devhold_internal.h"	/* the members some cases look at */

#define WAIT	(10 * HZ)	/* bound of every wait for deferred work */

struct devhold_test_obj {
	atomic_t refs;
	atomic_t puts;
	struct module *owner;
	int owner_refs_at_put;	/* module references seen by ->put */
	bool bad_context;	/* ->put ran where it may not sleep */
	ktime_t put_time;	/* when ->put dropped the reference */
	struct completion put_done;
	/* Optional: ->put announces itself and waits to be let go. */
	struct completion *put_entered;
	struct completion *put_go;
};

static int devhold_test_modrefs(struct module *mod)
{
#ifdef CONFIG_MODULE_UNLOAD
	return mod ? module_refcount(mod) : 0;
#else
	return 0;
#endif
}

static void devhold_test_get(void *p)
{
	struct devhold_test_obj *obj = p;

	atomic_inc(&obj->refs);
}

static void devhold_test_put(void *p)
{
	struct devhold_test_obj *obj = p;

	might_sleep();
	obj->bad_context = !in_task() || irqs_disabled() ||
			   (IS_ENABLED(CONFIG_PREEMPT_COUNT) && preempt_count());
	obj->owner_refs_at_put = devhold_test_modrefs(obj->owner);
	if (obj->put_entered) {
		complete(obj->put_entered);
		wait_for_completion(obj->put_go);
	}
	atomic_dec(&obj->refs);
	obj->put_time = ktime_get();
	atomic_inc(&obj->puts);
	complete(&obj->put_done);
}

static atomic_t devhold_test_name_calls = ATOMIC_INIT(0);

static const char *devhold_test_name(void *p)
{
	atomic_inc(&devhold_test_name_calls);
	return "devhold-test-obj";
}

static const struct devhold_ops devhold_test_ops = {
	.get = devhold_test_get,
	.put = devhold_test_put,
	.name = devhold_test_name,
};

KUNIT_DEFINE_ACTION_WRAPPER(devhold_test_domain_destroy, devhold_domain_destroy,
			    struct devhold_domain *);

static struct devhold_domain *devhold_test_domain(struct kunit *test)
{
	struct devhold_domain *domain = devhold_domain_create("devhold-test", 0);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, domain);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, devhold_test_domain_destroy,
						  domain));
	return domain;
}

/* A stand-in owner module whose state the test sets. */
static struct module *devhold_test_owner(struct kunit *test,
					 enum module_state state)
{
	struct module *mod;

	if (!IS_ENABLED(CONFIG_MODULE_UNLOAD))
		kunit_skip(test, "needs CONFIG_MODULE_UNLOAD");
	mod = kunit_kzalloc(test, sizeof(*mod), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mod);
	strscpy(mod->name, "devhold_test_owner", sizeof(mod->name));
	mod->state = state;
#ifdef CONFIG_MODULE_UNLOAD
	atomic_set(&mod->refcnt, 1);	/* the loader's base reference */
#endif
	return mod;
}

static struct devhold_test_obj *devhold_test_obj(struct kunit *test,
						 struct module *owner)
{
	struct devhold_test_obj *obj = kunit_kzalloc(test, sizeof(*obj), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, obj);
	obj->owner = owner;
	obj->owner_refs_at_put = -1;
	init_completion(&obj->put_done);
	return obj;
}

static void devhold_test_wait_put(struct kunit *test, struct devhold_test_obj *obj)
{
	KUNIT_ASSERT_NE_MSG(test, 0UL, wait_for_completion_timeout(&obj->put_done, WAIT),
			    "deferred put did not run");
}

static void devhold_test_get_put_balance(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct module *owner = devhold_test_owner(test, MODULE_STATE_LIVE);
	struct devhold_test_obj *obj = devhold_test_obj(test, owner);
	struct devhold *hold;

	hold = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 1);
	KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 1);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 1);

	devhold_put_deferred(hold);
	devhold_test_wait_put(test, obj);
	devhold_flush();

	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), 1);
	KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 0);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 0);
	/* The object was put while the module was still pinned. */
	KUNIT_EXPECT_EQ(test, obj->owner_refs_at_put, 1);
	KUNIT_EXPECT_FALSE(test, obj->bad_context);
}

static void devhold_test_null_owner(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	struct devhold *hold;

	hold = devhold_get(domain, &devhold_test_ops, obj, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 1);
	devhold_put_deferred(hold);
	devhold_test_wait_put(test, obj);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
}

static void devhold_test_going_owner(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct module *owner = devhold_test_owner(test, MODULE_STATE_GOING);
	struct devhold_test_obj *obj = devhold_test_obj(test, owner);
	struct devhold *hold;

	hold = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(hold), -ENODEV);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), 0);
	KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 0);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 0);
}

/*
 * A module still in its module_init is not pinned (the loader frees it if
 * its init fails, pinned or not); in a counted domain, which pins no
 * module, its object is held all the same.
 */
static void devhold_test_coming_owner(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct module *owner = devhold_test_owner(test, MODULE_STATE_COMING);
	struct devhold_test_obj *obj = devhold_test_obj(test, owner);
	struct devhold_domain *counted;
	struct devhold *hold;

	hold = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(hold), -EBUSY);
	if (!IS_ERR(hold))
		devhold_put_deferred(hold);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
	KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 0);

	counted = devhold_domain_create("devhold-test-coming", DEVHOLD_DOMAIN_EXIT_WAITS);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, counted);
	hold = devhold_get(counted, &devhold_test_ops, obj, owner, GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(hold));
	if (!IS_ERR(hold)) {
		KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 1);
		KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 0);
		devhold_put_deferred(hold);
	}
	devhold_domain_destroy(counted);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
}

static void devhold_test_device(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct device *dev = kunit_device_register(test, "devhold-test-dev");
	unsigned int before;
	struct devhold *hold;

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	before = kref_read(&dev->kobj.kref);
	hold = devhold_get_device(domain, dev, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));
	KUNIT_EXPECT_EQ(test, kref_read(&dev->kobj.kref), before + 1);
	devhold_put_deferred(hold);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, kref_read(&dev->kobj.kref), before);
}

/* Dropping holds from contexts that may not sleep. */
struct devhold_test_ctx {
	struct kunit *test;
	struct devhold_domain *domain;
	struct devhold_test_obj *obj;
	struct devhold *hold;
	struct completion done;
	struct irq_work iw;
	struct timer_list timer;
	bool locks;
	bool in_hardirq;
};

static void devhold_test_irq_work_fn(struct irq_work *iw);
static void devhold_test_timer_fn(struct timer_list *t);

static void devhold_test_ctx_sync(void *p)
{
	struct devhold_test_ctx *c = p;

	irq_work_sync(&c->iw);
	timer_delete_sync(&c->timer);
}

/* Shared with an irq_work and a timer: on the heap, both synced at the end. */
static struct devhold_test_ctx *devhold_test_ctx_setup(struct kunit *test)
{
	struct devhold_test_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->test = test;
	c->locks = debug_locks;
	c->domain = devhold_test_domain(test);
	c->obj = devhold_test_obj(test, NULL);
	init_completion(&c->done);
	init_irq_work(&c->iw, devhold_test_irq_work_fn);
	timer_setup(&c->timer, devhold_test_timer_fn, 0);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, devhold_test_ctx_sync, c));
	c->hold = devhold_get(c->domain, &devhold_test_ops, c->obj, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->hold));
	return c;
}

static void devhold_test_ctx_check(struct kunit *test, struct devhold_test_ctx *c)
{
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&c->done, WAIT));
	/* Lockdep found nothing to object to (it turns itself off if it does). */
	KUNIT_EXPECT_EQ(test, debug_locks, c->locks);
	devhold_test_wait_put(test, c->obj);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&c->obj->refs), 0);
	KUNIT_EXPECT_FALSE(test, c->obj->bad_context);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(c->domain), 0);
}

static void devhold_test_irq_work_fn(struct irq_work *iw)
{
	struct devhold_test_ctx *c = container_of(iw, struct devhold_test_ctx, iw);

	c->in_hardirq = in_hardirq();
	devhold_put_deferred(c->hold);
	complete(&c->done);
}

static void devhold_test_put_hardirq(struct kunit *test)
{
	struct devhold_test_ctx *c = devhold_test_ctx_setup(test);

	/* A hard irq_work runs in hard interrupt context also on PREEMPT_RT. */
	c->iw = IRQ_WORK_INIT_HARD(devhold_test_irq_work_fn);
	irq_work_queue(&c->iw);
	devhold_test_ctx_check(test, c);
	KUNIT_EXPECT_TRUE(test, c->in_hardirq);
}

static void devhold_test_timer_fn(struct timer_list *t)
{
	struct devhold_test_ctx *c = timer_container_of(c, t, timer);

	devhold_put_deferred(c->hold);
	complete(&c->done);
}

static void devhold_test_put_softirq(struct kunit *test)
{
	struct devhold_test_ctx *c = devhold_test_ctx_setup(test);

	mod_timer(&c->timer, jiffies + 1);
	devhold_test_ctx_check(test, c);
}

static void devhold_test_put_spinlock_irqoff(struct kunit *test)
{
	struct devhold_test_ctx *c = devhold_test_ctx_setup(test);
	static DEFINE_SPINLOCK(lock);
	unsigned long flags;

	spin_lock_irqsave(&lock, flags);
	devhold_put_deferred(c->hold);
	spin_unlock_irqrestore(&lock, flags);
	complete(&c->done);
	devhold_test_ctx_check(test, c);
}

static void devhold_test_put_raw_spinlock(struct kunit *test)
{
	struct devhold_test_ctx *c = devhold_test_ctx_setup(test);
	static DEFINE_RAW_SPINLOCK(lock);
	unsigned long flags;

	/* Lockdep checks that nothing under it sleeps or nests a spinlock_t. */
	raw_spin_lock_irqsave(&lock, flags);
	devhold_put_deferred(c->hold);
	raw_spin_unlock_irqrestore(&lock, flags);
	complete(&c->done);
	devhold_test_ctx_check(test, c);
}

static void devhold_test_put_reclaim(struct kunit *test)
{
	struct devhold_test_ctx *c = devhold_test_ctx_setup(test);

	fs_reclaim_acquire(GFP_KERNEL);
	devhold_put_deferred(c->hold);
	fs_reclaim_release(GFP_KERNEL);
	complete(&c->done);
	devhold_test_ctx_check(test, c);
}

static void devhold_test_put_fence_signalling(struct kunit *test)
{
	struct devhold_test_ctx *c;
	bool cookie;

	if (!IS_ENABLED(CONFIG_DMA_SHARED_BUFFER))
		kunit_skip(test, "needs CONFIG_DMA_SHARED_BUFFER");
	c = devhold_test_ctx_setup(test);
	cookie = dma_fence_begin_signalling();
	devhold_put_deferred(c->hold);
	dma_fence_end_signalling(cookie);
	complete(&c->done);
	devhold_test_ctx_check(test, c);
}

/* Release sections and the barrier. */
struct devhold_test_releaser {
	struct devhold_domain *domain;
	struct completion entered, go, done;
};

static int devhold_test_releaser_fn(void *p)
{
	struct devhold_test_releaser *r = p;
	struct devhold_release_section section = {};

	devhold_release_begin(r->domain, &section);
	complete(&r->entered);
	wait_for_completion(&r->go);
	devhold_release_end(r->domain, &section);
	complete(&r->done);
	return 0;
}

struct devhold_test_barrier {
	struct devhold_domain *domain;
	struct completion done;
};

static int devhold_test_barrier_fn(void *p)
{
	struct devhold_test_barrier *b = p;

	devhold_release_barrier(b->domain);
	kthread_complete_and_exit(&b->done, 0);
}

static void devhold_test_start(struct kunit *test, int (*fn)(void *), void *data)
{
	struct task_struct *t = kthread_run(fn, data, "devhold-test");

	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
}

/* Let a releaser thread go and wait for it before its memory is freed. */
static void devhold_test_releaser_stop(void *p)
{
	struct devhold_test_releaser *r = p;

	complete_all(&r->go);
	if (completion_done(&r->entered))
		wait_for_completion_timeout(&r->done, WAIT);
}

static struct devhold_test_releaser *
devhold_test_releaser(struct kunit *test, struct devhold_domain *domain)
{
	struct devhold_test_releaser *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->domain = domain;
	init_completion(&r->entered);
	init_completion(&r->go);
	init_completion(&r->done);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, devhold_test_releaser_stop, r));
	return r;
}

static struct devhold_test_barrier *
devhold_test_barrier(struct kunit *test, struct devhold_domain *domain)
{
	struct devhold_test_barrier *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->domain = domain;
	init_completion(&b->done);
	return b;
}

/* Bounded check that something has NOT happened yet. */
static bool devhold_test_still_waiting(struct completion *c)
{
	return !wait_for_completion_timeout(c, HZ / 5);
}

/*
 * A barrier inside its own domain's release section is refused as far as
 * lockdep knows of the section; without lockdep it would hang.
 */
static void devhold_test_need_lockdep(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC) || !debug_locks)
		kunit_skip(test, "needs lockdep, on");
}

static void devhold_test_barrier_waits(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct devhold_test_releaser *r = devhold_test_releaser(test, domain);
	struct devhold_test_barrier *b = devhold_test_barrier(test, domain);
	bool locks = debug_locks;

	devhold_test_start(test, devhold_test_releaser_fn, r);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&r->entered, WAIT));

	devhold_test_start(test, devhold_test_barrier_fn, b);
	KUNIT_EXPECT_TRUE_MSG(test, devhold_test_still_waiting(&b->done),
			      "barrier returned while a release section runs");
	complete(&r->go);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&b->done, WAIT));
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&r->done, WAIT));
	/* A barrier waiting for another task's section is no lockdep report. */
	KUNIT_EXPECT_EQ(test, debug_locks, locks);
}

static void devhold_test_barrier_other_domain(struct kunit *test)
{
	struct devhold_test_releaser *r = devhold_test_releaser(test, devhold_test_domain(test));
	struct devhold_test_barrier *b = devhold_test_barrier(test, devhold_test_domain(test));
	struct devhold_test_barrier *idle = devhold_test_barrier(test, devhold_test_domain(test));

	/* Idle domain: returns at once. */
	devhold_test_start(test, devhold_test_barrier_fn, idle);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&idle->done, WAIT));

	/* Another domain's running release is not waited for. */
	devhold_test_start(test, devhold_test_releaser_fn, r);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&r->entered, WAIT));
	devhold_test_start(test, devhold_test_barrier_fn, b);
	KUNIT_EXPECT_NE_MSG(test, 0UL, wait_for_completion_timeout(&b->done, WAIT),
			    "barrier waited for another domain");
	complete(&r->go);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&r->done, WAIT));
}

/* Waits for its own domain from inside a release section of it. */
struct devhold_test_self {
	struct kunit *test;
	struct devhold_domain *domain;
	struct completion done;
	int barrier;
	int wait_idle;
	int warns;		/* the thread's WARNs, suppressed */
};

static int devhold_test_self_fn(void *p)
{
	struct devhold_test_self *t = p;
	struct devhold_release_section outer = {}, inner = {};

	struct kunit_suppressed_warning *w = kunit_start_suppress_warning(t->test);

	devhold_release_begin(t->domain, &outer);
	devhold_release_begin(t->domain, &inner);
	devhold_release_end(t->domain, &inner);
	/* Still inside the outer section. */
	t->barrier = devhold_release_barrier(t->domain);
	t->wait_idle = devhold_domain_wait_idle(t->domain);
	devhold_release_end(t->domain, &outer);
	t->warns = kunit_suppressed_warning_count(w);
	kunit_end_suppress_warning(t->test, w);
	kthread_complete_and_exit(&t->done, 0);
}

/*
 * Both would wait for the section they are called from (the outer one of
 * two nested): refused with a WARN, as lockdep knows of the section.  A
 * thread runs it so that a hang is a failure, not a stuck suite; the
 * domain and the data are then left to the stuck thread.
 */
static void devhold_test_barrier_in_release_section(struct kunit *test)
{
	int warned = atomic_read(&devhold_misuse_warned);
	int misuse = atomic_read(&devhold_misuse);
	struct devhold_domain *domain;
	struct devhold_test_self *t;

	devhold_test_need_lockdep(test);
	domain = devhold_domain_create("devhold-test-self", 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, domain);
	t = kzalloc_obj(*t);
	if (!t)
		devhold_domain_destroy(domain);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->test = test;
	t->domain = domain;
	init_completion(&t->done);
	/* The object whose release this would be: still counted. */
	devhold_domain_obj_add(t->domain);
	if (IS_ERR(kthread_run(devhold_test_self_fn, t, "devhold-test"))) {
		t->barrier = -ECHILD;
		complete(&t->done);
	}
	if (!wait_for_completion_timeout(&t->done, WAIT)) {
		KUNIT_FAIL(test, "waiting for a domain inside its own release section hangs");
		return;
	}
	KUNIT_EXPECT_EQ(test, t->barrier, -EDEADLK);
	KUNIT_EXPECT_EQ(test, t->wait_idle, -EDEADLK);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 2);
	/* The thread's WARNs (once per call site) were all suppressed. */
	KUNIT_EXPECT_EQ(test, t->warns, atomic_read(&devhold_misuse_warned) - warned);
	devhold_domain_obj_del(t->domain);
	devhold_domain_destroy(t->domain);
	kfree(t);
}

/*
 * The unload wait, run by a thread: the domain and the data are left to it
 * should it hang.
 */
struct devhold_test_waiter {
	struct devhold_domain *domain;
	struct completion done;
	int ret;
	ktime_t returned;	/* taken by the thread once the wait returned */
};

static int devhold_test_waiter_fn(void *p)
{
	struct devhold_test_waiter *w = p;

	w->ret = devhold_domain_wait_idle(w->domain);
	w->returned = ktime_get();
	kthread_complete_and_exit(&w->done, 0);
}

/* Whether a task sleeps on @wq: polled until @done, for at most WAIT. */
static bool devhold_test_sleeps_on(struct wait_queue_head *wq, struct completion *done)
{
	unsigned long deadline = jiffies + WAIT;

	/*
	 * A lockless peek is enough: a waiter seen late only costs another
	 * tick of polling, and nothing is woken on the strength of it.
	 */
	while (!waitqueue_active(wq)) {
		if (completion_done(done) || time_after(jiffies, deadline))
			return false;
		schedule_timeout_uninterruptible(1);
	}
	return true;
}

/*
 * The wait ends with the last uncount, within a second: the uncount wakes
 * it.  Not at the end of one of its report periods (devhold.wait_warn_secs,
 * 10 s), which is how a wait that missed its wake-up would end.  The wait
 * is asleep on the domain's queue before the uncounts, and still waits
 * after the first one, so that nothing but the wake-up can end it early.
 */
static void devhold_test_wait_idle(struct kunit *test)
{
	struct devhold_test_waiter *w = kzalloc_obj(*w);
	struct devhold_domain *domain;
	ktime_t last;
	s64 late;

	KUNIT_ASSERT_NOT_NULL(test, w);
	init_completion(&w->done);
	domain = devhold_domain_create("devhold-test-wait", 0);
	if (IS_ERR(domain)) {
		kfree(w);
		KUNIT_FAIL_AND_ABORT(test, "cannot create the domain");
	}
	w->domain = domain;
	devhold_domain_obj_add(domain);
	devhold_domain_obj_add(domain);
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(domain), 2);
	if (IS_ERR(kthread_run(devhold_test_waiter_fn, w, "devhold-test"))) {
		devhold_domain_obj_del(domain);
		devhold_domain_obj_del(domain);
		devhold_domain_destroy(domain);
		kfree(w);
		KUNIT_FAIL_AND_ABORT(test, "cannot start the thread");
	}
	KUNIT_EXPECT_TRUE_MSG(test, devhold_test_sleeps_on(&domain->wq, &w->done),
			      "the wait does not sleep on the domain's queue");
	KUNIT_EXPECT_TRUE(test, devhold_test_still_waiting(&w->done));
	devhold_domain_obj_del(domain);
	KUNIT_EXPECT_TRUE(test, devhold_test_still_waiting(&w->done));
	last = ktime_get();
	devhold_domain_obj_del(domain);
	/* Longer than a report period: a late wait is told from a hung one. */
	if (!wait_for_completion_timeout(&w->done, 2 * WAIT))
		KUNIT_FAIL_AND_ABORT(test, "the wait does not end after the last uncount");
	late = ktime_us_delta(w->returned, last);
	kunit_info(test, "the wait ended %lld us after the last uncount\n", late);
	KUNIT_EXPECT_LE_MSG(test, late, (s64)USEC_PER_SEC,
			    "the wait ended %lld ms after the last uncount: not woken by it",
			    late / USEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, w->ret, 0);
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(domain), 0);
	devhold_domain_destroy(domain);
	kfree(w);
}

/* Create fails with an error pointer, never NULL: an unknown flag is misuse. */
static void devhold_test_create_bad_flags(struct kunit *test)
{
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	int misuse = atomic_read(&devhold_misuse);
	struct devhold_domain *domain;
	struct devhold *hold = NULL;

	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		domain = devhold_domain_create("devhold-test-flags", BIT(7));
		/* A caller that ignored the error: refused, not an oops. */
		if (IS_ERR(domain))
			hold = devhold_get(domain, &devhold_test_ops, obj, NULL, GFP_KERNEL);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(domain), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(hold), -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 2);
	/* Destroy takes what create returned, an error pointer too. */
	devhold_domain_destroy(domain);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 2);
}

/*
 * The unload wait is unbounded: with a lock held (as far as lockdep knows),
 * every other user of the lock would wait with it, so it is refused.
 */
static void devhold_test_wait_idle_locked(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	int misuse = atomic_read(&devhold_misuse);
	static DEFINE_MUTEX(lock);
	int ret;

	devhold_test_need_lockdep(test);
	mutex_lock(&lock);
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		ret = devhold_domain_wait_idle(domain);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	mutex_unlock(&lock);
	KUNIT_EXPECT_EQ(test, ret, -EDEADLK);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	/* Without the lock, an idle domain's wait returns at once. */
	KUNIT_EXPECT_EQ(test, devhold_domain_wait_idle(domain), 0);
}

/*
 * v3 M3: in a counted domain a hold pins no module, so the unload wait
 * waits for it too, also when its object was never counted, and the last
 * hold's release wakes the wait.
 */
static void devhold_test_wait_idle_holds(struct kunit *test)
{
	struct devhold_test_waiter *w = kzalloc_obj(*w);
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	struct devhold_domain *domain;
	struct devhold *hold;
	s64 late;

	KUNIT_ASSERT_NOT_NULL(test, w);
	init_completion(&w->done);
	domain = devhold_domain_create("devhold-test-wait", DEVHOLD_DOMAIN_EXIT_WAITS);
	if (IS_ERR(domain)) {
		kfree(w);
		KUNIT_FAIL_AND_ABORT(test, "cannot create the domain");
	}
	w->domain = domain;
	hold = devhold_get(domain, &devhold_test_ops, obj, NULL, GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(hold));
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(domain), 0);
	if (IS_ERR(kthread_run(devhold_test_waiter_fn, w, "devhold-test"))) {
		devhold_put_deferred(hold);
		devhold_domain_destroy(domain);
		kfree(w);
		KUNIT_FAIL_AND_ABORT(test, "cannot start the thread");
	}
	KUNIT_EXPECT_TRUE_MSG(test, devhold_test_sleeps_on(&domain->wq, &w->done),
			      "the wait does not wait for a hold");
	KUNIT_EXPECT_TRUE(test, devhold_test_still_waiting(&w->done));
	devhold_put_deferred(hold);
	if (!wait_for_completion_timeout(&w->done, 2 * WAIT))
		KUNIT_FAIL_AND_ABORT(test, "the wait does not end after the last hold");
	/* From the release (CONFIG_DEVHOLD_DEBUG_DELAY delays it 1 to 4 s). */
	late = ktime_us_delta(w->returned, obj->put_time);
	kunit_info(test, "the wait ended %lld us after the last release\n", late);
	KUNIT_EXPECT_LE_MSG(test, late, (s64)USEC_PER_SEC,
			    "the wait ended %lld ms after the last release: not woken by it",
			    late / USEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, w->ret, 0);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), 1);
	devhold_domain_destroy(domain);
	kfree(w);
}

/* Deferred-free lists. */
struct devhold_test_entry {
	struct llist_node node;
	struct kref ref;
	struct list_head link;		/* the "elsewhere" list of zombies */
	struct mutex *lock;		/* protects link */
	atomic_t *freed;
};

static void devhold_test_entry_free(struct llist_node *node)
{
	struct devhold_test_entry *e = container_of(node, struct devhold_test_entry, node);

	might_sleep();
	if (e->lock) {
		mutex_lock(e->lock);
		list_del(&e->link);
		mutex_unlock(e->lock);
	}
	atomic_inc(e->freed);
	wake_up_var(e->freed);
	kfree(e);
}

static struct devhold_test_entry *devhold_test_entry(struct kunit *test, atomic_t *freed)
{
	struct devhold_test_entry *e = kzalloc_obj(*e);

	KUNIT_ASSERT_NOT_NULL(test, e);
	kref_init(&e->ref);
	INIT_LIST_HEAD(&e->link);
	e->freed = freed;
	return e;
}

struct devhold_test_lctx {
	struct devhold_list *list;
	struct devhold_test_entry *e;
	struct completion done;
	struct irq_work iw;
	struct timer_list timer;
};

static void devhold_test_list_irq_work_fn(struct irq_work *iw)
{
	struct devhold_test_lctx *c = container_of(iw, struct devhold_test_lctx, iw);

	devhold_list_push(c->list, &c->e->node);
	complete(&c->done);
}

static void devhold_test_list_timer_fn(struct timer_list *t)
{
	struct devhold_test_lctx *c = timer_container_of(c, t, timer);

	devhold_list_push(c->list, &c->e->node);
	complete(&c->done);
}

static struct devhold_list *devhold_test_list(struct kunit *test)
{
	struct devhold_list *list = kunit_kzalloc(test, sizeof(*list), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, list);
	return list;
}

static void devhold_test_lctx_sync(void *p)
{
	struct devhold_test_lctx *c = p;

	irq_work_sync(&c->iw);
	timer_delete_sync(&c->timer);
}

static void devhold_test_list_contexts(struct kunit *test)
{
	struct devhold_list *list = devhold_test_list(test);
	struct devhold_test_lctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	atomic_t *freed = kunit_kzalloc(test, sizeof(*freed), GFP_KERNEL);
	struct devhold_test_entry *e1, *e2;
	static DEFINE_SPINLOCK(lock);
	bool locks = debug_locks;
	unsigned long flags;
	bool cookie;

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_NOT_NULL(test, freed);
	c->list = list;
	devhold_list_init(list, devhold_test_entry_free, 0);
	KUNIT_EXPECT_TRUE(test, devhold_list_empty(list));
	init_completion(&c->done);
	init_irq_work(&c->iw, devhold_test_list_irq_work_fn);
	timer_setup(&c->timer, devhold_test_list_timer_fn, 0);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, devhold_test_lctx_sync, c));

	c->e = devhold_test_entry(test, freed);
	irq_work_queue(&c->iw);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&c->done, WAIT));
	irq_work_sync(&c->iw);

	c->e = devhold_test_entry(test, freed);
	reinit_completion(&c->done);
	mod_timer(&c->timer, jiffies + 1);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&c->done, WAIT));
	timer_delete_sync(&c->timer);

	e1 = devhold_test_entry(test, freed);
	e2 = devhold_test_entry(test, freed);
	spin_lock_irqsave(&lock, flags);
	devhold_list_push(list, &e1->node);
	spin_unlock_irqrestore(&lock, flags);

	if (IS_ENABLED(CONFIG_DMA_SHARED_BUFFER)) {
		cookie = dma_fence_begin_signalling();
		devhold_list_push(list, &e2->node);
		dma_fence_end_signalling(cookie);
	} else {
		devhold_list_push(list, &e2->node);
	}
	/* Lockdep found nothing to object to (it turns itself off if it does). */
	KUNIT_EXPECT_EQ(test, debug_locks, locks);

	KUNIT_EXPECT_FALSE(test, devhold_list_empty(list));
	KUNIT_EXPECT_EQ(test, atomic_read(freed), 0);
	KUNIT_EXPECT_EQ(test, devhold_list_drain(list), 4UL);
	KUNIT_EXPECT_EQ(test, atomic_read(freed), 4);
	KUNIT_EXPECT_TRUE(test, devhold_list_empty(list));
	KUNIT_EXPECT_EQ(test, devhold_list_drain(list), 0UL);
	devhold_list_fini(list);
}

static void devhold_test_list_auto_drain(struct kunit *test)
{
	struct devhold_list *list = devhold_test_list(test);
	atomic_t *freed = kunit_kzalloc(test, sizeof(*freed), GFP_KERNEL);
	struct rcu_gp_seq gp;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, freed);
	devhold_list_init(list, devhold_test_entry_free, DEVHOLD_LIST_AUTO_DRAIN);
	for (i = 0; i < 8; i++)
		devhold_list_push(list, &devhold_test_entry(test, freed)->node);
	/* The list's own work frees them, nobody drains by hand. */
	KUNIT_EXPECT_TRUE(test, wait_var_event_timeout(freed,
						       atomic_read(freed) == 8,
						       WAIT));
	devhold_list_flush(list);
	KUNIT_EXPECT_EQ(test, atomic_read(freed), 8);
	KUNIT_EXPECT_TRUE(test, devhold_list_empty(list));
	/*
	 * Pushed to: the teardown waits for the pushes' RCU sections (a
	 * grace period, expedited during boot: the full state sees both).
	 */
	get_state_synchronize_rcu_full(&gp);
	devhold_list_fini(list);
	KUNIT_EXPECT_TRUE(test, poll_state_synchronize_rcu_full(&gp));
	/* A second teardown does nothing (DRM's mode config cleanup may run twice). */
	devhold_list_fini(list);
}

/*
 * The drm_gpuvm "zombie" pattern: an entry whose last reference is gone
 * stays linked where iterators see it until the drain unlinks it; the
 * iterators skip it because kref_get_unless_zero() fails, and the push
 * happens after the lock is dropped.
 */
static void devhold_test_entry_release(struct kref *ref)
{
	/* Nothing: the entry becomes a zombie and is pushed by the caller. */
}

static void devhold_test_list_zombie(struct kunit *test)
{
	struct devhold_test_entry *e[3], *it;
	struct devhold_list *list = devhold_test_list(test);
	atomic_t freed = ATOMIC_INIT(0);
	LIST_HEAD(objs);
	struct mutex lock;	/* protects objs */
	int i, seen;

	mutex_init(&lock);
	devhold_list_init(list, devhold_test_entry_free, 0);
	for (i = 0; i < 3; i++) {
		e[i] = devhold_test_entry(test, &freed);
		e[i]->lock = &lock;
		list_add_tail(&e[i]->link, &objs);
	}

	mutex_lock(&lock);
	KUNIT_ASSERT_TRUE(test, kref_put(&e[1]->ref, devhold_test_entry_release));
	mutex_unlock(&lock);
	devhold_list_push(list, &e[1]->node);

	seen = 0;
	mutex_lock(&lock);
	list_for_each_entry(it, &objs, link) {
		if (!kref_get_unless_zero(&it->ref))
			continue;
		seen++;
		kref_put(&it->ref, devhold_test_entry_release);
	}
	mutex_unlock(&lock);
	KUNIT_EXPECT_EQ(test, seen, 2);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&objs), 3);

	KUNIT_EXPECT_EQ(test, devhold_list_drain(list), 1UL);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&objs), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&freed), 1);
	devhold_list_fini(list);
	for (i = 0; i < 3; i += 2) {
		list_del(&e[i]->link);
		kfree(e[i]);
	}
}

/*
 * The entries of a list pin the object that embeds it, as the vm_bos of a
 * drm_gpuvm pin the VM: the free callback of the last one tears the list
 * down and frees the object while the drain is still running.
 */
struct devhold_test_list_owner {
	struct devhold_list list;
	struct kref ref;
	bool *gone;
};

struct devhold_test_pin {
	struct llist_node node;
	struct devhold_test_list_owner *owner;
};

static void devhold_test_list_owner_release(struct kref *ref)
{
	struct devhold_test_list_owner *o = container_of(ref, typeof(*o), ref);

	devhold_list_fini(&o->list);
	*o->gone = true;
	kfree(o);
}

static void devhold_test_pin_free(struct llist_node *node)
{
	struct devhold_test_pin *p = container_of(node, typeof(*p), node);
	struct devhold_test_list_owner *o = p->owner;

	kfree(p);
	kref_put(&o->ref, devhold_test_list_owner_release);
}

static void devhold_test_list_frees_owner(struct kunit *test)
{
	struct devhold_test_list_owner *o = kzalloc_obj(*o);
	struct devhold_test_pin *p;
	bool gone = false;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, o);
	kref_init(&o->ref);
	o->gone = &gone;
	devhold_list_init(&o->list, devhold_test_pin_free, 0);
	for (i = 0; i < 2; i++) {
		p = kzalloc_obj(*p);
		KUNIT_ASSERT_NOT_NULL(test, p);
		kref_get(&o->ref);
		p->owner = o;
		devhold_list_push(&o->list, &p->node);
	}
	kref_put(&o->ref, devhold_test_list_owner_release);
	KUNIT_ASSERT_FALSE(test, gone);

	/* KASAN reports any access to the list after its owner is freed. */
	KUNIT_EXPECT_EQ(test, devhold_list_drain(&o->list), 2UL);
	KUNIT_EXPECT_TRUE(test, gone);
}

static void devhold_test_list_fini_nonempty(struct kunit *test)
{
	int misuse = atomic_read(&devhold_misuse);
	struct devhold_list *list = devhold_test_list(test);
	atomic_t freed = ATOMIC_INIT(0);

	devhold_list_init(list, devhold_test_entry_free, 0);
	devhold_list_push(list, &devhold_test_entry(test, &freed)->node);
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		devhold_list_fini(list);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&freed), 1);
}

KUNIT_DEFINE_ACTION_WRAPPER(devhold_test_complete_all, complete_all, struct completion *);

/*
 * A completion a blocked put callback waits on: released at the latest
 * when the test ends, before its domains are destroyed.
 */
static struct completion *devhold_test_gate(struct kunit *test)
{
	struct completion *go = kunit_kzalloc(test, sizeof(*go), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, go);
	init_completion(go);
	return go;
}

/* @blocker's put announces itself on @entered and waits for @go. */
static void devhold_test_block(struct kunit *test, struct devhold_test_obj *blocker,
			       struct completion *entered, struct completion *go)
{
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, devhold_test_complete_all, go));
	blocker->put_entered = entered;
	blocker->put_go = go;
}

/* Misuse. */
static void devhold_test_double_put(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct module *owner = devhold_test_owner(test, MODULE_STATE_LIVE);
	struct devhold_test_obj *blocker = devhold_test_obj(test, NULL);
	struct devhold_test_obj *obj = devhold_test_obj(test, owner);
	struct completion *entered = devhold_test_gate(test);
	struct completion *go = devhold_test_gate(test);
	struct devhold *a, *b;
	int misuse;

	/*
	 * Keep the worker busy in the blocker's put, so that the doubly put
	 * hold is certainly not freed between the two puts.
	 */
	devhold_test_block(test, blocker, entered, go);
	a = devhold_get(domain, &devhold_test_ops, blocker, NULL, GFP_KERNEL);
	b = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	devhold_put_deferred(a);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(entered, WAIT));

	misuse = atomic_read(&devhold_misuse);
	devhold_put_deferred(b);
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		devhold_put_deferred(b);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	complete(go);

	devhold_test_wait_put(test, obj);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), 1);
	KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 0);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 0);
}

static void devhold_test_put_after_destroy(struct kunit *test)
{
	struct devhold_domain *domain = devhold_domain_create("devhold-test-gone", 0);
	struct module *owner = devhold_test_owner(test, MODULE_STATE_LIVE);
	struct devhold_test_obj *obj = devhold_test_obj(test, owner);
	struct devhold *hold, *late;
	int misuse, warns;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, domain);
	hold = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));

	misuse = atomic_read(&devhold_misuse);
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		/* The leaked hold. */
		devhold_domain_destroy(domain);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
		KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);

		/* A hold on the destroyed domain is refused, nothing is pinned. */
		late = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(late), -ENODEV);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
		KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 2);
		KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 1);
		KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 1);

		/* Again: counted, but a call site WARNs once. */
		warns = KUNIT_SUPPRESSED_WARNING_COUNT();
		late = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(late), -ENODEV);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(), warns);
		KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 3);

		/* The late put still completes and balances every count. */
		devhold_put_deferred(hold);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
		KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 4);
	}
	devhold_test_wait_put(test, obj);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
	KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 0);
}

static void devhold_test_obj_underflow(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	int misuse = atomic_read(&devhold_misuse);

	devhold_domain_obj_add(domain);
	devhold_domain_obj_del(domain);
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		devhold_domain_obj_del(domain);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(domain), 0);
}

/* Concurrency: holds, puts and pushes against drains and barriers. */
#define DEVHOLD_TEST_THREADS	4
#define DEVHOLD_TEST_LOOPS	2000

struct devhold_test_hammer {
	struct devhold_domain *domain;
	struct devhold_list *list;
	struct devhold_test_obj *obj;
	struct module *owner;
	atomic_t *freed;
	atomic_t pushed;
	atomic_t errors;
	struct completion done;
};

static int devhold_test_hammer_fn(void *p)
{
	struct devhold_test_hammer *h = p;
	struct devhold_release_section section = {};
	struct devhold_test_entry *e;
	struct devhold *hold;
	int i;

	for (i = 0; i < DEVHOLD_TEST_LOOPS; i++) {
		hold = devhold_get(h->domain, &devhold_test_ops, h->obj, h->owner,
				   GFP_KERNEL);
		if (IS_ERR(hold)) {
			atomic_inc(&h->errors);
			continue;
		}
		devhold_release_begin(h->domain, &section);
		devhold_put_deferred(hold);
		devhold_release_end(h->domain, &section);

		e = kzalloc_obj(*e);
		if (!e) {
			atomic_inc(&h->errors);
			continue;
		}
		e->freed = h->freed;
		devhold_list_push(h->list, &e->node);
		atomic_inc(&h->pushed);
		if (!(i % 64))
			cond_resched();
	}
	complete(&h->done);
	return 0;
}

static void devhold_test_concurrent(struct kunit *test)
{
	struct devhold_test_hammer *h = kunit_kcalloc(test, DEVHOLD_TEST_THREADS, sizeof(*h),
						      GFP_KERNEL);
	atomic_t *freed = kunit_kzalloc(test, sizeof(*freed), GFP_KERNEL);
	struct devhold_domain *domain = devhold_test_domain(test);
	struct module *owner = devhold_test_owner(test, MODULE_STATE_LIVE);
	struct devhold_test_obj *obj = devhold_test_obj(test, owner);
	struct devhold_list *list = devhold_test_list(test);
	unsigned long drained = 0;
	int i, running, pushed = 0;

	kunit_info(test, "%u CPUs online\n", num_online_cpus());
	devhold_list_init(list, devhold_test_entry_free, 0);
	for (i = 0; i < DEVHOLD_TEST_THREADS; i++) {
		h[i] = (struct devhold_test_hammer){
			.domain = domain, .list = list, .obj = obj,
			.owner = owner, .freed = freed,
		};
		init_completion(&h[i].done);
		devhold_test_start(test, devhold_test_hammer_fn, &h[i]);
	}
	do {
		drained += devhold_list_drain(list);
		devhold_release_barrier(domain);
		running = 0;
		for (i = 0; i < DEVHOLD_TEST_THREADS; i++)
			running += !completion_done(&h[i].done);
		cond_resched();
	} while (running);

	for (i = 0; i < DEVHOLD_TEST_THREADS; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&h[i].errors), 0);
		pushed += atomic_read(&h[i].pushed);
	}
	devhold_flush();
	drained += devhold_list_drain(list);
	devhold_list_fini(list);

	KUNIT_EXPECT_EQ(test, pushed, DEVHOLD_TEST_THREADS * DEVHOLD_TEST_LOOPS);
	KUNIT_EXPECT_EQ(test, drained, (unsigned long)pushed);
	KUNIT_EXPECT_EQ(test, atomic_read(freed), pushed);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), pushed);
	KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 0);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 0);
	KUNIT_EXPECT_FALSE(test, obj->bad_context);
}

/* Debugging support. */
static noinline struct devhold *devhold_test_leaky_get(struct devhold_domain *domain,
						       struct devhold_test_obj *obj)
{
	struct devhold *hold;

	hold = devhold_get(domain, &devhold_test_ops, obj, NULL, GFP_KERNEL);
	/* Not a tail call: this function must be on the recorded stack. */
	OPTIMIZER_HIDE_VAR(hold);
	return hold;
}

/* UML without frame pointers saves no stack entries at all. */
static bool devhold_test_stacks_work(void)
{
#ifdef CONFIG_STACKTRACE
	unsigned long entries[4];

	return stack_trace_save(entries, ARRAY_SIZE(entries), 0) > 0;
#else
	return false;
#endif
}

static void devhold_test_leak_report(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	struct devhold *hold;
	struct seq_buf sb;
	char *buf;

	if (!IS_ENABLED(CONFIG_DEBUG_DEVHOLD))
		kunit_skip(test, "needs CONFIG_DEBUG_DEVHOLD");
	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);

	hold = devhold_test_leaky_get(domain, obj);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));
	seq_buf_init(&sb, buf, PAGE_SIZE);
	devhold_domain_report(domain, &sb);
	kunit_info(test, "%s", buf);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "1 holds"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "devhold-test-obj"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "owner none"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "taken at:"));
	if (IS_ENABLED(CONFIG_KALLSYMS) && devhold_test_stacks_work())
		KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "devhold_test_leaky_get"));
	else
		kunit_info(test, "no reliable stack traces here: stack not checked\n");

	devhold_put_deferred(hold);
	devhold_flush();
	seq_buf_init(&sb, buf, PAGE_SIZE);
	devhold_domain_report(domain, &sb);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "0 holds"));
	KUNIT_EXPECT_NULL(test, strstr(buf, "devhold_test_leaky_get"));
}

/*
 * v3 minor 1: a report names the first 16 holds, copied under the domain's
 * lock and written after it, and counts the rest.
 */
static void devhold_test_report_many(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	struct devhold *holds[20];
	struct seq_buf sb;
	unsigned int i, named = 0;
	char *buf, *p;

	if (!IS_ENABLED(CONFIG_DEBUG_DEVHOLD))
		kunit_skip(test, "needs CONFIG_DEBUG_DEVHOLD");
	buf = kunit_kzalloc(test, 4 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < ARRAY_SIZE(holds); i++) {
		holds[i] = devhold_get(domain, &devhold_test_ops, obj, NULL, GFP_KERNEL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(holds[i]));
	}
	seq_buf_init(&sb, buf, 4 * PAGE_SIZE);
	devhold_domain_report(domain, &sb);
	KUNIT_EXPECT_FALSE(test, seq_buf_has_overflowed(&sb));
	for (p = buf; (p = strstr(p, "devhold-test-obj")); p++)
		named++;
	KUNIT_EXPECT_EQ(test, named, 16);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "20 holds"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "... and 4 more"));
	for (i = 0; i < ARRAY_SIZE(holds); i++)
		devhold_put_deferred(holds[i]);
	devhold_domain_flush(domain);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), 20);
}

/*
 * Defect tests of the v2 rework: each failed on the first version of the
 * library.  Tracepoint probes put a step of another thread at an exact
 * point of a call.
 */

/* An object embedding a list, pinned by the list's entries. */
struct devhold_test_lowner {
	struct devhold_list list;
	struct kref ref;
	struct devhold_test_flag *flag;
};

struct devhold_test_flag {
	bool gone;
	struct completion done;
	struct devhold_list *list;	/* for the probe */
	bool armed;
	unsigned long drained;
};

static void devhold_test_lowner_release(struct kref *ref)
{
	struct devhold_test_lowner *o = container_of(ref, typeof(*o), ref);
	struct devhold_test_flag *flag = o->flag;

	devhold_list_fini(&o->list);
	kfree(o);
	flag->gone = true;
	complete(&flag->done);
}

struct devhold_test_lpin {
	struct llist_node node;
	struct devhold_test_lowner *owner;
};

static void devhold_test_lpin_free(struct llist_node *node)
{
	struct devhold_test_lpin *p = container_of(node, typeof(*p), node);
	struct devhold_test_lowner *o = p->owner;

	kfree(p);
	kref_put(&o->ref, devhold_test_lowner_release);
}

static struct devhold_test_lowner *
devhold_test_lowner(struct kunit *test, struct devhold_test_flag *flag, unsigned int flags,
		    int pins)
{
	struct devhold_test_lowner *o = kzalloc_obj(*o);
	struct devhold_test_lpin *p;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, o);
	kref_init(&o->ref);
	o->flag = flag;
	init_completion(&flag->done);
	devhold_list_init(&o->list, devhold_test_lpin_free, flags);
	for (i = 0; i < pins; i++) {
		p = kzalloc_obj(*p);
		KUNIT_ASSERT_NOT_NULL(test, p);
		kref_get(&o->ref);
		p->owner = o;
		/* Only the pins keep the owner from now on. */
		if (i == pins - 1)
			kref_put(&o->ref, devhold_test_lowner_release);
		devhold_list_push(&o->list, &p->node);
	}
	return o;
}

/*
 * Runs inside devhold_list_push() right after the entry is published: a
 * drain "on another CPU" at that point.
 */
static void devhold_test_push_probe(void *data, const char *list, bool first)
{
	struct devhold_test_flag *flag = data;

	if (!flag->armed || strcmp(list, "&o->list"))
		return;
	flag->armed = false;
	flag->drained = devhold_list_drain(flag->list);
}

/*
 * Defect 1: nothing may touch the list once the entry is published: a
 * drain at that point frees the entry and, with it, the list's owner.
 */
static void devhold_test_list_push_publishes_last(struct kunit *test)
{
	struct devhold_test_flag *flag = kunit_kzalloc(test, sizeof(*flag), GFP_KERNEL);
	struct devhold_test_lowner *o;
	struct devhold_test_lpin *p;

	KUNIT_ASSERT_NOT_NULL(test, flag);
	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "needs CONFIG_TRACEPOINTS");
	p = kzalloc_obj(*p);
	KUNIT_ASSERT_NOT_NULL(test, p);
	/* The pin takes over the owner's only reference. */
	o = devhold_test_lowner(test, flag, 0, 0);
	p->owner = o;
	flag->list = &o->list;
	flag->armed = true;
	KUNIT_ASSERT_EQ(test, 0, register_trace_devhold_list_push(devhold_test_push_probe, flag));
	/* The probe frees the owner: KASAN reports any later read of the list. */
	devhold_list_push(&o->list, &p->node);
	unregister_trace_devhold_list_push(devhold_test_push_probe, flag);
	tracepoint_synchronize_unregister();
	KUNIT_EXPECT_FALSE(test, flag->armed);
	KUNIT_EXPECT_EQ(test, flag->drained, 1UL);
	KUNIT_EXPECT_TRUE(test, flag->gone);
}

/*
 * Defect 2: the last free callback of an auto-drained list tears the list
 * down from the list's own work item.
 */
static void devhold_test_list_auto_drain_frees_owner(struct kunit *test)
{
	struct devhold_test_flag *flag = kunit_kzalloc(test, sizeof(*flag), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, flag);
	devhold_test_lowner(test, flag, DEVHOLD_LIST_AUTO_DRAIN, 2);
	KUNIT_EXPECT_NE_MSG(test, 0UL, wait_for_completion_timeout(&flag->done, WAIT),
			    "the list's work did not finish tearing down its owner");
	KUNIT_EXPECT_TRUE(test, flag->gone);
}

/* A put callback that flushes and destroys a domain: a driver's release. */
struct devhold_test_flusher {
	struct devhold_test_obj obj;	/* first: the ops' object */
	struct kunit *test;
	struct devhold_domain *own;	/* the hold's */
	struct devhold_domain *other;	/* destroyed by the put */
	int wait_idle;			/* of its own domain, refused */
	int warns;			/* the release work's, suppressed */
};

static void devhold_test_flushing_put(void *p)
{
	struct devhold_test_flusher *f = p;
	struct kunit_suppressed_warning *w = kunit_start_suppress_warning(f->test);

	devhold_flush();
	devhold_domain_flush(f->own);
	f->wait_idle = devhold_domain_wait_idle(f->own);
	devhold_domain_destroy(f->other);
	f->warns = kunit_suppressed_warning_count(w);
	kunit_end_suppress_warning(f->test, w);
	devhold_test_put(&f->obj);
}

static const struct devhold_ops devhold_test_flushing_ops = {
	.get = devhold_test_get,
	.put = devhold_test_flushing_put,
};

/*
 * Defect 3: flushes from a put callback.  Another domain is flushed and
 * destroyed; the callback's own domain is skipped with a WARN (a flush and
 * a wait for idle, which is refused), and every later put still finishes.
 */
static void devhold_test_flush_from_put(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct devhold_test_flusher *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	int warned = atomic_read(&devhold_misuse_warned);
	int misuse = atomic_read(&devhold_misuse);
	bool locks = debug_locks;
	struct devhold *hold, *next;

	KUNIT_ASSERT_NOT_NULL(test, f);
	init_completion(&f->obj.put_done);
	f->test = test;
	f->own = domain;
	f->other = devhold_domain_create("devhold-test-other", 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f->other);
	hold = devhold_get(domain, &devhold_test_flushing_ops, f, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));
	devhold_put_deferred(hold);
	devhold_test_wait_put(test, &f->obj);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 3);
	/* The two flushes' and the wait's WARNs (once per call site). */
	KUNIT_EXPECT_EQ(test, f->warns, atomic_read(&devhold_misuse_warned) - warned);
	KUNIT_EXPECT_EQ(test, f->wait_idle, -EDEADLK);
	/* Flushing another domain's work is no recursion to lockdep. */
	KUNIT_EXPECT_EQ(test, debug_locks, locks);

	next = devhold_get(domain, &devhold_test_ops, obj, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(next));
	devhold_put_deferred(next);
	devhold_test_wait_put(test, obj);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 0);
}

/* Without ops->get: the caller's own reference is what the hold keeps. */
static void devhold_test_no_get(struct kunit *test)
{
	static const struct devhold_ops ops = { .put = devhold_test_put };
	struct devhold_domain *domain = devhold_test_domain(test);
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	struct devhold *hold;

	hold = devhold_get(domain, &ops, obj, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 1);
	devhold_put_deferred(hold);
	devhold_test_wait_put(test, obj);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), 1);
	devhold_domain_flush(domain);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 0);
}

static bool devhold_test_delay_on(void)
{
#ifdef CONFIG_DEVHOLD_DEBUG_DELAY
	return READ_ONCE(devhold_debug_delay);
#else
	return false;
#endif
}

/*
 * CONFIG_DEVHOLD_DEBUG_DELAY keeps each put back for 1 to 4 s after the
 * put; a flush finishes it at once.
 */
static void devhold_test_debug_delay(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	struct devhold *hold;

	if (!devhold_test_delay_on())
		kunit_skip(test, "needs CONFIG_DEVHOLD_DEBUG_DELAY and devhold.debug_delay=1");
	hold = devhold_get(domain, &devhold_test_ops, obj, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));
	devhold_put_deferred(hold);
	/* A quarter of the shortest delay: not finished yet. */
	KUNIT_EXPECT_EQ(test, 0UL, wait_for_completion_timeout(&obj->put_done, HZ / 4));
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), 0);
	devhold_domain_flush(domain);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), 1);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 0);
}

/*
 * Defect 4: a double put of a finished hold calls no op and reads no
 * object; with CONFIG_DEBUG_DEVHOLD the hold is still quarantined.
 */
static void devhold_test_double_put_finished(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	struct devhold *hold;
	int misuse, names;

	if (!IS_ENABLED(CONFIG_DEBUG_DEVHOLD))
		kunit_skip(test, "a finished hold is freed at once without CONFIG_DEBUG_DEVHOLD");
	hold = devhold_get(domain, &devhold_test_ops, obj, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));
	devhold_put_deferred(hold);
	devhold_test_wait_put(test, obj);
	devhold_flush();

	misuse = atomic_read(&devhold_misuse);
	names = atomic_read(&devhold_test_name_calls);
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		devhold_put_deferred(hold);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&devhold_test_name_calls), names,
			    "the misuse report called the object's ops");
	devhold_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), 1);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 0);
}

/* A put held between publishing the hold and kicking the work. */
struct devhold_test_window {
	struct devhold_domain *domain;
	struct devhold *stalled, *other;
	struct devhold_test_obj *obj;	/* other's */
	struct completion in_window;
	atomic_t flushed;
	int puts_at_flush;
};

static void devhold_test_put_probe(void *data, const struct devhold *hold,
				   const char *domain)
{
	struct devhold_test_window *w = data;
	unsigned long deadline = jiffies + WAIT;

	if (hold != w->stalled)
		return;
	complete(&w->in_window);
	/* Atomic context here: spin, bounded, until the other side flushed. */
	while (!atomic_read(&w->flushed) && time_before(jiffies, deadline))
		cpu_relax();
}

/* Another CPU: a put that finds the list non-empty, then a flush. */
static int devhold_test_window_flusher(void *p)
{
	struct devhold_test_window *w = p;

	if (wait_for_completion_timeout(&w->in_window, WAIT)) {
		devhold_put_deferred(w->other);
		devhold_domain_flush(w->domain);
		w->puts_at_flush = atomic_read(&w->obj->puts);
	}
	atomic_set(&w->flushed, 1);
	return 0;
}

/*
 * Defect 8: put #1 published its hold and has not kicked the release work
 * yet; put #2 sees a non-empty list, does not kick, and returns; a flush
 * after it must still finish hold #2.
 */
static void devhold_test_flush_unkicked_put(struct kunit *test)
{
	struct devhold_test_window *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	struct devhold_test_obj *first;
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, w);
	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "needs CONFIG_TRACEPOINTS");
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	w->domain = devhold_test_domain(test);
	w->obj = devhold_test_obj(test, NULL);
	first = devhold_test_obj(test, NULL);
	w->puts_at_flush = -1;
	init_completion(&w->in_window);
	w->stalled = devhold_get(w->domain, &devhold_test_ops, first, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(w->stalled));
	w->other = devhold_get(w->domain, &devhold_test_ops, w->obj, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(w->other));
	t = kthread_create(devhold_test_window_flusher, w, "devhold-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	get_task_struct(t);
	KUNIT_ASSERT_EQ(test, 0, register_trace_devhold_put(devhold_test_put_probe, w));
	wake_up_process(t);
	devhold_put_deferred(w->stalled);
	unregister_trace_devhold_put(devhold_test_put_probe, w);
	tracepoint_synchronize_unregister();
	kthread_stop(t);
	put_task_struct(t);
	KUNIT_EXPECT_EQ_MSG(test, w->puts_at_flush, 1,
			    "the flush returned before a put that returned was finished");
	devhold_test_wait_put(test, first);
	devhold_test_wait_put(test, w->obj);
}

/*
 * v3 defect tests (B1): a flush covers every put and push that returned
 * before it began, also when another kick of the same work comes while the
 * flush waits.  The work's kicks must never take a queued work from in
 * front of a flush's barrier (mod_delayed_work() does).
 */

/*
 * Whether @task has made its choice: it finished (@done), or it sleeps
 * uninterruptibly, which the flushers of these cases do only in their
 * flush's wait.  Polled, bounded: the deciding task may need this CPU.
 */
static bool devhold_test_decided(struct task_struct *task, struct completion *done)
{
	unsigned long deadline = jiffies + WAIT;

	while (time_before(jiffies, deadline)) {
		if (completion_done(done) ||
		    READ_ONCE(task->__state) == TASK_UNINTERRUPTIBLE)
			return true;
		schedule_timeout_uninterruptible(1);
	}
	return false;
}

struct devhold_test_steal {
	struct devhold_domain *domain;
	struct devhold_test_obj blocker;	/* its ->put blocks the work */
	struct completion put_entered, put_go;
	struct devhold_test_obj later;		/* put while the work is blocked */
	struct devhold *later_hold;
	struct devhold_test_obj late;		/* (late kick) published, not kicked */
	struct devhold *late_hold;
	atomic_t late_go;
	struct completion in_window, kicked;
	/* The first flusher: what it saw finished when its flush returned. */
	struct task_struct *flusher;
	struct completion flushed;
	int later_puts, late_puts;
	bool undecided;
};

/* The later hold's ->put: lets the first flusher decide first. */
static void devhold_test_steal_later_put(void *p)
{
	struct devhold_test_steal *s = container_of(p, struct devhold_test_steal, later);

	if (!devhold_test_decided(s->flusher, &s->flushed))
		s->undecided = true;
	devhold_test_put(p);
}

static const struct devhold_ops devhold_test_steal_later_ops = {
	.get = devhold_test_get,
	.put = devhold_test_steal_later_put,
};

static int devhold_test_steal_flusher(void *p)
{
	struct devhold_test_steal *s = p;

	devhold_domain_flush(s->domain);
	s->later_puts = atomic_read(&s->later.puts);
	s->late_puts = atomic_read(&s->late.puts);
	complete(&s->flushed);
	return 0;
}

static int devhold_test_steal_flush2(void *p)
{
	struct devhold_test_steal *s = p;

	devhold_domain_flush(s->domain);
	return 0;
}

static struct task_struct *devhold_test_thread(struct kunit *test, int (*fn)(void *),
					       struct devhold_test_steal *s)
{
	struct task_struct *t = kthread_create(fn, s, "devhold-test");

	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	get_task_struct(t);
	wake_up_process(t);
	return t;
}

static void devhold_test_thread_end(struct task_struct *t)
{
	kthread_stop(t);
	put_task_struct(t);
}

/* The release work runs the blocker's ->put, which waits to be let go. */
static struct devhold_test_steal *devhold_test_steal(struct kunit *test)
{
	struct devhold_test_steal *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct devhold *blocker;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->domain = devhold_test_domain(test);
	init_completion(&s->put_entered);
	init_completion(&s->put_go);
	init_completion(&s->in_window);
	init_completion(&s->kicked);
	init_completion(&s->flushed);
	init_completion(&s->blocker.put_done);
	init_completion(&s->later.put_done);
	init_completion(&s->late.put_done);
	s->blocker.put_entered = &s->put_entered;
	s->blocker.put_go = &s->put_go;
	s->later_puts = -1;
	s->late_puts = -1;
	blocker = devhold_get(s->domain, &devhold_test_ops, &s->blocker, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(blocker));
	s->later_hold = devhold_get(s->domain, &devhold_test_steal_later_ops, &s->later,
				    NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(s->later_hold));
	devhold_put_deferred(blocker);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&s->put_entered, WAIT));
	return s;
}

/* Lets the blocker go; the first flusher must have seen the later put. */
static void devhold_test_steal_end(struct kunit *test, struct devhold_test_steal *s,
				   struct task_struct *flusher)
{
	complete(&s->put_go);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&s->flushed, WAIT));
	/* Its ->put looks at the flusher. */
	devhold_test_wait_put(test, &s->later);
	devhold_test_thread_end(flusher);
	KUNIT_EXPECT_FALSE(test, s->undecided);
	KUNIT_EXPECT_EQ_MSG(test, s->later_puts, 1,
			    "a flush returned before a put that returned before it");
}

/*
 * Two flushers while the release work is blocked: the second one's kick
 * must not move the queued work behind the first one's barrier.
 */
static void devhold_test_flush_two_flushers(struct kunit *test)
{
	struct devhold_test_steal *s = devhold_test_steal(test);
	struct task_struct *f2;

	/* The list was empty: this put queues the work again. */
	devhold_put_deferred(s->later_hold);
	s->flusher = devhold_test_thread(test, devhold_test_steal_flusher, s);
	KUNIT_EXPECT_TRUE(test, devhold_test_decided(s->flusher, &s->flushed));
	f2 = devhold_test_thread(test, devhold_test_steal_flush2, s);
	KUNIT_EXPECT_TRUE(test, devhold_test_decided(f2, &s->kicked));
	devhold_test_steal_end(test, s, s->flusher);
	devhold_test_thread_end(f2);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->blocker.puts), 1);
}

static void devhold_test_late_kick_probe(void *data, const struct devhold *hold,
					 const char *domain)
{
	struct devhold_test_steal *s = data;
	unsigned long deadline = jiffies + WAIT;

	if (hold != s->late_hold)
		return;
	complete(&s->in_window);
	/* Atomic context here: spin, bounded, until the flush waits. */
	while (!atomic_read(&s->late_go) && time_before(jiffies, deadline))
		cpu_relax();
}

static int devhold_test_late_putter(void *p)
{
	struct devhold_test_steal *s = p;

	devhold_put_deferred(s->late_hold);
	complete(&s->kicked);
	return 0;
}

/*
 * A put published its hold and kicks the work only once a flush waits
 * (v1's defect 8 with the work busy): its kick must not move the queued
 * work behind the flush's barrier.
 */
static void devhold_test_flush_late_kick(struct kunit *test)
{
	struct devhold_test_steal *s;
	struct task_struct *putter;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "needs CONFIG_TRACEPOINTS");
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	s = devhold_test_steal(test);
	s->late_hold = devhold_get(s->domain, &devhold_test_ops, &s->late, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(s->late_hold));
	KUNIT_ASSERT_EQ(test, 0, register_trace_devhold_put(devhold_test_late_kick_probe, s));
	/* The list is empty: this put would queue the work, after the probe. */
	putter = devhold_test_thread(test, devhold_test_late_putter, s);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&s->in_window, WAIT));
	/* The list is not empty: this put does not queue the work. */
	devhold_put_deferred(s->later_hold);
	s->flusher = devhold_test_thread(test, devhold_test_steal_flusher, s);
	KUNIT_EXPECT_TRUE(test, devhold_test_decided(s->flusher, &s->flushed));
	atomic_set(&s->late_go, 1);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&s->kicked, WAIT));
	unregister_trace_devhold_put(devhold_test_late_kick_probe, s);
	tracepoint_synchronize_unregister();
	devhold_test_thread_end(putter);
	devhold_test_steal_end(test, s, s->flusher);
	KUNIT_EXPECT_EQ(test, s->late_puts, 1);
}

struct devhold_test_lflush {
	struct devhold_list list;
	struct llist_node node;		/* the entry published before the flush */
	atomic_t go;			/* the push may queue the list's work */
	struct completion in_window, freeing, flushed, pushed;
	struct task_struct *flusher;
	bool armed, freed, freed_at_flush, undecided;
};

/* Frees the entry once the flusher has decided (returned or waits). */
static void devhold_test_lflush_free(struct llist_node *node)
{
	struct devhold_test_lflush *l = container_of(node, typeof(*l), node);

	complete(&l->freeing);
	if (current != l->flusher && !devhold_test_decided(l->flusher, &l->flushed))
		l->undecided = true;
	WRITE_ONCE(l->freed, true);
}

/* In the push, after the entry is published, before the work is queued. */
static void devhold_test_lflush_push_probe(void *data, const char *list, bool first)
{
	struct devhold_test_lflush *l = data;
	unsigned long deadline = jiffies + WAIT;

	if (!l->armed || strcmp(list, "&l->list"))
		return;
	l->armed = false;
	complete(&l->in_window);
	while (!atomic_read(&l->go) && time_before(jiffies, deadline))
		cpu_relax();
}

/* In the flush, once it has waited for the work: the push goes on now. */
static void devhold_test_lflush_probe(void *data, const char *list)
{
	struct devhold_test_lflush *l = data;
	unsigned long deadline = jiffies + WAIT;

	if (current != l->flusher)
		return;
	atomic_set(&l->go, 1);
	/* The work the push queues takes the entry, if the flush left it. */
	while (!completion_done(&l->freeing) && time_before(jiffies, deadline))
		cpu_relax();
}

static int devhold_test_lflush_pusher(void *p)
{
	struct devhold_test_lflush *l = p;

	devhold_list_push(&l->list, &l->node);
	complete(&l->pushed);
	return 0;
}

static int devhold_test_lflush_flusher(void *p)
{
	struct devhold_test_lflush *l = p;

	devhold_list_flush(&l->list);
	l->freed_at_flush = READ_ONCE(l->freed);
	complete(&l->flushed);
	return 0;
}

#if IS_ENABLED(CONFIG_X86_64) && IS_ENABLED(CONFIG_DEVHOLD_DEBUG_DELAY) && \
	IS_ENABLED(CONFIG_KPROBES)
/*
 * A flush against a release run that began before it, kept a hold back
 * (debug delay) and is re-arming its work: queue_delayed_work_on() has set
 * the work pending but not yet added the timer, so the flush finds no timer
 * to bring forward and waits for that run only.  A kprobe on
 * add_timer_global() holds the run in that window (its CPU has IRQs off
 * there) until a flusher on another CPU sleeps in flush_work(); the flush
 * must still finish the hold kept back.  The handler wakes nothing: the
 * flushers, one bound to each of two CPUs, poll for it.
 */
struct devhold_test_rearm {
	struct devhold_domain *domain;
	struct devhold_test_obj *obj;
	struct kprobe kp;
	struct completion flushed;
	struct task_struct *flusher[2];
	int cpu[2];
	atomic_t hit;		/* 1 + the CPU the run reached the window on */
	atomic_t flushing;	/* the flusher on the other CPU is flushing */
	unsigned long expires;	/* the re-armed timer's */
	unsigned long flush_end;	/* jiffies when the flush returned */
	bool timed_out;		/* the window closed before the flusher slept */
	int puts_after;		/* the object's puts right after the flush */
};

struct devhold_test_rearm_arg {
	struct devhold_test_rearm *t;
	int i;
};

static struct devhold_test_rearm *devhold_test_rearm_t;

static int devhold_test_rearm_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct devhold_test_rearm *t = READ_ONCE(devhold_test_rearm_t);
	struct timer_list *timer = (void *)regs_get_kernel_argument(regs, 0);
	int i;
	u64 end;

	if (!t || timer != &t->domain->work.timer ||
	    atomic_cmpxchg(&t->hit, 0, 1 + raw_smp_processor_id()))
		return 0;
	t->expires = READ_ONCE(timer->expires);
	i = t->cpu[0] == raw_smp_processor_id();	/* the flusher */
	end = ktime_get_mono_fast_ns() + NSEC_PER_SEC;
	while (!atomic_read(&t->flushing) ||
	       READ_ONCE(t->flusher[i]->__state) == TASK_RUNNING) {
		if (ktime_get_mono_fast_ns() > end) {
			t->timed_out = true;
			break;
		}
		cpu_relax();
	}
	return 0;
}

static int devhold_test_rearm_flusher(void *data)
{
	struct devhold_test_rearm_arg *a = data;
	struct devhold_test_rearm *t = a->t;
	unsigned long end = jiffies + WAIT;
	int i = a->i, hit;

	/* Polls: the probe's handler may not wake anyone. */
	while (!(hit = atomic_read(&t->hit)) && !kthread_should_stop() &&
	       time_before(jiffies, end))
		usleep_range(100, 200);
	/* The flusher bound to the other CPU than the run's flushes. */
	if (hit && i == (hit - 1 == t->cpu[0])) {
		atomic_set(&t->flushing, 1);
		devhold_domain_flush(t->domain);
		t->flush_end = jiffies;
		t->puts_after = atomic_read(&t->obj->puts);
		complete(&t->flushed);
	}
	while (!kthread_should_stop())
		schedule_timeout_idle(HZ / 10);
	return 0;
}

static void devhold_test_rearm_stop(struct devhold_test_rearm *t, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		kthread_stop(t->flusher[i]);
		put_task_struct(t->flusher[i]);
	}
}

static void devhold_test_flush_delay_rearm(struct kunit *test)
{
	struct devhold_test_rearm_arg *arg;
	struct devhold_test_rearm *t;
	struct devhold *hold;
	int i, ret;

	if (!READ_ONCE(devhold_debug_delay))
		kunit_skip(test, "devhold.debug_delay=0");
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	if (housekeeping_enabled(HK_TYPE_TIMER))
		kunit_skip(test, "timer housekeeping: the work's timer is added elsewhere");
	arg = kunit_kcalloc(test, 2, sizeof(*arg), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, arg);
	/* Not the test's: a flush that hangs keeps it, see below. */
	t = kzalloc_obj(*t);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->domain = devhold_test_domain(test);
	t->obj = devhold_test_obj(test, NULL);
	init_completion(&t->flushed);
	t->cpu[0] = cpumask_first(cpu_online_mask);
	t->cpu[1] = cpumask_next(t->cpu[0], cpu_online_mask);
	for (i = 0; i < 2; i++) {
		arg[i].t = t;
		arg[i].i = i;
		t->flusher[i] = kthread_create(devhold_test_rearm_flusher, &arg[i],
					       "devhold-test-flush/%d", t->cpu[i]);
		if (IS_ERR(t->flusher[i])) {
			devhold_test_rearm_stop(t, i);
			kfree(t);
			KUNIT_FAIL_AND_ABORT(test, "cannot create the flushers");
		}
		kthread_bind(t->flusher[i], t->cpu[i]);
		get_task_struct(t->flusher[i]);
	}
	WRITE_ONCE(devhold_test_rearm_t, t);
	t->kp.symbol_name = "add_timer_global";
	t->kp.pre_handler = devhold_test_rearm_pre;
	ret = register_kprobe(&t->kp);
	for (i = 0; i < 2; i++)
		wake_up_process(t->flusher[i]);
	if (ret) {
		WRITE_ONCE(devhold_test_rearm_t, NULL);
		devhold_test_rearm_stop(t, 2);
		kfree(t);
		KUNIT_FAIL_AND_ABORT(test, "cannot probe add_timer_global(): %d", ret);
	}
	/* The run that begins now keeps the hold back and re-arms. */
	hold = devhold_get(t->domain, &devhold_test_ops, t->obj, NULL, GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(hold));
	if (!IS_ERR(hold))
		devhold_put_deferred(hold);
	if (!wait_for_completion_timeout(&t->flushed, WAIT) && atomic_read(&t->hit)) {
		/* The flush hangs: its thread keeps @t and the domain. */
		unregister_kprobe(&t->kp);
		WRITE_ONCE(devhold_test_rearm_t, NULL);
		KUNIT_FAIL_AND_ABORT(test, "the flush hangs");
	}
	unregister_kprobe(&t->kp);
	WRITE_ONCE(devhold_test_rearm_t, NULL);
	devhold_test_rearm_stop(t, 2);
	KUNIT_EXPECT_NE_MSG(test, atomic_read(&t->hit), 0,
			    "the release work never re-armed its timer");
	KUNIT_EXPECT_FALSE_MSG(test, t->timed_out, "the flusher did not reach flush_work()");
	KUNIT_EXPECT_TRUE_MSG(test, time_before(t->flush_end, t->expires),
			      "the flush took as long as the delay: nothing shown");
	KUNIT_EXPECT_EQ_MSG(test, t->puts_after, 1,
			    "the flush returned with the hold its run kept back");
	kfree(t);
}
#else
static void devhold_test_flush_delay_rearm(struct kunit *test)
{
	kunit_skip(test, "needs x86_64, CONFIG_DEVHOLD_DEBUG_DELAY and CONFIG_KPROBES");
}
#endif

/*
 * An auto-drained list: an entry published but whose push has not queued
 * the list's work yet when a flush begins must be freed when the flush
 * returns, not by a work the push queues after the flush looked.
 */
static void devhold_test_list_flush_unkicked_push(struct kunit *test)
{
	struct devhold_test_lflush *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	struct task_struct *pusher;

	KUNIT_ASSERT_NOT_NULL(test, l);
	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "needs CONFIG_TRACEPOINTS");
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	init_completion(&l->in_window);
	init_completion(&l->freeing);
	init_completion(&l->flushed);
	init_completion(&l->pushed);
	devhold_list_init(&l->list, devhold_test_lflush_free, DEVHOLD_LIST_AUTO_DRAIN);
	l->flusher = kthread_create(devhold_test_lflush_flusher, l, "devhold-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(l->flusher));
	get_task_struct(l->flusher);
	l->armed = true;
	KUNIT_ASSERT_EQ(test, 0,
			register_trace_devhold_list_push(devhold_test_lflush_push_probe, l));
	KUNIT_ASSERT_EQ(test, 0,
			register_trace_devhold_list_flush(devhold_test_lflush_probe, l));
	pusher = kthread_run(devhold_test_lflush_pusher, l, "devhold-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(pusher));
	get_task_struct(pusher);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&l->in_window, WAIT));
	wake_up_process(l->flusher);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&l->flushed, WAIT));
	/* Had the flush's probe not run, the push would still spin. */
	atomic_set(&l->go, 1);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&l->pushed, WAIT));
	unregister_trace_devhold_list_flush(devhold_test_lflush_probe, l);
	unregister_trace_devhold_list_push(devhold_test_lflush_push_probe, l);
	tracepoint_synchronize_unregister();
	devhold_test_thread_end(pusher);
	devhold_test_thread_end(l->flusher);
	KUNIT_EXPECT_FALSE(test, l->undecided);
	KUNIT_EXPECT_TRUE_MSG(test, l->freed_at_flush,
			      "a list flush returned before an entry pushed before it was freed");
	devhold_list_flush(&l->list);
	devhold_list_fini(&l->list);
}

/*
 * Defect 9: each domain has its own lockdep class; a barrier of one domain
 * inside a release section of another is not recursion.
 */
static void devhold_test_barrier_nested_domains(struct kunit *test)
{
	struct devhold_domain *a = devhold_test_domain(test);
	struct devhold_domain *b = devhold_test_domain(test);
	struct devhold_release_section section = {};
	int misuse = atomic_read(&devhold_misuse);

	bool locks = debug_locks;

	devhold_release_begin(a, &section);
	KUNIT_EXPECT_EQ(test, devhold_release_barrier(b), 0);
	devhold_release_end(a, &section);
	if (IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC) && locks)
		KUNIT_EXPECT_TRUE_MSG(test, debug_locks, "lockdep reported the nested barrier");
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse);
}

/* A blocked release in one domain delays neither puts nor flushes in another. */
static void devhold_test_domain_isolation(struct kunit *test)
{
	struct completion *entered = devhold_test_gate(test);
	struct completion *go = devhold_test_gate(test);
	struct devhold_domain *a = devhold_test_domain(test);
	struct devhold_domain *b = devhold_test_domain(test);
	struct devhold_test_obj *blocker = devhold_test_obj(test, NULL);
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	struct devhold *ha, *hb;

	devhold_test_block(test, blocker, entered, go);
	ha = devhold_get(a, &devhold_test_ops, blocker, NULL, GFP_KERNEL);
	hb = devhold_get(b, &devhold_test_ops, obj, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ha));
	KUNIT_ASSERT_FALSE(test, IS_ERR(hb));
	devhold_put_deferred(ha);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(entered, WAIT));

	devhold_put_deferred(hb);
	KUNIT_EXPECT_NE_MSG(test, 0UL, wait_for_completion_timeout(&obj->put_done, WAIT),
			    "a blocked release in another domain held this one up");
	devhold_domain_flush(b);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&blocker->puts), 0);
	complete(go);
	devhold_test_wait_put(test, blocker);
	devhold_flush();
}

/* Holds are finished in the order they were put. */
#define DEVHOLD_TEST_FIFO	8

struct devhold_test_seq {
	struct devhold_test_obj obj;	/* first: the ops' object */
	int index;
	int *order;
	atomic_t *next;
};

static void devhold_test_seq_put(void *p)
{
	struct devhold_test_seq *q = p;

	q->order[atomic_inc_return(q->next) - 1] = q->index;
	devhold_test_put(&q->obj);
}

static const struct devhold_ops devhold_test_seq_ops = {
	.get = devhold_test_get,
	.put = devhold_test_seq_put,
};

static void devhold_test_fifo(struct kunit *test)
{
	struct completion *entered = devhold_test_gate(test);
	struct completion *go = devhold_test_gate(test);
	struct devhold_test_seq *q;
	struct devhold_domain *domain;
	struct devhold_test_obj *blocker;
	struct devhold *hold;
	atomic_t *next;
	int *order, i;

	q = kunit_kcalloc(test, DEVHOLD_TEST_FIFO, sizeof(*q), GFP_KERNEL);
	order = kunit_kcalloc(test, DEVHOLD_TEST_FIFO, sizeof(*order), GFP_KERNEL);
	next = kunit_kzalloc(test, sizeof(*next), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, q && order && next);
	domain = devhold_test_domain(test);
	blocker = devhold_test_obj(test, NULL);
	devhold_test_block(test, blocker, entered, go);

	/* The work is busy with the blocker while the holds are put. */
	hold = devhold_get(domain, &devhold_test_ops, blocker, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));
	devhold_put_deferred(hold);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(entered, WAIT));
	for (i = 0; i < DEVHOLD_TEST_FIFO; i++) {
		q[i].index = i;
		q[i].order = order;
		q[i].next = next;
		init_completion(&q[i].obj.put_done);
		hold = devhold_get(domain, &devhold_test_seq_ops, &q[i], NULL, GFP_KERNEL);
		if (IS_ERR(hold))
			break;
		devhold_put_deferred(hold);
	}
	complete(go);
	KUNIT_ASSERT_EQ(test, i, DEVHOLD_TEST_FIFO);
	devhold_flush();
	KUNIT_ASSERT_EQ(test, atomic_read(next), DEVHOLD_TEST_FIFO);
	for (i = 0; i < DEVHOLD_TEST_FIFO; i++)
		KUNIT_EXPECT_EQ(test, order[i], i);
}

/* A counted domain: holds pin the object, not the owner module. */
static void devhold_test_counted_domain(struct kunit *test)
{
	struct devhold_domain *domain = devhold_domain_create("devhold-test-counted",
							      DEVHOLD_DOMAIN_EXIT_WAITS);
	struct module *owner = devhold_test_owner(test, MODULE_STATE_LIVE);
	struct devhold_test_obj *obj = devhold_test_obj(test, owner);
	struct devhold *hold, *going;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, domain);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, devhold_test_domain_destroy,
							   domain));
	hold = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 1);
	KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 0);

	/* The provider's exit waits for the object: a going module is fine. */
	owner->state = MODULE_STATE_GOING;
	going = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(going));
	devhold_put_deferred(going);
	devhold_put_deferred(hold);
	devhold_domain_flush(domain);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
	KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 0);
}

/*
 * Defect 6: a destroyed domain stays allocated while it still counts
 * objects, so a late hold fails cleanly and the late uncount balances.
 */
static void devhold_test_domain_outlives_objects(struct kunit *test)
{
	struct devhold_domain *domain = devhold_domain_create("devhold-test-late", 0);
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	int misuse = atomic_read(&devhold_misuse);
	struct devhold *late;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, domain);
	devhold_domain_obj_add(domain);
	/*
	 * A leaked object, a hold on a destroyed domain, a second destroy,
	 * an object added to the destroyed domain (v3 minor 5: counted, so
	 * that its uncount balances, and reported).
	 */
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		devhold_domain_destroy(domain);
		KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
		/* KASAN reports these if the domain was freed. */
		late = devhold_get(domain, &devhold_test_ops, obj, NULL, GFP_KERNEL);
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(late), -ENODEV);
		devhold_domain_destroy(domain);
		devhold_domain_obj_add(domain);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 4);
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(domain), 2);
	devhold_domain_obj_del(domain);
	devhold_domain_obj_del(domain);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
}

/*
 * Objects take no reference on their domain: a destroy that finds one
 * counted leaves the creator's reference to its uncount, which frees the
 * domain; not before (KASAN would see the uncount touch freed memory) and
 * not never (a leak).  The probe's data is freed once it is unregistered.
 */
static void devhold_test_last_uncount_probe(void *data, const char *name)
{
	if (!strcmp(name, "devhold-test-uncount"))
		complete(data);
}

static void devhold_test_last_uncount_frees(struct kunit *test)
{
	int misuse = atomic_read(&devhold_misuse);
	struct devhold_domain *domain;
	struct completion *freed;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "needs CONFIG_TRACEPOINTS");
	freed = kzalloc_obj(*freed);
	KUNIT_ASSERT_NOT_NULL(test, freed);
	init_completion(freed);
	domain = devhold_domain_create("devhold-test-uncount", 0);
	if (IS_ERR(domain)) {
		kfree(freed);
		KUNIT_FAIL_AND_ABORT(test, "cannot create the domain");
	}
	if (register_trace_devhold_domain_free(devhold_test_last_uncount_probe, freed)) {
		devhold_domain_destroy(domain);
		kfree(freed);
		KUNIT_FAIL_AND_ABORT(test, "cannot register the free probe");
	}
	devhold_domain_obj_add(domain);
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		devhold_domain_destroy(domain);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	KUNIT_EXPECT_TRUE_MSG(test, devhold_test_still_waiting(freed),
			      "a domain freed while it counts an object");
	devhold_domain_obj_del(domain);
	KUNIT_EXPECT_NE_MSG(test, 0UL, wait_for_completion_timeout(freed, WAIT),
			    "the last uncount of a destroyed domain did not free it");
	unregister_trace_devhold_domain_free(devhold_test_last_uncount_probe, freed);
	tracepoint_synchronize_unregister();
	kfree(freed);
}

/*
 * A release section takes no reference on its domain: a domain destroyed
 * from inside one of its sections (the barrier is refused there) is freed
 * only after that section ends, which then touches nothing freed.  The
 * thread's data is left to it should it hang.
 */
struct devhold_test_outlive {
	struct kunit *test;
	int warns;		/* the thread's, suppressed */
	struct devhold_domain *domain;
	struct completion inside;
	struct completion go;
	struct completion done;
	struct completion freed;
};

static void devhold_test_free_probe(void *data, const char *name)
{
	struct devhold_test_outlive *t = data;

	if (!strcmp(name, "devhold-test-outlive"))
		complete(&t->freed);
}

static int devhold_test_outlive_fn(void *p)
{
	struct devhold_test_outlive *t = p;
	struct devhold_release_section section = {};
	struct kunit_suppressed_warning *w = kunit_start_suppress_warning(t->test);

	devhold_release_begin(t->domain, &section);
	devhold_domain_destroy(t->domain);
	t->warns = kunit_suppressed_warning_count(w);
	kunit_end_suppress_warning(t->test, w);
	complete(&t->inside);
	wait_for_completion(&t->go);
	/* KASAN reports this if the domain was freed already. */
	devhold_release_end(t->domain, &section);
	kthread_complete_and_exit(&t->done, 0);
}

static void devhold_test_section_outlives_destroy(struct kunit *test)
{
	int warned = atomic_read(&devhold_misuse_warned);
	int misuse = atomic_read(&devhold_misuse);
	struct devhold_test_outlive *t;
	struct devhold_domain *domain;
	struct task_struct *thread;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "needs CONFIG_TRACEPOINTS");
	/* The destroy's barrier inside the section is refused. */
	devhold_test_need_lockdep(test);
	/* Shared with the thread and the probe: freed once both are done. */
	t = kzalloc_obj(*t);
	KUNIT_ASSERT_NOT_NULL(test, t);
	init_completion(&t->inside);
	init_completion(&t->go);
	init_completion(&t->done);
	init_completion(&t->freed);
	domain = devhold_domain_create("devhold-test-outlive", 0);
	if (IS_ERR(domain)) {
		kfree(t);
		KUNIT_FAIL_AND_ABORT(test, "cannot create the domain");
	}
	t->test = test;
	t->domain = domain;
	if (register_trace_devhold_domain_free(devhold_test_free_probe, t)) {
		devhold_domain_destroy(domain);
		kfree(t);
		KUNIT_FAIL_AND_ABORT(test, "cannot register the free probe");
	}
	thread = kthread_run(devhold_test_outlive_fn, t, "devhold-test");
	if (IS_ERR(thread)) {
		KUNIT_FAIL(test, "cannot start the thread");
		devhold_domain_destroy(domain);
	} else if (!wait_for_completion_timeout(&t->inside, WAIT)) {
		KUNIT_FAIL(test, "the thread did not enter its section");
		complete(&t->go);
	} else {
		KUNIT_EXPECT_TRUE_MSG(test, devhold_test_still_waiting(&t->freed),
				      "domain freed while one of its release sections runs");
		complete(&t->go);
	}
	if (!IS_ERR(thread) && !wait_for_completion_timeout(&t->done, WAIT)) {
		/* The data is left to the stuck thread; the probe goes. */
		unregister_trace_devhold_domain_free(devhold_test_free_probe, t);
		tracepoint_synchronize_unregister();
		KUNIT_FAIL_AND_ABORT(test, "the thread hangs in its release section");
	}
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&t->freed, WAIT));
	unregister_trace_devhold_domain_free(devhold_test_free_probe, t);
	tracepoint_synchronize_unregister();
	if (!IS_ERR(thread)) {
		KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
		/* The destroy's barrier's WARN (once per call site). */
		KUNIT_EXPECT_EQ(test, t->warns,
				atomic_read(&devhold_misuse_warned) - warned);
	}
	kfree(t);
}

/*
 * A task's release sections may end out of order: the barrier still sees
 * the ones left (refused for its own domain, not for one it left).  A
 * thread runs it, as a barrier that missed its section would hang; the
 * data and domains are then left to the stuck thread.  No lockdep report:
 * lockdep allows read locks to be released out of order.
 */
struct devhold_test_order {
	struct kunit *test;
	struct devhold_domain *d1, *d2;
	struct completion done;
	int b1, b2;
	int warns;		/* the thread's, suppressed */
};

static int devhold_test_order_fn(void *p)
{
	struct devhold_test_order *t = p;
	struct devhold_release_section a = {}, b = {};
	struct kunit_suppressed_warning *w = kunit_start_suppress_warning(t->test);

	devhold_release_begin(t->d1, &a);
	devhold_release_begin(t->d2, &b);
	devhold_release_end(t->d1, &a);
	t->b1 = devhold_release_barrier(t->d1);
	t->b2 = devhold_release_barrier(t->d2);
	devhold_release_end(t->d2, &b);
	t->warns = kunit_suppressed_warning_count(w);
	kunit_end_suppress_warning(t->test, w);
	kthread_complete_and_exit(&t->done, 0);
}

static void devhold_test_sections_out_of_order(struct kunit *test)
{
	int warned = atomic_read(&devhold_misuse_warned);
	int misuse = atomic_read(&devhold_misuse);
	struct devhold_test_order *t;

	devhold_test_need_lockdep(test);
	t = kzalloc_obj(*t);
	KUNIT_ASSERT_NOT_NULL(test, t);
	init_completion(&t->done);
	t->test = test;
	t->d1 = devhold_domain_create("devhold-test-order1", 0);
	t->d2 = devhold_domain_create("devhold-test-order2", 0);
	if (IS_ERR(t->d1) || IS_ERR(t->d2) ||
	    IS_ERR(kthread_run(devhold_test_order_fn, t, "devhold-test"))) {
		devhold_domain_destroy(t->d1);
		devhold_domain_destroy(t->d2);
		kfree(t);
		KUNIT_FAIL_AND_ABORT(test, "cannot set up");
	}
	if (!wait_for_completion_timeout(&t->done, WAIT))
		KUNIT_FAIL_AND_ABORT(test, "a barrier missed the section it is called from");
	KUNIT_EXPECT_EQ(test, t->b1, 0);
	KUNIT_EXPECT_EQ(test, t->b2, -EDEADLK);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	/* The barrier's WARN (once per call site). */
	KUNIT_EXPECT_EQ(test, t->warns, atomic_read(&devhold_misuse_warned) - warned);
	devhold_domain_destroy(t->d1);
	devhold_domain_destroy(t->d2);
	kfree(t);
}

/*
 * A section begun twice or ended twice is refused with a WARN, and the
 * SRCU read side stays balanced: the barrier neither is refused nor
 * waits forever afterwards.
 */
static void devhold_test_section_misuse(struct kunit *test)
{
	struct devhold_release_section *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct devhold_domain *domain = devhold_test_domain(test);
	int misuse = atomic_read(&devhold_misuse);

	KUNIT_ASSERT_NOT_NULL(test, s);
	devhold_release_begin(domain, s);
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		devhold_release_begin(domain, s);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
		devhold_release_end(domain, s);
		devhold_release_end(domain, s);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 2);
	/* Nothing is left: with lockdep the barrier would be refused. */
	KUNIT_EXPECT_EQ(test, devhold_release_barrier(domain), 0);
}

/*
 * A section begun again on another domain before it ended is refused: it
 * still belongs to the first, which would otherwise lose its reader (and
 * whose barrier would then wait for ever).
 */
static void devhold_test_section_two_domains(struct kunit *test)
{
	struct devhold_release_section *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct devhold_domain *d2 = devhold_test_domain(test);
	int misuse = atomic_read(&devhold_misuse);
	struct devhold_test_barrier *b;
	struct devhold_domain *d1;

	KUNIT_ASSERT_NOT_NULL(test, s);
	/* Left to a barrier thread that hangs, should d1 lose its reader. */
	b = kzalloc_obj(*b);
	KUNIT_ASSERT_NOT_NULL(test, b);
	d1 = devhold_domain_create("devhold-test-two", 0);
	if (IS_ERR(d1)) {
		kfree(b);
		KUNIT_FAIL_AND_ABORT(test, "cannot create the domain");
	}
	b->domain = d1;
	init_completion(&b->done);
	devhold_release_begin(d1, s);
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		devhold_release_begin(d2, s);
		KUNIT_EXPECT_PTR_EQ(test, s->domain, d1);
		/* Never begun on d2: refused too. */
		devhold_release_end(d2, s);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	devhold_release_end(d1, s);
	KUNIT_EXPECT_NULL(test, s->domain);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 2);
	KUNIT_EXPECT_EQ(test, devhold_release_barrier(d2), 0);
	/* d1 has no reader left: its barrier returns (in a thread: else it hangs). */
	if (IS_ERR(kthread_run(devhold_test_barrier_fn, b, "devhold-test"))) {
		devhold_domain_destroy(d1);
		kfree(b);
		KUNIT_FAIL_AND_ABORT(test, "cannot start the barrier thread");
	}
	if (!wait_for_completion_timeout(&b->done, WAIT)) {
		KUNIT_FAIL(test, "the first domain lost its reader: its barrier hangs");
		return;
	}
	devhold_domain_destroy(d1);
	kfree(b);
}

/*
 * A section begun in a softirq (a BH work item) and ended by a hardirq (a
 * hard irq_work) that interrupted it, in the same task: another context,
 * as much as another task.  The work item is queued with BH disabled and
 * runs when the test's task enables BH again, in that task, so that the
 * irq_work's WARN runs in the test's task too, where it is suppressed.  On
 * PREEMPT_RT another task's BH section on this CPU may run it first (and
 * on any kernel ksoftirqd, under softirq load): the work item then does
 * nothing and the case is skipped.  The work item spins (at most 1 s) until the
 * irq_work ran, then drops lockdep's lock the misused end left to it (the
 * case's tidy-up).  Both are synced at the end; the data is the test's.
 */
struct devhold_test_level {
	struct devhold_domain *domain;
	struct task_struct *tester;
	struct devhold_release_section section;
	struct irq_work iw;
	struct work_struct bh;
	struct completion done;
	bool begun_in_softirq, ended_in_hardirq;
	bool same_task;
	bool elsewhere;
	bool ended;
};

static void devhold_test_level_sync(void *p)
{
	struct devhold_test_level *t = p;

	cancel_work_sync(&t->bh);
	irq_work_sync(&t->iw);
}

static void devhold_test_level_iw_fn(struct irq_work *iw)
{
	struct devhold_test_level *t = container_of(iw, struct devhold_test_level, iw);

	t->ended_in_hardirq = in_hardirq();
	t->same_task = t->section.task == current;
	devhold_release_end(t->domain, &t->section);
	WRITE_ONCE(t->ended, true);
}

static void devhold_test_level_bh_fn(struct work_struct *work)
{
	struct devhold_test_level *t = container_of(work, struct devhold_test_level, bh);
	unsigned long deadline = jiffies + HZ;

	if (current != t->tester) {
		WRITE_ONCE(t->elsewhere, true);
		complete(&t->done);
		return;
	}
	t->begun_in_softirq = in_serving_softirq() && !in_hardirq();
	devhold_release_begin(t->domain, &t->section);
	irq_work_queue(&t->iw);
	while (!READ_ONCE(t->ended) && time_before(jiffies, deadline))
		cpu_relax();
	if (READ_ONCE(t->ended)) {
#ifdef CONFIG_DEBUG_LOCK_ALLOC
		lock_map_release(&t->domain->dep_map);
#endif
	}
	complete(&t->done);
}

static void devhold_test_section_ended_in_hardirq(struct kunit *test)
{
	struct devhold_test_level *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int warned = atomic_read(&devhold_misuse_warned);
	int misuse = atomic_read(&devhold_misuse);
	int lockdep_on = debug_locks;

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->domain = devhold_test_domain(test);
	t->tester = current;
	init_completion(&t->done);
	t->iw = IRQ_WORK_INIT_HARD(devhold_test_level_iw_fn);
	INIT_WORK(&t->bh, devhold_test_level_bh_fn);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, devhold_test_level_sync, t));
	kunit_warning_suppress(test) {
		/* The BH work runs here, at local_bh_enable(). */
		local_bh_disable();
		queue_work_on(smp_processor_id(), system_bh_wq, &t->bh);
		local_bh_enable();
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	if (!wait_for_completion_timeout(&t->done, WAIT))
		KUNIT_FAIL_AND_ABORT(test, "the BH work did not run");
	if (READ_ONCE(t->elsewhere))
		kunit_skip(test, "the BH work ran in another task");
	KUNIT_ASSERT_TRUE_MSG(test, READ_ONCE(t->ended), "the irq_work did not run in the BH work");
	KUNIT_EXPECT_TRUE(test, t->begun_in_softirq);
	KUNIT_EXPECT_TRUE(test, t->ended_in_hardirq);
	/* On PREEMPT_RT the BH work may be preempted meanwhile. */
	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		KUNIT_EXPECT_TRUE(test, t->same_task);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&devhold_misuse), misuse + 1,
			    "a section begun in a softirq and ended in a hardirq was not reported");
	KUNIT_EXPECT_NULL(test, t->section.domain);
	KUNIT_EXPECT_EQ(test, devhold_release_barrier(t->domain), 0);
	KUNIT_EXPECT_EQ(test, debug_locks, lockdep_on);
}

/*
 * A put callback that runs a release section of its own domain, finished
 * by the flush of the domain's destroy: the domain is dead by then, but
 * the hold keeps it, so that section is no misuse.  The release work is
 * held in an earlier put until the destroy has begun.  The data is left
 * to the work and the thread should they hang.
 */
struct devhold_test_sectioned {
	struct devhold_test_obj obj;	/* first: devhold_test_get() */
	struct devhold_domain *domain;
};

static void devhold_test_sectioned_put(void *p)
{
	struct devhold_test_sectioned *o = p;
	struct devhold_release_section section = {};

	devhold_release_begin(o->domain, &section);
	devhold_test_put(&o->obj);
	devhold_release_end(o->domain, &section);
}

static const struct devhold_ops devhold_test_sectioned_ops = {
	.get = devhold_test_get,
	.put = devhold_test_sectioned_put,
};

struct devhold_test_dead_put {
	struct devhold_domain *domain;
	struct devhold_test_obj blocker;
	struct completion entered, go;
	struct devhold_test_sectioned sectioned;
	struct completion destroyed;
};

static int devhold_test_destroyer_fn(void *p)
{
	struct devhold_test_dead_put *t = p;

	devhold_domain_destroy(t->domain);
	kthread_complete_and_exit(&t->destroyed, 0);
}

static void devhold_test_destroy_runs_sectioned_put(struct kunit *test)
{
	int misuse = atomic_read(&devhold_misuse);
	struct devhold *blocker, *sectioned;
	struct devhold_test_dead_put *t;
	unsigned long deadline;

	t = kzalloc_obj(*t);
	KUNIT_ASSERT_NOT_NULL(test, t);
	init_completion(&t->entered);
	init_completion(&t->go);
	init_completion(&t->destroyed);
	init_completion(&t->blocker.put_done);
	init_completion(&t->sectioned.obj.put_done);
	t->blocker.put_entered = &t->entered;
	t->blocker.put_go = &t->go;
	t->domain = devhold_domain_create("devhold-test-dead-put", 0);
	t->sectioned.domain = t->domain;
	blocker = IS_ERR(t->domain) ? ERR_CAST(t->domain) :
		  devhold_get(t->domain, &devhold_test_ops, &t->blocker, NULL, GFP_KERNEL);
	sectioned = IS_ERR(blocker) ? blocker :
		    devhold_get(t->domain, &devhold_test_sectioned_ops, &t->sectioned,
				NULL, GFP_KERNEL);
	if (IS_ERR(sectioned)) {
		if (!IS_ERR(blocker))
			devhold_put_deferred(blocker);
		devhold_domain_destroy(t->domain);
		kfree(t);
		KUNIT_FAIL_AND_ABORT(test, "cannot set up");
	}
	devhold_put_deferred(blocker);
	if (!wait_for_completion_timeout(&t->entered, WAIT))
		KUNIT_FAIL_AND_ABORT(test, "the blocking put did not run");
	devhold_put_deferred(sectioned);
	if (IS_ERR(kthread_run(devhold_test_destroyer_fn, t, "devhold-test"))) {
		complete(&t->go);
		KUNIT_FAIL_AND_ABORT(test, "cannot start the thread");
	}
	/* The holds keep the domain: its dead flag may be read. */
	deadline = jiffies + WAIT;
	while (!READ_ONCE(t->domain->dead) && time_before(jiffies, deadline))
		schedule_timeout_uninterruptible(1);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(t->domain->dead));
	complete(&t->go);
	if (!wait_for_completion_timeout(&t->destroyed, WAIT))
		KUNIT_FAIL_AND_ABORT(test, "the destroy hangs");
	KUNIT_EXPECT_EQ(test, atomic_read(&t->sectioned.obj.puts), 1);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&devhold_misuse), misuse,
			    "a put callback's section during the destroy was reported");
	kfree(t);
}

/*
 * A section ended in another task is reported with a WARN and its SRCU
 * read section is ended, so that a barrier does not wait for it forever;
 * lockdep's lock stays with the task that began it, and the end does not
 * turn lockdep off.  The thread then drops that lock itself (the case's
 * tidy-up, so that lockdep stays on for the cases after it) and runs the
 * barrier.  The thread's data is left to it should it hang.
 */
struct devhold_test_elsewhere {
	struct devhold_domain *domain;
	struct devhold_release_section section;
	struct completion begun, ended, done;
	int barrier;
};

static int devhold_test_elsewhere_fn(void *p)
{
	struct devhold_test_elsewhere *t = p;

	devhold_release_begin(t->domain, &t->section);
	complete(&t->begun);
	wait_for_completion(&t->ended);
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	lock_map_release(&t->domain->dep_map);
#endif
	t->barrier = devhold_release_barrier(t->domain);
	kthread_complete_and_exit(&t->done, 0);
}

static void devhold_test_section_ended_elsewhere(struct kunit *test)
{
	int misuse = atomic_read(&devhold_misuse);
	int lockdep_on = debug_locks;
	struct devhold_test_elsewhere *t;
	struct task_struct *thread;

	/* Shared with the thread: freed once it is done. */
	t = kzalloc_obj(*t);
	KUNIT_ASSERT_NOT_NULL(test, t);
	init_completion(&t->begun);
	init_completion(&t->ended);
	init_completion(&t->done);
	t->domain = devhold_domain_create("devhold-test-elsewhere", 0);
	if (IS_ERR(t->domain)) {
		kfree(t);
		KUNIT_FAIL_AND_ABORT(test, "cannot create the domain");
	}
	thread = kthread_run(devhold_test_elsewhere_fn, t, "devhold-test");
	if (IS_ERR(thread)) {
		devhold_domain_destroy(t->domain);
		kfree(t);
		KUNIT_FAIL_AND_ABORT(test, "cannot start the thread");
	}
	if (!wait_for_completion_timeout(&t->begun, WAIT))
		KUNIT_FAIL_AND_ABORT(test, "the thread did not begin its section");
	kunit_warning_suppress(test) {
		int warned = atomic_read(&devhold_misuse_warned);

		devhold_release_end(t->domain, &t->section);
		KUNIT_EXPECT_EQ(test, KUNIT_SUPPRESSED_WARNING_COUNT(),
				atomic_read(&devhold_misuse_warned) - warned);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	KUNIT_EXPECT_NULL(test, t->section.domain);
	KUNIT_EXPECT_EQ_MSG(test, debug_locks, lockdep_on,
			    "ending a section in another task turned lockdep off");
	complete(&t->ended);
	if (!wait_for_completion_timeout(&t->done, WAIT))
		KUNIT_FAIL_AND_ABORT(test, "a barrier waits for a section ended in another task");
	KUNIT_EXPECT_EQ(test, t->barrier, 0);
	KUNIT_EXPECT_EQ(test, debug_locks, lockdep_on);
	devhold_domain_destroy(t->domain);
	kfree(t);
}

/*
 * Each place that initialises lists, and each domain, gives its work item
 * a lockdep class of its own, so that a free callback or a put callback
 * may flush the work of another list or domain without a false recursion
 * report (which would turn lockdep off).
 */
static void devhold_test_list_init_here(struct devhold_list *list)
{
	devhold_list_init(list, devhold_test_entry_free, DEVHOLD_LIST_AUTO_DRAIN);
}

static void devhold_test_list_init_there(struct devhold_list *list)
{
	devhold_list_init(list, devhold_test_entry_free, DEVHOLD_LIST_AUTO_DRAIN);
}

static void devhold_test_work_classes(struct kunit *test)
{
	struct devhold_list *a = devhold_test_list(test);
	struct devhold_list *a2 = devhold_test_list(test);
	struct devhold_list *b = devhold_test_list(test);
	struct devhold_domain *d1 __maybe_unused = devhold_test_domain(test);
	struct devhold_domain *d2 __maybe_unused = devhold_test_domain(test);

	if (!IS_ENABLED(CONFIG_LOCKDEP))
		kunit_skip(test, "needs CONFIG_LOCKDEP");
	devhold_test_list_init_here(a);
	devhold_test_list_init_here(a2);
	devhold_test_list_init_there(b);
#ifdef CONFIG_LOCKDEP
	KUNIT_EXPECT_PTR_EQ(test, a->work.lockdep_map.key, a2->work.lockdep_map.key);
	KUNIT_EXPECT_PTR_NE(test, a->work.lockdep_map.key, b->work.lockdep_map.key);
	KUNIT_EXPECT_PTR_NE(test, d1->work.work.lockdep_map.key, d2->work.work.lockdep_map.key);
	KUNIT_EXPECT_STREQ(test, d1->work.work.lockdep_map.name, "(work_completion)devhold-test");
#endif
	devhold_list_fini(a);
	devhold_list_fini(a2);
	devhold_list_fini(b);
}

static struct kunit_case devhold_test_cases[] = {
	KUNIT_CASE(devhold_test_get_put_balance),
	KUNIT_CASE(devhold_test_create_bad_flags),
	KUNIT_CASE(devhold_test_null_owner),
	KUNIT_CASE(devhold_test_going_owner),
	KUNIT_CASE(devhold_test_coming_owner),
	KUNIT_CASE(devhold_test_device),
	KUNIT_CASE(devhold_test_put_hardirq),
	KUNIT_CASE(devhold_test_put_softirq),
	KUNIT_CASE(devhold_test_put_spinlock_irqoff),
	KUNIT_CASE(devhold_test_put_raw_spinlock),
	KUNIT_CASE(devhold_test_put_reclaim),
	KUNIT_CASE(devhold_test_put_fence_signalling),
	KUNIT_CASE(devhold_test_barrier_waits),
	KUNIT_CASE(devhold_test_barrier_other_domain),
	KUNIT_CASE(devhold_test_barrier_in_release_section),
	KUNIT_CASE(devhold_test_wait_idle),
	KUNIT_CASE(devhold_test_wait_idle_holds),
	KUNIT_CASE(devhold_test_wait_idle_locked),
	KUNIT_CASE(devhold_test_list_contexts),
	KUNIT_CASE(devhold_test_list_auto_drain),
	KUNIT_CASE(devhold_test_list_zombie),
	KUNIT_CASE(devhold_test_list_frees_owner),
	KUNIT_CASE(devhold_test_list_fini_nonempty),
	KUNIT_CASE(devhold_test_double_put),
	KUNIT_CASE(devhold_test_put_after_destroy),
	KUNIT_CASE(devhold_test_obj_underflow),
	KUNIT_CASE_SLOW(devhold_test_concurrent),
	KUNIT_CASE(devhold_test_leak_report),
	KUNIT_CASE(devhold_test_report_many),
	KUNIT_CASE(devhold_test_list_push_publishes_last),
	KUNIT_CASE(devhold_test_list_auto_drain_frees_owner),
	KUNIT_CASE(devhold_test_flush_from_put),
	KUNIT_CASE(devhold_test_double_put_finished),
	KUNIT_CASE(devhold_test_flush_unkicked_put),
	KUNIT_CASE(devhold_test_flush_two_flushers),
	KUNIT_CASE(devhold_test_flush_late_kick),
	KUNIT_CASE(devhold_test_list_flush_unkicked_push),
	KUNIT_CASE(devhold_test_flush_delay_rearm),
	KUNIT_CASE(devhold_test_barrier_nested_domains),
	KUNIT_CASE(devhold_test_domain_isolation),
	KUNIT_CASE(devhold_test_fifo),
	KUNIT_CASE(devhold_test_counted_domain),
	KUNIT_CASE(devhold_test_domain_outlives_objects),
	KUNIT_CASE(devhold_test_last_uncount_frees),
	KUNIT_CASE(devhold_test_no_get),
	KUNIT_CASE(devhold_test_debug_delay),
	KUNIT_CASE(devhold_test_section_outlives_destroy),
	KUNIT_CASE(devhold_test_work_classes),
	KUNIT_CASE(devhold_test_sections_out_of_order),
	KUNIT_CASE(devhold_test_section_misuse),
	KUNIT_CASE(devhold_test_section_two_domains),
	KUNIT_CASE(devhold_test_section_ended_elsewhere),
	KUNIT_CASE(devhold_test_section_ended_in_hardirq),
	KUNIT_CASE(devhold_test_destroy_runs_sectioned_put),
	{}
};

static struct kunit_suite devhold_test_suite = {
	.name = "devhold",
	.test_cases = devhold_test_cases,
};

kunit_test_suite(devhold_test_suite);

MODULE_DESCRIPTION("KUnit tests for devhold");
MODULE_LICENSE("GPL");
