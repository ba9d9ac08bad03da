// SPDX-License-Identifier: GPL-2.0
/*
 * Holder module for testing devhold with real module unloads.
 *
 * Takes references on the objects of test_devhold_provider's bound devices
 * from several threads and drops them from chosen contexts after random
 * delays.  Controlled through debugfs, test_devhold_holder/:
 *
 *   ctl    write "take N": take N references, spread over @threads threads,
 *                          each on a random bound provider device;
 *          write "dup":    take one more reference on every object held,
 *                          the same way (works while the provider unloads);
 *          write "dup pinning": the same in this module's own domain, which
 *                          pins the provider module (refused while it goes);
 *          write "dup ignored_get": the same with the broken control's
 *                          references (see busted=);
 *          write "drop":   drop every reference, each from a random context
 *                          of @contexts after a random delay up to
 *                          @max_delay_ms;
 *          write "wait":   wait until every dropped reference is put
 *   stats  the counts, one "name value" pair after the other
 *
 * References are devhold holds (devhold_get_device()): they pin the object,
 * and the provider module too unless the provider's domain is a counted one
 * (its module exit waits for the objects); @pin=0 passes no owner at all.
 * busted= makes deliberately broken controls that the selftests must see
 * fail: "nopin" takes a plain device reference and
 * nothing else; "ignored_get" ignores the result of try_module_get() and
 * puts the module unconditionally.
 *
 * A provider that is a DRM driver publishing no test data (a Rust DRM
 * driver) is held with drm=1: each reference is a drm_dev_hold() on the DRM
 * device of a bound provider device, found as its DRM minor ("dup" skips
 * those: they name no object of their own).  create=1
 * registers the platform device "<provider>.0" for a provider that
 * registers none itself, from this module's init to its exit.  notifier=1
 * registers a module notifier (as a loader of other modules must be able
 * to, whatever a going module left behind).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/devhold.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/random.h>
#include <linux/rcuwait.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "test_devhold.h"

enum thh_ctx {
	THH_CTX_PROCESS,	/* a kthread */
	THH_CTX_TIMER,		/* timer callback (softirq) */
	THH_CTX_HARDIRQ,	/* hard irq_work */
	THH_CTX_WORK,		/* a work item */
	THH_CTX_IRQOFF,		/* a kthread, under a spinlock with IRQs off */
	THH_NR_CTX
};

static const char * const thh_ctx_names[THH_NR_CTX] = {
	"process", "timer", "hardirq", "work", "irqoff",
};

enum thh_method {
	THH_DEVHOLD,		/* devhold_get_device() */
	THH_NOPIN,		/* busted: get_device() only */
	THH_IGNORED_GET,	/* busted: (void)try_module_get() + get_device() */
};

static unsigned int threads = 4;
module_param(threads, uint, 0644);
MODULE_PARM_DESC(threads, "Threads taking references (1-16)");

static unsigned int max_delay_ms = 20;
module_param(max_delay_ms, uint, 0644);
MODULE_PARM_DESC(max_delay_ms, "Longest random delay before a dropped reference is put");

static unsigned int contexts = BIT(THH_NR_CTX) - 1;
module_param(contexts, uint, 0644);
MODULE_PARM_DESC(contexts, "Contexts to put from: bit mask of process, timer, hardirq, work, irqoff");

static char *busted = "";
module_param(busted, charp, 0444);
MODULE_PARM_DESC(busted, "Broken control: \"nopin\" or \"ignored_get\"");

static int pin = -1;
module_param(pin, int, 0644);
MODULE_PARM_DESC(pin,
		 "Name the provider as owner: 1 always, 0 never, -1 unless it counts (counted: no pin)");

static char *provider = TEST_DEVHOLD_PROVIDER;
module_param(provider, charp, 0444);
MODULE_PARM_DESC(provider, "Platform driver whose devices are held");

static bool drm;
module_param(drm, bool, 0444);
MODULE_PARM_DESC(drm, "Hold the DRM device of each provider device (drm_dev_hold())");

