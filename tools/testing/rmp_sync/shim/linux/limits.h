/* SPDX-License-Identifier: GPL-2.0 */
/* linux/limits.h: the system header of this name, then UINT_MAX and U64_MAX. */
#include_next <linux/limits.h>
#ifndef _RMP_SYNC_SHIM_LINUX_LIMITS_H
#define _RMP_SYNC_SHIM_LINUX_LIMITS_H

#include <limits.h>
#include <linux/types.h>

#define U64_MAX ((u64)~0ULL)

#endif
