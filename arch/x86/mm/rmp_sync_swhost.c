// SPDX-License-Identifier: GPL-2.0
/*
 * rmp_sync's software-SNP debug host (CONFIG_RMP_SYNC_SW_HOST): the whole
 * system as on an SNP host, minus the instructions, on any x86-64 machine.
 *
 * "rmp_sync.sw_host=SIZE" (a multiple of 1G, at most 8G) takes a window of
 * SIZE bytes of RAM at boot, aligned to its size, and makes the host
 * instance over it: the software RMP (rmp_sync_swrmp.c) and the real
 * direct map, attached to the real runner (khugepaged, or the fallback
 * work), /sys/kernel/mm/rmp_sync/ and the tracepoints.  The instance's PFN
 * 0 is the window's first page; sysfs and the tracepoints show PFNs
 * relative to the window.
 *
 * /sys/kernel/debug/rmp_sync/replay replays a page-state history into it
 * with the simulator's replay engine (rmp_sync_replay.c).  Each write()
 * holds whole lines of the trace format, or:
 *
 *   mem SIZE         a new replay over the first SIZE bytes of the window:
 *                    a new instance and software RMP, the window mapped as
 *                    at boot (1G leaves for whole 1G ranges, else 2M), the
 *                    clock at 0
 *   policy P         a new replay (same size) under policy P
 *   name TEXT        the "trace" of the JSON object
 *   set KNOB=VALUE   a knob, as rmp-sync-sim --set before the first
 *                    operation, as a sysfs write after it
 *
 * Every line of a write is checked before any is applied: a bad one fails
 * the write with -EINVAL and changes nothing.  The replay's clock is
 * virtual: "tick MS" runs the passes that fall due, each on the real runner
 * (rmp_sync_host_step()), so a replay gives the same result each time and
 * the same as rmp-sync-sim, whose JSON object a read returns, computed from
 * this instance, its software RMP and a walk of the window's page tables.
 *
 * Locking: swh_lock protects the replay (the instance, the software RMP,
 * the engine's run) and is taken by the debugfs files only.  The runner
 * takes its own locks while a replay waits for a pass with swh_lock held;
 * nothing the runner calls takes swh_lock.  Kicks from outside the replay
 * (sysfs knob writes) are only noted (swh_kicked) and handed to the engine
 * by the next write.  Nothing here is called with cpa_lock or pgd_lock
 * held; the direct-map calls take them.
 */
#define pr_fmt(fmt) "rmp_sync sw_host: " fmt

#include <linux/cc_platform.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/log2.h>
#include <linux/memory_hotplug.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rmp_sync.h>
#include <linux/rmp_sync_swrmp.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/set_memory.h>
#include <trace/events/rmp_sync.h>

#include "rmp_sync_replay.h"

#define SWH_MAX_BYTES		(8ULL << 30)
/* The longest write() the replay file takes. */
#define SWH_MAX_WRITE		(64 * 1024)
#define SWH_JSON_LEN		2048
#define SWH_NAME_LEN		128

enum swh_cmd_kind { SWH_OP, SWH_MEM, SWH_POLICY, SWH_NAME, SWH_SET };

/* One checked line of a write. */
struct swh_cmd {
	enum swh_cmd_kind kind;
	struct rsr_op op;		/* SWH_OP */
	u64 val;			/* SWH_MEM bytes, SWH_POLICY, SWH_SET value */
	unsigned int knob;		/* SWH_SET */
	const char *text;		/* SWH_NAME, in the write's buffer */
};

/* The boot parameter rmp_sync.sw_host=SIZE; 0: no debug host. */
static unsigned long long swh_bytes;

static DEFINE_MUTEX(swh_lock);
static struct page *swh_window;
static u64 swh_base, swh_window_pages;
/* The replay; all protected by swh_lock. */
static struct rmp_sync_swrmp *swh_rmp;
static struct rmp_sync *swh_rs;
static struct rsr_run swh_run;
static enum rsr_policy swh_policy = RSR_RMP_SYNC;
static u64 swh_pages;			/* the replay's memory */
static char swh_name[SWH_NAME_LEN] = "replay";
static char swh_json[SWH_JSON_LEN];
static int swh_json_len;		/* 0: to be made by the next read */
static int swh_error;			/* the runner failed a pass */
static struct task_struct *swh_replayer;	/* applying operations now */
static atomic_t swh_kicked;		/* a kick from outside the replay */
static atomic_long_t swh_flushes;	/* global flushes of the instance */
/*
 * The replay's 2M regions mapped 4K: walked once when the window is mapped
 * as at boot, then kept by the instance's split and collapse callbacks, so
 * that the engine's per-operation figures need no page-table walk.
 */
