// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for rmp_sync (arch/x86/mm/rmp_sync.c).
 *
 * The same file runs in the kernel (kunit.py, QEMU: software RMP with the
 * real direct map) and in userspace (tools/testing/rmp_sync: software RMP,
 * emulated page tables and TLBs).  The machine behind it is reached through
 * rmp_sync_test_host.h; a host write there is RMP-checked against the leaf
 * level that maps it, so a missing split or flush fails a case.
 *
 * Every case checks S1 (host writes to every hypervisor-owned page of the
 * region, from every CPU, after every transition), S3 (rmp_sync_check()
 * recounts the RMP, the direct map and the counters) and, where it applies,
 * S2 (after a recovery pass the direct map is the boot layout again).
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/rmp_sync.h>
#include <linux/rmp_sync_swrmp.h>
#include "rmp_sync_test_host.h"

#define RP		RMP_SYNC_REGION_PAGES
#define GBP		RMP_SYNC_GB_PAGES

/* ---- helpers ---------------------------------------------------------- */

static void rst_entry(struct rst_env *env, u64 pfn, struct rmp_sync_rmp_entry *e)
{
	memset(e, 0, sizeof(*e));
	rmp_sync_swrmp_ops.lookup(env->rmp, pfn, e);
}

/* Everything a transition could change, for "nothing changed" checks. */
struct rst_snap {
	struct rmp_sync_stats st;
	u64 dm[3];
	u64 flushes;
	struct rmp_sync_region_info info;
	struct rmp_sync_rmp_entry e;
	unsigned int assigned;
	int level;
};

static void rst_snap(struct rst_env *env, u64 pfn, struct rst_snap *s)
{
	memset(s, 0, sizeof(*s));
	rmp_sync_get_stats(env->rs, &s->st);
	rst_directmap(env, &s->dm[0], &s->dm[1], &s->dm[2]);
	s->flushes = rst_flushes(env);
	if (pfn < env->ram_pages) {
		rmp_sync_region_info(env->rs, pfn, &s->info);
		rst_entry(env, pfn, &s->e);
		s->assigned = rmp_sync_swrmp_assigned(env->rmp, pfn);
		s->level = rst_level(env, pfn);
	}
}

static void expect_unchanged(struct kunit *test, const struct rst_snap *a,
			     const struct rst_snap *b)
{
	/* stats, direct map, flushes, region word, RMP entry, level */
	KUNIT_EXPECT_TRUE(test, !memcmp(&a->st, &b->st, sizeof(a->st)));
	KUNIT_EXPECT_EQ(test, a->flushes, b->flushes);
	KUNIT_EXPECT_TRUE(test, !memcmp(&a->info, &b->info, sizeof(a->info)));
	KUNIT_EXPECT_TRUE(test, !memcmp(&a->e, &b->e, sizeof(a->e)));
	KUNIT_EXPECT_EQ(test, a->assigned, b->assigned);
	if (!rst_foreign_dmap_user()) {
		KUNIT_EXPECT_TRUE(test, !memcmp(a->dm, b->dm, sizeof(a->dm)));
		KUNIT_EXPECT_EQ(test, a->level, b->level);
	} else {
		/* another kernel user may split (never collapse) meanwhile */
		KUNIT_EXPECT_LE(test, b->level, a->level);
	}
}

/* S3 on the region of @pfn and all counters; the host's own tables too. */
static void expect_consistent(struct kunit *test, struct rst_env *env, u64 pfn)
{
	KUNIT_EXPECT_EQ(test, rmp_sync_check(env->rs, ALIGN_DOWN(pfn, RP), RP, true), 0);
	KUNIT_EXPECT_EQ(test, rst_host_check(env), 0);
}

/*
 * S1: every hypervisor-owned page of the region holding @pfn is writable
 * from every CPU, and the region is mapped 4K exactly when it is mixed
 * (when rmp_sync split it; a foreign split may keep it 4K).
 */
static void expect_region_safe(struct kunit *test, struct rst_env *env, u64 pfn)
{
	u64 first = ALIGN_DOWN(pfn, RP), p;
	unsigned int assigned = rmp_sync_swrmp_assigned(env->rmp, first);
	unsigned int cpu, faults = 0;
	struct rmp_sync_rmp_entry e;

	for (p = first; p < first + RP; p++) {
		rst_entry(env, p, &e);
		if (e.assigned)
			continue;
		for (cpu = 0; cpu < env->nr_cpus; cpu++)
			faults += rst_write(env, cpu, p) != 0;
	}
	KUNIT_EXPECT_EQ_MSG(test, faults, 0U, "region at PFN 0x%llx",
			    (unsigned long long)first);
	if (assigned && assigned < RP)
		KUNIT_EXPECT_EQ(test, rst_level(env, first), (int)PG_LEVEL_4K);
}

/* The common transitions: ASID 1, GPA 0, mutable; 4K back to the host. */
static int priv_4k(struct rst_env *env, u64 pfn)
{
	return rmp_sync_make_private(env->rs, pfn, 0, PG_LEVEL_4K, 1, false);
}

static int priv_2m(struct rst_env *env, u64 pfn)
{
	return rmp_sync_make_private(env->rs, pfn, 0, PG_LEVEL_2M, 1, false);
}

static int shared_4k(struct rst_env *env, u64 pfn)
{
	return rmp_sync_make_shared(env->rs, pfn, PG_LEVEL_4K);
}

/* Fail the @nth allocation from now on (0: none). */
static void fail_alloc(struct rst_env *env, int nth)
{
	rmp_sync_fault_arm(rst_fault(env, RST_FAULT_ALLOC), nth, 1, -ENOMEM);
}

static int recover_all(struct rst_env *env)
{
	int n, total = 0;

	while ((n = rmp_sync_recover(env->rs, 1U << 20, true, NULL)) > 0)
		total += n;
	return n < 0 ? n : total;
}

static struct rst_env *env_default(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_DEFERRED };

	return rst_env_create(test, &o);
}

/* Page offsets from the start of the test window, at the edges. */
struct rst_pos {
	u64 off;
	const char *desc;
};

static const struct rst_pos rst_positions[] = {
	{ 0, "first page of a 1G range" },
	{ RP - 1, "last page of the first region" },
	{ RP, "first page of the second region" },
	{ 7 * RP + 200, "middle of a region" },
	{ GBP - RP, "first page of the last region of a 1G range" },
	{ GBP - 1, "last page of a 1G range" },
	{ GBP, "first page of the next 1G range" },
};

KUNIT_ARRAY_PARAM_DESC(rst_pos, rst_positions, desc);

/* ---- cases ------------------------------------------------------------ */

/* A 4K page goes to a guest and back, at every edge. */
static void rmp_sync_test_4k_roundtrip(struct kunit *test)
{
	const struct rst_pos *pos = test->param_value;
	struct rmp_sync_region_info info;
	u64 dm0[3], dm[3], pfn, flushes, ev2[2], ev3[2];
	struct rst_env *env;
	struct rmp_sync_stats st;
	bool counted;

	env = env_default(test);
	pfn = env->base + pos->off;
	KUNIT_ASSERT_LT(test, pfn, env->base + env->nr_pages);
	rst_directmap(env, &dm0[0], &dm0[1], &dm0[2]);
	rst_vm_events(env, &ev2[0], &ev3[0]);
	expect_region_safe(test, env, pfn);	/* primes every CPU's TLB */

	KUNIT_ASSERT_EQ(test, rmp_sync_make_private(env->rs, pfn, 0x1000, PG_LEVEL_4K,
						    1, false), 0);
	/* mixed now: 4K, split by us, and every neighbour still writable */
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_TRUE(test, info.split && info.ours && !info.pending);
	KUNIT_EXPECT_EQ(test, info.assigned, 1U);
	expect_region_safe(test, env, pfn);
	expect_consistent(test, env, pfn);
	/* the guest page itself is not host-writable */
	KUNIT_EXPECT_EQ(test, rst_write(env, 0, pfn), -EFAULT);

	KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(env->rs, pfn, PG_LEVEL_4K), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	/* uniform again: queued, not yet collapsed */
	KUNIT_EXPECT_TRUE(test, info.pending);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	expect_region_safe(test, env, pfn);
	expect_consistent(test, env, pfn);

	/* S2: one pass restores the boot layout (2M, then 1G), one real flush */
	flushes = rst_flushes(env);
	KUNIT_EXPECT_GT(test, recover_all(env), 0);
	KUNIT_EXPECT_EQ(test, rst_flushes(env), flushes + 1);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	rst_directmap(env, &dm[0], &dm[1], &dm[2]);
	if (!rst_foreign_dmap_user())
		KUNIT_EXPECT_TRUE(test, !memcmp(dm, dm0, sizeof(dm)));
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.splits, 1ULL);
	KUNIT_EXPECT_EQ(test, st.collapses_2m, 1ULL);
	KUNIT_EXPECT_EQ(test, st.collapses_1g, st.splits_1g);
	/* the split's flush, then one pass, one flush */
	KUNIT_EXPECT_EQ(test, st.tlb_flushes, 2ULL);
	KUNIT_EXPECT_EQ(test, st.recovery_flushes, 1ULL);
	KUNIT_EXPECT_EQ(test, st.regions_split, 0ULL);
	KUNIT_EXPECT_EQ(test, st.regions_pending, 0ULL);
	/*
	 * vmstat: every collapse counted once the system runs; none before,
	 * like the split events (a built-in suite runs before that).
	 */
	counted = rst_vm_events(env, &ev2[1], &ev3[1]);
	KUNIT_EXPECT_EQ(test, ev2[1] - ev2[0], counted ? st.collapses_2m : 0);
	KUNIT_EXPECT_EQ(test, ev3[1] - ev3[0], counted ? st.collapses_1g : 0);
	expect_region_safe(test, env, pfn);
	expect_consistent(test, env, pfn);
}

/* Whole-2M transitions never split: the region stays uniform. */
static void rmp_sync_test_2m_no_split(struct kunit *test)
{
	u64 dm0[3], dm[3], pfn;
	struct rmp_sync_stats st;
	struct rst_env *env;

	env = env_default(test);
	pfn = env->base + 3 * RP;
	rst_directmap(env, &dm0[0], &dm0[1], &dm0[2]);
	expect_region_safe(test, env, pfn - 1);

	KUNIT_ASSERT_EQ(test, rmp_sync_make_private(env->rs, pfn, 0x200000, PG_LEVEL_2M,
						    5, false), 0);
	rst_directmap(env, &dm[0], &dm[1], &dm[2]);
	/* no split anywhere (that another kernel user may make) */
	if (!rst_foreign_dmap_user())
		KUNIT_EXPECT_TRUE(test, !memcmp(dm, dm0, sizeof(dm)));
	/* neighbours in the regions around it stay writable through 1G/2M */
	expect_region_safe(test, env, pfn - 1);
	expect_region_safe(test, env, pfn + RP);
	KUNIT_EXPECT_EQ(test, rst_write(env, 1, pfn + 17), -EFAULT);
	expect_consistent(test, env, pfn);

	KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(env->rs, pfn, PG_LEVEL_2M), 0);
	expect_region_safe(test, env, pfn);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.splits, 0ULL);
	KUNIT_EXPECT_EQ(test, st.psmash, 0ULL);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, pfn);
}

/* A 4K page leaves a 2M RMP entry: PSMASH, split, then back to 2M. */
static void rmp_sync_test_psmash_on_4k_shared(struct kunit *test)
{
	struct rmp_sync_rmp_entry e;
	struct rmp_sync_stats st;
	struct rst_env *env;
	u64 pfn, p;

	env = env_default(test);
	pfn = env->base + 9 * RP;
	KUNIT_ASSERT_EQ(test, rmp_sync_make_private(env->rs, pfn, 0x40000000, PG_LEVEL_2M,
						    3, false), 0);
	expect_region_safe(test, env, pfn + RP);

	KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(env->rs, pfn + 100, PG_LEVEL_4K), 0);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.psmash, 1ULL);
	KUNIT_EXPECT_EQ(test, st.splits, 1ULL);
	/* the other entries are 4K now, gpa stepping from the base */
	rst_entry(env, pfn + 101, &e);
	KUNIT_EXPECT_TRUE(test, e.assigned);
	KUNIT_EXPECT_EQ(test, (int)e.level, (int)PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, e.gpa, 0x40000000ULL + 101 * PAGE_SIZE);
	expect_region_safe(test, env, pfn);
	KUNIT_EXPECT_EQ(test, rst_write(env, 0, pfn + 100), 0);
	expect_consistent(test, env, pfn);

	for (p = pfn; p < pfn + RP; p++)
		if (p != pfn + 100)
			KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(env->rs, p, PG_LEVEL_4K), 0);
	expect_region_safe(test, env, pfn);
	KUNIT_EXPECT_GT(test, recover_all(env), 0);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, pfn);
}

/* rmp_sync_psmash() on its own: RMP changes, the direct map does not. */
static void rmp_sync_test_psmash_explicit(struct kunit *test)
{
	struct rmp_sync_region_info info;
	struct rmp_sync_rmp_entry e;
	struct rst_snap a, b;
	struct rst_env *env;
	u64 pfn;

	env = env_default(test);
	pfn = env->base + 2 * RP;
	KUNIT_ASSERT_EQ(test, rmp_sync_make_private(env->rs, pfn, 0, PG_LEVEL_2M, 9, false), 0);
	KUNIT_ASSERT_EQ(test, rmp_sync_psmash(env->rs, pfn), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_FALSE(test, info.rmp_2m);
	KUNIT_EXPECT_FALSE(test, info.split);
	KUNIT_EXPECT_EQ(test, info.assigned, (unsigned int)RP);
	rst_entry(env, pfn + 511, &e);
	KUNIT_EXPECT_EQ(test, (int)e.level, (int)PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, e.gpa, 511ULL * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, e.asid, 9U);
	expect_consistent(test, env, pfn);

	/* again: no 2M entry any more */
	rst_snap(env, pfn, &a);
	KUNIT_EXPECT_EQ(test, rmp_sync_psmash(env->rs, pfn), -EINVAL);
	rst_snap(env, pfn, &b);
	expect_unchanged(test, &a, &b);

	/* a smashed region goes back 4K by 4K; 2M shared is refused */
	KUNIT_EXPECT_EQ(test, rmp_sync_make_shared(env->rs, pfn, PG_LEVEL_2M), -EINVAL);
}

/* A leaked guest page keeps its region split, forever. */
static void rmp_sync_test_leak_assigned(struct kunit *test)
{
	struct rmp_sync_region_info info;
	struct rmp_sync_stats st;
	struct rst_snap a, b;
	struct rst_env *env;
	u64 pfn;

	env = env_default(test);
	pfn = env->base + 5 * RP + 3;
	KUNIT_ASSERT_EQ(test, rmp_sync_make_private(env->rs, pfn, 0, PG_LEVEL_4K, 2, false), 0);
	KUNIT_ASSERT_EQ(test, rmp_sync_make_private(env->rs, pfn + 1, 0x1000, PG_LEVEL_4K,
						    2, false), 0);
	KUNIT_ASSERT_EQ(test, rmp_sync_leak_pages(env->rs, pfn, 1), 0);
	/* leaking twice is harmless */
	KUNIT_ASSERT_EQ(test, rmp_sync_leak_pages(env->rs, pfn, 1), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_TRUE(test, info.leaked);
	KUNIT_EXPECT_EQ(test, info.assigned, 2U);

	rst_snap(env, pfn, &a);
	KUNIT_EXPECT_EQ(test, rmp_sync_make_shared(env->rs, pfn, PG_LEVEL_4K), -EINVAL);
	rst_snap(env, pfn, &b);
	expect_unchanged(test, &a, &b);

	KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(env->rs, pfn + 1, PG_LEVEL_4K), 0);
	recover_all(env);
	/* S2 except around leaked pages: only this region (and its 1G) */
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn + RP), (int)PG_LEVEL_2M);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.leaked_pages, 1ULL);
	KUNIT_EXPECT_EQ(test, st.regions_mixed, 1ULL);
	expect_region_safe(test, env, pfn);
	expect_consistent(test, env, pfn);
}

