# Deliberately broken variants of drivers/gpu/drm/drm_drv.c: each must make
# the named drm_devhold KUnit cases fail (UML tier).  Used by
# devtools/mutants.sh ("make mutants").
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'drivers/gpu/drm/drm_drv.c'
SUITE = 'drm_devhold'
TIER = 'uml'
MUTANTS = [
    # Devices are not counted: module exit has nothing to wait for.
    ('no-count',
     ['drm_test_dev_counted_until_released', 'drm_test_module_wait_for_held_device'],
     '\tdevhold_domain_obj_add(md->domain);\n\treturn md->domain;\n',
     '\treturn md->domain;\n'),
    # The count drops before the release callbacks, not at the very end.
    ('uncount-first',
     ['drm_test_dev_counted_until_released', 'drm_test_dev_release_runs_counted'],
     '\tif (dev->driver->release)\n\t\tdev->driver->release(dev);\n\n'
     '\tdrm_managed_release(dev);\n\n\tkfree(dev->managed.final_kfree);\n\n'
     '\t/* The very last step: drm_module_wait() may return after this. */\n'
     '\tdevhold_domain_obj_del(domain);\n',
     '\tdevhold_domain_obj_del(domain);\n\tif (dev->driver->release)\n'
     '\t\tdev->driver->release(dev);\n\n\tdrm_managed_release(dev);\n\n'
     '\tkfree(dev->managed.final_kfree);\n'),
    # Module exit returns without waiting.
    ('wait-returns',
     ['drm_test_module_wait_for_held_device', 'drm_test_module_wait_independent'],
     '\tret = devhold_domain_wait_idle(md->domain);\n',
     '\tret = 0;\n'),
    # One domain for every driver: one driver's wait waits for all.
    ('one-domain',
     ['drm_test_module_wait_independent', 'drm_test_module_wait_for_held_device'],
     '\tif (!owner) {\n\t\tdevhold_domain_obj_add(drm_builtin_domain);',
     '\tif (true) {\n\t\tdevhold_domain_obj_add(drm_builtin_domain);'),
    # A module that goes with live devices is not waited for.
    ('gone-no-wait',
     ['drm_test_module_gone_with_device'],
     '\t\tdevhold_domain_wait_idle(md->domain);\n\t/* A drm_module_wait()',
     '\t\t;\n\t/* A drm_module_wait()'),
    # drm_module_wait() leaves without waking a going module that waits
    # for it (DRM's own waker; the device wait's is devhold's).
    ('no-waiter-wake-up',
     ['drm_test_module_gone_waits_for_waiter'],
     '\t\tWRITE_ONCE(md->waiters, md->waiters - 1);\n\twake_up_all(&drm_module_waitq);\n',
     '\t\tWRITE_ONCE(md->waiters, md->waiters - 1);\n'),
]
