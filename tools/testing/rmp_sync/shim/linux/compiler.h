/* SPDX-License-Identifier: GPL-2.0 */
/* linux/compiler.h: annotations, branch hints, READ_ONCE()/WRITE_ONCE(). */
#ifndef _RMP_SYNC_SHIM_LINUX_COMPILER_H
#define _RMP_SYNC_SHIM_LINUX_COMPILER_H

#include <linux/types.h>

#define __init
#define __exit
#define __read_mostly
#define __must_check __attribute__((warn_unused_result))
#define __maybe_unused __attribute__((unused))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __always_unused __attribute__((unused))
#define __acquires(x)
#define __releases(x)
#define __rcu
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define container_of(p, t, m) ((t *)((char *)(p) - offsetof(t, m)))

#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

#endif
