// SPDX-License-Identifier: GPL-2.0-only
/// Find two lifetime patterns that devhold (lib/devhold.c) replaces:
///
/// 1. A release callback (a work item, a kref, kobject or device release,
///    an RCU callback) that ends by putting its own module:
///    module_put(THIS_MODULE) as its last step.  The callback still has to
///    return into the module after the put, and the module can be freed in
///    between unless its exit drains the queue the callback runs on.  A
///    devhold hold puts the device and then the module from the library's
///    worker, so that no provider code runs after the module put.
///
/// 2. An open-coded deferred-free list: llist_add() and a queued or
///    scheduled work item in one function, and a work function that takes
///    the list with llist_del_all() and frees its entries.  A devhold list
///    (devhold_list_push() from any context, drained by its own work item,
///    reported at teardown when not empty) does the same.
///
/// Not every report is a bug or a candidate: a module whose exit drains the
/// queue of its self-pinning work is safe; lists fed from NMI, and frees
/// that must wait for an RCU grace period, must stay as they are (see
/// Documentation/core-api/devhold.rst).
//
// Confidence: Moderate
// Comments: Pattern 1 matches the callback's last statement only, and
//  callbacks whose parameter is a struct work_struct, kref, kobject,
//  device or rcu_head.  Pattern 2 pairs a push and a drain of the same
//  list (field or variable name) within one file.
// Options: --no-includes --include-headers

virtual context
virtual report
virtual org

@self_put@
type T;
identifier fn, arg;
position p;
@@
fn(T arg) {
  ...
  module_put@p(THIS_MODULE);
}

@script:python depends on self_put@
T << self_put.T;
@@
# Only release callbacks: work items, kref/kobject/device releases, RCU.
if T.replace(" ", "") not in ("structwork_struct*", "structkref*", "structkobject*",
                              "structdevice*", "structrcu_head*"):
	cocci.include_match(False)

@depends on context@
position self_put.p;
@@
* module_put@p(THIS_MODULE);

@push depends on report || org || context@
identifier pf, fld;
expression E, N;
position p;
@@
pf(...) {
<+...
(
llist_add@p(N, &E->fld)
|
llist_add@p(N, &E.fld)
|
llist_add@p(N, &fld)
)
...+>
}

@kick depends on push@
identifier push.pf;
@@
pf(...) {
<+...
(
queue_work(...)
|
queue_work_on(...)
|
schedule_work(...)
|
queue_delayed_work(...)
|
schedule_delayed_work(...)
|
mod_delayed_work(...)
)
...+>
}

@drain depends on kick@
identifier fn, w;
identifier push.fld;
expression E;
position q;
@@
fn(struct work_struct *w) {
<+...
(
llist_del_all@q(&E->fld)
|
llist_del_all@q(&E.fld)
|
llist_del_all@q(&fld)
)
...+>
}

@depends on context@
position drain.q;
@@
* llist_del_all@q(...)

@script:python depends on report@
p << self_put.p;
fn << self_put.fn;
@@
coccilib.report.print_report(p[0],
	"%s ends with module_put(THIS_MODULE): it returns into the module after the put; a devhold hold puts the module from the library" % fn)

@script:python depends on org@
p << self_put.p;
fn << self_put.fn;
@@
coccilib.org.print_todo(p[0], "%s ends with module_put(THIS_MODULE)" % fn)

@script:python depends on report@
p << push.p;
q << drain.q;
fn << drain.fn;
fld << push.fld;
@@
if p[0].file == q[0].file:
	coccilib.report.print_report(q[0],
		"%s drains an open-coded deferred-free list (%s, pushed at line %s): consider a devhold list" % (fn, fld, p[0].line))

@script:python depends on org@
p << push.p;
q << drain.q;
fn << drain.fn;
fld << push.fld;
@@
if p[0].file == q[0].file:
	coccilib.org.print_todo(q[0], "%s drains an open-coded deferred-free list (%s)" % (fn, fld))
