#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel series, generated from one source of truth.
#
# What is kept in this repository, per kernel version KVER (6.12, 7.3):
#
#   the new files      at their kernel paths (arch/, include/, lib/,
#                      Documentation/), the same for every KVER;
#   kernel/KVER/NNNN-*.patch
#                      each patch's author, message and its diff to files
#                      that already exist in Linux KVER (never a new file);
#   kernel/KVER/series one line per patch, in order: the file name of its
#                      source patch, then the new files the patch creates;
#   kernel/KVER/cover-letter
#                      the cover letter: subject, a blank line, the body.
#
# What is generated from them: patches/KVER/, a git-am-able series with a
# cover letter, whose patches create the new files.
#
#   scripts/series.sh gen KVER         write patches/KVER/
#   scripts/series.sh check KVER       fail unless patches/KVER/ is exactly
#                                      what gen would write
#   scripts/series.sh tree KVER DIR    DIR: a git worktree of the base tree
#                                      with the series applied as commits
#   scripts/series.sh import KVER DIR  the reverse: DIR's commits after the
#                                      tag "base" become kernel/KVER/
#
# To change an existing file in patch N: "tree" into a scratch DIR, amend
# commit N there (git rebase -i), "import", "gen".  A new file is edited
# here, in place; "gen" puts its current text into the patch that creates
# it.
#
# The base tree is $KBUILD_DIR/linux-source-KVER, a git repository whose
# tag "base" is the pristine source; scripts/kernel-check.sh makes it.

set -e -u -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
KBUILD_DIR=${KBUILD_DIR:-$REPO/.kbuild}
# The one identity every generated commit is made with.
export GIT_COMMITTER_NAME="rmp_sync developers"
export GIT_COMMITTER_EMAIL="rmp-sync@example.org"

die() { echo "series.sh: $*" >&2; exit 2; }

usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

# The new files: everything at a kernel path in this repository.
new_files() {
	(cd "$REPO" && git ls-files -co --exclude-standard -- \
		arch include lib Documentation | sort)
}

base_tree() {
	local src=$KBUILD_DIR/linux-source-$1

	git -C "$src" rev-parse -q --verify base >/dev/null 2>&1 ||
		die "$src: no base tree (run scripts/kernel-check.sh --kver $1 deps tree)"
	echo "$src"
}

# Check kernel/KVER/series: each source patch exists, each new file of the
# repository is created by exactly one patch.
check_series() {
	local dir=$REPO/kernel/$1 listed
	[ -f "$dir/series" ] || die "$dir/series: missing"
	[ -f "$dir/cover-letter" ] || die "$dir/cover-letter: missing"
	awk '!/^#/ && NF { for (i = 2; i <= NF; i++) print $i }' "$dir/series" |
		sort > "$TMP/listed"
	if ! diff -u <(new_files) "$TMP/listed" > "$TMP/files.diff"; then
		echo "series.sh: $dir/series and the new files differ (- not in" \
		     "the series, + not in the repository):" >&2
		grep '^[-+][^-+]' "$TMP/files.diff" >&2
		exit 2
	fi
	listed=$(sort "$TMP/listed" | uniq -d)
	[ -z "$listed" ] || die "$dir/series: created twice: $listed"
	awk '!/^#/ && NF { print $1 }' "$dir/series" | while read -r p; do
		[ -f "$dir/$p" ] || die "$dir/series: $p: no such source patch"
	done
}

# commits KVER: build the series as commits on top of "base" in the base
# tree's object store, through a private index (no checkout: fast), and
# print the last one.  Committer = author, both dates the author date, so
# the commits, and the patches made from them, do not depend on when or
# where this runs.
cmd_commits() {
	local kver=$1 src line p f date blob tree parent
	src=$(base_tree "$kver")
	check_series "$kver"
	export GIT_INDEX_FILE=$TMP/index
	git -C "$src" read-tree base
	parent=$(git -C "$src" rev-parse base)
	while read -r line; do
		case "$line" in ''|'#'*) continue ;; esac
		set -- $line
		p=$1
		shift
		# The source patch: author, date and message, then its diff.
		git mailinfo -b "$TMP/msg" "$TMP/diff" \
			< "$REPO/kernel/$kver/$p" > "$TMP/info"
		if [ -s "$TMP/diff" ]; then
			git -C "$src" apply --cached "$TMP/diff" ||
				die "$p does not apply to Linux $kver"
		fi
		for f in "$@"; do
			blob=$(git -C "$src" hash-object -w "$REPO/$f")
			git -C "$src" update-index --add --cacheinfo "100644,$blob,$f"
		done
		{
			sed -n 's/^Subject: //p' "$TMP/info"
			echo
			cat "$TMP/msg"
		} > "$TMP/message"
		date=$(sed -n 's/^Date: //p' "$TMP/info")
		tree=$(git -C "$src" write-tree)
		parent=$(GIT_AUTHOR_NAME=$(sed -n 's/^Author: //p' "$TMP/info") \
			 GIT_AUTHOR_EMAIL=$(sed -n 's/^Email: //p' "$TMP/info") \
			 GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
			 git -C "$src" commit-tree "$tree" -p "$parent" -F "$TMP/message")
	done < "$REPO/kernel/$kver/series"
	unset GIT_INDEX_FILE
	echo "$parent"
}

