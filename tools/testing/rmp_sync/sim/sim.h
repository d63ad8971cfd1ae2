/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmp-sync-sim: replay a hypervisor's page-state history (a trace, or a
 * generated workload) on the emulated SNP host under each synchronization
 * policy, and report what it does to the direct map.
 *
 * trace.c parses and writes the trace format, workload.c generates
 * workloads into the same in-memory form, and sim.c replays it through the
 * unchanged rmp_sync core.  Every source of operations ends up as one
 * struct sim_trace, so a generated workload and its emitted trace replay
 * identically.
 */
#ifndef _RMP_SYNC_SIM_H
#define _RMP_SYNC_SIM_H

#include <linux/types.h>
#include <linux/rmp_sync.h>

/* RAM a trace without a "mem" line covers. */
#define SIM_DEFAULT_MEM		(4ULL << 30)
/* Line of the first operation in a trace sim_trace_emit() writes. */
#define SIM_EMIT_FIRST_LINE	4
/* The emulated host's limit (emu_create()). */
#define SIM_MAX_MEM		(4ULL << 40)

enum sim_op_kind {
	SIM_OP_PRIVATE,		/* rmp_make_private */
	SIM_OP_SHARED,		/* rmp_make_shared */
	SIM_OP_PSMASH,		/* PSMASH of a 2M RMP entry */
	SIM_OP_LEAK,		/* snp_leak_pages */
	SIM_OP_WRITE,		/* host write through the direct map */
	SIM_OP_TICK,		/* advance the simulated clock */
	SIM_OP_QUIESCE,		/* recover until nothing is pending */
	SIM_NR_OPS
};

#define SIM_OP_IMMUTABLE	BIT(0)	/* private ... immutable */

/**
 * struct sim_op - one trace operation.
 * @arg: PFN, or milliseconds for SIM_OP_TICK.
 * @gpa: guest physical address of SIM_OP_PRIVATE.
 * @n: ASID of SIM_OP_PRIVATE, page count of SIM_OP_LEAK.
 * @line: line in the trace file (operation number for a workload).
 * @kind: enum sim_op_kind.
 * @level: PG_LEVEL_4K or PG_LEVEL_2M for private/shared.
 * @flags: SIM_OP_IMMUTABLE.
 */
struct sim_op {
	u64 arg;
	u64 gpa;
	u32 n;
	u32 line;
	u8 kind;
	u8 level;
	u8 flags;
};

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
	struct sim_op *ops;
	size_t nr;
	size_t cap;
	u64 duration_ms;
};

/* trace.c */
int sim_trace_add(struct sim_trace *t, const struct sim_op *op);
void sim_trace_free(struct sim_trace *t);
int sim_parse_size(const char *s, u64 *bytes);
int sim_trace_load(const char *path, u64 mem_bytes, bool mem_given,
		   struct sim_trace *t);
int sim_trace_emit(const struct sim_trace *t, const char *path);

/* workload.c */
int sim_workload(const char *name, u64 mem_bytes, bool mem_given,
		 double hours, u64 seed, struct sim_trace *t);
extern const char *const sim_workload_names[];

#endif /* _RMP_SYNC_SIM_H */
