// SPDX-License-Identifier: GPL-2.0
/*
 * devhold: device and module lifetime helpers.
 */

/**
 * DOC: devhold overview
 *
 * A helper component (a page map, a VM, a dma-buf, an open file) often keeps
 * a reference on a device that another module provides.  When the provider
 * module unloads while such a reference is still out, the final put runs
 * code that is gone.  devhold gives the three pieces every such helper
 * otherwise open-codes:
 *
 * * Holds (devhold_get(), devhold_put_deferred()): a hold pins a provider object
 *   and, unless the provider's domain counts its objects, the module that
 *   owns the provider's code.  Dropping a hold is safe in hardirq context,
 *   with IRQs off, under spinlocks and raw spinlocks, in reclaim, in a folio
 *   free callback and inside a dma-fence signalling section (not in NMI):
 *   it pushes the hold on its domain's list and queues the domain's release
 *   work.  That work finishes it, in order of the puts: object put first,
 *   then module put, then the hold is freed.
 *
 * * Domains (devhold_domain_create()): a domain, usually one per driver or
 *   subsystem, counts the objects it created and the holds taken on them,
 *   has its own release work, and has release sections
 *   (devhold_release_begin()) with a barrier (devhold_release_barrier())
 *   that waits for every release section that has started.
 *   devhold_domain_wait_idle() is the module-exit helper: it waits until
 *   the domain's last object is released, reporting who still holds what
 *   while that takes long, finishes the puts so far and runs the barrier.
 *
 * * Deferred-free lists (devhold_list_init()): entries pushed lock-free from
 *   any context, freed later in process context by devhold_list_drain() or
 *   by the list's own work item.
 *
 * Two lifetime models: by default a hold pins the provider's module, and an
 * rmmod of the provider fails while a hold is out.  A domain created with
 * %DEVHOLD_DOMAIN_EXIT_WAITS is one whose provider waits for its objects in its
 * module_exit (devhold_domain_wait_idle()); holds there pin the object only,
 * and the rmmod waits for them instead of failing.
 *
 * With CONFIG_DEBUG_DEVHOLD (lib/devhold_debug.c) every live hold is tracked
 * with the stack that took it, a double put reports the stacks of the get
 * and of the first put, and debugfs (devhold/) shows live holds and list
 * statistics.  CONFIG_DEVHOLD_DEBUG_DELAY delays every deferred release by a
 * random 1 to 4 seconds to expose code that assumes it ran already; the boot
 * parameter devhold.debug_delay=0 turns that off.
 */

#include <linux/debug_locks.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_buf.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "devhold_internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/devhold.h>

/* For tests that act at an exact point of a put or a push. */
EXPORT_TRACEPOINT_SYMBOL_GPL(devhold_put);
EXPORT_TRACEPOINT_SYMBOL_GPL(devhold_list_push);
EXPORT_TRACEPOINT_SYMBOL_GPL(devhold_list_flush);
EXPORT_TRACEPOINT_SYMBOL_GPL(devhold_domain_free);

static unsigned int wait_warn_secs = 10;
module_param(wait_warn_secs, uint, 0644);
MODULE_PARM_DESC(wait_warn_secs,
		 "Seconds devhold_domain_wait_idle() waits before reporting, and between reports (1 to 3600)");

struct kmem_cache *devhold_cache;
static struct workqueue_struct *devhold_wq;

/* Every domain until it is freed; for devhold_flush() and debugfs. */
DEFINE_MUTEX(devhold_domains_lock);
LIST_HEAD(devhold_domains);

/* Misuse detected (double put, put after destroy, ...): debugfs and tests. */
atomic_t devhold_misuse = ATOMIC_INIT(0);
EXPORT_SYMBOL_IF_KUNIT(devhold_misuse);

#define devhold_misused(cond, fmt, ...) ({				\
	bool __c = (cond);						\
	if (unlikely(__c)) {						\
		atomic_inc(&devhold_misuse);				\
		WARN(1, "devhold: " fmt, ##__VA_ARGS__);		\
	}								\
	unlikely(__c);							\
})

void devhold_out(struct devhold_sink *s, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	if (s->m) {
		seq_vprintf(s->m, fmt, args);
	} else if (s->sb) {
		seq_buf_vprintf(s->sb, fmt, args);
	} else {
		vaf.fmt = fmt;
		vaf.va = &args;
		pr_warn("%pV", &vaf);
	}
	va_end(args);
}

static void devhold_report(struct devhold_domain *domain, struct devhold_sink *s,
			   const char *why)
{
	devhold_out(s, "devhold: domain %s %s: %ld objects, %ld holds\n",
		    domain->name, why, atomic_long_read(&domain->nobjs),
		    atomic_long_read(&domain->nholds));
	devhold_debug_report_holds(domain, s);
}

/**
 * devhold_domain_report() - describe a domain's live objects and holds
 * @domain: the domain
 * @sb: where the report goes
 *
 * Writes the counts of live objects and holds; with CONFIG_DEBUG_DEVHOLD
 * also every live hold, the object and owner module it pins, how long it
 * has been held and the stack that took it (the first 16; the holds are
 * copied under the domain's lock and written out after it, into a copy
 * allocated with GFP_NOWAIT: without it, the counts only).  For debugging
 * aids (a driver's debugfs) and tests.
 *
 * Context: where a GFP_NOWAIT allocation may be made: not NMI, and on
 * PREEMPT_RT not hardirq context nor under a raw spinlock.
 */
void devhold_domain_report(struct devhold_domain *domain, struct seq_buf *sb)
{
	struct devhold_sink s = { .sb = sb };

	devhold_report(domain, &s, "report");
}
EXPORT_SYMBOL_GPL(devhold_domain_report);

