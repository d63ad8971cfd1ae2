// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-bench: what rmp_sync costs per transition, per region and per
 * core, against the upstream policy (Linux 6.12 adjust_direct_map(),
 * RMP_SYNC_MODE_UPSTREAM), in the same process and run, so that machine
 * noise cancels in the ratios.  The core (arch/x86/mm/rmp_sync.c) runs
 * unchanged, built -O2 without sanitizers.  Every number printed is measured
 * in this run.
 *
 *   rmp-sync-bench [--json] [--quick] [--rounds N] [--hours H]
 *   rmp-sync-bench --callgrind	(run under valgrind: bench/callgrind.sh)
 *
 * Sections, and how each is measured:
 *
 *  1. Transition cost.  Two emulated hosts, one per policy, 3 x 1024 regions.
 *     Three no-split scenarios (split in setup, never during the timing):
 *     4K flips of one page in a region another private page keeps mixed;
 *     4K flips of the only private page of a split region (uniform <->
 *     mixed, so rmp_sync queues and dequeues a collapse candidate each time);
 *     2M private/shared of whole regions (no policy splits for those).
 *     Each round times a batch of make_private and a batch of make_shared
 *     per scenario and policy, the policy order alternating between rounds.
 *     The emulated hardware is timed on its own in the same round on the
 *     same host and the same pages: exactly the RMP look-ups and RMPUPDATEs
 *     the core issued per transition (counted by a pass-through RMP
 *     backend), via rmp_sync_swrmp_ops.  Net = total - emulated RMP; the
 *     medians over rounds are printed, with the ratio rmp_sync / upstream.
 *     The page-table walk upstream does (dmap->level) is upstream's own cost
 *     and stays in its net figure, as lookup_address() would.
 *  2. Memory.  Bytes the allocator handed out (mallinfo2(): arena in use
 *     plus mmapped) across rmp_sync_create() for 1 GiB, 1 TiB and 4 TiB of
 *     RAM, with backends that do nothing (create never calls them).  Per
 *     region = the marginal cost between 1 TiB and 4 TiB.
 *  3. Scaling.  N threads, each pinned to a CPU, flip 4K pages for a fixed
 *     time on disjoint mixed regions, then all on one shared region.
 *     pthread_mutex_lock is wrapped at link time (-Wl,--wrap) to count, per
 *     lock owner (the rmp_sync instance, the software RMP, the emulated host),
 *     acquisitions, contended acquisitions and time spent waiting.
 *  4. Recovery.  K candidate regions (split by rmp_sync, uniform again),
 *     then one rmp_sync_recover(budget K, ignore_delay): time and flushes.
 *     A light direct-map/RMP backend (a level byte and an RMP bit per region,
 *     counting collapses and flushes) lets K reach 262144 regions (512 GiB);
 *     the emulated host is used up to K = 4096 as a cross-check.
 *  5. Workload.  The vm-churn workload (sim/workload.c, 64 GiB) replayed
 *     through each policy on its own emulated host, as rmp-sync-sim does
 *     (recovery pass every 100 ms of simulated time), timed end to end.
 */
#define _GNU_SOURCE		/* pthread_setaffinity_np(), CPU_SET() */
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <unistd.h>
#include <linux/types.h>
#include <linux/rmp_sync.h>

#include "../emu.h"
#include "../sim/sim.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_HAVE_CALLGRIND	1
#else
#define BENCH_HAVE_CALLGRIND	0
#endif

#define RP			RMP_SYNC_REGION_PAGES
#define REGION_BYTES		(RP << PAGE_SHIFT)
#define BENCH_MAX_THREADS	64
#define BENCH_MAX_ROUNDS	1001

/* Section 1: regions per scenario, batches per round. */
#define TR_REGIONS		1024
#define TR_REPS			8
/* Section 3: regions per thread on disjoint runs (not a multiple of 256). */
#define SC_REGIONS		1000

struct bench_opts {
	bool json;
	bool quick;
	bool callgrind;
	unsigned int rounds;
	double hours;
};

static struct bench_opts opts;

static u64 bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void bench_progress(const char *what)
{
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r%-60s\r", what);
}

static void __attribute__((noreturn, format(printf, 1, 2))) bench_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "rmp-sync-bench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Quantile @q (0..1) of @n samples; @v is sorted in place. */
static double quantile(double *v, unsigned int n, double q)
{
	double pos;
	unsigned int i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	pos = q * (n - 1);
	i = (unsigned int)pos;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

static double median(double *v, unsigned int n)
{
	return quantile(v, n, 0.5);
}

/* ------------------------------------------------------------------ */
/* Lock statistics: pthread_mutex_lock is wrapped (-Wl,--wrap).        */

enum ls_class { LS_RMP_SYNC, LS_SWRMP, LS_OTHER, LS_NR };

static const char *const ls_names[LS_NR] = {
	"rmp_sync region/instance mutexes", "software RMP entry locks",
	"emulated host (page tables, TLBs)",
};

struct ls_counts {
	u64 acquired[LS_NR];
	u64 contended[LS_NR];
	u64 wait_ns[LS_NR];
};

static bool ls_on;
static uintptr_t ls_lo[2], ls_hi[2];	/* LS_RMP_SYNC, LS_SWRMP objects */
static __thread struct ls_counts ls_mine;

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m);

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
	uintptr_t a = (uintptr_t)m;
	enum ls_class c = LS_OTHER;
	u64 t0;
	int ret;

	if (!__atomic_load_n(&ls_on, __ATOMIC_RELAXED))
		return __real_pthread_mutex_lock(m);
	if (a >= ls_lo[LS_RMP_SYNC] && a < ls_hi[LS_RMP_SYNC])
		c = LS_RMP_SYNC;
	else if (a >= ls_lo[LS_SWRMP] && a < ls_hi[LS_SWRMP])
		c = LS_SWRMP;
	ls_mine.acquired[c]++;
	if (!pthread_mutex_trylock(m))
		return 0;
	ls_mine.contended[c]++;
	t0 = bench_ns();
	ret = __real_pthread_mutex_lock(m);
	ls_mine.wait_ns[c] += bench_ns() - t0;
	return ret;
}

static void ls_track(struct rmp_sync *rs, struct rmp_sync_swrmp *sw)
{
	ls_lo[LS_RMP_SYNC] = (uintptr_t)rs;
	ls_hi[LS_RMP_SYNC] = (uintptr_t)rs + kshim_alloc_size(rs);
	ls_lo[LS_SWRMP] = (uintptr_t)sw;
	ls_hi[LS_SWRMP] = (uintptr_t)sw + kshim_alloc_size(sw);
}

/* Add this thread's counts to @sum and clear them. */
static void ls_collect(struct ls_counts *sum)
{
	int c;

	for (c = 0; c < LS_NR; c++) {
		__atomic_add_fetch(&sum->acquired[c], ls_mine.acquired[c], __ATOMIC_RELAXED);
		__atomic_add_fetch(&sum->contended[c], ls_mine.contended[c], __ATOMIC_RELAXED);
		__atomic_add_fetch(&sum->wait_ns[c], ls_mine.wait_ns[c], __ATOMIC_RELAXED);
	}
	memset(&ls_mine, 0, sizeof(ls_mine));
}

/* ------------------------------------------------------------------ */
/* Backends.                                                           */

/* Pass-through to the software RMP that counts what the core asks of it. */
struct bench_rmp {
	struct rmp_sync_swrmp *sw;
	unsigned long updates, lookups, psmashes;
};

static int brmp_update(void *priv, u64 pfn, const struct rmp_sync_rmp_state *st)
{
	struct bench_rmp *b = priv;

	b->updates++;
	return rmp_sync_swrmp_ops.update(b->sw, pfn, st);
}

static int brmp_psmash(void *priv, u64 pfn)
{
	struct bench_rmp *b = priv;

	b->psmashes++;
	return rmp_sync_swrmp_ops.psmash(b->sw, pfn);
}

static int brmp_lookup(void *priv, u64 pfn, struct rmp_sync_rmp_entry *e)
{
	struct bench_rmp *b = priv;

	b->lookups++;
	return rmp_sync_swrmp_ops.lookup(b->sw, pfn, e);
}

static const struct rmp_sync_rmp_ops bench_rmp_ops = {
	.name = "bench-counting-swrmp",
	.update = brmp_update,
	.psmash = brmp_psmash,
	.lookup = brmp_lookup,
};

/*
 * The light host of section 4: the direct-map level of each region (boot:
 * 2M), and the RMP state of page 0 of each region; every other page reads
 * as hypervisor-owned.  Counts collapses and flushes.
 */
