#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole system in QEMU: boot the KUnit step's base build (the same
# bzImage, CONFIG_RMP_SYNC_SW_HOST) once with rmp_sync.sw_host=4G and a
# small initramfs (tools/testing/rmp_sync/system/init.c) and check,
# failing on any miss:
#
#   abi        every file of Documentation/ABI/testing/sysfs-kernel-mm-rmp_sync
#              exists under /sys/kernel/mm/rmp_sync and reads as a number
#   knobs      each knob takes both ends of its range (rmp_sync_knobs[],
#              as the simulator reports it) and refuses bad text with
#              EINVAL, value unchanged
#   compare    every trace in tools/testing/rmp_sync/system/traces under
#              its policies (all four unless a "#@ policies" line says
#              otherwise) replays to the simulator's JSON: 0 differing keys
#   badline    a write holding a bad line fails with EINVAL and changes
#              nothing (the JSON before and after are equal)
#   ptdump     after each rmp_sync replay the first mem bytes of the window's direct
#              map, recounted from /sys/kernel/debug/page_tables/kernel,
#              equal the JSON's directmap_4k/2m/1g_kb
#   roundtrip  rmp_sync tracepoints recorded during the rmp_sync replays of
#              four traces (every operation kind, refusals, back-off, the
#              vm-churn excerpt), converted by tracefs2trace, replay to the
#              same JSON
#   handover   traces/handover.trace up to its marker with THP "always",
#              then "never" while regions are pending, then the rest: the
#              JSON equals the simulator's and the runner file shows
#              khugepaged passes before and fallback-work passes after
#   dmesg      no WARN, BUG, lockdep or KASAN report
#   cpa        a second boot, of the kunit step's cpa_debug build: the
#              kernel's CPA self-test prints "ok." while the vm-churn
#              excerpt replays again and again; its JSON's own checks
#              pass (check_ok: the self-test's splits of the window are
#              not the host's miscount); dmesg clean but for
#              CPA_DEBUG's own rodata test (mark_rodata_ro() ->
#              set_memory_rw() of kernel text trips the W^X warning on
#              every CONFIG_CPA_DEBUG boot)
#
#   scripts/system-check.sh [--kver 6.12|7.3]
#
# KBUILD_DIR as for scripts/kernel-check.sh (default .kbuild); run its
# kunit step first (kernel-check.sh's "system" step runs this after it).
# SYSTEM_KEEP=DIR keeps the initramfs, console and result logs there;
# SYSTEM_KERNEL=BZIMAGE (SYSTEM_CPA_KERNEL=BZIMAGE) boots that copy of
# the base (cpa_debug) build instead.
# Exit: 0 all passed, 1 a check failed, 2 bad usage or no kernel build.

set -u -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
KBUILD_DIR=${KBUILD_DIR:-$REPO/.kbuild}
. "$REPO/tools/testing/rmp_sync/system/lib.sh"

bad() { echo "system-check.sh: $*" >&2; exit 2; }
KV=${KVER:-6.12}
while [ $# -gt 0 ]; do
	case "$1" in
	--kver) [ $# -ge 2 ] || bad "--kver needs a version"; KV=$2; shift 2 ;;
	--kver=*) KV=${1#*=}; shift ;;
	-h|--help) sed -n '3,38p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) bad "unexpected '$1' (usage: system-check.sh [--kver 6.12|7.3])" ;;
	esac
done
[ -d "$REPO/patches/$KV" ] || bad "--kver $KV: no series in patches/"
BUILD=$KBUILD_DIR/kunit-$KV-base
BZ=$BUILD/arch/x86/boot/bzImage
if [ -n "${SYSTEM_KERNEL:-}" ]; then
	# A bzImage of that build kept elsewhere (the shared build tree may
	# be rebuilt by another kernel-check meanwhile); its .config unchecked.
	BZ=$SYSTEM_KERNEL
	[ -f "$BZ" ] || bad "SYSTEM_KERNEL=$BZ: no such file"
