// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the cleanup of signalled writeback jobs (drm_writeback.c).
 * drm_writeback_signal_completion() may run in interrupt context, so a
 * signalled job is cleaned up later, from a worker, and that cleanup uses
 * the connector and calls the driver.  The teardown of the writeback
 * connectors, drm_mode_config_cleanup() for drivers that destroy their
 * connectors themselves and the managed cleanup of
 * drmm_writeback_connector_init() for the others, must wait for it.
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
#include <drm/drm_mode_config.h>
#include <drm/drm_modeset_helper_vtables.h>
#include <drm/drm_writeback.h>

#define WAIT	(10 * HZ)

/* What the cleanups saw; the test's memory, as the device may be gone. */
struct drm_writeback_test_seen {
	unsigned long ids[2];		/* the jobs cleaned up, in order */
	unsigned int n;
	bool after_teardown;		/* one ran after the teardown returned */
	bool dead_connector;		/* one found its connector cleaned up */
};

struct drm_writeback_test_dev {
	struct drm_device drm;
	struct drm_encoder encoder;
	struct drm_writeback_connector wb;
	struct drm_writeback_test_seen *seen;
	unsigned long block;		/* cleanups wait that long for @go */
	struct completion entered;	/* a cleanup started */
	struct completion go;
	struct completion torn_down;	/* drm_mode_config_cleanup() returned */
	struct task_struct *task;	/* the thread that calls it */
};

static const u32 drm_writeback_test_formats[] = { DRM_FORMAT_XRGB8888 };

static void drm_writeback_test_cleanup_job(struct drm_writeback_connector *wb,
					   struct drm_writeback_job *job)
{
	struct drm_writeback_test_dev *d = container_of(wb, typeof(*d), wb);
	struct drm_writeback_test_seen *seen = d->seen;

	complete(&d->entered);
	if (d->block)
		wait_for_completion_timeout(&d->go, d->block);
	/* drm_connector_cleanup() clears the connector. */
	if (wb->base.dev != &d->drm)
		seen->dead_connector = true;
	if (seen->n < ARRAY_SIZE(seen->ids))
		seen->ids[seen->n] = (unsigned long)job->priv;
	seen->n++;
	if (completion_done(&d->torn_down))
		seen->after_teardown = true;
}

static const struct drm_connector_helper_funcs drm_writeback_test_helper_funcs = {
	.cleanup_writeback_job = drm_writeback_test_cleanup_job,
};

static const struct drm_connector_funcs drm_writeback_test_drmm_funcs = {
	.atomic_duplicate_state = drm_atomic_helper_connector_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_connector_destroy_state,
};

/* Connector and encoder destroyed by drm_mode_config_cleanup(). */
static const struct drm_connector_funcs drm_writeback_test_connector_funcs = {
	.atomic_duplicate_state = drm_atomic_helper_connector_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_connector_destroy_state,
	.destroy = drm_connector_cleanup,
};

static const struct drm_encoder_funcs drm_writeback_test_encoder_funcs = {
	.destroy = drm_encoder_cleanup,
};

/*
 * A blocked cleanup goes on, and the thread is gone, at the latest before
 * the device is released.
 */
static void drm_writeback_test_stop(void *p)
{
	struct drm_writeback_test_dev *d = p;

	complete_all(&d->go);
	kthread_stop(d->task);
	put_task_struct(d->task);
}

