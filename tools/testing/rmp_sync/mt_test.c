// SPDX-License-Identifier: GPL-2.0
/*
 * Multi-threaded run (userspace only): pthreads as CPUs issue random
 * transitions on pages they own, in shared regions (every thread owns every
 * fourth page: same-region serialization) and in regions of their own
 * (disjoint: no common lock), and write to their hypervisor-owned pages all
 * the while; a recovery thread collapses, an RCU reader looks regions up,
 * and the main thread grows the instance (memory hotplug) half-way.  Any RMP
 * #PF fails the run; S3 and S2 are checked at the end.
 */
#include <kunit/test.h>
#include <linux/rmp_sync.h>
#include "emu.h"

#define MT_CPUS		4
#define MT_SHARED	8	/* regions every thread has pages in */
#define MT_OWN		3	/* regions of each thread's own, per GB */
#define MT_OPS		6000	/* per worker */
#define MT_SLOTS	6	/* pages a worker uses in its own regions (2 in
				 * shared ones): regions often turn uniform, so
				 * recovery races transitions */
#define RP		RMP_SYNC_REGION_PAGES

struct mt_run {
	struct emu_instance in;
	struct emu_host *h;		/* in.h */
	struct rmp_sync *rs;		/* in.rs */
	u64 seed;
	bool grown;
	bool stop;
	unsigned long faults;
	unsigned long bad_returns;
	unsigned long ops;
	unsigned long lookups;
	unsigned long collapses;
};

struct mt_worker {
	struct mt_run *run;
	unsigned int cpu;
	pthread_t thread;
	u64 s;
	bool leaked;
};

/*
 * A page this worker owns: in one of its own regions, or its share of a
 * shared region (slot * 61 + cpu never collides between workers).
 */
static u64 mt_pick(struct mt_worker *w, bool *own_region)
{
	struct mt_run *run = w->run;
	unsigned int gbs = __atomic_load_n(&run->grown, __ATOMIC_ACQUIRE) ? 2 : 1;
	u64 r = rmp_sync_rand(&w->s);

	*own_region = r & 1;
	if (*own_region) {
		u64 gb = (r >> 1) % gbs;
		u64 region = gb * RMP_SYNC_GB_REGIONS + MT_SHARED +
			     w->cpu * MT_OWN + (r >> 8) % MT_OWN;

		return region * RP + ((r >> 16) % MT_SLOTS) * 37;
	}
	return ((r >> 8) % MT_SHARED) * RP + ((r >> 16) % 2) * 61 + w->cpu;
}