else
[ -f "$BZ" ] || bad "no kernel $BZ: run scripts/kernel-check.sh --kver $KV kunit first"
for o in RMP_SYNC_SW_HOST DEBUG_FS PTDUMP_DEBUGFS BLK_DEV_INITRD EVENT_TRACING TRANSPARENT_HUGEPAGE; do
	grep -q "^CONFIG_$o=y" "$BUILD/.config" ||
		bad "CONFIG_$o is not y in $BUILD/.config: run scripts/kernel-check.sh --kver $KV kunit"
done
fi
command -v qemu-system-x86_64 >/dev/null || bad "no qemu-system-x86_64"

T0=$(date +%s)
sys_build_sim || bad "cannot build $SIM"
WORK=$(mktemp -d /tmp/system-check.XXXXXX)
if [ -n "${SYSTEM_KEEP:-}" ]; then
	mkdir -p "$SYSTEM_KEEP" && WORK=$(cd "$SYSTEM_KEEP" && pwd)
else
	trap 'rm -rf "$WORK"' EXIT
fi
ROOT=$WORK/root
rm -rf "$ROOT"
mkdir -p "$ROOT/t"
sys_build_tools "$WORK/tools" || bad "cannot build the initramfs programs"
cp "$WORK/tools/init" "$WORK/tools/tracefs2trace" "$ROOT/"
TRACES=$SYS_DIR/traces
PLAN=$ROOT/plan
WINDOW=4G

# --- The plan -------------------------------------------------------
{
	echo "# abi"
	sys_abi_files | sed 's/^/abi /'
	echo "# knobs"
	sys_knobs | sed 's/^/knob /'
} > "$PLAN"
nabi=$(grep -c '^abi ' "$PLAN")
nknobs=$(grep -c '^knob ' "$PLAN")
[ "$nabi" -gt 0 ] && [ "$nknobs" -gt 0 ] || bad "no ABI files or no knobs found"

