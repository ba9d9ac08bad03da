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
 * * Holds (devhold_get(), devhold_put()): a hold pins a provider object and
 *   the module that owns the provider's code.  Taking a hold fails with
 *   -ENODEV when that module is already going.  Dropping a hold is safe from
 *   any context (hardirq, IRQs off, spinlocks, reclaim, folio free, fence
 *   signalling): it is one lock-free list push.  A built-in worker finishes
 *   it: object put first, then module put, then the hold is freed.
 *
 * * Domains (devhold_domain_create()): a domain, usually one per driver or
 *   subsystem, counts the objects it created and the holds taken on them,
 *   and has release sections (devhold_release_begin()) with a barrier
 *   (devhold_release_barrier()) that waits for every release section that
 *   has started.  devhold_domain_wait_idle() is the module-exit helper: it
 *   waits until the domain's last object is released, reporting who still
 *   holds what while that takes long, then runs the barrier.
 *
 * * Deferred-free lists (devhold_list_init()): entries pushed lock-free from
 *   any context, freed later in process context by devhold_list_drain() or
 *   by the list's own work item.
 *
 * With CONFIG_DEBUG_DEVHOLD every live hold is tracked with the stack that
 * took it, reports name the holds a domain still has when it is destroyed or
 * waited for, and debugfs (devhold/) shows live holds and list statistics.
 * CONFIG_DEVHOLD_DEBUG_DELAY delays every deferred release by a random 1 to
 * 4 seconds to expose code that assumes it ran already.
 * The boot parameter devhold.debug_delay=0 turns the delay off.
 */

#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/devhold.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched/clock.h>
#include <linux/seq_buf.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#define CREATE_TRACE_POINTS
#include <trace/events/devhold.h>

/* hold->flags */
#define DEVHOLD_PUT	0	/* devhold_put() was called */
#define DEVHOLD_DELAY_ARMED	1	/* debug delay: the deadline is drawn */

static unsigned int wait_warn_secs = 10;
module_param(wait_warn_secs, uint, 0644);
MODULE_PARM_DESC(wait_warn_secs,
		 "Seconds devhold_domain_wait_idle() waits before reporting, and between reports");

static struct kmem_cache *devhold_cache;
static struct workqueue_struct *devhold_wq;
static LLIST_HEAD(devhold_pending);
static void devhold_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(devhold_work, devhold_work_fn);

/* Misuse detected (double put, put after destroy, ...): read by the tests. */
VISIBLE_IF_KUNIT atomic_t devhold_misuse = ATOMIC_INIT(0);
EXPORT_SYMBOL_IF_KUNIT(devhold_misuse);

#define devhold_misuse(cond, fmt, ...) ({				\
	bool __c = (cond);						\
	if (unlikely(__c)) {						\
		atomic_inc(&devhold_misuse);				\
		WARN(1, "devhold: " fmt, ##__VA_ARGS__);		\
	}								\
	unlikely(__c);							\
})

/* Reports go to a seq_file, a seq_buf or the kernel log. */
struct devhold_sink {
	struct seq_file *m;
	struct seq_buf *sb;
};

static __printf(2, 3) void devhold_out(struct devhold_sink *s, const char *fmt, ...)
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

#ifdef CONFIG_DEBUG_DEVHOLD
static DEFINE_MUTEX(devhold_debug_mutex);
static LIST_HEAD(devhold_domains);
static DEFINE_SPINLOCK(devhold_lists_lock);	/* lists are torn down in any context */
static LIST_HEAD(devhold_lists);
static struct dentry *devhold_debugfs;

#define DEVHOLD_STACK_DEPTH	16
#define DEVHOLD_QUARANTINE	256

/* Freed holds wait here, so that a late double put is caught, not a UAF. */
static struct devhold *devhold_quarantine[DEVHOLD_QUARANTINE];
static unsigned int devhold_quarantine_next;

