// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the emulated host itself (emu.c) and of the software RMP
 * (arch/x86/mm/rmp_sync_swrmp.c): the other suites trust both to turn a
 * missing split or a missing flush into a counted RMP #PF.
 */
#include <kunit/test.h>
#include <linux/rmp_sync.h>

#include "emu.h"

#define SZ_2M		BIT_ULL(21)
#define SZ_1G		BIT_ULL(30)
#define GB_PAGES	RMP_SYNC_GB_PAGES
#define REG_PAGES	RMP_SYNC_REGION_PAGES

static void emu_test_destroy(void *h)
{
	emu_destroy(h);
}

static void emu_test_swrmp_destroy(void *rmp)
{
	rmp_sync_swrmp_destroy(rmp);
}

static void emu_test_no_alloc_fail(void *unused __always_unused)
{
	rmp_sync_fault_arm(&kshim_alloc_fault, 0, 0, 0);
}

static struct emu_host *emu_test_host(struct kunit *test, u64 mem_bytes,
				      unsigned int nr_cpus, bool pse,
				      bool gbpages)
{
	struct emu_config cfg = {
		.mem_bytes = mem_bytes,
		.nr_cpus = nr_cpus,
		.pse = pse,
		.gbpages = gbpages,
	};
	struct emu_host *h = emu_create(&cfg);

	KUNIT_ASSERT_NOT_NULL(test, h);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, emu_test_destroy,
							h), 0);
	return h;
}

static struct rmp_sync_swrmp *emu_test_swrmp(struct kunit *test,
					     u64 nr_pages)
{
	struct rmp_sync_swrmp *rmp = rmp_sync_swrmp_create(nr_pages);

	KUNIT_ASSERT_NOT_NULL(test, rmp);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, emu_test_swrmp_destroy,
							rmp), 0);
	return rmp;
}

static int upd(struct rmp_sync_swrmp *rmp, u64 pfn, bool assigned,
	       enum pg_level level, u64 gpa, u32 asid, bool immutable)
{
	struct rmp_sync_rmp_state st = {
		.gpa = gpa,
		.asid = asid,
		.assigned = assigned,
		.immutable = immutable,
		.level = level,
	};

	return rmp_sync_swrmp_ops.update(rmp, pfn, &st);
}

static struct rmp_sync_rmp_entry lookup(struct kunit *test,
					struct rmp_sync_swrmp *rmp, u64 pfn)
{
	struct rmp_sync_rmp_entry e;

	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_ops.lookup(rmp, pfn, &e), 0);
	return e;
}

