// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-stress: concurrency stress of rmp_sync on the emulated SNP host.
 *
 * N worker threads act as CPUs.  Each issues random transitions (private and
 * shared, 4K and 2M, PSMASH, leaks) on pages it owns, both in regions shared
 * with every other worker (same-region serialization) and in regions of its
 * own (disjoint: no common lock), and after every transition writes from its
 * CPU to random pages of the whole working set.  A recovery thread moves the
 * clock and collapses (rmp_sync_recover()), RCU readers look regions up
 * (rmp_sync_region_info()).  The instance first covers 1G range 0 only; the
 * main thread brings ranges 1 and 2 online (memory hotplug,
 * rmp_sync_memory_event(), which grows it) half-way through, while all of
 * this runs: until then the core refuses the transitions in range 1.
 * From then on until the workers are done, the main thread hot-removes
 * and re-adds range 2, which no worker uses, again and again: it assigns
 * a page there (the split is checked), gives it back, takes the range
 * offline, maps it with a 1G leaf again as hot-add does
 * (emu_memory_readd()) and brings it online.  Recovery passes hold the
 * hotplug lock for reading, as the kernel runs them under
 * get_online_mems(); transitions in ranges 0 and 1 go on meanwhile.
 *
 * Checks:
 *  S1 as each RMPUPDATE lands: the software RMP counts an update that
 *     makes a region mixed while it is mapped larger than 4K
 *     (rmp_sync_swrmp_checked_ops), e.g. a split skipped for a stale
 *     word after a re-add.
 *  S1 on every write: a write that RMP-faults on a page that was
 *     hypervisor-owned for the whole write is a violation.  Whether a page
 *     stayed hypervisor-owned is decided with a per-region generation count
 *     that every transition bumps; a fault that raced a transition of its
 *     region and hit a page assigned before or after is counted as "raced",
 *     and is only a violation if the page was its writer's own (only the
 *     owner changes it).
 *  S3 at the end: rmp_sync_check() with counters, and the emulator's own
 *     page-table recount.
 *  S2 after a final quiesce: nothing pending, and every region still split
 *     holds leaked pages.
 *
 * Replay: the sequence of operations each thread issues (operation, page,
 * arguments) is a function of the seed and the thread number only; it does
 * not depend on results or on the interleaving.  The interleaving itself,
 * and so which operations the RMP state accepts, is up to the scheduler: a
 * replay with the same -s, -j and -n issues the same operations per thread,
 * not the same global order.
 *
 *   rmp-sync-stress [-n OPS] [-t SECONDS] [-s SEED] [-j THREADS] [-v]
 *
 * Exit status: 0 clean, 1 a violation, 2 bad usage.
 */
#include <getopt.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <linux/delay.h>
#include <linux/rmp_sync.h>
#include "emu.h"

#define RP		RMP_SYNC_REGION_PAGES
#define ST_SHARED	8	/* regions every worker has pages in */
#define ST_OWN		4	/* regions of each worker's own */
#define ST_SLOTS	3	/* pages a worker uses in each own region */
#define ST_SHARED_SLOTS	2	/* pages per worker in each shared region */
#define ST_READERS	2
#define ST_LEAKS	2	/* leaks per worker at most */
#define GBP		RMP_SYNC_GB_PAGES
#define ST_HOT_GB	2	/* the 1G range hot-removed and re-added */

struct st_run {
	struct emu_host *h;
	struct rmp_sync *rs;
	unsigned int nr_workers;
	u64 nr_regions;		/* working set: shared, then own regions */
	u64 seed;
	u64 ops_per_worker;
	u64 deadline_ns;
	bool stop;
	bool grown;		/* the instance covers ranges 1 and 2 too */
	/*
	 * Memory hotplug: the main thread holds it for writing from taking
	 * range ST_HOT_GB offline until it is online again; a recovery pass
	 * holds it for reading (mem_hotplug_lock, get_online_mems()).
	 */
	pthread_rwlock_t hotplug;
	u64 hot_cycles;		/* remove + re-add cycles done */
	unsigned int running;	/* workers not done yet */
	u64 clock_ms;
	/* per region: transitions started, and transitions in flight */
	u32 *gen;
	u32 *inflight;
	/* results, relaxed atomics */
	u64 ops, accepted, refused, writes, faults_raced, violations;
	u64 bad_returns, lookups, collapses, passes;
};

