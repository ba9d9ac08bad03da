// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the lifetime rules of drm_gpuvm: a VM with
 * DRM_GPUVM_DEFERRED_FREE is freed from a worker, so that its final
 * drm_gpuvm_put() may come from atomic context, while it holds its device
 * and not the driver module, whose unload waits for the device; other VMs
 * are still freed by the put itself, as are those of a driver whose exit
 * does not wait, which the flag would leave to run after rmmod (it WARNs);
 * drm_gpuvm_flush_deferred() waits for the VMs put before it, and only for
 * those; the deferred vm_bo cleanup with its zombies, one reservation lock
 * per batch.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/devhold.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <drm/drm_drv.h>
#include <drm/drm_exec.h>
#include <drm/drm_gem.h>
#include <drm/drm_gpuvm.h>
#include <drm/drm_kunit_helpers.h>

#define WAIT	(10 * HZ)

/*
 * What the test observes of a VM and of its device, which both outlive
 * the test's own references.
 */
struct drm_gpuvm_test {
	const struct drm_driver *driver;
	struct drm_device *drm;
	struct device *parent;
	struct completion vm_freed;
	struct completion released;
	struct completion in_free[2];	/* a gated VM is in its vm_free */
	struct completion go[2];	/* lets it go on */
	struct completion flushed;	/* the flusher thread's flush returned */
	struct completion exited;	/* the flusher thread is gone */
	bool flusher;			/* the flusher thread was started */
	bool flushing;			/* the flusher thread calls the flush */
	int freed_at_flush;		/* vms_freed when the flush returned */
	atomic_t vms_freed;
	bool free_atomic;		/* a vm_free ran with IRQs off */
	struct task_struct *freed_by;	/* the task of the last vm_free */
	unsigned int events;		/* vm_free and device release, in order */
	unsigned int vm_freed_at;
	unsigned int released_at;
	int modrefs_at_vm_free;
	long objs_at_vm_free;
	bool release_atomic;
	unsigned int validated;
	unsigned int vm_bos_freed;
	unsigned int freed_while_listed;	/* another zombie still listed */
};

struct drm_gpuvm_test_dev {
	struct drm_device drm;
	struct drm_gpuvm_test *t;
};

struct drm_gpuvm_test_vm {
	struct drm_gpuvm base;
	struct drm_gpuvm_test *t;
	int gate;			/* vm_free waits at t->go[gate], or -1 */
};

static void drm_gpuvm_test_release(struct drm_device *drm)
{
	struct drm_gpuvm_test *t = container_of(drm, struct drm_gpuvm_test_dev, drm)->t;

	t->release_atomic = irqs_disabled();
	t->released_at = ++t->events;
	complete(&t->released);
}

static const struct drm_driver drm_gpuvm_test_driver = {
	.name = "drm-gpuvm-test",
	.driver_features = DRIVER_GEM,
	.release = drm_gpuvm_test_release,
};

static void drm_gpuvm_test_vm_free(struct drm_gpuvm *gpuvm)
{
	struct drm_gpuvm_test_vm *vm = container_of(gpuvm, typeof(*vm), base);
	struct drm_gpuvm_test *t = vm->t;

	t->free_atomic |= irqs_disabled();
	t->freed_by = current;
	if (vm->gate >= 0) {
		complete(&t->in_free[vm->gate]);
		/* Longer than the case waits: the case's cleanup lets it go. */
		wait_for_completion_timeout(&t->go[vm->gate], 3 * WAIT);
	}
	atomic_inc(&t->vms_freed);
	t->vm_freed_at = ++t->events;
	t->modrefs_at_vm_free = drm_kunit_helper_driver_module_refs(t->driver);
	t->objs_at_vm_free = devhold_domain_objs(drm_dev_hold_domain(t->drm));
	kfree(vm);
	complete(&t->vm_freed);
}

static int drm_gpuvm_test_vm_bo_validate(struct drm_gpuvm_bo *vm_bo,
					 struct drm_exec *exec)
{
	struct drm_gpuvm_test_vm *vm = container_of(vm_bo->vm, typeof(*vm), base);

	vm->t->validated++;
	return 0;
}

