// SPDX-License-Identifier: GPL-2.0
/*
 * A model of the Linux 6.12 page allocator (mm/page_alloc.c), for placing
 * the order-0 pages the vm-churn workload hands to guests.  What it keeps,
 * with the function it follows:
 *
 * - one zone, free lists per order (0..MAX_PAGE_ORDER = 10) and per
 *   migratetype (UNMOVABLE, MOVABLE; RECLAIMABLE, CMA and HIGHATOMIC are
 *   left out), pageblocks of pageblock_order = 9 (2M on x86) each with a
 *   migratetype, all MOVABLE at boot (memmap_init_range());
 * - boot frees memory in address order to the tails of the order-10 lists
 *   (__free_pages_core() with FPI_TO_TAIL);
 * - __rmqueue_smallest(): the first block of the smallest order that has
 *   one, split by expand(): the low half is kept, each upper half goes to
 *   the head of the next lower list;
 * - __rmqueue_fallback(): when the requested type has nothing, the largest
 *   free block of the other type (unmovable requests may always steal,
 *   movable ones only blocks of order >= pageblock_order / 2, else the
 *   smallest block without claiming); steal_suitable_fallback() claims
 *   whole pageblocks for order >= 9, claims a pageblock when its free plus
 *   "alike" pages are at least half of it (moving its free blocks to the
 *   tails of the new type's lists), and otherwise takes the page alone,
 *   the remainder going back to the old type;
 * - __free_one_page(): merging with the buddy while it is a free block of
 *   the same order, then head or tail of the list by buddy_merge_likely();
 *   the freed page's pageblock decides the list;
 * - per-CPU lists (free_unref_page(), rmqueue_bulk(), free_pcppages_bulk()):
 *   an order-0 allocation takes the head of the CPU's list for its type,
 *   refilled with "batch" pages from the buddy lists at the tail; a free
 *   goes to the head, and past "high" pages the CPU returns "batch" from
 *   the tail to the buddy lists.  batch = 63 (zone_batchsize() for any zone
 *   above 1 GiB), high = 6 * batch.
 *
 * guest_memfd folios are allocated with GFP_HIGHUSER (6.12
 * __kvm_gmem_create(): mapping_set_gfp_mask(GFP_HIGHUSER), no
 * __GFP_MOVABLE), so they are UNMOVABLE, like slab and page tables;
 * page cache and anonymous memory are MOVABLE.
 */
#include <linux/types.h>

#include "sim.h"

#define NIL		0xffffffffU
#define MAX_ORDER	10
#define PB_ORDER	9
#define PB_PAGES	(1U << PB_ORDER)
#define NR_MT		2
#define PCP_BATCH	63
#define PCP_HIGH	(6 * PCP_BATCH)

/* pstate: what a page is */
#define PS_FREE		0x80	/* head of a free block; low 4 bits: order */
#define PS_PCP		0x40	/* on a per-CPU list */
#define PS_ALLOC	0x20	/* allocated */
#define PS_MT		0x10	/* the list's / allocation's migratetype */

#define LIST(mt, o)	((mt) * (MAX_ORDER + 1) + (o))
#define NR_BUDDY_LISTS	(NR_MT * (MAX_ORDER + 1))
#define PCP_LIST(b, cpu, mt)	(NR_BUDDY_LISTS + (cpu) * NR_MT + (mt))

struct sim_buddy {
	u64 nr;			/* pages */
	unsigned int nr_cpus;
	u32 *next, *prev;
	u8 *ps;
	u8 *pbmt;		/* migratetype per pageblock */
	u32 *lh, *lt;		/* list heads and tails */
	u32 *pcp_count;
	u64 nr_free;		/* in the buddy lists and on per-CPU lists */
};

static void l_add(struct sim_buddy *b, unsigned int l, u32 p, bool tail)
{
	if (b->lh[l] == NIL) {
		b->lh[l] = b->lt[l] = p;
		b->next[p] = b->prev[p] = NIL;
	} else if (tail) {
		b->prev[p] = b->lt[l];
		b->next[p] = NIL;
		b->next[b->lt[l]] = p;
		b->lt[l] = p;
	} else {
		b->next[p] = b->lh[l];
		b->prev[p] = NIL;
		b->prev[b->lh[l]] = p;
		b->lh[l] = p;
	}
}

