/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel interfaces that arch/x86/mm/rmp_sync.c, the software RMP
 * and lib/test_rmp_sync.c use, implemented for userspace: pthreads for locks,
 * liburcu for RCU, GCC atomics for atomic_t and the bit operations, libc for
 * allocation (with a fault-injection countdown).  Every linux/ and asm/
 * header in this directory forwards here.
 */
#ifndef _RMP_SYNC_KSHIM_H
#define _RMP_SYNC_KSHIM_H

#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu.h>

/*
 * liburcu is the RCU here.  tools/include/linux/kernel.h once defined
 * synchronize_rcu() as an empty function-like macro, and RCU silently
 * stopped waiting.  Take the address of the real thing: that does not
 * compile if synchronize_rcu is anything but liburcu's function.
 */
static void (*const kshim_synchronize_rcu_is_real)(void) __attribute__((unused)) =
	synchronize_rcu;

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned long long ull;

#define __init
#define __exit
#define __read_mostly
#define __must_check __attribute__((warn_unused_result))
#define __maybe_unused __attribute__((unused))
#define __always_unused __attribute__((unused))
#define __acquires(x)
#define __releases(x)
#define __rcu
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define EXPORT_SYMBOL_GPL(sym)
#define EXPORT_SYMBOL(sym)
#define MODULE_LICENSE(x)
#define MODULE_DESCRIPTION(x)

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PMD_SHIFT 21
#define PUD_SHIFT 30
#define PTRS_PER_PTE 512
#define PTRS_PER_PMD 512
#define PTRS_PER_PUD 512

#define BIT(n) (1UL << (n))
#define BIT_ULL(n) (1ULL << (n))
#define MSEC_PER_SEC 1000L
#define U64_MAX ((u64)~0ULL)
#define GENMASK(h, l) (((~0UL) << (l)) & (~0UL >> (63 - (h))))
#define BITS_PER_LONG 64
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define round_up(x, y) ((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define round_down(x, y) ((x) & ~((__typeof__(x))((y) - 1)))
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)
#define ALIGN_DOWN(x, a) ((x) & ~((typeof(x))(a) - 1))
#define ALIGN(x, a) ALIGN_DOWN((x) + (a) - 1, (a))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
/* Each argument evaluated once, as the kernel's. */
#define min(a, b) ({ __typeof__(a) __a = (a); __typeof__(b) __b = (b);	\
		     __a < __b ? __a : __b; })
#define max(a, b) ({ __typeof__(a) __a = (a); __typeof__(b) __b = (b);	\
		     __a > __b ? __a : __b; })
#define min_t(t, a, b) ({ t __a = (a); t __b = (b); __a < __b ? __a : __b; })
#define max_t(t, a, b) ({ t __a = (a); t __b = (b); __a > __b ? __a : __b; })
#define swap(a, b) do { typeof(a) __t = (a); (a) = (b); (b) = __t; } while (0)
#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)
#define container_of(p, t, m) ((t *)((char *)(p) - offsetof(t, m)))

#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define cpu_relax() sched_yield()
#define cond_resched() do { } while (0)
#define might_sleep() do { } while (0)

/*
 * Printing.  pr_err() always reaches stderr, lower levels only with -v; all
 * are counted.  WARN_ON() is a splat: counted in kshim_splats, and the
 * runner fails the case that printed it, as a kunit.py run would.
 */
extern int kshim_verbose;
extern unsigned long kshim_warnings;	/* pr_warn and pr_err */
extern unsigned long kshim_splats;	/* WARN_ON, BUG_ON */
#define __kshim_pr(lvl, counter, loud, fmt, ...) do {			\
	unsigned long *__ctr = (counter);				\
	if (__ctr)							\
		__atomic_add_fetch(__ctr, 1, __ATOMIC_RELAXED);		\
	if (kshim_verbose > 0 || (loud))				\
		fprintf(stderr, lvl pr_fmt(fmt), ##__VA_ARGS__);	\
} while (0)
#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_err(fmt, ...) __kshim_pr("err: ", &kshim_warnings, 1, fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) __kshim_pr("warn: ", &kshim_warnings, 0, fmt, ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...) pr_warn(fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) __kshim_pr("", (unsigned long *)NULL, 0, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) do { } while (0)
#define WARN_ON_ONCE(c) ({						\
	bool __c = !!(c);						\
	if (__c)							\
		__kshim_pr("WARNING: ", &kshim_splats, 1, "%s:%d: %s\n", \
			   __FILE__, __LINE__, #c);			\
	__c;								\
})
#define WARN_ON(c) WARN_ON_ONCE(c)
#define BUG_ON(c) do { if (c) abort(); } while (0)

