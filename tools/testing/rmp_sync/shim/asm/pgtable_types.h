/* SPDX-License-Identifier: GPL-2.0 */
/* asm/pgtable_types.h: the page levels of arch/x86/include/asm/pgtable_types.h. */
#ifndef _RMP_SYNC_SHIM_PGTABLE_TYPES_H
#define _RMP_SYNC_SHIM_PGTABLE_TYPES_H

/* the kernel's pulls in the page sizes (asm/page_types.h) */
#include <linux/kernel.h>

enum pg_level {
	PG_LEVEL_NONE,
	PG_LEVEL_4K,
	PG_LEVEL_2M,
	PG_LEVEL_1G,
	PG_LEVEL_512G,
	PG_LEVEL_NUM
};
#endif
