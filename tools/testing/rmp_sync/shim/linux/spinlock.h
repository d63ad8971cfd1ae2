/* SPDX-License-Identifier: GPL-2.0 */
/* linux/spinlock.h: spinlock_t as a pthread mutex. */
#ifndef _RMP_SYNC_SHIM_LINUX_SPINLOCK_H
#define _RMP_SYNC_SHIM_LINUX_SPINLOCK_H

#include <pthread.h>

typedef struct { pthread_mutex_t m; } spinlock_t;
#define spin_lock_init(l) pthread_mutex_init(&(l)->m, NULL)
#define spin_lock(l) pthread_mutex_lock(&(l)->m)
#define spin_unlock(l) pthread_mutex_unlock(&(l)->m)

#endif
