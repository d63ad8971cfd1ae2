// SPDX-License-Identifier: GPL-2.0
/* rmp_sync_test_host.h on the emulated SNP host (emu.c). */
#include "rmp_sync_test_host.h"
#include "emu.h"

static void rst_env_destroy(void *ctx)
{
	struct rst_env *env = ctx;

	emu_instance_destroy(env->host);
	kfree(env->host);
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
	struct rmp_sync_config cfg;
	struct emu_instance *in;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, env);
	cfg = rst_config(env, opts);
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, in);
	ret = emu_instance_create(in, &ec, &cfg);
	if (ret)
		kfree(in);
	KUNIT_ASSERT_EQ(test, ret, 0);
	env->host = in;
	env->rs = in->rs;
	env->rmp = emu_rmp(in->h);
	/* S1's order, as each RMPUPDATE lands; mode NONE breaks it on purpose */
	if (opts->mode != RMP_SYNC_MODE_NONE)
		rmp_sync_swrmp_check_order(env->rmp, emu_dmap_ops.level, in->h);
	env->nr_cpus = ec.nr_cpus;
	env->ram_pages = ec.mem_bytes >> PAGE_SHIFT;
	env->base = 0;
	env->nr_pages = env->ram_pages;
	env->cfg = cfg;
	env->cfg.nr_pages = env->ram_pages;
	env->cfg.rmp_priv = env->rmp;
	env->cfg.dmap = &emu_dmap_ops;
	env->cfg.dmap_priv = in->h;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, rst_env_destroy, env), 0);
	return env;
}

static struct emu_host *rst_emu(struct rst_env *env)
{
	return ((struct emu_instance *)env->host)->h;
}

int rst_write(struct rst_env *env, unsigned int cpu, u64 pfn)
{
	return emu_write(rst_emu(env), cpu, pfn);
}

int rst_level(struct rst_env *env, u64 pfn)
{
	return emu_level(rst_emu(env), pfn);
}

void rst_directmap(struct rst_env *env, u64 *pages_4k, u64 *pages_2m,
		   u64 *pages_1g)
{
	emu_directmap(rst_emu(env), pages_4k, pages_2m, pages_1g);
}

unsigned long rst_boot_diff(struct rst_env *env)
{
	return emu_boot_diff(rst_emu(env));
}

int rst_host_check(struct rst_env *env)
{
	unsigned long late = rmp_sync_swrmp_order_violations(env->rmp);

	if (late) {
		pr_err("S1: %lu RMPUPDATE(s) made a region mixed while it was mapped large\n",
		       late);
		return -EFAULT;
	}
	return emu_check(rst_emu(env));
}

u64 rst_rmp_faults(struct rst_env *env)
{
	struct emu_stats st;

	emu_get_stats(rst_emu(env), &st);
	return st.rmp_faults;
}

u64 rst_flushes(struct rst_env *env)
{
	struct emu_stats st;

	emu_get_stats(rst_emu(env), &st);
	return st.flushes;
}

struct rmp_sync_fault_attr *rst_host_fault(struct rst_env *env, enum rst_fault f)
{
	switch (f) {
	case RST_FAULT_SPLIT:
		return emu_fault(rst_emu(env), EMU_FAULT_SPLIT);
	case RST_FAULT_COLLAPSE:
		return emu_fault(rst_emu(env), EMU_FAULT_COLLAPSE);
	case RST_FAULT_ALLOC:
		return &kshim_alloc_fault;
	default:
		return NULL;
	}
}

int rst_foreign_4k(struct rst_env *env, u64 pfn)
{
	return emu_set_memory_4k(rst_emu(env), pfn);
}

int rst_set_ro(struct rst_env *env, u64 pfn, bool ro)
{
	return ro ? emu_set_attr(rst_emu(env), pfn, 0, EMU_PTE_RW) :
		    emu_set_attr(rst_emu(env), pfn, EMU_PTE_RW, 0);
}

int rst_hot_readd(struct rst_env *env, u64 pfn, u64 nr_pages)
{
	return emu_memory_readd(rst_emu(env), pfn, nr_pages);
}

/* The simulator and the tests drive rmp_sync_background() themselves. */
int rst_background_start(struct kunit *test, struct rst_env *env)
{
	return -EOPNOTSUPP;
}

void rst_background_passes(struct rst_env *env, unsigned long *khugepaged,
			   unsigned long *worker)
{
	*khugepaged = 0;
	*worker = 0;
}

struct rst_thread {
	void (*fn)(void *arg, unsigned int id);
	void *arg;
	unsigned int id;
	pthread_t tid;
};

static void *rst_thread_fn(void *data)
{
	struct rst_thread *t = data;

	rcu_register_thread();
	t->fn(t->arg, t->id);
	rcu_unregister_thread();
	return NULL;
}

int rst_run_threads(struct rst_env *env, unsigned int n,
		    void (*fn)(void *arg, unsigned int id), void *arg)
{
	struct rst_thread *t = calloc(n, sizeof(*t));
	unsigned int i, started = 0;
	int ret = 0;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		t[i] = (struct rst_thread){ .fn = fn, .arg = arg, .id = i };
		if (pthread_create(&t[i].tid, NULL, rst_thread_fn, &t[i])) {
			ret = -EAGAIN;
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(t[i].tid, NULL);
	free(t);
	return ret;
}

void rst_host_exit(void)
{
	/* nothing is kept between cases here */
}

bool rst_window_pristine(struct rst_env *env)
{
	return true;	/* a new emulated host for every case */
}

bool rst_vm_events(struct rst_env *env, u64 *l2, u64 *l3)
{
	*l2 = 0;
	*l3 = 0;
	return false;	/* the emulated host keeps DirectMap counts, not vmstat */
}

bool rst_foreign_dmap_user(void)
{
	return false;	/* nothing else changes the emulated direct map */
}

bool rst_khugepaged_runs(void)
{
	return false;
}
