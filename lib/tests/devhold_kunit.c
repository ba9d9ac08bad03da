// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests and benchmarks for lib/devhold.c.
 *
 * Deferred work is observed with completions and bounded waits, never with
 * bare sleeps.  Owner modules are stand-ins ("injectable owners") whose state
 * and reference count the tests control; a built-in test has no module of
 * its own (THIS_MODULE is NULL).
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/debug_locks.h>
#include <linux/device.h>
#include <linux/devhold.h>
#include <linux/dma-fence.h>
#include <linux/irq_work.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>
#include <linux/timer.h>
#include <linux/wait_bit.h>

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");

#define WAIT	(10 * HZ)	/* bound of every wait for deferred work */

struct devhold_test_obj {
	atomic_t refs;
	atomic_t puts;
	struct module *owner;
	int owner_refs_at_put;	/* module references seen by ->put */
	bool bad_context;	/* ->put ran where it may not sleep */
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
	atomic_inc(&obj->puts);
	complete(&obj->put_done);
}

static const char *devhold_test_name(void *p)
{
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
	struct devhold_domain *domain = devhold_domain_create("devhold-test");

	KUNIT_ASSERT_NOT_NULL(test, domain);
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

	devhold_put(hold);
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
	devhold_put(hold);
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
	devhold_put(hold);
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
};

static void devhold_test_ctx_setup(struct kunit *test, struct devhold_test_ctx *c)
{
	c->test = test;
	c->locks = debug_locks;
	c->domain = devhold_test_domain(test);
	c->obj = devhold_test_obj(test, NULL);
	init_completion(&c->done);
	c->hold = devhold_get(c->domain, &devhold_test_ops, c->obj, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->hold));
}

static void devhold_test_ctx_check(struct kunit *test, struct devhold_test_ctx *c)
{
	/* Lockdep found nothing to object to (it turns itself off if it does). */
	KUNIT_EXPECT_EQ(test, debug_locks, c->locks);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&c->done, WAIT));
	devhold_test_wait_put(test, c->obj);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&c->obj->refs), 0);
	KUNIT_EXPECT_FALSE(test, c->obj->bad_context);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(c->domain), 0);
}

static void devhold_test_irq_work_fn(struct irq_work *iw)
{
	struct devhold_test_ctx *c = container_of(iw, struct devhold_test_ctx, iw);

	devhold_put(c->hold);
	complete(&c->done);
}

static void devhold_test_put_hardirq(struct kunit *test)
{
	struct devhold_test_ctx c;

	devhold_test_ctx_setup(test, &c);
	init_irq_work(&c.iw, devhold_test_irq_work_fn);
	irq_work_queue(&c.iw);
	devhold_test_ctx_check(test, &c);
	irq_work_sync(&c.iw);
}

static void devhold_test_timer_fn(struct timer_list *t)
{
	struct devhold_test_ctx *c = timer_container_of(c, t, timer);

	devhold_put(c->hold);
	complete(&c->done);
}

static void devhold_test_put_softirq(struct kunit *test)
{
	struct devhold_test_ctx c;

	devhold_test_ctx_setup(test, &c);
	timer_setup_on_stack(&c.timer, devhold_test_timer_fn, 0);
	mod_timer(&c.timer, jiffies + 1);
	devhold_test_ctx_check(test, &c);
	timer_delete_sync(&c.timer);
	timer_destroy_on_stack(&c.timer);
}

static void devhold_test_put_spinlock_irqoff(struct kunit *test)
{
	static DEFINE_SPINLOCK(lock);
	struct devhold_test_ctx c;
	unsigned long flags;

	devhold_test_ctx_setup(test, &c);
	spin_lock_irqsave(&lock, flags);
	devhold_put(c.hold);
	spin_unlock_irqrestore(&lock, flags);
	complete(&c.done);
	devhold_test_ctx_check(test, &c);
}

static void devhold_test_put_reclaim(struct kunit *test)
{
	struct devhold_test_ctx c;

	devhold_test_ctx_setup(test, &c);
	fs_reclaim_acquire(GFP_KERNEL);
	devhold_put(c.hold);
	fs_reclaim_release(GFP_KERNEL);
	complete(&c.done);
	devhold_test_ctx_check(test, &c);
}

