// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-sim generated workloads.  Each one writes its operations into a
 * struct sim_trace, exactly as if it had been read from a trace file, so
 * --emit-trace reproduces it and every policy replays the same history.
 * Everything is drawn from one generator (rmp_sync_rand()) seeded by --seed.
 *
 * The generator keeps its own model of who owns every page (a bitmap of
 * assigned pages, per-region use) so that it only asks for transitions the
 * RMP allows: a workload replayed with --strict rejects nothing.
 *
 * vm-churn is the order-0 guest_memfd workload of today's kernels: see
 * churn4k.c.  vm-churn-2m, below, is the hugepage guest_memfd future.
 *
 * vm-churn-2m: a long-running SNP host (default 64 GiB, 72 simulated hours).
 *
 *   VM arrivals     Poisson, VM_ARRIVALS_PER_HOUR (1.2/h); a VM that does not
 *                   fit (10% of the regions stay for the host) is turned away
 *   VM size         1, 2, 4, 8 or 16 GiB, equally likely (mean 6.2 GiB)
 *   VM lifetime     uniform 1 h .. 10 h; the VMs still running at the end
 *                   are torn down then ("final teardown"), and the host stays
 *                   up ten more simulated minutes (DRAIN_MS), long enough for
 *                   the longest backed-off collapse delay
 *   private memory  2M pages (THP-backed guest_memfd: "private R 2m"), each
 *                   a whole free 2M region picked at random; plus
 *                   PRIV_4K_PER_GB (128) 4K private pages per GiB from the
 *                   host's 4K pool (see below)
 *   per vCPU        (1 + GiB/2 vCPUs) one VMSA page, 4K private from the
 *                   pool; one GHCB page: a 4K page of a 2M private page
 *                   converted to shared ("psmash R", then "shared P 4k")
 *   firmware        one 4K context page per VM (ASID 0) from the pool
 *   SWIOTLB         one 2M private region per 2 GiB (1..8): bursts of
 *                   BURST_PAGES (8) pages go shared for 10..60 s and back to
 *                   private, BURSTS_PER_VM_HOUR (20) per VM per hour, at most
 *                   4 at a time; the first 4K conversion of a 2M page makes
 *                   the core PSMASH it
 *   conversions     CONV_PER_VM_HOUR (2) per VM per hour, a 4K page of any
 *                   2M private page goes shared until teardown (virtio
 *                   rings, ...): explicit "psmash" + "shared 4k"
 *   teardown        every page back: "shared R 2m" for intact 2M pages, 4K
 *                   by 4K for PSMASHed ones and pool pages
 *   leaks           LEAK_ONE_IN (8): one VM in 8 has its firmware context
 *                   page assigned immutable; the core (like the firmware)
 *                   refuses to give an immutable page back, so at teardown
 *                   that page is leaked ("leak P") where snp_leak_pages()
 *                   would be called.  Every other VMSA/firmware page is
 *                   assigned mutable and reclaimed at teardown (standing in
 *                   for SNP_PAGE_RECLAIM, which this API does not model).
 *   host writes     WRITES_PER_HOUR (1800/h, one every 2 s): three in four
 *                   to a random hypervisor-owned page of RAM, one in four to
 *                   a live GHCB page (the host writes GHCBs all the time)
 *
 *   The 4K pool is how the host page allocator hands out 4K pages: from the
 *   current 2M block until it is full, then from another random region
 *   that is neither free-for-2M-use nor a VM's 2M page.  So guests' 4K pages
 *   share 2M regions with each other and with free host memory.
 *
 *   Rates are scaled so that "make demo" (all four policies, ASan build)
 *   stays well under a minute on two cores: about 1.4 million operations
 *   at the defaults (seed 1), about 6.5 VMs running at a time.
 *
 * flip-storm: the S5 adversary.  One guest takes three quarters of RAM as
 *   2M private pages, then flips one 4K page of each of them shared and
 *   back, region after region, FLIPS_PER_MS (4) flips per simulated ms,
 *   for --hours (default 10 simulated seconds); the host writes every page
 *   the guest shares, as KVM would write a page it was handed.  Then the
 *   guest is torn down.
 */
