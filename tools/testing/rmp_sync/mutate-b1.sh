#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mutate-b1.sh: check that the B1 regression test (rmp_sync_test_concurrent_1g,
# with the emulator's poison-before-free) still catches the B1 bugs.
#
# Each mutation puts back one piece of the code before the B1 fix, in a
# temporary copy of the sources (the tree is never modified): the copy is
# built under ASan + UBSan and under TSan, and the test run up to RUNS times
# in each build, alternately; the mutation is "caught" when a run fails for
# a reason other than "no 1G collapse happened" (the case's own check that
# the race took place).  Under TSan a table freed without the grace period
# is a data race between free() and the walker's read (the shim gives TSan
# the grace period's ordering), so TSan catches it almost every run; ASan
# needs the walker to be inside the table when it is freed.
#
#   sh mutate-b1.sh [-n RUNS] [-k] [MUTATION...]
#
#   -n RUNS   runs per mutation before giving up (default 10)
#   -k        keep the temporary copy (its path is printed)
#
# Mutations (default: all three):
#   no-grace      __emu_flush_all() frees the detached tables without
#                 synchronize_rcu(): flush_direct_map_collapses() before
#                 the fix (flush_tlb_all(), then free)
#   free-now      emu_collapse() frees the detached table at once instead
#                 of queueing it for the flush
#   split-sample  emu_dmap_split() samples the level with a walk outside
#                 pgd_lock and outside RCU, and skips the split if it saw
#                 4K: split_direct_map_2m() before the fix (lookup_address()
#                 outside cpa_lock); the walk is in no RCU read-side
#                 section, so the grace period does not cover it
#
# Exit status: 0 if every mutation asked for was caught, 1 otherwise, 2 on a
# build error.
set -u

RUNS=10
KEEP=
while getopts n:k o; do
	case $o in
	n) RUNS=$OPTARG ;;
	k) KEEP=1 ;;
	*) sed -n '/^#   sh /,/^#   -k/p' "$0" | sed 's/^# //'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- no-grace free-now split-sample

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mutate-b1.XXXXXX") || exit 2
if [ -z "$KEEP" ]; then
	trap 'rm -rf "$TMP"' EXIT
	trap 'exit 130' INT TERM
else
	echo "copy kept in $TMP"
fi

# The sources the harness's rmp-sync-test is built from, build dirs excluded.
copy_tree() {
	rm -rf "$TMP/src"
	mkdir -p "$TMP/src/arch/x86" "$TMP/src/tools/testing"
	cp -r "$TOP/include" "$TOP/lib" "$TMP/src/"
	cp -r "$TOP/arch/x86/mm" "$TMP/src/arch/x86/"
	mkdir "$TMP/src/tools/testing/rmp_sync"
	(cd "$HERE" && tar cf - --exclude='./build*' --exclude='./fuzz' .) |
		(cd "$TMP/src/tools/testing/rmp_sync" && tar xf -)
}

# mutate NAME: edit the copy; fail if the edit found nothing to change.
mutate() {
	emu=$TMP/src/tools/testing/rmp_sync/emu.c
	cp "$emu" "$TMP/orig.c"
	case $1 in
	no-grace)
		perl -0pi -e 's/(\tif \(!h->deferred\)\n\t\treturn;\n)\tsynchronize_rcu\(\);\n/$1/' "$emu" ;;
	free-now)
		perl -0pi -e 's/\tt->next = h->deferred;\n\th->deferred = t;\n/\temu_free_table(h, t);\n/' "$emu" ;;
	split-sample)
		perl -0pi -e 's/(\t\treturn -EINVAL;\n\t}\n)(\tmutex_lock\(&h->pgd_lock\);\n\tret = __emu_split\(h, pfn, PG_LEVEL_4K,\n\t\t\t  nofail)/$1\t{\n\t\tu64 e0;\n\t\tint l0 = emu_walk(h, pfn, &e0, NULL);\n\n\t\tif ((e0 & EMU_PTE_PRESENT) && l0 == PG_LEVEL_4K) {\n\t\t\t*old_level = l0;\n\t\t\treturn 0;\n\t\t}\n\t}\n$2/' "$emu" ;;
	*)
		echo "unknown mutation $1" >&2; return 1 ;;
	esac
	if cmp -s "$emu" "$TMP/orig.c"; then
		echo "mutation $1: the code it edits was not found (emu.c changed?)" >&2
		return 1
	fi
}

build() {
	make -s -C "$TMP/src/tools/testing/rmp_sync" build/rmp-sync-test \
		>"$TMP/build.log" 2>&1 &&
	make -s -C "$TMP/src/tools/testing/rmp_sync" OUT=build-tsan \
		SAN=-fsanitize=thread build-tsan/rmp-sync-test \
		>>"$TMP/build.log" 2>&1 || { cat "$TMP/build.log"; return 1; }
}

# run LOG BUILD: 0 caught, 1 passed, 2 failed only because no 1G collapse
# happened
run() {
	TSAN_OPTIONS="suppressions=$TMP/src/tools/testing/rmp_sync/tsan.supp halt_on_error=1" \
	timeout 120 "$TMP/src/tools/testing/rmp_sync/$2/rmp-sync-test" -v \
		-t concurrent_1g >"$1" 2>&1 && return 1
	grep -q 'ERROR: AddressSanitizer\|WARNING: ThreadSanitizer\|runtime error\|RMP #PF' "$1" && return 0
	grep 'Expected' "$1" | grep -qv 'collapses_1g' && return 0
	grep -q 'Expected.*collapses_1g' "$1" && return 2
	return 0
}

why() {
	grep -m1 'ERROR: AddressSanitizer\|SUMMARY: ThreadSanitizer\|runtime error' "$1" && return
	grep -m1 'RMP #PF\|Expected' "$1" && return
	tail -n 1 "$1"
}

copy_tree || exit 2
build || exit 2
status=0
for b in build build-tsan; do
	run "$TMP/base.log" $b
	case $? in
	0) echo "unmutated ($b): FAILED: $(why "$TMP/base.log")"; exit 1 ;;
	*) echo "unmutated ($b): passes" ;;
	esac
done

for m in "$@"; do
	copy_tree && mutate "$m" || { status=1; continue; }
	build || exit 2
	caught=
	i=0
	while [ $i -lt "$RUNS" ]; do
		i=$((i + 1))
		for b in build build-tsan; do
			if run "$TMP/$m.log" $b; then
				caught="$i ($b)"
				break 2
			fi
		done
	done
	if [ -n "$caught" ]; then
		echo "$m: caught in run $caught of $RUNS: $(why "$TMP/$m.log")"
	else
		echo "$m: NOT caught in $RUNS runs"
		status=1
	fi
done
exit $status
