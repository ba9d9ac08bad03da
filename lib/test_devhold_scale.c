// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of devhold, measured in the manner of kernel/rcu/refscale.c, next
 * to the primitives it is made of, the open-coded patterns it replaces and
 * the alternative upstream merged (a plain device count).
 *
 * Each timed operation runs @loops times in each of @nreaders kernel
 * threads, @nruns times; a run's figure is the mean cost per operation
 * over its readers, and the table gives the median, lowest and highest run.
 * The operations that are not per-call costs (barriers, isolation, latency
 * and barriers under load, drain, memory) are measured once per run from
 * one thread.
 *
 * It prints figures only.  The targets, and whether a run meets them, are
 * devtools/bench.sh's, which reads these lines; a figure that could not be
 * measured is printed as such, or not at all, never as a number.
 *
 * Built in (the timing kernel of "make bench"), its initcall starts a thread
 * when scale_type is set on the command line.  The thread waits until boot
 * has ended: until then RCU expedites every grace period, and the barriers
 * would be timed expedited against expedited.  (SRCU still expedites a grace
 * period it finds idle, boot or not.)  When done, it powers the machine off
 * if shutdown is set.  As a module, it runs at load and then fails the load
 * on purpose (-EAGAIN): a one-shot measurement does not stay loaded.  The
 * start line says whether boot had ended.
 *
 * Each op's figure is the callers' cost per operation; for the deferred
 * ones the end-to-end cost (until the last release is finished) is given
 * too.  Readers are bound to CPUs in turn.
 */

#define pr_fmt(fmt) "devhold_scale: " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/devhold.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include <kunit/devhold.h>

/* For the sizes of a VM's members that the series changes. */
#include <drm/drm_gpuvm.h>

#include "devhold_internal.h"

static char *scale_type = "";
module_param(scale_type, charp, 0444);
MODULE_PARM_DESC(scale_type, "Operations to measure: \"all\", or one name of the table");

#define SCALE_MAX_LOOPS	10000000L

static long loops = 10000;
module_param(loops, long, 0444);
MODULE_PARM_DESC(loops, "Operations per reader and run");

static int nreaders = -1;
module_param(nreaders, int, 0444);
MODULE_PARM_DESC(nreaders, "Readers per run; -1: one table with 1, one with every CPU");

static int nruns = 11;
module_param(nruns, int, 0444);
MODULE_PARM_DESC(nruns, "Runs per operation (the table gives their median)");

static bool shutdown;
module_param(shutdown, bool, 0444);
MODULE_PARM_DESC(shutdown, "Power off when done (the timing kernel)");

#define SCALE_DRAIN	100000	/* holds drained at a module exit */
#define SCALE_SAMPLES	200	/* release latencies per run */
#define SCALE_BARRIERS	8	/* barriers per run */
#define SCALE_LOAD_BATCH 256	/* holds each loading thread puts per flush */

/* The provider object: a reference count that never drops to zero. */
struct scale_obj {
	struct kref ref;
};

static void scale_obj_nop(struct kref *ref)
{
	WARN(1, "devhold_scale: the object's base reference was dropped\n");
}

static void scale_obj_get(void *obj)
{
	kref_get(&((struct scale_obj *)obj)->ref);
}

static void scale_obj_put(void *obj)
{
	kref_put(&((struct scale_obj *)obj)->ref, scale_obj_nop);
}

static const struct devhold_ops scale_obj_ops = {
	.get = scale_obj_get,
	.put = scale_obj_put,
};

/* What the runs share; made once, freed at the end. */
static struct scale_obj *scale_obj;
/* The provider module: this one, or a stand-in when built in. */
static struct module *scale_mod, *scale_stand_in;
static struct devhold_domain *scale_counted, *scale_pinning;
static struct devhold_list scale_list;
static struct srcu_struct scale_srcu, scale_srcu_fast;
static atomic_t scale_count;

/*
 * The queue of the open-coded release.  7.3 calls schedule_work(): a per-CPU
 * queue, whose work runs on the CPU that put, charged to the reader being
 * timed; devhold's release work runs on an unbound queue (devhold_wq in
 * lib/devhold.c) and may run on another CPU.  The two are charged alike
 * only on the same kind of queue: unbound, and not WQ_MEM_RECLAIM, as
 * devhold's.
 */
static struct workqueue_struct *scale_wq;

/*
 * 7.3's drm_pagemap provider hold, open-coded: kzalloc + pins, llist + work
 * (on scale_wq, above).
 */
struct open73_hold {
	struct llist_node link;
	struct scale_obj *obj;
	struct module *owner;
};

static LLIST_HEAD(open73_list);

static void open73_work_fn(struct work_struct *work)
{
	struct llist_node *node = llist_del_all(&open73_list);
	struct open73_hold *h, *next;

	llist_for_each_entry_safe(h, next, node, link) {
		scale_obj_put(h->obj);
		module_put(h->owner);
		kfree(h);
	}
}

static DECLARE_WORK(open73_work, open73_work_fn);

static struct open73_hold *open73_get(void)
{
	struct open73_hold *h = kzalloc_obj(*h);

