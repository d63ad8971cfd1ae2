/* SPDX-License-Identifier: GPL-2.0 */
/* linux/atomic.h: atomic_t and atomic_long_t on GCC atomics. */
#ifndef _RMP_SYNC_SHIM_LINUX_ATOMIC_H
#define _RMP_SYNC_SHIM_LINUX_ATOMIC_H

#include <linux/compiler.h>

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

#endif
