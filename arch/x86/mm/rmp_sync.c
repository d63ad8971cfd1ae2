// SPDX-License-Identifier: GPL-2.0
/*
 * rmp_sync: split/coalesce synchronizer between the SEV-SNP RMP and the
 * host direct map.
 *
 * Why: a host write through a 2M or 1G direct-map leaf is RMP-checked against
 * every RMP entry of the 2M range written (APM Vol. 2, "RMP and VMPL Access
 * Checks"; comment above adjust_direct_map() in Linux 6.12).  So the direct
 * map must be 4K wherever a 2M region is "mixed" (some pages assigned to a
 * guest or the firmware, some not).  Linux 6.12 splits before every 4K
 * RMPUPDATE and never merges back; rmp_sync keeps one word of state per 2M
 * region and splits exactly when a region becomes mixed, then collapses it
 * back to 2M (and its 1G range back to 1G) once it is uniform again.
 *
 * Guarantees (Documentation/arch/x86/rmp_sync.rst):
 *  S1 the split and its TLB flush complete before the RMPUPDATE that makes a
 *     region mixed;
 *  S2 a uniform region that rmp_sync split is queued and collapsed by
 *     rmp_sync_recover();
 *  S3 every counter is derived from the region words in one place,
 *     rs_set_state(), and rmp_sync_check() recounts them;
 *  S4 a collapse happens only after the RMPUPDATE that made the region
 *     uniform, under the region lock; the backend frees the old table only
 *     after its flush;
 *  S5 one global flush per recovery pass, however many regions it collapsed;
 *     recovery flushes are rate-limited per second;
 *  S6 rmp_sync_make_shared() fails only where the RMP itself refuses: "in
 *     use" and "overlap" are retried until they pass, a count stale against
 *     the RMP is recounted (rs_resync_locked()), and its split may not fail.
 *
 * Locking, outermost first:
 *
 *   rs->resize (percpu rwsem)		read side: every call that touches
 *					region words; write side:
 *					rmp_sync_grow() and rmp_sync_offline()
 *     rs->recover_lock			one recovery pass at a time
 *       rs->locks[region % RMP_SYNC_NR_LOCKS]	one region's transitions
 *         rs->leak_lock			the leaked-page set
 *         backend locks: cpa_lock -> pgd_lock (direct map), RMP entry locks
 *
 * Region locks are never nested, so transitions on different regions run in
 * parallel and the backends may take cpa_lock/pgd_lock inside them.  In the
 * kernel, mem_hotplug_lock (get_online_mems() around a background pass, the
 * write side around the memory notifier) is taken outside all of these.
 */
#define pr_fmt(fmt) "rmp_sync: " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/percpu-rwsem.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/rmp_sync.h>
#include <linux/rmp_sync_debug.h>

#define CREATE_TRACE_POINTS
#include <trace/events/rmp_sync.h>

/*
 * The state of one 2M region, 4 bytes:
 *
 *  RS_ASSIGNED   pages assigned in the RMP, plus leaked pages the RMP shows
 *                as hypervisor-owned (leaked pages count as assigned forever)
 *  RS_RMP_2M     the RMP holds one assigned 2M entry for the region
 *  RS_SPLIT      the direct map maps the region with 4K pages
 *  RS_OURS       ... because rmp_sync split it (only then may it collapse it)
 *  RS_PENDING    split by us and uniform again: a collapse candidate
 *  RS_LEAKED     some pages were leaked (snp_leak_pages())
 *  RS_LEAK_LOST  a leak could not be recorded page by page: the region is
 *                never collapsed again and its count is not trusted (see
 *                rmp_sync_leak_pages()); its transitions go on
 *  RS_PARKED     the backend refused to collapse it; not a candidate again
 *                until its next transition
 *  RS_BACKOFF    back-off level: the collapse delay is multiplied by
 *                4^level (rs_split_locked() raises it, see there)
 *  RS_STAMP      when RS_PENDING was set; or, while RS_OURS is set without
 *                RS_SPLIT, when rmp_sync collapsed the region; in units of
 *                RS_STAMP_UNIT ms (wraps)
 *
 * RS_PENDING is derived (rs_candidate()), kept in the word so that the
 * recovery pass can skip non-candidates without taking their lock.
 * RS_OURS without RS_SPLIT means "collapsed by rmp_sync at RS_STAMP": a
 * re-split soon after tells a flipping region from one that stayed 2M.
 */
#define RS_ASSIGNED		GENMASK(9, 0)
#define RS_RMP_2M		BIT(10)
#define RS_SPLIT		BIT(11)
#define RS_OURS			BIT(12)
#define RS_PENDING		BIT(13)
#define RS_LEAKED		BIT(14)
#define RS_LEAK_LOST		BIT(15)
#define RS_PARKED		BIT(16)
#define RS_BACKOFF_SHIFT	17
#define RS_BACKOFF		GENMASK(19, 17)
#define RS_BACKOFF_MAX		7
#define RS_STAMP_SHIFT		20
#define RS_STAMP_BITS		12
#define RS_STAMP_UNIT_SHIFT	8	/* 256 ms */
#define RS_STAMP_UNIT		BIT(RS_STAMP_UNIT_SHIFT)
#define RS_STAMP_MASK		GENMASK(31, 20)

/*
 * The stamp wraps after 2^12 * 256 ms = 1048 s.  An age is only trusted up
 * to half of that: the longest effective (backed-off) delay, and the window
 * in which a re-split after a collapse counts as a flip.
 */
#define RMP_SYNC_MAX_DELAY_MS	(1U << (RS_STAMP_BITS - 1 + RS_STAMP_UNIT_SHIFT))

/*
 * Collapse stamps older than RMP_SYNC_MAX_DELAY_MS no longer matter (a
 * re-split then is no flip) and are forgotten by a sweep that runs at least
 * this often while any is kept, so that none lives long enough for its 12
 * bits to wrap and make an old collapse look recent: at a sweep a stamp is
 * at most RMP_SYNC_MAX_DELAY_MS + RMP_SYNC_SWEEP_MS old, less than the wrap.
 */
#define RMP_SYNC_SWEEP_MS	(RMP_SYNC_MAX_DELAY_MS / 2)

/* Hashed region locks: adjacent regions never share one. */
#define RMP_SYNC_NR_LOCKS	256

/*
 * RMPUPDATE/PSMASH "in use" or "overlap" is transient and retried until it
 * passes, as Linux 6.12 does; every this many tries the CPU is offered to
 * others.
 */
#define RMP_SYNC_RMP_RESCHED	64

/* The region words, replaced as a whole by rmp_sync_grow() (RCU). */
struct rmp_sync_regions {
	u64 nr;			/* 2M regions covered */
	u64 nr_gb;		/* 1G ranges covered (last one may be partial) */
	/* 1G ranges whose 1G leaf rmp_sync split: only those it restores. */
	unsigned long *split_1g;
	/* 1G ranges that may have become collapsible: the next pass tries. */
	unsigned long *gb_pending;
	atomic_t state[];
};

/*
 * The counters.  The region totals (RSC_REGIONS_*) are gauges kept as
 * deltas; the others count events.  Every transition adds to some of them,
 * so each CPU has its own set and no cache line is shared between
 * transitions on different regions.
 */
enum rs_counter {
	RSC_REGIONS_MIXED,
	RSC_REGIONS_SPLIT,
	RSC_REGIONS_PENDING,
	/* words "collapsed by rmp_sync at RS_STAMP" (RS_OURS alone) */
	RSC_REGIONS_RECENT,
	RSC_SPLITS,
	RSC_SPLITS_1G,
	RSC_COLLAPSES_2M,
	RSC_COLLAPSES_1G,
	/* one per enum rmp_sync_collapse_result */
	RSC_COLLAPSE_FAILURES,
	RSC_PSMASH = RSC_COLLAPSE_FAILURES + RMP_SYNC_COLLAPSE_NR_RESULTS,
	RSC_LEAKED_PAGES,
	RSC_TLB_FLUSHES,
	RSC_RECOVERY_FLUSHES,
	RSC_FULL_SCANS,
	RSC_BACKOFFS,
	RSC_THROTTLED,
	RSC_RMP_UPDATES,
	RSC_RMP_RETRIES,
	RSC_RESYNCS,
	RSC_NR
};

/* One CPU's counters. */
struct rs_counters {
	long c[RSC_NR];
};

struct rmp_sync {
	/* Backends, clock and initial knobs; read-only after creation. */
	struct rmp_sync_config cfg;
	/*
	 * Policy and knobs, read locklessly (READ_ONCE) and written by the
	 * setters; knob[RMP_SYNC_KNOB_ENABLED] is unused (mode says it).
	 */
	unsigned int mode;		/* enum rmp_sync_mode */
	unsigned int knob[RMP_SYNC_NR_KNOBS];

	/* Region array; readers use RCU, writers hold a region lock. */
	struct rmp_sync_regions __rcu *regions;
	/* Excludes rmp_sync_grow() (write) from everything else (read). */
	struct percpu_rw_semaphore resize;
	/* Region lock: serializes transitions and collapses of its regions. */
	struct mutex locks[RMP_SYNC_NR_LOCKS];
	/*
	 * One recovery pass at a time; protects recover_cursor, next_due_ms
	 * (no candidate seen by the last scan is due before it) and the flush
	 * budget: rl_flushes passes flushed in clock second rl_second.
	 */
	struct mutex recover_lock;
	u64 recover_cursor;
	u64 next_due_ms;
	u64 rl_second;
	unsigned int rl_flushes;
	/* ... and when the next sweep of old collapse stamps is due. */
	u64 next_sweep_ms;
	/*
	 * Earliest due time (clock ms, as unsigned long) of the candidates
	 * queued since the last pass took it; ULONG_MAX: none.  Lockless.
	 */
	atomic_long_t new_due;

	/* Protects leaked, nr_leaked, leaked_cap: sorted leaked PFNs. */
	struct mutex leak_lock;
	u64 *leaked;
	unsigned int nr_leaked;
	unsigned int leaked_cap;

	/*
	 * Counters (enum rs_counter), one set per CPU: the CPU that counts an
	 * event adds to its own set, readers sum the sets (rs_count()).  The
	 * region totals change only in rs_set_state(), as deltas.
	 */
	struct rs_counters __percpu *counters;
};

/*
 * The failure point of the core's allocations (<linux/rmp_sync_debug.h>),
 * for the tests: armed with rmp_sync_fault_arm(), the Nth allocation the
 * core makes fails.  Disarmed, it costs one load per allocation.
 */
struct rmp_sync_fault_attr rmp_sync_alloc_fault;

static bool rs_fail_alloc(void)
{
	int err;

	return rmp_sync_should_fail(&rmp_sync_alloc_fault, &err);
}

/* Names, ranges and defaults of the knobs: sysfs and the simulator use it. */
const struct rmp_sync_knob_desc rmp_sync_knobs[RMP_SYNC_NR_KNOBS] = {
	[RMP_SYNC_KNOB_ENABLED]			= { "enabled", 0, 1, 1 },
	[RMP_SYNC_KNOB_COLLAPSE_DELAY_MS]	= { "collapse_delay_millisecs", 0,
						    RMP_SYNC_MAX_DELAY_MS, 1000 },
	[RMP_SYNC_KNOB_REGIONS_TO_SCAN]		= { "regions_to_scan", 1,
						    1U << 20, 512 },
	[RMP_SYNC_KNOB_SCAN_SLEEP_MS]		= { "scan_sleep_millisecs", 1,
						    3600000, 1000 },
	[RMP_SYNC_KNOB_MAX_FLUSHES_PER_SEC]	= { "max_flushes_per_sec", 1,
						    1000, 10 },
	[RMP_SYNC_KNOB_DEFRAG_1G]		= { "defrag_1g", 0, 1, 1 },
	[RMP_SYNC_KNOB_COLLAPSE_PRIVATE]	= { "collapse_private", 0, 1, 0 },
};

