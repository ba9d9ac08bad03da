// SPDX-License-Identifier: GPL-2.0
/*
 * devhold: deferred-free lists.  See the overview in <linux/devhold.h>.
 */

#include <linux/devhold.h>
#include <linux/export.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>
#include <kunit/devhold.h>

#include "devhold_internal.h"

#include <trace/events/devhold.h>

/* For tests that act at an exact point of a push or a flush. */
EXPORT_TRACEPOINT_SYMBOL_GPL(devhold_list_push);
EXPORT_TRACEPOINT_SYMBOL_GPL(devhold_list_flush);

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
 * the pusher must not wait for the drain (devhold_list_fini()) under such
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
EXPORT_SYMBOL_FOR_MODULES(devhold_list_drain, DEVHOLD_TEST_MODULES);

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
 * The caller keeps @list valid until this returns: not for a list whose
 * entries pin the object that embeds it (their last free may free it).
 * Unlike devhold_list_fini(), the list stays usable: for owners that must
 * wait for the frees of some entries (those that use an object going
 * away) before the list itself goes.  The caller must not hold a lock that
 * the free callback takes.
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
 * queues the list's work, and flushes that work: not from reclaim or a
 * WQ_MEM_RECLAIM worker).  Entries still queued are freed here, by a free
 * callback that may sleep: with such entries, process context.
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