struct lite {
	u64 nr_regions;
	u8 *level;
	unsigned long *assigned;
	u64 splits, collapses, flushes;
};

static int lite_update(void *priv, u64 pfn, const struct rmp_sync_rmp_state *st)
{
	struct lite *l = priv;
	u64 r = pfn / RP;

	if (r >= l->nr_regions || pfn % RP)
		return RMP_SYNC_RMP_FAIL_INPUT;
	if (st->assigned)
		set_bit(r, l->assigned);
	else
		clear_bit(r, l->assigned);
	return RMP_SYNC_RMP_SUCCESS;
}

static int lite_psmash(void *priv, u64 pfn)
{
	return RMP_SYNC_RMP_FAIL_INPUT;
}

static int lite_lookup(void *priv, u64 pfn, struct rmp_sync_rmp_entry *e)
{
	struct lite *l = priv;

	if (pfn / RP >= l->nr_regions)
		return -EINVAL;
	*e = (struct rmp_sync_rmp_entry){ .level = PG_LEVEL_4K };
	e->assigned = !(pfn % RP) && test_bit(pfn / RP, l->assigned);
	return 0;
}

static int lite_level(void *priv, u64 pfn)
{
	struct lite *l = priv;

	return pfn / RP < l->nr_regions ? l->level[pfn / RP] : PG_LEVEL_NONE;
}

static int lite_split(void *priv, u64 pfn, bool nofail, int *old_level)
{
	struct lite *l = priv;

	*old_level = lite_level(priv, pfn);
	if (*old_level == PG_LEVEL_NONE)
		return -EINVAL;
	if (*old_level > PG_LEVEL_4K) {
		l->level[pfn / RP] = PG_LEVEL_4K;
		l->splits++;
		l->flushes++;		/* the split's own flush */
	}
	return 0;
}

static int lite_collapse(void *priv, u64 pfn, int level)
{
	struct lite *l = priv;

	if (level != PG_LEVEL_2M)
		return RMP_SYNC_COLLAPSE_NO_PSE;
	if (l->level[pfn / RP] != PG_LEVEL_4K)
		return RMP_SYNC_COLLAPSE_NOT_SPLIT;
	l->level[pfn / RP] = PG_LEVEL_2M;
	l->collapses++;
	return RMP_SYNC_COLLAPSED;
}

static void lite_flush(void *priv)
{
	((struct lite *)priv)->flushes++;
}

static const struct rmp_sync_rmp_ops lite_rmp_ops = {
	.name = "lite", .update = lite_update, .psmash = lite_psmash,
	.lookup = lite_lookup,
};

static const struct rmp_sync_dmap_ops lite_dmap_ops = {
	.name = "lite", .level = lite_level, .split = lite_split,
	.collapse = lite_collapse, .flush = lite_flush,
};

static u64 bench_clock_ms;

static u64 bench_clock(void *priv)
{
	return *(u64 *)priv;
}

/* An emulated host (2 CPUs, PSE, gbpages) and an instance over it. */
struct bhost {
	struct emu_host *h;
	struct rmp_sync *rs;
	struct bench_rmp rmp;
};

static void bhost_create(struct bhost *b, u64 nr_regions, enum rmp_sync_mode mode,
			 bool counting)
{
	struct emu_config ec = {
		.mem_bytes = nr_regions * REGION_BYTES, .nr_cpus = 2,
		.pse = true, .gbpages = true,
	};
	struct rmp_sync_config cfg = {
		.clock_ms = bench_clock, .clock_priv = &bench_clock_ms,
		.mode = mode, .defrag_1g = true,
	};
	struct emu_instance in;
	int ret;

	memset(b, 0, sizeof(*b));
	if (counting) {
		/* b->rmp.sw is set below: creating an instance updates no RMP */
		cfg.rmp = &bench_rmp_ops;
		cfg.rmp_priv = &b->rmp;
	}
	ret = emu_instance_create(&in, &ec, &cfg);
	if (ret)
		bench_die("cannot create an emulated host of %llu regions: %d",
			  (ull)nr_regions, ret);
	b->h = in.h;
	b->rs = in.rs;
	b->rmp.sw = emu_rmp(b->h);
}

static void bhost_destroy(struct bhost *b)
{
	struct emu_instance in = { .h = b->h, .rs = b->rs };

	emu_instance_destroy(&in);
}

static void must(int ret, const char *what, u64 pfn)
{
	if (ret)
		bench_die("%s of PFN 0x%llx failed (%d)", what, (ull)pfn, ret);
}

/* ------------------------------------------------------------------ */
/* Section 1: transition cost.                                         */

enum tr_scen { TR_4K_MIXED, TR_4K_LONE, TR_2M, TR_NR_SCEN };
enum { TR_PRIVATE, TR_SHARED, TR_NR_DIR };
enum { BP_UPSTREAM, BP_RMP_SYNC, BP_NR };

static const char *const tr_scen_names[TR_NR_SCEN] = { "4k-mixed", "4k-lone", "2m" };
static const char *const tr_dir_names[TR_NR_DIR] = { "private", "shared" };
static const char *const bp_names[BP_NR] = { "upstream", "rmp_sync" };
static const enum rmp_sync_mode bp_modes[BP_NR] = {
	RMP_SYNC_MODE_UPSTREAM, RMP_SYNC_MODE_DEFERRED,
};
static const char *const tr_scen_desc[TR_NR_SCEN] = {
	"4K flip of page 1; page 0 stays private, region mixed and split",
	"4K flip of the only private page of a split region (uniform<->mixed)",
	"2M private/shared of a whole region mapped by a 1G leaf",
};

struct tr_cell {		/* one scenario, direction and policy */
	double total, hw, net, net_q1, net_q3;
	double lookups, updates;	/* RMP operations per transition */
	u64 splits;			/* splits during the timed batches */
};

struct tr_result {
	struct tr_cell c[TR_NR_SCEN][TR_NR_DIR][BP_NR];
	double walk_ns, info_ns;	/* the two look-up primitives alone */
	unsigned int rounds;
	/* Rows whose net IQR is under half the net, for both policies. */
	bool resolved[TR_NR_SCEN][TR_NR_DIR];
	bool met;
};

static u64 tr_pfn(enum tr_scen s, unsigned int i)
{
	u64 region = (u64)s * TR_REGIONS + i;

	switch (s) {
	case TR_4K_MIXED:
		return region * RP + 1;
	case TR_4K_LONE:
		return region * RP + 2;
	default:
		return region * RP;
	}
}

static enum pg_level tr_level(enum tr_scen s)
{
	return s == TR_2M ? PG_LEVEL_2M : PG_LEVEL_4K;
}

static int tr_core_one(struct bhost *b, enum tr_scen s, int dir, u64 pfn)
{
	if (dir == TR_PRIVATE)
		return rmp_sync_make_private(b->rs, pfn, pfn << PAGE_SHIFT,
					     tr_level(s), 1, false);
	return rmp_sync_make_shared(b->rs, pfn, tr_level(s));
}

/* One batch through the core; returns its time in ns. */
static u64 tr_core_batch(struct bhost *b, enum tr_scen s, int dir)
{
	u64 t0 = bench_ns();
	unsigned int i;

	for (i = 0; i < TR_REGIONS; i++) {
		u64 pfn = tr_pfn(s, i);

		must(tr_core_one(b, s, dir, pfn), tr_dir_names[dir], pfn);
	}
	return bench_ns() - t0;
}

/*
 * The same batch on the emulated hardware alone: @lookups RMP look-ups and
 * @updates RMPUPDATEs per transition, through the same counting backend.
 */
static u64 tr_hw_batch(struct bhost *b, enum tr_scen s, int dir,
		       unsigned int lookups, unsigned int updates)
{
	struct rmp_sync_rmp_state st = { .level = tr_level(s) };
	struct rmp_sync_rmp_entry e;
	u64 t0 = bench_ns();
	unsigned int i, j;

	for (i = 0; i < TR_REGIONS; i++) {
		u64 pfn = tr_pfn(s, i);

		for (j = 0; j < lookups; j++)
			must(bench_rmp_ops.lookup(&b->rmp, pfn, &e), "lookup", pfn);
		if (dir == TR_PRIVATE) {
			st.assigned = true;
			st.asid = 1;
			st.gpa = pfn << PAGE_SHIFT;
		}
		for (j = 0; j < updates; j++)
			must(bench_rmp_ops.update(&b->rmp, pfn, &st), "RMPUPDATE", pfn);
	}
	return bench_ns() - t0;
}