/* A leaked page the RMP shows as hypervisor-owned counts as assigned. */
static void rmp_sync_test_leak_shared(struct kunit *test)
{
	struct rmp_sync_region_info info;
	struct rst_env *env;
	u64 pfn;

	env = env_default(test);
	pfn = env->base + 6 * RP;
	KUNIT_ASSERT_EQ(test, rmp_sync_leak_pages(env->rs, pfn + 10, 2), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_EQ(test, info.assigned, 2U);
	/* RMP-uniform still: no split needed */
	KUNIT_EXPECT_FALSE(test, info.split);
	KUNIT_EXPECT_EQ(test, priv_4k(env, pfn + 10), -EINVAL);
	expect_consistent(test, env, pfn);

	/* the next real assignment splits, and nothing collapses it back */
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn + 20), 0);
	expect_region_safe(test, env, pfn);
	KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(env->rs, pfn + 20, PG_LEVEL_4K), 0);
	recover_all(env);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	expect_consistent(test, env, pfn);
	/* a leak range past the end of RAM is refused whole */
	KUNIT_EXPECT_EQ(test, rmp_sync_leak_pages(env->rs, env->ram_pages - 1, 2), -EINVAL);
}

/*
 * A page assigned without rmp_sync (firmware/IOMMU set-up before the
 * instance existed) makes the region's count disagree with the RMP.
 * rmp_make_shared() must not fail for that (S6): the region is recounted
 * from the RMP, counted and traced, and the page is given back.  A 2M
 * return of a region the RMP holds no 2M entry for is still refused, as
 * the RMP itself would refuse it.
 */
static void rmp_sync_test_assigned_behind_back(struct kunit *test)
{
	struct rmp_sync_rmp_state st = { .assigned = true, .level = PG_LEVEL_4K };
	struct rst_env *env = env_default(test);
	u64 pfn = env->base + 70 * RP + 9;
	struct rmp_sync_region_info info;
	struct rmp_sync_stats s0, s1;
	struct rst_snap a, b;

	/* firmware/IOMMU style: RMPUPDATE straight on the RMP */
	KUNIT_ASSERT_EQ(test, rmp_sync_swrmp_ops.update(env->rmp, pfn, &st), 0);
	KUNIT_ASSERT_EQ(test, rmp_sync_swrmp_ops.update(env->rmp, pfn + 1, &st), 0);
	rmp_sync_get_stats(env->rs, &s0);

	/* the first return recounts (2 assigned), then counts down */
	KUNIT_EXPECT_EQ(test, shared_4k(env, pfn), 0);
	rmp_sync_get_stats(env->rs, &s1);
	KUNIT_EXPECT_EQ(test, s1.resyncs, s0.resyncs + 1);
	KUNIT_ASSERT_EQ(test, rmp_sync_region_info(env->rs, pfn, &info), 0);
	KUNIT_EXPECT_EQ(test, info.assigned, 1U);
	/* the region was mixed, so it is split now: S1 from here on */
	KUNIT_EXPECT_TRUE(test, info.split);
	expect_region_safe(test, env, pfn);
	expect_consistent(test, env, pfn);

	/* 2M shared of a region the RMP holds no 2M entry for: refused */
	rst_snap(env, pfn, &a);
	KUNIT_EXPECT_EQ(test, rmp_sync_make_shared(env->rs, pfn - 9, PG_LEVEL_2M), -EINVAL);
	rst_snap(env, pfn, &b);
	expect_unchanged(test, &a, &b);

	KUNIT_EXPECT_EQ(test, shared_4k(env, pfn + 1), 0);
	rmp_sync_get_stats(env->rs, &s1);
	KUNIT_EXPECT_EQ(test, s1.resyncs, s0.resyncs + 1);
	recover_all(env);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, pfn);
}

/*
 * M2: a collapse never trusts the count alone.  A page assigned without
 * rmp_sync in a region queued for collapse (the count says 0) must keep
 * the region 4K: the collapse reads the RMP, recounts, and refuses.
 */
static void rmp_sync_test_collapse_reads_rmp(struct kunit *test)
{
	struct rmp_sync_rmp_state st = { .assigned = true, .level = PG_LEVEL_4K };
	struct rst_env *env = env_default(test);
	u64 first = env->base + 74 * RP, hidden = first + 300;
	struct rmp_sync_region_info info;
	struct rmp_sync_stats s0, s1;

	KUNIT_ASSERT_EQ(test, priv_4k(env, first + 1), 0);
	KUNIT_ASSERT_EQ(test, shared_4k(env, first + 1), 0);
	rmp_sync_region_info(env->rs, first, &info);
	KUNIT_ASSERT_TRUE(test, info.pending && !info.assigned);
	/* firmware/IOMMU style, behind rmp_sync's back */
	KUNIT_ASSERT_EQ(test, rmp_sync_swrmp_ops.update(env->rmp, hidden, &st), 0);
	rmp_sync_get_stats(env->rs, &s0);
	KUNIT_EXPECT_EQ(test, recover_all(env), 0);
	rmp_sync_get_stats(env->rs, &s1);
	KUNIT_EXPECT_EQ(test, s1.resyncs, s0.resyncs + 1);
	KUNIT_EXPECT_EQ(test, rst_level(env, first), (int)PG_LEVEL_4K);
	rmp_sync_region_info(env->rs, first, &info);
	KUNIT_EXPECT_EQ(test, info.assigned, 1U);
	KUNIT_EXPECT_FALSE(test, info.pending);
	expect_region_safe(test, env, first);
	expect_consistent(test, env, first);
	/* given back through rmp_sync: collapsed as usual */
	KUNIT_ASSERT_EQ(test, shared_4k(env, hidden), 0);
	KUNIT_EXPECT_GT(test, recover_all(env), 0);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, first);
}

/*
 * A page assigned as part of a 2M entry without rmp_sync: the 4K return
 * gets an "overlap" the RMP explains, so it is not retried forever: the
 * region is recounted, PSMASHed and the page given back.
 */
static void rmp_sync_test_stale_2m_entry(struct kunit *test)
{
	struct rmp_sync_rmp_state st = { .assigned = true, .level = PG_LEVEL_2M };
	struct rst_env *env = env_default(test);
	u64 first = env->base + 72 * RP;
	struct rmp_sync_stats s0, s1;
	struct rmp_sync_rmp_entry e;
	u64 p;

	KUNIT_ASSERT_EQ(test, rmp_sync_swrmp_ops.update(env->rmp, first, &st), 0);
	rmp_sync_get_stats(env->rs, &s0);
	KUNIT_EXPECT_EQ(test, shared_4k(env, first + 5), 0);
	rmp_sync_get_stats(env->rs, &s1);
	KUNIT_EXPECT_EQ(test, s1.resyncs, s0.resyncs + 1);
	KUNIT_EXPECT_EQ(test, s1.psmash, s0.psmash + 1);
	rst_entry(env, first + 5, &e);
	KUNIT_EXPECT_FALSE(test, e.assigned);
	expect_region_safe(test, env, first + 5);
	expect_consistent(test, env, first);
	for (p = first; p < first + RP; p++)
		if (p != first + 5)
			KUNIT_ASSERT_EQ(test, shared_4k(env, p), 0);
	recover_all(env);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, first);
}

/* ---- failures: one table of failure points ----------------------------- */

/*
 * One failure point: @point fails @times calls with @error.  @want: what
 * the entry point that meets the failure returns; 0 when the failure does
 * not reach the caller (a refused or transient collapse stays queued or
 * parked; "in use" and "overlap" are retried away).  @kept: the refusal
 * hands the split over for good (foreign), so the range does not go back
 * to the boot layout.  @gb_final: refused at 1G, the range stays in 2M
 * leaves for good (a CPU without gbpages).
 *
 * Both rmp_sync_test_backend_failure (each point under the calls it can
 * sit under, once) and rmp_sync_test_fault_sweep (each point at every
 * position of a longer scenario) run this table.
 */
struct rst_fail {
	const char *desc;
	enum rst_fault point;
	int error;
	int times;
	int want;
	bool kept;
	bool gb_final;
};

static const struct rst_fail rst_fail_points[] = {
	{ "split -ENOMEM", RST_FAULT_SPLIT, -ENOMEM, 1, -ENOMEM },
	{ "split -EINVAL", RST_FAULT_SPLIT, -EINVAL, 1, -EINVAL },
	{ "collapse refused: layout", RST_FAULT_COLLAPSE, RMP_SYNC_COLLAPSE_LAYOUT, 1, 0 },
	{ "collapse refused: attributes", RST_FAULT_COLLAPSE, RMP_SYNC_COLLAPSE_ATTR, 1, 0 },
	{ "collapse refused: no PSE", RST_FAULT_COLLAPSE, RMP_SYNC_COLLAPSE_NO_PSE, 1, 0,
	  .gb_final = true },
	{ "collapse refused: foreign", RST_FAULT_COLLAPSE, RMP_SYNC_COLLAPSE_FOREIGN, 1, 0,
	  .kept = true },
	{ "collapse -EBUSY (transient)", RST_FAULT_COLLAPSE, -EBUSY, 1, 0 },
	{ "collapse -ENOMEM", RST_FAULT_COLLAPSE, -ENOMEM, 1, 0 },
	{ "RMPUPDATE FAIL_INPUT", RST_FAULT_RMPUPDATE, RMP_SYNC_RMP_FAIL_INPUT, 1, -EINVAL },
	{ "RMPUPDATE FAIL_PERMISSION",
	  RST_FAULT_RMPUPDATE, RMP_SYNC_RMP_FAIL_PERMISSION, 1, -EFAULT },
	{ "RMPUPDATE FAIL_INUSE 1000 times: retried until it passes",
	  RST_FAULT_RMPUPDATE, RMP_SYNC_RMP_FAIL_INUSE, 1000, 0 },
	{ "RMPUPDATE FAIL_INUSE within the retries",
	  RST_FAULT_RMPUPDATE, RMP_SYNC_RMP_FAIL_INUSE, 3, 0 },
	{ "RMPUPDATE FAIL_OVERLAP 1000 times: retried until it passes",
	  RST_FAULT_RMPUPDATE, RMP_SYNC_RMP_FAIL_OVERLAP, 1000, 0 },
	{ "RMPUPDATE unknown status", RST_FAULT_RMPUPDATE, 77, 1, -EFAULT },
	{ "RMPUPDATE -ENOMEM", RST_FAULT_RMPUPDATE, -ENOMEM, 1, -ENOMEM },
	{ "PSMASH FAIL_INPUT", RST_FAULT_PSMASH, RMP_SYNC_RMP_FAIL_INPUT, 1, -EINVAL },
	{ "PSMASH FAIL_PERMISSION", RST_FAULT_PSMASH, RMP_SYNC_RMP_FAIL_PERMISSION, 1, -EFAULT },
	{ "PSMASH FAIL_INUSE 1000 times: retried until it passes",
	  RST_FAULT_PSMASH, RMP_SYNC_RMP_FAIL_INUSE, 1000, 0 },
	{ "PSMASH FAIL_INUSE within the retries",
	  RST_FAULT_PSMASH, RMP_SYNC_RMP_FAIL_INUSE, 2, 0 },
	{ "PSMASH FAIL_OVERLAP 1000 times: retried until it passes",
	  RST_FAULT_PSMASH, RMP_SYNC_RMP_FAIL_OVERLAP, 1000, 0 },
	{ "allocation -ENOMEM (core and host)", RST_FAULT_ALLOC, -ENOMEM, 1, -ENOMEM },
};

KUNIT_ARRAY_PARAM_DESC(rst_fail, rst_fail_points, desc);

/* The calls a failure point can sit under, one region each. */
enum rst_scenario {
	SC_PRIVATE_4K,		/* private 4K in a fresh region */
	SC_SHARED_IN_2M,	/* shared 4K inside a 2M entry (PSMASH path) */
	SC_COLLAPSE,		/* private + shared, then recovery */
	SC_NR
};

static bool rst_scenario_applies(enum rst_fault point, enum rst_scenario sc)
{
	switch (point) {
	case RST_FAULT_RMPUPDATE:
	case RST_FAULT_SPLIT:
		return sc != SC_COLLAPSE;
	case RST_FAULT_PSMASH:
		return sc == SC_SHARED_IN_2M;
	case RST_FAULT_COLLAPSE:
		return sc == SC_COLLAPSE;
	default:
		return sc == SC_PRIVATE_4K;
	}
}

/*
 * @c's failure under scenario @sc, on the region holding @pfn: the call
 * returns @c->want with the state consistent and safe, the RMP changed
 * exactly when it succeeded, and once the failure is gone the region is
 * recoverable.
 */
static void rst_backend_failure(struct kunit *test, struct rst_env *env,
				const struct rst_fail *c, enum rst_scenario sc, u64 pfn)
{
	struct rmp_sync_fault_attr *f = rst_fault(env, c->point);
	struct rmp_sync_rmp_entry e;
	struct rmp_sync_stats st;
	bool fired;
	int ret;

	if (sc == SC_SHARED_IN_2M)
		KUNIT_ASSERT_EQ(test, priv_2m(env, ALIGN_DOWN(pfn, RP)), 0);
	if (sc == SC_COLLAPSE) {
		KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
		KUNIT_ASSERT_EQ(test, shared_4k(env, pfn), 0);
	}
	expect_region_safe(test, env, pfn);

	rmp_sync_fault_arm(f, 1, c->times, c->error);
	switch (sc) {
	case SC_PRIVATE_4K:
		ret = priv_4k(env, pfn);
		break;
	case SC_SHARED_IN_2M:
		ret = shared_4k(env, pfn);
		break;
	default:
		ret = rmp_sync_recover(env->rs, 16, true, NULL);
		if (ret > 0)
			ret = 0;
		break;
	}
	fired = rmp_sync_fault_fired(f);
	rmp_sync_fault_arm(f, 0, 0, 0);
	if (c->point == RST_FAULT_SPLIT && sc == SC_SHARED_IN_2M)
		/* S6: the split make_shared needs is never failed (__GFP_NOFAIL) */
		KUNIT_EXPECT_FALSE(test, fired);
	else if (c->point != RST_FAULT_ALLOC)
		/* the kernel host fails only the core's allocations: maybe none here */
		KUNIT_EXPECT_TRUE(test, fired);
	KUNIT_EXPECT_EQ_MSG(test, ret, fired ? c->want : 0, "%s, scenario %d", c->desc, sc);
	expect_region_safe(test, env, pfn);
	expect_consistent(test, env, pfn);
	/* no failure leaks a page */
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.leaked_pages, 0ULL);

	/* RMP state: changed exactly when the call succeeded */
	rst_entry(env, pfn, &e);
	if (sc == SC_PRIVATE_4K) {
		KUNIT_EXPECT_EQ(test, e.assigned, ret == 0);
	} else if (sc == SC_SHARED_IN_2M) {
		KUNIT_EXPECT_EQ(test, e.assigned, ret != 0);
	} else if (fired && c->error > 0) {
		/* refused: nothing collapsed, the region stays 4K and safe */
		KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
		KUNIT_EXPECT_EQ(test, st.collapse_failures[c->error], 1ULL);
	}
}

