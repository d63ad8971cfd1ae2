// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-sim trace format: parse a whole file into a struct sim_trace
 * (validating everything before anything is replayed) and write one back.
 *
 * One operation per line, '#' starts a comment, numbers are decimal or
 * 0x-hex:
 *
 *   mem SIZE                                    first non-comment line only
 *   private PFN 4k|2m [asid=N] [gpa=ADDR] [immutable]
 *   shared  PFN 4k|2m
 *   psmash  PFN                                 2M-aligned PFN
 *   leak    PFN [NPAGES]
 *   write   PFN
 *   tick    MS
 *   quiesce
 *
 * Anything that can be decided without replaying is an error here, so that
 * a bad trace never half-runs: syntax, a PFN (or PFN + NPAGES) outside
 * RAM, an unaligned 2M PFN or GPA, an ASID or GPA beyond the RMP's fields,
 * and "mem" after the first operation.  What only the RMP state decides
 * (private of an assigned page, ...) is left to the replay, which counts
 * it as rejected.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <linux/types.h>
#include <linux/rmp_sync.h>

#include "sim.h"

#define SIM_PRIVATE_ASID	1	/* ASID of a "private" without asid= */

/**
 * sim_trace_add() - append one operation.
 * @t: the trace.
 * @op: copied.
 *
 * Return: 0 or -ENOMEM.
 */
int sim_trace_add(struct sim_trace *t, const struct sim_op *op)
{
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		struct sim_op *ops = realloc(t->ops, cap * sizeof(*ops));

		if (!ops)
			return -ENOMEM;
		t->ops = ops;
		t->cap = cap;
	}
	t->ops[t->nr++] = *op;
	if (op->kind == SIM_OP_TICK)
		t->duration_ms += op->arg;
	return 0;
}

/**
 * sim_trace_free() - free a trace's operations.
 * @t: the trace; left empty.
 */
void sim_trace_free(struct sim_trace *t)
{
	free(t->ops);
	t->ops = NULL;
	t->nr = t->cap = 0;
	t->duration_ms = 0;
}

/* Decimal or 0x-hex, the whole token, no sign; 0 or -EINVAL/-ERANGE. */
static int sim_parse_u64(const char *s, u64 *val)
{
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull() would accept a sign and leading blanks: refuse them. */
	if (!((s[0] >= '0' && s[0] <= '9') ||
	      (base == 16 && ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'f'))))
		return -EINVAL;
	errno = 0;
	*val = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	return *end ? -EINVAL : 0;
}

/**
 * sim_parse_size() - parse a RAM size: a number with an optional binary
 *	suffix K, M, G or T (case-insensitive, "B"/"iB" allowed after it).
 * @s: the text.
 * @bytes: the size.
 *
 * Return: 0, or -EINVAL / -ERANGE.
 */