static void drm_gpuvm_test_vm_bo_free(struct drm_gpuvm_bo *vm_bo)
{
	struct drm_gpuvm_test_vm *vm = container_of(vm_bo->vm, typeof(*vm), base);

	vm->t->vm_bos_freed++;
	if (!list_empty(&vm_bo->vm->extobj.list))
		vm->t->freed_while_listed++;
	kfree(vm_bo);
}

static const struct drm_gpuvm_ops drm_gpuvm_test_ops = {
	.vm_free = drm_gpuvm_test_vm_free,
	.vm_bo_validate = drm_gpuvm_test_vm_bo_validate,
	.vm_bo_free = drm_gpuvm_test_vm_bo_free,
};

/*
 * The stand-in driver module's exit, as drm_module_pci_driver()'s: the
 * device's release may end after the test saw its driver callback (it
 * runs from a worker), and the module must not go before it has.
 */
static void drm_gpuvm_test_module_exit(void *owner)
{
	drm_module_wait(owner);
}

static struct drm_gpuvm_test *drm_gpuvm_test_setup(struct kunit *test,
						   enum module_state state, bool waits)
{
	struct drm_gpuvm_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct drm_gpuvm_test_dev *d;

	KUNIT_ASSERT_NOT_NULL(test, t);
	init_completion(&t->vm_freed);
	init_completion(&t->released);
	init_completion(&t->in_free[0]);
	init_completion(&t->in_free[1]);
	init_completion(&t->go[0]);
	init_completion(&t->go[1]);
	init_completion(&t->flushed);
	init_completion(&t->exited);
	t->driver = drm_kunit_helper_owned_driver(test, &drm_gpuvm_test_driver,
						  state, waits);
	/* Before it goes, the stand-in module's exit waits for its devices. */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, drm_gpuvm_test_module_exit,
							   t->driver->fops->owner));
	t->parent = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->parent);
	d = drm_kunit_helper_alloc_drm_device_with_driver(test, t->parent,
							  struct drm_gpuvm_test_dev,
							  drm, t->driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d);
	d->t = t;
	t->drm = &d->drm;
	return t;
}

static struct drm_gpuvm_test_vm *
drm_gpuvm_test_vm_init(struct kunit *test, struct drm_gpuvm_test *t,
		       enum drm_gpuvm_flags flags)
{
	struct drm_gpuvm_test_vm *vm = kzalloc_obj(*vm);
	struct drm_gem_object *r_obj;

	KUNIT_ASSERT_NOT_NULL(test, vm);
	vm->t = t;
	vm->gate = -1;
	r_obj = drm_gpuvm_resv_object_alloc(t->drm);
	KUNIT_ASSERT_NOT_NULL(test, r_obj);
	drm_gpuvm_init(&vm->base, "drm-gpuvm-test", flags, t->drm, r_obj,
		       0, SZ_1G, 0, 0, &drm_gpuvm_test_ops);
	drm_gem_object_put(r_obj);
	return vm;
}

/*
 * The final drm_gpuvm_put() of a VM with DRM_GPUVM_DEFERRED_FREE may come
 * from atomic context, and may drop the last device reference: neither
 * vm_free nor the device release may run there.  A put that frees the VM
 * at once (sleeping: it puts the reservation object, takes the device's
 * gem_lru_mutex) fails this case, without the gate having to read the
 * kernel's "sleeping function called from invalid context" report.
 */
static void drm_test_gpuvm_put_atomic(struct kunit *test)
{
	struct drm_gpuvm_test *t = drm_gpuvm_test_setup(test, MODULE_STATE_LIVE, true);
	static DEFINE_SPINLOCK(lock);
	struct drm_gpuvm_test_vm *vm;
	unsigned long flags;

	vm = drm_gpuvm_test_vm_init(test, t, DRM_GPUVM_DEFERRED_FREE);
	/* The VM holds the last device reference once the parent is gone. */
	drm_kunit_helper_free_device(test, t->parent);
	KUNIT_EXPECT_FALSE(test, completion_done(&t->released));

	spin_lock_irqsave(&lock, flags);
	drm_gpuvm_put(&vm->base);
	spin_unlock_irqrestore(&lock, flags);

	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->released, WAIT));
	KUNIT_EXPECT_FALSE_MSG(test, t->free_atomic,
			       "vm_free ran inside the atomic final drm_gpuvm_put()");
	KUNIT_EXPECT_FALSE_MSG(test, t->release_atomic,
			       "the device release ran inside the atomic final drm_gpuvm_put()");
}