static atomic_long_t swh_split;

static int swh_param_set(const char *val, const struct kernel_param *kp)
{
	char *end;
	unsigned long long v = memparse(val, &end);

	if (end == val || (*end && *end != '\n'))
		return -EINVAL;
	swh_bytes = v;
	return 0;
}

static const struct kernel_param_ops swh_param_ops = {
	.set = swh_param_set,
	.get = param_get_ullong,
};

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "rmp_sync."
module_param_cb(sw_host, &swh_param_ops, &swh_bytes, 0);
MODULE_PARM_DESC(sw_host, "RAM for the software-SNP debug host (a multiple of 1G, at most 8G)");

static unsigned long swh_addr(u64 pfn)
{
	return (unsigned long)pfn_to_kaddr(swh_base + pfn);
}

/* ---- the direct-map backend: the kernel's, offset to the window -------- */

static int swh_dmap_level(void *priv, u64 pfn)
{
	return rmp_sync_kernel_dmap_ops.level(NULL, swh_base + pfn);
}

static int swh_dmap_split(void *priv, u64 pfn, bool nofail, int *old_level)
{
	int ret = rmp_sync_kernel_dmap_ops.split(NULL, swh_base + pfn, nofail,
						 old_level);

	/*
	 * split_direct_map_2m() flushed if it split anything; the region is
	 * 4K now, a 1G leaf above it became 2M ones.
	 */
	if (!ret && *old_level > PG_LEVEL_4K) {
		atomic_long_inc(&swh_flushes);
		atomic_long_inc(&swh_split);
	}
	return ret;
}

static int swh_dmap_collapse(void *priv, u64 pfn, int level)
{
	int ret = rmp_sync_kernel_dmap_ops.collapse(NULL, swh_base + pfn, level);

	/* A 1G collapse takes 512 2M leaves: no 4K region changes. */
	if (ret == RMP_SYNC_COLLAPSED && level == PG_LEVEL_2M)
		atomic_long_dec(&swh_split);
	return ret;
}

static void swh_dmap_flush(void *priv)
{
	atomic_long_inc(&swh_flushes);
	rmp_sync_kernel_dmap_ops.flush(NULL);
}

static const struct rmp_sync_dmap_ops swh_dmap_ops = {
	.name = "kernel direct map (software-SNP window)",
	.level = swh_dmap_level,
	.split = swh_dmap_split,
	.collapse = swh_dmap_collapse,
	.flush = swh_dmap_flush,
};

/* ---- the host, as the replay engine sees it ---------------------------- */

static int swh_level(void *host, u64 pfn)
{
	return swh_dmap_level(NULL, pfn);
}

/* The leaves mapping the first @nr_pages of the window, region by region. */
static void swh_walk(u64 nr_pages, u64 *p4k, u64 *p2m, u64 *p1g)
{
	u64 pfn;

	*p4k = *p2m = *p1g = 0;
	for (pfn = 0; pfn < nr_pages; pfn += RMP_SYNC_REGION_PAGES) {
		switch (swh_dmap_level(NULL, pfn)) {
		case PG_LEVEL_1G:
			if (IS_ALIGNED(pfn, RMP_SYNC_GB_PAGES))
				(*p1g)++;
			break;
		case PG_LEVEL_2M:
			(*p2m)++;
			break;
		case PG_LEVEL_4K:
			*p4k += RMP_SYNC_REGION_PAGES;
			break;
		}
	}
}

/*
 * The final figures (what the system check recounts from ptdump) are the
 * page tables' own: walked, so they also show what others changed.
 */
static void swh_directmap(void *host, u64 *p4k, u64 *p2m, u64 *p1g)
{
	swh_walk(swh_pages, p4k, p2m, p1g);
}

static u64 swh_split_regions(void *host)
{
	return atomic_long_read(&swh_split);
}

