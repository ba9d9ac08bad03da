// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the cleanup of signalled writeback jobs (drm_writeback.c).
 * drm_writeback_signal_completion() may run in interrupt context, so a
 * signalled job is cleaned up later, from a worker, and that cleanup uses
 * the connector and calls the driver.  drm_connector_cleanup() of a
 * writeback connector must wait for it, whoever calls it: a driver's
 * connector destroy from drm_mode_config_cleanup(), a driver at unbind, or
 * the managed cleanup of drmm_writeback_connector_init().
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include <drm/drm_atomic_state_helper.h>
#include <drm/drm_connector.h>
#include <drm/drm_drv.h>
#include <drm/drm_encoder.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_managed.h>
#include <drm/drm_mode_config.h>
#include <drm/drm_modeset_helper_vtables.h>
#include <drm/drm_writeback.h>

#define WAIT	(10 * HZ)

struct drm_writeback_test_ctx;

struct drm_writeback_test_job {
	struct drm_writeback_test_ctx *ctx;
	unsigned long id;
};

/*
 * What the job cleanups share with the test: the test's memory, reached
 * through each job, so that a cleanup that outlives the device (the bug
 * these tests look for) still finds it.  A kunit action waits for every
 * signalled job's cleanup before it is freed.
 */
struct drm_writeback_test_ctx {
	unsigned long block;		/* cleanups wait that long for @go */
	struct completion entered;	/* a cleanup started */
	struct completion go;
	struct completion left;		/* a cleanup ended */
	struct completion torn_down;	/* the teardown returned */
	unsigned int signalled;
	unsigned long ids[2];		/* the jobs cleaned up, in order */
	unsigned int n;
	bool connector_gone;		/* drm_connector_cleanup() returned */
	bool after_teardown;		/* a cleanup ended after the teardown */
	bool dead_connector;		/* ... or after its connector's cleanup */
	struct task_struct *task;	/* the thread that tears down */
	struct drm_writeback_test_job jobs[2];	/* job->priv of job 1, 2 */
};

struct drm_writeback_test_dev {
	struct drm_device drm;
	struct drm_encoder encoder;
	struct drm_writeback_connector wb;
	struct drm_writeback_test_ctx *ctx;
};

static const u32 drm_writeback_test_formats[] = { DRM_FORMAT_XRGB8888 };

static void drm_writeback_test_cleanup_job(struct drm_writeback_connector *wb,
					   struct drm_writeback_job *job)
{
	struct drm_writeback_test_job *tj = job->priv;
	struct drm_writeback_test_ctx *ctx = tj->ctx;

	complete(&ctx->entered);
	if (ctx->block)
		wait_for_completion_timeout(&ctx->go, ctx->block);
	if (ctx->n < ARRAY_SIZE(ctx->ids))
		ctx->ids[ctx->n] = tj->id;
	ctx->n++;
	if (completion_done(&ctx->torn_down))
		ctx->after_teardown = true;
	if (READ_ONCE(ctx->connector_gone))
		ctx->dead_connector = true;
	/* Last: the test may free @ctx once every cleanup left. */
	complete(&ctx->left);
}

static const struct drm_connector_helper_funcs drm_writeback_test_helper_funcs = {
	.cleanup_writeback_job = drm_writeback_test_cleanup_job,
};

static const struct drm_connector_funcs drm_writeback_test_drmm_funcs = {
	.atomic_duplicate_state = drm_atomic_helper_connector_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_connector_destroy_state,
};

/* Destroyed by drm_mode_config_cleanup(), as drivers without drmm do. */
static void drm_writeback_test_destroy(struct drm_connector *connector)
{
	struct drm_writeback_test_dev *d = container_of(connector, typeof(*d), wb.base);
	struct drm_writeback_test_ctx *ctx = d->ctx;

	drm_connector_cleanup(connector);
	WRITE_ONCE(ctx->connector_gone, true);
}

static const struct drm_connector_funcs drm_writeback_test_connector_funcs = {
	.atomic_duplicate_state = drm_atomic_helper_connector_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_connector_destroy_state,
	.destroy = drm_writeback_test_destroy,
};

static const struct drm_encoder_funcs drm_writeback_test_encoder_funcs = {
	.destroy = drm_encoder_cleanup,
};

/* Registered before the connector: runs after its managed cleanup. */
static void drm_writeback_test_connector_gone(struct drm_device *drm, void *p)
{
	struct drm_writeback_test_ctx *ctx = p;

	WRITE_ONCE(ctx->connector_gone, true);
}