struct st_worker {
	struct st_run *run;
	unsigned int cpu;
	pthread_t thread;
	u64 s;
	unsigned int leaks;
};

static int verbose;

static u64 st_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static u64 st_clock(void *priv)
{
	return __atomic_load_n(&((struct st_run *)priv)->clock_ms, __ATOMIC_RELAXED);
}

#define st_add(field, n) __atomic_add_fetch(&(field), (n), __ATOMIC_RELAXED)

/* Region @i of the working set: 1G-aligned layout around the 1G boundary. */
static u64 st_region_pfn(struct st_run *run, u64 i)
{
	/* start 8 regions below the first 1G boundary: ranges 0 and 1 */
	return RMP_SYNC_GB_PAGES - 8 * RP + i * RP;
}

static u64 st_own_region(struct st_run *run, unsigned int cpu, u64 k)
{
	return ST_SHARED + cpu * ST_OWN + k;
}

/*
 * Pages of worker @cpu: in a shared region, those with
 * page % nr_workers == cpu, ST_SHARED_SLOTS of them; in its own regions,
 * ST_SLOTS pages 37 apart.
 */
static u64 st_pick(struct st_run *run, unsigned int cpu, u64 r, u64 *region)
{
	if (r & 1) {
		*region = st_own_region(run, cpu, (r >> 1) % ST_OWN);
		return st_region_pfn(run, *region) + ((r >> 8) % ST_SLOTS) * 37;
	}
	*region = (r >> 1) % ST_SHARED;
	return st_region_pfn(run, *region) +
	       ((r >> 8) % ST_SHARED_SLOTS) * run->nr_workers + cpu;
}

static bool st_assigned(struct st_run *run, u64 pfn)
{
	struct rmp_sync_rmp_entry e;

	rmp_sync_swrmp_ops.lookup(emu_rmp(run->h), pfn, &e);
	return e.assigned;
}

static void st_begin(struct st_run *run, u64 region)
{
	__atomic_add_fetch(&run->inflight[region], 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&run->gen[region], 1, __ATOMIC_SEQ_CST);
}

static void st_end(struct st_run *run, u64 region)
{
	__atomic_add_fetch(&run->gen[region], 1, __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&run->inflight[region], 1, __ATOMIC_SEQ_CST);
}

/*
 * S1 on one write from @cpu to @pfn in working-set region @region.  @own:
 * the page is the writer's, which nobody else transitions.
 */
static void st_write(struct st_worker *w, u64 pfn, u64 region, bool own)
{
	struct st_run *run = w->run;
	struct rmp_sync_region_info info = {};
	u32 gen, busy;
	int ret;

	/*
	 * gen first: st_begin() raises inflight before gen, so a transition
	 * that began between the two loads shows in one of them.  Loaded the
	 * other way round, one that began in between (inflight seen 0, gen
	 * seen raised) and was still running at the recheck went unnoticed,
	 * and its RMPUPDATE made this write a false violation.
	 */
	gen = __atomic_load_n(&run->gen[region], __ATOMIC_SEQ_CST);
	busy = __atomic_load_n(&run->inflight[region], __ATOMIC_SEQ_CST);
	if (st_assigned(run, pfn))
		return;		/* a guest's page: not the host's to write */
	st_add(run->writes, 1);
	ret = emu_write(run->h, w->cpu, pfn);
	if (!ret)
		return;
	if (ret == -EFAULT && !own &&
	    (busy || gen != __atomic_load_n(&run->gen[region], __ATOMIC_SEQ_CST))) {
		/* the page may have been assigned for a moment: not provable */
		st_add(run->faults_raced, 1);
		return;
	}
	rmp_sync_region_info(run->rs, pfn, &info);
	fprintf(stderr, "S1 violation: cpu %u write to PFN 0x%llx: %d (mapped at level %d; region: %u assigned, split %d, RMP %u assigned)\n",
		w->cpu, (unsigned long long)pfn, ret, emu_level(run->h, pfn), info.assigned,
		info.split, rmp_sync_swrmp_assigned(emu_rmp(run->h), pfn));
	st_add(run->violations, 1);
}