/*
 * A host write: the RMP check the hardware would make at the level the page
 * is really mapped with, then a real store.
 */
static int swh_write(void *host, unsigned int cpu, u64 pfn)
{
	u64 val = pfn;
	int ret = 0;

	if (!rmp_sync_swrmp_write_ok(swh_rmp, pfn, swh_dmap_level(NULL, pfn)))
		ret = -EFAULT;
	else if (copy_to_kernel_nofault((void *)swh_addr(pfn), &val, sizeof(val)))
		ret = -EFAULT;
	trace_rmp_sync_sw_write(pfn, ret);
	return ret;
}

static bool swh_assigned(void *host, u64 pfn)
{
	struct rmp_sync_rmp_entry e;

	return !rmp_sync_swrmp_ops.lookup(swh_rmp, pfn, &e) && e.assigned;
}

static u64 swh_flushes_now(void *host)
{
	return atomic_long_read(&swh_flushes);
}

/* One pass on the real runner; a runner that does not come ends the replay. */
static unsigned int swh_pass(void *host, struct rmp_sync_pass *pass)
{
	unsigned int sleep_ms = RMP_SYNC_IDLE;
	int ret = rmp_sync_host_step(pass, &sleep_ms);

	if (ret) {
		pr_err("the runner did not run a pass (%d); the replay stops\n", ret);
		swh_error = ret;
		return RMP_SYNC_IDLE;
	}
	return sleep_ms;
}

static void swh_quiesce(void *host)
{
	get_online_mems();
	while (rmp_sync_recover(swh_rs,
				rmp_sync_get_knob(swh_rs, RMP_SYNC_KNOB_REGIONS_TO_SCAN),
				true, NULL) > 0)
		cond_resched();
	put_online_mems();
	trace_rmp_sync_sw_quiesce(swh_run.now_ms);
}

static const struct rsr_host_ops swh_host_ops = {
	.level = swh_level,
	.directmap = swh_directmap,
	.write = swh_write,
	.assigned = swh_assigned,
	.flushes = swh_flushes_now,
	.pass = swh_pass,
	.quiesce = swh_quiesce,
	.split_regions = swh_split_regions,
	/*
	 * CPA_DEBUG's self-test changes random direct-map pages, and splits
	 * any large leaf over them, window or not; without it nothing else
	 * touches the window's mappings.
	 */
	.foreign_splits = IS_ENABLED(CONFIG_CPA_DEBUG),
};

/* The runner's kicks: the replay's own at once, others at its next write. */
static void swh_kick(void *unused)
{
	if (READ_ONCE(swh_replayer) == current)
		rsr_kick(&swh_run);
	else
		atomic_set(&swh_kicked, 1);
}

/* ---- a replay's life --------------------------------------------------- */

static void swh_stop(void)
{
	if (swh_rs) {
		rmp_sync_host_detach(swh_rs);
		rmp_sync_destroy(swh_rs);
		swh_rs = NULL;
	}
	rsr_run_free(&swh_run);
	if (swh_rmp) {
		rmp_sync_swrmp_destroy(swh_rmp);
		swh_rmp = NULL;
	}
}

/*
 * Map the first @nr_pages of the window as the engine's boot layout: 1G
 * leaves for whole 1G ranges, 2M leaves elsewhere; the rest of the window
 * is left as it is.  Where it cannot be made so (no 1G pages, or another
 * user split a page on purpose), the replay's figures will differ from the
 * simulator's, which is said once per replay.
 */
