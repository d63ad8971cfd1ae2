// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated SEV-SNP host: see emu.h.
 *
 * The direct map is identity-mapped (the direct-map address of pfn p is p)
 * and built like x86-64's: one PUD entry per 1G, PMD and PTE tables of 512
 * entries.  Page-table edits serialize on pgd_lock, as in
 * arch/x86/mm/pat/set_memory.c; walkers read the tables locklessly under
 * rcu_read_lock(), so a table detached by a collapse is freed only after a
 * global TLB flush and a grace period (DESIGN.md S4).
 *
 * Each emulated CPU caches the translations it used in small direct-mapped
 * TLBs, one per leaf size, until the next global flush.  A write checks the
 * RMP through the leaf level of the translation it used, so a split whose
 * flush was skipped leaves a stale 2M translation behind, and the first
 * write through it to a now mixed region is an RMP #PF.
 */
#define pr_fmt(fmt) "emu: " fmt

#include <linux/types.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/printk.h>
#include <linux/rmp_sync.h>

#include "emu.h"

#define EMU_GB_SHIFT		18	/* pfn -> PUD index */
#define EMU_PFN_MASK		GENMASK(51, 12)
/*
 * A table entry holds its table's address where a leaf holds the pfn, as on
 * x86.  The tables come from kzalloc() (8-byte aligned, below 2^47 in a
 * userspace process), so the address goes in shifted right by 3, in bits
 * 12..55, instead of requiring page-aligned allocations.
 */
#define EMU_TABLE_MASK		GENMASK(55, 12)
/* What must match for a collapse: all but pfn, accessed/dirty, size, pin. */
#define EMU_ATTR_MASK		(~(EMU_PFN_MASK | EMU_PTE_ACCESSED | \
				   EMU_PTE_DIRTY | EMU_PTE_PSE | EMU_PTE_PINNED))
#define EMU_BOOT_ATTRS		(EMU_PTE_PRESENT | EMU_PTE_RW | EMU_PTE_NX)
/* Bits emu_set_attr() may change: not the pfn, the size or the pin. */
#define EMU_SETTABLE		(EMU_PTE_PRESENT | EMU_PTE_RW | EMU_PTE_PWT | \
				 EMU_PTE_PCD | EMU_PTE_ACCESSED | \
				 EMU_PTE_DIRTY | EMU_PTE_NX)

#define EMU_TLB_SIZE		32	/* entries per leaf size, per CPU */

struct emu_pt {
	u64 ent[PTRS_PER_PTE];
	struct emu_pt *next;		/* on emu_host.deferred */
};

/* pte == 0: invalid (only present translations are cached). */
struct emu_tlb_ent {
	u64 tag;			/* pfn >> the leaf size's shift */
	u64 pte;
};

struct emu_cpu {
	/*
	 * Protects tlb[].  Held across a whole emu_write(), so a global
	 * flush, which takes it on every CPU, waits for a write in flight
	 * as the flush IPI would wait for an instruction to retire.
	 */
	spinlock_t lock;
	struct emu_tlb_ent tlb[3][EMU_TLB_SIZE];	/* 4K, 2M, 1G */
	/* Statistics, relaxed atomics. */
	u64 writes, rmp_faults, acc_faults, tlb_hits, tlb_misses;
};

struct emu_host {
	struct emu_config cfg;
	u64 nr_pages;
	unsigned long nr_gb;		/* PUD entries; the last may be partial */
	struct rmp_sync_swrmp *rmp;
	/*
	 * pgd_lock serializes page-table edits and global flushes.  It
	 * protects the entries of pud[] and of every table (walkers read them
	 * without it, under RCU), deferred and nr_leaves[].
	 */
	struct mutex pgd_lock;
	u64 *pud;
	struct emu_pt *deferred;	/* detached, freed by the next flush */
	unsigned long nr_leaves[PG_LEVEL_NUM];
	struct emu_cpu *cpus;
	struct rmp_sync_fault_attr faults[EMU_NR_FAULTS];
	/* Statistics, relaxed atomics. */
	u64 flushes, tables_alloc, tables_freed, last_fault_pfn;
};

