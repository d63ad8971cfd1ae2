// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-capture: the two ways a real host feeds rmp-sync-sim.
 *
 *   rmp-sync-capture placement [--source gmem|anon] [--size SIZE] [-o FILE]
 *	Where does the page allocator put order-0 pages on this machine?
 *	Allocates SIZE (default 64M) of guest_memfd pages (KVM, mmap-able
 *	guest_memfd: Linux 6.18+) or of anonymous memory, one page fault at
 *	a time in address order (the order a guest accepts its memory in),
 *	reads each page's PFN back from /proc/self/pagemap (root only: the
 *	PFN field reads 0 otherwise) and writes them as a placement file that
 *	"rmp-sync-sim --workload vm-churn --placement FILE" draws guest pages
 *	from.  The header says what the capture shows: pages, 2M regions
 *	touched against the minimum, physically contiguous runs.
 *
 *   rmp-sync-capture convert [--mem SIZE] [-o FILE] [INPUT...]
 *	Turn what a host recorded into rmp-sync-sim's trace format:
 *	- bpftrace running capture/rmp-sync.bt (stock 6.12/7.3 host):
 *	    "<ns> rmp_make_private pfn=0x.. gpa=0x.. level=1 asid=5 immutable=0 ret=0"
 *	- perf script output of "perf probe" events on the same functions:
 *	    "qemu 1234 [003] 5634.101234: probe:rmp_make_private: (ffffffff8109a2c0) pfn=0x.. ..."
 *	  with optional "__return" events (arg "ret"/"arg1") that drop a
 *	  failed call of the same thread;
 *	- trace_pipe / trace text (ftrace format) of kprobe events or of the
 *	  rmp_sync tracepoints of a patched host:
 *	    "qemu-1234 [003] d..1. 5634.101234: rmp_sync_make_private: pfn=0x.. ..."
 *	The functions: rmp_make_private (pfn gpa level asid immutable),
 *	rmp_make_shared (pfn level), psmash (pfn), snp_leak_pages (pfn npages);
 *	an event's name may carry a group ("probe:", "kprobes/", "rmp_sync:"),
 *	an "rmp_sync_" or "p_" prefix and a "_0"-style suffix.  levels are the
 *	kernel's enum pg_level (1 = 4K, 2 = 2M).  The rmp_sync split, collapse
 *	and recover_pass tracepoints are what a policy derives from the
 *	transitions, so they are counted and skipped; a replay recomputes them
 *	under each policy.  Between events the wall clock becomes "tick MS".
 *	Pages the recording gives back before it ever assigns them were
 *	assigned before it started: they are made private at time 0 (the
 *	"prologue"), so the replay starts from the state the host was in.
 *	Lines of no known event (headers, perf's warnings, map dumps) are
 *	skipped; a known event with a bad field is "FILE:LINE: reason", exit 2.
 *
 * Exit: 0, 1 (system error), 2 (bad usage or bad input).
 */
#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/types.h>
#include <linux/rmp_sync.h>

#include "../sim/sim.h"

#define RP	RMP_SYNC_REGION_PAGES

#define cap_usage_err(...)	sim_usage_err("rmp-sync-capture", __VA_ARGS__)

static void cap_help(FILE *f)
{
	fprintf(f,
		"usage: rmp-sync-capture placement [--source gmem|anon] [--size SIZE] [-o FILE]\n"
		"       rmp-sync-capture convert [--mem SIZE] [-o FILE] [INPUT...]\n"
		"\n"
		"placement  where order-0 pages land on this machine (root: /proc/self/pagemap);\n"
		"           the file feeds rmp-sync-sim --workload vm-churn --placement FILE\n"
		"  --source gmem   guest_memfd pages (KVM, Linux 6.18+ mmap-able guest_memfd; default)\n"
		"  --source anon   anonymous pages\n"
		"  --size SIZE     how much to allocate (default 64M)\n"
		"convert    bpftrace (capture/rmp-sync.bt), perf script or trace_pipe text of\n"
		"           rmp_make_private/rmp_make_shared/psmash/snp_leak_pages probes or of\n"
		"           the rmp_sync tracepoints, to rmp-sync-sim's trace format\n"
		"  --mem SIZE      RAM of the trace (default: the highest PFN seen, rounded up to 1G)\n"
		"  -o FILE         output (default stdout)\n"
		"exit: 0 ok, 1 system error, 2 bad usage or bad input\n");
}

/* ------------------------------------------------------------------ */
/* placement                                                           */

#define KVMIO			0xAE
#define KVM_CREATE_VM		_IO(KVMIO, 0x01)
struct cap_kvm_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u64 reserved[6];
};
#define KVM_CREATE_GUEST_MEMFD	_IOWR(KVMIO, 0xd4, struct cap_kvm_create_guest_memfd)
#define GUEST_MEMFD_FLAG_MMAP		(1ULL << 0)
#define GUEST_MEMFD_FLAG_INIT_SHARED	(1ULL << 1)

