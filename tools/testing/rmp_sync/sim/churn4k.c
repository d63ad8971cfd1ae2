// SPDX-License-Identifier: GPL-2.0
/*
 * vm-churn: the real workload of an SNP host today.  Guests' private
 * memory is order-0 guest_memfd, assigned 4K by 4K as guests accept it,
 * placed by the page allocator (sim/buddy.c), a captured placement
 * (--placement FILE) or per-guest 2M blocks (--placement packed).
 *
 * Every event, with the kernel fact behind it (Linux 6.12 unless said):
 *
 *   host boot      RAM_RESERVED_PCT of RAM (at least 64 MiB, from PFN 0)
 *                  never reaches the buddy lists (kernel image, memmap,
 *                  memblock); the rest is freed to the allocator model.
 *   host memory    page cache and anonymous memory (MOVABLE) fill
 *                  HOST_CACHE_PCT of RAM and churn (HOST_CHURN_PER_HOUR
 *                  of it replaced per hour, random victims: LRU order is
 *                  not address order), kernel allocations (UNMOVABLE:
 *                  slab, page tables) HOST_KERNEL_PCT; before the first
 *                  VM the host runs WARM_ROUNDS replacements of both
 *                  pools, so free memory is as scattered as on a host
 *                  that has been up a while.  A guest allocation that
 *                  finds the zone empty reclaims host cache first.
 *   SNP init       drivers/iommu/amd/init.c allocates each IOMMU's event
 *                  log, PPR log (8 KiB each) and completion-wait buffer
 *                  (4 KiB); SNP_INIT turns them into firmware pages
 *                  (immutable, ASID 0) for as long as SNP is enabled:
 *                  NR_IOMMUS IOMMUs, "private P 4k asid=0 immutable",
 *                  never given back.
 *   VM arrival     Poisson VM_ARRIVALS_PER_HOUR; sizes VM_SIZES_MIB,
 *                  equally likely; turned away if live guests would
 *                  exceed VM_MAX_PCT of RAM; lifetime uniform
 *                  VM_MIN_LIFE..VM_MAX_LIFE.
 *   firmware page  SNP_LAUNCH_START: snp_context_create() ->
 *                  snp_alloc_firmware_page() (GFP_KERNEL_ACCOUNT, order 0)
 *                  -> rmp_make_private(pfn, 0, PG_LEVEL_4K, 0, true).
 *   launch image   SNP_LAUNCH_UPDATE of the firmware image
 *                  (LAUNCH_IMAGE_PAGES): kvm_gmem_populate() ->
 *                  sev_gmem_post_populate() -> rmp_make_private() per 4K.
 *   VMSAs          one per vCPU (1 + GiB vCPUs, at most 8):
 *                  snp_safe_alloc_page() (an order-1 allocation, the page
 *                  that is not 2M-aligned kept, the other freed) and
 *                  SNP_LAUNCH_UPDATE_VMSA: rmp_make_private(..., true).
 *   acceptance     guest_memfd is order-0 (6.12 "TODO: Support huge
 *                  pages"; 7.3 WARNs on a large folio), so the guest's
 *                  first touch of each page allocates a folio and
 *                  sev_gmem_prepare() assigns it 4K.  Linux guests accept
 *                  lazily in 2M units (unaccepted memory bitmap,
 *                  unit_size = PMD_SIZE): 512 faults in GPA order from
 *                  one vCPU.  At boot ACCEPT_BOOT_MIN..MAX percent (low
 *                  memory first), then chunks at random GPAs over the
 *                  first half of the life, up to ACCEPT_MIN..MAX percent.
 *   SWIOTLB        the guest's bounce buffer (6% of its memory, 64 MiB ..
 *                  1 GiB: sev_setup_arch()) is memblock-allocated, so
 *                  accepted, then set_memory_decrypted() at boot: a
 *                  page-state change to shared, which QEMU turns into a
 *                  guest_memfd hole punch -> kvm_gmem_free_folio() ->
 *                  sev_gmem_invalidate() -> rmp_make_shared(4K), and the
 *                  folio is freed.
 *   GHCBs          one per vCPU, decrypted at guest boot: as SWIOTLB.
 *   flips          dynamic DMA buffers (coherent virtio allocations,
 *                  swiotlb dynamic pools): BURSTS_PER_VM_HOUR, BURST_PAGES
 *                  pages go shared (freed) for BURST_MIN..MAX and come back
 *                  private: a new folio each, wherever the allocator puts
 *                  it.
 *   conversions    CONV_PER_VM_HOUR single pages shared until teardown.
 *   teardown       kvm_gmem_release(): truncation walks guest_memfd in
 *                  offset (GPA) order, rmp_make_shared(4K) and free per
 *                  folio; then the VMSAs and the firmware page
 *                  (SNP_DECOMMISSION, page reclaim, make_shared, free).
 *                  As in vm-churn-2m, the VMSA and firmware pages are
 *                  assigned mutable here, standing in for the firmware
 *                  reclaim this API does not model.
 *   leaks          LEAK_ONE_IN VMs: the firmware page is assigned
 *                  immutable, refused back, snp_leak_pages() at teardown.
 *   host writes    WRITES_PER_HOUR: half to random hypervisor pages, half
 *                  to a hypervisor page next to a live private page (the
 *                  writes S1 protects).
 *
 * The end: VMs still running are torn down, then DRAIN_MS more.
 */
