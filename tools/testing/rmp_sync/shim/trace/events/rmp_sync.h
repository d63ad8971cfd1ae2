/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for include/trace/events/rmp_sync.h: the same
 * tracepoint calls, type-checked, and costing nothing, as a disabled
 * tracepoint costs (almost) nothing in the kernel.  (They used to count
 * into one global array: no test read it, and every transition of every
 * thread wrote its cache line, which the kernel never does.)
 */
#ifndef _SHIM_TRACE_RMP_SYNC_H
#define _SHIM_TRACE_RMP_SYNC_H

#include "../../kshim.h"

static inline void trace_rmp_sync_split(u64 pfn, int old_level, unsigned int backoff,
			       int ret)
{
}

static inline void trace_rmp_sync_collapse(u64 pfn, int level, int result)
{
}

static inline void trace_rmp_sync_psmash(u64 pfn, bool requested, int ret)
{
}

static inline void trace_rmp_sync_recover_pass(unsigned int scanned, unsigned int examined,
				      unsigned int collapsed_2m,
				      unsigned int collapsed_1g, unsigned int failed,
				      unsigned int flushes, unsigned int pending_left,
				      bool throttled, bool background)
{
}

static inline void trace_rmp_sync_make_private(u64 pfn, u64 gpa, int level,
					       u32 asid, bool immutable, int ret)
{
}

static inline void trace_rmp_sync_make_shared(u64 pfn, int level, int ret)
{
}

static inline void trace_rmp_sync_leak(u64 pfn, unsigned int npages, int ret)
{
}

static inline void trace_rmp_sync_resync(u64 pfn, unsigned int old,
					 unsigned int new)
{
}

#endif