#include <ctype.h>
#include <math.h>
#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/rmp_sync.h>
#include <linux/rmp_sync_debug.h>

#include "sim.h"

#define RP			RMP_SYNC_REGION_PAGES
#define MS_PER_HOUR		3600000ULL

#define VM_ARRIVALS_PER_HOUR	1.2
#define VM_MIN_LIFE_MS		(1 * MS_PER_HOUR)
#define VM_MAX_LIFE_MS		(10 * MS_PER_HOUR)
#define HOST_RESERVE_PCT	10
#define PRIV_4K_PER_GB		128
#define BURST_PAGES		8
#define BURSTS_PER_VM_HOUR	20.0
#define BURST_MIN_MS		10000
#define BURST_MAX_MS		60000
#define MAX_BURSTS		4
#define CONV_PER_VM_HOUR	2.0
#define LEAK_ONE_IN		8
#define WRITES_PER_HOUR		1800.0
#define DRAIN_MS		600000
#define MAX_VMS			64

#define FLIPS_PER_MS		4

/* What a 2M region is used for, in the generator's model. */
enum wl_region_kind {
	WL_FREE,		/* no page in use */
	WL_POOL,		/* some pages handed out 4K by 4K */
	WL_VM,			/* a VM's 2M private page */
};

struct wl_burst {
	u64 pfn;		/* first of BURST_PAGES shared pages */
	u64 end_ms;
};

struct wl_vm {
	bool live;
	u32 asid;
	u64 end_ms, next_burst_ms, next_conv_ms;
	u64 *r2m;		/* region numbers of its 2M pages */
	bool *smashed;		/* ... whose RMP entry was PSMASHed */
	unsigned int nr2m, nr_swiotlb;
	u64 *p4k;		/* pool pages: 4K private, VMSAs, firmware */
	unsigned int nr4k;
	u64 fw_pfn;
	bool fw_leak;		/* firmware page immutable: leaked at teardown */
	u64 *ghcb;
	unsigned int nr_ghcb;
	struct wl_burst bursts[MAX_BURSTS];
	unsigned int nr_bursts;
};

struct wl {
	struct sim_trace *t;
	u64 rng;
	u64 nr_pages, nr_regions;
	u64 emitted_ms;		/* clock as far as ticks were emitted */
	u8 *kind;		/* enum wl_region_kind per region */
	u16 *used;		/* pool pages in use per region */
	unsigned long *assigned;	/* per page: assigned in the RMP */
	unsigned long *pool;		/* per page: handed out by the pool */
	u64 free_regions;
	u64 cur_pool;		/* region the pool allocates from */
	bool have_pool;
	struct wl_vm vms[MAX_VMS];
	u32 next_asid;
	int err;
};

static u64 wl_rand(struct wl *w)
{
	return rmp_sync_rand(&w->rng);
}

/* Uniform in [0, n). */
static u64 wl_below(struct wl *w, u64 n)
{
	return n ? wl_rand(w) % n : 0;
}

/* Uniform in (0, 1]. */
static double wl_unit(struct wl *w)
{
	return (double)((wl_rand(w) >> 11) + 1) / (double)(1ULL << 53);
}

/* Milliseconds to the next event of a Poisson process of @per_hour. */
static u64 wl_exp_ms(struct wl *w, double per_hour)
{
	return 1 + (u64)(-log(wl_unit(w)) * (double)MS_PER_HOUR / per_hour);
}

static void wl_emit(struct wl *w, enum rsr_op_kind kind, u64 arg, u8 level)
{
	struct rsr_op op = { .kind = kind, .arg = arg, .level = level };

	if (w->err)
		return;
	op.line = w->t->nr + SIM_EMIT_FIRST_LINE;
	if (kind == RSR_OP_LEAK)
		op.n = 1;
	w->err = sim_trace_add(w->t, &op);
}