/* Split every scenario region the way its scenario needs. */
static void tr_setup(struct bhost *b)
{
	unsigned int i;

	for (i = 0; i < TR_REGIONS; i++) {
		u64 anchor = tr_pfn(TR_4K_MIXED, i) - 1;
		u64 lone = tr_pfn(TR_4K_LONE, i);

		must(rmp_sync_make_private(b->rs, anchor, anchor << PAGE_SHIFT,
					   PG_LEVEL_4K, 1, false), "anchor", anchor);
		must(tr_core_one(b, TR_4K_LONE, TR_PRIVATE, lone), "setup", lone);
		must(tr_core_one(b, TR_4K_LONE, TR_SHARED, lone), "setup", lone);
	}
}

/* ns per call of the dmap level walk and of the lockless region look-up. */
static void tr_primitives(struct bhost *b, struct tr_result *res)
{
	unsigned int rounds = opts.quick ? 3 : 11, r, i;
	double walk[11], info[11];
	struct rmp_sync_region_info ri;
	volatile int sink = 0;

	for (r = 0; r < rounds; r++) {
		u64 t0 = bench_ns();

		for (i = 0; i < TR_NR_SCEN * TR_REGIONS; i++)
			sink += emu_dmap_ops.level(b->h, (u64)i * RP + 1);
		walk[r] = (double)(bench_ns() - t0) / (TR_NR_SCEN * TR_REGIONS);
		t0 = bench_ns();
		for (i = 0; i < TR_NR_SCEN * TR_REGIONS; i++) {
			rmp_sync_region_info(b->rs, (u64)i * RP + 1, &ri);
			sink += ri.assigned;
		}
		info[r] = (double)(bench_ns() - t0) / (TR_NR_SCEN * TR_REGIONS);
	}
	(void)sink;
	res->walk_ns = median(walk, rounds);
	res->info_ns = median(info, rounds);
}

static void bench_transitions(struct tr_result *res)
{
	static double tot[TR_NR_SCEN][TR_NR_DIR][BP_NR][BENCH_MAX_ROUNDS];
	static double hw[TR_NR_SCEN][TR_NR_DIR][BP_NR][BENCH_MAX_ROUNDS];
	static double net[TR_NR_SCEN][TR_NR_DIR][BP_NR][BENCH_MAX_ROUNDS];
	unsigned int lk[TR_NR_SCEN][TR_NR_DIR][BP_NR], up[TR_NR_SCEN][TR_NR_DIR][BP_NR];
	unsigned int reps = opts.quick ? 1 : TR_REPS;
	struct rmp_sync_stats st0, st1;
	struct bhost b[BP_NR];
	unsigned int r, k, rep;
	int p, s, d;

	memset(res, 0, sizeof(*res));
	res->rounds = opts.rounds;
	for (p = 0; p < BP_NR; p++) {
		bhost_create(&b[p], TR_NR_SCEN * TR_REGIONS, bp_modes[p], true);
		tr_setup(&b[p]);
		/* Warm-up batch, counting what the core asks of the RMP. */
		for (s = 0; s < TR_NR_SCEN; s++) {
			for (d = 0; d < TR_NR_DIR; d++) {
				struct bench_rmp *c = &b[p].rmp;
				unsigned long l0 = c->lookups, u0 = c->updates;
				unsigned long ps0 = c->psmashes;

				tr_core_batch(&b[p], s, d);
				if ((c->lookups - l0) % TR_REGIONS ||
				    (c->updates - u0) % TR_REGIONS || c->psmashes != ps0)
					bench_die("%s %s %s: RMP operations vary per transition",
						  bp_names[p], tr_scen_names[s], tr_dir_names[d]);
				lk[s][d][p] = (c->lookups - l0) / TR_REGIONS;
				up[s][d][p] = (c->updates - u0) / TR_REGIONS;
				res->c[s][d][p].lookups = lk[s][d][p];
				res->c[s][d][p].updates = up[s][d][p];
			}
		}
	}

	for (r = 0; r < opts.rounds; r++) {
		bench_progress("transitions");
		for (k = 0; k < BP_NR; k++) {
			p = (r & 1) ? BP_NR - 1 - k : k;	/* alternate the order */
			rmp_sync_get_stats(b[p].rs, &st0);
			for (s = 0; s < TR_NR_SCEN; s++) {
				u64 tc[TR_NR_DIR] = {}, th[TR_NR_DIR] = {};

				for (rep = 0; rep < reps; rep++) {
					for (d = 0; d < TR_NR_DIR; d++)
						tc[d] += tr_core_batch(&b[p], s, d);
					for (d = 0; d < TR_NR_DIR; d++)
						th[d] += tr_hw_batch(&b[p], s, d, lk[s][d][p],
								     up[s][d][p]);
				}
				for (d = 0; d < TR_NR_DIR; d++) {
					double n = (double)reps * TR_REGIONS;

					tot[s][d][p][r] = tc[d] / n;
					hw[s][d][p][r] = th[d] / n;
					net[s][d][p][r] = (tc[d] - (double)th[d]) / n;
				}
			}
			rmp_sync_get_stats(b[p].rs, &st1);
			for (s = 0; s < TR_NR_SCEN; s++)
				for (d = 0; d < TR_NR_DIR; d++)
					res->c[s][d][p].splits += st1.splits - st0.splits;
		}
	}

	res->met = true;
	for (s = 0; s < TR_NR_SCEN; s++) {
		for (d = 0; d < TR_NR_DIR; d++) {
			for (p = 0; p < BP_NR; p++) {
				struct tr_cell *c = &res->c[s][d][p];

				c->total = median(tot[s][d][p], opts.rounds);
				c->hw = median(hw[s][d][p], opts.rounds);
				c->net = median(net[s][d][p], opts.rounds);
				c->net_q1 = quantile(net[s][d][p], opts.rounds, 0.25);
				c->net_q3 = quantile(net[s][d][p], opts.rounds, 0.75);
			}
			res->resolved[s][d] = true;
			for (p = 0; p < BP_NR; p++) {
				struct tr_cell *c = &res->c[s][d][p];

				if (c->net <= 0 || c->net_q3 - c->net_q1 > c->net / 2)
					res->resolved[s][d] = false;
			}
			if (res->resolved[s][d] &&
			    res->c[s][d][BP_RMP_SYNC].net > res->c[s][d][BP_UPSTREAM].net)
				res->met = false;
		}
	}
	tr_primitives(&b[BP_RMP_SYNC], res);
	for (p = 0; p < BP_NR; p++)
		bhost_destroy(&b[p]);
}

/* ------------------------------------------------------------------ */
/* Section 2: memory.                                                  */

struct mem_point {
	u64 ram_bytes, regions;
	u64 alloc_bytes;	/* allocator: everything rmp_sync_create() took */
	u64 instance_bytes;	/* of which the fixed-size struct rmp_sync */
	u64 allocs;
	u64 state_bytes;	/* rmp_sync_state_bytes(), the core's own view */
};

struct mem_result {
	struct mem_point pt[3];
	double per_region;	/* marginal, 1 TiB -> 4 TiB */
	double per_tib;		/* state at 1 TiB, instance excluded */
	bool met_region, met_tib;
};

static u64 mem_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void mem_measure(struct mem_point *pt, u64 ram_bytes)
{
	static u64 dummy;
	struct rmp_sync_config cfg = {
		.nr_pages = ram_bytes >> PAGE_SHIFT,
		.rmp = &lite_rmp_ops, .rmp_priv = &dummy,
		.dmap = &lite_dmap_ops, .dmap_priv = &dummy,
		.mode = RMP_SYNC_MODE_DEFERRED,
	};
	long allocs0 = kshim_allocs;
	struct rmp_sync *rs;
	u64 before;

	before = mem_in_use();
	rs = rmp_sync_create(&cfg);
	if (IS_ERR(rs))
		bench_die("rmp_sync_create(%llu bytes): %ld", (ull)ram_bytes, PTR_ERR(rs));
	pt->alloc_bytes = mem_in_use() - before;
	pt->allocs = kshim_allocs - allocs0;
	pt->instance_bytes = kshim_alloc_size(rs);
	pt->state_bytes = rmp_sync_state_bytes(rs);
	pt->ram_bytes = ram_bytes;
	pt->regions = cfg.nr_pages / RP;
	rmp_sync_destroy(rs);
}

