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
    # The flush returns without waiting for the VMs already put.
    ('flush-returns',
     ['drm_test_gpuvm_flush_blocks'],
     '\t\tflush_workqueue(drm_gpuvm_free_wq);\n',
     '\t\t(void)0;\n'),
    # The flush also waits for VMs put after it began (starvable).
    ('flush-waits-later',
     ['drm_test_gpuvm_flush_not_starved'],
     '\t\tflush_workqueue(drm_gpuvm_free_wq);\n',
     '\t\tflush_workqueue(drm_gpuvm_free_wq);\n'
     '\t\tflush_workqueue(drm_gpuvm_free_wq);\n'),
]
