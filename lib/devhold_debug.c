// SPDX-License-Identifier: GPL-2.0
/*
 * devhold debugging (CONFIG_DEBUG_DEVHOLD): live holds tracked with the stack
 * that took them, finished holds quarantined so that a late double put is
 * reported instead of corrupting memory, debugfs, and the random release
 * delay of CONFIG_DEVHOLD_DEBUG_DELAY.
 */

#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/ratelimit.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>

#include "devhold_internal.h"

/* Parameters keep the name they had in devhold.c: devhold.debug_delay. */
#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "devhold."

#define DEVHOLD_STACK_DEPTH	16
#define DEVHOLD_QUARANTINE	256
#define DEVHOLD_REPORT_HOLDS	16	/* named per report */

/* Deferred-free lists, torn down in any context. */
static DEFINE_RAW_SPINLOCK(devhold_lists_lock);
static LIST_HEAD(devhold_lists);

/* Finished holds wait here before they are freed. */
static DEFINE_RAW_SPINLOCK(devhold_quarantine_lock);
static struct devhold *devhold_quarantine[DEVHOLD_QUARANTINE];
static unsigned int devhold_quarantine_next;

/*
 * Any context but NMI: the depot may not allocate here (it stores the stack
 * in its current pool under a raw spinlock, or gives up).
 */
static depot_stack_handle_t devhold_stack(void)
{
	unsigned long entries[DEVHOLD_STACK_DEPTH];
	unsigned int nr;

	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 2);
	return stack_depot_save_flags(entries, nr, GFP_NOWAIT | __GFP_NOWARN, 0);
}

static void devhold_out_stack(struct devhold_sink *s, const char *what,
			      depot_stack_handle_t handle)
{
	unsigned long *entries;
	unsigned int nr, i;

	nr = handle ? stack_depot_fetch(handle, &entries) : 0;
	devhold_out(s, "  %s:%s\n", what, nr ? "" : " (no stack)");
	for (i = 0; i < nr; i++)
		devhold_out(s, "    %pS\n", (void *)entries[i]);
}

void devhold_debug_domain_init(struct devhold_domain *domain)
{
	raw_spin_lock_init(&domain->lock);
	INIT_LIST_HEAD(&domain->holds);
	domain->ntracked = 0;
	init_llist_head(&domain->delayed);
	atomic_set(&domain->flushing, 0);
}

/* The get's context: the depot may allocate if @gfp allows it. */
void devhold_debug_get(struct devhold *hold, gfp_t gfp)
{
	struct devhold_domain *domain = hold->domain;
	unsigned long entries[DEVHOLD_STACK_DEPTH];
	unsigned long flags;
	unsigned int nr;

	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 1);
	hold->debug.get_stack = stack_depot_save(entries, nr, gfp);
	hold->debug.put_stack = 0;
	hold->debug.since = jiffies;
	raw_spin_lock_irqsave(&domain->lock, flags);
	list_add_tail(&hold->debug.link, &domain->holds);
	domain->ntracked++;
	raw_spin_unlock_irqrestore(&domain->lock, flags);
}

void devhold_debug_put(struct devhold *hold)
{
	hold->debug.put_stack = devhold_stack();
	hold->debug.due = jiffies;	/* when it was put */
}

/* Some 35 lines each: repeated from hardirq, they must not flood the log. */
static DEFINE_RATELIMIT_STATE(devhold_double_put_rs, DEFAULT_RATELIMIT_INTERVAL, 2);

/* Reads only the hold itself, which is live or quarantined. */
void devhold_debug_double_put(struct devhold *hold)
{
	struct devhold_sink s = {};

	if (!__ratelimit(&devhold_double_put_rs))
		return;

	devhold_out(&s, "devhold: hold %p was put twice\n", hold);
	devhold_out_stack(&s, "taken at", hold->debug.get_stack);
	devhold_out_stack(&s, "first put at", hold->debug.put_stack);
}

