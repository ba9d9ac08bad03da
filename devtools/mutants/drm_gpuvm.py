# Deliberately broken variants of drivers/gpu/drm/drm_gpuvm.c: each must make
# the named drm_gpuvm KUnit cases fail (UML tier).  Used by
# devtools/mutants.sh ("make mutants").  The broken bo_defer cleanups are
# devtools/bite.sh's.
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'drivers/gpu/drm/drm_gpuvm.c'
SUITE = 'drm_gpuvm'
TIER = 'uml'
MUTANTS = [
    # The final put of a VM with DRM_GPUVM_DEFERRED_FREE frees it at once,
    # in the caller's context (the sleeping put of 7.3.4).
    ('free-in-put',
     ['drm_test_gpuvm_put_atomic'],
     '\t\tqueue_work(drm_gpuvm_free_wq, &gpuvm->free_work);\n',
     '\t\tdrm_gpuvm_free_now(gpuvm);\n'),
    # Every VM is freed from the worker, asked for or not.
    ('always-deferred',
     ['drm_test_gpuvm_put_frees_at_once'],
     '\tif (gpuvm->flags & DRM_GPUVM_DEFERRED_FREE)\n\t\tqueue_work(',
     '\tif (1)\n\t\tqueue_work('),
    # The device reference is dropped before vm_free: the driver's code
    # runs after its device (and what its module's exit waited for) is gone.
    ('dev-put-first',
     ['drm_test_gpuvm_free_order'],
     '\tgpuvm->ops->vm_free(gpuvm);\n\tdrm_dev_put(drm);\n',
     '\tdrm_dev_put(drm);\n\tgpuvm->ops->vm_free(gpuvm);\n'),
    # The flush returns without waiting for the VMs already put.
    ('flush-returns',
     ['drm_test_gpuvm_flush_blocks'],
     '\tflush_workqueue(drm_gpuvm_free_wq);\n',
     ''),
    # The flush also waits for VMs put after it began (starvable).
    ('flush-waits-later',
     ['drm_test_gpuvm_flush_not_starved'],
     '\tflush_workqueue(drm_gpuvm_free_wq);\n',
     '\tflush_workqueue(drm_gpuvm_free_wq);\n'
     '\tflush_workqueue(drm_gpuvm_free_wq);\n'),
    # The flag is taken from a driver whose exit does not wait: its
    # vm_free would run from the worker after rmmod.
    ('deferred-ignores-wait',
     ['drm_test_gpuvm_deferred_needs_wait'],
     '\t    drm_WARN(drm, !drm_dev_module_waits(drm),\n',
     '\t    drm_WARN(drm, false,\n'),
]