/* An mmap-able guest_memfd of @size: its mapping, or MAP_FAILED. */
static void *cap_gmem_map(size_t size, int *vmfd, int *gfd)
{
	static const __u64 flags[] = {
		GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
		GUEST_MEMFD_FLAG_MMAP,
	};
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	unsigned int i;
	void *p;

	if (kvm < 0) {
		fprintf(stderr, "rmp-sync-capture: /dev/kvm: %s\n", strerror(errno));
		return MAP_FAILED;
	}
	*vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	if (*vmfd < 0) {
		fprintf(stderr, "rmp-sync-capture: KVM_CREATE_VM: %s\n", strerror(errno));
		return MAP_FAILED;
	}
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		struct cap_kvm_create_guest_memfd g = { .size = size, .flags = flags[i] };

		*gfd = ioctl(*vmfd, KVM_CREATE_GUEST_MEMFD, &g);
		if (*gfd < 0)
			continue;
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *gfd, 0);
		if (p != MAP_FAILED)
			return p;
		close(*gfd);
	}
	fprintf(stderr, "rmp-sync-capture: no mmap-able guest_memfd (needs Linux 6.18+ KVM): %s; try --source anon\n",
		strerror(errno));
	close(*vmfd);
	return MAP_FAILED;
}

/* RAM extent: the end of the last "System RAM" range of /proc/iomem. */
static u64 cap_ram_end(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	u64 end = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;

		if (line[0] != ' ' && strstr(line, "System RAM") &&
		    sscanf(line, "%llx-%llx", &a, &b) == 2 && b + 1 > end)
			end = b + 1;
	}
	fclose(f);
	return end;
}

