// SPDX-License-Identifier: GPL-2.0
/*
 * Software RMP: an in-memory stand-in for the SEV-SNP Reverse Map Table, for
 * KUnit in QEMU (which has no SNP) and for the userspace harness in
 * tools/testing/rmp_sync/.  This file is compiled unchanged in both.
 *
 * Taken from the architecture (AMD APM Vol. 2, "Secure Nested Paging";
 * Vol. 3, RMPUPDATE and PSMASH; struct rmpentry in 6.12
 * arch/x86/virt/svm/sev.c):
 *  - one entry per 4K page: assigned, page size (4K/2M), immutable,
 *    validated, VMSA, a 10-bit ASID and the GPA (Validated and VMSA are not
 *    emulated: the core never reads them, and only a guest sets them);
 *  - RMPUPDATE of a 2M page needs a 2M-aligned system address and GPA;
 *  - RMPUPDATE fails with FAIL_PERMISSION on an immutable entry;
 *  - RMPUPDATE fails with FAIL_OVERLAP for a 4K update inside an assigned 2M
 *    page (sev_gmem_invalidate() in 6.12 arch/x86/kvm/svm/sev.c does PSMASH
 *    first for this reason);
 *  - PSMASH turns one 2M entry into 512 4K entries with the same attributes,
 *    the GPA stepping by 4K; it needs a 2M-aligned address (FAIL_INPUT
 *    otherwise);
 *  - a write through a 4K mapping checks that page's entry, through a 2M or
 *    1G mapping all 512 entries of the 2M range written (the comment above
 *    adjust_direct_map() in 6.12 arch/x86/virt/svm/sev.c).
 *
 * This emulation's own choices, where the APM leaves room or where
 * hardware detail does not matter to rmp_sync:
 *  - a 2M RMPUPDATE writes all 512 entries (page size 2M, GPA stepping 4K)
 *    rather than only the base entry, so a lookup or a write check never
 *    has to consult the base entry;
 *  - FAIL_OVERLAP for a 2M RMPUPDATE over assigned 4K-sized entries, and
 *    FAIL_INPUT for a PSMASH of anything but an assigned 2M entry, are our
 *    reading of the APM;
 *  - FAIL_INPUT for a shared (assigned=0) state with a nonzero GPA, ASID or
 *    Immutable, so that a caller's mistake shows up in tests;
 *  - FAIL_INUSE is never produced by the emulation itself; the fault
 *    injectors (rmp_sync_swrmp_fault()) return it, or any other code;
 *  - the check order: fault injector, input, immutable, overlap.
 *
 * As rmp_sync_swrmp_checked_ops, given the direct map's level
 * (rmp_sync_swrmp_check_order()), it also checks S1 as each RMPUPDATE
 * lands: a region the update leaves mixed must already be mapped 4K.  A
 * split that comes after the RMPUPDATE (the wrong order) is caught there
 * even where no write races with it.  rmp_sync_swrmp_ops is the same RMP
 * without the check, for updates made behind an instance's back.
 *
 * Sparse: entries live in per-2M chunks allocated on the first assignment in
 * the region and kept until rmp_sync_swrmp_destroy(); an unallocated chunk
 * reads as 512 hypervisor-owned 4K entries.  Up front, a 2M region costs a
 * chunk pointer and a 16-bit assigned count, so 1 TiB costs 5 MiB.
 */
#define pr_fmt(fmt) "rmp_sync swrmp: " fmt

#include <linux/types.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/cache.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/rmp_sync.h>
#include <linux/rmp_sync_swrmp.h>

#define SWRMP_ASSIGNED		BIT(0)
#define SWRMP_2M		BIT(1)	/* page size of the entry is 2M */
#define SWRMP_IMMUTABLE		BIT(2)

/* The ASID field of an RMP entry is 10 bits wide (struct rmpentry). */
#define SWRMP_NR_ASIDS		1024

/* Power of two; adjacent 2M regions hash to different locks. */
#define SWRMP_NR_LOCKS		64

struct swrmp_entry {
	u64 gpa;
	u16 asid;
	u8 flags;
};

struct swrmp_chunk {
	struct swrmp_entry e[RMP_SYNC_REGION_PAGES];
};

