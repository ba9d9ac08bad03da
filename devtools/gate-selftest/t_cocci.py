"""The Coccinelle rule (scripts/coccinelle/api/devhold.cocci, run by
devtools/cocci.sh in make static and make cocci-scan): "FAILED" here means
the rule reported the file, as make static fails on a report in the
series' code; each pattern it exists for must be reported, and the near
misses must not."""
import os

import run as r

SCRIPT = r.REPO / 'devtools/cocci.sh'
RULE = r.REPO / 'scripts/coccinelle/api/devhold.cocci'


def spatch(mode, files, needle):
    """spatch -D MODE on FILES (name -> code) given together, as a list of
    files on one command line; status 1 when the output has NEEDLE."""
    def fn(tmp):
        for name, code in files.items():
            (tmp / name).write_text(code)
        st, out = r.run(['spatch', '--very-quiet', '-D', mode, '--no-includes',
                         '--include-headers', '--sp-file', str(RULE)] + sorted(files), cwd=tmp)
        if st:
            return 2, out
        return (1 if needle in out else 0), out
    return fn


EXEMPT = r.REPO / 'devtools/cocci-exempt.txt'


def exempt(lines):
    """cocci.sh filter on the series' reports: FAILED when one is not exempt."""
    return lambda tmp: r.run(['bash', SCRIPT, 'filter', EXEMPT], stdin=''.join(l + '\n' for l in lines))


def cocci(code, rule=None):
    def fn(tmp):
        (tmp / 'foo.c').write_text(code)
        path = RULE
        if rule is not None:
            path = tmp / 'broken.cocci'
            path.write_text(rule)
        return r.run(['bash', SCRIPT, 'files', tmp, 'foo.c'], env=dict(os.environ, RULE=str(path)))
    return fn


WORK_SELF_PUT = '''
static void foo_release_work(struct work_struct *work)
{
	struct foo *foo = container_of(work, struct foo, release_work);

	kfree(foo);
	module_put(THIS_MODULE);
}
'''

KREF_SELF_PUT = '''
static void foo_release(struct kref *ref)
{
	kfree(container_of(ref, struct foo, ref));
	module_put(THIS_MODULE);
}
'''

PUT_NOT_LAST = '''
static void foo_work(struct work_struct *work)
{
	module_put(THIS_MODULE);
	foo_more(work);
}
'''

OTHER_PARAM = '''
static void foo_close(struct foo *foo)
{
	kfree(foo);
	module_put(THIS_MODULE);
}
'''

LIST = '''
static void foo_free_work(struct work_struct *work)
{
	struct foo_dev *fd = container_of(work, struct foo_dev, free_work);
	struct llist_node *node = llist_del_all(&fd->free_list);
	struct foo *f, *t;

	llist_for_each_entry_safe(f, t, node, link)
		kfree(f);
}

void foo_put(struct foo_dev *fd, struct foo *f)
{
	if (llist_add(&f->link, &fd->free_list))
		queue_work(system_wq, &fd->free_work);
}
'''

GLOBAL_LIST = '''
static LLIST_HEAD(foo_list);

static void foo_free_work(struct work_struct *work)
{
	struct llist_node *node = llist_del_all(&foo_list);
	struct foo *f, *t;

	llist_for_each_entry_safe(f, t, node, link)
		kfree(f);
}

static DECLARE_WORK(foo_work, foo_free_work);

void foo_put(struct foo *f)
{
	llist_add(&f->link, &foo_list);
	schedule_work(&foo_work);
}
'''

# The same list, drained from a plain function, not a work item.
LIST_NOT_IN_WORK = LIST.replace(
    'static void foo_free_work(struct work_struct *work)\n{\n'
    '\tstruct foo_dev *fd = container_of(work, struct foo_dev, free_work);\n',
    'void foo_drain(struct foo_dev *fd)\n{\n')
assert LIST_NOT_IN_WORK != LIST

EARLY_RETURN = '''static void c_work(struct work_struct *work)
{
	struct foo *foo = container_of(work, struct foo, w);

	if (foo->early) {
		module_put(THIS_MODULE);
		return;
	}
	kfree(foo);
	module_put(THIS_MODULE);
}
'''

DEV_RELEASE = '''
static void foo_dev_release(struct device *dev)
{
	kfree(to_foo(dev));
	module_put(THIS_MODULE);
}

static int foo_add(struct foo *foo)
{
	foo->dev.release = foo_dev_release;
	return device_register(&foo->dev);
}
'''

DEV_REMOVE = '''
static void foo_remove(struct device *dev)
{
	foo_stop(to_foo(dev));
	module_put(THIS_MODULE);
}

static struct bus_type foo_bus = {
	.remove = foo_remove,
};
'''