/*
 * Without DRM_GPUVM_DEFERRED_FREE nothing changes: the final put frees the
 * VM itself, in the caller's task, before it returns.
 */
static void drm_test_gpuvm_put_frees_at_once(struct kunit *test)
{
	struct drm_gpuvm_test *t = drm_gpuvm_test_setup(test, MODULE_STATE_LIVE, true);
	struct drm_gpuvm_test_vm *vm;

	vm = drm_gpuvm_test_vm_init(test, t, 0);
	drm_gpuvm_put(&vm->base);
	KUNIT_EXPECT_TRUE(test, completion_done(&t->vm_freed));
	KUNIT_EXPECT_PTR_EQ(test, t->freed_by, current);

	drm_kunit_helper_free_device(test, t->parent);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->released, WAIT));
}

/*
 * The worker's vm_free would run after rmmod of a driver whose module exit
 * does not wait for its devices: drm_gpuvm_init() WARNs about the flag in
 * such a driver and ignores it, and the final put frees the VM itself.
 */
static void drm_test_gpuvm_deferred_needs_wait(struct kunit *test)
{
	struct drm_gpuvm_test *t = drm_gpuvm_test_setup(test, MODULE_STATE_LIVE, false);
	struct drm_gpuvm_test_vm *vm;

	kunit_warning_suppress(test) {
		vm = drm_gpuvm_test_vm_init(test, t, DRM_GPUVM_DEFERRED_FREE);
		KUNIT_EXPECT_SUPPRESSED_WARNING_COUNT(test, 1);
	}
	KUNIT_EXPECT_FALSE(test, vm->base.flags & DRM_GPUVM_DEFERRED_FREE);
	drm_gpuvm_put(&vm->base);
	KUNIT_EXPECT_TRUE_MSG(test, completion_done(&t->vm_freed),
			      "the VM of a driver that does not wait was left to the worker");
	KUNIT_EXPECT_PTR_EQ(test, t->freed_by, current);

	drm_kunit_helper_free_device(test, t->parent);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->released, WAIT));
}

/*
 * A VM freed from the worker holds the device and not the driver module,
 * as a kernel VM that a driver creates at probe must (a module pin would
 * make rmmod of the bound driver fail): vm_free runs while the device is
 * still alive and counted, so the module's unload waits for it, and then
 * the device release.
 */
static void drm_test_gpuvm_free_order(struct kunit *test)
{
	struct drm_gpuvm_test *t = drm_gpuvm_test_setup(test, MODULE_STATE_LIVE, true);
	struct drm_gpuvm_test_vm *vm;
	unsigned int refs;

	refs = kref_read(&t->drm->ref);
	vm = drm_gpuvm_test_vm_init(test, t, DRM_GPUVM_DEFERRED_FREE);
	KUNIT_EXPECT_EQ(test, kref_read(&t->drm->ref), refs + 1);
	KUNIT_EXPECT_EQ(test, drm_kunit_helper_driver_module_refs(t->driver), 0);

	drm_kunit_helper_free_device(test, t->parent);
	KUNIT_EXPECT_EQ(test, devhold_domain_objs(drm_dev_hold_domain(t->drm)), 1);
	drm_gpuvm_put(&vm->base);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->released, WAIT));

	KUNIT_EXPECT_EQ(test, t->vm_freed_at, 1);
	KUNIT_EXPECT_EQ(test, t->released_at, 2);
	KUNIT_EXPECT_EQ(test, t->modrefs_at_vm_free, 0);
	KUNIT_EXPECT_EQ(test, t->objs_at_vm_free, 1);
}

static void drm_gpuvm_test_gem_free(struct drm_gem_object *obj)
{
	drm_gem_object_release(obj);
	kfree(obj);
}

static const struct drm_gem_object_funcs drm_gpuvm_test_gem_funcs = {
	.free = drm_gpuvm_test_gem_free,
};

/*
 * Lock the VM and its external objects, validate the evicted ones; return
 * whether @obj was locked.
 */
static bool drm_gpuvm_test_lock_validate(struct kunit *test,
					 struct drm_gpuvm *gpuvm,
					 struct drm_gem_object *obj)
{
	struct drm_gem_object *locked;
	struct drm_exec exec;
	bool found = false;
	int ret = 0;

