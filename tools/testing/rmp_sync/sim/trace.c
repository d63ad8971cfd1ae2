// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-sim trace format: parse a whole file into a struct sim_trace
 * (validating everything before anything is replayed) and write one back.
 *
 * The format (one operation per line, and "mem SIZE" as the first line
 * only) and the parser of one line are the replay engine's
 * (arch/x86/mm/rmp_sync_replay.c), shared with the kernel's debugfs replay
 * file; this file adds the whole-file rules: nothing is replayed unless
 * every line is valid, and errors are reported as "FILE:LINE: reason".
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <linux/types.h>
#include <linux/rmp_sync.h>

#include "sim.h"

/**
 * sim_trace_add() - append one operation.
 * @t: the trace.
 * @op: copied.
 *
 * Return: 0 or -ENOMEM.
 */
int sim_trace_add(struct sim_trace *t, const struct rsr_op *op)
{
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		struct rsr_op *ops = realloc(t->ops, cap * sizeof(*ops));

		if (!ops)
			return -ENOMEM;
		t->ops = ops;
		t->cap = cap;
	}
	t->ops[t->nr++] = *op;
	if (op->kind == RSR_OP_TICK)
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

struct sim_parser {
	const char *path;
	unsigned int line;
	u64 nr_pages;
};

/**
 * sim_file_err() - report "FILE:LINE: reason" on stderr.
 * @path: the file.
 * @line: the line.
 * @fmt: the reason.
 *
 * Return: -EINVAL.
 */
int sim_file_err(const char *path, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%u: ", path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

/**
 * sim_usage_err() - report bad usage of program @prog on stderr.
 * @prog: the program's name.
 * @fmt: what is wrong.
 *
 * Return: 2, the exit status of bad usage.
 */
int sim_usage_err(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return 2;
}

#define sim_perr(p, ...)	sim_file_err((p)->path, (p)->line, __VA_ARGS__)

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
	char *buf = NULL, *tok[RSR_MAX_TOKENS + 1];
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
		struct rsr_op op = {};
		char why[160];
		int n;

		p.line++;
		n = rsr_tokenize(buf, tok);
		if (n < 0) {
			ret = sim_perr(&p, "too many fields");
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
			if (rsr_parse_size(tok[1], &bytes)) {
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
		op.line = p.line;
		if (rsr_parse_op(tok, p.nr_pages, &op, why, sizeof(why))) {
			ret = sim_perr(&p, "%s", why);
			break;
		}
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
		const struct rsr_op *op = &t->ops[i];
		const char *size = op->level == PG_LEVEL_2M ? "2m" : "4k";

		switch (op->kind) {
		case RSR_OP_PRIVATE:
			fprintf(f, "private 0x%llx %s asid=%u gpa=0x%llx%s\n",
				(ull)op->arg, size, op->n, (ull)op->gpa,
				op->flags & RSR_OP_IMMUTABLE ? " immutable" : "");
			break;
		case RSR_OP_SHARED:
			fprintf(f, "shared 0x%llx %s\n", (ull)op->arg, size);
			break;
		case RSR_OP_PSMASH:
			fprintf(f, "psmash 0x%llx\n", (ull)op->arg);
			break;
		case RSR_OP_LEAK:
			fprintf(f, "leak 0x%llx %u\n", (ull)op->arg, op->n);
			break;
		case RSR_OP_WRITE:
			fprintf(f, "write 0x%llx\n", (ull)op->arg);
			break;
		case RSR_OP_TICK:
			fprintf(f, "tick %llu\n", (ull)op->arg);
			break;
		case RSR_OP_QUIESCE:
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
