// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-sim: the results of the runs as a table, one JSON object (the
 * engine's, rsr_json()), CSV time series, a knob sweep and the sysfs view.
 */
#include <math.h>
#include <stdarg.h>
#include <strings.h>
#include <unistd.h>

#include "report.h"

#define RP			RMP_SYNC_REGION_PAGES

/* A run's global flushes over the upstream run's, when there is one. */
static void sim_vs_upstream(char *buf, size_t len, const struct sim_result *r,
			    const struct sim_result *res, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (res[i].policy == RSR_UPSTREAM && res[i].es.flushes)
			break;
	if (i == n)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", (double)r->es.flushes / res[i].es.flushes);
}

/* "split / mixed": how far from the lower bound, 1.00 being the limit. */
static void sim_ratio(char *buf, size_t len, double split, double mixed)
{
	if (mixed > 0)
		snprintf(buf, len, "%.2f", split / mixed);
	else
		snprintf(buf, len, "%s", split > 0 ? "inf" : "-");
}

static void sim_print_gib(char *buf, size_t len, u64 kb)
{
	snprintf(buf, len, "%.2f GiB", (double)kb / (1 << 20));
}

void sim_print_table(const struct sim_opts *o, const struct sim_trace *t,
			    const struct sim_result *res, unsigned int n)
{
	char cell[RSR_NR_POLICIES][32];
	unsigned int i, row;

	printf("rmp-sync-sim: %s, %llu MiB RAM, %zu operations, %.2f h simulated",
	       t->name, (ull)(t->mem_bytes >> 20), t->nr,
	       (double)t->duration_ms / 3600000.0);
	if (o->workload)
		printf(", seed %llu", (ull)o->seed);
	if (o->placement)
		printf(", placement %s", o->placement);
	printf("\n\n%-34s", "");
	for (i = 0; i < n; i++)
		printf("%16s", rsr_policy_names[res[i].policy]);
	printf("\n");

	for (row = 0; row < 31; row++) {
		const char *label = "";

		for (i = 0; i < n; i++) {
			const struct sim_result *r = &res[i];
			char *c = cell[i];
			size_t l = sizeof(cell[i]);

			switch (row) {
			case 0: label = "operations"; snprintf(c, l, "%llu", (ull)r->x.ops); break;
			case 1: label = "rejected"; snprintf(c, l, "%llu", (ull)r->x.rejected); break;
			case 2: label = "collateral RMP faults"; snprintf(c, l, "%llu", (ull)r->x.collateral); break;
			case 3: label = "host writes to assigned pages"; snprintf(c, l, "%llu", (ull)r->x.writes_assigned); break;
			case 4: label = "2M regions"; snprintf(c, l, "%llu", (ull)r->x.st.regions_total); break;
			case 5: label = "mixed now (lower bound)"; snprintf(c, l, "%llu", (ull)r->x.st.regions_mixed); break;
			case 6: label = "split now (mapped 4K)"; snprintf(c, l, "%llu", (ull)r->x.split_now); break;
			case 7: label = "split / mixed now"; sim_ratio(c, l, r->x.split_now, r->x.st.regions_mixed); break;
			case 8: label = "avg mixed (time-weighted)"; snprintf(c, l, "%.1f", sim_avg(r->x.avg_mixed_milli)); break;
			case 9: label = "avg split (time-weighted)"; snprintf(c, l, "%.1f", sim_avg(r->x.avg_split_milli)); break;
			case 10: label = "avg split / avg mixed"; sim_ratio(c, l, sim_avg(r->x.avg_split_milli), sim_avg(r->x.avg_mixed_milli)); break;
			case 11: label = "DirectMap4k"; sim_print_gib(c, l, r->x.dm4k * 4); break;
			case 12: label = "DirectMap2M"; sim_print_gib(c, l, r->x.dm2m * 2048); break;
			case 13: label = "DirectMap1G"; sim_print_gib(c, l, r->x.dm1g << 20); break;
			case 14: label = "splits (2M->4K)"; snprintf(c, l, "%llu", (ull)r->x.st.splits); break;
			case 15: label = "collapses 2M / 1G"; snprintf(c, l, "%llu / %llu", (ull)r->x.st.collapses_2m, (ull)r->x.st.collapses_1g); break;
			case 16: label = "PSMASH"; snprintf(c, l, "%llu", (ull)r->x.st.psmash); break;
			case 17: label = "global TLB flushes (all)"; snprintf(c, l, "%llu", (ull)r->es.flushes); break;
			case 18: label = "  of which recovery batches"; snprintf(c, l, "%llu", (ull)r->x.st.recovery_flushes); break;
			case 19: label = "  most recovery flushes in 1 s"; snprintf(c, l, "%u", r->x.max_flushes_1s); break;
			case 20: label = "back-offs / throttled passes"; snprintf(c, l, "%llu / %llu", (ull)r->x.st.backoffs, (ull)r->x.st.throttled); break;
			case 21: label = "leaked pages / regions"; snprintf(c, l, "%llu / %llu", (ull)r->x.st.leaked_pages, (ull)r->x.leaked_regions); break;
			case 22: label = "regions off boot layout"; snprintf(c, l, "%llu", (ull)r->x.off_boot); break;
			case 23: label = "  beyond what held pages force"; snprintf(c, l, "%llu", (ull)r->x.off_boot_leaks); break;
			case 24: label = "state bytes (start, end)"; snprintf(c, l, "%zu, %zu", r->x.state_bytes_start, r->x.state_bytes_end); break;
			case 25: label = "tlb flushes / upstream's"; sim_vs_upstream(c, l, r, res, n); break;
			case 26: label = "most flushes in 1 s (any cause)"; snprintf(c, l, "%llu", (ull)r->x.max_flushes_any_1s); break;
			case 27: label = "split, all hypervisor's, now"; snprintf(c, l, "%llu", (ull)r->x.split_unassigned_now); break;
			case 28: label = "  time-weighted avg"; snprintf(c, l, "%.1f", sim_avg(r->x.avg_split_unassigned_milli)); break;
			case 29: label = "1G ranges blocked now"; snprintf(c, l, "%llu", (ull)r->x.gb_blocked_now); break;
			case 30: label = "  time-weighted avg"; snprintf(c, l, "%.2f", sim_avg(r->x.avg_gb_blocked_milli)); break;
			}
		}
		printf("%-34s", label);
		for (i = 0; i < n; i++)
			printf("%16s", cell[i]);
		printf("\n");
	}
}