static void wl_private(struct wl *w, u64 pfn, u8 level, u32 asid, u64 gpa,
		       bool immutable)
{
	struct rsr_op op = {
		.kind = RSR_OP_PRIVATE, .arg = pfn, .level = level,
		.n = asid, .gpa = gpa,
		.flags = immutable ? RSR_OP_IMMUTABLE : 0,
	};
	unsigned int i, n = level == PG_LEVEL_2M ? RP : 1;

	for (i = 0; i < n; i++)
		set_bit(pfn + i, w->assigned);
	if (w->err)
		return;
	op.line = w->t->nr + SIM_EMIT_FIRST_LINE;
	w->err = sim_trace_add(w->t, &op);
}

static void wl_shared(struct wl *w, u64 pfn, u8 level)
{
	unsigned int i, n = level == PG_LEVEL_2M ? RP : 1;

	for (i = 0; i < n; i++)
		clear_bit(pfn + i, w->assigned);
	wl_emit(w, RSR_OP_SHARED, pfn, level);
}

/* Move the clock to @ms, as one tick. */
static void wl_advance(struct wl *w, u64 ms)
{
	if (ms > w->emitted_ms) {
		wl_emit(w, RSR_OP_TICK, ms - w->emitted_ms, 0);
		w->emitted_ms = ms;
	}
}

/* A whole free region for a 2M page; the caller checked free_regions. */
static u64 wl_alloc_2m(struct wl *w)
{
	u64 r = wl_below(w, w->nr_regions), i;

	/* Random probes first: a real host's free 2M blocks are scattered. */
	for (i = 0; i < 64; i++, r = wl_below(w, w->nr_regions))
		if (w->kind[r] == WL_FREE)
			goto found;
	for (i = 0; i < w->nr_regions; i++, r = (r + 1) % w->nr_regions)
		if (w->kind[r] == WL_FREE)
			goto found;
	return ~0ULL;
found:
	w->kind[r] = WL_VM;
	w->free_regions--;
	return r;
}

static void wl_free_2m(struct wl *w, u64 r)
{
	w->kind[r] = WL_FREE;
	w->free_regions++;
}

/* Can region @r give a 4K page to the pool? */
static bool wl_pool_ok(struct wl *w, u64 r)
{
	return w->kind[r] != WL_VM && w->used[r] < RP;
}

/* One 4K page from the host's pool, see the comment at the top. */
static u64 wl_alloc_4k(struct wl *w)
{
	u64 r = w->cur_pool, i;
	unsigned int off;

	if (!w->have_pool || !wl_pool_ok(w, r)) {
		r = wl_below(w, w->nr_regions);
		for (i = 0; i < 64 && !wl_pool_ok(w, r); i++)
			r = wl_below(w, w->nr_regions);
		for (i = 0; i < w->nr_regions && !wl_pool_ok(w, r); i++)
			r = (r + 1) % w->nr_regions;
		if (!wl_pool_ok(w, r))
			return ~0ULL;
		w->cur_pool = r;
		w->have_pool = true;
	}
	for (off = 0; off < RP; off++)
		if (!test_bit(r * RP + off, w->pool))
			break;
	if (w->kind[r] == WL_FREE) {
		w->kind[r] = WL_POOL;
		w->free_regions--;
	}
	w->used[r]++;
	set_bit(r * RP + off, w->pool);
	return r * RP + off;
}

static void wl_free_4k(struct wl *w, u64 pfn)
{
	u64 r = pfn / RP;

	clear_bit(pfn, w->pool);
	if (!--w->used[r]) {
		w->kind[r] = WL_FREE;
		w->free_regions++;
	}
}

static u64 wl_vm_gpa(struct wl_vm *vm, unsigned int idx2m, unsigned int off)
{
	return ((u64)idx2m * RP + off) << PAGE_SHIFT;
}

/* Convert one 4K page of the VM's 2M page @idx to shared, PSMASH first. */
static u64 wl_convert(struct wl *w, struct wl_vm *vm, unsigned int idx,
		      unsigned int off, bool explicit_psmash)
{
	u64 base = vm->r2m[idx] * RP;

	if (!vm->smashed[idx] && explicit_psmash)
		wl_emit(w, RSR_OP_PSMASH, base, 0);
	vm->smashed[idx] = true;
	wl_shared(w, base + off, PG_LEVEL_4K);
	return base + off;
}