struct rmp_sync_swrmp {
	/* Read by every operation, written at creation (and when armed). */
	u64 nr_pages;
	struct swrmp_chunk **chunks;
	/*
	 * Assigned entries per region.  Kept apart from the chunks so that
	 * the write check reads it with READ_ONCE() and no lock: its array
	 * exists from creation on, while a chunk appears later and reading one
	 * without the lock would need an acquire/release pairing.
	 */
	u16 *nassigned;
	struct rmp_sync_fault_attr faults[RMP_SYNC_SWRMP_NR_OPS];
	/* the S1 order check: the direct map's level, if set */
	int (*level)(void *priv, u64 pfn);
	void *level_priv;
	atomic_long_t order_violations;
	/*
	 * locks[r % SWRMP_NR_LOCKS] protects chunks[r], the entries of that
	 * chunk and the writes of nassigned[r].  Every operation touches one
	 * 2M region, so one lock is taken at a time.  On cache lines of their
	 * own: the fields above are read by every operation on every CPU.
	 */
	spinlock_t locks[SWRMP_NR_LOCKS] ____cacheline_aligned_in_smp;
};

static void swrmp_lock(struct rmp_sync_swrmp *rmp, u64 region)
	__acquires(&rmp->locks)
{
	spin_lock(&rmp->locks[region & (SWRMP_NR_LOCKS - 1)]);
}

static void swrmp_unlock(struct rmp_sync_swrmp *rmp, u64 region)
	__releases(&rmp->locks)
{
	spin_unlock(&rmp->locks[region & (SWRMP_NR_LOCKS - 1)]);
}

/**
 * rmp_sync_swrmp_create() - create a software RMP with every page
 *	hypervisor-owned.
 * @nr_pages: pages covered; a nonzero multiple of RMP_SYNC_REGION_PAGES.
 *
 * Return: the RMP, or NULL on a bad @nr_pages or an allocation failure.
 */
struct rmp_sync_swrmp *rmp_sync_swrmp_create(u64 nr_pages)
{
	u64 nr_regions = nr_pages >> RMP_SYNC_REGION_SHIFT;
	struct rmp_sync_swrmp *rmp;
	int i;

	if (!nr_pages || !IS_ALIGNED(nr_pages, RMP_SYNC_REGION_PAGES))
		return NULL;

	rmp = kzalloc_obj(*rmp, GFP_KERNEL);
	if (!rmp)
		return NULL;
	rmp->nr_pages = nr_pages;
	rmp->chunks = kvcalloc(nr_regions, sizeof(*rmp->chunks), GFP_KERNEL);
	rmp->nassigned = kvcalloc(nr_regions, sizeof(*rmp->nassigned),
				  GFP_KERNEL);
	if (!rmp->chunks || !rmp->nassigned) {
		kvfree(rmp->chunks);
		kvfree(rmp->nassigned);
		kfree(rmp);
		return NULL;
	}
	for (i = 0; i < SWRMP_NR_LOCKS; i++)
		spin_lock_init(&rmp->locks[i]);
	return rmp;
}

/**
 * rmp_sync_swrmp_destroy() - free a software RMP.
 * @rmp: the RMP, or NULL.  No other caller may be using it.
 */
void rmp_sync_swrmp_destroy(struct rmp_sync_swrmp *rmp)
{
	u64 r;

	if (!rmp)
		return;
	for (r = 0; r < rmp->nr_pages >> RMP_SYNC_REGION_SHIFT; r++)
		kfree(rmp->chunks[r]);
	kvfree(rmp->chunks);
	kvfree(rmp->nassigned);
	kfree(rmp);
}

/* The RMPUPDATE input checks that need no RMP state. */
static bool swrmp_update_input_ok(struct rmp_sync_swrmp *rmp, u64 pfn,
				  const struct rmp_sync_rmp_state *st)
{
	u64 align;

	if (pfn >= rmp->nr_pages)
		return false;
	if (st->level == PG_LEVEL_4K)
		align = 1;
	else if (st->level == PG_LEVEL_2M)
		align = RMP_SYNC_REGION_PAGES;
	else
		return false;
	if (!IS_ALIGNED(pfn, align) || !IS_ALIGNED(st->gpa, align * PAGE_SIZE))
		return false;
	if (st->asid >= SWRMP_NR_ASIDS)
		return false;
	if (!st->assigned && (st->gpa || st->asid || st->immutable))
		return false;
	return true;
}

