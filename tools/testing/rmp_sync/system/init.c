// SPDX-License-Identifier: GPL-2.0
/*
 * rmp_sync system check: the initramfs's /init (static, no libc beyond
 * what glibc links statically).
 *
 * Mounts proc, sysfs, debugfs and tracefs, then runs the commands of
 * /plan, one per line, and reboots (QEMU runs with -no-reboot: it exits).  Results go to the second serial
 * port (/dev/ttyS1; the kernel's console stays on ttyS0, so kernel
 * messages never interleave with them), one line each, every line written
 * with one write():
 *
 *   JSON TAG {...}             the replay file's JSON after "json TAG"
 *   OK TEXT / FAIL TEXT        a check passed / failed
 *   CAT TAG LINE               a line of a file ("cat")
 *   PTDUMP TAG 4k=KB 2m=KB 1g=KB   the window recounted from ptdump
 *   INFO TEXT
 *   TIME S CMD ARG             a command that took S > 0.5 s
 *   DONE N                     the plan ran; N checks failed
 *
 * Plan commands (arguments are single words unless said otherwise):
 *
 *   replay FILE          write FILE into the replay file, complete lines,
 *                        at most 64 KiB per write(); FAIL on any error
 *   replay_bad FILE      the same, but the write must fail with EINVAL
 *   json TAG             read the replay file, print "JSON TAG ..."
 *   write PATH TEXT...   write the rest of the line (plus "\n") to PATH
 *   cat TAG PATH         print PATH's lines as "CAT TAG ..."
 *   abi NAME             /sys/kernel/mm/rmp_sync/NAME exists and reads
 *   knob NAME MIN MAX    the knob takes MIN and MAX and reads them back,
 *                        refuses bad text with EINVAL, value unchanged;
 *                        restored to its value before
 *   ptdump TAG BYTES     recount the first BYTES of the window's direct
 *                        map from /sys/kernel/debug/page_tables/kernel
 *   trace_on             record the rmp_sync events (trace_clock global)
 *   trace_off OUT        stop; convert the trace with /tracefs2trace
 *                        into OUT; FAIL if events were lost
 *   concat OUT IN...     OUT = the INs one after another
 *   dmesg                FAIL on WARN/BUG/lockdep/KASAN lines in the log
 *   expect_dmesg TEXT... OK if the log holds TEXT, else FAIL
 *   replay_until FILE N TEXT...  replay FILE up to N times, until the log
 *                        holds TEXT
 *   expect_after A B     the log holds B after the last A
 *   echo TEXT...         INFO TEXT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RS_SYSFS	"/sys/kernel/mm/rmp_sync/"
#define RS_DEBUGFS	"/sys/kernel/debug/rmp_sync/"
#define REPLAY		RS_DEBUGFS "replay"
#define TRACEFS		"/sys/kernel/tracing/"
#define CHUNK		65536

static int out_fd = 1;
static int failures;
static struct timespec t_start;

static void say(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(out_fd, buf, n) < 0)
		return;
}

static double elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t_start.tv_sec) + (t.tv_nsec - t_start.tv_nsec) / 1e9;
}

#define fail(...) do { failures++; say("FAIL " __VA_ARGS__); } while (0)

/* Whole file into a malloc()ed, NUL-terminated buffer; NULL and errno. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0 || !buf) {
		int e = errno;

		free(buf);
		if (fd >= 0)
			close(fd);
		errno = e;
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			char *b = realloc(buf, 2 * cap + 1);

			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			int e = errno;

			close(fd);
			free(buf);
			errno = e;
			return NULL;
		}
		if (!r)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* One write() of @len bytes; 0 or -errno. */
static int put(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t r;
	int e;

	if (fd < 0)
		return -errno;
	r = write(fd, text, len);
	e = errno;
	close(fd);
	if (r < 0)
		return -e;
	return (size_t)r == len ? 0 : -EIO;
}

/*
 * Feed @path into the replay file: complete lines, at most CHUNK bytes
 * per write().  Returns 0 or -errno of the first failed write; *line is
 * the first line of the failed chunk.
 */
