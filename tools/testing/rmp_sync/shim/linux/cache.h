/* SPDX-License-Identifier: GPL-2.0 */
/* linux/cache.h: cache-line alignment, 64 bytes as on x86. */
#ifndef _RMP_SYNC_SHIM_LINUX_CACHE_H
#define _RMP_SYNC_SHIM_LINUX_CACHE_H

#define L1_CACHE_BYTES 64
#define ____cacheline_aligned_in_smp __attribute__((aligned(L1_CACHE_BYTES)))

#endif
