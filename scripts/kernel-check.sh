#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build rmp_sync into Linux 6.12 and run its KUnit suite in QEMU (TCG), from
# a fresh Debian machine, as root:
#
#   scripts/kernel-check.sh            all steps
#   scripts/kernel-check.sh kunit      only the KUnit run (tree already set up)
#
# Steps:
#   deps       apt-get the toolchain, QEMU, ccache and linux-source-6.12
#   tree       unpack /usr/src/linux-source-6.12.tar.xz (or copy $KSRC) into
#              $KBUILD_DIR, commit it as "base", git am patches/, copy the
#              new files in; later runs reset to "base" and re-apply
#   kunit      kunit.py run with lib/.kunitconfig, '-cpu max' (pdpe1gb)
#   w1         W=1 build of the touched objects with KVM_AMD_SEV=y,
#              TRANSPARENT_HUGEPAGE=y, X86_RMP_SYNC=y
#   checkpatch checkpatch.pl --strict on every patch and new kernel file
#
# Environment: KSRC (an existing Linux 6.12 source tree to use instead of
# the linux-source-6.12 package; copied, not modified), KBUILD_DIR (default:
# .kbuild in the repository, git-ignored), JOBS (default 2), KUNIT_TIMEOUT
# (seconds, default 3600).
# Exits non-zero if any step fails; the KUnit summary line is printed.

set -u -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
KBUILD_DIR=${KBUILD_DIR:-$REPO/.kbuild}
SRC=$KBUILD_DIR/linux-source-6.12
TARBALL=/usr/src/linux-source-6.12.tar.xz
JOBS=${JOBS:-2}
KUNIT_TIMEOUT=${KUNIT_TIMEOUT:-3600}
# ccache outside the clone, so that later runs on the same machine are warm.
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/rmp_sync-ccache}

# New files: they live in the repository at their kernel paths.
NEW_FILES="
arch/x86/mm/rmp_sync.c
arch/x86/mm/rmp_sync_swrmp.c
arch/x86/mm/rmp_sync_dmap.c
arch/x86/mm/rmp_sync_kernel.c
include/linux/rmp_sync.h
include/trace/events/rmp_sync.h
lib/test_rmp_sync.c
lib/rmp_sync_test_host.c
lib/rmp_sync_test_host.h
lib/.kunitconfig
Documentation/admin-guide/mm/rmp_sync.rst
Documentation/arch/x86/rmp_sync.rst
Documentation/ABI/testing/sysfs-kernel-mm-rmp_sync
"
# checkpatch looks at the C sources and headers among them.
CHECK_FILES=$(printf '%s\n' $NEW_FILES | grep -E '\.[ch]$')

failed=()
say() { printf '\n=== %s\n' "$*"; }

step_deps() {
	say "deps"
	local pkgs="build-essential bc bison flex libelf-dev libssl-dev python3
		    qemu-system-x86 ccache git rsync cpio kmod xz-utils"
	[ -n "${KSRC:-}" ] || pkgs="$pkgs linux-source-6.12"
	# shellcheck disable=SC2086
	"$REPO/scripts/apt-ensure.sh" $pkgs
}

