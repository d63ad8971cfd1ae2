/* SPDX-License-Identifier: GPL-2.0 */
/* linux/percpu-rwsem.h: sharded pthread rwlocks. */
#ifndef _RMP_SYNC_SHIM_LINUX_PERCPU_RWSEM_H
#define _RMP_SYNC_SHIM_LINUX_PERCPU_RWSEM_H

#include <pthread.h>
#include <linux/types.h>

/*
 * Memory hotplug resize lock.  The kernel's percpu_rw_semaphore costs a
 * reader a per-CPU increment and shares no cache line between readers; one
 * pthread rwlock would make every transition write the same line, which
 * the kernel does not.  So one rwlock per shard, 128 bytes apart (the
 * adjacent-line prefetcher fetches 64-byte lines in pairs, so shards 64
 * bytes apart still bounced between CPUs): a reader takes its thread's
 * shard, a writer takes them all, in order.
 */
#define KSHIM_RWSEM_SHARDS 16
struct kshim_rwsem_shard {
	pthread_rwlock_t l;
} __attribute__((aligned(128)));
struct percpu_rw_semaphore {
	struct kshim_rwsem_shard s[KSHIM_RWSEM_SHARDS];
};
unsigned int kshim_thread_shard(void);
static inline int percpu_init_rwsem(struct percpu_rw_semaphore *s)
{
	int i, ret;

	for (i = 0; i < KSHIM_RWSEM_SHARDS; i++) {
		ret = pthread_rwlock_init(&s->s[i].l, NULL);
		if (ret) {
			while (i--)
				pthread_rwlock_destroy(&s->s[i].l);
			return -ret;
		}
	}
	return 0;
}

static inline void percpu_free_rwsem(struct percpu_rw_semaphore *s)
{
	int i;

	for (i = 0; i < KSHIM_RWSEM_SHARDS; i++)
		pthread_rwlock_destroy(&s->s[i].l);
}

#define percpu_down_read(sem) pthread_rwlock_rdlock(&(sem)->s[kshim_thread_shard()].l)
#define percpu_up_read(sem) pthread_rwlock_unlock(&(sem)->s[kshim_thread_shard()].l)

static inline void percpu_down_write(struct percpu_rw_semaphore *s)
{
	int i;

	for (i = 0; i < KSHIM_RWSEM_SHARDS; i++)
		pthread_rwlock_wrlock(&s->s[i].l);
}

static inline void percpu_up_write(struct percpu_rw_semaphore *s)
{
	int i;

	for (i = KSHIM_RWSEM_SHARDS - 1; i >= 0; i--)
		pthread_rwlock_unlock(&s->s[i].l);
}

#endif
