#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Summarize sim/measure.sh's JSON into the README's tables: per workload
# and run, mean (min-max) over the seeds.
#
#   python3 sim/measure-summary.py OUT
import json,collections,statistics as st,sys
OUT=sys.argv[1] if len(sys.argv) > 1 else '/tmp/rmp-sync-measure'
def load(f):
    runs={}
    try: txt=open(f).read()
    except: return runs
    for l in txt.splitlines():
        l=l.strip().rstrip(',')
        if l.startswith('{"policy"'):
            d=json.loads(l); runs[d['policy']]=d
    return runs
W=[('vm-churn','vm-churn (allocator model)'),('vm-churn-packed','vm-churn, --placement packed'),('gmem-64m.placement','vm-churn, --placement gmem capture'),('vm-churn-2m','vm-churn-2m')]
def cell(v): return f"{st.mean(v):.2f} ({min(v):.2f}–{max(v):.2f})"
def cellp(v): return f"{st.mean(v):.2f}% ({min(v):.2f}–{max(v):.2f}%)"
for tag,name in W:
    rows=collections.OrderedDict()
    seeds=0
    for seed in range(1,6):
        a=load(OUT+f'/{tag}.s{seed}.all.json')
        if 'upstream' not in a: continue
        seeds+=1
        up=a['upstream']
        cand=[('upstream',up),('eager',a['eager']),('rmp_sync, collapse_private=1 (today)',a['rmp_sync'])]
        for k,lab in [('cp0.d1000','rmp_sync, collapse_private=0'),('cp0.d60000','rmp_sync, collapse_private=0, delay 60 s'),('cp0.d524288','rmp_sync, collapse_private=0, delay 524 s'),('cp1.d524288','rmp_sync, collapse_private=1, delay 524 s')]:
            r=load(OUT+f'/{tag}.s{seed}.{k}.json')
            if r: cand.append((lab,list(r.values())[0]))
        for lab,r in cand:
            d=rows.setdefault(lab,collections.defaultdict(list))
            d['fr'].append(r['tlb_flushes']/up['tlb_flushes'])
            d['fl'].append(r['tlb_flushes'])
            d['su'].append(r['avg_regions_split_unassigned'])
            d['sr'].append(100*r['avg_regions_split_unassigned']/up['avg_regions_split_unassigned'])
            d['split'].append(r['avg_regions_split']); d['mixed'].append(r['avg_regions_mixed'])
            d['gb'].append(r['avg_gb_ranges_blocked']); d['f1s'].append(r['max_flushes_in_1s'])
            d['ob'].append(r['regions_off_boot_beyond_leaks']); d['col'].append(r['collateral_rmp_faults'])
    print(f"\n#### {name}: {seeds} seeds, mean (min–max)\n")
    print("| run | global TLB flushes ÷ upstream | avoidable fragmentation (avg split, all hypervisor's) | … % of upstream's | avg split / avg mixed | avg 1G ranges blocked | most flushes in 1 s | off boot layout beyond held pages | collateral faults |")
    print("|---|---|---|---|---|---|---|---|---|")
    for lab,d in rows.items():
        ratio=[s/m for s,m in zip(d['split'],d['mixed'])]
        print(f"| {lab} | {cell(d['fr'])} | {st.mean(d['su']):.1f} | {cellp(d['sr'])} | {cell(ratio)} | {cell(d['gb'])} | {st.mean(d['f1s']):.0f} ({min(d['f1s'])}–{max(d['f1s'])}) | {max(d['ob'])} max | {max(d['col'])} max |")
    print(f"\navg mixed regions (the lower bound): {cell(rows['upstream']['mixed'])}; upstream flushes {cell(rows['upstream']['fl'])}")
