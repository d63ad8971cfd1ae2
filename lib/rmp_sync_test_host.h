/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine lib/test_rmp_sync.c runs on.  In userspace
 * (tools/testing/rmp_sync/test_host.c) it is the emulated SNP host: software
 * RMP, emulated page tables, CPUs with TLBs.  In the kernel
 * (lib/rmp_sync_test_host.c) it is the software RMP paired with the real
 * direct map, over a test window of real RAM.
 */
#ifndef _RMP_SYNC_TEST_HOST_H
#define _RMP_SYNC_TEST_HOST_H

#include <kunit/test.h>
#include <linux/rmp_sync.h>
#include <linux/rmp_sync_swrmp.h>

struct rst_opts {
	u64 mem_bytes;			/* RAM, userspace only; 0: 4 GiB */
	unsigned int nr_cpus;		/* 0: 2 */
	bool no_pse;			/* boot map 4K, no collapse possible */
	bool no_gbpages;		/* no 1G leaves */
	enum rmp_sync_mode mode;
	unsigned int collapse_delay_millisecs;
	bool no_defrag_1g;
};

/*
 * Where a failure can be injected: a backend operation, or an allocation
 * (userspace fails any allocation, core and host; the kernel the core's).
 */
enum rst_fault {
	RST_FAULT_RMPUPDATE,
	RST_FAULT_PSMASH,
	RST_FAULT_SPLIT,
	RST_FAULT_COLLAPSE,
	RST_FAULT_ALLOC,
	RST_NR_FAULTS
};

struct rst_env {
	struct rmp_sync *rs;
	struct rmp_sync_swrmp *rmp;
	u64 base;			/* first PFN the tests may use, 1G-aligned */
	u64 nr_pages;			/* pages from @base */
	u64 ram_pages;			/* RAM the instance covers */
	unsigned int nr_cpus;
	u64 clock_ms;			/* the instance's clock */
	atomic_t kicks;			/* the instance's kick() calls */
	void (*kick_fn)(void *priv);	/* ... also passed on here, if set */
	struct rmp_sync_config cfg;	/* how @rs was made, to make another */
	void *host;
};

/* The instance's clock and kick(), the same on both hosts. */
static inline u64 rst_clock(void *priv)
{
	return READ_ONCE(((struct rst_env *)priv)->clock_ms);
}

static inline void rst_kick(void *priv)
{
	struct rst_env *env = priv;

	atomic_inc(&env->kicks);
	if (env->kick_fn)
		env->kick_fn(NULL);
}

/*
 * What both hosts give rmp_sync_create() for @opts: the order-checked
 * software RMP, the clock and kick() above.  The host fills in the RAM
 * covered, its direct-map backend and the backends' arguments.
 */
static inline struct rmp_sync_config rst_config(struct rst_env *env,
						const struct rst_opts *opts)
{
	return (struct rmp_sync_config){
		.rmp = &rmp_sync_swrmp_checked_ops,
		.clock_ms = rst_clock,
		.clock_priv = env,
		.kick = rst_kick,
		.kick_priv = env,
		.mode = opts->mode,
		.collapse_delay_millisecs = opts->collapse_delay_millisecs,
		.defrag_1g = !opts->no_defrag_1g,
	};
}

/*
 * Run @fn(@arg, id) on @n threads at once (kthreads in the kernel,
 * pthreads in userspace) and wait for all of them: 0 or -errno.
 */
int rst_run_threads(struct rst_env *env, unsigned int n,
		    void (*fn)(void *arg, unsigned int id), void *arg);
/* Release what the host keeps between cases; the suite's exit calls it. */
void rst_host_exit(void);
/* Build host + instance, owned by @test: torn down when the case ends. */
struct rst_env *rst_env_create(struct kunit *test, const struct rst_opts *opts);
/* A host write to @pfn from @cpu: 0, -EFAULT (RMP #PF), other -errno. */
int rst_write(struct rst_env *env, unsigned int cpu, u64 pfn);
int rst_level(struct rst_env *env, u64 pfn);
void rst_directmap(struct rst_env *env, u64 *pages_4k, u64 *pages_2m,
		   u64 *pages_1g);
/* 2M regions of the test window not mapped as at boot. */
unsigned long rst_boot_diff(struct rst_env *env);
/* Recount the host's page tables against its counters. */
int rst_host_check(struct rst_env *env);
u64 rst_rmp_faults(struct rst_env *env);
u64 rst_flushes(struct rst_env *env);
/* The host's failure points: split, collapse, allocation; NULL else. */
struct rmp_sync_fault_attr *rst_host_fault(struct rst_env *env, enum rst_fault f);

/* The failure point @f, to arm with rmp_sync_fault_arm(). */
static inline struct rmp_sync_fault_attr *
rst_fault(struct rst_env *env, enum rst_fault f)
{
	switch (f) {
	case RST_FAULT_RMPUPDATE:
		return rmp_sync_swrmp_fault(env->rmp, RMP_SYNC_SWRMP_UPDATE);
	case RST_FAULT_PSMASH:
		return rmp_sync_swrmp_fault(env->rmp, RMP_SYNC_SWRMP_PSMASH);
	default:
		return rst_host_fault(env, f);
	}
}

/* Other kernel users: a deliberate 4K split; a read-only page. */
int rst_foreign_4k(struct rst_env *env, u64 pfn);
int rst_set_ro(struct rst_env *env, u64 pfn, bool ro);
/*
 * What memory hot-remove and a later hot-add of [@pfn, @pfn + @nr_pages)
 * (2M-aligned, in the test window) do to the direct map behind rmp_sync's
 * back: the range is mapped with the largest leaves again.  0 or -EINVAL.
 */
int rst_hot_readd(struct rst_env *env, u64 pfn, u64 nr_pages);
/*
 * Let the host's background recovery (kernel: khugepaged or the fallback
 * work, arch/x86/mm/rmp_sync_kernel.c) run @env's passes until the case
 * ends: 0, or -EOPNOTSUPP (no such runner here) / -EBUSY (a real instance
 * is attached).  rst_background_passes() counts its passes per driver.
 */
int rst_background_start(struct kunit *test, struct rst_env *env);
void rst_background_passes(struct rst_env *env, unsigned long *khugepaged,
			   unsigned long *worker);
/*
 * Was the whole test window mapped with 1G leaves when the case began?
 * Always in userspace; in the kernel, not where the direct map has no 1G
 * leaf there (no gbpages, another kernel user's split).
 */
bool rst_window_pristine(struct rst_env *env);
/*
 * The vmstat events direct_map_level{2,3}_collapses; true if the host
 * counts them now (the kernel once the system runs, as for the split
 * events; never in userspace, which has no vmstat).
 */
bool rst_vm_events(struct rst_env *env, u64 *l2, u64 *l3);
/* Does khugepaged run (THP built in and not "never")? */
bool rst_khugepaged_runs(void);
/*
 * Does another kernel user change the direct map while cases run (the CPA
 * self-test of CONFIG_CPA_DEBUG)?  Then only the window's own state, and
 * only what no foreign split can change, is compared.
 */
bool rst_foreign_dmap_user(void);
#endif /* _RMP_SYNC_TEST_HOST_H */