void devhold_debug_untrack(struct devhold *hold)
{
	struct devhold_domain *domain = hold->domain;
	unsigned long flags;

	raw_spin_lock_irqsave(&domain->lock, flags);
	list_del_init(&hold->debug.link);
	domain->ntracked--;
	raw_spin_unlock_irqrestore(&domain->lock, flags);
}

void devhold_free(struct devhold *hold)
{
	struct devhold *old;
	unsigned long flags;

	raw_spin_lock_irqsave(&devhold_quarantine_lock, flags);
	old = devhold_quarantine[devhold_quarantine_next];
	devhold_quarantine[devhold_quarantine_next] = hold;
	devhold_quarantine_next = (devhold_quarantine_next + 1) % DEVHOLD_QUARANTINE;
	raw_spin_unlock_irqrestore(&devhold_quarantine_lock, flags);
	if (old)
		kmem_cache_free(devhold_cache, old);
}

/* What a report says of one hold, copied under the domain's lock. */
struct devhold_seen {
	const void *hold, *obj;
	char name[32];
	char owner[32];
	unsigned long since;
	depot_stack_handle_t get_stack;
	bool put;
};

/*
 * The holds are copied under the domain's raw spinlock, a few loads each,
 * and written out after it is dropped: a report to a slow console does not
 * keep interrupts off.  The copy is allocated: in a context that may not
 * (see devhold_domain_report()), or when memory is short, only the count
 * is written.
 */
void devhold_debug_report_holds(struct devhold_domain *domain,
				struct devhold_sink *s)
{
	struct devhold_seen *seen;
	struct devhold *hold;
	unsigned long flags, total;
	unsigned int n = 0, i;

	seen = kmalloc_array(DEVHOLD_REPORT_HOLDS, sizeof(*seen), GFP_NOWAIT | __GFP_NOWARN);
	raw_spin_lock_irqsave(&domain->lock, flags);
	total = domain->ntracked;
	list_for_each_entry(hold, &domain->holds, debug.link) {
		if (!seen || n == DEVHOLD_REPORT_HOLDS)
			break;
		seen[n].hold = hold;
		seen[n].obj = hold->obj;
		strscpy(seen[n].name, hold->ops->name ? hold->ops->name(hold->obj) : "?");
		strscpy(seen[n].owner, hold->owner ? module_name(hold->owner) : "none");
		seen[n].since = hold->debug.since;
		seen[n].get_stack = hold->debug.get_stack;
		seen[n].put = test_bit(DEVHOLD_PUT, &hold->flags);
		n++;
	}
	raw_spin_unlock_irqrestore(&domain->lock, flags);
	for (i = 0; i < n; i++) {
		devhold_out(s, "  hold %p on %s (%p) owner %s, held %u ms%s\n",
			    seen[i].hold, seen[i].name, seen[i].obj, seen[i].owner,
			    jiffies_to_msecs(jiffies - seen[i].since),
			    seen[i].put ? ", put" : "");
		devhold_out_stack(s, "taken at", seen[i].get_stack);
	}
	if (total > n)
		devhold_out(s, "  ... and %lu more\n", total - n);
	kfree(seen);
}

void devhold_debug_list_init(struct devhold_list *list)
{
	unsigned long flags;

	atomic_long_set(&list->depth, 0);
	atomic_long_set(&list->drained, 0);
	atomic64_set(&list->first_push, 0);
	atomic64_set(&list->worst_latency, 0);
	raw_spin_lock_irqsave(&devhold_lists_lock, flags);
	list_add_tail(&list->link, &devhold_lists);
	raw_spin_unlock_irqrestore(&devhold_lists_lock, flags);
}

void devhold_debug_list_fini(struct devhold_list *list)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&devhold_lists_lock, flags);
	list_del_init(&list->link);	/* a second fini finds it unlinked */
	raw_spin_unlock_irqrestore(&devhold_lists_lock, flags);
}

/* Before the push publishes the entry: the oldest push since the last drain. */
void devhold_debug_list_pushing(struct devhold_list *list)
{
	atomic_long_inc(&list->depth);
	if (!atomic64_read(&list->first_push))
		atomic64_cmpxchg(&list->first_push, 0, local_clock() ?: 1);
}