	drm_exec_init(&exec, 0, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_gpuvm_prepare_vm(gpuvm, &exec, 0);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			break;
		ret = drm_gpuvm_prepare_objects(gpuvm, &exec, 0);
		drm_exec_retry_on_contention(&exec);
	}
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret)
		KUNIT_EXPECT_EQ(test, drm_gpuvm_validate(gpuvm, &exec), 0);
	drm_exec_for_each_locked_object(&exec, locked)
		found |= locked == obj;
	drm_exec_fini(&exec);
	return found;
}

/* An external object (a reservation object of its own) and its vm_bo. */
static struct drm_gpuvm_bo *drm_gpuvm_test_extobj(struct kunit *test,
						  struct drm_gpuvm_test *t,
						  struct drm_gpuvm *gpuvm)
{
	struct drm_gpuvm_bo *vm_bo, *prealloc;
	struct drm_gem_object *obj;

	obj = kzalloc_obj(*obj);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	obj->funcs = &drm_gpuvm_test_gem_funcs;
	drm_gem_private_object_init(t->drm, obj, PAGE_SIZE);

	prealloc = drm_gpuvm_bo_create(gpuvm, obj);
	if (!prealloc)
		drm_gem_object_put(obj);
	KUNIT_ASSERT_NOT_NULL(test, prealloc);
	vm_bo = drm_gpuvm_bo_obtain_prealloc(prealloc);
	KUNIT_EXPECT_PTR_EQ(test, vm_bo, prealloc);

	dma_resv_lock(drm_gpuvm_resv(gpuvm), NULL);
	drm_gpuvm_bo_extobj_add(vm_bo);
	dma_resv_unlock(drm_gpuvm_resv(gpuvm));
	/* The vm_bo holds the object now. */
	drm_gem_object_put(obj);
	return vm_bo;
}

/*
 * drm_gpuvm_bo_put_deferred() turns the last vm_bo reference into a zombie
 * that stays on the extobj and evict lists of a resv-protected VM until
 * drm_gpuvm_bo_deferred_cleanup(): locking and validation skip it, the
 * cleanup frees it and takes it off the lists.
 */
static void drm_test_gpuvm_bo_deferred_cleanup(struct kunit *test)
{
	struct drm_gpuvm_test *t = drm_gpuvm_test_setup(test, MODULE_STATE_LIVE, true);
	struct drm_gpuvm_bo *vm_bo, *prealloc;
	struct drm_gpuvm_test_vm *vm;
	struct drm_gem_object *obj;
	struct drm_gpuvm *gpuvm;

	vm = drm_gpuvm_test_vm_init(test, t, DRM_GPUVM_RESV_PROTECTED |
				    DRM_GPUVM_IMMEDIATE_MODE);
	gpuvm = &vm->base;

	/* An external object: it has a reservation object of its own. */
	obj = kzalloc_obj(*obj);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	obj->funcs = &drm_gpuvm_test_gem_funcs;
	drm_gem_private_object_init(t->drm, obj, PAGE_SIZE);

	prealloc = drm_gpuvm_bo_create(gpuvm, obj);
	KUNIT_ASSERT_NOT_NULL(test, prealloc);
	vm_bo = drm_gpuvm_bo_obtain_prealloc(prealloc);
	KUNIT_ASSERT_PTR_EQ(test, vm_bo, prealloc);

	dma_resv_lock(drm_gpuvm_resv(gpuvm), NULL);
	drm_gpuvm_bo_extobj_add(vm_bo);
	dma_resv_unlock(drm_gpuvm_resv(gpuvm));
	dma_resv_lock(obj->resv, NULL);
	drm_gpuvm_bo_evict(vm_bo, true);
	dma_resv_unlock(obj->resv);

	/* Alive: locked, put on the evict list and validated. */
	KUNIT_EXPECT_TRUE(test, drm_gpuvm_test_lock_validate(test, gpuvm, obj));
	KUNIT_EXPECT_EQ(test, t->validated, 1);
	KUNIT_EXPECT_FALSE(test, list_empty(&gpuvm->evict.list));

	/* A zombie: still listed, skipped. */
	KUNIT_EXPECT_TRUE(test, drm_gpuvm_bo_put_deferred(vm_bo));
	KUNIT_EXPECT_FALSE(test, list_empty(&gpuvm->extobj.list));
	KUNIT_EXPECT_FALSE(test, drm_gpuvm_test_lock_validate(test, gpuvm, obj));
	KUNIT_EXPECT_EQ(test, t->validated, 1);
	KUNIT_EXPECT_EQ(test, t->vm_bos_freed, 0);

	drm_gpuvm_bo_deferred_cleanup(gpuvm);
	KUNIT_EXPECT_EQ(test, t->vm_bos_freed, 1);
	KUNIT_EXPECT_TRUE(test, list_empty(&gpuvm->extobj.list));
	KUNIT_EXPECT_TRUE(test, list_empty(&gpuvm->evict.list));
	KUNIT_EXPECT_EQ(test, kref_read(&obj->refcount), 1);

	/* Nothing left to clean up. */
	drm_gpuvm_bo_deferred_cleanup(gpuvm);
	KUNIT_EXPECT_EQ(test, t->vm_bos_freed, 1);

	drm_gem_object_put(obj);
	drm_gpuvm_put(gpuvm);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&t->vm_freed, WAIT));

	drm_kunit_helper_free_device(test, t->parent);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->released, WAIT));
}

