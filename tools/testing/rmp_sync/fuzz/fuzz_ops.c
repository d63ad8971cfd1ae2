// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: rmp_sync's operations on the emulated SNP host.
 *
 * The input is decoded into a sequence of steps over eight 2M regions around
 * the first 1G boundary of a 2 GiB host with two CPUs: private and shared
 * transitions (4K and 2M), PSMASH, leaks, host writes, recovery passes,
 * clock moves, deliberate 4K splits by "another kernel user", raw calls with
 * hostile arguments, and failure injection: every RMPUPDATE/PSMASH status
 * code and errno on the software RMP, split and collapse results on the
 * emulated direct map (rmp_sync_fault_arm()), and allocation failures
 * (kshim_alloc_fault).
 *
 * After every step: S3 (rmp_sync_check() with counters over the working
 * set, the emulator's page-table recount), S1 (no mixed region mapped above
 * 4K, and host writes to every hypervisor-owned page of the step's region
 * from every CPU succeed), the error convention (an error without an
 * injected failure is -EINVAL, or -EBUSY for a region whose leak could not
 * be recorded, and -EINVAL changed nothing).  At the end, after disarming
 * everything, giving every page back and a quiesce with ignore_delay, S2:
 * nothing pending, and no uniform region left split unless a leak, a lost
 * leak record, a foreign split or an injected "foreign" collapse refusal
 * justifies it.  Any failure abort()s, which
 * libFuzzer reports as a crash with the input saved.
 *
 * Input format (one step per opcode byte, arguments follow; a short input
 * reads zeros): see fz_step().
 */
#include <stdarg.h>
#include <linux/rmp_sync.h>
#include <linux/slab.h>
#include "../emu.h"

#define RP		RMP_SYNC_REGION_PAGES
#define FZ_REGIONS	8
#define FZ_FIRST	(RMP_SYNC_GB_PAGES - 4 * RP)	/* 4 regions each side of 1G */
#define FZ_CPUS		2
#define FZ_MAX_STEPS	192

struct fz {
	const u8 *data;
	size_t size, pos;
	struct emu_host *h;
	struct rmp_sync *rs;
	u64 clock_ms;
	unsigned int step;
	/* what the input did that may justify a region staying split */
	bool foreign[FZ_REGIONS];
	bool lost[FZ_REGIONS];
	bool collapse_armed;	/* a collapse result was ever injected */
	bool foreign_refusal;	/* ... and it was RMP_SYNC_COLLAPSE_FOREIGN */
	bool alloc_fired;	/* an allocation failure ever happened */
};

static int fz_verbose = -1;

static void __attribute__((noreturn, format(printf, 2, 3)))
fz_fail(struct fz *z, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_ops: step %u: ", z->step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static u8 fz_u8(struct fz *z)
{
	return z->pos < z->size ? z->data[z->pos++] : 0;
}

static u64 fz_u64(struct fz *z)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < 8; i++)
		v |= (u64)fz_u8(z) << (8 * i);
	return v;
}

static u64 fz_clock(void *priv)
{
	return READ_ONCE(((struct fz *)priv)->clock_ms);
}

static u64 fz_region_pfn(unsigned int i)
{
	return FZ_FIRST + (u64)i * RP;
}

static int fz_region_of(u64 pfn)
{
	if (pfn < FZ_FIRST || pfn >= FZ_FIRST + FZ_REGIONS * RP)
		return -1;
	return (pfn - FZ_FIRST) / RP;
}

/* A page of the working set: near the start of a region, or at its end. */
static u64 fz_pfn(struct fz *z)
{
	u8 a = fz_u8(z), b = fz_u8(z);
	u64 off = a & 0x80 ? RP - 1 - (b & 15) : (b >> 2) * 8 + (b & 3);

	return fz_region_pfn(a % FZ_REGIONS) + off;
}

static bool fz_assigned(struct fz *z, u64 pfn)
{
	struct rmp_sync_rmp_entry e;

	rmp_sync_swrmp_ops.lookup(emu_rmp(z->h), pfn, &e);
	return e.assigned;
}

/* ---- failure injection ------------------------------------------------ */

/* The failure points: the backends' four, then any allocation. */
#define FZ_ALLOC		4
#define FZ_NR_INJECTORS		5

