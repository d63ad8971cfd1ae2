/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay of a page-state history through an rmp_sync instance: the trace
 * format's operations, their parser, and the replay engine that applies
 * them, runs background recovery on a simulated clock and measures what
 * the policy did to the direct map.
 *
 * One engine serves three hosts: rmp-sync-sim and rmp-sync-bench on the
 * emulated SNP host (tools/testing/rmp_sync/), and the software-SNP debug
 * host of the running kernel (rmp_sync_swhost.c, CONFIG_RMP_SYNC_SW_HOST),
 * whose debugfs replay file takes the same lines and answers with the same
 * JSON object.  A host supplies struct rsr_host_ops; everything the engine
 * reports is read back from the instance and from the host's page tables.
 */
#ifndef _ARCH_X86_MM_RMP_SYNC_REPLAY_H
#define _ARCH_X86_MM_RMP_SYNC_REPLAY_H

#include <linux/types.h>
#include <linux/rmp_sync.h>

enum rsr_op_kind {
	RSR_OP_PRIVATE,		/* rmp_sync_make_private() */
	RSR_OP_SHARED,		/* rmp_sync_make_shared() */
	RSR_OP_PSMASH,		/* rmp_sync_psmash() */
	RSR_OP_LEAK,		/* rmp_sync_leak_pages() */
	RSR_OP_WRITE,		/* a host write through the direct map */
	RSR_OP_TICK,		/* advance the clock, running recovery */
	RSR_OP_QUIESCE,		/* recover until nothing is pending */
	RSR_NR_OPS
};

#define RSR_OP_IMMUTABLE	BIT(0)	/* private ... immutable */

/* The ASID of a "private" line without asid=. */
#define RSR_PRIVATE_ASID	1
/* The longest "tick": keeps the clock and its integrals far from overflow. */
#define RSR_MAX_TICK_MS		BIT_ULL(40)
/* Fields of one line, the operation included. */
#define RSR_MAX_TOKENS		8

/**
 * struct rsr_op - one trace operation.
 * @arg: PFN, or milliseconds for RSR_OP_TICK.
 * @gpa: guest physical address of RSR_OP_PRIVATE.
 * @n: ASID of RSR_OP_PRIVATE, page count of RSR_OP_LEAK.
 * @line: line in the trace (operation number for a generated workload).
 * @kind: enum rsr_op_kind.
 * @level: PG_LEVEL_4K or PG_LEVEL_2M for private/shared.
 * @flags: RSR_OP_IMMUTABLE.
 */
struct rsr_op {
	u64 arg;
	u64 gpa;
	u32 n;
	u32 line;
	u8 kind;
	u8 level;
	u8 flags;
};

extern const char *const rsr_op_names[RSR_NR_OPS];

int rsr_parse_u64(const char *s, u64 *val);
int rsr_parse_size(const char *s, u64 *bytes);
int rsr_tokenize(char *line, char **tok);
int rsr_parse_op(char **tok, u64 nr_pages, struct rsr_op *op,
		 char *why, size_t len);

/* The synchronization policies a replay can run, onto the core's modes. */
enum rsr_policy {
	RSR_NONE,
	RSR_UPSTREAM,
	RSR_EAGER,
	RSR_RMP_SYNC,
	RSR_NR_POLICIES
};

extern const char *const rsr_policy_names[RSR_NR_POLICIES];
extern const enum rmp_sync_mode rsr_policy_mode[RSR_NR_POLICIES];
int rsr_policy_find(const char *name);

/**
 * struct rsr_host_ops - what the engine needs from the machine.
 * @level: the direct-map leaf level of @pfn (enum pg_level).
 * @directmap: the leaves mapping the replay's pages, per size: rsr_finish()'s
 *	figures, which may walk the page tables.
 * @write: a host write to @pfn from @cpu: 0, or -EFAULT (RMP #PF).
 * @assigned: does the RMP entry of @pfn belong to a guest?
 * @flushes: global TLB flushes the host has made so far.
 * @pass: run one background recovery pass as the host's runner would;
 *	returns what rmp_sync_background() returned.
 * @quiesce: optional; recover until nothing is pending (default: the core's
 *	rmp_sync_recover() until it returns 0).
 * @check: optional; the host's own recount (0 if it agrees).
 * @advance: optional; the clock is about to move from the run's now_ms to
 *	@to_ms (the simulator samples its time series here).
 * @rejected: optional; @op was refused with @err.
 * @split_regions: optional; the 2M regions of the replay's pages mapped 4K
 *	now, from counts the host keeps as the direct map changes.  The
 *	engine samples it on every clock advance (and every operation while
 *	the clock is 0), where a page-table walk per call would cost more
 *	than the replay itself; without it the engine uses @directmap's 4K
 *	leaves over 512.  rsr_finish() checks it against @directmap.
 * @foreign_splits: others may split the replay's direct map behind the
 *	host's back (CONFIG_CPA_DEBUG's self-test), so @split_regions may
 *	lag @directmap; it may never exceed it.
 *
 * PFNs are the instance's.  None of these is called with an rmp_sync lock
 * held.
 */
