# Deliberately broken variants of lib/devhold_list.c (the deferred-free
# lists): each must make the named devhold KUnit cases fail.  Used by
# devtools/mutants.sh ("make mutants").  Entries: (name, cases that must
# fail, text to find, replacement).
FILE = 'lib/devhold_list.c'
SUITE = 'devhold'
TIER = 'uml'
MUTANTS = [
    ('drain-loses-count',
     ['devhold_test_list_contexts', 'devhold_test_concurrent'],
     '\tllist_for_each(node, first)\n\t\tn++;',
     '\tllist_for_each(node, first)\n\t\t;'),
    # a drain that looks at the list again after the free callbacks, to
    # catch what was pushed meanwhile: the last callback freed the list
    ('drain-touches-freed-list',
     ['devhold_test_list_frees_owner'],
     '\tllist_for_each_safe(node, next, first)\n\t\tfree(node);\n\treturn n;',
     '\tllist_for_each_safe(node, next, first)\n\t\tfree(node);\n'
     '\tif (!llist_empty(&list->head))\n\t\tn += devhold_list_drain(list);\n\treturn n;'),
    ('fini-ignores-entries',
     ['devhold_test_list_fini_nonempty'],
     '\tif (devhold_misused(!llist_empty(&list->head),',
     '\tif (0 && devhold_misused(!llist_empty(&list->head),'),
    ('no-auto-drain-work',
     ['devhold_test_list_auto_drain'],
     '\tif (first && auto_drain)\n\t\tqueue_work(devhold_wq, &list->work);',
     '\tif (0 && first && auto_drain)\n\t\tqueue_work(devhold_wq, &list->work);'),
    # defect 1: the push reads the list after publishing the entry
    ('push-reads-list-after-publish',
     ['devhold_test_list_push_publishes_last'],
     '\tif (first && auto_drain)\n\t\tqueue_work(devhold_wq, &list->work);',
     '\tif (first && (READ_ONCE(list->flags) & DEVHOLD_LIST_AUTO_DRAIN))\n'
     '\t\tqueue_work(devhold_wq, &list->work);'),
    # defect 2: an auto-drained list's teardown flushes its own work
    ('fini-flushes-own-work',
     ['devhold_test_list_auto_drain_frees_owner'],
     '\t\tif (current_work() == &list->work)\n\t\t\tcancel_work(&list->work);\n'
     '\t\telse\n\t\t\tflush_work(&list->work);',
     '\t\tflush_work(&list->work);'),
    # v3: a list flush that waits for the work without queueing it
    ('list-flush-misses-unkicked-push',
     ['devhold_test_list_flush_unkicked_push'],
     '\t\tqueue_work(devhold_wq, &list->work);\n\t\tflush_work(&list->work);\n'
     '\t\ttrace_devhold_list_flush(list->name);\n\t\treturn;',
     '\t\tflush_work(&list->work);\n'
     '\t\ttrace_devhold_list_flush(list->name);\n\t\tdevhold_list_drain(list);\n\t\treturn;'),
    # design: one lockdep class per list init site and per domain work
    ('one-list-work-class',
     ['devhold_test_work_classes'],
     '\tlockdep_init_map(&list->work.lockdep_map, "(work_completion)devhold_list", key, 0);',
     '\t{\n\t\tstatic struct lock_class_key one;\n\n'
     '\t\tlockdep_init_map(&list->work.lockdep_map, "devhold_list", &one, 0);\n\t}'),
]
