// SPDX-License-Identifier: GPL-2.0
/*
 * rmp_sync_test_host.h in the kernel: the software RMP paired with the real
 * direct map, for lib/test_rmp_sync.c under kunit.py (QEMU has no SNP).
 *
 * Each case gets a test window of real RAM: 2 GiB from alloc_contig_pages(),
 * hence 1G-aligned, so that the suite's 1G-edge cases fall inside pages it
 * owns.  The rmp_sync instance covers all RAM (max_pfn rounded up to 2M) but
 * the suite only changes the RMP state of pages inside the window.
 *
 * A host write (rst_write()) is a real store through the direct map,
 * preceded by the RMP write check the hardware would make at the level the
 * page is really mapped with (lookup_address()), done in software by
 * rmp_sync_swrmp_write_ok().  A failing check is the RMP #PF: -EFAULT.
 * The check cannot see stale TLB entries of another size; the order of
 * split and RMPUPDATE (S1) is checked instead at the moment each RMPUPDATE
 * lands, by the software RMP (rmp_sync_swrmp_check_order()).
 *
 * Teardown puts the window's direct map back as it was when the case
 * started (collapsing what is still split, re-enabling writes), then frees
 * the window.  Only ranges split on purpose with set_memory_4k() stay 4K;
 * that is the point of the _PAGE_KERNEL_4K mark.  So a window a case split
 * that way is not handed to another case: it stays allocated until the
 * suite ends, and the next case gets a fresh one.  No case depends on the
 * cases before it.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/cc_platform.h>
#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/khugepaged.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rmp_sync.h>
#include <linux/rmp_sync_swrmp.h>
#include <linux/set_memory.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>
#include <asm/set_memory.h>
#include "rmp_sync_test_host.h"

#define RST_WINDOW_PAGES	(2 * RMP_SYNC_GB_PAGES)
#define RST_MAX_RO		8
/* windows set_memory_4k() split for good, kept until the suite ends */
#define RST_MAX_RETIRED		2

struct rst_khost {
	struct rst_env *env;
	struct page *window;
	u64 base, nr_pages;
	/* leaf level of every 2M region of the window when the case began */
	u8 *boot_level;
	/* direct_map_leaves() and the window's own recount at that time */
	u64 dm_boot[PG_LEVEL_NUM];
	u64 win_boot[PG_LEVEL_NUM];
	/* the global comparison was skipped (CONFIG_CPA_DEBUG) */
	unsigned int foreign_seen;
	atomic_long_t rmp_faults;
	atomic_long_t flushes;
	struct rmp_sync_fault_attr split_fault;
	struct rmp_sync_fault_attr collapse_fault;
	/* pages made read-only by rst_set_ro(), restored at teardown */
	u64 ro[RST_MAX_RO];
	unsigned int nr_ro;
	/* rst_foreign_4k() split part of the window for good */
	bool foreign;
};

/*
 * One window is kept between cases: allocating and freeing 2 GiB for each
 * case costs seconds under KASAN in QEMU.  A window with a foreign split
 * is retired instead: freed, it would come back from alloc_contig_pages()
 * to the next case with that split in it.  rst_host_exit() frees them all
 * when the suite ends.  Protected by rst_window_lock.
 */
static DEFINE_MUTEX(rst_window_lock);
static struct page *rst_window_cache;
static struct page *rst_window_retired[RST_MAX_RETIRED];

static struct page *rst_window_get(void)
{
	struct page *window;

	mutex_lock(&rst_window_lock);
	window = rst_window_cache;
	rst_window_cache = NULL;
	mutex_unlock(&rst_window_lock);
#ifdef CONFIG_CONTIG_ALLOC
	/* RST_WINDOW_PAGES is a power of two: the range is aligned to its size. */
	if (!window)
		window = alloc_contig_pages(RST_WINDOW_PAGES, GFP_KERNEL | __GFP_NOWARN,
					    first_online_node, NULL);
#endif
	return window;
}

/*
 * Keep @window for the next case, or (@foreign: split for good) until the
 * suite ends.  Without room for it, free it: a later case that needs the
 * window at its boot layout then skips.
 */