/*
 * The cleanup takes the VM's reservation lock once for the whole batch of
 * zombies: every one is off the lists before the first is freed (a lock
 * per zombie would free the first while the others are still listed).
 */
static void drm_test_gpuvm_bo_deferred_batch(struct kunit *test)
{
	struct drm_gpuvm_test *t = drm_gpuvm_test_setup(test, MODULE_STATE_LIVE, true);
	struct drm_gpuvm_bo *vm_bo[3];
	struct drm_gpuvm_test_vm *vm;
	struct drm_gpuvm *gpuvm;
	unsigned int i;

	vm = drm_gpuvm_test_vm_init(test, t, DRM_GPUVM_RESV_PROTECTED |
				    DRM_GPUVM_IMMEDIATE_MODE);
	gpuvm = &vm->base;
	for (i = 0; i < ARRAY_SIZE(vm_bo); i++)
		vm_bo[i] = drm_gpuvm_test_extobj(test, t, gpuvm);
	for (i = 0; i < ARRAY_SIZE(vm_bo); i++)
		KUNIT_EXPECT_TRUE(test, drm_gpuvm_bo_put_deferred(vm_bo[i]));
	KUNIT_EXPECT_EQ(test, t->vm_bos_freed, 0);

	drm_gpuvm_bo_deferred_cleanup(gpuvm);
	KUNIT_EXPECT_EQ(test, t->vm_bos_freed, ARRAY_SIZE(vm_bo));
	KUNIT_EXPECT_EQ(test, t->freed_while_listed, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&gpuvm->extobj.list));

	drm_gpuvm_put(gpuvm);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&t->vm_freed, WAIT));
	drm_kunit_helper_free_device(test, t->parent);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->released, WAIT));
}

static int drm_gpuvm_test_flusher(void *data)
{
	struct drm_gpuvm_test *t = data;

	WRITE_ONCE(t->flushing, true);
	drm_gpuvm_flush_deferred();
	t->freed_at_flush = atomic_read(&t->vms_freed);
	complete_all(&t->flushed);
	kthread_complete_and_exit(&t->exited, 0);
}

/*
 * Start a thread that flushes, and return once it waits in the flush (it
 * sleeps uninterruptibly once it said it flushes: the flush's wait).
 */
static void drm_gpuvm_test_start_flusher(struct kunit *test, struct drm_gpuvm_test *t)
{
	unsigned long end = jiffies + WAIT;
	struct task_struct *task;

	task = kthread_create(drm_gpuvm_test_flusher, t, "drm-gpuvm-test-flush");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	t->flusher = true;
	get_task_struct(task);
	wake_up_process(task);
	while (!(READ_ONCE(t->flushing) && READ_ONCE(task->__state) == TASK_UNINTERRUPTIBLE) &&
	       !completion_done(&t->flushed) && time_before(jiffies, end))
		usleep_range(100, 200);
	put_task_struct(task);
}

