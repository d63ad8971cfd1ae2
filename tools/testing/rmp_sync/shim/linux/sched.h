/* SPDX-License-Identifier: GPL-2.0 */
/* linux/sched.h: the system header of this name, then scheduling points. */
#include_next <linux/sched.h>
#ifndef _RMP_SYNC_SHIM_LINUX_SCHED_H
#define _RMP_SYNC_SHIM_LINUX_SCHED_H

#include <sched.h>

#define cpu_relax() sched_yield()
#define cond_resched() do { } while (0)
#define might_sleep() do { } while (0)

#endif
