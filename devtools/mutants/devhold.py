# Deliberately broken variants of lib/devhold.c: each must make the named
# devhold KUnit cases fail.  Used by devtools/mutants.sh ("make mutants").
# Entries: (name, cases that must fail, text to find, replacement).
FILE = 'lib/devhold.c'
SUITE = 'devhold'
TIER = 'uml'
MUTANTS = [
    ('ignored-try-module-get',
     ['devhold_test_going_owner'],
     '\tif (!try_module_get(owner)) {',
     '\t(void)try_module_get(owner);\n\tif (0) {'),
    ('synchronous-put',
     ['devhold_test_put_hardirq', 'devhold_test_put_spinlock_irqoff'],
     '\tdevhold_delay_set(hold);\n\tif (llist_add(&hold->node, &devhold_pending))',
     '\thold->ops->put(hold->obj);\n\tmodule_put(hold->owner);\n\treturn;\n\tdevhold_delay_set(hold);\n\tif (llist_add(&hold->node, &devhold_pending))'),
    ('module-put-first',
     ['devhold_test_get_put_balance'],
     '\thold->ops->put(hold->obj);\n\tmodule_put(hold->owner);',
     '\tmodule_put(hold->owner);\n\thold->ops->put(hold->obj);'),
    ('barrier-does-not-wait',
     ['devhold_test_barrier_waits'],
     '\tsynchronize_srcu(&domain->srcu);',
     '\t/* no wait */'),
    ('wait-idle-does-not-wait',
     ['devhold_test_wait_idle'],
     '\t\tif (wait_event_timeout(domain->wq,',
     '\t\tif (1 || wait_event_timeout(domain->wq,'),
    ('no-double-put-check',
     ['devhold_test_double_put'],
     '\tif (devhold_misuse(test_and_set_bit(DEVHOLD_PUT, &hold->flags),',
     '\tif (test_and_set_bit(DEVHOLD_PUT, &hold->flags) && 0 && devhold_misuse(1,'),
    ('drain-loses-count',
     ['devhold_test_list_contexts', 'devhold_test_concurrent'],
     '\tllist_for_each(node, first)\n\t\tn++;',
     '\tllist_for_each(node, first)\n\t\t;'),
    ('drain-touches-freed-list',
     ['devhold_test_list_frees_owner'],
     '\tatomic_long_sub(n, &list->depth);\n\tatomic_long_add(n, &list->drained);\n'
     '\ttrace_devhold_list_drain(list->name, n);\n'
     '\tllist_for_each_safe(node, next, first)\n\t\tlist->free(node);\n',
     '\tllist_for_each_safe(node, next, first)\n\t\tlist->free(node);\n'
     '\tatomic_long_sub(n, &list->depth);\n\tatomic_long_add(n, &list->drained);\n'
     '\ttrace_devhold_list_drain(list->name, n);\n'),
    ('fini-ignores-entries',
     ['devhold_test_list_fini_nonempty'],
     '\tif (devhold_misuse(!llist_empty(&list->head),',
     '\tif (0 && devhold_misuse(!llist_empty(&list->head),'),
    ('no-underflow-check',
     ['devhold_test_obj_underflow'],
     '\tlong n = atomic_long_dec_if_positive(&domain->nobjs);',
     '\tlong n = atomic_long_dec_return(&domain->nobjs);'),
    ('late-put-not-finished',
     ['devhold_test_put_after_destroy'],
     '\tdevhold_misuse(READ_ONCE(hold->domain->dead),',
     '\tif (READ_ONCE(hold->domain->dead))\n\t\treturn;\n\tdevhold_misuse(READ_ONCE(hold->domain->dead),'),
    ('no-auto-drain-work',
     ['devhold_test_list_auto_drain'],
     '\tif (first && (list->flags & DEVHOLD_LIST_AUTO_DRAIN))',
     '\tif (0 && first && (list->flags & DEVHOLD_LIST_AUTO_DRAIN))'),
]
