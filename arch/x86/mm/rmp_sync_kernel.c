// SPDX-License-Identifier: GPL-2.0
/*
 * rmp_sync in the running kernel: the host's instance (created by
 * arch/x86/virt/svm/sev.c), its background recovery, and
 * /sys/kernel/mm/rmp_sync/.
 *
 * Background recovery is a schedule of rmp_sync_background() passes.
 * khugepaged runs them from its main loop, as its kernel work
 * (struct khugepaged_kernel_work in <linux/khugepaged.h>: it sleeps no
 * longer than the next pass needs).  khugepaged only runs while THP is
 * enabled, so when it does not, a freezable delayed work item runs the same
 * schedule: recovery never depends on THP settings.  A kick (the core
 * queued a collapse candidate) makes a pass due now and wakes whichever
 * runs it; khugepaged_wake_kernel_work() and khugepaged's stop path are
 * ordered so that a kick racing with khugepaged stopping is never lost.
 *
 * Stepped mode (the software-SNP debug host, rmp_sync_swhost.c): the
 * caller owns the schedule and its clock.  rmp_sync_host_step() asks the
 * same runner (khugepaged or the fallback work) for exactly one pass and
 * waits for it; no pass runs otherwise, and a kick is handed to the
 * caller's kick function, so a replay's passes happen at the same points
 * of its history on every run.
 *
 * Memory hotplug: hot-add grows the instance before the new memory can be
 * used (MEM_GOING_ONLINE); hot-remove resets the range's state once it is
 * offline (MEM_OFFLINE), before arch_remove_memory() frees its page tables
 * (without the CPA locks).  A pass runs under get_online_mems(), so no
 * collapse ever runs while hotplug changes the direct map.
 *
 * Locking, outermost first: rs_attach_lock (attach and detach), then
 * mem_hotplug_lock (a pass reads it, the memory notifier runs under its
 * write side), then rs_host_lock, then the rmp_sync locks (a pass, a sysfs
 * access, the notifier, attach and detach hold rs_host_lock; sysfs
 * callbacks never take rs_attach_lock, so removing the files under it
 * cannot deadlock).  The schedule is also read
 * without it (READ_ONCE) by the kick and by khugepaged's wait conditions,
 * where a stale value costs one extra wake-up at most.  Nothing here is
 * called with cpa_lock or pgd_lock held.
 */
#define pr_fmt(fmt) "rmp_sync: " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/khugepaged.h>
#include <linux/kobject.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mutex.h>
#include <linux/rmp_sync.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

/* Serializes attach and detach; protects rs_kobj, rs_attrs, rs_attr_list. */
static DEFINE_MUTEX(rs_attach_lock);
/* Protects rs_host (the attached instance) and the writes of the schedule. */
static DEFINE_MUTEX(rs_host_lock);
static struct rmp_sync *rs_host;
/* Schedule: idle until a kick, or the next pass at rs_next_pass (jiffies). */
static bool rs_idle = true;
static unsigned long rs_next_pass;
/* A candidate was queued since the last pass began: a pass is due now. */
static atomic_t rs_kicked;
/* Passes each driver ran (rmp_sync_host_passes()). */
static atomic_long_t rs_passes[RMP_SYNC_NR_DRIVERS];
/*
 * Stepped mode: rs_step_kick (set at attach, under rs_attach_lock) takes
 * the kicks; rs_step_req asks for one pass, whose result (rs_step_sleep,
 * rs_step_pass, written under rs_host_lock) is complete when rs_step_done
 * is.  rmp_sync_host_step() callers are serialized by rs_step_lock.
 */
static void (*rs_step_kick)(void *priv);
static void *rs_step_priv;
static atomic_t rs_step_req;
static unsigned int rs_step_sleep;
static struct rmp_sync_pass rs_step_pass;
static DECLARE_COMPLETION(rs_step_done);
static DEFINE_MUTEX(rs_step_lock);

static void rs_fallback_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(rs_fallback_work, rs_fallback_fn);

static bool rs_pass_due(void)
{
	if (READ_ONCE(rs_step_kick))
		return atomic_read(&rs_step_req);
	return atomic_read(&rs_kicked) ||
	       (!READ_ONCE(rs_idle) &&
		time_after_eq(jiffies, READ_ONCE(rs_next_pass)));
}

/* Jiffies until a pass is due, MAX_SCHEDULE_TIMEOUT when idle. */
static unsigned long rs_sleep(void)
{
	long left;

	if (READ_ONCE(rs_step_kick))
		return atomic_read(&rs_step_req) ? 0 : MAX_SCHEDULE_TIMEOUT;
	if (atomic_read(&rs_kicked))
		return 0;
	if (READ_ONCE(rs_idle))
		return MAX_SCHEDULE_TIMEOUT;
	left = (long)(READ_ONCE(rs_next_pass) - jiffies);
	return left > 0 ? left : 0;
}

