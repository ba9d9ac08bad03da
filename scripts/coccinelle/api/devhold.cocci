// SPDX-License-Identifier: GPL-2.0-only
/// Find two lifetime patterns that devhold (lib/devhold.c) replaces:
///
/// 1. A release callback (a work item, a kref, kobject or device release,
///    an RCU callback) that ends by putting its own module:
///    module_put(THIS_MODULE) as its last step.  Unless the compiler makes
///    the put a tail call (x86_64 does without frame pointers), the callback
///    returns into the module after the put, and the module can be freed in
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
// Comments: Pattern 1 matches the callback's last statement (also under
//  an if, or before a return) in callbacks whose parameter is a struct
//  work_struct, kthread_work, kref, kobject, rcu_head or tty_port, and in
//  struct device callbacks assigned to a .release in the same file; in
//  built-in code THIS_MODULE is NULL and the put does nothing.  Pattern 2
//  pairs a push and a drain of the same list by its field or variable
//  name only (generic names such as "list" can pair unrelated lists),
//  within one file.  Missed: a drain in a helper called from the work or
//  in a kthread_work; a final put in both branches of a trailing if/else;
//  a struct class .dev_release.
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
(
  module_put@p(THIS_MODULE);
|
  if (...) module_put@p(THIS_MODULE);
)
  return;
}

@script:python depends on self_put@
T << self_put.T;
fn << self_put.fn;
@@
t = T.replace(" ", "")
if t not in ("structwork_struct*", "structkref*", "structkobject*",
               "structrcu_head*", "structkthread_work*", "structtty_port*"):
	cocci.include_match(False)

@devrel@
identifier rf, I, S;
expression E;
@@
(
E.release = rf;
|
E->release = rf;
|
struct S I = { ..., .release = rf, ... };
)

@self_put_dev@
identifier devrel.rf, arg;
position p;
@@
rf(struct device *arg) {
  ...
(
  module_put@p(THIS_MODULE);
|
  if (...) module_put@p(THIS_MODULE);
)
  return;
}

@depends on context@
position self_put_dev.p;
@@
* module_put@p(THIS_MODULE);

@depends on context@
position self_put.p;
@@
* module_put@p(THIS_MODULE);

@script:python depends on report@
p << self_put.p;
fn << self_put.fn;
@@
for pp in p:
	coccilib.report.print_report(pp,
		"WARNING: %s ends with module_put(THIS_MODULE): it may return into the module after the put; a devhold hold puts the module from the library" % fn)

@script:python depends on report@
p << self_put_dev.p;
fn << devrel.rf;
@@
for pp in p:
	coccilib.report.print_report(pp,
		"WARNING: %s ends with module_put(THIS_MODULE): it may return into the module after the put; a devhold hold puts the module from the library" % fn)

@script:python depends on org@
p << self_put.p;
fn << self_put.fn;
@@
for pp in p:
	coccilib.org.print_todo(pp, "%s ends with module_put(THIS_MODULE)" % fn)

@script:python depends on org@
p << self_put_dev.p;
fn << devrel.rf;
@@
for pp in p:
	coccilib.org.print_todo(pp, "%s ends with module_put(THIS_MODULE)" % fn)

// The self-put reports come before the list rules: the same-file filter
// below (cocci.include_match(False)) drops whole environments, and with
// them any self-put bindings not reported yet.
@push depends on report || org || context@
identifier pf, fld;
expression E, N;
position p, fp;
@@
pf@fp(...) {
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

@kick@
identifier push.pf;
position push.fp;
@@
pf@fp(...) {
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
|
queue_delayed_work_on(...)
|
mod_delayed_work_on(...)
|
queue_rcu_work(...)
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

@script:python pair@
p << push.p;
q << drain.q;
@@
if p[0].file != q[0].file:
	cocci.include_match(False)

@depends on context@
position drain.q;
@@
* llist_del_all@q(...)

@depends on context@
position push.p;
@@
* llist_add@p(...)

@script:python depends on report@
q << drain.q;
fn << drain.fn;
fld << push.fld;
@@
coccilib.report.print_report(q[0],
	"INFO: %s drains an open-coded deferred-free list (%s): consider a devhold list" % (fn, fld))

@script:python depends on org@
q << drain.q;
fn << drain.fn;
fld << push.fld;
@@
coccilib.org.print_todo(q[0], "%s drains an open-coded deferred-free list (%s)" % (fn, fld))
