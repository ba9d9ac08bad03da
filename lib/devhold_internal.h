/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devhold: what lib/devhold.c, lib/devhold_list.c and lib/devhold_debug.c
 * share.
 */
#ifndef _LIB_DEVHOLD_INTERNAL_H
#define _LIB_DEVHOLD_INTERNAL_H

#include <linux/devhold.h>
#include <linux/lockdep_types.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/spinlock_types.h>
#include <linux/srcu.h>
#include <linux/stackdepot.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <kunit/devhold.h>

/*
 * What only devhold's own tests use (<kunit/devhold.h>, and the members and
 * knobs here) is exported to them alone: the library's KUnit suite, test
 * modules and benchmark, and the DRM suites that check DRM's use of it.
 * So are the calls that only built-in code and those tests use so far
 * (devhold_get_device(), devhold_list_drain()): exported to every module
 * once a module uses them.
 */
#define DEVHOLD_TEST_MODULES \
	"devhold_kunit,test_devhold_provider,test_devhold_holder,test_devhold_scale," \
	"drm_devhold_test,drm_pagemap_test"

extern struct workqueue_struct *devhold_wq;

/*
 * Misuse: counted (debugfs devhold/misuse), and reported with a WARN once
 * per call site, as WARN_ONCE() does (the flag is one of the kernel's once
 * flags, which debugfs clear_warn_once resets): misuse repeated from
 * hardirq context does not fill the log with backtraces.  The WARNs
 * printed are counted too, for the tests.
 */
#define devhold_misused(cond, ...) ({					\
	static bool __section(".data..once") __warned;			\
	bool __c = (cond);						\
	if (unlikely(__c)) {						\
		atomic_inc(&devhold_misuse);				\
		if (!READ_ONCE(__warned)) {				\
			WRITE_ONCE(__warned, true);			\
			atomic_inc(&devhold_misuse_warned);		\
			WARN(1, "devhold: " __VA_ARGS__);		\
		}							\
	}								\
	unlikely(__c);							\
})

/* hold->flags */
#define DEVHOLD_PUT		0	/* devhold_put_deferred() was called */
#define DEVHOLD_DELAY_ARMED	1	/* debug delay: the deadline is drawn */

struct devhold_debug {
	struct list_head link;		/* in domain->holds while live */
	depot_stack_handle_t get_stack;
	depot_stack_handle_t put_stack;
	unsigned long since;		/* jiffies at get */
	unsigned long due;		/* jiffies at put, then the deadline */
};

struct devhold {
	struct llist_node node;		/* in domain->pending */
	unsigned long flags;
	void *obj;
	const struct devhold_ops *ops;
	struct module *owner;		/* the pinned module, or NULL */
	struct devhold_domain *domain;	/* holds a domain reference */
#ifdef CONFIG_DEBUG_DEVHOLD
	struct devhold_debug debug;
#endif
};

/*
 * The domain's memory lives as long as its creator's reference, every
 * counted object (a destroy that finds objects counted leaves the creator's
 * reference to the last uncount: objects take none of their own) and every
 * hold; it is freed from a work item after an RCU grace period, so code
 * that just published a hold may still kick the domain's work, and an
 * uncount may still wake its waiters, and after an SRCU grace period of
 * its own, so that a
 * release section still running then ends safely (the section of a
 * refused destroy, or of an object still counted at destroy).
 */
struct devhold_domain {
	const char *name;
	char *work_name;		/* lockdep's name of the release work */
	unsigned int flags;		/* DEVHOLD_DOMAIN_* */
	bool dead;			/* destroyed */
	atomic_t creator_put;		/* the creator's reference was dropped */
	refcount_t ref;
	atomic_long_t nobjs;
	atomic_long_t nholds;
	wait_queue_head_t wq;		/* nobjs dropped to zero */
	struct llist_head pending;	/* holds put and not finished */
	struct delayed_work work;	/* finishes them */
	struct rcu_work free_work;
	struct list_head link;		/* in devhold_domains */
	struct srcu_struct srcu;	/* release sections */
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	/*
	 * Held (recursive read) by each release section and taken by the
	 * barrier: lockdep sees a barrier inside a section of its own domain,
	 * and barrier cycles across domains, which SRCU's own annotation of
	 * its readers (a trylock, not checked) does not show it.
	 */
	struct lockdep_map dep_map;
#endif
	struct lock_class_key key;	/* one lockdep class per domain... */
	struct lock_class_key work_key;	/* ... and one for its release work */
#ifdef CONFIG_DEBUG_DEVHOLD
	raw_spinlock_t lock;		/* protects holds and ntracked */
	struct list_head holds;
	unsigned long ntracked;		/* on holds */
	struct llist_head delayed;	/* the work's own: held back by the delay */
	atomic_t flushing;
#endif
};

/* Reports go to a seq_file, a seq_buf or the kernel log. */
struct devhold_sink {
	struct seq_file *m;
	struct seq_buf *sb;
};

__printf(2, 3) void devhold_out(struct devhold_sink *s, const char *fmt, ...);

extern struct kmem_cache *devhold_cache;
extern struct mutex devhold_domains_lock;
extern struct list_head devhold_domains;

#ifdef CONFIG_DEBUG_DEVHOLD
void devhold_debug_init(void);
void devhold_debug_domain_init(struct devhold_domain *domain);
void devhold_debug_get(struct devhold *hold, gfp_t gfp);
void devhold_debug_put(struct devhold *hold);
void devhold_debug_double_put(struct devhold *hold);
void devhold_debug_untrack(struct devhold *hold);
void devhold_free(struct devhold *hold);
void devhold_debug_report_holds(struct devhold_domain *domain, struct devhold_sink *s);
void devhold_debug_list_init(struct devhold_list *list);
void devhold_debug_list_fini(struct devhold_list *list);
void devhold_debug_list_pushing(struct devhold_list *list);
void devhold_debug_list_drained(struct devhold_list *list, unsigned long n);
#else
static inline void devhold_debug_init(void) {}
static inline void devhold_debug_domain_init(struct devhold_domain *domain) {}
static inline void devhold_debug_get(struct devhold *hold, gfp_t gfp) {}
static inline void devhold_debug_put(struct devhold *hold) {}
static inline void devhold_debug_double_put(struct devhold *hold) {}
static inline void devhold_debug_untrack(struct devhold *hold) {}

static inline void devhold_free(struct devhold *hold)
{
	kmem_cache_free(devhold_cache, hold);
}

static inline void devhold_debug_report_holds(struct devhold_domain *domain,
					      struct devhold_sink *s) {}
static inline void devhold_debug_list_init(struct devhold_list *list) {}
static inline void devhold_debug_list_fini(struct devhold_list *list) {}
static inline void devhold_debug_list_pushing(struct devhold_list *list) {}
static inline void devhold_debug_list_drained(struct devhold_list *list,
					      unsigned long n) {}
#endif

#ifdef CONFIG_DEVHOLD_DEBUG_DELAY
extern bool devhold_debug_delay;	/* devhold.debug_delay */
bool devhold_delaying(struct devhold_domain *domain);
bool devhold_delay(struct devhold *hold, unsigned long *next);
struct llist_node *devhold_delay_take(struct devhold_domain *domain);
#else
static inline bool devhold_delaying(struct devhold_domain *domain)
{
	return false;
}

static inline bool devhold_delay(struct devhold *hold, unsigned long *next)
{
	return false;
}

static inline struct llist_node *devhold_delay_take(struct devhold_domain *domain)
{
	return NULL;
}
#endif

#endif /* _LIB_DEVHOLD_INTERNAL_H */
