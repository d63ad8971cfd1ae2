#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Tests of rmp-sync-sim (issue 4): every trace operation, every exit-2
# error path with its exact FILE:LINE, --strict, bad usage, --emit-trace
# round trips, the plot, and the vm-churn "done when" assertions.
#
#   sh sim/test-sim.sh build/rmp-sync-sim [build/rmp-sync-capture] [-v]
#
# Ends with "N passed, N failed"; exits 1 if anything failed.

SIM=${1:?usage: test-sim.sh PATH-TO-rmp-sync-sim [PATH-TO-rmp-sync-capture] [-v]}
CAP=$(dirname "$SIM")/rmp-sync-capture
VERBOSE=
for a in "$2" "$3"; do
	case "$a" in
	-v) VERBOSE=1 ;;
	"") ;;
	*) CAP=$a ;;
	esac
done
TEST_NAME=simtest
. "$(dirname "$0")/../testlib.sh"

# jget KEY FILE [POLICY]: a value from --json output (flat object, or the
# line of POLICY in a "runs" array).
jget() {
	if [ -n "$3" ]; then
		grep "\"policy\": \"$3\"" "$2"
	else
		cat "$2"
	fi | sed -n "s/.*\"$1\": \"\{0,1\}\([^,}\"]*\).*/\1/p" | head -n 1
}

# run TRACE-TEXT ARGS...: write $T/t.trace, run, keep out/err/rc.
run() {
	printf '%s\n' "$1" > "$T/t.trace"
	shift
	"$SIM" --trace "$T/t.trace" "$@" > "$T/out" 2> "$T/err"
	RC=$?
}

# ---------------------------------------------------------------------
# Every operation, one trace; the numbers follow from the RMP semantics.
OPS='# every operation
mem 4G
private 0x200 2m asid=5 gpa=0x200000
write 0x201
shared 0x205 4k
write 0x205
private 0x400 2m
psmash 0x400
shared 0x400 4k
leak 0x600 2
tick 100
private 0x205 4k asid=5 gpa=0x205000
quiesce
private 0x1000 4k asid=0 gpa=0 immutable'

# collapse_private=1: region 0x200 is private again when quiesce runs
run "$OPS" --policy rmp_sync --json --strict --set collapse_private=1
check ops.rc '[ $RC -eq 0 ]'
check ops.count '[ "$(jget ops $T/out)" = 12 ]'
check ops.rejected '[ "$(jget rejected $T/out)" = 0 ]'
check ops.write-assigned '[ "$(jget host_writes_to_assigned $T/out)" = 1 ]'
check ops.no-collateral '[ "$(jget collateral_rmp_faults $T/out)" = 0 ]'
check ops.psmash-explicit-and-implicit '[ "$(jget psmash $T/out)" = 2 ]'
check ops.leak '[ "$(jget leaked_pages $T/out)" = 2 ]'
check ops.quiesce-collapsed '[ "$(jget collapses_2m $T/out)" = 1 ]'
# mixed: region 0x400 (one shared), 0x600 (leaked pages count as
# assigned), 0x1000 (one immutable page); split: the first and last only.
check ops.mixed '[ "$(jget regions_mixed $T/out)" = 3 ]'
check ops.split '[ "$(jget regions_split $T/out)" = 2 ]'
check ops.check '[ "$(jget check_ok $T/out)" = true ]'
check ops.duration '[ "$(jget duration_ms $T/out)" = 100 ]'
for k in policy ops rejected collateral_rmp_faults host_writes_to_assigned \
	 regions_total regions_mixed regions_split directmap_4k_kb \
	 directmap_2m_kb directmap_1g_kb splits collapses_2m collapses_1g \
	 psmash tlb_flushes avg_regions_mixed avg_regions_split \
	 regions_split_unassigned avg_regions_split_unassigned \
	 gb_ranges_blocked avg_gb_ranges_blocked max_flushes_in_1s \
	 collapse_private max_recovery_flushes_1s; do
	check "json.key.$k" 'grep -q "\"$k\": " $T/out'