static int cap_u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int cap_placement(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "source", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ }
	};
	const char *source = "gmem", *out = "-";
	u64 size = 64ULL << 20, npages, i, regions = 0, runs = 0, ram, first = 0;
	int c, vmfd = -1, gfd = -1, pm;
	u64 *pfn, *seen;
	size_t nseen;
	struct utsname u;
	FILE *f;
	char *p;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			source = optarg;
			if (strcmp(source, "gmem") && strcmp(source, "anon"))
				return cap_usage_err("--source %s: gmem or anon", optarg);
			break;
		case 'S':
			if (rsr_parse_size(optarg, &size) || !size ||
			    size % 4096 || size > (64ULL << 30))
				return cap_usage_err("--size %s: a multiple of 4K, at most 64G", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return cap_usage_err("placement: bad option");
		}
	}
	if (optind < argc)
		return cap_usage_err("placement: unexpected '%s'", argv[optind]);
	npages = size / 4096;
	if (!strcmp(source, "gmem"))
		p = cap_gmem_map(size, &vmfd, &gfd);
	else
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		if (!strcmp(source, "anon"))
			perror("rmp-sync-capture: mmap");
		return 1;
	}
	/* No THP: the question is where order-0 pages land. */
	if (!strcmp(source, "anon"))
		madvise(p, size, MADV_NOHUGEPAGE);
	/* One fault per page, in address order. */
	for (i = 0; i < npages; i++)
		p[i * 4096] = 1;
	pfn = calloc(npages, sizeof(*pfn));
	seen = calloc(npages, sizeof(*seen));
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (!pfn || !seen || pm < 0) {
		perror("rmp-sync-capture: /proc/self/pagemap");
		return 1;
	}
	if (pread(pm, pfn, npages * 8, (off_t)((uintptr_t)p / 4096) * 8) !=
	    (ssize_t)(npages * 8)) {
		perror("rmp-sync-capture: pagemap read");
		return 1;
	}
	close(pm);
	for (i = 0; i < npages; i++) {
		if (!(pfn[i] >> 63) || !(pfn[i] & ((1ULL << 55) - 1))) {
			fprintf(stderr, "rmp-sync-capture: page %llu: no PFN in pagemap (not root?)\n",
				(ull)i);
			return 1;
		}
		pfn[i] &= (1ULL << 55) - 1;
		seen[i] = pfn[i] / RP;
		if (!i || pfn[i] != pfn[i - 1] + 1)
			runs++;
	}
	/* Distinct 2M regions: sort the region numbers. */
	qsort(seen, npages, sizeof(*seen), cap_u64_cmp);
	for (i = 0, nseen = 0; i < npages; i++)
		if (!i || seen[i] != seen[i - 1])
			nseen++;
	regions = nseen;
	ram = cap_ram_end();
	f = strcmp(out, "-") ? fopen(out, "w") : stdout;
	if (!f) {
		fprintf(stderr, "rmp-sync-capture: %s: %s\n", out, strerror(errno));
		return 1;
	}
	uname(&u);
	fprintf(f, "# rmp-sync-capture placement: %s order-0 pages, faulted in address order\n",
		!strcmp(source, "gmem") ? "guest_memfd" : "anonymous");
	fprintf(f, "# kernel %s %s, RAM up to 0x%llx\n", u.sysname, u.release, (ull)ram);
	fprintf(f, "# %llu pages in %llu 2M regions (minimum %llu), %llu physically contiguous runs\n",
		(ull)npages, (ull)regions, (ull)DIV_ROUND_UP(npages, RP), (ull)runs);
	fprintf(f, "# lines: PFN COUNT (a run of COUNT pages from PFN), in allocation order\n");
	if (ram)
		fprintf(f, "mem %lluM\n", (ull)(ALIGN(ram, 2ULL << 20) >> 20));
	for (i = 0; i < npages; i = first) {
		for (first = i + 1; first < npages && pfn[first] == pfn[first - 1] + 1; first++)
			;
		fprintf(f, "0x%llx %llu\n", (ull)pfn[i], (ull)(first - i));
	}
	if ((f != stdout && fclose(f)) || (f == stdout && fflush(f))) {
		fprintf(stderr, "rmp-sync-capture: %s: write error\n", out);
		return 1;
	}
	fprintf(stderr, "rmp-sync-capture: %llu pages in %llu 2M regions (minimum %llu), %llu runs\n",
		(ull)npages, (ull)regions, (ull)DIV_ROUND_UP(npages, RP), (ull)runs);
	munmap(p, size);
	if (gfd >= 0)
		close(gfd);
	if (vmfd >= 0)
		close(vmfd);
	free(pfn);
	free(seen);
	return 0;
}

/* ------------------------------------------------------------------ */
/* convert                                                             */

enum cap_fn { CAP_NONE, CAP_PRIVATE, CAP_SHARED, CAP_PSMASH, CAP_LEAK, CAP_DERIVED };

/* Per-PFN state for the prologue: a small open-addressing set. */
struct cap_set {
	u64 *key;
	u8 *val;
	size_t cap, nr;
};

