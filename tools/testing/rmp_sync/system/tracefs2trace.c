// SPDX-License-Identifier: GPL-2.0
/*
 * tracefs2trace: turn the rmp_sync tracepoints of a tracefs "trace" file
 * (or trace-cmd report's text) back into an rmp-sync-sim trace.
 *
 *   tracefs2trace [--mem SIZE] [--base PFN] [FILE]      (default stdin)
 *
 * Record on a host (root):
 *   cd /sys/kernel/tracing
 *   echo global > trace_clock; echo 1 > events/rmp_sync/enable
 *   ... run guests ...
 *   echo 0 > events/rmp_sync/enable; tracefs2trace --base 0 trace > t.trace
 *
 * Events and the operations they become (ret is ignored: a refused
 * operation is replayed and refused again):
 *   rmp_sync_make_private pfn gpa level asid immutable
 *                       -> private PFN 4k|2m asid=N gpa=ADDR [immutable]
 *   rmp_sync_make_shared pfn level  -> shared PFN 4k|2m
 *   rmp_sync_leak pfn npages        -> leak PFN N
 *   rmp_sync_psmash pfn requested   -> psmash PFN (requested=1 only: the
 *                                      core's own PSMASHes follow from the
 *                                      other operations)
 *   rmp_sync_sw_write pfn           -> write PFN
 *   rmp_sync_sw_tick ms             -> tick MS
 *   rmp_sync_sw_quiesce             -> quiesce
 * The other rmp_sync events (split, collapse, recovery passes, resyncs)
 * are consequences and are skipped.
 *
 * Time: if the trace has rmp_sync_sw_tick events (the software-SNP debug
 * host's virtual clock) they are the only source of time.  Otherwise
 * (a real host) the timestamps are: before each operation a "tick" of
 * the whole milliseconds elapsed since the first event (rounded down,
 * the remainder carried), so recovery sees the recorded delays.
 *
 * --base PFN is subtracted from every PFN (a real host's absolute PFNs
 * into a window); --mem SIZE writes a "mem SIZE" line first.
 * Exit: 0, 1 (a line it cannot parse; FILE:LINE on stderr), 2 (usage).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ev {
	char name[64];
	double ts;
	char *args;
};

/* Value of key= in @args (space separated key=value pairs), or NULL. */
static int field(const char *args, const char *key, unsigned long long *v)
{
	size_t kl = strlen(key);
	const char *p = args;

	while ((p = strstr(p, key))) {
		if ((p == args || p[-1] == ' ') && p[kl] == '=') {
			char *end;

			*v = strtoull(p + kl + 1, &end, 0);
			return end != p + kl + 1;
		}
		p += kl;
	}
	return 0;
}

/*
 * "   TASK-PID   [CPU] FLAGS   TS: EVENT: args" -> @e.  The task name may
 * hold spaces and colons, so find "] ", then the timestamp's ": ".
 */