done
# Avoidable fragmentation: regions 1 (from 0 ms) and 512 (from 2000 ms)
# are back with the hypervisor but stay 4K under upstream, and their 1G
# ranges below 1G; the third 1G range holds a mixed region, so it does
# not count.  Averages over 5000 ms: (2000 + 2 * 3000) / 5000 = 1.6.
run 'mem 4G
private 0x200 4k
shared 0x200 4k
tick 2000
private 0x40000 4k
shared 0x40000 4k
private 0x80000 4k
tick 3000' --policy all --json --set scan_sleep_millisecs=100
check su.upstream-now '[ "$(jget regions_split_unassigned $T/out upstream)" = 2 ]'
check su.rmp_sync-now '[ "$(jget regions_split_unassigned $T/out rmp_sync)" = 0 ]'
check su.upstream-avg '[ "$(jget avg_regions_split_unassigned $T/out upstream)" = 1.600 ]'
check su.none '[ "$(jget avg_regions_split_unassigned $T/out none)" = 0.000 ]'
check gb.upstream-now '[ "$(jget gb_ranges_blocked $T/out upstream)" = 2 ]'
check gb.rmp_sync-now '[ "$(jget gb_ranges_blocked $T/out rmp_sync)" = 0 ]'
check gb.upstream-avg '[ "$(jget avg_gb_ranges_blocked $T/out upstream)" = 1.600 ]'
check flush1s.upstream '[ "$(jget max_flushes_in_1s $T/out upstream)" = 2 ]'
check flush1s.eager '[ "$(jget max_flushes_in_1s $T/out eager)" -ge 3 ]'
run "$OPS" --policy none --json
check ops.none-collateral '[ "$(jget collateral_rmp_faults $T/out)" = 1 ]'
check ops.none-no-split '[ "$(jget regions_split $T/out)" = 0 ]'
run "$OPS" --policy upstream --json
check ops.upstream-no-collapse '[ "$(jget collapses_2m $T/out)" = 0 ]'
check ops.upstream-split '[ "$(jget regions_split $T/out)" = 3 ]'

# The clock: with passes every 100 ms, a region uniform at t is collapsed
# by the first pass once 1000 ms plus one 256 ms stamp unit have surely
# passed (the stamp is t rounded down to 256 ms): uniform at 1000 (stamp
# 768), due at 2048, collapsed by the pass at 2100.  Averages are weighted
# by simulated time.
CLOCK='private 0 4k
tick 1000
shared 0 4k
tick 3000'
run "$CLOCK" --policy all --json --set scan_sleep_millisecs=100
check clock.avg-mixed '[ "$(jget avg_regions_mixed $T/out rmp_sync)" = 0.250 ]'
check clock.avg-split-rmp_sync '[ "$(jget avg_regions_split $T/out rmp_sync)" = 0.525 ]'
check clock.avg-split-eager '[ "$(jget avg_regions_split $T/out eager)" = 0.250 ]'
check clock.avg-split-upstream '[ "$(jget avg_regions_split $T/out upstream)" = 1.000 ]'
check clock.runs '[ $(grep -c "\"policy\": " $T/out) -eq 4 ]'
run 'private 0 4k
shared 0 4k
tick 1299' --policy rmp_sync --json --set scan_sleep_millisecs=100
check clock.not-before-delay '[ "$(jget regions_split $T/out)" = 1 ]'
run 'private 0 4k
shared 0 4k
tick 1300' --policy rmp_sync --json --set scan_sleep_millisecs=100
check clock.after-delay '[ "$(jget regions_split $T/out)" = 0 ]'
# Without ticks, averages are over operations: split after 1 of 2 ops.
run 'private 0 4k
shared 0 4k' --policy upstream --json
check clock.avg-over-ops '[ "$(jget avg_regions_split $T/out)" = 1.000 ]'
check clock.avg-mixed-over-ops '[ "$(jget avg_regions_mixed $T/out)" = 0.500 ]'

# ---------------------------------------------------------------------
# Rejected operations: counted, reported with the line, fatal with --strict.
REJ='mem 4G
private 0 4k
private 0 4k
private 0x10 4k immutable
shared 0x10 4k
shared 0x20 4k'
run "$REJ" --policy rmp_sync --json
check reject.rc '[ $RC -eq 0 ]'
check reject.count '[ "$(jget rejected $T/out)" = 3 ]'
check reject.line3 'grep -q "^$T/t.trace:3: rmp_sync: private 0x0 rejected" $T/err'
check reject.line5-immutable 'grep -q "^$T/t.trace:5: rmp_sync: shared 0x10 rejected" $T/err'
check reject.line6 'grep -q "^$T/t.trace:6: " $T/err'
run "$REJ" --policy rmp_sync --strict
check strict.rc1 '[ $RC -eq 1 ]'
check strict.first-only '[ $(wc -l < $T/err) -eq 1 ] && grep -q ":3: " $T/err'
check strict.no-output '[ ! -s $T/out ]'
run "$OPS" --policy all --strict
check strict.clean-trace-rc0 '[ $RC -eq 0 ]'

