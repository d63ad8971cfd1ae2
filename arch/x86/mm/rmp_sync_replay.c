// SPDX-License-Identifier: GPL-2.0
/*
 * The replay engine of rmp_sync_replay.h, shared by the simulator, the
 * benchmark and the kernel's software-SNP debug host.
 *
 * The trace format, one operation per line, '#' starting a comment,
 * numbers decimal or 0x-hex:
 *
 *   private PFN 4k|2m [asid=N] [gpa=ADDR] [immutable]
 *   shared  PFN 4k|2m
 *   psmash  PFN                                 2M-aligned PFN
 *   leak    PFN [NPAGES]
 *   write   PFN
 *   tick    MS
 *   quiesce
 *
 * Whatever can be decided without replaying is refused by the parser (a
 * PFN outside the replay's memory, an unaligned 2M PFN or GPA, an ASID or
 * GPA beyond the RMP's fields), so that a bad trace never half-runs; what
 * only the RMP state decides is left to the replay, which counts it.
 *
 * The clock is the engine's: "tick MS" runs the background passes that
 * fall due within it, each at its own time, as khugepaged or the fallback
 * work would run them, and the results are the same on every host.  The
 * host's boot layout is assumed to map each whole 1G range of the replay's
 * pages with a 1G leaf and the rest with 2M leaves.
 */
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/rmp_sync.h>

#include "rmp_sync_replay.h"

#define RP		RMP_SYNC_REGION_PAGES

const char *const rsr_op_names[RSR_NR_OPS] = {
	[RSR_OP_PRIVATE] = "private", [RSR_OP_SHARED] = "shared",
	[RSR_OP_PSMASH] = "psmash", [RSR_OP_LEAK] = "leak",
	[RSR_OP_WRITE] = "write", [RSR_OP_TICK] = "tick",
	[RSR_OP_QUIESCE] = "quiesce",
};

const char *const rsr_policy_names[RSR_NR_POLICIES] = {
	[RSR_NONE] = "none", [RSR_UPSTREAM] = "upstream",
	[RSR_EAGER] = "eager", [RSR_RMP_SYNC] = "rmp_sync",
};

/* The "rmp_sync" policy is the core's deferred mode. */
const enum rmp_sync_mode rsr_policy_mode[RSR_NR_POLICIES] = {
	[RSR_NONE]	= RMP_SYNC_MODE_NONE,
	[RSR_UPSTREAM]	= RMP_SYNC_MODE_UPSTREAM,
	[RSR_EAGER]	= RMP_SYNC_MODE_EAGER,
	[RSR_RMP_SYNC]	= RMP_SYNC_MODE_DEFERRED,
};

/**
 * rsr_policy_find() - a policy by name.
 * @name: "none", "upstream", "eager" or "rmp_sync".
 *
 * Return: the enum rsr_policy, or -EINVAL.
 */
int rsr_policy_find(const char *name)
{
	int i;

	for (i = 0; i < RSR_NR_POLICIES; i++)
		if (!strcmp(name, rsr_policy_names[i]))
			return i;
	return -EINVAL;
}

/* ---- parsing ----------------------------------------------------------- */

static int rsr_digit(char c, unsigned int base)
{
	unsigned int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		d = (c | 0x20) - 'a' + 10;
	else
		return -1;
	return d < base ? (int)d : -1;
}

/**
 * rsr_parse_u64() - a whole token: decimal or 0x-hex, no sign, no blanks.
 * @s: the token.
 * @val: the number.
 *
 * Return: 0, -EINVAL (not a number) or -ERANGE (beyond 64 bits).
 */