static void l_del(struct sim_buddy *b, unsigned int l, u32 p)
{
	if (b->prev[p] != NIL)
		b->next[b->prev[p]] = b->next[p];
	else
		b->lh[l] = b->next[p];
	if (b->next[p] != NIL)
		b->prev[b->next[p]] = b->prev[p];
	else
		b->lt[l] = b->prev[p];
}

static int pb_mt(struct sim_buddy *b, u64 pfn)
{
	return b->pbmt[pfn >> PB_ORDER];
}

static void set_free(struct sim_buddy *b, u32 p, unsigned int o, int mt, bool tail)
{
	b->ps[p] = PS_FREE | o | (mt ? PS_MT : 0);
	l_add(b, LIST(mt, o), p, tail);
}

static void del_free(struct sim_buddy *b, u32 p)
{
	unsigned int o = b->ps[p] & 0xf;
	int mt = !!(b->ps[p] & PS_MT);

	l_del(b, LIST(mt, o), p);
	b->ps[p] = 0;
}

/* expand(): keep the low part, give each upper half back to @mt's lists. */
static void expand(struct sim_buddy *b, u32 p, unsigned int low,
		   unsigned int high, int mt)
{
	while (high > low) {
		high--;
		set_free(b, p + (1U << high), high, mt, false);
	}
}

static u32 rmqueue_smallest(struct sim_buddy *b, unsigned int order, int mt)
{
	unsigned int o;

	for (o = order; o <= MAX_ORDER; o++) {
		u32 p = b->lh[LIST(mt, o)];

		if (p == NIL)
			continue;
		del_free(b, p);
		expand(b, p, order, o, mt);
		return p;
	}
	return NIL;
}

/* Free blocks and movable allocations in the pageblock of @p. */
static void pb_count(struct sim_buddy *b, u32 p, unsigned int *free_pages,
		     unsigned int *movable)
{
	u64 start = p & ~(u64)(PB_PAGES - 1), i;

	*free_pages = *movable = 0;
	for (i = start; i < start + PB_PAGES && i < b->nr;) {
		u8 ps = b->ps[i];

		if (ps & PS_FREE) {
			*free_pages += 1U << (ps & 0xf);
			i += 1U << (ps & 0xf);
			continue;
		}
		if ((ps & PS_ALLOC) && (ps & PS_MT))
			(*movable)++;
		i++;
	}
}

/* __move_freepages_block(): the pageblock's free blocks to @mt's tails. */
static void move_freepages_block(struct sim_buddy *b, u32 p, int mt)
{
	u64 start = p & ~(u64)(PB_PAGES - 1), i;

	for (i = start; i < start + PB_PAGES && i < b->nr;) {
		u8 ps = b->ps[i];

		if (ps & PS_FREE) {
			unsigned int o = ps & 0xf;

			del_free(b, i);
			set_free(b, i, o, mt, true);
			i += 1U << o;
			continue;
		}
		i++;
	}
	b->pbmt[start >> PB_ORDER] = mt;
}

static u32 rmqueue_fallback(struct sim_buddy *b, unsigned int order, int mt)
{
	int other = !mt;
	bool can_steal = false;
	unsigned int co, pbt;
	int o;
	u32 p;

	for (o = MAX_ORDER; o >= (int)order; o--) {
		if (b->lh[LIST(other, o)] == NIL)
			continue;
		can_steal = o >= PB_ORDER || o >= PB_ORDER / 2 || mt == 0;
		if (!can_steal && mt == 1 && o > (int)order)
			goto find_smallest;
		goto do_steal;
	}
	return NIL;
find_smallest:
	for (o = order; o <= MAX_ORDER; o++)
		if (b->lh[LIST(other, o)] != NIL)
			break;
	can_steal = false;
do_steal:
	co = o;
	p = b->lh[LIST(other, co)];
	pbt = pb_mt(b, p);
	if (co >= PB_ORDER) {
		unsigned int i;

		del_free(b, p);
		for (i = 0; i < (1U << co) / PB_PAGES; i++)
			b->pbmt[(p >> PB_ORDER) + i] = mt;
		expand(b, p, order, co, mt);
		return p;
	}
	if (can_steal) {
		unsigned int free_pages, movable, alike;

		pb_count(b, p, &free_pages, &movable);
		if (mt == 1)
			alike = movable;
		else if (pbt == 1)
			alike = PB_PAGES - (free_pages + movable);
		else
			alike = 0;
		if (free_pages + alike >= PB_PAGES / 2) {
			move_freepages_block(b, p, mt);
			return rmqueue_smallest(b, order, mt);
		}
	}
	/* single_page: take it, the rest goes back to the block's type. */
	del_free(b, p);
	expand(b, p, order, co, pbt);
	return p;
}