/*
 * Each failure point under every call it can sit under: SC_NR regions of
 * one instance, then everything given back and recovered to the boot
 * layout (or, for a refusal that hands the split over, kept split).
 */
static void rmp_sync_test_backend_failure(struct kunit *test)
{
	const struct rst_fail *c = test->param_value;
	struct rst_env *env = env_default(test);
	unsigned int sc;

	for (sc = 0; sc < SC_NR; sc++)
		if (rst_scenario_applies(c->point, sc))
			rst_backend_failure(test, env, c, sc,
					    env->base + (11 + 2 * sc) * RP + 42);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_quiesce(env->rmp, env->rs, env->base, 32 * RP), 0L);
	if (!c->kept)
		KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(env->rs, env->base, 32 * RP, true), 0);
	KUNIT_EXPECT_EQ(test, rst_host_check(env), 0);
}

/* ---- recovery ---------------------------------------------------------- */

/* Split @n regions and make them uniform again: @n pending candidates. */
static void make_candidates(struct kunit *test, struct rst_env *env, u64 first,
			    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		u64 pfn = first + (u64)i * RP + i;

		KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
		KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(env->rs, pfn, PG_LEVEL_4K), 0);
	}
}

/* collapse_delay_millisecs holds candidates back; the budget bounds a pass. */
static void rmp_sync_test_recover_delay_budget(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_DEFERRED, .collapse_delay_millisecs = 1000 };
	struct rmp_sync_pass pass;
	struct rmp_sync_stats st;
	struct rst_env *env;

	env = rst_env_create(test, &o);
	make_candidates(test, env, env->base, 8);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.regions_pending, 8ULL);

	/* too young */
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 3, false, &pass), 0);
	KUNIT_EXPECT_EQ(test, pass.flushes, 0U);
	env->clock_ms = 999;
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 3, false, &pass), 0);

	/* due (the 256 ms stamp unit rounds up): three per pass, one flush each */
	env->clock_ms = 1300;
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 3, false, &pass), 3);
	KUNIT_EXPECT_EQ(test, pass.collapsed_2m, 3U);
	KUNIT_EXPECT_EQ(test, pass.flushes, 1U);
	KUNIT_EXPECT_EQ(test, pass.pending_left, 5U);
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 3, false, &pass), 3);
	/* the last pass restores the 1G leaf in the same flush */
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 3, false, &pass), 3);
	KUNIT_EXPECT_EQ(test, pass.collapsed_2m, 2U);
	KUNIT_EXPECT_EQ(test, pass.collapsed_1g, 1U);
	KUNIT_EXPECT_EQ(test, pass.flushes, 1U);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.recovery_flushes, 3ULL);
	KUNIT_EXPECT_EQ(test, st.tlb_flushes, st.splits + 3);
	KUNIT_EXPECT_EQ(test, st.regions_pending, 0ULL);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 3, false, &pass), 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 0, false, &pass), -EINVAL);
	expect_consistent(test, env, env->base);

	/* a page that flips back within the delay costs no collapse/split pair */
	make_candidates(test, env, env->base + 20 * RP, 1);
	KUNIT_ASSERT_EQ(test, priv_4k(env, env->base + 20 * RP), 0);
	env->clock_ms = 5000;
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 3, false, &pass), 0);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.splits, 9ULL);
	expect_consistent(test, env, env->base + 20 * RP);
}

/* ---- background recovery: knobs, budget, S5 rate limit, back-off ------- */

/* Text a sysfs write of a knob must refuse. */
static const char *const rst_bad_knob_text[] = {
	"", "\n", "abc", "-1", "12abc", "1 2", "0x10", "4294967296",
	"99999999999999999999", "12\n\n", " 12", "0",
};

/* Every knob: default, both ends of its range, and refusals that change nothing. */
static void rmp_sync_test_knobs(struct kunit *test)
{
	struct rmp_sync_stats st;
	struct rst_env *env;
	int k;

	env = env_default(test);
	for (k = 0; k < RMP_SYNC_NR_KNOBS; k++) {
		const struct rmp_sync_knob_desc *d = &rmp_sync_knobs[k];
		unsigned int before;

		KUNIT_EXPECT_EQ(test, rmp_sync_knob_by_name(d->name), k);
		KUNIT_EXPECT_LE(test, d->min, d->def);
		KUNIT_EXPECT_LE(test, d->def, d->max);
		KUNIT_EXPECT_EQ(test, rmp_sync_set_knob(env->rs, k, d->max), 0);
		KUNIT_EXPECT_EQ(test, rmp_sync_get_knob(env->rs, k), d->max);
		KUNIT_EXPECT_EQ(test, rmp_sync_set_knob(env->rs, k, d->min), 0);
		KUNIT_EXPECT_EQ(test, rmp_sync_get_knob(env->rs, k), d->min);
		before = rmp_sync_get_knob(env->rs, k);
		KUNIT_EXPECT_EQ(test, rmp_sync_set_knob(env->rs, k, d->max + 1), -EINVAL);
		if (d->min)
			KUNIT_EXPECT_EQ(test, rmp_sync_set_knob(env->rs, k, d->min - 1),
					-EINVAL);
		KUNIT_EXPECT_EQ(test, rmp_sync_set_knob(env->rs, k, UINT_MAX), -EINVAL);
		KUNIT_EXPECT_EQ(test, rmp_sync_get_knob(env->rs, k), before);
		KUNIT_EXPECT_EQ(test, rmp_sync_set_knob(env->rs, k, d->def), 0);
	}
	/* sysfs text: decimal, one optional newline; anything else changes nothing */
	for (k = 0; k < ARRAY_SIZE(rst_bad_knob_text); k++) {
		const char *text = rst_bad_knob_text[k];

		KUNIT_EXPECT_EQ_MSG(test, rmp_sync_store_knob(env->rs, RMP_SYNC_KNOB_SCAN_SLEEP_MS,
							      text),
				    -EINVAL, "\"%s\"", text);
		KUNIT_EXPECT_EQ(test, rmp_sync_get_knob(env->rs, RMP_SYNC_KNOB_SCAN_SLEEP_MS),
				rmp_sync_knobs[RMP_SYNC_KNOB_SCAN_SLEEP_MS].def);
	}
	KUNIT_EXPECT_EQ(test, rmp_sync_store_knob(env->rs, RMP_SYNC_KNOB_SCAN_SLEEP_MS,
						  "250\n"), 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_get_knob(env->rs, RMP_SYNC_KNOB_SCAN_SLEEP_MS), 250U);
	KUNIT_EXPECT_EQ(test, rmp_sync_store_knob(env->rs, RMP_SYNC_KNOB_DEFRAG_1G, "2"), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmp_sync_store_knob(env->rs, RMP_SYNC_NR_KNOBS, "1"), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_NR_KNOBS, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmp_sync_get_knob(env->rs, RMP_SYNC_NR_KNOBS), 0U);
	KUNIT_EXPECT_EQ(test, rmp_sync_knob_by_name("no_such_knob"), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmp_sync_knob_by_name(""), -EINVAL);

	/* enabled=0 is the upstream policy: split only, nothing queued */
	make_candidates(test, env, env->base, 2);
	KUNIT_EXPECT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_ENABLED, 0), 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_get_mode(env->rs), RMP_SYNC_MODE_UPSTREAM);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.regions_pending, 0ULL);
	KUNIT_EXPECT_EQ(test, st.regions_split, 2ULL);
	KUNIT_EXPECT_EQ(test, rmp_sync_background(env->rs, NULL), RMP_SYNC_IDLE);
	KUNIT_EXPECT_EQ(test, recover_all(env), 0);
	expect_consistent(test, env, env->base);
	/* ... and enabled=1 queues what it left split */
	KUNIT_EXPECT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_ENABLED, 1), 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_get_knob(env->rs, RMP_SYNC_KNOB_ENABLED), 1U);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.regions_pending, 2ULL);
	KUNIT_EXPECT_GT(test, recover_all(env), 0);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, env->base);
}

/*
 * rmp_sync_background(): regions_to_scan candidates a pass, one flush a
 * pass, scan_sleep_millisecs while work is left, idle when none is; each
 * new candidate kicks whoever runs the passes.
 */
static void rmp_sync_test_background(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_DEFERRED, .collapse_delay_millisecs = 1000 };
	struct rmp_sync_pass pass;
	struct rmp_sync_stats st;
	struct rst_env *env;
	unsigned int sleep;

	env = rst_env_create(test, &o);
	KUNIT_ASSERT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_REGIONS_TO_SCAN, 3), 0);
	KUNIT_ASSERT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_SCAN_SLEEP_MS, 250), 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_background(env->rs, &pass), RMP_SYNC_IDLE);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->kicks), 0);

	make_candidates(test, env, env->base, 7);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->kicks), 7);
	KUNIT_EXPECT_EQ(test, rmp_sync_background(env->rs, &pass), 250U);
	KUNIT_EXPECT_EQ(test, pass.collapsed_2m, 0U);	/* none due yet */
	KUNIT_EXPECT_EQ(test, pass.flushes, 0U);

	KUNIT_ASSERT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_COLLAPSE_DELAY_MS, 0), 0);
	sleep = rmp_sync_background(env->rs, &pass);
	KUNIT_EXPECT_EQ(test, sleep, 250U);
	KUNIT_EXPECT_EQ(test, pass.examined, 3U);
	KUNIT_EXPECT_EQ(test, pass.collapsed_2m, 3U);
	KUNIT_EXPECT_EQ(test, pass.flushes, 1U);
	KUNIT_EXPECT_EQ(test, pass.pending_left, 4U);
	env->clock_ms += sleep;
	KUNIT_EXPECT_EQ(test, rmp_sync_background(env->rs, &pass), 250U);
	KUNIT_EXPECT_EQ(test, pass.collapsed_2m, 3U);
	env->clock_ms += sleep;
	/*
	 * The last one, and its 1G range, in one flush; then nothing but the
	 * sweep of old collapse stamps, minutes away.
	 */
	sleep = rmp_sync_background(env->rs, &pass);
	KUNIT_EXPECT_GT(test, sleep, 250U);
	KUNIT_EXPECT_LE(test, sleep, rmp_sync_knobs[RMP_SYNC_KNOB_COLLAPSE_DELAY_MS].max / 2);
	KUNIT_EXPECT_EQ(test, pass.collapsed_2m, 1U);
	KUNIT_EXPECT_EQ(test, pass.flushes, 1U);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.recovery_flushes, 3ULL);
	KUNIT_EXPECT_EQ(test, st.tlb_flushes, st.splits + 3);
	KUNIT_EXPECT_EQ(test, st.throttled, 0ULL);

	/* the next candidate kicks again */
	make_candidates(test, env, env->base + 9 * RP, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&env->kicks), 8);
	/*
	 * Its 1G step fails for a moment (the 2nd collapse call): with nothing
	 * queued any more, the pass still asks to run again, and the next one
	 * restores the 1G leaf.
	 */
	rmp_sync_fault_arm(rst_fault(env, RST_FAULT_COLLAPSE), 2, 1, -EBUSY);
	env->clock_ms += 1000;
	KUNIT_EXPECT_EQ(test, rmp_sync_background(env->rs, &pass), 250U);
	KUNIT_EXPECT_EQ(test, pass.collapsed_2m, 1U);
	KUNIT_EXPECT_EQ(test, pass.collapsed_1g, 0U);
	KUNIT_EXPECT_EQ(test, pass.pending_left, 0U);
	rmp_sync_fault_arm(rst_fault(env, RST_FAULT_COLLAPSE), 0, 0, 0);
	sleep = rmp_sync_background(env->rs, &pass);
	KUNIT_EXPECT_NE(test, sleep, RMP_SYNC_IDLE);
	KUNIT_EXPECT_EQ(test, pass.collapsed_1g, 1U);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, env->base);

	/* once the stamps are forgotten, idle until the next kick */
	while (sleep != RMP_SYNC_IDLE && env->clock_ms < 3600000) {
		env->clock_ms += sleep;
		sleep = rmp_sync_background(env->rs, &pass);
		KUNIT_EXPECT_EQ(test, pass.flushes, 0U);
	}
	KUNIT_EXPECT_EQ(test, sleep, RMP_SYNC_IDLE);
	expect_consistent(test, env, env->base);
}

/*
 * The 12-bit collapse stamp wraps every 1048 s: a region re-split just
 * after a wrap must not look like a flip (a spurious back-off).  The
 * background passes forget old stamps in time.
 */
static void rmp_sync_test_stamp_wrap(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_DEFERRED, .collapse_delay_millisecs = 1000 };
	struct rmp_sync_region_info info;
	struct rmp_sync_stats st;
	struct rst_env *env;
	unsigned int sleep;
	u64 pfn, t0;

	env = rst_env_create(test, &o);
	pfn = env->base + 5 * RP + 3;
	make_candidates(test, env, pfn - 3, 1);
	env->clock_ms += 2000;
	KUNIT_ASSERT_GT(test, rmp_sync_recover(env->rs, 8, false, NULL), 0);
	t0 = env->clock_ms;

	/* the runner sleeps as told, for one wrap and a few seconds */
	sleep = rmp_sync_background(env->rs, NULL);
	while (sleep != RMP_SYNC_IDLE && env->clock_ms + sleep < t0 + 1048576 + 5000) {
		env->clock_ms += sleep;
		sleep = rmp_sync_background(env->rs, NULL);
	}
	KUNIT_EXPECT_EQ(test, sleep, RMP_SYNC_IDLE);
	env->clock_ms = t0 + 1048576 + 5000;	/* the stamp's age reads 5 s */
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_EQ(test, info.backoff, 0U);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.backoffs, 0ULL);
	KUNIT_ASSERT_EQ(test, shared_4k(env, pfn), 0);
	expect_consistent(test, env, pfn);
}

/*
 * S5: whatever the guest does, background passes flush at most
 * max_flushes_per_sec times in a second of the clock; the rest waits for
 * the next second, and recovery memory does not grow.
 */
static void rmp_sync_test_rate_limit(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_DEFERRED };
	unsigned int i, sec, flushes, max_1s = 0;
	struct rmp_sync_pass pass;
	struct rmp_sync_stats st;
	struct rst_env *env;
	size_t bytes;

	env = rst_env_create(test, &o);
	KUNIT_ASSERT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_COLLAPSE_DELAY_MS, 0), 0);
	KUNIT_ASSERT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_MAX_FLUSHES_PER_SEC, 3), 0);
	bytes = rmp_sync_state_bytes(env->rs);
	env->clock_ms = 10000;

	/* a flip storm: 4 seconds, a flip and a pass every 50 ms */
	for (sec = 0; sec < 4; sec++) {
		flushes = 0;
		for (i = 0; i < 20; i++) {
			u64 pfn = env->base + ((sec * 20 + i) % 16) * RP + 5;
			unsigned int sleep;

			KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
			expect_region_safe(test, env, pfn);
			KUNIT_ASSERT_EQ(test, shared_4k(env, pfn), 0);
			sleep = rmp_sync_background(env->rs, &pass);
			flushes += pass.flushes;
			if (pass.throttled) {
				KUNIT_EXPECT_EQ(test, pass.collapsed_2m, 0U);
				/* sleeps at least to the next second */
				KUNIT_EXPECT_GE(test, env->clock_ms % 1000 + sleep, 1000ULL);
			}
			env->clock_ms += 50;
		}
		max_1s = max(max_1s, flushes);
	}
	KUNIT_EXPECT_EQ(test, max_1s, 3U);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.recovery_flushes, 12ULL);
	KUNIT_EXPECT_EQ(test, st.throttled, 80ULL - 12);
	KUNIT_EXPECT_EQ(test, rmp_sync_state_bytes(env->rs), bytes);

	/* explicit passes are not held back; the storm is over after them */
	KUNIT_EXPECT_GT(test, recover_all(env), 0);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, env->base);
}

