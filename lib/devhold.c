// SPDX-License-Identifier: GPL-2.0
/*
 * devhold: device and module lifetime helpers: holds, domains and their
 * release sections.  See the overview in <linux/devhold.h>.
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
#include <kunit/devhold.h>

#include "devhold_internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/devhold.h>

/* For tests that act at an exact point of a put or a push. */
EXPORT_TRACEPOINT_SYMBOL_GPL(devhold_put);
EXPORT_TRACEPOINT_SYMBOL_GPL(devhold_domain_free);

static unsigned int wait_warn_secs = 10;
module_param(wait_warn_secs, uint, 0644);
MODULE_PARM_DESC(wait_warn_secs,
		 "Seconds devhold_domain_wait_idle() waits before reporting, and between reports (1 to 3600)");

struct kmem_cache *devhold_cache;
struct workqueue_struct *devhold_wq;

/* Every domain until it is freed; for devhold_flush() and debugfs. */
DEFINE_MUTEX(devhold_domains_lock);
LIST_HEAD(devhold_domains);

/* Misuse detected (double put, put after destroy, ...): debugfs and tests. */
atomic_t devhold_misuse = ATOMIC_INIT(0);
EXPORT_SYMBOL_FOR_MODULES(devhold_misuse, DEVHOLD_TEST_MODULES);
/* Of those, the ones WARNed (the first at each call site): for tests. */
atomic_t devhold_misuse_warned = ATOMIC_INIT(0);
EXPORT_SYMBOL_FOR_MODULES(devhold_misuse_warned, DEVHOLD_TEST_MODULES);

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
 * allocated with GFP_NOWAIT: without it, the counts only).  For debugfs
 * and devhold's tests (<kunit/devhold.h>).
 *
 * Context: where a GFP_NOWAIT allocation may be made: not NMI, and on
 * PREEMPT_RT not hardirq context nor under a raw spinlock.
 */
void devhold_domain_report(struct devhold_domain *domain, struct seq_buf *sb)
{
	struct devhold_sink s = { .sb = sb };

	devhold_report(domain, &s, "report");
}
EXPORT_SYMBOL_FOR_MODULES(devhold_domain_report, DEVHOLD_TEST_MODULES);

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
 * Return: the domain, ERR_PTR(-ENOMEM) when out of memory, or
 * ERR_PTR(-EINVAL) (with a WARN) for an unknown flag.
 */
struct devhold_domain *devhold_domain_create(const char *name, unsigned int flags)
{
	struct devhold_domain *domain;
	int err = -ENOMEM;