	if (!h)
		return NULL;
	init_llist_node(&h->link);
	h->obj = scale_obj;
	h->owner = scale_mod;
	(void)try_module_get(h->owner);
	scale_obj_get(h->obj);
	return h;
}

static void open73_put(struct open73_hold *h)
{
	llist_add(&h->link, &open73_list);
	queue_work(scale_wq, &open73_work);
}

static void scale_list_free(struct llist_node *node)
{
}

/* One reader of one run. */
struct scale_reader {
	long n;
	void **slots;			/* prepared holds */
	struct llist_node *nodes;	/* prepared list entries */
	struct devhold_release_section section;
	u64 ns;
	int err;
};

struct scale_op {
	const char *name;
	const char *what;
	int (*prepare)(struct scale_reader *r);	/* untimed */
	void (*run)(struct scale_reader *r);		/* timed */
	void (*settle)(void);				/* untimed, after all readers */
};

static int scale_prepare_slots(struct scale_reader *r)
{
	r->slots = kvcalloc(r->n, sizeof(*r->slots), GFP_KERNEL);
	return r->slots ? 0 : -ENOMEM;
}

static int scale_prepare_nodes(struct scale_reader *r)
{
	r->nodes = kvcalloc(r->n, sizeof(*r->nodes), GFP_KERNEL);
	return r->nodes ? 0 : -ENOMEM;
}

static void scale_settle_holds(void)
{
	devhold_domain_flush(scale_counted);
	devhold_domain_flush(scale_pinning);
	flush_work(&open73_work);
}

/* devhold_get() + devhold_put_deferred(), @r->n times: the hold's whole fast path. */
static void scale_hold_loop(struct scale_reader *r, struct devhold_domain *domain,
			    struct module *owner)
{
	struct devhold *h;
	long i;

	for (i = 0; i < r->n; i++) {
		h = devhold_get(domain, &scale_obj_ops, scale_obj, owner, GFP_KERNEL);
		if (IS_ERR(h)) {
			r->err = PTR_ERR(h);
			return;
		}
		devhold_put_deferred(h);
	}
}

static void run_hold_dev(struct scale_reader *r)
{
	scale_hold_loop(r, scale_counted, NULL);
}

static void run_hold_mod(struct scale_reader *r)
{
	scale_hold_loop(r, scale_pinning, scale_mod);
}

static void run_open73(struct scale_reader *r)
{
	struct open73_hold *h;
	long i;

	for (i = 0; i < r->n; i++) {
		h = open73_get();
		if (!h) {
			r->err = -ENOMEM;
			return;
		}
		open73_put(h);
	}
}

static void run_sync_dev(struct scale_reader *r)
{
	long i;

	for (i = 0; i < r->n; i++) {
		scale_obj_get(scale_obj);
		scale_obj_put(scale_obj);
	}
}

static void run_sync_mod(struct scale_reader *r)
{
	long i;

	for (i = 0; i < r->n; i++) {
		(void)try_module_get(scale_mod);
		scale_obj_get(scale_obj);
		scale_obj_put(scale_obj);
		module_put(scale_mod);
	}
}