static bool notifier;
module_param(notifier, bool, 0444);
MODULE_PARM_DESC(notifier, "Register a module notifier, from init to exit");

static int thh_module_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	return NOTIFY_DONE;
}

/* Its registration takes the module notifier chain's rwsem for write. */
static struct notifier_block thh_module_nb = {
	.notifier_call = thh_module_notify,
};

static bool create;
module_param(create, bool, 0444);
MODULE_PARM_DESC(create, "Register the platform device <provider>.0 while loaded");

static bool make_it_fail;
module_param(make_it_fail, bool, 0644);
MODULE_PARM_DESC(make_it_fail, "Let fault injection (task-filter) fail the taking threads");

struct thh_ref {
	struct list_head link;		/* on thh_held */
	struct llist_node done;		/* on thh_done once put */
	enum thh_method method;
	enum thh_ctx ctx;
	struct devhold *hold;
	struct device *obj;
	struct devhold_domain *domain;
	struct module *provider;
	bool counted;			/* the provider waits for its objects */
	struct timer_list timer;
	struct irq_work iw;
	struct delayed_work dwork;
	struct kthread_delayed_work kdwork;
};

/* A "take" command: heap data shared with its threads. */
struct thh_take {
	struct device *pdevs[64];
	unsigned int npdevs;
	struct thh_taker {
		struct completion done;
		struct thh_take *take;
		unsigned int n;
	} takers[16];
};

static enum thh_method thh_method;
static struct devhold_domain *thh_domain;	/* for providers without one */
static struct kthread_worker *thh_worker;
static struct dentry *thh_dir;
static struct platform_device *thh_pdev;	/* create=1 */
static DEFINE_MUTEX(thh_mutex);		/* serialises the commands */
static DEFINE_SPINLOCK(thh_held_lock);
static LIST_HEAD(thh_held);
static LLIST_HEAD(thh_done);
static DEFINE_SPINLOCK(thh_irqoff_lock);
static atomic_t thh_pending = ATOMIC_INIT(0);
static struct rcuwait thh_wait_puts = __RCUWAIT_INITIALIZER(thh_wait_puts);

static struct {
	atomic_long_t held, taken, enodev, coming, enomem, unbound, dropped, wrong_ctx;
	atomic_long_t ctx[THH_NR_CTX];
} thh_stats;

/* Pin @obj the way this module was told to; fills @ref. */
static int thh_pin(struct thh_ref *ref, enum thh_method method,
		   struct device *obj, struct devhold_domain *domain,
		   struct module *provider, bool counted)
{
	int mode = READ_ONCE(pin);
	struct devhold *hold;

	ref->method = method;
	ref->obj = obj;
	ref->domain = domain;
	ref->provider = provider;
	ref->counted = counted;
	switch (method) {
	case THH_DEVHOLD:
		hold = devhold_get_device(domain, obj,
					  mode > 0 || (mode < 0 && !counted) ?
					  provider : NULL, GFP_KERNEL);
		if (IS_ERR(hold))
			return PTR_ERR(hold);
		ref->hold = hold;
		return 0;
	case THH_IGNORED_GET:
		/* The 7.3 drm_pagemap pattern: the result is ignored. */
		(void)try_module_get(provider);
		fallthrough;
	case THH_NOPIN:
		get_device(obj);
		return 0;
	}
	return -EINVAL;
}

static void thh_add(struct thh_ref *ref, int ret)
{
	if (ret) {
		if (ret == -ENOMEM)
			atomic_long_inc(&thh_stats.enomem);
		else if (ret == -ENODEV)
			atomic_long_inc(&thh_stats.enodev);
		else if (ret == -EBUSY)
			atomic_long_inc(&thh_stats.coming);
		else
			atomic_long_inc(&thh_stats.unbound);
		kfree(ref);
		return;
	}
	spin_lock(&thh_held_lock);
	list_add_tail(&ref->link, &thh_held);
	spin_unlock(&thh_held_lock);
	atomic_long_inc(&thh_stats.held);
	atomic_long_inc(&thh_stats.taken);
}