int sim_parse_size(const char *s, u64 *bytes)
{
	static const char units[] = "kmgt";
	char num[64];
	size_t i;
	unsigned int shift = 0;
	const char *u;
	u64 v;
	int ret;

	/* The number: 0x-hex or decimal digits, then the suffix. */
	i = 0;
	if (s[0] == '0' && (s[1] | 0x20) == 'x') {
		for (i = 2; isxdigit((unsigned char)s[i]); i++)
			;
	} else {
		while (isdigit((unsigned char)s[i]))
			i++;
	}
	if (i >= sizeof(num))
		return -ERANGE;
	memcpy(num, s, i);
	num[i] = '\0';
	if (!i)
		return -EINVAL;
	u = s + i;
	if (*u) {
		const char *p = strchr(units, *u | 0x20);

		if (!p)
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
	ret = sim_parse_u64(num, &v);
	if (ret)
		return ret;
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*bytes = v << shift;
	return 0;
}

struct sim_parser {
	const char *path;
	unsigned int line;
	u64 nr_pages;
};

static int __attribute__((format(printf, 2, 3)))
sim_perr(const struct sim_parser *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%u: ", p->path, p->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

static int sim_parse_num(const struct sim_parser *p, const char *what,
			 const char *tok, u64 *val)
{
	if (!tok)
		return sim_perr(p, "missing %s", what);
	switch (sim_parse_u64(tok, val)) {
	case 0:
		return 0;
	case -ERANGE:
		return sim_perr(p, "%s '%s' out of range", what, tok);
	default:
		return sim_perr(p, "bad %s '%s' (decimal or 0x-hex)", what, tok);
	}
}

static int sim_parse_pfn(const struct sim_parser *p, const char *tok, u64 *pfn)
{
	if (sim_parse_num(p, "PFN", tok, pfn))
		return -EINVAL;
	if (*pfn >= p->nr_pages)
		return sim_perr(p, "PFN 0x%llx outside mem (%llu pages)",
				(ull)*pfn, (ull)p->nr_pages);
	return 0;
}

static int sim_parse_level(const struct sim_parser *p, const char *tok,
			   u64 pfn, struct sim_op *op)
{
	if (!tok)
		return sim_perr(p, "missing page size (4k or 2m)");
	if (!strcasecmp(tok, "4k")) {
		op->level = PG_LEVEL_4K;
		return 0;
	}
	if (strcasecmp(tok, "2m"))
		return sim_perr(p, "bad page size '%s' (4k or 2m)", tok);
	if (!IS_ALIGNED(pfn, RMP_SYNC_REGION_PAGES))
		return sim_perr(p, "2m needs a 512-aligned PFN, not 0x%llx",
				(ull)pfn);
	op->level = PG_LEVEL_2M;
	return 0;
}

/* The options of "private": asid=N, gpa=ADDR, immutable; each once. */
static int sim_parse_private_opts(const struct sim_parser *p, char **tok,
				  struct sim_op *op)
{
	bool asid = false, gpa = false;
	u64 v;

	op->n = SIM_PRIVATE_ASID;
	/* Default GPA: the PFN's own address, aligned like the PFN. */
	op->gpa = op->arg << PAGE_SHIFT;
	for (; *tok; tok++) {
		if (!strncmp(*tok, "asid=", 5) && !asid) {
			if (sim_parse_num(p, "ASID", *tok + 5, &v))
				return -EINVAL;
			if (v >= RMP_SYNC_ASID_LIMIT)
				return sim_perr(p, "ASID %llu out of range (0..%u)",
						(ull)v, RMP_SYNC_ASID_LIMIT - 1);
			op->n = v;
			asid = true;
		} else if (!strncmp(*tok, "gpa=", 4) && !gpa) {
			if (sim_parse_num(p, "GPA", *tok + 4, &v))
				return -EINVAL;
			if (v >= RMP_SYNC_GPA_LIMIT)
				return sim_perr(p, "GPA 0x%llx beyond the RMP's GPA field",
						(ull)v);
			op->gpa = v;
			gpa = true;
		} else if (!strcmp(*tok, "immutable") &&
			   !(op->flags & SIM_OP_IMMUTABLE)) {
			op->flags |= SIM_OP_IMMUTABLE;
		} else {
			return sim_perr(p, "unexpected '%s'", *tok);
		}
	}
	if (!IS_ALIGNED(op->gpa, (op->level == PG_LEVEL_2M ? 512ULL : 1ULL) << PAGE_SHIFT))
		return sim_perr(p, "GPA 0x%llx not aligned to the page size",
				(ull)op->gpa);
	return 0;
}

#define SIM_MAX_TOKENS	8

/* One non-empty line, split into @tok; fills @op. */
static int sim_parse_op(const struct sim_parser *p, char **tok,
			struct sim_op *op)
{
	const char *cmd = tok[0];
	unsigned int want = 2;	/* tokens, command included */
	u64 v;

	memset(op, 0, sizeof(*op));
	op->line = p->line;
	if (!strcmp(cmd, "private")) {
		op->kind = SIM_OP_PRIVATE;
		if (sim_parse_pfn(p, tok[1], &op->arg) ||
		    sim_parse_level(p, tok[2], op->arg, op))
			return -EINVAL;
		return sim_parse_private_opts(p, tok + 3, op);
	} else if (!strcmp(cmd, "shared")) {
		op->kind = SIM_OP_SHARED;
		if (sim_parse_pfn(p, tok[1], &op->arg) ||
		    sim_parse_level(p, tok[2], op->arg, op))
			return -EINVAL;
		want = 3;
	} else if (!strcmp(cmd, "psmash")) {
		op->kind = SIM_OP_PSMASH;
		if (sim_parse_pfn(p, tok[1], &op->arg))
			return -EINVAL;
		if (!IS_ALIGNED(op->arg, RMP_SYNC_REGION_PAGES))
			return sim_perr(p, "psmash needs a 512-aligned PFN, not 0x%llx",
					(ull)op->arg);
	} else if (!strcmp(cmd, "leak")) {
		op->kind = SIM_OP_LEAK;
		if (sim_parse_pfn(p, tok[1], &op->arg))
			return -EINVAL;
		v = 1;
		if (tok[2]) {
			if (sim_parse_num(p, "NPAGES", tok[2], &v))
				return -EINVAL;
			want = 3;
		}
		if (!v || v > UINT_MAX)
			return sim_perr(p, "NPAGES %llu out of range", (ull)v);
		if (v > p->nr_pages - op->arg)
			return sim_perr(p, "leak of %llu pages at PFN 0x%llx runs past mem",
					(ull)v, (ull)op->arg);
		op->n = v;
	} else if (!strcmp(cmd, "write")) {
		op->kind = SIM_OP_WRITE;
		if (sim_parse_pfn(p, tok[1], &op->arg))
			return -EINVAL;
	} else if (!strcmp(cmd, "tick")) {
		op->kind = SIM_OP_TICK;
		if (sim_parse_num(p, "MS", tok[1], &op->arg))
			return -EINVAL;
		/* Keeps the clock, and the time integrals, far from overflow. */
		if (op->arg > (1ULL << 40))
			return sim_perr(p, "tick %llu ms too long", (ull)op->arg);
	} else if (!strcmp(cmd, "quiesce")) {
		op->kind = SIM_OP_QUIESCE;
		want = 1;
	} else if (!strcmp(cmd, "mem")) {
		return sim_perr(p, "mem after the first operation (only the first line may set mem)");
	} else {
		return sim_perr(p, "unknown operation '%s'", cmd);
	}
	if (tok[want])
		return sim_perr(p, "unexpected '%s'", tok[want]);
	return 0;
}

/* Split @buf (comment already cut) into at most SIM_MAX_TOKENS tokens. */
static int sim_tokenize(const struct sim_parser *p, char *buf, char **tok)
{
	unsigned int n = 0;
	char *save, *s;

	for (s = strtok_r(buf, " \t\r\n", &save); s;
	     s = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == SIM_MAX_TOKENS)
			return sim_perr(p, "too many fields");
		tok[n++] = s;
	}
	tok[n] = NULL;
	return n;
}

static int sim_check_mem(const struct sim_parser *p, u64 bytes)
{
	if (!bytes || !IS_ALIGNED(bytes, 2ULL << 20) || bytes > SIM_MAX_MEM)
		return sim_perr(p, "mem must be a nonzero multiple of 2M, at most 4T");
	return 0;
}

/**
 * sim_trace_load() - read and validate a whole trace file.
 * @path: the file ("-" for stdin).
 * @mem_bytes: RAM if the trace has no "mem" line.
 * @mem_given: @mem_bytes came from --mem: a "mem" line must agree with it.
 * @t: filled in; empty on failure.
 *
 * Prints "FILE:LINE: reason" for the first error.
 *
 * Return: 0, -EINVAL (bad trace), -ENOENT (cannot open), -ENOMEM.
 */
int sim_trace_load(const char *path, u64 mem_bytes, bool mem_given,
		   struct sim_trace *t)
{
	struct sim_parser p = { .path = path };
	char *buf = NULL, *tok[SIM_MAX_TOKENS + 1];
	bool first = true;
	size_t cap = 0;
	FILE *f;
	int ret = 0;

	memset(t, 0, sizeof(*t));
	t->name = path;
	t->mem_bytes = mem_bytes;
	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -ENOENT;
	}
	p.nr_pages = mem_bytes >> PAGE_SHIFT;
	while (getline(&buf, &cap, f) >= 0) {
		struct sim_op op;
		char *hash = strchr(buf, '#');
		int n;

		p.line++;
		if (hash)
			*hash = '\0';
		n = sim_tokenize(&p, buf, tok);
		if (n < 0) {
			ret = n;
			break;
		}
		if (!n)
			continue;
		if (!strcmp(tok[0], "mem") && first) {
			u64 bytes;

			first = false;
			if (!tok[1] || tok[2]) {
				ret = sim_perr(&p, "usage: mem SIZE");
				break;
			}
			if (sim_parse_size(tok[1], &bytes)) {
				ret = sim_perr(&p, "bad size '%s' (e.g. 4G, 64G, 1T)",
					       tok[1]);
				break;
			}
			ret = sim_check_mem(&p, bytes);
			if (ret)
				break;
			if (mem_given && bytes != mem_bytes) {
				ret = sim_perr(&p, "mem %s conflicts with --mem (%llu bytes)",
					       tok[1], (ull)mem_bytes);
				break;
			}
			t->mem_bytes = bytes;
			p.nr_pages = bytes >> PAGE_SHIFT;
			continue;
		}
		first = false;
		ret = sim_parse_op(&p, tok, &op);
		if (ret)
			break;
		ret = sim_trace_add(t, &op);
		if (ret) {
			fprintf(stderr, "%s: out of memory\n", path);
			break;
		}
	}
	if (!ret && ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		ret = -EIO;
	}
	free(buf);
	if (f != stdin)
		fclose(f);
	if (ret)
		sim_trace_free(t);
	return ret;
}

