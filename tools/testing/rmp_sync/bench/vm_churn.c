// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-bench, section 5: workload.  The vm-churn workload
 * (sim/workload.c, 64 GiB) replayed through each policy on its own
 * emulated host, as rmp-sync-sim does (a recovery pass every 100 ms of
 * simulated time), timed end to end through the replay engine
 * rmp-sync-sim and the kernel's debug host use (rmp_sync_replay.c), its
 * own accounting included.
 */
#include "bench.h"
#include "../sim/sim.h"

#define WL_NR	RSR_NR_POLICIES

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

/* One replay on an emulated host, counting the recovery passes it runs. */
struct wl_run {
	struct emu_instance in;		/* first: the emu_replay_*() callbacks' host */
	struct rsr_run e;
	u64 passes, scanned;
};

static struct wl_run *wl_of(void *host)
{
	return host;
}

static unsigned int wl_pass(void *host, struct rmp_sync_pass *pass)
{
	struct wl_run *w = wl_of(host);
	unsigned int sleep_ms = emu_replay_pass(host, pass);

	w->passes++;
	w->scanned += pass->scanned;
	return sleep_ms;
}

static void wl_quiesce(void *host)
{
	struct wl_run *w = wl_of(host);
	unsigned int budget = rmp_sync_get_knob(w->in.rs,
						RMP_SYNC_KNOB_REGIONS_TO_SCAN);
	struct rmp_sync_pass pass;
	int ret;

	do {
		memset(&pass, 0, sizeof(pass));
		ret = rmp_sync_recover(w->in.rs, budget, true, &pass);
		w->passes++;
		w->scanned += pass.scanned;
	} while (ret > 0);
}

static const struct rsr_host_ops wl_host_ops = {
	.level = emu_replay_level,
	.directmap = emu_replay_directmap,
	.write = emu_replay_write,
	.assigned = emu_replay_assigned,
	.flushes = emu_replay_flushes,
	.pass = wl_pass,
	.quiesce = wl_quiesce,
	.split_regions = emu_replay_split_regions,
};

/* One replay, as rmp-sync-sim does it (default knobs); returns seconds. */
static double wl_replay(const struct sim_trace *t, enum rsr_policy pol,
			struct wl_result *res)
{
	struct emu_config ec = {
		.mem_bytes = t->mem_bytes, .nr_cpus = 2, .pse = true, .gbpages = true,
	};
	static struct wl_run w;
	struct rmp_sync_config cfg = {
		.clock_ms = rsr_clock, .clock_priv = &w.e,
		.kick = rsr_kick, .kick_priv = &w.e,
		.mode = rsr_policy_mode[pol],
		.collapse_delay_millisecs =
			rmp_sync_knobs[RMP_SYNC_KNOB_COLLAPSE_DELAY_MS].def,
		.defrag_1g = rmp_sync_knobs[RMP_SYNC_KNOB_DEFRAG_1G].def,
	};
	u64 t0, t1;
	size_t i;

	memset(&w, 0, sizeof(w));
	if (rsr_run_init(&w.e, t->mem_bytes >> PAGE_SHIFT, pol, &wl_host_ops, &w) ||
	    emu_instance_create(&w.in, &ec, &cfg))
		bench_die("cannot create the emulated host");
	rsr_run_start(&w.e, w.in.rs);

	t0 = bench_ns();
	for (i = 0; i < t->nr; i++)
		rsr_apply(&w.e, &t->ops[i], i);
	t1 = bench_ns();

	rsr_finish(&w.e);
	res->rejected[pol] = w.e.r.rejected;
	res->splits[pol] = w.e.r.st.splits;
	res->collapses[pol] = w.e.r.st.collapses_2m + w.e.r.st.collapses_1g;
	res->flushes[pol] = w.e.r.flushes;
	res->passes[pol] = w.passes;
	res->scanned[pol] = w.scanned;
	emu_instance_destroy(&w.in);
	rsr_run_free(&w.e);
	return (t1 - t0) / 1e9;
}

static void wl_measure(struct wl_result *res)
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

struct wl_result *bench_workload(void)
{
	static struct wl_result res;

	wl_measure(&res);
	return &res;
}

/* The table, or (@json) the "workload" member: one walk over the policies. */
void bench_workload_print(const struct wl_result *wl, bool json)
{
	int p;

	if (json)
		printf("  \"workload\": {\"name\": \"vm-churn\", \"hours\": %.3f, \"mem_bytes\": %llu, \"ops\": %llu, \"rounds\": %u, \"policies\": [",
		       wl->hours, (ull)wl->mem_bytes, (ull)wl->ops, wl->rounds);
	else
		printf("5. Workload: vm-churn, %.2f simulated hours, %llu GiB, %llu operations, median of %u\n"
		       "   %-9s %8s %10s %8s %8s %7s %9s %8s %7s %11s\n",
		       wl->hours, (ull)(wl->mem_bytes >> 30), (ull)wl->ops, wl->rounds,
		       "policy", "seconds", "ops/s", "vs none", "vs upstr", "splits",
		       "collapses", "flushes", "passes", "scanned");
	for (p = 0; p < WL_NR; p++) {
		double vs_none = wl->seconds[p] / wl->seconds[RSR_NONE];
		double vs_upstream = wl->seconds[p] / wl->seconds[RSR_UPSTREAM];

		if (json)
			printf("%s\n    {\"policy\": \"%s\", \"seconds\": %.4f, \"ops_per_s\": %.0f, \"vs_none\": %.4f, \"vs_upstream\": %.4f, \"rejected\": %llu, \"splits\": %llu, \"collapses\": %llu, \"flushes\": %llu, \"recovery_passes\": %llu, \"regions_scanned\": %llu}",
			       p ? "," : "", rsr_policy_names[p], wl->seconds[p], wl->ops_per_s[p],
			       vs_none, vs_upstream, (ull)wl->rejected[p],
			       (ull)wl->splits[p], (ull)wl->collapses[p], (ull)wl->flushes[p],
			       (ull)wl->passes[p], (ull)wl->scanned[p]);
		else
			printf("   %-9s %8.3f %10.0f %7.2fx %7.2fx %7llu %9llu %8llu %7llu %11llu\n",
			       rsr_policy_names[p], wl->seconds[p], wl->ops_per_s[p], vs_none,
			       vs_upstream, (ull)wl->splits[p], (ull)wl->collapses[p],
			       (ull)wl->flushes[p], (ull)wl->passes[p], (ull)wl->scanned[p]);
	}
	if (json) {
		printf("\n  ]},\n");
		return;
	}
	printf("   seconds include the emulated host (RMP, page tables, TLBs, host writes);\n"
	       "   rmp_sync slowdown against none: %.2fx\n\n",
	       wl->seconds[RSR_RMP_SYNC] / wl->seconds[RSR_NONE]);
}