# ---------------------------------------------------------------------
# Bad traces: "FILE:LINE: reason" on stderr, exit 2, nothing replayed.
# Each case: expected line, then the trace ('|' separates lines).
while IFS='	' read -r line text; do
	[ -z "$line" ] && continue
	printf '%s\n' "$text" | tr '|' '\n' > "$T/bad.trace"
	"$SIM" --trace "$T/bad.trace" --policy all > "$T/out" 2> "$T/err"
	rc=$?
	name="error.$(echo "$text" | tr -c 'a-z0-9=' '_' | cut -c1-40)"
	if [ $rc -eq 2 ] && [ ! -s "$T/out" ] &&
	   [ "$(head -n 1 "$T/err" | cut -d' ' -f1)" = "$T/bad.trace:$line:" ]; then
		ok "$name"
	else
		bad "$name" "rc=$rc line $line: $(head -n 1 "$T/err")"
	fi
done <<'EOF'
2	write 1|frob 2
1	write 0xzz
1	write -1
1	write 12abc
1	write 99999999999999999999999
2	mem 4M|write 0x400
3	# comment|mem 4M|write 1024
2	write 1|mem 8G
2	mem 4G|mem 4G
1	mem 3M
1	mem 8Q
1	mem
1	private 0x201 2m
1	private 1
1	private 1 1g
1	private 1 4k asid=1024
1	private 1 4k asid=1 asid=2
1	private 0 2m gpa=0x1000
1	private 0 4k gpa=0x8000000000000
1	private 0 4k bogus
4	#|# x|  |shared 5
1	shared 1 4k extra
1	shared 0x201 2m
1	psmash 3
1	psmash
1	leak 1 0
2	mem 4M|leak 0x3ff 2
1	leak 1 2 3
1	write
1	tick
1	tick 5 6
1	tick 0x10000000000000
1	quiesce now
2	write 1 # ok|private
EOF

"$SIM" --trace "$T/does-not-exist" > /dev/null 2> "$T/err"
rc=$?
check error.no-file '[ $rc -eq 2 ]'
run 'mem 8G
write 1' --mem 4G
check error.mem-conflict '[ $RC -eq 2 ] && grep -q "^$T/t.trace:1: " $T/err'
run 'write 1' --mem 8G --json
check trace.mem-option '[ $RC -eq 0 ] && [ "$(jget regions_total $T/out)" = 4096 ]'
run '# only comments' --json
check trace.empty '[ $RC -eq 0 ] && [ "$(jget ops $T/out)" = 0 ]'
check trace.default-mem '[ "$(jget mem_bytes $T/out)" = 4294967296 ]'

# ---------------------------------------------------------------------
# Bad usage: a message and exit 2.
for args in "" "--bogus" "--policy" "--trace" "--policy fast --trace x" \
	    "--trace x --workload vm-churn" "--workload nope" \
	    "--workload vm-churn --hours -1" "--workload vm-churn --hours 0" \
	    "--workload vm-churn --hours abc" "--mem 3M --workload flip-storm" \
	    "--mem 1X --workload flip-storm" "--seed abc --workload flip-storm" \
	    "--trace x --hours 1" "--workload flip-storm --plot out.txt" \
	    "--workload flip-storm extra" "--mem 16G --workload vm-churn-2m" \
	    "--mem 4G --workload vm-churn" "--workload vm-churn-2m --placement packed" \
	    "--trace x --placement packed" "--workload vm-churn --placement /nonexistent" \
	    "--workload flip-storm --set nope=1" "--workload flip-storm --set enabled" \
	    "--workload flip-storm --set enabled=2" "--workload flip-storm --set =1" \
	    "--workload flip-storm --set max_flushes_per_sec=0" \
	    "--workload flip-storm --set collapse_delay_millisecs=-1" \
	    "--workload flip-storm --set collapse_delay_millisecs=1x" \
	    "--workload flip-storm --sweep collapse_delay_millisecs=" \
	    "--workload flip-storm --sweep collapse_delay_millisecs=1,,2" \
	    "--workload flip-storm --sweep collapse_delay_millisecs=1 --policy all" \
	    "--workload flip-storm --sweep defrag_1g=0 --sweep defrag_1g=1"; do
	# shellcheck disable=SC2086
	"$SIM" $args > "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc -eq 2 ] && [ -s "$T/err" ]; then
		ok "usage.[$args]"
	else
		bad "usage.[$args]" "rc=$rc"
	fi