static int prepare_put_devhold(struct scale_reader *r)
{
	long i;

	if (scale_prepare_slots(r))
		return -ENOMEM;
	for (i = 0; i < r->n; i++) {
		r->slots[i] = devhold_get(scale_counted, &scale_obj_ops, scale_obj, NULL,
					  GFP_KERNEL);
		if (IS_ERR(r->slots[i])) {
			while (i--)
				devhold_put_deferred(r->slots[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

static void run_put_devhold(struct scale_reader *r)
{
	long i;

	for (i = 0; i < r->n; i++)
		devhold_put_deferred(r->slots[i]);
}

static int prepare_put_llist(struct scale_reader *r)
{
	long i;

	if (scale_prepare_slots(r))
		return -ENOMEM;
	for (i = 0; i < r->n; i++) {
		r->slots[i] = open73_get();
		if (!r->slots[i]) {
			while (i--)
				open73_put(r->slots[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

static void run_put_llist(struct scale_reader *r)
{
	long i;

	for (i = 0; i < r->n; i++)
		open73_put(r->slots[i]);
}

static int prepare_put_kref(struct scale_reader *r)
{
	long i;

	for (i = 0; i < r->n; i++)
		scale_obj_get(scale_obj);
	return 0;
}

static void run_put_kref(struct scale_reader *r)
{
	long i;

	for (i = 0; i < r->n; i++)
		scale_obj_put(scale_obj);
}

static void run_push_devhold(struct scale_reader *r)
{
	long i;

	for (i = 0; i < r->n; i++)
		devhold_list_push(&scale_list, &r->nodes[i]);
}

static LLIST_HEAD(scale_llist);

static void run_push_llist(struct scale_reader *r)
{
	long i;

	for (i = 0; i < r->n; i++)
		llist_add(&r->nodes[i], &scale_llist);
}

static void settle_lists(void)
{
	devhold_list_drain(&scale_list);
	llist_del_all(&scale_llist);
}

static void run_section_devhold(struct scale_reader *r)
{
	long i;

	for (i = 0; i < r->n; i++) {
		devhold_release_begin(scale_counted, &r->section);
		devhold_release_end(scale_counted, &r->section);
	}
}

static void run_section_srcu(struct scale_reader *r)
{
	long i;
	int idx;

	for (i = 0; i < r->n; i++) {
		idx = srcu_read_lock(&scale_srcu);
		srcu_read_unlock(&scale_srcu, idx);
	}
}

static void run_section_srcu_fast(struct scale_reader *r)
{
	struct srcu_ctr __percpu *scp;
	long i;

	for (i = 0; i < r->n; i++) {
		scp = srcu_read_lock_fast(&scale_srcu_fast);
		srcu_read_unlock_fast(&scale_srcu_fast, scp);
	}
}

/* Per device: counted, as drm_dev_init() and drm_dev_release() do (the section apart). */
static void run_count_devhold(struct scale_reader *r)
{
	long i;

	for (i = 0; i < r->n; i++) {
		devhold_domain_obj_add(scale_counted);
		devhold_domain_obj_del(scale_counted);
	}
}

/* Per device: a plain count, woken at zero (no release section). */
static void run_count_atomic(struct scale_reader *r)
{
	long i;

	for (i = 0; i < r->n; i++) {
		atomic_inc(&scale_count);
		if (atomic_dec_and_test(&scale_count))
			wake_up_var(&scale_count);
	}
}

static const struct scale_op scale_ops[] = {
	{ "hold-dev", "devhold_get+put, counted domain (device only)",
	  NULL, run_hold_dev, scale_settle_holds },
	{ "hold-mod", "devhold_get+put, module-pinning domain",
	  NULL, run_hold_mod, scale_settle_holds },
	{ "open73", "7.3 drm_pagemap: kzalloc+pins, llist_add+queue_work (unbound)",
	  NULL, run_open73, scale_settle_holds },
	{ "sync-dev", "floor: get+put of the object, no deferral",
	  NULL, run_sync_dev, NULL },
	{ "sync-mod", "floor: module and object get+put, no deferral",
	  NULL, run_sync_mod, NULL },
	{ "put-devhold", "release only: devhold_put_deferred",
	  prepare_put_devhold, run_put_devhold, scale_settle_holds },
	{ "put-llist", "release only: llist_add+queue_work (unbound)",
	  prepare_put_llist, run_put_llist, scale_settle_holds },
	{ "put-kref", "release only: kref_put to non-zero",
	  prepare_put_kref, run_put_kref, NULL },
	{ "push-devhold", "devhold_list_push",
	  scale_prepare_nodes, run_push_devhold, settle_lists },
	{ "push-llist", "llist_add",
	  scale_prepare_nodes, run_push_llist, settle_lists },
	{ "section-devhold", "devhold_release_begin+end (in a task)",
	  NULL, run_section_devhold, NULL },
	{ "section-srcu", "srcu_read_lock+unlock",
	  NULL, run_section_srcu, NULL },
	{ "section-srcu-fast", "srcu_read_lock_fast+unlock_fast",
	  NULL, run_section_srcu_fast, NULL },
	{ "count-devhold", "per device: obj_add, obj_del (section apart)",
	  NULL, run_count_devhold, NULL },
	{ "count-atomic", "per device: atomic inc, dec_and_test+wake_up_var",
	  NULL, run_count_atomic, NULL },
};

/* One run of one operation: its readers start together. */
struct scale_run {
	const struct scale_op *op;
	struct scale_reader *readers;
	struct task_struct **tasks;
	int n;
	atomic_t unready, running;
	struct completion ready, done;
	bool go;
	wait_queue_head_t wq;
};

struct scale_arg {
	struct scale_run *run;
	struct scale_reader *r;
};

/*
 * The reader reports through the run's completions, then waits for
 * kthread_stop(): the run, and the module's code, outlive it.
 */
static int scale_reader_fn(void *arg)
{
	struct scale_arg *a = arg;
	struct scale_run *run = a->run;
	struct scale_reader *r = a->r;
	u64 t0;

	if (run->op->prepare)
		r->err = run->op->prepare(r);
	if (atomic_dec_and_test(&run->unready))
		complete(&run->ready);
	wait_event(run->wq, READ_ONCE(run->go));
	if (!r->err) {
		t0 = ktime_get_ns();
		run->op->run(r);
		r->ns = ktime_get_ns() - t0;
	}
	/* Ordered before the main thread reads r: a full barrier. */
	if (atomic_dec_and_test(&run->running))
		complete(&run->done);
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void scale_reader_free(struct scale_reader *r)
{
	kvfree(r->slots);
	kvfree(r->nodes);
	r->slots = NULL;
	r->nodes = NULL;
}

/*
 * Picoseconds per operation of one run: the readers' own time (*caller)
 * and the time from their start until the deferred work is done (*e2e).
 * Both 0 when the run failed.
 */
static void scale_one_run(const struct scale_op *op, int n, u64 *caller, u64 *e2e)
{
	struct scale_arg *args = NULL;
	struct scale_run *run;
	u64 ns = 0, ops = 0, t0;
	int i, started = 0, err = 0;

	*caller = 0;
	*e2e = 0;
	run = kzalloc_obj(*run);
	if (!run)
		return;
	run->readers = kcalloc(n, sizeof(*run->readers), GFP_KERNEL);
	run->tasks = kcalloc(n, sizeof(*run->tasks), GFP_KERNEL);
	args = kcalloc(n, sizeof(*args), GFP_KERNEL);
	if (!run->readers || !run->tasks || !args)
		goto out;
	run->op = op;
	run->n = n;
	atomic_set(&run->unready, n);
	atomic_set(&run->running, n);
	init_completion(&run->ready);
	init_completion(&run->done);
	init_waitqueue_head(&run->wq);
	for (i = 0; i < n; i++) {
		struct task_struct *task;

		run->readers[i].n = loops;
		args[i].run = run;
		args[i].r = &run->readers[i];
		task = kthread_create(scale_reader_fn, &args[i], "devhold_scale/%d", i);
		if (IS_ERR(task))
			break;
		kthread_bind(task, cpumask_nth(i % num_online_cpus(), cpu_online_mask));
		get_task_struct(task);
		run->tasks[i] = task;
		started++;
	}
	/* Readers that could not start are ready and done already. */
	for (i = started; i < n; i++) {
		atomic_dec(&run->unready);
		atomic_dec(&run->running);
	}
	if (!started)
		goto out;
	for (i = 0; i < started; i++)
		wake_up_process(run->tasks[i]);
	wait_for_completion(&run->ready);
	t0 = ktime_get_ns();
	WRITE_ONCE(run->go, true);
	wake_up_all(&run->wq);
	wait_for_completion(&run->done);
	if (op->settle)
		op->settle();
	t0 = ktime_get_ns() - t0;
	for (i = 0; i < started; i++) {
		kthread_stop(run->tasks[i]);
		put_task_struct(run->tasks[i]);
		err = err ?: run->readers[i].err;
		ns += run->readers[i].ns;
		ops += run->readers[i].n;
		scale_reader_free(&run->readers[i]);
	}
	if (started == n && !err && ops) {
		*caller = div64_u64(ns * 1000, ops);
		/* The readers ran in parallel: the wall time covers all of them. */
		*e2e = div64_u64(t0 * 1000 * n, ops);
	} else {
		pr_err("%s: %d of %d readers started, error %d\n", op->name, started, n, err);
	}
out:
	kfree(args);
	kfree(run->tasks);
	kfree(run->readers);
	kfree(run);
}

static int scale_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Median, lowest and highest of the runs that gave a figure. */
struct scale_figure {
	u64 med, min, max;
	int valid;
};

static struct scale_figure scale_summarise(u64 *v, int n)
{
	struct scale_figure f = {};
	int z = 0;

	sort(v, n, sizeof(*v), scale_cmp_u64, NULL);
	while (z < n && !v[z])
		z++;
	f.valid = n - z;
	if (!f.valid)
		return f;
	/* The lower median of an even count. */
	f.med = v[z + (f.valid - 1) / 2];
	f.min = v[z];
	f.max = v[n - 1];
	return f;
}

/* Picoseconds as nanoseconds with two decimals. */
static const char *scale_ns(char *buf, size_t len, u64 ps)
{
	snprintf(buf, len, "%llu.%02u", div_u64(ps, 1000), (u32)(div_u64(ps, 10) % 100));
	return buf;
}

static bool scale_wanted(const char *name)
{
	return !strcmp(scale_type, "all") || !strcmp(scale_type, name);
}

/* The per-operation table for @n readers; fills @med (ps per op) by index. */
static void scale_table(int n, u64 *med)
{
	u64 *v = kcalloc(nruns, sizeof(*v), GFP_KERNEL);
	u64 *e = kcalloc(nruns, sizeof(*e), GFP_KERNEL);
	char med_s[24], min_s[24], max_s[24], e2e_s[24];
	struct scale_figure f, fe;
	int i, k;

	if (!v || !e)
		goto out;
	pr_info("readers=%d: %-18s %12s %10s %10s %12s  %s\n", n, "op", "median ns/op",
		"min", "max", "end-to-end", "what");
	for (i = 0; i < ARRAY_SIZE(scale_ops); i++) {
		if (!scale_wanted(scale_ops[i].name))
			continue;
		for (k = 0; k < nruns; k++)
			scale_one_run(&scale_ops[i], n, &v[k], &e[k]);
		f = scale_summarise(v, nruns);
		fe = scale_summarise(e, nruns);
		med[i] = f.med;
		pr_info("readers=%d: %-18s %12s %10s %10s %12s  %s%s\n", n, scale_ops[i].name,
			scale_ns(med_s, sizeof(med_s), f.med),
			scale_ns(min_s, sizeof(min_s), f.min),
			scale_ns(max_s, sizeof(max_s), f.max),
			scale_ops[i].settle ? scale_ns(e2e_s, sizeof(e2e_s), fe.med) : "-",
			scale_ops[i].what, f.valid == nruns ? "" : " (some runs failed)");
	}
out:
	kfree(e);
	kfree(v);
}

/* Barrier latency, idle: devhold's against the SRCU primitives. */
static void scale_barriers(void)
{
	u64 *v[3] = {}, dh, srcu, exp;
	u64 t0;
	int i, k, b;

	for (i = 0; i < 3; i++) {
		v[i] = kcalloc(nruns, sizeof(u64), GFP_KERNEL);
		if (!v[i])
			goto out;
	}
	for (k = 0; k < nruns; k++) {
		t0 = ktime_get_ns();
		for (b = 0; b < SCALE_BARRIERS; b++)
			devhold_release_barrier(scale_counted);
		v[0][k] = div_u64(ktime_get_ns() - t0, SCALE_BARRIERS);
		t0 = ktime_get_ns();
		for (b = 0; b < SCALE_BARRIERS; b++)
			synchronize_srcu(&scale_srcu_fast);
		v[1][k] = div_u64(ktime_get_ns() - t0, SCALE_BARRIERS);
		t0 = ktime_get_ns();
		for (b = 0; b < SCALE_BARRIERS; b++)
			synchronize_srcu_expedited(&scale_srcu_fast);
		v[2][k] = div_u64(ktime_get_ns() - t0, SCALE_BARRIERS);
	}
	dh = scale_summarise(v[0], nruns).med;
	srcu = scale_summarise(v[1], nruns).med;
	exp = scale_summarise(v[2], nruns).med;
	if (!dh || !srcu || !exp) {
		pr_err("barrier: not measured\n");
		goto out;
	}
	pr_info("barrier (idle, median of %d runs): devhold_release_barrier %llu ns, synchronize_srcu %llu ns, synchronize_srcu_expedited %llu ns\n",
		nruns, dh, srcu, exp);
out:
	for (i = 0; i < 3; i++)
		kfree(v[i]);
}

/*
 * Isolation: release latency (put to ops->put) in domain B, and the time of
 * a flush of B, while domain A's release work is blocked in a put callback,
 * against the same with A idle.
 */
struct scale_iso {
	struct completion a_in_put, a_go, b_done;
	u64 b_put_at;
	u64 b_lat;
};

static struct scale_iso *scale_iso;

static void iso_a_put(void *obj)
{
	complete(&scale_iso->a_in_put);
	wait_for_completion(&scale_iso->a_go);
}

static void iso_b_put(void *obj)
{
	scale_iso->b_lat = ktime_get_ns() - READ_ONCE(scale_iso->b_put_at);
	complete(&scale_iso->b_done);
}

static const struct devhold_ops iso_a_ops = { .put = iso_a_put };
static const struct devhold_ops iso_b_ops = { .put = iso_b_put };

/* Median release latency of B over SCALE_SAMPLES puts, and its p99. */
static int scale_iso_sample(struct devhold_domain *b, u64 *p50, u64 *p99, u64 *flush)
{
	u64 *lat = kcalloc(SCALE_SAMPLES, sizeof(*lat), GFP_KERNEL);
	struct devhold *h;
	u64 t0;
	int i;

	if (!lat)
		return -ENOMEM;
	for (i = 0; i < SCALE_SAMPLES; i++) {
		h = devhold_get(b, &iso_b_ops, scale_obj, NULL, GFP_KERNEL);
		if (IS_ERR(h)) {
			kfree(lat);
			return PTR_ERR(h);
		}
		reinit_completion(&scale_iso->b_done);
		WRITE_ONCE(scale_iso->b_put_at, ktime_get_ns());
		devhold_put_deferred(h);
		wait_for_completion(&scale_iso->b_done);
		lat[i] = scale_iso->b_lat;
	}
	sort(lat, SCALE_SAMPLES, sizeof(*lat), scale_cmp_u64, NULL);
	*p50 = lat[SCALE_SAMPLES / 2];
	*p99 = lat[DIV_ROUND_UP(SCALE_SAMPLES * 99, 100) - 1];
	h = devhold_get(b, &iso_b_ops, scale_obj, NULL, GFP_KERNEL);
	if (IS_ERR(h)) {
		kfree(lat);
		return PTR_ERR(h);
	}
	reinit_completion(&scale_iso->b_done);
	t0 = ktime_get_ns();
	WRITE_ONCE(scale_iso->b_put_at, t0);
	devhold_put_deferred(h);
	devhold_domain_flush(b);
	*flush = ktime_get_ns() - t0;
	kfree(lat);
	return 0;
}

static int scale_isolation(u64 *idle_p50, u64 *blocked_p50)
{
	struct devhold_domain *a, *b;
	u64 p99[2], flush[2];
	struct devhold *h;
	int err = -ENOMEM;

	/* Each release would wait its random delay. */
	if (IS_ENABLED(CONFIG_DEVHOLD_DEBUG_DELAY)) {
		pr_info("isolation: not measured with CONFIG_DEVHOLD_DEBUG_DELAY\n");
		return -EOPNOTSUPP;
	}

	scale_iso = kzalloc_obj(*scale_iso);
	a = devhold_domain_create("devhold_scale_a", 0);
	b = devhold_domain_create("devhold_scale_b", 0);
	if (!scale_iso || IS_ERR(a) || IS_ERR(b))
		goto out;
	init_completion(&scale_iso->a_in_put);
	init_completion(&scale_iso->a_go);
	init_completion(&scale_iso->b_done);

	err = scale_iso_sample(b, idle_p50, &p99[0], &flush[0]);
	if (err)
		goto out;
	h = devhold_get(a, &iso_a_ops, scale_obj, NULL, GFP_KERNEL);
	if (IS_ERR(h)) {
		err = PTR_ERR(h);
		goto out;
	}
	devhold_put_deferred(h);
	wait_for_completion(&scale_iso->a_in_put);
	err = scale_iso_sample(b, blocked_p50, &p99[1], &flush[1]);
	complete(&scale_iso->a_go);
	devhold_domain_flush(a);
	if (err)
		goto out;
	pr_info("isolation: release latency in B, p50/p99: %llu/%llu ns with A idle, %llu/%llu ns with A's release blocked; put+flush of B %llu ns, %llu ns\n",
		*idle_p50, p99[0], *blocked_p50, p99[1], flush[0], flush[1]);
out:
	devhold_domain_destroy(a);
	devhold_domain_destroy(b);
	kfree(scale_iso);
	scale_iso = NULL;
	return err;
}

/*
 * Under load: every CPU runs a kthread that repeats one operation until it
 * is stopped, while the main thread measures release latency or barriers.
 */
static struct devhold_domain *scale_load_domain;

/* Holds taken and put; a flush now and then bounds what is queued. */
static void load_hold(void)
{
	struct devhold *h;
	int i;

	for (i = 0; i < SCALE_LOAD_BATCH; i++) {
		h = devhold_get(scale_load_domain, &scale_obj_ops, scale_obj, NULL, GFP_KERNEL);
		if (!IS_ERR(h))
			devhold_put_deferred(h);
	}
	devhold_domain_flush(scale_load_domain);
}

static void load_section(void)
{
	struct devhold_release_section section = {};

	devhold_release_begin(scale_load_domain, &section);
	devhold_release_end(scale_load_domain, &section);
}

static void load_srcu_fast(void)
{
	struct srcu_ctr __percpu *scp = srcu_read_lock_fast(&scale_srcu_fast);

	srcu_read_unlock_fast(&scale_srcu_fast, scp);
}

static int scale_load_fn(void *arg)
{
	void (*fn)(void) = arg;

	while (!kthread_should_stop()) {
		fn();
		cond_resched();
	}
	return 0;
}

static void scale_load_stop(struct task_struct **tasks, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		kthread_stop(tasks[i]);
		put_task_struct(tasks[i]);
	}
}

/*
 * One kthread bound to each online CPU, at most @max: returns how many
 * started (their tasks in @tasks), or an error with none left running.
 */
static int scale_load_start(struct task_struct **tasks, int max, void (*fn)(void))
{
	struct task_struct *task;
	int cpu, n = 0;

	for_each_online_cpu(cpu) {
		if (n == max)
			break;
		task = kthread_create_on_cpu(scale_load_fn, fn, cpu, "devhold_load/%u");
		if (IS_ERR(task)) {
			scale_load_stop(tasks, n);
			return PTR_ERR(task);
		}
		get_task_struct(task);
		tasks[n++] = task;
		wake_up_process(task);
	}
	return n;
}

/* Median time of SCALE_BARRIERS calls of @sync, over nruns runs. */
static u64 scale_barrier_time(void (*sync)(void))
{
	u64 *v = kcalloc(nruns, sizeof(u64), GFP_KERNEL);
	u64 t0, med;
	int k, b;

	if (!v)
		return 0;
	for (k = 0; k < nruns; k++) {
		t0 = ktime_get_ns();
		for (b = 0; b < SCALE_BARRIERS; b++)
			sync();
		v[k] = div_u64(ktime_get_ns() - t0, SCALE_BARRIERS);
	}
	med = scale_summarise(v, nruns).med;
	kfree(v);
	return med;
}

static void barrier_devhold(void)
{
	devhold_release_barrier(scale_load_domain);
}

static void barrier_srcu(void)
{
	synchronize_srcu(&scale_srcu_fast);
}

static void barrier_srcu_exp(void)
{
	synchronize_srcu_expedited(&scale_srcu_fast);
}

static void scale_under_load(void)
{
	int max = num_online_cpus(), n, err = -ENOMEM;
	u64 p50, p99, flush, dh, srcu, exp;
	struct task_struct **tasks;

	if (IS_ENABLED(CONFIG_DEVHOLD_DEBUG_DELAY)) {
		pr_info("under load: not measured with CONFIG_DEVHOLD_DEBUG_DELAY\n");
		return;
	}
	tasks = kcalloc(max, sizeof(*tasks), GFP_KERNEL);
	scale_iso = kzalloc_obj(*scale_iso);
	scale_load_domain = devhold_domain_create("devhold_scale_load", 0);
	if (!tasks || !scale_iso || IS_ERR(scale_load_domain))
		goto out;
	init_completion(&scale_iso->b_done);

	n = scale_load_start(tasks, max, load_hold);
	if (n < 0) {
		err = n;
		goto out;
	}
	err = scale_iso_sample(scale_load_domain, &p50, &p99, &flush);
	scale_load_stop(tasks, n);
	if (err)
		goto out;
	pr_info("under load: release latency (put to object put) p50/p99 %llu/%llu ns, put+flush %llu ns, with %d CPUs putting holds in the same domain, %d then a flush\n",
		p50, p99, flush, n, SCALE_LOAD_BATCH);

	n = scale_load_start(tasks, max, load_section);
	if (n < 0) {
		err = n;
		goto out;
	}
	dh = scale_barrier_time(barrier_devhold);
	scale_load_stop(tasks, n);
	n = scale_load_start(tasks, max, load_srcu_fast);
	if (n < 0) {
		err = n;
		goto out;
	}
	srcu = scale_barrier_time(barrier_srcu);
	exp = scale_barrier_time(barrier_srcu_exp);
	scale_load_stop(tasks, n);
	if (!dh || !srcu || !exp) {
		err = -ENOMEM;
		goto out;
	}
	pr_info("under load: barrier with %d CPUs entering and leaving release sections: devhold_release_barrier %llu ns, synchronize_srcu %llu ns, synchronize_srcu_expedited %llu ns (SRCU-fast readers likewise)\n",
		n, dh, srcu, exp);
out:
	if (err)
		pr_err("under load: not measured, error %d\n", err);
	devhold_domain_destroy(scale_load_domain);
	scale_load_domain = NULL;
	kfree(scale_iso);
	scale_iso = NULL;
	kfree(tasks);
}

/* Time from the first of SCALE_DRAIN puts until all are finished. */
static void scale_drain(void)
{
	struct devhold **h = kvcalloc(SCALE_DRAIN, sizeof(*h), GFP_KERNEL);
	u64 t0, ns;
	int i, n;

	if (!h) {
		pr_err("unload drain: not measured, no memory\n");
		return;
	}
	for (n = 0; n < SCALE_DRAIN; n++) {
		h[n] = devhold_get(scale_counted, &scale_obj_ops, scale_obj, NULL, GFP_KERNEL);
		if (IS_ERR(h[n]))
			break;
	}
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++)
		devhold_put_deferred(h[i]);
	devhold_domain_flush(scale_counted);
	ns = ktime_get_ns() - t0;
	kvfree(h);
	if (n == SCALE_DRAIN)
		pr_info("unload drain: %d holds put and finished in %llu us\n",
			n, div_u64(ns, 1000));
	else
		pr_err("unload drain: not measured, %d of %d holds taken\n", n, SCALE_DRAIN);
}

static void scale_entry_free(struct llist_node *node)
{
	kfree(node);
}

/* Entries per second that devhold_list_drain() frees (kfree() each). */
static u64 scale_list_drain_rate(void)
{
	struct devhold_list *list = kzalloc_obj(*list);
	struct llist_node *node;
	u64 t0, ns = 0;
	int i;

	if (!list)
		return 0;
	devhold_list_init(list, scale_entry_free, 0);
	for (i = 0; i < SCALE_DRAIN; i++) {
		node = kzalloc_obj(*node);
		if (!node)
			break;
		devhold_list_push(list, node);
	}
	t0 = ktime_get_ns();
	devhold_list_drain(list);
	if (i == SCALE_DRAIN)
		ns = ktime_get_ns() - t0;
	devhold_list_fini(list);
	kfree(list);
	return ns ? div64_u64((u64)SCALE_DRAIN * NSEC_PER_SEC, ns) : 0;
}

static void scale_memory(void)
{
	pr_info("memory: hold %zu bytes (own slab cache), open-coded 7.3 hold %zu (kmalloc %zu); domain %zu + SRCU per-CPU data; list %zu against llist_head %zu\n",
		sizeof(struct devhold), sizeof(struct open73_hold),
		kmalloc_size_roundup(sizeof(struct open73_hold)),
		sizeof(struct devhold_domain), sizeof(struct devhold_list),
		sizeof(struct llist_head));
	/* 7.3's bo_defer is an llist_head; the VM's free_work is the series'. */
	pr_info("memory: per VM, bo_defer %zu bytes against 7.3's llist_head %zu; the deferred VM free's work_struct %zu\n",
		sizeof_field(struct drm_gpuvm, bo_defer), sizeof(struct llist_head),
		sizeof_field(struct drm_gpuvm, free_work));
}

/*
 * The whole measurement; the start line names its conditions, the end line
 * says it was not cut short.
 */
static int devhold_scale_run(void)
{
	int cpus = num_online_cpus(), err = -ENOMEM;
	u64 *med1, *medn, p50[2], rate;

	if (loops < 1 || loops > SCALE_MAX_LOOPS || nruns < 1) {
		pr_err("loops must be 1 to %ld, nruns at least 1\n", SCALE_MAX_LOOPS);
		return -EINVAL;
	}
	pr_info("--- start: scale_type=%s loops=%ld nreaders=%d nruns=%d cpus=%d debug=%d boot=%s\n",
		scale_type, loops, nreaders, nruns, cpus, IS_ENABLED(CONFIG_DEBUG_DEVHOLD),
		rcu_inkernel_boot_has_ended() ? "ended" : "running");
	med1 = kcalloc(ARRAY_SIZE(scale_ops), sizeof(u64), GFP_KERNEL);
	medn = kcalloc(ARRAY_SIZE(scale_ops), sizeof(u64), GFP_KERNEL);
	scale_obj = kzalloc_obj(*scale_obj);
	if (!IS_MODULE(CONFIG_TEST_DEVHOLD_SCALE))
		scale_stand_in = kzalloc_obj(*scale_stand_in);
	scale_mod = scale_stand_in ?: THIS_MODULE;
	scale_counted = devhold_domain_create("devhold_scale_counted", DEVHOLD_DOMAIN_EXIT_WAITS);
	scale_pinning = devhold_domain_create("devhold_scale_pinning", 0);
	scale_wq = alloc_workqueue("devhold_scale", WQ_UNBOUND, 0);
	if (!med1 || !medn || !scale_obj || !scale_mod || IS_ERR(scale_counted) ||
	    IS_ERR(scale_pinning) || !scale_wq)
		goto out;
	kref_init(&scale_obj->ref);
	if (scale_stand_in) {
		/* A live module with the loader's base reference. */
		strscpy(scale_stand_in->name, "devhold_scale_owner", sizeof(scale_stand_in->name));
		scale_stand_in->state = MODULE_STATE_LIVE;
#ifdef CONFIG_MODULE_UNLOAD
		atomic_set(&scale_stand_in->refcnt, 1);
#else
		pr_info("no CONFIG_MODULE_UNLOAD: module pins cost nothing here\n");
#endif
	}
	devhold_list_init(&scale_list, scale_list_free, 0);
	err = init_srcu_struct(&scale_srcu);
	if (err)
		goto out_list;
	err = init_srcu_struct_fast(&scale_srcu_fast);
	if (err)
		goto out_srcu;

	if (nreaders < 0 || nreaders == 1)
		scale_table(1, med1);
	if (nreaders < 0 || nreaders > 1)
		scale_table(nreaders > 1 ? nreaders : cpus, medn);
	if (!strcmp(scale_type, "all")) {
		scale_barriers();
		scale_isolation(&p50[0], &p50[1]);
		scale_under_load();
		scale_drain();
		rate = scale_list_drain_rate();
		if (rate)
			pr_info("list drain: %llu entries/s\n", rate);
		else
			pr_err("list drain: not measured\n");
		scale_memory();
	}
	pr_info("--- end\n");

	cleanup_srcu_struct(&scale_srcu_fast);
out_srcu:
	cleanup_srcu_struct(&scale_srcu);
out_list:
	devhold_list_fini(&scale_list);
out:
	if (err)
		pr_err("not run: error %d\n", err);
	flush_work(&open73_work);
	if (scale_wq)
		destroy_workqueue(scale_wq);
	scale_wq = NULL;
	devhold_domain_destroy(scale_counted);
	devhold_domain_destroy(scale_pinning);
	kfree(scale_stand_in);
	kfree(scale_obj);
	kfree(medn);
	kfree(med1);
	return err;
}

/*
 * Built in: the measurement waits for the end of boot, which comes after
 * the initcalls and the freeing of init memory (so nothing it runs is
 * __init).  Nothing wakes a waiter at that point: the condition is polled,
 * as kernel/torture.c does; the sleep is only the period of the poll.
 */
static int devhold_scale_thread(void *unused)
{
	while (!rcu_inkernel_boot_has_ended())
		schedule_timeout_idle(HZ / 10);
	devhold_scale_run();
	if (shutdown)
		kernel_power_off();
	return 0;
}

static int __init devhold_scale_init(void)
{
	struct task_struct *task;

	if (!*scale_type)
		return IS_MODULE(CONFIG_TEST_DEVHOLD_SCALE) ? -EINVAL : 0;
	/* A one-shot measurement: as a module, it does not stay loaded. */
	if (IS_MODULE(CONFIG_TEST_DEVHOLD_SCALE))
		return devhold_scale_run() ?: -EAGAIN;
	task = kthread_run(devhold_scale_thread, NULL, "devhold_scale");
	if (IS_ERR(task)) {
		pr_err("not run: no thread, error %ld\n", PTR_ERR(task));
		if (shutdown)
			kernel_power_off();
		return PTR_ERR(task);
	}
	return 0;
}

/*
 * Built in, its thread waits for the end of boot; late, so that an error of
 * the initcall itself reaches a console (UML's is a late initcall).
 */
late_initcall_sync(devhold_scale_init);

MODULE_DESCRIPTION("devhold benchmark, in the manner of refscale");
MODULE_LICENSE("GPL");
