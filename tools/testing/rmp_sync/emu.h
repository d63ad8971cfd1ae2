/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Emulated SEV-SNP host for the userspace harness: RAM of a given size with
 * a software RMP over it, the kernel direct map as identity-mapped x86 page
 * tables (PUD/PMD/PTE levels, 1G/2M/4K leaves), and CPUs whose TLBs keep a
 * translation until a global flush.  A host write goes through a CPU's TLB
 * or a page walk and then through the RMP write check, so a missing split or
 * a missing flush shows up as a counted RMP #PF.
 *
 * emu_dmap_ops plugs the emulated direct map into rmp_sync's direct-map seam;
 * rmp_sync_swrmp_ops with emu_rmp() is the matching RMP backend.
 *
 * Every thread calling in must be registered with liburcu
 * (rcu_register_thread()); functions that flush (emu_flush_all(),
 * emu_set_memory_4k(), emu_set_attr(), emu_memory_readd(),
 * emu_dmap_ops.split and .flush) wait
 * for an RCU grace period and must not be called inside rcu_read_lock().
 */
#ifndef _RMP_SYNC_EMU_H
#define _RMP_SYNC_EMU_H

#include <linux/types.h>
#include <linux/err.h>
#include <linux/rcupdate.h>
#include <linux/rmp_sync.h>
#include <linux/rmp_sync_swrmp.h>

/* Page-table entry bits (x86 layout; EMU_PTE_PINNED is a software bit). */
#define EMU_PTE_PRESENT		BIT_ULL(0)
#define EMU_PTE_RW		BIT_ULL(1)
#define EMU_PTE_PWT		BIT_ULL(3)
#define EMU_PTE_PCD		BIT_ULL(4)
#define EMU_PTE_ACCESSED	BIT_ULL(5)
#define EMU_PTE_DIRTY		BIT_ULL(6)
#define EMU_PTE_PSE		BIT_ULL(7)	/* 2M/1G leaf */
#define EMU_PTE_PINNED		BIT_ULL(9)	/* split on purpose (set_memory_4k) */
#define EMU_PTE_NX		BIT_ULL(63)

struct emu_config {
	u64 mem_bytes;		/* a nonzero multiple of 2M, at most 4 TiB */
	unsigned int nr_cpus;	/* 1..EMU_MAX_CPUS */
	bool pse;		/* 2M leaves; without it the boot map is 4K */
	bool gbpages;		/* 1G leaves; needs @pse */
};

#define EMU_MAX_CPUS		64

enum emu_fault_op {
	EMU_FAULT_SPLIT,	/* emu_dmap_ops.split */
	EMU_FAULT_COLLAPSE,	/* emu_dmap_ops.collapse */
	EMU_NR_FAULTS
};

struct emu_stats {
	u64 writes;		/* emu_write() calls that reached a CPU */
	u64 rmp_faults;		/* writes refused by the RMP check */
	u64 last_fault_pfn;
	u64 acc_faults;		/* writes to a read-only mapping */
	u64 tlb_hits;
	u64 tlb_misses;
	u64 flushes;		/* global TLB flushes */
	u64 tables_alloc;	/* page-table pages allocated ... */
	u64 tables_freed;	/* ... and freed, boot and destroy included */
};

struct emu_host;

struct emu_host *emu_create(const struct emu_config *cfg);
void emu_destroy(struct emu_host *h);
struct rmp_sync_swrmp *emu_rmp(struct emu_host *h);

int emu_split(struct emu_host *h, u64 pfn, enum pg_level to);
int emu_collapse(struct emu_host *h, u64 pfn, enum pg_level level);
void emu_flush_all(struct emu_host *h);

int emu_set_memory_4k(struct emu_host *h, u64 pfn);
int emu_memory_readd(struct emu_host *h, u64 pfn, u64 nr_pages);
int emu_set_attr(struct emu_host *h, u64 pfn, u64 set, u64 clear);

int emu_write(struct emu_host *h, unsigned int cpu, u64 pfn);

int emu_level(struct emu_host *h, u64 pfn);
void emu_directmap(struct emu_host *h, u64 *pages_4k, u64 *pages_2m,
		   u64 *pages_1g);
unsigned long emu_boot_diff(struct emu_host *h);
int emu_check(struct emu_host *h);
void emu_get_stats(struct emu_host *h, struct emu_stats *st);

struct rmp_sync_fault_attr *emu_fault(struct emu_host *h, enum emu_fault_op op);
extern const struct rmp_sync_dmap_ops emu_dmap_ops;

/* An emulated host and an rmp_sync instance over it. */
struct emu_instance {
	struct emu_host *h;
	struct rmp_sync *rs;
};

int emu_instance_create(struct emu_instance *in, const struct emu_config *ec,
			const struct rmp_sync_config *cfg);
void emu_instance_destroy(struct emu_instance *in);

/*
 * The replay engine's host callbacks (struct rsr_host_ops in
 * arch/x86/mm/rmp_sync_replay.h) for an emulated host: @host is a struct
 * emu_instance, or a struct that begins with one.
 */
int emu_replay_level(void *host, u64 pfn);
void emu_replay_directmap(void *host, u64 *pages_4k, u64 *pages_2m,
			  u64 *pages_1g);
u64 emu_replay_split_regions(void *host);
int emu_replay_write(void *host, unsigned int cpu, u64 pfn);
bool emu_replay_assigned(void *host, u64 pfn);
u64 emu_replay_flushes(void *host);
unsigned int emu_replay_pass(void *host, struct rmp_sync_pass *pass);
int emu_replay_check(void *host);

#endif /* _RMP_SYNC_EMU_H */