static bool st_done(struct st_run *run, u64 i)
{
	if (run->ops_per_worker && i >= run->ops_per_worker)
		return true;
	if (__atomic_load_n(&run->stop, __ATOMIC_RELAXED))
		return true;
	return !(i & 63) && st_now_ns() >= run->deadline_ns;
}

static void *st_worker_fn(void *arg)
{
	struct st_worker *w = arg;
	struct st_run *run = w->run;
	u64 i;

	rcu_register_thread();
	for (i = 0; !st_done(run, i); i++) {
		u64 r = rmp_sync_rand(&w->s), region, rpfn;
		u64 pfn = st_pick(run, w->cpu, r, &region);
		unsigned int op = rmp_sync_rand(&w->s) % 100, k;
		u64 wr[4];
		bool own = r & 1;
		int ret = 0;

		/* the writes' targets, drawn before any result is known */
		for (k = 0; k < 4; k++)
			wr[k] = rmp_sync_rand(&w->s);
		rpfn = st_region_pfn(run, region);

		st_begin(run, region);
		if (op < 40) {
			ret = rmp_sync_make_private(run->rs, pfn, 0, PG_LEVEL_4K,
						    1 + w->cpu, false);
		} else if (op < 75) {
			ret = rmp_sync_make_shared(run->rs, pfn, PG_LEVEL_4K);
		} else if (op < 82 && own) {
			ret = rmp_sync_make_private(run->rs, rpfn, 0, PG_LEVEL_2M,
						    1 + w->cpu, false);
		} else if (op < 88 && own) {
			ret = rmp_sync_make_shared(run->rs, rpfn, PG_LEVEL_2M);
		} else if (op < 91 && own) {
			ret = rmp_sync_psmash(run->rs, rpfn);
		} else if (op < 95 && own) {
			/* give the region back: 2M, else page by page */
			ret = rmp_sync_make_shared(run->rs, rpfn, PG_LEVEL_2M);
			for (k = 0; ret == -EINVAL && k < ST_SLOTS; k++) {
				int r2 = rmp_sync_make_shared(run->rs, rpfn + k * 37,
							     PG_LEVEL_4K);

				if (r2 && r2 != -EINVAL)
					ret = r2;
			}
		} else if (op == 95 && !own && !(r >> 60) && w->leaks < ST_LEAKS) {
			/* rare, and only in shared regions (1G range 0) */
			w->leaks++;
			ret = rmp_sync_leak_pages(run->rs, pfn, 1);
		}
		st_end(run, region);

		/* -EINVAL: the state did not allow it; nothing changed */
		if (ret == -EINVAL) {
			st_add(run->refused, 1);
		} else if (ret) {
			fprintf(stderr, "cpu %u op %u PFN 0x%llx: %d\n", w->cpu, op,
				(unsigned long long)pfn, ret);
			st_add(run->bad_returns, 1);
		} else {
			st_add(run->accepted, 1);
		}

		/* two of its own pages, two anyone's (any worker's page) */
		for (k = 0; k < 4; k++) {
			unsigned int cpu = k < 2 ? w->cpu : wr[k] % run->nr_workers;
			u64 q = st_pick(run, cpu, wr[k] >> 8, &region);

			st_write(w, q, region, cpu == w->cpu);
		}
		st_add(run->ops, 1);
	}
	__atomic_sub_fetch(&run->running, 1, __ATOMIC_RELEASE);
	rcu_unregister_thread();
	return NULL;
}

