# Deliberately broken variants of drivers/gpu/drm/drm_connector.c's wait
# for the cleanup of signalled writeback jobs: each must make the named
# drm_writeback KUnit cases fail (x86_64 tier).  Used by
# devtools/mutants.sh ("make mutants").
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'drivers/gpu/drm/drm_connector.c'
SUITE = 'drm_writeback'
TIER = 'x86_64'
MUTANTS = [
    # drm_connector_cleanup() of a writeback connector does not wait: the
    # cleanup of a signalled job runs on a connector cleaned up or freed.
    ('connector-cleanup-no-wait',
     ['drm_test_writeback_mode_config_cleanup_waits',
      'drm_test_writeback_connector_cleanup_waits', 'drm_test_writeback_release_waits'],
     '\tif (connector->connector_type == DRM_MODE_CONNECTOR_WRITEBACK)\n'
     '\t\tdevhold_list_flush(&dev->mode_config.writeback_cleanup_list);\n',
     ''),
]