/* RMPUPDATE's state checks on the entries [@first, @first + @n). */
static int swrmp_update_state_check(const struct swrmp_chunk *c,
				    unsigned int first, unsigned int n)
{
	unsigned int i;

	if (!c)
		return RMP_SYNC_RMP_SUCCESS;
	for (i = first; i < first + n; i++)
		if (c->e[i].flags & SWRMP_IMMUTABLE)
			return RMP_SYNC_RMP_FAIL_PERMISSION;
	for (i = first; i < first + n; i++) {
		u8 f = c->e[i].flags;

		if (!(f & SWRMP_ASSIGNED))
			continue;
		/* 4K into an assigned 2M page: PSMASH first. */
		if (n == 1 && (f & SWRMP_2M))
			return RMP_SYNC_RMP_FAIL_OVERLAP;
		/* 2M over assigned 4K pages. */
		if (n > 1 && !(f & SWRMP_2M))
			return RMP_SYNC_RMP_FAIL_OVERLAP;
	}
	return RMP_SYNC_RMP_SUCCESS;
}

/* S1: a region an RMPUPDATE left mixed must already be mapped 4K. */
static void swrmp_check_order(struct rmp_sync_swrmp *rmp, u64 pfn)
{
	unsigned int assigned = rmp_sync_swrmp_assigned(rmp, pfn);

	if (rmp->level && assigned && assigned < RMP_SYNC_REGION_PAGES &&
	    rmp->level(rmp->level_priv, pfn) > PG_LEVEL_4K)
		atomic_long_inc(&rmp->order_violations);
}

static int swrmp_update(void *priv, u64 pfn,
			const struct rmp_sync_rmp_state *st)
{
	struct rmp_sync_swrmp *rmp = priv;
	u64 region = pfn >> RMP_SYNC_REGION_SHIFT;
	struct swrmp_chunk *c, *new = NULL;
	unsigned int first, n, i;
	int ret, delta = 0;

	if (rmp_sync_should_fail(&rmp->faults[RMP_SYNC_SWRMP_UPDATE], &ret))
		return ret;
	if (!swrmp_update_input_ok(rmp, pfn, st))
		return RMP_SYNC_RMP_FAIL_INPUT;

	/*
	 * An assignment needs the region's chunk.  Allocate it before taking
	 * the spinlock (GFP_KERNEL may sleep) and install it under the lock
	 * unless another caller did so meanwhile.
	 */
	if (st->assigned) {
		swrmp_lock(rmp, region);
		c = rmp->chunks[region];
		swrmp_unlock(rmp, region);
		if (!c) {
			new = kzalloc_obj(*new, GFP_KERNEL);
			if (!new)
				return -ENOMEM;
		}
	}

	first = pfn & (RMP_SYNC_REGION_PAGES - 1);
	n = st->level == PG_LEVEL_2M ? RMP_SYNC_REGION_PAGES : 1;

	swrmp_lock(rmp, region);
	c = rmp->chunks[region];
	ret = swrmp_update_state_check(c, first, n);
	if (ret != RMP_SYNC_RMP_SUCCESS || (!c && !st->assigned))
		goto out;	/* failed, or shared over never-assigned */
	if (!c) {
		c = new;
		new = NULL;
		rmp->chunks[region] = c;
	}

	for (i = first; i < first + n; i++) {
		struct swrmp_entry *e = &c->e[i];

		delta += !!st->assigned - !!(e->flags & SWRMP_ASSIGNED);
		e->flags = 0;
		e->gpa = 0;
		e->asid = 0;
		if (st->assigned) {
			e->flags = SWRMP_ASSIGNED;
			if (st->level == PG_LEVEL_2M)
				e->flags |= SWRMP_2M;
			if (st->immutable)
				e->flags |= SWRMP_IMMUTABLE;
			e->gpa = st->gpa + (u64)(i - first) * PAGE_SIZE;
			e->asid = st->asid;
		}
	}
	WRITE_ONCE(rmp->nassigned[region], rmp->nassigned[region] + delta);
out:
	swrmp_unlock(rmp, region);
	kfree(new);
	return ret;
}