# Each (trace, policy) replay: input /t/N, JSON tag rN; the window's
# direct map recounted after each rmp_sync replay (the recount reads the
# whole kernel page-table dump, about 4 s under TCG).  The rmp_sync
# replays of $RT are recorded through tracefs too: record -> tracefs2trace
# -> replay with the same header lines -> JSON rtK-back.
# runs.txt: "N TRACE POLICY SETS..." for the host side.
RT="ops.trace reject.trace backoff.trace vm-churn-excerpt.trace"
: > "$WORK/runs.txt"
: > "$WORK/rt.txt"
n=0
trace_sets() { sed -n 's/^#@ set //p' "$1" | tr '\n' ' '; }
trace_policies() {
	local p
	p=$(sed -n 's/^#@ policies //p' "$1")
	echo "${p:-none upstream eager rmp_sync}"
}
mem_bytes() {
	local ml
	ml=$(sys_mem_line "$1")
	sys_size_bytes "${ml#* }" 2>/dev/null || sys_size_bytes 4G
}
for t in "$TRACES"/*.trace; do
	name=traces/$(basename "$t")
	# shellcheck disable=SC2046
	for p in $(trace_policies "$t"); do
		sys_replay_input "$t" "$p" "$name" $(trace_sets "$t") > "$ROOT/t/$n"
		echo "$n $name $p $(trace_sets "$t")" >> "$WORK/runs.txt"
		rt=0
		case " $RT " in *" $(basename "$t") "*) [ "$p" = rmp_sync ] && rt=1 ;; esac
		[ $rt -eq 0 ] || echo trace_on >> "$PLAN"
		printf 'replay /t/%s\njson r%s\n' "$n" "$n" >> "$PLAN"
		[ "$p" != rmp_sync ] || echo "ptdump r$n $(mem_bytes "$t")" >> "$PLAN"
		if [ $rt -eq 1 ]; then
			grep -E '^(mem|policy|set|name) ' "$ROOT/t/$n" > "$ROOT/t/$n.hdr"
			cat >> "$PLAN" <<EOF
trace_off /tmp/rt$n.ops
concat /tmp/rt$n /t/$n.hdr /tmp/rt$n.ops
replay /tmp/rt$n
json rt$n-back
EOF
			echo "$n $name" >> "$WORK/rt.txt"
		fi
		n=$((n + 1))
	done
done

# A bad line: the whole write is refused and nothing changes (on a small
# instance: reading the JSON walks the window, about 4 s for 4G in TCG).
printf 'mem 64M\nprivate 0x200 4k\n' > "$ROOT/t/bad0"
printf 'shared 0x200 4k\nprivate 0x200 3m\n' > "$ROOT/t/bad"
cat >> "$PLAN" <<'EOF'
replay /t/bad0
json badline-before
replay_bad /t/bad
json badline-after
EOF

# THP hand-over, last: it leaves THP "never".
HO=$TRACES/handover.trace
mark=$(grep -n '^# --- hand-over ---' "$HO" | cut -d: -f1)
[ -n "$mark" ] || bad "$HO: no '# --- hand-over ---' line"
# shellcheck disable=SC2046
sys_replay_input "$HO" rmp_sync traces/handover.trace $(trace_sets "$HO") > "$WORK/ho.all"
hmark=$(grep -n '^# --- hand-over ---' "$WORK/ho.all" | cut -d: -f1)
head -n "$hmark" "$WORK/ho.all" > "$ROOT/t/ho.a"
tail -n +"$((hmark + 1))" "$WORK/ho.all" > "$ROOT/t/ho.b"
cat >> "$PLAN" <<'EOF'
write /sys/kernel/mm/transparent_hugepage/enabled always
cat runner0 /sys/kernel/debug/rmp_sync/runner
replay /t/ho.a
cat pending /sys/kernel/mm/rmp_sync/regions_pending
cat runner1 /sys/kernel/debug/rmp_sync/runner
write /sys/kernel/mm/transparent_hugepage/enabled never
replay /t/ho.b
json handover
cat runner2 /sys/kernel/debug/rmp_sync/runner
cat window /sys/kernel/debug/rmp_sync/window
dmesg
EOF

# --- Boot -----------------------------------------------------------
echo "system-check: $KV: $n replays of $(ls "$TRACES"/*.trace | wc -l) traces, $nabi ABI files, $nknobs knobs; booting (TCG)"
if ! sys_boot "$BZ" "$ROOT" "$WORK/boot" \
	"rmp_sync.sw_host=$WINDOW transparent_hugepage=always"; then
	cp "$WORK/boot/console.log" "$KBUILD_DIR/system-$KV-console.log" 2>/dev/null
	echo "system-check: FAILED: the boot (console: $KBUILD_DIR/system-$KV-console.log)"
	exit 1
fi
BOOT1_SECONDS=$SYS_BOOT_SECONDS
cp "$WORK/boot/console.log" "$KBUILD_DIR/system-$KV-console.log" 2>/dev/null
cp "$WORK/boot/data.log" "$KBUILD_DIR/system-$KV-results.log" 2>/dev/null
D=$WORK/boot/data.log
# The kernel's own word on the window (it may have found none).
grep -h 'rmp_sync sw_host:' "$WORK/boot/console.log" | sed 's/^/kernel: /'
fails=0
failed() { echo "FAIL $*"; fails=$((fails + 1)); }
jget() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# Everything the guest found itself (abi, knobs, replay errors, dmesg).
while read -r line; do failed "${line#FAIL }"; done < <(grep '^FAIL ' "$D")
grep -E '^OK (dmesg|replay_bad)' "$D"
echo "abi: $(grep -c '^OK abi ' "$D") of $nabi files read; knobs: $(grep -c '^OK knob ' "$D") of $nknobs pass"

# compare + ptdump
ntr=0 nops=0 ndiff=0 npt=0
declare -A seen
while read -r i name p sets; do
	k=$(sys_json "$D" "r$i")
	[ -n "$k" ] || { failed "compare $name ($p): no JSON"; continue; }
	# shellcheck disable=SC2086
	(cd "$SYS_DIR" && sys_sim_json "$name" "$p" $sets) > "$WORK/s.json" 2>/dev/null ||
		{ failed "compare $name ($p): the simulator failed"; continue; }
	echo "$k" > "$WORK/k.json"
	if ! python3 "$SYS_DIR/jsoncmp.py" --label "$name ($p)" "$WORK/k.json" \
		"$WORK/s.json" > "$WORK/diff"; then
		cat "$WORK/diff"
		d=$(wc -l < "$WORK/diff")
		ndiff=$((ndiff + d))
		failed "compare $name ($p): $d keys differ"
	fi
	[ -n "${seen[$name]:-}" ] || ntr=$((ntr + 1))
	seen[$name]=1
	nops=$((nops + $(jget "$(cat "$WORK/s.json")" ops)))
	[ "$p" = rmp_sync ] || continue
	pt=$(sed -n "s/^PTDUMP r$i //p" "$D")
	want="4k=$(jget "$k" directmap_4k_kb) 2m=$(jget "$k" directmap_2m_kb) 1g=$(jget "$k" directmap_1g_kb)"
	if [ "$pt" = "$want" ]; then
		npt=$((npt + 1))
	else
		failed "ptdump $name ($p): page tables $pt, rmp_sync reports $want"
	fi
done < "$WORK/runs.txt"
echo "compare: $ntr traces, $n replays, $nops operations compared, $ndiff differing keys"
echo "ptdump: $npt of $(grep -c '^ptdump ' "$PLAN") recounts (after each rmp_sync replay): the window's direct map equals directmap_*_kb"

# badline
b1=$(sys_json "$D" badline-before) b2=$(sys_json "$D" badline-after)
if [ -n "$b1" ] && [ "$b1" = "$b2" ]; then
	echo "badline: refused with EINVAL, JSON unchanged"
else
	failed "badline: JSON changed by a refused write (or missing)"
fi

# roundtrip
nrt=0
while read -r i rt; do
	nrt=$((nrt + 1))
	a=$(sys_json "$D" "r$i") b=$(sys_json "$D" "rt$i-back")
	if [ -z "$a" ] || [ -z "$b" ]; then
		failed "roundtrip $rt: JSON missing"
		continue
	fi
	echo "$a" > "$WORK/a.json"
	echo "$b" > "$WORK/b.json"
	if python3 "$SYS_DIR/jsoncmp.py" --names replayed,recorded \
		--label "roundtrip $rt" "$WORK/b.json" "$WORK/a.json"; then
		echo "roundtrip $rt: recorded -> tracefs2trace -> replayed: same JSON ($(jget "$a" ops) operations)"
	else
		failed "roundtrip $rt: the replayed conversion differs"
	fi
done < "$WORK/rt.txt"
[ "$nrt" -gt 0 ] || failed "roundtrip: no trace recorded"
grep '^INFO trace_off\|tracefs2trace:' "$D" | sed 's/^INFO //'

# handover
runner() { sed -n "s/^CAT $1 $2 //p" "$D"; }
pending=$(sed -n 's/^CAT pending //p' "$D")
k0=$(runner runner0 khugepaged) k1=$(runner runner1 khugepaged) k2=$(runner runner2 khugepaged)
w1=$(runner runner1 worker) w2=$(runner runner2 worker)
h=$(sys_json "$D" handover)
echo "$h" > "$WORK/k.json"
# shellcheck disable=SC2046
(cd "$SYS_DIR" && sys_sim_json traces/handover.trace rmp_sync $(trace_sets "$HO")) > "$WORK/s.json" 2>/dev/null
if [ -z "$h" ] || [ -z "$k0" ] || [ -z "$k1" ] || [ -z "$w2" ]; then
	failed "handover: missing JSON or runner counts"
elif ! python3 "$SYS_DIR/jsoncmp.py" --label handover "$WORK/k.json" "$WORK/s.json"; then
	failed "handover: JSON differs from the simulator's"
elif [ "${pending:-0}" -le 0 ]; then
	failed "handover: nothing pending when THP went to never"
elif [ "$k1" -le "$k0" ]; then
	failed "handover: no khugepaged pass with THP always ($k0 -> $k1)"
elif [ "$w2" -le "$w1" ]; then
	failed "handover: no fallback-work pass after THP never ($w1 -> $w2)"
else
	echo "handover: khugepaged passes $k0 -> $k1 (THP always), $pending regions pending at the switch, worker passes $w1 -> $w2 (THP never; khugepaged $k2), JSON equals the simulator's"
fi

# Where the guest's time went (commands over 0.5 s, by kind).
awk '$1 == "TIME" { t[$3] += $2 } END { for (k in t) printf "%s %.0f s, ", k, t[k] }' "$D" |
	sed 's/, $//; s/^/guest time in slow commands: /; s/$/\n/'
# --- Boot 2: the CPA self-test (CONFIG_CPA_DEBUG) while rmp_sync runs --
# The kunit step's cpa_debug build, same options plus CPA_DEBUG.  Its
# self-test thread changes random direct-map pages 30 s after boot and
# prints "ok.": replay the vm-churn excerpt again and again until it has.
CPA_BZ=${SYSTEM_CPA_KERNEL:-$KBUILD_DIR/kunit-$KV-cpa_debug/arch/x86/boot/bzImage}
CPA_CFG=$KBUILD_DIR/kunit-$KV-cpa_debug/.config
if [ -z "${SYSTEM_CPA_KERNEL:-}" ] && ! { [ -f "$CPA_BZ" ] &&
	grep -q '^CONFIG_CPA_DEBUG=y' "$CPA_CFG" &&
	grep -q '^CONFIG_RMP_SYNC_SW_HOST=y' "$CPA_CFG"; }; then
	failed "cpa: no cpa_debug build with CONFIG_CPA_DEBUG and CONFIG_RMP_SYNC_SW_HOST ($CPA_BZ): run scripts/kernel-check.sh --kver $KV kunit"
else
	CROOT=$WORK/cpa-root
	rm -rf "$CROOT"
	mkdir -p "$CROOT/t"
	cp "$WORK/tools/init" "$WORK/tools/tracefs2trace" "$CROOT/"
	sys_replay_input "$TRACES/vm-churn-excerpt.trace" rmp_sync \
		traces/vm-churn-excerpt.trace > "$CROOT/t/cpa"
	cat > "$CROOT/plan" <<'EOF'
replay_until /t/cpa 60 <6>CPA self-test:
replay_until /t/cpa 60 <6>ok.
expect_after <6>CPA <6>ok.
json cpa
dmesg mark_rodata_ro
EOF
	if sys_boot "$CPA_BZ" "$CROOT" "$WORK/cpa-boot" \
		"rmp_sync.sw_host=$WINDOW transparent_hugepage=always"; then
		C=$WORK/cpa-boot/data.log
		grep -h 'rmp_sync sw_host:' "$WORK/cpa-boot/console.log" | sed 's/^/kernel (cpa): /'
		cp "$C" "$KBUILD_DIR/system-$KV-cpa-results.log" 2>/dev/null
		while read -r line; do failed "cpa: ${line#FAIL }"; done < <(grep '^FAIL ' "$C")
		# The replay's checks hold while the self-test splits window
		# pages behind the host's back (foreign_splits).
		cj=$(sed -n 's/^JSON cpa //p' "$C")
		if [ -z "$cj" ] || [ "$(jget "$cj" check_ok)" != True ]; then
			failed "cpa: the replay's JSON: check_ok is not true: ${cj:-no JSON}"
		elif ! grep -q '^FAIL ' "$C"; then
			echo "cpa: the CPA self-test printed ok. while the vm-churn excerpt replayed ($(sed -n "s/^OK replay_until: '<6>ok.' after \([0-9]*\) .*/\1/p" "$C") more replays after it started), its JSON check_ok, dmesg clean; boot $(printf '%.0f' "$SYS_BOOT_SECONDS") s"
		fi
	else
		cp "$WORK/cpa-boot/console.log" "$KBUILD_DIR/system-$KV-cpa-console.log" 2>/dev/null
		failed "cpa: the boot failed (console: $KBUILD_DIR/system-$KV-cpa-console.log)"
	fi
fi

secs=$(($(date +%s) - T0))
printf 'system-check: %s: boot and checks %.0f s in QEMU (plan %s s in the guest), %d s in all\n' \
	"$KV" "$BOOT1_SECONDS" "$(sed -n 's/^DONE [0-9]* //p' "$D")" "$secs"
if [ $fails -ne 0 ]; then
	echo "system-check: $KV: FAILED: $fails checks (results: $KBUILD_DIR/system-$KV-results.log)"
	exit 1
fi
echo "system-check: $KV: all checks passed"