static void *mt_worker_fn(void *arg)
{
	struct mt_worker *w = arg;
	struct mt_run *run = w->run;
	unsigned int i;

	rcu_register_thread();
	for (i = 0; i < MT_OPS && !__atomic_load_n(&run->stop, __ATOMIC_RELAXED); i++) {
		struct rmp_sync_rmp_entry e;
		bool own;
		u64 pfn = mt_pick(w, &own), region = ALIGN_DOWN(pfn, RP);
		unsigned int op = rmp_sync_rand(&w->s) % 100;
		int ret = 0;

		rmp_sync_swrmp_ops.lookup(emu_rmp(run->h), pfn, &e);
		if (op < 40) {
			ret = rmp_sync_make_private(run->rs, pfn, 0, PG_LEVEL_4K, 1 + w->cpu, false);
			/* someone else's 2M entry or a leak may cover it */
			if (ret == -EINVAL && !e.assigned && !own)
				ret = 0;
		} else if (op < 75) {
			ret = rmp_sync_make_shared(run->rs, pfn, PG_LEVEL_4K);
		} else if (op < 82 && own) {
			ret = rmp_sync_make_private(run->rs, region, 0, PG_LEVEL_2M, 1 + w->cpu, false);
		} else if (op < 88 && own) {
			ret = rmp_sync_make_shared(run->rs, region, PG_LEVEL_2M);
		} else if (op < 90 && own) {
			ret = rmp_sync_psmash(run->rs, region);
		} else if (op < 94 && own) {
			/* give the whole region back, 2M or page by page */
			ret = rmp_sync_make_shared(run->rs, region, PG_LEVEL_2M);
			for (u64 q = region; ret == -EINVAL && q < region + RP; q++)
				if (rmp_sync_make_shared(run->rs, q, PG_LEVEL_4K) == -EBUSY)
					ret = -EBUSY;
			if (ret == -EINVAL)
				ret = 0;
		} else if (op < 95 && own && e.assigned && !w->leaked) {
			ret = rmp_sync_leak_pages(run->rs, pfn, 1);
			w->leaked = true;
		}
		/* -EINVAL is a refused transition (state did not allow it) */
		if (ret && ret != -EINVAL) {
			fprintf(stderr, "cpu %u op %u PFN 0x%llx: %d\n", w->cpu, op,
				(unsigned long long)pfn, ret);
			__atomic_add_fetch(&run->bad_returns, 1, __ATOMIC_RELAXED);
		}

		/* write to the pages this worker owns that are shared right now */
		for (unsigned int k = 0; k < 4; k++) {
			u64 q = mt_pick(w, &own);

			rmp_sync_swrmp_ops.lookup(emu_rmp(run->h), q, &e);
			if (e.assigned)
				continue;
			if (emu_write(run->h, w->cpu, q) == -EFAULT) {
				/* it may have been assigned since the lookup */
				rmp_sync_swrmp_ops.lookup(emu_rmp(run->h), q, &e);
				if (!e.assigned)
					__atomic_add_fetch(&run->faults, 1, __ATOMIC_RELAXED);
			}
		}
		__atomic_add_fetch(&run->ops, 1, __ATOMIC_RELAXED);
	}
	rcu_unregister_thread();
	return NULL;
}

static void *mt_recover_fn(void *arg)
{
	struct mt_run *run = arg;

	rcu_register_thread();
	while (!__atomic_load_n(&run->stop, __ATOMIC_RELAXED)) {
		int n = rmp_sync_recover(run->rs, 8, true, NULL);

		if (n > 0)
			__atomic_add_fetch(&run->collapses, n, __ATOMIC_RELAXED);
		msleep(1);
	}
	rcu_unregister_thread();
	return NULL;
}

static void *mt_reader_fn(void *arg)
{
	struct mt_run *run = arg;
	u64 s = run->seed ^ 0x5bd1e995;

	rcu_register_thread();
	while (!__atomic_load_n(&run->stop, __ATOMIC_RELAXED)) {
		struct rmp_sync_region_info info;
		u64 pfn = rmp_sync_rand(&s) % (2 * RMP_SYNC_GB_PAGES);

		if (rmp_sync_region_info(run->rs, pfn, &info))
			continue;	/* beyond the RAM covered before the grow */
		__atomic_add_fetch(&run->lookups, 1, __ATOMIC_RELAXED);
		if (info.assigned > RP) {
			fprintf(stderr, "lookup of PFN 0x%llx: %u assigned\n",
				(unsigned long long)pfn, info.assigned);
			__atomic_add_fetch(&run->bad_returns, 1, __ATOMIC_RELAXED);
		}
	}
	rcu_unregister_thread();
	return NULL;
}

static void mt_destroy(void *ctx)
{
	struct mt_run *run = ctx;

	emu_instance_destroy(&run->in);
}

