// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-sim: replay a hypervisor's page-state history on the emulated
 * SNP host and show what each synchronization policy does to the direct
 * map.  The rmp_sync core runs unchanged; only its clock is simulated.
 *
 *   rmp-sync-sim [--policy P] [--mem SIZE] [--json] [--csv FILE]
 *                [--plot FILE.png|.svg] [--seed N] [--strict]
 *                [--emit-trace FILE] (--trace FILE | --workload NAME [--hours H])
 *
 * Each policy gets a freshly booted emulated host (2 CPUs, PSE, gbpages:
 * the boot direct map is 1G wherever a whole 1G range exists) and replays
 * the same operations.  Exit status: 0, 1 (--strict and an operation was
 * rejected, or the invariant check failed), 2 (bad usage or bad trace).
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <strings.h>
#include <unistd.h>
#include <linux/types.h>
#include <linux/rmp_sync.h>

#include "../emu.h"
#include "sim.h"
#include "report.h"

#define RP			RMP_SYNC_REGION_PAGES
#define SIM_NR_CPUS		2
/* Rejections printed per policy before the rest are only counted. */
#define SIM_MAX_REJECT_MSGS	100

/* One replay in progress: the engine's run on an emulated host. */
struct sim_run {
	struct emu_instance in;		/* first: the emu_replay_*() callbacks' host */
	struct rsr_run e;
	const struct sim_opts *o;
	const struct sim_trace *t;
	struct sim_result *r;
	u64 next_sample, sample_every;
	bool progress;
	int rejected_msgs;
};
static void sim_sample(struct sim_run *run, u64 time_ms)
{
	struct sim_result *r = run->r;
	struct sim_sample *s;
	struct emu_stats es;

	if (r->nr_samples && r->nr_samples % SIM_SAMPLES == 0) {
		s = realloc(r->samples, (r->nr_samples + SIM_SAMPLES) * sizeof(*s));
		if (!s)
			return;	/* the series gets coarser, nothing else */
		r->samples = s;
	} else if (!r->samples) {
		r->samples = calloc(SIM_SAMPLES, sizeof(*s));
		if (!r->samples)
			return;
	}
	s = &r->samples[r->nr_samples++];
	s->time_ms = time_ms;
	s->ops = run->e.r.ops;
	rsr_state(&run->e, &s->mixed, &s->split);
	s->split_unassigned = run->e.nr_su_now;
	s->gb_blocked = run->e.nr_gb_blocked;
	emu_directmap(run->in.h, &s->dm4k, &s->dm2m, &s->dm1g);
	emu_get_stats(run->in.h, &es);
	s->flushes = es.flushes;
}

/* ---- the emulated host, as the replay engine sees it ------------------- */

static struct sim_run *sim_run_of(void *host)
{
	return host;
}

/* The clock moves to @to_ms: take the samples that fall before it. */
static void sim_host_advance(void *host, u64 to_ms)
{
	struct sim_run *run = sim_run_of(host);

	while (run->sample_every && run->next_sample <= to_ms) {
		sim_sample(run, run->next_sample);
		run->next_sample += run->sample_every;
	}
}

static const char *sim_errname(int err)
{
	switch (err) {
	case -EINVAL:	return "-EINVAL";
	case -EBUSY:	return "-EBUSY";
	case -ENOMEM:	return "-ENOMEM";
	case -EFAULT:	return "-EFAULT";
	case -ENODEV:	return "-ENODEV";
	default:	return "error";
	}
}

static void sim_host_rejected(void *host, const struct rsr_op *op, int err)
{
	struct sim_run *run = sim_run_of(host);
	const char *policy = rsr_policy_names[run->r->policy];

	if (run->o->strict || run->rejected_msgs < SIM_MAX_REJECT_MSGS)
		fprintf(stderr, "%s:%u: %s: %s 0x%llx rejected (%s)\n",
			run->t->name, op->line, policy, rsr_op_names[op->kind],
			(ull)op->arg, sim_errname(err));
	else if (run->rejected_msgs == SIM_MAX_REJECT_MSGS)
		fprintf(stderr, "%s: %s: more rejections, only counted\n",
			run->t->name, policy);
	run->rejected_msgs++;
}

static const struct rsr_host_ops sim_host_ops = {
	.level = emu_replay_level,
	.directmap = emu_replay_directmap,
	.write = emu_replay_write,
	.assigned = emu_replay_assigned,
	.flushes = emu_replay_flushes,
	.pass = emu_replay_pass,
	.check = emu_replay_check,
	.advance = sim_host_advance,
	.rejected = sim_host_rejected,
	.split_regions = emu_replay_split_regions,
};

