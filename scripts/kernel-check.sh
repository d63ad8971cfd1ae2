#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check the kernel series from a fresh Debian machine, as root:
#
#   scripts/kernel-check.sh [--kver 6.12] [STEP...]
#
# Steps, for each kernel version (default: every series in patches/):
#   deps       apt-get the toolchain, QEMU, ccache and the kernel source
#   tree       unpack the pristine source into $KBUILD_DIR/linux-source-KVER
#              as a git repository tagged "base" (once; reused after)
#   series     patches/KVER is exactly what scripts/series.sh generates
#   bisect     reset to "base", then git am the series one patch at a time,
#              building the objects each patch touches with W=1 after it
#              (KVM_AMD_SEV, THP, X86_RMP_SYNC and the KUnit suite on);
#              any warning or error fails; the last step builds every
#              touched object again on the complete series
#   kunit      the KUnit suite in QEMU (TCG; lockdep, KASAN,
#              DEBUG_ATOMIC_SLEEP) in two builds: the base one booted
#              with THP "never" (the fallback work runs recovery), and one
#              with CONFIG_CPA_DEBUG (the CPA self-test changes the direct
#              map meanwhile) booted with THP "always" (khugepaged)
#   system     scripts/system-check.sh: the kunit step's base build booted
#              as a software-SNP debug host (rmp_sync.sw_host=4G) with a
#              small initramfs: sysfs ABI and knobs, traces replayed into
#              the kernel against rmp-sync-sim, ptdump recount, tracepoint
#              record -> replay round trip, THP hand-over, dmesg
#   checkpatch checkpatch.pl --strict (that tree's) on every patch and on
#              every new C file
#
# Environment: KVER (versions, as --kver), KBUILD_DIR (default .kbuild in
# the repository, git-ignored), JOBS (default 2), KUNIT_TIMEOUT (seconds,
# default 3600), CCACHE_DIR (default ~/.cache/rmp_sync-ccache).
# Exits non-zero if any step fails; prints each KUnit summary line.

set -u -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
KBUILD_DIR=${KBUILD_DIR:-$REPO/.kbuild}
JOBS=${JOBS:-2}
KUNIT_TIMEOUT=${KUNIT_TIMEOUT:-3600}
# ccache outside the clone, so that later runs on the same machine are warm.
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/rmp_sync-ccache}
# Paths below the build directory are hashed relative to it, so that a
# fresh clone (CI's is in another folder) hits what an earlier one cached.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$KBUILD_DIR}
export GIT_COMMITTER_NAME="rmp_sync developers"
export GIT_COMMITTER_EMAIL=rmp-sync@example.org
KVERS=${KVER:-$(cd "$REPO/patches" && ls -d */ | tr -d /)}

while [ $# -gt 0 ]; do
	case "$1" in
	--kver) KVERS=$2; shift 2 ;;
	--kver=*) KVERS=${1#--kver=}; shift ;;
	-*) echo "kernel-check.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
STEPS=${*:-deps tree series bisect kunit system checkpatch}

# One kernel build at a time on this machine (2 cores): a second
# kernel-check (another worktree, a helper) waits here for the first.
if [ -z "${RMP_SYNC_KBUILD_LOCKED:-}" ]; then
	exec 9>/tmp/rmp_sync-kbuild.lock
	flock 9
	export RMP_SYNC_KBUILD_LOCKED=1
fi

failed=()
say() { printf '\n=== %s: %s\n' "$KV" "$*"; }

# 6.12 is the machine's own Debian package; 7.3 comes from trixie-backports
# and is cached in $KBUILD_DIR (see fetch_backports_source).
tarball() {
	case "$1" in
	6.12) echo "/usr/src/linux-source-$1.tar.xz" ;;
	*) echo "$KBUILD_DIR/linux-source-$1.tar.xz" ;;
	esac
}