static inline void emu_inc(u64 *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static inline u64 emu_get(u64 *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/*
 * The kernel publishes a filled table with a plain store and its walkers
 * rely on the address dependency; here release/acquire does that job, which
 * is also what TSan understands.
 */
static inline u64 pt_read(const u64 *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static inline void pt_write(u64 *slot, u64 val)
{
	__atomic_store_n(slot, val, __ATOMIC_RELEASE);
}

/* 4K pages mapped by one leaf at @level. */
static inline u64 emu_level_pages(int level)
{
	return 1ULL << ((level - PG_LEVEL_4K) * 9);
}

/* Index of @pfn's entry in the table holding entries of @level. */
static inline unsigned int emu_index(u64 pfn, int level)
{
	return (pfn >> ((level - PG_LEVEL_4K) * 9)) & (PTRS_PER_PTE - 1);
}

static inline u64 emu_pfn(u64 e)
{
	return (e & EMU_PFN_MASK) >> PAGE_SHIFT;
}

static inline bool emu_is_table(u64 e)
{
	return (e & (EMU_PTE_PRESENT | EMU_PTE_PSE)) == EMU_PTE_PRESENT;
}

static inline struct emu_pt *emu_table(u64 e)
{
	return (struct emu_pt *)(uintptr_t)(((e & EMU_TABLE_MASK) >> 12) << 3);
}

static u64 emu_mk_table(struct emu_pt *t)
{
	return EMU_PTE_PRESENT | EMU_PTE_RW | (((uintptr_t)t >> 3) << 12);
}

/* A leaf for @pfn at @level with @attrs' attribute bits. */
static u64 emu_mk_leaf(u64 attrs, u64 pfn, int level)
{
	attrs &= ~(EMU_PFN_MASK | EMU_PTE_PSE);
	if (level != PG_LEVEL_4K)
		attrs |= EMU_PTE_PSE;
	return attrs | (pfn << PAGE_SHIFT);
}

static struct emu_pt *emu_alloc_table(struct emu_host *h, gfp_t gfp)
{
	struct emu_pt *t = kzalloc(sizeof(*t), gfp);

	if (!t)
		return NULL;
	/* emu_mk_table() must be able to encode the address. */
	if (WARN_ON_ONCE(((uintptr_t)t & 7) || ((uintptr_t)t >> 47))) {
		kfree(t);
		return NULL;
	}
	emu_inc(&h->tables_alloc);
	return t;
}

/*
 * Poisoned, then freed: a walker that still holds a detached table reads
 * entries that point nowhere (and ASan reports the use after free).
 */
static void emu_free_table(struct emu_host *h, struct emu_pt *t)
{
	memset(t, 0x6b, sizeof(*t));
	kfree(t);
	emu_inc(&h->tables_freed);
}

/*
 * Walk to the entry that ends the translation of @pfn: a leaf, or a
 * non-present entry.  Returns its level; the entry goes to *@entry and, if
 * @slotp, its address to *@slotp.  Under rcu_read_lock() or pgd_lock.
 */
static int emu_walk(struct emu_host *h, u64 pfn, u64 *entry, u64 **slotp)
{
	u64 *slot = &h->pud[pfn >> EMU_GB_SHIFT];
	int level = PG_LEVEL_1G;
	u64 e;

	for (;;) {
		e = pt_read(slot);
		if (level == PG_LEVEL_4K || !emu_is_table(e))
			break;
		level--;
		slot = &emu_table(e)->ent[emu_index(pfn, level)];
	}
	*entry = e;
	if (slotp)
		*slotp = slot;
	return level;
}

/*
 * Split the leaves mapping @pfn down to level @to.  *@old_level: the level
 * that mapped @pfn before (PG_LEVEL_NONE if unmapped); *@changed: whether a
 * table was installed (the caller then owes a flush), also on failure: a
 * 1G->2M step stays done when the 2M->4K allocation fails.
 */
static int __emu_split(struct emu_host *h, u64 pfn, int to, gfp_t gfp,
		       int *old_level, bool *changed)
{
	struct emu_pt *t;
	int level, i;
	u64 e, *slot;

	lockdep_assert_held(&h->pgd_lock);
	*changed = false;
	*old_level = PG_LEVEL_NONE;
	level = emu_walk(h, pfn, &e, &slot);
	/* Only a PTE may be non-present inside RAM (emu_set_attr()). */
	if (!(e & EMU_PTE_PRESENT) && level != PG_LEVEL_4K)
		return -EINVAL;
	*old_level = level;

	while (level > to) {
		t = emu_alloc_table(h, gfp);
		if (!t)
			return -ENOMEM;
		for (i = 0; i < PTRS_PER_PTE; i++)
			t->ent[i] = emu_mk_leaf(e, emu_pfn(e) +
						i * emu_level_pages(level - 1),
						level - 1);
		pt_write(slot, emu_mk_table(t));
		*changed = true;
		h->nr_leaves[level]--;
		h->nr_leaves[level - 1] += PTRS_PER_PTE;
		level--;
		slot = &t->ent[emu_index(pfn, level)];
		e = *slot;
	}
	return 0;
}

/* Every TLB, then a grace period, then the detached tables. */
static void __emu_flush_all(struct emu_host *h)
{
	struct emu_pt *t, *next;
	unsigned int cpu;

	lockdep_assert_held(&h->pgd_lock);
	for (cpu = 0; cpu < h->cfg.nr_cpus; cpu++) {
		struct emu_cpu *c = &h->cpus[cpu];

		spin_lock(&c->lock);
		memset(c->tlb, 0, sizeof(c->tlb));
		spin_unlock(&c->lock);
	}
	emu_inc(&h->flushes);

	if (!h->deferred)
		return;
	synchronize_rcu();
	for (t = h->deferred; t; t = next) {
		next = t->next;
		emu_free_table(h, t);
	}
	h->deferred = NULL;
}

/**
 * emu_split() - split the direct-map leaves mapping @pfn, without a flush.
 * @h: the host.
 * @pfn: a page of RAM.
 * @to: PG_LEVEL_2M or PG_LEVEL_4K; 1G->2M->4K as needed, attributes copied.
 *
 * Return: 0 (also when already mapped at @to or below), -EINVAL, or -ENOMEM
 * when a table allocation fails; the step that failed changed nothing.
 */
int emu_split(struct emu_host *h, u64 pfn, enum pg_level to)
{
	bool changed;
	int old, ret;

	if (pfn >= h->nr_pages || (to != PG_LEVEL_4K && to != PG_LEVEL_2M))
		return -EINVAL;
	mutex_lock(&h->pgd_lock);
	ret = __emu_split(h, pfn, to, GFP_KERNEL, &old, &changed);
	mutex_unlock(&h->pgd_lock);
	return ret;
}

/* The collapse conditions of DESIGN.md section 5 over the 512 entries of @t. */
static int emu_collapse_check(struct emu_pt *t, u64 pfn, int child_level)
{
	u64 first = t->ent[0];
	int i;

	for (i = 0; i < PTRS_PER_PTE; i++) {
		u64 e = t->ent[i];

		if (!(e & EMU_PTE_PRESENT) ||
		    emu_pfn(e) != pfn + i * emu_level_pages(child_level))
			return RMP_SYNC_COLLAPSE_LAYOUT;
		/* A 1G leaf replaces 512 2M leaves, not tables. */
		if (child_level != PG_LEVEL_4K && !(e & EMU_PTE_PSE))
			return RMP_SYNC_COLLAPSE_LAYOUT;
		if (e & EMU_PTE_PINNED)
			return RMP_SYNC_COLLAPSE_FOREIGN;
		if ((e ^ first) & EMU_ATTR_MASK)
			return RMP_SYNC_COLLAPSE_ATTR;
	}
	return RMP_SYNC_COLLAPSED;
}

/**
 * emu_collapse() - replace 512 leaves with one, without a flush.
 * @h: the host.
 * @pfn: the first page, aligned to @level.
 * @level: PG_LEVEL_2M (512 4K leaves) or PG_LEVEL_1G (512 2M leaves).
 *
 * The detached table is freed by the next emu_flush_all().
 *
 * Return: an enum rmp_sync_collapse_result, or -EINVAL for bad arguments.
 */
int emu_collapse(struct emu_host *h, u64 pfn, enum pg_level level)
{
	struct emu_pt *t;
	u64 e, *slot;
	int ret;

	if ((level != PG_LEVEL_2M && level != PG_LEVEL_1G) ||
	    pfn >= h->nr_pages || !IS_ALIGNED(pfn, emu_level_pages(level)))
		return -EINVAL;
	if (!(level == PG_LEVEL_2M ? h->cfg.pse : h->cfg.gbpages))
		return RMP_SYNC_COLLAPSE_NO_PSE;

	mutex_lock(&h->pgd_lock);
	slot = &h->pud[pfn >> EMU_GB_SHIFT];
	e = READ_ONCE(*slot);
	if (level == PG_LEVEL_2M && emu_is_table(e)) {
		slot = &emu_table(e)->ent[emu_index(pfn, PG_LEVEL_2M)];
		e = READ_ONCE(*slot);
	}
	if (!emu_is_table(e)) {
		/* A leaf at @level or above; RAM has no holes. */
		ret = RMP_SYNC_COLLAPSE_NOT_SPLIT;
		goto out;
	}
	t = emu_table(e);
	ret = emu_collapse_check(t, pfn, level - 1);
	if (ret != RMP_SYNC_COLLAPSED)
		goto out;

	pt_write(slot, emu_mk_leaf(t->ent[0] & ~(EMU_PTE_ACCESSED |
						  EMU_PTE_DIRTY), pfn, level));
	t->next = h->deferred;
	h->deferred = t;
	h->nr_leaves[level - 1] -= PTRS_PER_PTE;
	h->nr_leaves[level]++;
out:
	mutex_unlock(&h->pgd_lock);
	return ret;
}

/**
 * emu_flush_all() - flush every emulated CPU's TLB, then free the tables
 *	collapses detached, after a grace period.
 * @h: the host.
 */
void emu_flush_all(struct emu_host *h)
{
	mutex_lock(&h->pgd_lock);
	__emu_flush_all(h);
	mutex_unlock(&h->pgd_lock);
}

/* Level a fresh boot maps the 1G range @gb with. */
static int emu_boot_level(struct emu_host *h, unsigned long gb)
{
	bool whole = ((u64)(gb + 1) << EMU_GB_SHIFT) <= h->nr_pages;

	if (h->cfg.gbpages && whole)
		return PG_LEVEL_1G;
	return h->cfg.pse ? PG_LEVEL_2M : PG_LEVEL_4K;
}

/* Map the 2M region at @pfn as a fresh boot does, in PMD slot @slot. */
static void emu_remap_region(struct emu_host *h, u64 *slot, u64 pfn)
{
	u64 e = *slot;
	struct emu_pt *pte;
	unsigned int k;

	if (!h->cfg.pse) {
		/* the boot map is 4K here: fresh PTEs, pins and attributes gone */
		pte = emu_table(e);
		for (k = 0; k < PTRS_PER_PTE; k++)
			pt_write(&pte->ent[k], emu_mk_leaf(EMU_BOOT_ATTRS, pfn + k,
							   PG_LEVEL_4K));
		return;
	}
	if (emu_is_table(e)) {
		pte = emu_table(e);
		pte->next = h->deferred;
		h->deferred = pte;
		h->nr_leaves[PG_LEVEL_4K] -= PTRS_PER_PTE;
		h->nr_leaves[PG_LEVEL_2M]++;
	}
	pt_write(slot, emu_mk_leaf(EMU_BOOT_ATTRS, pfn, PG_LEVEL_2M));
}

/**
 * emu_memory_readd() - what memory hot-remove and a later hot-add of a
 *	range do to the direct map.
 * @h: the host.
 * @pfn: first page, 2M-aligned.
 * @nr_pages: pages, a multiple of 2M.
 *
 * arch_remove_memory() frees the range's page tables, and
 * arch_add_memory() maps it again as boot does (init_memory_mapping():
 * the largest leaves the CPU has): the splits of the range, rmp_sync's and
 * set_memory_4k()'s alike, and its attribute changes are gone.  Here each
 * 2M region of the range gets its boot mapping again, a 1G range wholly
 * inside gets its 1G leaf back where boot had one, and every TLB is
 * flushed.  The caller keeps other direct-map users away from the range,
 * as mem_hotplug_lock does in the kernel; the rest of RAM stays in use.
 *
 * Return: 0, or -EINVAL for a range that is not 2M-aligned RAM.
 */
int emu_memory_readd(struct emu_host *h, u64 pfn, u64 nr_pages)
{
	u64 end = pfn + nr_pages, gbp = 1ULL << EMU_GB_SHIFT, p;

	if (!nr_pages || !IS_ALIGNED(pfn | nr_pages, RMP_SYNC_REGION_PAGES) ||
	    end < pfn || end > h->nr_pages)
		return -EINVAL;
	mutex_lock(&h->pgd_lock);
	for (p = pfn; p < end; p = min(end, (p & ~(gbp - 1)) + gbp)) {
		u64 hi = min(end, (p & ~(gbp - 1)) + gbp), q;
		unsigned long gb = p >> EMU_GB_SHIFT;
		struct emu_pt *pmd;

		/*
		 * A 1G leaf is what boot maps already: any attribute change
		 * or split in it would have replaced it with a table.
		 */
		if (!emu_is_table(h->pud[gb]))
			continue;
		pmd = emu_table(h->pud[gb]);
		for (q = p; q < hi; q += RMP_SYNC_REGION_PAGES)
			emu_remap_region(h, &pmd->ent[emu_index(q, PG_LEVEL_2M)], q);
		/* the whole 1G range came back: one 1G leaf, as at boot */
		if (hi - p == gbp && emu_boot_level(h, gb) == PG_LEVEL_1G) {
			pt_write(&h->pud[gb], emu_mk_leaf(EMU_BOOT_ATTRS, p,
							  PG_LEVEL_1G));
			pmd->next = h->deferred;
			h->deferred = pmd;
			h->nr_leaves[PG_LEVEL_2M] -= PTRS_PER_PMD;
			h->nr_leaves[PG_LEVEL_1G]++;
		}
	}
	__emu_flush_all(h);
	mutex_unlock(&h->pgd_lock);
	return 0;
}

/**
 * emu_set_memory_4k() - what a set_memory_4k() caller does: split to 4K,
 *	mark the page's PTE as split on purpose, flush.
 * @h: the host.
 * @pfn: a page of RAM.
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int emu_set_memory_4k(struct emu_host *h, u64 pfn)
{
	bool changed;
	int old, ret;
	u64 e, *slot;

	if (pfn >= h->nr_pages)
		return -EINVAL;
	mutex_lock(&h->pgd_lock);
	ret = __emu_split(h, pfn, PG_LEVEL_4K, GFP_KERNEL, &old, &changed);
	if (!ret) {
		emu_walk(h, pfn, &e, &slot);
		pt_write(slot, e | EMU_PTE_PINNED);
	}
	__emu_flush_all(h);
	mutex_unlock(&h->pgd_lock);
	return ret;
}

/**
 * emu_set_attr() - what set_memory_ro()/_uc() and friends do to one page:
 *	split to 4K, change the PTE's attributes, flush.
 * @h: the host.
 * @pfn: a page of RAM.
 * @set: EMU_PTE_* bits to set.
 * @clear: EMU_PTE_* bits to clear.
 *
 * Only the bits of EMU_SETTABLE may change (EMU_PTE_PRESENT included, for
 * set_memory_np()).
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int emu_set_attr(struct emu_host *h, u64 pfn, u64 set, u64 clear)
{
	bool changed;
	int old, ret;
	u64 e, *slot;

	if (pfn >= h->nr_pages || ((set | clear) & ~EMU_SETTABLE))
		return -EINVAL;
	mutex_lock(&h->pgd_lock);
	ret = __emu_split(h, pfn, PG_LEVEL_4K, GFP_KERNEL, &old, &changed);
	if (!ret) {
		emu_walk(h, pfn, &e, &slot);
		pt_write(slot, (e | set) & ~clear);
	}
	__emu_flush_all(h);
	mutex_unlock(&h->pgd_lock);
	return ret;
}

static struct emu_tlb_ent *emu_tlb_slot(struct emu_cpu *c, u64 pfn, int level)
{
	u64 tag = pfn >> ((level - PG_LEVEL_4K) * 9);

	return &c->tlb[level - PG_LEVEL_4K][tag % EMU_TLB_SIZE];
}

/**
 * emu_write() - a host write to one page by one CPU.
 * @h: the host.
 * @cpu: the CPU, below emu_config.nr_cpus; one thread per CPU at a time.
 * @pfn: the page written.
 *
 * Uses the CPU's cached translation if it has one (largest size first, so
 * a stale large entry wins over a fresh 4K one), else walks the tables and
 * caches the result.  Then the RMP check through the leaf level used.
 *
 * Return: 0; -ENOENT if not mapped; -EACCES if mapped read-only; -EFAULT on
 * an RMP #PF (counted, and the pfn kept in emu_stats.last_fault_pfn);
 * -EINVAL for a bad @cpu or @pfn.
 */
int emu_write(struct emu_host *h, unsigned int cpu, u64 pfn)
{
	struct emu_tlb_ent *te;
	int level, ret = 0;
	struct emu_cpu *c;
	u64 pte = 0;

	if (cpu >= h->cfg.nr_cpus || pfn >= h->nr_pages)
		return -EINVAL;
	c = &h->cpus[cpu];
	spin_lock(&c->lock);
	emu_inc(&c->writes);
	for (level = PG_LEVEL_1G; level >= PG_LEVEL_4K; level--) {
		te = emu_tlb_slot(c, pfn, level);
		if (te->pte && te->tag == pfn >> ((level - PG_LEVEL_4K) * 9)) {
			pte = te->pte;
			break;
		}
	}
	if (pte) {
		emu_inc(&c->tlb_hits);
	} else {
		emu_inc(&c->tlb_misses);
		rcu_read_lock();
		level = emu_walk(h, pfn, &pte, NULL);
		rcu_read_unlock();
		if (!(pte & EMU_PTE_PRESENT)) {
			ret = -ENOENT;
			goto out;
		}
		te = emu_tlb_slot(c, pfn, level);
		te->tag = pfn >> ((level - PG_LEVEL_4K) * 9);
		te->pte = pte;
	}

	if (!(pte & EMU_PTE_RW)) {
		emu_inc(&c->acc_faults);
		ret = -EACCES;
	} else if (!rmp_sync_swrmp_write_ok(h->rmp, pfn, level)) {
		emu_inc(&c->rmp_faults);
		__atomic_store_n(&h->last_fault_pfn, pfn, __ATOMIC_RELAXED);
		pr_info("RMP #PF: cpu %u pfn 0x%llx through a %s leaf\n", cpu,
			(unsigned long long)pfn,
			level == PG_LEVEL_4K ? "4K" :
			level == PG_LEVEL_2M ? "2M" : "1G");
		ret = -EFAULT;
	}
out:
	spin_unlock(&c->lock);
	return ret;
}

/**
 * emu_level() - level of the leaf mapping @pfn now (lockless).
 * @h: the host.
 * @pfn: the page.
 *
 * Return: PG_LEVEL_4K/2M/1G, or PG_LEVEL_NONE if not mapped.
 */
int emu_level(struct emu_host *h, u64 pfn)
{
	int level;
	u64 e;

	if (pfn >= h->nr_pages)
		return PG_LEVEL_NONE;
	rcu_read_lock();
	level = emu_walk(h, pfn, &e, NULL);
	rcu_read_unlock();
	return e & EMU_PTE_PRESENT ? level : PG_LEVEL_NONE;
}

/**
 * emu_directmap() - leaves per size, as direct_pages_count[] feeds
 *	DirectMap4k/2M/1G.
 * @h: the host.
 * @pages_4k: 4K leaves (PTEs, present or not, as in the kernel).
 * @pages_2m: 2M leaves.
 * @pages_1g: 1G leaves.
 */
void emu_directmap(struct emu_host *h, u64 *pages_4k, u64 *pages_2m,
		   u64 *pages_1g)
{
	mutex_lock(&h->pgd_lock);
	*pages_4k = h->nr_leaves[PG_LEVEL_4K];
	*pages_2m = h->nr_leaves[PG_LEVEL_2M];
	*pages_1g = h->nr_leaves[PG_LEVEL_1G];
	mutex_unlock(&h->pgd_lock);
}

/**
 * emu_boot_diff() - how far the direct map is from a fresh boot's.
 * @h: the host.
 *
 * Return: the number of 2M regions whose leaf level differs from the boot
 * layout's.
 */
unsigned long emu_boot_diff(struct emu_host *h)
{
	u64 nr_regions = h->nr_pages >> RMP_SYNC_REGION_SHIFT;
	unsigned long gb, diff = 0;
	unsigned int j, n;

	mutex_lock(&h->pgd_lock);
	for (gb = 0; gb < h->nr_gb; gb++) {
		int boot = emu_boot_level(h, gb);
		u64 e = h->pud[gb];
		struct emu_pt *pmd;

		n = min_t(u64, RMP_SYNC_GB_REGIONS,
			  nr_regions - gb * RMP_SYNC_GB_REGIONS);
		if (!emu_is_table(e)) {
			if (boot != PG_LEVEL_1G)
				diff += n;
			continue;
		}
		pmd = emu_table(e);
		for (j = 0; j < n; j++) {
			int level = emu_is_table(pmd->ent[j]) ? PG_LEVEL_4K :
								 PG_LEVEL_2M;

			diff += level != boot;
		}
	}
	mutex_unlock(&h->pgd_lock);
	return diff;
}

/* Recount one PMD table (the 1G range at @base); false on a bad entry. */
static bool emu_check_pmd(struct emu_host *h, struct emu_pt *pmd, u64 base,
			  unsigned long *leaves, unsigned long *tables)
{
	unsigned int j, k;

	for (j = 0; j < PTRS_PER_PMD; j++) {
		u64 pfn = base + (u64)j * RMP_SYNC_REGION_PAGES;
		u64 e = pmd->ent[j];
		struct emu_pt *pte;

		if (pfn >= h->nr_pages) {
			if (e) {
				pr_err("check: PMD entry beyond RAM at pfn 0x%llx\n",
				       (unsigned long long)pfn);
				return false;
			}
			continue;
		}
		if (!(e & EMU_PTE_PRESENT)) {
			pr_err("check: PMD not present at pfn 0x%llx\n",
			       (unsigned long long)pfn);
			return false;
		}
		if (!emu_is_table(e)) {
			if (emu_pfn(e) != pfn || !h->cfg.pse) {
				pr_err("check: bad 2M leaf at pfn 0x%llx\n",
				       (unsigned long long)pfn);
				return false;
			}
			leaves[PG_LEVEL_2M]++;
			continue;
		}
		pte = emu_table(e);
		(*tables)++;
		for (k = 0; k < PTRS_PER_PTE; k++) {
			if (emu_pfn(pte->ent[k]) != pfn + k ||
			    (pte->ent[k] & EMU_PTE_PSE)) {
				pr_err("check: bad PTE at pfn 0x%llx\n",
				       (unsigned long long)(pfn + k));
				return false;
			}
		}
		leaves[PG_LEVEL_4K] += PTRS_PER_PTE;
	}
	return true;
}

/**
 * emu_check() - recount the page tables and compare with the counters.
 * @h: the host, with no edit in flight.
 *
 * Checks that every leaf maps its own pfn (identity), that leaf sizes fit the
 * CPU's features, that the leaves per level equal emu_directmap()'s counts,
 * and that the tables reachable or awaiting a flush equal those allocated
 * and not freed.
 *
 * Return: 0, or -EIO after printing what is wrong.
 */
int emu_check(struct emu_host *h)
{
	unsigned long leaves[PG_LEVEL_NUM] = { 0 }, tables = 0, gb;
	u64 live;
	struct emu_pt *t;
	int level, ret = -EIO;

	mutex_lock(&h->pgd_lock);
	for (gb = 0; gb < h->nr_gb; gb++) {
		u64 base = (u64)gb << EMU_GB_SHIFT;
		u64 e = h->pud[gb];

		if (emu_is_table(e)) {
			tables++;
			if (!emu_check_pmd(h, emu_table(e), base, leaves,
					   &tables))
				goto out;
			continue;
		}
		if (!(e & EMU_PTE_PRESENT) || emu_pfn(e) != base ||
		    !h->cfg.gbpages || emu_boot_level(h, gb) != PG_LEVEL_1G) {
			pr_err("check: bad PUD entry at pfn 0x%llx\n",
			       (unsigned long long)base);
			goto out;
		}
		leaves[PG_LEVEL_1G]++;
	}
	for (t = h->deferred; t; t = t->next)
		tables++;

	for (level = PG_LEVEL_4K; level <= PG_LEVEL_1G; level++) {
		if (leaves[level] != h->nr_leaves[level]) {
			pr_err("check: %lu leaves at level %d, counter says %lu\n",
			       leaves[level], level, h->nr_leaves[level]);
			goto out;
		}
	}
	live = emu_get(&h->tables_alloc) - emu_get(&h->tables_freed);
	if (live != tables) {
		pr_err("check: %lu tables in use, %llu allocated and not freed\n",
		       tables, (unsigned long long)live);
		goto out;
	}
	ret = 0;
out:
	mutex_unlock(&h->pgd_lock);
	return ret;
}

/**
 * emu_get_stats() - read the statistics.
 * @h: the host.
 * @st: filled in.
 */
void emu_get_stats(struct emu_host *h, struct emu_stats *st)
{
	unsigned int cpu;

	memset(st, 0, sizeof(*st));
	for (cpu = 0; cpu < h->cfg.nr_cpus; cpu++) {
		struct emu_cpu *c = &h->cpus[cpu];

		st->writes += emu_get(&c->writes);
		st->rmp_faults += emu_get(&c->rmp_faults);
		st->acc_faults += emu_get(&c->acc_faults);
		st->tlb_hits += emu_get(&c->tlb_hits);
		st->tlb_misses += emu_get(&c->tlb_misses);
	}
	st->last_fault_pfn = emu_get(&h->last_fault_pfn);
	st->flushes = emu_get(&h->flushes);
	st->tables_alloc = emu_get(&h->tables_alloc);
	st->tables_freed = emu_get(&h->tables_freed);
}

/* Map the 1G range @gb as a fresh boot does; 0 or -ENOMEM. */
static int emu_boot_map(struct emu_host *h, unsigned long gb)
{
	u64 base = (u64)gb << EMU_GB_SHIFT;
	int level = emu_boot_level(h, gb);
	struct emu_pt *pmd, *pte;
	unsigned int j, k;

	if (level == PG_LEVEL_1G) {
		h->pud[gb] = emu_mk_leaf(EMU_BOOT_ATTRS, base, PG_LEVEL_1G);
		h->nr_leaves[PG_LEVEL_1G]++;
		return 0;
	}
	pmd = emu_alloc_table(h, GFP_KERNEL);
	if (!pmd)
		return -ENOMEM;
	h->pud[gb] = emu_mk_table(pmd);
	for (j = 0; j < PTRS_PER_PMD; j++) {
		u64 pfn = base + (u64)j * RMP_SYNC_REGION_PAGES;

		if (pfn >= h->nr_pages)
			break;
		if (level == PG_LEVEL_2M) {
			pmd->ent[j] = emu_mk_leaf(EMU_BOOT_ATTRS, pfn,
						  PG_LEVEL_2M);
			h->nr_leaves[PG_LEVEL_2M]++;
			continue;
		}
		pte = emu_alloc_table(h, GFP_KERNEL);
		if (!pte)
			return -ENOMEM;
		for (k = 0; k < PTRS_PER_PTE; k++)
			pte->ent[k] = emu_mk_leaf(EMU_BOOT_ATTRS, pfn + k,
						  PG_LEVEL_4K);
		pmd->ent[j] = emu_mk_table(pte);
		h->nr_leaves[PG_LEVEL_4K] += PTRS_PER_PTE;
	}
	return 0;
}

/**
 * emu_create() - boot an emulated host.
 * @cfg: its size, CPUs and CPU features.
 *
 * Return: the host, with the direct map a fresh boot would have and a
 * software RMP with every page hypervisor-owned; NULL on a bad @cfg (see
 * struct emu_config) or an allocation failure.
 */
struct emu_host *emu_create(const struct emu_config *cfg)
{
	struct emu_host *h;
	unsigned long gb;
	unsigned int cpu;

	if (!cfg || !cfg->mem_bytes || cfg->mem_bytes > (4ULL << 40) ||
	    !IS_ALIGNED(cfg->mem_bytes, 1ULL << PMD_SHIFT) ||
	    !cfg->nr_cpus || cfg->nr_cpus > EMU_MAX_CPUS ||
	    (cfg->gbpages && !cfg->pse))
		return NULL;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return NULL;
	h->cfg = *cfg;
	h->nr_pages = cfg->mem_bytes >> PAGE_SHIFT;
	h->nr_gb = DIV_ROUND_UP(h->nr_pages, 1UL << EMU_GB_SHIFT);
	mutex_init(&h->pgd_lock);
	h->pud = kcalloc(h->nr_gb, sizeof(*h->pud), GFP_KERNEL);
	h->cpus = kcalloc(cfg->nr_cpus, sizeof(*h->cpus), GFP_KERNEL);
	h->rmp = rmp_sync_swrmp_create(h->nr_pages);
	if (!h->pud || !h->cpus || !h->rmp)
		goto fail;
	for (cpu = 0; cpu < cfg->nr_cpus; cpu++)
		spin_lock_init(&h->cpus[cpu].lock);
	for (gb = 0; gb < h->nr_gb; gb++)
		if (emu_boot_map(h, gb))
			goto fail;
	return h;
fail:
	emu_destroy(h);
	return NULL;
}

/**
 * emu_destroy() - free a host and its RMP.
 * @h: the host, or NULL; nothing may be using it.
 */
void emu_destroy(struct emu_host *h)
{
	struct emu_pt *t, *next;
	unsigned long gb;
	unsigned int j;

	if (!h)
		return;
	for (gb = 0; h->pud && gb < h->nr_gb; gb++) {
		struct emu_pt *pmd;

		if (!emu_is_table(h->pud[gb]))
			continue;
		pmd = emu_table(h->pud[gb]);
		for (j = 0; j < PTRS_PER_PMD; j++)
			if (emu_is_table(pmd->ent[j]))
				emu_free_table(h, emu_table(pmd->ent[j]));
		emu_free_table(h, pmd);
	}
	for (t = h->deferred; t; t = next) {
		next = t->next;
		emu_free_table(h, t);
	}
	rmp_sync_swrmp_destroy(h->rmp);
	mutex_destroy(&h->pgd_lock);
	kfree(h->cpus);
	kfree(h->pud);
	kfree(h);
}

/**
 * emu_rmp() - the host's software RMP, for rmp_sync_swrmp_ops.
 * @h: the host.
 *
 * Return: the RMP.
 */
struct rmp_sync_swrmp *emu_rmp(struct emu_host *h)
{
	return h->rmp;
}

/**
 * emu_instance_create() - boot an emulated host and build an rmp_sync
 *	instance over it.
 * @in: filled in: the host and the instance.
 * @ec: the host.
 * @cfg: the instance, copied.  What it leaves unset is filled in: @nr_pages
 *	(all of the host's RAM), @rmp (rmp_sync_swrmp_ops), @rmp_priv (the
 *	host's software RMP), @dmap and @dmap_priv (emu_dmap_ops on the host).
 *
 * The one place the harness's tests, tools and benchmarks build a host
 * and an instance; emu_instance_destroy() undoes it.
 *
 * Return: 0; -EINVAL for a bad @ec, -ENOMEM, or rmp_sync_create()'s error.
 * On an error nothing is left built and @in holds NULLs.
 */
int emu_instance_create(struct emu_instance *in, const struct emu_config *ec,
			const struct rmp_sync_config *cfg)
{
	struct rmp_sync_config c = *cfg;

	in->rs = NULL;
	in->h = emu_create(ec);
	if (!in->h)
		return ec && ec->mem_bytes && ec->nr_cpus ? -ENOMEM : -EINVAL;
	if (!c.nr_pages)
		c.nr_pages = ec->mem_bytes >> PAGE_SHIFT;
	if (!c.rmp)
		c.rmp = &rmp_sync_swrmp_ops;
	if (!c.rmp_priv)
		c.rmp_priv = emu_rmp(in->h);
	if (!c.dmap) {
		c.dmap = &emu_dmap_ops;
		c.dmap_priv = in->h;
	}
	in->rs = rmp_sync_create(&c);
	if (IS_ERR(in->rs)) {
		long err = PTR_ERR(in->rs);

		in->rs = NULL;
		emu_destroy(in->h);
		in->h = NULL;
		return err;
	}
	return 0;
}

/**
 * emu_instance_destroy() - free what emu_instance_create() built.
 * @in: the host and the instance; either may be NULL.  Nothing may be
 *	using them.
 */
void emu_instance_destroy(struct emu_instance *in)
{
	rmp_sync_destroy(in->rs);
	emu_destroy(in->h);
	in->rs = NULL;
	in->h = NULL;
}

/**
 * emu_fault() - fault injector of one direct-map backend operation.
 * @h: the host.
 * @op: the operation.
 *
 * Return: the injector, to arm with rmp_sync_fault_arm().
 */
struct rmp_sync_fault_attr *emu_fault(struct emu_host *h, enum emu_fault_op op)
{
	return &h->faults[op];
}

static int emu_dmap_level(void *priv, u64 pfn)
{
	return emu_level(priv, pfn);
}

/*
 * A split with @nofail models the kernel's __GFP_NOFAIL allocation: the
 * injected failures do not apply to it (nor count it).
 */
static int emu_dmap_split(void *priv, u64 pfn, bool nofail, int *old_level)
{
	struct emu_host *h = priv;
	bool changed;
	int ret;

	if (!nofail && rmp_sync_should_fail(&h->faults[EMU_FAULT_SPLIT], &ret)) {
		*old_level = emu_level(h, pfn);
		return ret;
	}
	if (pfn >= h->nr_pages) {
		*old_level = PG_LEVEL_NONE;
		return -EINVAL;
	}
	mutex_lock(&h->pgd_lock);
	ret = __emu_split(h, pfn, PG_LEVEL_4K,
			  nofail ? GFP_KERNEL | __GFP_NOFAIL : GFP_KERNEL,
			  old_level, &changed);
	if (changed)
		__emu_flush_all(h);
	mutex_unlock(&h->pgd_lock);
	return ret;
}

static int emu_dmap_collapse(void *priv, u64 pfn, int level)
{
	struct emu_host *h = priv;
	int ret;

	if (rmp_sync_should_fail(&h->faults[EMU_FAULT_COLLAPSE], &ret))
		return ret;
	return emu_collapse(h, pfn, level);
}

static void emu_dmap_flush(void *priv)
{
	emu_flush_all(priv);
}

const struct rmp_sync_dmap_ops emu_dmap_ops = {
	.name		= "emu",
	.level		= emu_dmap_level,
	.split		= emu_dmap_split,
	.collapse	= emu_dmap_collapse,
	.flush		= emu_dmap_flush,
};

/* ---- the replay engine's view of an emulated host ---------------------- */

static struct emu_instance *emu_in(void *host)
{
	return host;
}

int emu_replay_level(void *host, u64 pfn)
{
	return emu_level(emu_in(host)->h, pfn);
}

void emu_replay_directmap(void *host, u64 *pages_4k, u64 *pages_2m,
			  u64 *pages_1g)
{
	emu_directmap(emu_in(host)->h, pages_4k, pages_2m, pages_1g);
}

/* The tables count their leaves as they change (nr_leaves[]): no walk. */
u64 emu_replay_split_regions(void *host)
{
	u64 p4k, p2m, p1g;

	emu_directmap(emu_in(host)->h, &p4k, &p2m, &p1g);
	return p4k / RMP_SYNC_REGION_PAGES;
}

int emu_replay_write(void *host, unsigned int cpu, u64 pfn)
{
	struct emu_host *h = emu_in(host)->h;

	return emu_write(h, cpu % h->cfg.nr_cpus, pfn);
}

bool emu_replay_assigned(void *host, u64 pfn)
{
	struct rmp_sync_rmp_entry e;

	return !rmp_sync_swrmp_ops.lookup(emu_rmp(emu_in(host)->h), pfn, &e) &&
	       e.assigned;
}

u64 emu_replay_flushes(void *host)
{
	struct emu_stats es;

	emu_get_stats(emu_in(host)->h, &es);
	return es.flushes;
}

/* The background "thread": the pass runs right here, on the replay's clock. */
unsigned int emu_replay_pass(void *host, struct rmp_sync_pass *pass)
{
	return rmp_sync_background(emu_in(host)->rs, pass);
}

int emu_replay_check(void *host)
{
	return emu_check(emu_in(host)->h);
}