/* Let every gated vm_free go on, and wait for the flusher thread to be done. */
static void drm_gpuvm_test_ungate(void *data)
{
	struct drm_gpuvm_test *t = data;

	complete_all(&t->go[0]);
	complete_all(&t->go[1]);
	if (!t->flusher)
		return;
	/* Every VM is let go: the flush returns. */
	wait_for_completion(&t->exited);
}

/*
 * drm_gpuvm_flush_deferred() waits for a VM put before it whose vm_free is
 * still running: a driver whose vm_free needs state that its unbind tears
 * down calls it in between.
 */
static void drm_test_gpuvm_flush_blocks(struct kunit *test)
{
	struct drm_gpuvm_test *t = drm_gpuvm_test_setup(test, MODULE_STATE_LIVE, true);
	struct drm_gpuvm_test_vm *a;

	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, drm_gpuvm_test_ungate, t));
	a = drm_gpuvm_test_vm_init(test, t, DRM_GPUVM_DEFERRED_FREE);
	a->gate = 0;
	drm_gpuvm_put(&a->base);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->in_free[0], WAIT));

	drm_gpuvm_test_start_flusher(test, t);
	KUNIT_EXPECT_FALSE_MSG(test, completion_done(&t->flushed),
			       "the flush returned while a VM put before it was being freed");
	complete(&t->go[0]);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->flushed, WAIT));
	KUNIT_EXPECT_EQ(test, t->freed_at_flush, 1);

	drm_kunit_helper_free_device(test, t->parent);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->released, WAIT));
}

/*
 * It does not wait for VMs put after it began: a stream of later puts
 * (files closed while a driver unbinds) cannot starve it.  The second VM,
 * put while the flush waits for the first, is still in its vm_free when
 * the flush returns.
 */
static void drm_test_gpuvm_flush_not_starved(struct kunit *test)
{
	struct drm_gpuvm_test *t = drm_gpuvm_test_setup(test, MODULE_STATE_LIVE, true);
	struct drm_gpuvm_test_vm *a, *b;

	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, drm_gpuvm_test_ungate, t));
	a = drm_gpuvm_test_vm_init(test, t, DRM_GPUVM_DEFERRED_FREE);
	b = drm_gpuvm_test_vm_init(test, t, DRM_GPUVM_DEFERRED_FREE);
	a->gate = 0;
	b->gate = 1;
	/* Expectations only, until both VMs are put: a VM left would hold the device. */
	drm_gpuvm_put(&a->base);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&t->in_free[0], WAIT));
	drm_gpuvm_test_start_flusher(test, t);
	KUNIT_EXPECT_FALSE(test, completion_done(&t->flushed));

	drm_gpuvm_put(&b->base);
	KUNIT_EXPECT_NE(test, 0UL, wait_for_completion_timeout(&t->in_free[1], WAIT));
	complete(&t->go[0]);
	KUNIT_EXPECT_NE_MSG(test, 0UL, wait_for_completion_timeout(&t->flushed, WAIT),
			    "the flush waited for a VM put after it began");
	KUNIT_EXPECT_EQ(test, t->freed_at_flush, 1);

	complete(&t->go[1]);
	drm_kunit_helper_free_device(test, t->parent);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&t->released, WAIT));
}

static struct kunit_case drm_gpuvm_tests[] = {
	KUNIT_CASE(drm_test_gpuvm_put_atomic),
	KUNIT_CASE(drm_test_gpuvm_put_frees_at_once),
	KUNIT_CASE(drm_test_gpuvm_deferred_needs_wait),
	KUNIT_CASE(drm_test_gpuvm_free_order),
	KUNIT_CASE(drm_test_gpuvm_bo_deferred_cleanup),
	KUNIT_CASE(drm_test_gpuvm_bo_deferred_batch),
	KUNIT_CASE(drm_test_gpuvm_flush_blocks),
	KUNIT_CASE(drm_test_gpuvm_flush_not_starved),
	{}
};

static struct kunit_suite drm_gpuvm_test_suite = {
	.name = "drm_gpuvm",
	.test_cases = drm_gpuvm_tests,
};

kunit_test_suite(drm_gpuvm_test_suite);

MODULE_DESCRIPTION("KUnit tests for the lifetime rules of drm_gpuvm");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
MODULE_LICENSE("GPL");