static int wl_vm_start(struct wl *w, struct wl_vm *vm, u64 now, u64 end)
{
	unsigned int gib = 1U << wl_below(w, 5);
	unsigned int vcpus = 1 + gib / 2, n4k = gib * PRIV_4K_PER_GB, i;
	unsigned int nr2m = gib * (1U << 9) - DIV_ROUND_UP(n4k, RP);

	/* 4K pages: private ones, a VMSA per vCPU, one firmware page. */
	if (w->free_regions < nr2m + 8 + w->nr_regions * HOST_RESERVE_PCT / 100)
		return 0;	/* does not fit: turned away */
	memset(vm, 0, sizeof(*vm));
	vm->r2m = calloc(nr2m, sizeof(*vm->r2m));
	vm->smashed = calloc(nr2m, sizeof(*vm->smashed));
	vm->p4k = calloc(n4k + vcpus, sizeof(*vm->p4k));
	vm->ghcb = calloc(vcpus, sizeof(*vm->ghcb));
	if (!vm->r2m || !vm->smashed || !vm->p4k || !vm->ghcb)
		return -ENOMEM;
	vm->live = true;
	vm->asid = w->next_asid;
	w->next_asid = w->next_asid % (RMP_SYNC_ASID_LIMIT - 1) + 1;
	vm->nr2m = nr2m;
	vm->nr_swiotlb = max(1U, gib / 2);
	vm->end_ms = now + VM_MIN_LIFE_MS +
		     wl_below(w, VM_MAX_LIFE_MS - VM_MIN_LIFE_MS);
	if (vm->end_ms > end)
		vm->end_ms = end;
	vm->next_burst_ms = now + wl_exp_ms(w, BURSTS_PER_VM_HOUR);
	vm->next_conv_ms = now + wl_exp_ms(w, CONV_PER_VM_HOUR);

	for (i = 0; i < nr2m; i++) {
		vm->r2m[i] = wl_alloc_2m(w);
		wl_private(w, vm->r2m[i] * RP, PG_LEVEL_2M, vm->asid,
			   wl_vm_gpa(vm, i, 0), false);
	}
	for (i = 0; i < n4k + vcpus; i++) {
		u64 pfn = wl_alloc_4k(w);

		if (pfn == ~0ULL)
			break;
		vm->p4k[vm->nr4k++] = pfn;
		wl_private(w, pfn, PG_LEVEL_4K, vm->asid,
			   wl_vm_gpa(vm, nr2m, i), false);
	}
	vm->fw_leak = !wl_below(w, LEAK_ONE_IN);
	vm->fw_pfn = wl_alloc_4k(w);
	if (vm->fw_pfn != ~0ULL)
		wl_private(w, vm->fw_pfn, PG_LEVEL_4K, 0, 0, vm->fw_leak);
	/* GHCBs live in the VM's last 2M pages, one per vCPU. */
	for (i = 0; i < vcpus && i < nr2m; i++)
		vm->ghcb[vm->nr_ghcb++] = wl_convert(w, vm, nr2m - 1 - i,
						     wl_below(w, RP), true);
	return 0;
}

/* The first SWIOTLB regions are the VM's first 2M pages. */
static void wl_burst_start(struct wl *w, struct wl_vm *vm, u64 now)
{
	unsigned int idx = wl_below(w, vm->nr_swiotlb);
	unsigned int off = wl_below(w, RP / BURST_PAGES) * BURST_PAGES, i;
	u64 base = vm->r2m[idx] * RP + off;
	struct wl_burst *b;

	if (vm->nr_bursts == MAX_BURSTS)
		return;
	for (i = 0; i < vm->nr_bursts; i++)
		if (vm->bursts[i].pfn == base)
			return;	/* that buffer is in flight already */
	for (i = 0; i < BURST_PAGES; i++)
		if (!test_bit(base + i, w->assigned))
			return;	/* overlaps a GHCB or a conversion */
	b = &vm->bursts[vm->nr_bursts++];
	b->pfn = base;
	b->end_ms = now + BURST_MIN_MS + wl_below(w, BURST_MAX_MS - BURST_MIN_MS);
	/* The core PSMASHes on the first 4K conversion by itself. */
	for (i = 0; i < BURST_PAGES; i++)
		wl_convert(w, vm, idx, off + i, false);
}