static void rst_window_put(struct page *window, bool foreign)
{
	unsigned int i;

	mutex_lock(&rst_window_lock);
	if (!foreign && !rst_window_cache) {
		rst_window_cache = window;
		window = NULL;
	}
	for (i = 0; foreign && window && i < RST_MAX_RETIRED; i++) {
		if (!rst_window_retired[i]) {
			rst_window_retired[i] = window;
			window = NULL;
		}
	}
	mutex_unlock(&rst_window_lock);
	if (window)
		free_contig_range(page_to_pfn(window), RST_WINDOW_PAGES);
}

/**
 * rst_host_exit() - free the windows kept between cases.
 *
 * The suite's exit calls it: the cached window and the retired ones.
 */
void rst_host_exit(void)
{
	struct page *windows[RST_MAX_RETIRED + 1];
	unsigned int i;

	mutex_lock(&rst_window_lock);
	windows[0] = rst_window_cache;
	rst_window_cache = NULL;
	for (i = 0; i < RST_MAX_RETIRED; i++) {
		windows[i + 1] = rst_window_retired[i];
		rst_window_retired[i] = NULL;
	}
	mutex_unlock(&rst_window_lock);
	for (i = 0; i < ARRAY_SIZE(windows); i++)
		if (windows[i])
			free_contig_range(page_to_pfn(windows[i]), RST_WINDOW_PAGES);
}

static struct rst_khost *rst_host(struct rst_env *env)
{
	return env->host;
}

static int rst_kernel_level(u64 pfn)
{
	return rmp_sync_kernel_dmap_ops.level(NULL, pfn);
}

/* ---- direct-map backend: the kernel's, with fault points and counters - */

static int rst_dmap_level(void *priv, u64 pfn)
{
	return rst_kernel_level(pfn);
}

/* Injected failures do not apply to a @nofail split (__GFP_NOFAIL). */
static int rst_dmap_split(void *priv, u64 pfn, bool nofail, int *old_level)
{
	struct rst_khost *h = priv;
	int err, ret;

	if (!nofail && rmp_sync_should_fail(&h->split_fault, &err)) {
		*old_level = PG_LEVEL_NONE;
		return err;
	}
	ret = rmp_sync_kernel_dmap_ops.split(NULL, pfn, nofail, old_level);
	if (!ret && *old_level > PG_LEVEL_4K)
		atomic_long_inc(&h->flushes);	/* split_direct_map_2m() flushed */
	return ret;
}

static int rst_dmap_collapse(void *priv, u64 pfn, int level)
{
	struct rst_khost *h = priv;
	int err;

	if (rmp_sync_should_fail(&h->collapse_fault, &err))
		return err;
	return rmp_sync_kernel_dmap_ops.collapse(NULL, pfn, level);
}

static void rst_dmap_flush(void *priv)
{
	struct rst_khost *h = priv;

	atomic_long_inc(&h->flushes);
	rmp_sync_kernel_dmap_ops.flush(NULL);
}

static const struct rmp_sync_dmap_ops rst_dmap_ops = {
	.name = "kernel direct map (fault points)",
	.level = rst_dmap_level,
	.split = rst_dmap_split,
	.collapse = rst_dmap_collapse,
	.flush = rst_dmap_flush,
};

/* ---- the window ---------------------------------------------------------- */

/*
 * Leaves that map the window, per level; 4K regions are checked PTE by PTE
 * (present, PFN as expected).  -EIO on a bad PTE.
 */
static int rst_window_count(struct rst_khost *h, u64 count[PG_LEVEL_NUM])
{
	u64 nr = h->nr_pages / RMP_SYNC_REGION_PAGES, i, p;

	memset(count, 0, sizeof(u64) * PG_LEVEL_NUM);
	for (i = 0; i < nr; i++) {
		u64 pfn = h->base + i * RMP_SYNC_REGION_PAGES;
		int level = rst_kernel_level(pfn);

		switch (level) {
		case PG_LEVEL_1G:
			if (IS_ALIGNED(pfn, RMP_SYNC_GB_PAGES))
				count[PG_LEVEL_1G]++;
			break;
		case PG_LEVEL_2M:
			count[PG_LEVEL_2M]++;
			break;
		case PG_LEVEL_4K:
			for (p = pfn; p < pfn + RMP_SYNC_REGION_PAGES; p++) {
				unsigned int l;
				pte_t *pte = lookup_address((unsigned long)pfn_to_kaddr(p), &l);

				if (!pte || l != PG_LEVEL_4K || !pte_present(*pte) ||
				    pte_pfn(*pte) != p) {
					pr_err("rmp_sync test: PFN 0x%llx badly mapped in a 4K region\n",
					       (unsigned long long)p);
					return -EIO;
				}
			}
			count[PG_LEVEL_4K] += RMP_SYNC_REGION_PAGES;
			break;
		default:
			pr_err("rmp_sync test: window PFN 0x%llx not mapped\n",
			       (unsigned long long)pfn);
			return -EIO;
		}
	}
	return 0;
}

