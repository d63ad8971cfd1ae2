/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for include/trace/events/rmp_sync.h: the same
 * tracepoint calls, counted (kshim_trace_events[]) instead of traced, so
 * that the arguments are type-checked and tests can see that they fire.
 */
#ifndef _SHIM_TRACE_RMP_SYNC_H
#define _SHIM_TRACE_RMP_SYNC_H

#include "../../kshim.h"

enum kshim_trace_event {
	KSHIM_TRACE_SPLIT,
	KSHIM_TRACE_COLLAPSE,
	KSHIM_TRACE_PSMASH,
	KSHIM_TRACE_RECOVER_PASS,
	KSHIM_TRACE_RESYNC,
	KSHIM_TRACE_TRANSITION,
	KSHIM_NR_TRACE_EVENTS
};

extern unsigned long kshim_trace_events[KSHIM_NR_TRACE_EVENTS];

static inline void kshim_trace(enum kshim_trace_event ev)
{
	__atomic_add_fetch(&kshim_trace_events[ev], 1, __ATOMIC_RELAXED);
}

static inline void trace_rmp_sync_split(u64 pfn, int old_level, unsigned int backoff,
			       int ret)
{
	kshim_trace(KSHIM_TRACE_SPLIT);
}

static inline void trace_rmp_sync_collapse(u64 pfn, int level, int result)
{
	kshim_trace(KSHIM_TRACE_COLLAPSE);
}

static inline void trace_rmp_sync_psmash(u64 pfn, bool requested, int ret)
{
	kshim_trace(KSHIM_TRACE_PSMASH);
}

static inline void trace_rmp_sync_recover_pass(unsigned int scanned, unsigned int examined,
				      unsigned int collapsed_2m,
				      unsigned int collapsed_1g, unsigned int failed,
				      unsigned int flushes, unsigned int pending_left,
				      bool throttled, bool background)
{
	kshim_trace(KSHIM_TRACE_RECOVER_PASS);
}

static inline void trace_rmp_sync_make_private(u64 pfn, u64 gpa, int level,
					       u32 asid, bool immutable, int ret)
{
	kshim_trace(KSHIM_TRACE_TRANSITION);
}

static inline void trace_rmp_sync_make_shared(u64 pfn, int level, int ret)
{
	kshim_trace(KSHIM_TRACE_TRANSITION);
}

static inline void trace_rmp_sync_leak(u64 pfn, unsigned int npages, int ret)
{
	kshim_trace(KSHIM_TRACE_TRANSITION);
}

static inline void trace_rmp_sync_resync(u64 pfn, unsigned int old,
					 unsigned int new)
{
	kshim_trace(KSHIM_TRACE_RESYNC);
}

#endif