#if IS_REACHABLE(CONFIG_DRM)
/* The primary DRM minor; a sound card's "card%d" child is another type. */
static int thh_is_drm_minor(struct device *dev, const void *unused)
{
	return dev->type && !strcmp(dev->type->name, "drm_minor") &&
	       !strncmp(dev_name(dev), "card", 4);
}

/*
 * drm=1: hold the DRM device of @pdev, bound to the provider, under its
 * device lock.  This relies on the provider keeping a reference on its DRM
 * device, registered, from its probe until its unbind, which the device
 * lock excludes (as drm_test_unload_rs does): the minor's own reference
 * keeps only the minor.  Component drivers, or drivers that unregister from
 * a worker, do not qualify.
 */
static struct devhold *thh_drm_hold(struct device *pdev)
{
	struct devhold *hold = ERR_PTR(-ENODEV);
	struct drm_minor *minor;
	struct device *kdev;

	kdev = device_find_child(pdev, NULL, thh_is_drm_minor);
	if (!kdev)
		return hold;
	minor = dev_get_drvdata(kdev);
	if (minor)
		hold = drm_dev_hold(minor->dev, GFP_KERNEL);
	put_device(kdev);
	return hold;
}
#else
static struct devhold *thh_drm_hold(struct device *pdev)
{
	return ERR_PTR(-ENODEV);
}
#endif

/* One reference on the object of a bound provider device. */
static void thh_take_one(struct device *pdev)
{
	struct test_devhold_provider_data *data = NULL;
	struct thh_ref *ref;
	bool bound;
	int ret;

	ref = kzalloc_obj(*ref);
	if (!ref) {
		atomic_long_inc(&thh_stats.enomem);
		return;
	}
	/* Bound under the device lock: the driver data stays valid. */
	device_lock(pdev);
	bound = pdev->driver && !strcmp(pdev->driver->name, provider);
	if (bound && drm) {
		ref->method = THH_DEVHOLD;
		ref->hold = thh_drm_hold(pdev);
		ret = PTR_ERR_OR_ZERO(ref->hold);
		device_unlock(pdev);
		thh_add(ref, ret);
		return;
	}
	if (bound)
		data = dev_get_drvdata(pdev);
	if (!data) {
		device_unlock(pdev);
		atomic_long_inc(&thh_stats.unbound);
		kfree(ref);
		return;
	}
	if (data->hold && thh_method == THH_DEVHOLD) {
		/* The provider's own hold (drm_dev_hold()): not duplicated. */
		ref->method = THH_DEVHOLD;
		ref->hold = data->hold(data);
		ret = PTR_ERR_OR_ZERO(ref->hold);
		device_unlock(pdev);
		thh_add(ref, ret);
		return;
	}
	if (!data->obj) {
		/* Only the provider's own hold applies. */
		ret = -EINVAL;
	} else {
		ret = thh_pin(ref, thh_method, data->obj,
			      data->domain ?: thh_domain, data->owner,
			      data->counted);
	}
	device_unlock(pdev);
	thh_add(ref, ret);
}

static void thh_take_some(struct thh_take *take, unsigned int n)
{
	while (n--)
		thh_take_one(take->pdevs[get_random_u32_below(take->npdevs)]);
}

static int thh_taker_fn(void *arg)
{
	struct thh_taker *t = arg;

#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = READ_ONCE(make_it_fail);
#endif
	thh_take_some(t->take, t->n);
	kthread_complete_and_exit(&t->done, 0);
}

static int thh_match(struct device *dev, const void *unused)
{
	size_t n = strlen(provider);

	return !strncmp(dev_name(dev), provider, n) && dev_name(dev)[n] == '.';
}