static void rst_direct_map_counts(u64 count[PG_LEVEL_NUM])
{
	int l;

	for (l = 0; l < PG_LEVEL_NUM; l++)
		count[l] = direct_map_leaves(l);
}

/*
 * Map the window with the largest leaves it can have before a case
 * starts: other kernel code may have split it since the last case (the
 * CPA self-test changes random direct-map pages), and a case that needs a
 * 1G window would skip.  Ranges split on purpose with set_memory_4k()
 * stay as they are.
 */
static void rst_window_normalize(struct rst_khost *h)
{
	u64 nr = h->nr_pages / RMP_SYNC_REGION_PAGES, i;
	bool changed = false;

	for (i = 0; i < nr; i++) {
		u64 pfn = h->base + i * RMP_SYNC_REGION_PAGES;

		if (rst_kernel_level(pfn) == PG_LEVEL_4K &&
		    collapse_direct_map((unsigned long)pfn_to_kaddr(pfn),
					PG_LEVEL_2M) == RMP_SYNC_COLLAPSED)
			changed = true;
	}
	for (i = 0; i < nr; i += RMP_SYNC_GB_REGIONS) {
		u64 pfn = h->base + i * RMP_SYNC_REGION_PAGES;

		if (rst_kernel_level(pfn) == PG_LEVEL_2M &&
		    collapse_direct_map((unsigned long)pfn_to_kaddr(pfn),
					PG_LEVEL_1G) == RMP_SYNC_COLLAPSED)
			changed = true;
	}
	if (changed)
		flush_direct_map_collapses();
}

/* Put the window's direct map back as it was when the case started. */
static void rst_window_restore(struct rst_khost *h)
{
	u64 nr = h->nr_pages / RMP_SYNC_REGION_PAGES, i;
	unsigned int j;
	int kept = 0;

	for (j = 0; j < h->nr_ro; j++)
		set_memory_rw((unsigned long)pfn_to_kaddr(h->ro[j]), 1);
	for (i = 0; i < nr; i++) {
		u64 pfn = h->base + i * RMP_SYNC_REGION_PAGES;

		if (h->boot_level[i] > PG_LEVEL_4K &&
		    rst_kernel_level(pfn) == PG_LEVEL_4K &&
		    collapse_direct_map((unsigned long)pfn_to_kaddr(pfn), PG_LEVEL_2M))
			kept++;
	}
	for (i = 0; i < nr; i += RMP_SYNC_GB_REGIONS) {
		u64 pfn = h->base + i * RMP_SYNC_REGION_PAGES;

		if (h->boot_level[i] == PG_LEVEL_1G &&
		    rst_kernel_level(pfn) == PG_LEVEL_2M)
			collapse_direct_map((unsigned long)pfn_to_kaddr(pfn), PG_LEVEL_1G);
	}
	flush_direct_map_collapses();
	if (kept)
		pr_info("rmp_sync test: %d window regions stay 4K (set_memory_4k())\n",
			kept);
}

static void rst_env_destroy(void *ctx)
{
	struct rst_env *env = ctx;
	struct rst_khost *h = env->host;

	rmp_sync_destroy(env->rs);
	env->rs = NULL;
	rmp_sync_swrmp_destroy(env->rmp);
	env->rmp = NULL;
	rst_window_restore(h);
	rst_window_put(h->window, h->foreign);
	kvfree(h->boot_level);
	kfree(h);
	env->host = NULL;
}