static int feed(const char *path, unsigned long *line, unsigned long *lines)
{
	size_t len, off = 0;
	char *buf = slurp(path, &len);
	unsigned long ln = 1;
	int fd, ret = 0;

	*lines = 0;
	if (!buf)
		return -errno;
	fd = open(REPLAY, O_WRONLY);
	if (fd < 0) {
		ret = -errno;
		free(buf);
		return ret;
	}
	while (off < len) {
		size_t n = len - off, i;
		unsigned long nl = 0;
		ssize_t r;

		if (n > CHUNK) {
			n = CHUNK;
			while (n && buf[off + n - 1] != '\n')
				n--;
			if (!n) {
				ret = -E2BIG;
				break;
			}
		}
		for (i = 0; i < n; i++)
			nl += buf[off + i] == '\n';
		*line = ln;
		r = write(fd, buf + off, n);
		if (r < 0) {
			ret = -errno;
			break;
		}
		if ((size_t)r != n) {
			ret = -EIO;
			break;
		}
		off += n;
		ln += nl;
		*lines += nl;
	}
	close(fd);
	free(buf);
	return ret;
}

static void cmd_replay(char **av, int ac, int want_einval)
{
	unsigned long line = 0, lines = 0;
	double t0 = elapsed();
	int ret;

	if (ac < 2) {
		fail("replay: no file");
		return;
	}
	ret = feed(av[1], &line, &lines);
	if (want_einval) {
		if (ret == -EINVAL)
			say("OK replay_bad %s refused with EINVAL", av[1]);
		else
			fail("replay_bad %s: got %s, not EINVAL", av[1],
			     ret ? strerror(-ret) : "success");
		return;
	}
	if (ret)
		fail("replay %s: write at line %lu: %s", av[1], line, strerror(-ret));
	else
		say("INFO replay %s: %lu lines in %.2f s", av[1], lines,
		    elapsed() - t0);
}

static void cmd_json(char **av, int ac)
{
	char *buf = slurp(REPLAY, NULL);
	size_t n;

	if (!buf) {
		fail("json %s: read %s: %s", ac > 1 ? av[1] : "", REPLAY,
		     strerror(errno));
		return;
	}
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	say("JSON %s %s", ac > 1 ? av[1] : "-", buf);
	free(buf);
}