/* Run the pass that is due, if one is; called without rs_host_lock. */
static void rs_pass(enum rmp_sync_driver driver)
{
	unsigned int sleep_ms;

	if (!rs_pass_due())
		return;
	get_online_mems();
	mutex_lock(&rs_host_lock);
	if (!rs_host || !rs_pass_due()) {
		mutex_unlock(&rs_host_lock);
		put_online_mems();
		return;
	}
	if (rs_step_kick) {
		atomic_set(&rs_step_req, 0);
		memset(&rs_step_pass, 0, sizeof(rs_step_pass));
		rs_step_sleep = rmp_sync_background(rs_host, &rs_step_pass);
		atomic_long_inc(&rs_passes[driver]);
		mutex_unlock(&rs_host_lock);
		put_online_mems();
		complete(&rs_step_done);
		return;
	}
	/* Cleared first: a kick during the pass makes the next one due. */
	atomic_set(&rs_kicked, 0);
	sleep_ms = rmp_sync_background(rs_host, NULL);
	atomic_long_inc(&rs_passes[driver]);
	if (sleep_ms == RMP_SYNC_IDLE) {
		WRITE_ONCE(rs_idle, true);
	} else {
		WRITE_ONCE(rs_next_pass, jiffies + msecs_to_jiffies(sleep_ms));
		WRITE_ONCE(rs_idle, false);
	}
	mutex_unlock(&rs_host_lock);
	put_online_mems();
}

/*
 * Memory hot-add and hot-remove; see the top of this file.  What to do is
 * rmp_sync_memory_event()'s to decide (the suite calls it directly); this
 * only maps the notifier's actions to it.
 */
static int rs_memory_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	const struct memory_notify *mn = data;
	enum rmp_sync_mem_event ev;
	int ret = 0;

	switch (action) {
	case MEM_GOING_ONLINE:
		ev = RMP_SYNC_MEM_ONLINE;
		break;
	case MEM_OFFLINE:
		ev = RMP_SYNC_MEM_OFFLINE;
		break;
	default:
		return NOTIFY_OK;
	}
	/* rs_host_lock: rs_host cannot be detached and freed under the call. */
	mutex_lock(&rs_host_lock);
	/* A stepped instance (the software-SNP host) covers its window only. */
	if (rs_host && !rs_step_kick)
		ret = rmp_sync_memory_event(rs_host, ev, mn->start_pfn,
					    mn->nr_pages);
	mutex_unlock(&rs_host_lock);
	if (ev == RMP_SYNC_MEM_OFFLINE) {
		WARN_ONCE(ret, "rmp_sync: offline of PFN 0x%lx+0x%lx: %d\n",
			  mn->start_pfn, mn->nr_pages, ret);
		return NOTIFY_OK;	/* the memory is offline already */
	}
	/* A failed grow keeps the memory offline: it could not be tracked. */
	return notifier_from_errno(ret);
}

static struct notifier_block rs_memory_nb = {
	.notifier_call = rs_memory_notify,
};

/* Hand the schedule to khugepaged if it runs, else to the fallback work. */
static void rs_wake(void)
{
	unsigned long sleep;

	if (khugepaged_wake_kernel_work())
		return;
	sleep = rs_sleep();
	if (sleep != MAX_SCHEDULE_TIMEOUT)
		mod_delayed_work(system_freezable_wq, &rs_fallback_work, sleep);
}

static void rs_fallback_fn(struct work_struct *work)
{
	unsigned long sleep;

	/* THP was enabled meanwhile: khugepaged has been woken, it takes over. */
	if (khugepaged_wake_kernel_work())
		return;
	rs_pass(RMP_SYNC_DRIVER_WORKER);
	sleep = rs_sleep();
	if (sleep != MAX_SCHEDULE_TIMEOUT)
		queue_delayed_work(system_freezable_wq, &rs_fallback_work, sleep);
}

/**
 * rmp_sync_host_kick() - the kick() of the host's instance.
 * @unused: the config's kick_priv.
 *
 * A collapse candidate was queued: a pass is due now.
 *
 * Context: any context that may queue work; does not sleep.
 */
void rmp_sync_host_kick(void *unused)
{
	void (*kick)(void *priv) = READ_ONCE(rs_step_kick);

	if (kick) {
		kick(rs_step_priv);
		return;
	}
	atomic_set(&rs_kicked, 1);
	rs_wake();
}

/* khugepaged's kernel work: the same schedule, run from its main loop. */
static bool rs_khugepaged_due(void)
{
	return READ_ONCE(rs_host) && rs_pass_due();
}

static unsigned long rs_khugepaged_sleep(void)
{
	return READ_ONCE(rs_host) ? rs_sleep() : MAX_SCHEDULE_TIMEOUT;
}