/*
 * Back-off: a region re-split soon after its collapse waits four times
 * longer next time; one that stayed 2M long starts from the plain delay.
 */
static void rmp_sync_test_backoff(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_DEFERRED, .collapse_delay_millisecs = 1000 };
	u64 pfn, t0;
	struct rmp_sync_region_info info;
	struct rmp_sync_stats st;
	struct rst_env *env;

	env = rst_env_create(test, &o);
	pfn = env->base + 3 * RP + 17;
	env->clock_ms = 5120;			/* a 256 ms stamp boundary */
	make_candidates(test, env, pfn - 17, 1);
	env->clock_ms += 1280;			/* delay + one unit: due */
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 8, false, NULL), 1 + 1);

	/* flips again a few seconds later: back-off level 1, 4 s delay */
	env->clock_ms += 3000;
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_EQ(test, info.backoff, 1U);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.backoffs, 1ULL);
	KUNIT_ASSERT_EQ(test, shared_4k(env, pfn), 0);
	t0 = env->clock_ms;
	env->clock_ms = t0 + 1280;
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 8, false, NULL), 0);
	env->clock_ms = t0 + 4000;
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 8, false, NULL), 0);
	env->clock_ms = t0 + 4000 + 512;
	KUNIT_EXPECT_GT(test, rmp_sync_recover(env->rs, 8, false, NULL), 0);
	expect_consistent(test, env, pfn);

	/* quick again: level 2 (16 s) */
	env->clock_ms += 1000;
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_EQ(test, info.backoff, 2U);
	expect_region_safe(test, env, pfn);
	KUNIT_ASSERT_EQ(test, shared_4k(env, pfn), 0);
	t0 = env->clock_ms;
	env->clock_ms = t0 + 15000;
	KUNIT_EXPECT_EQ(test, rmp_sync_recover(env->rs, 8, false, NULL), 0);
	env->clock_ms = t0 + 16512;
	KUNIT_EXPECT_GT(test, rmp_sync_recover(env->rs, 8, false, NULL), 0);

	/* 2M for longer than the flip window: back to the plain delay */
	env->clock_ms += 600000;
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_EQ(test, info.backoff, 0U);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.backoffs, 2ULL);
	KUNIT_ASSERT_EQ(test, shared_4k(env, pfn), 0);
	env->clock_ms += 1536;
	KUNIT_EXPECT_GT(test, rmp_sync_recover(env->rs, 8, false, NULL), 0);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, pfn);
}

/* ---- concurrency on the real (or emulated) direct map -------------------- */

#define RST_MT_THREADS		4
#define RST_MT_OPS		600
#define RST_MT_OWN		4	/* regions each thread owns */

struct rst_mt {
	struct rst_env *env;
	u64 first;		/* thread i owns RST_MT_OWN regions from here */
	u64 shared;		/* one region every thread flips */
	atomic_t applied, refused, faults, errors;
	atomic_t running;	/* workers still issuing transitions */
};

/*
 * One CPU's work: flip random pages of its own regions (then write a
 * hypervisor-owned page of them: S1) and of the shared region; thread 0
 * also runs recovery passes and lock-free look-ups while the others work.
 */
static void rst_mt_worker(void *arg, unsigned int id)
{
	struct rst_mt *mt = arg;
	struct rst_env *env = mt->env;
	u64 s = 0x9e3779b97f4a7c15ULL * (id + 1);
	unsigned int i;

	for (i = 0; i < RST_MT_OPS; i++) {
		bool shared = rmp_sync_rand(&s) % 4 == 0;
		u64 region = shared ? mt->shared :
			     mt->first + (id * RST_MT_OWN + rmp_sync_rand(&s) % RST_MT_OWN) * RP;
		u64 pfn = region + rmp_sync_rand(&s) % RP;
		struct rmp_sync_region_info info;
		struct rmp_sync_rmp_entry e;
		int ret;

		rst_entry(env, pfn, &e);
		ret = e.assigned ? shared_4k(env, pfn) : priv_4k(env, pfn);
		if (!ret)
			atomic_inc(&mt->applied);
		else if (shared && (ret == -EINVAL || ret == -EBUSY))
			atomic_inc(&mt->refused);	/* another CPU got there first */
		else
			atomic_inc(&mt->errors);
		if (!shared) {
			/* a hypervisor-owned page of this thread's region */
			u64 p = region + rmp_sync_rand(&s) % RP;

			rst_entry(env, p, &e);
			if (!e.assigned && rst_write(env, 0, p))
				atomic_inc(&mt->faults);
		}
		if (id == 0 && i % 16 == 0) {
			if (rmp_sync_recover(env->rs, 8, true, NULL) < 0)
				atomic_inc(&mt->errors);
			rmp_sync_region_info(env->rs, mt->shared, &info);
		}
		if (i % 64 == 0)
			cond_resched();
	}
	atomic_dec(&mt->running);
}

/*
 * B1: 1G collapses racing with splits inside the 1G range.  Threads 1..3
 * each flip a page of their own region in range 1 (the split of a 1G leaf
 * on the way), writing a hypervisor-owned page between; thread 0 runs
 * recovery passes that put the regions back to 2M and the range back to 1G
 * whenever every region of it is uniform.  Every walk of the direct map
 * a transition makes must find live page tables (KASAN, ASan) and every
 * write must pass the RMP check (S1).
 */
#define RST_GB_OPS	200	/* at most, per worker */
#define RST_GB_WANT	16	/* 1G collapses to see, then stop */
#define RST_GB_SPIN	20000	/* writes, at most, waiting for the 1G leaf */

struct rst_gb_race {
	struct rst_env *env;
	u64 first;
	atomic_t faults, errors, collapses_1g;
	atomic_t running;	/* workers still flipping */
};

static void rst_gb_race_worker(void *arg, unsigned int id)
{
	struct rst_gb_race *r = arg;
	struct rst_env *env = r->env;
	u64 s = 0x2545f4914f6cdd1dULL * (id + 1);
	unsigned int i;

	if (id == 0) {
		struct rmp_sync_pass pass;

		while (atomic_read(&r->running)) {
			if (rmp_sync_recover(r->env->rs, 16, true, &pass) < 0)
				atomic_inc(&r->errors);
			atomic_add(pass.collapsed_1g, &r->collapses_1g);
			cond_resched();
		}
		return;
	}
	for (i = 0; i < RST_GB_OPS && atomic_read(&r->collapses_1g) < RST_GB_WANT; i++) {
		u64 region = r->first + (u64)id * 3 * RP;
		u64 pfn = region + rmp_sync_rand(&s) % RP;
		u64 p = region + rmp_sync_rand(&s) % RP;
		struct rmp_sync_region_info info;
		unsigned int spin;

		if (priv_4k(env, pfn)) {
			atomic_inc(&r->errors);
			continue;
		}
		if (p != pfn && rst_write(env, id % env->nr_cpus, p))
			atomic_inc(&r->faults);
		if (shared_4k(env, pfn))
			atomic_inc(&r->errors);
		/*
		 * Keep writing to the region while recovery puts it back to
		 * 2M and, once the other threads' regions are back too, the
		 * range back to 1G; then split it again.  So 1G collapses and
		 * splits of the 1G leaf keep meeting.
		 */
		for (spin = 0; spin < RST_GB_SPIN; spin++) {
			p = region + rmp_sync_rand(&s) % RP;
			if (rst_write(env, id % env->nr_cpus, p))
				atomic_inc(&r->faults);
			rmp_sync_region_info(env->rs, region, &info);
			if (!info.pending && rst_level(env, region) == PG_LEVEL_1G)
				break;
			if (spin % 64 == 63)
				cond_resched();
		}
	}
	atomic_dec(&r->running);
}

static void rmp_sync_test_concurrent_1g(struct kunit *test)
{
	struct rst_env *env = env_default(test);
	struct rmp_sync_stats st;
	struct rst_gb_race *r;

	if (rst_level(env, env->base + GBP) != PG_LEVEL_1G)
		kunit_skip(test, "range 1 of the window is not mapped with a 1G page");
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->env = env;
	r->first = env->base + GBP + 5 * RP;
	atomic_set(&r->running, 3);
	KUNIT_ASSERT_EQ(test, rst_run_threads(env, 4, rst_gb_race_worker, r), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->faults), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->errors), 0);
	/* the race happened */
	KUNIT_EXPECT_GT(test, atomic_read(&r->collapses_1g), 0);
	KUNIT_EXPECT_EQ(test, rst_rmp_faults(env), 0ULL);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(env->rs, env->base + GBP, GBP, true), 0);
	KUNIT_EXPECT_EQ(test, rst_host_check(env), 0);
	rmp_sync_get_stats(env->rs, &st);
	kunit_info(test, "%d 1G collapses raced with 3 threads' splits (%llu splits, %llu of a 1G leaf; collapses refused: %llu layout, %llu attr, %llu not split, %llu no PSE)",
		   atomic_read(&r->collapses_1g), (unsigned long long)st.splits,
		   (unsigned long long)st.splits_1g,
		   (unsigned long long)st.collapse_failures[RMP_SYNC_COLLAPSE_LAYOUT],
		   (unsigned long long)st.collapse_failures[RMP_SYNC_COLLAPSE_ATTR],
		   (unsigned long long)st.collapse_failures[RMP_SYNC_COLLAPSE_NOT_SPLIT],
		   (unsigned long long)st.collapse_failures[RMP_SYNC_COLLAPSE_NO_PSE]);
	recover_all(env);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, env->base + GBP);
}

/*
 * Four CPUs at once: disjoint and shared regions, recovery running under
 * them, and every write to a hypervisor-owned page checked (S1); at the end
 * S3 over every region touched and S2 after a final recovery.
 */
static void rmp_sync_test_concurrent(struct kunit *test)
{
	struct rst_mt *mt;
	struct rst_env *env;
	u64 last;

	env = env_default(test);
	mt = kunit_kzalloc(test, sizeof(*mt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mt);
	mt->env = env;
	mt->first = env->base + 8 * RP;
	mt->shared = env->base + 2 * RP;
	last = mt->first + RST_MT_THREADS * RST_MT_OWN * RP;
	KUNIT_ASSERT_LE(test, last, env->base + env->nr_pages);
	atomic_set(&mt->running, RST_MT_THREADS);

	KUNIT_ASSERT_EQ(test, rst_run_threads(env, RST_MT_THREADS, rst_mt_worker, mt), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&mt->running), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&mt->faults), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&mt->errors), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&mt->applied), RST_MT_THREADS * RST_MT_OPS / 2);
	KUNIT_EXPECT_EQ(test, rst_rmp_faults(env), 0ULL);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(env->rs, env->base, last - env->base, true), 0);
	KUNIT_EXPECT_EQ(test, rst_host_check(env), 0);
	kunit_info(test, "%d transitions applied, %d refused (shared region races), %d threads",
		   atomic_read(&mt->applied), atomic_read(&mt->refused), RST_MT_THREADS);

	/* S2: give every page back; one recovery restores the boot layout */
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_quiesce(env->rmp, env->rs, env->base,
						     last - env->base), 0L);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, env->base);
}

/*
 * The kernel's background recovery runs the passes by itself: khugepaged,
 * or the fallback work when THP is off and khugepaged does not run.
 */
static void rmp_sync_test_background_runner(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_DEFERRED };
	unsigned long k0, w0, k1, w1;
	struct rmp_sync_stats st;
	struct rst_env *env;
	unsigned int waited;
	int ret;

	env = rst_env_create(test, &o);
	ret = rst_background_start(test, env);
	if (ret == -EOPNOTSUPP)
		kunit_skip(test, "no background runner here (the other cases drive the passes)");
	if (ret == -EBUSY)
		kunit_skip(test, "the running kernel's own rmp_sync instance is attached");
	KUNIT_ASSERT_EQ(test, ret, 0);
	rst_background_passes(env, &k0, &w0);
	KUNIT_ASSERT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_SCAN_SLEEP_MS, 10), 0);

	make_candidates(test, env, env->base, 4);
	expect_region_safe(test, env, env->base);
	/*
	 * A pass is counted when it returns: the one that collapses the
	 * candidates may still be counting when they are back.
	 */
	for (waited = 0; waited < 10000; waited += 20) {
		rmp_sync_get_stats(env->rs, &st);
		rst_background_passes(env, &k1, &w1);
		if (!st.regions_pending && rst_boot_diff(env) == 0 &&
		    (k1 - k0) + (w1 - w0) > 0)
			break;
		msleep(20);
	}
	KUNIT_EXPECT_EQ(test, st.regions_pending, 0ULL);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	KUNIT_EXPECT_GE(test, st.collapses_2m, 4ULL);
	rst_background_passes(env, &k1, &w1);
	KUNIT_EXPECT_GT(test, (k1 - k0) + (w1 - w0), 0UL);
	if (rst_khugepaged_runs()) {
		/* THP on: khugepaged ran the passes */
		KUNIT_EXPECT_GT(test, k1, k0);
	} else {
		/* no khugepaged at all: the fallback work did it */
		KUNIT_EXPECT_EQ(test, k1, k0);
		KUNIT_EXPECT_GT(test, w1, w0);
	}
	kunit_info(test, "recovered in %u ms: %lu khugepaged passes, %lu worker passes",
		   waited, k1 - k0, w1 - w0);
	kunit_info(test, "splits %llu (1G %llu), collapses 2M %llu 1G %llu, refused: layout %llu attr %llu foreign %llu, throttled %llu, level %d",
		   (unsigned long long)st.splits, (unsigned long long)st.splits_1g,
		   (unsigned long long)st.collapses_2m, (unsigned long long)st.collapses_1g,
		   (unsigned long long)st.collapse_failures[RMP_SYNC_COLLAPSE_LAYOUT],
		   (unsigned long long)st.collapse_failures[RMP_SYNC_COLLAPSE_ATTR],
		   (unsigned long long)st.collapse_failures[RMP_SYNC_COLLAPSE_FOREIGN],
		   (unsigned long long)st.throttled, rst_level(env, env->base));
	expect_consistent(test, env, env->base);
}

/*
 * collapse_private=0: a region uniformly assigned to a guest stays 4K (the
 * host does not touch it) and is queued once it is back with the host.
 */
/*
 * A kexec'd host inherits an RMP with assignments under a direct map of
 * large pages: rmp_sync_rescan() counts them and splits the mixed regions
 * before any transition; a uniformly assigned region stays large.
 */
