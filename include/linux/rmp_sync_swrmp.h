/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The software RMP (arch/x86/mm/rmp_sync_swrmp.c): an RMP in memory, for
 * KUnit in QEMU (which has no SNP), the userspace harness in
 * tools/testing/rmp_sync/ and a software SNP host.  Test and debug
 * scaffolding, like <linux/rmp_sync_debug.h> (its failure points), which it
 * includes: none of it is in <linux/rmp_sync.h>.
 */
#ifndef _LINUX_RMP_SYNC_SWRMP_H
#define _LINUX_RMP_SYNC_SWRMP_H

#include <linux/types.h>
#include <linux/rmp_sync.h>
#include <linux/rmp_sync_debug.h>

struct rmp_sync_swrmp;

/* The software RMP's failure points. */
enum rmp_sync_swrmp_op {
	RMP_SYNC_SWRMP_UPDATE,
	RMP_SYNC_SWRMP_PSMASH,
	RMP_SYNC_SWRMP_NR_OPS
};

/*
 * Its RMP backend (priv: the struct rmp_sync_swrmp); the checked one also
 * checks S1's order as each RMPUPDATE lands (rmp_sync_swrmp_check_order()).
 */
extern const struct rmp_sync_rmp_ops rmp_sync_swrmp_ops;
extern const struct rmp_sync_rmp_ops rmp_sync_swrmp_checked_ops;

struct rmp_sync_swrmp *rmp_sync_swrmp_create(u64 nr_pages);
void rmp_sync_swrmp_destroy(struct rmp_sync_swrmp *rmp);
bool rmp_sync_swrmp_write_ok(struct rmp_sync_swrmp *rmp, u64 pfn,
			     enum pg_level leaf_level);
unsigned int rmp_sync_swrmp_assigned(struct rmp_sync_swrmp *rmp, u64 pfn);
struct rmp_sync_fault_attr *rmp_sync_swrmp_fault(struct rmp_sync_swrmp *rmp,
						 enum rmp_sync_swrmp_op op);
void rmp_sync_swrmp_check_order(struct rmp_sync_swrmp *rmp,
				int (*level)(void *priv, u64 pfn), void *priv);
unsigned long rmp_sync_swrmp_order_violations(struct rmp_sync_swrmp *rmp);
u64 rmp_sync_swrmp_give_back(struct rmp_sync_swrmp *rmp, struct rmp_sync *rs,
			     u64 pfn, u64 nr_pages);
long rmp_sync_swrmp_quiesce(struct rmp_sync_swrmp *rmp, struct rmp_sync *rs,
			    u64 pfn, u64 nr_pages);

#endif /* _LINUX_RMP_SYNC_SWRMP_H */
