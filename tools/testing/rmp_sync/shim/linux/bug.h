/* SPDX-License-Identifier: GPL-2.0 */
/* linux/bug.h: WARN_ON(), BUG_ON(), BUILD_BUG_ON(). */
#ifndef _RMP_SYNC_SHIM_LINUX_BUG_H
#define _RMP_SYNC_SHIM_LINUX_BUG_H

#include <stdlib.h>
#include <linux/printk.h>

/*
 * WARN_ON() is a splat: counted in kshim_splats, and the runner fails the
 * case that printed it, as a kunit.py run would.
 */
#define WARN_ON_ONCE(c) ({						\
	bool __c = !!(c);						\
	if (__c)							\
		__kshim_pr("WARNING: ", &kshim_splats, 1, "%s:%d: %s\n", \
			   __FILE__, __LINE__, #c);			\
	__c;								\
})
#define WARN_ON(c) WARN_ON_ONCE(c)
#define BUG_ON(c) do { if (c) abort(); } while (0)

#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)

#endif
