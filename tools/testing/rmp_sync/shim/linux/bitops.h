/* SPDX-License-Identifier: GPL-2.0 */
/* linux/bitops.h: BIT() and the atomic bit operations, with GCC atomics. */
#ifndef _RMP_SYNC_SHIM_LINUX_BITOPS_H
#define _RMP_SYNC_SHIM_LINUX_BITOPS_H

#include <linux/types.h>

#define BIT(n) (1UL << (n))
#define BIT_ULL(n) (1ULL << (n))
#define BITS_PER_LONG 64
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define GENMASK(h, l) (((~0UL) << (l)) & (~0UL >> (63 - (h))))

/* Atomic bit operations on unsigned long bitmaps. */
#define __kshim_bw(nr, a) ((a) + (nr) / BITS_PER_LONG)
#define __kshim_bm(nr) (1UL << ((nr) % BITS_PER_LONG))
#define set_bit(nr, a) ((void)__atomic_fetch_or(__kshim_bw(nr, a), __kshim_bm(nr), __ATOMIC_SEQ_CST))
#define clear_bit(nr, a) ((void)__atomic_fetch_and(__kshim_bw(nr, a), ~__kshim_bm(nr), __ATOMIC_SEQ_CST))
#define test_bit(nr, a) (!!(__atomic_load_n(__kshim_bw(nr, a), __ATOMIC_RELAXED) & __kshim_bm(nr)))
#define test_and_set_bit(nr, a) (!!(__atomic_fetch_or(__kshim_bw(nr, a), __kshim_bm(nr), __ATOMIC_SEQ_CST) & __kshim_bm(nr)))
#define test_and_clear_bit(nr, a) (!!(__atomic_fetch_and(__kshim_bw(nr, a), ~__kshim_bm(nr), __ATOMIC_SEQ_CST) & __kshim_bm(nr)))

#endif
