# Deliberately broken variants of drivers/gpu/drm/drm_mode_config.c's
# teardown of the writeback cleanup list: each must make the named
# drm_writeback KUnit cases fail (x86_64 tier).  Used by
# devtools/mutants.sh ("make mutants").
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'drivers/gpu/drm/drm_mode_config.c'
SUITE = 'drm_writeback'
TIER = 'x86_64'
MUTANTS = [
    # drm_mode_config_cleanup() destroys the connectors of drivers that
    # destroy them themselves without waiting for the job cleanups.
    ('mode-config-cleanup-no-wait',
     ['drm_test_writeback_teardown_waits'],
     '\tdevhold_list_fini(&dev->mode_config.writeback_cleanup_list);\n',
     ''),
]
