#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# How long do regions stay wholly the hypervisor's before a guest page lands
# in them again?  Reads a trace (rmp-sync-sim --emit-trace, or a converted
# recording) and, from each region's "unassigned gaps", estimates what a
# collapse policy can reach against upstream, which splits a region once
# and never collapses it:
#
#   - a fixed collapse delay D (what collapse_delay_millisecs does, beyond the
#     knob's 524 s maximum too): splits = first splits + one re-split per
#     gap longer than D that ends in reuse; avoidable fragmentation =
#     sum(min(gap, D)) over the run;
#   - a clairvoyant policy that knows each gap's length: the lower bound
#     of any predictor;
#   - a per-region back-off (delay x4 after a re-split, up to a maximum).
#
# Recovery passes (one flush per batch) and the back-off of the core are
# left out; on vm-churn seed 1 the estimate for D = 524 s is 5000 splits,
# the simulator's run 5032 flushes.
#
#   python3 sim/reuse-gaps.py TRACE
import collections
import sys


def read(path):
    t = 0
    cnt = collections.defaultdict(int)
    held, used = set(), set()
    last_free = {}
    seq = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            c = line[:1]
            if c == 't':
                t += int(line.split()[1])
            elif c == 'p' and line.startswith('private'):
                tok = line.split()
                r = int(tok[1], 0) >> 9
                if cnt[r] == 0:
                    if r in last_free:
                        seq[r].append((t - last_free.pop(r), True))
                    used.add(r)
                cnt[r] += 512 if tok[2] == '2m' else 1
            elif c == 's':
                tok = line.split()
                r = int(tok[1], 0) >> 9
                cnt[r] -= 512 if tok[2] == '2m' else 1
                if cnt[r] == 0 and r not in held:
                    last_free[r] = t
            elif c == 'l':
                r = int(line.split()[1], 0) >> 9
                held.add(r)
                last_free.pop(r, None)
    for r, t0 in last_free.items():
        seq[r].append((t - t0, False))
    return t, len(used), seq


def main():
    T, first, seq = read(sys.argv[1])
    gaps = [g for s in seq.values() for g in s]
    up = sum(g for g, _ in gaps) / T
    print(f"{first} regions ever used, {len(gaps)} unassigned gaps, "
          f"{sum(1 for _, r in gaps if r)} ended by reuse, {T / 3.6e6:.2f} h; "
          f"upstream: {first} splits, avoidable fragmentation {up:.1f}")
    print("\nfixed delay D:  splits / upstream's   avoidable, % of upstream's")
    for d in (0, 1000, 60000, 524288, 1800000, 3600000, 7200000, 28800000):
        rs = sum(1 for g, r in gaps if r and g > d)
        av = sum(min(g, d) for g, _ in gaps) / T
        print(f"  {d / 1000:8.0f} s      {(first + rs) / first:5.2f}            "
              f"{100 * av / up:6.2f}%")
    reused = sorted(g for g, r in gaps if r)
    budget, acc, kept = 0.05 * up * T, 0, 0
    for g in reused:
        if acc + g > budget:
            break
        acc += g
        kept += 1
    print(f"\nclairvoyant, avoidable <= 5%: splits "
          f"{(first + len(reused) - kept) / first:.2f} x upstream's")
    need = int(0.25 * first)
    acc = sum(reused[:max(0, len(reused) - need)])
    print(f"clairvoyant, splits <= 1.25 x: avoidable {100 * acc / T / up:.2f}% of upstream's")
    print("\nper-region back-off (x4 per re-split within 4 x max, up to max):")
    for base, maxd in ((1000, 524288), (1000, 14400000), (60000, 14400000)):
        splits, av = first, 0
        for s in seq.values():
            d = base
            for g, r in s:
                if g > d:
                    av += d
                    if r:
                        splits += 1
                        d = min(d * 4, maxd) if g - d < 4 * maxd else base
                else:
                    av += g
        print(f"  base {base / 1000:.0f} s, max {maxd / 1000:.0f} s: splits "
              f"{splits / first:.2f} x, avoidable {100 * av / T / up:.2f}%")


if __name__ == '__main__':
    main()