static void rs_khugepaged_run(void)
{
	rs_pass(RMP_SYNC_DRIVER_KHUGEPAGED);
}

/* khugepaged stopped (THP disabled): the fallback work takes over. */
static void rs_khugepaged_stopped(void)
{
	unsigned long sleep = rs_khugepaged_sleep();

	if (sleep != MAX_SCHEDULE_TIMEOUT)
		mod_delayed_work(system_freezable_wq, &rs_fallback_work, sleep);
}

static const struct khugepaged_kernel_work rs_khugepaged_work = {
	.due = rs_khugepaged_due,
	.sleep = rs_khugepaged_sleep,
	.run = rs_khugepaged_run,
	.stopped = rs_khugepaged_stopped,
};

/* ---- /sys/kernel/mm/rmp_sync/ ----------------------------------------- */

/* A sysfs file: knob @index (writable) or counter @index (read-only). */
struct rs_attr {
	struct kobj_attribute kattr;
	unsigned int index;
};

static struct kobject *rs_kobj;
static struct rs_attr *rs_attrs;
static struct attribute **rs_attr_list;

static ssize_t rs_knob_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct rs_attr *a = container_of(attr, struct rs_attr, kattr);
	ssize_t ret = -ENODEV;

	mutex_lock(&rs_host_lock);
	if (rs_host)
		ret = sysfs_emit(buf, "%u\n", rmp_sync_get_knob(rs_host, a->index));
	mutex_unlock(&rs_host_lock);
	return ret;
}

static ssize_t rs_knob_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct rs_attr *a = container_of(attr, struct rs_attr, kattr);
	int ret = -ENODEV;

	mutex_lock(&rs_host_lock);
	if (rs_host)
		ret = rmp_sync_store_knob(rs_host, a->index, buf);
	mutex_unlock(&rs_host_lock);
	if (ret)
		return ret;
	/* a new delay or sleep may make a pass due earlier: one kick */
	if (a->index != RMP_SYNC_KNOB_COLLAPSE_PRIVATE &&
	    a->index != RMP_SYNC_KNOB_ENABLED)
		rmp_sync_host_kick(NULL);
	return count;
}

static ssize_t rs_counter_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	struct rs_attr *a = container_of(attr, struct rs_attr, kattr);
	struct rmp_sync_stats st;

	mutex_lock(&rs_host_lock);
	if (!rs_host) {
		mutex_unlock(&rs_host_lock);
		return -ENODEV;
	}
	rmp_sync_get_stats(rs_host, &st);
	mutex_unlock(&rs_host_lock);
	return sysfs_emit(buf, "%llu\n",
			  *(u64 *)((char *)&st + rmp_sync_counters[a->index].offset));
}

static void rs_sysfs_remove(void)
{
	kobject_put(rs_kobj);
	kfree(rs_attr_list);
	kfree(rs_attrs);
	rs_kobj = NULL;
	rs_attr_list = NULL;
	rs_attrs = NULL;
}

/* One file per knob and counter, named from the core's tables. */
static int rs_sysfs_create(void)
{
	unsigned int nr = RMP_SYNC_NR_KNOBS + rmp_sync_nr_counters, i;
	struct attribute_group group = {};
	int ret;

	rs_attrs = kcalloc(nr, sizeof(*rs_attrs), GFP_KERNEL);
	rs_attr_list = kcalloc(nr + 1, sizeof(*rs_attr_list), GFP_KERNEL);
	rs_kobj = kobject_create_and_add("rmp_sync", mm_kobj);
	if (!rs_attrs || !rs_attr_list || !rs_kobj) {
		rs_sysfs_remove();
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		struct rs_attr *a = &rs_attrs[i];

		sysfs_attr_init(&a->kattr.attr);
		if (i < RMP_SYNC_NR_KNOBS) {
			a->index = i;
			a->kattr.attr.name = rmp_sync_knobs[i].name;
			a->kattr.attr.mode = 0644;
			a->kattr.show = rs_knob_show;
			a->kattr.store = rs_knob_store;
		} else {
			a->index = i - RMP_SYNC_NR_KNOBS;
			a->kattr.attr.name = rmp_sync_counters[a->index].name;
			/* root only: see the ABI file (a side channel) */
			a->kattr.attr.mode = 0400;
			a->kattr.show = rs_counter_show;
		}
		rs_attr_list[i] = &a->kattr.attr;
	}
	group.attrs = rs_attr_list;
	ret = sysfs_create_group(rs_kobj, &group);
	if (ret)
		rs_sysfs_remove();
	return ret;
}

/**
 * rmp_sync_host_attach() - make @rs the instance background recovery and
 *	sysfs serve.
 * @rs: an instance whose config's kick is rmp_sync_host_kick().
 *
 * Context: process context, may sleep.
 * Return: 0, -EBUSY (one is attached already), or -ENOMEM (no sysfs
 * directory, no memory notifier; nothing attached).
 */
