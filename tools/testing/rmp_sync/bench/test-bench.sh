#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of rmp-sync-bench (issue 7), cheap enough for "make check":
# a --quick run prints every section as a table and as valid JSON, every
# target verdict is present, and bad command lines exit 2 with a message.
# It checks that the benchmark runs, not how fast anything is.
#
#   sh bench/test-bench.sh build-bench/rmp-sync-bench [-v]
#
# Ends with "N passed, N failed"; exits 1 if anything failed.

BENCH=${1:?usage: test-bench.sh PATH-TO-rmp-sync-bench [-v]}
TEST_NAME=benchtest
VERBOSE=${2:-}
. "$(dirname "$0")/../testlib.sh"

# The table: every section and every target line.
"$BENCH" --quick > "$T/out" 2> "$T/err"
check table.rc '[ $? -eq 0 ]'
for s in '^1\. Transition cost' '^2\. Memory' '^3\. Scaling' '^4\. Recovery' \
	 '^5\. Workload' 'target rmp_sync net' 'target <= 4 B' 'target <= 2 MiB' \
	 'target disjoint' 'one flush per pass' 'slowdown against none' \
	 'bench finished'; do
	check "table.has[$s]" 'grep -q "$s" "$T/out"'
done
check table.no-stderr '[ ! -s "$T/err" ]'

# JSON: valid, with every section.
"$BENCH" --quick --json > "$T/json" 2> "$T/err"
check json.rc '[ $? -eq 0 ]'
if command -v python3 > /dev/null 2>&1; then
	check json.valid 'python3 -c "import json, sys; json.load(sys.stdin)" < "$T/json"'
	check json.sections 'python3 -c "
import json, sys
d = json.load(sys.stdin)
for k in (\"transitions\", \"memory\", \"scaling\", \"recovery\", \"workload\"):
    assert k in d, k
assert len(d[\"transitions\"][\"rows\"]) == 6
assert d[\"recovery\"][\"one_flush_per_pass\"]
assert len(d[\"workload\"][\"policies\"]) == 4
" < "$T/json"'
elif command -v jq > /dev/null 2>&1; then
	check json.valid 'jq -e .transitions,.memory,.scaling,.recovery,.workload "$T/json" > /dev/null'
else
	echo "skip json.valid: neither python3 nor jq is installed"
fi
for k in transitions memory scaling recovery workload; do
	check "json.has[$k]" 'grep -q "\"$k\": {" "$T/json"'
done

# Bad command lines: a message and exit status 2.
for args in '--bogus' '--rounds' '--rounds 0' '--rounds x' '--rounds 99999' \
	    '--hours 0' '--hours -1' '--hours abc' '--hours 100' 'extra' \
	    '--callgrind --json'; do
	# shellcheck disable=SC2086
	"$BENCH" $args > "$T/out" 2> "$T/err"
	rc=$?
	check "usage[$args].rc" '[ $rc -eq 2 ]'
	check "usage[$args].msg" 'grep -q "^rmp-sync-bench: " "$T/err"'
done
"$BENCH" --help > "$T/out" 2>&1
check help.rc '[ $? -eq 0 ]'
check help.text 'grep -q "^usage: rmp-sync-bench" "$T/out"'

finish benchtest