#include <math.h>
#include <limits.h>
#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/rmp_sync.h>
#include <linux/rmp_sync_debug.h>

#include "sim.h"

#define RP			RMP_SYNC_REGION_PAGES
#define MS_PER_HOUR		3600000ULL
#define NONE			(~0ULL)

#define RAM_RESERVED_PCT	1
#define HOST_CACHE_PCT		25
#define HOST_KERNEL_PCT		3
#define HOST_CHURN_PER_HOUR	0.30
#define HOST_STEP_MS		60000
#define WARM_ROUNDS		1
#define NR_IOMMUS		4
#define NR_CPUS			8
#define VM_ARRIVALS_PER_HOUR	1.5
#define VM_MAX_PCT		60
#define VM_MIN_LIFE_MS		(1 * MS_PER_HOUR)
#define VM_MAX_LIFE_MS		(6 * MS_PER_HOUR)
#define LAUNCH_IMAGE_PAGES	1024
#define ACCEPT_BOOT_MIN		10
#define ACCEPT_BOOT_MAX		25
#define ACCEPT_MIN		30
#define ACCEPT_MAX		70
#define BURST_PAGES		16
#define BURSTS_PER_VM_HOUR	12.0
#define BURST_MIN_MS		10000
#define BURST_MAX_MS		600000
#define MAX_BURSTS		4
#define CONV_PER_VM_HOUR	4.0
#define LEAK_ONE_IN		8
#define WRITES_PER_HOUR		1800.0
#define DRAIN_MS		600000
#define MAX_VMS			64
#define MAX_VCPUS		8

static const unsigned int vm_sizes_mib[] = { 512, 1024, 2048, 4096 };

struct c4_burst {
	u64 gpa;		/* first GPA page */
	u64 end_ms;
};

struct c4_vm {
	bool live;
	unsigned int id;
	u32 asid;
	unsigned int vcpus;
	u64 npages, nchunks;
	u64 *gpa2pfn;		/* NONE: not private on the host */
	u32 *order;		/* acceptance order of the 2M GPA chunks */
	u64 accepted, target;	/* chunks */
	u64 next_accept_ms, accept_gap_ms;
	u64 end_ms, next_burst_ms, next_conv_ms;
	u64 vmsa[MAX_VCPUS];
	u64 fw_pfn;
	bool fw_leak;
	struct c4_burst bursts[MAX_BURSTS];
	unsigned int nr_bursts;
	/* --placement packed: its 2M blocks and the pages it gave back */
	u64 *blocks;
	unsigned int nr_blocks, cap_blocks;
	u64 next_in_block;	/* next unused page of the last block */
	u64 *stack;
	u64 nr_stack, cap_stack;
};

struct c4 {
	struct sim_trace *t;
	const struct sim_wl_opts *o;
	u64 rng, rng_host, rng_write;
	u64 nr_pages, nr_regions;
	u64 emitted_ms;
	unsigned long *assigned;
	struct sim_buddy *b;
	u64 *cache, nr_cache, cache_target;	/* movable host pages */
	u64 *kern, nr_kern, kern_target;	/* unmovable host pages */
	u8 *packed_owner;	/* per region: VM id + 1 of a packed block */
	struct c4_vm vms[MAX_VMS];
	u64 live_pages;
	u32 next_asid;
	/* --placement FILE */
	const struct sim_placement *pl;
	u64 pl_next, pl_pass;
	int err;
};

