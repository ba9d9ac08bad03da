# Deliberately broken variants of drivers/gpu/drm/drm_pagemap.c: each must
# make the named drm_pagemap KUnit cases fail (x86_64 tier: drm_pagemap needs
# ZONE_DEVICE).  Used by devtools/mutants.sh ("make mutants").
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'drivers/gpu/drm/drm_pagemap.c'
SUITE = 'drm_pagemap'
TIER = 'x86_64'
MUTANTS = [
    # The puts of the provider's device and module run in the releasing
    # context, as a pin without deferred release would.
    ('synchronous-provider-put',
     ['drm_pagemap_test_release_atomic',
      'drm_pagemap_test_foreign_holder_unbind',
      'drm_pagemap_test_device_private_unbind',
      'drm_pagemap_test_reinit_while_queued'],
     '\tdrm_dev_unhold(dev_hold);\n}',
     '\tdev_hold->ops->put(dev_hold->obj);\n\tmodule_put(dev_hold->owner);\n}'),
    # No pin at all: the pagemap keeps a bare pointer to the provider.
    ('no-provider-pin',
     ['drm_pagemap_test_pin_and_release', 'drm_pagemap_test_going_provider',
      'drm_pagemap_test_nowait_pins_module', 'drm_pagemap_test_nowait_going',
      'drm_pagemap_test_nowait_coming'],
     '\tstruct devhold *dev_hold = drm_dev_hold(dpagemap->drm, GFP_KERNEL);\n',
     '\tstruct devhold *dev_hold = NULL;\n'),
]