static void sim_progress(struct sim_run *run, size_t i)
{
	size_t step = run->t->nr / 100;

	if (!run->progress || !step || i % step)
		return;
	fprintf(stderr, "\r%-9s %3zu%%", rsr_policy_names[run->r->policy],
		i / step);
}

/*
 * Replay @t under @policy into @r.  Returns 0, 1 (--strict rejection or a
 * failed check), or -ENOMEM.
 */
static int sim_replay(const struct sim_opts *o, const struct sim_trace *t,
		      enum rsr_policy policy, const unsigned int *knobs,
		      struct sim_result *r)
{
	struct emu_config ec = {
		.mem_bytes = t->mem_bytes, .nr_cpus = SIM_NR_CPUS,
		.pse = true, .gbpages = true,
	};
	struct sim_run run = { .o = o, .t = t, .r = r };
	struct rmp_sync_config cfg = {
		.clock_ms = rsr_clock,
		.clock_priv = &run.e,
		.kick = rsr_kick,
		.kick_priv = &run.e,
		.mode = rsr_policy_mode[policy],
		.collapse_delay_millisecs = knobs[RMP_SYNC_KNOB_COLLAPSE_DELAY_MS],
		.defrag_1g = knobs[RMP_SYNC_KNOB_DEFRAG_1G],
	};
	int ret = 0;
	size_t i;
	int k;

	memset(r, 0, sizeof(*r));
	r->policy = policy;
	if (rsr_run_init(&run.e, t->mem_bytes >> PAGE_SHIFT, policy, &sim_host_ops,
			 &run))
		return -ENOMEM;
	ret = emu_instance_create(&run.in, &ec, &cfg);
	if (ret) {
		rsr_run_free(&run.e);
		return ret;
	}
	rsr_run_start(&run.e, run.in.rs);
	for (k = 0; k < RMP_SYNC_NR_KNOBS; k++) {
		if (rsr_set_knob(&run.e, k, knobs[k]))
			ret = 1;	/* validated by --set already */
	}
	run.progress = isatty(STDERR_FILENO) && t->nr >= 100000;
	/* Sample over the clock if it moves, else over the operations. */
	if (t->duration_ms)
		run.sample_every = max(1ULL, t->duration_ms / SIM_SAMPLES);
	sim_sample(&run, 0);
	if (run.sample_every)
		run.next_sample = run.sample_every;

	for (i = 0; i < t->nr; i++) {
		if (rsr_apply(&run.e, &t->ops[i], i) && o->strict) {
			ret = 1;
			break;
		}
		if (!t->duration_ms &&
		    (i + 1) % max((size_t)1, t->nr / SIM_SAMPLES) == 0)
			sim_sample(&run, 0);
		sim_progress(&run, i);
	}
	if (run.progress)
		fprintf(stderr, "\r%-20s\r", "");
	rsr_finish(&run.e);
	if (t->duration_ms || !run.e.r.ops ||
	    r->samples[r->nr_samples - 1].ops != run.e.r.ops)
		sim_sample(&run, run.e.now_ms);
	r->x = run.e.r;
	emu_get_stats(run.in.h, &r->es);
	if (r->x.check & RSR_CHECK_INVARIANT)
		fprintf(stderr, "%s: %s: invariant check failed\n", t->name,
			rsr_policy_names[policy]);
	if (r->x.check & RSR_CHECK_FLUSHES)
		fprintf(stderr, "%s: %s: core counted %llu flushes, the host saw %llu\n",
			t->name, rsr_policy_names[policy], (ull)r->x.st.tlb_flushes,
			(ull)r->x.flushes);
	if (r->x.check & RSR_CHECK_S5)
		fprintf(stderr, "%s: %s: S5: %u recovery flushes in one second, limit %u\n",
			t->name, rsr_policy_names[policy], r->x.max_flushes_1s,
			r->x.knobs[RMP_SYNC_KNOB_MAX_FLUSHES_PER_SEC]);
	if (r->x.check & RSR_CHECK_MIXED)
		fprintf(stderr, "%s: %s: the replay counted %llu mixed regions, the core %llu\n",
			t->name, rsr_policy_names[policy], (ull)run.e.nr_mixed_now,
			(ull)r->x.st.regions_mixed);
	if (r->x.check & RSR_CHECK_SPLIT)
		fprintf(stderr, "%s: %s: the host counted %llu split regions, its tables hold %llu\n",
			t->name, rsr_policy_names[policy], (ull)r->x.split_count,
			(ull)r->x.split_now);
	if (r->x.check)
		ret = 1;
	emu_instance_destroy(&run.in);
	rsr_run_free(&run.e);
	return ret;
}