/**
 * sim_trace_emit() - write a trace in the text format.
 * @t: the trace.
 * @path: the file ("-" for stdout).
 *
 * Operation i (from 0) goes on line i + SIM_EMIT_FIRST_LINE (two header
 * lines, then "mem"), so the line numbers a replay of the file reports
 * match the workload's.
 *
 * Return: 0 or -EIO (reported).
 */
int sim_trace_emit(const struct sim_trace *t, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	size_t i;
	int bad;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -EIO;
	}
	fprintf(f, "# rmp-sync-sim trace: %s, %zu operations, %llu ms\n",
		t->name, t->nr, (ull)t->duration_ms);
	fprintf(f, "# replay: rmp-sync-sim --trace FILE\n");
	fprintf(f, "mem %lluM\n", (ull)(t->mem_bytes >> 20));
	for (i = 0; i < t->nr; i++) {
		const struct sim_op *op = &t->ops[i];
		const char *size = op->level == PG_LEVEL_2M ? "2m" : "4k";

		switch (op->kind) {
		case SIM_OP_PRIVATE:
			fprintf(f, "private 0x%llx %s asid=%u gpa=0x%llx%s\n",
				(ull)op->arg, size, op->n, (ull)op->gpa,
				op->flags & SIM_OP_IMMUTABLE ? " immutable" : "");
			break;
		case SIM_OP_SHARED:
			fprintf(f, "shared 0x%llx %s\n", (ull)op->arg, size);
			break;
		case SIM_OP_PSMASH:
			fprintf(f, "psmash 0x%llx\n", (ull)op->arg);
			break;
		case SIM_OP_LEAK:
			fprintf(f, "leak 0x%llx %u\n", (ull)op->arg, op->n);
			break;
		case SIM_OP_WRITE:
			fprintf(f, "write 0x%llx\n", (ull)op->arg);
			break;
		case SIM_OP_TICK:
			fprintf(f, "tick %llu\n", (ull)op->arg);
			break;
		case SIM_OP_QUIESCE:
			fprintf(f, "quiesce\n");
			break;
		}
	}
	bad = ferror(f);
	if (f != stdout)
		bad |= fclose(f);
	else
		bad |= fflush(f);
	if (bad) {
		fprintf(stderr, "%s: write error\n", path);
		return -EIO;
	}
	return 0;
}