static void *st_recover_fn(void *arg)
{
	struct st_run *run = arg;
	u64 s = run->seed ^ 0x9e3779b97f4a7c15ULL;

	rcu_register_thread();
	while (!__atomic_load_n(&run->stop, __ATOMIC_RELAXED)) {
		struct rmp_sync_pass pass;
		int n;

		st_add(run->clock_ms, rmp_sync_rand(&s) % 8);
		pthread_rwlock_rdlock(&run->hotplug);
		n = rmp_sync_recover(run->rs, 1 + rmp_sync_rand(&s) % 16,
				     rmp_sync_rand(&s) & 1, &pass);
		pthread_rwlock_unlock(&run->hotplug);
		if (n < 0) {
			fprintf(stderr, "recovery pass: %d\n", n);
			st_add(run->bad_returns, 1);
		} else {
			st_add(run->collapses, n);
		}
		st_add(run->passes, 1);
		usleep(200);
	}
	rcu_unregister_thread();
	return NULL;
}

static void *st_reader_fn(void *arg)
{
	struct st_run *run = arg;
	u64 s = run->seed ^ 0x5bd1e995;

	rcu_register_thread();
	while (!__atomic_load_n(&run->stop, __ATOMIC_RELAXED)) {
		struct rmp_sync_region_info info;
		u64 pfn = rmp_sync_rand(&s) % ((ST_HOT_GB + 1) * GBP);
		bool grown = __atomic_load_n(&run->grown, __ATOMIC_ACQUIRE);

		if (rmp_sync_region_info(run->rs, pfn, &info)) {
			/* beyond the RAM covered before the grow: refused */
			if (pfn < GBP || grown)
				st_add(run->bad_returns, 1);
			continue;
		}
		st_add(run->lookups, 1);
		if (info.assigned > RP || (info.pending && !info.split)) {
			fprintf(stderr, "lookup of PFN 0x%llx: %u assigned, pending %d split %d\n",
				(unsigned long long)pfn, info.assigned, info.pending,
				info.split);
			st_add(run->violations, 1);
		}
	}
	rcu_unregister_thread();
	return NULL;
}

/*
 * One hot-remove and re-add of 1G range ST_HOT_GB while the workers and the
 * recovery thread run elsewhere: a page there is assigned (the region must
 * be split first: S1) and given back, leaving the region pending or, if a
 * pass got to it, collapsed; then the range goes offline, comes back with
 * a 1G leaf and goes online.  Its words must then say "never split", or
 * the next cycle's assignment would skip its split.  Returns the failures.
 */