static void sim_usage(FILE *f)
{
	fprintf(f,
		"usage: rmp-sync-sim [--policy P] [--mem SIZE] [--json] [--csv FILE]\n"
		"                    [--plot FILE.png|.svg] [--seed N] [--strict]\n"
		"                    [--emit-trace FILE] [--set KNOB=VALUE]...\n"
		"                    [--sweep KNOB=V1,V2,...] [--sysfs-dump]\n"
		"                    [--placement buddy|packed|FILE]\n"
		"                    (--trace FILE | --workload NAME [--hours H])\n"
		"\n"
		"  --policy P        none, upstream, eager, rmp_sync (default) or all\n"
		"  --mem SIZE        RAM, e.g. 4G, 64G, 1T (trace default 4G, vm-churn 32G,\n"
		"                    vm-churn-2m 64G)\n"
		"  --json            one JSON object instead of the table\n"
		"  --csv FILE        time series: regions mixed/split, DirectMap*, flushes\n"
		"  --plot FILE       draw split regions against mixed ones (gnuplot)\n"
		"  --seed N          workload seed (default 1)\n"
		"  --strict          a rejected operation is fatal (exit 1)\n"
		"  --emit-trace FILE write the operations as a trace\n"
		"  --trace FILE      replay a trace ('-' for stdin)\n"
		"  --workload NAME   vm-churn (order-0 guest_memfd), vm-churn-2m (2M\n"
		"                    guest_memfd) or flip-storm\n"
		"  --placement P     vm-churn's guest pages: buddy (the page allocator\n"
		"                    model, default), packed (whole 2M blocks per guest)\n"
		"                    or a file from rmp-sync-capture placement\n"
		"  --hours H         simulated hours (vm-churn 24, vm-churn-2m 72,\n"
		"                    flip-storm 10 s)\n"
		"  --set KNOB=VALUE  set an rmp_sync knob (sysfs name; repeatable)\n"
		"  --sweep KNOB=V1,V2,...  run the rmp_sync policy once per value,\n"
		"                    next to upstream and eager; --plot draws the curve\n"
		"  --sysfs-dump      print knobs and counters in the sysfs layout\n"
		"exit: 0 ok, 1 --strict rejection or failed check, 2 bad usage or trace\n");
}

#define sim_bad_usage(...)	sim_usage_err("rmp-sync-sim", __VA_ARGS__)

enum { OPT_EMIT = 256, OPT_STRICT, OPT_SET, OPT_SWEEP, OPT_SYSFS, OPT_PLACEMENT };

/* "KNOB=VALUE" or, with @vals, "KNOB=V1,V2,...": 0, or the exit status. */
static int sim_parse_knob(const char *opt, const char *arg, int *knob,
			  unsigned int *vals, unsigned int max_vals,
			  unsigned int *nr)
{
	const char *eq = strchr(arg, '=');
	char name[64], *end;
	const char *p;
	int k;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name))
		return sim_bad_usage("%s %s: expected KNOB=VALUE", opt, arg);
	memcpy(name, arg, eq - arg);
	name[eq - arg] = 0;
	k = rmp_sync_knob_by_name(name);
	if (k < 0)
		return sim_bad_usage("%s %s: unknown knob '%s'", opt, arg, name);
	*knob = k;
	*nr = 0;
	for (p = eq + 1;; p = end + 1) {
		unsigned long v;

		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || end == p || *p == '-' || (*end && *end != ',') ||
		    v < rmp_sync_knobs[k].min || v > rmp_sync_knobs[k].max)
			return sim_bad_usage("%s %s: %s takes %u..%u", opt, arg,
					     name, rmp_sync_knobs[k].min,
					     rmp_sync_knobs[k].max);
		if (*nr == max_vals)
			return sim_bad_usage("%s %s: at most %u values", opt, arg,
					     max_vals);
		vals[(*nr)++] = v;
		if (!*end)
			return 0;
	}
}

