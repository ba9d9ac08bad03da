/* SPDX-License-Identifier: GPL-2.0 */
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
 * * Holds (devhold_get(), devhold_put_deferred()): a hold pins a provider
 *   object and, unless the provider's domain says its module exit waits,
 *   the module that owns the provider's code.  Giving a hold back never
 *   sleeps or allocates: it is safe in hardirq, with IRQs off, under
 *   spinlocks and raw spinlocks, in reclaim, in a folio free callback and in
 *   a dma-fence signalling section, but not in NMI, nor under the
 *   scheduler's or a workqueue pool's locks (devhold_put_deferred() says
 *   why).  The put is deferred to the domain's release work, which puts the
 *   object, then the module, then frees the hold, in the order of the puts.
 *
 * * Domains (devhold_domain_create()), one per driver module or subsystem:
 *   a domain counts the objects its provider created and the holds taken on
 *   them, and has release sections (devhold_release_begin()).
 *   devhold_domain_wait_idle(), for the provider's module_exit, waits until
 *   every object is released and every hold finished, then until every
 *   release section that started has ended.
 *
 * * Deferred-free lists (devhold_list_init(), lib/devhold_list.c): entries
 *   pushed lock-free from atomic contexts (devhold_list_push() names the
 *   exceptions), freed later in process context by devhold_list_drain() or
 *   by the list's own work item.
 *
 * Two lifetime models.  By default a hold pins the provider's module, and
 * an rmmod of the provider fails while a hold is out.  A provider whose
 * module_exit waits for its objects (devhold_domain_wait_idle()) creates
 * its domain with %DEVHOLD_DOMAIN_EXIT_WAITS: holds there pin the object
 * only, and the rmmod waits for them instead of failing.  The model is the
 * provider's promise, never assumed for it.
 *
 * Misuse (a double put, a hold or put on a destroyed domain, a barrier
 * inside its own release section, ...) is reported with a WARN once per
 * call site, as WARN_ONCE() does, and handled without a crash or an
 * unbalanced count.  Where it cannot be undone safely (a put in NMI, a
 * release section ended in another context, an object counted on a
 * destroyed domain) the hold or the domain is leaked rather than freed
 * under its user.
 *
 * With CONFIG_DEBUG_DEVHOLD every live hold is tracked with the stack that
 * took it, a double put reports the stacks of the get and of the first
 * put, and debugfs (devhold/) shows live holds and list statistics.
 * CONFIG_DEVHOLD_DEBUG_DELAY delays every deferred release by a random 1 to
 * 4 seconds to expose code that assumes it ran already.
 */
#ifndef _LINUX_DEVHOLD_H
#define _LINUX_DEVHOLD_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/gfp_types.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/lockdep_types.h>
#include <linux/types.h>
#include <linux/workqueue_types.h>

struct device;
struct devhold;
struct devhold_domain;
struct module;
struct srcu_ctr;
struct task_struct;

/**
 * struct devhold_ops - how a hold pins its provider object
 * @get: take a reference on the object.  Called from devhold_get() in the
 *	caller's context; must not fail.  May be NULL when the caller hands
 *	over a reference it already owns.
 * @put: drop that reference.  Always called from the domain's release
 *	work, in process context, so it may sleep and may run the object's
 *	release.
 * @name: optional; names the object in reports while the hold is live.
 *	Called in any context but NMI, never after @put.
 *
 * The ops structure and its callbacks must stay callable while the hold is
 * live: built-in code, a module the holder depends on, or the provider's
 * module when the domain's model keeps that module (see
 * devhold_domain_create()).
 */
struct devhold_ops {
	void (*get)(void *obj);
	void (*put)(void *obj);
	const char *(*name)(void *obj);
};