static void devhold_test_put_fence_signalling(struct kunit *test)
{
	struct devhold_test_ctx c;
	bool cookie;

	if (!IS_ENABLED(CONFIG_DMA_SHARED_BUFFER))
		kunit_skip(test, "needs CONFIG_DMA_SHARED_BUFFER");
	devhold_test_ctx_setup(test, &c);
	cookie = dma_fence_begin_signalling();
	devhold_put(c.hold);
	dma_fence_end_signalling(cookie);
	complete(&c.done);
	devhold_test_ctx_check(test, &c);
}

/* Release sections and the barrier. */
struct devhold_test_releaser {
	struct devhold_domain *domain;
	struct completion entered, go, done;
};

static int devhold_test_releaser_fn(void *p)
{
	struct devhold_test_releaser *r = p;
	struct devhold_release_cookie cookie;

	cookie = devhold_release_begin(r->domain);
	complete(&r->entered);
	wait_for_completion(&r->go);
	devhold_release_end(r->domain, cookie);
	complete(&r->done);
	return 0;
}

struct devhold_test_barrier {
	struct devhold_domain *domain;
	struct completion done;
	bool wait_idle;
};

static int devhold_test_barrier_fn(void *p)
{
	struct devhold_test_barrier *b = p;

	if (b->wait_idle)
		devhold_domain_wait_idle(b->domain);
	else
		devhold_release_barrier(b->domain);
	complete(&b->done);
	return 0;
}

static void devhold_test_start(struct kunit *test, int (*fn)(void *), void *data)
{
	struct task_struct *t = kthread_run(fn, data, "devhold-test");

	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
}

/* Bounded check that something has NOT happened yet. */
static bool devhold_test_still_waiting(struct completion *c)
{
	return !wait_for_completion_timeout(c, HZ / 5);
}

static void devhold_test_barrier_waits(struct kunit *test)
{
	struct devhold_test_releaser r = { .domain = devhold_test_domain(test) };
	struct devhold_test_barrier b = { .domain = r.domain };

	init_completion(&r.entered);
	init_completion(&r.go);
	init_completion(&r.done);
	init_completion(&b.done);
	devhold_test_start(test, devhold_test_releaser_fn, &r);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&r.entered, WAIT));

	devhold_test_start(test, devhold_test_barrier_fn, &b);
	KUNIT_EXPECT_TRUE_MSG(test, devhold_test_still_waiting(&b.done),
			      "barrier returned while a release section runs");
	complete(&r.go);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&b.done, WAIT));
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&r.done, WAIT));
}

static void devhold_test_barrier_other_domain(struct kunit *test)
{
	struct devhold_test_releaser r = { .domain = devhold_test_domain(test) };
	struct devhold_test_barrier b = { .domain = devhold_test_domain(test) };
	struct devhold_test_barrier idle = { .domain = devhold_test_domain(test) };

	init_completion(&r.entered);
	init_completion(&r.go);
	init_completion(&r.done);
	init_completion(&b.done);
	init_completion(&idle.done);

	/* Idle domain: returns at once. */
	devhold_test_start(test, devhold_test_barrier_fn, &idle);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&idle.done, WAIT));

	/* Another domain's running release is not waited for. */
	devhold_test_start(test, devhold_test_releaser_fn, &r);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&r.entered, WAIT));
	devhold_test_start(test, devhold_test_barrier_fn, &b);
	KUNIT_EXPECT_NE_MSG(test, 0UL, wait_for_completion_timeout(&b.done, WAIT),
			    "barrier waited for another domain");
	complete(&r.go);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&r.done, WAIT));
}

static void devhold_test_barrier_in_release_section(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct devhold_release_cookie cookie;
	int misuse = atomic_read(&devhold_misuse);

	if (!IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC) || !debug_locks)
		kunit_skip(test, "needs lockdep");
	/* Would wait for itself: reported and refused instead of a hang. */
	cookie = devhold_release_begin(domain);
	kunit_info(test, "a WARN about a barrier inside a release section is expected\n");
	devhold_release_barrier(domain);
	devhold_release_end(domain, cookie);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

static void devhold_test_wait_idle(struct kunit *test)
{
	struct devhold_test_barrier b = {
		.domain = devhold_test_domain(test),
		.wait_idle = true,
	};

	init_completion(&b.done);
	devhold_domain_obj_add(b.domain);
	devhold_domain_obj_add(b.domain);
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(b.domain), 2);
	devhold_test_start(test, devhold_test_barrier_fn, &b);
	KUNIT_EXPECT_TRUE(test, devhold_test_still_waiting(&b.done));
	devhold_domain_obj_del(b.domain);
	KUNIT_EXPECT_TRUE(test, devhold_test_still_waiting(&b.done));
	devhold_domain_obj_del(b.domain);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&b.done, WAIT));
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(b.domain), 0);
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