# tree KVER DIR: DIR becomes a detached worktree of the base tree at the
# last commit of the series.
cmd_tree() {
	local kver=$1 dir=$2 src head
	src=$(base_tree "$kver")
	head=$(cmd_commits "$kver")
	git -C "$src" worktree remove --force "$dir" >/dev/null 2>&1 || rm -rf "$dir"
	git -C "$src" worktree prune
	git -C "$src" worktree add -q --detach "$dir" "$head"
}

# gen KVER [OUT]: write the series into OUT (default patches/KVER).
cmd_gen() {
	local kver=$1 out=${2:-$REPO/patches/$1} src head subject date
	src=$(base_tree "$kver")
	head=$(cmd_commits "$kver")
	rm -rf "$out"
	mkdir -p "$out"
	# A fixed --abbrev: by default the length of the blob names on the
	# "index" lines grows with the number of objects git counts in the
	# repository (7 in a fresh, unpacked base tree, 9 once packed), so
	# the same series would not give the same patches everywhere.
	git -C "$src" format-patch -q --zero-commit --no-signature \
		--abbrev=9 --cover-letter -o "$out" "base..$head"
	# The cover letter: our subject and text, the date of the last patch.
	subject=$(head -1 "$REPO/kernel/$kver/cover-letter")
	date=$(git -C "$src" log -1 --format=%aD "$head")
	python3 - "$out/0000-cover-letter.patch" "$subject" "$date" \
		"$REPO/kernel/$kver/cover-letter" <<'EOF'
import sys
path, subject, date, src = sys.argv[1:5]
body = open(src).read().split("\n", 1)[1].strip("\n")
text = open(path).read()
text = text.replace("*** SUBJECT HERE ***", subject, 1)
text = text.replace("*** BLURB HERE ***", body, 1)
lines = text.split("\n")
for i, l in enumerate(lines):
    if l.startswith("Date: "):
        lines[i] = "Date: " + date
        break
open(path, "w").write("\n".join(lines))
EOF
}

cmd_check() {
	local kver=$1
	cmd_gen "$kver" "$TMP/patches"
	if ! diff -ru "$REPO/patches/$kver" "$TMP/patches" > "$TMP/check.diff"; then
		head -60 "$TMP/check.diff" >&2
		die "patches/$kver differs from what scripts/series.sh gen $kver writes"
	fi
	echo "series.sh: patches/$kver is what gen writes ($(ls "$REPO/patches/$kver" | wc -l) files)"
}

# import KVER DIR: DIR's commits base..HEAD become kernel/KVER/.
cmd_import() {
	local kver=$1 dir=$2 dst=$REPO/kernel/$kver c n=0 name added excl
	[ -d "$dir" ] || die "$dir: no such tree"
	mkdir -p "$dst"
	rm -f "$dst"/[0-9][0-9][0-9][0-9]-*.patch
	{
		echo "# Generated by scripts/series.sh import: source patch, then the"
		echo "# new files (repository paths) the patch creates."
	} > "$dst/series"
	for c in $(git -C "$dir" rev-list --reverse base..HEAD); do
		n=$((n + 1))
		added=$(git -C "$dir" diff-tree --no-commit-id --name-only -r \
			--diff-filter=A "$c" | sort)
		excl=$(for f in $added; do printf " :(exclude)%s" "$f"; done)
		name=$(git -C "$dir" format-patch -1 --start-number "$n" \
			--zero-commit --no-signature --abbrev=9 -o "$dst" \
			"$c" -- . $excl)
		echo "$(basename "$name") $(echo $added)" >> "$dst/series"
	done
	echo "series.sh: imported $n patches into kernel/$kver"
}

[ $# -ge 2 ] || usage
cmd=$1
kver=$2
shift 2
case "$kver" in
6.12|7.3) ;;
*) die "unknown kernel version '$kver' (6.12 or 7.3)" ;;
esac
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
case "$cmd" in
gen)	[ $# -eq 0 ] || usage; cmd_gen "$kver" ;;
check)	[ $# -eq 0 ] || usage; cmd_check "$kver" ;;
tree)	[ $# -eq 1 ] || usage; cmd_tree "$kver" "$1" ;;
import)	[ $# -eq 1 ] || usage; cmd_import "$kver" "$1" ;;
*)	usage ;;
esac