static void wl_burst_end(struct wl *w, struct wl_vm *vm, unsigned int n)
{
	struct wl_burst *b = &vm->bursts[n];
	unsigned int idx = 0, i;
	u64 r = b->pfn / RP;

	while (vm->r2m[idx] != r)
		idx++;
	for (i = 0; i < BURST_PAGES; i++)
		wl_private(w, b->pfn + i, PG_LEVEL_4K, vm->asid,
			   wl_vm_gpa(vm, idx, (b->pfn + i) % RP), false);
	*b = vm->bursts[--vm->nr_bursts];
}

static void wl_vm_stop(struct wl *w, struct wl_vm *vm)
{
	unsigned int i, off;

	while (vm->nr_bursts)
		wl_burst_end(w, vm, 0);
	for (i = 0; i < vm->nr2m; i++) {
		u64 base = vm->r2m[i] * RP;

		if (!vm->smashed[i]) {
			wl_shared(w, base, PG_LEVEL_2M);
		} else {
			for (off = 0; off < RP; off++)
				if (test_bit(base + off, w->assigned))
					wl_shared(w, base + off, PG_LEVEL_4K);
		}
		wl_free_2m(w, vm->r2m[i]);
	}
	for (i = 0; i < vm->nr4k; i++) {
		wl_shared(w, vm->p4k[i], PG_LEVEL_4K);
		wl_free_4k(w, vm->p4k[i]);
	}
	if (vm->fw_pfn != ~0ULL) {
		if (vm->fw_leak) {
			/* Immutable: refused back, leaked; never freed. */
			wl_emit(w, RSR_OP_LEAK, vm->fw_pfn, 0);
		} else {
			wl_shared(w, vm->fw_pfn, PG_LEVEL_4K);
			wl_free_4k(w, vm->fw_pfn);
		}
	}
	free(vm->r2m);
	free(vm->smashed);
	free(vm->p4k);
	free(vm->ghcb);
	memset(vm, 0, sizeof(*vm));
}

/* A host write: mostly any hypervisor page, sometimes a GHCB. */
static void wl_host_write(struct wl *w)
{
	unsigned int i, v;

	if (!wl_below(w, 4)) {
		v = wl_below(w, MAX_VMS);
		for (i = 0; i < MAX_VMS; i++, v = (v + 1) % MAX_VMS) {
			if (w->vms[v].live && w->vms[v].nr_ghcb) {
				wl_emit(w, RSR_OP_WRITE,
					w->vms[v].ghcb[wl_below(w, w->vms[v].nr_ghcb)], 0);
				return;
			}
		}
	}
	for (i = 0; i < 16; i++) {
		u64 pfn = wl_below(w, w->nr_pages);

		if (!test_bit(pfn, w->assigned)) {
			wl_emit(w, RSR_OP_WRITE, pfn, 0);
			return;
		}
	}
}

/* One permanent 4K conversion inside a random 2M private page. */
static void wl_conversion(struct wl *w, struct wl_vm *vm)
{
	unsigned int idx = wl_below(w, vm->nr2m);
	unsigned int off = wl_below(w, RP);

	if (test_bit(vm->r2m[idx] * RP + off, w->assigned))
		wl_convert(w, vm, idx, off, true);
}

