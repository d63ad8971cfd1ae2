// SPDX-License-Identifier: GPL-2.0
/* rmp_sync_test_host.h on the emulated SNP host (emu.c). */
#include "rmp_sync_test_host.h"
#include "emu.h"

static u64 rst_clock(void *priv)
{
	return READ_ONCE(((struct rst_env *)priv)->clock_ms);
}

static void rst_env_destroy(void *ctx)
{
	struct rst_env *env = ctx;

	rmp_sync_destroy(env->rs);
	emu_destroy(env->host);
	env->rs = NULL;
	env->host = NULL;
}

struct rst_env *rst_env_create(struct kunit *test, const struct rst_opts *opts)
{
	struct rst_env *env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	struct emu_config ec = {
		.mem_bytes = opts->mem_bytes ? opts->mem_bytes : 4ULL << 30,
		.nr_cpus = opts->nr_cpus ? opts->nr_cpus : 2,
		.pse = !opts->no_pse,
		.gbpages = !opts->no_pse && !opts->no_gbpages,
	};
	struct rmp_sync_config cfg = {
		.rmp = &rmp_sync_swrmp_ops,
		.dmap = &emu_dmap_ops,
		.clock_ms = rst_clock,
		.mode = opts->mode,
		.collapse_delay_ms = opts->collapse_delay_ms,
		.defrag_1g = !opts->no_defrag_1g,
	};
	struct emu_host *h;

	KUNIT_ASSERT_NOT_NULL(test, env);
	cfg.clock_priv = env;
	h = emu_create(&ec);
	KUNIT_ASSERT_NOT_NULL(test, h);
	env->host = h;
	env->rmp = emu_rmp(h);
	env->nr_cpus = ec.nr_cpus;
	env->ram_pages = ec.mem_bytes >> PAGE_SHIFT;
	env->base = 0;
	env->nr_pages = env->ram_pages;
	cfg.nr_pages = env->ram_pages;
	cfg.rmp_priv = env->rmp;
	cfg.dmap_priv = h;
	env->rs = rmp_sync_create(&cfg);
	if (IS_ERR(env->rs)) {
		long err = PTR_ERR(env->rs);

		env->rs = NULL;
		emu_destroy(h);
		env->host = NULL;
		KUNIT_ASSERT_EQ(test, err, 0L);
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, rst_env_destroy, env), 0);
	return env;
}

int rst_write(struct rst_env *env, unsigned int cpu, u64 pfn)
{
	return emu_write(env->host, cpu, pfn);
}

int rst_level(struct rst_env *env, u64 pfn)
{
	return emu_level(env->host, pfn);
}

void rst_directmap(struct rst_env *env, u64 *pages_4k, u64 *pages_2m,
		   u64 *pages_1g)
{
	emu_directmap(env->host, pages_4k, pages_2m, pages_1g);
}

unsigned long rst_boot_diff(struct rst_env *env)
{
	return emu_boot_diff(env->host);
}

int rst_host_check(struct rst_env *env)
{
	return emu_check(env->host);
}

u64 rst_rmp_faults(struct rst_env *env)
{
	struct emu_stats st;

	emu_get_stats(env->host, &st);
	return st.rmp_faults;
}

u64 rst_flushes(struct rst_env *env)
{
	struct emu_stats st;

	emu_get_stats(env->host, &st);
	return st.flushes;
}

struct rmp_sync_fault *rst_fault(struct rst_env *env, enum rst_fault f)
{
	switch (f) {
	case RST_FAULT_RMPUPDATE:
		return rmp_sync_swrmp_fault(env->rmp, RMP_SYNC_SWRMP_UPDATE);
	case RST_FAULT_PSMASH:
		return rmp_sync_swrmp_fault(env->rmp, RMP_SYNC_SWRMP_PSMASH);
	case RST_FAULT_SPLIT:
		return emu_fault(env->host, EMU_FAULT_SPLIT);
	case RST_FAULT_COLLAPSE:
		return emu_fault(env->host, EMU_FAULT_COLLAPSE);
	default:
		return NULL;
	}
}

int rst_foreign_4k(struct rst_env *env, u64 pfn)
{
	return emu_set_memory_4k(env->host, pfn);
}

int rst_set_ro(struct rst_env *env, u64 pfn, bool ro)
{
	return ro ? emu_set_attr(env->host, pfn, 0, EMU_PTE_RW) :
		    emu_set_attr(env->host, pfn, EMU_PTE_RW, 0);
}

bool rst_fail_alloc(struct rst_env *env, long nth)
{
	__atomic_store_n(&kshim_fail_alloc_at, nth, __ATOMIC_RELAXED);
	return true;
}