static int swrmp_update_checked(void *priv, u64 pfn,
				const struct rmp_sync_rmp_state *st)
{
	int ret = swrmp_update(priv, pfn, st);

	if (ret == RMP_SYNC_RMP_SUCCESS)
		swrmp_check_order(priv, pfn);
	return ret;
}

static int swrmp_psmash(void *priv, u64 pfn)
{
	struct rmp_sync_swrmp *rmp = priv;
	u64 region = pfn >> RMP_SYNC_REGION_SHIFT;
	struct swrmp_chunk *c;
	unsigned int i;
	int ret;

	if (rmp_sync_should_fail(&rmp->faults[RMP_SYNC_SWRMP_PSMASH], &ret))
		return ret;
	if (pfn >= rmp->nr_pages || !IS_ALIGNED(pfn, RMP_SYNC_REGION_PAGES))
		return RMP_SYNC_RMP_FAIL_INPUT;

	ret = RMP_SYNC_RMP_FAIL_INPUT;
	swrmp_lock(rmp, region);
	c = rmp->chunks[region];
	if (!c || (c->e[0].flags & (SWRMP_ASSIGNED | SWRMP_2M)) !=
		  (SWRMP_ASSIGNED | SWRMP_2M))
		goto out;
	/*
	 * A 2M assignment wrote all 512 entries with their GPAs already
	 * stepping by 4K, so only the page size changes.
	 */
	for (i = 0; i < RMP_SYNC_REGION_PAGES; i++)
		c->e[i].flags &= ~SWRMP_2M;
	ret = RMP_SYNC_RMP_SUCCESS;
out:
	swrmp_unlock(rmp, region);
	return ret;
}

static int swrmp_lookup(void *priv, u64 pfn, struct rmp_sync_rmp_entry *e)
{
	struct rmp_sync_swrmp *rmp = priv;
	u64 region = pfn >> RMP_SYNC_REGION_SHIFT;
	const struct swrmp_entry *se;
	struct swrmp_chunk *c;

	if (pfn >= rmp->nr_pages)
		return -EINVAL;

	*e = (struct rmp_sync_rmp_entry){ .level = PG_LEVEL_4K };
	/*
	 * A region with no assigned entry reads as the default entries: a
	 * shared RMPUPDATE clears every field it writes.  As in
	 * rmp_sync_swrmp_write_ok(), no lock for that: rmp_sync_check()
	 * looks up every entry of every region, most regions hold none, and
	 * a lock per entry is what makes that slow under lockdep.
	 */
	if (!READ_ONCE(rmp->nassigned[region]))
		return 0;
	swrmp_lock(rmp, region);
	c = rmp->chunks[region];
	if (c) {
		se = &c->e[pfn & (RMP_SYNC_REGION_PAGES - 1)];
		e->gpa = se->gpa;
		e->asid = se->asid;
		e->assigned = se->flags & SWRMP_ASSIGNED;
		e->immutable = se->flags & SWRMP_IMMUTABLE;
		if (se->flags & SWRMP_2M)
			e->level = PG_LEVEL_2M;
	}
	swrmp_unlock(rmp, region);
	return 0;
}

const struct rmp_sync_rmp_ops rmp_sync_swrmp_ops = {
	.name	= "swrmp",
	.update	= swrmp_update,
	.psmash	= swrmp_psmash,
	.lookup	= swrmp_lookup,
};

/* The same, with the S1 order check (rmp_sync_swrmp_check_order()). */
const struct rmp_sync_rmp_ops rmp_sync_swrmp_checked_ops = {
	.name	= "swrmp (S1 order checked)",
	.update	= swrmp_update_checked,
	.psmash	= swrmp_psmash,
	.lookup	= swrmp_lookup,
};