done
"$SIM" --help > "$T/out"
rc=$?
check usage.help '[ $rc -eq 0 ] && grep -q "^usage: rmp-sync-sim" $T/out'

# ---------------------------------------------------------------------
# Workloads: deterministic, and the emitted trace replays identically.
"$SIM" --workload flip-storm --hours 0.0005 --emit-trace "$T/fs1.trace" \
	--policy all --json --strict > "$T/fs.json"
rc=$?
check flip.rc '[ $rc -eq 0 ]'
"$SIM" --workload flip-storm --hours 0.0005 --emit-trace "$T/fs2.trace" \
	--policy none > /dev/null
check flip.deterministic 'cmp -s $T/fs1.trace $T/fs2.trace'
"$SIM" --trace "$T/fs1.trace" --policy all --json --strict > "$T/fs-replay.json"
rc=$?
check flip.replay-rc '[ $rc -eq 0 ]'
check flip.replay-equal 'sed 1d $T/fs.json > $T/a; sed 1d $T/fs-replay.json > $T/b; cmp -s $T/a $T/b'
check flip.no-collateral-rmp_sync '[ "$(jget collateral_rmp_faults $T/fs.json rmp_sync)" = 0 ]'
check flip.collateral-none '[ "$(jget collateral_rmp_faults $T/fs.json none)" -gt 0 ]'
# S5: the adversary buys the rmp_sync policy at most one flush per pass,
# while eager pays for every flip.
dur=$(sed -n 's/.*"duration_ms": \([0-9]*\).*/\1/p' "$T/fs.json")
check flip.s5-bounded '[ "$(jget recovery_flushes $T/fs.json rmp_sync)" -le $((dur / 100 + 1)) ]'
check flip.s5-eager-pays '[ "$(jget tlb_flushes $T/fs.json eager)" -gt "$(jget tlb_flushes $T/fs.json rmp_sync)" ]'

"$SIM" --workload vm-churn-2m --hours 6 --seed 7 --emit-trace "$T/vc.trace" \
	--policy all --json --strict > "$T/vc6.json"
rc=$?
check churn6.rc '[ $rc -eq 0 ]'
"$SIM" --trace "$T/vc.trace" --policy all --json --strict > "$T/vc6-replay.json"
check churn6.replay-equal 'sed 1d $T/vc6.json > $T/a; sed 1d $T/vc6-replay.json > $T/b; cmp -s $T/a $T/b'
"$SIM" --workload vm-churn-2m --hours 6 --seed 8 --emit-trace "$T/vc8.trace" \
	--policy none > /dev/null
check churn6.seed-matters '! cmp -s $T/vc.trace $T/vc8.trace'
check churn6.ops-kinds 'for k in private shared psmash write tick; do grep -q "^$k " $T/vc.trace || exit 1; done'

# ---------------------------------------------------------------------
# vm-churn-2m at its defaults (64 GiB, 72 h): the issue's "done when".
"$SIM" --workload vm-churn-2m --policy all --json --csv "$T/vc.csv" > "$T/vc.json"
rc=$?
check churn.rc '[ $rc -eq 0 ]'
check churn.none-collateral '[ "$(jget collateral_rmp_faults $T/vc.json none)" -gt 0 ]'
for p in upstream eager rmp_sync; do
	check "churn.$p-no-collateral" '[ "$(jget collateral_rmp_faults $T/vc.json $p)" = 0 ]'
done
for p in none upstream eager rmp_sync; do
	check "churn.$p-no-rejects" '[ "$(jget rejected $T/vc.json $p)" = 0 ]'
	check "churn.$p-check" '[ "$(jget check_ok $T/vc.json $p)" = true ]'