static void cmd_cat(char **av, int ac)
{
	char *buf, *line, *save;

	if (ac < 3) {
		fail("cat: usage: cat TAG PATH");
		return;
	}
	buf = slurp(av[2], NULL);
	if (!buf) {
		fail("cat %s: %s", av[2], strerror(errno));
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		say("CAT %s %s", av[1], line);
	free(buf);
}

static void cmd_write(char **av, int ac)
{
	char text[4096] = "";
	int i, ret;

	if (ac < 3) {
		fail("write: usage: write PATH TEXT");
		return;
	}
	for (i = 2; i < ac; i++) {
		if (i > 2)
			strncat(text, " ", sizeof(text) - strlen(text) - 1);
		strncat(text, av[i], sizeof(text) - strlen(text) - 1);
	}
	strncat(text, "\n", sizeof(text) - strlen(text) - 1);
	ret = put(av[1], text, strlen(text));
	if (ret)
		fail("write %s to %s: %s", av[2], av[1], strerror(-ret));
}

static void cmd_abi(char **av, int ac)
{
	char path[512];
	char *buf;
	size_t len;

	if (ac < 2) {
		fail("abi: no name");
		return;
	}
	snprintf(path, sizeof(path), RS_SYSFS "%s", av[1]);
	buf = slurp(path, &len);
	if (!buf) {
		fail("abi %s: %s", path, strerror(errno));
		return;
	}
	/* One unsigned decimal number and a newline (the ABI's words). */
	if (len < 2 || buf[len - 1] != '\n' ||
	    strspn(buf, "0123456789") != len - 1)
		fail("abi %s: reads '%.40s', not a number and a newline", path, buf);
	else
		say("OK abi %s = %.*s", av[1], (int)len - 1, buf);
	free(buf);
}

static int knob_read(const char *path, unsigned long long *v)
{
	char *buf = slurp(path, NULL), *end;

	if (!buf)
		return -errno;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (end == buf || *end != '\n') {
		free(buf);
		return -EINVAL;
	}
	free(buf);
	return 0;
}

static void cmd_knob(char **av, int ac)
{
	unsigned long long min, max, old, v;
	const char *bad[12];
	char path[512], t[64], below[32], above[32];
	int nbad = 0, i, ret, ok = 1;

	if (ac < 4) {
		fail("knob: usage: knob NAME MIN MAX");
		return;
	}
	snprintf(path, sizeof(path), RS_SYSFS "%s", av[1]);
	min = strtoull(av[2], NULL, 0);
	max = strtoull(av[3], NULL, 0);
	if (knob_read(path, &old)) {
		fail("knob %s: cannot read", av[1]);
		return;
	}
	/* The range ends, each read back. */
	for (i = 0; i < 2; i++) {
		v = i ? max : min;
		snprintf(t, sizeof(t), "%llu\n", v);
		ret = put(path, t, strlen(t));
		if (ret) {
			fail("knob %s: write %llu: %s", av[1], v, strerror(-ret));
			ok = 0;
			continue;
		}
		if (knob_read(path, &v) || v != (i ? max : min)) {
			fail("knob %s: wrote %llu, reads %llu", av[1], i ? max : min, v);
			ok = 0;
		}
	}
	/* Bad text, from a known value (the middle of the range). */
	snprintf(t, sizeof(t), "%llu\n", min + (max - min) / 2);
	put(path, t, strlen(t));
	if (min > 0) {
		snprintf(below, sizeof(below), "%llu", min - 1);
		bad[nbad++] = below;
	}
	snprintf(above, sizeof(above), "%llu", max + 1);
	bad[nbad++] = above;
	bad[nbad++] = "-1";
	bad[nbad++] = "abc";
	bad[nbad++] = "1 2";
	bad[nbad++] = "0x1";
	bad[nbad++] = "\n";	/* (an empty write never reaches the store) */
	bad[nbad++] = "5\n\n";
	bad[nbad++] = "99999999999999999999";
	for (i = 0; i < nbad; i++) {
		unsigned long long before, after;

		knob_read(path, &before);
		ret = put(path, bad[i], strlen(bad[i]));
		knob_read(path, &after);
		if (ret != -EINVAL) {
			fail("knob %s: '%s' gave %s, not EINVAL", av[1], bad[i],
			     ret ? strerror(-ret) : "success");
			ok = 0;
		} else if (before != after) {
			fail("knob %s: refused '%s' but changed %llu -> %llu",
			     av[1], bad[i], before, after);
			ok = 0;
		}
	}
	snprintf(t, sizeof(t), "%llu\n", old);
	ret = put(path, t, strlen(t));
	if (ret || knob_read(path, &v) || v != old) {
		fail("knob %s: cannot restore %llu", av[1], old);
		ok = 0;
	}
	if (ok)
		say("OK knob %s takes %llu and %llu, refuses %d bad values unchanged",
		    av[1], min, max, nbad);
}

/* "base_pfn 0x..", "nr_pages N", "vaddr 0x.." from the window file. */
static int window(unsigned long long *base, unsigned long long *nr,
		  unsigned long long *vaddr)
{
	char *buf = slurp(RS_DEBUGFS "window", NULL), *p;
	int got = 0;

	if (!buf)
		return -errno;
	/* strtoull: a direct-map address does not fit a signed %lli. */
	p = strstr(buf, "base_pfn ");
	if (p) {
		*base = strtoull(p + 9, NULL, 0);
		got++;
	}
	p = strstr(buf, "nr_pages ");
	if (p) {
		*nr = strtoull(p + 9, NULL, 0);
		got++;
	}
	p = strstr(buf, "vaddr ");
	if (p) {
		*vaddr = strtoull(p + 6, NULL, 0);
		got++;
	}
	free(buf);
	return got == 3 ? 0 : -EINVAL;
}

/*
 * x86 ptdump lines: "0xSTART-0xEND   SIZE  FLAGS...  LEVEL", LEVEL one of
 * pte pmd pud p4d pgd; a present range has "RW" or "ro" among its
 * flags.  Consecutive entries of one level and protection are merged, so
 * sum the overlap of every present leaf range with the window.
 */
static void cmd_ptdump(char **av, int ac)
{
	unsigned long long base = 0, nr = 0, vaddr = 0, start, end, bytes, lo, hi;
	unsigned long long kb[3] = { 0, 0, 0 };
	char *buf, *line, *save;

	if (ac < 3) {
		fail("ptdump: usage: ptdump TAG BYTES");
		return;
	}
	bytes = strtoull(av[2], NULL, 0);
	if (window(&base, &nr, &vaddr)) {
		fail("ptdump %s: cannot read " RS_DEBUGFS "window", av[1]);
		return;
	}
	if (bytes > nr * 4096)
		bytes = nr * 4096;
	buf = slurp("/sys/kernel/debug/page_tables/kernel", NULL);
	if (!buf) {
		fail("ptdump %s: /sys/kernel/debug/page_tables/kernel: %s", av[1],
		     strerror(errno));
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *last, *tok, *s2;
		int present = 0, lvl;

		if (sscanf(line, "0x%llx-0x%llx", &start, &end) != 2)
			continue;
		lo = start > vaddr ? start : vaddr;
		hi = end < vaddr + bytes ? end : vaddr + bytes;
		if (lo >= hi)
			continue;
		last = NULL;
		for (tok = strtok_r(line, " \t", &s2); tok;
		     tok = strtok_r(NULL, " \t", &s2)) {
			if (!strcmp(tok, "RW") || !strcmp(tok, "ro"))
				present = 1;
			last = tok;
		}
		if (!present || !last)
			continue;
		if (!strcmp(last, "pte"))
			lvl = 0;
		else if (!strcmp(last, "pmd"))
			lvl = 1;
		else if (!strcmp(last, "pud"))
			lvl = 2;
		else {
			fail("ptdump %s: a %s leaf in the window", av[1], last);
			continue;
		}
		kb[lvl] += (hi - lo) >> 10;
	}
	free(buf);
	say("PTDUMP %s 4k=%llu 2m=%llu 1g=%llu", av[1], kb[0], kb[1], kb[2]);
}

static void cmd_trace_on(void)
{
	static const char *const steps[][2] = {
		{ TRACEFS "tracing_on", "0\n" },
		{ TRACEFS "events/enable", "0\n" },
		{ TRACEFS "trace_clock", "global\n" },
		{ TRACEFS "buffer_size_kb", "65536\n" },
		{ TRACEFS "trace", "\n" },
		{ TRACEFS "events/rmp_sync/enable", "1\n" },
		{ TRACEFS "tracing_on", "1\n" },
	};
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ret = put(steps[i][0], steps[i][1], strlen(steps[i][1]));
		if (ret) {
			fail("trace_on: %s: %s", steps[i][0], strerror(-ret));
			return;
		}
	}
	say("INFO trace_on");
}