static void emu_test_rmpupdate(struct kunit *test)
{
	struct rmp_sync_swrmp *rmp = emu_test_swrmp(test, 4 * REG_PAGES);
	struct rmp_sync_rmp_entry e;
	u64 base = 2 * REG_PAGES;

	/* A fresh RMP is all hypervisor-owned, 4K. */
	e = lookup(test, rmp, 5);
	KUNIT_EXPECT_FALSE(test, e.assigned);
	KUNIT_EXPECT_EQ(test, e.level, PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_ops.lookup(rmp, 4 * REG_PAGES, &e),
			-EINVAL);

	/* FAIL_INPUT: range, level, alignment, ASID width, shared fields. */
	KUNIT_EXPECT_EQ(test, upd(rmp, 4 * REG_PAGES, true, PG_LEVEL_4K, 0, 1,
				  false), RMP_SYNC_RMP_FAIL_INPUT);
	KUNIT_EXPECT_EQ(test, upd(rmp, 0, true, PG_LEVEL_1G, 0, 1, false),
			RMP_SYNC_RMP_FAIL_INPUT);
	KUNIT_EXPECT_EQ(test, upd(rmp, base + 1, true, PG_LEVEL_2M, 0, 1,
				  false), RMP_SYNC_RMP_FAIL_INPUT);
	KUNIT_EXPECT_EQ(test, upd(rmp, 1, true, PG_LEVEL_4K, 0x800, 1, false),
			RMP_SYNC_RMP_FAIL_INPUT);
	KUNIT_EXPECT_EQ(test, upd(rmp, base, true, PG_LEVEL_2M, 0x1000, 1,
				  false), RMP_SYNC_RMP_FAIL_INPUT);
	KUNIT_EXPECT_EQ(test, upd(rmp, 1, true, PG_LEVEL_4K, 0, 1024, false),
			RMP_SYNC_RMP_FAIL_INPUT);
	KUNIT_EXPECT_EQ(test, upd(rmp, 1, false, PG_LEVEL_4K, 0x1000, 0,
				  false), RMP_SYNC_RMP_FAIL_INPUT);
	KUNIT_EXPECT_EQ(test, upd(rmp, 1, false, PG_LEVEL_4K, 0, 1, false),
			RMP_SYNC_RMP_FAIL_INPUT);
	KUNIT_EXPECT_EQ(test, upd(rmp, 1, false, PG_LEVEL_4K, 0, 0, true),
			RMP_SYNC_RMP_FAIL_INPUT);
	/* None of those changed anything or allocated a chunk. */
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(rmp, 0), 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(rmp, base), 0);

	/* A 4K assignment, read back; the highest ASID fits. */
	KUNIT_EXPECT_EQ(test, upd(rmp, 7, true, PG_LEVEL_4K, 0x7000, 1023,
				  false), RMP_SYNC_RMP_SUCCESS);
	e = lookup(test, rmp, 7);
	KUNIT_EXPECT_TRUE(test, e.assigned);
	KUNIT_EXPECT_EQ(test, e.gpa, 0x7000);
	KUNIT_EXPECT_EQ(test, e.asid, 1023);
	KUNIT_EXPECT_EQ(test, e.level, PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(rmp, 0), 1);
	/* Reassigning an assigned page keeps the count exact. */
	KUNIT_EXPECT_EQ(test, upd(rmp, 7, true, PG_LEVEL_4K, 0x9000, 2, false),
			RMP_SYNC_RMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(rmp, 0), 1);

	/* FAIL_OVERLAP: 2M over an assigned 4K entry, assigning or not. */
	KUNIT_EXPECT_EQ(test, upd(rmp, 0, true, PG_LEVEL_2M, 0, 1, false),
			RMP_SYNC_RMP_FAIL_OVERLAP);
	KUNIT_EXPECT_EQ(test, upd(rmp, 0, false, PG_LEVEL_2M, 0, 0, false),
			RMP_SYNC_RMP_FAIL_OVERLAP);

	/* FAIL_PERMISSION: an immutable entry, alone or inside a 2M range. */
	KUNIT_EXPECT_EQ(test, upd(rmp, 9, true, PG_LEVEL_4K, 0, 0, true),
			RMP_SYNC_RMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, upd(rmp, 9, false, PG_LEVEL_4K, 0, 0, false),
			RMP_SYNC_RMP_FAIL_PERMISSION);
	KUNIT_EXPECT_EQ(test, upd(rmp, 0, false, PG_LEVEL_2M, 0, 0, false),
			RMP_SYNC_RMP_FAIL_PERMISSION);
	KUNIT_EXPECT_TRUE(test, lookup(test, rmp, 9).immutable);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(rmp, 0), 2);

	/* A 2M assignment writes 512 entries, GPA stepping by 4K. */
	KUNIT_EXPECT_EQ(test, upd(rmp, base, true, PG_LEVEL_2M, SZ_2M * 3, 5,
				  false), RMP_SYNC_RMP_SUCCESS);
	e = lookup(test, rmp, base + 17);
	KUNIT_EXPECT_TRUE(test, e.assigned);
	KUNIT_EXPECT_EQ(test, e.level, PG_LEVEL_2M);
	KUNIT_EXPECT_EQ(test, e.gpa, SZ_2M * 3 + 17 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, e.asid, 5);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(rmp, base), REG_PAGES);
	/* FAIL_OVERLAP: 4K inside an assigned 2M page, without PSMASH. */
	KUNIT_EXPECT_EQ(test, upd(rmp, base + 17, false, PG_LEVEL_4K, 0, 0,
				  false), RMP_SYNC_RMP_FAIL_OVERLAP);
	/* A 2M shared update clears all 512. */
	KUNIT_EXPECT_EQ(test, upd(rmp, base, false, PG_LEVEL_2M, 0, 0, false),
			RMP_SYNC_RMP_SUCCESS);
	e = lookup(test, rmp, base + 17);
	KUNIT_EXPECT_FALSE(test, e.assigned);
	KUNIT_EXPECT_EQ(test, e.gpa, 0);
	KUNIT_EXPECT_EQ(test, e.level, PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(rmp, base), 0);
}

static void emu_test_rmpupdate_faults(struct kunit *test)
{
	struct rmp_sync_swrmp *rmp = emu_test_swrmp(test, 2 * REG_PAGES);
	struct rmp_sync_fault_attr *f = rmp_sync_swrmp_fault(rmp,
							RMP_SYNC_SWRMP_UPDATE);

	/* FAIL_INUSE only comes from the injector; nothing changes. */
	rmp_sync_fault_arm(f, 2, 1, RMP_SYNC_RMP_FAIL_INUSE);
	KUNIT_EXPECT_EQ(test, upd(rmp, 3, true, PG_LEVEL_4K, 0, 1, false),
			RMP_SYNC_RMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, upd(rmp, 4, true, PG_LEVEL_4K, 0, 1, false),
			RMP_SYNC_RMP_FAIL_INUSE);
	KUNIT_EXPECT_FALSE(test, lookup(test, rmp, 4).assigned);
	KUNIT_EXPECT_EQ(test, upd(rmp, 4, true, PG_LEVEL_4K, 0, 1, false),
			RMP_SYNC_RMP_SUCCESS);
	rmp_sync_fault_arm(f, 0, 0, 0);

	/* The chunk allocation fails: -ENOMEM, nothing changed. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, emu_test_no_alloc_fail,
							NULL), 0);
	rmp_sync_fault_arm(&kshim_alloc_fault, 1, 1, -ENOMEM);
	KUNIT_EXPECT_EQ(test, upd(rmp, REG_PAGES, true, PG_LEVEL_2M, 0, 1,
				  false), -ENOMEM);
	rmp_sync_fault_arm(&kshim_alloc_fault, 0, 0, 0);
	KUNIT_EXPECT_FALSE(test, lookup(test, rmp, REG_PAGES).assigned);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(rmp, REG_PAGES), 0);
	/* An existing chunk needs no allocation. */
	rmp_sync_fault_arm(&kshim_alloc_fault, 1, 1, -ENOMEM);
	KUNIT_EXPECT_EQ(test, upd(rmp, 5, true, PG_LEVEL_4K, 0, 1, false),
			RMP_SYNC_RMP_SUCCESS);
	rmp_sync_fault_arm(&kshim_alloc_fault, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(rmp, 0), 3);
}