# linux-source-KVER from Debian's trixie-backports, without touching the
# system's apt configuration: a private sources list (the archive URI and
# keyring of the machine's own Debian sources), private lists and cache
# under $KBUILD_DIR/apt-KVER, apt-get download, dpkg-deb -x.  Only the
# tarball is kept; a warm run finds it and fetches nothing.
fetch_backports_source() {
	local kv=$1 dir=$KBUILD_DIR/apt-$1 src uri keyring opts deb
	[ -f "$(tarball "$kv")" ] && return 0
	src=/etc/apt/sources.list.d/debian.sources
	uri=$(awk '/^URIs:/ { print $2; exit }' "$src")
	keyring=$(awk '/^Signed-By:/ { print $2; exit }' "$src")
	[ -n "$uri" ] || { echo "no Debian archive URI in $src"; return 1; }
	keyring=${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}
	rm -rf "$dir"
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" || return 1
	echo "deb [signed-by=$keyring] $uri trixie-backports main" \
		> "$dir/sources.list"
	opts=(-o "Dir::Etc::sourcelist=$dir/sources.list"
	      -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$dir/lists"
	      -o "Dir::Cache=$dir/cache" -o APT::Sandbox::User=root)
	apt-get "${opts[@]}" update -qq || return 1
	(cd "$dir" && apt-get "${opts[@]}" download "linux-source-$kv") ||
		return 1
	deb=$(ls "$dir"/linux-source-"$kv"_*.deb) || return 1
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO "./usr/src/linux-source-$kv.tar.xz" \
		> "$(tarball "$kv").tmp" &&
		mv "$(tarball "$kv").tmp" "$(tarball "$kv")" || return 1
	rm -rf "$dir"
	echo "linux-source-$kv: $(basename "$deb") -> $(tarball "$kv")"
}

step_deps() {
	say "deps"
	local pkgs=(build-essential bc bison flex libelf-dev python3-ply python3-git
		    libssl-dev python3 qemu-system-x86 ccache git rsync cpio kmod
		    xz-utils)
	case "$KV" in
	6.12) pkgs+=("linux-source-$KV") ;;
	esac
	"$REPO/scripts/apt-ensure.sh" "${pkgs[@]}" || return 1
	case "$KV" in
	6.12) ;;
	*) mkdir -p "$KBUILD_DIR" && fetch_backports_source "$KV" || return 1 ;;
	esac
	[ -f "$(tarball "$KV")" ] || { echo "no $(tarball "$KV")"; return 1; }
}

step_tree() {
	say "tree: $SRC"
	mkdir -p "$KBUILD_DIR" || return 1
	if git -C "$SRC" rev-parse -q --verify base >/dev/null 2>&1; then
		return 0
	fi
	rm -rf "$SRC"
	tar -C "$KBUILD_DIR" -xf "$(tarball "$KV")" || return 1
	# Debian's top-level .gitignore ignores everything: add with -f.
	(cd "$SRC" && git init -q &&
	 git add -f -A . >/dev/null &&
	 GIT_AUTHOR_NAME=base GIT_AUTHOR_EMAIL=base@localhost \
	 GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" \
	 GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" git commit -qm base &&
	 git tag base)
}

step_series() {
	say "series"
	"$REPO/scripts/series.sh" check "$KV"
}

# The config the bisect and W=1 builds use.
w1_config() {
	local out=$1
	scripts/config --file "$out/.config" \
		-e VIRTUALIZATION -e KVM -e KVM_AMD -e CRYPTO_DEV_CCP \
		-e CRYPTO_DEV_CCP_DD -e CRYPTO_DEV_SP_PSP -e KVM_AMD_SEV \
		-e AMD_MEM_ENCRYPT -e TRANSPARENT_HUGEPAGE -e X86_RMP_SYNC \
		-e KUNIT -e CMA -e COMPACTION -e RMP_SYNC_KUNIT_TEST \
		-e DEBUG_KERNEL -e DEBUG_FS -e RMP_SYNC_SW_HOST &&
	make -s O="$out" ARCH=x86_64 CC="ccache gcc" olddefconfig
}

# Objects built from the C files a commit adds or changes.
touched_objects() {
	git diff --name-only --diff-filter=AM "$1~1" "$1" -- '*.c' |
		sed 's/\.c$/.o/'
}