static void bench_memory(struct mem_result *res)
{
	bench_progress("memory");
	mem_measure(&res->pt[0], 1ULL << 30);
	mem_measure(&res->pt[1], 1ULL << 40);
	mem_measure(&res->pt[2], 4ULL << 40);
	res->per_region = (double)(res->pt[2].alloc_bytes - res->pt[1].alloc_bytes) /
			  (res->pt[2].regions - res->pt[1].regions);
	res->per_tib = res->pt[1].alloc_bytes - res->pt[1].instance_bytes;
	res->met_region = res->per_region <= 4.0;
	res->met_tib = res->per_tib <= 2.0 * (1 << 20);
}

/* ------------------------------------------------------------------ */
/* Section 3: scaling.                                                 */

/*
 * disjoint: each thread sweeps its own 1000 regions (hashed region locks
 * collide now and then, as they would in a kernel); own-region: each thread
 * flips one page of one region of its own, so that no lock is ever shared
 * and only the cache lines every transition writes are; shared: one region.
 */
enum { SC_DISJOINT, SC_OWN_REGION, SC_SHARED, SC_NR_LAYOUTS };
static const char *const sc_layout_names[SC_NR_LAYOUTS] = {
	"disjoint", "own-region", "shared",
};

struct sc_cell {
	double tps;		/* transitions per second, median of rounds */
	double efficiency;	/* tps / (threads * tps at 1 thread) */
	struct ls_counts ls;	/* of the median-independent last round */
	double seconds;		/* thread-seconds of that round */
};

struct sc_result {
	unsigned int cpus;
	/* Control: the machine's own scaling of a loop that shares nothing. */
	double control_tps[BENCH_MAX_THREADS + 1], control_efficiency;
	struct sc_cell c[SC_NR_LAYOUTS][BP_NR][BENCH_MAX_THREADS + 1];
	bool met;
	double worst_efficiency;
};

struct sc_thread {
	struct bhost *b;
	unsigned int id, cpu;
	int layout;		/* -1: the control loop */
	u64 done;
	pthread_barrier_t *start;
	bool *stop;
	struct ls_counts *ls;
	pthread_t tid;
};

static u64 sc_shared_region(unsigned int cpus)
{
	return (u64)cpus * SC_REGIONS;
}

static void *sc_worker(void *arg)
{
	struct sc_thread *t = arg;
	u64 first, n, i = 0, done = 0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	rcu_register_thread();
	if (t->layout == SC_DISJOINT) {
		first = (u64)t->id * SC_REGIONS * RP + 1;
		n = SC_REGIONS;
	} else if (t->layout == SC_OWN_REGION) {
		first = (u64)t->id * SC_REGIONS * RP + 1;
		n = 1;
	} else {
		first = sc_shared_region(BENCH_MAX_THREADS) * RP + 1 + t->id;
		n = 1;
	}
	memset(&ls_mine, 0, sizeof(ls_mine));
	pthread_barrier_wait(t->start);
	if (t->layout < 0) {
		/* A private mutex and arithmetic: no cache line is shared. */
		pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
		volatile u64 x = t->id;

		while (!__atomic_load_n(t->stop, __ATOMIC_RELAXED)) {
			for (i = 0; i < 64; i++) {
				__real_pthread_mutex_lock(&m);
				x = x * 31 + i;
				pthread_mutex_unlock(&m);
			}
			done += 64;
		}
	}
	while (t->layout >= 0 && !__atomic_load_n(t->stop, __ATOMIC_RELAXED)) {
		u64 pfn = first + (i % n) * RP;

		must(rmp_sync_make_private(t->b->rs, pfn, pfn << PAGE_SHIFT,
					   PG_LEVEL_4K, 1, false), "private", pfn);
		must(rmp_sync_make_shared(t->b->rs, pfn, PG_LEVEL_4K), "shared", pfn);
		done += 2;	/* local: the threads' structs share cache lines */
		i++;
	}
	t->done = done;
	ls_collect(t->ls);
	rcu_unregister_thread();
	return NULL;
}

/* @nthreads threads for @ms: transitions per second. */
static double sc_run(struct bhost *b, int layout, unsigned int nthreads,
		     unsigned int cpus, unsigned int ms, struct ls_counts *ls,
		     double *thread_seconds)
{
	struct sc_thread th[BENCH_MAX_THREADS];
	pthread_barrier_t start;
	bool stop = false;
	u64 t0, t1, done = 0;
	unsigned int i;

	memset(ls, 0, sizeof(*ls));
	pthread_barrier_init(&start, NULL, nthreads + 1);
	ls_track(b->rs, b->rmp.sw);
	__atomic_store_n(&ls_on, true, __ATOMIC_RELAXED);
	for (i = 0; i < nthreads; i++) {
		th[i] = (struct sc_thread){
			.b = b, .id = i, .cpu = i % cpus, .layout = layout,
			.start = &start, .stop = &stop, .ls = ls,
		};
		if (pthread_create(&th[i].tid, NULL, sc_worker, &th[i]))
			bench_die("pthread_create failed");
	}
	pthread_barrier_wait(&start);
	t0 = bench_ns();
	msleep(ms);
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i].tid, NULL);
		done += th[i].done;
	}
	t1 = bench_ns();
	__atomic_store_n(&ls_on, false, __ATOMIC_RELAXED);
	pthread_barrier_destroy(&start);
	*thread_seconds = nthreads * (t1 - t0) / 1e9;
	return done / ((t1 - t0) / 1e9);
}

static void bench_scaling(struct sc_result *res)
{
	unsigned int rounds = opts.quick ? 1 : 3, ms = opts.quick ? 40 : 250;
	static double tps[SC_NR_LAYOUTS][BP_NR][BENCH_MAX_THREADS + 1][BENCH_MAX_ROUNDS];
	static double ctl[BENCH_MAX_THREADS + 1][BENCH_MAX_ROUNDS];
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	struct bhost b[BP_NR];
	unsigned int r, n, k, i;
	int p, l;

	memset(res, 0, sizeof(*res));
	res->cpus = online < 1 ? 1 : online > BENCH_MAX_THREADS ? BENCH_MAX_THREADS : online;
	for (p = 0; p < BP_NR; p++) {
		u64 shared = sc_shared_region(BENCH_MAX_THREADS);

		bhost_create(&b[p], shared + 1, bp_modes[p], false);
		/* Page 0 of every region private: mixed and split from now on. */
		for (i = 0; i < res->cpus * SC_REGIONS; i++)
			must(rmp_sync_make_private(b[p].rs, (u64)i * RP, (u64)i * REGION_BYTES,
						   PG_LEVEL_4K, 1, false), "anchor", (u64)i * RP);
		must(rmp_sync_make_private(b[p].rs, shared * RP, shared * REGION_BYTES,
					   PG_LEVEL_4K, 1, false), "anchor", shared * RP);
	}
	for (r = 0; r < rounds; r++) {
		for (n = 1; n <= res->cpus; n++) {
			struct ls_counts ls;
			double ts;

			ctl[n][r] = sc_run(&b[0], -1, n, res->cpus, ms, &ls, &ts);
		}
		for (l = 0; l < SC_NR_LAYOUTS; l++) {
			for (n = 1; n <= res->cpus; n++) {
				for (k = 0; k < BP_NR; k++) {
					struct sc_cell *c;

					p = ((r + n) & 1) ? BP_NR - 1 - k : k;
					c = &res->c[l][p][n];
					bench_progress("scaling");
					tps[l][p][n][r] = sc_run(&b[p], l, n, res->cpus, ms,
								 &c->ls, &c->seconds);
				}
			}
		}
	}
	for (n = 1; n <= res->cpus; n++)
		res->control_tps[n] = median(ctl[n], rounds);
	n = res->cpus;
	res->control_efficiency = res->control_tps[n] / (n * res->control_tps[1]);
	res->met = true;
	res->worst_efficiency = 1;
	for (l = 0; l < SC_NR_LAYOUTS; l++) {
		for (p = 0; p < BP_NR; p++) {
			for (n = 1; n <= res->cpus; n++) {
				struct sc_cell *c = &res->c[l][p][n];

				c->tps = median(tps[l][p][n], rounds);
				c->efficiency = c->tps / (n * res->c[l][p][1].tps);
				if (l == SC_DISJOINT && p == BP_RMP_SYNC && n > 1) {
					if (c->efficiency < 0.85)
						res->met = false;
					res->worst_efficiency = min(res->worst_efficiency,
								    c->efficiency);
				}
			}
		}
	}
	for (p = 0; p < BP_NR; p++)
		bhost_destroy(&b[p]);
}

/* ------------------------------------------------------------------ */
/* Section 4: recovery pass.                                           */