static struct drm_writeback_test_dev *
drm_writeback_test_dev(struct kunit *test, bool managed, struct device **parent)
{
	const u32 *formats = drm_writeback_test_formats;
	int n_formats = ARRAY_SIZE(drm_writeback_test_formats);
	struct drm_writeback_test_dev *d;
	int ret;

	*parent = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, *parent);
	d = drm_kunit_helper_alloc_drm_device(test, *parent, struct drm_writeback_test_dev,
					      drm, DRIVER_MODESET | DRIVER_ATOMIC);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d);
	d->seen = kunit_kzalloc(test, sizeof(*d->seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d->seen);
	init_completion(&d->entered);
	init_completion(&d->go);
	init_completion(&d->torn_down);

	if (managed) {
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
	struct drm_writeback_job *job;

	state = kunit_kzalloc(test, sizeof(*state), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, state);
	/* Freed by drm_writeback_cleanup_job(). */
	job = kzalloc_obj(*job);
	KUNIT_ASSERT_NOT_NULL(test, job);
	job->connector = &d->wb;
	job->prepared = true;
	job->priv = (void *)id;
	state->connector = &d->wb.base;
	state->writeback_job = job;
	drm_writeback_queue_job(&d->wb, state);
	KUNIT_EXPECT_NULL(test, state->writeback_job);
}

/* Signals the oldest queued job as an interrupt handler would. */
static void drm_writeback_test_signal(struct drm_writeback_test_dev *d)
{
	unsigned long flags;

	local_irq_save(flags);
	drm_writeback_signal_completion(&d->wb, 0);
	local_irq_restore(flags);
}

static int drm_writeback_test_teardown_fn(void *p)
{
	struct drm_writeback_test_dev *d = p;

	drm_mode_config_cleanup(&d->drm);
	complete_all(&d->torn_down);
	return 0;
}

/*
 * drm_mode_config_cleanup() waits for the cleanup of a signalled job that
 * is still running in its worker: it is still waiting a second after the
 * cleanup blocked, and returns once the cleanup finished.
 */
static void drm_test_writeback_teardown_waits(struct kunit *test)
{
	struct drm_writeback_test_dev *d;
	struct task_struct *task;
	struct device *parent;

	d = drm_writeback_test_dev(test, false, &parent);
	d->block = WAIT;
	drm_writeback_test_queue(test, d, 1);
	drm_writeback_test_signal(d);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&d->entered, WAIT));

	task = kthread_create(drm_writeback_test_teardown_fn, d, "drm-wb-teardown");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	d->task = get_task_struct(task);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, drm_writeback_test_stop, d));
	wake_up_process(task);

	KUNIT_EXPECT_EQ(test, 0UL, wait_for_completion_timeout(&d->torn_down, HZ));
	complete_all(&d->go);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&d->torn_down, WAIT));
	KUNIT_EXPECT_EQ(test, d->seen->n, 1);
	KUNIT_EXPECT_FALSE(test, d->seen->after_teardown);
	KUNIT_EXPECT_FALSE(test, d->seen->dead_connector);
}

/*
 * Jobs signalled with interrupts off are all cleaned up, oldest first, when
 * drm_mode_config_cleanup() returns.
 */
static void drm_test_writeback_teardown_after_signal(struct kunit *test)
{
	struct drm_writeback_test_dev *d;
	struct device *parent;

	d = drm_writeback_test_dev(test, false, &parent);
	drm_writeback_test_queue(test, d, 1);
	drm_writeback_test_queue(test, d, 2);
	drm_writeback_test_signal(d);
	drm_writeback_test_signal(d);
	drm_mode_config_cleanup(&d->drm);
	KUNIT_EXPECT_EQ(test, d->seen->n, 2);
	KUNIT_EXPECT_EQ(test, d->seen->ids[0], 1UL);
	KUNIT_EXPECT_EQ(test, d->seen->ids[1], 2UL);
	KUNIT_EXPECT_FALSE(test, d->seen->dead_connector);
}

/*
 * With drmm_writeback_connector_init(), the device's release waits for the
 * cleanup of the job signalled last, before it cleans the connector up: the
 * cleanup has run when the release returns, on a live connector.  The
 * cleanup takes a second, which a release that did not wait for it would
 * spend cleaning the connector up.
 */
static void drm_test_writeback_release_after_signal(struct kunit *test)
{
	struct drm_writeback_test_seen *seen;
	struct drm_writeback_test_dev *d;
	struct device *parent;

	d = drm_writeback_test_dev(test, true, &parent);
	seen = d->seen;
	d->block = HZ;
	drm_writeback_test_queue(test, d, 1);
	drm_writeback_test_signal(d);
	KUNIT_ASSERT_NE(test, 0UL, wait_for_completion_timeout(&d->entered, WAIT));
	drm_kunit_helper_free_device(test, parent);
	KUNIT_EXPECT_EQ(test, seen->n, 1);
	KUNIT_EXPECT_FALSE(test, seen->dead_connector);
}

static struct kunit_case drm_writeback_tests[] = {
	KUNIT_CASE(drm_test_writeback_teardown_waits),
	KUNIT_CASE(drm_test_writeback_teardown_after_signal),
	KUNIT_CASE(drm_test_writeback_release_after_signal),
	{}
};

static struct kunit_suite drm_writeback_test_suite = {
	.name = "drm_writeback",
	.test_cases = drm_writeback_tests,
};

kunit_test_suite(drm_writeback_test_suite);

MODULE_DESCRIPTION("KUnit tests for the cleanup of DRM writeback jobs");
MODULE_LICENSE("GPL");
