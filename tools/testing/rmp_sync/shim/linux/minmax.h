/* SPDX-License-Identifier: GPL-2.0 */
/* linux/minmax.h: min(), max() and swap(), each argument evaluated once. */
#ifndef _RMP_SYNC_SHIM_LINUX_MINMAX_H
#define _RMP_SYNC_SHIM_LINUX_MINMAX_H

#include <linux/types.h>

#define min(a, b) ({ __typeof__(a) __a = (a); __typeof__(b) __b = (b);	\
		     __a < __b ? __a : __b; })
#define max(a, b) ({ __typeof__(a) __a = (a); __typeof__(b) __b = (b);	\
		     __a > __b ? __a : __b; })
#define min_t(t, a, b) ({ t __a = (a); t __b = (b); __a < __b ? __a : __b; })
#define max_t(t, a, b) ({ t __a = (a); t __b = (b); __a > __b ? __a : __b; })
#define swap(a, b) do { typeof(a) __t = (a); (a) = (b); (b) = __t; } while (0)

#endif