static u32 rmqueue(struct sim_buddy *b, unsigned int order, int mt)
{
	u32 p = rmqueue_smallest(b, order, mt);

	if (p == NIL)
		p = rmqueue_fallback(b, order, mt);
	return p;
}

/* __free_one_page() */
static void free_one(struct sim_buddy *b, u64 pfn, unsigned int order)
{
	int mt = pb_mt(b, pfn);
	bool tail = false;
	u64 buddy = pfn;

	while (order < MAX_ORDER) {
		buddy = pfn ^ (1ULL << order);
		if (buddy >= b->nr || b->ps[buddy] != (PS_FREE | order |
						       (b->ps[buddy] & PS_MT)))
			break;
		del_free(b, buddy);
		b->ps[pfn] = 0;
		pfn &= buddy;
		order++;
	}
	buddy = pfn ^ (1ULL << order);
	if (order < MAX_ORDER - 1) {
		u64 higher = buddy & pfn;
		u64 hb = higher ^ (1ULL << (order + 1));

		tail = hb < b->nr && (b->ps[hb] & PS_FREE) &&
		       (b->ps[hb] & 0xf) == order + 1;
	}
	set_free(b, pfn, order, mt, tail);
}

/**
 * sim_buddy_create() - a zone of @nr pages, all free, with @nr_cpus
 *	per-CPU lists; the first @reserved pages stay allocated (kernel image,
 *	memblock allocations: never in the buddy lists).
 */
struct sim_buddy *sim_buddy_create(u64 nr, unsigned int nr_cpus, u64 reserved)
{
	struct sim_buddy *b = calloc(1, sizeof(*b));
	unsigned int nl = NR_BUDDY_LISTS + nr_cpus * NR_MT, i;
	u64 p;

	if (!b || nr >= NIL || nr % (1U << MAX_ORDER))
		goto fail;
	b->nr = nr;
	b->nr_cpus = nr_cpus;
	b->next = malloc(nr * sizeof(u32));
	b->prev = malloc(nr * sizeof(u32));
	b->ps = calloc(nr, 1);
	b->pbmt = calloc(nr / PB_PAGES, 1);
	b->lh = malloc(nl * sizeof(u32));
	b->lt = malloc(nl * sizeof(u32));
	b->pcp_count = calloc(nr_cpus * NR_MT, sizeof(u32));
	if (!b->next || !b->prev || !b->ps || !b->pbmt || !b->lh || !b->lt ||
	    !b->pcp_count)
		goto fail;
	for (i = 0; i < nl; i++)
		b->lh[i] = b->lt[i] = NIL;
	memset(b->pbmt, 1, nr / PB_PAGES);	/* MIGRATE_MOVABLE */
	for (p = 0; p < reserved && p < nr; p++)
		b->ps[p] = PS_ALLOC;
	/* Boot frees in address order, to the list tails. */
	for (p = reserved; p < nr;) {
		if (!(p & ((1U << MAX_ORDER) - 1)) && p + (1U << MAX_ORDER) <= nr) {
			set_free(b, p, MAX_ORDER, 1, true);
			p += 1U << MAX_ORDER;
		} else {
			b->ps[p] = PS_ALLOC | PS_MT;
			free_one(b, p, 0);
			p++;
		}
	}
	b->nr_free = nr - min(reserved, nr);
	return b;
fail:
	sim_buddy_destroy(b);
	return NULL;
}

void sim_buddy_destroy(struct sim_buddy *b)
{
	if (!b)
		return;
	free(b->next);
	free(b->prev);
	free(b->ps);
	free(b->pbmt);
	free(b->lh);
	free(b->lt);
	free(b->pcp_count);
	free(b);
}

/**
 * sim_buddy_alloc() - one order-0 page of migratetype @mt (0 unmovable,
 *	1 movable) through CPU @cpu's list.
 *
 * Return: the PFN, or ~0ULL when the zone is empty.
 */