static void devhold_test_list_contexts(struct kunit *test)
{
	struct devhold_list *list = devhold_test_list(test);
	struct devhold_test_lctx c = { .list = list };
	struct devhold_test_entry *e1, *e2;
	static DEFINE_SPINLOCK(lock);
	atomic_t freed = ATOMIC_INIT(0);
	bool locks = debug_locks;
	unsigned long flags;
	bool cookie;

	devhold_list_init(list, devhold_test_entry_free, 0);
	KUNIT_EXPECT_TRUE(test, devhold_list_empty(list));

	c.e = devhold_test_entry(test, &freed);
	init_completion(&c.done);
	init_irq_work(&c.iw, devhold_test_list_irq_work_fn);
	irq_work_queue(&c.iw);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&c.done, WAIT));
	irq_work_sync(&c.iw);

	c.e = devhold_test_entry(test, &freed);
	reinit_completion(&c.done);
	timer_setup_on_stack(&c.timer, devhold_test_list_timer_fn, 0);
	mod_timer(&c.timer, jiffies + 1);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&c.done, WAIT));
	timer_delete_sync(&c.timer);
	timer_destroy_on_stack(&c.timer);

	e1 = devhold_test_entry(test, &freed);
	e2 = devhold_test_entry(test, &freed);
	spin_lock_irqsave(&lock, flags);
	devhold_list_push(list, &e1->node);
	spin_unlock_irqrestore(&lock, flags);

	cookie = dma_fence_begin_signalling();
	devhold_list_push(list, &e2->node);
	dma_fence_end_signalling(cookie);
	/* Lockdep found nothing to object to (it turns itself off if it does). */
	KUNIT_EXPECT_EQ(test, debug_locks, locks);

	KUNIT_EXPECT_EQ(test, devhold_list_depth(list), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&freed), 0);
	KUNIT_EXPECT_EQ(test, devhold_list_drain(list), 4UL);
	KUNIT_EXPECT_EQ(test, atomic_read(&freed), 4);
	KUNIT_EXPECT_EQ(test, devhold_list_depth(list), 0);
	KUNIT_EXPECT_EQ(test, devhold_list_drain(list), 0UL);
	devhold_list_fini(list);
}

static void devhold_test_list_auto_drain(struct kunit *test)
{
	struct devhold_list *list = devhold_test_list(test);
	atomic_t freed = ATOMIC_INIT(0);
	int i;

	devhold_list_init(list, devhold_test_entry_free, DEVHOLD_LIST_AUTO_DRAIN);
	for (i = 0; i < 8; i++)
		devhold_list_push(list, &devhold_test_entry(test, &freed)->node);
	/* The list's own work frees them, nobody drains by hand. */
	KUNIT_EXPECT_TRUE(test, wait_var_event_timeout(&freed,
						       atomic_read(&freed) == 8,
						       WAIT));
	devhold_list_flush(list);
	KUNIT_EXPECT_EQ(test, atomic_read(&freed), 8);
	KUNIT_EXPECT_TRUE(test, devhold_list_empty(list));
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
	kunit_info(test, "a WARN about a list torn down with entries is expected\n");
	devhold_list_fini(list);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&freed), 1);
}

/* Misuse. */
static void devhold_test_double_put(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct module *owner = devhold_test_owner(test, MODULE_STATE_LIVE);
	struct devhold_test_obj *blocker = devhold_test_obj(test, NULL);
	struct devhold_test_obj *obj = devhold_test_obj(test, owner);
	struct completion entered, go;
	struct devhold *a, *b;
	int misuse;

	/*
	 * Keep the worker busy in the blocker's put, so that the doubly put
	 * hold is certainly not freed between the two puts.
	 */
	init_completion(&entered);
	init_completion(&go);
	blocker->put_entered = &entered;
	blocker->put_go = &go;
	a = devhold_get(domain, &devhold_test_ops, blocker, NULL, GFP_KERNEL);
	b = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	devhold_put(a);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&entered, WAIT));

	misuse = atomic_read(&devhold_misuse);
	devhold_put(b);
	kunit_info(test, "a WARN about a double put is expected\n");
	devhold_put(b);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);
	complete(&go);

	devhold_test_wait_put(test, obj);
	devhold_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->puts), 1);
	KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 0);
	KUNIT_EXPECT_EQ(test, devhold_domain_holds(domain), 0);
}

