# Deliberately broken variants of drivers/gpu/drm/drm_gpuvm.c: each must make
# the named drm_gpuvm KUnit cases fail (UML tier).  Used by
# devtools/mutants.sh ("make mutants").  The broken bo_defer cleanups are
# devtools/bite.sh's.
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'drivers/gpu/drm/drm_gpuvm.c'
SUITE = 'drm_gpuvm'
TIER = 'uml'
MUTANTS = [
    # The final put frees the VM at once, in the caller's context.
    ('free-in-put',
     ['drm_test_gpuvm_put_atomic'],
     '\tqueue_work(drm_gpuvm_free_wq, &gpuvm->free_work);\n',
     '\tdrm_gpuvm_free_work(&gpuvm->free_work);\n'),
    # The flush returns without waiting for the VMs already put.
    ('flush-returns',
     ['drm_test_gpuvm_flush_deferred'],
     '\twait_var_event(&drm->gpuvm_frees, !atomic_read(&drm->gpuvm_frees));\n',
     ''),
]
