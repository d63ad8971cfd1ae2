/* SPDX-License-Identifier: GPL-2.0 */
/* linux/slab.h: kmalloc() and friends on libc, with a failure point. */
#ifndef _RMP_SYNC_SHIM_LINUX_SLAB_H
#define _RMP_SYNC_SHIM_LINUX_SLAB_H

#include <linux/types.h>

/*
 * Allocation.  kshim_alloc_fault (a struct rmp_sync_fault_attr, armed with
 * rmp_sync_fault_arm() from <linux/rmp_sync_debug.h>) fails any allocation
 * but a __GFP_NOFAIL one: the core's and the emulated host's.
 */
#define GFP_KERNEL 0u
#define GFP_KERNEL_ACCOUNT 0u
#define GFP_ATOMIC 1u
#define __GFP_NOWARN 0u
#define __GFP_NOFAIL 2u	/* never failed by kshim_alloc_fault */
void *kshim_alloc(size_t size, bool zero, gfp_t gfp);
void kshim_free(const void *p);
extern struct rmp_sync_fault_attr kshim_alloc_fault;
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
size_t kshim_alloc_size(const void *p);
#define ksize(p) kshim_alloc_size(p)

#endif