int rmp_sync_host_attach(struct rmp_sync *rs)
{
	return rmp_sync_host_attach_stepped(rs, NULL, NULL);
}

/**
 * rmp_sync_host_attach_stepped() - rmp_sync_host_attach(), the schedule
 *	owned by the caller.
 * @rs: the instance.
 * @kick: NULL for the normal schedule; else it takes every kick (of the
 *	instance, if its config's kick is rmp_sync_host_kick(), and of sysfs
 *	knob writes), and passes run only through rmp_sync_host_step().
 * @priv: @kick's argument.
 *
 * Context: process context, may sleep.
 * Return: as rmp_sync_host_attach().
 */
int rmp_sync_host_attach_stepped(struct rmp_sync *rs, void (*kick)(void *priv),
				 void *priv)
{
	int ret = -EBUSY;

	mutex_lock(&rs_attach_lock);
	if (READ_ONCE(rs_host))
		goto out;
	ret = rs_sysfs_create();
	if (ret)
		goto out;
	ret = register_memory_notifier(&rs_memory_nb);
	if (ret) {
		rs_sysfs_remove();
		goto out;
	}
	mutex_lock(&rs_host_lock);
	rs_step_priv = priv;
	WRITE_ONCE(rs_step_kick, kick);
	atomic_set(&rs_step_req, 0);
	WRITE_ONCE(rs_host, rs);
	WRITE_ONCE(rs_idle, true);
	atomic_set(&rs_kicked, !kick);	/* one pass looks at it */
	mutex_unlock(&rs_host_lock);
	khugepaged_set_kernel_work(&rs_khugepaged_work);
	rs_wake();
out:
	mutex_unlock(&rs_attach_lock);
	return ret;
}

/**
 * rmp_sync_host_detach() - stop serving @rs; no pass runs once it returns.
 * @rs: the attached instance (anything else is ignored).
 *
 * Context: process context, may sleep.
 */
void rmp_sync_host_detach(struct rmp_sync *rs)
{
	mutex_lock(&rs_attach_lock);
	mutex_lock(&rs_host_lock);
	if (rs_host != rs) {
		mutex_unlock(&rs_host_lock);
		mutex_unlock(&rs_attach_lock);
		return;
	}
	WRITE_ONCE(rs_host, NULL);
	WRITE_ONCE(rs_idle, true);
	atomic_set(&rs_kicked, 0);
	WRITE_ONCE(rs_step_kick, NULL);
	mutex_unlock(&rs_host_lock);
	cancel_delayed_work_sync(&rs_fallback_work);
	unregister_memory_notifier(&rs_memory_nb);
	rs_sysfs_remove();
	mutex_unlock(&rs_attach_lock);
}

/**
 * rmp_sync_host_passes() - background passes run so far by @driver.
 * @driver: enum rmp_sync_driver.
 *
 * Return: the count, for tests and debugging.
 */
unsigned long rmp_sync_host_passes(enum rmp_sync_driver driver)
{
	return atomic_long_read(&rs_passes[driver]);
}

/*
 * How long rmp_sync_host_step() waits for the runner: a pass takes
 * milliseconds; this only turns a runner that never comes (frozen, a bug)
 * into an error instead of a hung replay.
 */
#define RS_STEP_TIMEOUT		(60 * HZ)

/**
 * rmp_sync_host_step() - run one pass of a stepped instance on its runner.
 * @pass: the pass's figures.
 * @sleep_ms: what rmp_sync_background() returned.
 *
 * Wakes khugepaged if it runs, the fallback work otherwise, and waits until
 * it has run the pass.
 *
 * Context: process context, may sleep; not under get_online_mems().
 * Return: 0, -ENODEV (no stepped instance attached) or -ETIMEDOUT.
 */
int rmp_sync_host_step(struct rmp_sync_pass *pass, unsigned int *sleep_ms)
{
	int ret = 0;

	mutex_lock(&rs_step_lock);
	if (!READ_ONCE(rs_host) || !READ_ONCE(rs_step_kick)) {
		mutex_unlock(&rs_step_lock);
		return -ENODEV;
	}
	reinit_completion(&rs_step_done);
	atomic_set(&rs_step_req, 1);
	rs_wake();
	if (!wait_for_completion_timeout(&rs_step_done, RS_STEP_TIMEOUT)) {
		atomic_set(&rs_step_req, 0);
		ret = -ETIMEDOUT;
	} else {
		mutex_lock(&rs_host_lock);
		*pass = rs_step_pass;
		*sleep_ms = rs_step_sleep;
		mutex_unlock(&rs_host_lock);
	}
	mutex_unlock(&rs_step_lock);
	return ret;
}