/*
 * Before the test's memory goes: let blocked cleanups go on, wait for the
 * cleanup of every signalled job, and for the thread.
 */
static void drm_writeback_test_finish(void *p)
{
	struct drm_writeback_test_ctx *ctx = p;
	unsigned int i;

	complete_all(&ctx->go);
	for (i = 0; i < ctx->signalled; i++)
		if (!wait_for_completion_timeout(&ctx->left, WAIT))
			break;
	if (ctx->task) {
		kthread_stop(ctx->task);
		put_task_struct(ctx->task);
	}
}

static struct drm_writeback_test_dev *
drm_writeback_test_dev(struct kunit *test, bool managed, struct device **parent)
{
	const u32 *formats = drm_writeback_test_formats;
	int n_formats = ARRAY_SIZE(drm_writeback_test_formats);
	struct drm_writeback_test_ctx *ctx;
	struct drm_writeback_test_dev *d;
	int ret;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	init_completion(&ctx->entered);
	init_completion(&ctx->go);
	init_completion(&ctx->left);
	init_completion(&ctx->torn_down);

	*parent = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, *parent);
	d = drm_kunit_helper_alloc_drm_device(test, *parent, struct drm_writeback_test_dev,
					      drm, DRIVER_MODESET | DRIVER_ATOMIC);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d);
	d->ctx = ctx;
	/* After the device's release in a test that releases it itself. */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, drm_writeback_test_finish, ctx));

	if (managed) {
		ret = drmm_add_action_or_reset(&d->drm, drm_writeback_test_connector_gone, ctx);
		KUNIT_ASSERT_EQ(test, ret, 0);
		ret = drmm_encoder_init(&d->drm, &d->encoder, NULL, DRM_MODE_ENCODER_VIRTUAL, NULL);
		KUNIT_ASSERT_EQ(test, ret, 0);
		ret = drmm_writeback_connector_init(&d->drm, &d->wb,
						    &drm_writeback_test_drmm_funcs, &d->encoder,
						    formats, n_formats);
	} else {
		ret = drm_encoder_init(&d->drm, &d->encoder, &drm_writeback_test_encoder_funcs,
				       DRM_MODE_ENCODER_VIRTUAL, NULL);
		KUNIT_ASSERT_EQ(test, ret, 0);
		ret = drm_writeback_connector_init_with_encoder(&d->drm, &d->wb, &d->encoder,
								&drm_writeback_test_connector_funcs,
								formats, n_formats);
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	drm_connector_helper_add(&d->wb.base, &drm_writeback_test_helper_funcs);
	return d;
}

/* Queues a prepared job without a framebuffer, as an atomic commit would. */
static void drm_writeback_test_queue(struct kunit *test, struct drm_writeback_test_dev *d,
				     unsigned long id)
{
	struct drm_connector_state *state;
	struct drm_writeback_test_job *tj;
	struct drm_writeback_job *job;

	state = kunit_kzalloc(test, sizeof(*state), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, state);
	KUNIT_ASSERT_GE(test, id, 1UL);
	KUNIT_ASSERT_LE(test, id, ARRAY_SIZE(d->ctx->jobs));
	tj = &d->ctx->jobs[id - 1];
	tj->ctx = d->ctx;
	tj->id = id;
	/* Freed by drm_writeback_cleanup_job(). */
	job = kzalloc_obj(*job);
	KUNIT_ASSERT_NOT_NULL(test, job);
	job->connector = &d->wb;
	job->prepared = true;
	job->priv = tj;
	state->connector = &d->wb.base;
	state->writeback_job = job;
	drm_writeback_queue_job(&d->wb, state);
	KUNIT_EXPECT_NULL(test, state->writeback_job);
}

/* Signals the oldest queued job, with interrupts off. */
static void drm_writeback_test_signal(struct drm_writeback_test_dev *d)
{
	unsigned long flags;

	d->ctx->signalled++;
	local_irq_save(flags);
	drm_writeback_signal_completion(&d->wb, 0);
	local_irq_restore(flags);
}

/*
 * A device with one signalled job whose cleanup is blocked in the driver's
 * hook for up to @block jiffies.
 */
static struct drm_writeback_test_dev *
drm_writeback_test_blocked(struct kunit *test, bool managed, unsigned long block,
			   struct device **parent)
{
	struct drm_writeback_test_dev *d;

	d = drm_writeback_test_dev(test, managed, parent);
	d->ctx->block = block;
	drm_writeback_test_queue(test, d, 1);
	drm_writeback_test_signal(d);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&d->ctx->entered, WAIT));
	return d;
}