static void devhold_domain_get(struct devhold_domain *domain)
{
	refcount_inc(&domain->ref);
}

static void devhold_domain_free(struct work_struct *work)
{
	struct devhold_domain *domain =
		container_of(to_rcu_work(work), struct devhold_domain, free_work);

	/* A put's late kick may have queued the work again: let it end. */
	cancel_delayed_work_sync(&domain->work);
	mutex_lock(&devhold_domains_lock);
	list_del(&domain->link);
	mutex_unlock(&devhold_domains_lock);
	/*
	 * Release sections take no reference.  One may still run here: the
	 * one a destroy was called from (its barrier was refused), or one
	 * whose object was still counted when the domain was destroyed (its
	 * obj_del() dropped the last reference).  Both end before this
	 * returns, and a section's end touches nothing after its SRCU unlock.
	 */
	synchronize_srcu(&domain->srcu);
	trace_devhold_domain_free(domain->name);
	cleanup_srcu_struct(&domain->srcu);
	lockdep_unregister_key(&domain->work_key);
	lockdep_unregister_key(&domain->key);
	kfree(domain->work_name);
	kfree_const(domain->name);
	kfree(domain);
}

/*
 * The last reference may go in any context: the domain is freed from a work
 * item after a grace period, as devhold_put_deferred() touches it under RCU after
 * publishing a hold that the release work may finish at once.
 */
static void devhold_domain_unref(struct devhold_domain *domain)
{
	if (refcount_dec_and_test(&domain->ref))
		queue_rcu_work(devhold_wq, &domain->free_work);
}

static void devhold_work_fn(struct work_struct *work);

/* The creator's reference goes once: from the destroy, or the last uncount. */
static void devhold_domain_put_creator(struct devhold_domain *domain)
{
	if (!atomic_xchg(&domain->creator_put, 1))
		devhold_domain_unref(domain);
}

/**
 * devhold_domain_create() - create a domain
 * @name: name used in reports; copied
 * @flags: 0, or %DEVHOLD_DOMAIN_EXIT_WAITS when the provider counts its objects
 *	in the domain and waits for them in its module_exit; holds in such a
 *	domain do not pin the owner module
 *
 * Context: process context, may sleep.
 * Return: the domain, or NULL when out of memory.
 */
struct devhold_domain *devhold_domain_create(const char *name, unsigned int flags)
{
	struct devhold_domain *domain;
	int err;

	domain = kzalloc_obj(*domain);
	if (!domain)
		return NULL;
	domain->name = kstrdup_const(name, GFP_KERNEL);
	if (!domain->name)
		goto err_free;
	/* Lockdep names its release work apart from its SRCU. */
	domain->work_name = kasprintf(GFP_KERNEL, "(work_completion)%s", name);
	if (!domain->work_name)
		goto err_name;
	lockdep_register_key(&domain->key);
	/* Its readers are not lockdep's (down/up): the domain's map is. */
	err = init_srcu_struct_fast_updown(&domain->srcu);
	if (err)
		goto err_key;
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	lockdep_init_map(&domain->dep_map, domain->name, &domain->key, 0);
#endif
	domain->flags = flags;
	refcount_set(&domain->ref, 1);
	atomic_long_set(&domain->nobjs, 0);
	atomic_long_set(&domain->nholds, 0);
	init_waitqueue_head(&domain->wq);
	init_llist_head(&domain->pending);
	INIT_DELAYED_WORK(&domain->work, devhold_work_fn);
	/* One class per domain: a put callback may flush another domain. */
	lockdep_register_key(&domain->work_key);
#ifdef CONFIG_LOCKDEP
	lockdep_init_map(&domain->work.work.lockdep_map, domain->work_name,
			 &domain->work_key, 0);
#endif
	INIT_RCU_WORK(&domain->free_work, devhold_domain_free);
	devhold_debug_domain_init(domain);
	mutex_lock(&devhold_domains_lock);
	list_add_tail(&domain->link, &devhold_domains);
	mutex_unlock(&devhold_domains_lock);
	return domain;

err_key:
	lockdep_unregister_key(&domain->key);
err_name:
	kfree(domain->work_name);
	kfree_const(domain->name);
err_free:
	kfree(domain);
	return NULL;
}
EXPORT_SYMBOL_GPL(devhold_domain_create);

/**
 * devhold_domain_destroy() - destroy a domain
 * @domain: the domain, may be NULL
 *
 * Finishes the holds put so far, waits for release sections that have
 * started, then drops the creator's reference.  Objects still counted or
 * holds still live are a bug of the caller: they are reported with a WARN,
 * and the domain's memory stays until the last of them is gone, so that
 * their late uncount or put is still safe (and also reported).  Holds taken
 * on a destroyed domain fail with -ENODEV while that memory stays.
 *
 * Context: process context, may sleep.  Not from its release work (a put
 * callback of one of its holds): the puts queued are then not waited for;
 * nor from a release section of @domain: with lockdep the barrier is then
 * skipped (without it, it hangs).  Both are reported with a WARN, and the
 * domain is destroyed all the same.
 */
void devhold_domain_destroy(struct devhold_domain *domain)
{
	struct devhold_sink s = {};
	long nobjs, nholds;

	if (!domain)
		return;
	if (devhold_misused(READ_ONCE(domain->dead), "domain %s destroyed twice\n",
			    domain->name))
		return;
	/* The last uncount may drop the creator's reference from here on. */
	devhold_domain_get(domain);
	/* From here, a new hold or object on it is refused or reported. */
	WRITE_ONCE(domain->dead, true);
	devhold_domain_flush(domain);
	devhold_release_barrier(domain);
	nobjs = atomic_long_read(&domain->nobjs);
	nholds = atomic_long_read(&domain->nholds);
	if (devhold_misused(nobjs || nholds,
			    "domain %s destroyed with %ld objects and %ld holds\n",
			    domain->name, nobjs, nholds))
		devhold_report(domain, &s, "leaks");
	/*
	 * The creator's reference: dropped here when no object is counted,
	 * or else by the uncount of the last (devhold_domain_obj_del()).
	 * Pairs with the barrier of that uncount's decrement: either this
	 * sees the count at zero, or that uncount sees the domain dead.
	 */
	smp_mb();
	if (!atomic_long_read(&domain->nobjs))
		devhold_domain_put_creator(domain);
	devhold_domain_unref(domain);
}
EXPORT_SYMBOL_GPL(devhold_domain_destroy);

