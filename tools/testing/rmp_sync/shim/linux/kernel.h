/* SPDX-License-Identifier: GPL-2.0 */
/* linux/kernel.h: the system header of this name, then page sizes, alignment and the common helpers. */
#include_next <linux/kernel.h>
#ifndef _RMP_SYNC_SHIM_LINUX_KERNEL_H
#define _RMP_SYNC_SHIM_LINUX_KERNEL_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/bitops.h>
#include <linux/minmax.h>
#include <linux/printk.h>
#include <linux/bug.h>
#include <linux/limits.h>
#include <stdarg.h>
#include <stdio.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PMD_SHIFT 21
#define PUD_SHIFT 30
#define PTRS_PER_PTE 512
#define PTRS_PER_PMD 512
#define PTRS_PER_PUD 512

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define round_up(x, y) ((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define round_down(x, y) ((x) & ~((__typeof__(x))((y) - 1)))
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)
#define ALIGN_DOWN(x, a) ((x) & ~((typeof(x))(a) - 1))
#define ALIGN(x, a) ALIGN_DOWN((x) + (a) - 1, (a))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))

int kstrtouint(const char *s, unsigned int base, unsigned int *res);

#endif
