# Deliberately broken variants of rust/kernel/devhold.rs: each must make the
# named rust_devhold KUnit cases fail (rust tier).  Used by
# devtools/mutants.sh ("make mutants").
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'rust/kernel/devhold.rs'
SUITE = 'rust_devhold'
TIER = 'rust'
MUTANTS = [
    # A release section that never begins (its end is then misuse).
    ('section-not-begun',
     ['counted_release_runs_in_section', 'barrier_in_own_section_refused'],
     '    unsafe { bindings::devhold_release_begin(domain.as_ptr(), section.get()) };\n',
     ''),
    # Counted::release() runs the release outside any section.
    ('release-outside-section',
     ['counted_release_runs_in_section'],
     '        unsafe { release_section(domain, release) }\n',
     '        let _ = domain;\n        release()\n'),
    # The barrier returns at once.
    ('barrier-returns',
     ['barrier_waits_for_section', 'barrier_in_own_section_refused'],
     '        to_result(unsafe { bindings::devhold_release_barrier(self.as_raw()) })\n',
     '        Ok(())\n'),
    # A dropped hold is never put.
    ('hold-never-put',
     ['hold_put_under_spinlock_irq', 'hold_into_raw_from_raw'],
     '        unsafe { bindings::devhold_put(self.hold.as_ptr()) };\n',
     ''),
    # A list dropped with entries is torn down without draining it first.
    ('list-drop-unflushed',
     ['list_drain'],
     '        self.flush();\n',
     ''),
]
