# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared by scripts/kernel-replay.sh and scripts/system-check.sh: the
# initramfs (init.c's /init, tracefs2trace, a plan, replay inputs), one
# QEMU boot of the software-SNP debug host, and the simulator.
#
# Callers set REPO and KBUILD_DIR and source this file.

SYS_DIR=$REPO/tools/testing/rmp_sync/system
SIM=$REPO/tools/testing/rmp_sync/build/rmp-sync-sim
# A boot that has not powered off after this long failed (TCG, KASAN).
SYS_BOOT_TIMEOUT=${SYS_BOOT_TIMEOUT:-1800}

sys_die() { echo "$*" >&2; exit 2; }

# The simulator (the same ASan/UBSan build make check uses).
sys_build_sim() {
	[ -x "$SIM" ] && [ -z "$(find "$REPO/arch/x86/mm" "$REPO/include" \
		"$REPO/tools/testing/rmp_sync/sim" -newer "$SIM" -name '*.[ch]' | head -1)" ] &&
		return 0
	make -s -C "$REPO/tools/testing/rmp_sync" build/rmp-sync-sim >&2
}

# Static /init and /tracefs2trace into $1.
sys_build_tools() {
	local out=$1 f
	mkdir -p "$out" || return 1
	for f in init tracefs2trace; do
		if [ ! -x "$out/$f" ] || [ "$SYS_DIR/$f.c" -nt "$out/$f" ]; then
			gcc -static -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
				-o "$out/$f" "$SYS_DIR/$f.c" >&2 || return 1
		fi
	done
}

# Bytes of a size with the trace format's suffixes (K M G T, iB/B).
sys_size_bytes() {
	local s=${1,,} n mul=1
	s=${s%b}; s=${s%i}
	case "$s" in
	*k) mul=$((1 << 10)) ;; *m) mul=$((1 << 20)) ;;
	*g) mul=$((1 << 30)) ;; *t) mul=$((1 << 40)) ;;
	esac
	n=${s%[kmgt]}
	[[ "$n" =~ ^(0x[0-9a-f]+|[0-9]+)$ ]] || return 1
	echo $((n * mul))
}

# "LINE SIZE" of a trace's mem line (the first non-comment line), or
# nothing when it has none (the simulator's default, 4G, applies).
sys_mem_line() {
	awk '{ sub(/#.*/, "") } NF == 0 { next }
	     $1 == "mem" { print NR, $2 } { exit }' "$1"
}

# The replay input for a trace: header lines (mem, policy, knobs, name)
# then the trace's operations.  $1 trace, $2 policy, $3 name, rest KNOB=V.
sys_replay_input() {
	local trace=$1 policy=$2 name=$3 kv ml mem
	shift 3
	ml=$(sys_mem_line "$trace")
	mem=${ml#* }
	[ -n "$ml" ] || mem=4G
	echo "mem $mem"
	echo "policy $policy"
	for kv in "$@"; do echo "set $kv"; done
	echo "name $name"
	# The operations, without the mem line; comments stay (the kernel
	# skips them as the simulator does).
	awk -v skip="${ml%% *}" 'NR != skip' "$trace"
}

# Knobs and their ranges, as the simulator (compiled from rmp_sync.c's
# rmp_sync_knobs[]) reports them: "NAME MIN MAX" per line.
sys_knobs() {
	local f name
	f=$(mktemp) || return 1
	printf 'mem 4M\n' > "$f"
	"$SIM" --trace "$f" --sysfs-dump 2>/dev/null |
		sed -n 's|^/sys/kernel/mm/rmp_sync/\([a-z0-9_]*\):.*|\1|p' |
	while read -r name; do
		"$SIM" --trace "$f" --set "$name=x" 2>&1 |
			sed -n "s/.*: $name takes \([0-9]*\)\.\.\([0-9]*\)$/$name \1 \2/p"
	done
	rm -f "$f"
}

# Every file the ABI document names under /sys/kernel/mm/rmp_sync/.
sys_abi_files() {
	sed -n 's|^What:[[:space:]]*/sys/kernel/mm/rmp_sync/\([a-z0-9_]\{1,\}\)$|\1|p' \
		"$REPO/Documentation/ABI/testing/sysfs-kernel-mm-rmp_sync"
}

# newc cpio of directory $1 into $2.
sys_cpio() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$2"
}

# Boot: $1 bzImage, $2 initramfs directory (with /plan), $3 output
# directory, rest kernel arguments.  Writes $3/console.log (ttyS0, the
# kernel) and $3/data.log (ttyS1, the plan's results, \r stripped).
# Returns non-zero if QEMU failed or the plan did not finish.
sys_boot() {
	local bz=$1 root=$2 out=$3 rc t0
	shift 3
	mkdir -p "$out" || return 1
	sys_cpio "$root" "$out/initramfs.cpio" || return 1
	rm -f "$out/console.log" "$out/data.raw"
	t0=$(date +%s.%N)
	# nokaslr: the sw_host window is SIZE-aligned (alloc_contig_pages());
	# a kernel image randomized into the one free aligned 4 GiB of this
	# guest made the window fail now and then ("no free, aligned ...").
	timeout --foreground "$SYS_BOOT_TIMEOUT" qemu-system-x86_64 -nodefaults -no-reboot \
		-accel tcg -cpu max -smp 2 -m 16G -bios qboot.rom \
		-display none -monitor none \
		-serial "file:$out/console.log" -serial "file:$out/data.raw" \
		-kernel "$bz" -initrd "$out/initramfs.cpio" \
		-append "console=ttyS0 kunit.enable=0 nokaslr panic=-1 log_buf_len=16M $*" \
		</dev/null
	rc=$?
	SYS_BOOT_SECONDS=$(echo "$(date +%s.%N) - $t0" | bc)
	tr -d '\r' < "$out/data.raw" > "$out/data.log"
	if [ $rc -ne 0 ]; then
		echo "qemu exited with $rc (124: timed out after ${SYS_BOOT_TIMEOUT}s); console: $out/console.log" >&2
		return 1
	fi
	if ! grep -q '^DONE ' "$out/data.log"; then
		echo "the plan did not finish; console: $out/console.log" >&2
		tail -30 "$out/console.log" >&2
		return 1
	fi
}

# The JSON a plan printed for TAG.
sys_json() {
	sed -n "s/^JSON $2 //p" "$1" | tail -1
}

# The simulator's JSON for trace $1, policy $2, name... name is the path
# the simulator prints as "trace"; rest: KNOB=V.
sys_sim_json() {
	local trace=$1 policy=$2 kv args=()
	shift 2
	for kv in "$@"; do args+=(--set "$kv"); done
	"$SIM" --json --policy "$policy" "${args[@]}" --trace "$trace"
}