static int thh_take(unsigned int n)
{
	unsigned int i, nthreads = clamp(READ_ONCE(threads), 1U, 16U);
	struct device *dev = NULL;
	struct task_struct *task;
	struct thh_take *take;

	take = kzalloc_obj(*take);
	if (!take) {
		atomic_long_add(n, &thh_stats.enomem);
		return 0;
	}
	while (take->npdevs < ARRAY_SIZE(take->pdevs) &&
	       (dev = bus_find_device(&platform_bus_type, dev, NULL, thh_match)))
		take->pdevs[take->npdevs++] = dev;	/* keeps the reference */
	if (!take->npdevs) {
		kfree(take);
		return -ENODEV;
	}
	for (i = 0; i < nthreads; i++) {
		struct thh_taker *t = &take->takers[i];

		init_completion(&t->done);
		t->take = take;
		t->n = n / nthreads + (i < n % nthreads);
		task = kthread_run(thh_taker_fn, t, "thh_taker/%u", i);
		if (IS_ERR(task)) {
			thh_take_some(take, t->n);
			complete(&t->done);
		}
	}
	for (i = 0; i < nthreads; i++)
		wait_for_completion(&take->takers[i].done);
	while (take->npdevs--)
		put_device(take->pdevs[take->npdevs]);
	kfree(take);
	return 0;
}

/*
 * Another reference on every object held, taken by @method; with @pinning,
 * in this module's own domain, which pins the provider module (as a
 * subsystem's domain of the pinning model would), whatever the provider's
 * domain does.
 */
static int thh_dup(enum thh_method method, bool pinning)
{
	struct thh_ref *ref, *new;
	LIST_HEAD(list);
	int ret;

	spin_lock(&thh_held_lock);
	list_splice_init(&thh_held, &list);
	spin_unlock(&thh_held_lock);
	list_for_each_entry(ref, &list, link) {
		if (!ref->obj)
			continue;
		new = kzalloc_obj(*new);
		if (!new) {
			atomic_long_inc(&thh_stats.enomem);
			continue;
		}
		/* The reference held keeps the object and the domain. */
		ret = thh_pin(new, method, ref->obj, pinning ? thh_domain : ref->domain,
			      ref->provider, pinning ? false : ref->counted);
		thh_add(new, ret);
	}
	spin_lock(&thh_held_lock);
	list_splice(&list, &thh_held);
	spin_unlock(&thh_held_lock);
	return 0;
}

static void thh_put(struct thh_ref *ref, enum thh_ctx ctx)
{
	bool right;

	switch (ctx) {
	case THH_CTX_TIMER:
		right = in_serving_softirq();
		break;
	case THH_CTX_HARDIRQ:
		right = in_hardirq() && irqs_disabled();
		break;
	case THH_CTX_IRQOFF:
		right = irqs_disabled() && !in_interrupt();
		break;
	default:
		right = in_task() && !irqs_disabled();
		break;
	}
	if (!right)
		atomic_long_inc(&thh_stats.wrong_ctx);

	switch (ref->method) {
	case THH_DEVHOLD:
		devhold_put_deferred(ref->hold);
		break;
	case THH_IGNORED_GET:
		put_device(ref->obj);
		module_put(ref->provider);
		break;
	case THH_NOPIN:
		put_device(ref->obj);
		break;
	}
	atomic_long_inc(&thh_stats.ctx[ctx]);
	atomic_long_inc(&thh_stats.dropped);
	atomic_long_dec(&thh_stats.held);
	/* Freed by thh_wait() once the callback that got here has returned. */
	llist_add(&ref->done, &thh_done);
	/* No waitqueue: its lock sleeps on PREEMPT_RT, and this may be hardirq. */
	if (atomic_dec_and_test(&thh_pending))
		rcuwait_wake_up(&thh_wait_puts);
}

static void thh_timer_fn(struct timer_list *t)
{
	struct thh_ref *ref = timer_container_of(ref, t, timer);

	if (ref->ctx == THH_CTX_HARDIRQ)
		irq_work_queue(&ref->iw);
	else
		thh_put(ref, THH_CTX_TIMER);
}

static void thh_irq_work_fn(struct irq_work *iw)
{
	thh_put(container_of(iw, struct thh_ref, iw), THH_CTX_HARDIRQ);
}

static void thh_work_fn(struct work_struct *work)
{
	thh_put(container_of(to_delayed_work(work), struct thh_ref, dwork),
		THH_CTX_WORK);
}

