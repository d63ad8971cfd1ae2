// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-bench, section 1: transition cost.  Two emulated hosts, one per
 * policy, 3 x 1024 regions; three no-split scenarios; each round times a
 * batch of make_private and of make_shared per scenario and policy (the
 * policy order alternating), and the emulated RMP alone on the same pages
 * (what the counting backend saw the core issue).  Net = total - emulated
 * RMP; medians over rounds.  See bench.c for the whole picture.
 */
#include "bench.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_HAVE_CALLGRIND	1
#else
#define BENCH_HAVE_CALLGRIND	0
#endif

/* Regions per scenario, batches per round. */
#define TR_REGIONS		1024
#define TR_REPS			8

enum tr_scen { TR_4K_MIXED, TR_4K_LONE, TR_2M, TR_NR_SCEN };
enum { TR_PRIVATE, TR_SHARED, TR_NR_DIR };

static const char *const tr_scen_names[TR_NR_SCEN] = { "4k-mixed", "4k-lone", "2m" };
static const char *const tr_dir_names[TR_NR_DIR] = { "private", "shared" };
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

static void tr_measure(struct tr_result *res)
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

struct tr_result *bench_transitions(void)
{
	static struct tr_result res;

	tr_measure(&res);
	return &res;
}

/* The table, or (@json) the "transitions" member: one walk over the rows. */
void bench_transitions_print(const struct tr_result *tr, bool json)
{
	bool first = true;
	int s, d, p;

	if (json) {
		printf("  \"transitions\": {\"rounds\": %u, \"batch\": %u, \"unit\": \"ns\", \"rows\": [\n",
		       tr->rounds, TR_REGIONS);
	} else {
		printf("1. Transition cost, ns per transition (median of %u alternating rounds of %u x %u)\n",
		       tr->rounds, opts.quick ? 1 : TR_REPS, TR_REGIONS);
		printf("   net = total - emulated RMP (the look-ups and RMPUPDATEs the core issued, timed alone)\n");
		printf("   %-9s %-8s | %-25s | %-25s | %-6s %s\n", "", "", "upstream total/RMP/net",
		       "rmp_sync total/RMP/net", "ratio", "RMP ops, splits");
	}
	for (s = 0; s < TR_NR_SCEN; s++) {
		for (d = 0; d < TR_NR_DIR; d++) {
			const struct tr_cell *u = &tr->c[s][d][BP_UPSTREAM];
			const struct tr_cell *r = &tr->c[s][d][BP_RMP_SYNC];

			if (!json) {
				printf("   %-9s %-8s | %7.1f %7.1f %7.1f   | %7.1f %7.1f %7.1f   |%c%5.2fx %.0fL+%.0fU, %llu/%llu\n",
				       tr_scen_names[s], tr_dir_names[d], u->total, u->hw, u->net,
				       r->total, r->hw, r->net, tr->resolved[s][d] ? ' ' : '~',
				       r->net / u->net, r->lookups,
				       r->updates, (ull)u->splits, (ull)r->splits);
				continue;
			}
			printf("%s    {\"scenario\": \"%s\", \"op\": \"%s\"", first ? "" : ",\n",
			       tr_scen_names[s], tr_dir_names[d]);
			first = false;
			for (p = 0; p < BP_NR; p++) {
				const struct tr_cell *c = &tr->c[s][d][p];

				printf(", \"%s\": {\"total\": %.2f, \"rmp_hw\": %.2f, \"net\": %.2f, \"net_q1\": %.2f, \"net_q3\": %.2f, \"rmp_lookups\": %.0f, \"rmp_updates\": %.0f, \"splits\": %llu}",
				       bp_names[p], c->total, c->hw, c->net, c->net_q1, c->net_q3,
				       c->lookups, c->updates, (ull)c->splits);
			}
			printf(", \"ratio\": %.4f, \"resolved\": %s}", r->net / u->net,
			       json_bool(tr->resolved[s][d]));
		}
	}
	if (json) {
		printf("\n  ], \"walk_ns\": %.2f, \"region_info_ns\": %.2f, \"target_met\": %s},\n",
		       tr->walk_ns, tr->info_ns, json_bool(tr->met));
		return;
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
}

/* Callgrind mode: fixed loops, one dump per loop (bench/callgrind.sh). */
#if BENCH_HAVE_CALLGRIND
static void cg_dump(const char *kind, int p, int s, int d)
{
	char name[128];

	snprintf(name, sizeof(name), "%s %s %s %s %u", kind, bp_names[p],
		 tr_scen_names[s], tr_dir_names[d], TR_REGIONS);
	CALLGRIND_DUMP_STATS_AT(name);
}

int bench_callgrind(void)
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
int bench_callgrind(void)
{
	fprintf(stderr, "rmp-sync-bench: built without <valgrind/callgrind.h> (apt-get install valgrind)\n");
	return 1;
}
#endif