/**
 * devhold_get() - pin an object and the module owning its code
 * @domain: the provider's domain; the hold is counted and reported there
 * @ops: how to pin @obj; see &struct devhold_ops
 * @obj: the provider object
 * @owner: the module owning the provider's code, or NULL when built in;
 *	ignored in a %DEVHOLD_DOMAIN_EXIT_WAITS domain, whose provider waits for
 *	its objects instead
 * @gfp: allocation flags for the hold (one small allocation)
 *
 * Pins @owner first: when it is already going (unloading), nothing is
 * pinned and -ENODEV is returned.  A module still in its module_init is not
 * pinned either (-EAGAIN): the loader frees a module whose init fails,
 * pinned or not, and this hold would then put a freed module.  A provider
 * whose objects are held while its init runs counts them in a
 * %DEVHOLD_DOMAIN_EXIT_WAITS domain, and its init error path waits for them as
 * its module_exit does (see "A failing module_init" in
 * Documentation/core-api/devhold.rst).  Then @ops->get pins @obj.  The hold
 * is given back with devhold_put_deferred().
 *
 * Context: any context @gfp allows, but NMI.
 * Return: the hold, ERR_PTR(-ENODEV) when @owner is going or @domain was
 * destroyed, ERR_PTR(-EAGAIN) when @owner is still in its module_init,
 * ERR_PTR(-ENOMEM) when the allocation fails, ERR_PTR(-EINVAL)
 * (with a WARN) without @domain or @ops->put.
 */
struct devhold *devhold_get(struct devhold_domain *domain,
			    const struct devhold_ops *ops, void *obj,
			    struct module *owner, gfp_t gfp)
{
	struct devhold *hold;

	if (devhold_misused(!domain || !ops || !ops->put, "%s: bad arguments\n", __func__))
		return ERR_PTR(-EINVAL);
	if (devhold_misused(READ_ONCE(domain->dead), "hold on destroyed domain %s\n",
			    domain->name))
		return ERR_PTR(-ENODEV);
	if (domain->flags & DEVHOLD_DOMAIN_EXIT_WAITS)
		owner = NULL;
	/* COMING only turns into LIVE or GOING: a stale read refuses. */
	if (owner && module_is_coming(owner)) {
		pr_warn_ratelimited("devhold: %s: module %s is still in its init, no hold taken\n",
				    domain->name, module_name(owner));
		return ERR_PTR(-EAGAIN);
	}
	if (!try_module_get(owner)) {
		pr_warn_ratelimited("devhold: %s: module %s is going, no hold taken\n",
				    domain->name, module_name(owner));
		return ERR_PTR(-ENODEV);
	}
	hold = kmem_cache_alloc(devhold_cache, gfp);
	if (!hold) {
		module_put(owner);
		return ERR_PTR(-ENOMEM);
	}
	/*
	 * The caller keeps @domain allocated (a get on a freed domain is a
	 * use-after-free no check can catch): this only keeps a get that
	 * races a destroy's last reference from counting up from zero.
	 */
	if (!refcount_inc_not_zero(&domain->ref)) {
		kmem_cache_free(devhold_cache, hold);
		module_put(owner);
		return ERR_PTR(-ENODEV);
	}
	hold->flags = 0;
	hold->obj = obj;
	hold->ops = ops;
	hold->owner = owner;
	hold->domain = domain;
	atomic_long_inc(&domain->nholds);
	if (ops->get)
		ops->get(obj);
	devhold_debug_get(hold, gfp);
	if (trace_devhold_get_enabled())
		trace_devhold_get(hold, domain->name, ops->name ? ops->name(obj) : "?");
	return hold;
}
EXPORT_SYMBOL_GPL(devhold_get);

static void devhold_device_get(void *obj)
{
	get_device(obj);
}

static void devhold_device_put(void *obj)
{
	put_device(obj);
}

static const char *devhold_device_name(void *obj)
{
	return dev_name(obj);
}

static const struct devhold_ops devhold_device_ops = {
	.get = devhold_device_get,
	.put = devhold_device_put,
	.name = devhold_device_name,
};

/**
 * devhold_get_device() - pin a struct device and the module owning its code
 * @domain: the provider's domain
 * @dev: the device
 * @owner: the module owning the code behind @dev (its driver), or NULL
 * @gfp: allocation flags for the hold
 *
 * devhold_get() with get_device()/put_device() as the pin.
 *
 * Context: any context @gfp allows, but NMI.
 * Return: see devhold_get().
 */
struct devhold *devhold_get_device(struct devhold_domain *domain,
				   struct device *dev, struct module *owner,
				   gfp_t gfp)
{
	return devhold_get(domain, &devhold_device_ops, dev, owner, gfp);
}
EXPORT_SYMBOL_GPL(devhold_get_device);

/*
 * A second put must not read the object, call its ops or trust the domain:
 * the first one may have been finished already.  With CONFIG_DEBUG_DEVHOLD
 * finished holds are quarantined for a while, so this is reached (and the
 * stacks of the get and of the first put are shown) instead of a
 * use-after-free; without it, only a second put before the first was
 * finished is caught.
 */