struct rec_row {
	u64 k, nr_regions;
	const char *backend;
	double ns, ns_per_region;
	struct rmp_sync_pass pass;
	u64 backend_flushes;	/* flushes the backend saw during the pass */
};

struct rec_result {
	struct rec_row row[12];
	unsigned int nr;
	bool linear, one_flush;
	double spread;		/* max/min ns per region over the dense lite rows */
	double slope;		/* d log(time) / d log(K), dense lite, K >= 64 */
};

/* Make regions [0, @k) (spaced @stride apart) candidates. */
static void rec_setup(struct rmp_sync *rs, u64 k, u64 stride)
{
	u64 i;

	for (i = 0; i < k; i++) {
		u64 pfn = i * stride * RP;

		must(rmp_sync_make_private(rs, pfn, 0, PG_LEVEL_4K, 1, false),
		     "private", pfn);
		must(rmp_sync_make_shared(rs, pfn, PG_LEVEL_4K), "shared", pfn);
	}
}

static void rec_lite(struct rec_row *row, u64 k, u64 nr_regions, unsigned int reps)
{
	double t[64];
	unsigned int r;

	row->k = k;
	row->nr_regions = nr_regions;
	row->backend = "lite";
	for (r = 0; r < reps; r++) {
		struct lite l = { .nr_regions = nr_regions };
		struct rmp_sync_config cfg = {
			.nr_pages = nr_regions * RP,
			.rmp = &lite_rmp_ops, .rmp_priv = &l,
			.dmap = &lite_dmap_ops, .dmap_priv = &l,
			.clock_ms = bench_clock, .clock_priv = &bench_clock_ms,
			.mode = RMP_SYNC_MODE_DEFERRED, .defrag_1g = true,
		};
		struct rmp_sync *rs;
		u64 f0, t0;

		l.level = malloc(nr_regions);
		l.assigned = calloc(BITS_TO_LONGS(nr_regions), sizeof(long));
		if (!l.level || !l.assigned)
			bench_die("out of memory");
		memset(l.level, PG_LEVEL_2M, nr_regions);
		rs = rmp_sync_create(&cfg);
		if (IS_ERR(rs))
			bench_die("rmp_sync_create: %ld", PTR_ERR(rs));
		rec_setup(rs, k, nr_regions / k);
		f0 = l.flushes;
		t0 = bench_ns();
		rmp_sync_recover(rs, k, true, &row->pass);
		t[r] = bench_ns() - t0;
		row->backend_flushes = l.flushes - f0;
		if (l.collapses != k || row->pass.collapsed_2m != k)
			bench_die("recovery of %llu regions collapsed %llu", (ull)k,
				  (ull)l.collapses);
		rmp_sync_destroy(rs);
		free(l.level);
		free(l.assigned);
	}
	row->ns = median(t, reps);
	row->ns_per_region = row->ns / k;
}

static void rec_emu(struct rec_row *row, u64 k, unsigned int reps)
{
	struct emu_stats e0, e1;
	double t[64];
	unsigned int r;

	row->k = k;
	row->nr_regions = k;
	row->backend = "emu";
	for (r = 0; r < reps; r++) {
		struct bhost b;
		u64 t0;

		bhost_create(&b, k, RMP_SYNC_MODE_DEFERRED, false);
		rec_setup(b.rs, k, 1);
		emu_get_stats(b.h, &e0);
		t0 = bench_ns();
		rmp_sync_recover(b.rs, k, true, &row->pass);
		t[r] = bench_ns() - t0;
		emu_get_stats(b.h, &e1);
		row->backend_flushes = e1.flushes - e0.flushes;
		if (row->pass.collapsed_2m != k)
			bench_die("emulated recovery of %llu regions collapsed %u",
				  (ull)k, row->pass.collapsed_2m);
		bhost_destroy(&b);
	}
	row->ns = median(t, reps);
	row->ns_per_region = row->ns / k;
}

static void bench_recovery(struct rec_result *res)
{
	static const u64 ks[] = { 1, 64, 4096, 262144 };
	static const unsigned int reps[] = { 31, 15, 5, 3 };
	unsigned int i, nk = opts.quick ? 3 : 4;
	double lo = 1e30, hi = 0;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < nk; i++) {
		struct rec_row *row = &res->row[res->nr++];

		bench_progress("recovery");
		rec_lite(row, ks[i], ks[i], opts.quick ? 1 : reps[i]);
		lo = min(lo, row->ns_per_region);
		hi = max(hi, row->ns_per_region);
	}
	/* Sparse: 64 candidates spread over 512 GiB, to show the scan. */
	if (!opts.quick)
		rec_lite(&res->row[res->nr++], 64, 262144, 3);
	for (i = 0; i < 3; i++)
		rec_emu(&res->row[res->nr++], ks[i], opts.quick ? 1 : min(reps[i], 5U));

	res->one_flush = true;
	for (i = 0; i < res->nr; i++)
		if (res->row[i].pass.flushes != 1 || res->row[i].backend_flushes != 1)
			res->one_flush = false;
	/* K = 1 is all fixed cost; linearity is judged from K = 64 up. */
	lo = 1e30;
	hi = 0;
	for (i = 1; i < nk; i++) {
		lo = min(lo, res->row[i].ns_per_region);
		hi = max(hi, res->row[i].ns_per_region);
	}
	res->spread = hi / lo;
	res->slope = log(res->row[nk - 1].ns / res->row[1].ns) /
		     log((double)res->row[nk - 1].k / res->row[1].k);
	res->linear = res->slope <= 1.15;
}

/* ------------------------------------------------------------------ */
/* Section 5: workload throughput.                                     */

enum { WL_NONE, WL_UPSTREAM, WL_EAGER, WL_RMP_SYNC, WL_NR };
static const char *const wl_names[WL_NR] = { "none", "upstream", "eager", "rmp_sync" };
static const enum rmp_sync_mode wl_modes[WL_NR] = {
	RMP_SYNC_MODE_NONE, RMP_SYNC_MODE_UPSTREAM, RMP_SYNC_MODE_EAGER,
	RMP_SYNC_MODE_DEFERRED,
};

struct wl_result {
	double hours;
	u64 ops, mem_bytes;
	unsigned int rounds;
	double seconds[WL_NR];		/* median replay time */
	double ops_per_s[WL_NR];
	u64 rejected[WL_NR];
	u64 splits[WL_NR], collapses[WL_NR], flushes[WL_NR];
	u64 passes[WL_NR], scanned[WL_NR];	/* recovery passes, words looked at */
};

/* The simulated clock of a replay and its background "thread". */
struct wl_clock {
	u64 now;		/* first: bench_clock() reads it */
	u64 next_pass;
	bool idle;		/* waits for a kick */
};

static void wl_kick(void *priv)
{
	struct wl_clock *c = priv;

	/* As the kernel's runner: a kick makes a pass due now. */
	if (c->idle || c->next_pass > c->now) {
		c->idle = false;
		c->next_pass = c->now;
	}
}