static u64 c4_rand(struct c4 *w)
{
	return rmp_sync_rand(&w->rng);
}

/*
 * Three streams: the guests' events (c4_below), the host's own memory
 * (c4_hbelow) and the host writes (c4_wbelow).  The guests' events then
 * do not depend on where pages land, so every --placement runs the same
 * guests, accepting and converting the same GPAs at the same times.
 */
static u64 c4_below(struct c4 *w, u64 n)
{
	return n ? c4_rand(w) % n : 0;
}

static u64 c4_hbelow(struct c4 *w, u64 n)
{
	return n ? rmp_sync_rand(&w->rng_host) % n : 0;
}

static u64 c4_wbelow(struct c4 *w, u64 n)
{
	return n ? rmp_sync_rand(&w->rng_write) % n : 0;
}

static double c4_unit(struct c4 *w)
{
	return (double)((c4_rand(w) >> 11) + 1) / (double)(1ULL << 53);
}

static u64 c4_exp_ms(struct c4 *w, double per_hour)
{
	return 1 + (u64)(-log(c4_unit(w)) * (double)MS_PER_HOUR / per_hour);
}

static void c4_emit(struct c4 *w, struct rsr_op *op)
{
	if (w->err)
		return;
	op->line = w->t->nr + SIM_EMIT_FIRST_LINE;
	w->err = sim_trace_add(w->t, op);
}

static void c4_private(struct c4 *w, u64 pfn, u32 asid, u64 gpa, bool immutable)
{
	struct rsr_op op = {
		.kind = RSR_OP_PRIVATE, .arg = pfn, .level = PG_LEVEL_4K,
		.n = asid, .gpa = gpa, .flags = immutable ? RSR_OP_IMMUTABLE : 0,
	};

	set_bit(pfn, w->assigned);
	c4_emit(w, &op);
}

static void c4_shared(struct c4 *w, u64 pfn)
{
	struct rsr_op op = { .kind = RSR_OP_SHARED, .arg = pfn, .level = PG_LEVEL_4K };

	clear_bit(pfn, w->assigned);
	c4_emit(w, &op);
}

static void c4_advance(struct c4 *w, u64 ms)
{
	if (ms > w->emitted_ms) {
		struct rsr_op op = { .kind = RSR_OP_TICK, .arg = ms - w->emitted_ms };

		c4_emit(w, &op);
		w->emitted_ms = ms;
	}
}

/* ---- host memory -------------------------------------------------- */

static void c4_host_free_one(struct c4 *w, bool kernel)
{
	u64 *pool = kernel ? w->kern : w->cache;
	u64 *nr = kernel ? &w->nr_kern : &w->nr_cache;
	u64 i;

	if (!*nr)
		return;
	i = c4_hbelow(w, *nr);
	sim_buddy_free(w->b, c4_hbelow(w, NR_CPUS), pool[i]);
	pool[i] = pool[--*nr];
}

static bool c4_host_alloc_one(struct c4 *w, bool kernel)
{
	u64 pfn = sim_buddy_alloc(w->b, c4_hbelow(w, NR_CPUS),
				  kernel ? SIM_MT_UNMOVABLE : SIM_MT_MOVABLE);

	if (pfn == NONE)
		return false;
	if (kernel)
		w->kern[w->nr_kern++] = pfn;
	else
		w->cache[w->nr_cache++] = pfn;
	return true;
}

/* Replace @n random pages of each pool; grow towards the targets. */
static void c4_host_churn(struct c4 *w, u64 n)
{
	u64 i, nk = n * HOST_KERNEL_PCT / HOST_CACHE_PCT;

	for (i = 0; i < n; i++) {
		if (w->nr_cache >= w->cache_target)
			c4_host_free_one(w, false);
		c4_host_alloc_one(w, false);
	}
	for (i = 0; i < nk; i++) {
		if (w->nr_kern >= w->kern_target)
			c4_host_free_one(w, true);
		c4_host_alloc_one(w, true);
	}
}

/* ---- guest pages -------------------------------------------------- */