static void thh_kwork_fn(struct kthread_work *work)
{
	struct thh_ref *ref = container_of(work, struct thh_ref, kdwork.work);
	unsigned long flags;

	if (ref->ctx == THH_CTX_IRQOFF) {
		spin_lock_irqsave(&thh_irqoff_lock, flags);
		thh_put(ref, THH_CTX_IRQOFF);
		spin_unlock_irqrestore(&thh_irqoff_lock, flags);
	} else {
		thh_put(ref, THH_CTX_PROCESS);
	}
}

static enum thh_ctx thh_pick_ctx(struct thh_ref *ref)
{
	unsigned int mask = READ_ONCE(contexts) & (BIT(THH_NR_CTX) - 1);
	unsigned int pick;

	/* The broken controls put plain device references: process only. */
	if (ref->method != THH_DEVHOLD || !mask)
		return THH_CTX_PROCESS;
	pick = get_random_u32_below(hweight32(mask));
	for (;;) {
		if (!pick--)
			return __ffs(mask);
		mask &= mask - 1;
	}
}

/* Drop every reference held, each from a random context after a delay. */
static int thh_drop(void)
{
	unsigned int max_delay = msecs_to_jiffies(READ_ONCE(max_delay_ms));
	struct thh_ref *ref, *tmp;
	unsigned long delay;
	LIST_HEAD(list);

	spin_lock(&thh_held_lock);
	list_splice_init(&thh_held, &list);
	spin_unlock(&thh_held_lock);
	list_for_each_entry_safe(ref, tmp, &list, link) {
		list_del(&ref->link);
		ref->ctx = thh_pick_ctx(ref);
		delay = get_random_u32_below(max_delay + 1);
		atomic_inc(&thh_pending);
		switch (ref->ctx) {
		case THH_CTX_TIMER:
		case THH_CTX_HARDIRQ:
			timer_setup(&ref->timer, thh_timer_fn, 0);
			ref->iw = IRQ_WORK_INIT_HARD(thh_irq_work_fn);
			mod_timer(&ref->timer, jiffies + delay);
			break;
		case THH_CTX_WORK:
			INIT_DELAYED_WORK(&ref->dwork, thh_work_fn);
			queue_delayed_work(system_dfl_wq, &ref->dwork, delay);
			break;
		default:
			kthread_init_delayed_work(&ref->kdwork, thh_kwork_fn);
			kthread_queue_delayed_work(thh_worker, &ref->kdwork, delay);
			break;
		}
	}
	return 0;
}

/* Free the references put so far, once their callbacks have returned. */
static void thh_reap(void)
{
	struct thh_ref *ref, *tmp;
	struct llist_node *done;

	done = llist_del_all(&thh_done);
	llist_for_each_entry_safe(ref, tmp, done, done) {
		switch (ref->ctx) {
		case THH_CTX_TIMER:
		case THH_CTX_HARDIRQ:
			timer_delete_sync(&ref->timer);
			irq_work_sync(&ref->iw);
			break;
		case THH_CTX_WORK:
			cancel_delayed_work_sync(&ref->dwork);
			break;
		default:
			kthread_cancel_delayed_work_sync(&ref->kdwork);
			break;
		}
		kfree(ref);
	}
}

/* Wait for every dropped reference to be put, then free them. */
static int thh_wait(void)
{
	int ret;

	/* One waiter at a time: the commands are serialised. */
	ret = rcuwait_wait_event(&thh_wait_puts, !atomic_read(&thh_pending),
				 TASK_INTERRUPTIBLE);
	if (ret)
		return ret;
	thh_reap();
	return 0;
}

static ssize_t thh_ctl_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	char buf[32];
	unsigned int n;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);

	mutex_lock(&thh_mutex);
	if (sscanf(buf, "take %u", &n) == 1 && n <= 100000)
		ret = thh_take(n);
	else if (!strcmp(buf, "dup"))
		ret = thh_dup(thh_method, false);
	else if (!strcmp(buf, "dup pinning"))
		ret = thh_dup(THH_DEVHOLD, true);
	else if (!strcmp(buf, "dup ignored_get"))
		ret = thh_dup(THH_IGNORED_GET, false);
	else if (!strcmp(buf, "drop"))
		ret = thh_drop();
	else if (!strcmp(buf, "wait"))
		ret = thh_wait();
	else
		ret = -EINVAL;
	mutex_unlock(&thh_mutex);
	return ret ? ret : len;
}