static struct rmp_sync_fault_attr *fz_injector(struct fz *z, unsigned int i)
{
	switch (i) {
	case 0: return rmp_sync_swrmp_fault(emu_rmp(z->h), RMP_SYNC_SWRMP_UPDATE);
	case 1: return rmp_sync_swrmp_fault(emu_rmp(z->h), RMP_SYNC_SWRMP_PSMASH);
	case 2: return emu_fault(z->h, EMU_FAULT_SPLIT);
	case 3: return emu_fault(z->h, EMU_FAULT_COLLAPSE);
	default: return &kshim_alloc_fault;
	}
}

struct fz_calls {
	int calls[FZ_NR_INJECTORS];
};

static void fz_calls(struct fz *z, struct fz_calls *c)
{
	unsigned int i;

	for (i = 0; i < FZ_NR_INJECTORS; i++)
		c->calls[i] = atomic_read(&fz_injector(z, i)->calls);
}

/* Did an injected failure fire between the snapshots @a and @b? */
static bool fz_fired(struct fz *z, const struct fz_calls *a, const struct fz_calls *b)
{
	unsigned int i;

	for (i = 0; i < FZ_NR_INJECTORS; i++) {
		struct rmp_sync_fault_attr *f = fz_injector(z, i);
		int lo = max(a->calls[i] + 1, f->nth);
		int hi = min(b->calls[i], f->nth + f->times - 1);

		if (f->nth && lo <= hi) {
			z->alloc_fired |= i == FZ_ALLOC;
			return true;
		}
	}
	return false;
}

static void fz_disarm(struct fz *z)
{
	unsigned int i;

	for (i = 0; i < FZ_NR_INJECTORS; i++)
		rmp_sync_fault_arm(fz_injector(z, i), 0, 0, 0);
}

static const int fz_times[] = { 1, 2, 3, 63, 64, 65, 1000 };
static const int fz_rmp_errors[] = {
	RMP_SYNC_RMP_FAIL_INPUT, RMP_SYNC_RMP_FAIL_PERMISSION,
	RMP_SYNC_RMP_FAIL_INUSE, RMP_SYNC_RMP_FAIL_OVERLAP, 5, 99,
	-ENOMEM, -EIO, -EBUSY, -EINVAL, -ENODEV,
};
static const int fz_split_errors[] = { -ENOMEM, -EINVAL, -EIO, -EBUSY };
/*
 * Not RMP_SYNC_COLLAPSE_NOT_SPLIT: it is not a refusal but a statement that
 * the region is one leaf, which the core believes (it forgets the split).
 * Injected into a split region, it is a backend lying, not failing.
 */
static const int fz_collapse_results[] = {
	RMP_SYNC_COLLAPSE_LAYOUT,
	RMP_SYNC_COLLAPSE_ATTR, RMP_SYNC_COLLAPSE_FOREIGN,
	RMP_SYNC_COLLAPSE_NO_PSE, RMP_SYNC_COLLAPSE_NR_RESULTS, -EBUSY, -ENOMEM,
};

static void fz_arm(struct fz *z, unsigned int which)
{
	u8 a = fz_u8(z), b = fz_u8(z);
	int nth = 1 + a % 4, times = fz_times[(a >> 2) % ARRAY_SIZE(fz_times)];
	int err;

	switch (which) {
	case 0:
	case 1:
		err = fz_rmp_errors[b % ARRAY_SIZE(fz_rmp_errors)];
		break;
	case 2:
		err = fz_split_errors[b % ARRAY_SIZE(fz_split_errors)];
		break;
	default:
		err = fz_collapse_results[b % ARRAY_SIZE(fz_collapse_results)];
		z->collapse_armed = true;
		z->foreign_refusal |= err == RMP_SYNC_COLLAPSE_FOREIGN;
		break;
	}
	rmp_sync_fault_arm(fz_injector(z, which), nth, times, err);
}

/* ---- checks ------------------------------------------------------------ */

struct fz_snap {
	struct rmp_sync_stats st;
	struct rmp_sync_region_info info[FZ_REGIONS];
	unsigned int assigned[FZ_REGIONS];
	int level[FZ_REGIONS];
	u64 dm[3];
};

