#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The README's multi-seed tables (issue 13): vm-churn under the allocator
# model, packed and captured placements, and vm-churn-2m, seeds 1..5, every
# policy with today's knobs, plus rmp_sync with collapse_private=0 at three
# collapse delays and collapse_private=1 at the longest.  Builds an -O2
# simulator without sanitizers (build-fast/), runs under nice, writes JSON
# into OUT (default /tmp/rmp-sync-measure) and prints the tables.  About
# 30 minutes on 2 cores.
#
#   sh sim/measure.sh [OUT]

cd "$(dirname "$0")/.." || exit 1
OUT=${1:-/tmp/rmp-sync-measure}
SEEDS=${SEEDS:-1 2 3 4 5}
make -s SAN= OUT=build-fast build-fast/rmp-sync-sim || exit 1
SIM=$PWD/build-fast/rmp-sync-sim
CAPF=$PWD/capture/data/gmem-64m.placement
mkdir -p "$OUT"
for seed in $SEEDS; do
	for tag in vm-churn vm-churn-packed gmem-64m.placement vm-churn-2m; do
		case $tag in
		vm-churn) wl="vm-churn" ;;
		vm-churn-packed) wl="vm-churn --placement packed" ;;
		gmem-64m.placement) wl="vm-churn --placement $CAPF" ;;
		vm-churn-2m) wl="vm-churn-2m" ;;
		esac
		# shellcheck disable=SC2086
		nice $SIM --workload $wl --seed "$seed" --policy all --json \
			> "$OUT/$tag.s$seed.all.json" || exit 1
		for d in 1000 60000 524288; do
			# shellcheck disable=SC2086
			nice $SIM --workload $wl --seed "$seed" --policy rmp_sync --json \
				--set collapse_private=0 --set collapse_delay_millisecs=$d \
				> "$OUT/$tag.s$seed.cp0.d$d.json" || exit 1
		done
		# shellcheck disable=SC2086
		nice $SIM --workload $wl --seed "$seed" --policy rmp_sync --json \
			--set collapse_private=1 --set collapse_delay_millisecs=524288 \
			> "$OUT/$tag.s$seed.cp1.d524288.json" || exit 1
	done
done
python3 sim/measure-summary.py "$OUT"
