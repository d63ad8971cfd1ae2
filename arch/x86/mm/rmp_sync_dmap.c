// SPDX-License-Identifier: GPL-2.0
/*
 * rmp_sync direct-map backend on the kernel's own page tables.
 *
 * rmp_sync (arch/x86/mm/rmp_sync.c) drives the direct map through struct
 * rmp_sync_dmap_ops.  This backend maps those calls onto the CPA code in
 * arch/x86/mm/pat/set_memory.c:
 *
 *  - level: direct_map_level(), a walk under cpa_lock;
 *  - split: split_direct_map_2m(), which splits (and flushes every CPU's
 *    TLB) without the _PAGE_KERNEL_4K mark of set_memory_4k(), so the
 *    split may be undone; __GFP_NOFAIL for the split rmp_make_shared()
 *    needs;
 *  - collapse: collapse_direct_map(), no flush;
 *  - flush: flush_direct_map_collapses(), one global flush for all the
 *    collapses since the last one, then the old page tables are freed.
 *
 * Locking: CPA serializes the page-table edits itself (cpa_lock, then
 * pgd_lock, both taken inside set_memory.c), and every walk this backend
 * makes runs under cpa_lock too, so none reads a table that a collapse
 * detached.  rmp_sync calls in with one of its region mutexes held, never
 * with a spinlock held, so every callback may sleep.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/rmp_sync.h>
#include <asm/set_memory.h>

/*
 * Direct-map address of @pfn, or 0 beyond the last 1G range holding RAM
 * (nothing can map it).  Holes below that have an address; lookup_address()
 * reports whether anything maps it.
 */
static unsigned long rmp_sync_dmap_addr(u64 pfn)
{
	if (pfn >= ALIGN(max_pfn, RMP_SYNC_GB_PAGES))
		return 0;
	return (unsigned long)pfn_to_kaddr(pfn);
}

static int rmp_sync_dmap_level(void *priv, u64 pfn)
{
	unsigned long addr = rmp_sync_dmap_addr(pfn);

	if (!addr)
		return PG_LEVEL_NONE;
	/* Walked under cpa_lock: never in a table a collapse detached. */
	return direct_map_level(addr);
}

static int rmp_sync_dmap_split(void *priv, u64 pfn, bool nofail, int *old_level)
{
	unsigned long addr = rmp_sync_dmap_addr(pfn);

	*old_level = PG_LEVEL_NONE;
	if (!addr)
		return 0;	/* nothing maps it: nothing to protect */
	return split_direct_map_2m(addr, nofail, old_level);
}

static int rmp_sync_dmap_collapse(void *priv, u64 pfn, int level)
{
	unsigned long addr = rmp_sync_dmap_addr(pfn);

	if (!addr)
		return RMP_SYNC_COLLAPSE_LAYOUT;
	return collapse_direct_map(addr, level);
}

static void rmp_sync_dmap_flush(void *priv)
{
	flush_direct_map_collapses();
}

/*
 * rmp_sync's backend for the real direct map: pass it as
 * &rmp_sync_config.dmap; the priv argument of its callbacks is unused.
 */
const struct rmp_sync_dmap_ops rmp_sync_kernel_dmap_ops = {
	.name = "kernel direct map",
	.level = rmp_sync_dmap_level,
	.split = rmp_sync_dmap_split,
	.collapse = rmp_sync_dmap_collapse,
	.flush = rmp_sync_dmap_flush,
};