static void devhold_test_put_after_destroy(struct kunit *test)
{
	struct devhold_domain *domain = devhold_domain_create("devhold-test-gone");
	struct module *owner = devhold_test_owner(test, MODULE_STATE_LIVE);
	struct devhold_test_obj *obj = devhold_test_obj(test, owner);
	struct devhold *hold, *late;
	int misuse;

	KUNIT_ASSERT_NOT_NULL(test, domain);
	hold = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(hold));

	misuse = atomic_read(&devhold_misuse);
	kunit_info(test, "WARNs about a leaked hold and a late put are expected\n");
	devhold_domain_destroy(domain);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 1);

	/* A hold on the destroyed domain is refused, nothing is pinned. */
	late = devhold_get(domain, &devhold_test_ops, obj, owner, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(late), -ENODEV);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 1);
	KUNIT_EXPECT_EQ(test, devhold_test_modrefs(owner), 1);

	/* The late put still completes and balances every count. */
	devhold_put(hold);
	KUNIT_EXPECT_EQ(test, atomic_read(&devhold_misuse), misuse + 3);
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
	kunit_info(test, "a WARN about an object count underflow is expected\n");
	devhold_domain_obj_del(domain);
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
	struct devhold_release_cookie cookie;
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
		cookie = devhold_release_begin(h->domain);
		devhold_put(hold);
		devhold_release_end(h->domain, cookie);

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
	struct devhold_test_hammer h[DEVHOLD_TEST_THREADS];
	struct devhold_domain *domain = devhold_test_domain(test);
	struct module *owner = devhold_test_owner(test, MODULE_STATE_LIVE);
	struct devhold_test_obj *obj = devhold_test_obj(test, owner);
	atomic_t freed = ATOMIC_INIT(0);
	struct devhold_list *list = devhold_test_list(test);
	unsigned long drained = 0;
	int i, running, pushed = 0;

	kunit_info(test, "%u CPUs online\n", num_online_cpus());
	devhold_list_init(list, devhold_test_entry_free, 0);
	for (i = 0; i < DEVHOLD_TEST_THREADS; i++) {
		h[i] = (struct devhold_test_hammer){
			.domain = domain, .list = list, .obj = obj,
			.owner = owner, .freed = &freed,
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
	KUNIT_EXPECT_EQ(test, atomic_read(&freed), pushed);
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

	devhold_put(hold);
	devhold_flush();
	seq_buf_init(&sb, buf, PAGE_SIZE);
	devhold_domain_report(domain, &sb);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "0 holds"));
	KUNIT_EXPECT_NULL(test, strstr(buf, "devhold_test_leaky_get"));
}

static void devhold_test_debug_off_size(struct kunit *test)
{
	if (IS_ENABLED(CONFIG_DEBUG_DEVHOLD))
		kunit_skip(test, "CONFIG_DEBUG_DEVHOLD is on");
	KUNIT_EXPECT_EQ(test, sizeof(struct devhold_debug), 0);
	KUNIT_EXPECT_EQ(test, sizeof(struct devhold), 6 * sizeof(void *));
}

static struct kunit_case devhold_test_cases[] = {
	KUNIT_CASE(devhold_test_get_put_balance),
	KUNIT_CASE(devhold_test_null_owner),
	KUNIT_CASE(devhold_test_going_owner),
	KUNIT_CASE(devhold_test_device),
	KUNIT_CASE(devhold_test_put_hardirq),
	KUNIT_CASE(devhold_test_put_softirq),
	KUNIT_CASE(devhold_test_put_spinlock_irqoff),
	KUNIT_CASE(devhold_test_put_reclaim),
	KUNIT_CASE(devhold_test_put_fence_signalling),
	KUNIT_CASE(devhold_test_barrier_waits),
	KUNIT_CASE(devhold_test_barrier_other_domain),
	KUNIT_CASE(devhold_test_barrier_in_release_section),
	KUNIT_CASE(devhold_test_wait_idle),
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
	KUNIT_CASE(devhold_test_debug_off_size),
	{}
};

static struct kunit_suite devhold_test_suite = {
	.name = "devhold",
	.test_cases = devhold_test_cases,
};