static void emu_test_psmash(struct kunit *test)
{
	struct rmp_sync_swrmp *rmp = emu_test_swrmp(test, 2 * REG_PAGES);
	struct rmp_sync_fault_attr *f = rmp_sync_swrmp_fault(rmp,
							RMP_SYNC_SWRMP_PSMASH);
	u64 base = REG_PAGES, gpa = 5 * SZ_2M;
	struct rmp_sync_rmp_entry e;
	unsigned int i;

	/* FAIL_INPUT: unaligned, out of range, not an assigned 2M entry. */
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_ops.psmash(rmp, base + 1),
			RMP_SYNC_RMP_FAIL_INPUT);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_ops.psmash(rmp, 2 * REG_PAGES),
			RMP_SYNC_RMP_FAIL_INPUT);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_ops.psmash(rmp, base),
			RMP_SYNC_RMP_FAIL_INPUT);
	KUNIT_EXPECT_EQ(test, upd(rmp, 0, true, PG_LEVEL_4K, 0, 1, false),
			RMP_SYNC_RMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_ops.psmash(rmp, 0),
			RMP_SYNC_RMP_FAIL_INPUT);

	KUNIT_EXPECT_EQ(test, upd(rmp, base, true, PG_LEVEL_2M, gpa, 9, false),
			RMP_SYNC_RMP_SUCCESS);

	/* FAIL_INUSE from the injector leaves the 2M entry alone. */
	rmp_sync_fault_arm(f, 1, 1, RMP_SYNC_RMP_FAIL_INUSE);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_ops.psmash(rmp, base),
			RMP_SYNC_RMP_FAIL_INUSE);
	KUNIT_EXPECT_EQ(test, lookup(test, rmp, base + 3).level, PG_LEVEL_2M);

	/* PSMASH: 512 4K entries, same fields. */
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_ops.psmash(rmp, base),
			RMP_SYNC_RMP_SUCCESS);
	for (i = 0; i < REG_PAGES; i++) {
		e = lookup(test, rmp, base + i);
		if (!e.assigned || e.level != PG_LEVEL_4K || e.asid != 9 ||
		    e.gpa != gpa + i * PAGE_SIZE) {
			KUNIT_FAIL(test, "entry %u wrong after PSMASH", i);
			break;
		}
	}
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(rmp, base), REG_PAGES);
	/* Now a 4K update works, on that page only. */
	KUNIT_EXPECT_EQ(test, upd(rmp, base + 3, true, PG_LEVEL_4K, 0x1000, 9,
				  false), RMP_SYNC_RMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, lookup(test, rmp, base + 3).gpa, 0x1000ULL);
	KUNIT_EXPECT_EQ(test, lookup(test, rmp, base + 4).gpa, gpa + 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, upd(rmp, base + 4, false, PG_LEVEL_4K, 0, 0,
				  false), RMP_SYNC_RMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(rmp, base),
			REG_PAGES - 1);
	/* PSMASH of 4K entries is refused. */
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_ops.psmash(rmp, base),
			RMP_SYNC_RMP_FAIL_INPUT);
}

static void emu_test_expect_dmap(struct kunit *test, struct emu_host *h,
				 u64 n4k, u64 n2m, u64 n1g)
{
	u64 c4k, c2m, c1g;

	emu_directmap(h, &c4k, &c2m, &c1g);
	KUNIT_EXPECT_EQ(test, c4k, n4k);
	KUNIT_EXPECT_EQ(test, c2m, n2m);
	KUNIT_EXPECT_EQ(test, c1g, n1g);
	KUNIT_EXPECT_EQ(test, emu_check(h), 0);
}

static void emu_test_create_args(struct kunit *test)
{
	static const struct emu_config bad[] = {
		{ .mem_bytes = 0, .nr_cpus = 1, .pse = true },
		{ .mem_bytes = SZ_2M + PAGE_SIZE, .nr_cpus = 1, .pse = true },
		{ .mem_bytes = (4ULL << 40) + SZ_2M, .nr_cpus = 1, .pse = true },
		{ .mem_bytes = SZ_2M, .nr_cpus = 0, .pse = true },
		{ .mem_bytes = SZ_2M, .nr_cpus = 65, .pse = true },
		{ .mem_bytes = SZ_1G, .nr_cpus = 1, .gbpages = true },
	};
	struct emu_host *h;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		h = emu_create(&bad[i]);
		KUNIT_EXPECT_FALSE_MSG(test, h, "bad config %u accepted", i);
		emu_destroy(h);
	}
	KUNIT_EXPECT_FALSE(test, emu_create(NULL));
}