#define CAP_ST_SEEN	1	/* in the set */
#define CAP_ST_ASSIGNED	2	/* assigned, as far as the recording says */
#define CAP_ST_TOUCHED	4	/* an event of the recording named it */

static u8 *cap_set_get(struct cap_set *s, u64 key)
{
	size_t i;

	if (s->nr * 2 >= s->cap) {
		struct cap_set n = { .cap = s->cap ? s->cap * 2 : 1 << 16 };

		n.key = calloc(n.cap, sizeof(*n.key));
		n.val = calloc(n.cap, 1);
		if (!n.key || !n.val) {
			fprintf(stderr, "rmp-sync-capture: out of memory\n");
			exit(1);
		}
		for (i = 0; i < s->cap; i++) {
			size_t j;

			if (!s->val[i])
				continue;
			for (j = (s->key[i] * 0x9E3779B97F4A7C15ULL) >> 40 & (n.cap - 1);
			     n.val[j]; j = (j + 1) & (n.cap - 1))
				;
			n.key[j] = s->key[i];
			n.val[j] = s->val[i];
			n.nr++;
		}
		free(s->key);
		free(s->val);
		*s = n;
	}
	for (i = (key * 0x9E3779B97F4A7C15ULL) >> 40 & (s->cap - 1); s->val[i];
	     i = (i + 1) & (s->cap - 1))
		if (s->key[i] == key)
			return &s->val[i];
	s->key[i] = key;
	s->val[i] = CAP_ST_SEEN;
	s->nr++;
	return &s->val[i];
}

/* One recorded call, before it becomes trace operations. */
struct cap_ev {
	enum cap_fn fn;
	u64 pfn, gpa, npages;
	u32 asid;
	u8 level;
	bool immutable, dropped;
	u64 ns;			/* wall clock, ns */
	int pid;
	unsigned int line;
	bool is_return;
	long long ret;
	bool has_ret;
};

struct cap_conv {
	const char *path;
	unsigned int line;
	struct cap_ev *ev;
	size_t nr, cap;
	u64 max_pfn;
	unsigned long derived, skipped, failed, lost;
};

#define cap_err(c, ...)	sim_file_err((c)->path, (c)->line, __VA_ARGS__)

/* Map an event name to the function it records. */
static enum cap_fn cap_fn_of(const char *name, bool *is_return)
{
	char buf[96], *s = buf;
	size_t l;

	*is_return = false;
	if (strlen(name) >= sizeof(buf))
		return CAP_NONE;
	strcpy(buf, name);
	l = strlen(s);
	if (l && s[l - 1] == ':')
		s[--l] = 0;
	/* group prefixes: "probe:", "kprobes/", "rmp_sync:", "kprobes:" */
	if (strrchr(s, ':'))
		s = strrchr(s, ':') + 1;
	if (strrchr(s, '/'))
		s = strrchr(s, '/') + 1;
	if (!strncmp(s, "rmp_sync_", 9) && strcmp(s, "rmp_sync_make_private") &&
	    strcmp(s, "rmp_sync_make_shared"))
		s += 9;
	else if (!strncmp(s, "rmp_sync_", 9))
		s += 9;
	if (!strncmp(s, "p_", 2) || !strncmp(s, "r_", 2)) {
		*is_return = s[0] == 'r';
		s += 2;
	}
	l = strlen(s);
	/* "_0"-style suffixes of kprobe_events names */
	while (l > 2 && isdigit((unsigned char)s[l - 1]))
		l--;
	if (l > 1 && s[l - 1] == '_' && l < strlen(s))
		s[--l] = 0;
	if (l > 8 && !strcmp(s + l - 8, "__return")) {
		*is_return = true;
		s[l - 8] = 0;
	}
	if (!strcmp(s, "rmp_make_private") || !strcmp(s, "make_private"))
		return CAP_PRIVATE;
	if (!strcmp(s, "rmp_make_shared") || !strcmp(s, "make_shared"))
		return CAP_SHARED;
	if (!strcmp(s, "psmash"))
		return CAP_PSMASH;
	if (!strcmp(s, "snp_leak_pages") || !strcmp(s, "leak_pages") || !strcmp(s, "leak"))
		return CAP_LEAK;
	if (!strcmp(s, "split") || !strcmp(s, "collapse") || !strcmp(s, "recover_pass"))
		return CAP_DERIVED;
	return CAP_NONE;
}