/**
 * rmp_sync_swrmp_write_ok() - the RMP check of a hypervisor write.
 * @rmp: the RMP.
 * @pfn: the page written.
 * @leaf_level: level of the translation used for the write.
 *
 * Through a 4K leaf only @pfn's entry must be hypervisor-owned; through a 2M
 * or a 1G leaf all 512 entries of the 2M range holding @pfn must be (a 1G
 * leaf is checked as 2M: APM Vol. 2, "RMP and VMPL Access Checks").
 * Lockless for larger leaves: a write racing with the RMPUPDATE that makes
 * the region mixed may see either state, and S1 (DESIGN.md) is about never
 * letting that race happen.
 *
 * Return: true if the write passes, false if it raises an RMP #PF (also for
 * a @pfn outside the RMP).
 */
bool rmp_sync_swrmp_write_ok(struct rmp_sync_swrmp *rmp, u64 pfn,
			     enum pg_level leaf_level)
{
	u64 region = pfn >> RMP_SYNC_REGION_SHIFT;
	struct swrmp_chunk *c;
	bool ok = true;

	if (pfn >= rmp->nr_pages)
		return false;
	if (!READ_ONCE(rmp->nassigned[region]))
		return true;
	if (leaf_level != PG_LEVEL_4K)
		return false;

	swrmp_lock(rmp, region);
	c = rmp->chunks[region];
	if (c)
		ok = !(c->e[pfn & (RMP_SYNC_REGION_PAGES - 1)].flags &
		       SWRMP_ASSIGNED);
	swrmp_unlock(rmp, region);
	return ok;
}

/**
 * rmp_sync_swrmp_assigned() - assigned pages in a 2M region.
 * @rmp: the RMP.
 * @pfn: any page of the region.
 *
 * Return: the number of assigned entries (0..512), 0 outside the RMP.
 */
unsigned int rmp_sync_swrmp_assigned(struct rmp_sync_swrmp *rmp, u64 pfn)
{
	if (pfn >= rmp->nr_pages)
		return 0;
	return READ_ONCE(rmp->nassigned[pfn >> RMP_SYNC_REGION_SHIFT]);
}

/* Is @pfn the first page of an assigned 2M-sized entry? */
static bool swrmp_is_2m(struct rmp_sync_swrmp *rmp, u64 pfn)
{
	struct rmp_sync_rmp_entry e;

	return IS_ALIGNED(pfn, RMP_SYNC_REGION_PAGES) && !swrmp_lookup(rmp, pfn, &e) &&
	       e.assigned && e.level == PG_LEVEL_2M;
}

static bool swrmp_is_assigned(struct rmp_sync_swrmp *rmp, u64 pfn)
{
	struct rmp_sync_rmp_entry e;

	return !swrmp_lookup(rmp, pfn, &e) && e.assigned;
}

/**
 * rmp_sync_swrmp_give_back() - give every page of a range back to the
 *	hypervisor, through an rmp_sync instance.
 * @rmp: the software RMP behind @rs.
 * @rs: the instance.
 * @pfn: first page of the range, 2M-aligned.
 * @nr_pages: pages in the range, a multiple of RMP_SYNC_REGION_PAGES.
 *
 * A 2M-sized entry goes back with one 2M rmp_sync_make_shared(), every
 * other assigned page with a 4K one; a page @rs refuses (leaked, immutable)
 * stays assigned.  A region @rs still holds split though none of its pages
 * is assigned (a refused collapse parks a region until its next transition)
 * is queued again by one page's round trip.  Every region is then a
 * collapse candidate if it can be one: the tests' and tools' S2 checks
 * recover and look.  Call it with no other transition in the range.
 *
 * Return: the pages of the range that stay assigned.
 */
u64 rmp_sync_swrmp_give_back(struct rmp_sync_swrmp *rmp, struct rmp_sync *rs,
			     u64 pfn, u64 nr_pages)
{
	u64 first, p, left = 0;

	for (first = pfn; first < pfn + nr_pages; first += RMP_SYNC_REGION_PAGES) {
		struct rmp_sync_region_info info;
		u64 spare = first + RMP_SYNC_REGION_PAGES / 2;

		if (swrmp_is_2m(rmp, first) &&
		    !rmp_sync_make_shared(rs, first, PG_LEVEL_2M))
			continue;
		for (p = first; p < first + RMP_SYNC_REGION_PAGES; p++)
			if (swrmp_is_assigned(rmp, p))
				rmp_sync_make_shared(rs, p, PG_LEVEL_4K);
		left += rmp_sync_swrmp_assigned(rmp, first);
		if (rmp_sync_region_info(rs, first, &info) || !info.split ||
		    info.pending || info.assigned)
			continue;
		if (!rmp_sync_make_private(rs, spare, 0, PG_LEVEL_4K, 1, false))
			rmp_sync_make_shared(rs, spare, PG_LEVEL_4K);
	}
	return left;
}

