// SPDX-License-Identifier: GPL-2.0
/*
 * Provider module for testing devhold with real module unloads.
 *
 * Registers a platform driver and @ndevs platform devices.  Each bound
 * device creates one object, a child device whose release callback is
 * provider code, counted in the provider's devhold domain.  The holder
 * module (test_devhold_holder) pins these objects; the selftests in
 * tools/testing/selftests/devhold unbind the devices through sysfs and
 * unload this module while they are pinned.
 *
 * Two lifetime models, chosen with @counted:
 *
 * - counted (default): the module exit waits until every object is
 *   released and every release that started has finished
 *   (devhold_domain_wait_idle()).  Holders pin objects, not the module:
 *   rmmod waits for them.
 * - not counted: holders pin the module too, so rmmod fails while a hold
 *   is out; the exit only checks that nothing is left.
 *
 * @release_tail_ms makes each release keep running provider code for that
 * long after its object was uncounted.  busted=nobarrier is a deliberately
 * broken control: it counts with an atomic_t and waits with
 * wait_var_event(), without release sections and barrier, so its module
 * exit can return while a release tail still runs; the selftests must see
 * it crash.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/device.h>
#include <linux/devhold.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait_bit.h>

#include <kunit/devhold.h>

#include "test_devhold.h"

static unsigned int ndevs = 2;
module_param(ndevs, uint, 0444);
MODULE_PARM_DESC(ndevs, "Number of provider devices (1-64)");

static bool counted = true;
module_param(counted, bool, 0444);
MODULE_PARM_DESC(counted, "Module exit waits for the objects (holders do not pin the module)");

static unsigned int release_tail_ms;
module_param(release_tail_ms, uint, 0644);
MODULE_PARM_DESC(release_tail_ms, "Provider code runs this long in each release after the uncount");

static char *busted = "";
module_param(busted, charp, 0444);
MODULE_PARM_DESC(busted, "Broken control: \"nobarrier\" (count and wait without the barrier), \"cycle\" (barriers of two domains, each inside a release section of the other)");

static bool make_it_fail;
module_param(make_it_fail, bool, 0444);
MODULE_PARM_DESC(make_it_fail, "Let fault injection (task-filter) fail the device set-up");

static bool init_wait;
module_param(init_wait, bool, 0444);
MODULE_PARM_DESC(init_wait, "module_init waits, devices bound, until init_go is set");

static bool init_waiting;
module_param(init_waiting, bool, 0444);
MODULE_PARM_DESC(init_waiting, "module_init is waiting for init_go");

static bool init_go;
module_param(init_go, bool, 0644);
MODULE_PARM_DESC(init_go, "Let a waiting module_init go on");

static bool fail_init;
module_param(fail_init, bool, 0444);
MODULE_PARM_DESC(fail_init, "module_init fails after binding its devices, and undoes them");

struct tdp_obj {
	struct device dev;
	struct devhold_domain *domain;
};

static bool tdp_nobarrier;
static atomic_t tdp_tail_ticks;	/* provider data the release tail writes */
static struct devhold_domain *tdp_domain;
static atomic_t tdp_nobjs = ATOMIC_INIT(0);	/* busted=nobarrier only */
static struct platform_device **tdp_pdevs;

/* Provider code that runs after the object is uncounted. */
static void tdp_release_tail(void)
{
	unsigned int i, ms = READ_ONCE(release_tail_ms);

	might_sleep();
	for (i = 0; i < ms; i++) {
		fsleep(1000);
		atomic_inc(&tdp_tail_ticks);
	}
}

static void tdp_count_add(void)
{
	if (tdp_nobarrier)
		atomic_inc(&tdp_nobjs);
	else
		devhold_domain_obj_add(tdp_domain);
}

static void tdp_obj_release(struct device *dev)
{
	struct tdp_obj *obj = container_of(dev, struct tdp_obj, dev);
	struct devhold_domain *domain = obj->domain;
	struct devhold_release_section section = {};

	kfree(obj);
	if (tdp_nobarrier) {
		if (atomic_dec_and_test(&tdp_nobjs))
			wake_up_var(&tdp_nobjs);
		tdp_release_tail();
		return;
	}
	devhold_release_begin(domain, &section);
	devhold_domain_obj_del(domain);
	tdp_release_tail();
	/*
	 * What follows devhold_release_end() is still this module's code (the
	 * return): a few instructions no barrier covers.  DRM keeps them out
	 * of driver modules by opening the section in drm_dev_release().
	 */
	devhold_release_end(domain, &section);
}