static int parse(char *line, struct ev *e)
{
	char *p = strstr(line, "] "), *q, *name;

	if (!p)
		return 0;
	p += 2;
	/* Optional flags field ("....."/"d..1."), then the timestamp. */
	q = strstr(p, ": ");
	if (!q)
		return 0;
	*q = '\0';
	name = strrchr(p, ' ');
	e->ts = strtod(name ? name + 1 : p, NULL);
	name = q + 2;
	q = strstr(name, ": ");
	if (!q) {
		/* An event without arguments ("rmp_sync_sw_quiesce:"). */
		q = name + strcspn(name, ":\n");
		*q = '\0';
		e->args = q;
	} else {
		*q = '\0';
		e->args = q + 2;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	return 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: tracefs2trace [--mem SIZE] [--base PFN] [FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long base = 0, pfn, v, gpa, level, asid, imm, ms;
	const char *path = NULL, *mem = NULL;
	char *line = NULL, op[256];
	size_t cap = 0;
	unsigned long ln = 0, nops = 0, nticks = 0;
	int have_sw_tick = 0, i, pass;
	double t0 = -1;
	unsigned long long emitted_ms = 0;
	FILE *f;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mem") && i + 1 < argc)
			mem = argv[++i];
		else if (!strcmp(argv[i], "--base") && i + 1 < argc)
			base = strtoull(argv[++i], NULL, 0);
		else if (argv[i][0] == '-' && argv[i][1])
			usage();
		else if (!path)
			path = argv[i];
		else
			usage();
	}
	if (!path || !strcmp(path, "-")) {
		/* Two passes need a seekable file: spool stdin. */
		f = tmpfile();
		if (!f)
			return 1;
		while (getline(&line, &cap, stdin) >= 0)
			fputs(line, f);
		rewind(f);
		path = "<stdin>";
	} else {
		f = fopen(path, "r");
		if (!f) {
			perror(path);
			return 2;
		}
	}
	if (mem)
		printf("mem %s\n", mem);
	for (pass = 0; pass < 2; pass++) {
		rewind(f);
		ln = 0;
		while (getline(&line, &cap, f) >= 0) {
			struct ev e;

			ln++;
			if (line[0] == '#' || !strstr(line, "rmp_sync_"))
				continue;
			line[strcspn(line, "\n")] = '\0';
			if (!parse(line, &e)) {
				fprintf(stderr, "%s:%lu: cannot parse\n", path, ln);
				return 1;
			}
			if (pass == 0) {
				if (!strcmp(e.name, "rmp_sync_sw_tick"))
					have_sw_tick = 1;
				continue;
			}
			if (strncmp(e.name, "rmp_sync_", 9))
				continue;
			/* Time on a real host: whole ms since the first event. */
			if (!have_sw_tick && t0 < 0)
				t0 = e.ts;
			op[0] = '\0';
			if (!strcmp(e.name, "rmp_sync_make_private")) {
				if (!field(e.args, "pfn", &pfn) ||
				    !field(e.args, "level", &level))
					goto bad;
				if (!field(e.args, "gpa", &gpa))
					gpa = (pfn - base) << 12;
				if (!field(e.args, "asid", &asid))
					asid = 1;
				if (!field(e.args, "immutable", &imm))
					imm = 0;
				snprintf(op, sizeof(op), "private 0x%llx %s asid=%llu gpa=0x%llx%s\n",
				       pfn - base, level == 2 ? "2m" : "4k", asid,
				       gpa, imm ? " immutable" : "");
			} else if (!strcmp(e.name, "rmp_sync_make_shared")) {
				if (!field(e.args, "pfn", &pfn) ||
				    !field(e.args, "level", &level))
					goto bad;
				snprintf(op, sizeof(op), "shared 0x%llx %s\n", pfn - base,
				       level == 2 ? "2m" : "4k");
			} else if (!strcmp(e.name, "rmp_sync_leak")) {
				if (!field(e.args, "pfn", &pfn))
					goto bad;
				if (!field(e.args, "npages", &v))
					v = 1;
				snprintf(op, sizeof(op), "leak 0x%llx %llu\n", pfn - base, v);
			} else if (!strcmp(e.name, "rmp_sync_psmash")) {
				if (!field(e.args, "pfn", &pfn))
					goto bad;
				if (field(e.args, "requested", &v) && !v)
					continue;
				snprintf(op, sizeof(op), "psmash 0x%llx\n", pfn - base);
			} else if (!strcmp(e.name, "rmp_sync_sw_write")) {
				if (!field(e.args, "pfn", &pfn))
					goto bad;
				snprintf(op, sizeof(op), "write 0x%llx\n", pfn - base);
			} else if (!strcmp(e.name, "rmp_sync_sw_tick")) {
				if (!field(e.args, "ms", &ms))
					goto bad;
				printf("tick %llu\n", ms);
				nticks++;
				continue;
			} else if (!strcmp(e.name, "rmp_sync_sw_quiesce")) {
				snprintf(op, sizeof(op), "quiesce\n");
			} else {
				continue;	/* split, collapse, passes, resync */
			}
			if (!have_sw_tick) {
				ms = (unsigned long long)((e.ts - t0) * 1000.0);
				if (ms > emitted_ms) {
					printf("tick %llu\n", ms - emitted_ms);
					emitted_ms = ms;
					nticks++;
				}
			}
			fputs(op, stdout);
			nops++;
			continue;
bad:
			fprintf(stderr, "%s:%lu: %s without the fields it needs\n",
				path, ln, e.name);
			return 1;
		}
	}
	fprintf(stderr, "tracefs2trace: %lu operations, %lu ticks (%s)\n",
		nops, nticks, have_sw_tick ? "rmp_sync_sw_tick" : "timestamps");
	free(line);
	return 0;
}
