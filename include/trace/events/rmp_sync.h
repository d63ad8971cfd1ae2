/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of rmp_sync (arch/x86/mm/rmp_sync.c): the direct-map splits
 * and collapses it makes, the PSMASHes it issues, its recovery passes, and
 * the regions it recounted from the RMP.  Every event is named rmp_sync_*,
 * so that the __tracepoint_* symbols they create are in rmp_sync's
 * namespace.
 * See Documentation/admin-guide/mm/rmp_sync.rst.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rmp_sync

#if !defined(_TRACE_RMP_SYNC_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_RMP_SYNC_H

#include <linux/tracepoint.h>

/* A 2M region made 4K before the RMPUPDATE that makes it mixed. */
TRACE_EVENT(rmp_sync_split,
	    TP_PROTO(u64 pfn, int old_level, unsigned int backoff, int ret),
	    TP_ARGS(pfn, old_level, backoff, ret),
	    TP_STRUCT__entry(__field(u64, pfn)
			     __field(int, old_level)
			     __field(unsigned int, backoff)
			     __field(int, ret)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->old_level = old_level;
			   __entry->backoff = backoff;
			   __entry->ret = ret;),
	    TP_printk("pfn=0x%llx old_level=%d backoff=%u ret=%d",
		      __entry->pfn, __entry->old_level, __entry->backoff,
		      __entry->ret)
);

/*
 * A collapse to @level (2: 2M, 3: 1G): @result 0 collapsed, > 0 the enum
 * rmp_sync_collapse_result reason it was refused, < 0 -errno.
 */
TRACE_EVENT(rmp_sync_collapse,
	    TP_PROTO(u64 pfn, int level, int result),
	    TP_ARGS(pfn, level, result),
	    TP_STRUCT__entry(__field(u64, pfn)
			     __field(int, level)
			     __field(int, result)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->level = level;
			   __entry->result = result;),
	    TP_printk("pfn=0x%llx level=%d result=%d",
		      __entry->pfn, __entry->level, __entry->result)
);

/*
 * PSMASH of the 2M RMP entry at @pfn: @requested by the caller
 * (rmp_sync_psmash()), or the core's own before a 4K update inside the
 * entry; @ret 0 or -errno.
 */
TRACE_EVENT(rmp_sync_psmash,
	    TP_PROTO(u64 pfn, bool requested, int ret),
	    TP_ARGS(pfn, requested, ret),
	    TP_STRUCT__entry(__field(u64, pfn)
			     __field(bool, requested)
			     __field(int, ret)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->requested = requested;
			   __entry->ret = ret;),
	    TP_printk("pfn=0x%llx requested=%d ret=%d", __entry->pfn,
		      __entry->requested, __entry->ret)
);

/* One recovery pass, explicit or @background. */
TRACE_EVENT(rmp_sync_recover_pass,
	    TP_PROTO(unsigned int scanned, unsigned int examined,
		     unsigned int collapsed_2m, unsigned int collapsed_1g,
		     unsigned int failed, unsigned int flushes,
		     unsigned int pending_left, bool throttled, bool background),
	    TP_ARGS(scanned, examined, collapsed_2m, collapsed_1g, failed,
		    flushes, pending_left, throttled, background),
	    TP_STRUCT__entry(__field(unsigned int, scanned)
			     __field(unsigned int, examined)
			     __field(unsigned int, collapsed_2m)
			     __field(unsigned int, collapsed_1g)
			     __field(unsigned int, failed)
			     __field(unsigned int, flushes)
			     __field(unsigned int, pending_left)
			     __field(bool, throttled)
			     __field(bool, background)),
	    TP_fast_assign(__entry->scanned = scanned;
			   __entry->examined = examined;
			   __entry->collapsed_2m = collapsed_2m;
			   __entry->collapsed_1g = collapsed_1g;
			   __entry->failed = failed;
			   __entry->flushes = flushes;
			   __entry->pending_left = pending_left;
			   __entry->throttled = throttled;
			   __entry->background = background;),
	    TP_printk("scanned=%u examined=%u collapsed_2m=%u collapsed_1g=%u failed=%u flushes=%u pending_left=%u throttled=%d background=%d",
		      __entry->scanned, __entry->examined,
		      __entry->collapsed_2m, __entry->collapsed_1g,
		      __entry->failed, __entry->flushes, __entry->pending_left,
		      __entry->throttled, __entry->background)
);