static int tdp_probe(struct platform_device *pdev)
{
	struct test_devhold_provider_data *data;
	struct tdp_obj *obj;
	int ret;

	data = devm_kzalloc(&pdev->dev, sizeof(*data), GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	obj = kzalloc_obj(*obj);
	if (!obj)
		return -ENOMEM;
	obj->domain = tdp_domain;
	device_initialize(&obj->dev);
	obj->dev.parent = &pdev->dev;
	obj->dev.release = tdp_obj_release;
	/* Counted before anything can release it: the release uncounts. */
	tdp_count_add();
	ret = dev_set_name(&obj->dev, "%s-obj", dev_name(&pdev->dev));
	if (!ret)
		ret = device_add(&obj->dev);
	if (ret) {
		put_device(&obj->dev);
		return ret;
	}
	data->obj = &obj->dev;
	data->domain = tdp_domain;
	data->owner = THIS_MODULE;
	data->counted = counted;
	platform_set_drvdata(pdev, data);
	return 0;
}

static void tdp_remove(struct platform_device *pdev)
{
	struct test_devhold_provider_data *data = platform_get_drvdata(pdev);

	device_unregister(data->obj);
}

static struct platform_driver tdp_driver = {
	.probe = tdp_probe,
	.remove = tdp_remove,
	.driver = {
		.name = TEST_DEVHOLD_PROVIDER,
	},
};

static void tdp_set_make_it_fail(bool on)
{
#ifdef CONFIG_FAULT_INJECTION
	if (make_it_fail)
		current->make_it_fail = on;
#endif
}

/*
 * Unbind and unregister everything, then wait as the model says; a failing
 * module_init always waits (see "A failing module_init" in
 * Documentation/core-api/devhold.rst).
 */
static void tdp_teardown(unsigned int n, bool wait)
{
	while (n--)
		platform_device_unregister(tdp_pdevs[n]);
	platform_driver_unregister(&tdp_driver);
	kfree(tdp_pdevs);
	if (tdp_nobarrier) {
		/* The broken control: no barrier, a release tail may still run. */
		wait_var_event(&tdp_nobjs, !atomic_read(&tdp_nobjs));
		return;
	}
	if (wait) {
		devhold_domain_wait_idle(tdp_domain);
		/* Holds in other domains drop their module pin last. */
		if (!counted)
			devhold_flush();
	}
	devhold_domain_destroy(tdp_domain);
}

/*
 * While module_init waits (init_wait=1) the module is still coming, its
 * devices are bound and holders may pin it.  A module parameter, not a
 * debugfs file: an open file would pin the coming module too, and its
 * close could run after a failed init freed the module.
 */
static int tdp_init_end(void)
{
	if (init_wait) {
		WRITE_ONCE(init_waiting, true);
		while (!READ_ONCE(init_go)) {
			if (fatal_signal_pending(current))
				return -EINTR;
			msleep_interruptible(20);
		}
		WRITE_ONCE(init_waiting, false);
	}
	return fail_init ? -EAGAIN : 0;
}

/*
 * busted=cycle: the barrier of domain a inside a release section of b, then
 * b's inside a section of a.  One after the other nothing waits, but two
 * releases doing this at once deadlock: lockdep must report the cycle.
 */
static int tdp_cycle(void)
{
	struct devhold_release_section section = {};
	struct devhold_domain *a, *b;

	a = devhold_domain_create("tdp-cycle-a", 0);
	b = devhold_domain_create("tdp-cycle-b", 0);
	if (!IS_ERR(a) && !IS_ERR(b)) {
		devhold_release_begin(b, &section);
		devhold_release_barrier(a);
		devhold_release_end(b, &section);
		devhold_release_begin(a, &section);
		devhold_release_barrier(b);
		devhold_release_end(a, &section);
	}
	devhold_domain_destroy(a);
	devhold_domain_destroy(b);
	return PTR_ERR_OR_ZERO(a) ?: PTR_ERR_OR_ZERO(b);
}

static int __init tdp_init(void)
{
	struct platform_device *pdev;
	unsigned int i;
	int ret;

	if (!ndevs || ndevs > 64)
		return -EINVAL;
	if (!strcmp(busted, "nobarrier")) {
		if (!counted)
			return -EINVAL;
		tdp_nobarrier = true;
		pr_warn("busted=nobarrier: module exit does not wait for releases\n");
	} else if (!strcmp(busted, "cycle")) {
		ret = tdp_cycle();
		if (ret)
			return ret;
	} else if (busted[0]) {
		return -EINVAL;
	}
	tdp_set_make_it_fail(true);
	ret = -ENOMEM;
	if (!tdp_nobarrier) {
		tdp_domain = devhold_domain_create(TEST_DEVHOLD_PROVIDER,
						   counted ? DEVHOLD_DOMAIN_EXIT_WAITS : 0);
		if (IS_ERR(tdp_domain)) {
			ret = PTR_ERR(tdp_domain);
			tdp_domain = NULL;
			goto out;
		}
	}
	tdp_pdevs = kcalloc(ndevs, sizeof(*tdp_pdevs), GFP_KERNEL);
	if (!tdp_pdevs)
		goto err_domain;
	ret = platform_driver_register(&tdp_driver);
	if (ret)
		goto err_pdevs;
	for (i = 0; i < ndevs; i++) {
		pdev = platform_device_register_simple(TEST_DEVHOLD_PROVIDER, i, NULL, 0);
		if (IS_ERR(pdev)) {
			ret = PTR_ERR(pdev);
			tdp_set_make_it_fail(false);
			tdp_teardown(i, true);
			return ret;
		}
		tdp_pdevs[i] = pdev;
	}
	tdp_set_make_it_fail(false);
	ret = tdp_init_end();
	if (ret) {
		/* Undo everything, and wait for what holders took. */
		tdp_teardown(ndevs, true);
		pr_info("module_init fails: %d\n", ret);
	}
	return ret;

err_pdevs:
	kfree(tdp_pdevs);
err_domain:
	devhold_domain_destroy(tdp_domain);
out:
	tdp_set_make_it_fail(false);
	return ret;
}

static void __exit tdp_exit(void)
{
	tdp_teardown(ndevs, counted);
}

module_init(tdp_init);
module_exit(tdp_exit);
MODULE_DESCRIPTION("devhold test provider: devices whose release runs module code");
MODULE_LICENSE("GPL");