/**
 * rst_env_create() - a test window, a software RMP and an rmp_sync instance.
 * @test: the case; owns everything, which is torn down when it ends.
 * @opts: what the case asks for.
 *
 * Skips the case when it asks for a CPU the machine is not (no PSE, no
 * gbpages on a gbpages direct map) or when the window cannot be allocated.
 *
 * Return: the environment (never NULL: failures abort the case).
 */
struct rst_env *rst_env_create(struct kunit *test, const struct rst_opts *opts)
{
	struct rmp_sync_config cfg;
	struct rst_khost *h;
	struct rst_env *env;
	u64 i, nr_regions;

	/*
	 * On an SNP host the live RMP and the kernel's own instance own the
	 * direct map; a second instance over it with a software RMP would
	 * fight them.
	 */
	if (cc_platform_has(CC_ATTR_HOST_SEV_SNP))
		kunit_skip(test, "SEV-SNP host: the software RMP needs a host without SNP");
	if (opts->no_pse)
		kunit_skip(test, "a CPU without PSE is emulated in userspace only");
	if (opts->no_gbpages && boot_cpu_has(X86_FEATURE_GBPAGES))
		kunit_skip(test,
			   "direct map uses 1G pages; no-gbpages is emulated in userspace only");
	if (!IS_ENABLED(CONFIG_CONTIG_ALLOC) ||
	    !IS_BUILTIN(CONFIG_RMP_SYNC_KUNIT_TEST))
		kunit_skip(test, "needs alloc_contig_pages(): CONTIG_ALLOC, built-in suite");

	env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env);
	h = kzalloc_obj(*h, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	h->env = env;
	h->nr_pages = RST_WINDOW_PAGES;
	nr_regions = h->nr_pages / RMP_SYNC_REGION_PAGES;
	h->boot_level = kvcalloc(nr_regions, 1, GFP_KERNEL);
	if (h->boot_level)
		h->window = rst_window_get();
	if (!h->window) {
		kvfree(h->boot_level);
		kfree(h);
		kunit_skip(test, "no free 2 GiB 1G-aligned range of RAM for the test window");
	}
	h->base = page_to_pfn(h->window);
	rst_window_normalize(h);
	for (i = 0; i < nr_regions; i++)
		h->boot_level[i] = rst_kernel_level(h->base + i * RMP_SYNC_REGION_PAGES);
	rst_direct_map_counts(h->dm_boot);
	if (rst_window_count(h, h->win_boot))
		memset(h->win_boot, 0, sizeof(h->win_boot));

	env->host = h;
	env->base = h->base;
	env->nr_pages = h->nr_pages;
	env->ram_pages = ALIGN(max_pfn, RMP_SYNC_REGION_PAGES);
	/* The software write check is the same on every CPU: one suffices. */
	env->nr_cpus = 1;
	env->rmp = rmp_sync_swrmp_create(env->ram_pages);
	if (!env->rmp) {
		env->host = NULL;
		free_contig_range(h->base, h->nr_pages);
		kvfree(h->boot_level);
		kfree(h);
		KUNIT_FAIL_AND_ABORT(test, "cannot create the software RMP");
	}
	/* S1's order, as each RMPUPDATE lands; mode NONE breaks it on purpose */
	if (opts->mode != RMP_SYNC_MODE_NONE)
		rmp_sync_swrmp_check_order(env->rmp, rst_dmap_level, h);
	cfg = rst_config(env, opts);
	cfg.nr_pages = env->ram_pages;
	cfg.rmp_priv = env->rmp;
	cfg.dmap = &rst_dmap_ops;
	cfg.dmap_priv = h;
	env->cfg = cfg;
	env->rs = rmp_sync_create(&cfg);
	if (IS_ERR(env->rs)) {
		long err = PTR_ERR(env->rs);

		env->rs = NULL;
		rst_env_destroy(env);
		KUNIT_ASSERT_EQ(test, err, 0L);
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, rst_env_destroy, env), 0);
	if (h->boot_level[0] != PG_LEVEL_1G)
		kunit_info(test, "test window at PFN 0x%llx is not mapped with a 1G page\n",
			   (unsigned long long)h->base);
	return env;
}

static bool rst_in_window(struct rst_env *env, u64 pfn)
{
	return pfn >= env->base && pfn < env->base + env->nr_pages;
}