/* One replay, as rmp-sync-sim does it (default knobs); returns seconds. */
static double wl_replay(const struct sim_trace *t, int pol, struct wl_result *res)
{
	struct emu_config ec = {
		.mem_bytes = t->mem_bytes, .nr_cpus = 2, .pse = true, .gbpages = true,
	};
	struct wl_clock clk = { .idle = true };
	u64 rejected = 0, t0, t1;
	u64 passes = 0, scanned = 0;
	struct rmp_sync_pass pass;
	struct rmp_sync_config cfg = {
		.clock_ms = bench_clock, .clock_priv = &clk,
		.kick = wl_kick, .kick_priv = &clk,
		.mode = wl_modes[pol],
		.collapse_delay_millisecs =
			rmp_sync_knobs[RMP_SYNC_KNOB_COLLAPSE_DELAY_MS].def,
		.defrag_1g = rmp_sync_knobs[RMP_SYNC_KNOB_DEFRAG_1G].def,
	};
	unsigned int budget = rmp_sync_knobs[RMP_SYNC_KNOB_REGIONS_TO_SCAN].def;
	bool recovery = wl_modes[pol] >= RMP_SYNC_MODE_DEFERRED;
	struct rmp_sync_stats st;
	struct emu_stats es;
	struct emu_instance in;
	struct emu_host *h;
	struct rmp_sync *rs;
	size_t i;

	if (emu_instance_create(&in, &ec, &cfg))
		bench_die("cannot create the emulated host");
	h = in.h;
	rs = in.rs;

	t0 = bench_ns();
	for (i = 0; i < t->nr; i++) {
		const struct sim_op *op = &t->ops[i];
		int ret = 0;

		switch (op->kind) {
		case SIM_OP_PRIVATE:
			ret = rmp_sync_make_private(rs, op->arg, op->gpa, op->level,
						    op->n, op->flags & SIM_OP_IMMUTABLE);
			break;
		case SIM_OP_SHARED:
			ret = rmp_sync_make_shared(rs, op->arg, op->level);
			break;
		case SIM_OP_PSMASH:
			ret = rmp_sync_psmash(rs, op->arg);
			break;
		case SIM_OP_LEAK:
			ret = rmp_sync_leak_pages(rs, op->arg, op->n);
			break;
		case SIM_OP_WRITE:
			emu_write(h, i % 2, op->arg);
			break;
		case SIM_OP_TICK: {
			u64 target = clk.now + op->arg;

			while (recovery && !clk.idle && clk.next_pass <= target) {
				unsigned int sleep_ms;

				clk.now = clk.next_pass;
				sleep_ms = rmp_sync_background(rs, &pass);
				passes++;
				scanned += pass.scanned;
				if (sleep_ms == RMP_SYNC_IDLE)
					clk.idle = true;
				else
					clk.next_pass = clk.now + sleep_ms;
			}
			clk.now = target;
			break;
		}
		case SIM_OP_QUIESCE:
			do {
				ret = rmp_sync_recover(rs, budget, true, &pass);
				passes++;
				scanned += pass.scanned;
			} while (ret > 0);
			ret = 0;
			break;
		}
		rejected += ret != 0;
	}
	t1 = bench_ns();

	rmp_sync_get_stats(rs, &st);
	emu_get_stats(h, &es);
	res->rejected[pol] = rejected;
	res->splits[pol] = st.splits;
	res->collapses[pol] = st.collapses_2m + st.collapses_1g;
	res->flushes[pol] = es.flushes;
	res->passes[pol] = passes;
	res->scanned[pol] = scanned;
	emu_instance_destroy(&in);
	return (t1 - t0) / 1e9;
}

static void bench_workload(struct wl_result *res)
{
	static double secs[WL_NR][BENCH_MAX_ROUNDS];
	struct sim_trace t;
	unsigned int r, k;
	int p;

	memset(res, 0, sizeof(*res));
	res->hours = opts.hours;
	res->rounds = opts.quick ? 1 : 3;
	if (sim_workload("vm-churn", 0, false, opts.hours, 1, &t))
		bench_die("cannot generate the vm-churn workload");
	res->ops = t.nr;
	res->mem_bytes = t.mem_bytes;
	for (r = 0; r < res->rounds; r++) {
		for (k = 0; k < WL_NR; k++) {
			p = (r & 1) ? WL_NR - 1 - k : k;
			bench_progress("workload");
			secs[p][r] = wl_replay(&t, p, res);
		}
	}
	for (p = 0; p < WL_NR; p++) {
		res->seconds[p] = median(secs[p], res->rounds);
		res->ops_per_s[p] = res->ops / res->seconds[p];
	}
	sim_trace_free(&t);
}

/* ------------------------------------------------------------------ */
/* Output.                                                             */

struct bench_all {
	struct tr_result tr;
	struct mem_result mem;
	struct sc_result sc;
	struct rec_result rec;
	struct wl_result wl;
	double seconds;
};

static const char *yes_no(bool met)
{
	return met ? "met" : "MISSED";
}

