/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmp-sync-sim's results and how they are shown: sim.c replays (through
 * the shared engine, arch/x86/mm/rmp_sync_replay.c) into struct
 * sim_result, report.c prints tables, JSON, CSV and the sysfs view,
 * plot.c draws with gnuplot.
 */
#ifndef _RMP_SYNC_SIM_REPORT_H
#define _RMP_SYNC_SIM_REPORT_H

#include <stdio.h>
#include <linux/types.h>
#include <linux/rmp_sync.h>

#include "../emu.h"
#include "sim.h"

/* Time series points per run (CSV and plot). */
#define SIM_SAMPLES		1000
/* Values one --sweep may try. */
#define SIM_MAX_SWEEP		32

struct sim_opts {
	bool policies[RSR_NR_POLICIES];
	bool all;
	u64 mem_bytes;
	bool mem_given;
	bool json;
	bool strict;
	const char *csv, *plot, *trace, *workload, *emit, *placement;
	double hours;
	u64 seed;
	/* The rmp_sync policy's knobs: rmp_sync_knobs[] defaults, --set. */
	unsigned int knobs[RMP_SYNC_NR_KNOBS];
	bool sysfs_dump;
	/* --sweep KNOB=V1,V2,...: the rmp_sync policy once per value. */
	int sweep_knob;
	unsigned int sweep_vals[SIM_MAX_SWEEP];
	unsigned int nr_sweep;
};

struct sim_sample {
	u64 time_ms;
	u64 ops;
	u64 mixed, split;
	u64 split_unassigned, gb_blocked;
	u64 dm4k, dm2m, dm1g;	/* leaves */
	u64 flushes;
};

/* Everything a run reports: the engine's result, the host's, the series. */
struct sim_result {
	enum rsr_policy policy;
	struct rsr_result x;
	struct emu_stats es;
	struct sim_sample *samples;
	size_t nr_samples;
};

static inline double sim_avg(u64 milli)
{
	return (double)milli / RSR_MILLI;
}

/* report.c */
void sim_print_table(const struct sim_opts *o, const struct sim_trace *t,
		     const struct sim_result *res, unsigned int n);
void sim_print_json(const struct sim_opts *o, const struct sim_trace *t,
		    const struct sim_result *res, unsigned int n);
int sim_write_csv(const char *path, const struct sim_result *res,
		  unsigned int n);
void sim_print_sweep(const struct sim_opts *o, const struct sim_trace *t,
		     const struct sim_result *res, unsigned int n);
void sim_print_sysfs(const struct sim_result *res, unsigned int n);

/* plot.c */
bool sim_have_gnuplot(void);
const char *sim_plot_terminal(const char *path);
int sim_plot(const char *path, const struct sim_trace *t,
	     const struct sim_result *res, unsigned int n);
int sim_plot_sweep(const struct sim_opts *o, const struct sim_trace *t,
		   const struct sim_result *res, unsigned int n);

#endif /* _RMP_SYNC_SIM_REPORT_H */