/* A free page from the capture, mapped onto this host; NONE if none fits. */
static u64 c4_from_placement(struct c4 *w)
{
	const struct sim_placement *pl = w->pl;
	unsigned int tries;

	for (tries = 0; tries < 256; tries++) {
		u64 pfn, i;

		if (w->pl_next == pl->nr) {
			w->pl_next = 0;
			w->pl_pass++;
		}
		/*
		 * Each pass through the capture is shifted by a whole number
		 * of 2M regions (a golden-ratio stride), so the captured
		 * layout repeats elsewhere in RAM, offsets within regions kept.
		 */
		pfn = (pl->pfn[w->pl_next++] +
		       (w->pl_pass * 0x9E3779B1ULL % w->nr_regions) * RP) %
		      w->nr_pages;
		for (i = 0; i < 8; i++, pfn = (pfn + 1) % w->nr_pages)
			if (sim_buddy_take(w->b, pfn, SIM_MT_UNMOVABLE))
				return pfn;
	}
	return NONE;
}

/* One guest_memfd folio for @vm, faulted on @cpu. */
static u64 c4_gmem_alloc(struct c4 *w, struct c4_vm *vm, unsigned int cpu)
{
	u64 pfn = NONE;
	int tries;

	if (w->o && w->o->placement == SIM_PLACE_PACKED) {
		if (vm->nr_stack)
			return vm->stack[--vm->nr_stack];
		if (vm->nr_blocks && vm->next_in_block < RP)
			return vm->blocks[vm->nr_blocks - 1] + vm->next_in_block++;
		for (tries = 0; tries < 64; tries++) {
			pfn = sim_buddy_alloc_order(w->b, RMP_SYNC_REGION_SHIFT,
						    SIM_MT_UNMOVABLE);
			if (pfn != NONE)
				break;
			for (int i = 0; i < 4096; i++)
				c4_host_free_one(w, false);
		}
		if (pfn != NONE) {
			if (vm->nr_blocks == vm->cap_blocks) {
				vm->cap_blocks = vm->cap_blocks ? vm->cap_blocks * 2 : 16;
				vm->blocks = realloc(vm->blocks, vm->cap_blocks * sizeof(u64));
				if (!vm->blocks) {
					w->err = -ENOMEM;
					return NONE;
				}
			}
			vm->blocks[vm->nr_blocks++] = pfn;
			w->packed_owner[pfn / RP] = vm->id + 1;
			vm->next_in_block = 1;
			return pfn;
		}
		/* No free 2M block left even after reclaim: order 0. */
	}
	if (w->pl) {
		pfn = c4_from_placement(w);
		if (pfn != NONE)
			return pfn;
	}
	for (tries = 0; tries < 64; tries++) {
		pfn = sim_buddy_alloc(w->b, cpu, SIM_MT_UNMOVABLE);
		if (pfn != NONE)
			return pfn;
		/* Reclaim host cache, then retry. */
		for (int i = 0; i < 1024; i++)
			c4_host_free_one(w, false);
	}
	w->err = -ENOSPC;
	return NONE;
}

static void c4_gmem_free(struct c4 *w, struct c4_vm *vm, unsigned int cpu, u64 pfn)
{
	if (w->o && w->o->placement == SIM_PLACE_PACKED &&
	    w->packed_owner[pfn / RP] == vm->id + 1) {
		if (!vm->live)
			return;	/* teardown: the blocks go back whole */
		if (vm->nr_stack == vm->cap_stack) {
			vm->cap_stack = vm->cap_stack ? vm->cap_stack * 2 : 256;
			vm->stack = realloc(vm->stack, vm->cap_stack * sizeof(u64));
			if (!vm->stack) {
				w->err = -ENOMEM;
				return;
			}
		}
		vm->stack[vm->nr_stack++] = pfn;
		return;
	}
	sim_buddy_free(w->b, cpu, pfn);
}

static unsigned int c4_vcpu_cpu(struct c4_vm *vm, unsigned int vcpu)
{
	return (vm->id * 3 + vcpu) % NR_CPUS;
}

/* Guest page @gpa becomes private: a new folio, sev_gmem_prepare(). */
static void c4_fault(struct c4 *w, struct c4_vm *vm, u64 gpa, unsigned int cpu)
{
	u64 pfn;

	if (vm->gpa2pfn[gpa] != NONE)
		return;
	pfn = c4_gmem_alloc(w, vm, cpu);
	if (pfn == NONE)
		return;
	vm->gpa2pfn[gpa] = pfn;
	c4_private(w, pfn, vm->asid, gpa << PAGE_SHIFT, false);
}