/*
 * The transitions themselves, as KVM and the firmware driver asked for
 * them (after the fact, with their result): a recording of these is a
 * host's page-state history, which rmp-sync-capture turns into a trace
 * the simulator replays under every policy.
 */
TRACE_EVENT(rmp_sync_make_private,
	    TP_PROTO(u64 pfn, u64 gpa, int level, u32 asid, bool immutable,
		     int ret),
	    TP_ARGS(pfn, gpa, level, asid, immutable, ret),
	    TP_STRUCT__entry(__field(u64, pfn)
			     __field(u64, gpa)
			     __field(int, level)
			     __field(u32, asid)
			     __field(bool, immutable)
			     __field(int, ret)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->gpa = gpa;
			   __entry->level = level;
			   __entry->asid = asid;
			   __entry->immutable = immutable;
			   __entry->ret = ret;),
	    TP_printk("pfn=0x%llx gpa=0x%llx level=%d asid=%u immutable=%d ret=%d",
		      __entry->pfn, __entry->gpa, __entry->level, __entry->asid,
		      __entry->immutable, __entry->ret)
);

TRACE_EVENT(rmp_sync_make_shared,
	    TP_PROTO(u64 pfn, int level, int ret),
	    TP_ARGS(pfn, level, ret),
	    TP_STRUCT__entry(__field(u64, pfn)
			     __field(int, level)
			     __field(int, ret)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->level = level;
			   __entry->ret = ret;),
	    TP_printk("pfn=0x%llx level=%d ret=%d",
		      __entry->pfn, __entry->level, __entry->ret)
);

/* snp_leak_pages(): @npages pages from @pfn can never be given back. */
TRACE_EVENT(rmp_sync_leak,
	    TP_PROTO(u64 pfn, unsigned int npages, int ret),
	    TP_ARGS(pfn, npages, ret),
	    TP_STRUCT__entry(__field(u64, pfn)
			     __field(unsigned int, npages)
			     __field(int, ret)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->npages = npages;
			   __entry->ret = ret;),
	    TP_printk("pfn=0x%llx npages=%u ret=%d",
		      __entry->pfn, __entry->npages, __entry->ret)
);

/*
 * The count of assigned pages of the region at @pfn disagreed with the RMP
 * (a page assigned or given back without rmp_sync, e.g. by the firmware):
 * rmp_sync recounted it from the RMP, @old to @new assigned pages.
 */
TRACE_EVENT(rmp_sync_resync,
	    TP_PROTO(u64 pfn, unsigned int old, unsigned int new),
	    TP_ARGS(pfn, old, new),
	    TP_STRUCT__entry(__field(u64, pfn)
			     __field(unsigned int, old)
			     __field(unsigned int, new)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->old = old;
			   __entry->new = new;),
	    TP_printk("pfn=0x%llx old=%u new=%u",
		      __entry->pfn, __entry->old, __entry->new)
);

#if IS_ENABLED(CONFIG_RMP_SYNC_SW_HOST)
/*
 * The software-SNP debug host (arch/x86/mm/rmp_sync_swhost.c) replays a
 * history whose clock and host writes are its own; these record them, so
 * that a recording converts back into the history that was replayed.
 */

/* The replay's clock advanced by @ms milliseconds ("tick"). */
TRACE_EVENT(rmp_sync_sw_tick,
	    TP_PROTO(u64 ms),
	    TP_ARGS(ms),
	    TP_STRUCT__entry(__field(u64, ms)),
	    TP_fast_assign(__entry->ms = ms;),
	    TP_printk("ms=%llu", __entry->ms)
);

/* A host write to @pfn through the direct map: 0, or -EFAULT (RMP #PF). */
TRACE_EVENT(rmp_sync_sw_write,
	    TP_PROTO(u64 pfn, int ret),
	    TP_ARGS(pfn, ret),
	    TP_STRUCT__entry(__field(u64, pfn)
			     __field(int, ret)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->ret = ret;),
	    TP_printk("pfn=0x%llx ret=%d", __entry->pfn, __entry->ret)
);

/* Recovery ran until nothing was pending ("quiesce"). */
TRACE_EVENT(rmp_sync_sw_quiesce,
	    TP_PROTO(u64 now_ms),
	    TP_ARGS(now_ms),
	    TP_STRUCT__entry(__field(u64, now_ms)),
	    TP_fast_assign(__entry->now_ms = now_ms;),
	    TP_printk("now_ms=%llu", __entry->now_ms)
);
#endif /* CONFIG_RMP_SYNC_SW_HOST */

#endif /* _TRACE_RMP_SYNC_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
