/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linux/types.h: the system header (libc needs it), the libc headers every
 * userspace program of the harness uses, then the kernel's fixed-size types.
 */
#include_next <linux/types.h>
#ifndef _RMP_SYNC_SHIM_LINUX_TYPES_H
#define _RMP_SYNC_SHIM_LINUX_TYPES_H

#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned long long ull;
typedef unsigned int gfp_t;

#endif