static void emu_test_boot_4g(struct kunit *test)
{
	struct emu_host *gb = emu_test_host(test, 4 * SZ_1G, 1, true, true);
	struct emu_host *pmd = emu_test_host(test, 4 * SZ_1G, 1, true, false);
	struct emu_host *tail = emu_test_host(test, 4 * SZ_1G + 2 * SZ_2M, 1,
					      true, true);
	struct emu_host *nopse = emu_test_host(test, 2 * SZ_2M, 1, false,
					       false);
	struct emu_stats st;

	/* gbpages: four 1G leaves and no table at all. */
	emu_test_expect_dmap(test, gb, 0, 0, 4);
	emu_get_stats(gb, &st);
	KUNIT_EXPECT_EQ(test, st.tables_alloc, 0);
	KUNIT_EXPECT_EQ(test, emu_level(gb, 3 * GB_PAGES + 5), PG_LEVEL_1G);
	KUNIT_EXPECT_EQ(test, emu_boot_diff(gb), 0);

	/* No gbpages: 2048 2M leaves in four PMD tables. */
	emu_test_expect_dmap(test, pmd, 0, 2048, 0);
	emu_get_stats(pmd, &st);
	KUNIT_EXPECT_EQ(test, st.tables_alloc, 4);
	KUNIT_EXPECT_EQ(test, emu_level(pmd, 5), PG_LEVEL_2M);

	/* A trailing partial GB is mapped with 2M leaves. */
	emu_test_expect_dmap(test, tail, 0, 2, 4);
	KUNIT_EXPECT_EQ(test, emu_level(tail, 4 * GB_PAGES + 1), PG_LEVEL_2M);
	KUNIT_EXPECT_EQ(test, emu_level(tail, 4 * GB_PAGES + 2 * REG_PAGES),
			PG_LEVEL_NONE);

	/* No PSE: a fresh boot maps 4K. */
	emu_test_expect_dmap(test, nopse, 2 * REG_PAGES, 0, 0);
	KUNIT_EXPECT_EQ(test, emu_level(nopse, 700), PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, emu_boot_diff(nopse), 0);
}

static void emu_test_boot_1tib(struct kunit *test)
{
	long live = kshim_live_allocs;
	struct emu_host *h = emu_test_host(test, 1ULL << 40, 4, true, true);
	struct rmp_sync_swrmp *rmp = emu_rmp(h);
	u64 last = (1ULL << 28) - 1;
	struct emu_stats st;

	/* A handful of allocations, no page table, no RMP chunk. */
	KUNIT_EXPECT_LT(test, kshim_live_allocs - live, 10);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.tables_alloc, 0);
	emu_test_expect_dmap(test, h, 0, 0, 1024);

	/* The last page works like the first. */
	KUNIT_EXPECT_EQ(test, upd(rmp, last, true, PG_LEVEL_4K, 0, 1, false),
			RMP_SYNC_RMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, emu_write(h, 3, last - 1), -EFAULT);
	KUNIT_EXPECT_EQ(test, emu_split(h, last, PG_LEVEL_4K), 0);
	emu_flush_all(h);
	KUNIT_EXPECT_EQ(test, emu_write(h, 3, last - 1), 0);
	emu_test_expect_dmap(test, h, REG_PAGES, 511, 1023);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.tables_alloc, 2);
}

static void emu_test_split_collapse(struct kunit *test)
{
	struct emu_host *h = emu_test_host(test, 4 * SZ_1G, 2, true, true);
	u64 pfn = GB_PAGES + 7 * REG_PAGES + 3;
	u64 region = ALIGN_DOWN(pfn, REG_PAGES);
	u64 gb = ALIGN_DOWN(pfn, GB_PAGES);
	struct emu_stats st;

	KUNIT_EXPECT_EQ(test, emu_split(h, pfn, PG_LEVEL_2M), 0);
	KUNIT_EXPECT_EQ(test, emu_level(h, pfn), PG_LEVEL_2M);
	emu_test_expect_dmap(test, h, 0, 512, 3);
	KUNIT_EXPECT_EQ(test, emu_boot_diff(h), 512);

	KUNIT_EXPECT_EQ(test, emu_split(h, pfn, PG_LEVEL_4K), 0);
	KUNIT_EXPECT_EQ(test, emu_level(h, pfn), PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, emu_level(h, region + REG_PAGES), PG_LEVEL_2M);
	emu_test_expect_dmap(test, h, 512, 511, 3);
	/* Splitting again is a no-op. */
	KUNIT_EXPECT_EQ(test, emu_split(h, pfn + 1, PG_LEVEL_4K), 0);
	emu_test_expect_dmap(test, h, 512, 511, 3);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.tables_alloc, 2);

	/* Collapse 2M: the PTE table waits for the flush. */
	KUNIT_EXPECT_EQ(test, emu_collapse(h, region, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSED);
	KUNIT_EXPECT_EQ(test, emu_level(h, pfn), PG_LEVEL_2M);
	emu_test_expect_dmap(test, h, 0, 512, 3);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.tables_freed, 0);
	emu_flush_all(h);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.tables_freed, 1);
	KUNIT_EXPECT_EQ(test, emu_check(h), 0);

	/* Collapse 1G: back to the boot layout. */
	KUNIT_EXPECT_EQ(test, emu_collapse(h, gb, PG_LEVEL_1G),
			RMP_SYNC_COLLAPSED);
	KUNIT_EXPECT_EQ(test, emu_level(h, pfn), PG_LEVEL_1G);
	emu_test_expect_dmap(test, h, 0, 0, 4);
	emu_flush_all(h);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.tables_alloc, 2);
	KUNIT_EXPECT_EQ(test, st.tables_freed, 2);
	KUNIT_EXPECT_EQ(test, emu_boot_diff(h), 0);
	KUNIT_EXPECT_EQ(test, emu_check(h), 0);

	/* Bad arguments. */
	KUNIT_EXPECT_EQ(test, emu_split(h, 4 * GB_PAGES, PG_LEVEL_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, emu_split(h, 0, PG_LEVEL_1G), -EINVAL);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, region + 1, PG_LEVEL_2M),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, region, PG_LEVEL_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, 4 * GB_PAGES, PG_LEVEL_2M),
			-EINVAL);
}