/**
 * rmp_sync_swrmp_quiesce() - give a range back, recover, and check S2.
 * @rmp: the software RMP behind @rs.
 * @rs: the instance.
 * @pfn: first page of the range, 2M-aligned.
 * @nr_pages: pages in the range, a multiple of RMP_SYNC_REGION_PAGES.
 *
 * Gives every page of the range back (rmp_sync_swrmp_give_back()), runs
 * recovery passes, the delay ignored, until one collapses nothing, then
 * checks S2 as rmp_sync sees it: no region of the range is still queued,
 * and none that holds no assigned page (a leaked page counts as assigned,
 * its record lost or not) is still split by rmp_sync.  A region another kernel user split is not
 * rmp_sync's to restore; whether the page tables agree, and whether 1G
 * ranges came back, is for the caller to check on its host.  Each region
 * that breaks S2 is reported with pr_err().
 *
 * Return: the number of regions of the range that break S2, or a negative
 * errno from a recovery pass.
 */
long rmp_sync_swrmp_quiesce(struct rmp_sync_swrmp *rmp, struct rmp_sync *rs,
			    u64 pfn, u64 nr_pages)
{
	u64 first;
	long bad = 0;
	int n;

	rmp_sync_swrmp_give_back(rmp, rs, pfn, nr_pages);
	while ((n = rmp_sync_recover(rs, 1U << 20, true, NULL)) > 0)
		;
	if (n < 0)
		return n;
	for (first = pfn; first < pfn + nr_pages; first += RMP_SYNC_REGION_PAGES) {
		struct rmp_sync_region_info info;

		if (rmp_sync_region_info(rs, first, &info))
			return -EINVAL;
		if (info.pending ||
		    (info.split && info.ours && !info.assigned && !info.leaked)) {
			pr_err("S2: region at PFN 0x%llx %s (%u pages assigned)\n",
			       (unsigned long long)first,
			       info.pending ? "still queued" : "still split", info.assigned);
			bad++;
		}
	}
	return bad;
}

/**
 * rmp_sync_swrmp_fault() - fault injector of one RMP operation.
 * @rmp: the RMP.
 * @op: the operation.
 *
 * Return: the injector, to arm with rmp_sync_fault_arm(); an armed injector
 * makes the operation return its error before any check, changing nothing.
 */
struct rmp_sync_fault_attr *rmp_sync_swrmp_fault(struct rmp_sync_swrmp *rmp,
						 enum rmp_sync_swrmp_op op)
{
	return &rmp->faults[op];
}

/**
 * rmp_sync_swrmp_check_order() - check S1 as each RMPUPDATE lands.
 * @rmp: the RMP.
 * @level: the direct map's leaf level at a PFN (a direct-map backend's
 *	@level), called after every successful RMPUPDATE made through
 *	rmp_sync_swrmp_checked_ops; NULL stops the check.
 * @priv: its argument.
 *
 * An RMPUPDATE that leaves its region mixed while @level reports a mapping
 * larger than 4K is counted: the split must come before the update (S1 in
 * Documentation/arch/x86/rmp_sync.rst).  Set it before the RMP is shared.
 */
void rmp_sync_swrmp_check_order(struct rmp_sync_swrmp *rmp,
				int (*level)(void *priv, u64 pfn), void *priv)
{
	rmp->level_priv = priv;
	rmp->level = level;
}

/**
 * rmp_sync_swrmp_order_violations() - RMPUPDATEs that broke S1's order.
 * @rmp: the RMP.
 *
 * Return: the number of RMPUPDATEs, since the check was set, that made a
 * region mixed while it was mapped larger than 4K.
 */
unsigned long rmp_sync_swrmp_order_violations(struct rmp_sync_swrmp *rmp)
{
	return atomic_long_read(&rmp->order_violations);
}