static void devhold_double_put(struct devhold *hold)
{
	atomic_inc(&devhold_misuse);
	WARN(1, "devhold: double put of hold %p\n", hold);
	devhold_debug_double_put(hold);
}

/**
 * devhold_put_deferred() - give back a hold
 * @hold: the hold, may be NULL or an error pointer
 *
 * The hold is queued on its domain and finished by the domain's release
 * work, in order of the puts (CONFIG_DEVHOLD_DEBUG_DELAY holds each back
 * for a random time): the object is put first, then the owner module, then
 * the hold is freed.  The caller may free or re-initialise
 * whatever stored @hold right away.
 *
 * A second put of the same hold before it was finished is reported with a
 * WARN and ignored.  A put of a hold already finished is a use-after-free,
 * as for any freed object: CONFIG_DEBUG_DEVHOLD keeps finished holds in
 * quarantine for a while to report it (and KASAN reports it).
 *
 * Context: any context where RCU is watching, but NMI (reported with a
 * WARN, and the hold is then leaked): hardirq, IRQs off, under spinlocks
 * and raw spinlocks (also on PREEMPT_RT), in reclaim, in a folio free
 * callback, inside a dma-fence signalling section.  Never sleeps and never
 * allocates: it pushes the hold on a lock-free list and, when that list
 * was empty, queues the domain's work, which takes the workqueue pool's
 * raw spinlock and may wake a worker: not under the scheduler's runqueue
 * or pi_lock, nor under a workqueue pool's lock.
 */
