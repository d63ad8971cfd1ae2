/* SPDX-License-Identifier: GPL-2.0 */
/* linux/mutex.h: a pthread mutex that knows its owner, for lockdep_assert_held(). */
#ifndef _RMP_SYNC_SHIM_LINUX_MUTEX_H
#define _RMP_SYNC_SHIM_LINUX_MUTEX_H

#include <pthread.h>
#include <linux/bug.h>

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

#endif