static int cap_num(const struct cap_conv *c, const char *key, const char *v,
		   long long *out)
{
	char *end;
	bool neg = *v == '-';

	errno = 0;
	if (neg)
		*out = strtoll(v, &end, 0);
	else
		*out = (long long)strtoull(v, &end, 0);
	if (errno || end == v || *end)
		return cap_err(c, "bad %s '%s'", key, v);
	return 0;
}

/* The key=value fields after the event name. */
static int cap_fields(struct cap_conv *c, char **tok, struct cap_ev *e)
{
	bool have_pfn = false, have_level = false;
	long long v;

	e->level = 0;
	e->npages = 1;
	e->asid = 0;
	for (; *tok; tok++) {
		char *eq = strchr(*tok, '=');

		if (!eq)
			continue;	/* "(ffffffff81234567)", "(sym+0x0/0x90)" ... */
		*eq = 0;
		if (cap_num(c, *tok, eq + 1, &v))
			return -EINVAL;
		if (!strcmp(*tok, "pfn")) {
			if (v < 0 || (u64)v >= (SIM_MAX_MEM >> 12))
				return cap_err(c, "pfn 0x%llx beyond 4T", (ull)v);
			e->pfn = v;
			have_pfn = true;
		} else if (!strcmp(*tok, "gpa")) {
			e->gpa = v;
		} else if (!strcmp(*tok, "level")) {
			if (v != PG_LEVEL_4K && v != PG_LEVEL_2M)
				return cap_err(c, "level %lld: 1 (4K) or 2 (2M)", v);
			e->level = v;
			have_level = true;
		} else if (!strcmp(*tok, "asid")) {
			if (v < 0 || v >= RMP_SYNC_ASID_LIMIT)
				return cap_err(c, "asid %lld out of range", v);
			e->asid = v;
		} else if (!strcmp(*tok, "immutable")) {
			e->immutable = v != 0;
		} else if (!strcmp(*tok, "npages")) {
			if (v <= 0 || v > UINT_MAX)
				return cap_err(c, "npages %lld out of range", v);
			e->npages = v;
		} else if (!strcmp(*tok, "tid")) {
			e->pid = v;
		} else if (!strcmp(*tok, "ret") || !strcmp(*tok, "arg1")) {
			e->ret = v;
			e->has_ret = true;
		}
	}
	if (e->is_return)
		return e->has_ret ? 0 : cap_err(c, "return event without ret=");
	if (!have_pfn)
		return cap_err(c, "event without pfn=");
	if ((e->fn == CAP_PRIVATE || e->fn == CAP_SHARED) && !have_level)
		return cap_err(c, "event without level=");
	if (e->level == PG_LEVEL_2M && e->pfn % RP)
		return cap_err(c, "2M level at unaligned pfn 0x%llx", (ull)e->pfn);
	if (e->fn == CAP_PSMASH && e->pfn % RP)
		return cap_err(c, "psmash of unaligned pfn 0x%llx", (ull)e->pfn);
	if (e->fn == CAP_PRIVATE &&
	    (e->gpa & (((e->level == PG_LEVEL_2M) ? 512ULL : 1ULL) * 4096 - 1)))
		return cap_err(c, "gpa 0x%llx not aligned to the level", (ull)e->gpa);
	return 0;
}