	if (devhold_misused(flags & ~DEVHOLD_DOMAIN_EXIT_WAITS,
			    "domain %s: unknown flags %#x\n", name, flags))
		return ERR_PTR(-EINVAL);
	domain = kzalloc_obj(*domain);
	if (!domain)
		return ERR_PTR(-ENOMEM);
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
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(devhold_domain_create);

/**
 * devhold_domain_destroy() - destroy a domain
 * @domain: the domain, may be NULL or an error pointer
 *
 * Finishes the holds put so far, waits for release sections that have
 * started, then drops the creator's reference.  Objects still counted or
 * holds still live are a bug of the caller: they are reported with a WARN,
 * and the domain's memory stays until the last of them is gone, so that
 * their late uncount or put is still safe (and also reported).  Holds taken
 * on a destroyed domain fail with -ENODEV while that memory stays.
 *
 * Context: process context, may sleep; not from reclaim or a WQ_MEM_RECLAIM
 * worker, as devhold_domain_flush().  Not from its release work (a put
 * callback of one of its holds): the puts queued are then not waited for;
 * nor from a release section of @domain: with lockdep the barrier is then
 * skipped (without it, it hangs).  Both are reported with a WARN, and the
 * domain is destroyed all the same.
 */
void devhold_domain_destroy(struct devhold_domain *domain)
{
	struct devhold_sink s = {};
	long nobjs, nholds;

	if (IS_ERR_OR_NULL(domain))
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
 * pinned either (-EBUSY): the loader frees a module whose init fails,
 * pinned or not, and this hold would then put a freed module.  Such a hold
 * cannot succeed from anything the owner's module_init runs, probes it
 * triggers included: a provider whose objects are held while its init runs
 * counts them in a %DEVHOLD_DOMAIN_EXIT_WAITS domain, and its init error
 * path waits for them as its module_exit does (see "A failing module_init"
 * in Documentation/core-api/devhold.rst).  Then @ops->get pins @obj.  The hold
 * is given back with devhold_put_deferred().
 *
 * Context: any context @gfp allows, but NMI.
 * Return: the hold, ERR_PTR(-ENODEV) when @owner is going or @domain was
 * destroyed, ERR_PTR(-EBUSY) when @owner is still in its module_init,
 * ERR_PTR(-ENOMEM) when the allocation fails, ERR_PTR(-EINVAL)
 * (with a WARN) without @domain (NULL or an error pointer) or @ops->put.
 * On an error, a reference the caller handed over (@ops->get NULL) stays
 * the caller's.
 */
struct devhold *devhold_get(struct devhold_domain *domain,
			    const struct devhold_ops *ops, void *obj,
			    struct module *owner, gfp_t gfp)
{
	struct devhold *hold;

	if (devhold_misused(IS_ERR_OR_NULL(domain) || !ops || !ops->put,
			    "%s: bad arguments\n", __func__))
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
		return ERR_PTR(-EBUSY);
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
EXPORT_SYMBOL_FOR_MODULES(devhold_get_device, DEVHOLD_TEST_MODULES);

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
	devhold_misused(true, "double put of hold %p\n", hold);
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
 * whatever stored @hold right away.  The module is pinned until then: an
 * unload of it attempted right after this call may still find it in use.
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
 * Users do not flush: devhold_domain_destroy() and, in a domain whose
 * provider's exit waits, devhold_domain_wait_idle() do.  For devhold's
 * tests (<kunit/devhold.h>).
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
EXPORT_SYMBOL_FOR_MODULES(devhold_domain_flush, DEVHOLD_TEST_MODULES);

/**
 * devhold_flush() - finish every hold put so far, in every domain
 *
 * devhold_domain_flush() on each domain.  For devhold's tests
 * (<kunit/devhold.h>).
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
EXPORT_SYMBOL_FOR_MODULES(devhold_flush, DEVHOLD_TEST_MODULES);

/*
 * The context a section is begun and ended in: task, softirq, hardirq
 * (not NMI, where SRCU cannot be used).  Not interrupt_context_level():
 * on PREEMPT_RT a softirq runs in a task, which preempt_count() does not
 * tell.
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
 * @section begun again before it ended (on any domain, by any task) is
 * reported with a WARN and ignored: it still belongs to its first domain.
 * A section begun on a destroyed domain that no longer
 * counts any object is reported with a WARN (that domain may be freed
 * under it) and begun, unless it is begun by a put callback of the domain
 * (its release work keeps the domain), as the destroy's flush runs them.
 *
 * Context: any context but NMI where RCU is watching.
 */
void devhold_release_begin(struct devhold_domain *domain,
			   struct devhold_release_section *section)
{
	/*
	 * Zero-initialised by the caller, set only while begun: begun again,
	 * on whichever domain, in whichever task, it would lose the reader
	 * it holds.
	 */
	if (devhold_misused(section->domain,
			    "release section %p begun twice (on domain %s)\n",
			    section, domain->name))
		return;
	devhold_misused(READ_ONCE(domain->dead) &&
			!atomic_long_read(&domain->nobjs) &&
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
 * devhold_domain_wait_idle() and devhold_domain_destroy() run it; alone,
 * it is for devhold's tests (<kunit/devhold.h>).
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
EXPORT_SYMBOL_FOR_MODULES(devhold_release_barrier, DEVHOLD_TEST_MODULES);

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
	if (devhold_misused(READ_ONCE(domain->dead),
			    "object added to destroyed domain %s\n", domain->name))
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
	if (devhold_misused(n < 0, "domain %s: object count underflow\n",
			    domain->name))
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
 * For devhold's tests (<kunit/devhold.h>).
 *
 * Context: any context.
 * Return: a snapshot of the holds taken and not yet finished.
 */
long devhold_domain_holds(struct devhold_domain *domain)
{
	return atomic_long_read(&domain->nholds);
}
EXPORT_SYMBOL_FOR_MODULES(devhold_domain_holds, DEVHOLD_TEST_MODULES);

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
 * notifier, whose chain's lock is held.  A task waiting here is not frozen:
 * a system suspend started meanwhile fails to freeze it and is aborted.
 *
 * Context: process context, may sleep, with no lock held: not from a work
 * item either (with lockdep, the workqueue's own lockdep maps are held
 * there, and the wait is refused), nor from reclaim, as
 * devhold_domain_flush().  Not from a release section of @domain nor from
 * its release work: the object being
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
