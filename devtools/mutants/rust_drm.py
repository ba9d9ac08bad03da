# Deliberately broken variants of rust/kernel/drm/driver.rs (drm::ModuleWait):
# each must make the named boots of the VM harness fail on the rust tier's
# kernel (the Rust DRM test driver keeps a ModuleWait).  Used by
# devtools/mutants.sh ("make mutants").
# Entries: (name, boots that must fail, text to find, replacement).
FILE = 'rust/kernel/drm/driver.rs'
SUITE = 'drm-rs'
TIER = 'rust-vm'
MUTANTS = [
    # The exit does not wait: rmmod returns with a foreign hold out.
    ('module-wait-returns',
     ['drm-rs'],
     '        unsafe { bindings::drm_module_wait(self.module.as_ptr()) };\n',
     '        let _ = self.module;\n'),
    # The init does not say that the exit waits: holds (the VM's) pin the
    # module, and rmmod of the bound driver fails "in use".
    ('module-wait-not-declared',
     ['drm-rs'],
     '        to_result(unsafe { bindings::drm_module_waits_for_devices(module.as_ptr()) })?;\n',
     '        let _ = module;\n'),
]