/* "5634.101234" seconds, or "12345678901" nanoseconds (bpftrace). */
static int cap_time(const struct cap_conv *c, const char *s, bool ns, u64 *out)
{
	unsigned long long sec, frac = 0;
	const char *dot;
	char *end;
	int digits;

	errno = 0;
	if (ns) {
		*out = strtoull(s, &end, 10);
		if (errno || end == s || *end)
			return cap_err(c, "bad timestamp '%s'", s);
		return 0;
	}
	sec = strtoull(s, &end, 10);
	if (errno || end == s || (*end && *end != '.'))
		return cap_err(c, "bad timestamp '%s'", s);
	dot = end;
	if (*dot == '.') {
		frac = strtoull(dot + 1, &end, 10);
		digits = end - dot - 1;
		if (*end || digits < 1 || digits > 9)
			return cap_err(c, "bad timestamp '%s'", s);
		while (digits++ < 9)
			frac *= 10;
	}
	*out = sec * 1000000000ULL + frac;
	return 0;
}

static int cap_add(struct cap_conv *c, struct cap_ev *e)
{
	if (e->fn == CAP_DERIVED) {
		c->derived++;
		return 0;
	}
	if (e->is_return) {
		size_t i;

		/* The latest call of the same thread and function. */
		for (i = c->nr; i-- > 0;)
			if (c->ev[i].pid == e->pid && c->ev[i].fn == e->fn)
				break;
		if (i != (size_t)-1 && e->ret && !c->ev[i].dropped) {
			c->ev[i].dropped = true;
			c->failed++;
		}
		return 0;
	}
	if (e->has_ret && e->ret) {
		c->failed++;
		return 0;
	}
	if (c->nr == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4096;
		struct cap_ev *n = realloc(c->ev, cap * sizeof(*n));

		if (!n) {
			fprintf(stderr, "rmp-sync-capture: out of memory\n");
			exit(1);
		}
		c->ev = n;
		c->cap = cap;
	}
	e->line = c->line;
	c->ev[c->nr++] = *e;
	if (e->pfn + (e->level == PG_LEVEL_2M || e->fn == CAP_PSMASH ? RP : e->npages) - 1 > c->max_pfn)
		c->max_pfn = e->pfn + (e->level == PG_LEVEL_2M || e->fn == CAP_PSMASH ? RP : e->npages) - 1;
	return 0;
}

/* "1234" (perf) or "comm-1234" (ftrace). */
static int cap_pid(const char *s)
{
	const char *dash = strrchr(s, '-');

	return atoi(dash ? dash + 1 : s);
}

/*
 * One line.  The event name is the first token (bpftrace: second, after
 * the ns clock) that names a known function; the timestamp the token
 * before it ("5634.101234:") or, for bpftrace, the first token.
 */
static int cap_line(struct cap_conv *c, char *buf)
{
	char *tok[64], *save, *s;
	unsigned int n = 0, i;
	struct cap_ev e = {};
	bool ret;

	/* ftrace "CPU:3 [LOST 12 EVENTS]", bpftrace "Lost 12 events" */
	if (strstr(buf, "LOST ") || !strncmp(buf, "Lost ", 5)) {
		c->lost++;
		return 0;
	}
	for (s = strtok_r(buf, " \t\r\n", &save); s && n < 63;
	     s = strtok_r(NULL, " \t\r\n", &save))
		tok[n++] = s;
	tok[n] = NULL;
	for (i = 0; i < n; i++) {
		if (strchr(tok[i], '='))
			return 0;	/* fields before any event name */
		e.fn = cap_fn_of(tok[i], &ret);
		if (e.fn != CAP_NONE)
			break;
	}
	if (i == n)
		return 0;
	e.is_return = ret;
	if (e.fn == CAP_DERIVED) {
		c->derived++;
		return 0;
	}
	if (i == 0)
		return cap_err(c, "event without a timestamp");
	{
		char *ts = tok[i - 1];
		size_t l = strlen(ts);
		bool colon = l && ts[l - 1] == ':';

		if (colon)
			ts[l - 1] = 0;
		/* bpftrace: "<ns> fn ...", no colon after the clock. */
		if (cap_time(c, ts, !colon && !strchr(ts, '.'), &e.ns))
			return -EINVAL;
		/* perf: "comm pid [cpu] t:"; ftrace: "comm-pid [cpu] flags t:" */
		if (i >= 3 && tok[i - 2][0] == '[')
			e.pid = cap_pid(tok[i - 3]);
		else if (i >= 4 && tok[i - 3][0] == '[')
			e.pid = cap_pid(tok[i - 4]);
	}
	if (cap_fields(c, tok + i + 1, &e))
		return -EINVAL;
	return cap_add(c, &e);
}