/* Returns -1 to go on, or the exit status. */
static int sim_parse_args(int argc, char **argv, struct sim_opts *o)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "mem", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", required_argument, NULL, 'c' },
		{ "plot", required_argument, NULL, 'P' },
		{ "seed", required_argument, NULL, 's' },
		{ "trace", required_argument, NULL, 't' },
		{ "workload", required_argument, NULL, 'w' },
		{ "hours", required_argument, NULL, 'H' },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "emit-trace", required_argument, NULL, OPT_EMIT },
		{ "set", required_argument, NULL, OPT_SET },
		{ "sweep", required_argument, NULL, OPT_SWEEP },
		{ "sysfs-dump", no_argument, NULL, OPT_SYSFS },
		{ "placement", required_argument, NULL, OPT_PLACEMENT },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *policy = "rmp_sync";
	unsigned int nr, val;
	char *end;
	int c, i, k;

	o->seed = 1;
	o->sweep_knob = -1;
	for (k = 0; k < RMP_SYNC_NR_KNOBS; k++)
		o->knobs[k] = rmp_sync_knobs[k].def;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			policy = optarg;
			break;
		case 'm':
			if (rsr_parse_size(optarg, &o->mem_bytes) || !o->mem_bytes ||
			    !IS_ALIGNED(o->mem_bytes, 2ULL << 20) ||
			    o->mem_bytes > SIM_MAX_MEM)
				return sim_bad_usage("--mem %s: a nonzero multiple of 2M, at most 4T",
						     optarg);
			o->mem_given = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'c':
			o->csv = optarg;
			break;
		case 'P':
			o->plot = optarg;
			break;
		case 's': {
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg || *optarg == '-')
				return sim_bad_usage("--seed %s: not a number", optarg);
			break;
		}
		case 't':
			o->trace = optarg;
			break;
		case 'w':
			o->workload = optarg;
			break;
		case 'H':
			errno = 0;
			o->hours = strtod(optarg, &end);
			if (errno || *end || !*optarg || !(o->hours > 0) ||
			    o->hours > 24 * 365)
				return sim_bad_usage("--hours %s: a positive number of hours (at most a year)",
						     optarg);
			break;
		case OPT_STRICT:
			o->strict = true;
			break;
		case OPT_EMIT:
			o->emit = optarg;
			break;
		case OPT_SET:
			i = sim_parse_knob("--set", optarg, &k, &val, 1, &nr);
			if (i)
				return i;
			o->knobs[k] = val;
			break;
		case OPT_SWEEP:
			if (o->sweep_knob >= 0)
				return sim_bad_usage("--sweep given twice");
			i = sim_parse_knob("--sweep", optarg, &o->sweep_knob,
					   o->sweep_vals, SIM_MAX_SWEEP, &o->nr_sweep);
			if (i)
				return i;
			break;
		case OPT_SYSFS:
			o->sysfs_dump = true;
			break;
		case OPT_PLACEMENT:
			o->placement = optarg;
			break;
		case 'h':
			sim_usage(stdout);
			return 0;
		case ':':
			return sim_bad_usage("%s needs an argument", argv[optind - 1]);
		default:
			return sim_bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return sim_bad_usage("unexpected argument '%s'", argv[optind]);
	if (!!o->trace == !!o->workload)
		return sim_bad_usage("give exactly one of --trace FILE and --workload NAME");
	if (o->trace && o->hours > 0)
		return sim_bad_usage("--hours goes with --workload, not --trace");
	if (o->workload) {
		for (i = 0; sim_workload_names[i]; i++)
			if (!strcmp(o->workload, sim_workload_names[i]))
				break;
		if (!sim_workload_names[i])
			return sim_bad_usage("unknown workload '%s' (vm-churn, vm-churn-2m, flip-storm)",
					     o->workload);
	}
	if (o->placement && (!o->workload || strcmp(o->workload, "vm-churn")))
		return sim_bad_usage("--placement goes with --workload vm-churn");
	if (o->sweep_knob >= 0) {
		if (strcmp(policy, "rmp_sync"))
			return sim_bad_usage("--sweep runs upstream, eager and rmp_sync; drop --policy");
		if (o->csv)
			return sim_bad_usage("--sweep does not write --csv");
		o->policies[RSR_UPSTREAM] = o->policies[RSR_EAGER] = true;
		o->policies[RSR_RMP_SYNC] = true;
	} else if (!strcmp(policy, "all")) {
		o->all = true;
		for (i = 0; i < RSR_NR_POLICIES; i++)
			o->policies[i] = true;
	} else {
		for (i = 0; i < RSR_NR_POLICIES; i++)
			if (!strcmp(policy, rsr_policy_names[i]))
				break;
		if (i == RSR_NR_POLICIES)
			return sim_bad_usage("unknown policy '%s' (none, upstream, eager, rmp_sync, all)",
					     policy);
		o->policies[i] = true;
	}
	if (o->plot) {
		if (!sim_plot_terminal(o->plot))
			return sim_bad_usage("--plot %s: the file must end in .png or .svg",
					     o->plot);
		if (!sim_have_gnuplot()) {
			fprintf(stderr, "rmp-sync-sim: --plot needs gnuplot, which is not installed (Debian: apt-get install gnuplot-nox, or 'make deps')\n");
			return 2;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct sim_result res[RSR_NR_POLICIES + SIM_MAX_SWEEP] = {};
	unsigned int knobs[RMP_SYNC_NR_KNOBS];
	struct sim_opts o = {};
	struct sim_placement pl = {};
	unsigned int n = 0, i, v, runs;
	struct sim_trace t;
	int ret, status = 0;

	ret = sim_parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;

	if (o.trace) {
		ret = sim_trace_load(o.trace, o.mem_given ? o.mem_bytes : SIM_DEFAULT_MEM,
				     o.mem_given, &t);
		if (ret)
			return ret == -ENOMEM ? 1 : 2;
	} else {
		struct sim_wl_opts wo = { .placement = SIM_PLACE_BUDDY };

		if (o.placement && !strcmp(o.placement, "packed")) {
			wo.placement = SIM_PLACE_PACKED;
		} else if (o.placement && strcmp(o.placement, "buddy")) {
			ret = sim_placement_load(o.placement, &pl);
			if (ret)
				return ret == -ENOMEM ? 1 : 2;
			wo.placement = SIM_PLACE_FILE;
			wo.pl = &pl;
		}
		ret = sim_workload_ex(o.workload, o.mem_bytes, o.mem_given, o.hours,
				      o.seed, &wo, &t);
		sim_placement_free(&pl);
		if (ret == -EINVAL)
			return sim_bad_usage("--mem too small for %s (vm-churn needs 8G, vm-churn-2m 32G, flip-storm 4M)",
					     o.workload);
		if (ret == -ENOSPC) {
			fprintf(stderr, "rmp-sync-sim: %s does not fit in --mem\n", o.workload);
			return 2;
		}
		if (ret) {
			fprintf(stderr, "rmp-sync-sim: cannot generate %s: out of memory\n",
				o.workload);
			return 1;
		}
	}
	if (o.emit && sim_trace_emit(&t, o.emit)) {
		sim_trace_free(&t);
		return 1;
	}

	rcu_register_thread();
	memcpy(knobs, o.knobs, sizeof(knobs));
	for (i = 0; i < RSR_NR_POLICIES && !(status && o.strict); i++) {
		if (!o.policies[i])
			continue;
		/* --sweep: upstream and eager as they are, rmp_sync per value */
		runs = i == RSR_RMP_SYNC && o.nr_sweep ? o.nr_sweep : 1;
		for (v = 0; v < runs; v++) {
			if (i == RSR_RMP_SYNC && o.nr_sweep)
				knobs[o.sweep_knob] = o.sweep_vals[v];
			ret = sim_replay(&o, &t, i, knobs, &res[n++]);
			if (ret < 0) {
				fprintf(stderr, "rmp-sync-sim: cannot build the emulated host (%d)\n",
					ret);
				status = 1;
				break;
			}
			if (ret) {
				status = 1;
				if (o.strict)
					break;
			}
		}
		if (ret < 0)
			break;
	}
	if (!status || !o.strict) {
		if (o.json)
			sim_print_json(&o, &t, res, n);
		else if (o.nr_sweep)
			sim_print_sweep(&o, &t, res, n);
		else
			sim_print_table(&o, &t, res, n);
		if (o.sysfs_dump)
			sim_print_sysfs(res, n);
		if (o.csv && sim_write_csv(o.csv, res, n))
			status = 1;
		if (o.plot && n && (o.nr_sweep ? sim_plot_sweep(&o, &t, res, n) :
					      sim_plot(o.plot, &t, res, n)))
			status = 1;
	}
	for (i = 0; i < n; i++)
		free(res[i].samples);
	sim_trace_free(&t);
	rcu_unregister_thread();
	return status;
}
