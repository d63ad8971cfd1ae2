// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the trace parser of rmp-sync-sim (sim/trace.c).
 *
 * The input is the text of a trace file.  It is written to a memfd and
 * loaded with sim_trace_load() through /proc/self/fd/N, the same path the
 * simulator takes for --trace.  The parser must not crash, leak or read out
 * of bounds on any input; an error must come back as -EINVAL (with the
 * trace left empty), never anything else.  A trace it accepts must survive a
 * round trip: sim_trace_emit() and a reload give the same operations, RAM
 * size and duration.  Any failure abort()s, which libFuzzer reports as a
 * crash with the input saved.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>
#include "../sim/sim.h"

static int fz_fd[2] = { -1, -1 };
static char fz_path[2][64];

static void __attribute__((noreturn)) fz_fail(const char *why)
{
	fprintf(stderr, "fuzz_trace: %s\n", why);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		fz_fd[i] = memfd_create("rmp-sync-fuzz-trace", 0);
		if (fz_fd[i] < 0)
			fz_fail("memfd_create");
		snprintf(fz_path[i], sizeof(fz_path[i]), "/proc/self/fd/%d", fz_fd[i]);
	}
	return 0;
}

static bool fz_same(const struct rsr_op *a, const struct rsr_op *b)
{
	return a->kind == b->kind && a->arg == b->arg && a->gpa == b->gpa &&
	       a->n == b->n && a->level == b->level && a->flags == b->flags;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_trace t, t2;
	size_t i;
	int ret;

	if (ftruncate(fz_fd[0], 0) || pwrite(fz_fd[0], data, size, 0) != (ssize_t)size)
		fz_fail("cannot write the memfd");
	ret = sim_trace_load(fz_path[0], 4ULL << 30, false, &t);
	if (ret) {
		if (ret != -EINVAL)
			fz_fail("error other than -EINVAL");
		if (t.ops || t.nr)
			fz_fail("a failed load left operations behind");
		return 0;
	}

	/* accepted: emit it and load it back */
	if (ftruncate(fz_fd[1], 0))
		fz_fail("cannot truncate the memfd");
	if (sim_trace_emit(&t, fz_path[1]))
		fz_fail("sim_trace_emit failed");
	ret = sim_trace_load(fz_path[1], 4ULL << 30, false, &t2);
	if (ret)
		fz_fail("an emitted trace does not load back");
	if (t2.nr != t.nr || t2.mem_bytes != t.mem_bytes ||
	    t2.duration_ms != t.duration_ms)
		fz_fail("round trip changed the size, RAM or duration");
	for (i = 0; i < t.nr; i++)
		if (!fz_same(&t.ops[i], &t2.ops[i]))
			fz_fail("round trip changed an operation");
	sim_trace_free(&t);
	sim_trace_free(&t2);
	return 0;
}