#define RS_COUNTER(name, field) { name, offsetof(struct rmp_sync_stats, field) }

/* The counters' sysfs names, in the order sysfs and the simulator show. */
const struct rmp_sync_counter_desc rmp_sync_counters[] = {
	RS_COUNTER("regions_total", regions_total),
	RS_COUNTER("regions_mixed", regions_mixed),
	RS_COUNTER("regions_split", regions_split),
	RS_COUNTER("regions_pending", regions_pending),
	RS_COUNTER("splits", splits),
	RS_COUNTER("splits_1g", splits_1g),
	RS_COUNTER("collapses_2m", collapses_2m),
	RS_COUNTER("collapses_1g", collapses_1g),
	RS_COUNTER("collapse_failures", collapse_failures_total),
	RS_COUNTER("collapse_failures_not_split",
		   collapse_failures[RMP_SYNC_COLLAPSE_NOT_SPLIT]),
	RS_COUNTER("collapse_failures_layout",
		   collapse_failures[RMP_SYNC_COLLAPSE_LAYOUT]),
	RS_COUNTER("collapse_failures_attr",
		   collapse_failures[RMP_SYNC_COLLAPSE_ATTR]),
	RS_COUNTER("collapse_failures_foreign",
		   collapse_failures[RMP_SYNC_COLLAPSE_FOREIGN]),
	RS_COUNTER("collapse_failures_no_pse",
		   collapse_failures[RMP_SYNC_COLLAPSE_NO_PSE]),
	RS_COUNTER("psmash", psmash),
	RS_COUNTER("leaked_pages", leaked_pages),
	RS_COUNTER("tlb_flushes", tlb_flushes),
	RS_COUNTER("recovery_flushes", recovery_flushes),
	RS_COUNTER("full_scans", full_scans),
	RS_COUNTER("backoffs", backoffs),
	RS_COUNTER("throttled", throttled),
	RS_COUNTER("rmp_updates", rmp_updates),
	RS_COUNTER("rmp_retries", rmp_retries),
	RS_COUNTER("resyncs", resyncs),
};

const unsigned int rmp_sync_nr_counters = ARRAY_SIZE(rmp_sync_counters);

/* Count @delta events (or a gauge's change) on this CPU. */
static inline void rs_count_add(struct rmp_sync *rs, enum rs_counter c, long delta)
{
	this_cpu_add(rs->counters->c[c], delta);
}

static inline void rs_count_inc(struct rmp_sync *rs, enum rs_counter c)
{
	this_cpu_inc(rs->counters->c[c]);
}

/* A region total: one more or one fewer region when @was and @is differ. */
static inline void rs_gauge(struct rmp_sync *rs, enum rs_counter c, bool was,
			    bool is)
{
	if (was != is)
		rs_count_add(rs, c, is ? 1 : -1);
}

/*
 * A counter's value: the sum over the CPUs.  Exact when no transition runs;
 * meanwhile it may miss the changes in flight, so a gauge can read a few
 * too low (never below 0 here) or too high.  Every change that makes a
 * region a collapse candidate is followed by a kick and a due time
 * (rs_note_due()), so a pass that read the pending gauge too low is
 * followed by another.
 */
static unsigned long rs_count(struct rmp_sync *rs, enum rs_counter c)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(rs->counters, cpu)->c[c]);
	return sum > 0 ? sum : 0;
}

static inline unsigned int rs_assigned(u32 w)
{
	return w & RS_ASSIGNED;
}

static inline bool rs_mixed(unsigned int assigned)
{
	return assigned && assigned < RMP_SYNC_REGION_PAGES;
}

static inline u64 rs_region_pfn(u64 region)
{
	return region << RMP_SYNC_REGION_SHIFT;
}

static inline struct mutex *rs_lock(struct rmp_sync *rs, u64 region)
{
	return &rs->locks[region & (RMP_SYNC_NR_LOCKS - 1)];
}

/*
 * The region array of a caller that holds the resize lock for reading:
 * rmp_sync_grow() replaces it only with the lock held for writing.
 */
static inline struct rmp_sync_regions *rs_regions(struct rmp_sync *rs)
{
	return rcu_dereference_protected(rs->regions, true);
}

static u64 rs_now(struct rmp_sync *rs)
{
	return rs->cfg.clock_ms ? rs->cfg.clock_ms(rs->cfg.clock_priv) : 0;
}

static u32 rs_stamp(u64 now_ms)
{
	return ((u32)(now_ms >> RS_STAMP_UNIT_SHIFT) << RS_STAMP_SHIFT) & RS_STAMP_MASK;
}

/*
 * Milliseconds since the stamp of @w, rounded down to a stamp unit.  The
 * stamp itself was rounded down, so the true age exceeds the result minus
 * one unit; modulo the wrap.
 */
static u64 rs_age_ms(u32 w, u64 now_ms)
{
	u32 then = (w & RS_STAMP_MASK) >> RS_STAMP_SHIFT;
	u32 age = ((u32)(now_ms >> RS_STAMP_UNIT_SHIFT) - then) &
		  ((1U << RS_STAMP_BITS) - 1);

	return (u64)age << RS_STAMP_UNIT_SHIFT;
}

static unsigned int rs_backoff(u32 w)
{
	return (w & RS_BACKOFF) >> RS_BACKOFF_SHIFT;
}

/*
 * Has a candidate waited its delay (collapse_delay_millisecs * 4^back-off level,
 * at most RMP_SYNC_MAX_DELAY_MS) since it was queued?  Never early: one
 * unit of stamp rounding is added.
 */
static u64 rs_wait_ms(struct rmp_sync *rs, u32 w, u64 now_ms)
{
	u64 delay = READ_ONCE(rs->knob[RMP_SYNC_KNOB_COLLAPSE_DELAY_MS]);
	u64 queued, due;

	if (!delay)
		return 0;
	delay = min_t(u64, delay << (2 * rs_backoff(w)), RMP_SYNC_MAX_DELAY_MS);
	/* The stamp in clock ms; due at the first unit boundary past it. */
	queued = round_down(now_ms, RS_STAMP_UNIT) - rs_age_ms(w, now_ms);
	due = queued + round_up(delay + RS_STAMP_UNIT, RS_STAMP_UNIT);
	return due > now_ms ? due - now_ms : 0;
}

/* Has the candidate with word @w waited its delay by @now_ms? */
static bool rs_candidate_due(struct rmp_sync *rs, u32 w, u64 now_ms)
{
	return !rs_wait_ms(rs, w, now_ms);
}

/* A candidate falls due at @due_ms: the next pass must not skip its scan. */
static void rs_note_due(struct rmp_sync *rs, u64 due_ms)
{
	long old = atomic_long_read(&rs->new_due);

	while ((unsigned long)old > due_ms &&
	       !atomic_long_try_cmpxchg(&rs->new_due, &old, (long)due_ms))
		;
}

/*
 * Is a region with word @w a collapse candidate under @mode?  With
 * collapse_private off, only a region wholly back with the hypervisor is:
 * the host never touches guest-private memory, so its 4K mapping costs
 * nothing until then, and collapsing it costs a re-split if the guest
 * converts a page again.
 */
static bool rs_candidate(struct rmp_sync *rs, enum rmp_sync_mode mode, u32 w)
{
	unsigned int assigned = rs_assigned(w);

	/* Most words are not split by rmp_sync: the cheapest test first. */
	if ((w & (RS_SPLIT | RS_OURS | RS_LEAK_LOST | RS_PARKED)) !=
	    (RS_SPLIT | RS_OURS) || mode < RMP_SYNC_MODE_DEFERRED)
		return false;
	if (assigned && !READ_ONCE(rs->knob[RMP_SYNC_KNOB_COLLAPSE_PRIVATE]))
		return false;
	return !rs_mixed(assigned);
}

/*
 * Store a region's new word and keep the region counters in step.  Every
 * change of a word goes through here, with the region lock held: S3.
 * Returns the word stored (RS_PENDING and the stamp derived here).
 */
static u32 rs_set_state(struct rmp_sync *rs, struct rmp_sync_regions *regions,
			u64 region, u32 old, u32 new)
{
	bool pend = rs_candidate(rs, READ_ONCE(rs->mode), new);

	if (pend && !(old & RS_PENDING))
		new = (new & ~RS_STAMP_MASK) | rs_stamp(rs_now(rs));
	else if (pend)
		new = (new & ~RS_STAMP_MASK) | (old & RS_STAMP_MASK);
	else if ((new & (RS_SPLIT | RS_OURS)) != RS_OURS)
		new &= ~RS_STAMP_MASK;	/* RS_OURS alone: the caller's stamp */
	if (pend)
		new |= RS_PENDING;
	else
		new &= ~RS_PENDING;

	rs_gauge(rs, RSC_REGIONS_MIXED, rs_mixed(rs_assigned(old)),
		 rs_mixed(rs_assigned(new)));
	rs_gauge(rs, RSC_REGIONS_SPLIT, (old & RS_SPLIT) && (old & RS_OURS),
		 (new & RS_SPLIT) && (new & RS_OURS));
	rs_gauge(rs, RSC_REGIONS_PENDING, old & RS_PENDING, new & RS_PENDING);
	rs_gauge(rs, RSC_REGIONS_RECENT, (old & (RS_SPLIT | RS_OURS)) == RS_OURS,
		 (new & (RS_SPLIT | RS_OURS)) == RS_OURS);

	atomic_set(&regions->state[region], (int)new);
	return new;
}

/*
 * What each RMP instruction status (APM Vol. 3, RMPUPDATE and PSMASH) means
 * to the API: the errno a caller sees, and whether it is retried until it
 * passes ("in use", "overlap": another CPU holds the entry).  A status not
 * listed is -EFAULT and not retried.  A new status code is one row here.
 */
static const struct {
	int err;
	bool transient;
} rs_rmp_statuses[] = {
	[RMP_SYNC_RMP_SUCCESS]		= { 0, false },
	[RMP_SYNC_RMP_FAIL_INPUT]	= { -EINVAL, false },
	[RMP_SYNC_RMP_FAIL_PERMISSION]	= { -EFAULT, false },
	[RMP_SYNC_RMP_FAIL_INUSE]	= { -EBUSY, true },
	[RMP_SYNC_RMP_FAIL_OVERLAP]	= { -EBUSY, true },
};

/* Map a backend's result to the one error convention of the API. */
static int rs_rmp_errno(int status)
{
	switch (status) {
	case -ENOMEM:
	case -ENODEV:
	case -EBUSY:
	case -EINVAL:
		return status;
	}
	if (status >= 0 && (size_t)status < ARRAY_SIZE(rs_rmp_statuses))
		return rs_rmp_statuses[status].err;
	return -EFAULT;
}

static bool rs_rmp_transient(int status)
{
	return status >= 0 && (size_t)status < ARRAY_SIZE(rs_rmp_statuses) &&
	       rs_rmp_statuses[status].transient;
}

/*
 * Is an "overlap" from the RMPUPDATE of @pfn with @st explained by the RMP:
 * a 2M-sized assigned entry under a 4K update, or an assigned 4K-sized
 * entry under a 2M update?  Then the region word was stale (the RMP was
 * changed without rmp_sync), and retrying would never end; the caller
 * recounts the region and starts over.
 */
static bool rs_overlap_stale(struct rmp_sync *rs, u64 pfn,
			     const struct rmp_sync_rmp_state *st)
{
	struct rmp_sync_rmp_entry e;
	unsigned int i;

	if (st->level != PG_LEVEL_2M)
		return !rs->cfg.rmp->lookup(rs->cfg.rmp_priv, pfn, &e) &&
		       e.assigned && e.level == PG_LEVEL_2M;
	for (i = 0; i < RMP_SYNC_REGION_PAGES; i++)
		if (!rs->cfg.rmp->lookup(rs->cfg.rmp_priv, pfn + i, &e) &&
		    e.assigned && e.level != PG_LEVEL_2M)
			return true;
	return false;
}