static const struct file_operations thh_ctl_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = thh_ctl_write,
	.llseek = noop_llseek,
};

static int thh_stats_show(struct seq_file *m, void *unused)
{
	int i;

	seq_printf(m, "held %ld\npending %d\ntaken %ld\nenodev %ld\ncoming %ld\n"
		   "enomem %ld\nunbound %ld\ndropped %ld\nwrong_ctx %ld\n",
		   atomic_long_read(&thh_stats.held), atomic_read(&thh_pending),
		   atomic_long_read(&thh_stats.taken),
		   atomic_long_read(&thh_stats.enodev),
		   atomic_long_read(&thh_stats.coming),
		   atomic_long_read(&thh_stats.enomem),
		   atomic_long_read(&thh_stats.unbound),
		   atomic_long_read(&thh_stats.dropped),
		   atomic_long_read(&thh_stats.wrong_ctx));
	for (i = 0; i < THH_NR_CTX; i++)
		seq_printf(m, "ctx_%s %ld\n", thh_ctx_names[i],
			   atomic_long_read(&thh_stats.ctx[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(thh_stats);

static int __init thh_init(void)
{
	if (!strcmp(busted, "nopin"))
		thh_method = THH_NOPIN;
	else if (!strcmp(busted, "ignored_get"))
		thh_method = THH_IGNORED_GET;
	else if (busted[0])
		return -EINVAL;
	if (thh_method != THH_DEVHOLD)
		pr_warn("busted=%s: references do not keep the provider's code\n", busted);
	/* drm=1 takes the provider's own kind of hold, and needs DRM. */
	if (drm && (thh_method != THH_DEVHOLD || !IS_REACHABLE(CONFIG_DRM)))
		return -EINVAL;

	thh_domain = devhold_domain_create(KBUILD_MODNAME, 0);
	if (IS_ERR(thh_domain))
		return PTR_ERR(thh_domain);
	if (notifier && register_module_notifier(&thh_module_nb)) {
		devhold_domain_destroy(thh_domain);
		return -EINVAL;
	}
	thh_worker = kthread_run_worker(0, "thh_drop");
	if (IS_ERR(thh_worker)) {
		if (notifier)
			unregister_module_notifier(&thh_module_nb);
		devhold_domain_destroy(thh_domain);
		return PTR_ERR(thh_worker);
	}
	if (create) {
		thh_pdev = platform_device_register_simple(provider, 0, NULL, 0);
		if (IS_ERR(thh_pdev)) {
			kthread_destroy_worker(thh_worker);
			if (notifier)
				unregister_module_notifier(&thh_module_nb);
			devhold_domain_destroy(thh_domain);
			return PTR_ERR(thh_pdev);
		}
	}
	thh_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("ctl", 0200, thh_dir, NULL, &thh_ctl_fops);
	debugfs_create_file("stats", 0400, thh_dir, NULL, &thh_stats_fops);
	return 0;
}

static void __exit thh_exit(void)
{
	debugfs_remove_recursive(thh_dir);
	/* Whatever is still held goes now, from process context. */
	WRITE_ONCE(contexts, BIT(THH_CTX_PROCESS));
	WRITE_ONCE(max_delay_ms, 0);
	thh_drop();
	rcuwait_wait_event(&thh_wait_puts, !atomic_read(&thh_pending),
			   TASK_UNINTERRUPTIBLE);
	thh_reap();
	kthread_destroy_worker(thh_worker);
	if (notifier)
		unregister_module_notifier(&thh_module_nb);
	devhold_domain_destroy(thh_domain);
	if (create)
		platform_device_unregister(thh_pdev);
}

module_init(thh_init);
module_exit(thh_exit);
MODULE_DESCRIPTION("devhold test holder: references on another module's devices");
MODULE_LICENSE("GPL");
