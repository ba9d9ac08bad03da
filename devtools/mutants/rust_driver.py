# Deliberately broken variants of rust/kernel/driver.rs (module_driver!'s
# guard): each must make the named boots of the VM harness fail on the rust
# tier's kernel (the Rust DRM test driver is declared with module_driver!
# and a guard keeping drm::ModuleWait).  Used by devtools/mutants.sh
# ("make mutants").
# Entries: (name, boots that must fail, text to find, replacement).
FILE = 'rust/kernel/driver.rs'
SUITE = 'drm-rs'
TIER = 'rust-vm'
MUTANTS = [
    # The guard drops before the driver is unregistered: the exit waits
    # for devices that are still bound, for ever.
    ('guard-dropped-first',
     ['drm-rs'],
     '            #[pin]\n'
     '            _driver: $crate::driver::Registration<Ops<$type>>,\n'
     '            _guard: DriverModuleGuard,\n',
     '            _guard: DriverModuleGuard,\n'
     '            #[pin]\n'
     '            _driver: $crate::driver::Registration<Ops<$type>>,\n'),
    # The guard is made after the driver registers, which probes the
    # device: the declaration comes after a device (refused with a WARN),
    # and the VM's hold pins the module.
    ('guard-made-after-registration',
     ['drm-rs'],
     '                    _guard: unsafe {\n'
     '                        <DriverModuleGuard as $crate::driver::ModuleGuard>::new(module)\n'
     '                    }?,\n'
     '                    _driver <- $crate::driver::Registration::new(\n'
     '                        <Self as $crate::ModuleMetadata>::NAME,\n'
     '                        module,\n'
     '                    ),\n',
     '                    _driver <- $crate::driver::Registration::new(\n'
     '                        <Self as $crate::ModuleMetadata>::NAME,\n'
     '                        module,\n'
     '                    ),\n'
     '                    _guard: unsafe {\n'
     '                        <DriverModuleGuard as $crate::driver::ModuleGuard>::new(module)\n'
     '                    }?,\n'),
]