static void rmp_sync_test_rescan(struct kunit *test)
{
	struct rmp_sync_rmp_state st4 = { .assigned = true, .level = PG_LEVEL_4K };
	struct rmp_sync_rmp_state st2 = { .assigned = true, .level = PG_LEVEL_2M };
	struct rst_env *env = env_default(test);
	u64 mixed = env->base + 80 * RP + 3, full = env->base + 82 * RP;
	struct rmp_sync_region_info info;

	KUNIT_ASSERT_EQ(test, rmp_sync_swrmp_ops.update(env->rmp, mixed, &st4), 0);
	KUNIT_ASSERT_EQ(test, rmp_sync_swrmp_ops.update(env->rmp, full, &st2), 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_rescan(env->rs), 0);
	rmp_sync_region_info(env->rs, mixed, &info);
	KUNIT_EXPECT_EQ(test, info.assigned, 1U);
	KUNIT_EXPECT_TRUE(test, info.split && info.ours);
	expect_region_safe(test, env, mixed);
	rmp_sync_region_info(env->rs, full, &info);
	KUNIT_EXPECT_EQ(test, info.assigned, (unsigned int)RP);
	KUNIT_EXPECT_TRUE(test, info.rmp_2m && !info.split);
	expect_consistent(test, env, mixed);
	expect_consistent(test, env, full);

	/* and they come back like any other */
	KUNIT_EXPECT_EQ(test, shared_4k(env, mixed), 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_make_shared(env->rs, full, PG_LEVEL_2M), 0);
	recover_all(env);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, mixed);
}

/* ---- memory hotplug: rmp_sync_memory_event(), as the notifier calls it -- */

static int mem_online(struct rmp_sync *rs, u64 pfn, u64 nr_pages)
{
	return rmp_sync_memory_event(rs, RMP_SYNC_MEM_ONLINE, pfn, nr_pages);
}

static int mem_offline(struct rmp_sync *rs, u64 pfn, u64 nr_pages)
{
	return rmp_sync_memory_event(rs, RMP_SYNC_MEM_OFFLINE, pfn, nr_pages);
}

static void rst_destroy_instance(void *rs)
{
	rmp_sync_destroy(rs);
}

/* @pfn is mapped at @level again; another kernel user may split it meanwhile. */
static void expect_level(struct kunit *test, struct rst_env *env, u64 pfn, int level)
{
	if (!rst_foreign_dmap_user())
		KUNIT_EXPECT_EQ(test, rst_level(env, pfn), level);
	else
		KUNIT_EXPECT_LE(test, rst_level(env, pfn), level);
}

/*
 * Memory hot-add (MEM_GOING_ONLINE): a range beyond the RAM an instance
 * covers grows it to the range's end, widened to a whole region, and the
 * new regions take transitions like any other (split, S1, collapse back to
 * 1G); a range inside the covered RAM changes nothing.  The instance here
 * covers the test window's first 1G only, so that its second 1G can come
 * online.
 */
static void rmp_sync_test_hotplug_online(struct kunit *test)
{
	struct rst_env *env = env_default(test);
	u64 edge = env->base + GBP, pfn = edge + 5 * RP + 3;
	struct rmp_sync_config cfg = env->cfg;
	struct rmp_sync_region_info info;
	struct rmp_sync_stats s0, s1;
	struct rmp_sync *rs;
	size_t bytes;
	int level;

	cfg.nr_pages = edge;
	rs = rmp_sync_create(&cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(rs));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, rst_destroy_instance, rs), 0);

	/* not covered yet: refused */
	KUNIT_EXPECT_EQ(test, rmp_sync_make_private(rs, pfn, 0, PG_LEVEL_4K, 1, false),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_assigned(env->rmp, pfn), 0U);

	/* inside the covered RAM, aligned or not: nothing changes */
	rmp_sync_get_stats(rs, &s0);
	bytes = rmp_sync_state_bytes(rs);
	KUNIT_EXPECT_EQ(test, mem_online(rs, env->base, GBP), 0);
	KUNIT_EXPECT_EQ(test, mem_online(rs, edge - RP - 3, RP + 3), 0);
	KUNIT_EXPECT_EQ(test, mem_online(rs, 0, 1), 0);
	rmp_sync_get_stats(rs, &s1);
	KUNIT_EXPECT_TRUE(test, !memcmp(&s0, &s1, sizeof(s0)));
	KUNIT_EXPECT_EQ(test, rmp_sync_state_bytes(rs), bytes);

	/* across the end, unaligned: up to the end of the region it ends in */
	KUNIT_EXPECT_EQ(test, mem_online(rs, edge - 3, 10), 0);
	rmp_sync_get_stats(rs, &s1);
	KUNIT_EXPECT_EQ(test, s1.regions_total, s0.regions_total + 1);
	/* beyond it: the second 1G of the window */
	KUNIT_EXPECT_EQ(test, mem_online(rs, edge + 1, GBP - 1), 0);
	rmp_sync_get_stats(rs, &s1);
	KUNIT_EXPECT_EQ(test, s1.regions_total, (edge + GBP) / RP);
	KUNIT_EXPECT_GT(test, rmp_sync_state_bytes(rs), bytes);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(rs, edge, GBP, true), 0);

	/* the new regions work: split before the RMPUPDATE (S1) ... */
	level = rst_level(env, pfn);
	KUNIT_EXPECT_GT(test, level, (int)PG_LEVEL_4K);
	KUNIT_ASSERT_EQ(test, rmp_sync_make_private(rs, pfn, 0, PG_LEVEL_4K, 1, false), 0);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	rmp_sync_region_info(rs, pfn, &info);
	KUNIT_EXPECT_TRUE(test, info.split && info.ours && info.assigned == 1);
	expect_region_safe(test, env, pfn);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(rs, pfn, 1, true), 0);
	KUNIT_EXPECT_EQ(test, rst_host_check(env), 0);
	/* ... and back to the level it had, 1G included (S2) */
	KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(rs, pfn, PG_LEVEL_4K), 0);
	while (rmp_sync_recover(rs, 1U << 20, true, NULL) > 0)
		;
	expect_level(test, env, pfn, level);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(rs, edge, GBP, true), 0);
	KUNIT_EXPECT_EQ(test, rst_host_check(env), 0);
}

/*
 * Memory hot-remove (MEM_OFFLINE): the range, widened to whole regions as
 * the notifier's range is, forgets every region's state -- split by
 * rmp_sync and pending, parked after a refused collapse, collapsed
 * recently (its back-off stamp) -- and the counters follow it
 * (rmp_sync_check() recounts them).  A re-added range is mapped large
 * again, and a stale "split" would skip the split S1 needs.  The region
 * just past the range keeps its state; a range that still holds an
 * assigned page is refused, and nothing changes.
 */
static void rmp_sync_test_offline(struct kunit *test)
{
	struct rst_env *env = env_default(test);
	u64 first = env->base + 90 * RP, busy = first + 3 * RP + 1;
	u64 parked = first + 2 * RP, outside = first + 4 * RP;
	/* unaligned at both ends, as a notifier's range may be */
	u64 start = first + 5, nr = 4 * RP - 12;
	struct rmp_sync_region_info info;
	struct rmp_sync_stats s0, s1;
	struct rst_snap *a, *b;	/* too big for the stack */
	u64 pfn[3] = { first, parked, busy }, p;
	int i;

	a = kunit_kzalloc(test, 3 * sizeof(*a), GFP_KERNEL);
	b = kunit_kzalloc(test, 3 * sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	/* regions 0 and 1: collapsed by rmp_sync, their stamps kept */
	make_candidates(test, env, first, 2);
	KUNIT_EXPECT_GE(test, recover_all(env), 2);
	/* region 2: split by rmp_sync, its collapse refused (read-only page) */
	make_candidates(test, env, parked, 1);
	KUNIT_ASSERT_EQ(test, rst_set_ro(env, parked + 100, true), 0);
	recover_all(env);
	rmp_sync_region_info(env->rs, parked, &info);
	KUNIT_EXPECT_TRUE(test, info.split && info.ours && !info.pending);
	/* region 3: mixed; region 4, just past the range: pending */
	KUNIT_ASSERT_EQ(test, priv_4k(env, busy), 0);
	make_candidates(test, env, outside, 1);

	for (i = 0; i < 3; i++)
		rst_snap(env, pfn[i], &a[i]);
	KUNIT_EXPECT_EQ(test, mem_offline(env->rs, start, nr), -EBUSY);
	/* the core's own entry takes aligned ranges inside the RAM only */
	KUNIT_EXPECT_EQ(test, rmp_sync_offline(env->rs, first, 4 * RP), -EBUSY);
	KUNIT_EXPECT_EQ(test, rmp_sync_offline(env->rs, first + 1, 4 * RP), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmp_sync_offline(env->rs, first, RP + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmp_sync_offline(env->rs, first, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmp_sync_offline(env->rs, env->ram_pages, RP), -EINVAL);
	for (i = 0; i < 3; i++) {
		rst_snap(env, pfn[i], &b[i]);
		expect_unchanged(test, &a[i], &b[i]);
	}

	KUNIT_ASSERT_EQ(test, shared_4k(env, busy), 0);
	rmp_sync_get_stats(env->rs, &s0);
	KUNIT_EXPECT_EQ(test, mem_offline(env->rs, start, nr), 0);
	for (p = first; p < outside; p += RP) {
		rmp_sync_region_info(env->rs, p, &info);
		KUNIT_EXPECT_FALSE(test, info.split || info.ours || info.pending ||
				   info.assigned || info.rmp_2m || info.leaked);
		KUNIT_EXPECT_EQ(test, info.backoff, 0U);
	}
	rmp_sync_region_info(env->rs, outside, &info);
	KUNIT_EXPECT_TRUE(test, info.split && info.ours && info.pending);
	/* regions 2 and 3 were split; 3 was pending */
	rmp_sync_get_stats(env->rs, &s1);
	KUNIT_EXPECT_EQ(test, s1.regions_split, s0.regions_split - 2);
	KUNIT_EXPECT_EQ(test, s1.regions_pending, s0.regions_pending - 1);
	KUNIT_EXPECT_EQ(test, s1.regions_mixed, s0.regions_mixed);
	KUNIT_EXPECT_EQ(test, s1.regions_total, s0.regions_total);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(env->rs, first, 5 * RP, true), 0);
	KUNIT_EXPECT_EQ(test, rst_host_check(env), 0);
	/* offline twice: nothing left to forget */
	KUNIT_EXPECT_EQ(test, mem_offline(env->rs, start, nr), 0);
	rmp_sync_get_stats(env->rs, &s0);
	KUNIT_EXPECT_TRUE(test, !memcmp(&s0, &s1, sizeof(s0)));

	/* the range in use again: transitions there are safe */
	KUNIT_ASSERT_EQ(test, rst_set_ro(env, parked + 100, false), 0);
	KUNIT_ASSERT_EQ(test, priv_4k(env, first + 7), 0);
	expect_region_safe(test, env, first + 7);
	KUNIT_ASSERT_EQ(test, shared_4k(env, first + 7), 0);
	expect_consistent(test, env, first);
}

/*
 * S1 across memory hot-remove and hot-add: a 1G range that rmp_sync split
 * (its 1G leaf and a region, pending) goes offline, the direct map of the
 * range comes back with a 1G leaf, it goes online again, and the next
 * assignment there must split again before its RMPUPDATE.  With the
 * region's old "split" kept, it would be skipped: the software RMP counts
 * an RMPUPDATE that makes a region mixed under a large leaf, and host
 * writes to its other pages fault.
 */
static void rmp_sync_test_hotplug_readd(struct kunit *test)
{
	struct rst_env *env = env_default(test);
	u64 gb = env->base + GBP, pfn = gb + 7 * RP + 11;
	struct rmp_sync_region_info info;
	struct rmp_sync_stats st;
	int boot = rst_level(env, gb);

	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	KUNIT_ASSERT_EQ(test, shared_4k(env, pfn), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_ASSERT_TRUE(test, info.split && info.pending);
	KUNIT_ASSERT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);

	/* hot-remove: offline, then the range's page tables go */
	KUNIT_ASSERT_EQ(test, mem_offline(env->rs, gb, GBP), 0);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.regions_split, 0ULL);
	/* nothing queued: no pass may touch the tables hot-remove frees */
	KUNIT_EXPECT_EQ(test, st.regions_pending, 0ULL);
	/* hot-add: mapped large again behind rmp_sync's back, then online */
	KUNIT_ASSERT_EQ(test, rst_hot_readd(env, gb, GBP), 0);
	KUNIT_EXPECT_EQ(test, mem_online(env->rs, gb, GBP), 0);
	expect_level(test, env, pfn, boot);
	KUNIT_ASSERT_GT(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	expect_consistent(test, env, pfn);

	/* the level before the RMPUPDATE is checked as it lands (S1) */
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn + 1), 0);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_TRUE(test, info.split && info.ours && info.assigned == 1);
	expect_region_safe(test, env, pfn);
	expect_consistent(test, env, pfn);

	/* and the range recovers as any other, its 1G leaf included */
	KUNIT_ASSERT_EQ(test, shared_4k(env, pfn + 1), 0);
	recover_all(env);
	expect_level(test, env, pfn, boot);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, pfn);
}

/*
 * S6: a region collapsed while uniformly private needs a page-table page
 * when the guest gives a page back.  That allocation must not make
 * rmp_make_shared() fail, even with every allocation failing.
 */
static void rmp_sync_test_shared_needs_no_allocation(struct kunit *test)
{
	struct rst_env *env = env_default(test);
	u64 first = env->base + 6 * RP, pfn = first + 77;
	struct rmp_sync_region_info info;
	struct rmp_sync_rmp_entry e;

	KUNIT_ASSERT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_COLLAPSE_PRIVATE, 1), 0);
	/* 2M private, a page shared and taken back, collapsed while private */
	KUNIT_ASSERT_EQ(test, priv_2m(env, first), 0);
	KUNIT_ASSERT_EQ(test, shared_4k(env, pfn), 0);
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	KUNIT_EXPECT_GT(test, recover_all(env), 0);
	KUNIT_ASSERT_GT(test, rst_level(env, pfn), (int)PG_LEVEL_4K);

	/* the split for the next make_shared, with the split failing too */
	rmp_sync_fault_arm(rst_fault(env, RST_FAULT_SPLIT), 1, 100, -ENOMEM);
	fail_alloc(env, 1);
	KUNIT_EXPECT_EQ(test, shared_4k(env, pfn), 0);
	fail_alloc(env, 0);
	rmp_sync_fault_arm(rst_fault(env, RST_FAULT_SPLIT), 0, 0, 0);
	rst_entry(env, pfn, &e);
	KUNIT_EXPECT_FALSE(test, e.assigned);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_TRUE(test, info.split);
	expect_region_safe(test, env, pfn);
	expect_consistent(test, env, pfn);
}

static void rmp_sync_test_collapse_private(struct kunit *test)
{
	struct rmp_sync_region_info info;
	struct rst_env *env;
	u64 first, pfn;

	env = env_default(test);
	KUNIT_ASSERT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_COLLAPSE_PRIVATE, 0), 0);
	first = env->base + 2 * RP;
	pfn = first + 40;
	/* 2M private, one page shared (PSMASH, split), then private again */
	KUNIT_ASSERT_EQ(test, priv_2m(env, first), 0);
	KUNIT_ASSERT_EQ(test, shared_4k(env, pfn), 0);
	expect_region_safe(test, env, pfn);
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_EQ(test, info.assigned, (unsigned int)RP);
	KUNIT_EXPECT_TRUE(test, info.split && !info.pending);
	KUNIT_EXPECT_EQ(test, recover_all(env), 0);
	expect_consistent(test, env, pfn);

	/* turning it on queues the region, off again drops it */
	KUNIT_ASSERT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_COLLAPSE_PRIVATE, 1), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_TRUE(test, info.pending);
	KUNIT_ASSERT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_COLLAPSE_PRIVATE, 0), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_FALSE(test, info.pending);
	expect_consistent(test, env, pfn);

	/* every page back with the host: a candidate even with the knob off */
	for (u64 p = first; p < first + RP; p++)
		KUNIT_ASSERT_EQ(test, shared_4k(env, p), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_TRUE(test, info.pending);
	KUNIT_EXPECT_GT(test, recover_all(env), 0);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, pfn);
}

