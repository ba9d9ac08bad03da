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
    # v3: the going module waits for its live devices, under the module
    # notifier (the v2 behaviour).
    ('gone-waits',
     ['drm_test_module_gone_with_device'],
     '\t/* The domain\'s destroy WARNs about them and reports their holders. */\n',
     '\tdevhold_domain_wait_idle(md->domain);\n'),
    # v3: drm_module_wait() keeps no reference on the module's domain: the
    # going module destroys it under the wait (and waits in its barrier).
    ('waiter-keeps-nothing',
     ['drm_test_module_gone_leaves_waiter'],
     '\t\trefcount_inc(&md->ref);\n\t\tmd->waited = true;\n\t}\n'
     '\tret = devhold_domain_wait_idle(md->domain);\n\tdrm_module_domain_put(md);\n',
     '\t\tmd->waited = true;\n\t}\n\tret = devhold_domain_wait_idle(md->domain);\n'),
    # v3 B1: holds never pin the module, also of a module that does not
    # wait for its devices.
    ('hold-never-pins',
     ['drm_test_dev_hold_pins_nowait_module'],
     '\t\t\t   driver->fops ? driver->fops->owner : NULL, gfp);',
     '\t\t\t   NULL, gfp);'),
    ('every-domain-counted',
     ['drm_test_dev_hold_pins_nowait_module', 'drm_test_module_waits_after_devices'],
     '\tmd = drm_module_domain_find(owner) ?: drm_module_domain_new(owner, false);',
     '\tmd = drm_module_domain_find(owner) ?: drm_module_domain_new(owner, true);'),
    # v3: a module that says it waits after it made devices is accepted.
    ('waits-after-devices-accepted',
     ['drm_test_module_waits_after_devices'],
     '\t\treturn WARN(!md->waits,',
     '\t\treturn WARN(0 && !md->waits,'),
]