int rst_write(struct rst_env *env, unsigned int cpu, u64 pfn)
{
	struct rst_khost *h = rst_host(env);
	u64 val = pfn;
	int level;

	if (pfn >= env->ram_pages)
		return -EINVAL;
	level = rst_kernel_level(pfn);
	if (level == PG_LEVEL_NONE)
		return -EFAULT;
	if (!rmp_sync_swrmp_write_ok(env->rmp, pfn, level)) {
		atomic_long_inc(&h->rmp_faults);
		return -EFAULT;
	}
	/* Only pages the case owns are really written. */
	if (rst_in_window(env, pfn) &&
	    copy_to_kernel_nofault(pfn_to_kaddr(pfn), &val, sizeof(val)))
		return -EFAULT;
	return 0;
}

int rst_level(struct rst_env *env, u64 pfn)
{
	return rst_kernel_level(pfn);
}

/*
 * direct_pages_count[], which DirectMap4k/2M/1G show: what rmp_sync must
 * keep right (S3).  With CONFIG_CPA_DEBUG another kernel user changes it
 * at any time (see rst_host_check()): the window's own leaves then.
 */
void rst_directmap(struct rst_env *env, u64 *pages_4k, u64 *pages_2m,
		   u64 *pages_1g)
{
	u64 win[PG_LEVEL_NUM];

	if (rst_foreign_dmap_user() &&
	    !rst_window_count(rst_host(env), win)) {
		*pages_4k = win[PG_LEVEL_4K];
		*pages_2m = win[PG_LEVEL_2M];
		*pages_1g = win[PG_LEVEL_1G];
		return;
	}
	*pages_4k = direct_map_leaves(PG_LEVEL_4K);
	*pages_2m = direct_map_leaves(PG_LEVEL_2M);
	*pages_1g = direct_map_leaves(PG_LEVEL_1G);
}

/*
 * Regions of the window not at their level of the case's start.  Beside
 * another direct-map user (rst_foreign_dmap_user()), a region it split is
 * not rmp_sync's to restore: only a region mapped larger than at the start,
 * or one rmp_sync still holds split as its own without a leaked page in it,
 * counts then; whether 1G ranges come back is checked only without such a
 * user.
 */
unsigned long rst_boot_diff(struct rst_env *env)
{
	struct rst_khost *h = rst_host(env);
	u64 nr = h->nr_pages / RMP_SYNC_REGION_PAGES, i;
	unsigned long diff = 0;

	for (i = 0; i < nr; i++) {
		u64 pfn = h->base + i * RMP_SYNC_REGION_PAGES;
		int level = rst_kernel_level(pfn);
		struct rmp_sync_region_info info;

		if (level == h->boot_level[i])
			continue;
		if (!rst_foreign_dmap_user() || level > h->boot_level[i])
			diff++;
		else if (level == PG_LEVEL_4K && env->rs &&
			 !rmp_sync_region_info(env->rs, pfn, &info) &&
			 info.split && info.ours && !info.leaked)
			diff++;
	}
	return diff;
}

/**
 * rst_host_check() - check S1's order and recount the direct map.
 * @env: the case's environment.
 *
 * No RMPUPDATE may have made a region mixed while it was mapped large
 * (rmp_sync_swrmp_order_violations()).  Then the window's leaves are
 * recounted (every PTE of a 4K region checked) and
 * compared with direct_pages_count[]: both must have moved by the same
 * amount since the case began, which checks the DirectMap accounting of
 * rmp_sync's splits and collapses.  Other kernel code may change the
 * direct map meanwhile (the CPA self-test of CONFIG_CPA_DEBUG does, on
 * random pages, every 30 s): counts alone cannot tell its changes from a
 * wrong count of rmp_sync's, so with CONFIG_CPA_DEBUG only the window
 * itself is checked (and that is said once per case).  The default KUnit
 * configuration has no other direct-map user, and compares.
 *
 * Return: 0, -EFAULT (S1's order broken) or -EIO (a bad PTE, or counts
 * that moved apart).
 */