u64 sim_buddy_alloc(struct sim_buddy *b, unsigned int cpu, int mt)
{
	unsigned int l = PCP_LIST(b, cpu % b->nr_cpus, mt);
	u32 p;

	if (b->lh[l] == NIL) {
		unsigned int i;

		for (i = 0; i < PCP_BATCH; i++) {
			p = rmqueue(b, 0, mt);
			if (p == NIL)
				break;
			b->ps[p] = PS_PCP | (mt ? PS_MT : 0);
			l_add(b, l, p, true);
			b->pcp_count[l - NR_BUDDY_LISTS]++;
		}
		if (b->lh[l] == NIL)
			return ~0ULL;
	}
	p = b->lh[l];
	l_del(b, l, p);
	b->pcp_count[l - NR_BUDDY_LISTS]--;
	b->ps[p] = PS_ALLOC | (mt ? PS_MT : 0);
	b->nr_free--;
	return p;
}

/**
 * sim_buddy_alloc_order() - a block of 2^@order pages, no per-CPU list.
 *
 * Return: the first PFN, or ~0ULL.
 */
u64 sim_buddy_alloc_order(struct sim_buddy *b, unsigned int order, int mt)
{
	u32 p = rmqueue(b, order, mt), i;

	if (p == NIL)
		return ~0ULL;
	for (i = 0; i < (1U << order); i++)
		b->ps[p + i] = PS_ALLOC | (mt ? PS_MT : 0);
	b->nr_free -= 1U << order;
	return p;
}

/** sim_buddy_free() - free one order-0 page through CPU @cpu's list. */
void sim_buddy_free(struct sim_buddy *b, unsigned int cpu, u64 pfn)
{
	int mt = pb_mt(b, pfn);
	unsigned int l = PCP_LIST(b, cpu % b->nr_cpus, mt), i;
	u32 *cnt = &b->pcp_count[l - NR_BUDDY_LISTS];

	b->ps[pfn] = PS_PCP | (mt ? PS_MT : 0);
	l_add(b, l, pfn, false);
	b->nr_free++;
	if (++*cnt < PCP_HIGH)
		return;
	for (i = 0; i < PCP_BATCH && b->lt[l] != NIL; i++) {
		u32 p = b->lt[l];

		l_del(b, l, p);
		(*cnt)--;
		b->ps[p] = PS_ALLOC;
		free_one(b, p, 0);
	}
}

/** sim_buddy_free_order() - free a block of 2^@order pages at @pfn. */
void sim_buddy_free_order(struct sim_buddy *b, u64 pfn, unsigned int order)
{
	memset(&b->ps[pfn], 0, 1U << order);
	b->ps[pfn] = PS_ALLOC;
	free_one(b, pfn, order);
	b->nr_free += 1U << order;
}

/**
 * sim_buddy_take() - allocate the page @pfn itself if it is free in the
 *	buddy lists (take_page_off_buddy()): its free block is split around it.
 *
 * Return: true if taken.
 */
bool sim_buddy_take(struct sim_buddy *b, u64 pfn, int mt)
{
	unsigned int o;
	u64 head = pfn;

	if (pfn >= b->nr)
		return false;
	for (o = 0; o <= MAX_ORDER; o++) {
		head = pfn & ~((1ULL << o) - 1);
		if ((b->ps[head] & PS_FREE) && (b->ps[head] & 0xf) == o)
			break;
		if (b->ps[head] & (PS_ALLOC | PS_PCP))
			return false;
	}
	if (o > MAX_ORDER)
		return false;
	{
		int lmt = !!(b->ps[head] & PS_MT);

		del_free(b, head);
		/* Give back every half that does not hold @pfn. */
		while (o > 0) {
			o--;
			if (pfn & (1ULL << o)) {
				set_free(b, head, o, lmt, false);
				head += 1ULL << o;
			} else {
				set_free(b, head + (1ULL << o), o, lmt, false);
			}
		}
	}
	b->ps[pfn] = PS_ALLOC | (mt ? PS_MT : 0);
	b->nr_free--;
	return true;
}

/** sim_buddy_nr_free() - free pages, per-CPU lists included. */
u64 sim_buddy_nr_free(const struct sim_buddy *b)
{
	return b->nr_free;
}
