# SPDX-License-Identifier: GPL-2.0
#
# Shared by the harness's shell tests (sim/test-sim.sh, bench/test-bench.sh):
# a scratch directory $T removed on exit, and the pass/fail bookkeeping.
#
#   TEST_NAME=NAME VERBOSE=${2:-}; . "$(dirname "$0")/../testlib.sh"
#   check NAME 'CONDITION'   evaluate a shell condition, count and report it
#   ok NAME / bad NAME WHY   count a result decided by the caller
#   finish [PREFIX]          print "N passed, N failed"; status 1 on failures

T=$(mktemp -d "/tmp/rmp-sync-$TEST_NAME.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
PASS=0
FAIL=0

ok() {
	PASS=$((PASS + 1))
	[ -n "$VERBOSE" ] && echo "ok   $1"
	return 0
}

bad() {
	FAIL=$((FAIL + 1))
	echo "FAIL $1: $2"
}

check() {
	name=$1
	shift
	if eval "$*"; then ok "$name"; else bad "$name" "$*"; fi
}

finish() {
	echo "${1:+$1: }$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