int rst_host_check(struct rst_env *env)
{
	unsigned long late = rmp_sync_swrmp_order_violations(env->rmp);
	struct rst_khost *h = rst_host(env);
	u64 now[PG_LEVEL_NUM], win[PG_LEVEL_NUM];
	int l, ret;

	if (late) {
		pr_err("rmp_sync test: S1: %lu RMPUPDATE(s) made a region mixed while it was mapped large\n",
		       late);
		return -EFAULT;
	}
	ret = rst_window_count(h, win);
	if (ret)
		return ret;
	/* Another direct-map user: the global counts prove nothing. */
	if (rst_foreign_dmap_user()) {
		if (!h->foreign_seen++)
			pr_info("rmp_sync test: CONFIG_CPA_DEBUG changes the direct map too: only the window is checked\n");
		return 0;
	}
	rst_direct_map_counts(now);
	for (l = PG_LEVEL_4K; l <= PG_LEVEL_1G; l++) {
		if (now[l] - h->dm_boot[l] != win[l] - h->win_boot[l]) {
			pr_err("rmp_sync test: level %d: direct_pages_count moved by %lld, the window by %lld\n",
			       l, (long long)(now[l] - h->dm_boot[l]),
			       (long long)(win[l] - h->win_boot[l]));
			return -EIO;
		}
	}
	return 0;
}

u64 rst_rmp_faults(struct rst_env *env)
{
	return atomic_long_read(&rst_host(env)->rmp_faults);
}

u64 rst_flushes(struct rst_env *env)
{
	return atomic_long_read(&rst_host(env)->flushes);
}

/**
 * rst_host_fault() - the kernel host's failure points.
 * @env: the case's environment.
 * @f: RST_FAULT_SPLIT or RST_FAULT_COLLAPSE (the wrapped direct-map
 *	backend's), or RST_FAULT_ALLOC (the core's allocations).
 *
 * Return: the failure point, or NULL for another @f.
 */
struct rmp_sync_fault_attr *rst_host_fault(struct rst_env *env, enum rst_fault f)
{
	switch (f) {
	case RST_FAULT_SPLIT:
		return &rst_host(env)->split_fault;
	case RST_FAULT_COLLAPSE:
		return &rst_host(env)->collapse_fault;
	case RST_FAULT_ALLOC:
		return &rmp_sync_alloc_fault;
	default:
		return NULL;
	}
}

/**
 * rst_foreign_4k() - split one page to 4K on purpose, as other kernel
 *	users do (set_memory_4k()).
 * @env: the case's environment.
 * @pfn: a page of the test window.
 *
 * The split is for good: the window is retired at teardown, not handed to
 * the next case.
 *
 * Return: 0, -EINVAL outside the window, or set_memory_4k()'s error.
 */
int rst_foreign_4k(struct rst_env *env, u64 pfn)
{
	if (!rst_in_window(env, pfn))
		return -EINVAL;
	rst_host(env)->foreign = true;
	return set_memory_4k((unsigned long)pfn_to_kaddr(pfn), 1);
}

int rst_set_ro(struct rst_env *env, u64 pfn, bool ro)
{
	struct rst_khost *h = rst_host(env);
	unsigned long addr = (unsigned long)pfn_to_kaddr(pfn);

	if (!rst_in_window(env, pfn))
		return -EINVAL;
	if (!ro)
		return set_memory_rw(addr, 1);
	if (h->nr_ro == RST_MAX_RO)
		return -ENOSPC;
	h->ro[h->nr_ro++] = pfn;
	return set_memory_ro(addr, 1);
}

/**
 * rst_hot_readd() - the direct map after memory hot-remove and hot-add of
 *	a range of the test window.
 * @env: the case's environment.
 * @pfn: first page, 2M-aligned.
 * @nr_pages: pages, a multiple of 2M.
 *
 * The suite cannot unplug RAM it runs on.  What matters to rmp_sync is
 * what arch_add_memory() leaves behind, a range mapped with the largest
 * leaves again behind its back, and that is what this does: each 4K
 * region of the range is collapsed back to 2M, each whole 1G range back to
 * 1G where the direct map has gbpages, then one flush.  Only a
 * set_memory_4k() split stays (hot-add would drop it; nothing here can).
 *
 * Return: 0, or -EINVAL for a range that is not 2M-aligned and inside
 * the window.
 */