/*
 * Hot-remove + hot-add of a range: each region mapped as boot maps it
 * (splits, pins and attribute changes gone), a whole 1G range back to one
 * 1G leaf, the rest of RAM untouched, and every table freed by the flush.
 */
static void emu_test_memory_readd(struct kunit *test)
{
	struct emu_host *h = emu_test_host(test, 4 * SZ_1G, 1, true, true);
	struct emu_host *h4k = emu_test_host(test, 4 * SZ_2M, 1, false, false);
	u64 pinned = GB_PAGES + 7 * REG_PAGES + 3, ro = GB_PAGES + 9 * REG_PAGES + 1;
	u64 other = 2 * GB_PAGES + 5 * REG_PAGES;
	struct emu_stats st;

	KUNIT_ASSERT_EQ(test, emu_set_memory_4k(h, pinned), 0);
	KUNIT_ASSERT_EQ(test, emu_set_attr(h, ro, 0, EMU_PTE_RW), 0);
	KUNIT_ASSERT_EQ(test, emu_split(h, other, PG_LEVEL_4K), 0);
	KUNIT_EXPECT_NE(test, emu_write(h, 0, ro), 0);

	/* part of a 1G range: its regions 2M again, the range stays split */
	KUNIT_EXPECT_EQ(test, emu_memory_readd(h, GB_PAGES + 7 * REG_PAGES,
					       2 * REG_PAGES), 0);
	KUNIT_EXPECT_EQ(test, emu_level(h, pinned), PG_LEVEL_2M);
	KUNIT_EXPECT_EQ(test, emu_level(h, ro), PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, emu_level(h, GB_PAGES), PG_LEVEL_2M);
	emu_test_expect_dmap(test, h, 2 * 512, 2 * 511, 2);

	/* the whole range: one 1G leaf, writable again */
	KUNIT_EXPECT_EQ(test, emu_memory_readd(h, GB_PAGES, GB_PAGES), 0);
	KUNIT_EXPECT_EQ(test, emu_level(h, ro), PG_LEVEL_1G);
	KUNIT_EXPECT_EQ(test, emu_write(h, 0, ro), 0);
	KUNIT_EXPECT_EQ(test, emu_level(h, other), PG_LEVEL_4K);
	emu_test_expect_dmap(test, h, 512, 511, 3);
	/* a range mapped 1G already is left as it is */
	KUNIT_EXPECT_EQ(test, emu_memory_readd(h, 0, REG_PAGES), 0);
	KUNIT_EXPECT_EQ(test, emu_level(h, 0), PG_LEVEL_1G);

	KUNIT_EXPECT_EQ(test, emu_memory_readd(h, 2 * GB_PAGES, GB_PAGES), 0);
	KUNIT_EXPECT_EQ(test, emu_boot_diff(h), 0);
	emu_test_expect_dmap(test, h, 0, 0, 4);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.tables_alloc, st.tables_freed);

	/* without PSE boot maps 4K: fresh PTEs */
	KUNIT_ASSERT_EQ(test, emu_set_attr(h4k, REG_PAGES + 3, 0, EMU_PTE_RW), 0);
	KUNIT_EXPECT_EQ(test, emu_memory_readd(h4k, REG_PAGES, REG_PAGES), 0);
	KUNIT_EXPECT_EQ(test, emu_write(h4k, 0, REG_PAGES + 3), 0);
	KUNIT_EXPECT_EQ(test, emu_boot_diff(h4k), 0);
	KUNIT_EXPECT_EQ(test, emu_check(h4k), 0);

	/* bad arguments */
	KUNIT_EXPECT_EQ(test, emu_memory_readd(h, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, emu_memory_readd(h, 1, REG_PAGES), -EINVAL);
	KUNIT_EXPECT_EQ(test, emu_memory_readd(h, 0, REG_PAGES + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, emu_memory_readd(h, 4 * GB_PAGES - REG_PAGES,
					       2 * REG_PAGES), -EINVAL);
}

static void emu_test_split_enomem(struct kunit *test)
{
	struct emu_host *h = emu_test_host(test, 2 * SZ_1G, 1, true, true);
	u64 pfn = 5 * REG_PAGES;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, emu_test_no_alloc_fail,
							NULL), 0);
	/* The first step fails: nothing changed. */
	rmp_sync_fault_arm(&kshim_alloc_fault, 1, 1, -ENOMEM);
	KUNIT_EXPECT_EQ(test, emu_split(h, pfn, PG_LEVEL_4K), -ENOMEM);
	rmp_sync_fault_arm(&kshim_alloc_fault, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, emu_level(h, pfn), PG_LEVEL_1G);
	emu_test_expect_dmap(test, h, 0, 0, 2);

	/* The second step fails: the 1G->2M step stays done. */
	rmp_sync_fault_arm(&kshim_alloc_fault, 2, 1, -ENOMEM);
	KUNIT_EXPECT_EQ(test, emu_split(h, pfn, PG_LEVEL_4K), -ENOMEM);
	rmp_sync_fault_arm(&kshim_alloc_fault, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, emu_level(h, pfn), PG_LEVEL_2M);
	emu_test_expect_dmap(test, h, 0, 512, 1);

	KUNIT_EXPECT_EQ(test, emu_split(h, pfn, PG_LEVEL_4K), 0);
	emu_test_expect_dmap(test, h, 512, 511, 1);
}