static int wl_vm_churn(struct wl *w, u64 end)
{
	u64 next_arrival = wl_exp_ms(w, VM_ARRIVALS_PER_HOUR) / 8;
	u64 next_write = wl_exp_ms(w, WRITES_PER_HOUR);
	unsigned int v, b;

	w->next_asid = 1;
	for (;;) {
		u64 t = min(next_arrival, next_write);
		struct wl_vm *vm = NULL;
		int what = 0;	/* 1 arrival, 2 write, 3 stop, 4 burst, 5 end, 6 conv */
		unsigned int bi = 0;

		if (next_arrival <= next_write)
			what = 1;
		else
			what = 2;
		for (v = 0; v < MAX_VMS; v++) {
			struct wl_vm *x = &w->vms[v];

			if (!x->live)
				continue;
			if (x->end_ms < t) {
				t = x->end_ms, vm = x, what = 3;
			}
			if (x->next_burst_ms < t)
				t = x->next_burst_ms, vm = x, what = 4;
			if (x->next_conv_ms < t)
				t = x->next_conv_ms, vm = x, what = 6;
			for (b = 0; b < x->nr_bursts; b++)
				if (x->bursts[b].end_ms < t)
					t = x->bursts[b].end_ms, vm = x, what = 5, bi = b;
		}
		if (t >= end || w->err)
			break;
		wl_advance(w, t);
		switch (what) {
		case 1:
			for (v = 0; v < MAX_VMS && w->vms[v].live; v++)
				;
			if (v < MAX_VMS && wl_vm_start(w, &w->vms[v], t, end))
				return -ENOMEM;
			next_arrival = t + wl_exp_ms(w, VM_ARRIVALS_PER_HOUR);
			break;
		case 2:
			wl_host_write(w);
			next_write = t + wl_exp_ms(w, WRITES_PER_HOUR);
			break;
		case 3:
			wl_vm_stop(w, vm);
			break;
		case 4:
			wl_burst_start(w, vm, t);
			vm->next_burst_ms = t + wl_exp_ms(w, BURSTS_PER_VM_HOUR);
			break;
		case 5:
			wl_burst_end(w, vm, bi);
			break;
		case 6:
			wl_conversion(w, vm);
			vm->next_conv_ms = t + wl_exp_ms(w, CONV_PER_VM_HOUR);
			break;
		}
	}
	/* Final teardown, then the host stays up for recovery to run. */
	wl_advance(w, end);
	for (v = 0; v < MAX_VMS; v++)
		if (w->vms[v].live)
			wl_vm_stop(w, &w->vms[v]);
	for (v = 0; v < 8; v++)
		wl_host_write(w);
	wl_advance(w, end + DRAIN_MS);
	return w->err;
}

static int wl_flip_storm(struct wl *w, u64 end)
{
	struct wl_vm *vm = &w->vms[0];
	unsigned int i, n;
	u64 flips = 0, t = 0;

	memset(vm, 0, sizeof(*vm));
	n = w->nr_regions * 3 / 4;
	if (!n)
		n = 1;
	vm->r2m = calloc(n, sizeof(*vm->r2m));
	vm->smashed = calloc(n, sizeof(*vm->smashed));
	if (!vm->r2m || !vm->smashed)
		return -ENOMEM;
	vm->live = true;
	vm->asid = 1;
	vm->nr2m = n;
	vm->fw_pfn = ~0ULL;
	/* The guest's memory: the upper regions, so the host keeps region 0. */
	for (i = 0; i < n; i++) {
		vm->r2m[i] = w->nr_regions - n + i;
		w->kind[vm->r2m[i]] = WL_VM;
		w->free_regions--;
		wl_private(w, vm->r2m[i] * RP, PG_LEVEL_2M, vm->asid,
			   wl_vm_gpa(vm, i, 0), false);
	}
	for (t = 0; t < end && !w->err; t++) {
		wl_advance(w, t);
		for (i = 0; i < FLIPS_PER_MS; i++, flips++) {
			unsigned int idx = flips % n;
			unsigned int off = (flips / n) % RP;
			u64 pfn = wl_convert(w, vm, idx, off, false);

			wl_emit(w, RSR_OP_WRITE, pfn, 0);
			wl_private(w, pfn, PG_LEVEL_4K, vm->asid,
				   wl_vm_gpa(vm, idx, off), false);
		}
	}
	wl_advance(w, end);
	wl_vm_stop(w, vm);
	wl_advance(w, end + DRAIN_MS);
	return w->err;
}