static int drm_writeback_test_mode_config_cleanup_fn(void *p)
{
	struct drm_writeback_test_dev *d = p;

	drm_mode_config_cleanup(&d->drm);
	complete_all(&d->ctx->torn_down);
	return 0;
}

/* As a driver without drmm cleans its connector up at unbind. */
static int drm_writeback_test_connector_cleanup_fn(void *p)
{
	struct drm_writeback_test_dev *d = p;

	drm_connector_cleanup(&d->wb.base);
	WRITE_ONCE(d->ctx->connector_gone, true);
	complete_all(&d->ctx->torn_down);
	return 0;
}

/*
 * A teardown run from a thread while the cleanup of a signalled job is
 * blocked in the driver's hook: it is still waiting a second later, and
 * returns once the cleanup finished.
 */
static void drm_writeback_test_teardown_waits(struct kunit *test, int (*fn)(void *))
{
	struct drm_writeback_test_ctx *ctx;
	struct drm_writeback_test_dev *d;
	struct task_struct *task;
	struct device *parent;

	d = drm_writeback_test_blocked(test, false, WAIT, &parent);
	ctx = d->ctx;

	task = kthread_create(fn, d, "drm-wb-teardown");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	ctx->task = get_task_struct(task);
	wake_up_process(task);

	KUNIT_EXPECT_EQ(test, 0UL, wait_for_completion_timeout(&ctx->torn_down, HZ));
	complete_all(&ctx->go);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&ctx->torn_down, WAIT));
	KUNIT_EXPECT_EQ(test, ctx->n, 1);
	KUNIT_EXPECT_FALSE(test, ctx->after_teardown);
	KUNIT_EXPECT_FALSE(test, ctx->dead_connector);
}

/* drm_mode_config_cleanup(), destroying the connector. */
static void drm_test_writeback_mode_config_cleanup_waits(struct kunit *test)
{
	drm_writeback_test_teardown_waits(test, drm_writeback_test_mode_config_cleanup_fn);
}

/* drm_connector_cleanup() alone, before drm_mode_config_cleanup(). */
static void drm_test_writeback_connector_cleanup_waits(struct kunit *test)
{
	drm_writeback_test_teardown_waits(test, drm_writeback_test_connector_cleanup_fn);
}

/*
 * Jobs signalled with interrupts off are cleaned up one at a time, oldest
 * first, and all of them when drm_mode_config_cleanup() returns.
 */
static void drm_test_writeback_cleanup_order(struct kunit *test)
{
	struct drm_writeback_test_dev *d;
	struct device *parent;

	d = drm_writeback_test_dev(test, false, &parent);
	drm_writeback_test_queue(test, d, 1);
	drm_writeback_test_queue(test, d, 2);
	drm_writeback_test_signal(d);
	drm_writeback_test_signal(d);
	drm_mode_config_cleanup(&d->drm);
	KUNIT_EXPECT_EQ(test, d->ctx->n, 2);
	KUNIT_EXPECT_EQ(test, d->ctx->ids[0], 1UL);
	KUNIT_EXPECT_EQ(test, d->ctx->ids[1], 2UL);
	KUNIT_EXPECT_FALSE(test, d->ctx->dead_connector);
}

/*
 * With drmm_writeback_connector_init(), the device's release waits for the
 * cleanup of the job signalled last before it cleans the connector up.  The
 * cleanup takes a second, which a release that did not wait for it would
 * spend cleaning the connector up and freeing it.
 */
static void drm_test_writeback_release_waits(struct kunit *test)
{
	struct drm_writeback_test_ctx *ctx;
	struct drm_writeback_test_dev *d;
	struct device *parent;

	d = drm_writeback_test_blocked(test, true, HZ, &parent);
	ctx = d->ctx;
	drm_kunit_helper_free_device(test, parent);
	KUNIT_EXPECT_EQ(test, ctx->n, 1);
	KUNIT_EXPECT_FALSE(test, ctx->dead_connector);
}

static struct kunit_case drm_writeback_tests[] = {
	KUNIT_CASE(drm_test_writeback_mode_config_cleanup_waits),
	KUNIT_CASE(drm_test_writeback_connector_cleanup_waits),
	KUNIT_CASE(drm_test_writeback_cleanup_order),
	KUNIT_CASE(drm_test_writeback_release_waits),
	{}
};

static struct kunit_suite drm_writeback_test_suite = {
	.name = "drm_writeback",
	.test_cases = drm_writeback_tests,
};

kunit_test_suite(drm_writeback_test_suite);

MODULE_DESCRIPTION("KUnit tests for the cleanup of DRM writeback jobs");
MODULE_LICENSE("GPL");