static void fz_snap(struct fz *z, struct fz_snap *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	rmp_sync_get_stats(z->rs, &s->st);
	for (i = 0; i < FZ_REGIONS; i++) {
		rmp_sync_region_info(z->rs, fz_region_pfn(i), &s->info[i]);
		s->assigned[i] = rmp_sync_swrmp_assigned(emu_rmp(z->h), fz_region_pfn(i));
		s->level[i] = emu_level(z->h, fz_region_pfn(i));
	}
	emu_directmap(z->h, &s->dm[0], &s->dm[1], &s->dm[2]);
}

/* S1 by writes: every hypervisor-owned page of region @i, every CPU. */
static void fz_write_region(struct fz *z, unsigned int i)
{
	u64 p, first = fz_region_pfn(i);
	unsigned int cpu;

	for (p = first; p < first + RP; p++) {
		if (fz_assigned(z, p))
			continue;
		for (cpu = 0; cpu < FZ_CPUS; cpu++) {
			int ret = emu_write(z->h, cpu, p);

			if (ret)
				fz_fail(z, "S1: write to hypervisor-owned PFN 0x%llx from cpu %u: %d",
					(unsigned long long)p, cpu, ret);
		}
	}
}

/*
 * S3 and S1 after a step.  @region: the one region the step could change,
 * recounted page by page (the counters are recounted from every word each
 * time); -1: a step that may have changed any, all are recounted.
 */
static void fz_check(struct fz *z, int region, int region2)
{
	unsigned int i;
	int ret;

	if (region < 0)
		ret = rmp_sync_check(z->rs, FZ_FIRST, FZ_REGIONS * RP, true);
	else
		ret = rmp_sync_check(z->rs, fz_region_pfn(region), RP, true);
	if (!ret && region2 >= 0 && region2 != region)
		ret = rmp_sync_check(z->rs, fz_region_pfn(region2), RP, false);
	if (ret)
		fz_fail(z, "S3: rmp_sync_check failed");
	if (emu_check(z->h))
		fz_fail(z, "S3: emulated page tables do not match their counters");
	for (i = 0; i < FZ_REGIONS; i++) {
		unsigned int n = rmp_sync_swrmp_assigned(emu_rmp(z->h), fz_region_pfn(i));

		if (n && n < RP && emu_level(z->h, fz_region_pfn(i)) != PG_LEVEL_4K)
			fz_fail(z, "S1: region %u mixed (%u assigned) and mapped large", i, n);
	}
}

/*
 * The result of one operation.  Without an injected failure, only a refusal
 * (-EINVAL, nothing changed) or -EBUSY for a region whose leak could not be
 * recorded may come back; with one, any errno, as long as the state checks.
 */
static void fz_result(struct fz *z, const char *what, int ret, bool fired,
		      const struct fz_snap *before)
{
	struct fz_snap after;

	if (ret > 0 || ret < -MAX_ERRNO)
		fz_fail(z, "%s returned %d", what, ret);
	if (!ret || fired)
		return;
	if (ret == -EBUSY && z->alloc_fired)
		return;
	if (ret != -EINVAL)
		fz_fail(z, "%s: %d without an injected failure", what, ret);
	fz_snap(z, &after);
	if (memcmp(before, &after, sizeof(after)))
		fz_fail(z, "%s: -EINVAL but the state changed", what);
}

/* ---- steps ------------------------------------------------------------- */

/* Raw calls with arguments straight from the input: hostile callers. */
static int fz_raw(struct fz *z, const char **what)
{
	u8 kind = fz_u8(z);
	u64 pfn = fz_u64(z), arg = fz_u64(z);
	struct rmp_sync_region_info info;

	if (kind & 0x80)	/* near the working set, to hit the edges */
		pfn = FZ_FIRST + (pfn % (FZ_REGIONS * RP + 2)) - 1;
	switch (kind % 7) {
	case 0:
		*what = "raw private";
		return rmp_sync_make_private(z->rs, pfn, arg, (int)(int8_t)(arg >> 56),
					     (u32)(arg >> 40) & 0xffff, arg & 1);
	case 1:
		*what = "raw shared";
		return rmp_sync_make_shared(z->rs, pfn, (int)(int8_t)arg);
	case 2:
		*what = "raw psmash";
		return rmp_sync_psmash(z->rs, pfn);
	case 3:
		*what = "raw leak";
		if ((u32)arg && pfn + (u32)arg > pfn &&
		    pfn + (u32)arg <= 2 * RMP_SYNC_GB_PAGES)
			return -EINVAL;		/* valid: a real leak is fz_step()'s */
		return rmp_sync_leak_pages(z->rs, pfn, (u32)arg);
	case 4:
		*what = "raw region_info";
		return rmp_sync_region_info(z->rs, pfn, &info);
	case 5:
		*what = "raw check";
		if (pfn < 2 * RMP_SYNC_GB_PAGES && arg && pfn + arg >= pfn &&
		    pfn + arg <= 2 * RMP_SYNC_GB_PAGES)
			return -EINVAL;		/* valid: a full recount, too slow */
		return rmp_sync_check(z->rs, pfn, arg, arg & 1);
	default:
		*what = "raw set_mode";
		if ((u32)arg < RMP_SYNC_NR_MODES)
			return -EINVAL;		/* valid modes are not fuzzed */
		return rmp_sync_set_mode(z->rs, (enum rmp_sync_mode)(u32)arg);
	}
}