static void emu_test_collapse_refusals(struct kunit *test)
{
	struct emu_host *h = emu_test_host(test, 2 * SZ_1G + 2 * SZ_2M, 1,
					   true, true);
	struct emu_host *nogb = emu_test_host(test, SZ_1G, 1, true, false);
	struct emu_host *nopse = emu_test_host(test, SZ_2M, 1, false, false);
	u64 r = 3 * REG_PAGES;
	unsigned int i;

	/* NOT_SPLIT: inside a 1G leaf, a 1G leaf, a 2M leaf. */
	KUNIT_EXPECT_EQ(test, emu_collapse(h, r, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSE_NOT_SPLIT);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, 0, PG_LEVEL_1G),
			RMP_SYNC_COLLAPSE_NOT_SPLIT);
	KUNIT_EXPECT_EQ(test, emu_collapse(nogb, r, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSE_NOT_SPLIT);

	/* NO_PSE: 2M without PSE, 1G without gbpages. */
	KUNIT_EXPECT_EQ(test, emu_collapse(nopse, 0, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSE_NO_PSE);
	KUNIT_EXPECT_EQ(test, emu_collapse(nogb, 0, PG_LEVEL_1G),
			RMP_SYNC_COLLAPSE_NO_PSE);

	/* LAYOUT: a non-present PTE; present again, it collapses. */
	KUNIT_EXPECT_EQ(test, emu_set_attr(h, r + 8, 0, EMU_PTE_PRESENT), 0);
	KUNIT_EXPECT_EQ(test, emu_level(h, r + 8), PG_LEVEL_NONE);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, r, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSE_LAYOUT);
	/* ... and a 1G range with a 4K-mapped region in it. */
	KUNIT_EXPECT_EQ(test, emu_collapse(h, 0, PG_LEVEL_1G),
			RMP_SYNC_COLLAPSE_LAYOUT);
	KUNIT_EXPECT_EQ(test, emu_set_attr(h, r + 8, EMU_PTE_PRESENT, 0), 0);
	/* ATTR: one read-only page. */
	KUNIT_EXPECT_EQ(test, emu_set_attr(h, r + 9, 0, EMU_PTE_RW), 0);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, r, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSE_ATTR);
	KUNIT_EXPECT_EQ(test, emu_set_attr(h, r + 9, EMU_PTE_RW, 0), 0);
	/* Accessed/dirty do not count. */
	KUNIT_EXPECT_EQ(test, emu_set_attr(h, r + 10, EMU_PTE_DIRTY |
					   EMU_PTE_ACCESSED, 0), 0);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, r, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSED);
	KUNIT_EXPECT_EQ(test, emu_check(h), 0);

	/* FOREIGN: set_memory_4k() pinned a page. */
	KUNIT_EXPECT_EQ(test, emu_set_memory_4k(h, r + 11), 0);
	KUNIT_EXPECT_EQ(test, emu_level(h, r + 11), PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, r, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSE_FOREIGN);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, 0, PG_LEVEL_1G),
			RMP_SYNC_COLLAPSE_LAYOUT);

	/* LAYOUT: the trailing partial GB has only two 2M leaves. */
	KUNIT_EXPECT_EQ(test, emu_collapse(h, 2 * GB_PAGES, PG_LEVEL_1G),
			RMP_SYNC_COLLAPSE_LAYOUT);
	/* ATTR at 1G: one 2M leaf uncached, its 511 siblings not. */
	for (i = 0; i < REG_PAGES; i++)
		KUNIT_ASSERT_EQ(test, emu_set_attr(h, GB_PAGES + i, EMU_PTE_PCD,
						   0), 0);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, GB_PAGES, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSED);
	KUNIT_EXPECT_EQ(test, emu_level(h, GB_PAGES), PG_LEVEL_2M);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, GB_PAGES, PG_LEVEL_1G),
			RMP_SYNC_COLLAPSE_ATTR);
	for (i = 0; i < REG_PAGES; i++)
		KUNIT_ASSERT_EQ(test, emu_set_attr(h, GB_PAGES + i, 0,
						   EMU_PTE_PCD), 0);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, GB_PAGES, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSED);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, GB_PAGES, PG_LEVEL_1G),
			RMP_SYNC_COLLAPSED);
	emu_flush_all(h);
	KUNIT_EXPECT_EQ(test, emu_check(h), 0);
	KUNIT_EXPECT_EQ(test, emu_check(nogb), 0);
	KUNIT_EXPECT_EQ(test, emu_check(nopse), 0);
}