step_tree() {
	say "tree: $SRC"
	mkdir -p "$KBUILD_DIR" || return 1
	if [ ! -d "$SRC/.git" ]; then
		rm -rf "$SRC"
		if [ -n "${KSRC:-}" ]; then
			# an existing 6.12 tree: copied, never modified
			grep -q "^PATCHLEVEL = 12$" "$KSRC/Makefile" ||
				{ echo "KSRC=$KSRC: not a Linux 6.12 tree"; return 1; }
			rsync -a --exclude .git "$KSRC"/ "$SRC"/ || return 1
		else
			tar -C "$KBUILD_DIR" -xf "$TARBALL" || return 1
		fi
		# Debian's top-level .gitignore ignores everything: add with -f.
		(cd "$SRC" && git init -q &&
		 git add -f -A . >/dev/null &&
		 git -c user.name="rmp_sync developers" \
		     -c user.email=rmp-sync@example.org commit -qm base &&
		 git tag base) || return 1
	fi
	(cd "$SRC" &&
	 git -c user.name="rmp_sync developers" \
	     -c user.email=rmp-sync@example.org am -q --abort 2>/dev/null
	 git reset -q --hard base &&
	 git -c user.name="rmp_sync developers" \
	     -c user.email=rmp-sync@example.org am -q "$REPO"/patches/*.patch) ||
		return 1
	for f in $NEW_FILES; do
		install -D -m 0644 "$REPO/$f" "$SRC/$f" || return 1
	done
}

step_kunit() {
	say "kunit"
	local log=$KBUILD_DIR/kunit.log
	(cd "$SRC" &&
	 python3 tools/testing/kunit/kunit.py run --arch=x86_64 \
		--kunitconfig=lib/.kunitconfig --timeout="$KUNIT_TIMEOUT" \
		--jobs="$JOBS" --make_options 'CC=ccache gcc' \
		--qemu_args='-cpu max -smp 4 -m 16G') 2>&1 | tee "$log"
	local rc=$?
	grep -E "Testing complete|Ran [0-9]+ tests" "$log" | tail -2
	return $rc
}

step_w1() {
	say "W=1 build (KVM_AMD_SEV=y, TRANSPARENT_HUGEPAGE=y, X86_RMP_SYNC=y)"
	local out=$KBUILD_DIR/w1
	local objs="arch/x86/mm/rmp_sync.o arch/x86/mm/rmp_sync_dmap.o
		    arch/x86/mm/rmp_sync_swrmp.o arch/x86/mm/rmp_sync_kernel.o
		    arch/x86/mm/pat/set_memory.o mm/vmstat.o mm/khugepaged.o lib/test_rmp_sync.o lib/rmp_sync_test_host.o arch/x86/virt/svm/sev.o"
	local log=$out/w1.log
	mkdir -p "$out"
	(cd "$SRC" &&
	 make -s O="$out" ARCH=x86_64 CC="ccache gcc" x86_64_defconfig &&
	 scripts/config --file "$out/.config" \
		-e VIRTUALIZATION -e KVM -e KVM_AMD -e CRYPTO_DEV_CCP \
		-e CRYPTO_DEV_CCP_DD -e CRYPTO_DEV_SP_PSP -e KVM_AMD_SEV \
		-e AMD_MEM_ENCRYPT -e TRANSPARENT_HUGEPAGE -e X86_RMP_SYNC \
		-e KUNIT -e CMA -e COMPACTION -e RMP_SYNC_KUNIT_TEST &&
	 make -s O="$out" ARCH=x86_64 CC="ccache gcc" olddefconfig &&
	 for c in KVM_AMD_SEV TRANSPARENT_HUGEPAGE X86_RMP_SYNC RMP_SYNC_KUNIT_TEST; do
		grep -q "^CONFIG_$c=y" "$out/.config" ||
			{ echo "CONFIG_$c is not y"; exit 1; }
	 done &&
	 make O="$out" ARCH=x86_64 CC="ccache gcc" -j"$JOBS" W=1 $objs) \
		2>&1 | tee "$log"
	local rc=$?
	if grep -E "warning:|error:" "$log"; then
		echo "W=1: warnings above"
		return 1
	fi
	return $rc
}

step_checkpatch() {
	say "checkpatch --strict"
	local rc=0 f
	for f in "$REPO"/patches/*.patch; do
		(cd "$SRC" && scripts/checkpatch.pl --strict -q "$f") || rc=1
	done
	for f in $CHECK_FILES; do
		(cd "$SRC" && scripts/checkpatch.pl --strict -q --no-tree \
			-f "$f") || rc=1
	done
	return $rc
}

run() {
	"step_$1" || failed+=("$1")
}

steps=${*:-deps tree kunit w1 checkpatch}
for s in $steps; do
	run "$s"
	# Nothing later can work without the tree.
	if [ "$s" = tree ] && [ ${#failed[@]} -gt 0 ]; then
		break
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "kernel-check: FAILED: ${failed[*]}"
	exit 1
fi
echo "kernel-check: all steps passed"