void devhold_put_deferred(struct devhold *hold)
{
	struct devhold_domain *domain;
	bool first;

	if (IS_ERR_OR_NULL(hold))
		return;
	if (devhold_misused(in_nmi(), "hold %p put in NMI\n", hold))
		return;
	if (test_and_set_bit(DEVHOLD_PUT, &hold->flags)) {
		devhold_double_put(hold);
		return;
	}
	domain = hold->domain;
	devhold_misused(READ_ONCE(domain->dead),
			"hold %p put after domain %s was destroyed\n",
			hold, domain->name);
	devhold_debug_put(hold);
	/*
	 * Once the hold is on the list the release work may finish it and
	 * drop the domain's last reference; the domain is freed only after a
	 * grace period, so the kick below stays safe.  A flush queues the
	 * work itself, so it covers this put even before the kick.  The kick
	 * never moves a queued work (mod_delayed_work() would: from in front
	 * of a flush's barrier to behind it).
	 */
	rcu_read_lock();
	first = llist_add(&hold->node, &domain->pending);
	trace_devhold_put(hold, domain->name);
	if (first)
		queue_delayed_work(devhold_wq, &domain->work, 0);
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(devhold_put_deferred);

static void devhold_finish(struct devhold *hold)
{
	struct devhold_domain *domain = hold->domain;

	/* Out of the reports before the object and its code can go. */
	devhold_debug_untrack(hold);
	hold->ops->put(hold->obj);
	module_put(hold->owner);
	trace_devhold_release(hold, domain->name);
	/* The unload wait waits for holds too (a counted domain's pin nothing). */
	/* Fully ordered, as in devhold_domain_obj_del(). */
	if (atomic_long_dec_and_test(&domain->nholds) && waitqueue_active(&domain->wq))
		wake_up_all(&domain->wq);
	devhold_free(hold);
	devhold_domain_unref(domain);
}

/* @a then @b, each already in order. */
static struct llist_node *devhold_concat(struct llist_node *a, struct llist_node *b)
{
	struct llist_node *last = a;

	if (!a)
		return b;
	while (last->next)
		last = last->next;
	last->next = b;
	return a;
}

/* A domain's release work: finishes the holds put on it, oldest first. */
static void devhold_work_fn(struct work_struct *work)
{
	struct devhold_domain *domain =
		container_of(to_delayed_work(work), struct devhold_domain, work);
	/* Later than any deadline of the debug delay (at most 4 s after a put). */
	unsigned long due = jiffies + 5 * HZ;
	struct devhold *hold, *next;
	struct llist_node *list;
	bool held = false, delaying;

	/* Queued again by a late kick after the last hold was finished. */
	if (!refcount_inc_not_zero(&domain->ref))
		return;
	list = llist_reverse_order(llist_del_all(&domain->pending));
	list = devhold_concat(devhold_delay_take(domain), list);
	/*
	 * Decided once per run: a flush that begins meanwhile is served by the
	 * next run, which finishes what this one kept back first, so that the
	 * flush does not finish later holds before earlier ones.  (A run that
	 * delays finishes any hold whose deadline has passed, in the random
	 * order the debug delay is for.)
	 */
	delaying = devhold_delaying(domain);
	llist_for_each_entry_safe(hold, next, list, node) {
		if (delaying && devhold_delay(hold, &due)) {
			held = true;
			continue;
		}
		devhold_finish(hold);
		cond_resched();
	}
	if (held)
		queue_delayed_work(devhold_wq, &domain->work,
				   max_t(long, (long)(due - jiffies), 1));
	devhold_domain_unref(domain);
}

#ifdef CONFIG_DEVHOLD_DEBUG_DELAY
static void devhold_flush_begin(struct devhold_domain *domain)
{
	atomic_inc(&domain->flushing);
}

static void devhold_flush_end(struct devhold_domain *domain)
{
	atomic_dec(&domain->flushing);
}

static bool devhold_delay_pending(struct devhold_domain *domain)
{
	return !llist_empty(&domain->delayed);
}
#else
static void devhold_flush_begin(struct devhold_domain *domain)
{
}

static void devhold_flush_end(struct devhold_domain *domain)
{
}

static bool devhold_delay_pending(struct devhold_domain *domain)
{
	return false;
}
#endif

/**
 * devhold_domain_flush() - finish every hold put so far on a domain
 * @domain: the domain
 *
 * Returns once the object and module puts of every devhold_put_deferred() on
 * @domain that returned before the call have completed (with
 * CONFIG_DEVHOLD_DEBUG_DELAY too: a flush overrides the delay).  Other
 * domains' holds are not waited for.
 *
 * Context: process context, may sleep.  Not from reclaim or a
 * WQ_MEM_RECLAIM worker: the release work is not WQ_MEM_RECLAIM, as
 * releases may flush queues that are not.  Not from @domain's own release
 * work (a put callback of one of its holds): that would wait for itself,
 * and is reported with a WARN instead, without waiting.
 */
void devhold_domain_flush(struct devhold_domain *domain)
{
	if (devhold_misused(current_work() == &domain->work.work,
			    "domain %s flushed from its own release work\n",
			    domain->name))
		return;
	devhold_flush_begin(domain);
	/*
	 * Queue the work even when the put that made the list non-empty has
	 * not kicked it yet: the instance run after this sees every hold
	 * pushed before.  Already queued, it stays where it is, in front of
	 * any other flush's barrier; a pending debug-delay timer is brought
	 * forward by flush_delayed_work().
	 */
	do {
		queue_delayed_work(devhold_wq, &domain->work, 0);
		flush_delayed_work(&domain->work);
		/*
		 * A run that began before this flush may have kept holds back
		 * and be re-arming its timer: pending, but no timer to bring
		 * forward yet, so the flush above waited for that run only.
		 * Runs begun since keep nothing back.
		 */
	} while (devhold_delay_pending(domain));
	devhold_flush_end(domain);
}
EXPORT_SYMBOL_GPL(devhold_domain_flush);

/**
 * devhold_flush() - finish every hold put so far, in every domain
 *
 * devhold_domain_flush() on each domain.  For tests and for code that
 * cannot name the domain.
 *
 * Context: process context, may sleep; as devhold_domain_flush().  Not from
 * a put callback: it would flush its own domain and could wait on a domain
 * that flushes it; that is reported with a WARN and nothing is flushed.  A
 * put callback may flush or destroy another domain by name, as long as
 * those flushes form no cycle (lockdep reports one).
 */
void devhold_flush(void)
{
	struct work_struct *work = current_work();
	struct devhold_domain *domain, *prev = NULL;

	if (devhold_misused(work && work->func == devhold_work_fn,
			    "%s() from a release work\n", __func__))
		return;
	mutex_lock(&devhold_domains_lock);
	list_for_each_entry(domain, &devhold_domains, link) {
		/* Being freed: nothing of it left to finish. */
		if (!refcount_inc_not_zero(&domain->ref))
			continue;
		/* Still linked when the lock is taken again: it has a reference. */
		mutex_unlock(&devhold_domains_lock);
		if (prev)
			devhold_domain_unref(prev);
		prev = domain;
		devhold_domain_flush(domain);
		mutex_lock(&devhold_domains_lock);
	}
	mutex_unlock(&devhold_domains_lock);
	if (prev)
		devhold_domain_unref(prev);
}
EXPORT_SYMBOL_GPL(devhold_flush);

/*
 * The context a section is begun and ended in: task, softirq, hardirq
 * (NMI is refused).  Not interrupt_context_level(): on PREEMPT_RT a
 * softirq runs in a task, which preempt_count() does not tell.
 */
static unsigned char devhold_context(void)
{
	if (in_hardirq())
		return 2;
	return in_serving_softirq() ? 1 : 0;
}

/**
 * devhold_release_begin() - enter a release section of a domain
 * @domain: the domain
 * @section: the caller's, zero-initialised, until devhold_release_end()
 *
 * Wrap the release callback of a domain's object (and whatever runs the
 * object's code as part of its release) in a release section so that
 * devhold_release_barrier() can wait for it.  A release section is an
 * SRCU-fast read section of the domain (srcu_down_read_fast()): it may
 * sleep, and sections nest.  The domain stays allocated until the section
 * ends, even when it is destroyed meanwhile.  With lockdep the section is
 * also a recursive read lock of the domain's class, held by the task that
 * began it, so that lockdep reports a barrier cycle across domains; a
 * section left open when a work item returns or a task exits is lockdep's
 * to report too.
 *
 * @section begun again by the same task before it ended is reported with a
 * WARN and ignored.  A section begun on a destroyed domain that no longer
 * counts any object is reported with a WARN (that domain may be freed
 * under it) and begun, unless it is begun by a put callback of the domain
 * (its release work keeps the domain), as the destroy's flush runs them.
 *
 * Context: any context but NMI where RCU is watching.
 */
void devhold_release_begin(struct devhold_domain *domain,
			   struct devhold_release_section *section)
{
	/* Zero-initialised by the caller; set only while begun. */
	if (devhold_misused(section->domain == domain && section->task == current &&
			    section->context == devhold_context(),
			    "release section %p of domain %s begun twice\n",
			    section, domain->name))
		return;
	devhold_misused(READ_ONCE(domain->dead) && !atomic_long_read(&domain->nobjs) &&
			current_work() != &domain->work.work,
			"release section begun on destroyed domain %s\n", domain->name);
	section->scp = srcu_down_read_fast(&domain->srcu);
	lock_map_acquire_read(&domain->dep_map);
	section->domain = domain;
	section->task = current;
	section->context = devhold_context();
}
EXPORT_SYMBOL_GPL(devhold_release_begin);

/**
 * devhold_release_end() - leave a release section of a domain
 * @domain: the domain
 * @section: what devhold_release_begin() was given
 *
 * @domain may be freed as soon as this returns.  A section ended twice or
 * never begun is reported with a WARN and ignored.  One ended in another
 * task, or in another context of the same task (task, softirq, hardirq:
 * say begun in a softirq and ended by a hardirq that interrupted it), is
 * reported with a WARN and ended: its SRCU read section (an up/down one,
 * which may end anywhere), so that no barrier waits for it forever, but
 * not lockdep's lock, which only the context that took it can drop
 * (dropping it here would be a report of lockdep's, and its last).
 * Lockdep may report that lock later (a task that exits or returns to
 * user space with it, a work item that returns with it).  With lockdep the
 * domain is then never freed, so that lockdep's entry stays valid, or,
 * when its last reference is gone already, lockdep is turned off.
 *
 * Context: the context, and in a task the task, devhold_release_begin()
 * was called in.
 */
void devhold_release_end(struct devhold_domain *domain,
			 struct devhold_release_section *section)
{
	/* The domain may be gone already: its name is not read here. */
	if (devhold_misused(section->domain != domain,
			    "release section %p of domain %p ended twice or never begun\n",
			    section, domain))
		return;
	if (devhold_misused(section->task != current ||
			    section->context != devhold_context(),
			    "release section %p of domain %p ended in another context\n",
			    section, domain)) {
#ifdef CONFIG_DEBUG_LOCK_ALLOC
		/*
		 * Lockdep's entry in the beginning context points into the
		 * domain: it is never freed, or lockdep goes off.
		 */
		if (!refcount_inc_not_zero(&domain->ref))
			debug_locks_off();
#endif
	} else {
		lock_map_release(&domain->dep_map);
	}
	section->domain = NULL;
	/*
	 * The last access: the domain's free waits for it.  Tiny SRCU's
	 * unlock still reads the srcu_struct after its own preempt_enable(),
	 * so that must not let the freeing task run.
	 */
	preempt_disable();
	srcu_up_read_fast(&domain->srcu, section->scp);
	preempt_enable();
}
EXPORT_SYMBOL_GPL(devhold_release_end);

/*
 * Whether the current task is inside a release section of @domain, as far
 * as lockdep knows: false without lockdep, or once lockdep turned itself
 * off.
 */
static bool devhold_in_release_section(struct devhold_domain *domain)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	return debug_locks && lock_is_held(&domain->dep_map) > 0;
#else
	return false;
#endif
}

