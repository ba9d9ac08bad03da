# Deliberately broken variants of drivers/gpu/drm/drm_connector.c's
# deferred free of connectors dropped by iterators (a devhold list): each
# must make the named drmm_connector_init KUnit cases fail (x86_64
# tier).  Used by devtools/mutants.sh ("make mutants").
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'drivers/gpu/drm/drm_connector.c'
SUITE = 'drmm_connector_init'
TIER = 'x86_64'
MUTANTS = [
    # The iterator's last put never queues the connector: leaked.
    ('iter-put-not-queued',
     ['drm_test_connector_iter_last_put', 'drm_test_connector_iter_last_put_cleanup'],
     '\tdevhold_list_push(&config->connector_free_list, &conn->free_node);\n',
     ''),
    # The free callback unregisters but does not destroy.
    ('deferred-free-no-destroy',
     ['drm_test_connector_iter_last_put'],
     '\tdrm_mode_object_unregister(connector->dev, &connector->base);\n'
     '\tconnector->funcs->destroy(connector);\n',
     '\tdrm_mode_object_unregister(connector->dev, &connector->base);\n'),
]