const char *const sim_workload_names[] = {
	"vm-churn", "vm-churn-2m", "flip-storm", NULL
};

/**
 * sim_placement_load() - read a placement capture (rmp-sync-capture
 *	placement): '#' comments, an optional first line "mem SIZE", then
 *	"PFN [COUNT]" lines (a run of COUNT pages, default 1), decimal or
 *	0x-hex.
 * @path: the file.
 * @pl: filled in.
 *
 * Prints "FILE:LINE: reason" for the first error.
 *
 * Return: 0, -EINVAL (bad file), -ENOENT, -ENOMEM.
 */
int sim_placement_load(const char *path, struct sim_placement *pl)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	unsigned int line = 0;
	bool first = true;
	int ret = 0;

	memset(pl, 0, sizeof(*pl));
	pl->path = path;
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -ENOENT;
	}
#define PL_ERR(...) do {						\
		fprintf(stderr, "%s:%u: ", path, line);			\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		ret = -EINVAL;						\
		goto out;						\
	} while (0)
	while (getline(&buf, &len, f) >= 0) {
		char *tok[4], *save, *p, *hash = strchr(buf, '#');
		unsigned long long v[2] = { 0, 1 };
		unsigned int n = 0, i;

		line++;
		if (hash)
			*hash = 0;
		for (p = strtok_r(buf, " \t\r\n", &save); p && n < 4;
		     p = strtok_r(NULL, " \t\r\n", &save))
			tok[n++] = p;
		if (!n)
			continue;
		if (!strcmp(tok[0], "mem")) {
			if (!first)
				PL_ERR("mem after the first run");
			if (n != 2 || rsr_parse_size(tok[1], &pl->mem_bytes) ||
			    !pl->mem_bytes)
				PL_ERR("usage: mem SIZE");
			first = false;
			continue;
		}
		first = false;
		if (n > 2)
			PL_ERR("expected PFN [COUNT], got %u fields", n);
		for (i = 0; i < n; i++) {
			char *end;

			errno = 0;
			if (!isdigit((unsigned char)tok[i][0]))
				PL_ERR("bad %s '%s' (decimal or 0x-hex)",
				       i ? "COUNT" : "PFN", tok[i]);
			v[i] = strtoull(tok[i], &end, 0);
			if (errno || *end)
				PL_ERR("bad %s '%s' (decimal or 0x-hex)",
				       i ? "COUNT" : "PFN", tok[i]);
		}
		if (!v[1] || v[1] > RMP_SYNC_GB_PAGES)
			PL_ERR("COUNT %llu out of range (1..%lu)", v[1],
			       RMP_SYNC_GB_PAGES);
		if (v[0] >= (SIM_MAX_MEM >> PAGE_SHIFT) ||
		    v[1] > (SIM_MAX_MEM >> PAGE_SHIFT) - v[0])
			PL_ERR("PFN 0x%llx + %llu beyond 4T", v[0], v[1]);
		if (pl->mem_bytes && v[0] + v[1] > pl->mem_bytes >> PAGE_SHIFT)
			PL_ERR("PFN 0x%llx + %llu beyond mem", v[0], v[1]);
		if (pl->nr + v[1] > cap) {
			size_t ncap = max(cap * 2, (size_t)(pl->nr + v[1] + 4096));
			u64 *np = realloc(pl->pfn, ncap * sizeof(*np));

			if (!np) {
				ret = -ENOMEM;
				goto out;
			}
			pl->pfn = np;
			cap = ncap;
		}
		for (i = 0; i < v[1]; i++)
			pl->pfn[pl->nr++] = v[0] + i;
	}
#undef PL_ERR
	if (!pl->nr) {
		fprintf(stderr, "%s:%u: no pages in the placement\n", path, line);
		ret = -EINVAL;
	}
out:
	free(buf);
	fclose(f);
	if (ret)
		sim_placement_free(pl);
	return ret;
}