done
check churn.leaks-happen '[ "$(jget leaked_regions $T/vc.json rmp_sync)" -gt 0 ]'
for p in eager rmp_sync; do
	check "churn.$p-boot-layout-but-leaks" \
		'[ "$(jget regions_off_boot_beyond_leaks $T/vc.json $p)" = 0 ]'
	check "churn.$p-split-is-leaked" \
		'[ "$(jget regions_split $T/vc.json $p)" = "$(jget leaked_regions $T/vc.json $p)" ]'
	check "churn.$p-lower-bound" \
		'[ "$(jget regions_split $T/vc.json $p)" = "$(jget regions_mixed $T/vc.json $p)" ]'
done
check churn.upstream-not-restored \
	'[ "$(jget regions_off_boot_beyond_leaks $T/vc.json upstream)" -gt 0 ]'
check churn.upstream-fragmented \
	'[ "$(jget regions_split $T/vc.json upstream)" -gt "$(jget regions_split $T/vc.json rmp_sync)" ]'
check churn.csv-header 'head -n 1 $T/vc.csv | grep -q "^policy,time_ms,ops,regions_mixed,regions_split,directmap_4k_kb.*,tlb_flushes,regions_split_unassigned,gb_ranges_blocked$"'
check churn.csv-policies '[ $(cut -d, -f1 $T/vc.csv | sort -u | wc -l) -eq 5 ]'

# ---------------------------------------------------------------------
# The plot: gnuplot draws it; without gnuplot, --plot alone fails with 2.
if command -v gnuplot > /dev/null 2>&1; then
	run "$CLOCK" --policy all --plot "$T/p.png"
	check plot.png '[ $RC -eq 0 ] && [ -s $T/p.png ] && head -c 4 $T/p.png | grep -q PNG'
	run "$CLOCK" --policy rmp_sync --plot "$T/p.svg"
	check plot.svg '[ $RC -eq 0 ] && grep -q "<svg" $T/p.svg'
else
	echo "skip plot.png/svg: gnuplot not installed"
fi
mkdir -p "$T/nobin"
printf '%s\n' "$CLOCK" > "$T/t.trace"
PATH="$T/nobin" "$SIM" --trace "$T/t.trace" --plot "$T/q.png" > "$T/out" 2> "$T/err"
rc=$?
check plot.no-gnuplot '[ $rc -eq 2 ] && grep -q "gnuplot-nox" $T/err && [ ! -s $T/out ]'
PATH="$T/nobin" "$SIM" --trace "$T/t.trace" > /dev/null 2>&1
rc=$?
check plot.no-gnuplot-no-plot-ok '[ $rc -eq 0 ]'

# ---------------------------------------------------------------------
# Background recovery (issue 5): knobs, sysfs layout, the S5 adversary.
run "$CLOCK" --policy rmp_sync --sysfs-dump --set collapse_delay_millisecs=250
check sysfs.knobs 'for k in enabled collapse_delay_millisecs regions_to_scan scan_sleep_millisecs max_flushes_per_sec defrag_1g collapse_private; do grep -q "^/sys/kernel/mm/rmp_sync/$k: " $T/out || exit 1; done'
check sysfs.counters 'for k in regions_total regions_mixed regions_split regions_pending splits collapses_2m collapses_1g collapse_failures collapse_failures_attr collapse_failures_foreign collapse_failures_no_pse psmash leaked_pages tlb_flushes backoffs throttled full_scans; do grep -q "^/sys/kernel/mm/rmp_sync/$k: " $T/out || exit 1; done'
check sysfs.set-applies 'grep -q "^/sys/kernel/mm/rmp_sync/collapse_delay_millisecs: 250$" $T/out'
check sysfs.counter-value 'grep -q "^/sys/kernel/mm/rmp_sync/splits: 1$" $T/out'
run "$CLOCK" --policy rmp_sync --json --set enabled=0
check set.enabled0-is-upstream '[ "$(jget collapses_2m $T/out)" = 0 ] && [ "$(jget regions_split $T/out)" = 1 ]'
# The adversary with the most aggressive knobs: every pass finds due
# candidates, yet recovery flushes stay at the cap in every second and the
# state does not grow; the simulator fails the run (exit 1) otherwise.
"$SIM" --workload flip-storm --policy rmp_sync --json --set collapse_private=1 --set collapse_delay_millisecs=0 \
	--set scan_sleep_millisecs=1 --set max_flushes_per_sec=10 > "$T/s5.json"