static void swh_window_boot(u64 nr_pages)
{
	u64 pfn, end = round_up(nr_pages, RMP_SYNC_GB_PAGES);
	int old;

	for (pfn = 0; pfn < end; pfn += RMP_SYNC_REGION_PAGES)
		if (swh_dmap_level(NULL, pfn) == PG_LEVEL_4K)
			collapse_direct_map(swh_addr(pfn), PG_LEVEL_2M);
	for (pfn = 0; pfn < end; pfn += RMP_SYNC_GB_PAGES) {
		bool whole = pfn + RMP_SYNC_GB_PAGES <= nr_pages;
		int level = swh_dmap_level(NULL, pfn);

		if (whole && level == PG_LEVEL_2M)
			collapse_direct_map(swh_addr(pfn), PG_LEVEL_1G);
		else if (!whole && level == PG_LEVEL_1G &&
			 !split_direct_map_2m(swh_addr(pfn), false, &old))
			collapse_direct_map(swh_addr(pfn), PG_LEVEL_2M);
	}
	flush_direct_map_collapses();
	for (pfn = 0; pfn < end; pfn += RMP_SYNC_REGION_PAGES) {
		int want = round_down(pfn, RMP_SYNC_GB_PAGES) + RMP_SYNC_GB_PAGES <=
			   nr_pages ? PG_LEVEL_1G : PG_LEVEL_2M;
		int level = swh_dmap_level(NULL, pfn);

		if (level != want) {
			pr_warn("window PFN 0x%llx mapped at level %d, not %d as the replay assumes (no 1G pages, or another user split it)\n",
				pfn, level, want);
			break;
		}
	}
}

/* A new replay over @nr_pages under @policy, replacing the current one. */
static int swh_start(u64 nr_pages, enum rsr_policy policy)
{
	struct rmp_sync_config cfg = {
		.nr_pages = nr_pages,
		.rmp = &rmp_sync_swrmp_ops,
		.dmap = &swh_dmap_ops,
		.clock_ms = rsr_clock,
		.clock_priv = &swh_run,
		.kick = rmp_sync_host_kick,
		.mode = rsr_policy_mode[policy],
		.collapse_delay_millisecs =
			rmp_sync_knobs[RMP_SYNC_KNOB_COLLAPSE_DELAY_MS].def,
		.defrag_1g = rmp_sync_knobs[RMP_SYNC_KNOB_DEFRAG_1G].def,
	};
	u64 p4k, p2m, p1g;
	struct rmp_sync *rs;
	int ret;

	swh_stop();
	swh_pages = 0;
	swh_error = 0;
	atomic_set(&swh_kicked, 0);
	atomic_long_set(&swh_flushes, 0);
	swh_window_boot(nr_pages);
	swh_walk(nr_pages, &p4k, &p2m, &p1g);
	atomic_long_set(&swh_split, p4k / RMP_SYNC_REGION_PAGES);
	ret = rsr_run_init(&swh_run, nr_pages, policy, &swh_host_ops, NULL);
	if (ret)
		return ret;
	swh_rmp = rmp_sync_swrmp_create(swh_window_pages);
	if (!swh_rmp) {
		rsr_run_free(&swh_run);
		return -ENOMEM;
	}
	cfg.rmp_priv = swh_rmp;
	rs = rmp_sync_create(&cfg);
	if (IS_ERR(rs)) {
		swh_stop();
		return PTR_ERR(rs);
	}
	rsr_run_start(&swh_run, rs);
	ret = rmp_sync_host_attach_stepped(rs, swh_kick, NULL);
	if (ret) {
		rmp_sync_destroy(rs);
		swh_stop();
		return ret;
	}
	swh_rs = rs;
	swh_pages = nr_pages;
	swh_policy = policy;
	return 0;
}

/* ---- /sys/kernel/debug/rmp_sync/replay --------------------------------- */

/*
 * Check line @lineno of a write into @cmd: 1, 0 for a blank line, -EINVAL.
 * @nr_pages: the memory the line will replay on (a "mem" line changes it).
 */