/* atomic_t and atomic_long_t */
typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;
#define ATOMIC_INIT(i) { (i) }
#define atomic_read(v) __atomic_load_n(&(v)->counter, __ATOMIC_RELAXED)
#define atomic_set(v, i) __atomic_store_n(&(v)->counter, (i), __ATOMIC_RELAXED)
#define atomic_inc(v) ((void)__atomic_add_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST))
#define atomic_add(i, v) ((void)__atomic_add_fetch(&(v)->counter, (i), __ATOMIC_SEQ_CST))
#define atomic_dec(v) ((void)__atomic_sub_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST))
#define atomic_inc_return(v) __atomic_add_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST)
#define atomic_xchg(v, i) __atomic_exchange_n(&(v)->counter, (i), __ATOMIC_SEQ_CST)
#define atomic_cmpxchg(v, o, n) ({ int __o = (o);			\
	__atomic_compare_exchange_n(&(v)->counter, &__o, (n), false,	\
		__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); __o; })
#define atomic_long_read(v) __atomic_load_n(&(v)->counter, __ATOMIC_RELAXED)
#define atomic_long_set(v, i) __atomic_store_n(&(v)->counter, (i), __ATOMIC_RELAXED)
#define atomic_long_inc(v) ((void)__atomic_add_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST))
#define atomic_long_inc_return(v) __atomic_add_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST)
#define atomic_long_dec(v) ((void)__atomic_sub_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST))
#define atomic_long_add(i, v) ((void)__atomic_add_fetch(&(v)->counter, (i), __ATOMIC_SEQ_CST))
#define atomic_long_sub(i, v) ((void)__atomic_sub_fetch(&(v)->counter, (i), __ATOMIC_SEQ_CST))
#define atomic_long_xchg(v, i) __atomic_exchange_n(&(v)->counter, (i), __ATOMIC_SEQ_CST)
#define atomic_long_try_cmpxchg(v, o, n)				\
	__atomic_compare_exchange_n(&(v)->counter, (o), (n), false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

/* Atomic bit operations on unsigned long bitmaps. */
#define __kshim_bw(nr, a) ((a) + (nr) / BITS_PER_LONG)
#define __kshim_bm(nr) (1UL << ((nr) % BITS_PER_LONG))
#define set_bit(nr, a) ((void)__atomic_fetch_or(__kshim_bw(nr, a), __kshim_bm(nr), __ATOMIC_SEQ_CST))
#define clear_bit(nr, a) ((void)__atomic_fetch_and(__kshim_bw(nr, a), ~__kshim_bm(nr), __ATOMIC_SEQ_CST))
#define test_bit(nr, a) (!!(__atomic_load_n(__kshim_bw(nr, a), __ATOMIC_RELAXED) & __kshim_bm(nr)))
#define test_and_set_bit(nr, a) (!!(__atomic_fetch_or(__kshim_bw(nr, a), __kshim_bm(nr), __ATOMIC_SEQ_CST) & __kshim_bm(nr)))
#define test_and_clear_bit(nr, a) (!!(__atomic_fetch_and(__kshim_bw(nr, a), ~__kshim_bm(nr), __ATOMIC_SEQ_CST) & __kshim_bm(nr)))

/*
 * Allocation.  kshim_alloc_fault (a struct rmp_sync_fault_attr, armed with
 * rmp_sync_fault_arm() from <linux/rmp_sync_swrmp.h>) fails any allocation
 * but a __GFP_NOFAIL one: the core's and the emulated host's.
 */
typedef unsigned int gfp_t;
#define GFP_KERNEL 0u
#define GFP_KERNEL_ACCOUNT 0u
#define GFP_ATOMIC 1u
#define __GFP_NOWARN 0u
#define __GFP_NOFAIL 2u	/* never failed by kshim_alloc_fault */
void *kshim_alloc(size_t size, bool zero, gfp_t gfp);
void kshim_free(const void *p);
extern struct rmp_sync_fault_attr kshim_alloc_fault;
int kstrtouint(const char *s, unsigned int base, unsigned int *res);
extern long kshim_allocs;
extern long kshim_live_allocs;
#define kmalloc(s, g) kshim_alloc((s), false, (g))
#define kzalloc(s, g) kshim_alloc((s), true, (g))
#define kzalloc_obj(p, g) ((typeof(p) *)kzalloc(sizeof(p), (g)))
#define kcalloc(n, s, g) kshim_alloc((size_t)(n) * (s), true, (g))
#define kvcalloc(n, s, g) kshim_alloc((size_t)(n) * (s), true, (g))
#define kvzalloc(s, g) kshim_alloc((s), true, (g))
#define kfree(p) kshim_free(p)
#define kvfree(p) kshim_free(p)
#define bitmap_zalloc(n, g) ((unsigned long *)kshim_alloc(BITS_TO_LONGS(n) * sizeof(long), true, (g)))
#define bitmap_free(p) kshim_free(p)

static inline bool bitmap_empty(const unsigned long *map, unsigned long nbits)
{
	unsigned long i;

	for (i = 0; i < nbits; i++)
		if (__atomic_load_n(&map[i / BITS_PER_LONG], __ATOMIC_RELAXED) &
		    (1UL << (i % BITS_PER_LONG)))
			return false;
	return true;
}
size_t kshim_alloc_size(const void *p);
#define ksize(p) kshim_alloc_size(p)

/* Sleeping locks: pthread mutexes that remember their owner for lockdep. */
struct mutex {
	pthread_mutex_t m;
	pthread_t owner;
	bool held;
};
#define mutex_init(l) do { pthread_mutex_init(&(l)->m, NULL); (l)->held = false; } while (0)
#define mutex_destroy(l) pthread_mutex_destroy(&(l)->m)
static inline void mutex_lock(struct mutex *l)
{
	pthread_mutex_lock(&l->m);
	l->owner = pthread_self();
	__atomic_store_n(&l->held, true, __ATOMIC_RELAXED);
}
static inline void mutex_unlock(struct mutex *l)
{
	__atomic_store_n(&l->held, false, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&l->m);
}
static inline bool kshim_mutex_is_mine(struct mutex *l)
{
	return __atomic_load_n(&l->held, __ATOMIC_RELAXED) &&
	       pthread_equal(l->owner, pthread_self());
}
#define lockdep_assert_held(l) BUG_ON(!kshim_mutex_is_mine(l))

typedef struct { pthread_mutex_t m; } spinlock_t;
#define spin_lock_init(l) pthread_mutex_init(&(l)->m, NULL)
#define spin_lock(l) pthread_mutex_lock(&(l)->m)
#define spin_unlock(l) pthread_mutex_unlock(&(l)->m)

/*
 * RCU: liburcu (memb flavour) for rcu_read_lock() and synchronize_rcu().
 * Pointer publication uses GCC atomics with the kernel's semantics (a
 * release store, a consume load) so that ThreadSanitizer sees them; liburcu's
 * own macros are plain volatile accesses to it.
 */
#undef rcu_assign_pointer
#undef rcu_dereference
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_CONSUME)

