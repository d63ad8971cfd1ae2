#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check every commit of a range, each in a clean worktree of its own:
#
#   scripts/every-commit.sh [--kernel] [--checkpatch] [--first-parent] BASE [TIP]
#
# For each commit in BASE..TIP (default TIP: HEAD), oldest first, merges
# included (--first-parent: only main's own line), in a temporary worktree:
#   series     scripts/series.sh check KVER for every series in patches/:
#              the committed patches are what the committed sources make
#   userspace  make -C tools/testing/rmp_sync run: the ASan+UBSan build of
#              every harness program and the KUnit suite against the
#              emulated SNP host
#   kernel     (--kernel only) scripts/kernel-check.sh series bisect: every
#              patch applied to the pristine tree one at a time and its
#              objects built with W=1 (takes the kernel-build lock)
#   checkpatch (--checkpatch only) scripts/kernel-check.sh checkpatch:
#              checkpatch.pl --strict on every patch and new C file, for
#              a commit that changes the kernel side (arch, include, lib,
#              Documentation, kernel, patches); otherwise its result is
#              its parent's
#
# This is the fast form of "make check passes at every commit": the
# whole make check (KUnit and the system check in QEMU) takes ~15 minutes
# warm and is run on the tip.  The base trees come from this repository's
# $KBUILD_DIR (scripts/kernel-check.sh deps tree makes them).
#
# Prints one line per commit, "ok" or the failing steps, and exits 1 if
# any commit failed, 2 on bad usage.

set -u -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
export KBUILD_DIR=${KBUILD_DIR:-$REPO/.kbuild}
KERNEL=0
CHECKPATCH=0
FIRST_PARENT=

usage() {
	echo "usage: every-commit.sh [--kernel] [--checkpatch] [--first-parent] BASE [TIP]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) KERNEL=1; shift ;;
	--checkpatch) CHECKPATCH=1; shift ;;
	--first-parent) FIRST_PARENT=--first-parent; shift ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "every-commit.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
BASE=$1
TIP=${2:-HEAD}
for rev in "$BASE" "$TIP"; do
	git -C "$REPO" rev-parse -q --verify "$rev^{commit}" > /dev/null ||
		{ echo "every-commit.sh: $rev: not a commit" >&2; exit 2; }
done

COMMITS=$(git -C "$REPO" rev-list --reverse $FIRST_PARENT "$BASE..$TIP")
[ -n "$COMMITS" ] || { echo "every-commit.sh: $BASE..$TIP is empty" >&2; exit 2; }

WT=$(mktemp -d /tmp/every-commit.XXXXXX) || exit 1
cleanup() {
	git -C "$REPO" worktree remove --force "$WT/tree" > /dev/null 2>&1
	rm -rf "$WT"
}
trap cleanup EXIT INT TERM

failed=0
total=0
for c in $COMMITS; do
	total=$((total + 1))
	bad=
	git -C "$REPO" worktree remove --force "$WT/tree" > /dev/null 2>&1
	if ! git -C "$REPO" worktree add -q --detach "$WT/tree" "$c" > /dev/null 2>&1; then
		echo "$(git -C "$REPO" log -1 --format='%h %s' "$c"): cannot check out" >&2
		failed=$((failed + 1))
		continue
	fi
	log=$WT/$c.log
	for kv in $(cd "$WT/tree/patches" 2> /dev/null && ls -d -- */ | tr -d /); do
		"$WT/tree/scripts/series.sh" check "$kv" >> "$log" 2>&1 || bad="$bad series-$kv"
	done
	make -s -C "$WT/tree/tools/testing/rmp_sync" run >> "$log" 2>&1 || bad="$bad userspace"
	if [ "$KERNEL" = 1 ]; then
		(cd "$WT/tree" && scripts/kernel-check.sh series bisect) >> "$log" 2>&1 ||
			bad="$bad kernel"
	fi
	if [ "$CHECKPATCH" = 1 ] &&
	   ! git -C "$REPO" diff --quiet "$c^" "$c" -- arch include lib Documentation kernel patches; then
		(cd "$WT/tree" && scripts/kernel-check.sh checkpatch) >> "$log" 2>&1 ||
			bad="$bad checkpatch"
	fi
	if [ -z "$bad" ]; then
		echo "ok   $(git -C "$REPO" log -1 --format='%h %s' "$c")"
	else
		failed=$((failed + 1))
		echo "FAIL $(git -C "$REPO" log -1 --format='%h %s' "$c"):$bad"
		tail -n 15 "$log" | sed 's/^/     | /'
	fi
done
echo "every-commit.sh: $((total - failed)) of $total commits passed"
[ "$failed" = 0 ]