/*
 * One RMP instruction: RMPUPDATE with @st, or PSMASH when @st is NULL.  "In
 * use" and "overlap" mean another CPU holds the entry for a moment (Linux
 * 6.12 retries RMPUPDATE on overlap until it passes, KVM retries PSMASH on
 * in-use).  Retry them without bound: giving up would make
 * rmp_make_shared() fail where the hardware would have accepted, and KVM
 * then frees a page that is still assigned (S6).
 */
static int rs_rmp_insn(struct rmp_sync *rs, u64 pfn,
		       const struct rmp_sync_rmp_state *st)
{
	unsigned long tries = 0;
	int ret;

	for (;;) {
		ret = st ? rs->cfg.rmp->update(rs->cfg.rmp_priv, pfn, st) :
			   rs->cfg.rmp->psmash(rs->cfg.rmp_priv, pfn);
		if (!rs_rmp_transient(ret))
			break;
		/* An overlap the RMP itself explains is not going away. */
		if (!tries && st && ret == RMP_SYNC_RMP_FAIL_OVERLAP &&
		    rs_overlap_stale(rs, pfn, st))
			return -ESTALE;
		rs_count_inc(rs, RSC_RMP_RETRIES);
		if (++tries % RMP_SYNC_RMP_RESCHED)
			cpu_relax();
		else
			cond_resched();
	}

	if (ret) {
		pr_warn_ratelimited("%s: %s failed for PFN 0x%llx: status %d\n",
				    rs->cfg.rmp->name, st ? "RMPUPDATE" : "PSMASH",
				    (unsigned long long)pfn, ret);
		return rs_rmp_errno(ret);
	}
	rs_count_inc(rs, st ? RSC_RMP_UPDATES : RSC_PSMASH);
	return 0;
}

/* PSMASH the 2M RMP entry of @region; the region lock is held. */
static int rs_psmash_locked(struct rmp_sync *rs, struct rmp_sync_regions *regions,
			    u64 region, u32 *w)
{
	int ret = rs_rmp_insn(rs, rs_region_pfn(region), NULL);

	if (!ret)
		*w = rs_set_state(rs, regions, region, *w, *w & ~RS_RMP_2M);
	return ret;
}

/*
 * Make @region 4K in the direct map, flushed (S1), and record who split it.
 * A 1G leaf split on the way is remembered even if the 2M step then fails,
 * so that the 1G range is restored later.
 *
 * Back-off: re-splitting a region that rmp_sync collapsed less than
 * RMP_SYNC_MAX_DELAY_MS ago means the collapse bought little and cost a
 * flush pair, so the region's collapse delay grows fourfold (up to
 * RMP_SYNC_MAX_DELAY_MS); a
 * region that stayed 2M longer starts again from the plain delay.  The level
 * lives in the region word: no memory per event (S5).
 */
static int rs_split_locked(struct rmp_sync *rs, struct rmp_sync_regions *regions,
			   u64 region, bool nofail, u32 *w)
{
	u64 pfn = rs_region_pfn(region);
	int old_level = PG_LEVEL_NONE;
	u32 new = *w;
	int ret;

	ret = rs->cfg.dmap->split(rs->cfg.dmap_priv, pfn, nofail, &old_level);
	if (ret)
		trace_rmp_sync_split(pfn, old_level, rs_backoff(new), ret);
	/*
	 * The backend samples the level under its own lock, so a 1G leaf it
	 * reports was really there; after a failure, ask it (again under its
	 * lock) whether the 1G step was done before the 2M step failed.
	 */
	if (old_level == PG_LEVEL_1G &&
	    (!ret || rs->cfg.dmap->level(rs->cfg.dmap_priv, pfn) < PG_LEVEL_1G)) {
		set_bit(region / RMP_SYNC_GB_REGIONS, regions->split_1g);
		rs_count_inc(rs, RSC_SPLITS_1G);
		if (ret)
			set_bit(region / RMP_SYNC_GB_REGIONS, regions->gb_pending);
	}
	if (ret) {
		pr_warn_ratelimited("%s: cannot split at PFN 0x%llx: %d\n",
				    rs->cfg.dmap->name, (unsigned long long)pfn, ret);
		return ret;
	}
	if (old_level == PG_LEVEL_NONE)
		return 0;	/* a hole: nothing maps it, nothing to protect */

	new |= RS_SPLIT;
	if (old_level > PG_LEVEL_4K) {
		unsigned int level = rs_backoff(new);

		if ((*w & (RS_SPLIT | RS_OURS)) == RS_OURS &&
		    rs_age_ms(*w, rs_now(rs)) < RMP_SYNC_MAX_DELAY_MS) {
			level = min(level + 1, (unsigned int)RS_BACKOFF_MAX);
			rs_count_inc(rs, RSC_BACKOFFS);
		} else {
			level = 0;
		}
		new = (new & ~RS_BACKOFF) | (level << RS_BACKOFF_SHIFT) | RS_OURS;
		trace_rmp_sync_split(pfn, old_level, level, 0);
		rs_count_inc(rs, RSC_SPLITS);
		rs_count_inc(rs, RSC_TLB_FLUSHES);
	} else {
		new &= ~RS_OURS;	/* someone else made it 4K */
	}
	*w = rs_set_state(rs, regions, region, *w, new);
	return 0;
}