rc=$?
check s5.rc '[ $rc -eq 0 ]'
check s5.cap '[ "$(jget max_recovery_flushes_1s $T/s5.json)" -le 10 ] && [ "$(jget max_recovery_flushes_1s $T/s5.json)" -gt 0 ]'
check s5.throttled '[ "$(jget throttled $T/s5.json)" -gt 0 ]'
check s5.memory-flat '[ "$(jget state_bytes_start $T/s5.json)" = "$(jget state_bytes_end $T/s5.json)" ]'
check s5.no-collateral '[ "$(jget collateral_rmp_faults $T/s5.json)" = 0 ]'
"$SIM" --workload vm-churn-2m --hours 2 --sweep collapse_delay_millisecs=0,5000 > "$T/sw" 2> "$T/err"
rc=$?
check sweep.rc '[ $rc -eq 0 ]'
check sweep.rows '[ $(grep -c "^rmp_sync collapse_delay_millisecs=" $T/sw) -eq 2 ] && grep -q "^upstream " $T/sw && grep -q "^eager " $T/sw'
check sweep.avoidable-column 'head -n 3 $T/sw | grep -q "avoidable % upstream"'

# ---------------------------------------------------------------------
# vm-churn, the order-0 guest_memfd workload (issue 13), small: 8 GiB, 4 h.
C4="--workload vm-churn --mem 8G --hours 4 --seed 3"
# shellcheck disable=SC2086
"$SIM" $C4 --policy all --json --strict --emit-trace "$T/c4.trace" > "$T/c4.json"
rc=$?
check c4.rc '[ $rc -eq 0 ]'
for p in none upstream eager rmp_sync; do
	check "c4.$p-no-rejects" '[ "$(jget rejected $T/c4.json $p)" = 0 ]'
	check "c4.$p-check" '[ "$(jget check_ok $T/c4.json $p)" = true ]'
done
check c4.none-collateral '[ "$(jget collateral_rmp_faults $T/c4.json none)" -gt 0 ]'
for p in upstream eager rmp_sync; do
	check "c4.$p-no-collateral" '[ "$(jget collateral_rmp_faults $T/c4.json $p)" = 0 ]'
done
for p in eager rmp_sync; do
	check "c4.$p-boot-layout-but-held" '[ "$(jget regions_off_boot_beyond_leaks $T/c4.json $p)" = 0 ]'
	check "c4.$p-lower-bound" '[ "$(jget regions_split $T/c4.json $p)" = "$(jget regions_mixed $T/c4.json $p)" ]'
done
# Order-0: every assignment is 4K, nothing is PSMASHed, the IOMMU pages
# (20, ASID 0, immutable) stay assigned, so some regions stay mixed.
check c4.all-4k '! grep -q "^private .* 2m" $T/c4.trace && ! grep -q "^psmash" $T/c4.trace'
check c4.iommu '[ $(grep -c "^private .*asid=0 gpa=0x0 immutable" $T/c4.trace) -ge 20 ]'
check c4.held-mixed '[ "$(jget regions_mixed $T/c4.json rmp_sync)" -gt 0 ]'
check c4.upstream-avoidable '[ "$(jget regions_split_unassigned $T/c4.json upstream)" -gt 0 ]'
check c4.rmp_sync-less-avoidable 'awk "BEGIN { exit !($(jget avg_regions_split_unassigned $T/c4.json rmp_sync) * 20 <= $(jget avg_regions_split_unassigned $T/c4.json upstream)) }"'
check c4.flushes-1s '[ "$(jget max_flushes_in_1s $T/c4.json upstream)" -gt 0 ]'
"$SIM" --trace "$T/c4.trace" --policy all --json --strict > "$T/c4-replay.json"
check c4.replay-equal 'sed 1d $T/c4.json > $T/a; sed 1d $T/c4-replay.json > $T/b; cmp -s $T/a $T/b'
# shellcheck disable=SC2086
"$SIM" $C4 --policy none --emit-trace "$T/c4b.trace" > /dev/null
check c4.deterministic 'cmp -s $T/c4.trace $T/c4b.trace'