/*
 * Benchmarks: print figures, assert nothing about time.  Compare
 * "release section" with "srcu_read_lock" on the same machine.
 */
#define DEVHOLD_BENCH_LOOPS	100000

static void devhold_bench_report(struct kunit *test, const char *what, u64 ns)
{
	kunit_info(test, "bench: %-28s %6llu ns/op (%u ops)\n", what,
		   div_u64(ns, DEVHOLD_BENCH_LOOPS), DEVHOLD_BENCH_LOOPS);
}

static void devhold_bench_free(struct llist_node *node)
{
}

static void devhold_bench_ops(struct kunit *test)
{
	struct devhold_domain *domain = devhold_test_domain(test);
	struct devhold_test_obj *obj = devhold_test_obj(test, NULL);
	struct devhold_release_cookie cookie;
	struct devhold **holds;
	struct srcu_struct srcu;
	struct devhold_list *list = devhold_test_list(test);
	struct llist_node *nodes;
	u64 t;
	int i, idx;

	holds = kvmalloc_array(DEVHOLD_BENCH_LOOPS, sizeof(*holds), GFP_KERNEL);
	nodes = kvmalloc_array(DEVHOLD_BENCH_LOOPS, sizeof(*nodes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, holds);
	KUNIT_ASSERT_NOT_NULL(test, nodes);
	KUNIT_ASSERT_EQ(test, 0, init_srcu_struct(&srcu));

	t = ktime_get_ns();
	for (i = 0; i < DEVHOLD_BENCH_LOOPS; i++)
		holds[i] = devhold_get(domain, &devhold_test_ops, obj, NULL, GFP_KERNEL);
	devhold_bench_report(test, "devhold_get", ktime_get_ns() - t);
	for (i = 0; i < DEVHOLD_BENCH_LOOPS; i++)
		KUNIT_ASSERT_FALSE(test, IS_ERR(holds[i]));

	t = ktime_get_ns();
	for (i = 0; i < DEVHOLD_BENCH_LOOPS; i++)
		devhold_put(holds[i]);
	devhold_bench_report(test, "devhold_put", ktime_get_ns() - t);
	t = ktime_get_ns();
	devhold_flush();
	devhold_bench_report(test, "deferred finish (worker)", ktime_get_ns() - t);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj->refs), 0);

	t = ktime_get_ns();
	for (i = 0; i < DEVHOLD_BENCH_LOOPS; i++) {
		cookie = devhold_release_begin(domain);
		devhold_release_end(domain, cookie);
	}
	devhold_bench_report(test, "release section begin+end", ktime_get_ns() - t);

	t = ktime_get_ns();
	for (i = 0; i < DEVHOLD_BENCH_LOOPS; i++) {
		idx = srcu_read_lock(&srcu);
		srcu_read_unlock(&srcu, idx);
	}
	devhold_bench_report(test, "srcu_read_lock+unlock", ktime_get_ns() - t);

	devhold_list_init(list, devhold_bench_free, 0);
	t = ktime_get_ns();
	for (i = 0; i < DEVHOLD_BENCH_LOOPS; i++)
		devhold_list_push(list, &nodes[i]);
	devhold_bench_report(test, "devhold_list_push", ktime_get_ns() - t);
	t = ktime_get_ns();
	KUNIT_EXPECT_EQ(test, devhold_list_drain(list), (unsigned long)DEVHOLD_BENCH_LOOPS);
	devhold_bench_report(test, "devhold_list_drain (per entry)", ktime_get_ns() - t);
	devhold_list_fini(list);

	kunit_info(test, "memory: struct devhold %zu bytes, struct devhold_domain %zu, struct devhold_list %zu\n",
		   sizeof(struct devhold), sizeof(struct devhold_domain),
		   sizeof(struct devhold_list));

	cleanup_srcu_struct(&srcu);
	kvfree(nodes);
	kvfree(holds);
}

static struct kunit_case devhold_bench_cases[] = {
	KUNIT_CASE_SLOW(devhold_bench_ops),
	{}
};

static struct kunit_suite devhold_bench_suite = {
	.name = "devhold_bench",
	.test_cases = devhold_bench_cases,
};

kunit_test_suites(&devhold_test_suite, &devhold_bench_suite);

MODULE_DESCRIPTION("KUnit tests for devhold");
MODULE_LICENSE("GPL");