static void emu_test_stale_tlb(struct kunit *test)
{
	struct emu_host *h = emu_test_host(test, SZ_1G, 2, true, false);
	struct rmp_sync_swrmp *rmp = emu_rmp(h);
	u64 a = 9 * REG_PAGES + 1, b = a + 1;
	struct emu_stats st;

	/* CPU 0 caches the 2M translation of a's region. */
	KUNIT_EXPECT_EQ(test, emu_write(h, 0, a), 0);
	KUNIT_EXPECT_EQ(test, emu_write(h, 0, a), 0);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.tlb_misses, 1);
	KUNIT_EXPECT_EQ(test, st.tlb_hits, 1);

	/* Split without the flush, then make the region mixed. */
	KUNIT_EXPECT_EQ(test, emu_split(h, b, PG_LEVEL_4K), 0);
	KUNIT_EXPECT_EQ(test, upd(rmp, b, true, PG_LEVEL_4K, 0, 1, false),
			RMP_SYNC_RMP_SUCCESS);
	/* CPU 0 still writes through the stale 2M entry: RMP #PF. */
	KUNIT_EXPECT_EQ(test, emu_write(h, 0, a), -EFAULT);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.rmp_faults, 1);
	KUNIT_EXPECT_EQ(test, st.last_fault_pfn, a);
	/* CPU 1 walks the new tables: a 4K leaf, no fault. */
	KUNIT_EXPECT_EQ(test, emu_write(h, 1, a), 0);

	/* After the flush CPU 0 walks again and passes too. */
	emu_flush_all(h);
	KUNIT_EXPECT_EQ(test, emu_write(h, 0, a), 0);
	/* b itself is the guest's: always a fault. */
	KUNIT_EXPECT_EQ(test, emu_write(h, 0, b), -EFAULT);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.rmp_faults, 2);
	KUNIT_EXPECT_EQ(test, st.last_fault_pfn, b);
	KUNIT_EXPECT_EQ(test, st.writes, 6);
	KUNIT_EXPECT_EQ(test, st.flushes, 1);
	KUNIT_EXPECT_EQ(test, emu_check(h), 0);

	/* A collapse without a flush leaves a stale 4K entry: harmless. */
	KUNIT_EXPECT_EQ(test, upd(rmp, b, false, PG_LEVEL_4K, 0, 0, false),
			RMP_SYNC_RMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, emu_collapse(h, b - 2, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSED);
	KUNIT_EXPECT_EQ(test, emu_write(h, 0, a), 0);
	emu_flush_all(h);
	KUNIT_EXPECT_EQ(test, emu_check(h), 0);
}

static void emu_test_write_levels(struct kunit *test)
{
	struct emu_host *h2m = emu_test_host(test, SZ_1G, 1, true, false);
	struct emu_host *h1g = emu_test_host(test, SZ_1G, 1, true, true);
	u64 r = 4 * REG_PAGES, b = r + 100;
	struct emu_stats st;

	KUNIT_EXPECT_EQ(test, upd(emu_rmp(h2m), b, true, PG_LEVEL_4K, 0, 1,
				  false), RMP_SYNC_RMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, upd(emu_rmp(h1g), b, true, PG_LEVEL_4K, 0, 1,
				  false), RMP_SYNC_RMP_SUCCESS);

	/* 2M leaf: a neighbour in the region faults, the next region not. */
	KUNIT_EXPECT_EQ(test, emu_write(h2m, 0, r), -EFAULT);
	KUNIT_EXPECT_EQ(test, emu_write(h2m, 0, r + REG_PAGES), 0);
	KUNIT_EXPECT_EQ(test, emu_write(h2m, 0, r - 1), 0);

	/* 1G leaf: only the 2M range written is checked. */
	KUNIT_EXPECT_EQ(test, emu_write(h1g, 0, r + 511), -EFAULT);
	KUNIT_EXPECT_EQ(test, emu_write(h1g, 0, r + REG_PAGES), 0);
	KUNIT_EXPECT_EQ(test, emu_write(h1g, 0, GB_PAGES - 1), 0);

	/* 4K leaves: only b itself. */
	KUNIT_EXPECT_EQ(test, emu_set_memory_4k(h1g, b), 0);
	KUNIT_EXPECT_EQ(test, emu_write(h1g, 0, r + 511), 0);
	KUNIT_EXPECT_EQ(test, emu_write(h1g, 0, b), -EFAULT);
	emu_get_stats(h1g, &st);
	KUNIT_EXPECT_EQ(test, st.rmp_faults, 2);

	/* Read-only and not-present mappings are other faults. */
	KUNIT_EXPECT_EQ(test, emu_set_attr(h1g, r, 0, EMU_PTE_RW), 0);
	KUNIT_EXPECT_EQ(test, emu_write(h1g, 0, r), -EACCES);
	KUNIT_EXPECT_EQ(test, emu_set_attr(h1g, r + 1, 0, EMU_PTE_PRESENT), 0);
	KUNIT_EXPECT_EQ(test, emu_write(h1g, 0, r + 1), -ENOENT);
	emu_get_stats(h1g, &st);
	KUNIT_EXPECT_EQ(test, st.acc_faults, 1);
	KUNIT_EXPECT_EQ(test, st.rmp_faults, 2);
	KUNIT_EXPECT_EQ(test, emu_write(h1g, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, emu_check(h1g), 0);
	KUNIT_EXPECT_EQ(test, emu_check(h2m), 0);
}

static void emu_test_dmap_ops(struct kunit *test)
{
	struct emu_host *h = emu_test_host(test, SZ_1G, 1, true, true);
	u64 pfn = 6 * REG_PAGES + 2;
	struct emu_stats st;
	int old;

	/* An injected split failure changes nothing but reports the level. */
	rmp_sync_fault_arm(emu_fault(h, EMU_FAULT_SPLIT), 1, 1, -ENOMEM);
	old = -1;
	KUNIT_EXPECT_EQ(test, emu_dmap_ops.split(h, pfn, false, &old), -ENOMEM);
	KUNIT_EXPECT_EQ(test, old, PG_LEVEL_1G);
	KUNIT_EXPECT_EQ(test, emu_dmap_ops.level(h, pfn), PG_LEVEL_1G);

	/* A split reports the old level and flushes. */
	KUNIT_EXPECT_EQ(test, emu_dmap_ops.split(h, pfn, false, &old), 0);
	KUNIT_EXPECT_EQ(test, old, PG_LEVEL_1G);
	KUNIT_EXPECT_EQ(test, emu_dmap_ops.level(h, pfn), PG_LEVEL_4K);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.flushes, 1);
	/* Nothing to split: no flush. */
	KUNIT_EXPECT_EQ(test, emu_dmap_ops.split(h, pfn, false, &old), 0);
	KUNIT_EXPECT_EQ(test, old, PG_LEVEL_4K);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.flushes, 1);

	/* An injected collapse refusal, then the real one. */
	rmp_sync_fault_arm(emu_fault(h, EMU_FAULT_COLLAPSE), 1, 1,
			   RMP_SYNC_COLLAPSE_ATTR);
	KUNIT_EXPECT_EQ(test, emu_dmap_ops.collapse(h, pfn - 2, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSE_ATTR);
	KUNIT_EXPECT_EQ(test, emu_dmap_ops.level(h, pfn), PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, emu_dmap_ops.collapse(h, pfn - 2, PG_LEVEL_2M),
			RMP_SYNC_COLLAPSED);
	KUNIT_EXPECT_EQ(test, emu_dmap_ops.collapse(h, 0, PG_LEVEL_1G),
			RMP_SYNC_COLLAPSED);
	emu_dmap_ops.flush(h);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.flushes, 2);
	KUNIT_EXPECT_EQ(test, st.tables_freed, st.tables_alloc);
	KUNIT_EXPECT_EQ(test, emu_check(h), 0);
}