w1_build() {
	local out=$1 log=$2
	shift 2
	[ $# -gt 0 ] || return 0
	make O="$out" ARCH=x86_64 CC="ccache gcc" -j"$JOBS" W=1 "$@" \
		> "$log" 2>&1
	local rc=$?
	if [ $rc -ne 0 ] || grep -E "warning:|error:" "$log"; then
		tail -20 "$log"
		return 1
	fi
}

step_bisect() {
	say "bisect: the series one patch at a time, W=1 after each"
	local out=$KBUILD_DIR/w1-$KV p f objs all="" n=0
	mkdir -p "$out"
	(
	cd "$SRC" || exit 1
	git am --abort >/dev/null 2>&1
	git reset -q --hard base || exit 1
	# New files of an earlier run are untracked (and ignored) now.
	for f in $(cd "$REPO" && git ls-files arch include lib Documentation); do
		rm -f "$SRC/$f"
	done
	[ -f "$out/.config" ] || make -s O="$out" ARCH=x86_64 CC="ccache gcc" \
		x86_64_defconfig || exit 1
	for p in "$REPO"/patches/"$KV"/0*.patch; do
		case "$p" in */0000-cover-letter.patch) continue ;; esac
		n=$((n + 1))
		git am -q "$p" || { echo "$(basename "$p"): does not apply"; exit 1; }
		w1_config "$out" || exit 1
		objs=$(touched_objects HEAD)
		all="$all $objs"
		printf '%s: %s\n' "$(basename "$p")" "$(echo $objs)"
		# shellcheck disable=SC2086
		w1_build "$out" "$out/patch-$n.log" $objs ||
			{ echo "$(basename "$p"): build failed"; exit 1; }
	done
	for c in KVM_AMD_SEV TRANSPARENT_HUGEPAGE X86_RMP_SYNC RMP_SYNC_KUNIT_TEST; do
		grep -q "^CONFIG_$c=y" "$out/.config" ||
			{ echo "CONFIG_$c is not y"; exit 1; }
	done
	echo "complete series: $(echo $all | tr ' ' '\n' | sort -u | tr '\n' ' ')"
	# shellcheck disable=SC2086
	w1_build "$out" "$out/all.log" $(echo $all | tr ' ' '\n' | sort -u) ||
		{ echo "complete series: build failed"; exit 1; }
	echo "$n patches applied and built, W=1 clean"
	)
}

# kunit.py of 7.3 starts QEMU with "-accel kvm -accel hvf -accel tcg"; where
# /dev/kvm exists but cannot run "-cpu max" (nested KVM: "failed to set MSR
# 0x10a"), QEMU aborts before the kernel prints anything.  Run every kernel
# under TCG, as 6.12's kunit.py does: a qemu-system-x86_64 first in PATH
# that drops the -accel options.  Prints the directory to put in PATH.
qemu_tcg_dir() {
	local dir=$KBUILD_DIR/qemu-tcg qemu
	qemu=$(command -v qemu-system-x86_64) || return 1
	mkdir -p "$dir" || return 1
	cat > "$dir/qemu-system-x86_64" <<EOF
#!/bin/bash
args=()
while [ \$# -gt 0 ]; do
	case "\$1" in
	-accel) shift 2 ;;
	*) args+=("\$1"); shift ;;
	esac
done
exec $qemu "\${args[@]}"
EOF
	chmod +x "$dir/qemu-system-x86_64" && echo "$dir"
}

# KUnit configurations: build (lib/.kunitconfig, plus options), boot
# arguments.  The base build runs with THP never (the fallback work runs
# recovery); the second build, beside the CPA self-test (CONFIG_CPA_DEBUG,
# which changes random direct-map pages meanwhile), with THP always
# (khugepaged runs it).  The system step boots the base build with THP
# always and hands recovery over to the fallback work mid-replay, so each
# runner is exercised by both.  KUNIT_RUNS="base:transparent_hugepage=always"
# (and so on) runs other combinations.
KUNIT_RUNS=${KUNIT_RUNS:-"base:transparent_hugepage=never cpa_debug:transparent_hugepage=always"}

# What the base build needs beyond lib/.kunitconfig so that the same
# bzImage also serves the system step (scripts/system-check.sh): the
# software-SNP host (rmp_sync.sw_host=), debugfs (the replay file),
# the page-table dump, an initramfs and trace events.  Each must come
# out =y in the .config (checked after the build).
SYSTEM_KCONFIG=${SYSTEM_KCONFIG:-RMP_SYNC_SW_HOST DEBUG_FS PTDUMP_DEBUGFS BLK_DEV_INITRD FTRACE ENABLE_DEFAULT_TRACERS}
SYSTEM_KCONFIG_CHECK="$SYSTEM_KCONFIG TRACING EVENT_TRACING PTDUMP TRANSPARENT_HUGEPAGE X86_RMP_SYNC"

# Every option of $SYSTEM_KCONFIG_CHECK is =y in build directory $1.
system_kconfig_ok() {
	local o rc=0
	for o in $SYSTEM_KCONFIG_CHECK; do
		grep -q "^CONFIG_$o=y" "$1/.config" ||
			{ echo "CONFIG_$o is not y in $1/.config"; rc=1; }
	done
	return $rc
}