static void devhold_debug_track(struct devhold *hold, gfp_t gfp)
{
	struct devhold_domain *domain = hold->domain;
	unsigned long entries[DEVHOLD_STACK_DEPTH];
	unsigned int nr;
	unsigned long flags;

	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 1);
	hold->debug.stack = stack_depot_save(entries, nr, gfp);
	hold->debug.since = jiffies;
	spin_lock_irqsave(&domain->lock, flags);
	list_add_tail(&hold->debug.link, &domain->holds);
	spin_unlock_irqrestore(&domain->lock, flags);
}

static void devhold_debug_untrack(struct devhold *hold)
{
	struct devhold_domain *domain = hold->domain;
	unsigned long flags;

	spin_lock_irqsave(&domain->lock, flags);
	list_del_init(&hold->debug.link);
	spin_unlock_irqrestore(&domain->lock, flags);
}

/* Called from the worker only: no locking needed. */
static void devhold_free(struct devhold *hold)
{
	struct devhold *old;

	old = devhold_quarantine[devhold_quarantine_next];
	devhold_quarantine[devhold_quarantine_next] = hold;
	devhold_quarantine_next = (devhold_quarantine_next + 1) % DEVHOLD_QUARANTINE;
	if (old)
		kmem_cache_free(devhold_cache, old);
}

static void devhold_debug_report_holds(struct devhold_domain *domain,
				       struct devhold_sink *s)
{
	struct devhold *hold;
	unsigned long *entries;
	unsigned long flags;
	unsigned int nr, i;

	spin_lock_irqsave(&domain->lock, flags);
	list_for_each_entry(hold, &domain->holds, debug.link) {
		devhold_out(s, "  hold %p on %s (%p) owner %s, held %u ms, taken at:\n",
			    hold, devhold_name(hold), hold->obj,
			    hold->owner ? module_name(hold->owner) : "none",
			    jiffies_to_msecs(jiffies - hold->debug.since));
		nr = hold->debug.stack ?
		     stack_depot_fetch(hold->debug.stack, &entries) : 0;
		for (i = 0; i < nr; i++)
			devhold_out(s, "    %pS\n", (void *)entries[i]);
	}
	spin_unlock_irqrestore(&domain->lock, flags);
}

static void devhold_debug_domain_init(struct devhold_domain *domain)
{
	spin_lock_init(&domain->lock);
	INIT_LIST_HEAD(&domain->holds);
	mutex_lock(&devhold_debug_mutex);
	list_add_tail(&domain->link, &devhold_domains);
	mutex_unlock(&devhold_debug_mutex);
}

static void devhold_debug_domain_fini(struct devhold_domain *domain)
{
	mutex_lock(&devhold_debug_mutex);
	list_del(&domain->link);
	mutex_unlock(&devhold_debug_mutex);
}

static void devhold_debug_list_init(struct devhold_list *list)
{
	unsigned long flags;

	list->first_push = 0;
	list->worst_latency = 0;
	spin_lock_irqsave(&devhold_lists_lock, flags);
	list_add_tail(&list->link, &devhold_lists);
	spin_unlock_irqrestore(&devhold_lists_lock, flags);
}

static void devhold_debug_list_fini(struct devhold_list *list)
{
	unsigned long flags;

	spin_lock_irqsave(&devhold_lists_lock, flags);
	list_del(&list->link);
	spin_unlock_irqrestore(&devhold_lists_lock, flags);
}

static void devhold_debug_list_pushed(struct devhold_list *list, bool first)
{
	if (first)
		WRITE_ONCE(list->first_push, local_clock());
}

static void devhold_debug_list_drained(struct devhold_list *list)
{
	u64 first = READ_ONCE(list->first_push);
	u64 lat;

	if (!first)
		return;
	lat = local_clock() - first;
	if (lat > READ_ONCE(list->worst_latency))
		WRITE_ONCE(list->worst_latency, lat);
}