/*
 * Concurrency smoke test (for TSan): CPUs write and look up levels while
 * the main thread splits, collapses and flushes regions no page of which is
 * assigned, so no write may fault; one region is mixed for good and its
 * neighbour pages are written through 4K leaves only.
 */
struct emu_test_worker {
	struct emu_host *h;
	unsigned int cpu;
	bool *stop;
	u64 bad;
};

static void *emu_test_worker_fn(void *arg)
{
	struct emu_test_worker *w = arg;
	u64 x = w->cpu * 2654435761ULL + 1;

	rcu_register_thread();
	while (!__atomic_load_n(w->stop, __ATOMIC_ACQUIRE)) {
		u64 pfn = rmp_sync_rand(&x) % (2 * GB_PAGES);

		if (pfn == REG_PAGES)		/* the guest's page */
			pfn++;
		if (emu_write(w->h, w->cpu, pfn))
			w->bad++;
		if (emu_level(w->h, pfn) == PG_LEVEL_NONE)
			w->bad++;
	}
	rcu_unregister_thread();
	return NULL;
}

static void emu_test_concurrent(struct kunit *test)
{
	enum { NR_WORKERS = 4, ROUNDS = 200 };
	struct emu_host *h = emu_test_host(test, 2 * SZ_1G, NR_WORKERS, true,
					   true);
	struct emu_test_worker w[NR_WORKERS];
	pthread_t tid[NR_WORKERS];
	bool stop = false;
	struct emu_stats st;
	unsigned int i;
	int old;

	/* Region 1 mixed, mapped 4K for good, as rmp_sync would leave it. */
	KUNIT_ASSERT_EQ(test, emu_dmap_ops.split(h, REG_PAGES, false, &old), 0);
	KUNIT_ASSERT_EQ(test, upd(emu_rmp(h), REG_PAGES, true, PG_LEVEL_4K, 0,
				  1, false), RMP_SYNC_RMP_SUCCESS);
	for (i = 0; i < NR_WORKERS; i++) {
		w[i] = (struct emu_test_worker){ h, i, &stop, 0 };
		KUNIT_ASSERT_EQ(test, pthread_create(&tid[i], NULL,
						     emu_test_worker_fn,
						     &w[i]), 0);
	}
	for (i = 0; i < ROUNDS; i++) {
		u64 pfn = GB_PAGES + (i % 64) * REG_PAGES;

		emu_dmap_ops.split(h, pfn, false, &old);
		emu_dmap_ops.collapse(h, pfn, PG_LEVEL_2M);
		emu_dmap_ops.collapse(h, GB_PAGES, PG_LEVEL_1G);
		if (i % 4 == 0)
			emu_dmap_ops.flush(h);
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < NR_WORKERS; i++) {
		pthread_join(tid[i], NULL);
		KUNIT_EXPECT_EQ(test, w[i].bad, 0);
	}
	emu_flush_all(h);
	emu_get_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.rmp_faults, 0);
	KUNIT_EXPECT_EQ(test, st.tables_freed, st.tables_alloc - 2);
	KUNIT_EXPECT_EQ(test, emu_check(h), 0);
}

static struct kunit_case emu_test_cases[] = {
	KUNIT_CASE(emu_test_rmpupdate),
	KUNIT_CASE(emu_test_rmpupdate_faults),
	KUNIT_CASE(emu_test_psmash),
	KUNIT_CASE(emu_test_create_args),
	KUNIT_CASE(emu_test_boot_4g),
	KUNIT_CASE(emu_test_boot_1tib),
	KUNIT_CASE(emu_test_split_collapse),
	KUNIT_CASE(emu_test_memory_readd),
	KUNIT_CASE(emu_test_split_enomem),
	KUNIT_CASE(emu_test_collapse_refusals),
	KUNIT_CASE(emu_test_stale_tlb),
	KUNIT_CASE(emu_test_write_levels),
	KUNIT_CASE(emu_test_dmap_ops),
	KUNIT_CASE(emu_test_concurrent),
	{}
};

static struct kunit_suite emu_suite = {
	.name = "rmp_sync_emu",
	.test_cases = emu_test_cases,
};

kunit_test_suites(&emu_suite);