void sim_placement_free(struct sim_placement *pl)
{
	free(pl->pfn);
	pl->pfn = NULL;
	pl->nr = 0;
}

int sim_workload(const char *name, u64 mem_bytes, bool mem_given,
		 double hours, u64 seed, struct sim_trace *t)
{
	return sim_workload_ex(name, mem_bytes, mem_given, hours, seed, NULL, t);
}

/**
 * sim_workload_ex() - generate a named workload.
 * @name: "vm-churn", "vm-churn-2m" or "flip-storm".
 * @mem_bytes: RAM (--mem), if @mem_given; else the workload's default.
 * @mem_given: whether --mem was given.
 * @hours: simulated duration (--hours), or <= 0 for the default.
 * @seed: generator seed (--seed).
 * @o: vm-churn's placement, or NULL for the allocator model.
 * @t: filled in.
 *
 * Return: 0, -ENOENT (no such workload), -EINVAL (RAM too small or a bad
 * duration), -ENOSPC (the workload did not fit), or -ENOMEM.
 */
int sim_workload_ex(const char *name, u64 mem_bytes, bool mem_given,
		    double hours, u64 seed, const struct sim_wl_opts *o,
		    struct sim_trace *t)
{
	bool churn4k = !strcmp(name, "vm-churn");
	bool churn = !strcmp(name, "vm-churn-2m");
	struct wl w = { .t = t };
	u64 end, nr_pages;
	int ret;

	if (!churn && !churn4k && strcmp(name, "flip-storm"))
		return -ENOENT;
	if (!mem_given)
		mem_bytes = churn ? 64ULL << 30 : churn4k ? SIM_CHURN4K_MEM :
			    SIM_DEFAULT_MEM;
	if (hours <= 0)
		hours = churn ? 72 : churn4k ? SIM_CHURN4K_HOURS : 10.0 / 3600;
	if (hours > 24 * 365 ||
	    mem_bytes < (churn ? 32ULL << 30 : churn4k ? 8ULL << 30 : 4ULL << 20))
		return -EINVAL;
	end = (u64)(hours * MS_PER_HOUR);
	nr_pages = mem_bytes >> PAGE_SHIFT;

	memset(t, 0, sizeof(*t));
	t->name = churn ? "workload:vm-churn-2m" : churn4k ?
		  (o && o->placement == SIM_PLACE_PACKED ? "workload:vm-churn (packed)" :
		   o && o->placement == SIM_PLACE_FILE ? "workload:vm-churn (placement file)" :
		   "workload:vm-churn") : "workload:flip-storm";
	t->mem_bytes = mem_bytes;
	/* splitmix64 of the seed: seed 0 must not give the all-zero state. */
	w.rng = seed + 0x9E3779B97F4A7C15ULL;
	w.rng = (w.rng ^ (w.rng >> 30)) * 0xBF58476D1CE4E5B9ULL;
	w.rng = (w.rng ^ (w.rng >> 27)) * 0x94D049BB133111EBULL;
	w.rng ^= w.rng >> 31;
	if (!w.rng)
		w.rng = 1;
	if (churn4k) {
		ret = sim_churn4k(t, end, w.rng, o);
		if (ret)
			sim_trace_free(t);
		return ret;
	}
	w.nr_pages = nr_pages;
	w.nr_regions = nr_pages / RP;
	w.free_regions = w.nr_regions;
	w.kind = calloc(w.nr_regions, 1);
	w.used = calloc(w.nr_regions, sizeof(*w.used));
	w.assigned = calloc(BITS_TO_LONGS(nr_pages), sizeof(long));
	w.pool = calloc(BITS_TO_LONGS(nr_pages), sizeof(long));
	if (!w.kind || !w.used || !w.assigned || !w.pool)
		ret = -ENOMEM;
	else
		ret = churn ? wl_vm_churn(&w, end) : wl_flip_storm(&w, end);
	free(w.kind);
	free(w.used);
	free(w.assigned);
	free(w.pool);
	if (ret)
		sim_trace_free(t);
	return ret;
}
