// SPDX-License-Identifier: GPL-2.0
/*
 * What the shim headers (linux/slab.h, printk.h, percpu-rwsem.h, ...) do
 * not inline: allocation with a failure point and a live-allocation count
 * for leak checks, the printk counters, kstrtouint().
 */
#include <malloc.h>
#include "kshim.h"
#include <linux/rmp_sync_debug.h>

int kshim_verbose;
unsigned long kshim_warnings;
unsigned long kshim_splats;
struct rmp_sync_fault_attr kshim_alloc_fault;
long kshim_allocs;
long kshim_live_allocs;
int kshim_rcu_hb;		/* see linux/rcupdate.h: TSan's view of a grace period */

/* A thread's shard of the percpu_rw_semaphore stand-in, fixed for its life. */
unsigned int kshim_thread_shard(void)
{
	static unsigned int next;
	static __thread int shard = -1;

	if (shard < 0)
		shard = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % KSHIM_RWSEM_SHARDS;
	return shard;
}

void *kshim_alloc(size_t size, bool zero, gfp_t gfp)
{
	void *p;
	int err;

	if (!(gfp & __GFP_NOFAIL) && rmp_sync_should_fail(&kshim_alloc_fault, &err))
		return NULL;
	p = zero ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
	if (p) {
		__atomic_add_fetch(&kshim_allocs, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&kshim_live_allocs, 1, __ATOMIC_RELAXED);
	}
	return p;
}

void kshim_free(const void *p)
{
	if (!p)
		return;
	__atomic_sub_fetch(&kshim_live_allocs, 1, __ATOMIC_RELAXED);
	free((void *)p);
}

void *kshim_alloc_percpu(size_t size)
{
	if (size > KSHIM_PCPU_UNIT)
		return NULL;
	return kshim_alloc((size_t)KSHIM_NR_CPUS * KSHIM_PCPU_UNIT, true, GFP_KERNEL);
}

size_t kshim_alloc_size(const void *p)
{
	return p ? malloc_usable_size((void *)p) : 0;
}

/* kstrtouint(): digits (an optional '+'), at most one trailing newline. */
int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long long v = 0;
	const char *p = s;

	if (*p == '+')
		p++;
	if (base != 10 || *p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > UINT_MAX)
			return -ERANGE;
	}
	if (*p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	*res = v;
	return 0;
}
