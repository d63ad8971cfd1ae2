// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-bench, section 4: recovery pass.  K candidate regions (split by
 * rmp_sync, uniform again), then one rmp_sync_recover(budget K,
 * ignore_delay): time and flushes.  The light backends let K reach 262144
 * regions (512 GiB); the emulated host is the cross-check up to K = 4096.
 */
#include <math.h>
#include "bench.h"

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

/* Time the one rmp_sync_recover() over the @k candidates of @rs, in ns. */
static double rec_time_pass(struct rec_row *row, struct rmp_sync *rs, u64 k)
{
	u64 t0 = bench_ns(), ns;

	rmp_sync_recover(rs, k, true, &row->pass);
	ns = bench_ns() - t0;
	if (row->pass.collapsed_2m != k)
		bench_die("%s: recovery of %llu regions collapsed %u", row->backend,
			  (ull)k, row->pass.collapsed_2m);
	return ns;
}

/*
 * @row: @reps passes, each over @k candidates spread over @nr_regions, on
 * the light backends (@lite) or the emulated host.
 */
static void rec_row(struct rec_row *row, bool lite, u64 k, u64 nr_regions,
		    unsigned int reps)
{
	double t[64];
	unsigned int r;

	row->k = k;
	row->nr_regions = nr_regions;
	row->backend = lite ? "lite" : "emu";
	for (r = 0; r < reps; r++) {
		if (lite) {
			struct lite l = { .nr_regions = nr_regions };
			struct rmp_sync_config cfg = {
				.nr_pages = nr_regions * RP,
				.rmp = &lite_rmp_ops, .rmp_priv = &l,
				.dmap = &lite_dmap_ops, .dmap_priv = &l,
				.clock_ms = bench_clock, .clock_priv = &bench_clock_ms,
				.mode = RMP_SYNC_MODE_DEFERRED, .defrag_1g = true,
			};
			struct rmp_sync *rs;
			u64 f0;

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
			t[r] = rec_time_pass(row, rs, k);
			row->backend_flushes = l.flushes - f0;
			if (l.collapses != k)
				bench_die("lite: %llu regions collapsed, not %llu",
					  (ull)l.collapses, (ull)k);
			rmp_sync_destroy(rs);
			free(l.level);
			free(l.assigned);
		} else {
			struct emu_stats e0, e1;
			struct bhost b;

			bhost_create(&b, nr_regions, RMP_SYNC_MODE_DEFERRED, false);
			rec_setup(b.rs, k, nr_regions / k);
			emu_get_stats(b.h, &e0);
			t[r] = rec_time_pass(row, b.rs, k);
			emu_get_stats(b.h, &e1);
			row->backend_flushes = e1.flushes - e0.flushes;
			bhost_destroy(&b);
		}
	}
	row->ns = median(t, reps);
	row->ns_per_region = row->ns / k;
}

static void rec_measure(struct rec_result *res)
{
	static const u64 ks[] = { 1, 64, 4096, 262144 };
	static const unsigned int reps[] = { 31, 15, 5, 3 };
	unsigned int i, nk = opts.quick ? 3 : 4;
	double lo = 1e30, hi = 0;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < nk; i++) {
		struct rec_row *row = &res->row[res->nr++];

		bench_progress("recovery");
		rec_row(row, true, ks[i], ks[i], opts.quick ? 1 : reps[i]);
		lo = min(lo, row->ns_per_region);
		hi = max(hi, row->ns_per_region);
	}
	/* Sparse: 64 candidates spread over 512 GiB, to show the scan. */
	if (!opts.quick)
		rec_row(&res->row[res->nr++], true, 64, 262144, 3);
	for (i = 0; i < 3; i++)
		rec_row(&res->row[res->nr++], false, ks[i], ks[i], opts.quick ? 1 : min(reps[i], 5U));

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

struct rec_result *bench_recovery(void)
{
	static struct rec_result res;

	rec_measure(&res);
	return &res;
}

/* The table, or (@json) the "recovery" member: one walk over the rows. */
void bench_recovery_print(const struct rec_result *rec, bool json)
{
	unsigned int i;

	if (json)
		printf("  \"recovery\": {\"rows\": [");
	else
		printf("4. Recovery pass: one rmp_sync_recover(budget K, ignore_delay) over K candidates\n"
		       "   %-5s %8s %9s %12s %10s %9s %8s %8s\n", "host", "K", "regions",
		       "pass us", "ns/region", "collapsed", "scanned", "flushes");
	for (i = 0; i < rec->nr; i++) {
		const struct rec_row *r = &rec->row[i];

		if (json)
			printf("%s\n    {\"backend\": \"%s\", \"k\": %llu, \"regions\": %llu, \"ns\": %.0f, \"ns_per_region\": %.2f, \"collapsed_2m\": %u, \"scanned\": %u, \"pass_flushes\": %u, \"backend_flushes\": %llu}",
			       i ? "," : "", r->backend, (ull)r->k, (ull)r->nr_regions, r->ns,
			       r->ns_per_region, r->pass.collapsed_2m, r->pass.scanned,
			       r->pass.flushes, (ull)r->backend_flushes);
		else
			printf("   %-5s %8llu %9llu %12.1f %10.1f %9u %8u %4u/%-3llu\n", r->backend,
			       (ull)r->k, (ull)r->nr_regions, r->ns / 1e3, r->ns_per_region,
			       r->pass.collapsed_2m, r->pass.scanned, r->pass.flushes,
			       (ull)r->backend_flushes);
	}
	if (json) {
		printf("\n  ], \"linear\": %s, \"loglog_slope\": %.4f, \"spread\": %.3f, \"one_flush_per_pass\": %s},\n",
		       json_bool(rec->linear), rec->slope, rec->spread,
		       json_bool(rec->one_flush));
		return;
	}
	printf("   lite: a level byte and an RMP bit per region (K = 262144 is 512 GiB; the emulated\n"
	       "   host's page tables and RMP would need ~3 GiB); emu: the emulated host (page-table\n"
	       "   collapse checks, RCU-deferred table frees in the flush). flushes: pass/backend\n");
	printf("   linear in K: log-log slope of pass time over K = 64..%llu is %.3f (1 = linear; target\n"
	       "   <= 1.15): %s; ns/region max/min %.2f; one flush per pass: %s\n",
	       (ull)rec->row[(opts.quick ? 3 : 4) - 1].k, rec->slope, yes_no(rec->linear),
	       rec->spread, yes_no(rec->one_flush));
	printf("   upstream never collapses: no recovery pass (no ratio)\n\n");
}