/* Without gbpages, or with defrag_1g off, recovery stops at 2M. */
static void rmp_sync_test_no_1g(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_DEFERRED, .no_defrag_1g = true };
	struct rst_opts ng = { .mode = RMP_SYNC_MODE_DEFERRED, .no_gbpages = true };
	struct rmp_sync_stats st;
	struct rst_env *env, *env2;

	env = rst_env_create(test, &o);
	make_candidates(test, env, env->base, 1);
	recover_all(env);
	KUNIT_EXPECT_EQ(test, rst_level(env, env->base), (int)PG_LEVEL_2M);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.collapses_1g, 0ULL);
	expect_consistent(test, env, env->base);

	env2 = rst_env_create(test, &ng);
	make_candidates(test, env2, env2->base, 1);
	recover_all(env2);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env2), 0UL);
	KUNIT_EXPECT_EQ(test, rst_level(env2, env2->base), (int)PG_LEVEL_2M);
	expect_consistent(test, env2, env2->base);
}

/* Eager mode collapses (and flushes) as soon as a region is uniform. */
static void rmp_sync_test_eager(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_EAGER };
	struct rmp_sync_stats st;
	struct rst_env *env;

	env = rst_env_create(test, &o);
	make_candidates(test, env, env->base + RP, 2);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.collapses_2m, 2ULL);
	KUNIT_EXPECT_EQ(test, st.collapses_1g, 2ULL);
	KUNIT_EXPECT_EQ(test, st.recovery_flushes, 2ULL);
	KUNIT_EXPECT_EQ(test, st.tlb_flushes, 4ULL);	/* and two splits */
	KUNIT_EXPECT_EQ(test, st.regions_pending, 0ULL);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_region_safe(test, env, env->base + RP);
	expect_consistent(test, env, env->base + RP);
}

/* Linux 6.12 behaviour: split on every 4K transition, never collapse. */
static void rmp_sync_test_upstream_mode(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_UPSTREAM };
	struct rmp_sync_stats st;
	struct rst_env *env;
	u64 pfn;

	env = rst_env_create(test, &o);
	pfn = env->base + 4 * RP;
	make_candidates(test, env, pfn, 1);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, recover_all(env), 0);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	/* a 4K shared of a 2M-mapped page splits too (no mixedness needed) */
	KUNIT_ASSERT_EQ(test, priv_2m(env, pfn + RP), 0);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn + RP), (int)PG_LEVEL_2M);
	KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(env->rs, pfn + RP, PG_LEVEL_4K), 0);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn + RP), (int)PG_LEVEL_4K);
	expect_region_safe(test, env, pfn + RP);
	expect_consistent(test, env, pfn + RP);

	/* switching to rmp_sync queues what upstream left split */
	KUNIT_ASSERT_EQ(test, rmp_sync_set_mode(env->rs, RMP_SYNC_MODE_DEFERRED), 0);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.regions_pending, 1ULL);
	KUNIT_EXPECT_EQ(test, rmp_sync_set_mode(env->rs, RMP_SYNC_NR_MODES), -EINVAL);
	expect_consistent(test, env, pfn);
}

/* Without synchronization the emulated host faults: the tests can fail. */
static void rmp_sync_test_none_mode_faults(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_NONE };
	struct rst_env *env;
	u64 pfn, before;

	env = rst_env_create(test, &o);
	pfn = env->base + 12 * RP;
	KUNIT_ASSERT_EQ(test, rst_write(env, 0, pfn + 1), 0);
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	before = rst_rmp_faults(env);
	/* collateral fault on the neighbour, through the 1G/2M leaf */
	KUNIT_EXPECT_EQ(test, rst_write(env, 0, pfn + 1), -EFAULT);
	KUNIT_EXPECT_EQ(test, rst_rmp_faults(env), before + 1);
}

/* A split another kernel user made on purpose is never merged. */
static void rmp_sync_test_foreign_split_kept(struct kunit *test)
{
	struct rmp_sync_stats st;
	unsigned long diff;
	struct rst_env *env;
	u64 a, b;

	env = env_default(test);
	a = env->base + 30 * RP;		/* foreign first, then ours */
	b = env->base + 31 * RP;		/* ours first, then foreign */
	KUNIT_ASSERT_EQ(test, rst_foreign_4k(env, a + 5), 0);
	diff = rst_boot_diff(env);
	make_candidates(test, env, a, 1);
	KUNIT_ASSERT_EQ(test, priv_4k(env, b), 0);
	KUNIT_ASSERT_EQ(test, rst_foreign_4k(env, b + 9), 0);
	KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(env->rs, b, PG_LEVEL_4K), 0);
	recover_all(env);
	KUNIT_EXPECT_EQ(test, rst_level(env, a), (int)PG_LEVEL_4K);
	KUNIT_EXPECT_EQ(test, rst_level(env, b), (int)PG_LEVEL_4K);
	/* both in the 1G range the foreign split broke up: no new difference */
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), diff);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.collapse_failures[RMP_SYNC_COLLAPSE_FOREIGN], 1ULL);
	KUNIT_EXPECT_EQ(test, st.regions_split, 0ULL);
	expect_region_safe(test, env, a);
	expect_consistent(test, env, a);
	expect_consistent(test, env, b);
}

/* Differing attributes park a region until its next transition. */
static void rmp_sync_test_attr_differs(struct kunit *test)
{
	struct rmp_sync_region_info info;
	struct rst_env *env;
	u64 pfn;

	env = env_default(test);
	pfn = env->base + 40 * RP;
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	KUNIT_ASSERT_EQ(test, rst_set_ro(env, pfn + 3, true), 0);
	KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(env->rs, pfn, PG_LEVEL_4K), 0);
	KUNIT_EXPECT_EQ(test, recover_all(env), 0);
	rmp_sync_region_info(env->rs, pfn, &info);
	KUNIT_EXPECT_FALSE(test, info.pending);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	expect_consistent(test, env, pfn);

	KUNIT_ASSERT_EQ(test, rst_set_ro(env, pfn + 3, false), 0);
	make_candidates(test, env, pfn, 1);
	KUNIT_EXPECT_GT(test, recover_all(env), 0);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, pfn);
}

/* A region fully assigned page by page collapses to 2M too, with collapse_private. */
static void rmp_sync_test_uniform_assigned(struct kunit *test)
{
	struct rst_env *env;
	u64 pfn, p;

	env = env_default(test);
	pfn = env->base + 50 * RP;
	for (p = pfn; p < pfn + RP; p++)
		KUNIT_ASSERT_EQ(test, rmp_sync_make_private(env->rs, p, p << PAGE_SHIFT,
							    PG_LEVEL_4K, 4, false), 0);
	/* off by default: a wholly private region stays 4K */
	KUNIT_EXPECT_EQ(test, recover_all(env), 0);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	KUNIT_ASSERT_EQ(test, rmp_sync_set_knob(env->rs, RMP_SYNC_KNOB_COLLAPSE_PRIVATE, 1), 0);
	KUNIT_EXPECT_GT(test, recover_all(env), 0);
	KUNIT_EXPECT_GT(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	expect_region_safe(test, env, pfn + RP);
	expect_consistent(test, env, pfn);
	/* and the first page back splits it again before the RMPUPDATE */
	KUNIT_ASSERT_EQ(test, rmp_sync_make_shared(env->rs, pfn + 77, PG_LEVEL_4K), 0);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	expect_region_safe(test, env, pfn);
	expect_consistent(test, env, pfn);
}

/* ---- randomized sequences ---------------------------------------------- */

static u64 rst_seed(struct kunit *test)
{
#ifdef __KERNEL__
	u64 seed = get_random_u64() | 1;
#else
	u64 seed = kunit_shim_seed | 1;
#endif
	kunit_info(test, "seed %llu", (unsigned long long)seed);
	return seed;
}

#define RST_RANDOM_STEPS	3000
#define RST_RANDOM_REGIONS	6

/*
 * Random operations, valid and not, on a few regions around a 1G boundary;
 * S1 by host writes and S3 by the checker after every step; S2 at the end.
 */
static void rmp_sync_test_random(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_DEFERRED, .collapse_delay_millisecs = 20 };
	u64 seed = rst_seed(test), s = seed, first, p;
	unsigned int step, ok = 0, rejected = 0;
	u64 dm[3][3];	/* DirectMap 4K/2M/1G leaves: before, during, after */
	struct rst_env *env;
	bool leaked = false;

	env = rst_env_create(test, &o);
	rst_directmap(env, &dm[0][0], &dm[0][1], &dm[0][2]);
	/* three regions before and three after the first 1G boundary */
	first = env->base + GBP - 3 * RP;
	for (step = 0; step < RST_RANDOM_STEPS; step++) {
		u64 region = first + (rmp_sync_rand(&s) % RST_RANDOM_REGIONS) * RP;
		u64 pfn = region + (rmp_sync_rand(&s) % 8) * 64 + rmp_sync_rand(&s) % 3;
		unsigned int op = rmp_sync_rand(&s) % 100;
		struct rst_snap a, b;
		int ret = 0;

		rst_snap(env, pfn, &a);
		if (op < 35) {
			ret = priv_4k(env, pfn);
		} else if (op < 70) {
			ret = rmp_sync_make_shared(env->rs, pfn, PG_LEVEL_4K);
		} else if (op < 76) {
			ret = priv_2m(env, region);
		} else if (op < 82) {
			ret = rmp_sync_make_shared(env->rs, region, PG_LEVEL_2M);
		} else if (op < 86) {
			ret = rmp_sync_psmash(env->rs, region);
		} else if (op < 87 && !leaked) {
			ret = rmp_sync_leak_pages(env->rs, pfn, 1);
			leaked = true;
		} else if (op < 95) {
			env->clock_ms += rmp_sync_rand(&s) % 30;
			ret = rmp_sync_recover(env->rs, 1 + rmp_sync_rand(&s) % 4,
					       op & 1, NULL) < 0;
		} else {
			env->clock_ms += rmp_sync_rand(&s) % 10;
		}

		if (ret == -EINVAL) {
			/* refused: nothing changed */
			rst_snap(env, pfn, &b);
			expect_unchanged(test, &a, &b);
			rejected++;
		} else {
			KUNIT_ASSERT_EQ_MSG(test, ret, 0, "step %u seed %llu", step,
					    (unsigned long long)seed);
			ok++;
		}
		expect_region_safe(test, env, pfn);
		KUNIT_ASSERT_EQ_MSG(test, rmp_sync_check(env->rs, region, RP, true), 0,
				    "step %u seed %llu", step, (unsigned long long)seed);
	}

	rst_directmap(env, &dm[1][0], &dm[1][1], &dm[1][2]);
	/* quiesce: give everything back (but a leaked page), then recover */
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_quiesce(env->rmp, env->rs, first,
						     RST_RANDOM_REGIONS * RP), 0L);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(env->rs, 0, env->ram_pages, true), 0);
	KUNIT_EXPECT_EQ(test, rst_host_check(env), 0);
	if (!leaked)
		KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	for (p = first; p < first + RST_RANDOM_REGIONS * RP; p += RP)
		expect_region_safe(test, env, p);
	rst_directmap(env, &dm[2][0], &dm[2][1], &dm[2][2]);
	kunit_info(test, "%u operations applied, %u refused", ok, rejected);
	kunit_info(test, "direct map 4K/2M/1G leaves: before %llu/%llu/%llu, after the churn %llu/%llu/%llu, after recovery %llu/%llu/%llu",
		   (unsigned long long)dm[0][0], (unsigned long long)dm[0][1],
		   (unsigned long long)dm[0][2], (unsigned long long)dm[1][0],
		   (unsigned long long)dm[1][1], (unsigned long long)dm[1][2],
		   (unsigned long long)dm[2][0], (unsigned long long)dm[2][1],
		   (unsigned long long)dm[2][2]);
}

/* ---- allocation failures in the core ----------------------------------- */

/* Every allocation of rmp_sync_create() can fail: -ENOMEM, nothing leaked. */
static void rmp_sync_test_create_nomem(struct kunit *test)
{
	struct rst_env *env = env_default(test);
	struct rmp_sync *rs;
	struct rmp_sync_config bad;
	long nth;

	for (nth = 1; nth < 16; nth++) {
		fail_alloc(env, nth);
		rs = rmp_sync_create(&env->cfg);
		fail_alloc(env, 0);
		if (!IS_ERR(rs)) {
			rmp_sync_destroy(rs);
			break;
		}
		KUNIT_EXPECT_EQ(test, PTR_ERR(rs), (long)-ENOMEM);
	}
	/* it took at least one allocation, and then succeeded */
	KUNIT_EXPECT_GT(test, nth, 1L);
	KUNIT_EXPECT_LT(test, nth, 16L);

	/* bad configurations */
	bad = env->cfg;
	bad.nr_pages = RP + 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(rmp_sync_create(&bad)), (long)-EINVAL);
	bad = env->cfg;
	bad.mode = RMP_SYNC_NR_MODES;
	KUNIT_EXPECT_EQ(test, PTR_ERR(rmp_sync_create(&bad)), (long)-EINVAL);
	bad = env->cfg;
	bad.collapse_delay_millisecs = 1U << 30;
	KUNIT_EXPECT_EQ(test, PTR_ERR(rmp_sync_create(&bad)), (long)-EINVAL);
	bad = env->cfg;
	bad.dmap = NULL;
	KUNIT_EXPECT_EQ(test, PTR_ERR(rmp_sync_create(&bad)), (long)-ENODEV);
}

/*
 * A leak that cannot be recorded: the region is never collapsed again, but
 * its transitions go on (S6: one failed allocation must not make other
 * guests' pages in the region impossible to give back).
 */
static void rmp_sync_test_leak_nomem(struct kunit *test)
{
	struct rst_env *env = env_default(test);
	u64 pfn = env->base + 60 * RP;
	struct rmp_sync_stats st;

	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	fail_alloc(env, 1);
	KUNIT_EXPECT_EQ(test, rmp_sync_leak_pages(env->rs, pfn, 1), -ENOMEM);
	fail_alloc(env, 0);
	/* the region's transitions go on; the rest of RAM is untouched */
	KUNIT_EXPECT_EQ(test, priv_4k(env, pfn + 1), 0);
	expect_region_safe(test, env, pfn);
	KUNIT_EXPECT_EQ(test, shared_4k(env, pfn + 1), 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_psmash(env->rs, pfn - pfn % RP), -EINVAL);
	KUNIT_EXPECT_EQ(test, priv_4k(env, pfn + RP), 0);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.leaked_pages, 1ULL);
	/* never collapsed again, even once uniform */
	recover_all(env);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_4K);
	expect_region_safe(test, env, pfn);
	expect_consistent(test, env, pfn);
}

/* ---- memory ------------------------------------------------------------ */