void devhold_debug_list_drained(struct devhold_list *list, unsigned long n)
{
	u64 first = atomic64_xchg(&list->first_push, 0);
	u64 lat;

	atomic_long_sub(n, &list->depth);
	atomic_long_add(n, &list->drained);
	if (!first)
		return;
	lat = local_clock() - first;
	if (lat > atomic64_read(&list->worst_latency))
		atomic64_set(&list->worst_latency, lat);
}

static int devhold_holds_show(struct seq_file *m, void *unused)
{
	struct devhold_sink s = { .m = m };
	struct devhold_domain *domain;

	mutex_lock(&devhold_domains_lock);
	list_for_each_entry(domain, &devhold_domains, link) {
		seq_printf(m, "domain %s: %ld objects, %ld holds%s%s\n", domain->name,
			   atomic_long_read(&domain->nobjs),
			   atomic_long_read(&domain->nholds),
			   domain->flags & DEVHOLD_DOMAIN_EXIT_WAITS ? " (exit waits)" : "",
			   READ_ONCE(domain->dead) ? " (destroyed)" : "");
		devhold_debug_report_holds(domain, &s);
	}
	mutex_unlock(&devhold_domains_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(devhold_holds);

static int devhold_lists_show(struct seq_file *m, void *unused)
{
	struct devhold_list *list;

	seq_puts(m, "name depth drained worst_latency_ns\n");
	raw_spin_lock_irq(&devhold_lists_lock);
	list_for_each_entry(list, &devhold_lists, link)
		seq_printf(m, "%s %ld %ld %llu\n", list->name,
			   atomic_long_read(&list->depth),
			   atomic_long_read(&list->drained),
			   (u64)atomic64_read(&list->worst_latency));
	raw_spin_unlock_irq(&devhold_lists_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(devhold_lists);

void __init devhold_debug_init(void)
{
	struct dentry *dir;

	stack_depot_init();
	dir = debugfs_create_dir("devhold", NULL);
	debugfs_create_file("holds", 0400, dir, NULL, &devhold_holds_fops);
	debugfs_create_file("lists", 0400, dir, NULL, &devhold_lists_fops);
	debugfs_create_atomic_t("misuse", 0400, dir, &devhold_misuse);
}

#ifdef CONFIG_DEVHOLD_DEBUG_DELAY
bool devhold_debug_delay = true;
EXPORT_SYMBOL_FOR_MODULES(devhold_debug_delay, DEVHOLD_TEST_MODULES);
module_param_named(debug_delay, devhold_debug_delay, bool, 0644);
MODULE_PARM_DESC(debug_delay, "Delay each deferred release by 1 to 4 seconds");

/* Whether a run of the domain's release work keeps holds back at all. */
bool devhold_delaying(struct devhold_domain *domain)
{
	return !atomic_read(&domain->flushing) && READ_ONCE(devhold_debug_delay);
}

/*
 * Called by the domain's release work for each hold, in a run that delays
 * (devhold_delaying()): keeps it back until its deadline.  @next is
 * lowered to the earliest deadline kept back.
 */
bool devhold_delay(struct devhold *hold, unsigned long *next)
{
	struct devhold_domain *domain = hold->domain;
	unsigned long due;
	/*
	 * The deadline is drawn here, in the work: devhold_put_deferred()
	 * may run in hard interrupt context, where the random pool's lock
	 * may not be taken (it sleeps on PREEMPT_RT).
	 */
	if (!test_and_set_bit(DEVHOLD_DELAY_ARMED, &hold->flags))
		hold->debug.due += HZ + get_random_u32_below(3 * HZ + 1);
	due = hold->debug.due;
	if (time_after_eq(jiffies, due))
		return false;
	if (time_before(due, *next))
		*next = due;
	llist_add(&hold->node, &domain->delayed);
	return true;
}

/* The holds kept back, oldest put first. */
struct llist_node *devhold_delay_take(struct devhold_domain *domain)
{
	return llist_reverse_order(llist_del_all(&domain->delayed));
}
#endif