int rsr_parse_u64(const char *s, u64 *val)
{
	unsigned int base = 10;
	u64 v = 0;
	int d;

	if (s[0] == '0' && (s[1] | 0x20) == 'x') {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		d = rsr_digit(*s, base);
		if (d < 0)
			return -EINVAL;
		if (v > (U64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*val = v;
	return 0;
}

/**
 * rsr_parse_size() - a size: a number with an optional binary suffix K, M,
 *	G or T (any case; "B" or "iB" may follow it).
 * @s: the token.
 * @bytes: the size.
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int rsr_parse_size(const char *s, u64 *bytes)
{
	static const char units[] = "kmgt";
	unsigned int shift = 0, base = 10;
	const char *u, *p;
	char num[24];
	size_t i = 0;
	u64 v;
	int ret;

	if (s[0] == '0' && (s[1] | 0x20) == 'x') {
		base = 16;
		i = 2;
	}
	while (s[i] && rsr_digit(s[i], base) >= 0)
		i++;
	if (i >= sizeof(num))
		return -ERANGE;
	memcpy(num, s, i);
	num[i] = '\0';
	u = s + i;
	if (*u) {
		p = strchr(units, *u | 0x20);
		if (!p || !*p)
			return -EINVAL;
		shift = 10 * (unsigned int)(p - units + 1);
		u++;
		if ((*u | 0x20) == 'i')
			u++;
		if ((*u | 0x20) == 'b')
			u++;
		if (*u)
			return -EINVAL;
	}
	ret = rsr_parse_u64(num, &v);
	if (ret)
		return ret;
	if (shift && v > (U64_MAX >> shift))
		return -ERANGE;
	*bytes = v << shift;
	return 0;
}

static bool rsr_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/**
 * rsr_tokenize() - split one line into fields, in place.
 * @line: the line; a '#' ends it; cut into NUL-terminated fields.
 * @tok: room for RSR_MAX_TOKENS + 1 pointers; NULL after the last field.
 *
 * Return: the number of fields (0 for a blank line), or -E2BIG.
 */
int rsr_tokenize(char *line, char **tok)
{
	int n = 0;
	char *s = line;

	for (;;) {
		while (rsr_blank(*s))
			s++;
		if (!*s || *s == '#')
			break;
		if (n == RSR_MAX_TOKENS)
			return -E2BIG;
		tok[n++] = s;
		while (*s && !rsr_blank(*s) && *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			break;
		}
		if (*s)
			*s++ = '\0';
	}
	tok[n] = NULL;
	return n;
}

/* Format @why, return -EINVAL. */
static __printf(3, 4) int rsr_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int rsr_parse_num(const char *what, const char *tok, u64 *val,
			 char *why, size_t len)
{
	if (!tok)
		return rsr_why(why, len, "missing %s", what);
	switch (rsr_parse_u64(tok, val)) {
	case 0:
		return 0;
	case -ERANGE:
		return rsr_why(why, len, "%s '%s' out of range", what, tok);
	default:
		return rsr_why(why, len, "bad %s '%s' (decimal or 0x-hex)", what, tok);
	}
}

static int rsr_parse_pfn(const char *tok, u64 nr_pages, u64 *pfn,
			 char *why, size_t len)
{
	if (rsr_parse_num("PFN", tok, pfn, why, len))
		return -EINVAL;
	if (*pfn >= nr_pages)
		return rsr_why(why, len, "PFN 0x%llx outside mem (%llu pages)",
			       (unsigned long long)*pfn, (unsigned long long)nr_pages);
	return 0;
}

static int rsr_parse_level(const char *tok, struct rsr_op *op, char *why,
			   size_t len)
{
	if (!tok)
		return rsr_why(why, len, "missing page size (4k or 2m)");
	if (!strcasecmp(tok, "4k")) {
		op->level = PG_LEVEL_4K;
		return 0;
	}
	if (strcasecmp(tok, "2m"))
		return rsr_why(why, len, "bad page size '%s' (4k or 2m)", tok);
	if (!IS_ALIGNED(op->arg, RP))
		return rsr_why(why, len, "2m needs a 512-aligned PFN, not 0x%llx",
			       (unsigned long long)op->arg);
	op->level = PG_LEVEL_2M;
	return 0;
}

/* The options of "private": asid=N, gpa=ADDR, immutable; each once. */
static int rsr_parse_private_opts(char **tok, struct rsr_op *op, char *why,
				  size_t len)
{
	bool asid = false, gpa = false;
	u64 v;

	op->n = RSR_PRIVATE_ASID;
	/* Default GPA: the PFN's own address, aligned like the PFN. */
	op->gpa = op->arg << PAGE_SHIFT;
	for (; *tok; tok++) {
		if (!strncmp(*tok, "asid=", 5) && !asid) {
			if (rsr_parse_num("ASID", *tok + 5, &v, why, len))
				return -EINVAL;
			if (v >= RMP_SYNC_ASID_LIMIT)
				return rsr_why(why, len, "ASID %llu out of range (0..%u)",
					       (unsigned long long)v,
					       RMP_SYNC_ASID_LIMIT - 1);
			op->n = v;
			asid = true;
		} else if (!strncmp(*tok, "gpa=", 4) && !gpa) {
			if (rsr_parse_num("GPA", *tok + 4, &v, why, len))
				return -EINVAL;
			if (v >= RMP_SYNC_GPA_LIMIT)
				return rsr_why(why, len, "GPA 0x%llx beyond the RMP's GPA field",
					       (unsigned long long)v);
			op->gpa = v;
			gpa = true;
		} else if (!strcmp(*tok, "immutable") &&
			   !(op->flags & RSR_OP_IMMUTABLE)) {
			op->flags |= RSR_OP_IMMUTABLE;
		} else {
			return rsr_why(why, len, "unexpected '%s'", *tok);
		}
	}
	if (!IS_ALIGNED(op->gpa, (op->level == PG_LEVEL_2M ? RP : 1ULL) << PAGE_SHIFT))
		return rsr_why(why, len, "GPA 0x%llx not aligned to the page size",
			       (unsigned long long)op->gpa);
	return 0;
}

/**
 * rsr_parse_op() - one operation from its fields.
 * @tok: the fields (rsr_tokenize()), at least one.
 * @nr_pages: pages the replay covers: PFNs must lie below.
 * @op: filled in; @op->line is left to the caller.
 * @why: the reason, on failure.
 * @len: size of @why.
 *
 * Return: 0, or -EINVAL with @why set.
 */
int rsr_parse_op(char **tok, u64 nr_pages, struct rsr_op *op, char *why,
		 size_t len)
{
	const char *cmd = tok[0];
	unsigned int want = 2;	/* fields, the operation included */
	u32 line = op->line;
	u64 v;

	memset(op, 0, sizeof(*op));
	op->line = line;
	if (!strcmp(cmd, "private")) {
		op->kind = RSR_OP_PRIVATE;
		if (rsr_parse_pfn(tok[1], nr_pages, &op->arg, why, len) ||
		    rsr_parse_level(tok[2], op, why, len))
			return -EINVAL;
		return rsr_parse_private_opts(tok + 3, op, why, len);
	} else if (!strcmp(cmd, "shared")) {
		op->kind = RSR_OP_SHARED;
		if (rsr_parse_pfn(tok[1], nr_pages, &op->arg, why, len) ||
		    rsr_parse_level(tok[2], op, why, len))
			return -EINVAL;
		want = 3;
	} else if (!strcmp(cmd, "psmash")) {
		op->kind = RSR_OP_PSMASH;
		if (rsr_parse_pfn(tok[1], nr_pages, &op->arg, why, len))
			return -EINVAL;
		if (!IS_ALIGNED(op->arg, RP))
			return rsr_why(why, len, "psmash needs a 512-aligned PFN, not 0x%llx",
				       (unsigned long long)op->arg);
	} else if (!strcmp(cmd, "leak")) {
		op->kind = RSR_OP_LEAK;
		if (rsr_parse_pfn(tok[1], nr_pages, &op->arg, why, len))
			return -EINVAL;
		v = 1;
		if (tok[2]) {
			if (rsr_parse_num("NPAGES", tok[2], &v, why, len))
				return -EINVAL;
			want = 3;
		}
		if (!v || v > UINT_MAX)
			return rsr_why(why, len, "NPAGES %llu out of range",
				       (unsigned long long)v);
		if (v > nr_pages - op->arg)
			return rsr_why(why, len, "leak of %llu pages at PFN 0x%llx runs past mem",
				       (unsigned long long)v, (unsigned long long)op->arg);
		op->n = v;
	} else if (!strcmp(cmd, "write")) {
		op->kind = RSR_OP_WRITE;
		if (rsr_parse_pfn(tok[1], nr_pages, &op->arg, why, len))
			return -EINVAL;
	} else if (!strcmp(cmd, "tick")) {
		op->kind = RSR_OP_TICK;
		if (rsr_parse_num("MS", tok[1], &op->arg, why, len))
			return -EINVAL;
		if (op->arg > RSR_MAX_TICK_MS)
			return rsr_why(why, len, "tick %llu ms too long",
				       (unsigned long long)op->arg);
	} else if (!strcmp(cmd, "quiesce")) {
		op->kind = RSR_OP_QUIESCE;
		want = 1;
	} else if (!strcmp(cmd, "mem")) {
		return rsr_why(why, len,
			       "mem after the first operation (only the first line may set mem)");
	} else {
		return rsr_why(why, len, "unknown operation '%s'", cmd);
	}
	if (tok[want])
		return rsr_why(why, len, "unexpected '%s'", tok[want]);
	return 0;
}

/* ---- the replay -------------------------------------------------------- */

#define RSR_BAD		BIT(0)	/* mixed, or holds leaked pages */
#define RSR_SU		BIT(1)	/* mapped 4K, every page the hypervisor's */
#define RSR_LISTED	BIT(2)	/* in su_list */
#define RSR_MIXED	BIT(3)	/* mixed: counted in nr_mixed_now */

/**
 * rsr_clock() - the instance's clock_ms(): the engine's clock.
 * @run: the struct rsr_run.
 *
 * Return: milliseconds since the replay began.
 */
u64 rsr_clock(void *run)
{
	return ((struct rsr_run *)run)->now_ms;
}

/**
 * rsr_kick() - the instance's kick(): a candidate was queued.
 * @run: the struct rsr_run.
 *
 * As the kernel's runner: a kick makes a pass due now.
 */
void rsr_kick(void *run)
{
	struct rsr_run *r = run;

	if (r->idle || r->next_pass_ms > r->now_ms) {
		r->idle = false;
		r->next_pass_ms = r->now_ms;
	}
}

/* Boot level of 1G range @gb: see the top of this file. */
static int rsr_boot_level(const struct rsr_run *run, u64 gb)
{
	return (gb + 1) * RMP_SYNC_GB_PAGES <= run->nr_pages ? PG_LEVEL_1G :
							       PG_LEVEL_2M;
}

/* 1G range @gb: mapped below 1G though it booted 1G and holds no bad region. */
static void rsr_gb_recheck(struct rsr_run *run, u64 gb)
{
	bool blocked = false;

	if (rsr_boot_level(run, gb) == PG_LEVEL_1G && !run->gb_bad[gb])
		blocked = run->ops->level(run->host, gb * RMP_SYNC_GB_PAGES) <
			  PG_LEVEL_1G;
	if (blocked != !!run->gb_state[gb]) {
		run->gb_state[gb] = blocked;
		if (blocked)
			run->nr_gb_blocked++;
		else
			run->nr_gb_blocked--;
	}
}

/* Region @region after something may have changed it. */
static void rsr_region_recheck(struct rsr_run *run, u64 region)
{
	struct rmp_sync_region_info info = {};
	u8 *st = &run->rstate[region];
	bool mixed, bad, su;

	rmp_sync_region_info(run->rs, region * RP, &info);
	/*
	 * The core's regions_mixed counts the same words: only an operation
	 * on a region (a transition, a PSMASH, a leak) changes its assigned
	 * count, and the engine rechecks every region an operation touched.
	 */
	mixed = info.assigned && info.assigned < RP;
	bad = info.leaked || mixed;
	su = !info.assigned && !info.leaked &&
	     run->ops->level(run->host, region * RP) == PG_LEVEL_4K;
	if (mixed != !!(*st & RSR_MIXED)) {
		*st ^= RSR_MIXED;
		if (mixed)
			run->nr_mixed_now++;
		else
			run->nr_mixed_now--;
	}
	if (bad != !!(*st & RSR_BAD)) {
		*st ^= RSR_BAD;
		if (bad)
			run->gb_bad[region / RMP_SYNC_GB_REGIONS]++;
		else
			run->gb_bad[region / RMP_SYNC_GB_REGIONS]--;
	}
	if (su != !!(*st & RSR_SU)) {
		*st ^= RSR_SU;
		if (su)
			run->nr_su_now++;
		else
			run->nr_su_now--;
	}
	if (su && !(*st & RSR_LISTED)) {
		*st |= RSR_LISTED;
		run->su_list[run->nr_su++] = region;
	}
	rsr_gb_recheck(run, region / RMP_SYNC_GB_REGIONS);
}

/* The regions an operation touched. */
static void rsr_op_recheck(struct rsr_run *run, const struct rsr_op *op)
{
	u64 first = op->arg / RP, last = first, region;

	if (op->kind == RSR_OP_LEAK)
		last = (op->arg + op->n - 1) / RP;
	for (region = first; region <= last; region++)
		rsr_region_recheck(run, region);
}

/* After a pass collapsed something: every listed region and 1G range. */
static void rsr_recheck_all(struct rsr_run *run)
{
	u64 nr = run->nr_pages / RP, gb;
	size_t i, j = 0;

	for (i = 0; i < run->nr_su; i++)
		rsr_region_recheck(run, run->su_list[i]);
	for (i = 0; i < run->nr_su; i++) {
		u64 region = run->su_list[i];

		if (run->rstate[region] & RSR_SU)
			run->su_list[j++] = region;
		else
			run->rstate[region] &= ~RSR_LISTED;
	}
	run->nr_su = j;
	for (gb = 0; gb * RMP_SYNC_GB_REGIONS < nr; gb++)
		rsr_gb_recheck(run, gb);
}

/*
 * Global flushes, any cause, per clock second: @newsec when the clock is
 * about to leave the current second.
 */
static void rsr_flush_second(struct rsr_run *run, bool newsec)
{
	u64 fl = run->ops->flushes(run->host);

	run->r.max_flushes_any_1s = max(run->r.max_flushes_any_1s, fl - run->fl_base);
	if (newsec)
		run->fl_base = fl;
}

/**
 * rsr_state() - regions mixed and split now.
 * @run: the replay.
 * @mixed: regions_mixed of the instance, as the engine counts it.
 * @split: the host's split_regions, or the page tables' own word: 4K
 *	leaves over 512.
 *
 * Called on every clock advance and, while the clock is 0, after every
 * operation: it reads only counts kept as the replay goes (rsr_finish()
 * checks them against the core's counters and the host's walk) unless
 * the host has no split_regions.
 */
void rsr_state(struct rsr_run *run, u64 *mixed, u64 *split)
{
	u64 p4k, p2m, p1g;

	*mixed = run->nr_mixed_now;
	if (run->ops->split_regions) {
		*split = run->ops->split_regions(run->host);
		return;
	}
	run->ops->directmap(run->host, &p4k, &p2m, &p1g);
	*split = p4k / RP;
}

/*
 * Move the clock to @to_ms: the state since the last change held over
 * [now, to), which goes into the time integrals.
 */
static void rsr_advance(struct rsr_run *run, u64 to_ms)
{
	u64 mixed, split, dt;

	if (to_ms <= run->now_ms)
		return;
	dt = to_ms - run->now_ms;
	rsr_state(run, &mixed, &split);
	run->sum_mixed += dt * mixed;
	run->sum_split += dt * split;
	run->sum_su += dt * run->nr_su_now;
	run->sum_gb += dt * run->nr_gb_blocked;
	rsr_flush_second(run, to_ms / 1000 != run->now_ms / 1000);
	if (run->ops->advance)
		run->ops->advance(run->host, to_ms);
	run->now_ms = to_ms;
}

/*
 * "tick MS": each pass due within it runs at its own time; the pass says
 * how long to sleep, or that it is idle until the next kick.  The flushes
 * of every clock second are counted for S5.
 */
static void rsr_tick(struct rsr_run *run, u64 ms)
{
	u64 target = run->now_ms + ms;

	while (run->recovery && !run->idle && run->next_pass_ms <= target) {
		struct rmp_sync_pass pass = {};
		unsigned int sleep_ms;

		rsr_advance(run, run->next_pass_ms);
		sleep_ms = run->ops->pass(run->host, &pass);
		if (pass.collapsed_2m || pass.collapsed_1g)
			rsr_recheck_all(run);
		rsr_flush_second(run, false);
		if (run->flush_second != run->now_ms / 1000) {
			run->flush_second = run->now_ms / 1000;
			run->flushes_1s = 0;
		}
		run->flushes_1s += pass.flushes;
		run->r.max_flushes_1s = max(run->r.max_flushes_1s, run->flushes_1s);
		if (sleep_ms == RMP_SYNC_IDLE) {
			run->idle = true;
			break;
		}
		run->next_pass_ms = run->now_ms + sleep_ms;
	}
	rsr_advance(run, target);
}

static void rsr_quiesce(struct rsr_run *run)
{
	if (run->ops->quiesce)
		run->ops->quiesce(run->host);
	else
		while (rmp_sync_recover(run->rs,
					rmp_sync_get_knob(run->rs,
							  RMP_SYNC_KNOB_REGIONS_TO_SCAN),
					true, NULL) > 0)
			;
	rsr_recheck_all(run);
}

/**
 * rsr_apply() - apply one operation.
 * @run: the replay.
 * @op: the operation.
 * @index: its position in the replay (picks the writing CPU).
 *
 * Return: 0, or 1 if the instance refused it (counted as rejected).
 */
int rsr_apply(struct rsr_run *run, const struct rsr_op *op, u64 index)
{
	struct rsr_result *r = &run->r;
	int ret = 0;

	run->started = true;
	r->ops++;
	switch (op->kind) {
	case RSR_OP_PRIVATE:
		ret = rmp_sync_make_private(run->rs, op->arg, op->gpa, op->level,
					    op->n, op->flags & RSR_OP_IMMUTABLE);
		break;
	case RSR_OP_SHARED:
		ret = rmp_sync_make_shared(run->rs, op->arg, op->level);
		break;
	case RSR_OP_PSMASH:
		ret = rmp_sync_psmash(run->rs, op->arg);
		break;
	case RSR_OP_LEAK:
		ret = rmp_sync_leak_pages(run->rs, op->arg, op->n);
		break;
	case RSR_OP_WRITE: {
		/* Who owns the page decides what a fault means. */
		bool assigned = run->ops->assigned(run->host, op->arg);
		int w = run->ops->write(run->host, index % 2, op->arg);

		if (assigned)
			r->writes_assigned++;
		else if (w == -EFAULT)
			r->collateral++;
		break;
	}
	case RSR_OP_TICK:
		rsr_tick(run, op->arg);
		break;
	case RSR_OP_QUIESCE:
		rsr_quiesce(run);
		break;
	}
	if (op->kind <= RSR_OP_LEAK)
		rsr_op_recheck(run, op);
	if (op->kind != RSR_OP_TICK)
		rsr_flush_second(run, false);
	if (!run->now_ms) {
		u64 mixed, split;

		rsr_state(run, &mixed, &split);
		run->op_mixed += mixed;
		run->op_split += split;
		run->op_su += run->nr_su_now;
		run->op_gb += run->nr_gb_blocked;
	}
	if (!ret)
		return 0;
	r->rejected++;
	if (run->ops->rejected)
		run->ops->rejected(run->host, op, ret);
	return 1;
}

/**
 * rsr_set_knob() - set a knob of the replay's instance.
 * @run: the replay.
 * @knob: which.
 * @val: the value.
 *
 * Before the first operation this is the replay's configuration, as the
 * simulator's --set, where "enabled" only decides for the rmp_sync policy;
 * later it is a sysfs write, which kicks the runner when the knob can make
 * a pass due earlier.
 *
 * Return: 0 or -EINVAL (out of range; nothing changed).
 */
int rsr_set_knob(struct rsr_run *run, enum rmp_sync_knob knob, unsigned int val)
{
	int ret;

	if (!run->started && knob == RMP_SYNC_KNOB_ENABLED &&
	    run->policy != RSR_RMP_SYNC)
		return 0;
	ret = rmp_sync_set_knob(run->rs, knob, val);

	if (!ret && run->started && knob != RMP_SYNC_KNOB_COLLAPSE_PRIVATE &&
	    knob != RMP_SYNC_KNOB_ENABLED)
		rsr_kick(run);
	return ret;
}

/**
 * rsr_run_init() - prepare a replay over @nr_pages pages.
 * @run: zeroed and set up.
 * @nr_pages: pages the instance covers, a multiple of 512.
 * @policy: what the instance's mode will be.
 * @ops: the host.
 * @host: argument of @ops.
 *
 * Return: 0 or -ENOMEM.
 */
int rsr_run_init(struct rsr_run *run, u64 nr_pages, enum rsr_policy policy,
		 const struct rsr_host_ops *ops, void *host)
{
	u64 nr = nr_pages / RP, nr_gb = nr_pages / RMP_SYNC_GB_PAGES + 1;

	memset(run, 0, sizeof(*run));
	run->ops = ops;
	run->host = host;
	run->nr_pages = nr_pages;
	run->policy = policy;
	run->rstate = kvcalloc(nr, 1, GFP_KERNEL);
	run->su_list = kvcalloc(nr, sizeof(*run->su_list), GFP_KERNEL);
	run->gb_bad = kvcalloc(nr_gb, sizeof(*run->gb_bad), GFP_KERNEL);
	run->gb_state = kvcalloc(nr_gb, 1, GFP_KERNEL);
	if (!run->rstate || !run->su_list || !run->gb_bad || !run->gb_state) {
		rsr_run_free(run);
		return -ENOMEM;
	}
	return 0;
}

/**
 * rsr_run_start() - the instance exists: the replay can begin.
 * @run: from rsr_run_init().
 * @rs: the instance, made with rsr_clock() and rsr_kick() on @run and the
 *	mode of the run's policy.
 */
void rsr_run_start(struct rsr_run *run, struct rmp_sync *rs)
{
	run->rs = rs;
	run->recovery = rmp_sync_get_mode(rs) == RMP_SYNC_MODE_DEFERRED;
	run->idle = true;	/* nothing queued yet: the first kick wakes it */
	run->r.state_bytes_start = rmp_sync_state_bytes(rs);
	run->fl_base = run->ops->flushes(run->host);
}

/**
 * rsr_run_free() - free what rsr_run_init() allocated.
 * @run: the replay; its instance is the caller's.
 */
void rsr_run_free(struct rsr_run *run)
{
	kvfree(run->rstate);
	kvfree(run->su_list);
	kvfree(run->gb_bad);
	kvfree(run->gb_state);
	run->rstate = NULL;
	run->su_list = NULL;
	run->gb_bad = NULL;
	run->gb_state = NULL;
}

/*
 * How far the direct map is from the boot layout, with and without the
 * allowance pages still assigned need: a region holding leaked pages, or
 * pages never given back, may stay 4K (it may be mixed forever), so the
 * other regions of its 1G range may be 2M leaves instead of one 1G leaf,
 * but not 4K.
 */
static void rsr_layout(struct rsr_run *run)
{
	u64 nr = run->nr_pages / RP, gb, region;
	struct rsr_result *r = &run->r;

	r->leaked_regions = 0;
	r->off_boot = 0;
	r->off_boot_leaks = 0;
	for (gb = 0; gb * RMP_SYNC_GB_REGIONS < nr; gb++) {
		u64 first = gb * RMP_SYNC_GB_REGIONS;
		u64 last = min(nr, first + RMP_SYNC_GB_REGIONS);
		int boot = rsr_boot_level(run, gb);
		bool held = false;

		for (region = first; region < last; region++) {
			struct rmp_sync_region_info info;

			if (rmp_sync_region_info(run->rs, region * RP, &info))
				continue;
			if (info.leaked)
				r->leaked_regions++;
			if (info.leaked || info.assigned)
				held = true;
		}
		for (region = first; region < last; region++) {
			struct rmp_sync_region_info info = {};
			int level = run->ops->level(run->host, region * RP);

			rmp_sync_region_info(run->rs, region * RP, &info);
			r->off_boot += level != boot;
			if (!held)
				r->off_boot_leaks += level != boot;
			else if (!info.leaked && !info.assigned)
				r->off_boot_leaks += level < PG_LEVEL_2M;
		}
	}
}

static u64 rsr_avg_milli(u64 sum, u64 over)
{
	return over ? (sum * RSR_MILLI + over / 2) / over : 0;
}

/**
 * rsr_finish() - the replay is over: fill @run->r.
 * @run: the replay.
 *
 * @run->r.check is a mask of RSR_CHECK_* bits, 0 when every check passed.
 */
void rsr_finish(struct rsr_run *run)
{
	struct rsr_result *r = &run->r;
	u64 over = run->now_ms ? run->now_ms : r->ops;
	int k;

	if (run->now_ms) {
		r->avg_mixed_milli = rsr_avg_milli(run->sum_mixed, over);
		r->avg_split_milli = rsr_avg_milli(run->sum_split, over);
		r->avg_split_unassigned_milli = rsr_avg_milli(run->sum_su, over);
		r->avg_gb_blocked_milli = rsr_avg_milli(run->sum_gb, over);
	} else {
		r->avg_mixed_milli = rsr_avg_milli(run->op_mixed, over);
		r->avg_split_milli = rsr_avg_milli(run->op_split, over);
		r->avg_split_unassigned_milli = rsr_avg_milli(run->op_su, over);
		r->avg_gb_blocked_milli = rsr_avg_milli(run->op_gb, over);
	}
	rsr_flush_second(run, false);
	r->duration_ms = run->now_ms;
	r->split_unassigned_now = run->nr_su_now;
	r->gb_blocked_now = run->nr_gb_blocked;
	rmp_sync_get_stats(run->rs, &r->st);
	r->flushes = run->ops->flushes(run->host);
	r->state_bytes_end = rmp_sync_state_bytes(run->rs);
	for (k = 0; k < RMP_SYNC_NR_KNOBS; k++)
		r->knobs[k] = rmp_sync_get_knob(run->rs, k);
	run->ops->directmap(run->host, &r->dm4k, &r->dm2m, &r->dm1g);
	r->split_now = r->dm4k / RP;
	rsr_layout(run);
	r->check = 0;
	/* S1/S3 recount of the replay's pages: the replay itself is checked. */
	if (rmp_sync_check(run->rs, 0, run->nr_pages, true) ||
	    (run->ops->check && run->ops->check(run->host)))
		r->check |= RSR_CHECK_INVARIANT;
	/* The core counts every global flush it causes; the host saw them. */
	if (r->st.tlb_flushes != r->flushes)
		r->check |= RSR_CHECK_FLUSHES;
	/* What rsr_state() sampled: the same as the counters and the walk? */
	if (run->nr_mixed_now != r->st.regions_mixed)
		r->check |= RSR_CHECK_MIXED;
	if (run->ops->split_regions) {
		/*
		 * Nothing but the instance collapses the replay's pages, so a
		 * count above the walk is the host's bug.  Below it, it is one
		 * too, unless others split the direct map behind the host's
		 * back: CONFIG_CPA_DEBUG's self-test splits random pages, the
		 * window's too, and only the walk sees those.
		 */
		r->split_count = run->ops->split_regions(run->host);
		if (r->split_count > r->split_now ||
		    (r->split_count < r->split_now && !run->ops->foreign_splits))
			r->check |= RSR_CHECK_SPLIT;
	}
	if (run->recovery &&
	    r->max_flushes_1s > r->knobs[RMP_SYNC_KNOB_MAX_FLUSHES_PER_SEC])
		r->check |= RSR_CHECK_S5;
}

/* A JSON object being written into a buffer; @full once it did not fit. */
struct rsr_json_buf {
	char *buf;
	size_t len, n;
	bool full;
};

static __printf(2, 3) void rsr_jprintf(struct rsr_json_buf *j, const char *fmt, ...)
{
	va_list ap;
	int m;

	if (j->full)
		return;
	va_start(ap, fmt);
	m = vsnprintf(j->buf + j->n, j->len - j->n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= j->len - j->n)
		j->full = true;
	else
		j->n += m;
}

static void rsr_ju64(struct rsr_json_buf *j, const char *key, u64 v)
{
	rsr_jprintf(j, ", \"%s\": %llu", key, (unsigned long long)v);
}

/* A value in thousandths, printed with three decimals. */
static void rsr_jmilli(struct rsr_json_buf *j, const char *key, u64 v)
{
	rsr_jprintf(j, ", \"%s\": %llu.%03llu", key,
		    (unsigned long long)(v / RSR_MILLI),
		    (unsigned long long)(v % RSR_MILLI));
}

/**
 * rsr_json() - a replay's result as rmp-sync-sim --json prints it.
 * @r: the result of a finished replay (rsr_finish()).
 * @policy: the replay's policy.
 * @name: the trace's name.
 * @mem_bytes: memory the replay covered.
 * @with_trace: lead with the trace's name, size and duration (the object of
 *	a single-policy run).
 * @buf: where to write the one-line object, NUL-terminated, no newline.
 * @len: size of @buf.
 *
 * Return: the length written, or -ENOSPC if @buf is too small.
 */
int rsr_json(const struct rsr_result *r, enum rsr_policy policy,
	     const char *name, u64 mem_bytes, bool with_trace, char *buf, size_t len)
{
	struct rsr_json_buf j = { .buf = buf, .len = len };

	rsr_jprintf(&j, "{\"policy\": \"%s\"", rsr_policy_names[policy]);
	if (with_trace) {
		rsr_jprintf(&j, ", \"trace\": \"%s\"", name);
		rsr_ju64(&j, "mem_bytes", mem_bytes);
		rsr_ju64(&j, "duration_ms", r->duration_ms);
	}
	rsr_ju64(&j, "ops", r->ops);
	rsr_ju64(&j, "rejected", r->rejected);
	rsr_ju64(&j, "collateral_rmp_faults", r->collateral);
	rsr_ju64(&j, "host_writes_to_assigned", r->writes_assigned);
	rsr_ju64(&j, "regions_total", r->st.regions_total);
	rsr_ju64(&j, "regions_mixed", r->st.regions_mixed);
	rsr_ju64(&j, "regions_split", r->split_now);
	rsr_ju64(&j, "directmap_4k_kb", r->dm4k * 4);
	rsr_ju64(&j, "directmap_2m_kb", r->dm2m * 2048);
	rsr_ju64(&j, "directmap_1g_kb", r->dm1g << 20);
	rsr_ju64(&j, "splits", r->st.splits);
	rsr_ju64(&j, "collapses_2m", r->st.collapses_2m);
	rsr_ju64(&j, "collapses_1g", r->st.collapses_1g);
	rsr_ju64(&j, "psmash", r->st.psmash);
	rsr_ju64(&j, "tlb_flushes", r->flushes);
	rsr_ju64(&j, "recovery_flushes", r->st.recovery_flushes);
	rsr_jmilli(&j, "avg_regions_mixed", r->avg_mixed_milli);
	rsr_jmilli(&j, "avg_regions_split", r->avg_split_milli);
	rsr_ju64(&j, "leaked_pages", r->st.leaked_pages);
	rsr_ju64(&j, "leaked_regions", r->leaked_regions);
	rsr_ju64(&j, "regions_off_boot", r->off_boot);
	rsr_ju64(&j, "regions_off_boot_beyond_leaks", r->off_boot_leaks);
	rsr_ju64(&j, "backoffs", r->st.backoffs);
	rsr_ju64(&j, "throttled", r->st.throttled);
	rsr_ju64(&j, "max_recovery_flushes_1s", r->max_flushes_1s);
	rsr_ju64(&j, "state_bytes_start", r->state_bytes_start);
	rsr_ju64(&j, "state_bytes_end", r->state_bytes_end);
	rsr_ju64(&j, "collapse_delay_millisecs",
		 r->knobs[RMP_SYNC_KNOB_COLLAPSE_DELAY_MS]);
	rsr_ju64(&j, "collapse_private", r->knobs[RMP_SYNC_KNOB_COLLAPSE_PRIVATE]);
	rsr_ju64(&j, "regions_split_unassigned", r->split_unassigned_now);
	rsr_jmilli(&j, "avg_regions_split_unassigned", r->avg_split_unassigned_milli);
	rsr_ju64(&j, "gb_ranges_blocked", r->gb_blocked_now);
	rsr_jmilli(&j, "avg_gb_ranges_blocked", r->avg_gb_blocked_milli);
	rsr_ju64(&j, "max_flushes_in_1s", r->max_flushes_any_1s);
	rsr_jprintf(&j, ", \"check_ok\": %s}", r->check ? "false" : "true");
	return j.full ? -ENOSPC : (int)j.n;
}