/* Is @pfn in the leaked set?  Caller holds the region lock. */
static bool rs_pfn_leaked(struct rmp_sync *rs, u64 pfn)
{
	unsigned int lo = 0, hi;
	bool found = false;

	mutex_lock(&rs->leak_lock);
	hi = rs->nr_leaked;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (rs->leaked[mid] == pfn) {
			found = true;
			break;
		}
		if (rs->leaked[mid] < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	mutex_unlock(&rs->leak_lock);
	return found;
}

/* Is a leaked page of @w's region among [@pfn, @pfn + @npages)? */
static bool rs_range_leaked(struct rmp_sync *rs, u32 w, u64 pfn,
			    unsigned int npages)
{
	unsigned int i;

	if (!(w & RS_LEAKED))
		return false;
	for (i = 0; i < npages; i++)
		if (rs_pfn_leaked(rs, pfn + i))
			return true;
	return false;
}

/* One RMP transition; we pass it instead of six arguments. */
struct rs_op {
	u64 pfn;
	struct rmp_sync_rmp_state st;
	unsigned int npages;		/* 1 or RMP_SYNC_REGION_PAGES */
};

/*
 * Recount @region from the RMP and the leaked set, because its word
 * disagrees with the RMP: a page was assigned or given back without
 * rmp_sync (firmware or IOMMU set-up before the instance existed, a
 * kexec'd kernel's guests), or a leak could not be recorded.  Counted,
 * traced and warned about; never refused (S6).  The region lock is held.
 * Returns the new word.
 */
static u32 rs_resync_locked(struct rmp_sync *rs, struct rmp_sync_regions *regions,
			    u64 region, u32 w, bool report)
{
	u64 pfn = rs_region_pfn(region);
	u32 new = w & ~(RS_ASSIGNED | RS_RMP_2M);
	struct rmp_sync_rmp_entry e;
	unsigned int assigned = 0, i;

	for (i = 0; i < RMP_SYNC_REGION_PAGES; i++) {
		bool leaked = (w & RS_LEAKED) && rs_pfn_leaked(rs, pfn + i);

		/* An entry that cannot be read counts as assigned: the safe side. */
		if (rs->cfg.rmp->lookup(rs->cfg.rmp_priv, pfn + i, &e))
			e.assigned = true;
		else if (!i && e.assigned && e.level == PG_LEVEL_2M)
			new |= RS_RMP_2M;
		assigned += e.assigned || leaked;
	}
	new |= assigned;
	if (new == w)
		return w;
	trace_rmp_sync_resync(pfn, rs_assigned(w), assigned);
	if (!report)
		return rs_set_state(rs, regions, region, w, new);
	rs_count_inc(rs, RSC_RESYNCS);
	pr_warn_ratelimited("region at PFN 0x%llx: %u pages counted assigned, the RMP has %u; recounted\n",
			    (unsigned long long)pfn, rs_assigned(w), assigned);
	return rs_set_state(rs, regions, region, w, new);
}

/*
 * Does the word @w contradict the RMP entry @e of the page @op changes?
 * A page to give back must be counted, and its 2M entry known; a page to
 * assign must leave room in the count.
 */
static bool rs_word_stale(const struct rs_op *op, u32 w,
			  const struct rmp_sync_rmp_entry *e)
{
	bool rmp_2m = e->assigned && e->level == PG_LEVEL_2M;

	if (!op->st.assigned)
		return rs_assigned(w) < op->npages || rmp_2m != !!(w & RS_RMP_2M);
	return op->npages == 1 &&
	       (rs_assigned(w) >= RMP_SYNC_REGION_PAGES || (w & RS_RMP_2M));
}

/*
 * Can @op be applied to a region in state *@w?  Refused with -EINVAL, before
 * anything changes: a leaked or immutable page (the firmware must reclaim
 * an immutable page first; the RMP would refuse), a page already in the
 * requested state (for rmp_make_shared(): already safe to free), a 2M
 * assignment over assigned pages, a 2M return without a 2M entry.  A
 * word that disagrees with the RMP is recounted first (*@w updated), never
 * a reason to refuse.
 */
static int rs_validate(struct rmp_sync *rs, struct rmp_sync_regions *regions,
		       u64 region, const struct rs_op *op, u32 *w)
{
	struct rmp_sync_rmp_entry e;

	if (rs_range_leaked(rs, *w, op->pfn, op->npages))
		return -EINVAL;
	if (rs->cfg.rmp->lookup(rs->cfg.rmp_priv, op->pfn, &e))
		return -EINVAL;
	if (e.immutable || e.assigned == op->st.assigned)
		return -EINVAL;
	/*
	 * A region with a lost leak record has a count nobody can check (the
	 * leaked page is not in the set): it is split on any change and never
	 * collapsed, so its count does not matter; leave it alone.
	 */
	if (!(*w & RS_LEAK_LOST) && rs_word_stale(op, *w, &e))
		*w = rs_resync_locked(rs, regions, region, *w, true);

	if (op->npages == RMP_SYNC_REGION_PAGES) {
		if (op->st.assigned)
			return rs_assigned(*w) ? -EINVAL : 0;
		if (!(*w & RS_RMP_2M))
			return -EINVAL;
	}
	return 0;
}

/* Must the direct map be split before @op, in @mode, for a region @w? */
static bool rs_needs_split(struct rmp_sync *rs, enum rmp_sync_mode mode,
			   const struct rs_op *op, u32 w, unsigned int assigned)
{
	/* rmp_sync's own modes first: they are what runs. */
	if (likely(mode >= RMP_SYNC_MODE_DEFERRED)) {
		/* A region whose count is not trusted is split on any change. */
		if ((w & (RS_SPLIT | RS_LEAK_LOST)) == RS_LEAK_LOST)
			return true;
		/* A 2M transition leaves the region uniform (rs_validate()). */
		return op->npages == 1 && !(w & RS_SPLIT) && rs_mixed(assigned);
	}
	/* upstream's adjust_direct_map(): any 4K transition of a >= 2M leaf */
	return mode == RMP_SYNC_MODE_UPSTREAM && op->npages == 1 &&
	       rs->cfg.dmap->level(rs->cfg.dmap_priv, op->pfn) > PG_LEVEL_4K;
}

static void rs_collapse_gb(struct rmp_sync *rs, struct rmp_sync_regions *regions,
			   u64 gb, struct rmp_sync_pass *pass);

/*
 * Collapse the candidate @region back to a 2M leaf.  No flush here: the
 * caller pays one for the whole batch.  Returns true if a flush is owed.
 */
static bool rs_collapse_locked(struct rmp_sync *rs, struct rmp_sync_regions *regions,
			       u64 region, u32 w, struct rmp_sync_pass *pass)
{
	bool want = rs_assigned(w) != 0;
	u64 pfn = rs_region_pfn(region);
	struct rmp_sync_rmp_entry e;
	unsigned int i;
	u32 new = w;
	int res;

	/*
	 * The count is no proof that the RMP is uniform: a page may have been
	 * assigned without rmp_sync (the IOMMU's pages at SNP init, say), and
	 * a leaked page counts as assigned while the RMP may show it
	 * hypervisor-owned.  Read the RMP itself before mapping the region 2M
	 * again.  A page that contradicts the count recounts the region; a
	 * leaked hypervisor-owned page among assigned ones parks it.
	 */
	for (i = 0; i < RMP_SYNC_REGION_PAGES; i++) {
		if (rs->cfg.rmp->lookup(rs->cfg.rmp_priv, pfn + i, &e))
			e.assigned = !want;
		if (e.assigned == want)
			continue;
		if (want && rs_range_leaked(rs, w, pfn + i, 1)) {
			res = RMP_SYNC_COLLAPSE_LAYOUT;
			trace_rmp_sync_collapse(pfn, PG_LEVEL_2M, res);
			goto refused;
		}
		rs_resync_locked(rs, regions, region, w, true);
		return false;
	}

	res = rs->cfg.dmap->collapse(rs->cfg.dmap_priv, pfn, PG_LEVEL_2M);
	trace_rmp_sync_collapse(pfn, PG_LEVEL_2M, res);
	if (res == RMP_SYNC_COLLAPSED) {
		u64 gb = region / RMP_SYNC_GB_REGIONS;

		/* RS_OURS alone: collapsed by us, at the stamp (back-off). */
		new = (w & ~(RS_SPLIT | RS_STAMP_MASK)) | rs_stamp(rs_now(rs));
		rs_set_state(rs, regions, region, w, new);
		rs_count_inc(rs, RSC_COLLAPSES_2M);
		if (pass)
			pass->collapsed_2m++;
		if (test_bit(gb, regions->split_1g))
			set_bit(gb, regions->gb_pending);
		return true;
	}

refused:
	if (res < 0 || res >= RMP_SYNC_COLLAPSE_NR_RESULTS)
		return false;	/* transient backend error: stays queued */
	rs_count_inc(rs, RSC_COLLAPSE_FAILURES + res);
	if (pass)
		pass->failed++;
	switch (res) {
	case RMP_SYNC_COLLAPSE_NOT_SPLIT:
		new &= ~(RS_SPLIT | RS_OURS);	/* already one leaf */
		break;
	case RMP_SYNC_COLLAPSE_FOREIGN:
		new &= ~RS_OURS;		/* someone wants it 4K now */
		break;
	default:
		/*
		 * Attributes differ, PSE missing, odd layout: the region stays
		 * 4K until its next transition queues it again.
		 */
		new |= RS_PARKED;
		break;
	}
	rs_set_state(rs, regions, region, w, new);
	return false;
}

/* The flush owed by collapses: one per batch, counted (S5). */
static void rs_flush(struct rmp_sync *rs, struct rmp_sync_pass *pass)
{
	rs->cfg.dmap->flush(rs->cfg.dmap_priv);
	rs_count_inc(rs, RSC_TLB_FLUSHES);
	rs_count_inc(rs, RSC_RECOVERY_FLUSHES);
	if (pass)
		pass->flushes++;
}

static int rs_transition(struct rmp_sync *rs, struct rs_op *op)
{
	struct rmp_sync_regions *regions;
	u64 region = op->pfn >> RMP_SYNC_REGION_SHIFT;
	bool restarted = false;
	enum rmp_sync_mode mode;
	unsigned int assigned;
	struct mutex *lock;	/* the region lock */
	u32 w, new, entry;
	int ret;

	might_sleep();
	percpu_down_read(&rs->resize);
	regions = rs_regions(rs);
	if (op->pfn >= rs_region_pfn(regions->nr)) {
		percpu_up_read(&rs->resize);
		return -EINVAL;
	}
	lock = rs_lock(rs, region);
	mutex_lock(lock);
	w = (u32)atomic_read(&regions->state[region]);
	entry = w;
again:
	ret = rs_validate(rs, regions, region, op, &w);
	if (ret)
		goto out;

	/* Clamped: only a region with a lost leak record can be off by a page. */
	assigned = rs_assigned(w);
	if (op->st.assigned)
		assigned = min_t(unsigned int, assigned + op->npages,
				 RMP_SYNC_REGION_PAGES);
	else
		assigned = assigned > op->npages ? assigned - op->npages : 0;
	mode = READ_ONCE(rs->mode);

	/*
	 * S1: split and flush before the RMPUPDATE that makes it mixed.  The
	 * split rmp_make_shared() needs must not fail for want of a
	 * page-table page (S6): its caller frees the page either way.
	 */
	if (rs_needs_split(rs, mode, op, w, assigned)) {
		ret = rs_split_locked(rs, regions, region, !op->st.assigned, &w);
		if (ret)
			goto out;
	}

	/* A 4K update inside a 2M RMP entry needs the entry smashed first. */
	if (op->npages == 1 && (w & RS_RMP_2M)) {
		ret = rs_psmash_locked(rs, regions, region, &w);
		trace_rmp_sync_psmash(rs_region_pfn(region), false, ret);
		if (ret)
			goto out;
	}

	ret = rs_rmp_insn(rs, op->pfn, &op->st);
	if (ret == -ESTALE && !restarted) {
		/* The RMP was changed behind our back: recount, start over. */
		w = rs_resync_locked(rs, regions, region, w, true);
		restarted = true;
		goto again;
	}
	if (ret == -ESTALE)
		ret = -EINVAL;
	if (ret)
		goto out;

	new = (w & ~(RS_ASSIGNED | RS_PARKED)) | assigned;
	if (op->npages == RMP_SYNC_REGION_PAGES)
		new = op->st.assigned ? (new | RS_RMP_2M) : (new & ~RS_RMP_2M);
	w = rs_set_state(rs, regions, region, w, new);

	if (mode == RMP_SYNC_MODE_EAGER && (w & RS_PENDING)) {
		struct rmp_sync_pass pass = {};
		u64 gb = region / RMP_SYNC_GB_REGIONS;

		if (rs_collapse_locked(rs, regions, region, w, &pass)) {
			if (READ_ONCE(rs->knob[RMP_SYNC_KNOB_DEFRAG_1G]) &&
			    test_and_clear_bit(gb, regions->gb_pending))
				rs_collapse_gb(rs, regions, gb, &pass);
			rs_flush(rs, &pass);
		}
	}
out:
	/*
	 * On a failure after the split the region may be split but uniform:
	 * rs_set_state() above already queued it, or the split did, so the
	 * recovery pass restores it.  Nothing else changed.
	 */
	w = (u32)atomic_read(&regions->state[region]);
	mutex_unlock(lock);
	percpu_up_read(&rs->resize);
	/* A new candidate (not the split's passing moment): wake recovery. */
	if (w & ~entry & RS_PENDING) {
		u64 now = rs_now(rs);

		rs_note_due(rs, now + rs_wait_ms(rs, w, now));
		if (rs->cfg.kick)
			rs->cfg.kick(rs->cfg.kick_priv);
	}
	return ret;
}

/**
 * rmp_sync_make_private() - assign a page or a 2M range to a guest/firmware.
 * @rs: the synchronizer.
 * @pfn: first page; 2M-aligned for a 2M transition.
 * @gpa: guest physical address recorded in the RMP (aligned like @pfn).
 * @level: PG_LEVEL_4K or PG_LEVEL_2M.
 * @asid: owner's ASID (0 for firmware pages).
 * @immutable: firmware-owned page the hypervisor may not change.
 *
 * Splits the direct map first if the 2M region becomes mixed (S1).
 *
 * Context: may sleep.
 * Return: 0, -EINVAL if the pages are not all hypervisor-owned or an
 * argument is out of range (nothing changed), or a backend error.
 */
int rmp_sync_make_private(struct rmp_sync *rs, u64 pfn, u64 gpa,
			  enum pg_level level, u32 asid, bool immutable)
{
	struct rs_op op = {
		.pfn = pfn,
		.st = { .gpa = gpa, .asid = asid, .assigned = true,
			.immutable = immutable, .level = level },
	};
	int ret;

	if (level != PG_LEVEL_4K && level != PG_LEVEL_2M)
		return -EINVAL;
	op.npages = level == PG_LEVEL_2M ? RMP_SYNC_REGION_PAGES : 1;
	if (!IS_ALIGNED(pfn, op.npages) ||
	    !IS_ALIGNED(gpa, (u64)op.npages << PAGE_SHIFT) ||
	    gpa >= RMP_SYNC_GPA_LIMIT || asid >= RMP_SYNC_ASID_LIMIT)
		return -EINVAL;
	ret = rs_transition(rs, &op);
	trace_rmp_sync_make_private(pfn, gpa, level, asid, immutable, ret);
	return ret;
}

/**
 * rmp_sync_make_shared() - return a page or a 2M range to the hypervisor.
 * @rs: the synchronizer.
 * @pfn: first page; 2M-aligned for a 2M transition.
 * @level: PG_LEVEL_4K or PG_LEVEL_2M (the latter only for a 2M RMP entry).
 *
 * A 4K transition inside a 2M RMP entry PSMASHes it first; the region is
 * split first if it becomes mixed, and queued for collapse once uniform.
 * Transient RMP statuses are retried until they pass, a count that
 * disagrees with the RMP is recounted, and the split is asked not to fail
 * (S6: KVM frees the page whatever this returns), so this fails only where
 * the RMP itself refuses.
 *
 * Context: may sleep.
 * Return: 0; -EINVAL if the pages are not assigned, immutable or leaked, or
 * an argument is bad (nothing changed; a page not assigned is safe to
 * free); or the RMP's refusal (the pages stay assigned).
 */
int rmp_sync_make_shared(struct rmp_sync *rs, u64 pfn, enum pg_level level)
{
	struct rs_op op = { .pfn = pfn, .st = { .level = level } };
	int ret;

	if (level != PG_LEVEL_4K && level != PG_LEVEL_2M)
		return -EINVAL;
	op.npages = level == PG_LEVEL_2M ? RMP_SYNC_REGION_PAGES : 1;
	if (!IS_ALIGNED(pfn, op.npages))
		return -EINVAL;
	ret = rs_transition(rs, &op);
	trace_rmp_sync_make_shared(pfn, level, ret);
	return ret;
}

/**
 * rmp_sync_psmash() - split the 2M RMP entry at @pfn into 512 4K entries.
 * @rs: the synchronizer.
 * @pfn: 2M-aligned first page of an assigned 2M RMP entry.
 *
 * The direct map does not change: the region stays uniform.
 *
 * Context: may sleep.
 * Return: 0, -EINVAL (unaligned, out of range, not a 2M entry), or -EBUSY.
 */
int rmp_sync_psmash(struct rmp_sync *rs, u64 pfn)
{
	struct rmp_sync_regions *regions;
	u64 region = pfn >> RMP_SYNC_REGION_SHIFT;
	struct mutex *lock;	/* the region lock */
	int ret = -EINVAL;
	u32 w;

	if (!IS_ALIGNED(pfn, RMP_SYNC_REGION_PAGES)) {
		trace_rmp_sync_psmash(pfn, true, ret);
		return ret;
	}
	percpu_down_read(&rs->resize);
	regions = rs_regions(rs);
	if (region >= regions->nr)
		goto out_resize;
	lock = rs_lock(rs, region);
	mutex_lock(lock);
	w = (u32)atomic_read(&regions->state[region]);
	if (w & RS_RMP_2M)
		ret = rs_psmash_locked(rs, regions, region, &w);
	mutex_unlock(lock);
out_resize:
	percpu_up_read(&rs->resize);
	trace_rmp_sync_psmash(pfn, true, ret);
	return ret;
}

/* Insert @pfn into the sorted leaked set; false if it cannot grow. */
static bool rs_record_leak(struct rmp_sync *rs, u64 pfn)
{
	unsigned int pos;
	bool ok = true;

	mutex_lock(&rs->leak_lock);
	if (rs->nr_leaked == rs->leaked_cap) {
		unsigned int cap = rs->leaked_cap ? rs->leaked_cap * 2 : 16;
		u64 *bigger = rs_fail_alloc() ? NULL :
			      kcalloc(cap, sizeof(*bigger), GFP_KERNEL);

		if (!bigger) {
			ok = false;
			goto out;
		}
		if (rs->nr_leaked)
			memcpy(bigger, rs->leaked, rs->nr_leaked * sizeof(*bigger));
		kfree(rs->leaked);
		rs->leaked = bigger;
		rs->leaked_cap = cap;
	}
	for (pos = rs->nr_leaked; pos && rs->leaked[pos - 1] > pfn; pos--)
		rs->leaked[pos] = rs->leaked[pos - 1];
	rs->leaked[pos] = pfn;
	rs->nr_leaked++;
out:
	mutex_unlock(&rs->leak_lock);
	return ok;
}

/*
 * Record @pfn of @region (word *@w, updated) as leaked; the region lock is
 * held.  A page the RMP shows as hypervisor-owned is counted as assigned
 * from now on.  Sets *@err to -ENOMEM if the page could not be recorded:
 * then the region is never collapsed again.  Returns true if the region
 * became a collapse candidate.
 */
static bool rs_leak_page_locked(struct rmp_sync *rs,
				struct rmp_sync_regions *regions, u64 region,
				u64 pfn, u32 *w, int *err)
{
	struct rmp_sync_rmp_entry e;
	u32 old = *w, new;

	if ((old & RS_LEAK_LOST) || rs_range_leaked(rs, old, pfn, 1))
		return false;
	new = old | RS_LEAKED;
	if (!rs->cfg.rmp->lookup(rs->cfg.rmp_priv, pfn, &e) && !e.assigned &&
	    rs_assigned(old) < RMP_SYNC_REGION_PAGES)
		new = (new & ~RS_ASSIGNED) | (rs_assigned(old) + 1);
	if (!rs_record_leak(rs, pfn)) {
		new |= RS_LEAK_LOST;
		*err = -ENOMEM;
		pr_warn_ratelimited("leaked page at PFN 0x%llx not recorded; its region is never collapsed\n",
				    (unsigned long long)pfn);
	}
	rs_count_inc(rs, RSC_LEAKED_PAGES);
	*w = rs_set_state(rs, regions, region, old, new);
	return !!(*w & ~old & RS_PENDING);
}

/**
 * rmp_sync_leak_pages() - record pages that can never be returned to the host.
 * @rs: the synchronizer.
 * @pfn: first page.
 * @npages: number of pages (> 0).
 *
 * Called where snp_leak_pages() is: the firmware or the RMP refused to give
 * the pages back.  They count as assigned forever, so their region never
 * looks hypervisor-uniform again and is never collapsed around them; later
 * transitions of leaked pages are refused with -EINVAL.  Leaking a page
 * twice is harmless.  If a page cannot be recorded (-ENOMEM), its region is
 * never collapsed again and is split on its next transition; the other
 * pages of the region go on as before.
 *
 * Context: may sleep.
 * Return: 0, -EINVAL (range outside RAM, @npages 0), or -ENOMEM.
 */
int rmp_sync_leak_pages(struct rmp_sync *rs, u64 pfn, unsigned int npages)
{
	struct rmp_sync_regions *regions;
	u64 end = pfn + npages;
	bool kick = false;
	int ret = 0;

	if (!npages || end < pfn)
		return -EINVAL;
	percpu_down_read(&rs->resize);
	regions = rs_regions(rs);
	if (end > rs_region_pfn(regions->nr)) {
		percpu_up_read(&rs->resize);
		return -EINVAL;
	}
	for (; pfn < end; pfn++) {
		u64 region = pfn >> RMP_SYNC_REGION_SHIFT;
		struct mutex *lock = rs_lock(rs, region);
		u32 w;

		mutex_lock(lock);
		w = (u32)atomic_read(&regions->state[region]);
		kick |= rs_leak_page_locked(rs, regions, region, pfn, &w, &ret);
		mutex_unlock(lock);
	}
	percpu_up_read(&rs->resize);
	if (kick) {
		rs_note_due(rs, 0);
		if (rs->cfg.kick)
			rs->cfg.kick(rs->cfg.kick_priv);
	}
	trace_rmp_sync_leak(end - npages, npages, ret);
	return ret;
}

/*
 * Restore the 1G leaf of range @gb if rmp_sync split it and all of its
 * regions are 2M again; the backend re-checks the layout under its lock.
 */
static void rs_collapse_gb(struct rmp_sync *rs, struct rmp_sync_regions *regions,
			   u64 gb, struct rmp_sync_pass *pass)
{
	u64 first = gb * RMP_SYNC_GB_REGIONS, region;
	int res;

	if (first + RMP_SYNC_GB_REGIONS > regions->nr)
		return;
	for (region = first; region < first + RMP_SYNC_GB_REGIONS; region++)
		if ((u32)atomic_read(&regions->state[region]) & RS_SPLIT)
			return;	/* a later collapse will bring us back */

	/*
	 * Clear first: a split racing with the collapse (serialized with it by
	 * the backend) sets the bit again and is not lost.
	 */
	if (!test_and_clear_bit(gb, regions->split_1g))
		return;
	res = rs->cfg.dmap->collapse(rs->cfg.dmap_priv, rs_region_pfn(first),
				     PG_LEVEL_1G);
	trace_rmp_sync_collapse(rs_region_pfn(first), PG_LEVEL_1G, res);
	if (res == RMP_SYNC_COLLAPSED) {
		rs_count_inc(rs, RSC_COLLAPSES_1G);
		if (pass)
			pass->collapsed_1g++;
		return;
	}
	if (res < 0 || res >= RMP_SYNC_COLLAPSE_NR_RESULTS) {
		/* transient: retry next pass */
		set_bit(gb, regions->split_1g);
		set_bit(gb, regions->gb_pending);
		return;
	}
	rs_count_inc(rs, RSC_COLLAPSE_FAILURES + res);
	if (pass)
		pass->failed++;
	/*
	 * Only a layout or attributes that may still change are worth another
	 * try, when a later 2M collapse in the range queues it again; a CPU
	 * without gbpages or a foreign split is final.
	 */
	if (res == RMP_SYNC_COLLAPSE_LAYOUT || res == RMP_SYNC_COLLAPSE_ATTR)
		set_bit(gb, regions->split_1g);
}

/*
 * Forget the collapse stamps that can no longer mean a flip, before they
 * wrap (see RMP_SYNC_SWEEP_MS); recover_lock and the resize lock (read)
 * are held.  A walk of the region words, at most every RMP_SYNC_SWEEP_MS.
 */
static void rs_sweep_stamps_locked(struct rmp_sync *rs, u64 now)
{
	struct rmp_sync_regions *regions = rs_regions(rs);
	unsigned long left;
	u64 region;

	if (now < rs->next_sweep_ms)
		return;
	rs->next_sweep_ms = now + RMP_SYNC_SWEEP_MS;
	/* Stop after the last stamp (counted as the pass counts candidates). */
	left = rs_count(rs, RSC_REGIONS_RECENT);
	for (region = 0; region < regions->nr; region++) {
		struct mutex *lock;	/* the region lock */
		u32 w;

		if (!left) {
			left = rs_count(rs, RSC_REGIONS_RECENT);
			if (!left)
				break;
		}
		w = (u32)atomic_read(&regions->state[region]);
		if ((w & (RS_SPLIT | RS_OURS)) != RS_OURS)
			continue;
		left--;
		if (rs_age_ms(w, now) < RMP_SYNC_MAX_DELAY_MS)
			continue;
		lock = rs_lock(rs, region);
		mutex_lock(lock);
		w = (u32)atomic_read(&regions->state[region]);
		if ((w & (RS_SPLIT | RS_OURS)) == RS_OURS &&
		    rs_age_ms(w, now) >= RMP_SYNC_MAX_DELAY_MS)
			rs_set_state(rs, regions, region, w,
				     w & ~(RS_OURS | RS_STAMP_MASK));
		mutex_unlock(lock);
		cond_resched();
	}
}

/*
 * One recovery pass; recover_lock and the resize lock (read) are held.
 * Examines at most @budget due candidates, from where the last pass
 * stopped, then the 1G ranges they belong to, and pays one global TLB flush
 * for the whole batch (S5).
 */
static void rs_recover_locked(struct rmp_sync *rs, unsigned int budget,
			      bool ignore_delay, struct rmp_sync_pass *pass)
{
	struct rmp_sync_regions *regions = rs_regions(rs);
	u64 now = rs_now(rs), next_due = U64_MAX, fresh, i, gb;
	unsigned long left;
	bool flush = false;

	/*
	 * Nothing is due before next_due_ms, nor before the due time of what
	 * was queued since: skip the scan until then.
	 */
	rs_sweep_stamps_locked(rs, now);
	fresh = (unsigned long)atomic_long_xchg(&rs->new_due, -1L);
	rs->next_due_ms = min(rs->next_due_ms, fresh);
	if (!ignore_delay && now < rs->next_due_ms)
		goto gb;

	/*
	 * The scan stops once it has seen as many candidates as are queued.
	 * The count taken here goes down by one per candidate seen; when it
	 * reaches 0 it is taken again, since transitions may have queued more
	 * meanwhile (or the sum missed one in flight).
	 */
	left = rs_count(rs, RSC_REGIONS_PENDING);
	for (i = 0; i < regions->nr && pass->examined < budget; i++) {
		u64 region = rs->recover_cursor;
		struct mutex *lock;	/* the region lock */
		u32 w;

		if (!left) {
			left = rs_count(rs, RSC_REGIONS_PENDING);
			if (!left)
				break;
		}
		if (++rs->recover_cursor >= regions->nr) {
			rs->recover_cursor = 0;
			rs_count_inc(rs, RSC_FULL_SCANS);
		}
		pass->scanned++;
		w = (u32)atomic_read(&regions->state[region]);
		if (!(w & RS_PENDING))
			continue;
		left--;
		if (!ignore_delay && !rs_candidate_due(rs, w, now)) {
			next_due = min(next_due, now + rs_wait_ms(rs, w, now));
			continue;
		}
		lock = rs_lock(rs, region);
		mutex_lock(lock);
		w = (u32)atomic_read(&regions->state[region]);
		if (w & RS_PENDING) {
			pass->examined++;
			flush |= rs_collapse_locked(rs, regions, region, w, pass);
			/* a transient backend error: look again next pass */
			if ((u32)atomic_read(&regions->state[region]) & RS_PENDING)
				next_due = now;
		}
		mutex_unlock(lock);
	}
	/* A scan cut short by the budget saw only part: look again next time. */
	rs->next_due_ms = pass->examined < budget ? next_due : 0;

gb:
	if (READ_ONCE(rs->knob[RMP_SYNC_KNOB_DEFRAG_1G])) {
		for (gb = 0; gb < regions->nr_gb; gb++)
			if (test_and_clear_bit(gb, regions->gb_pending))
				rs_collapse_gb(rs, regions, gb, pass);
		flush |= pass->collapsed_1g > 0;
	}
	if (flush) {
		rs_flush(rs, pass);
		if (rs->rl_second != now / MSEC_PER_SEC) {
			rs->rl_second = now / MSEC_PER_SEC;
			rs->rl_flushes = 0;
		}
		rs->rl_flushes++;
	}
	pass->pending_left = rs_count(rs, RSC_REGIONS_PENDING);
}

static void rs_trace_pass(const struct rmp_sync_pass *pass, bool background)
{
	trace_rmp_sync_recover_pass(pass->scanned, pass->examined,
				    pass->collapsed_2m, pass->collapsed_1g,
				    pass->failed, pass->flushes,
				    pass->pending_left, pass->throttled,
				    background);
}

/**
 * rmp_sync_recover() - one explicit recovery pass.
 * @rs: the synchronizer.
 * @budget: most due candidates this pass may examine (> 0).
 * @ignore_delay: collapse candidates younger than their delay too.
 * @pass: if not NULL, filled with what the pass did.
 *
 * Collapses due candidates under their region lock, then tries the 1G
 * ranges they belong to, and pays one global TLB flush for the whole batch
 * (S5).  Not held back by max_flushes_per_sec (its flush still counts
 * against the second's budget): for teardown, tests and the simulator's
 * quiesce.  Background recovery uses rmp_sync_background().
 *
 * Context: may sleep.
 * Return: number of collapses (2M and 1G), or -EINVAL for a zero budget.
 */
int rmp_sync_recover(struct rmp_sync *rs, unsigned int budget, bool ignore_delay,
		     struct rmp_sync_pass *pass)
{
	struct rmp_sync_pass local;

	if (!budget)
		return -EINVAL;
	if (!pass)
		pass = &local;
	memset(pass, 0, sizeof(*pass));
	if (READ_ONCE(rs->mode) < RMP_SYNC_MODE_DEFERRED)
		return 0;

	percpu_down_read(&rs->resize);
	mutex_lock(&rs->recover_lock);
	rs_recover_locked(rs, budget, ignore_delay, pass);
	mutex_unlock(&rs->recover_lock);
	percpu_up_read(&rs->resize);
	rs_trace_pass(pass, false);
	return pass->collapsed_2m + pass->collapsed_1g;
}

/*
 * Is there anything for a pass to do: a queued candidate, or a 1G range
 * whose collapse must be tried again (a transient backend error)?  The
 * resize lock is held.
 */
static bool rs_work_left(struct rmp_sync *rs)
{
	struct rmp_sync_regions *regions = rs_regions(rs);

	return rs_count(rs, RSC_REGIONS_PENDING) ||
	       (READ_ONCE(rs->knob[RMP_SYNC_KNOB_DEFRAG_1G]) &&
		!bitmap_empty(regions->gb_pending, regions->nr_gb));
}

/**
 * rmp_sync_background() - one background pass, as the knobs say.
 * @rs: the synchronizer.
 * @pass: if not NULL, filled with what the pass did.
 *
 * What khugepaged and the fallback worker call.  Examines up to
 * regions_to_scan due candidates, unless background passes already flushed
 * max_flushes_per_sec times in this second of the clock: then it does
 * nothing (S5: recovery flushes stay under the limit whatever guests do).
 *
 * Context: may sleep.
 * Return: milliseconds until the next pass is worth running (also when only
 * old collapse stamps are left to forget, at most every
 * RMP_SYNC_MAX_DELAY_MS / 2), or RMP_SYNC_IDLE when nothing is queued (the
 * config's kick() reports the next candidate).
 */
unsigned int rmp_sync_background(struct rmp_sync *rs, struct rmp_sync_pass *pass)
{
	unsigned int sleep_ms = READ_ONCE(rs->knob[RMP_SYNC_KNOB_SCAN_SLEEP_MS]);
	struct rmp_sync_pass local;
	bool work;
	u64 now;

	if (!pass)
		pass = &local;
	memset(pass, 0, sizeof(*pass));
	if (READ_ONCE(rs->mode) < RMP_SYNC_MODE_DEFERRED)
		return RMP_SYNC_IDLE;

	percpu_down_read(&rs->resize);
	mutex_lock(&rs->recover_lock);
	now = rs_now(rs);
	if (!rs_work_left(rs)) {
		unsigned int ret = RMP_SYNC_IDLE;

		/* Nothing queued, but collapse stamps to forget in time. */
		rs_sweep_stamps_locked(rs, now);
		if (rs_count(rs, RSC_REGIONS_RECENT))
			ret = max_t(u64, rs->next_sweep_ms - now, 1);
		mutex_unlock(&rs->recover_lock);
		percpu_up_read(&rs->resize);
		return ret;
	}
	if (rs->rl_second == now / MSEC_PER_SEC &&
	    rs->rl_flushes >= READ_ONCE(rs->knob[RMP_SYNC_KNOB_MAX_FLUSHES_PER_SEC])) {
		pass->throttled = true;
		pass->pending_left = rs_count(rs, RSC_REGIONS_PENDING);
		rs_count_inc(rs, RSC_THROTTLED);
		/* the next second starts a new budget */
		sleep_ms = max_t(unsigned int, sleep_ms,
				 MSEC_PER_SEC - now % MSEC_PER_SEC);
	} else {
		rs_recover_locked(rs, READ_ONCE(rs->knob[RMP_SYNC_KNOB_REGIONS_TO_SCAN]),
				  false, pass);
	}
	work = rs_work_left(rs);
	if (!work && rs_count(rs, RSC_REGIONS_RECENT)) {
		/* the next sweep of collapse stamps is all there is to do */
		work = true;
		sleep_ms = max_t(u64, rs->next_sweep_ms - now, 1);
	}
	mutex_unlock(&rs->recover_lock);
	percpu_up_read(&rs->resize);
	rs_trace_pass(pass, true);
	return work ? sleep_ms : RMP_SYNC_IDLE;
}

static struct rmp_sync_regions *rs_alloc_regions(u64 nr)
{
	struct rmp_sync_regions *regions;
	u64 nr_gb = DIV_ROUND_UP(nr, RMP_SYNC_GB_REGIONS);

	regions = rs_fail_alloc() ? NULL :
		  kvzalloc(sizeof(*regions) + nr * sizeof(atomic_t), GFP_KERNEL);
	if (!regions)
		return NULL;
	regions->nr = nr;
	regions->nr_gb = nr_gb;
	regions->split_1g = rs_fail_alloc() ? NULL : bitmap_zalloc(nr_gb, GFP_KERNEL);
	regions->gb_pending = rs_fail_alloc() ? NULL : bitmap_zalloc(nr_gb, GFP_KERNEL);
	if (!regions->split_1g || !regions->gb_pending) {
		bitmap_free(regions->split_1g);
		bitmap_free(regions->gb_pending);
		kvfree(regions);
		return NULL;
	}
	return regions;
}

static void rs_free_regions(struct rmp_sync_regions *regions)
{
	if (!regions)
		return;
	bitmap_free(regions->split_1g);
	bitmap_free(regions->gb_pending);
	kvfree(regions);
}

static bool rs_ops_valid(const struct rmp_sync_config *cfg)
{
	return cfg->rmp && cfg->rmp->name && cfg->rmp->update &&
	       cfg->rmp->psmash && cfg->rmp->lookup && cfg->dmap &&
	       cfg->dmap->name && cfg->dmap->level && cfg->dmap->split &&
	       cfg->dmap->collapse && cfg->dmap->flush;
}

/**
 * rmp_sync_create() - build a synchronizer for @cfg->nr_pages of RAM.
 * @cfg: backends, clock and initial knobs; copied.
 *
 * All RAM starts hypervisor-owned and mapped as the backend maps it.
 *
 * Return: the instance, or ERR_PTR(-EINVAL (bad or NULL @cfg) / -ENODEV /
 * -ENOMEM).
 */
struct rmp_sync *rmp_sync_create(const struct rmp_sync_config *cfg)
{
	struct rmp_sync *rs;
	unsigned int i;

	if (!cfg)
		return ERR_PTR(-EINVAL);
	if (!rs_ops_valid(cfg))
		return ERR_PTR(-ENODEV);
	if (!cfg->nr_pages || !IS_ALIGNED(cfg->nr_pages, RMP_SYNC_REGION_PAGES) ||
	    cfg->mode >= RMP_SYNC_NR_MODES ||
	    cfg->collapse_delay_millisecs > RMP_SYNC_MAX_DELAY_MS)
		return ERR_PTR(-EINVAL);

	rs = rs_fail_alloc() ? NULL : kzalloc(sizeof(*rs), GFP_KERNEL);
	if (!rs)
		return ERR_PTR(-ENOMEM);
	rs->cfg = *cfg;
	rs->mode = cfg->mode;
	for (i = 0; i < RMP_SYNC_NR_KNOBS; i++)
		rs->knob[i] = rmp_sync_knobs[i].def;
	rs->knob[RMP_SYNC_KNOB_COLLAPSE_DELAY_MS] = cfg->collapse_delay_millisecs;
	rs->knob[RMP_SYNC_KNOB_DEFRAG_1G] = cfg->defrag_1g;
	rs->rl_second = U64_MAX;
	atomic_long_set(&rs->new_due, -1L);
	RCU_INIT_POINTER(rs->regions,
			 rs_alloc_regions(cfg->nr_pages >> RMP_SYNC_REGION_SHIFT));
	if (!rs_fail_alloc())
		rs->counters = alloc_percpu(struct rs_counters);
	if (!rcu_dereference_protected(rs->regions, true) || !rs->counters ||
	    rs_fail_alloc() || percpu_init_rwsem(&rs->resize)) {
		rs_free_regions(rcu_dereference_protected(rs->regions, true));
		free_percpu(rs->counters);
		kfree(rs);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < RMP_SYNC_NR_LOCKS; i++)
		mutex_init(&rs->locks[i]);
	mutex_init(&rs->recover_lock);
	mutex_init(&rs->leak_lock);
	return rs;
}

/**
 * rmp_sync_destroy() - free an instance; no call may be in flight.
 * @rs: the synchronizer, or NULL.
 */
void rmp_sync_destroy(struct rmp_sync *rs)
{
	unsigned int i;

	if (IS_ERR_OR_NULL(rs))
		return;
	rs_free_regions(rcu_dereference_protected(rs->regions, true));
	for (i = 0; i < RMP_SYNC_NR_LOCKS; i++)
		mutex_destroy(&rs->locks[i]);
	mutex_destroy(&rs->recover_lock);
	mutex_destroy(&rs->leak_lock);
	percpu_free_rwsem(&rs->resize);
	free_percpu(rs->counters);
	kfree(rs->leaked);
	kfree(rs);
}

/**
 * rmp_sync_grow() - cover more RAM after memory hotplug.
 * @rs: the synchronizer.
 * @nr_pages: new size in pages, a multiple of RMP_SYNC_REGION_PAGES, not
 *	smaller than the current one.
 *
 * Lockless readers (rmp_sync_region_info()) keep seeing the old array until
 * an RCU grace period has passed; then it is freed.
 *
 * Context: may sleep.
 * Return: 0, -EINVAL, or -ENOMEM (nothing changed).
 */
int rmp_sync_grow(struct rmp_sync *rs, u64 nr_pages)
{
	struct rmp_sync_regions *old, *new;
	u64 nr = nr_pages >> RMP_SYNC_REGION_SHIFT, i;

	if (!IS_ALIGNED(nr_pages, RMP_SYNC_REGION_PAGES))
		return -EINVAL;
	percpu_down_write(&rs->resize);
	old = rs_regions(rs);
	if (nr < old->nr) {
		percpu_up_write(&rs->resize);
		return -EINVAL;
	}
	if (nr == old->nr) {
		percpu_up_write(&rs->resize);
		return 0;
	}
	new = rs_alloc_regions(nr);
	if (!new) {
		percpu_up_write(&rs->resize);
		return -ENOMEM;
	}
	for (i = 0; i < old->nr; i++)
		atomic_set(&new->state[i], atomic_read(&old->state[i]));
	for (i = 0; i < old->nr_gb; i++) {
		if (test_bit(i, old->split_1g))
			set_bit(i, new->split_1g);
		if (test_bit(i, old->gb_pending))
			set_bit(i, new->gb_pending);
	}
	rcu_assign_pointer(rs->regions, new);
	percpu_up_write(&rs->resize);

	synchronize_rcu();
	rs_free_regions(old);
	return 0;
}

/**
 * rmp_sync_offline() - forget RAM that memory hot-remove takes away.
 * @rs: the synchronizer.
 * @pfn: first page, 2M-aligned.
 * @nr_pages: pages, a multiple of RMP_SYNC_REGION_PAGES.
 *
 * Memory hot-remove frees the direct-map tables of the range without the
 * CPA locks, and a later hot-add maps it again with large pages.  So the
 * range's region words must not outlive it: a stale "split" would skip
 * the split the next assignment there needs (S1).  Resets every region of
 * the range to "hypervisor-owned, mapped as the kernel maps it" and drops
 * the 1G ranges wholly inside it from the 1G bookkeeping.  Excludes every
 * other call while it runs.
 *
 * Context: may sleep; the caller keeps recovery passes away from the
 * range's page tables (the kernel runs them under get_online_mems()).
 * Return: 0; -EINVAL (unaligned, beyond the covered RAM); -EBUSY if a page
 * of the range is assigned or leaked (nothing changed).
 */
int rmp_sync_offline(struct rmp_sync *rs, u64 pfn, u64 nr_pages)
{
	struct rmp_sync_regions *regions;
	u64 first = pfn >> RMP_SYNC_REGION_SHIFT, region, last, gb;

	if (!nr_pages || !IS_ALIGNED(pfn | nr_pages, RMP_SYNC_REGION_PAGES) ||
	    pfn + nr_pages < pfn)
		return -EINVAL;
	last = first + (nr_pages >> RMP_SYNC_REGION_SHIFT);
	percpu_down_write(&rs->resize);
	regions = rs_regions(rs);
	if (last > regions->nr) {
		percpu_up_write(&rs->resize);
		return -EINVAL;
	}
	for (region = first; region < last; region++) {
		u32 w = (u32)atomic_read(&regions->state[region]);

		if (rs_assigned(w) || (w & (RS_LEAKED | RS_LEAK_LOST))) {
			percpu_up_write(&rs->resize);
			return -EBUSY;
		}
	}
	for (region = first; region < last; region++) {
		struct mutex *lock = rs_lock(rs, region);

		mutex_lock(lock);
		rs_set_state(rs, regions, region,
			     (u32)atomic_read(&regions->state[region]), 0);
		mutex_unlock(lock);
	}
	for (gb = DIV_ROUND_UP(first, RMP_SYNC_GB_REGIONS);
	     (gb + 1) * RMP_SYNC_GB_REGIONS <= last; gb++) {
		clear_bit(gb, regions->split_1g);
		clear_bit(gb, regions->gb_pending);
	}
	percpu_up_write(&rs->resize);
	return 0;
}

/*
 * Physical addresses on x86-64 have at most 52 bits (MAX_PHYSMEM_BITS with
 * 5-level paging): no memory block starts or ends beyond this page.
 */
#define RS_MEM_PFN_LIMIT	(1ULL << (52 - 12))

/**
 * rmp_sync_memory_event() - follow memory hotplug.
 * @rs: the synchronizer.
 * @ev: what happens to the range.
 * @start_pfn: first page of the range (a memory block, in the kernel).
 * @nr_pages: pages in the range.
 *
 * The memory notifier's decision, in the core so that the tests drive the
 * same code.  A 2M region is the unit of state, so the range is widened to
 * whole regions first.  @RMP_SYNC_MEM_ONLINE grows the instance when the
 * range ends beyond the RAM it covers, before any page there can be
 * assigned; a range inside changes nothing (its words were reset when it
 * went offline, or were never used).  @RMP_SYNC_MEM_OFFLINE resets the
 * range's regions with rmp_sync_offline(): hot-remove frees the range's
 * direct map and a later hot-add maps it with large pages again, so a
 * "split" kept from before would skip the split the next assignment there
 * needs (S1).
 *
 * Context: may sleep.  For @RMP_SYNC_MEM_OFFLINE, as rmp_sync_offline():
 * the caller keeps recovery passes away while hotplug changes the direct
 * map (the kernel runs them under get_online_mems()).
 * Return: 0; -EINVAL (unknown @ev, no pages, a range that wraps or ends
 * beyond the physical address space, or an offline range beyond the
 * covered RAM); -ENOMEM (online: no memory to grow); -EBUSY (offline: a
 * page of the widened range is still assigned or leaked).  On an error
 * nothing was changed.
 */
int rmp_sync_memory_event(struct rmp_sync *rs, enum rmp_sync_mem_event ev,
			  u64 start_pfn, u64 nr_pages)
{
	u64 first, end, covered;
	int ret;

	if ((unsigned int)ev >= RMP_SYNC_NR_MEM_EVENTS || !nr_pages ||
	    start_pfn >= RS_MEM_PFN_LIMIT || nr_pages > RS_MEM_PFN_LIMIT - start_pfn)
		return -EINVAL;
	first = round_down(start_pfn, RMP_SYNC_REGION_PAGES);
	end = round_up(start_pfn + nr_pages, RMP_SYNC_REGION_PAGES);

	if (ev == RMP_SYNC_MEM_OFFLINE)
		return rmp_sync_offline(rs, first, end - first);

	/*
	 * rmp_sync_grow() refuses to shrink (-EINVAL, as @end is aligned):
	 * then another grow covered more meanwhile; look again.
	 */
	do {
		rcu_read_lock();
		covered = rcu_dereference(rs->regions)->nr << RMP_SYNC_REGION_SHIFT;
		rcu_read_unlock();
		if (end <= covered)
			return 0;
		ret = rmp_sync_grow(rs, end);
	} while (ret == -EINVAL);
	return ret;
}

/*
 * Store @val in @field (the mode, or a knob that decides candidacy), then
 * re-evaluate every region's candidacy under its lock.
 */
static void rs_requeue(struct rmp_sync *rs, unsigned int *field, unsigned int val)
{
	struct rmp_sync_regions *regions;
	u64 region;

	percpu_down_read(&rs->resize);
	WRITE_ONCE(*field, val);
	regions = rs_regions(rs);
	for (region = 0; region < regions->nr; region++) {
		struct mutex *lock = rs_lock(rs, region);
		u32 w;

		mutex_lock(lock);
		w = (u32)atomic_read(&regions->state[region]);
		rs_set_state(rs, regions, region, w, w);
		mutex_unlock(lock);
		cond_resched();
	}
	percpu_up_read(&rs->resize);
	rs_note_due(rs, 0);
	if (rs_count(rs, RSC_REGIONS_PENDING) && rs->cfg.kick)
		rs->cfg.kick(rs->cfg.kick_priv);
}

/**
 * rmp_sync_set_mode() - switch policy at run time.
 * @rs: the synchronizer.
 * @mode: enum rmp_sync_mode.
 *
 * Re-evaluates every region's candidacy, so that leaving the upstream mode
 * queues what it left split.
 *
 * Return: 0 or -EINVAL.
 */
int rmp_sync_set_mode(struct rmp_sync *rs, enum rmp_sync_mode mode)
{
	if ((unsigned int)mode >= RMP_SYNC_NR_MODES)
		return -EINVAL;
	rs_requeue(rs, &rs->mode, mode);
	return 0;
}

/**
 * rmp_sync_get_mode() - current policy.
 * @rs: the synchronizer.
 *
 * Return: the enum rmp_sync_mode in force.
 */
enum rmp_sync_mode rmp_sync_get_mode(struct rmp_sync *rs)
{
	return READ_ONCE(rs->mode);
}

/**
 * rmp_sync_set_knob() - set a tunable.
 * @rs: the synchronizer.
 * @knob: enum rmp_sync_knob.
 * @val: new value, within rmp_sync_knobs[@knob].min .. .max.
 *
 * RMP_SYNC_KNOB_ENABLED switches between RMP_SYNC_MODE_DEFERRED (1) and
 * RMP_SYNC_MODE_UPSTREAM (0) through rmp_sync_set_mode().  A new
 * collapse_delay_millisecs applies to candidates already queued.
 *
 * Context: may sleep.
 * Return: 0, or -EINVAL (unknown knob, value out of range; nothing changed).
 */
int rmp_sync_set_knob(struct rmp_sync *rs, enum rmp_sync_knob knob,
		      unsigned int val)
{
	if ((unsigned int)knob >= RMP_SYNC_NR_KNOBS ||
	    val < rmp_sync_knobs[knob].min || val > rmp_sync_knobs[knob].max)
		return -EINVAL;
	if (knob == RMP_SYNC_KNOB_ENABLED)
		return rmp_sync_set_mode(rs, val ? RMP_SYNC_MODE_DEFERRED :
						   RMP_SYNC_MODE_UPSTREAM);
	if (knob == RMP_SYNC_KNOB_COLLAPSE_PRIVATE)
		rs_requeue(rs, &rs->knob[knob], val);
	else
		WRITE_ONCE(rs->knob[knob], val);
	rs_note_due(rs, 0);	/* due times may have moved: scan again */
	return 0;
}

/**
 * rmp_sync_store_knob() - set a tunable from its sysfs text.
 * @rs: the synchronizer.
 * @knob: enum rmp_sync_knob.
 * @buf: a decimal number, optionally followed by one newline.
 *
 * Context: may sleep.
 * Return: 0, or -EINVAL (not a number, out of range, unknown @knob;
 * nothing changed).
 */
int rmp_sync_store_knob(struct rmp_sync *rs, enum rmp_sync_knob knob,
			const char *buf)
{
	unsigned int val;

	if (kstrtouint(buf, 10, &val))
		return -EINVAL;
	return rmp_sync_set_knob(rs, knob, val);
}

/**
 * rmp_sync_get_knob() - read a tunable.
 * @rs: the synchronizer.
 * @knob: enum rmp_sync_knob.
 *
 * Return: its value; RMP_SYNC_KNOB_ENABLED reads 1 when the mode collapses
 * (deferred or eager).  An unknown @knob reads 0.
 */
unsigned int rmp_sync_get_knob(struct rmp_sync *rs, enum rmp_sync_knob knob)
{
	if ((unsigned int)knob >= RMP_SYNC_NR_KNOBS)
		return 0;
	if (knob == RMP_SYNC_KNOB_ENABLED)
		return READ_ONCE(rs->mode) >= RMP_SYNC_MODE_DEFERRED;
	return READ_ONCE(rs->knob[knob]);
}

/**
 * rmp_sync_knob_by_name() - look a knob up by its sysfs name.
 * @name: e.g. "collapse_delay_millisecs".
 *
 * Return: the enum rmp_sync_knob, or -EINVAL.
 */
int rmp_sync_knob_by_name(const char *name)
{
	int i;

	for (i = 0; i < RMP_SYNC_NR_KNOBS; i++)
		if (!strcmp(name, rmp_sync_knobs[i].name))
			return i;
	return -EINVAL;
}

/**
 * rmp_sync_region_info() - lockless look-up of the region holding @pfn.
 * @rs: the synchronizer.
 * @pfn: any page of the region.
 * @info: filled in.
 *
 * Context: any; uses RCU, takes no lock.
 * Return: 0 or -EINVAL (beyond the covered RAM, or @info NULL).
 */
int rmp_sync_region_info(struct rmp_sync *rs, u64 pfn,
			 struct rmp_sync_region_info *info)
{
	struct rmp_sync_regions *regions;
	u64 region = pfn >> RMP_SYNC_REGION_SHIFT;
	u32 w;

	if (!info)
		return -EINVAL;
	rcu_read_lock();
	regions = rcu_dereference(rs->regions);
	if (region >= regions->nr) {
		rcu_read_unlock();
		return -EINVAL;
	}
	w = (u32)atomic_read(&regions->state[region]);
	rcu_read_unlock();

	info->assigned = rs_assigned(w);
	info->rmp_2m = w & RS_RMP_2M;
	info->split = w & RS_SPLIT;
	info->ours = (w & (RS_SPLIT | RS_OURS)) == (RS_SPLIT | RS_OURS);
	info->pending = w & RS_PENDING;
	info->leaked = w & RS_LEAKED;
	info->backoff = rs_backoff(w);
	return 0;
}

/**
 * rmp_sync_rescan() - take the RMP as it is, for an instance created late.
 * @rs: the synchronizer.
 *
 * An instance starts from an all-hypervisor RMP.  A kernel started by kexec
 * inherits an RMP that may hold assignments (and a fresh direct map of
 * large pages over them): recount every region from the RMP and split each
 * one the RMP shows mixed, before any transition.  rmp_sync split them, so
 * they are collapsed once their pages come back.
 *
 * Context: may sleep; walks the whole RMP.
 * Return: 0, or the first split error (the region stays counted; its next
 * transition splits it).
 */
int rmp_sync_rescan(struct rmp_sync *rs)
{
	struct rmp_sync_regions *regions;
	int ret = 0, err;
	u64 region;

	percpu_down_read(&rs->resize);
	regions = rs_regions(rs);
	for (region = 0; region < regions->nr; region++) {
		struct mutex *lock = rs_lock(rs, region);
		u32 w;

		mutex_lock(lock);
		w = rs_resync_locked(rs, regions, region,
				     (u32)atomic_read(&regions->state[region]), false);
		if (READ_ONCE(rs->mode) != RMP_SYNC_MODE_NONE &&
		    rs_mixed(rs_assigned(w)) && !(w & RS_SPLIT)) {
			err = rs_split_locked(rs, regions, region, false, &w);
			if (err && !ret)
				ret = err;
		}
		mutex_unlock(lock);
		cond_resched();
	}
	percpu_up_read(&rs->resize);
	return ret;
}

/**
 * rmp_sync_get_stats() - snapshot of the counters.
 * @rs: the synchronizer.
 * @st: filled in.
 */
void rmp_sync_get_stats(struct rmp_sync *rs, struct rmp_sync_stats *st)
{
	long sum[RSC_NR] = {};
	unsigned int i;
	int cpu;

	memset(st, 0, sizeof(*st));
	rcu_read_lock();
	st->regions_total = rcu_dereference(rs->regions)->nr;
	rcu_read_unlock();
	for_each_possible_cpu(cpu) {
		const struct rs_counters *pc = per_cpu_ptr(rs->counters, cpu);

		for (i = 0; i < RSC_NR; i++)
			sum[i] += READ_ONCE(pc->c[i]);
	}
	/* A gauge summed while transitions run may read below 0: clamp. */
	for (i = RSC_REGIONS_MIXED; i <= RSC_REGIONS_RECENT; i++)
		sum[i] = max(sum[i], 0L);
	st->regions_mixed = sum[RSC_REGIONS_MIXED];
	st->regions_split = sum[RSC_REGIONS_SPLIT];
	st->regions_pending = sum[RSC_REGIONS_PENDING];
	st->splits = sum[RSC_SPLITS];
	st->splits_1g = sum[RSC_SPLITS_1G];
	st->collapses_2m = sum[RSC_COLLAPSES_2M];
	st->collapses_1g = sum[RSC_COLLAPSES_1G];
	for (i = 0; i < RMP_SYNC_COLLAPSE_NR_RESULTS; i++) {
		st->collapse_failures[i] = sum[RSC_COLLAPSE_FAILURES + i];
		st->collapse_failures_total += st->collapse_failures[i];
	}
	st->psmash = sum[RSC_PSMASH];
	st->leaked_pages = sum[RSC_LEAKED_PAGES];
	st->tlb_flushes = sum[RSC_TLB_FLUSHES];
	st->recovery_flushes = sum[RSC_RECOVERY_FLUSHES];
	st->full_scans = sum[RSC_FULL_SCANS];
	st->backoffs = sum[RSC_BACKOFFS];
	st->throttled = sum[RSC_THROTTLED];
	st->rmp_updates = sum[RSC_RMP_UPDATES];
	st->rmp_retries = sum[RSC_RMP_RETRIES];
	st->resyncs = sum[RSC_RESYNCS];
}

/**
 * rmp_sync_state_bytes() - memory the synchronizer's state takes.
 * @rs: the synchronizer.
 *
 * Return: bytes allocated for region words, 1G bitmaps and the leaked set
 * (the constant-size instance itself excluded).
 */
size_t rmp_sync_state_bytes(struct rmp_sync *rs)
{
	struct rmp_sync_regions *regions;
	size_t bytes;

	rcu_read_lock();
	regions = rcu_dereference(rs->regions);
	bytes = sizeof(*regions) + regions->nr * sizeof(atomic_t) +
		2 * BITS_TO_LONGS(regions->nr_gb) * sizeof(long);
	rcu_read_unlock();
	mutex_lock(&rs->leak_lock);
	bytes += rs->leaked_cap * sizeof(*rs->leaked);
	mutex_unlock(&rs->leak_lock);
	return bytes;
}

#define rs_check_fail(fmt, ...) ({					\
	pr_err("check: " fmt "\n", ##__VA_ARGS__);			\
	-EFAULT;							\
})