struct rsr_host_ops {
	int (*level)(void *host, u64 pfn);
	void (*directmap)(void *host, u64 *pages_4k, u64 *pages_2m, u64 *pages_1g);
	int (*write)(void *host, unsigned int cpu, u64 pfn);
	bool (*assigned)(void *host, u64 pfn);
	u64 (*flushes)(void *host);
	unsigned int (*pass)(void *host, struct rmp_sync_pass *pass);
	void (*quiesce)(void *host);
	int (*check)(void *host);
	void (*advance)(void *host, u64 to_ms);
	void (*rejected)(void *host, const struct rsr_op *op, int err);
	u64 (*split_regions)(void *host);
	bool foreign_splits;
};

/* rsr_result.check: which of the replay's own checks failed. */
#define RSR_CHECK_INVARIANT	BIT(0)	/* rmp_sync_check() or the host's recount */
#define RSR_CHECK_FLUSHES	BIT(1)	/* the core's flush count is not the host's */
#define RSR_CHECK_S5		BIT(2)	/* recovery flushed more than its limit */
#define RSR_CHECK_MIXED		BIT(3)	/* the engine's mixed count is not the core's */
#define RSR_CHECK_SPLIT		BIT(4)	/* the host's split_regions is not its walk */

/* Averages are reported in thousandths, rounded to nearest. */
#define RSR_MILLI		1000

/**
 * struct rsr_result - what a replay did; filled by rsr_finish().
 *
 * Counts are over the replay; "now" figures describe the end; avg_*_milli
 * are time-weighted over the clock (per operation if it never moved).
 */
struct rsr_result {
	u64 ops, rejected, collateral, writes_assigned;
	struct rmp_sync_stats st;
	u64 flushes;			/* the host's global flushes */
	u64 dm4k, dm2m, dm1g;		/* leaves now */
	u64 split_now;			/* 2M regions mapped 4K now */
	u64 avg_mixed_milli, avg_split_milli;
	u64 leaked_regions;
	u64 off_boot;			/* regions not at their boot level */
	u64 off_boot_leaks;		/* ... other than what leaked pages force */
	unsigned int max_flushes_1s;	/* S5: recovery flushes in a clock second */
	u64 max_flushes_any_1s;		/* global flushes, any cause */
	u64 split_unassigned_now;	/* 4K regions wholly the hypervisor's */
	u64 avg_split_unassigned_milli;
	u64 gb_blocked_now;		/* 1G ranges below 1G with no bad region */
	u64 avg_gb_blocked_milli;
	size_t state_bytes_start, state_bytes_end;
	unsigned int knobs[RMP_SYNC_NR_KNOBS];
	u64 duration_ms;
	u64 split_count;		/* the host's split_regions now, if it has it */
	int check;			/* rmp_sync_check() + the host's */
};

/**
 * struct rsr_run - one replay in progress.
 *
 * Set up with rsr_run_init() before the instance exists (its config takes
 * rsr_clock() and rsr_kick() with the run as argument), then rsr_run_start()
 * once it does.  Single-threaded: the caller serializes every call.
 */
struct rsr_run {
	const struct rsr_host_ops *ops;
	void *host;
	struct rmp_sync *rs;
	u64 nr_pages;
	enum rsr_policy policy;
	struct rsr_result r;
	bool started;			/* an operation was applied */
	bool recovery;			/* background passes run (rmp_sync policy) */
	bool idle;			/* ... and wait for a kick */
	u64 now_ms, next_pass_ms;
	u64 flush_second;		/* clock second of flushes_1s */
	unsigned int flushes_1s;
	u64 fl_base;			/* host flushes when the second began */
	/* Integrals over time (ms) and over operations. */
	u64 sum_mixed, sum_split, sum_su, sum_gb;
	u64 op_mixed, op_split, op_su, op_gb;
	/*
	 * Kept up to date per operation: nr_mixed_now counts the RSR_MIXED
	 * regions, the core's regions_mixed without summing its per-CPU
	 * counters at each sample.  Avoidable fragmentation: RSR_BAD regions
	 * are mixed or hold leaked pages; RSR_SU ones are mapped 4K although
	 * all their pages are the hypervisor's (listed in su_list, rechecked
	 * after a recovery pass collapsed something); gb_bad counts the
	 * RSR_BAD regions of each 1G range, gb_state marks the boot-1G ranges
	 * mapped below 1G without one.
	 */
	u8 *rstate;
	u64 nr_mixed_now;
	u64 *su_list;
	size_t nr_su;
	u64 nr_su_now;
	u32 *gb_bad;
	u8 *gb_state;
	u64 nr_gb_blocked;
};

int rsr_run_init(struct rsr_run *run, u64 nr_pages, enum rsr_policy policy,
		 const struct rsr_host_ops *ops, void *host);
void rsr_run_start(struct rsr_run *run, struct rmp_sync *rs);
void rsr_run_free(struct rsr_run *run);
u64 rsr_clock(void *run);
void rsr_kick(void *run);
int rsr_set_knob(struct rsr_run *run, enum rmp_sync_knob knob, unsigned int val);
int rsr_apply(struct rsr_run *run, const struct rsr_op *op, u64 index);
void rsr_state(struct rsr_run *run, u64 *mixed, u64 *split);
void rsr_finish(struct rsr_run *run);
int rsr_json(const struct rsr_result *r, enum rsr_policy policy,
	     const char *name, u64 mem_bytes, bool with_trace, char *buf, size_t len);

#endif /* _ARCH_X86_MM_RMP_SYNC_REPLAY_H */