static int cap_read(struct cap_conv *c, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *buf = NULL;
	size_t len = 0;
	int ret = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -ENOENT;
	}
	c->path = path;
	c->line = 0;
	while (!ret && getline(&buf, &len, f) >= 0) {
		c->line++;
		ret = cap_line(c, buf);
	}
	free(buf);
	if (f != stdin)
		fclose(f);
	return ret;
}

static int cap_ev_cmp(const void *a, const void *b)
{
	const struct cap_ev *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	return 0;
}

static int cap_emit_op(struct sim_trace *t, enum rsr_op_kind kind, u64 pfn,
		       u8 level, u32 n, u64 gpa, bool immutable)
{
	struct rsr_op op = {
		.kind = kind, .arg = pfn, .level = level, .n = n, .gpa = gpa,
		.flags = immutable ? RSR_OP_IMMUTABLE : 0,
	};

	op.line = t->nr + SIM_EMIT_FIRST_LINE;
	return sim_trace_add(t, &op);
}

/* Mark the pages of one event; a prologue "private" when needed. */
static void cap_track(struct cap_set *s, struct sim_trace *pro, const struct cap_ev *e,
		      unsigned long *prologue)
{
	u64 n = e->fn == CAP_LEAK ? e->npages :
		(e->level == PG_LEVEL_2M || e->fn == CAP_PSMASH) ? RP : 1, i;
	bool need = e->fn != CAP_PRIVATE;

	for (i = 0; i < n; i++) {
		u8 *st = cap_set_get(s, e->pfn + i);

		if (need && !(*st & CAP_ST_TOUCHED)) {
			/* First sight, and the recording gives it back. */
			if (e->fn == CAP_PSMASH || e->level == PG_LEVEL_2M) {
				if (!i)
					cap_emit_op(pro, RSR_OP_PRIVATE, e->pfn, PG_LEVEL_2M,
						    1, e->pfn << 12, false);
				(*prologue)++;
			} else if (e->fn != CAP_LEAK) {
				cap_emit_op(pro, RSR_OP_PRIVATE, e->pfn + i, PG_LEVEL_4K,
					    1, (e->pfn + i) << 12, false);
				(*prologue)++;
			}
		}
		*st |= CAP_ST_TOUCHED;
		if (e->fn == CAP_PRIVATE)
			*st |= CAP_ST_ASSIGNED;
		else if (e->fn == CAP_SHARED)
			*st &= ~CAP_ST_ASSIGNED;
		else if (e->fn == CAP_PSMASH && !(*st & CAP_ST_ASSIGNED))
			*st |= CAP_ST_ASSIGNED;
	}
}