/* Guest page @gpa goes shared: hole punch, make_shared, free. */
static void c4_unmap(struct c4 *w, struct c4_vm *vm, u64 gpa, unsigned int cpu)
{
	u64 pfn = vm->gpa2pfn[gpa];

	if (pfn == NONE)
		return;
	c4_shared(w, pfn);
	vm->gpa2pfn[gpa] = NONE;
	c4_gmem_free(w, vm, cpu, pfn);
}

static void c4_accept_chunk(struct c4 *w, struct c4_vm *vm)
{
	u64 chunk = vm->order[vm->accepted++], i;
	unsigned int cpu = c4_vcpu_cpu(vm, c4_below(w, vm->vcpus));

	for (i = 0; i < RP && chunk * RP + i < vm->npages; i++)
		c4_fault(w, vm, chunk * RP + i, cpu);
}

/* A kernel (unmovable) page for a firmware or VMSA page. */
static u64 c4_kernel_page(struct c4 *w, unsigned int cpu)
{
	u64 pfn = sim_buddy_alloc(w->b, cpu, SIM_MT_UNMOVABLE);
	int i;

	for (i = 0; pfn == NONE && i < 64; i++) {
		for (int j = 0; j < 1024; j++)
			c4_host_free_one(w, false);
		pfn = sim_buddy_alloc(w->b, cpu, SIM_MT_UNMOVABLE);
	}
	if (pfn == NONE)
		w->err = -ENOSPC;
	return pfn;
}

static int c4_vm_start(struct c4 *w, struct c4_vm *vm, u64 now, u64 end)
{
	unsigned int mib = vm_sizes_mib[c4_below(w, ARRAY_SIZE(vm_sizes_mib))];
	u64 npages = (u64)mib << 8, i, swiotlb, boot;
	unsigned int v, cpu;

	if ((w->live_pages + npages) * 100 > w->nr_pages * VM_MAX_PCT)
		return 0;	/* turned away */
	memset(vm, 0, sizeof(*vm));
	vm->id = vm - w->vms;
	vm->npages = npages;
	vm->nchunks = DIV_ROUND_UP(npages, RP);
	vm->gpa2pfn = malloc(npages * sizeof(u64));
	vm->order = malloc(vm->nchunks * sizeof(u32));
	if (!vm->gpa2pfn || !vm->order)
		return -ENOMEM;
	memset(vm->gpa2pfn, 0xff, npages * sizeof(u64));
	vm->live = true;
	w->live_pages += npages;
	vm->asid = w->next_asid;
	w->next_asid = w->next_asid % (RMP_SYNC_ASID_LIMIT - 1) + 1;
	vm->vcpus = min(1U + mib / 1024, (unsigned int)MAX_VCPUS);
	vm->end_ms = now + VM_MIN_LIFE_MS + c4_below(w, VM_MAX_LIFE_MS - VM_MIN_LIFE_MS);
	if (vm->end_ms > end)
		vm->end_ms = end;
	vm->next_burst_ms = now + c4_exp_ms(w, BURSTS_PER_VM_HOUR);
	vm->next_conv_ms = now + c4_exp_ms(w, CONV_PER_VM_HOUR);
	cpu = c4_vcpu_cpu(vm, 0);

	/* SNP_LAUNCH_START: the firmware context page. */
	vm->fw_leak = !c4_below(w, LEAK_ONE_IN);
	vm->fw_pfn = c4_kernel_page(w, cpu);
	if (vm->fw_pfn != NONE)
		c4_private(w, vm->fw_pfn, 0, 0, vm->fw_leak);
	/* Acceptance order: boot chunks low, the rest shuffled. */
	for (i = 0; i < vm->nchunks; i++)
		vm->order[i] = i;
	boot = max(1ULL, vm->nchunks * (ACCEPT_BOOT_MIN +
		   c4_below(w, ACCEPT_BOOT_MAX - ACCEPT_BOOT_MIN + 1)) / 100);
	for (i = vm->nchunks - 1; i > boot; i--) {
		u64 j = boot + c4_below(w, i - boot + 1);
		u32 x = vm->order[i];

		vm->order[i] = vm->order[j];
		vm->order[j] = x;
	}
	vm->target = max(boot, vm->nchunks * (ACCEPT_MIN +
			 c4_below(w, ACCEPT_MAX - ACCEPT_MIN + 1)) / 100);
	/* SNP_LAUNCH_UPDATE: the firmware image, populated in GPA order. */
	for (i = 0; i < LAUNCH_IMAGE_PAGES && i < npages; i++)
		c4_fault(w, vm, i, cpu);
	/* VMSAs: order-1, the page that is not 2M-aligned kept. */
	for (v = 0; v < vm->vcpus; v++) {
		u64 p = sim_buddy_alloc_order(w->b, 1, SIM_MT_UNMOVABLE), keep;

		vm->vmsa[v] = NONE;
		if (p == NONE)
			continue;
		keep = IS_ALIGNED(p, RP) ? p + 1 : p;
		sim_buddy_free(w->b, cpu, keep == p ? p + 1 : p);
		vm->vmsa[v] = keep;
		c4_private(w, keep, vm->asid, 0, false);
	}
	/* Boot: low memory accepted; SWIOTLB and GHCBs decrypted. */
	while (vm->accepted < boot)
		c4_accept_chunk(w, vm);
	swiotlb = min(max(npages * 6 / 100, 16384ULL), 262144ULL);
	swiotlb = min(swiotlb, boot * RP / 2);
	for (i = 0; i < swiotlb; i++)
		c4_unmap(w, vm, boot * RP - swiotlb + i, cpu);
	for (v = 0; v < vm->vcpus; v++)
		c4_unmap(w, vm, LAUNCH_IMAGE_PAGES + v, c4_vcpu_cpu(vm, v));
	if (vm->target > vm->accepted)
		vm->accept_gap_ms = max(1ULL, (vm->end_ms - now) / 2 /
					(vm->target - vm->accepted));
	else
		vm->accept_gap_ms = 0;
	vm->next_accept_ms = vm->accept_gap_ms ? now + vm->accept_gap_ms : NONE;
	return w->err;
}