# Placements: the same guests and events, only the PFNs differ; packed
# 2M blocks per guest leave fewer regions mixed than the allocator model.
for pl in packed capture/data/gmem-64m.placement capture/data/anon-64m.placement; do
	n=$(basename "$pl")
	arg=$pl
	[ "$pl" = packed ] || arg="$(dirname "$0")/../$pl"
	# shellcheck disable=SC2086
	"$SIM" $C4 --policy rmp_sync --json --strict --placement "$arg" \
		--emit-trace "$T/c4-$n.trace" > "$T/c4-$n.json" 2> "$T/err"
	check "place.$n.rc" '[ -s $T/c4-$n.json ] && [ "$(jget rejected $T/c4-$n.json)" = 0 ]'
	check "place.$n.same-events" '[ "$(grep -c "^private" $T/c4-$n.trace)" = "$(grep -c "^private" $T/c4.trace)" ] && [ "$(grep -c "^tick" $T/c4-$n.trace)" = "$(grep -c "^tick" $T/c4.trace)" ]'
	check "place.$n.pfns-differ" '! cmp -s $T/c4-$n.trace $T/c4.trace'
done
check place.packed-fewer-mixed 'awk "BEGIN { exit !($(jget avg_regions_mixed $T/c4-packed.json) * 4 < $(jget avg_regions_mixed $T/c4.json rmp_sync)) }"'

# Bad placement files: "FILE:LINE: reason", exit 2, nothing run.
while IFS='	' read -r line text; do
	[ -z "$line" ] && continue
	printf '%s\n' "$text" | tr '|' '\n' > "$T/bad.placement"
	# shellcheck disable=SC2086
	"$SIM" $C4 --placement "$T/bad.placement" > "$T/out" 2> "$T/err"
	rc=$?
	name="placement-error.$(echo "$text" | tr -c 'a-z0-9=' '_' | cut -c1-40)"
	if [ $rc -eq 2 ] && [ ! -s "$T/out" ] &&
	   [ "$(head -n 1 "$T/err" | cut -d' ' -f1)" = "$T/bad.placement:$line:" ]; then
		ok "$name"
	else
		bad "$name" "rc=$rc line $line: $(head -n 1 "$T/err")"
	fi
done <<'EOF2'
1	zz
2	0x100 1|0x101 0
1	0x100 1 2
1	-5
2	# c|0x100 x
3	0x1|0x2|mem 4G
1	mem
2	mem 4G|0x100000 1
1	0x1000000000 1
1	0x100 0x80000000
1	# only comments
EOF2
printf '0x100\n0x200 512\n' > "$T/ok.placement"
"$SIM" --workload vm-churn --mem 8G --hours 1 --policy none \
	--placement "$T/ok.placement" --json > "$T/out" 2> "$T/err"
rc=$?
check placement.tiny-ok '[ $rc -eq 0 ] && [ "$(jget rejected $T/out)" = 0 ]'

# ---------------------------------------------------------------------
# The recorder's converter (rmp-sync-capture convert): bpftrace output of
# capture/rmp-sync.bt, perf script of perf-probe events, trace_pipe of
# kprobe events (stock host) and of the rmp_sync tracepoints (patched
# host) all give the same trace; it replays with nothing rejected.
FIX=$(dirname "$0")/../capture/tests
check conv.have-tool '[ -x "$CAP" ]'
for f in bpftrace perf-script trace_pipe-kprobes trace_pipe-rmp_sync; do
	"$CAP" convert "$FIX/$f.txt" > "$T/$f.trace" 2> "$T/$f.err"
	rc=$?
	check "conv.$f.rc" '[ $rc -eq 0 ]'
	check "conv.$f.expected" 'sed 1d $T/$f.trace | cmp -s - $(dirname "$0")/../capture/tests/expected.trace.body'
	"$SIM" --trace "$T/$f.trace" --policy all --strict --json > "$T/out" 2> "$T/err"
	rc=$?
	check "conv.$f.replays" '[ $rc -eq 0 ] && [ "$(jget rejected $T/out rmp_sync)" = 0 ]'
done
check conv.failed-call-dropped '! grep -q "0x120003" $T/bpftrace.trace && ! grep -q "0x120003" $T/perf-script.trace'
check conv.prologue 'grep -q "^private 0x150005 4k" $T/bpftrace.trace && grep -q "^private 0x180000 2m" $T/bpftrace.trace'
check conv.ticks '[ "$(grep "^tick" $T/bpftrace.trace | awk "{ s += \$2 } END { print s }")" = 2300 ]'
check conv.lost-warned 'grep -q "lost events" $T/trace_pipe-kprobes.err'
check conv.derived-skipped 'grep -q "4 rmp_sync split/collapse/pass events skipped" $T/trace_pipe-rmp_sync.err'
"$CAP" convert --mem 16G -o "$T/m.trace" "$FIX/bpftrace.txt" 2> /dev/null
check conv.mem-option 'grep -q "^mem 16384M" $T/m.trace'
"$CAP" convert < "$FIX/perf-script.txt" > "$T/stdin.trace" 2> /dev/null
check conv.stdin 'cmp -s $T/stdin.trace $T/perf-script.trace'