/*
 * Flags of devhold_domain_create().
 *
 * DEVHOLD_DOMAIN_EXIT_WAITS: the provider promises that its module_exit
 * (and a failing module_init) waits for every object counted in the domain
 * and every hold on it (devhold_domain_wait_idle()).  Holds then pin the
 * object only, not the owner module, so an rmmod of a bound provider waits
 * instead of failing.
 */
#define DEVHOLD_DOMAIN_EXIT_WAITS	BIT(0)

/**
 * struct devhold_release_section - a release section of a domain
 *
 * The caller's, zero-initialised (``= {}``), from devhold_release_begin()
 * to devhold_release_end() (its stack is fine): what the end needs to
 * leave the domain's SRCU read section, and to tell a section begun twice,
 * ended twice or ended in another context.
 */
struct devhold_release_section {
	/* private: */
	struct srcu_ctr __percpu *scp;
	struct devhold_domain *domain;
	struct task_struct *task;	/* current at the begin */
	unsigned char context;		/* task, softirq or hardirq: 0, 1, 2 */
};

/* Domains */
struct devhold_domain *devhold_domain_create(const char *name, unsigned int flags);
void devhold_domain_destroy(struct devhold_domain *domain);

/* Holds */
struct devhold *devhold_get(struct devhold_domain *domain,
			    const struct devhold_ops *ops, void *obj,
			    struct module *owner, gfp_t gfp);
struct devhold *devhold_get_device(struct devhold_domain *domain,
				   struct device *dev, struct module *owner,
				   gfp_t gfp);
void devhold_put_deferred(struct devhold *hold);

/* Release sections */
void devhold_release_begin(struct devhold_domain *domain,
			   struct devhold_release_section *section);
void devhold_release_end(struct devhold_domain *domain,
			 struct devhold_release_section *section);

/* Object count and the unload wait */
void devhold_domain_obj_add(struct devhold_domain *domain);
void devhold_domain_obj_del(struct devhold_domain *domain);
long devhold_domain_objs(struct devhold_domain *domain);
int devhold_domain_wait_idle(struct devhold_domain *domain);

/* Deferred-free lists (lib/devhold_list.c) */

/* Flags of devhold_list_init() */
#define DEVHOLD_LIST_AUTO_DRAIN	BIT(0)	/* drain from the list's own work item */

/**
 * struct devhold_list - a deferred-free list
 *
 * Entries are pushed lock-free (devhold_list_push() names the contexts) and
 * freed later, in process context, by devhold_list_drain() or by the list's
 * own work item.  Set up
 * with devhold_list_init(); members are private to lib/devhold_list.c.
 */
struct devhold_list {
	/* private: */
	struct llist_head head;
	void (*free)(struct llist_node *node);
	unsigned int flags;
	bool pushed;
	const char *name;
	struct work_struct work;
#ifdef CONFIG_DEBUG_DEVHOLD
	atomic_long_t depth;
	atomic_long_t drained;
	atomic64_t first_push;
	atomic64_t worst_latency;
	struct list_head link;
#endif
};

void __devhold_list_init(struct devhold_list *list, const char *name,
			 void (*free)(struct llist_node *node),
			 unsigned int flags, struct lock_class_key *key);

/**
 * devhold_list_init() - initialise a deferred-free list
 * @list: the list
 * @free: frees one entry; called in process context from the drain
 * @flags: 0, or %DEVHOLD_LIST_AUTO_DRAIN to have the list's own work item
 *	drain it after the first push to an empty list
 *
 * The list is named after the expression @list in reports and debugfs.
 *
 * Context: process context.
 */
#define devhold_list_init(list, free, flags)				\
	do {								\
		static struct lock_class_key __key;			\
									\
		__devhold_list_init((list), #list, (free), (flags), &__key); \
	} while (0)

bool devhold_list_push(struct devhold_list *list, struct llist_node *node);
unsigned long devhold_list_drain(struct devhold_list *list);
void devhold_list_flush(struct devhold_list *list);
void devhold_list_fini(struct devhold_list *list);

#endif /* _LINUX_DEVHOLD_H */