/* At most 4 bytes of state per 2M region: 2 MiB for 1 TiB. */
static void rmp_sync_test_state_bytes(struct kunit *test)
{
	struct rst_opts o = { .mode = RMP_SYNC_MODE_DEFERRED, .mem_bytes = 1ULL << 40 };
	struct rst_env *env;
	size_t bytes;
	u64 regions;

#ifdef __KERNEL__
	kunit_skip(test, "RAM size is the machine's; measured in userspace");
#endif
	env = rst_env_create(test, &o);
	regions = env->ram_pages / RP;
	bytes = rmp_sync_state_bytes(env->rs);
	kunit_info(test, "%zu bytes for %llu regions: %llu.%03llu bytes/region",
		   bytes, (unsigned long long)regions,
		   (unsigned long long)(bytes / regions),
		   (unsigned long long)(bytes * 1000 / regions % 1000));
	KUNIT_EXPECT_LE(test, bytes, (size_t)(regions * 4 + 4096));
	/* and a transition in the last region works */
	KUNIT_EXPECT_EQ(test, priv_4k(env, env->ram_pages - 1), 0);
	expect_consistent(test, env, env->ram_pages - 1);
}

/* ---- fault sweep: fail the Nth call of each failure point --------------- */

/*
 * The scenario: every kind of call a failure point can sit under.  Run @r
 * of a case uses its own regions, 8 regions further on each time, so that
 * the runs of one case share one instance (and, in the kernel, one test
 * window).  In 1G range 1: a 4K page of region A (splits the 1G leaf if
 * it is one, then the region); region B 2M-private, PSMASHed, a page
 * shared and taken back (uniform assigned); region C 2M-private with a 4K
 * page shared through the PSMASH path and taken back; A given back.  In
 * range 0, a leaked page in region D.  Then two recovery passes: the 2M
 * collapses, then the 1G one.
 */
enum rst_sweep_step {
	SW_PRIV_A, SW_PRIV2M_B, SW_PSMASH_B, SW_SHARED_B, SW_PRIV_B, SW_PRIV2M_C,
	SW_SHARED_C, SW_PRIV_C, SW_SHARED_A, SW_PRIV_D, SW_LEAK_D, SW_RECOVER,
	SW_RECOVER_AGAIN, SW_NR_STEPS
};

#define SW_MAX_RUNS	60

static u64 rst_sweep_pfn(struct rst_env *env, unsigned int r, enum rst_sweep_step step)
{
	u64 a = env->base + GBP + (8 * r + 1) * RP + 5;
	u64 b = env->base + GBP + (8 * r + 3) * RP;
	u64 c = env->base + GBP + (8 * r + 5) * RP;
	u64 d = env->base + (8 * r + 1) * RP + 3;

	switch (step) {
	case SW_PRIV2M_B:
	case SW_PSMASH_B:
		return b;
	case SW_SHARED_B:
	case SW_PRIV_B:
		return b + 7;
	case SW_PRIV2M_C:
		return c;
	case SW_SHARED_C:
	case SW_PRIV_C:
		return c + 9;
	case SW_PRIV_D:
	case SW_LEAK_D:
		return d;
	default:
		return a;
	}
}

static int rst_sweep_do(struct rst_env *env, enum rst_sweep_step step, u64 pfn)
{
	switch (step) {
	case SW_PRIV_A:
	case SW_PRIV_B:
	case SW_PRIV_C:
	case SW_PRIV_D:
		return priv_4k(env, pfn);
	case SW_PRIV2M_B:
	case SW_PRIV2M_C:
		return priv_2m(env, pfn);
	case SW_PSMASH_B:
		return rmp_sync_psmash(env->rs, pfn);
	case SW_SHARED_B:
	case SW_SHARED_C:
	case SW_SHARED_A:
		return shared_4k(env, pfn);
	case SW_LEAK_D:
		return rmp_sync_leak_pages(env->rs, pfn, 1);
	default:
		return min(rmp_sync_recover(env->rs, 16, true, NULL), 0);
	}
}

/* S3 over the run's regions and every counter; the host's own tables. */
static void rst_sweep_consistent(struct kunit *test, struct rst_env *env,
				 unsigned int r)
{
	u64 first = ALIGN_DOWN(rst_sweep_pfn(env, r, SW_PRIV_A), RP);

	KUNIT_EXPECT_EQ(test, rmp_sync_check(env->rs, first, 6 * RP, true), 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(env->rs,
					     ALIGN_DOWN(rst_sweep_pfn(env, r, SW_LEAK_D), RP),
					     RP, false), 0);
	KUNIT_EXPECT_EQ(test, rst_host_check(env), 0);
}

/* Give every page back (parked regions queued again), recover, check S2. */
static void rst_sweep_teardown(struct kunit *test, struct rst_env *env,
			       unsigned int r)
{
	u64 d = ALIGN_DOWN(rst_sweep_pfn(env, r, SW_PRIV_D), RP);
	u64 a = ALIGN_DOWN(rst_sweep_pfn(env, r, SW_PRIV_A), RP);

	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_quiesce(env->rmp, env->rs, d, RP), 0L);
	KUNIT_EXPECT_EQ(test, rmp_sync_swrmp_quiesce(env->rmp, env->rs, a, 6 * RP), 0L);
}

/*
 * Run @r of the scenario with the @nth call of failure point @c failing (0:
 * none).  The step it hits must return an error (or succeed, for
 * @c->want of 0), leave the RMP as it was (the page and its region's count)
 * and the state consistent and safe; after disarming, a teardown must
 * leave nothing pending.  Return: true if the failure fired.
 */
static bool rst_sweep_run(struct kunit *test, struct rst_env *env,
			  const struct rst_fail *c, unsigned int r, int nth)
{
	struct rmp_sync_fault_attr *f = rst_fault(env, c->point);
	struct rmp_sync_stats st;
	bool fired = false;
	unsigned int step;

	if (nth)
		rmp_sync_fault_arm(f, nth, c->times, c->error);
	for (step = 0; step < SW_NR_STEPS; step++) {
		u64 pfn = rst_sweep_pfn(env, r, step);
		struct rmp_sync_rmp_entry e0, e1;
		unsigned int n0, n1;
		int ret;

		rst_entry(env, pfn, &e0);
		n0 = rmp_sync_swrmp_assigned(env->rmp, pfn);
		ret = rst_sweep_do(env, step, pfn);
		if (fired || !nth || !rmp_sync_fault_fired(f)) {
			/* after a failure, later steps may be refused */
			if (!fired || (ret != -EINVAL && ret != -EBUSY))
				KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s #%d: step %u",
						    c->desc, nth, step);
			continue;
		}
		fired = true;
		rmp_sync_fault_arm(f, 0, 0, 0);
		if (!c->want)
			KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s #%d: step %u", c->desc, nth, step);
		else
			KUNIT_EXPECT_TRUE_MSG(test, ret < 0, "%s #%d: step %u returned %d",
					      c->desc, nth, step, ret);
		rst_entry(env, pfn, &e1);
		n1 = rmp_sync_swrmp_assigned(env->rmp, pfn);
		if (ret) {
			/* nothing half-done in the RMP */
			KUNIT_EXPECT_EQ_MSG(test, e1.assigned, e0.assigned, "%s #%d: step %u",
					    c->desc, nth, step);
			KUNIT_EXPECT_EQ_MSG(test, n1, n0, "%s #%d: step %u", c->desc, nth, step);
		}
		rst_sweep_consistent(test, env, r);
		expect_region_safe(test, env, pfn);
	}
	rmp_sync_fault_arm(f, 0, 0, 0);
	rst_sweep_teardown(test, env, r);
	rst_sweep_consistent(test, env, r);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ_MSG(test, st.regions_pending, 0ULL, "%s #%d", c->desc, nth);
	return fired;
}

/*
 * For one failure point, fail its 1st, 2nd, ... call in turn over the
 * whole scenario, until a run ends before the failure fires: every call
 * the scenario makes there has failed once.  A clean run first measures
 * the layout a teardown leaves (the leaked pages keep range 0 split); every
 * later run must leave the same, unless the point is a refusal that hands
 * the split over for good.
 */
static void rmp_sync_test_fault_sweep(struct kunit *test)
{
	const struct rst_fail *c = test->param_value;
	struct rst_env *env = env_default(test);
	unsigned long boot_diff;
	unsigned int r = 0;
	int nth;

	/* each run compares its teardown with a clean run on other regions */
	/*
	 * Beside another direct-map user the layouts are compared only for
	 * what rmp_sync holds (rst_boot_diff()), so any start will do.
	 */
	if (!rst_foreign_dmap_user() && !rst_window_pristine(env))
		kunit_skip(test, "test window not mapped with 1G leaves");
	KUNIT_ASSERT_FALSE(test, rst_sweep_run(test, env, c, r++, 0));
	boot_diff = rst_boot_diff(env);
	for (nth = 1; r < SW_MAX_RUNS; nth++, r++) {
		if (!rst_sweep_run(test, env, c, r, nth))
			break;
		if (c->gb_final && rst_boot_diff(env) == boot_diff + RMP_SYNC_GB_REGIONS &&
		    rst_level(env, env->base + GBP) == PG_LEVEL_2M)
			continue;	/* 1G refused for good: 2M leaves it is */
		if (!c->kept)
			KUNIT_EXPECT_EQ_MSG(test, rst_boot_diff(env), boot_diff,
					    "%s #%d: not back to the layout of a clean run",
					    c->desc, nth);
		if (test->status == KUNIT_FAILURE)
			break;
	}
	KUNIT_EXPECT_TRUE_MSG(test, r < SW_MAX_RUNS, "%s: more calls than runs", c->desc);
	/* the kernel host fails only the core's allocations: none in the runs */
	if (c->point == RST_FAULT_ALLOC && nth == 1)
		kunit_skip(test, "no allocation here that the host can fail in this scenario");
	KUNIT_EXPECT_GT(test, nth, 1);
	/* the figure "make reliability" reports */
	kunit_info(test, "fault sweep: %s: %d positions", c->desc, nth - 1);
}

/* ---- bad input: every entry point, -EINVAL, nothing changed ------------- */

enum rst_entry_point {
	EP_PRIVATE, EP_SHARED, EP_PSMASH, EP_LEAK, EP_RECOVER, EP_INFO,
	EP_SET_MODE, EP_GROW, EP_CHECK, EP_ONLINE, EP_OFFLINE, EP_MEM_EVENT,
	EP_CREATE,
};

/* How rmp_sync_create() is given a bad configuration. */
enum rst_bad_cfg {
	CFG_NULL, CFG_ZERO_PAGES, CFG_UNALIGNED, CFG_BAD_MODE, CFG_DELAY,
	CFG_NO_RMP, CFG_NO_DMAP_OP,
};

/*
 * @pfn: absolute, or (@rel) from the window base, or (@end) from the end of
 * RAM; @n: npages, budget, nr_pages, mode, or memory event (EP_MEM_EVENT,
 * of one region at @pfn); @err: 0 means -EINVAL.
 *
 * Every case starts from the same state (rst_bad_setup()): region 1 holds
 * a private 4K page at +1, region 2 is one 2M private entry, region 3 holds
 * an immutable page at +0, region 4 a leaked guest page at +7, and the last
 * page of the test window is private.
 */
struct rst_bad {
	const char *desc;
	enum rst_entry_point ep;
	u64 pfn;
	bool rel;
	bool end;
	int level;
	u64 gpa;
	u32 asid;
	u64 n;
	int err;
};

#define H_ALL_ONES	(~0ULL)

static const struct rst_bad rst_bad_cases[] = {
	{ "private PFN ~0", EP_PRIVATE, H_ALL_ONES, .level = PG_LEVEL_4K },
	{ "private PFN = end of RAM", EP_PRIVATE, 0, .end = true, .level = PG_LEVEL_4K },
	{ "private 2M PFN unaligned", EP_PRIVATE, 8 * RP + 256, .rel = true,
	  .level = PG_LEVEL_2M },
	{ "private 2M last region + 1", EP_PRIVATE, 0, .end = true, .level = PG_LEVEL_2M },
	{ "private level -1", EP_PRIVATE, 8 * RP, .rel = true, .level = -1 },
	{ "private level NONE", EP_PRIVATE, 8 * RP, .rel = true, .level = PG_LEVEL_NONE },
	{ "private level 1G", EP_PRIVATE, 8 * RP, .rel = true, .level = PG_LEVEL_1G },
	{ "private level 512G", EP_PRIVATE, 8 * RP, .rel = true, .level = PG_LEVEL_1G + 1 },
	{ "private ASID = limit", EP_PRIVATE, 8 * RP, .rel = true, .level = PG_LEVEL_4K,
	  .asid = RMP_SYNC_ASID_LIMIT },
	{ "private ASID ~0", EP_PRIVATE, 8 * RP, .rel = true, .level = PG_LEVEL_4K,
	  .asid = ~0U },
	{ "private GPA = limit", EP_PRIVATE, 8 * RP, .rel = true, .level = PG_LEVEL_4K,
	  .gpa = RMP_SYNC_GPA_LIMIT },
	{ "private GPA ~0 page-aligned", EP_PRIVATE, 8 * RP, .rel = true,
	  .level = PG_LEVEL_4K, .gpa = H_ALL_ONES << 12 },
	{ "private GPA not page-aligned", EP_PRIVATE, 8 * RP, .rel = true,
	  .level = PG_LEVEL_4K, .gpa = 0x800 },
	{ "private 2M GPA not 2M-aligned", EP_PRIVATE, 8 * RP, .rel = true,
	  .level = PG_LEVEL_2M, .gpa = 0x1ff000 },
	{ "private already assigned 4K", EP_PRIVATE, RP + 1, .rel = true, .level = PG_LEVEL_4K },
	{ "private 2M over an assigned page", EP_PRIVATE, RP, .rel = true,
	  .level = PG_LEVEL_2M },
	{ "private 4K inside a 2M entry", EP_PRIVATE, 2 * RP + 5, .rel = true,
	  .level = PG_LEVEL_4K },
	{ "private leaked page", EP_PRIVATE, 4 * RP + 7, .rel = true, .level = PG_LEVEL_4K },
	{ "shared PFN ~0", EP_SHARED, H_ALL_ONES, .level = PG_LEVEL_4K },
	{ "shared PFN = end of RAM", EP_SHARED, 0, .end = true, .level = PG_LEVEL_4K },
	{ "shared 2M PFN unaligned", EP_SHARED, 2 * RP + 1, .rel = true,
	  .level = PG_LEVEL_2M },
	{ "shared level -1", EP_SHARED, RP + 1, .rel = true, .level = -1 },
	{ "shared level 1G", EP_SHARED, RP + 1, .rel = true, .level = PG_LEVEL_1G },
	{ "shared not assigned 4K", EP_SHARED, RP + 2, .rel = true, .level = PG_LEVEL_4K },
	{ "shared 2M of a non-2M region", EP_SHARED, RP, .rel = true, .level = PG_LEVEL_2M },
	{ "shared immutable page", EP_SHARED, 3 * RP, .rel = true, .level = PG_LEVEL_4K },
	{ "shared leaked page", EP_SHARED, 4 * RP + 7, .rel = true, .level = PG_LEVEL_4K },
	{ "psmash PFN ~0 & ~511", EP_PSMASH, H_ALL_ONES << 9 },
	{ "psmash PFN = end of RAM", EP_PSMASH, 0, .end = true },
	{ "psmash PFN unaligned", EP_PSMASH, 2 * RP + 3, .rel = true },
	{ "psmash of a hypervisor region", EP_PSMASH, 8 * RP, .rel = true },
	{ "psmash of a region of 4K entries", EP_PSMASH, RP, .rel = true },
	{ "leak 0 pages", EP_LEAK, 8 * RP, .rel = true, .n = 0 },
	{ "leak PFN ~0", EP_LEAK, H_ALL_ONES, .n = 1 },
	{ "leak wrapping past 2^64", EP_LEAK, H_ALL_ONES - 1, .n = 4 },
	{ "leak across the end of RAM", EP_LEAK, -1ULL, .end = true, .n = 2 },
	{ "leak of 2^32 - 1 pages", EP_LEAK, 8 * RP, .rel = true, .n = 0xffffffffULL },
	{ "recover budget 0", EP_RECOVER, .n = 0 },
	{ "region_info PFN = end of RAM", EP_INFO, 0, .end = true },
	{ "region_info PFN ~0", EP_INFO, H_ALL_ONES },
	{ "region_info NULL info", EP_INFO, 0, .rel = true, .n = 1 },
	{ "set_mode NR_MODES", EP_SET_MODE, .n = RMP_SYNC_NR_MODES },
	{ "set_mode -1", EP_SET_MODE, .n = (u64)-1 },
	{ "grow unaligned", EP_GROW, .n = 1, .end = true },
	{ "grow smaller", EP_GROW, .n = -RP, .end = true },
	{ "grow to 0", EP_GROW, .n = 0 },
	{ "check 0 pages", EP_CHECK, 0, .rel = true, .n = 0 },
	{ "check beyond RAM", EP_CHECK, 0, .end = true, .n = 1 },
	{ "check wrapping past 2^64", EP_CHECK, H_ALL_ONES - 4, .n = 10 },
	{ "online 0 pages", EP_ONLINE, 0, .rel = true, .n = 0 },
	{ "online wrapping past 2^64", EP_ONLINE, H_ALL_ONES - 4, .n = 10 },
	{ "online beyond 52-bit addresses", EP_ONLINE, 1ULL << 40, .n = RP },
	{ "online ending past 52-bit addresses", EP_ONLINE, (1ULL << 40) - RP, .n = 2 * RP },
	{ "offline 0 pages", EP_OFFLINE, 0, .rel = true, .n = 0 },
	{ "offline wrapping past 2^64", EP_OFFLINE, H_ALL_ONES - 4, .n = 10 },
	{ "offline beyond RAM", EP_OFFLINE, 0, .end = true, .n = RP },
	{ "offline across the end of RAM", EP_OFFLINE, -RP, .end = true, .n = 2 * RP },
	{ "offline of an assigned page", EP_OFFLINE, RP + 1, .rel = true, .n = 1,
	  .err = -EBUSY },
	{ "offline of a 2M entry, unaligned", EP_OFFLINE, 2 * RP + 9, .rel = true,
	  .n = RP, .err = -EBUSY },
	{ "offline of a leaked page", EP_OFFLINE, 4 * RP, .rel = true, .n = RP,
	  .err = -EBUSY },
	{ "memory event NR_MEM_EVENTS", EP_MEM_EVENT, 8 * RP, .rel = true,
	  .n = RMP_SYNC_NR_MEM_EVENTS },
	{ "memory event -1", EP_MEM_EVENT, 8 * RP, .rel = true, .n = (u64)-1 },
	{ "create NULL config", EP_CREATE, .n = CFG_NULL },
	{ "create 0 pages", EP_CREATE, .n = CFG_ZERO_PAGES },
	{ "create unaligned pages", EP_CREATE, .n = CFG_UNALIGNED },
	{ "create bad mode", EP_CREATE, .n = CFG_BAD_MODE },
	{ "create delay beyond the stamp", EP_CREATE, .n = CFG_DELAY },
	{ "create no RMP backend", EP_CREATE, .n = CFG_NO_RMP, .err = -ENODEV },
	{ "create direct-map op missing", EP_CREATE, .n = CFG_NO_DMAP_OP, .err = -ENODEV },
};