static unsigned long st_hotplug_cycle(struct st_run *run, u64 *s)
{
	u64 base = ST_HOT_GB * GBP, pfn, other;
	unsigned long bad = 0;
	int ret;

	/* every region twice in a row: the second time it has been re-added */
	pfn = base + (run->hot_cycles / 2 % RMP_SYNC_GB_REGIONS) * RP +
	      rmp_sync_rand(s) % RP;
	other = pfn ^ 1;	/* a neighbour: same region, not assigned */

	ret = rmp_sync_make_private(run->rs, pfn, 0, PG_LEVEL_4K, 1, false);
	if (ret || emu_level(run->h, pfn) != PG_LEVEL_4K ||
	    emu_write(run->h, 0, other)) {
		fprintf(stderr, "hotplug: assignment of PFN 0x%llx after %llu re-adds: %d, level %d\n",
			(unsigned long long)pfn, (unsigned long long)run->hot_cycles,
			ret, emu_level(run->h, pfn));
		bad++;
	}
	if (!ret && rmp_sync_make_shared(run->rs, pfn, PG_LEVEL_4K))
		bad++;

	pthread_rwlock_wrlock(&run->hotplug);
	ret = rmp_sync_memory_event(run->rs, RMP_SYNC_MEM_OFFLINE, base, GBP);
	if (!ret)
		ret = emu_memory_readd(run->h, base, GBP);
	if (!ret)
		ret = rmp_sync_memory_event(run->rs, RMP_SYNC_MEM_ONLINE, base, GBP);
	pthread_rwlock_unlock(&run->hotplug);
	if (ret) {
		fprintf(stderr, "hotplug: remove + re-add of 1G range %d: %d\n",
			ST_HOT_GB, ret);
		bad++;
	}
	/* what hot-add left: a 1G leaf, and words that agree with it */
	if (emu_level(run->h, base) != PG_LEVEL_1G ||
	    rmp_sync_check(run->rs, base, GBP, false)) {
		fprintf(stderr, "hotplug: 1G range %d not as hot-add maps it\n",
			ST_HOT_GB);
		bad++;
	}
	run->hot_cycles++;
	return bad;
}

/* Give back every page that is not leaked, recover, and check S2. */
static unsigned long st_quiesce(struct st_run *run)
{
	struct rmp_sync_stats st;
	unsigned long bad = 0;
	long ret;

	ret = rmp_sync_swrmp_quiesce(emu_rmp(run->h), run->rs, st_region_pfn(run, 0),
				     run->nr_regions * RP);
	if (ret)
		bad++;
	rmp_sync_get_stats(run->rs, &st);
	if (rmp_sync_check(run->rs, 0, (ST_HOT_GB + 1) * GBP, true) || emu_check(run->h)) {
		fprintf(stderr, "S3: check failed after quiesce\n");
		bad++;
	}
	if (!st.leaked_pages && emu_boot_diff(run->h)) {
		fprintf(stderr, "S2: %lu regions off the boot layout, nothing leaked\n",
			emu_boot_diff(run->h));
		bad++;
	}
	return bad;
}

static int st_usage(const char *prog, const char *why)
{
	if (why)
		fprintf(stderr, "%s: %s\n", prog, why);
	fprintf(stderr,
		"usage: %s [-n OPS] [-t SECONDS] [-s SEED] [-j THREADS] [-v]\n"
		"  -n OPS      operations in all (split evenly between threads); 0: no limit\n"
		"  -t SECONDS  stop after this long (default 10; 0: no limit, needs -n)\n"
		"  -s SEED     seed of the per-thread operation sequences (default: time)\n"
		"  -j THREADS  worker threads acting as CPUs, 1..%d (default: cores, at least 4)\n",
		prog, EMU_MAX_CPUS);
	return 2;
}

