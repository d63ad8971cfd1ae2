/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmp-sync-sim: replay a hypervisor's page-state history (a trace, or a
 * generated workload) on the emulated SNP host under each synchronization
 * policy, and report what it does to the direct map.
 *
 * The trace format, its parser and the replay engine are the kernel's
 * (arch/x86/mm/rmp_sync_replay.[ch], also behind the software-SNP debug
 * host's debugfs replay file).  trace.c reads and writes trace files with
 * them, workload.c generates workloads into the same in-memory form, and
 * sim.c replays it through the unchanged rmp_sync core.  Every source of operations ends up as one
 * struct sim_trace, so a generated workload and its emitted trace replay
 * identically.
 */
#ifndef _RMP_SYNC_SIM_H
#define _RMP_SYNC_SIM_H

#include <linux/types.h>
#include <linux/rmp_sync.h>
#include "rmp_sync_replay.h"

/* RAM a trace without a "mem" line covers. */
#define SIM_DEFAULT_MEM		(4ULL << 30)
/* Line of the first operation in a trace sim_trace_emit() writes. */
#define SIM_EMIT_FIRST_LINE	4
/* vm-churn's defaults (--mem, --hours). */
#define SIM_CHURN4K_MEM		(32ULL << 30)
#define SIM_CHURN4K_HOURS	24
/* The emulated host's limit (emu_create()). */
#define SIM_MAX_MEM		(4ULL << 40)

/**
 * struct sim_trace - a whole validated trace.
 * @name: file name (or "workload:NAME") used in messages.
 * @mem_bytes: RAM covered.
 * @ops: the operations, @nr of them, room for @cap.
 * @duration_ms: sum of the ticks: where the simulated clock ends.
 */
struct sim_trace {
	const char *name;
	u64 mem_bytes;
	struct rsr_op *ops;
	size_t nr;
	size_t cap;
	u64 duration_ms;
};

/* trace.c */
int sim_trace_add(struct sim_trace *t, const struct rsr_op *op);
void sim_trace_free(struct sim_trace *t);
int sim_trace_load(const char *path, u64 mem_bytes, bool mem_given,
		   struct sim_trace *t);
int sim_trace_emit(const struct sim_trace *t, const char *path);
int sim_file_err(const char *path, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sim_usage_err(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Where vm-churn puts guest_memfd pages (--placement). */
enum sim_placement_kind {
	SIM_PLACE_BUDDY,	/* the page allocator model (sim/buddy.c) */
	SIM_PLACE_PACKED,	/* each guest's pages in its own 2M blocks */
	SIM_PLACE_FILE,		/* a capture of rmp-sync-capture placement */
};

/* A placement capture: PFNs in allocation order. */
struct sim_placement {
	const char *path;
	u64 *pfn;
	u64 nr;
	u64 mem_bytes;		/* the captured machine's "mem", or 0 */
};

struct sim_wl_opts {
	enum sim_placement_kind placement;
	const struct sim_placement *pl;
};

/* workload.c */
int sim_workload(const char *name, u64 mem_bytes, bool mem_given,
		 double hours, u64 seed, struct sim_trace *t);
int sim_workload_ex(const char *name, u64 mem_bytes, bool mem_given,
		    double hours, u64 seed, const struct sim_wl_opts *o,
		    struct sim_trace *t);
int sim_placement_load(const char *path, struct sim_placement *pl);
void sim_placement_free(struct sim_placement *pl);
extern const char *const sim_workload_names[];

/* churn4k.c */
int sim_churn4k(struct sim_trace *t, u64 end_ms, u64 rng,
		const struct sim_wl_opts *o);

/* buddy.c: the page allocator model vm-churn places guest pages with */
struct sim_buddy;
struct sim_buddy *sim_buddy_create(u64 nr, unsigned int nr_cpus, u64 reserved);
void sim_buddy_destroy(struct sim_buddy *b);
u64 sim_buddy_alloc(struct sim_buddy *b, unsigned int cpu, int mt);
u64 sim_buddy_alloc_order(struct sim_buddy *b, unsigned int order, int mt);
void sim_buddy_free(struct sim_buddy *b, unsigned int cpu, u64 pfn);
void sim_buddy_free_order(struct sim_buddy *b, u64 pfn, unsigned int order);
bool sim_buddy_take(struct sim_buddy *b, u64 pfn, int mt);
u64 sim_buddy_nr_free(const struct sim_buddy *b);
#define SIM_MT_UNMOVABLE	0
#define SIM_MT_MOVABLE		1

#endif /* _RMP_SYNC_SIM_H */
