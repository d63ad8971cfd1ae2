/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmp-sync-bench: what the benchmarks share.  bench.c holds the helpers
 * declared here, the command line and main(); each benchmark is a file of
 * its own that measures, then prints its section as a table or as JSON in
 * one walk over its results:
 *
 *   transitions.c  1. transition cost (and the --callgrind loops)
 *   memory.c       2. memory
 *   scaling.c      3. scaling
 *   recovery.c     4. recovery pass
 *   vm_churn.c     5. workload (the vm-churn replay)
 */
#ifndef _RMP_SYNC_BENCH_H
#define _RMP_SYNC_BENCH_H

#include <linux/types.h>
#include <linux/rmp_sync.h>
#include <linux/rmp_sync_swrmp.h>

#include "../emu.h"

#define RP			RMP_SYNC_REGION_PAGES
#define REGION_BYTES		(RP << PAGE_SHIFT)
#define BENCH_MAX_THREADS	64
#define BENCH_MAX_ROUNDS	1001

struct bench_opts {
	bool json;
	bool quick;
	bool callgrind;
	unsigned int rounds;
	double hours;
};

extern struct bench_opts opts;

u64 bench_ns(void);
void bench_progress(const char *what);
void __attribute__((noreturn, format(printf, 1, 2))) bench_die(const char *fmt, ...);
double quantile(double *v, unsigned int n, double q);
double median(double *v, unsigned int n);
void must(int ret, const char *what, u64 pfn);

/* Output: a target's verdict; JSON's true/false. */
const char *yes_no(bool met);
const char *json_bool(bool b);

/*
 * Lock statistics: pthread_mutex_lock is wrapped (-Wl,--wrap) to count,
 * per lock owner, acquisitions, contended acquisitions and time waited.
 */
enum ls_class { LS_RMP_SYNC, LS_SWRMP, LS_OTHER, LS_NR };

extern const char *const ls_names[LS_NR];

struct ls_counts {
	u64 acquired[LS_NR];
	u64 contended[LS_NR];
	u64 wait_ns[LS_NR];
};

int __real_pthread_mutex_lock(pthread_mutex_t *m);	/* not counted */
void ls_track(struct rmp_sync *rs, struct rmp_sync_swrmp *sw);
void ls_enable(bool on);
void ls_reset(void);
void ls_collect(struct ls_counts *sum);
void ls_json(const struct ls_counts *ls);

/* The two policies compared: upstream (Linux 6.12) and rmp_sync. */
enum { BP_UPSTREAM, BP_RMP_SYNC, BP_NR };
extern const char *const bp_names[BP_NR];
extern const enum rmp_sync_mode bp_modes[BP_NR];

/* Pass-through to the software RMP that counts what the core asks of it. */
struct bench_rmp {
	struct rmp_sync_swrmp *sw;
	unsigned long updates, lookups, psmashes;
};

extern const struct rmp_sync_rmp_ops bench_rmp_ops;

/*
 * The light host: the direct-map level of each region (boot: 2M), and the
 * RMP state of page 0 of each region; every other page reads as
 * hypervisor-owned.  Counts collapses and flushes.
 */
struct lite {
	u64 nr_regions;
	u8 *level;
	unsigned long *assigned;
	u64 splits, collapses, flushes;
};

extern const struct rmp_sync_rmp_ops lite_rmp_ops;
extern const struct rmp_sync_dmap_ops lite_dmap_ops;

extern u64 bench_clock_ms;
u64 bench_clock(void *priv);

/* An emulated host (2 CPUs, PSE, gbpages) and an instance over it. */
struct bhost {
	struct emu_host *h;
	struct rmp_sync *rs;
	struct bench_rmp rmp;
};

void bhost_create(struct bhost *b, u64 nr_regions, enum rmp_sync_mode mode,
		  bool counting);
void bhost_destroy(struct bhost *b);

/*
 * The benchmarks.  Each measures into its result, and prints it: the
 * table, or (@json) its member of the JSON object, with a trailing comma.
 */
struct tr_result;
struct mem_result;
struct sc_result;
struct rec_result;
struct wl_result;

struct tr_result *bench_transitions(void);
void bench_transitions_print(const struct tr_result *res, bool json);
int bench_callgrind(void);

struct mem_result *bench_memory(void);
void bench_memory_print(const struct mem_result *res, bool json);

struct sc_result *bench_scaling(void);
void bench_scaling_print(const struct sc_result *res, bool json);
unsigned int bench_scaling_cpus(const struct sc_result *res);

struct rec_result *bench_recovery(void);
void bench_recovery_print(const struct rec_result *res, bool json);

struct wl_result *bench_workload(void);
void bench_workload_print(const struct wl_result *res, bool json);

#endif /* _RMP_SYNC_BENCH_H */