# What a kernel log must not contain after a KUnit run.
KERNEL_SPLATS='BUG: |WARNING: |UBSAN: |possible circular locking|inconsistent lock state|possible recursive locking|suspicious RCU usage|Kernel panic'

step_kunit() {
	local run cfg args build log rc=0 seen="" qdir o
	qdir=$(qemu_tcg_dir) || { echo "no qemu-system-x86_64"; return 1; }
	for run in $KUNIT_RUNS; do
		cfg=${run%%:*}
		args=${run#*:}
		build=$KBUILD_DIR/kunit-$KV-$cfg
		log=$KBUILD_DIR/kunit-$KV-$cfg-${args##*=}.log
		say "kunit ($cfg, $args)"
		# Both builds serve the system step too (the cpa_debug one for
		# its CPA self-test boot).
		local extra=()
		[ "$cfg" = cpa_debug ] && extra=(--kconfig_add CONFIG_CPA_DEBUG=y)
		for o in $SYSTEM_KCONFIG; do
			extra+=(--kconfig_add "CONFIG_$o=y")
		done
		(cd "$SRC" && export PATH="$qdir:$PATH" &&
		 if [ "${seen#*" $cfg "}" = "$seen" ]; then
			python3 tools/testing/kunit/kunit.py run --arch=x86_64 \
				--kunitconfig=lib/.kunitconfig "${extra[@]}" \
				--build_dir="$build" --timeout="$KUNIT_TIMEOUT" \
				--jobs="$JOBS" --make_options 'CC=ccache gcc' \
				--qemu_args='-cpu max -smp 4 -m 16G' \
				--kernel_args="$args"
		 else
			python3 tools/testing/kunit/kunit.py exec --arch=x86_64 \
				--build_dir="$build" --timeout="$KUNIT_TIMEOUT" \
				--qemu_args='-cpu max -smp 4 -m 16G' \
				--kernel_args="$args"
		 fi) > "$log" 2>&1 || rc=1
		seen="$seen $cfg "
		if [ $rc -eq 0 ]; then
			system_kconfig_ok "$build" || rc=1
		fi
		# A KASAN, lockdep or WARN report from a kthread a case started
		# does not fail that case in KUnit: read the kernel's own log.
		if grep -nE "$KERNEL_SPLATS" "$build/test.log" > "$log.splats"; then
			echo "kunit ($cfg): kernel reports in $build/test.log:"
			head -20 "$log.splats"
			rc=1
		fi
		grep -E "\[(FAILED|SKIPPED)\]|khugepaged passes|only the window" "$log" | head -20
		grep -E "Testing complete|Ran [0-9]+ tests" "$log" | tail -2
		[ $rc -eq 0 ] || { grep -B2 -A20 "EXPECTATION FAILED\|ASSERTION FAILED" "$log" | head -60; break; }
	done
	return $rc
}

# The whole system in QEMU on the kunit step's base build: sysfs ABI and
# knobs, trace replay against the simulator, ptdump recount, tracepoint
# round trip, THP hand-over, dmesg (scripts/system-check.sh).
step_system() {
	say "system (scripts/system-check.sh)"
	KBUILD_DIR=$KBUILD_DIR "$REPO/scripts/system-check.sh" --kver "$KV"
}

step_checkpatch() {
	say "checkpatch --strict"
	local rc=0 f
	for f in "$REPO"/patches/"$KV"/0*.patch; do
		case "$f" in */0000-cover-letter.patch) continue ;; esac
		(cd "$SRC" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict -q "$f") || rc=1
	done
	for f in $(cd "$REPO" && git ls-files arch include lib | grep -E '\.[ch]$'); do
		(cd "$SRC" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict -q --no-tree \
			-f "$REPO/$f") || rc=1
	done
	[ $rc -ne 0 ] || echo "checkpatch: clean"
	return $rc
}

for KV in $KVERS; do
	[ -d "$REPO/patches/$KV" ] || { echo "kernel-check.sh: no series for $KV"; exit 2; }
	SRC=$KBUILD_DIR/linux-source-$KV
	before=${#failed[@]}
	for s in $STEPS; do
		"step_$s" || failed+=("$KV:$s")
		# Nothing later can work without the tree or a series that
		# applies (this version's: another version's failure does not
		# stop this one).
		case "$s" in
		deps|tree|bisect)
			[ ${#failed[@]} -eq "$before" ] || break ;;
		esac
	done
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "kernel-check: FAILED: ${failed[*]}"
	exit 1
fi
echo "kernel-check: all steps passed ($KVERS)"