static void cmd_trace_off(char **av, int ac)
{
	unsigned long long in = 0, written = 0;
	char *buf, *p;
	pid_t pid;
	int st, fd;

	if (ac < 2) {
		fail("trace_off: no output file");
		return;
	}
	put(TRACEFS "tracing_on", "0\n", 2);
	put(TRACEFS "events/rmp_sync/enable", "0\n", 2);
	/* The header says whether the ring buffer dropped anything. */
	buf = slurp(TRACEFS "trace", NULL);
	if (!buf) {
		fail("trace_off: read trace: %s", strerror(errno));
		return;
	}
	p = strstr(buf, "entries-in-buffer/entries-written:");
	if (!p || sscanf(p + 34, " %llu/%llu", &in, &written) != 2)
		fail("trace_off: no entries-in-buffer header");
	else if (in != written)
		fail("trace_off: %llu of %llu events lost", written - in, written);
	else
		say("INFO trace_off: %llu events recorded", in);
	free(buf);
	pid = fork();
	if (!pid) {
		fd = open(av[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(out_fd, 2);
		execl("/tracefs2trace", "tracefs2trace", TRACEFS "trace", NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		fail("trace_off: tracefs2trace failed");
}

static void cmd_concat(char **av, int ac)
{
	int fd, i;

	if (ac < 3) {
		fail("concat: usage: concat OUT IN...");
		return;
	}
	fd = open(av[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fail("concat %s: %s", av[1], strerror(errno));
		return;
	}
	for (i = 2; i < ac; i++) {
		size_t len;
		char *buf = slurp(av[i], &len);

		if (!buf || write(fd, buf, len) != (ssize_t)len)
			fail("concat %s: %s", av[i], strerror(errno));
		free(buf);
	}
	close(fd);
}

static char *kernel_log(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;

	if (len <= 0)
		len = 1 << 20;
	buf = malloc(len + 1);
	if (!buf)
		return NULL;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static void cmd_dmesg(void)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "kernel BUG", "Oops", "Call Trace:",
		/* lockdep's reports, and its note once a report disabled it */
		"possible circular locking", "possible recursive locking",
		"inconsistent lock state", "suspicious RCU usage",
		"bad unlock balance", "lock held when returning",
		"DEBUG_LOCKS_WARN_ON", "lockdep is turned off",
		"INFO: trying to register non-static key",
		"BUG: KASAN", "UBSAN:", "general protection fault",
		"Kernel panic", "INFO: task", "RMP fault",
	};
	char *buf = kernel_log(), *line, *save, *end, *next;
	int hits = 0, known = 0;
	unsigned int i;

	if (!buf) {
		fail("dmesg: cannot read the kernel log: %s", strerror(errno));
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/*
		 * CONFIG_CPA_DEBUG's own test in mark_rodata_ro() makes the
		 * kernel text writable again on purpose ("Testing CPA: undo"),
		 * and CPA's W^X check reports it (Linux 6.12 and 7.3 alike):
		 * that report, up to its end marker, is the kernel's, not ours.
		 */
		next = save ? strchr(save, '\n') : NULL;
		if (strstr(line, "[ cut here ]") && next &&
		    memmem(save, next - save, "CPA detected W^X violation", 26) &&
		    (end = strstr(save, "---[ end trace")) &&
		    memmem(save, end - save, "mark_rodata_ro+", 15)) {
			known++;
			save = strchr(end, '\n');
			if (!save)
				break;
			continue;
		}
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (strstr(line, bad[i])) {
				if (hits++ < 40)
					say("INFO dmesg: %s", line);
				break;
			}
		}
	}
	free(buf);
	if (known)
		say("INFO dmesg: %d report(s) of CONFIG_CPA_DEBUG's own W^X test in mark_rodata_ro() ignored",
		    known);
	if (hits)
		fail("dmesg: %d WARN/BUG/lockdep/KASAN lines", hits);
	else
		say("OK dmesg: no WARN, BUG, lockdep or KASAN report");
}

static void cmd_expect_dmesg(char **av, int ac)
{
	char text[1024] = "", *buf;
	int i;

	for (i = 1; i < ac; i++) {
		if (i > 1)
			strncat(text, " ", sizeof(text) - strlen(text) - 1);
		strncat(text, av[i], sizeof(text) - strlen(text) - 1);
	}
	buf = kernel_log();
	if (buf && strstr(buf, text))
		say("OK dmesg has '%s'", text);
	else
		fail("dmesg lacks '%s'", text);
	free(buf);
}

/*
 * "replay_until FILE N TEXT...": replay FILE (a whole replay input, "mem"
 * first) again and again, at most N times, until the kernel log holds
 * TEXT; "INFO replay_until: K replays" (FAIL if TEXT never came).
 */
static void cmd_replay_until(char **av, int ac)
{
	unsigned long line = 0, lines = 0;
	char text[512] = "", *log;
	int i, n, ret, found = 0;

	if (ac < 4) {
		fail("replay_until: usage: replay_until FILE N TEXT");
		return;
	}
	for (i = 3; i < ac; i++) {
		if (i > 3)
			strncat(text, " ", sizeof(text) - strlen(text) - 1);
		strncat(text, av[i], sizeof(text) - strlen(text) - 1);
	}
	n = atoi(av[2]);
	for (i = 0; i < n && !found; i++) {
		ret = feed(av[1], &line, &lines);
		if (ret) {
			fail("replay_until %s: write at line %lu: %s", av[1], line,
			     strerror(-ret));
			return;
		}
		log = kernel_log();
		found = log && strstr(log, text);
		free(log);
	}
	if (found)
		say("OK replay_until: '%s' after %d replays of %s", text, i, av[1]);
	else
		fail("replay_until: no '%s' after %d replays of %s", text, i, av[1]);
}

/* "expect_after A B": the kernel log has B after the last A. */
static void cmd_expect_after(char **av, int ac)
{
	char *log = kernel_log(), *a, *p;

	if (ac < 3 || !log) {
		fail("expect_after: usage: expect_after A B (or no log)");
		free(log);
		return;
	}
	a = NULL;
	for (p = strstr(log, av[1]); p; p = strstr(p + 1, av[1]))
		a = p;
	if (a && strstr(a, av[2]))
		say("OK dmesg has '%s' after '%s'", av[2], av[1]);
	else
		fail("dmesg lacks '%s' after '%s'", av[2], av[1]);
	free(log);
}

static void run_plan(const char *path)
{
	char *plan = slurp(path, NULL), *line, *save;
	double t0;

	if (!plan) {
		fail("no plan %s: %s", path, strerror(errno));
		return;
	}
	for (line = strtok_r(plan, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *av[64], *s2, *tok;
		int ac = 0;

		for (tok = strtok_r(line, " \t", &s2); tok && ac < 63;
		     tok = strtok_r(NULL, " \t", &s2))
			av[ac++] = tok;
		av[ac] = NULL;
		if (!ac || av[0][0] == '#')
			continue;
		t0 = elapsed();
		if (!strcmp(av[0], "replay"))
			cmd_replay(av, ac, 0);
		else if (!strcmp(av[0], "replay_bad"))
			cmd_replay(av, ac, 1);
		else if (!strcmp(av[0], "json"))
			cmd_json(av, ac);
		else if (!strcmp(av[0], "write"))
			cmd_write(av, ac);
		else if (!strcmp(av[0], "cat"))
			cmd_cat(av, ac);
		else if (!strcmp(av[0], "abi"))
			cmd_abi(av, ac);
		else if (!strcmp(av[0], "knob"))
			cmd_knob(av, ac);
		else if (!strcmp(av[0], "ptdump"))
			cmd_ptdump(av, ac);
		else if (!strcmp(av[0], "trace_on"))
			cmd_trace_on();
		else if (!strcmp(av[0], "trace_off"))
			cmd_trace_off(av, ac);
		else if (!strcmp(av[0], "concat"))
			cmd_concat(av, ac);
		else if (!strcmp(av[0], "dmesg"))
			cmd_dmesg();
		else if (!strcmp(av[0], "expect_dmesg"))
			cmd_expect_dmesg(av, ac);
		else if (!strcmp(av[0], "replay_until"))
			cmd_replay_until(av, ac);
		else if (!strcmp(av[0], "expect_after"))
			cmd_expect_after(av, ac);
		else if (!strcmp(av[0], "echo"))
			say("INFO %s", ac > 1 ? av[1] : "");
		else
			fail("unknown plan command '%s'", av[0]);
		/* Where the time goes (TCG): every command over 0.5 s. */
		if (elapsed() - t0 > 0.5)
			say("TIME %.2f %s %s", elapsed() - t0, av[0],
			    ac > 1 ? av[1] : "");
	}
	free(plan);
}

static void mnt(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, NULL) && errno != EBUSY)
		say("INFO mount %s on %s: %s", type, dir, strerror(errno));
}

int main(void)
{
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	mkdir("/dev", 0755);
	mnt("devtmpfs", "/dev", "devtmpfs");
	mknod("/dev/console", S_IFCHR | 0600, makedev(5, 1));
	mknod("/dev/ttyS1", S_IFCHR | 0600, makedev(4, 65));
	fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY);
	if (fd < 0)
		fd = open("/dev/console", O_WRONLY | O_NOCTTY);
	if (fd >= 0)
		out_fd = fd;
	mnt("proc", "/proc", "proc");
	mnt("sysfs", "/sys", "sysfs");
	mnt("debugfs", "/sys/kernel/debug", "debugfs");
	mnt("tracefs", "/sys/kernel/tracing", "tracefs");
	mkdir("/tmp", 01777);
	say("INFO init up");
	run_plan("/plan");
	say("DONE %d %.1f", failures, elapsed());
	sync();
	/*
	 * The KUnit config has no ACPI, so no power-off: reboot, which
	 * QEMU's -no-reboot turns into an exit (as kunit.py does).
	 */
	reboot(RB_AUTOBOOT);
	return 0;
}
