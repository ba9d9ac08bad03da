# Deliberately broken variants of drivers/gpu/drm/drm_writeback.c's
# cleanup of signalled writeback jobs (a devhold list in drm_mode_config):
# each must make the named drm_writeback KUnit cases fail (x86_64 tier).
# Used by devtools/mutants.sh ("make mutants").
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'drivers/gpu/drm/drm_writeback.c'
SUITE = 'drm_writeback'
TIER = 'x86_64'
MUTANTS = [
    # A signalled job is never cleaned up.
    ('signal-not-queued',
     ['drm_test_writeback_mode_config_cleanup_waits',
      'drm_test_writeback_connector_cleanup_waits',
      'drm_test_writeback_cleanup_order', 'drm_test_writeback_release_waits'],
     '\tdevhold_list_push(&wb_connector->base.dev->mode_config.writeback_cleanup_list,\n'
     '\t\t\t  &job->cleanup_node);\n',
     ''),
]