static int devhold_holds_show(struct seq_file *m, void *unused)
{
	struct devhold_sink s = { .m = m };
	struct devhold_domain *domain;

	mutex_lock(&devhold_debug_mutex);
	list_for_each_entry(domain, &devhold_domains, link) {
		seq_printf(m, "domain %s: %ld objects, %ld holds%s\n", domain->name,
			   atomic_long_read(&domain->nobjs),
			   atomic_long_read(&domain->nholds),
			   domain->dead ? " (destroyed)" : "");
		devhold_debug_report_holds(domain, &s);
	}
	mutex_unlock(&devhold_debug_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(devhold_holds);

static int devhold_lists_show(struct seq_file *m, void *unused)
{
	struct devhold_list *list;

	seq_puts(m, "name depth drained worst_latency_ns\n");
	spin_lock_irq(&devhold_lists_lock);
	list_for_each_entry(list, &devhold_lists, link)
		seq_printf(m, "%s %ld %ld %llu\n", list->name,
			   atomic_long_read(&list->depth),
			   atomic_long_read(&list->drained),
			   READ_ONCE(list->worst_latency));
	spin_unlock_irq(&devhold_lists_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(devhold_lists);

static void __init devhold_debug_init(void)
{
	stack_depot_init();
	devhold_debugfs = debugfs_create_dir("devhold", NULL);
	debugfs_create_file("holds", 0400, devhold_debugfs, NULL, &devhold_holds_fops);
	debugfs_create_file("lists", 0400, devhold_debugfs, NULL, &devhold_lists_fops);
	debugfs_create_atomic_t("misuse", 0400, devhold_debugfs, &devhold_misuse);
}
#else
static void devhold_debug_track(struct devhold *hold, gfp_t gfp)
{
}

static void devhold_debug_untrack(struct devhold *hold)
{
}

static void devhold_free(struct devhold *hold)
{
	kmem_cache_free(devhold_cache, hold);
}

static void devhold_debug_report_holds(struct devhold_domain *domain,
				       struct devhold_sink *s)
{
}

static void devhold_debug_domain_init(struct devhold_domain *domain)
{
}

static void devhold_debug_domain_fini(struct devhold_domain *domain)
{
}

static void devhold_debug_list_init(struct devhold_list *list)
{
}

static void devhold_debug_list_fini(struct devhold_list *list)
{
}

static void devhold_debug_list_pushed(struct devhold_list *list, bool first)
{
}

static void devhold_debug_list_drained(struct devhold_list *list)
{
}

static void __init devhold_debug_init(void)
{
}
#endif

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
 * has been held and the stack that took it.  For debugging aids (a driver's
 * debugfs) and tests.
 *
 * Context: any context but NMI.
 */
void devhold_domain_report(struct devhold_domain *domain, struct seq_buf *sb)
{
	struct devhold_sink s = { .sb = sb };

	devhold_report(domain, &s, "report");
}
EXPORT_SYMBOL_GPL(devhold_domain_report);

/**
 * devhold_domain_create() - create a domain
 * @name: name used in reports; copied
 *
 * Context: process context, may sleep.
 * Return: the domain, or NULL when out of memory.
 */
struct devhold_domain *devhold_domain_create(const char *name)
{
	struct devhold_domain *domain;

	domain = kzalloc_obj(*domain);
	if (!domain)
		return NULL;
	domain->name = kstrdup_const(name, GFP_KERNEL);
	if (!domain->name || init_srcu_struct_fast(&domain->srcu)) {
		kfree_const(domain->name);
		kfree(domain);
		return NULL;
	}
	refcount_set(&domain->ref, 1);
	atomic_long_set(&domain->nobjs, 0);
	atomic_long_set(&domain->nholds, 0);
	init_waitqueue_head(&domain->wq);
	devhold_debug_domain_init(domain);
	return domain;
}
EXPORT_SYMBOL_GPL(devhold_domain_create);

static void devhold_domain_unref(struct devhold_domain *domain)
{
	if (!refcount_dec_and_test(&domain->ref))
		return;
	devhold_debug_domain_fini(domain);
	cleanup_srcu_struct(&domain->srcu);
	kfree_const(domain->name);
	kfree(domain);
}

/**
 * devhold_domain_destroy() - destroy a domain
 * @domain: the domain, may be NULL
 *
 * Waits for release sections that have started, then drops the domain.
 * Objects still counted or holds still live are a bug of the caller: they
 * are reported with a WARN, and the domain's memory stays until the last of
 * those holds is put, so that late put is still safe (and also reported).
 *
 * Context: process context, may sleep.  Not from a release section of
 * @domain.
 */
void devhold_domain_destroy(struct devhold_domain *domain)
{
	struct devhold_sink s = {};
	long nobjs, nholds;

	if (!domain)
		return;
	if (devhold_misuse(READ_ONCE(domain->dead), "domain %s destroyed twice\n",
			   domain->name))
		return;
	devhold_flush();
	devhold_release_barrier(domain);
	nobjs = atomic_long_read(&domain->nobjs);
	nholds = atomic_long_read(&domain->nholds);
	if (devhold_misuse(nobjs || nholds,
			   "domain %s destroyed with %ld objects and %ld holds\n",
			   domain->name, nobjs, nholds))
		devhold_report(domain, &s, "leaks");
	WRITE_ONCE(domain->dead, true);
	devhold_domain_unref(domain);
}
EXPORT_SYMBOL_GPL(devhold_domain_destroy);

/**
 * devhold_get() - pin an object and the module owning its code
 * @domain: the provider's domain; the hold is counted and reported there
 * @ops: how to pin @obj; see &struct devhold_ops
 * @obj: the provider object
 * @owner: the module owning the provider's code, or NULL when built in
 * @gfp: allocation flags for the hold (one small allocation)
 *
 * Pins @owner first: when it is already going (unloading), nothing is
 * pinned and -ENODEV is returned.  Then @ops->get pins @obj.  The hold is
 * given back with devhold_put().
 *
 * Context: any context @gfp allows.
 * Return: the hold, ERR_PTR(-ENODEV) when @owner is going or @domain was
 * destroyed, ERR_PTR(-ENOMEM) when the allocation fails.
 */
struct devhold *devhold_get(struct devhold_domain *domain,
			    const struct devhold_ops *ops, void *obj,
			    struct module *owner, gfp_t gfp)
{
	struct devhold *hold;

	if (devhold_misuse(!domain || !ops || !ops->put, "%s: bad arguments\n", __func__))
		return ERR_PTR(-EINVAL);
	if (devhold_misuse(READ_ONCE(domain->dead), "hold on destroyed domain %s\n",
			   domain->name))
		return ERR_PTR(-ENODEV);
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
	hold->flags = 0;
	hold->obj = obj;
	hold->ops = ops;
	hold->owner = owner;
	hold->domain = domain;
	refcount_inc(&domain->ref);
	atomic_long_inc(&domain->nholds);
	if (ops->get)
		ops->get(obj);
	devhold_debug_track(hold, gfp);
	trace_devhold_get(hold, domain->name);
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
 * Context: any context @gfp allows.
 * Return: see devhold_get().
 */
struct devhold *devhold_get_device(struct devhold_domain *domain,
				   struct device *dev, struct module *owner,
				   gfp_t gfp)
{
	return devhold_get(domain, &devhold_device_ops, dev, owner, gfp);
}
EXPORT_SYMBOL_GPL(devhold_get_device);

#ifdef CONFIG_DEVHOLD_DEBUG_DELAY
static bool debug_delay = true;
module_param(debug_delay, bool, 0644);
MODULE_PARM_DESC(debug_delay, "Delay each deferred release by 1 to 4 seconds");

static atomic_t devhold_flushing = ATOMIC_INIT(0);
static LLIST_HEAD(devhold_delayed);	/* the worker's own */

static bool devhold_delay(struct devhold *hold, unsigned long *next)
{
	unsigned long due;

	if (atomic_read(&devhold_flushing) || !READ_ONCE(debug_delay))
		return false;
	/*
	 * The deadline is drawn here, in the worker: devhold_put() may run in
	 * hard interrupt context, where the random pool's lock may not be
	 * taken (it sleeps on PREEMPT_RT).
	 */
	if (!test_and_set_bit(DEVHOLD_DELAY_ARMED, &hold->flags))
		hold->debug.due += HZ + get_random_u32_below(3 * HZ + 1);
	due = hold->debug.due;
	if (time_after_eq(jiffies, due))
		return false;
	if (!*next || time_before(due, *next))
		*next = due;
	llist_add(&hold->node, &devhold_delayed);
	return true;
}

static void devhold_delay_set(struct devhold *hold)
{
	hold->debug.due = jiffies;	/* when it was put */
}

static struct llist_node *devhold_take(void)
{
	struct llist_node *a = llist_del_all(&devhold_pending);
	struct llist_node *b = llist_del_all(&devhold_delayed);
	struct llist_node *last = b;

	if (!b)
		return a;
	while (last->next)
		last = last->next;
	last->next = a;
	return b;
}
#else
static bool devhold_delay(struct devhold *hold, unsigned long *next)
{
	return false;
}

static void devhold_delay_set(struct devhold *hold)
{
}

static struct llist_node *devhold_take(void)
{
	return llist_del_all(&devhold_pending);
}
#endif

/**
 * devhold_put() - give back a hold
 * @hold: the hold, may be NULL or an error pointer
 *
 * The hold is queued and finished by a built-in worker: the object is put
 * first, then the owner module, then the hold is freed.  The caller may
 * free or re-initialise whatever stored @hold right away.
 *
 * A second put of the same hold is reported with a WARN and ignored.
 *
 * Context: any context: hardirq, IRQs off, under spinlocks, in reclaim, in
 * a folio free callback, inside a dma-fence signalling section.  Never
 * sleeps, never allocates; one lock-free list push, plus queueing the
 * worker when the queue was empty.
 */
void devhold_put(struct devhold *hold)
{
	if (IS_ERR_OR_NULL(hold))
		return;
	if (devhold_misuse(test_and_set_bit(DEVHOLD_PUT, &hold->flags),
			   "double put of hold %p on %s\n", hold, devhold_name(hold)))
		return;
	devhold_misuse(READ_ONCE(hold->domain->dead),
		       "hold %p put after domain %s was destroyed\n",
		       hold, hold->domain->name);
	trace_devhold_put(hold, hold->domain->name);
	devhold_delay_set(hold);
	if (llist_add(&hold->node, &devhold_pending))
		mod_delayed_work(devhold_wq, &devhold_work, 0);
}
EXPORT_SYMBOL_GPL(devhold_put);

static void devhold_finish(struct devhold *hold)
{
	struct devhold_domain *domain = hold->domain;

	/* Out of the reports before the object and its code can go. */
	devhold_debug_untrack(hold);
	hold->ops->put(hold->obj);
	module_put(hold->owner);
	trace_devhold_release(hold, domain->name);
	atomic_long_dec(&domain->nholds);
	devhold_free(hold);
	devhold_domain_unref(domain);
}

static void devhold_work_fn(struct work_struct *work)
{
	struct devhold *hold, *next;
	unsigned long due = 0;
	struct llist_node *list;

	list = devhold_take();
	llist_for_each_entry_safe(hold, next, list, node) {
		if (devhold_delay(hold, &due))
			continue;
		devhold_finish(hold);
		cond_resched();
	}
	if (due)
		queue_delayed_work(devhold_wq, &devhold_work,
				   max_t(long, (long)(due - jiffies), 1));
}

/**
 * devhold_flush() - wait until every hold put so far is finished
 *
 * Returns once the object and module puts of every devhold_put() that
 * happened before the call have completed (with CONFIG_DEVHOLD_DEBUG_DELAY
 * too: a flush overrides the delay).
 *
 * Context: process context, may sleep.  Not from an object's put callback,
 * and not from reclaim or a WQ_MEM_RECLAIM worker: the worker that finishes
 * holds is not WQ_MEM_RECLAIM, as releases may flush queues that are not.
 */
void devhold_flush(void)
{
#ifdef CONFIG_DEVHOLD_DEBUG_DELAY
	atomic_inc(&devhold_flushing);
	mod_delayed_work(devhold_wq, &devhold_work, 0);
#endif
	flush_delayed_work(&devhold_work);
#ifdef CONFIG_DEVHOLD_DEBUG_DELAY
	atomic_dec(&devhold_flushing);
#endif
}
EXPORT_SYMBOL_GPL(devhold_flush);

/**
 * devhold_release_begin() - enter a release section of a domain
 * @domain: the domain
 *
 * Wrap the release callback of a domain's object (and whatever runs the
 * object's code as part of its release) in a release section so that
 * devhold_release_barrier() can wait for it.  The section may sleep.
 *
 * Context: any context where RCU is watching.
 * Return: the cookie to pass to devhold_release_end().
 */
struct devhold_release_cookie devhold_release_begin(struct devhold_domain *domain)
{
	return (struct devhold_release_cookie){
		.scp = srcu_read_lock_fast(&domain->srcu),
	};
}
EXPORT_SYMBOL_GPL(devhold_release_begin);

/**
 * devhold_release_end() - leave a release section of a domain
 * @domain: the domain
 * @cookie: what devhold_release_begin() returned
 *
 * Context: the context devhold_release_begin() was called in.
 */
void devhold_release_end(struct devhold_domain *domain,
			 struct devhold_release_cookie cookie)
{
	srcu_read_unlock_fast(&domain->srcu, cookie.scp);
}
EXPORT_SYMBOL_GPL(devhold_release_end);

/* With lockdep, the release sections the current task is in are known. */
static bool devhold_in_release_section(struct devhold_domain *domain)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	return debug_locks && lock_is_held(&domain->srcu.dep_map);
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
 * for.  Called from inside a release section of @domain it would wait for
 * itself: with lockdep (CONFIG_DEBUG_LOCK_ALLOC) that is reported with a
 * WARN and the call returns without waiting.
 *
 * Context: process context, may sleep.
 */
void devhold_release_barrier(struct devhold_domain *domain)
{
	if (devhold_misuse(devhold_in_release_section(domain),
			   "release barrier of domain %s called inside one of its release sections\n",
			   domain->name))
		return;
	trace_devhold_barrier_begin(domain->name);
	synchronize_srcu(&domain->srcu);
	trace_devhold_barrier_end(domain->name);
}
EXPORT_SYMBOL_GPL(devhold_release_barrier);

/**
 * devhold_domain_obj_add() - count an object the domain created
 * @domain: the domain
 *
 * Pair with devhold_domain_obj_del() at the very end of the object's
 * release, inside its release section.
 *
 * Context: any context.
 */
void devhold_domain_obj_add(struct devhold_domain *domain)
{
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
 * Context: any context but NMI.
 */
void devhold_domain_obj_del(struct devhold_domain *domain)
{
	long n = atomic_long_dec_if_positive(&domain->nobjs);

	if (devhold_misuse(n < 0, "domain %s: object count underflow\n", domain->name))
		return;
	if (!n)
		wake_up_all(&domain->wq);
}
EXPORT_SYMBOL_GPL(devhold_domain_obj_del);

/**
 * devhold_domain_objs() - how many objects a domain counts
 * @domain: the domain
 *
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
 * Return: a snapshot of the holds taken and not yet finished.
 */
long devhold_domain_holds(struct devhold_domain *domain)
{
	return atomic_long_read(&domain->nholds);
}
EXPORT_SYMBOL_GPL(devhold_domain_holds);

/**
 * devhold_domain_wait_idle() - wait until a domain's objects are all released
 * @domain: the domain
 *
 * The module-exit helper: waits until the domain's object count is zero,
 * finishes the holds put so far and then runs devhold_release_barrier(), so
 * that no release code of the domain runs any more when it returns.  While
 * it waits longer than devhold.wait_warn_secs (10 s by default) it reports
 * the domain's objects and holds, and again after each such period.
 *
 * This turns "module in use" into a wait: an rmmod that used to fail with
 * -EBUSY while something still referenced a device now waits until that
 * reference is dropped.
 *
 * Context: process context, may sleep.  Not from a release section of
 * @domain.
 */
void devhold_domain_wait_idle(struct devhold_domain *domain)
{
	struct devhold_sink s = {};
	unsigned long period;

	for (;;) {
		period = max(1U, READ_ONCE(wait_warn_secs)) * HZ;
		if (wait_event_timeout(domain->wq,
				       !atomic_long_read(&domain->nobjs), period))
			break;
		devhold_report(domain, &s, "still busy");
	}
	devhold_flush();
	devhold_release_barrier(domain);
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
 *
 * Use devhold_list_init(), which names the list after its expression.
 *
 * Context: process context.
 */
void __devhold_list_init(struct devhold_list *list, const char *name,
			 void (*free)(struct llist_node *node),
			 unsigned int flags)
{
	init_llist_head(&list->head);
	list->free = free;
	list->name = name;
	list->flags = flags;
	atomic_long_set(&list->depth, 0);
	atomic_long_set(&list->drained, 0);
	INIT_WORK(&list->work, devhold_list_work);
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
 * the free callback unlinks it.  Push only after dropping any lock the free
 * callback takes, as the drain may run at once on another CPU.
 *
 * Context: any context; lock-free, does not allocate.
 * Return: true when the list was empty before (the caller may kick its
 * drain; with DEVHOLD_LIST_AUTO_DRAIN the list's work was queued).
 */
bool devhold_list_push(struct devhold_list *list, struct llist_node *node)
{
	bool first;

	atomic_long_inc(&list->depth);
	first = llist_add(node, &list->head);
	devhold_debug_list_pushed(list, first);
	trace_devhold_list_push(list->name, first);
	if (first && (list->flags & DEVHOLD_LIST_AUTO_DRAIN))
		queue_work(devhold_wq, &list->work);
	return first;
}
EXPORT_SYMBOL_GPL(devhold_list_push);

/**
 * devhold_list_drain() - free the entries queued on a list
 * @list: the list
 *
 * Takes every queued entry off @list, then calls the free callback on each.
 * @list is not touched once the first callback runs: when the entries pin
 * the object that embeds @list, the last callback may tear it down
 * (devhold_list_fini()) and free it.
 *
 * Context: process context; the free callback may sleep.
 * Return: how many entries were freed.
 */
unsigned long devhold_list_drain(struct devhold_list *list)
{
	struct llist_node *first, *node, *next;
	unsigned long n = 0;

	first = llist_del_all(&list->head);
	if (!first)
		return 0;
	llist_for_each(node, first)
		n++;
	devhold_debug_list_drained(list);
	atomic_long_sub(n, &list->depth);
	atomic_long_add(n, &list->drained);
	trace_devhold_list_drain(list->name, n);
	llist_for_each_safe(node, next, first)
		list->free(node);
	return n;
}
EXPORT_SYMBOL_GPL(devhold_list_drain);

/**
 * devhold_list_flush() - free everything pushed to a list so far
 * @list: the list
 *
 * Waits for the list's work item (if any) and drains what is left.
 *
 * Context: process context, may sleep.
 */
void devhold_list_flush(struct devhold_list *list)
{
	if (list->flags & DEVHOLD_LIST_AUTO_DRAIN)
		flush_work(&list->work);
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
 * Context: any context for a list without %DEVHOLD_LIST_AUTO_DRAIN when it
 * is empty; process context, may sleep, otherwise.
 */
void devhold_list_fini(struct devhold_list *list)
{
	if (list->flags & DEVHOLD_LIST_AUTO_DRAIN)
		flush_work(&list->work);
	if (devhold_misuse(!llist_empty(&list->head),
			   "list %s torn down with %ld entries\n",
			   list->name, atomic_long_read(&list->depth)))
		devhold_list_drain(list);
	devhold_debug_list_fini(list);
}
EXPORT_SYMBOL_GPL(devhold_list_fini);

static int __init devhold_init(void)
{
	BUILD_BUG_ON(!IS_ENABLED(CONFIG_DEBUG_DEVHOLD) &&
		     sizeof(struct devhold_debug) != 0);
	BUILD_BUG_ON(!IS_ENABLED(CONFIG_DEBUG_DEVHOLD) &&
		     sizeof(struct devhold) != 6 * sizeof(void *));

	devhold_cache = KMEM_CACHE(devhold, 0);
	/*
	 * Not WQ_MEM_RECLAIM: nothing in reclaim waits for a release, and a
	 * release may flush or destroy queues without it (a driver's).
	 */
	devhold_wq = alloc_workqueue("devhold", WQ_UNBOUND, 0);
	if (!devhold_cache || !devhold_wq)
		panic("devhold: cannot initialise\n");
	devhold_debug_init();
	return 0;
}
core_initcall(devhold_init);
