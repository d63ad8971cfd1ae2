// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-bench, section 5: workload.  The vm-churn workload
 * (sim/workload.c, 64 GiB) replayed through each policy on its own
 * emulated host, as rmp-sync-sim does (a recovery pass every 100 ms of
 * simulated time), timed end to end.  wl_kick() and wl_replay() are
 * rmp-sync-sim's replay for now; they go to the shared replay engine.
 */
#include "bench.h"
#include "../sim/sim.h"

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
		const struct rsr_op *op = &t->ops[i];
		int ret = 0;

		switch (op->kind) {
		case RSR_OP_PRIVATE:
			ret = rmp_sync_make_private(rs, op->arg, op->gpa, op->level,
						    op->n, op->flags & RSR_OP_IMMUTABLE);
			break;
		case RSR_OP_SHARED:
			ret = rmp_sync_make_shared(rs, op->arg, op->level);
			break;
		case RSR_OP_PSMASH:
			ret = rmp_sync_psmash(rs, op->arg);
			break;
		case RSR_OP_LEAK:
			ret = rmp_sync_leak_pages(rs, op->arg, op->n);
			break;
		case RSR_OP_WRITE:
			emu_write(h, i % 2, op->arg);
			break;
		case RSR_OP_TICK: {
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
		case RSR_OP_QUIESCE:
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
		double vs_none = wl->seconds[p] / wl->seconds[WL_NONE];
		double vs_upstream = wl->seconds[p] / wl->seconds[WL_UPSTREAM];

		if (json)
			printf("%s\n    {\"policy\": \"%s\", \"seconds\": %.4f, \"ops_per_s\": %.0f, \"vs_none\": %.4f, \"vs_upstream\": %.4f, \"rejected\": %llu, \"splits\": %llu, \"collapses\": %llu, \"flushes\": %llu, \"recovery_passes\": %llu, \"regions_scanned\": %llu}",
			       p ? "," : "", wl_names[p], wl->seconds[p], wl->ops_per_s[p],
			       vs_none, vs_upstream, (ull)wl->rejected[p],
			       (ull)wl->splits[p], (ull)wl->collapses[p], (ull)wl->flushes[p],
			       (ull)wl->passes[p], (ull)wl->scanned[p]);
		else
			printf("   %-9s %8.3f %10.0f %7.2fx %7.2fx %7llu %9llu %8llu %7llu %11llu\n",
			       wl_names[p], wl->seconds[p], wl->ops_per_s[p], vs_none,
			       vs_upstream, (ull)wl->splits[p], (ull)wl->collapses[p],
			       (ull)wl->flushes[p], (ull)wl->passes[p], (ull)wl->scanned[p]);
	}
	if (json) {
		printf("\n  ]},\n");
		return;
	}
	printf("   seconds include the emulated host (RMP, page tables, TLBs, host writes);\n"
	       "   rmp_sync slowdown against none: %.2fx\n\n",
	       wl->seconds[WL_RMP_SYNC] / wl->seconds[WL_NONE]);
}