CASES = [
    ('cocci: a work item that ends by putting its own module', 'FAILED', cocci(WORK_SELF_PUT)),
    ('cocci: a kref release that ends by putting its own module', 'FAILED', cocci(KREF_SELF_PUT)),
    ('cocci: a work item that puts its module before more work', 'PASS', cocci(PUT_NOT_LAST)),
    ('cocci: a function of another kind ending in module_put(THIS_MODULE)', 'PASS',
     cocci(OTHER_PARAM)),
    ('cocci: a deferred-free list pushed with a work queued, drained in the work', 'FAILED',
     cocci(LIST)),
    ('cocci: a global deferred-free list', 'FAILED', cocci(GLOBAL_LIST)),
    ('cocci: a list drained outside a work item', 'PASS', cocci(LIST_NOT_IN_WORK)),
    ('cocci: a work item ending in module_put(THIS_MODULE); return;', 'FAILED',
     cocci(WORK_SELF_PUT.replace('module_put(THIS_MODULE);\n', 'module_put(THIS_MODULE);\n\treturn;\n'))),
    ('cocci: a work item whose last put is conditional', 'FAILED',
     cocci(WORK_SELF_PUT.replace('\tmodule_put(THIS_MODULE);\n',
                                 '\tif (foo->pinned)\n\t\tmodule_put(THIS_MODULE);\n'))),
    ('cocci: a device release callback ending in module_put(THIS_MODULE)', 'FAILED',
     cocci(DEV_RELEASE)),
    ('cocci: a struct device callback that is not a release (a bus remove)', 'PASS',
     cocci(DEV_REMOVE)),
    ('cocci: context mode stars the self-put', 'FAILED',
     spatch('context', {'foo.c': WORK_SELF_PUT}, '-\tmodule_put(THIS_MODULE);')),
    ('cocci: context mode stars the push', 'FAILED',
     spatch('context', {'foo.c': LIST}, '-\tif (llist_add(')),
    ('cocci: context mode stars the drain', 'FAILED',
     spatch('context', {'foo.c': LIST}, '-\tstruct llist_node *node = llist_del_all(')),
    ('cocci: a self-put beside a drain whose push is in another file (report)', 'FAILED',
     spatch('report', {'a.c': WORK_SELF_PUT + LIST.split('void foo_put')[0],
                       'b.c': 'void foo_put' + LIST.split('void foo_put')[1]},
            'WARNING: foo_release_work')),
    ('cocci: a self-put beside a drain whose push is in another file (org)', 'FAILED',
     spatch('org', {'a.c': WORK_SELF_PUT + LIST.split('void foo_put')[0],
                    'b.c': 'void foo_put' + LIST.split('void foo_put')[1]},
            'foo_release_work ends with')),
    ('cocci: ... and no list report across the two files', 'PASS',
     spatch('report', {'a.c': WORK_SELF_PUT + LIST.split('void foo_put')[0],
                       'b.c': 'void foo_put' + LIST.split('void foo_put')[1]}, 'INFO:')),
    ('cocci: both puts of a work item with an early return reported', 'FAILED',
     spatch('report', {'c.c': EARLY_RETURN}, 'c.c:10:')),
    ('cocci: org mode lists the list', 'FAILED',
     spatch('org', {'foo.c': LIST}, 'foo_free_work drains')),
    ('cocci: a push in one file, a drain in another, given together', 'PASS',
     spatch('report', {'a.c': LIST.split('void foo_put')[0],
                       'b.c': 'void foo_put' + LIST.split('void foo_put')[1]}, 'drains')),
    ("cocci: static: the library's own list, the exempt report", 'PASS',
     exempt(['lib/devhold.c:562:28-41: INFO: devhold_work_fn drains an open-coded '
             'deferred-free list (pending): consider a devhold list'])),
    ('cocci: static: a report on the series that is not exempt', 'FAILED',
     exempt(['drivers/gpu/drm/drm_connector.c:214:9-22: INFO: drm_connector_free_work_fn '
             'drains an open-coded deferred-free list (connector_free_list): consider a devhold list'])),
    ('cocci: static: the exempt function, in another file', 'FAILED',
     exempt(['lib/other.c:1:1-2: INFO: devhold_work_fn drains an open-coded '
             'deferred-free list (pending): consider a devhold list'])),
    # spatch failing must not read as "no report".
    ('cocci: a rule that does not parse, on a file with nothing to report', 'FAILED',
     cocci(PUT_NOT_LAST, rule='virtual report\n@r@\n@@\n- foo(\n')),
]