# Bad recordings: "FILE:LINE: reason", exit 2.
while IFS='	' read -r line text; do
	[ -z "$line" ] && continue
	printf '%s\n' "$text" | tr '|' '\n' > "$T/bad.rec"
	"$CAP" convert "$T/bad.rec" > "$T/out" 2> "$T/err"
	rc=$?
	name="conv-error.$(echo "$text" | tr -c 'a-z0-9=' '_' | cut -c1-40)"
	if [ $rc -eq 2 ] && [ "$(head -n 1 "$T/err" | cut -d' ' -f1)" = "$T/bad.rec:$line:" ]; then
		ok "$name"
	else
		bad "$name" "rc=$rc line $line: $(head -n 1 "$T/err")"
	fi
done <<'EOF2'
2	Attaching 8 probes...|1 rmp_make_private tid=1 pfn=zz gpa=0 level=1 asid=1 immutable=0 ret=0
1	1 rmp_make_private tid=1 pfn=0x10 gpa=0 level=3 asid=1 immutable=0 ret=0
1	1 rmp_make_shared tid=1 level=1 ret=0
1	1 rmp_make_shared tid=1 pfn=0x10 ret=0
1	1 rmp_make_shared tid=1 pfn=0x10 level=2 ret=0
1	1 psmash tid=1 pfn=0x10 ret=0
1	1 rmp_make_private tid=1 pfn=0x200 gpa=0x1000 level=2 asid=1 immutable=0 ret=0
1	1 rmp_make_private tid=1 pfn=0x200 gpa=0 level=1 asid=99999 immutable=0 ret=0
1	rmp_make_private pfn=0x200 gpa=0 level=1 asid=1
1	 qemu 1 [000] 12.x4: probe:psmash: (ffffffff81000000) pfn=0x0
1	 qemu 1 [000] 12.5: probe:psmash__return: (ffffffff81000000 <- ffffffff81000001)
1	1 snp_leak_pages tid=1 pfn=0x10 npages=0
1	1 rmp_make_private tid=1 pfn=0x4000000000 gpa=0 level=1 asid=1 immutable=0 ret=0
2	Attaching 8 probes...|no events here
EOF2
"$CAP" convert "$T/does-not-exist" > /dev/null 2>&1
rc=$?
check conv.no-file '[ $rc -eq 2 ]'
for args in "" "frob" "convert --mem 3M $FIX/bpftrace.txt" "convert --bogus" \
	    "placement --source disk" "placement --size 5000" "placement extra"; do
	# shellcheck disable=SC2086
	"$CAP" $args > "$T/out" 2> "$T/err"
	rc=$?
	check "cap-usage.[$args]" '[ $rc -eq 2 ] && [ -s $T/err ]'
done
"$CAP" --help > "$T/out"
rc=$?
check cap-usage.help '[ $rc -eq 0 ] && grep -q "^usage: rmp-sync-capture" $T/out'

# A real capture, where it can run (root for the PFNs; KVM for guest_memfd).
if [ "$(id -u)" = 0 ]; then
	"$CAP" placement --source anon --size 4M -o "$T/anon.pl" 2> "$T/err"
	rc=$?
	check capture.anon '[ $rc -eq 0 ] && grep -q "^# 1024 pages in [0-9]* 2M regions (minimum 2)" $T/anon.pl'
	"$SIM" --workload vm-churn --mem 8G --hours 1 --policy none --placement "$T/anon.pl" --json > "$T/out" 2> "$T/err"
	rc=$?
	check capture.anon-replays '[ $rc -eq 0 ] && [ "$(jget rejected $T/out)" = 0 ]'
	if "$CAP" placement --source gmem --size 4M -o "$T/gmem.pl" 2> "$T/err"; then
		check capture.gmem 'grep -q "^# rmp-sync-capture placement: guest_memfd" $T/gmem.pl'
	else
		echo "skip capture.gmem: $(tail -n 1 "$T/err")"
	fi
else
	echo "skip capture.*: not root (pagemap hides PFNs)"
fi

finish
