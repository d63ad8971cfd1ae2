/* SPDX-License-Identifier: GPL-2.0 */
/* linux/err.h: error pointers. */
#ifndef _RMP_SYNC_SHIM_LINUX_ERR_H
#define _RMP_SYNC_SHIM_LINUX_ERR_H

#include <linux/types.h>

/* Error pointers. */
#define MAX_ERRNO 4095
#define ERR_PTR(e) ((void *)(long)(e))
#define PTR_ERR(p) ((long)(p))
#define IS_ERR(p) ((unsigned long)(p) >= (unsigned long)-MAX_ERRNO)
#define IS_ERR_OR_NULL(p) (!(p) || IS_ERR(p))

#endif
