/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devhold: device and module lifetime helpers.
 *
 * See Documentation/core-api/devhold.rst.
 */
#ifndef _LINUX_DEVHOLD_H
#define _LINUX_DEVHOLD_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/gfp_types.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/lockdep_types.h>
#include <linux/refcount.h>
#include <linux/srcu.h>
#include <linux/stackdepot.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/bits.h>
#include <linux/workqueue_types.h>

struct device;
struct devhold;
struct devhold_domain;
struct module;
struct seq_buf;

/**
 * struct devhold_ops - how a hold pins its provider object
 * @get: take a reference on the object.  Called from devhold_get() in the
 *	caller's context; must not fail.  May be NULL when the caller hands
 *	over a reference it already owns.
 * @put: drop that reference.  Always called from the devhold worker, in
 *	process context, so it may sleep and may run the object's release.
 * @name: optional; names the object in reports.  Called in any context.
 *
 * The ops structure and its callbacks must live in built-in code or in a
 * module the hold's owner depends on: they are called while only the owner
 * is pinned.
 */
struct devhold_ops {
	void (*get)(void *obj);
	void (*put)(void *obj);
	const char *(*name)(void *obj);
};

#ifdef CONFIG_DEBUG_DEVHOLD
/* Per-hold tracking; only with CONFIG_DEBUG_DEVHOLD. */
struct devhold_debug {
	struct list_head link;
	depot_stack_handle_t stack;
	unsigned long since;
	unsigned long due;
};
#else
struct devhold_debug {};
#endif

/**
 * struct devhold - a pin on a provider object and the module owning its code
 *
 * Obtained from devhold_get() and given back with devhold_put(); the
 * members are private to lib/devhold.c.  A hold is allocated on its own, so
 * it stays valid after its holder is freed or re-initialised: the holder
 * only stores the pointer.
 */
struct devhold {
	/* private: */
	struct llist_node node;
	unsigned long flags;
	void *obj;
	const struct devhold_ops *ops;
	struct module *owner;
	struct devhold_domain *domain;
	struct devhold_debug debug;
};

/**
 * struct devhold_domain - release barrier, object count and hold accounting
 *
 * A domain groups the objects of one driver or subsystem.  Allocated with
 * devhold_domain_create(); members are private to lib/devhold.c.
 */
struct devhold_domain {
	/* private: */
	const char *name;
	refcount_t ref;
	bool dead;
	atomic_long_t nobjs;
	atomic_long_t nholds;
	wait_queue_head_t wq;
	struct srcu_struct srcu;
#ifdef CONFIG_DEBUG_DEVHOLD
	spinlock_t lock;	/* protects holds */
	struct list_head holds;
	struct list_head link;
	struct dentry *dentry;
#endif
};

/**
 * struct devhold_release_cookie - token of a release section
 *
 * Returned by devhold_release_begin(), passed to devhold_release_end().
 */
struct devhold_release_cookie {
	/* private: */
	struct srcu_ctr __percpu *scp;
};

/**
 * devhold_name() - name of the object a hold pins
 * @hold: the hold
 *
 * Return: what &devhold_ops.name says, or "?" without that callback.
 */
static inline const char *devhold_name(const struct devhold *hold)
{
	return hold->ops->name ? hold->ops->name(hold->obj) : "?";
}

struct devhold_domain *devhold_domain_create(const char *name);
void devhold_domain_destroy(struct devhold_domain *domain);

struct devhold *devhold_get(struct devhold_domain *domain,
			    const struct devhold_ops *ops, void *obj,
			    struct module *owner, gfp_t gfp);
struct devhold *devhold_get_device(struct devhold_domain *domain,
				   struct device *dev, struct module *owner,
				   gfp_t gfp);
void devhold_put(struct devhold *hold);
void devhold_flush(void);

struct devhold_release_cookie devhold_release_begin(struct devhold_domain *domain);
void devhold_release_end(struct devhold_domain *domain,
			 struct devhold_release_cookie cookie);
void devhold_release_barrier(struct devhold_domain *domain);

void devhold_domain_obj_add(struct devhold_domain *domain);
void devhold_domain_obj_del(struct devhold_domain *domain);
long devhold_domain_objs(struct devhold_domain *domain);
long devhold_domain_holds(struct devhold_domain *domain);
void devhold_domain_wait_idle(struct devhold_domain *domain);
void devhold_domain_report(struct devhold_domain *domain, struct seq_buf *sb);

/* Flags of devhold_list_init(). */
#define DEVHOLD_LIST_AUTO_DRAIN	BIT(0)	/* drain from the list's own work item */

/**
 * struct devhold_list - a deferred-free list
 *
 * Entries are pushed lock-free from any context and freed later, in process
 * context, by devhold_list_drain() or by the list's own work item.  Set up
 * with devhold_list_init(); members are private to lib/devhold.c.
 */
struct devhold_list {
	/* private: */
	struct llist_head head;
	void (*free)(struct llist_node *node);
	unsigned int flags;
	const char *name;
	atomic_long_t depth;
	atomic_long_t drained;
	struct work_struct work;
#ifdef CONFIG_DEBUG_DEVHOLD
	u64 first_push;
	u64 worst_latency;
	struct list_head link;
#endif
};

void __devhold_list_init(struct devhold_list *list, const char *name,
			 void (*free)(struct llist_node *node),
			 unsigned int flags);

/**
 * devhold_list_init() - initialise a deferred-free list
 * @list: the list
 * @free: frees one entry; called in process context from the drain
 * @flags: 0, or DEVHOLD_LIST_AUTO_DRAIN to have the list's own work item
 *	drain it after the first push to an empty list
 *
 * The list is named after the expression @list in reports and debugfs.
 *
 * Context: process context.
 */
#define devhold_list_init(list, free, flags) \
	__devhold_list_init((list), #list, (free), (flags))

bool devhold_list_push(struct devhold_list *list, struct llist_node *node);
unsigned long devhold_list_drain(struct devhold_list *list);
void devhold_list_flush(struct devhold_list *list);
void devhold_list_fini(struct devhold_list *list);

/**
 * devhold_list_depth() - entries waiting on a deferred-free list
 * @list: the list
 *
 * Return: a snapshot of how many entries were pushed and not drained yet.
 */
static inline long devhold_list_depth(const struct devhold_list *list)
{
	return atomic_long_read(&list->depth);
}

/**
 * devhold_list_empty() - whether a deferred-free list has no entries
 * @list: the list
 *
 * Return: true when nothing is waiting to be freed (a snapshot).
 */
static inline bool devhold_list_empty(const struct devhold_list *list)
{
	return llist_empty(&list->head);
}

#if IS_ENABLED(CONFIG_KUNIT)
/* Count of misuse reports, for the tests. */
extern atomic_t devhold_misuse;
#endif

#endif /* _LINUX_DEVHOLD_H */