KUNIT_ARRAY_PARAM_DESC(rst_bad, rst_bad_cases, desc);

static int rst_bad_create(struct rst_env *env, enum rst_bad_cfg bad)
{
	struct rmp_sync_dmap_ops dmap = *env->cfg.dmap;
	struct rmp_sync_config cfg = env->cfg;
	struct rmp_sync *rs;

	switch (bad) {
	case CFG_NULL:
		rs = rmp_sync_create(NULL);
		goto out;
	case CFG_ZERO_PAGES:
		cfg.nr_pages = 0;
		break;
	case CFG_UNALIGNED:
		cfg.nr_pages = env->ram_pages - 1;
		break;
	case CFG_BAD_MODE:
		cfg.mode = RMP_SYNC_NR_MODES;
		break;
	case CFG_DELAY:
		cfg.collapse_delay_millisecs = ~0U;
		break;
	case CFG_NO_RMP:
		cfg.rmp = NULL;
		break;
	default:
		dmap.flush = NULL;
		cfg.dmap = &dmap;
		break;
	}
	rs = rmp_sync_create(&cfg);
out:
	if (!IS_ERR(rs)) {
		rmp_sync_destroy(rs);
		return 0;
	}
	return PTR_ERR(rs);
}

static u64 rst_bad_pfn(struct rst_env *env, const struct rst_bad *c)
{
	return c->pfn + (c->rel ? env->base : 0) + (c->end ? env->ram_pages : 0);
}

static int rst_bad_call(struct rst_env *env, const struct rst_bad *c)
{
	u64 pfn = rst_bad_pfn(env, c);
	u64 n = c->n + (c->ep == EP_GROW && c->end ? env->ram_pages : 0);
	struct rmp_sync_region_info info;

	switch (c->ep) {
	case EP_PRIVATE:
		return rmp_sync_make_private(env->rs, pfn, c->gpa, c->level, c->asid, false);
	case EP_SHARED:
		return rmp_sync_make_shared(env->rs, pfn, c->level);
	case EP_PSMASH:
		return rmp_sync_psmash(env->rs, pfn);
	case EP_LEAK:
		return rmp_sync_leak_pages(env->rs, pfn, (unsigned int)n);
	case EP_RECOVER:
		return rmp_sync_recover(env->rs, (unsigned int)n, true, NULL);
	case EP_INFO:
		return rmp_sync_region_info(env->rs, pfn, n ? NULL : &info);
	case EP_SET_MODE:
		return rmp_sync_set_mode(env->rs, (enum rmp_sync_mode)n);
	case EP_GROW:
		return rmp_sync_grow(env->rs, n);
	case EP_CHECK:
		return rmp_sync_check(env->rs, pfn, n, true);
	case EP_ONLINE:
		return rmp_sync_memory_event(env->rs, RMP_SYNC_MEM_ONLINE, pfn, n);
	case EP_OFFLINE:
		return rmp_sync_memory_event(env->rs, RMP_SYNC_MEM_OFFLINE, pfn, n);
	case EP_MEM_EVENT:
		return rmp_sync_memory_event(env->rs, (enum rmp_sync_mem_event)n, pfn, RP);
	default:
		return rst_bad_create(env, (enum rst_bad_cfg)n);
	}
}

/* The state every bad-input case starts from (see struct rst_bad). */
static void rst_bad_setup(struct kunit *test, struct rst_env *env)
{
	u64 b0 = env->base;

	KUNIT_ASSERT_EQ(test, priv_4k(env, b0 + RP + 1), 0);
	KUNIT_ASSERT_EQ(test, priv_2m(env, b0 + 2 * RP), 0);
	KUNIT_ASSERT_EQ(test, rmp_sync_make_private(env->rs, b0 + 3 * RP, 0, PG_LEVEL_4K,
						    1, true), 0);
	KUNIT_ASSERT_EQ(test, priv_4k(env, b0 + 4 * RP + 7), 0);
	KUNIT_ASSERT_EQ(test, rmp_sync_leak_pages(env->rs, b0 + 4 * RP + 7, 1), 0);
	KUNIT_ASSERT_EQ(test, priv_4k(env, b0 + env->nr_pages - 1), 0);
}

#define RST_BAD_SNAPS	4

/*
 * Every public entry point with arguments no caller may pass, or a
 * transition the RMP state does not allow: the call returns -EINVAL
 * (-ENODEV for a missing backend) and changes nothing (region words,
 * counters, direct map, flushes, RMP entries, mode), the checker still
 * passes, and nothing is logged at warning level or above.
 */
static void rmp_sync_test_bad_input(struct kunit *test)
{
	const struct rst_bad *c = test->param_value;
	struct rst_env *env = env_default(test);
	u64 b0 = env->base, pfn[RST_BAD_SNAPS];
	struct rst_snap *a, *b;	/* too big for the stack */
	enum rmp_sync_mode mode;
#ifndef __KERNEL__
	unsigned long splats, warnings;
#endif
	int ret, i;

	a = kunit_kzalloc(test, RST_BAD_SNAPS * sizeof(*a), GFP_KERNEL);
	b = kunit_kzalloc(test, RST_BAD_SNAPS * sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	rst_bad_setup(test, env);
	/*
	 * A 4K page, a 2M entry, the last page of the test window (in the
	 * kernel, RAM beyond the window is the running kernel's) and the page
	 * the case names, if it is in RAM: snapshots around them.
	 */
	pfn[0] = b0 + RP + 1;
	pfn[1] = b0 + 2 * RP;
	pfn[2] = b0 + env->nr_pages - 1;
	pfn[3] = rst_bad_pfn(env, c) < env->ram_pages ? rst_bad_pfn(env, c) : pfn[0];
	for (i = 0; i < RST_BAD_SNAPS; i++)
		rst_snap(env, pfn[i], &a[i]);
	mode = rmp_sync_get_mode(env->rs);
#ifndef __KERNEL__
	splats = kshim_splats;
	warnings = kshim_warnings;
#endif
	ret = rst_bad_call(env, c);
	KUNIT_EXPECT_EQ(test, ret, c->err ? c->err : -EINVAL);
#ifndef __KERNEL__
	/* nothing logged: no splat, not even a warning */
	KUNIT_EXPECT_EQ(test, kshim_splats, splats);
	KUNIT_EXPECT_EQ(test, kshim_warnings, warnings);
#endif
	for (i = 0; i < RST_BAD_SNAPS; i++) {
		rst_snap(env, pfn[i], &b[i]);
		expect_unchanged(test, &a[i], &b[i]);
	}
	KUNIT_EXPECT_EQ(test, rmp_sync_get_mode(env->rs), mode);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(env->rs, b0, 8 * RP, true), 0);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(env->rs, b0 + env->nr_pages - RP, RP, true), 0);
	KUNIT_EXPECT_EQ(test, rst_host_check(env), 0);
}

/*
 * Regression (found by the fault sweep): a 1G collapse refused because the
 * 2M leaves' attributes differ used to drop the range for good, unlike a 2M
 * refusal, which waits for the region's next transition.  Attributes may
 * change back; the next 2M collapse in the range must try the 1G one again.
 */
static void rmp_sync_test_1g_attr_refusal_retried(struct kunit *test)
{
	struct rst_env *env = env_default(test);
	u64 pfn = env->base + GBP + 10 * RP + 3;
	struct rmp_sync_stats st;

	if (rst_level(env, env->base + GBP) != PG_LEVEL_1G)
		kunit_skip(test, "the test window is not mapped with a 1G leaf");
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	KUNIT_ASSERT_EQ(test, shared_4k(env, pfn), 0);
	/* the 2M collapse goes through, the 1G one after it is refused */
	rmp_sync_fault_arm(rst_fault(env, RST_FAULT_COLLAPSE), 2, 1,
			   RMP_SYNC_COLLAPSE_ATTR);
	recover_all(env);
	rmp_sync_fault_arm(rst_fault(env, RST_FAULT_COLLAPSE), 0, 0, 0);
	rmp_sync_get_stats(env->rs, &st);
	KUNIT_EXPECT_EQ(test, st.collapse_failures[RMP_SYNC_COLLAPSE_ATTR], 1ULL);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_2M);
	/* the region churns again: its collapse retries the range */
	KUNIT_ASSERT_EQ(test, priv_4k(env, pfn), 0);
	KUNIT_ASSERT_EQ(test, shared_4k(env, pfn), 0);
	recover_all(env);
	KUNIT_EXPECT_EQ(test, rst_level(env, pfn), (int)PG_LEVEL_1G);
	KUNIT_EXPECT_EQ(test, rst_boot_diff(env), 0UL);
	expect_consistent(test, env, pfn);
}

static struct kunit_case rmp_sync_test_cases[] = {
	KUNIT_CASE_PARAM(rmp_sync_test_4k_roundtrip, rst_pos_gen_params),
	KUNIT_CASE(rmp_sync_test_2m_no_split),
	KUNIT_CASE(rmp_sync_test_psmash_on_4k_shared),
	KUNIT_CASE(rmp_sync_test_psmash_explicit),
	KUNIT_CASE(rmp_sync_test_leak_assigned),
	KUNIT_CASE(rmp_sync_test_leak_shared),
	KUNIT_CASE(rmp_sync_test_assigned_behind_back),
	KUNIT_CASE(rmp_sync_test_stale_2m_entry),
	KUNIT_CASE(rmp_sync_test_collapse_reads_rmp),
	KUNIT_CASE(rmp_sync_test_rescan),
	KUNIT_CASE(rmp_sync_test_hotplug_online),
	KUNIT_CASE(rmp_sync_test_offline),
	KUNIT_CASE(rmp_sync_test_hotplug_readd),
	KUNIT_CASE(rmp_sync_test_shared_needs_no_allocation),
	KUNIT_CASE_PARAM(rmp_sync_test_bad_input, rst_bad_gen_params),
	KUNIT_CASE_PARAM(rmp_sync_test_backend_failure, rst_fail_gen_params),
	KUNIT_CASE(rmp_sync_test_recover_delay_budget),
	KUNIT_CASE(rmp_sync_test_knobs),
	KUNIT_CASE(rmp_sync_test_background),
	KUNIT_CASE(rmp_sync_test_rate_limit),
	KUNIT_CASE(rmp_sync_test_backoff),
	KUNIT_CASE(rmp_sync_test_stamp_wrap),
	KUNIT_CASE(rmp_sync_test_collapse_private),
	KUNIT_CASE(rmp_sync_test_background_runner),
	KUNIT_CASE(rmp_sync_test_concurrent),
	KUNIT_CASE(rmp_sync_test_concurrent_1g),
	KUNIT_CASE(rmp_sync_test_no_1g),
	KUNIT_CASE(rmp_sync_test_eager),
	KUNIT_CASE(rmp_sync_test_upstream_mode),
	KUNIT_CASE(rmp_sync_test_none_mode_faults),
	KUNIT_CASE(rmp_sync_test_foreign_split_kept),
	KUNIT_CASE(rmp_sync_test_attr_differs),
	KUNIT_CASE(rmp_sync_test_uniform_assigned),
	KUNIT_CASE(rmp_sync_test_random),
	KUNIT_CASE(rmp_sync_test_create_nomem),
	KUNIT_CASE(rmp_sync_test_leak_nomem),
	KUNIT_CASE(rmp_sync_test_state_bytes),
	KUNIT_CASE_PARAM(rmp_sync_test_fault_sweep, rst_fail_gen_params),
	KUNIT_CASE(rmp_sync_test_1g_attr_refusal_retried),
	{}
};

static void rmp_sync_test_suite_exit(struct kunit_suite *suite)
{
	rst_host_exit();
}

static struct kunit_suite rmp_sync_test_suite = {
	.name = "rmp_sync",
	.suite_exit = rmp_sync_test_suite_exit,
	.test_cases = rmp_sync_test_cases,
};

kunit_test_suites(&rmp_sync_test_suite);

MODULE_DESCRIPTION("KUnit tests for the SEV-SNP RMP/direct-map synchronizer");
MODULE_LICENSE("GPL");