int rst_hot_readd(struct rst_env *env, u64 pfn, u64 nr_pages)
{
	struct rst_khost *h = rst_host(env);
	u64 p;

	if (!nr_pages || !IS_ALIGNED(pfn | nr_pages, RMP_SYNC_REGION_PAGES) ||
	    !rst_in_window(env, pfn) || !rst_in_window(env, pfn + nr_pages - 1))
		return -EINVAL;
	for (p = pfn; p < pfn + nr_pages; p += RMP_SYNC_REGION_PAGES)
		if (rst_kernel_level(p) == PG_LEVEL_4K)
			collapse_direct_map((unsigned long)pfn_to_kaddr(p), PG_LEVEL_2M);
	for (p = ALIGN(pfn, RMP_SYNC_GB_PAGES); p + RMP_SYNC_GB_PAGES <= pfn + nr_pages;
	     p += RMP_SYNC_GB_PAGES)
		if (boot_cpu_has(X86_FEATURE_GBPAGES) &&
		    rst_kernel_level(p) == PG_LEVEL_2M)
			collapse_direct_map((unsigned long)pfn_to_kaddr(p), PG_LEVEL_1G);
	atomic_long_inc(&h->flushes);
	flush_direct_map_collapses();
	return 0;
}

static void rst_background_stop(void *ctx)
{
	struct rst_env *env = ctx;

	rmp_sync_host_detach(env->rs);
	WRITE_ONCE(env->kick_fn, NULL);
}

int rst_background_start(struct kunit *test, struct rst_env *env)
{
	int ret = rmp_sync_host_attach(env->rs);

	if (ret)
		return ret;
	WRITE_ONCE(env->kick_fn, rmp_sync_host_kick);
	return kunit_add_action_or_reset(test, rst_background_stop, env);
}

struct rst_thread {
	void (*fn)(void *arg, unsigned int id);
	void *arg;
	unsigned int id;
	struct completion done;
};

static int rst_thread_fn(void *data)
{
	struct rst_thread *t = data;

	t->fn(t->arg, t->id);
	complete(&t->done);
	return 0;
}

int rst_run_threads(struct rst_env *env, unsigned int n,
		    void (*fn)(void *arg, unsigned int id), void *arg)
{
	struct rst_thread *t = kcalloc(n, sizeof(*t), GFP_KERNEL);
	unsigned int i, started = 0;
	int ret = 0;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct task_struct *task;

		t[i] = (struct rst_thread){ .fn = fn, .arg = arg, .id = i };
		init_completion(&t[i].done);
		task = kthread_run(rst_thread_fn, &t[i], "rmp_sync_test/%u", i);
		if (IS_ERR(task)) {
			ret = PTR_ERR(task);
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		wait_for_completion(&t[i].done);
	kfree(t);
	return ret;
}

bool rst_window_pristine(struct rst_env *env)
{
	struct rst_khost *h = rst_host(env);
	u64 i;

	for (i = 0; i < h->nr_pages / RMP_SYNC_REGION_PAGES; i++)
		if (h->boot_level[i] != PG_LEVEL_1G)
			return false;
	return true;
}

bool rst_vm_events(struct rst_env *env, u64 *l2, u64 *l3)
{
	unsigned long *ev = kcalloc(NR_VM_EVENT_ITEMS, sizeof(*ev), GFP_KERNEL);

	*l2 = 0;
	*l3 = 0;
	if (!ev)
		return false;
	all_vm_events(ev);
	*l2 = ev[DIRECT_MAP_LEVEL2_COLLAPSE];
	*l3 = ev[DIRECT_MAP_LEVEL3_COLLAPSE];
	kfree(ev);
	return IS_ENABLED(CONFIG_VM_EVENT_COUNTERS) && system_state == SYSTEM_RUNNING;
}

bool rst_foreign_dmap_user(void)
{
	return IS_ENABLED(CONFIG_CPA_DEBUG);
}

bool rst_khugepaged_runs(void)
{
	/* Wakes khugepaged, if it runs, for nothing: harmless. */
	return khugepaged_wake_kernel_work();
}

void rst_background_passes(struct rst_env *env, unsigned long *khugepaged,
			   unsigned long *worker)
{
	*khugepaged = rmp_sync_host_passes(RMP_SYNC_DRIVER_KHUGEPAGED);
	*worker = rmp_sync_host_passes(RMP_SYNC_DRIVER_WORKER);
}
