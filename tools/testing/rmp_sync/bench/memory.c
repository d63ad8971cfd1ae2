// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-bench, section 2: memory.  Bytes the allocator handed out
 * (mallinfo2(): arena in use plus mmapped) across rmp_sync_create() for
 * 1 GiB, 1 TiB and 4 TiB of RAM, with the light backends (create never
 * calls them).  Per region = the marginal cost between 1 TiB and 4 TiB.
 */
#include <malloc.h>
#include <linux/slab.h>
#include "bench.h"

struct mem_point {
	u64 ram_bytes, regions;
	u64 alloc_bytes;	/* allocator: everything rmp_sync_create() took */
	u64 instance_bytes;	/* of which the fixed-size struct rmp_sync */
	u64 allocs;
	u64 state_bytes;	/* rmp_sync_state_bytes(), the core's own view */
};

struct mem_result {
	struct mem_point pt[3];
	double per_region;	/* marginal, 1 TiB -> 4 TiB */
	double per_tib;		/* state at 1 TiB, instance excluded */
	bool met_region, met_tib;
};

static u64 mem_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void mem_measure(struct mem_point *pt, u64 ram_bytes)
{
	static u64 dummy;
	struct rmp_sync_config cfg = {
		.nr_pages = ram_bytes >> PAGE_SHIFT,
		.rmp = &lite_rmp_ops, .rmp_priv = &dummy,
		.dmap = &lite_dmap_ops, .dmap_priv = &dummy,
		.mode = RMP_SYNC_MODE_DEFERRED,
	};
	long allocs0 = kshim_allocs;
	struct rmp_sync *rs;
	u64 before;

	before = mem_in_use();
	rs = rmp_sync_create(&cfg);
	if (IS_ERR(rs))
		bench_die("rmp_sync_create(%llu bytes): %ld", (ull)ram_bytes, PTR_ERR(rs));
	pt->alloc_bytes = mem_in_use() - before;
	pt->allocs = kshim_allocs - allocs0;
	pt->instance_bytes = kshim_alloc_size(rs);
	pt->state_bytes = rmp_sync_state_bytes(rs);
	pt->ram_bytes = ram_bytes;
	pt->regions = cfg.nr_pages / RP;
	rmp_sync_destroy(rs);
}

static void mem_measure_all(struct mem_result *res)
{
	bench_progress("memory");
	mem_measure(&res->pt[0], 1ULL << 30);
	mem_measure(&res->pt[1], 1ULL << 40);
	mem_measure(&res->pt[2], 4ULL << 40);
	res->per_region = (double)(res->pt[2].alloc_bytes - res->pt[1].alloc_bytes) /
			  (res->pt[2].regions - res->pt[1].regions);
	res->per_tib = res->pt[1].alloc_bytes - res->pt[1].instance_bytes;
	res->met_region = res->per_region <= 4.0;
	res->met_tib = res->per_tib <= 2.0 * (1 << 20);
}

struct mem_result *bench_memory(void)
{
	static struct mem_result res;

	mem_measure_all(&res);
	return &res;
}

/* The table, or (@json) the "memory" member: one walk over the points. */
void bench_memory_print(const struct mem_result *m, bool json)
{
	unsigned int i;

	if (json)
		printf("  \"memory\": {\"points\": [");
	else
		printf("2. Memory, measured from the allocator across rmp_sync_create()\n"
		       "   %-8s %9s %13s %10s %10s %7s %13s\n", "RAM", "regions", "allocated B",
		       "instance B", "state B", "allocs", "state_bytes()");
	for (i = 0; i < ARRAY_SIZE(m->pt); i++) {
		const struct mem_point *pt = &m->pt[i];
		bool tib = pt->ram_bytes >= (1ULL << 40);

		if (json)
			printf("%s{\"ram_bytes\": %llu, \"regions\": %llu, \"allocated_bytes\": %llu, \"instance_bytes\": %llu, \"allocations\": %llu, \"state_bytes\": %llu}",
			       i ? ", " : "", (ull)pt->ram_bytes, (ull)pt->regions,
			       (ull)pt->alloc_bytes, (ull)pt->instance_bytes,
			       (ull)pt->allocs, (ull)pt->state_bytes);
		else
			printf("   %5llu %s %9llu %13llu %10llu %10llu %7llu %13llu\n",
			       (ull)(pt->ram_bytes >> (tib ? 40 : 30)), tib ? "TiB" : "GiB",
			       (ull)pt->regions, (ull)pt->alloc_bytes, (ull)pt->instance_bytes,
			       (ull)(pt->alloc_bytes - pt->instance_bytes), (ull)pt->allocs,
			       (ull)pt->state_bytes);
	}
	if (json) {
		printf("], \"bytes_per_region\": %.4f, \"bytes_per_tib\": %.0f, \"target_region_met\": %s, \"target_tib_met\": %s},\n",
		       m->per_region, m->per_tib, json_bool(m->met_region),
		       json_bool(m->met_tib));
		return;
	}
	printf("   per 2M region (marginal, 1 TiB -> 4 TiB): %.4f B   target <= 4 B: %s (%+.3f%%)\n",
	       m->per_region, yes_no(m->met_region), 100 * (m->per_region / 4 - 1));
	printf("   per TiB (state at 1 TiB, fixed instance excluded): %.4f MiB (%llu B over 2 MiB)\n"
	       "   target <= 2 MiB: %s (%+.3f%%)\n", m->per_tib / (1 << 20),
	       (ull)(m->per_tib > (1 << 21) ? m->per_tib - (1 << 21) : 0),
	       yes_no(m->met_tib), 100 * (m->per_tib / (1 << 21) - 1));
	printf("   the region words are 4 B each; the rest is the two 1G bitmaps, the array header\n"
	       "   and the allocator's page rounding of the mmapped array\n");
	printf("   upstream keeps no state of its own: 0 B (no ratio)\n\n");
}