static void fz_step(struct fz *z)
{
	u8 op = fz_u8(z);
	const char *what = "";
	struct fz_calls ca, cb;
	struct fz_snap before;
	int ret = 0, region = -1, region2 = -1;
	bool recount_all = false;
	u64 pfn;
	u8 a;

	fz_snap(z, &before);
	fz_calls(z, &ca);
	switch (op % 20) {
	case 0:
	case 1:
		pfn = fz_pfn(z);
		a = fz_u8(z);
		what = "private 4K";
		ret = rmp_sync_make_private(z->rs, pfn, (pfn & 0xffff) << PAGE_SHIFT,
					    PG_LEVEL_4K, a % 4, a & 4 && a & 8);
		region = fz_region_of(pfn);
		break;
	case 2:
	case 3:
		pfn = fz_pfn(z);
		what = "shared 4K";
		ret = rmp_sync_make_shared(z->rs, pfn, PG_LEVEL_4K);
		region = fz_region_of(pfn);
		break;
	case 4:
		region = fz_u8(z) % FZ_REGIONS;
		what = "private 2M";
		ret = rmp_sync_make_private(z->rs, fz_region_pfn(region), 0,
					    PG_LEVEL_2M, 1, false);
		break;
	case 5:
		region = fz_u8(z) % FZ_REGIONS;
		what = "shared 2M";
		ret = rmp_sync_make_shared(z->rs, fz_region_pfn(region), PG_LEVEL_2M);
		break;
	case 6:
		region = fz_u8(z) % FZ_REGIONS;
		what = "psmash";
		ret = rmp_sync_psmash(z->rs, fz_region_pfn(region));
		break;
	case 7: {
		unsigned int n = 1 + fz_u8(z) % 4;
		int r2;

		pfn = fz_pfn(z);
		what = "leak";
		ret = rmp_sync_leak_pages(z->rs, pfn, n);
		region = fz_region_of(pfn);
		r2 = fz_region_of(pfn + n - 1);
		region2 = r2;
		if (ret == -ENOMEM) {
			/* the region(s) of the page not recorded are refused */
			z->lost[region] = true;
			if (r2 >= 0)
				z->lost[r2] = true;
		}
		break;
	}
	case 8: {
		unsigned int cpu = fz_u8(z) % FZ_CPUS;

		pfn = fz_pfn(z);
		if (!fz_assigned(z, pfn) && emu_write(z->h, cpu, pfn))
			fz_fail(z, "S1: write to PFN 0x%llx from cpu %u faulted",
				(unsigned long long)pfn, cpu);
		break;
	}
	case 9:
		a = fz_u8(z);
		what = "recover";
		ret = rmp_sync_recover(z->rs, 1 + a % 8, a & 0x80, NULL);
		recount_all = true;
		if (ret > 0)
			ret = 0;
		break;
	case 10:
		z->clock_ms += (u64)fz_u8(z) * 4;
		break;
	case 11:
	case 12:
	case 13:
	case 14:
		fz_arm(z, op % 20 - 11);
		break;
	case 15:
		rmp_sync_fault_arm(&kshim_alloc_fault, 1 + fz_u8(z) % 4, 1, -ENOMEM);
		break;
	case 16:
		fz_disarm(z);
		break;
	case 17:
		/* another kernel user splits a page to 4K on purpose */
		pfn = fz_pfn(z);
		what = "set_memory_4k";
		ret = emu_set_memory_4k(z->h, pfn);
		/* even a failed one may have split the 1G leaf on the way */
		z->foreign[fz_region_of(pfn)] = true;
		if (ret == -ENOMEM)
			ret = 0;	/* the emulator's own allocation failed */
		region = fz_region_of(pfn);
		break;
	case 18:
		ret = fz_raw(z, &what);
		recount_all = true;	/* it may have hit any region */
		break;
	default:
		region = fz_u8(z) % FZ_REGIONS;
		break;
	}
	fz_calls(z, &cb);
	fz_result(z, what, ret, fz_fired(z, &ca, &cb), &before);
	fz_check(z, recount_all ? -1 : region, region2);
	if (region >= 0)
		fz_write_region(z, region);
}

