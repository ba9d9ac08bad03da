// SPDX-License-Identifier: GPL-2.0
/*
 * A DRM driver module for unload tests (tools/testing/selftests/devhold).
 *
 * Binds to a platform device it creates at module init.  At probe it does
 * what hardware drivers do that matters for unloading: it creates a GPU VM
 * (drm_gpuvm) freed from drm_gpuvm's worker (DRM_GPUVM_DEFERRED_FREE), as
 * xe's migrate VMs are (a VM that a driver creates at probe; with nowait,
 * a VM freed by its last put, at the unbind), and a
 * workqueue without WQ_MEM_RECLAIM that the device's release destroys, as
 * xe_device_destroy() does.  It publishes struct test_devhold_provider_data
 * so that test_devhold_holder (provider=drm_test_unload) can take foreign
 * holds on the drm_device with drm_dev_hold(), the way a peer device keeps
 * a drm_pagemap of this one.
 *
 * Its module init says that its exit waits for its device
 * (drm_module_waits_for_devices()), and its exit does with drm_module_wait(),
 * unless the parameter nowait is set: holds on the device then pin the
 * module, as for every driver that does not wait.  With leak set too, the
 * probe takes a device reference it never drops: the broken control of the
 * harness, a module that goes with its device alive, which DRM's check of
 * going modules must report, without waiting under the module notifier.
 */

#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/workqueue.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gpuvm.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "test_devhold.h"

#define DTU_NAME	"drm_test_unload"

static bool nowait;
module_param(nowait, bool, 0444);
MODULE_PARM_DESC(nowait, "module exit does not wait for the device: holds pin the module");

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "broken control (with nowait): a device reference that is never dropped");

struct dtu_device {
	struct drm_device drm;
	struct drm_gpuvm *vm;
	struct workqueue_struct *wq;
	struct work_struct last_work;
	struct test_devhold_provider_data data;
};

DEFINE_DRM_GEM_FOPS(dtu_fops);

static const struct drm_driver dtu_driver = {
	.driver_features = DRIVER_GEM,
	.fops = &dtu_fops,
	.name = DTU_NAME,
	.desc = "DRM driver for unload tests",
	.major = 1,
};

static void dtu_vm_free(struct drm_gpuvm *vm)
{
	kfree(vm);
}

static const struct drm_gpuvm_ops dtu_vm_ops = {
	.vm_free = dtu_vm_free,
};

static void dtu_last_work(struct work_struct *work)
{
	struct dtu_device *dtu = container_of(work, struct dtu_device, last_work);

	drm_dbg(&dtu->drm, "last work before the release\n");
}

static void dtu_destroy_wq(struct drm_device *drm, void *arg)
{
	struct dtu_device *dtu = arg;

	/*
	 * Work still in flight, as the release of a hardware driver finds it:
	 * destroying the queue flushes a !WQ_MEM_RECLAIM queue from wherever
	 * the last drm_dev_put() runs.
	 */
	queue_work(dtu->wq, &dtu->last_work);
	destroy_workqueue(dtu->wq);
}

static struct devhold *dtu_hold(struct test_devhold_provider_data *data)
{
	struct dtu_device *dtu = container_of(data, struct dtu_device, data);

	return drm_dev_hold(&dtu->drm, GFP_KERNEL);
}

static int dtu_probe(struct platform_device *pdev)
{
	struct drm_gem_object *r_obj;
	struct dtu_device *dtu;
	int ret;

	dtu = devm_drm_dev_alloc(&pdev->dev, &dtu_driver, struct dtu_device, drm);
	if (IS_ERR(dtu))
		return PTR_ERR(dtu);
	INIT_WORK(&dtu->last_work, dtu_last_work);
	dtu->wq = alloc_ordered_workqueue("dtu-ordered-wq", 0);
	if (!dtu->wq)
		return -ENOMEM;
	ret = drmm_add_action_or_reset(&dtu->drm, dtu_destroy_wq, dtu);
	if (ret)
		return ret;

	/* A kernel VM for the device's lifetime, as drivers create at probe. */
	dtu->vm = kzalloc_obj(*dtu->vm);
	if (!dtu->vm)
		return -ENOMEM;
	r_obj = drm_gpuvm_resv_object_alloc(&dtu->drm);
	if (!r_obj) {
		kfree(dtu->vm);
		return -ENOMEM;
	}
	/* Freed from drm_gpuvm's worker only if the exit waits for it. */
	drm_gpuvm_init(dtu->vm, DTU_NAME, nowait ? 0 : DRM_GPUVM_DEFERRED_FREE,
		       &dtu->drm, r_obj, 0, SZ_1G, 0, 0, &dtu_vm_ops);
	drm_gem_object_put(r_obj);

	ret = drm_dev_register(&dtu->drm, 0);
	if (ret) {
		drm_gpuvm_put(dtu->vm);
		return ret;
	}
	if (leak)
		drm_dev_get(&dtu->drm);	/* never put */
	dtu->data.owner = THIS_MODULE;
	dtu->data.hold = dtu_hold;
	platform_set_drvdata(pdev, &dtu->data);
	return 0;
}

static void dtu_remove(struct platform_device *pdev)
{
	struct dtu_device *dtu = container_of(platform_get_drvdata(pdev),
					      struct dtu_device, data);

	drm_dev_unregister(&dtu->drm);
	/* With nowait, the VM is freed here: its last reference. */
	drm_gpuvm_put(dtu->vm);
}

static struct platform_driver dtu_platform_driver = {
	.probe = dtu_probe,
	.remove = dtu_remove,
	.driver = {
		.name = DTU_NAME,
	},
};

static struct platform_device *dtu_pdev;

static int __init dtu_init(void)
{
	int ret;

	if (!nowait) {
		ret = drm_module_waits_for_devices(THIS_MODULE);
		if (ret)
			return ret;
	} else {
		pr_warn("nowait: the module exit does not wait for its device\n");
	}
	ret = platform_driver_register(&dtu_platform_driver);
	if (ret)
		return ret;
	dtu_pdev = platform_device_register_simple(DTU_NAME, 0, NULL, 0);
	if (IS_ERR(dtu_pdev)) {
		platform_driver_unregister(&dtu_platform_driver);
		return PTR_ERR(dtu_pdev);
	}
	return 0;
}

static void __exit dtu_exit(void)
{
	platform_device_unregister(dtu_pdev);
	platform_driver_unregister(&dtu_platform_driver);
	if (!nowait)
		drm_module_wait(THIS_MODULE);
}

module_init(dtu_init);
module_exit(dtu_exit);
MODULE_DESCRIPTION("DRM driver module for unload tests");
MODULE_LICENSE("GPL");
