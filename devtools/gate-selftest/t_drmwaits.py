"""drm-waits (devtools/drm-waits.sh, in make static): a DRM driver whose
devices a helper keeps without pinning its module (a drm_gpuvm freed
from drm_gpuvm's worker, a drm_pagemap, a drm_dev_hold()) must say at init that its exit waits
(drm_module_waits_for_devices()) and wait at exit (drm_module_wait()), or
use the drm_module_*() macros that do both."""
import run as r

SCRIPT = r.REPO / 'devtools/drm-waits.sh'


def tree(tmp, code, known=''):
    d = tmp / 'work/drivers/gpu/drm/foo'
    d.mkdir(parents=True)
    (tmp / 'work/drivers/accel').mkdir(parents=True)
    (d / 'foo_drv.c').write_text(code)
    (tmp / 'known.txt').write_text(known)
    return r.run(['bash', SCRIPT, tmp / 'work', tmp / 'known.txt'])


VM = ('\tdrm_gpuvm_init(&foo->vm, "foo", DRM_GPUVM_DEFERRED_FREE, drm, obj, 0, 1 << 20,\n'
      '\t\t       0, 0, &ops);\n')
# A VM freed by its last put, as before DRM_GPUVM_DEFERRED_FREE: no holder.
SYNC_VM = '\tdrm_gpuvm_init(&foo->vm, "foo", 0, drm, obj, 0, 1 << 20, 0, 0, &ops);\n'
SAYS = '\tret = drm_module_waits_for_devices(THIS_MODULE);\n'
WAITS = '\tdrm_module_wait(THIS_MODULE);\n'


def because(needle, res):
    st, out = res
    return (st if needle in out else 0), out


CASES = [
    ('a gpuvm driver that says it waits and waits', 'PASS',
     lambda t: tree(t, VM + SAYS + WAITS)),
    ('a gpuvm driver on drm_module_platform_driver()', 'PASS',
     lambda t: tree(t, VM + 'drm_module_platform_driver(foo_driver);\n')),
    ('a gpuvm driver whose exit waits, its init silent', 'FAILED',
     lambda t: because('its init does not say so', tree(t, VM + WAITS))),
    ('a gpuvm driver that says it waits in a comment only', 'FAILED',
     lambda t: because('its init does not say so',
                       tree(t, VM + ' * drm_module_waits_for_devices(THIS_MODULE)\n' + WAITS))),
    ('a gpuvm driver that does not wait', 'FAILED',
     lambda t: because('its exit does not wait', tree(t, VM))),
    ('a driver whose VMs are freed by their last put, not waiting', 'PASS',
     lambda t: tree(t, SYNC_VM)),
    ('a gpuvm driver that does not wait, listed as known', 'PASS',
     lambda t: tree(t, VM, 'drivers/gpu/drm/foo not converted yet\n')),
    ('a known driver that waits now', 'FAILED',
     lambda t: because('waits now', tree(t, VM + SAYS + WAITS,
                                         'drivers/gpu/drm/foo not converted yet\n'))),
]