/*
 * S2: with every failure disarmed, give everything back, re-queue regions
 * an injected collapse refusal parked (their next transition does that),
 * recover until nothing is left, and require that only leaks, lost leak
 * records and foreign splits keep a uniform region split.
 */
static void fz_quiesce(struct fz *z)
{
	struct rmp_sync_stats st;
	unsigned int i;

	fz_disarm(z);
	for (i = 0; i < FZ_REGIONS; i++) {
		long bad = rmp_sync_swrmp_quiesce(emu_rmp(z->h), z->rs, fz_region_pfn(i), RP);

		if (bad)
			fz_fail(z, "S2: region %u after the quiesce: %ld", i, bad);
	}
	fz_check(z, -1, -1);
	rmp_sync_get_stats(z->rs, &st);
	if (st.regions_pending)
		fz_fail(z, "S2: %llu regions pending after the quiesce",
			(unsigned long long)st.regions_pending);
	for (i = 0; i < FZ_REGIONS; i++) {
		u64 first = fz_region_pfn(i);
		unsigned int n = rmp_sync_swrmp_assigned(emu_rmp(z->h), first);
		struct rmp_sync_region_info info;

		rmp_sync_region_info(z->rs, first, &info);
		if (n && n < RP)
			continue;	/* mixed (immutable or leaked pages) */
		/* an injected "foreign" refusal hands the split over for good */
		if (z->foreign_refusal && info.split && !info.ours)
			continue;
		if (emu_level(z->h, first) == PG_LEVEL_4K && !info.leaked &&
		    !z->foreign[i] && !z->lost[i])
			fz_fail(z, "S2: region %u uniform (%u assigned) and still 4K, split %d ours %d",
				i, n, info.split, info.ours);
	}
	/* 1G: a range nothing justifies keeping split is one leaf again */
	for (i = 0; i < 2; i++) {
		u64 gb = i * RMP_SYNC_GB_PAGES;
		bool clean = !z->collapse_armed;
		unsigned int r;

		for (r = 0; r < FZ_REGIONS; r++)
			if (fz_region_pfn(r) / RMP_SYNC_GB_PAGES == i &&
			    (emu_level(z->h, fz_region_pfn(r)) == PG_LEVEL_4K ||
			     z->foreign[r]))
				clean = false;
		if (clean && emu_level(z->h, gb) != PG_LEVEL_1G)
			fz_fail(z, "S2: 1G range %u clean but mapped at level %d", i,
				emu_level(z->h, gb));
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	rcu_register_thread();
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct emu_config ec = { .mem_bytes = 2ULL << 30, .nr_cpus = FZ_CPUS,
				 .pse = true, .gbpages = true };
	struct rmp_sync_config cfg = {
		.clock_ms = fz_clock,
		.mode = RMP_SYNC_MODE_DEFERRED,
		.collapse_delay_millisecs = 100,
		.defrag_1g = true,
	};
	struct fz z = { .data = data, .size = size };
	unsigned long splats = kshim_splats;
	struct emu_instance in;

	if (fz_verbose < 0)
		fz_verbose = !!getenv("FUZZ_VERBOSE");
	kshim_verbose = fz_verbose;
	rmp_sync_fault_arm(&kshim_alloc_fault, 0, 0, 0);
	cfg.clock_priv = &z;
	if (emu_instance_create(&in, &ec, &cfg))
		abort();
	z.h = in.h;
	z.rs = in.rs;

	for (z.step = 0; z.pos < z.size && z.step < FZ_MAX_STEPS; z.step++)
		fz_step(&z);
	fz_quiesce(&z);
	if (kshim_splats != splats)
		fz_fail(&z, "%lu WARNING splat(s)", kshim_splats - splats);

	emu_instance_destroy(&in);
	return 0;
}