static void c4_burst_end(struct c4 *w, struct c4_vm *vm, unsigned int n)
{
	struct c4_burst *bu = &vm->bursts[n];
	unsigned int cpu = c4_vcpu_cpu(vm, c4_below(w, vm->vcpus)), i;

	for (i = 0; i < BURST_PAGES; i++)
		c4_fault(w, vm, bu->gpa + i, cpu);
	*bu = vm->bursts[--vm->nr_bursts];
}

static void c4_burst_start(struct c4 *w, struct c4_vm *vm, u64 now)
{
	unsigned int cpu = c4_vcpu_cpu(vm, c4_below(w, vm->vcpus)), i;
	u64 gpa;

	if (vm->nr_bursts == MAX_BURSTS)
		return;
	gpa = c4_below(w, vm->npages / BURST_PAGES) * BURST_PAGES;
	for (i = 0; i < BURST_PAGES; i++)
		if (vm->gpa2pfn[gpa + i] == NONE)
			return;	/* not accepted, or shared already */
	vm->bursts[vm->nr_bursts].gpa = gpa;
	vm->bursts[vm->nr_bursts++].end_ms = now + BURST_MIN_MS +
					     c4_below(w, BURST_MAX_MS - BURST_MIN_MS);
	for (i = 0; i < BURST_PAGES; i++)
		c4_unmap(w, vm, gpa + i, cpu);
}

static void c4_vm_stop(struct c4 *w, struct c4_vm *vm)
{
	unsigned int cpu = c4_below(w, NR_CPUS), v, i;
	u64 gpa;

	vm->nr_bursts = 0;	/* shared buffers: nothing on the host */
	/* kvm_gmem_release(): truncation in offset order. */
	vm->live = false;
	for (gpa = 0; gpa < vm->npages; gpa++)
		c4_unmap(w, vm, gpa, cpu);
	for (i = 0; i < vm->nr_blocks; i++) {
		w->packed_owner[vm->blocks[i] / RP] = 0;
		sim_buddy_free_order(w->b, vm->blocks[i], RMP_SYNC_REGION_SHIFT);
	}
	for (v = 0; v < vm->vcpus; v++) {
		if (vm->vmsa[v] == NONE)
			continue;
		c4_shared(w, vm->vmsa[v]);
		sim_buddy_free(w->b, cpu, vm->vmsa[v]);
	}
	if (vm->fw_pfn != NONE) {
		if (vm->fw_leak) {
			struct rsr_op op = { .kind = RSR_OP_LEAK, .arg = vm->fw_pfn, .n = 1 };

			c4_emit(w, &op);	/* never freed */
		} else {
			c4_shared(w, vm->fw_pfn);
			sim_buddy_free(w->b, cpu, vm->fw_pfn);
		}
	}
	w->live_pages -= vm->npages;
	free(vm->gpa2pfn);
	free(vm->order);
	free(vm->blocks);
	free(vm->stack);
	memset(vm, 0, sizeof(*vm));
}

