#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# "Proof under pressure": run every reliability test of the harness and
# print the README "Reliability" figures as measured by this run (nothing
# is hard-coded): the concurrency stress under ASan+UBSan and under TSan,
# the fuzzers (corpus replay, then a bounded run), the KUnit fault sweep
# and the bad-input table.
#
#   sh reliability.sh    (from tools/testing/rmp_sync; make reliability)
#
# STRESS_SECONDS (20) and FUZZ_CI_SECONDS (30) bound the runs; SEED fixes
# the stress seed.  Exits 1 if anything failed.

STRESS_SECONDS=${STRESS_SECONDS:-20}
FUZZ_CI_SECONDS=${FUZZ_CI_SECONDS:-30}
MAKE=${MAKE:-make}
LOG=build/reliability
FAIL=0
SANRE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|WARNING: ThreadSanitizer|ERROR: libFuzzer'

case $STRESS_SECONDS$FUZZ_CI_SECONDS in
*[!0-9]*) echo "reliability.sh: STRESS_SECONDS and FUZZ_CI_SECONDS are numbers" >&2; exit 2 ;;
esac
mkdir -p $LOG || exit 1

fail() {
	echo "reliability: FAIL: $1"
	FAIL=1
}

# sanitizer reports in a log
sanreports() {
	grep -E -c "$SANRE" "$1" 2>/dev/null || true
}

# ---- builds
$MAKE -s build/rmp-sync-test build/rmp-sync-stress >$LOG/build.log 2>&1 ||
	{ cat $LOG/build.log; fail "ASan build"; exit 1; }
$MAKE -s OUT=build-tsan SAN=-fsanitize=thread build-tsan/rmp-sync-stress \
	>>$LOG/build.log 2>&1 || { cat $LOG/build.log; fail "TSan build"; exit 1; }

# ---- KUnit: fault sweep and bad input (ASan+UBSan)
build/rmp-sync-test -v -t rmp_sync_test_fault_sweep >$LOG/sweep.log 2>&1 ||
	fail "fault sweep (see $LOG/sweep.log)"
SWEEP_POINTS=$(grep -c 'fault sweep: .*: [0-9]* positions' $LOG/sweep.log)
SWEEP_POS=$(sed -n 's/.*fault sweep: .*: \([0-9]*\) positions$/\1/p' $LOG/sweep.log |
	awk '{ s += $1 } END { print s + 0 }')
SWEEP_RES=$(tail -n 1 $LOG/sweep.log)
build/rmp-sync-test -v -t rmp_sync_test_bad_input >$LOG/bad-input.log 2>&1 ||
	fail "bad input (see $LOG/bad-input.log)"
BAD=$(grep -c '^\(not \)\{0,1\}ok rmp_sync.rmp_sync_test_bad_input\[' $LOG/bad-input.log)
BAD_RES=$(tail -n 1 $LOG/bad-input.log)
[ "$SWEEP_POINTS" -gt 0 ] || fail "the fault sweep reported no points"
[ "$BAD" -gt 0 ] || fail "no bad-input cases ran"

# ---- stress, ASan+UBSan and TSan
stress() {	# NAME BINARY
	log=$LOG/stress-$1.log
	TSAN_OPTIONS="suppressions=$(pwd)/tsan.supp halt_on_error=1" \
		$2 -t "$STRESS_SECONDS" ${SEED:+-s $SEED} >$log 2>&1 ||
		fail "stress under $1 (see $log)"
	grep -q '^stress: violations 0, unexpected errors 0: ok' $log ||
		fail "stress under $1 did not end clean (see $log)"
}
stress asan build/rmp-sync-stress
stress tsan build-tsan/rmp-sync-stress

# stress_field NAME SED-EXPR: a figure from a stress log
stress_field() {
	sed -n "$2" $LOG/stress-$1.log | head -n 1
}

# ---- fuzzing: corpus replay, then FUZZ_CI_SECONDS per target
$MAKE -s fuzz-ci FUZZ_CI_SECONDS="$FUZZ_CI_SECONDS" >$LOG/fuzz.log 2>&1 ||
	{ tail -n 40 $LOG/fuzz.log; fail "fuzz-ci (see $LOG/fuzz.log)"; }
fuzz_execs() {
	sed -n 's/^stat::number_of_executed_units: *//p' build-fuzz/fuzz-$1.log 2>/dev/null
}
fuzz_corpus() {
	echo $(($(ls fuzz/corpus-$1 | wc -l) + $(ls build-fuzz/corpus-$1 2>/dev/null | wc -l)))
}

# ---- sanitizer reports over every log of this run
SAN=0
for f in $LOG/*.log build-fuzz/fuzz-*.log build-fuzz/replay-*.log; do
	[ -f "$f" ] || continue
	n=$(sanreports "$f")
	SAN=$((SAN + n))
done
[ "$SAN" -eq 0 ] || fail "$SAN sanitizer report(s)"

for s in asan tsan; do
	eval "ST_OPS_$s=\$(stress_field $s 's/^stress: seed [0-9]* threads [0-9]* ops \([0-9]*\).*/\1/p')"
	eval "ST_SEED_$s=\$(stress_field $s 's/^stress: seed \([0-9]*\).*/\1/p')"
	eval "ST_THR_$s=\$(stress_field $s 's/^stress: seed [0-9]* threads \([0-9]*\).*/\1/p')"
	eval "ST_WR_$s=\$(stress_field $s 's/^stress: writes \([0-9]*\),.*/\1/p')"
	eval "ST_S1_$s=\$(stress_field $s 's/^stress: violations \([0-9]*\),.*/\1/p')"
done

echo
echo "Reliability (measured by this run; STRESS_SECONDS=$STRESS_SECONDS, FUZZ_CI_SECONDS=$FUZZ_CI_SECONDS)"
echo
printf '| %-44s | %s |\n' "test" "result"
printf '|%s|%s|\n' "----------------------------------------------" "--------"
printf '| stress, ASan+UBSan: %-24s | %s |\n' \
	"$ST_OPS_asan ops, $ST_THR_asan threads" \
	"seed $ST_SEED_asan, $ST_WR_asan checked writes, $ST_S1_asan violations"
printf '| stress, TSan: %-30s | %s |\n' \
	"$ST_OPS_tsan ops, $ST_THR_tsan threads" \
	"seed $ST_SEED_tsan, $ST_WR_tsan checked writes, $ST_S1_tsan violations"
printf '| fuzz-ops: %-34s | %s |\n' "$(fuzz_execs ops) execs" \
	"corpus $(fuzz_corpus ops) inputs ($(ls fuzz/corpus-ops | wc -l) committed), no crash"
printf '| fuzz-trace: %-32s | %s |\n' "$(fuzz_execs trace) execs" \
	"corpus $(fuzz_corpus trace) inputs ($(ls fuzz/corpus-trace | wc -l) committed), no crash"
printf '| fault sweep: %-31s | %s |\n' "$SWEEP_POINTS points x positions = $SWEEP_POS runs" "$SWEEP_RES"
printf '| bad input: %-33s | %s |\n' "$BAD cases" "$BAD_RES"
printf '| sanitizer reports (all logs): %-14s | %s |\n' "$SAN" \
	"$([ $SAN -eq 0 ] && echo none || echo SEE LOGS)"
echo
if [ $FAIL -eq 0 ]; then
	echo "reliability: ok (zero RMP faults on hypervisor-owned pages, zero invariant violations, zero sanitizer reports)"
else
	echo "reliability: FAILED"
fi
exit $FAIL