static int swh_parse(char *line, u32 lineno, u64 *nr_pages, struct swh_cmd *cmd)
{
	char *tok[RSR_MAX_TOKENS + 1], why[128], *eq;
	int n = rsr_tokenize(line, tok), k;
	u64 v;

	if (n <= 0)
		return n;
	memset(cmd, 0, sizeof(*cmd));
	if (!strcmp(tok[0], "mem")) {
		if (n != 2 || rsr_parse_size(tok[1], &v) || !v ||
		    !IS_ALIGNED(v, RMP_SYNC_REGION_PAGES << PAGE_SHIFT) ||
		    v > swh_window_pages << PAGE_SHIFT) {
			pr_info("line %u: mem must be a nonzero multiple of 2M, at most the window's %llu bytes\n",
				lineno, swh_window_pages << PAGE_SHIFT);
			return -EINVAL;
		}
		cmd->kind = SWH_MEM;
		cmd->val = v;
		*nr_pages = v >> PAGE_SHIFT;
		return 1;
	}
	if (!*nr_pages) {
		pr_info("line %u: no replay: write \"mem SIZE\" first\n", lineno);
		return -EINVAL;
	}
	if (!strcmp(tok[0], "policy")) {
		k = n == 2 ? rsr_policy_find(tok[1]) : -EINVAL;
		if (k < 0) {
			pr_info("line %u: policy none, upstream, eager or rmp_sync\n",
				lineno);
			return -EINVAL;
		}
		cmd->kind = SWH_POLICY;
		cmd->val = k;
		return 1;
	}
	if (!strcmp(tok[0], "name")) {
		if (n != 2 || strlen(tok[1]) >= SWH_NAME_LEN ||
		    strpbrk(tok[1], "\"\\")) {
			pr_info("line %u: name: one word, no quotes or backslashes\n",
				lineno);
			return -EINVAL;
		}
		cmd->kind = SWH_NAME;
		cmd->text = tok[1];
		return 1;
	}
	if (!strcmp(tok[0], "set")) {
		eq = n == 2 ? strchr(tok[1], '=') : NULL;
		if (eq)
			*eq = '\0';
		for (k = 0; eq && k < RMP_SYNC_NR_KNOBS; k++)
			if (!strcmp(tok[1], rmp_sync_knobs[k].name))
				break;
		if (!eq || k == RMP_SYNC_NR_KNOBS || rsr_parse_u64(eq + 1, &v) ||
		    v < rmp_sync_knobs[k].min || v > rmp_sync_knobs[k].max) {
			pr_info("line %u: set KNOB=VALUE, a knob of /sys/kernel/mm/rmp_sync in its range\n",
				lineno);
			return -EINVAL;
		}
		cmd->kind = SWH_SET;
		cmd->knob = k;
		cmd->val = v;
		return 1;
	}
	cmd->kind = SWH_OP;
	cmd->op.line = lineno;
	if (rsr_parse_op(tok, *nr_pages, &cmd->op, why, sizeof(why))) {
		pr_info("line %u: %s\n", lineno, why);
		return -EINVAL;
	}
	return 1;
}

/* Apply checked lines; only a new instance can fail (-ENOMEM). */
static int swh_apply(const struct swh_cmd *cmd)
{
	switch (cmd->kind) {
	case SWH_MEM:
		return swh_start(cmd->val >> PAGE_SHIFT, swh_policy);
	case SWH_POLICY:
		return swh_start(swh_pages, cmd->val);
	case SWH_NAME:
		strscpy(swh_name, cmd->text, sizeof(swh_name));
		return 0;
	case SWH_SET:
		return rsr_set_knob(&swh_run, cmd->knob, cmd->val);
	case SWH_OP:
		if (atomic_xchg(&swh_kicked, 0))
			rsr_kick(&swh_run);
		if (cmd->op.kind == RSR_OP_TICK)
			trace_rmp_sync_sw_tick(cmd->op.arg);
		rsr_apply(&swh_run, &cmd->op, swh_run.r.ops);
		return swh_error;
	}
	return 0;
}

static ssize_t swh_replay_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct swh_cmd *cmds;
	char *buf, *line, *next;
	size_t nr = 0, i, lines = 0;
	u32 lineno = 0;
	u64 nr_pages;
	int ret = 0;

	if (!len || len > SWH_MAX_WRITE)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (buf[len - 1] != '\n' || strlen(buf) != len) {
		kfree(buf);
		return -EINVAL;		/* partial line, or a NUL in it */
	}
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	cmds = kvcalloc(lines, sizeof(*cmds), GFP_KERNEL);
	if (!cmds) {
		kfree(buf);
		return -ENOMEM;
	}

	mutex_lock(&swh_lock);
	nr_pages = swh_pages;
	for (line = buf; *line; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		ret = swh_parse(line, ++lineno, &nr_pages, &cmds[nr]);
		if (ret < 0)
			goto out;
		nr += ret;
	}
	ret = 0;
	/* After a failed pass only a new replay goes on. */
	if (swh_error && nr && cmds[0].kind != SWH_MEM && cmds[0].kind != SWH_POLICY) {
		ret = -EIO;
		goto out;
	}
	swh_json_len = 0;
	WRITE_ONCE(swh_replayer, current);
	for (i = 0; i < nr && !ret; i++)
		ret = swh_apply(&cmds[i]);
	WRITE_ONCE(swh_replayer, NULL);