static void c4_host_write(struct c4 *w)
{
	struct rsr_op op = { .kind = RSR_OP_WRITE };
	unsigned int i, v;

	if (c4_wbelow(w, 2)) {
		v = c4_wbelow(w, MAX_VMS);
		for (i = 0; i < MAX_VMS; i++, v = (v + 1) % MAX_VMS) {
			struct c4_vm *vm = &w->vms[v];
			u64 gpa, pfn, j;

			if (!vm->live)
				continue;
			gpa = c4_wbelow(w, vm->npages);
			pfn = vm->gpa2pfn[gpa];
			if (pfn == NONE)
				break;
			/* A hypervisor page in the same 2M region. */
			for (j = 0; j < 16; j++) {
				u64 q = pfn / RP * RP + c4_wbelow(w, RP);

				if (!test_bit(q, w->assigned)) {
					op.arg = q;
					c4_emit(w, &op);
					return;
				}
			}
			break;
		}
	}
	for (i = 0; i < 16; i++) {
		u64 pfn = c4_wbelow(w, w->nr_pages);

		if (!test_bit(pfn, w->assigned)) {
			op.arg = pfn;
			c4_emit(w, &op);
			return;
		}
	}
}

static void c4_conversion(struct c4 *w, struct c4_vm *vm)
{
	u64 gpa = c4_below(w, vm->npages);

	c4_unmap(w, vm, gpa, c4_vcpu_cpu(vm, c4_below(w, vm->vcpus)));
}

