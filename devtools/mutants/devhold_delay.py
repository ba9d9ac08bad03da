# Deliberately broken variants of lib/devhold.c that only the x86_64 tier
# can catch: its kernel has CONFIG_DEVHOLD_DEBUG_DELAY (the release delay)
# and CONFIG_KPROBES (a case holds a release run inside
# queue_delayed_work_on()).  Used by devtools/mutants.sh ("make mutants").
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'lib/devhold.c'
SUITE = 'devhold'
TIER = 'x86_64'
MUTANTS = [
    # a flush that trusts flush_delayed_work() once: a run begun before it
    # that keeps a hold back and re-arms leaves nothing to bring forward
    ('flush-once-under-delay',
     ['devhold_test_flush_delay_rearm'],
     '\t} while (devhold_delay_pending(domain));',
     '\t} while (0 && devhold_delay_pending(domain));'),
]
