/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/percpu.h: per-CPU data as one copy per thread shard.
 *
 * A "CPU" is a thread's shard (kshim_thread_shard(), the same one the
 * percpu_rw_semaphore stand-in uses).  An allocation holds
 * KSHIM_NR_CPUS copies, KSHIM_PCPU_UNIT bytes apart, so that no two
 * shards' copies share a cache line, as no two CPUs' do in the kernel.
 * Threads that share a shard may add at the same time, so this_cpu_add()
 * is an atomic add (relaxed) where the kernel needs no lock prefix.
 */
#ifndef _RMP_SYNC_SHIM_LINUX_PERCPU_H
#define _RMP_SYNC_SHIM_LINUX_PERCPU_H

#include <linux/compiler.h>
#include <linux/percpu-rwsem.h>
#include <linux/slab.h>
#include <linux/types.h>

#define __percpu
#define KSHIM_NR_CPUS		KSHIM_RWSEM_SHARDS
#define KSHIM_PCPU_UNIT		1024

/* Zeroed, with the allocation failure point of kmalloc(). */
void *kshim_alloc_percpu(size_t size);

#define alloc_percpu(type) ({						\
	_Static_assert(sizeof(type) <= KSHIM_PCPU_UNIT,			\
		       "per-CPU object larger than KSHIM_PCPU_UNIT");	\
	(type *)kshim_alloc_percpu(sizeof(type));			\
})
#define free_percpu(p) kshim_free(p)

#define per_cpu_ptr(p, cpu)						\
	((typeof(p))((char *)(p) + (size_t)(cpu) * KSHIM_PCPU_UNIT))
#define this_cpu_ptr(p) per_cpu_ptr(p, kshim_thread_shard())
#define this_cpu_add(pcp, val)						\
	((void)__atomic_fetch_add(this_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED))
#define this_cpu_inc(pcp) this_cpu_add(pcp, 1)

#define for_each_possible_cpu(cpu)					\
	for ((cpu) = 0; (cpu) < KSHIM_NR_CPUS; (cpu)++)

#endif