static bool st_parse_u64(const char *s, u64 *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

int main(int argc, char **argv)
{
	u64 ops = 0, secs = 10, seed = (u64)time(NULL), threads;
	struct emu_config ec = {
		.mem_bytes = (ST_HOT_GB + 1ULL) << 30, .pse = true, .gbpages = true
	};
	struct rmp_sync_config cfg = {
		.nr_pages = GBP,	/* grown to all of RAM half-way */
		/* S1's order checked as each RMPUPDATE lands */
		.rmp = &rmp_sync_swrmp_checked_ops,
		.clock_ms = st_clock,
		.mode = RMP_SYNC_MODE_DEFERRED,
		.collapse_delay_millisecs = 4,
		.defrag_1g = true,
	};
	pthread_t recover, readers[ST_READERS];
	struct st_worker *workers;
	struct rmp_sync_stats st;
	struct emu_stats es;
	struct st_run run = {};
	struct emu_instance in;
	unsigned long s2_bad, splats, late;
	u64 start, i, hs;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int opt, fail, ret;

	threads = ncpu < 4 ? 4 : ncpu;
	while ((opt = getopt(argc, argv, "n:t:s:j:vh")) != -1) {
		switch (opt) {
		case 'n':
			if (!st_parse_u64(optarg, &ops))
				return st_usage(argv[0], "bad -n");
			break;
		case 't':
			if (!st_parse_u64(optarg, &secs) || secs > 86400)
				return st_usage(argv[0], "bad -t (0..86400)");
			break;
		case 's':
			if (!st_parse_u64(optarg, &seed))
				return st_usage(argv[0], "bad -s");
			break;
		case 'j':
			if (!st_parse_u64(optarg, &threads) || !threads ||
			    threads > EMU_MAX_CPUS)
				return st_usage(argv[0], "bad -j");
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			st_usage(argv[0], NULL);
			return 0;
		default:
			return st_usage(argv[0], NULL);
		}
	}
	if (optind != argc)
		return st_usage(argv[0], "unexpected argument");
	if (!ops && !secs)
		return st_usage(argv[0], "-n 0 with -t 0 would never stop");
	if (ST_SHARED + threads * ST_OWN + 8 > RMP_SYNC_GB_REGIONS)
		return st_usage(argv[0], "too many threads for the working set");

	rcu_register_thread();
	run.nr_workers = threads;
	run.nr_regions = ST_SHARED + threads * ST_OWN;
	run.seed = seed;
	run.ops_per_worker = ops ? DIV_ROUND_UP(ops, threads) : 0;
	run.gen = calloc(run.nr_regions, sizeof(*run.gen));
	run.inflight = calloc(run.nr_regions, sizeof(*run.inflight));
	workers = calloc(threads, sizeof(*workers));
	ec.nr_cpus = threads;
	if (!run.gen || !run.inflight || !workers) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	cfg.clock_priv = &run;
	ret = emu_instance_create(&in, &ec, &cfg);
	if (ret) {
		fprintf(stderr, "emu_instance_create: %d\n", ret);
		return 1;
	}
	run.h = in.h;
	run.rs = in.rs;
	rmp_sync_swrmp_check_order(emu_rmp(in.h), emu_dmap_ops.level, in.h);
	pthread_rwlock_init(&run.hotplug, NULL);
	printf("# rmp-sync-stress: seed %llu, %llu threads, %s%llu ops, %llu s limit "
	       "(replay: -s %llu -j %llu -n %llu)\n",
	       (unsigned long long)seed, (unsigned long long)threads,
	       ops ? "" : "unbounded ", (unsigned long long)ops,
	       (unsigned long long)secs, (unsigned long long)seed,
	       (unsigned long long)threads, (unsigned long long)ops);
	fflush(stdout);

	splats = kshim_splats;
	start = st_now_ns();
	run.deadline_ns = secs ? start + secs * 1000000000ULL : ~0ULL;
	run.running = threads;
	for (i = 0; i < threads; i++) {
		workers[i] = (struct st_worker){ .run = &run, .cpu = i,
			.s = (seed ^ (0x9e3779b97f4a7c15ULL * (i + 1))) | 1 };
		if (pthread_create(&workers[i].thread, NULL, st_worker_fn, &workers[i]))
			return 1;
	}
	if (pthread_create(&recover, NULL, st_recover_fn, &run))
		return 1;
	for (i = 0; i < ST_READERS; i++)
		if (pthread_create(&readers[i], NULL, st_reader_fn, &run))
			return 1;

	/* memory hotplug half-way (or after 50 ms of an -n run) */
	for (i = 0; i < (secs ? secs * 50 : 5) &&
		    __atomic_load_n(&run.running, __ATOMIC_ACQUIRE); i++)
		msleep(10);
	/* hot-add of ranges 1 and 2, as MEM_GOING_ONLINE reports it */
	ret = rmp_sync_memory_event(run.rs, RMP_SYNC_MEM_ONLINE, GBP, ST_HOT_GB * GBP);
	rmp_sync_get_stats(run.rs, &st);
	if (ret || st.regions_total != (ST_HOT_GB + 1) * RMP_SYNC_GB_REGIONS) {
		fprintf(stderr, "hot-add: %d, %llu regions\n", ret,
			(unsigned long long)st.regions_total);
		run.violations++;
	}
	__atomic_store_n(&run.grown, true, __ATOMIC_RELEASE);

	/* then hot-remove and re-add range 2 while the workers run, once at least */
	hs = seed ^ 0x2545f4914f6cdd1dULL;
	do {
		run.violations += st_hotplug_cycle(&run, &hs);
		msleep(2);
	} while (__atomic_load_n(&run.running, __ATOMIC_ACQUIRE));

	for (i = 0; i < threads; i++)
		pthread_join(workers[i].thread, NULL);
	__atomic_store_n(&run.stop, true, __ATOMIC_RELAXED);
	pthread_join(recover, NULL);
	for (i = 0; i < ST_READERS; i++)
		pthread_join(readers[i], NULL);

	/* S3 at the end, before the quiesce changes anything */
	if (rmp_sync_check(run.rs, 0, (ST_HOT_GB + 1) * GBP, true) || emu_check(run.h)) {
		fprintf(stderr, "S3: rmp_sync_check/emu_check failed\n");
		run.violations++;
	}
	rmp_sync_get_stats(run.rs, &st);
	s2_bad = st_quiesce(&run);
	run.violations += s2_bad;
	late = rmp_sync_swrmp_order_violations(emu_rmp(run.h));
	if (late) {
		fprintf(stderr, "S1: %lu RMPUPDATE(s) made a region mixed while it was mapped large\n",
			late);
		run.violations += late;
	}
	if (kshim_splats != splats) {
		fprintf(stderr, "%lu WARNING splat(s)\n", kshim_splats - splats);
		run.violations += kshim_splats - splats;
	}
	emu_get_stats(run.h, &es);

	printf("stress: seed %llu threads %llu ops %llu (accepted %llu, refused %llu) in %.1f s\n",
	       (unsigned long long)seed, (unsigned long long)threads,
	       (unsigned long long)run.ops, (unsigned long long)run.accepted,
	       (unsigned long long)run.refused, (st_now_ns() - start) / 1e9);
	printf("stress: writes %llu, rmp faults %llu (raced with an assignment %llu), "
	       "lookups %llu, recovery passes %llu, collapses %llu\n",
	       (unsigned long long)run.writes, (unsigned long long)es.rmp_faults,
	       (unsigned long long)run.faults_raced, (unsigned long long)run.lookups,
	       (unsigned long long)run.passes, (unsigned long long)run.collapses);
	printf("stress: hotplug: 1G range %d removed and re-added %llu times\n",
	       ST_HOT_GB, (unsigned long long)run.hot_cycles);
	printf("stress: splits %llu (1G %llu), collapses 2M %llu / 1G %llu, psmash %llu, "
	       "leaked %llu, flushes %llu\n",
	       (unsigned long long)st.splits, (unsigned long long)st.splits_1g,
	       (unsigned long long)st.collapses_2m, (unsigned long long)st.collapses_1g,
	       (unsigned long long)st.psmash, (unsigned long long)st.leaked_pages,
	       (unsigned long long)st.tlb_flushes);
	fail = run.violations || run.bad_returns;
	printf("stress: violations %llu, unexpected errors %llu: %s\n",
	       (unsigned long long)run.violations, (unsigned long long)run.bad_returns,
	       fail ? "FAIL" : "ok");

	emu_instance_destroy(&in);
	pthread_rwlock_destroy(&run.hotplug);
	free(workers);
	free(run.gen);
	free(run.inflight);
	rcu_barrier();
	rcu_unregister_thread();
	return fail ? 1 : 0;
}