static int cap_convert(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ }
	};
	struct cap_conv c = {};
	struct sim_trace pro = {}, t = {};
	struct cap_set set = {};
	unsigned long prologue = 0;
	const char *out = "-";
	u64 mem = 0, now_ms = 0, t0;
	size_t i, kept = 0;
	int opt, ret = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (rsr_parse_size(optarg, &mem) || !mem ||
			    mem % (2ULL << 20) || mem > SIM_MAX_MEM)
				return cap_usage_err("--mem %s: a nonzero multiple of 2M, at most 4T",
						     optarg);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return cap_usage_err("convert: bad option");
		}
	}
	if (optind == argc) {
		ret = cap_read(&c, "-");
	} else {
		for (; optind < argc && !ret; optind++)
			ret = cap_read(&c, argv[optind]);
	}
	if (ret)
		return ret == -ENOENT ? 2 : 2;
	if (!c.nr) {
		fprintf(stderr, "%s:%u: no rmp_make_private, rmp_make_shared, psmash or snp_leak_pages events\n",
			c.path, c.line);
		return 2;
	}
	/* perf script sorts; trace_pipe of several CPUs need not be. */
	qsort(c.ev, c.nr, sizeof(*c.ev), cap_ev_cmp);
	if (!mem)
		mem = ALIGN((c.max_pfn + 1) << 12, 1ULL << 30);
	if (mem > SIM_MAX_MEM || ((c.max_pfn + 1) << 12) > mem) {
		fprintf(stderr, "%s: pfn 0x%llx beyond mem (%llu MiB)\n", c.path,
			(ull)c.max_pfn, (ull)(mem >> 20));
		return 2;
	}
	pro.name = t.name = "rmp-sync-capture";
	pro.mem_bytes = t.mem_bytes = mem;
	t0 = c.ev[0].ns;
	for (i = 0; i < c.nr && !ret; i++) {
		const struct cap_ev *e = &c.ev[i];
		u64 ms = (e->ns - t0) / 1000000;

		if (e->dropped)
			continue;
		kept++;
		cap_track(&set, &pro, e, &prologue);
		if (ms > now_ms) {
			ret = cap_emit_op(&t, RSR_OP_TICK, ms - now_ms, 0, 0, 0, false);
			now_ms = ms;
		}
		switch (e->fn) {
		case CAP_PRIVATE:
			ret = cap_emit_op(&t, RSR_OP_PRIVATE, e->pfn, e->level,
					  e->asid, e->gpa, e->immutable);
			break;
		case CAP_SHARED:
			ret = cap_emit_op(&t, RSR_OP_SHARED, e->pfn, e->level, 0, 0, false);
			break;
		case CAP_PSMASH:
			ret = cap_emit_op(&t, RSR_OP_PSMASH, e->pfn, 0, 0, 0, false);
			break;
		case CAP_LEAK:
			ret = cap_emit_op(&t, RSR_OP_LEAK, e->pfn, 0, e->npages, 0, false);
			break;
		default:
			break;
		}
	}
	/* The prologue first, then the recording. */
	for (i = 0; i < t.nr && !ret; i++)
		ret = sim_trace_add(&pro, &t.ops[i]);
	for (i = 0; i < pro.nr; i++)
		pro.ops[i].line = i + SIM_EMIT_FIRST_LINE;
	pro.name = "rmp-sync-capture convert";
	if (!ret)
		ret = sim_trace_emit(&pro, out);
	if (c.lost)
		fprintf(stderr, "rmp-sync-capture: warning: the recording lost events %lu times; the trace misses transitions (bigger buffers: BPFTRACE_PERF_RB_PAGES, perf record -m, tracefs buffer_size_kb)\n",
			c.lost);
	fprintf(stderr, "rmp-sync-capture: %zu calls (%lu failed ones dropped, %lu rmp_sync split/collapse/pass events skipped), %lu pages assumed assigned before the recording, %llu ms, mem %llu MiB\n",
		kept, c.failed, c.derived, prologue, (ull)now_ms, (ull)(mem >> 20));
	free(c.ev);
	free(set.key);
	free(set.val);
	sim_trace_free(&pro);
	sim_trace_free(&t);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return cap_usage_err("give a command: placement or convert");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cap_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "placement"))
		return cap_placement(argc - 1, argv + 1);
	if (!strcmp(argv[1], "convert"))
		return cap_convert(argc - 1, argv + 1);
	return cap_usage_err("unknown command '%s' (placement, convert)", argv[1]);
}
