/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmp_sync: keep the host direct map's page size in step with the SEV-SNP
 * Reverse Map Table.
 *
 * A host write through a 2M (or 1G) direct-map leaf is RMP-checked against
 * all 512 RMP entries of the 2M range written (APM Vol. 2, "RMP and VMPL
 * Access Checks").  A 2M region whose pages are partly guest/firmware owned
 * ("mixed") must therefore be mapped with 4K pages, and may go back to one 2M
 * leaf once it is uniform again.  rmp_sync tracks every 2M region and
 * performs both directions: the split before the RMPUPDATE that makes a
 * region mixed, and a deferred, batched collapse once it is uniform.
 *
 * The core (arch/x86/mm/rmp_sync.c) talks to the hardware through two seams
 * chosen at run time:
 *
 *  - an RMP backend (RMPUPDATE, PSMASH, RMP lookup): the real instructions on
 *    an SNP host, or a software RMP for tests (KUnit in QEMU, userspace);
 *  - a direct-map backend (level lookup, split, collapse, flush): the kernel's
 *    CPA code, or emulated page tables in the userspace harness.
 *
 * Error convention of every function here: 0 or a negative errno from
 * -EINVAL (bad argument or a transition the RMP state does not allow;
 * nothing was changed), -ENOMEM, -EBUSY (a backend reported it busy),
 * -ENODEV (no backend), -EFAULT (the RMP refused for a reason the caller
 * could not have checked).  "In use" and "overlap" are retried until they
 * pass.  Raw RMP status codes never leave the core.
 */
#ifndef _LINUX_RMP_SYNC_H
#define _LINUX_RMP_SYNC_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/limits.h>
#include <asm/pgtable_types.h>

/* 4K pages per 2M region, and 2M regions per 1G range. */
#define RMP_SYNC_REGION_PAGES		512UL
#define RMP_SYNC_REGION_SHIFT		9
#define RMP_SYNC_GB_REGIONS		512UL
#define RMP_SYNC_GB_PAGES		(RMP_SYNC_REGION_PAGES * RMP_SYNC_GB_REGIONS)

/*
 * Field limits of an RMP entry, from the layout of struct rmpentry in Linux
 * 6.12 arch/x86/virt/svm/sev.c: a 10-bit ASID and a 39-bit GPA frame number.
 */
#define RMP_SYNC_ASID_LIMIT		1024U
#define RMP_SYNC_GPA_LIMIT		(1ULL << (39 + 12))

/* RMP instruction status codes (APM Vol. 3, RMPUPDATE and PSMASH). */
enum rmp_sync_rmp_status {
	RMP_SYNC_RMP_SUCCESS		= 0,
	RMP_SYNC_RMP_FAIL_INPUT		= 1,	/* bad address, alignment or field */
	RMP_SYNC_RMP_FAIL_PERMISSION	= 2,	/* entry is immutable */
	RMP_SYNC_RMP_FAIL_INUSE		= 3,	/* another CPU holds the entry */
	RMP_SYNC_RMP_FAIL_OVERLAP	= 4,	/* 4K/2M entries overlap */
};

/* The new state written by one RMPUPDATE (RCX operand). */
struct rmp_sync_rmp_state {
	u64 gpa;
	u32 asid;
	bool assigned;
	bool immutable;
	enum pg_level level;		/* PG_LEVEL_4K or PG_LEVEL_2M */
};

/*
 * One RMP entry, as read back (snp_lookup_rmpentry()): the fields the core
 * reads.  Validated and VMSA belong to the guest and are not among them.
 */
struct rmp_sync_rmp_entry {
	u64 gpa;
	u32 asid;
	bool assigned;
	bool immutable;
	enum pg_level level;		/* page size of the entry */
};

/**
 * struct rmp_sync_rmp_ops - RMP backend.
 * @name: names the backend in the core's warnings about it.
 * @update: RMPUPDATE of @pfn (2M-aligned when @st->level is 2M).  Returns an
 *	enum rmp_sync_rmp_status, or a negative errno for a backend failure.
 * @psmash: PSMASH of the 2M entry at the 2M-aligned @pfn; same returns.
 * @lookup: read the RMP entry of @pfn into @e; 0 or -EINVAL.
 *
 * Every callback may sleep and is called with the region lock held.
 */
struct rmp_sync_rmp_ops {
	const char *name;
	int (*update)(void *priv, u64 pfn, const struct rmp_sync_rmp_state *st);
	int (*psmash)(void *priv, u64 pfn);
	int (*lookup)(void *priv, u64 pfn, struct rmp_sync_rmp_entry *e);
};

/* Why a collapse did not happen (a backend's positive collapse result). */
enum rmp_sync_collapse_result {
	RMP_SYNC_COLLAPSED = 0,
	RMP_SYNC_COLLAPSE_NOT_SPLIT,	/* already one leaf at that level */
	RMP_SYNC_COLLAPSE_LAYOUT,	/* not present, not contiguous, not aligned */
	RMP_SYNC_COLLAPSE_ATTR,		/* the leaves' attributes differ */
	RMP_SYNC_COLLAPSE_FOREIGN,	/* another kernel user split it on purpose */
	RMP_SYNC_COLLAPSE_NO_PSE,	/* CPU lacks PSE (2M) or gbpages (1G) */
	RMP_SYNC_COLLAPSE_NR_RESULTS
};

/**
 * struct rmp_sync_dmap_ops - direct-map backend.
 * @name: names the backend in the core's warnings about it.
 * @level: level of the leaf mapping @pfn (PG_LEVEL_4K/2M/1G), or
 *	PG_LEVEL_NONE if it is not mapped.
 * @split: make the mapping of the 2M region holding @pfn 4K, splitting a 1G
 *	leaf on the way, and flush every CPU's TLB before returning.  Reports in
 *	@old_level the level that mapped @pfn before (PG_LEVEL_4K: nothing to
 *	do).  0, -ENOMEM, or -EINVAL.  With @nofail the page-table allocation
 *	must not fail (the split rmp_make_shared() needs: S6).
 * @collapse: replace the 512 leaves under the 2M- (@level PG_LEVEL_2M) or
 *	1G-aligned (@level PG_LEVEL_1G) @pfn with one leaf, if the conditions
 *	hold.  Does not flush; the page-table page it frees is released by the
 *	next @flush.  Returns an enum rmp_sync_collapse_result or -errno.
 * @flush: global TLB flush, then free the page tables that earlier
 *	@collapse calls detached.
 *
 * The backend serializes its own page-table edits (cpa_lock/pgd_lock in the
 * kernel); @split and @collapse may sleep.
 */
struct rmp_sync_dmap_ops {
	const char *name;
	int (*level)(void *priv, u64 pfn);
	int (*split)(void *priv, u64 pfn, bool nofail, int *old_level);
	int (*collapse)(void *priv, u64 pfn, int level);
	void (*flush)(void *priv);
};

/**
 * enum rmp_sync_mode - what the synchronizer does with the direct map.
 * @RMP_SYNC_MODE_NONE: RMPUPDATE only (the hazard, for comparison).
 * @RMP_SYNC_MODE_UPSTREAM: Linux 6.12 adjust_direct_map(): split on a 4K
 *	transition when the page is mapped >= 2M, never collapse.
 * @RMP_SYNC_MODE_DEFERRED: split exactly when a region becomes mixed; queue
 *	uniform regions and collapse them from rmp_sync_recover().
 * @RMP_SYNC_MODE_EAGER: as DEFERRED, but collapse (and flush) at once.
 * @RMP_SYNC_NR_MODES: the number of modes.
 */
enum rmp_sync_mode {
	RMP_SYNC_MODE_NONE,
	RMP_SYNC_MODE_UPSTREAM,
	RMP_SYNC_MODE_DEFERRED,
	RMP_SYNC_MODE_EAGER,
	RMP_SYNC_NR_MODES
};

/**
 * enum rmp_sync_knob - run-time tunables (/sys/kernel/mm/rmp_sync/).
 * @RMP_SYNC_KNOB_ENABLED: 1 = collapse (RMP_SYNC_MODE_DEFERRED), 0 = split
 *	only, as Linux 6.12 does (RMP_SYNC_MODE_UPSTREAM).
 * @RMP_SYNC_KNOB_COLLAPSE_DELAY_MS: a region uniform again is collapsed no
 *	sooner than this (times its back-off factor).
 * @RMP_SYNC_KNOB_REGIONS_TO_SCAN: candidates a background pass examines.
 * @RMP_SYNC_KNOB_SCAN_SLEEP_MS: pause between background passes while
 *	candidates are queued.
 * @RMP_SYNC_KNOB_MAX_FLUSHES_PER_SEC: global TLB flushes background passes
 *	may cause in one second of the clock.
 * @RMP_SYNC_KNOB_DEFRAG_1G: also restore the 1G leaves rmp_sync split.
 * @RMP_SYNC_KNOB_COLLAPSE_PRIVATE: also collapse regions that are uniformly
 *	guest/firmware-owned (0: only those wholly back with the hypervisor).
 * @RMP_SYNC_NR_KNOBS: the number of knobs.
 */
enum rmp_sync_knob {
	RMP_SYNC_KNOB_ENABLED,
	RMP_SYNC_KNOB_COLLAPSE_DELAY_MS,
	RMP_SYNC_KNOB_REGIONS_TO_SCAN,
	RMP_SYNC_KNOB_SCAN_SLEEP_MS,
	RMP_SYNC_KNOB_MAX_FLUSHES_PER_SEC,
	RMP_SYNC_KNOB_DEFRAG_1G,
	RMP_SYNC_KNOB_COLLAPSE_PRIVATE,
	RMP_SYNC_NR_KNOBS
};

/**
 * struct rmp_sync_knob_desc - name, range and default of a knob.
 * @name: the sysfs file name, also used by the simulator's --set.
 * @min: smallest valid value.
 * @max: largest valid value.
 * @def: default of a new instance.
 */
struct rmp_sync_knob_desc {
	const char *name;
	unsigned int min;
	unsigned int max;
	unsigned int def;
};

extern const struct rmp_sync_knob_desc rmp_sync_knobs[RMP_SYNC_NR_KNOBS];

/**
 * struct rmp_sync_config - how to build an instance.
 * @nr_pages: RAM covered, in 4K pages; a multiple of RMP_SYNC_REGION_PAGES.
 * @rmp: RMP backend.
 * @rmp_priv: @rmp's argument.
 * @dmap: direct-map backend.
 * @dmap_priv: @dmap's argument.
 * @clock_ms: monotonic milliseconds (jiffies in the kernel, the simulated
 *	clock in the simulator).
 * @clock_priv: @clock_ms's argument.
 * @kick: if not NULL, called (no rmp_sync lock held; must not sleep) after
 *	a transition or knob change queued a collapse candidate, so that
 *	whoever runs rmp_sync_background() wakes up.
 * @kick_priv: @kick's argument.
 * @mode: initial enum rmp_sync_mode.
 * @collapse_delay_millisecs: initial RMP_SYNC_KNOB_COLLAPSE_DELAY_MS.
 * @defrag_1g: initial RMP_SYNC_KNOB_DEFRAG_1G.
 *
 * The other knobs start at their rmp_sync_knobs[] defaults.
 */
struct rmp_sync_config {
	u64 nr_pages;
	const struct rmp_sync_rmp_ops *rmp;
	void *rmp_priv;
	const struct rmp_sync_dmap_ops *dmap;
	void *dmap_priv;
	u64 (*clock_ms)(void *priv);
	void *clock_priv;
	void (*kick)(void *priv);
	void *kick_priv;
	enum rmp_sync_mode mode;
	unsigned int collapse_delay_millisecs;
	bool defrag_1g;
};

/* Counters; the region totals are recounted by rmp_sync_check(). */
struct rmp_sync_stats {
	u64 regions_total;
	u64 regions_mixed;		/* 0 < assigned < 512 */
	u64 regions_split;		/* mapped 4K by rmp_sync's own split */
	u64 regions_pending;		/* uniform, split by us, queued */
	u64 splits;			/* 2M->4K splits rmp_sync made */
	u64 splits_1g;			/* of which first split a 1G leaf */
	u64 collapses_2m;
	u64 collapses_1g;
	u64 collapse_failures[RMP_SYNC_COLLAPSE_NR_RESULTS];
	u64 collapse_failures_total;	/* sum of the above */
	u64 psmash;
	u64 leaked_pages;
	u64 tlb_flushes;		/* global flushes: splits' and recovery's */
	u64 recovery_flushes;		/* of which paid by recovery passes */
	u64 full_scans;
	u64 backoffs;			/* re-splits soon after a collapse */
	u64 throttled;			/* passes held back by the flush limit */
	u64 rmp_updates;
	u64 rmp_retries;		/* "in use"/"overlap" statuses retried */
	u64 resyncs;			/* regions recounted from the RMP */
};

/**
 * struct rmp_sync_counter_desc - a counter's sysfs name and where it is.
 * @name: file name under /sys/kernel/mm/rmp_sync/.
 * @offset: offset of its u64 in struct rmp_sync_stats.
 */
struct rmp_sync_counter_desc {
	const char *name;
	size_t offset;
};

extern const struct rmp_sync_counter_desc rmp_sync_counters[];
extern const unsigned int rmp_sync_nr_counters;

/* What one recovery pass did. */
struct rmp_sync_pass {
	unsigned int scanned;		/* region words looked at */
	unsigned int examined;		/* due candidates locked and tried */
	unsigned int collapsed_2m;
	unsigned int collapsed_1g;
	unsigned int failed;
	unsigned int flushes;
	unsigned int pending_left;	/* candidates not yet due or over budget */
	bool throttled;			/* not run: the flush limit was reached */
};

/* rmp_sync_background(): nothing is queued; sleep until kicked. */
#define RMP_SYNC_IDLE			UINT_MAX

/* A region as seen by a lockless (RCU) lookup. */
struct rmp_sync_region_info {
	unsigned int assigned;		/* pages assigned, leaked ones included */
	bool rmp_2m;			/* one 2M-sized assigned RMP entry */
	bool split;			/* mapped 4K (known to rmp_sync) */
	bool ours;			/* ... because rmp_sync split it */
	bool pending;			/* queued for collapse */
	bool leaked;			/* holds leaked pages */
	unsigned int backoff;		/* collapse delay is multiplied by 4^backoff */
};

/**
 * enum rmp_sync_mem_event - memory hotplug, as rmp_sync_memory_event() takes it.
 * @RMP_SYNC_MEM_ONLINE: the range is about to go online (MEM_GOING_ONLINE):
 *	its pages may be handed out from now on.
 * @RMP_SYNC_MEM_OFFLINE: the range went offline (MEM_OFFLINE): no page of
 *	it is in use, and hot-remove may free its direct map next.
 * @RMP_SYNC_NR_MEM_EVENTS: the number of events.
 *
 * The core's own names, so that it needs no <linux/memory.h>; the kernel's
 * memory notifier (arch/x86/mm/rmp_sync_kernel.c) maps the MEM_* actions.
 */
enum rmp_sync_mem_event {
	RMP_SYNC_MEM_ONLINE,
	RMP_SYNC_MEM_OFFLINE,
	RMP_SYNC_NR_MEM_EVENTS
};

struct rmp_sync;

struct rmp_sync *rmp_sync_create(const struct rmp_sync_config *cfg);
void rmp_sync_destroy(struct rmp_sync *rs);
int rmp_sync_grow(struct rmp_sync *rs, u64 nr_pages);
int rmp_sync_set_mode(struct rmp_sync *rs, enum rmp_sync_mode mode);
enum rmp_sync_mode rmp_sync_get_mode(struct rmp_sync *rs);
int rmp_sync_set_knob(struct rmp_sync *rs, enum rmp_sync_knob knob,
		      unsigned int val);
int rmp_sync_store_knob(struct rmp_sync *rs, enum rmp_sync_knob knob,
			const char *buf);
unsigned int rmp_sync_get_knob(struct rmp_sync *rs, enum rmp_sync_knob knob);
int rmp_sync_knob_by_name(const char *name);

int rmp_sync_make_private(struct rmp_sync *rs, u64 pfn, u64 gpa,
			  enum pg_level level, u32 asid, bool immutable);
int rmp_sync_make_shared(struct rmp_sync *rs, u64 pfn, enum pg_level level);
int rmp_sync_psmash(struct rmp_sync *rs, u64 pfn);
int rmp_sync_leak_pages(struct rmp_sync *rs, u64 pfn, unsigned int npages);
int rmp_sync_rescan(struct rmp_sync *rs);
int rmp_sync_offline(struct rmp_sync *rs, u64 pfn, u64 nr_pages);
int rmp_sync_memory_event(struct rmp_sync *rs, enum rmp_sync_mem_event ev,
			  u64 start_pfn, u64 nr_pages);

int rmp_sync_recover(struct rmp_sync *rs, unsigned int budget, bool ignore_delay,
		     struct rmp_sync_pass *pass);
unsigned int rmp_sync_background(struct rmp_sync *rs, struct rmp_sync_pass *pass);

int rmp_sync_region_info(struct rmp_sync *rs, u64 pfn,
			 struct rmp_sync_region_info *info);
void rmp_sync_get_stats(struct rmp_sync *rs, struct rmp_sync_stats *st);
size_t rmp_sync_state_bytes(struct rmp_sync *rs);
int rmp_sync_check(struct rmp_sync *rs, u64 first_pfn, u64 nr_pages,
		   bool counters);

/*
 * The running kernel's instance (arch/x86/mm/rmp_sync_kernel.c): background
 * recovery driven by khugepaged or, when it does not run, a delayed work,
 * and /sys/kernel/mm/rmp_sync/.
 */
enum rmp_sync_driver {
	RMP_SYNC_DRIVER_KHUGEPAGED,
	RMP_SYNC_DRIVER_WORKER,
	RMP_SYNC_NR_DRIVERS
};

void rmp_sync_host_kick(void *unused);
int rmp_sync_host_attach(struct rmp_sync *rs);
int rmp_sync_host_attach_stepped(struct rmp_sync *rs, void (*kick)(void *priv),
				 void *priv);
int rmp_sync_host_step(struct rmp_sync_pass *pass, unsigned int *sleep_ms);
void rmp_sync_host_detach(struct rmp_sync *rs);
unsigned long rmp_sync_host_passes(enum rmp_sync_driver driver);

/* The real direct map (arch/x86/mm/rmp_sync_dmap.c). */
extern const struct rmp_sync_dmap_ops rmp_sync_kernel_dmap_ops;

#endif /* _LINUX_RMP_SYNC_H */
