// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-bench, section 3: scaling.  N threads, each pinned to a CPU,
 * flip 4K pages for a fixed time on disjoint mixed regions, on one region
 * each, then all on one shared region; the wrapped pthread_mutex_lock
 * counts, per lock owner, acquisitions, contended ones and time waited.
 */
#define _GNU_SOURCE		/* pthread_setaffinity_np(), CPU_SET() */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <linux/delay.h>
#include "bench.h"

/* Regions per thread on disjoint runs (not a multiple of 256). */
#define SC_REGIONS		1000

/*
 * disjoint: each thread sweeps its own 1000 regions (hashed region locks
 * collide now and then, as they would in a kernel); own-region: each thread
 * flips one page of one region of its own, so that no lock is ever shared
 * and only the cache lines every transition writes are; shared: one region.
 */
enum { SC_DISJOINT, SC_OWN_REGION, SC_SHARED, SC_NR_LAYOUTS };
enum { SC_CONTROL = -1, SC_ISOLATED = -2 };
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
	/*
	 * Second control: the disjoint sweep with an emulated host and an
	 * instance of its own per thread, so that no byte is shared: what
	 * this machine allows for this very code and memory footprint.
	 */
	double isolated_tps[BENCH_MAX_THREADS + 1], isolated_efficiency;
	struct sc_cell c[SC_NR_LAYOUTS][BP_NR][BENCH_MAX_THREADS + 1];
	bool met;
	double worst_efficiency;
};