static void print_table(const struct bench_all *a)
{
	const struct tr_result *tr = &a->tr;
	const struct mem_result *m = &a->mem;
	const struct sc_result *sc = &a->sc;
	const struct rec_result *rec = &a->rec;
	const struct wl_result *wl = &a->wl;
	unsigned int i, n;
	int s, d, p, l;

	printf("rmp-sync-bench: rmp_sync (deferred) against upstream (Linux 6.12 adjust_direct_map()),\n"
	       "same process, same run; %u CPUs online%s\n\n", sc->cpus,
	       opts.quick ? "; --quick: few rounds, figures are indicative only" : "");

	printf("1. Transition cost, ns per transition (median of %u alternating rounds of %u x %u)\n",
	       tr->rounds, opts.quick ? 1 : TR_REPS, TR_REGIONS);
	printf("   net = total - emulated RMP (the look-ups and RMPUPDATEs the core issued, timed alone)\n");
	printf("   %-9s %-8s | %-25s | %-25s | %-6s %s\n", "", "", "upstream total/RMP/net",
	       "rmp_sync total/RMP/net", "ratio", "RMP ops, splits");
	for (s = 0; s < TR_NR_SCEN; s++) {
		for (d = 0; d < TR_NR_DIR; d++) {
			const struct tr_cell *u = &tr->c[s][d][BP_UPSTREAM];
			const struct tr_cell *r = &tr->c[s][d][BP_RMP_SYNC];

			printf("   %-9s %-8s | %7.1f %7.1f %7.1f   | %7.1f %7.1f %7.1f   |%c%5.2fx %.0fL+%.0fU, %llu/%llu\n",
			       tr_scen_names[s], tr_dir_names[d], u->total, u->hw, u->net,
			       r->total, r->hw, r->net, tr->resolved[s][d] ? ' ' : '~',
			       r->net / u->net, r->lookups,
			       r->updates, (ull)u->splits, (ull)r->splits);
		}
	}
	for (s = 0; s < TR_NR_SCEN; s++)
		printf("   %-9s %s\n", tr_scen_names[s], tr_scen_desc[s]);
	printf("   net interquartile range, rmp_sync / upstream:");
	for (s = 0; s < TR_NR_SCEN; s++)
		for (d = 0; d < TR_NR_DIR; d++)
			printf(" %s/%.1s %.1f-%.1f / %.1f-%.1f", tr_scen_names[s], tr_dir_names[d],
			       tr->c[s][d][BP_RMP_SYNC].net_q1, tr->c[s][d][BP_RMP_SYNC].net_q3,
			       tr->c[s][d][BP_UPSTREAM].net_q1, tr->c[s][d][BP_UPSTREAM].net_q3);
	printf("\n   look-up primitives alone: page-table walk (dmap->level) %.1f ns, region word (rmp_sync_region_info) %.1f ns, ratio %.2fx\n",
	       tr->walk_ns, tr->info_ns, tr->info_ns / tr->walk_ns);
	printf("   ~ = not resolved: the net's interquartile range exceeds half of it (the emulated\n"
	       "   2M RMPUPDATE writes 512 entries and its noise swamps a net of tens of ns);\n"
	       "   use make bench-callgrind for those rows\n");
	printf("   target rmp_sync net <= 1.00 x upstream net on every resolved no-split row: %s\n\n",
	       yes_no(tr->met));

	printf("2. Memory, measured from the allocator across rmp_sync_create()\n");
	printf("   %-8s %9s %13s %10s %10s %7s %13s\n", "RAM", "regions", "allocated B",
	       "instance B", "state B", "allocs", "state_bytes()");
	for (i = 0; i < 3; i++) {
		const struct mem_point *pt = &m->pt[i];

		printf("   %5llu %s %9llu %13llu %10llu %10llu %7llu %13llu\n",
		       (ull)(pt->ram_bytes >> (pt->ram_bytes >= (1ULL << 40) ? 40 : 30)),
		       pt->ram_bytes >= (1ULL << 40) ? "TiB" : "GiB", (ull)pt->regions,
		       (ull)pt->alloc_bytes, (ull)pt->instance_bytes,
		       (ull)(pt->alloc_bytes - pt->instance_bytes), (ull)pt->allocs,
		       (ull)pt->state_bytes);
	}
	printf("   per 2M region (marginal, 1 TiB -> 4 TiB): %.4f B   target <= 4 B: %s (%+.3f%%)\n",
	       m->per_region, yes_no(m->met_region), 100 * (m->per_region / 4 - 1));
	printf("   per TiB (state at 1 TiB, fixed instance excluded): %.4f MiB (%llu B over 2 MiB)\n"
	       "   target <= 2 MiB: %s (%+.3f%%)\n", m->per_tib / (1 << 20),
	       (ull)(m->per_tib > (1 << 21) ? m->per_tib - (1 << 21) : 0),
	       yes_no(m->met_tib), 100 * (m->per_tib / (1 << 21) - 1));
	printf("   the region words are 4 B each; the rest is the two 1G bitmaps, the array header\n"
	       "   and the allocator's page rounding of the mmapped array\n");
	printf("   upstream keeps no state of its own: 0 B (no ratio)\n\n");

	printf("3. Scaling: 4K transitions per second, threads pinned one per CPU\n");
	printf("   %-10s %-8s %7s %13s %10s  %s\n", "layout", "policy", "threads",
	       "transitions/s", "vs linear", "contended / waited (rmp_sync mutexes, RMP locks)");
	for (l = 0; l < SC_NR_LAYOUTS; l++) {
		for (p = 0; p < BP_NR; p++) {
			for (n = 1; n <= sc->cpus; n++) {
				const struct sc_cell *c = &sc->c[l][p][n];

				printf("   %-10s %-8s %7u %13.0f %9.2fx  %5.1f%% / %4.1f%%, %5.1f%% / %4.1f%%\n",
				       sc_layout_names[l], bp_names[p], n, c->tps, c->efficiency,
				       c->ls.acquired[LS_RMP_SYNC] ?
				       100.0 * c->ls.contended[LS_RMP_SYNC] / c->ls.acquired[LS_RMP_SYNC] : 0,
				       100.0 * c->ls.wait_ns[LS_RMP_SYNC] / 1e9 / c->seconds,
				       c->ls.acquired[LS_SWRMP] ?
				       100.0 * c->ls.contended[LS_SWRMP] / c->ls.acquired[LS_SWRMP] : 0,
				       100.0 * c->ls.wait_ns[LS_SWRMP] / 1e9 / c->seconds);
			}
		}
	}
	n = sc->cpus;
	printf("   rmp_sync / upstream at %u threads:", n);
	for (l = 0; l < SC_NR_LAYOUTS; l++)
		printf(" %s %.2fx", sc_layout_names[l],
		       sc->c[l][BP_RMP_SYNC][n].tps / sc->c[l][BP_UPSTREAM][n].tps);
	printf("\n");
	printf("   contended = %% of lock acquisitions that had to wait; waited = %% of thread time\n");
	printf("   shared region: every transition holds the region mutex (%s) for its\n"
	       "   whole duration, so threads on one region serialize on it\n",
	       ls_names[LS_RMP_SYNC]);
	printf("   machine control (a private mutex and arithmetic per thread, nothing shared):\n"
	       "   %.2fx linear at %u threads: the ceiling this machine allows\n",
	       sc->control_efficiency, sc->cpus);
	printf("   target disjoint >= 0.85 x linear up to %u threads: %s (worst %.2fx; %.2f of the\n"
	       "   machine's ceiling)\n\n", sc->cpus, yes_no(sc->met), sc->worst_efficiency,
	       sc->worst_efficiency / sc->control_efficiency);

	printf("4. Recovery pass: one rmp_sync_recover(budget K, ignore_delay) over K candidates\n");
	printf("   %-5s %8s %9s %12s %10s %9s %8s %8s\n", "host", "K", "regions", "pass us",
	       "ns/region", "collapsed", "scanned", "flushes");
	for (i = 0; i < rec->nr; i++) {
		const struct rec_row *r = &rec->row[i];

		printf("   %-5s %8llu %9llu %12.1f %10.1f %9u %8u %4u/%-3llu\n", r->backend,
		       (ull)r->k, (ull)r->nr_regions, r->ns / 1e3, r->ns_per_region,
		       r->pass.collapsed_2m, r->pass.scanned, r->pass.flushes,
		       (ull)r->backend_flushes);
	}
	printf("   lite: a level byte and an RMP bit per region (K = 262144 is 512 GiB; the emulated\n"
	       "   host's page tables and RMP would need ~3 GiB); emu: the emulated host (page-table\n"
	       "   collapse checks, RCU-deferred table frees in the flush). flushes: pass/backend\n");
	printf("   linear in K: log-log slope of pass time over K = 64..%llu is %.3f (1 = linear; target\n"
	       "   <= 1.15): %s; ns/region max/min %.2f; one flush per pass: %s\n",
	       (ull)rec->row[(opts.quick ? 3 : 4) - 1].k, rec->slope, yes_no(rec->linear),
	       rec->spread, yes_no(rec->one_flush));
	printf("   upstream never collapses: no recovery pass (no ratio)\n\n");

	printf("5. Workload: vm-churn, %.2f simulated hours, %llu GiB, %llu operations, median of %u\n",
	       wl->hours, (ull)(wl->mem_bytes >> 30), (ull)wl->ops, wl->rounds);
	printf("   %-9s %8s %10s %8s %8s %7s %9s %8s %7s %11s\n", "policy", "seconds", "ops/s",
	       "vs none", "vs upstr", "splits", "collapses", "flushes", "passes",
	       "scanned");
	for (p = 0; p < WL_NR; p++)
		printf("   %-9s %8.3f %10.0f %7.2fx %7.2fx %7llu %9llu %8llu %7llu %11llu\n",
		       wl_names[p], wl->seconds[p], wl->ops_per_s[p],
		       wl->seconds[p] / wl->seconds[WL_NONE],
		       wl->seconds[p] / wl->seconds[WL_UPSTREAM], (ull)wl->splits[p],
		       (ull)wl->collapses[p], (ull)wl->flushes[p], (ull)wl->passes[p],
		       (ull)wl->scanned[p]);
	printf("   seconds include the emulated host (RMP, page tables, TLBs, host writes);\n"
	       "   rmp_sync slowdown against none: %.2fx\n\n",
	       wl->seconds[WL_RMP_SYNC] / wl->seconds[WL_NONE]);
	printf("bench finished in %.1f s\n", a->seconds);
}

static void json_ls(const struct ls_counts *ls)
{
	int c;

	printf("{");
	for (c = 0; c < LS_NR; c++)
		printf("%s\"%s\": {\"acquired\": %llu, \"contended\": %llu, \"wait_ns\": %llu}",
		       c ? ", " : "", c == LS_RMP_SYNC ? "rmp_sync" : c == LS_SWRMP ? "swrmp" : "emu",
		       (ull)ls->acquired[c], (ull)ls->contended[c], (ull)ls->wait_ns[c]);
	printf("}");
}