static void rmp_sync_mt_test_stress(struct kunit *test)
{
	struct emu_config ec = { .mem_bytes = 2ULL << 30, .nr_cpus = MT_CPUS,
				 .pse = true, .gbpages = true };
	struct mt_worker workers[MT_CPUS];
	struct mt_run *run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	struct rmp_sync_config cfg = {
		.nr_pages = RMP_SYNC_GB_PAGES,	/* grown to 2G half-way */
		.mode = RMP_SYNC_MODE_DEFERRED,
		.defrag_1g = true,
	};
	pthread_t recover, reader;
	struct rmp_sync_stats st;
	u64 pfn;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, run);
	run->seed = kunit_shim_seed | 1;
	KUNIT_ASSERT_EQ(test, emu_instance_create(&run->in, &ec, &cfg), 0);
	run->h = run->in.h;
	run->rs = run->in.rs;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mt_destroy, run), 0);

	for (i = 0; i < MT_CPUS; i++) {
		workers[i] = (struct mt_worker){ .run = run, .cpu = i,
						 .s = run->seed * (i + 7) | 1 };
		KUNIT_ASSERT_EQ(test, pthread_create(&workers[i].thread, NULL,
						     mt_worker_fn, &workers[i]), 0);
	}
	KUNIT_ASSERT_EQ(test, pthread_create(&recover, NULL, mt_recover_fn, run), 0);
	KUNIT_ASSERT_EQ(test, pthread_create(&reader, NULL, mt_reader_fn, run), 0);

	msleep(50);
	KUNIT_EXPECT_EQ(test, rmp_sync_grow(run->rs, 2 * RMP_SYNC_GB_PAGES), 0);
	__atomic_store_n(&run->grown, true, __ATOMIC_RELEASE);

	for (i = 0; i < MT_CPUS; i++)
		pthread_join(workers[i].thread, NULL);
	__atomic_store_n(&run->stop, true, __ATOMIC_RELAXED);
	pthread_join(recover, NULL);
	pthread_join(reader, NULL);

	KUNIT_EXPECT_EQ(test, run->faults, 0UL);
	KUNIT_EXPECT_EQ(test, run->bad_returns, 0UL);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(run->rs, 0, 2 * RMP_SYNC_GB_PAGES, true), 0);
	KUNIT_EXPECT_EQ(test, emu_check(run->h), 0);

	/* quiesce: everything not leaked back to the host, then recover */
	for (pfn = 0; pfn < 2 * RMP_SYNC_GB_PAGES; pfn++) {
		struct rmp_sync_rmp_entry e;

		rmp_sync_swrmp_ops.lookup(emu_rmp(run->h), pfn, &e);
		if (!e.assigned)
			continue;
		if (IS_ALIGNED(pfn, RP) && e.level == PG_LEVEL_2M &&
		    !rmp_sync_make_shared(run->rs, pfn, PG_LEVEL_2M))
			continue;
		rmp_sync_make_shared(run->rs, pfn, PG_LEVEL_4K);
	}
	while (rmp_sync_recover(run->rs, 1024, true, NULL) > 0)
		;
	rmp_sync_get_stats(run->rs, &st);
	KUNIT_EXPECT_EQ(test, rmp_sync_check(run->rs, 0, 2 * RMP_SYNC_GB_PAGES, true), 0);
	KUNIT_EXPECT_EQ(test, emu_check(run->h), 0);
	/* S2: only regions holding leaked pages stay split (and mixed) */
	KUNIT_EXPECT_EQ(test, st.regions_pending, 0ULL);
	KUNIT_EXPECT_LE(test, st.regions_split, st.leaked_pages);
	KUNIT_EXPECT_LE(test, st.regions_mixed, st.leaked_pages);
	if (!st.leaked_pages)
		KUNIT_EXPECT_EQ(test, emu_boot_diff(run->h), 0UL);
	kunit_info(test, "%lu ops, %lu lookups, %llu splits, %llu collapses, %llu flushes",
		   run->ops, run->lookups, (unsigned long long)st.splits,
		   (unsigned long long)st.collapses_2m,
		   (unsigned long long)st.tlb_flushes);
}

static struct kunit_case rmp_sync_mt_test_cases[] = {
	KUNIT_CASE(rmp_sync_mt_test_stress),
	{}
};

static struct kunit_suite rmp_sync_mt_test_suite = {
	.name = "rmp_sync_mt",
	.test_cases = rmp_sync_mt_test_cases,
};
kunit_test_suites(&rmp_sync_mt_test_suite);