static int c4_run(struct c4 *w, u64 end)
{
	u64 next_arrival = c4_exp_ms(w, VM_ARRIVALS_PER_HOUR) / 8;
	u64 next_write = c4_exp_ms(w, WRITES_PER_HOUR);
	u64 next_host = HOST_STEP_MS, i;
	u64 step = max(1ULL, (u64)(w->cache_target * HOST_CHURN_PER_HOUR *
				   HOST_STEP_MS / MS_PER_HOUR));
	unsigned int v, b;

	/* SNP init: the IOMMUs' logs and buffers become firmware pages. */
	for (i = 0; i < NR_IOMMUS; i++) {
		u64 ev = sim_buddy_alloc_order(w->b, 1, SIM_MT_UNMOVABLE);
		u64 ppr = sim_buddy_alloc_order(w->b, 1, SIM_MT_UNMOVABLE);
		u64 cwb = sim_buddy_alloc(w->b, 0, SIM_MT_UNMOVABLE);

		if (ev == NONE || ppr == NONE || cwb == NONE)
			return -ENOSPC;
		c4_private(w, ev, 0, 0, true);
		c4_private(w, ev + 1, 0, 0, true);
		c4_private(w, ppr, 0, 0, true);
		c4_private(w, ppr + 1, 0, 0, true);
		c4_private(w, cwb, 0, 0, true);
	}
	w->next_asid = 1;
	for (;;) {
		u64 t = min(next_arrival, min(next_write, next_host));
		struct c4_vm *vm = NULL;
		int what = next_arrival == t ? 1 : next_write == t ? 2 : 7;
		unsigned int bi = 0;

		for (v = 0; v < MAX_VMS; v++) {
			struct c4_vm *x = &w->vms[v];

			if (!x->live)
				continue;
			if (x->end_ms < t)
				t = x->end_ms, vm = x, what = 3;
			if (x->next_burst_ms < t)
				t = x->next_burst_ms, vm = x, what = 4;
			if (x->next_conv_ms < t)
				t = x->next_conv_ms, vm = x, what = 6;
			if (x->next_accept_ms < t)
				t = x->next_accept_ms, vm = x, what = 8;
			for (b = 0; b < x->nr_bursts; b++)
				if (x->bursts[b].end_ms < t)
					t = x->bursts[b].end_ms, vm = x, what = 5, bi = b;
		}
		if (t >= end || w->err)
			break;
		c4_advance(w, t);
		switch (what) {
		case 1:
			for (v = 0; v < MAX_VMS && w->vms[v].live; v++)
				;
			if (v < MAX_VMS && c4_vm_start(w, &w->vms[v], t, end))
				return w->err ? w->err : -ENOMEM;
			next_arrival = t + c4_exp_ms(w, VM_ARRIVALS_PER_HOUR);
			break;
		case 2:
			c4_host_write(w);
			next_write = t + c4_exp_ms(w, WRITES_PER_HOUR);
			break;
		case 3:
			c4_vm_stop(w, vm);
			break;
		case 4:
			c4_burst_start(w, vm, t);
			vm->next_burst_ms = t + c4_exp_ms(w, BURSTS_PER_VM_HOUR);
			break;
		case 5:
			c4_burst_end(w, vm, bi);
			break;
		case 6:
			c4_conversion(w, vm);
			vm->next_conv_ms = t + c4_exp_ms(w, CONV_PER_VM_HOUR);
			break;
		case 7:
			c4_host_churn(w, step);
			next_host = t + HOST_STEP_MS;
			break;
		case 8:
			if (vm->accepted < vm->target) {
				c4_accept_chunk(w, vm);
				vm->next_accept_ms = t + vm->accept_gap_ms;
			} else {
				vm->next_accept_ms = NONE;
			}
			break;
		}
	}
	c4_advance(w, end);
	for (v = 0; v < MAX_VMS; v++)
		if (w->vms[v].live)
			c4_vm_stop(w, &w->vms[v]);
	for (v = 0; v < 8; v++)
		c4_host_write(w);
	c4_advance(w, end + DRAIN_MS);
	return w->err;
}

/**
 * sim_churn4k() - generate the order-0 vm-churn workload into @t (already
 *	named and sized by sim_workload_ex()).
 */
int sim_churn4k(struct sim_trace *t, u64 end_ms, u64 rng,
		const struct sim_wl_opts *o)
{
	struct c4 w = { .t = t, .o = o, .rng = rng };
	u64 reserved, i;
	int ret;

	w.rng_host = rmp_sync_rand(&w.rng) | 1;
	w.rng_write = rmp_sync_rand(&w.rng) | 1;
	w.nr_pages = t->mem_bytes >> PAGE_SHIFT;
	w.nr_regions = w.nr_pages / RP;
	w.pl = o && o->placement == SIM_PLACE_FILE ? o->pl : NULL;
	reserved = max(w.nr_pages * RAM_RESERVED_PCT / 100, 16384ULL);
	w.b = sim_buddy_create(w.nr_pages, NR_CPUS, reserved);
	w.assigned = calloc(BITS_TO_LONGS(w.nr_pages), sizeof(long));
	w.packed_owner = calloc(w.nr_regions, 1);
	w.cache_target = w.nr_pages * HOST_CACHE_PCT / 100;
	w.kern_target = w.nr_pages * HOST_KERNEL_PCT / 100;
	w.cache = malloc((w.cache_target + 1) * sizeof(u64));
	w.kern = malloc((w.kern_target + 1) * sizeof(u64));
	if (!w.b || !w.assigned || !w.packed_owner || !w.cache || !w.kern) {
		ret = -ENOMEM;
		goto out;
	}
	/* The host has been up a while: fill, then churn, both pools. */
	c4_host_churn(&w, w.cache_target);
	for (i = 0; i < WARM_ROUNDS; i++)
		c4_host_churn(&w, w.cache_target);
	ret = c4_run(&w, end_ms);
out:
	for (i = 0; i < MAX_VMS; i++) {
		free(w.vms[i].gpa2pfn);
		free(w.vms[i].order);
		free(w.vms[i].blocks);
		free(w.vms[i].stack);
	}
	sim_buddy_destroy(w.b);
	free(w.assigned);
	free(w.packed_owner);
	free(w.cache);
	free(w.kern);
	return ret;
}
