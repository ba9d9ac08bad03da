/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devhold's test interface: not an API.  For devhold's own KUnit suites,
 * test modules and benchmark only, to which lib/devhold.c exports these
 * symbols alone (DEVHOLD_TEST_MODULES in lib/devhold_internal.h); any
 * other module fails to load.  Drivers use devhold_domain_wait_idle() and
 * the rest of <linux/devhold.h>.
 */
#ifndef _KUNIT_DEVHOLD_H
#define _KUNIT_DEVHOLD_H

#include <linux/atomic.h>
#include <linux/devhold.h>
#include <linux/llist.h>

struct seq_buf;

/* Misuse reports so far (also debugfs devhold/misuse). */
extern atomic_t devhold_misuse;
/* Of those, the ones reported with a WARN (once per call site). */
extern atomic_t devhold_misuse_warned;

void devhold_domain_flush(struct devhold_domain *domain);
void devhold_flush(void);
int devhold_release_barrier(struct devhold_domain *domain);
long devhold_domain_holds(struct devhold_domain *domain);
void devhold_domain_report(struct devhold_domain *domain, struct seq_buf *sb);

/* Whether a deferred-free list has no entries (a snapshot). */
static inline bool devhold_list_empty(const struct devhold_list *list)
{
	return llist_empty(&list->head);
}

#endif /* _KUNIT_DEVHOLD_H */