struct sc_thread {
	struct bhost *b;
	unsigned int id, cpu;
	int layout;		/* SC_CONTROL, SC_ISOLATED: the controls */
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
	} else if (t->layout == SC_ISOLATED) {
		first = 1;	/* the disjoint sweep, on the thread's own host */
		n = SC_REGIONS;
	} else {
		first = sc_shared_region(BENCH_MAX_THREADS) * RP + 1 + t->id;
		n = 1;
	}
	ls_reset();
	pthread_barrier_wait(t->start);
	if (t->layout == SC_CONTROL) {
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
	while (t->layout != SC_CONTROL && !__atomic_load_n(t->stop, __ATOMIC_RELAXED)) {
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

/*
 * @nthreads threads for @ms: transitions per second.  Thread i uses @b, or
 * for SC_ISOLATED the host b + i.
 */
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
	ls_enable(true);
	for (i = 0; i < nthreads; i++) {
		th[i] = (struct sc_thread){
			.b = layout == SC_ISOLATED ? b + i : b, .id = i, .cpu = i % cpus, .layout = layout,
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
	ls_enable(false);
	pthread_barrier_destroy(&start);
	*thread_seconds = nthreads * (t1 - t0) / 1e9;
	return done / ((t1 - t0) / 1e9);
}

static void sc_measure(struct sc_result *res)
{
	unsigned int rounds = opts.quick ? 1 : 3, ms = opts.quick ? 40 : 250;
	static double tps[SC_NR_LAYOUTS][BP_NR][BENCH_MAX_THREADS + 1][BENCH_MAX_ROUNDS];
	static double ctl[BENCH_MAX_THREADS + 1][BENCH_MAX_ROUNDS];
	static double iso[BENCH_MAX_THREADS + 1][BENCH_MAX_ROUNDS];
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	struct bhost b[BP_NR], own[BENCH_MAX_THREADS];
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
	for (i = 0; i < res->cpus; i++) {
		bhost_create(&own[i], SC_REGIONS, RMP_SYNC_MODE_DEFERRED, false);
		for (k = 0; k < SC_REGIONS; k++)
			must(rmp_sync_make_private(own[i].rs, (u64)k * RP, (u64)k * REGION_BYTES,
						   PG_LEVEL_4K, 1, false), "anchor", (u64)k * RP);
	}
	for (r = 0; r < rounds; r++) {
		for (n = 1; n <= res->cpus; n++) {
			struct ls_counts ls;
			double ts;

			ctl[n][r] = sc_run(&b[0], SC_CONTROL, n, res->cpus, ms, &ls, &ts);
			iso[n][r] = sc_run(own, SC_ISOLATED, n, res->cpus, ms, &ls, &ts);
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
	for (n = 1; n <= res->cpus; n++) {
		res->control_tps[n] = median(ctl[n], rounds);
		res->isolated_tps[n] = median(iso[n], rounds);
	}
	n = res->cpus;
	res->control_efficiency = res->control_tps[n] / (n * res->control_tps[1]);
	res->isolated_efficiency = res->isolated_tps[n] / (n * res->isolated_tps[1]);
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
	for (i = 0; i < res->cpus; i++)
		bhost_destroy(&own[i]);
}

struct sc_result *bench_scaling(void)
{
	static struct sc_result res;

	sc_measure(&res);
	return &res;
}

unsigned int bench_scaling_cpus(const struct sc_result *res)
{
	return res->cpus;
}

/* The table, or (@json) the "scaling" member: one walk over the rows. */
void bench_scaling_print(const struct sc_result *sc, bool json)
{
	bool first = true;
	unsigned int n;
	int l, p;

	if (json)
		printf("  \"scaling\": {\"rows\": [");
	else
		printf("3. Scaling: 4K transitions per second, threads pinned one per CPU\n"
		       "   %-10s %-8s %7s %13s %10s  %s\n", "layout", "policy", "threads",
		       "transitions/s", "vs linear",
		       "contended / waited (rmp_sync mutexes, RMP locks)");
	for (l = 0; l < SC_NR_LAYOUTS; l++) {
		for (p = 0; p < BP_NR; p++) {
			for (n = 1; n <= sc->cpus; n++) {
				const struct sc_cell *c = &sc->c[l][p][n];
				const struct ls_counts *ls = &c->ls;

				if (json) {
					printf("%s\n    {\"layout\": \"%s\", \"policy\": \"%s\", \"threads\": %u, \"transitions_per_s\": %.0f, \"vs_linear\": %.4f, \"thread_seconds\": %.3f, \"locks\": ",
					       first ? "" : ",", sc_layout_names[l], bp_names[p], n,
					       c->tps, c->efficiency, c->seconds);
					ls_json(ls);
					printf("}");
					first = false;
					continue;
				}
				printf("   %-10s %-8s %7u %13.0f %9.2fx  %5.1f%% / %4.1f%%, %5.1f%% / %4.1f%%\n",
				       sc_layout_names[l], bp_names[p], n, c->tps, c->efficiency,
				       ls->acquired[LS_RMP_SYNC] ?
				       100.0 * ls->contended[LS_RMP_SYNC] / ls->acquired[LS_RMP_SYNC] : 0,
				       100.0 * ls->wait_ns[LS_RMP_SYNC] / 1e9 / c->seconds,
				       ls->acquired[LS_SWRMP] ?
				       100.0 * ls->contended[LS_SWRMP] / ls->acquired[LS_SWRMP] : 0,
				       100.0 * ls->wait_ns[LS_SWRMP] / 1e9 / c->seconds);
			}
		}
	}
	if (json) {
		printf("\n  ], \"control_vs_linear\": %.4f, \"isolated_vs_linear\": %.4f, \"target_met\": %s, \"worst_vs_linear\": %.4f},\n",
		       sc->control_efficiency, sc->isolated_efficiency, json_bool(sc->met),
		       sc->worst_efficiency);
		return;
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
	printf("   isolated control (the disjoint sweep, an emulated host and an rmp_sync\n"
	       "   instance of its own per thread: no byte shared):\n"
	       "   %.2fx linear at %u threads: what this machine allows for this code\n",
	       sc->isolated_efficiency, sc->cpus);
	printf("   target disjoint >= 0.85 x linear up to %u threads: %s (worst %.2fx; %.2f of the\n"
	       "   machine control, %.2f of the isolated control)\n\n", sc->cpus,
	       yes_no(sc->met), sc->worst_efficiency,
	       sc->worst_efficiency / sc->control_efficiency,
	       sc->worst_efficiency / sc->isolated_efficiency);
}
