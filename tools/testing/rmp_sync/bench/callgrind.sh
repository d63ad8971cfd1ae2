#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Instructions per transition, rmp_sync against upstream, counted by
# callgrind: a noise-free second view of section 1 of rmp-sync-bench.
#
#   sh bench/callgrind.sh build-bench/rmp-sync-bench
#
# rmp-sync-bench --callgrind runs, for each policy and no-split scenario, one
# batch of 1024 make_private and one of 1024 make_shared through the core
# ("core"), then the same RMP look-ups and RMPUPDATEs on the emulated RMP
# alone ("hw"), with collection switched on only around each batch and one
# callgrind dump per batch.  This script reads the dumps' totals (Ir) and
# prints instructions per transition: core, hw, net = core - hw, and the
# ratio of the nets, rmp_sync / upstream.

BENCH=${1:?usage: callgrind.sh PATH-TO-rmp-sync-bench}
if ! command -v valgrind > /dev/null 2>&1; then
	echo "callgrind.sh: valgrind is not installed (Debian: apt-get install valgrind)" >&2
	exit 2
fi
T=$(mktemp -d /tmp/rmp-sync-callgrind.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM

if ! valgrind --tool=callgrind --collect-atstart=no --dump-instr=no \
	--callgrind-out-file="$T/cg.out" "$BENCH" --callgrind > "$T/log" 2>&1; then
	cat "$T/log" >&2
	exit 1
fi

# One line per dump: KIND POLICY SCENARIO OP N IR
for f in "$T"/cg.out.*; do
	awk '/^desc: Trigger: Client Request: / { sub(/^desc: Trigger: Client Request: /, ""); name = $0 }
	     /^(summary|totals): / { ir = $2 }
	     END { if (name != "") print name, ir }' "$f"
done > "$T/dumps"

awk '
{ ir[$1 " " $2 " " $3 " " $4] = $6 / $5; seen[$3 " " $4] = 1 }
END {
	printf "callgrind: instructions (Ir) per transition, 1024 transitions per batch\n"
	printf "net = core - emulated RMP (the RMP look-ups and RMPUPDATEs the core issued)\n"
	printf "%-9s %-8s | %-23s | %-23s | %s\n", "", "", "upstream core/RMP/net",
	       "rmp_sync core/RMP/net", "ratio"
	n = split("4k-mixed 4k-lone 2m", sc, " ")
	for (i = 1; i <= n; i++) {
		split("private shared", op, " ")
		for (j = 1; j <= 2; j++) {
			k = sc[i] " " op[j]
			if (!(k in seen))
				continue
			uc = ir["core upstream " k]; uh = ir["hw upstream " k]
			rc = ir["core rmp_sync " k]; rh = ir["hw rmp_sync " k]
			printf "%-9s %-8s | %7.0f %7.0f %7.0f | %7.0f %7.0f %7.0f | %5.2fx\n",
			       sc[i], op[j], uc, uh, uc - uh, rc, rh, rc - rh,
			       ((uc - uh) > 0 ? (rc - rh) / (uc - uh) : 0)
		}
	}
}' "$T/dumps"