static void print_json(const struct bench_all *a)
{
	const struct tr_result *tr = &a->tr;
	const struct mem_result *m = &a->mem;
	const struct sc_result *sc = &a->sc;
	const struct rec_result *rec = &a->rec;
	const struct wl_result *wl = &a->wl;
	unsigned int i, n;
	bool first = true;
	int s, d, p, l;

	printf("{\n  \"cpus\": %u, \"quick\": %s,\n", sc->cpus, opts.quick ? "true" : "false");
	printf("  \"transitions\": {\"rounds\": %u, \"batch\": %u, \"unit\": \"ns\", \"rows\": [\n",
	       tr->rounds, TR_REGIONS);
	for (s = 0; s < TR_NR_SCEN; s++) {
		for (d = 0; d < TR_NR_DIR; d++) {
			printf("%s    {\"scenario\": \"%s\", \"op\": \"%s\"", first ? "" : ",\n",
			       tr_scen_names[s], tr_dir_names[d]);
			first = false;
			for (p = 0; p < BP_NR; p++) {
				const struct tr_cell *c = &tr->c[s][d][p];

				printf(", \"%s\": {\"total\": %.2f, \"rmp_hw\": %.2f, \"net\": %.2f, \"net_q1\": %.2f, \"net_q3\": %.2f, \"rmp_lookups\": %.0f, \"rmp_updates\": %.0f, \"splits\": %llu}",
				       bp_names[p], c->total, c->hw, c->net, c->net_q1, c->net_q3,
				       c->lookups, c->updates, (ull)c->splits);
			}
			printf(", \"ratio\": %.4f, \"resolved\": %s}", tr->c[s][d][BP_RMP_SYNC].net /
			       tr->c[s][d][BP_UPSTREAM].net, tr->resolved[s][d] ? "true" : "false");
		}
	}
	printf("\n  ], \"walk_ns\": %.2f, \"region_info_ns\": %.2f, \"target_met\": %s},\n",
	       tr->walk_ns, tr->info_ns, tr->met ? "true" : "false");

	printf("  \"memory\": {\"points\": [");
	for (i = 0; i < 3; i++)
		printf("%s{\"ram_bytes\": %llu, \"regions\": %llu, \"allocated_bytes\": %llu, \"instance_bytes\": %llu, \"allocations\": %llu, \"state_bytes\": %llu}",
		       i ? ", " : "", (ull)m->pt[i].ram_bytes, (ull)m->pt[i].regions,
		       (ull)m->pt[i].alloc_bytes, (ull)m->pt[i].instance_bytes,
		       (ull)m->pt[i].allocs, (ull)m->pt[i].state_bytes);
	printf("], \"bytes_per_region\": %.4f, \"bytes_per_tib\": %.0f, \"target_region_met\": %s, \"target_tib_met\": %s},\n",
	       m->per_region, m->per_tib, m->met_region ? "true" : "false",
	       m->met_tib ? "true" : "false");

	printf("  \"scaling\": {\"rows\": [");
	first = true;
	for (l = 0; l < SC_NR_LAYOUTS; l++) {
		for (p = 0; p < BP_NR; p++) {
			for (n = 1; n <= sc->cpus; n++) {
				const struct sc_cell *c = &sc->c[l][p][n];

				printf("%s\n    {\"layout\": \"%s\", \"policy\": \"%s\", \"threads\": %u, \"transitions_per_s\": %.0f, \"vs_linear\": %.4f, \"thread_seconds\": %.3f, \"locks\": ",
				       first ? "" : ",", sc_layout_names[l], bp_names[p], n,
				       c->tps, c->efficiency, c->seconds);
				json_ls(&c->ls);
				printf("}");
				first = false;
			}
		}
	}
	printf("\n  ], \"control_vs_linear\": %.4f, \"target_met\": %s, \"worst_vs_linear\": %.4f},\n",
	       sc->control_efficiency, sc->met ? "true" : "false", sc->worst_efficiency);

	printf("  \"recovery\": {\"rows\": [");
	for (i = 0; i < rec->nr; i++) {
		const struct rec_row *r = &rec->row[i];

		printf("%s\n    {\"backend\": \"%s\", \"k\": %llu, \"regions\": %llu, \"ns\": %.0f, \"ns_per_region\": %.2f, \"collapsed_2m\": %u, \"scanned\": %u, \"pass_flushes\": %u, \"backend_flushes\": %llu}",
		       i ? "," : "", r->backend, (ull)r->k, (ull)r->nr_regions, r->ns,
		       r->ns_per_region, r->pass.collapsed_2m, r->pass.scanned,
		       r->pass.flushes, (ull)r->backend_flushes);
	}
	printf("\n  ], \"linear\": %s, \"loglog_slope\": %.4f, \"spread\": %.3f, \"one_flush_per_pass\": %s},\n",
	       rec->linear ? "true" : "false", rec->slope, rec->spread,
	       rec->one_flush ? "true" : "false");

	printf("  \"workload\": {\"name\": \"vm-churn\", \"hours\": %.3f, \"mem_bytes\": %llu, \"ops\": %llu, \"rounds\": %u, \"policies\": [",
	       wl->hours, (ull)wl->mem_bytes, (ull)wl->ops, wl->rounds);
	for (p = 0; p < WL_NR; p++)
		printf("%s\n    {\"policy\": \"%s\", \"seconds\": %.4f, \"ops_per_s\": %.0f, \"vs_none\": %.4f, \"vs_upstream\": %.4f, \"rejected\": %llu, \"splits\": %llu, \"collapses\": %llu, \"flushes\": %llu, \"recovery_passes\": %llu, \"regions_scanned\": %llu}",
		       p ? "," : "", wl_names[p], wl->seconds[p], wl->ops_per_s[p],
		       wl->seconds[p] / wl->seconds[WL_NONE],
		       wl->seconds[p] / wl->seconds[WL_UPSTREAM], (ull)wl->rejected[p],
		       (ull)wl->splits[p], (ull)wl->collapses[p], (ull)wl->flushes[p],
		       (ull)wl->passes[p], (ull)wl->scanned[p]);
	printf("\n  ]},\n  \"seconds\": %.2f\n}\n", a->seconds);
}

/* ------------------------------------------------------------------ */
/* Callgrind mode: fixed loops, one dump per loop (bench/callgrind.sh). */

#if BENCH_HAVE_CALLGRIND
static void cg_dump(const char *kind, int p, int s, int d)
{
	char name[128];

	snprintf(name, sizeof(name), "%s %s %s %s %u", kind, bp_names[p],
		 tr_scen_names[s], tr_dir_names[d], TR_REGIONS);
	CALLGRIND_DUMP_STATS_AT(name);
}

static int bench_callgrind(void)
{
	struct bhost b;
	int p, s, d;

	if (!RUNNING_ON_VALGRIND)
		fprintf(stderr, "rmp-sync-bench: --callgrind outside valgrind: loops run, nothing is counted\n");
	for (p = 0; p < BP_NR; p++) {
		bhost_create(&b, TR_NR_SCEN * TR_REGIONS, bp_modes[p], true);
		tr_setup(&b);
		for (s = 0; s < TR_NR_SCEN; s++) {
			unsigned int lk[TR_NR_DIR], up[TR_NR_DIR];

			for (d = 0; d < TR_NR_DIR; d++) {	/* warm-up, counted */
				unsigned long l0 = b.rmp.lookups, u0 = b.rmp.updates;

				tr_core_batch(&b, s, d);
				lk[d] = (b.rmp.lookups - l0) / TR_REGIONS;
				up[d] = (b.rmp.updates - u0) / TR_REGIONS;
			}
			for (d = 0; d < TR_NR_DIR; d++) {
				CALLGRIND_TOGGLE_COLLECT;
				tr_core_batch(&b, s, d);
				CALLGRIND_TOGGLE_COLLECT;
				cg_dump("core", p, s, d);
			}
			for (d = 0; d < TR_NR_DIR; d++) {
				CALLGRIND_TOGGLE_COLLECT;
				tr_hw_batch(&b, s, d, lk[d], up[d]);
				CALLGRIND_TOGGLE_COLLECT;
				cg_dump("hw", p, s, d);
			}
		}
		bhost_destroy(&b);
	}
	return 0;
}
#else
static int bench_callgrind(void)
{
	fprintf(stderr, "rmp-sync-bench: built without <valgrind/callgrind.h> (apt-get install valgrind)\n");
	return 1;
}
#endif

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rmp-sync-bench [--json] [--quick] [--rounds N] [--hours H]\n"
		"       rmp-sync-bench --callgrind   (under valgrind --tool=callgrind --collect-atstart=no)\n"
		"  --json        JSON instead of the table\n"
		"  --quick       a few rounds of everything (a smoke test, seconds)\n"
		"  --rounds N    alternating rounds of the transition cost (1..%d; default 21)\n"
		"  --hours H     simulated hours of vm-churn (default 6; --quick 0.25)\n",
		BENCH_MAX_ROUNDS);
}

static int __attribute__((format(printf, 1, 2))) bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "rmp-sync-bench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	usage(stderr);
	return 2;
}

/* -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "hours", required_argument, NULL, 'H' },
		{ "callgrind", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool rounds_given = false, hours_given = false;
	unsigned long v;
	char *end;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts.json = true;
			break;
		case 'q':
			opts.quick = true;
			break;
		case 'c':
			opts.callgrind = true;
			break;
		case 'r':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || !v ||
			    v > BENCH_MAX_ROUNDS)
				return bad_usage("--rounds %s: a number from 1 to %d", optarg,
						 BENCH_MAX_ROUNDS);
			opts.rounds = v;
			rounds_given = true;
			break;
		case 'H':
			errno = 0;
			opts.hours = strtod(optarg, &end);
			if (errno || *end || !*optarg || !(opts.hours > 0) || opts.hours > 72)
				return bad_usage("--hours %s: a positive number of hours, at most 72",
						 optarg);
			hours_given = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return bad_usage("%s needs an argument", argv[optind - 1]);
		default:
			return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (opts.callgrind && (opts.json || opts.quick || rounds_given || hours_given))
		return bad_usage("--callgrind takes no other option");
	if (!rounds_given)
		opts.rounds = opts.quick ? 3 : 21;
	if (!hours_given)
		opts.hours = opts.quick ? 0.25 : 6;
	return -1;
}

int main(int argc, char **argv)
{
	static struct bench_all all;
	int ret;
	u64 t0;

	ret = parse_args(argc, argv);
	if (ret >= 0)
		return ret;
	rcu_register_thread();
	if (opts.callgrind) {
		ret = bench_callgrind();
		rcu_unregister_thread();
		return ret;
	}
	t0 = bench_ns();
	bench_transitions(&all.tr);
	bench_memory(&all.mem);
	bench_scaling(&all.sc);
	bench_recovery(&all.rec);
	bench_workload(&all.wl);
	all.seconds = (bench_ns() - t0) / 1e9;
	bench_progress("");
	if (opts.json)
		print_json(&all);
	else
		print_table(&all);
	rcu_unregister_thread();
	return 0;
}
