# Deliberately broken variants of drivers/gpu/drm/xe/xe_module.c: each must
# make the named xe_devices KUnit cases fail (UML tier).  Used by
# devtools/mutants.sh ("make mutants").
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'drivers/gpu/drm/xe/xe_module.c'
SUITE = 'xe_devices'
TIER = 'uml'
MUTANTS = [
    # Module exit does not wait for the devices still alive.
    ('wait-skips-count',
     ['xe_devices_test_wait_live'],
     '\tdevhold_domain_wait_idle(xe_devices_domain);\n\tdrm_dev_release_barrier();\n',
     '\tdrm_dev_release_barrier();\n'),
    # Module exit does not wait for the end of the releases.
    ('wait-skips-barrier',
     ['xe_devices_test_wait_release_tail'],
     '\tdevhold_domain_wait_idle(xe_devices_domain);\n\tdrm_dev_release_barrier();\n',
     '\tdevhold_domain_wait_idle(xe_devices_domain);\n'),
    # The count drops when the device is unbound, not at its release.
    ('count-drops-at-unbind',
     ['xe_devices_test_count'],
     '\treturn drmm_add_action_or_reset(drm, xe_devices_del, NULL);\n',
     '\treturn devm_add_action_or_reset(drm->dev, (void (*)(void *))xe_devices_del, NULL);\n'),
]