/* Recount one region from the RMP and the direct map; region lock held. */
static int rs_check_region(struct rmp_sync *rs, u64 region, u32 w,
			   enum rmp_sync_mode mode, unsigned int *leaked)
{
	u64 pfn = rs_region_pfn(region), i;
	unsigned int rmp_assigned = 0, extra = 0;
	struct rmp_sync_rmp_entry e;
	bool rmp_2m = false;
	int level;

	*leaked = 0;
	for (i = 0; i < RMP_SYNC_REGION_PAGES; i++) {
		bool is_leaked = (w & RS_LEAKED) && rs_pfn_leaked(rs, pfn + i);

		if (rs->cfg.rmp->lookup(rs->cfg.rmp_priv, pfn + i, &e))
			return rs_check_fail("PFN 0x%llx: RMP lookup failed",
					     (unsigned long long)(pfn + i));
		if (!i)
			rmp_2m = e.assigned && e.level == PG_LEVEL_2M;
		rmp_assigned += e.assigned;
		*leaked += is_leaked;
		extra += is_leaked && !e.assigned;
	}
	level = rs->cfg.dmap->level(rs->cfg.dmap_priv, pfn);

	/* S1, on the RMP's own view. */
	if (mode != RMP_SYNC_MODE_NONE && rs_mixed(rmp_assigned) &&
	    level > PG_LEVEL_4K)
		return rs_check_fail("S1: region 0x%llx mixed (%u assigned), mapped at level %d",
				     (unsigned long long)region, rmp_assigned, level);
	if (w & RS_LEAK_LOST)
		return 0;	/* nothing is known page by page */
	if (rs_assigned(w) != rmp_assigned + extra)
		return rs_check_fail("region 0x%llx: %u assigned, RMP has %u (+%u leaked)",
				     (unsigned long long)region, rs_assigned(w),
				     rmp_assigned, extra);
	if (!!(w & RS_RMP_2M) != rmp_2m)
		return rs_check_fail("region 0x%llx: 2M RMP entry %d, RMP says %d",
				     (unsigned long long)region,
				     !!(w & RS_RMP_2M), rmp_2m);
	if ((w & RS_SPLIT) && level != PG_LEVEL_4K)
		return rs_check_fail("region 0x%llx: marked split, mapped at level %d",
				     (unsigned long long)region, level);
	if (!!(w & RS_PENDING) != rs_candidate(rs, mode, w))
		return rs_check_fail("region 0x%llx: pending %d, candidate %d",
				     (unsigned long long)region,
				     !!(w & RS_PENDING), rs_candidate(rs, mode, w));
	if (!!(w & RS_LEAKED) != (*leaked > 0))
		return rs_check_fail("region 0x%llx: leaked flag %d, %u leaked pages",
				     (unsigned long long)region,
				     !!(w & RS_LEAKED), *leaked);
	return 0;
}

