// SPDX-License-Identifier: GPL-2.0
/*
 * rmp-sync-demo: a built-in scenario on the emulated SNP host, run once per
 * policy on identical machines.  Guests take 4K pages scattered over RAM,
 * then give them back; the demo prints the direct map (DirectMap4k/2M/1G,
 * as /proc/meminfo shows it) at boot, while the guests run, and after they
 * are gone, plus the collateral RMP faults of host writes to free pages.
 * The simulator (rmp-sync-sim, a later issue) replaces this with traces.
 */
#include <linux/rmp_sync.h>
#include "emu.h"

#define DEMO_MEM	(8ULL << 30)
#define DEMO_GUEST_PAGES 3000
#define RP		RMP_SYNC_REGION_PAGES

static u64 demo_rand(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void demo_layout(struct emu_host *h, const char *when)
{
	u64 p4k, p2m, p1g;

	emu_directmap(h, &p4k, &p2m, &p1g);
	printf("  %-22s DirectMap4k %9llu kB  DirectMap2M %9llu kB  DirectMap1G %9llu kB\n",
	       when, (unsigned long long)p4k * 4, (unsigned long long)p2m * 2048,
	       (unsigned long long)p1g * 1048576);
}

/* Host writes to 4096 random pages the RMP shows as hypervisor-owned. */
static u64 demo_writes(struct emu_host *h, u64 *s)
{
	struct emu_stats before, after;
	unsigned int i;

	emu_get_stats(h, &before);
	for (i = 0; i < 4096; i++) {
		u64 pfn = demo_rand(s) % (DEMO_MEM >> PAGE_SHIFT);
		struct rmp_sync_rmp_entry e;

		rmp_sync_swrmp_ops.lookup(emu_rmp(h), pfn, &e);
		if (!e.assigned)
			emu_write(h, i & 1, pfn);
	}
	emu_get_stats(h, &after);
	return after.rmp_faults - before.rmp_faults;
}

static int demo_policy(enum rmp_sync_mode mode, const char *name)
{
	struct emu_config ec = { .mem_bytes = DEMO_MEM, .nr_cpus = 2,
				 .pse = true, .gbpages = true };
	struct rmp_sync_config cfg = {
		.nr_pages = DEMO_MEM >> PAGE_SHIFT,
		.rmp = &rmp_sync_swrmp_ops,
		.dmap = &emu_dmap_ops,
		.mode = mode,
		.defrag_1g = true,
	};
	static u64 pages[DEMO_GUEST_PAGES];
	struct rmp_sync_stats st;
	struct emu_host *h;
	struct rmp_sync *rs;
	u64 s = 42, faults;
	unsigned int i, n = 0;

	h = emu_create(&ec);
	if (!h)
		return -ENOMEM;
	cfg.rmp_priv = emu_rmp(h);
	cfg.dmap_priv = h;
	rs = rmp_sync_create(&cfg);
	if (IS_ERR(rs)) {
		emu_destroy(h);
		return PTR_ERR(rs);
	}
	printf("policy %s\n", name);
	demo_layout(h, "boot");

	/* guests take scattered 4K pages (private memory, VMSAs, ...) */
	for (i = 0; i < DEMO_GUEST_PAGES; i++) {
		u64 pfn = demo_rand(&s) % (DEMO_MEM >> PAGE_SHIFT);

		if (!rmp_sync_make_private(rs, pfn, (u64)i << PAGE_SHIFT,
					   PG_LEVEL_4K, 1 + i % 16, false))
			pages[n++] = pfn;
	}
	faults = demo_writes(h, &s);
	demo_layout(h, "guests running");
	printf("  %-22s %llu collateral RMP faults in 4096 host writes\n", "",
	       (unsigned long long)faults);

	/* the guests shut down */
	for (i = 0; i < n; i++)
		rmp_sync_make_shared(rs, pages[i], PG_LEVEL_4K);
	while (rmp_sync_recover(rs, 4096, true, NULL) > 0)
		;
	faults = demo_writes(h, &s);
	demo_layout(h, "guests gone");
	rmp_sync_get_stats(rs, &st);
	printf("  %-22s splits %llu, collapses 2M %llu / 1G %llu, recovery flushes %llu\n\n",
	       "", (unsigned long long)st.splits,
	       (unsigned long long)st.collapses_2m,
	       (unsigned long long)st.collapses_1g,
	       (unsigned long long)st.tlb_flushes);
	rmp_sync_destroy(rs);
	emu_destroy(h);
	return 0;
}

int main(void)
{
	rcu_register_thread();
	printf("rmp_sync demo: %llu GiB emulated SNP host, guests take %u scattered 4K pages, then leave\n\n",
	       DEMO_MEM >> 30, DEMO_GUEST_PAGES);
	if (demo_policy(RMP_SYNC_MODE_NONE, "none (RMPUPDATE only)") ||
	    demo_policy(RMP_SYNC_MODE_UPSTREAM, "upstream (Linux 6.12 adjust_direct_map)") ||
	    demo_policy(RMP_SYNC_MODE_DEFERRED, "rmp_sync (split when mixed, batched collapse)")) {
		fprintf(stderr, "demo: cannot build the emulated host\n");
		return 1;
	}
	rcu_unregister_thread();
	return 0;
}