out:
	mutex_unlock(&swh_lock);
	kvfree(cmds);
	kfree(buf);
	return ret ? ret : len;
}

/*
 * rsr_finish() recounts the whole replay (rmp_sync_check() looks up every
 * RMP entry), so it runs once per reading of the file, at offset 0, or
 * after a write: the reads that follow (the rest of the object, the read
 * that sees its end) get the same text, as from a seq_file.
 */
static ssize_t swh_replay_read(struct file *file, char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	ssize_t n = -ENODEV;

	mutex_lock(&swh_lock);
	if (swh_rs && (!*ppos || !swh_json_len)) {
		rsr_finish(&swh_run);
		swh_json_len = rsr_json(&swh_run.r, swh_policy, swh_name,
					swh_pages << PAGE_SHIFT, true, swh_json,
					sizeof(swh_json) - 1);
		if (swh_json_len < 0) {
			n = swh_json_len;
			swh_json_len = 0;
			goto out;
		}
		swh_json[swh_json_len++] = '\n';
	}
	if (swh_rs)
		n = simple_read_from_buffer(ubuf, len, ppos, swh_json,
					    swh_json_len);
out:
	mutex_unlock(&swh_lock);
	return n;
}

static const struct file_operations swh_replay_fops = {
	.owner = THIS_MODULE,
	.write = swh_replay_write,
	.read = swh_replay_read,
	.llseek = default_llseek,
};

static int swh_window_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "base_pfn 0x%llx\nnr_pages %llu\nvaddr 0x%lx\n",
		   swh_base, swh_window_pages, swh_addr(0));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(swh_window);

static int swh_runner_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "khugepaged %lu\nworker %lu\n",
		   rmp_sync_host_passes(RMP_SYNC_DRIVER_KHUGEPAGED),
		   rmp_sync_host_passes(RMP_SYNC_DRIVER_WORKER));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(swh_runner);

/* ---- boot ---------------------------------------------------------------- */

static int __init swh_init(void)
{
	u64 pages = swh_bytes >> PAGE_SHIFT, order_pages;
	struct dentry *dir;
	int ret;

	if (!swh_bytes)
		return 0;
	if (cc_platform_has(CC_ATTR_HOST_SEV_SNP)) {
		pr_err("refused: this is an SEV-SNP host; its RMP is the real one\n");
		return -ENODEV;
	}
	if (!IS_ALIGNED(swh_bytes, 1ULL << 30) || swh_bytes > SWH_MAX_BYTES) {
		pr_err("rmp_sync.sw_host=%llu: a multiple of 1G, at most 8G\n", swh_bytes);
		return -EINVAL;
	}
	/* alloc_contig_pages() aligns a power-of-two size to itself. */
	order_pages = roundup_pow_of_two(pages);
	swh_window = alloc_contig_pages(order_pages, GFP_KERNEL | __GFP_NOWARN,
					first_online_node, NULL);
	if (!swh_window) {
		pr_err("no free, aligned %llu MiB of RAM for the window\n",
		       order_pages >> (20 - PAGE_SHIFT));
		return -ENOMEM;
	}
	swh_base = page_to_pfn(swh_window);
	swh_window_pages = pages;
	if (order_pages > pages)
		free_contig_range(swh_base + pages, order_pages - pages);

	mutex_lock(&swh_lock);
	ret = swh_start(pages, RSR_RMP_SYNC);
	mutex_unlock(&swh_lock);
	if (ret) {
		pr_err("cannot make the instance (%d)\n", ret);
		free_contig_range(swh_base, pages);
		swh_window = NULL;
		return ret;
	}
	dir = debugfs_create_dir("rmp_sync", NULL);
	debugfs_create_file("replay", 0600, dir, NULL, &swh_replay_fops);
	debugfs_create_file("window", 0400, dir, NULL, &swh_window_fops);
	debugfs_create_file("runner", 0400, dir, NULL, &swh_runner_fops);
	pr_info("window of %llu MiB at PFN 0x%llx; /sys/kernel/debug/rmp_sync/replay\n",
		swh_bytes >> 20, swh_base);
	return 0;
}
late_initcall(swh_init);
