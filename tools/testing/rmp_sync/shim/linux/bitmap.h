/* SPDX-License-Identifier: GPL-2.0 */
/* linux/bitmap.h: the bitmap helpers the core uses. */
#ifndef _RMP_SYNC_SHIM_LINUX_BITMAP_H
#define _RMP_SYNC_SHIM_LINUX_BITMAP_H

#include <linux/bitops.h>
#include <linux/slab.h>

#define bitmap_zalloc(n, g) ((unsigned long *)kshim_alloc(BITS_TO_LONGS(n) * sizeof(long), true, (g)))
#define bitmap_free(p) kshim_free(p)

static inline bool bitmap_empty(const unsigned long *map, unsigned long nbits)
{
	unsigned long i;

	for (i = 0; i < nbits; i++)
		if (__atomic_load_n(&map[i / BITS_PER_LONG], __ATOMIC_RELAXED) &
		    (1UL << (i % BITS_PER_LONG)))
			return false;
	return true;
}

#endif
