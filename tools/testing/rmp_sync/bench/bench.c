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
 *
 * Each section is a file of its own (see bench.h); this one holds what
 * they share, the command line and main().
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
#include <unistd.h>

#include <linux/slab.h>
#include "bench.h"

struct bench_opts opts;

u64 bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void bench_progress(const char *what)
{
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r%-60s\r", what);
}

/* "rmp-sync-bench: " and the message, on stderr. */
static void bench_vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "rmp-sync-bench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bench_vmsg(fmt, ap);
	va_end(ap);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Quantile @q (0..1) of @n samples; @v is sorted in place. */
double quantile(double *v, unsigned int n, double q)
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

double median(double *v, unsigned int n)
{
	return quantile(v, n, 0.5);
}

/* ------------------------------------------------------------------ */
/* Lock statistics: pthread_mutex_lock is wrapped (-Wl,--wrap).        */

const char *const ls_names[LS_NR] = {
	"rmp_sync region/instance mutexes", "software RMP entry locks",
	"emulated host (page tables, TLBs)",
};

static bool ls_on;
static uintptr_t ls_lo[2], ls_hi[2];	/* LS_RMP_SYNC, LS_SWRMP objects */
static __thread struct ls_counts ls_mine;

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

void ls_track(struct rmp_sync *rs, struct rmp_sync_swrmp *sw)
{
	ls_lo[LS_RMP_SYNC] = (uintptr_t)rs;
	ls_hi[LS_RMP_SYNC] = (uintptr_t)rs + kshim_alloc_size(rs);
	ls_lo[LS_SWRMP] = (uintptr_t)sw;
	ls_hi[LS_SWRMP] = (uintptr_t)sw + kshim_alloc_size(sw);
}

void ls_enable(bool on)
{
	__atomic_store_n(&ls_on, on, __ATOMIC_RELAXED);
}

/* Clear this thread's counts. */
void ls_reset(void)
{
	memset(&ls_mine, 0, sizeof(ls_mine));
}

/* Add this thread's counts to @sum and clear them. */
void ls_collect(struct ls_counts *sum)
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

const struct rmp_sync_rmp_ops bench_rmp_ops = {
	.name = "bench-counting-swrmp",
	.update = brmp_update,
	.psmash = brmp_psmash,
	.lookup = brmp_lookup,
};

/* The light host (struct lite) of sections 2 and 4. */
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

const struct rmp_sync_rmp_ops lite_rmp_ops = {
	.name = "lite", .update = lite_update, .psmash = lite_psmash,
	.lookup = lite_lookup,
};

const struct rmp_sync_dmap_ops lite_dmap_ops = {
	.name = "lite", .level = lite_level, .split = lite_split,
	.collapse = lite_collapse, .flush = lite_flush,
};

u64 bench_clock_ms;

u64 bench_clock(void *priv)
{
	return *(u64 *)priv;
}

void bhost_create(struct bhost *b, u64 nr_regions, enum rmp_sync_mode mode,
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

void bhost_destroy(struct bhost *b)
{
	struct emu_instance in = { .h = b->h, .rs = b->rs };

	emu_instance_destroy(&in);
}

void must(int ret, const char *what, u64 pfn)
{
	if (ret)
		bench_die("%s of PFN 0x%llx failed (%d)", what, (ull)pfn, ret);
}

const char *const bp_names[BP_NR] = { "upstream", "rmp_sync" };
const enum rmp_sync_mode bp_modes[BP_NR] = {
	RMP_SYNC_MODE_UPSTREAM, RMP_SYNC_MODE_DEFERRED,
};

const char *yes_no(bool met)
{
	return met ? "met" : "MISSED";
}

const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

void ls_json(const struct ls_counts *ls)
{
	int c;

	printf("{");
	for (c = 0; c < LS_NR; c++)
		printf("%s\"%s\": {\"acquired\": %llu, \"contended\": %llu, \"wait_ns\": %llu}",
		       c ? ", " : "", c == LS_RMP_SYNC ? "rmp_sync" : c == LS_SWRMP ? "swrmp" : "emu",
		       (ull)ls->acquired[c], (ull)ls->contended[c], (ull)ls->wait_ns[c]);
	printf("}");
}

/* ------------------------------------------------------------------ */
/* Command line.                                                       */

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
	bench_vmsg(fmt, ap);
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
	struct tr_result *tr;
	struct mem_result *mem;
	struct sc_result *sc;
	struct rec_result *rec;
	struct wl_result *wl;
	double seconds;
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
	tr = bench_transitions();
	mem = bench_memory();
	sc = bench_scaling();
	rec = bench_recovery();
	wl = bench_workload();
	seconds = (bench_ns() - t0) / 1e9;
	bench_progress("");

	if (opts.json)
		printf("{\n  \"cpus\": %u, \"quick\": %s,\n", bench_scaling_cpus(sc),
		       json_bool(opts.quick));
	else
		printf("rmp-sync-bench: rmp_sync (deferred) against upstream (Linux 6.12 adjust_direct_map()),\n"
		       "same process, same run; %u CPUs online%s\n\n", bench_scaling_cpus(sc),
		       opts.quick ? "; --quick: few rounds, figures are indicative only" : "");
	bench_transitions_print(tr, opts.json);
	bench_memory_print(mem, opts.json);
	bench_scaling_print(sc, opts.json);
	bench_recovery_print(rec, opts.json);
	bench_workload_print(wl, opts.json);
	if (opts.json)
		printf("  \"seconds\": %.2f\n}\n", seconds);
	else
		printf("bench finished in %.1f s\n", seconds);
	rcu_unregister_thread();
	return 0;
}