static void sim_print_json_run(const struct sim_result *r, const struct sim_trace *t,
			       bool flat)
{
	char buf[2048];

	if (rsr_json(&r->x, r->policy, t->name, t->mem_bytes, flat, buf,
		     sizeof(buf)) < 0)
		strcpy(buf, "{}");
	fputs(buf, stdout);
}

/*
 * One policy: the flat object.  Several: one object with the trace and a
 * "runs" array, one policy's object per line (easy to grep).
 */
void sim_print_json(const struct sim_opts *o, const struct sim_trace *t,
			   const struct sim_result *res, unsigned int n)
{
	unsigned int i;

	if (n == 1) {
		sim_print_json_run(&res[0], t, true);
		printf("\n");
		return;
	}
	printf("{\"trace\": \"%s\", \"mem_bytes\": %llu, \"duration_ms\": %llu, \"runs\": [\n",
	       t->name, (ull)t->mem_bytes, (ull)t->duration_ms);
	for (i = 0; i < n; i++) {
		sim_print_json_run(&res[i], t, false);
		printf("%s\n", i + 1 < n ? "," : "");
	}
	printf("]}\n");
}

int sim_write_csv(const char *path, const struct sim_result *res,
			 unsigned int n)
{
	FILE *f = fopen(path, "w");
	unsigned int i;
	size_t j;

	if (!f) {
		fprintf(stderr, "rmp-sync-sim: %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	fprintf(f, "policy,time_ms,ops,regions_mixed,regions_split,directmap_4k_kb,directmap_2m_kb,directmap_1g_kb,tlb_flushes,regions_split_unassigned,gb_ranges_blocked\n");
	for (i = 0; i < n; i++) {
		for (j = 0; j < res[i].nr_samples; j++) {
			const struct sim_sample *s = &res[i].samples[j];

			fprintf(f, "%s,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n",
				rsr_policy_names[res[i].policy], (ull)s->time_ms,
				(ull)s->ops, (ull)s->mixed, (ull)s->split,
				(ull)s->dm4k * 4, (ull)s->dm2m * 2048,
				(ull)s->dm1g << 20, (ull)s->flushes,
				(ull)s->split_unassigned, (ull)s->gb_blocked);
		}
	}
	if (fclose(f)) {
		fprintf(stderr, "rmp-sync-sim: %s: write error\n", path);
		return -EIO;
	}
	return 0;
}

/*
 * --sweep: res[0] is upstream, res[1] eager, then one rmp_sync run per
 * value.  The trade-off an operator picks from: fragmentation (time-averaged
 * split regions over mixed ones, 1.00 the lower bound) against global TLB
 * flushes, relative to upstream's.
 */
void sim_print_sweep(const struct sim_opts *o, const struct sim_trace *t,
			    const struct sim_result *res, unsigned int n)
{
	const char *knob = rmp_sync_knobs[o->sweep_knob].name;
	unsigned int i;
	char ratio[32];

	printf("rmp-sync-sim: %s, %llu MiB RAM, %zu operations, %.2f h simulated, sweep of %s\n\n",
	       t->name, (ull)(t->mem_bytes >> 20), t->nr,
	       (double)t->duration_ms / 3600000.0, knob);
	printf("%-34s %12s %10s %10s %12s %10s %10s %10s %8s\n", "run", "split/mixed",
	       "avoidable", "% upstream", "tlb_flushes", "x upstream", "recovery",
	       "backoffs", "faults");
	for (i = 0; i < n; i++) {
		const struct sim_result *r = &res[i];
		char label[64];

		if (r->policy == RSR_RMP_SYNC)
			snprintf(label, sizeof(label), "rmp_sync %s=%u", knob,
				 r->x.knobs[o->sweep_knob]);
		else
			snprintf(label, sizeof(label), "%s", rsr_policy_names[r->policy]);
		sim_ratio(ratio, sizeof(ratio), sim_avg(r->x.avg_split_milli), sim_avg(r->x.avg_mixed_milli));
		printf("%-34s %12s %10.1f %10.2f %12llu %10.2f %10llu %10llu %8llu\n", label, ratio,
		       sim_avg(r->x.avg_split_unassigned_milli),
		       sim_avg(res[0].x.avg_split_unassigned_milli) > 0 ?
		       100 * sim_avg(r->x.avg_split_unassigned_milli) / sim_avg(res[0].x.avg_split_unassigned_milli) : 0.0,
		       (ull)r->es.flushes,
		       res[0].es.flushes ? (double)r->es.flushes / res[0].es.flushes : 0.0,
		       (ull)r->x.st.recovery_flushes, (ull)r->x.st.backoffs,
		       (ull)r->x.collateral);
	}
}

/*
 * --sysfs-dump: each run's knobs and counters as the kernel shows them,
 * one "path: value" line per file of /sys/kernel/mm/rmp_sync/.
 */
void sim_print_sysfs(const struct sim_result *res, unsigned int n)
{
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		const struct sim_result *r = &res[i];

		printf("# policy %s\n", rsr_policy_names[r->policy]);
		for (k = 0; k < RMP_SYNC_NR_KNOBS; k++)
			printf("/sys/kernel/mm/rmp_sync/%s: %u\n",
			       rmp_sync_knobs[k].name, r->x.knobs[k]);
		for (k = 0; k < rmp_sync_nr_counters; k++)
			printf("/sys/kernel/mm/rmp_sync/%s: %llu\n",
			       rmp_sync_counters[k].name,
			       (ull)*(const u64 *)((const char *)&r->x.st +
						   rmp_sync_counters[k].offset));
	}
}