/**
 * devhold_release_barrier() - wait for a domain's running release sections
 * @domain: the domain
 *
 * Returns after every release section of @domain that had started when the
 * call was made has ended.  Other domains' release sections are not waited
 * for, and each domain has its own lockdep class: a barrier of one domain
 * inside a release section of another is fine, unless barriers form a
 * cycle across domains, which lockdep reports.  Called from inside a
 * release section of @domain it would wait for itself forever: with
 * lockdep, that is reported with a WARN and refused; without it, it hangs.
 *
 * Context: process context, may sleep.
 * Return: 0, or -EDEADLK (with a WARN, nothing waited for) from inside a
 * release section of @domain, with lockdep.
 */
int devhold_release_barrier(struct devhold_domain *domain)
{
	if (devhold_misused(devhold_in_release_section(domain),
			    "release barrier of domain %s called inside one of its release sections\n",
			    domain->name))
		return -EDEADLK;
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	/* An empty write section: synchronize_srcu()'s own annotation. */
	lock_map_sync(&domain->dep_map);
#endif
	trace_devhold_barrier_begin(domain->name);
	synchronize_srcu(&domain->srcu);
	trace_devhold_barrier_end(domain->name);
	return 0;
}
EXPORT_SYMBOL_GPL(devhold_release_barrier);

/**
 * devhold_domain_obj_add() - count an object the domain created
 * @domain: the domain
 *
 * Pair with devhold_domain_obj_del() at the very end of the object's
 * release, inside its release section.  The domain stays allocated while
 * it counts objects: a destroy that finds objects counted leaves the
 * creator's reference to the last uncount.  An object added to a destroyed
 * domain is reported with a WARN and counted all the same, so that its
 * uncount balances, and the domain is then never freed.
 *
 * Context: any context but NMI.
 */
void devhold_domain_obj_add(struct devhold_domain *domain)
{
	if (devhold_misused(READ_ONCE(domain->dead), "object added to destroyed domain %s\n",
			    domain->name))
		devhold_domain_get(domain);	/* never put */
	atomic_long_inc(&domain->nobjs);
}
EXPORT_SYMBOL_GPL(devhold_domain_obj_add);

/**
 * devhold_domain_obj_del() - uncount an object of the domain
 * @domain: the domain
 *
 * Wakes devhold_domain_wait_idle() when it was the last one.  An unbalanced
 * call is reported with a WARN and ignored.
 *
 * Context: any context where a spinlock_t may be taken: not NMI, and on
 * PREEMPT_RT not hardirq or under a raw spinlock.
 */
