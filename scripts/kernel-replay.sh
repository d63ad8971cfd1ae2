#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Replay simulator traces into the running kernel: boot the KUnit step's
# base build (CONFIG_RMP_SYNC_SW_HOST) once in QEMU with
# rmp_sync.sw_host=WINDOW, write each trace into
# /sys/kernel/debug/rmp_sync/replay and print the JSON the kernel
# computes from its own state, one line per trace.
#
#   scripts/kernel-replay.sh [--kver 6.12|7.3] [--compare] [--policy P]
#                            [--set KNOB=V]... [--thp always|never]
#                            [--window SIZE] TRACE...
#
#   --compare   also run rmp-sync-sim --json on each trace with the same
#               policy and knobs and print every key that differs
#               ("TRACE: KEY: kernel V, simulator V"); exit 1 on any
#   --policy P  none, upstream, eager or rmp_sync (default)
#   --set K=V   a knob, as rmp-sync-sim --set (repeatable)
#   --thp T     transparent_hugepage= at boot (default always: khugepaged
#               runs recovery; never: the fallback work)
#   --window S  rmp_sync.sw_host= (default 4G; 1G multiples up to 8G); a
#               trace whose mem is larger is refused
#
# Needs the build scripts/kernel-check.sh --kver KVER kunit makes:
# $KBUILD_DIR/kunit-KVER-base (KBUILD_DIR default .kbuild).  Exit: 0, 1
# (a key differs, or the kernel refused or failed a trace), 2 (usage, a
# bad trace, no kernel build).  SYSTEM_KERNEL=BZIMAGE boots a kept copy of
# the base build's bzImage instead.

set -u -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
KBUILD_DIR=${KBUILD_DIR:-$REPO/.kbuild}
. "$REPO/tools/testing/rmp_sync/system/lib.sh"

usage() {
	sed -n '8,11p' "$0" | sed 's/^# *//' >&2
	exit 2
}
bad() { echo "kernel-replay.sh: $*" >&2; exit 2; }

KV=${KVER:-6.12}
compare=0 policy=rmp_sync thp=always window=4G sets=() traces=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kver) [ $# -ge 2 ] || usage; KV=$2; shift 2 ;;
	--kver=*) KV=${1#*=}; shift ;;
	--compare) compare=1; shift ;;
	--policy) [ $# -ge 2 ] || usage; policy=$2; shift 2 ;;
	--policy=*) policy=${1#*=}; shift ;;
	--set) [ $# -ge 2 ] || usage; sets+=("$2"); shift 2 ;;
	--set=*) sets+=("${1#*=}"); shift ;;
	--thp) [ $# -ge 2 ] || usage; thp=$2; shift 2 ;;
	--thp=*) thp=${1#*=}; shift ;;
	--window) [ $# -ge 2 ] || usage; window=$2; shift 2 ;;
	--window=*) window=${1#*=}; shift ;;
	-h|--help) sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; traces+=("$@"); break ;;
	-*) bad "unknown option '$1'" ;;
	*) traces+=("$1"); shift ;;
	esac
done
[ ${#traces[@]} -gt 0 ] || bad "no TRACE given (try --help)"
[ -d "$REPO/patches/$KV" ] || bad "--kver $KV: no series in patches/ (have: $(ls "$REPO/patches" | tr '\n' ' '))"
case "$policy" in
none|upstream|eager|rmp_sync) ;;
*) bad "--policy $policy: none, upstream, eager or rmp_sync" ;;
esac
case "$thp" in
always|never|madvise) ;;
*) bad "--thp $thp: always, never or madvise" ;;
esac
wbytes=$(sys_size_bytes "$window") || bad "--window $window: a size such as 4G"
if [ "$wbytes" -lt $((1 << 30)) ] || [ $((wbytes % (1 << 30))) -ne 0 ] ||
   [ "$wbytes" -gt $((8 << 30)) ]; then
	bad "--window $window: a multiple of 1G, at most 8G"
fi
for kv in ${sets[@]+"${sets[@]}"}; do
	[[ "$kv" =~ ^[a-z0-9_]+=[0-9]+$ ]] || bad "--set $kv: expected KNOB=VALUE"
done

