/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel interfaces that arch/x86/mm/rmp_sync.c, the software RMP and
 * lib/test_rmp_sync.c use, implemented for userspace, one header per
 * concern under linux/ (pthreads for locks, liburcu for RCU, GCC atomics
 * for atomic_t and the bit operations, libc for allocation); kshim.c holds
 * what is not inline.  This header includes them all, for the harness's
 * own shims (kunit/, trace/, asm/) and kshim.c.
 */
#ifndef _RMP_SYNC_KSHIM_H
#define _RMP_SYNC_KSHIM_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/percpu-rwsem.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/time64.h>

#endif /* _RMP_SYNC_KSHIM_H */