/**
 * rmp_sync_check() - invariant checker (S1, S3) for the tests.
 * @rs: the synchronizer.
 * @first_pfn: start of the range to recount against the RMP and direct map.
 * @nr_pages: pages in that range; regions overlapping it are checked.
 * @counters: also recount the counters from every region word.
 *
 * Recounts the RMP and the direct map for each region of the range and
 * compares them with its word; with @counters, compares the region counters
 * with a recount of all words (cheap: no RMP look-ups).  Reports the first
 * difference with pr_err().
 *
 * Context: may sleep; meant for quiescent points, but safe at any time.
 * Return: 0, -EINVAL (bad range), or -EFAULT (an invariant is broken).
 */
int rmp_sync_check(struct rmp_sync *rs, u64 first_pfn, u64 nr_pages,
		   bool counters)
{
	unsigned long mixed = 0, split = 0, pending = 0, leaked = 0, recent = 0;
	struct rmp_sync_regions *regions;
	enum rmp_sync_mode mode;
	u64 region, first, last;
	bool lost = false;
	int ret = 0;

	percpu_down_read(&rs->resize);
	regions = rs_regions(rs);
	mode = READ_ONCE(rs->mode);
	if (!nr_pages || first_pfn + nr_pages < first_pfn ||
	    first_pfn + nr_pages > rs_region_pfn(regions->nr)) {
		percpu_up_read(&rs->resize);
		return -EINVAL;
	}
	first = first_pfn >> RMP_SYNC_REGION_SHIFT;
	last = (first_pfn + nr_pages - 1) >> RMP_SYNC_REGION_SHIFT;
	for (region = first; region <= last && !ret; region++) {
		struct mutex *lock = rs_lock(rs, region);
		unsigned int n;

		mutex_lock(lock);
		ret = rs_check_region(rs, region,
				      (u32)atomic_read(&regions->state[region]),
				      mode, &n);
		mutex_unlock(lock);
	}
	for (region = 0; !ret && counters && region < regions->nr; region++) {
		u32 w = (u32)atomic_read(&regions->state[region]);

		mixed += rs_mixed(rs_assigned(w));
		recent += (w & (RS_SPLIT | RS_OURS)) == RS_OURS;
		split += (w & (RS_SPLIT | RS_OURS)) == (RS_SPLIT | RS_OURS);
		pending += !!(w & RS_PENDING);
		lost |= !!(w & RS_LEAK_LOST);
	}
	if (!ret && counters) {
		mutex_lock(&rs->leak_lock);
		leaked = rs->nr_leaked;
		mutex_unlock(&rs->leak_lock);
		if (mixed != rs_count(rs, RSC_REGIONS_MIXED) ||
		    split != rs_count(rs, RSC_REGIONS_SPLIT) ||
		    pending != rs_count(rs, RSC_REGIONS_PENDING))
			ret = rs_check_fail("counters: mixed %lu/%lu split %lu/%lu pending %lu/%lu",
					    rs_count(rs, RSC_REGIONS_MIXED), mixed,
					    rs_count(rs, RSC_REGIONS_SPLIT), split,
					    rs_count(rs, RSC_REGIONS_PENDING), pending);
		else if (recent != rs_count(rs, RSC_REGIONS_RECENT))
			ret = rs_check_fail("counters: recent %lu/%lu",
					    rs_count(rs, RSC_REGIONS_RECENT), recent);
		else if (!lost && leaked != rs_count(rs, RSC_LEAKED_PAGES))
			ret = rs_check_fail("counters: leaked_pages %lu, recorded %lu",
					    rs_count(rs, RSC_LEAKED_PAGES), leaked);
	}
	percpu_up_read(&rs->resize);
	return ret;
}