BUILD=$KBUILD_DIR/kunit-$KV-base
BZ=$BUILD/arch/x86/boot/bzImage
if [ -n "${SYSTEM_KERNEL:-}" ]; then
	BZ=$SYSTEM_KERNEL	# a kept copy of that build's bzImage
	[ -f "$BZ" ] || bad "SYSTEM_KERNEL=$BZ: no such file"
else
	[ -f "$BZ" ] || bad "no kernel $BZ: run KBUILD_DIR=$KBUILD_DIR scripts/kernel-check.sh --kver $KV kunit first"
	grep -q '^CONFIG_RMP_SYNC_SW_HOST=y' "$BUILD/.config" ||
		bad "$BUILD was built without CONFIG_RMP_SYNC_SW_HOST: run scripts/kernel-check.sh --kver $KV kunit"
fi
command -v qemu-system-x86_64 >/dev/null || bad "no qemu-system-x86_64 (scripts/kernel-check.sh deps)"

sys_build_sim || bad "cannot build $SIM"

# Every trace is valid (the simulator's parser, FILE:LINE on error) and
# fits the window, before anything boots.
for t in "${traces[@]}"; do
	[ -r "$t" ] || bad "$t: cannot read"
	ml=$(sys_mem_line "$t")
	if [ -n "$ml" ]; then
		mb=$(sys_size_bytes "${ml#* }") || mb=0
		if [ "$mb" -gt "$wbytes" ]; then
			echo "$t:${ml%% *}: mem ${ml#* } exceeds the sw_host window ($window; --window, at most 8G)" >&2
			exit 2
		fi
	fi
	# (A refused operation is fine: the simulator reports it on stderr
	# and the kernel refuses it too; only a bad trace stops here.)
	if ! err=$(sys_sim_json "$t" "$policy" ${sets[@]+"${sets[@]}"} 2>&1 >/dev/null); then
		echo "$err" | grep -v ' rejected (' >&2
		echo "kernel-replay.sh: $t: not a valid trace" >&2
		exit 2
	fi
done

WORK=$(mktemp -d /tmp/kernel-replay.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
mkdir -p "$ROOT/t"
sys_build_tools "$WORK/tools" || bad "cannot build the initramfs programs"
cp "$WORK/tools/init" "$WORK/tools/tracefs2trace" "$ROOT/"
: > "$ROOT/plan"
for i in "${!traces[@]}"; do
	sys_replay_input "${traces[$i]}" "$policy" "${traces[$i]}" \
		${sets[@]+"${sets[@]}"} > "$ROOT/t/$i"
	printf 'replay /t/%s\njson %s\n' "$i" "$i" >> "$ROOT/plan"
done
echo dmesg >> "$ROOT/plan"

# A copy: another kernel-check may rebuild the tree meanwhile.
cp "$BZ" "$WORK/bzImage" || bad "cannot copy $BZ"
sys_boot "$WORK/bzImage" "$ROOT" "$WORK/boot" "rmp_sync.sw_host=$window transparent_hugepage=$thp" ||
	{ cp "$WORK/boot/console.log" /tmp/kernel-replay-console.log 2>/dev/null
	  echo "kernel-replay.sh: boot failed (console: /tmp/kernel-replay-console.log)" >&2; exit 1; }
DATA=$WORK/boot/data.log
rc=0
if grep '^FAIL ' "$DATA"; then
	rc=1
	# The kernel's own word on the window (it may have found none).
	grep -h 'rmp_sync sw_host:' "$WORK/boot/console.log" >&2
fi
for i in "${!traces[@]}"; do
	t=${traces[$i]}
	json=$(sys_json "$DATA" "$i")
	if [ -z "$json" ]; then
		echo "$t: no JSON from the kernel" >&2
		rc=1
		continue
	fi
	echo "$json"
	[ $compare -eq 1 ] || continue
	echo "$json" > "$WORK/k.json"
	sys_sim_json "$t" "$policy" ${sets[@]+"${sets[@]}"} > "$WORK/s.json" 2>/dev/null || rc=1
	if python3 "$SYS_DIR/jsoncmp.py" --label "$t" "$WORK/k.json" "$WORK/s.json"; then
		echo "$t: kernel and simulator agree on all $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/s.json") keys"
	else
		rc=1
	fi
done
printf 'kernel-replay.sh: %d trace(s), boot %.1f s\n' "${#traces[@]}" "$SYS_BOOT_SECONDS" >&2
exit $rc