void devhold_domain_obj_del(struct devhold_domain *domain)
{
	long n;

	/*
	 * Once the count drops, a destroy may drop the last reference: the
	 * domain is freed after an RCU grace period, which this outlasts.
	 */
	rcu_read_lock();
	n = atomic_long_dec_if_positive(&domain->nobjs);
	if (devhold_misused(n < 0, "domain %s: object count underflow\n", domain->name))
		goto out;
	if (!n) {
		/*
		 * The decrement is fully ordered (a value-returning atomic):
		 * it pairs with the waiter's set_current_state(), as
		 * wake_up_var()'s callers' do.
		 */
		if (waitqueue_active(&domain->wq))
			wake_up_all(&domain->wq);
		/* The decrement's barrier pairs with the destroy's smp_mb(). */
		if (READ_ONCE(domain->dead))
			devhold_domain_put_creator(domain);
	}
out:
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(devhold_domain_obj_del);

/**
 * devhold_domain_objs() - how many objects a domain counts
 * @domain: the domain
 *
 * Context: any context.
 * Return: a snapshot of the object count.
 */
long devhold_domain_objs(struct devhold_domain *domain)
{
	return atomic_long_read(&domain->nobjs);
}
EXPORT_SYMBOL_GPL(devhold_domain_objs);

/**
 * devhold_domain_holds() - how many live holds a domain has
 * @domain: the domain
 *
 * Context: any context.
 * Return: a snapshot of the holds taken and not yet finished.
 */
long devhold_domain_holds(struct devhold_domain *domain)
{
	return atomic_long_read(&domain->nholds);
}
EXPORT_SYMBOL_GPL(devhold_domain_holds);

/**
 * devhold_domain_wait_idle() - wait until a domain's objects and holds are all released
 * @domain: the domain
 *
 * The module-exit helper: waits until the domain counts no object and no
 * live hold (in a %DEVHOLD_DOMAIN_EXIT_WAITS domain a hold pins no module,
 * also when its object was never counted), finishes the holds put so far
 * on it and then runs
 * devhold_release_barrier(), so that no release code of the domain runs any
 * more when it returns.  While it waits longer than devhold.wait_warn_secs
 * (10 s by default) it reports the domain's objects and holds, and again
 * after each such period.
 *
 * This turns "module in use" into a wait: an rmmod that used to fail with
 * -EBUSY while something still referenced a device now waits until that
 * reference is dropped.  The wait is unbounded and uninterruptible
 * (TASK_IDLE: the reports stand in for the hung-task detector's), as a
 * module exit's must be; so it must not run with a lock held, which every
 * other user of that lock would then wait for as long, nor from a
 * notifier, whose chain's lock is held.
 *
 * Context: process context, may sleep, with no lock held.  Not from a
 * release section of @domain nor from its release work: the object being
 * released is still counted there, so that would wait forever.  Both, and
 * a call with a lock held, are reported with a WARN and refused, as far as
 * lockdep knows (without lockdep, only the call from the release work is).
 * Return: 0, or -EDEADLK (with a WARN, nothing waited for) from a release
 * section of @domain or with a lock held (with lockdep), or from its
 * release work.
 */
int devhold_domain_wait_idle(struct devhold_domain *domain)
{
	struct devhold_sink s = {};
	unsigned long period;

	if (devhold_misused(current_work() == &domain->work.work ||
			    devhold_in_release_section(domain),
			    "domain %s waited for from its own release\n", domain->name))
		return -EDEADLK;
	if (devhold_misused(lockdep_depth(current),
			    "domain %s waited for with %d locks held\n", domain->name,
			    lockdep_depth(current)))
		return -EDEADLK;
	for (;;) {
		/*
		 * Idle, not uninterruptible: this reports itself, so the
		 * hung-task detector need not (an rmmod may rightly wait
		 * long).
		 */
		period = secs_to_jiffies(clamp(READ_ONCE(wait_warn_secs), 1U, 3600U));
		if (wait_event_idle_timeout(domain->wq,
					    !atomic_long_read(&domain->nobjs) &&
					    !atomic_long_read(&domain->nholds), period))
			break;
		devhold_report(domain, &s, "still busy");
	}
	devhold_domain_flush(domain);
	return devhold_release_barrier(domain);
}
EXPORT_SYMBOL_GPL(devhold_domain_wait_idle);

static void devhold_list_work(struct work_struct *work)
{
	struct devhold_list *list = container_of(work, struct devhold_list, work);

	devhold_list_drain(list);
}

/**
 * __devhold_list_init() - initialise a deferred-free list
 * @list: the list
 * @name: name for reports and debugfs
 * @free: frees one entry, in process context
 * @flags: DEVHOLD_LIST_AUTO_DRAIN to drain from the list's own work item
 * @key: lockdep class of the list's work item
 *
 * Use devhold_list_init(), which names the list after its expression and
 * gives each place that initialises lists its own class, so that a free
 * callback of one list may flush another.
 *
 * Context: process context.
 */
void __devhold_list_init(struct devhold_list *list, const char *name,
			 void (*free)(struct llist_node *node),
			 unsigned int flags, struct lock_class_key *key)
{
	init_llist_head(&list->head);
	list->free = free;
	list->name = name;
	list->flags = flags;
	list->pushed = false;
	INIT_WORK(&list->work, devhold_list_work);
#ifdef CONFIG_LOCKDEP
	lockdep_init_map(&list->work.lockdep_map, "(work_completion)devhold_list", key, 0);
#endif
	devhold_debug_list_init(list);
}
EXPORT_SYMBOL_GPL(__devhold_list_init);

/**
 * devhold_list_push() - queue an entry for freeing
 * @list: the list
 * @node: the entry's list node; must not be on any deferred-free list
 *
 * When the entry is also reachable through other lists (a "zombie" whose
 * last reference is gone but which is still linked where iterators can see
 * it), those iterators must skip it (kref_get_unless_zero() fails on it) and
 * the free callback unlinks it.  The drain may run at once on another CPU:
 * a free callback that takes a lock the pusher holds waits for it there, so
 * the pusher must not wait for the drain (devhold_list_flush()) under such
 * a lock.
 *
 * @list is not touched once @node is published, except to queue the work of
 * a %DEVHOLD_LIST_AUTO_DRAIN list, which is done under RCU: entries may pin
 * the object that embeds @list, and a drain running at once on another CPU
 * may free that object (devhold_list_fini() waits for such a push).
 *
 * Context: any context but NMI where RCU is watching; does not allocate.
 * Lock-free without %DEVHOLD_LIST_AUTO_DRAIN; with it, queueing the work
 * takes the workqueue pool's raw spinlock and may wake a worker (the
 * scheduler's locks), so not under those locks.
 * Return: true when the list was empty before (the caller may kick its
 * drain; with DEVHOLD_LIST_AUTO_DRAIN the list's work was queued).
 */
bool devhold_list_push(struct devhold_list *list, struct llist_node *node)
{
	bool auto_drain = list->flags & DEVHOLD_LIST_AUTO_DRAIN;
	const char *name = list->name;
	bool first;

	devhold_debug_list_pushing(list);
	/* Before the entry is published (llist_add() is fully ordered). */
	if (!READ_ONCE(list->pushed))
		WRITE_ONCE(list->pushed, true);
	/*
	 * @name is the caller's (its module's rodata): once the entry is
	 * published, a drain may free @list's owner and let that module go;
	 * a module's memory is freed only after an RCU grace period
	 * (free_module()), so the trace event copies @name under RCU.
	 */
	rcu_read_lock();
	first = llist_add(node, &list->head);
	trace_devhold_list_push(name, first);
	if (first && auto_drain)
		queue_work(devhold_wq, &list->work);
	rcu_read_unlock();
	return first;
}
EXPORT_SYMBOL_GPL(devhold_list_push);

/**
 * devhold_list_drain() - free the entries queued on a list
 * @list: the list
 *
 * Takes every queued entry off @list, then calls the free callback on each,
 * oldest first.  @list is not touched once the first callback runs: when
 * the entries pin the object that embeds @list, the last callback may tear
 * it down (devhold_list_fini()) and free it.
 *
 * Context: process context; the free callback may sleep.
 * Return: how many entries were freed.
 */
unsigned long devhold_list_drain(struct devhold_list *list)
{
	void (*free)(struct llist_node *node) = list->free;
	struct llist_node *first, *node, *next;
	unsigned long n = 0;

	first = llist_del_all(&list->head);
	if (!first)
		return 0;
	first = llist_reverse_order(first);
	llist_for_each(node, first)
		n++;
	devhold_debug_list_drained(list, n);
	trace_devhold_list_drain(list->name, n);
	llist_for_each_safe(node, next, first)
		free(node);
	return n;
}
EXPORT_SYMBOL_GPL(devhold_list_drain);

/**
 * devhold_list_flush() - free everything pushed to a list so far
 * @list: the list
 *
 * Returns once every entry whose devhold_list_push() returned before the
 * call is freed.  A %DEVHOLD_LIST_AUTO_DRAIN list is drained by its work
 * item, queued and waited for here; another list is drained here.  A
 * devhold_list_drain() that another task runs meanwhile is not waited
 * for: entries it took may still be being freed when this returns, so
 * code that drains a list by hand serialises those drains with its
 * flushes.
 *
 * Context: process context, may sleep.  From the list's own work item (a
 * free callback) it only drains.
 */
void devhold_list_flush(struct devhold_list *list)
{
	if ((list->flags & DEVHOLD_LIST_AUTO_DRAIN) && current_work() != &list->work) {
		/*
		 * Queued here, the work takes every entry published so far,
		 * also one whose push has not queued the work yet (it may do
		 * so once the work looked, and find nothing).
		 */
		queue_work(devhold_wq, &list->work);
		flush_work(&list->work);
		trace_devhold_list_flush(list->name);
		return;
	}
	trace_devhold_list_flush(list->name);
	devhold_list_drain(list);
}
EXPORT_SYMBOL_GPL(devhold_list_flush);

/**
 * devhold_list_fini() - tear down a deferred-free list
 * @list: the list
 *
 * The list should be empty: the owner drains or flushes it first.  Entries
 * still queued are reported with a WARN and freed.
 *
 * A %DEVHOLD_LIST_AUTO_DRAIN list may be torn down from its own work item,
 * by the free callback of its last entry (entries pinning the list's
 * owner): the work item does not touch the list after that callback.  A
 * second call, on a list torn down and not pushed to since, finds nothing
 * to free and is harmless (owners whose teardown may run twice need not
 * track it).  Every push must happen before the teardown.
 *
 * Context: any context but NMI for a list without %DEVHOLD_LIST_AUTO_DRAIN
 * when it is empty; process context, may sleep, otherwise (once the list
 * was pushed to, it waits for an RCU grace period, so that no push still
 * queues the list's work).
 */
void devhold_list_fini(struct devhold_list *list)
{
	if (list->flags & DEVHOLD_LIST_AUTO_DRAIN) {
		/*
		 * A push may still be queueing the work under RCU after its
		 * entry was drained.  Every push happens before the teardown
		 * (the owner orders them, or the drain of the entry does), so
		 * a list never pushed to has no such push.
		 */
		if (READ_ONCE(list->pushed))
			synchronize_rcu();
		/* Queued again by a push that raced with the last drain. */
		if (current_work() == &list->work)
			cancel_work(&list->work);
		else
			flush_work(&list->work);
	}
	if (devhold_misused(!llist_empty(&list->head), "list %s torn down with entries\n",
			    list->name))
		devhold_list_drain(list);
	devhold_debug_list_fini(list);
}
EXPORT_SYMBOL_GPL(devhold_list_fini);

static int __init devhold_init(void)
{
	devhold_cache = KMEM_CACHE(devhold, SLAB_PANIC);
	/*
	 * Not WQ_MEM_RECLAIM: nothing in reclaim waits for a release, and a
	 * release may flush or destroy queues without it (a driver's).
	 * Unbound: a slow release in one domain does not hold up another's.
	 */
	devhold_wq = alloc_workqueue("devhold", WQ_UNBOUND, 0);
	if (!devhold_wq)
		panic("devhold: cannot allocate its workqueue\n");
	devhold_debug_init();
	return 0;
}
core_initcall(devhold_init);