/*
 * ThreadSanitizer does not know that synchronize_rcu() waits for readers:
 * every read-side critical section ends with a release of kshim_rcu_hb and
 * every grace period ends with an acquire of it, which is what a grace
 * period guarantees.  Without it, each free after synchronize_rcu() would
 * be reported as a race with the readers it waited for.
 */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
extern int kshim_rcu_hb;
static inline void kshim_rcu_read_unlock(void)
{
	__tsan_release(&kshim_rcu_hb);
	urcu_memb_read_unlock();
}
static inline void kshim_synchronize_rcu(void)
{
	urcu_memb_synchronize_rcu();
	__tsan_acquire(&kshim_rcu_hb);
}
#undef rcu_read_unlock
#undef synchronize_rcu
#define rcu_read_unlock kshim_rcu_read_unlock
#define synchronize_rcu kshim_synchronize_rcu
#endif
#define rcu_dereference_protected(p, c) (p)
#define RCU_INIT_POINTER(p, v) ((p) = (v))

/*
 * Memory hotplug resize lock.  The kernel's percpu_rw_semaphore costs a
 * reader a per-CPU increment and shares no cache line between readers; one
 * pthread rwlock would make every transition write the same line, which
 * the kernel does not.  So one rwlock per shard, on its own cache line: a
 * reader takes its thread's shard, a writer takes them all, in order.
 */
#define KSHIM_RWSEM_SHARDS 16
struct kshim_rwsem_shard {
	pthread_rwlock_t l;
} __attribute__((aligned(64)));
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

/* Error pointers. */
#define MAX_ERRNO 4095
#define ERR_PTR(e) ((void *)(long)(e))
#define PTR_ERR(p) ((long)(p))
#define IS_ERR(p) ((unsigned long)(p) >= (unsigned long)-MAX_ERRNO)
#define IS_ERR_OR_NULL(p) (!(p) || IS_ERR(p))

/* Time and scheduling, for the tests. */
static inline void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

#endif /* _RMP_SYNC_KSHIM_H */
