/* SPDX-License-Identifier: GPL-2.0 */
/* linux/time64.h: time constants. */
#ifndef _RMP_SYNC_SHIM_LINUX_TIME64_H
#define _RMP_SYNC_SHIM_LINUX_TIME64_H

#define MSEC_PER_SEC 1000L

#endif
