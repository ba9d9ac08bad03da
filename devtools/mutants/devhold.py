# Deliberately broken variants of lib/devhold.c: each must make the named
# devhold KUnit cases fail.  Used by devtools/mutants.sh ("make mutants").
# Entries: (name, cases that must fail, text to find, replacement).
# The "defect N" variants put back, one at a time, what the first version of
# the library did wrong (see the v2 cases in lib/tests/devhold_kunit.c).
FILE = 'lib/devhold.c'
SUITE = 'devhold'
TIER = 'uml'
MUTANTS = [
    # v3 API: create fails with an error pointer, never NULL
    ('create-returns-null',
     ['devhold_test_create_bad_flags'],
     '\t\t\t    "domain %s: unknown flags %#x\\n", name, flags))\n\t\treturn ERR_PTR(-EINVAL);',
     '\t\t\t    "domain %s: unknown flags %#x\\n", name, flags))\n\t\treturn NULL;'),
    # v3 final review: a caller that ignored create's error pointer
    ('get-null-domain-only',
     ['devhold_test_create_bad_flags'],
     '\tif (devhold_misused(IS_ERR_OR_NULL(domain) || !ops || !ops->put,',
     '\tif (devhold_misused(!domain || !ops || !ops->put,'),
    # v3 final review: a section begun again on another domain loses the
    # first domain's reader
    ('begin-twice-same-domain-only',
     ['devhold_test_section_two_domains'],
     '\tif (devhold_misused(section->domain,\n',
     '\tif (devhold_misused(section->domain == domain,\n'),
    ('ignored-try-module-get',
     ['devhold_test_going_owner'],
     '\tif (!try_module_get(owner)) {',
     '\t(void)try_module_get(owner);\n\tif (0) {'),
    # v3: a pinning hold on a module still in its init, which the loader
    # frees if that init fails, pinned or not
    ('coming-owner-pinned',
     ['devhold_test_coming_owner'],
     '\tif (owner && module_is_coming(owner)) {',
     '\tif (0 && owner && module_is_coming(owner)) {'),
    # v3: a put callback's release section during the destroy's flush,
    # which the hold keeps the domain for, reported as misuse
    ('section-on-dead-ignores-put-callbacks',
     ['devhold_test_destroy_runs_sectioned_put'],
     '!atomic_long_read(&domain->nobjs) &&\n\t\t\tcurrent_work() != &domain->work.work,',
     '!atomic_long_read(&domain->nobjs),'),
    ('synchronous-put',
     ['devhold_test_put_hardirq', 'devhold_test_put_spinlock_irqoff'],
     '\trcu_read_lock();\n\tfirst = llist_add(&hold->node, &domain->pending);',
     '\thold->ops->put(hold->obj);\n\tmodule_put(hold->owner);\n\treturn;\n'
     '\trcu_read_lock();\n\tfirst = llist_add(&hold->node, &domain->pending);'),
    ('module-put-first',
     ['devhold_test_get_put_balance'],
     '\thold->ops->put(hold->obj);\n\tmodule_put(hold->owner);',
     '\tmodule_put(hold->owner);\n\thold->ops->put(hold->obj);'),
    ('barrier-does-not-wait',
     ['devhold_test_barrier_waits'],
     '\ttrace_devhold_barrier_begin(domain->name);\n\tsynchronize_srcu(&domain->srcu);',
     '\ttrace_devhold_barrier_begin(domain->name);'),
    ('wait-idle-does-not-wait',
     ['devhold_test_wait_idle'],
     '\t\tif (wait_event_idle_timeout(domain->wq,',
     '\t\tif (1 || wait_event_idle_timeout(domain->wq,'),
    # the last uncount does not wake the unload wait: it still ends, at
    # the end of its report period (devhold.wait_warn_secs, 10 s)
    ('no-idle-wake-up',
     ['devhold_test_wait_idle'],
     '\t\tif (waitqueue_active(&domain->wq))\n\t\t\twake_up_all(&domain->wq);\n',
     ''),
    # v3 M3: the unload wait ignores holds, or is not woken by the last
    ('wait-idle-ignores-holds',
     ['devhold_test_wait_idle_holds'],
     '\t\t\t\t\t    !atomic_long_read(&domain->nobjs) &&\n'
     '\t\t\t\t\t    !atomic_long_read(&domain->nholds), period))',
     '\t\t\t\t\t    !atomic_long_read(&domain->nobjs), period))'),
    # v3 M4: the unbounded unload wait with a lock held
    ('wait-idle-under-lock',
     ['devhold_test_wait_idle_locked'],
     '\tif (devhold_misused(lockdep_depth(current),',
     '\tif (devhold_misused(0 && lockdep_depth(current),'),
    # v3 bench: objects take no domain reference; a destroy that finds
    # objects leaves the creator's reference to the last uncount (or never
    # drops it: a leak; or drops it at once: freed under the object)
    ('last-uncount-keeps-creator-ref',
     ['devhold_test_last_uncount_frees'],
     '\t\tif (READ_ONCE(domain->dead))\n\t\t\tdevhold_domain_put_creator(domain);\n',
     ''),
    ('destroy-drops-creator-ref-with-objects',
     ['devhold_test_last_uncount_frees'],
     '\tsmp_mb();\n\tif (!atomic_long_read(&domain->nobjs))\n\t\tdevhold_domain_put_creator(domain);\n',
     '\tdevhold_domain_put_creator(domain);\n'),
    ('no-hold-wake-up',
     ['devhold_test_wait_idle_holds'],
     '\tif (atomic_long_dec_and_test(&domain->nholds) && waitqueue_active(&domain->wq))\n'
     '\t\twake_up_all(&domain->wq);',
     '\tatomic_long_dec(&domain->nholds);'),
    # v3 minor 5: an object added to a destroyed domain goes unreported
    ('obj-add-ignores-dead',
     ['devhold_test_domain_outlives_objects'],
     '\tif (devhold_misused(READ_ONCE(domain->dead),\n\t\t\t    "object added',
     '\tif (devhold_misused(0 && READ_ONCE(domain->dead),\n\t\t\t    "object added'),
    ('no-double-put-check',
     ['devhold_test_double_put'],
     '\tif (test_and_set_bit(DEVHOLD_PUT, &hold->flags)) {',
     '\tif (test_and_set_bit(DEVHOLD_PUT, &hold->flags) && 0) {'),
    ('no-underflow-check',
     ['devhold_test_obj_underflow'],
     '\tn = atomic_long_dec_if_positive(&domain->nobjs);',
     '\tn = atomic_long_dec_return(&domain->nobjs);'),
    ('late-put-not-finished',
     ['devhold_test_put_after_destroy'],
     '\tdevhold_misused(READ_ONCE(domain->dead),\n\t\t\t"hold %p put after',
     '\tif (READ_ONCE(domain->dead))\n\t\treturn;\n'
     '\tdevhold_misused(READ_ONCE(domain->dead),\n\t\t\t"hold %p put after'),
    # defect 3: a domain flushed from its own release work
    ('flush-waits-for-itself',
     ['devhold_test_flush_from_put'],
     '\tif (devhold_misused(current_work() == &domain->work.work,\n\t\t\t    "domain %s flushed',
     '\tif (devhold_misused(0 && current_work() == &domain->work.work,\n\t\t\t    "domain %s flushed'),
    # defect 8: a flush that does not queue the work itself
    ('flush-misses-unkicked-put',
     ['devhold_test_flush_unkicked_put'],
     '\t\tqueue_delayed_work(devhold_wq, &domain->work, 0);\n\t\tflush_delayed_work(&domain->work);',
     '\t\tflush_delayed_work(&domain->work);'),
    # v3 B1: kicks that steal a queued work from in front of a flush's
    # barrier (mod_delayed_work()), in the flush and in the put
    ('flush-kick-steals',
     ['devhold_test_flush_two_flushers'],
     '\t\tqueue_delayed_work(devhold_wq, &domain->work, 0);\n\t\tflush_delayed_work(&domain->work);',
     '\t\tmod_delayed_work(devhold_wq, &domain->work, 0);\n\t\tflush_delayed_work(&domain->work);'),
    ('put-kick-steals',
     ['devhold_test_flush_late_kick'],
     '\tif (first)\n\t\tqueue_delayed_work(devhold_wq, &domain->work, 0);',
     '\tif (first)\n\t\tmod_delayed_work(devhold_wq, &domain->work, 0);'),
    # defect 9: one lockdep class for every domain's SRCU
    ('one-srcu-class',
     ['devhold_test_barrier_nested_domains'],
     '\tlockdep_init_map(&domain->dep_map, domain->name, &domain->key, 0);',
     '\t{\n\t\tstatic struct lock_class_key one;\n\n'
     '\t\tlockdep_init_map(&domain->dep_map, domain->name, &one, 0);\n\t}'),
    # defect 10 (v3): a barrier in its own release section, which lockdep
    # knows of, waits for itself
    ('barrier-in-own-section-unseen',
     ['devhold_test_barrier_in_release_section'],
     '\treturn debug_locks && lock_is_held(&domain->dep_map) > 0;',
     '\treturn false;'),
    # v3: the barrier's lockdep annotation, without which lockdep does not
    # see barrier cycles across domains
    # (lockdep reports the unbalanced release of the first case with a
    # section; the VM's busted-cycle shows the cycle this annotation is for)
    ('section-not-a-lockdep-reader',
     ['devhold_test_barrier_waits'],
     '\tsection->scp = srcu_down_read_fast(&domain->srcu);\n\tlock_map_acquire_read(&domain->dep_map);',
     '\tsection->scp = srcu_down_read_fast(&domain->srcu);'),
    # v3: a section ended in another task drops lockdep's lock there (a
    # report of lockdep's, which turns it off), or is left open (every
    # barrier waits for it forever)
    ('section-ended-elsewhere-drops-lockdep',
     ['devhold_test_section_ended_elsewhere'],
     '\t} else {\n\t\tlock_map_release(&domain->dep_map);\n\t}',
     '\t}\n\tlock_map_release(&domain->dep_map);'),
    # v3: in_task() does not tell a softirq from a hardirq
    ('section-context-is-in-task',
     ['devhold_test_section_ended_in_hardirq'],
     '\t\t\t    section->context != devhold_context(),',
     '\t\t\t    !section->context != !devhold_context(),'),
    ('section-ended-elsewhere-left-open',
     ['devhold_test_section_ended_elsewhere'],
     '\t} else {\n\t\tlock_map_release(&domain->dep_map);\n\t}',
     '\t\treturn;\n\t} else {\n\t\tlock_map_release(&domain->dep_map);\n\t}'),
    # design: release sections take no domain reference; the free waits
    # for them instead
    ('free-ignores-sections',
     ['devhold_test_section_outlives_destroy'],
     '\tsynchronize_srcu(&domain->srcu);\n\ttrace_devhold_domain_free(domain->name);',
     '\ttrace_devhold_domain_free(domain->name);'),
    ('one-domain-work-class',
     ['devhold_test_work_classes'],
     '\tlockdep_init_map(&domain->work.work.lockdep_map, domain->work_name,\n\t\t\t &domain->work_key, 0);',
     '\t{\n\t\tstatic struct lock_class_key one;\n\n'
     '\t\tlockdep_init_map(&domain->work.work.lockdep_map, domain->work_name, &one, 0);\n\t}'),
    # design: holds finished in the order of the puts
    ('lifo',
     ['devhold_test_fifo'],
     '\tlist = llist_reverse_order(llist_del_all(&domain->pending));',
     '\tlist = llist_del_all(&domain->pending);'),
    # design: a counted domain's holds do not pin the module
    ('counted-pins-module',
     ['devhold_test_counted_domain'],
     '\tif (domain->flags & DEVHOLD_DOMAIN_EXIT_WAITS)\n\t\towner = NULL;',
     '\tif (0)\n\t\towner = NULL;'),
]
