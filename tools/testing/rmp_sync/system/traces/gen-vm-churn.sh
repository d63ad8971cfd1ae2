#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate vm-churn-excerpt.trace: the first HOURS of the simulator's
# vm-churn workload, cut to a 4 GiB window for the software-SNP debug host.
#
#   traces/gen-vm-churn.sh [HOURS] [MAX_OPS]     (defaults 0.12 and 60000)
#
# vm-churn needs at least 8G (rmp-sync-sim refuses --mem 4G), so it is
# emitted for 8G and only the operations on PFNs below 4G are kept (a
# guest's conversions stay together: each page's history is kept or
# dropped whole), then the trace is cut at MAX_OPS operations, ticks
# included.  Both the kernel and the simulator replay the same file.
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
sim=$here/../../build/rmp-sync-sim
hours=${1:-0.12}
max=${2:-60000}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$sim" --workload vm-churn --mem 8G --hours "$hours" --emit-trace "$tmp" > /dev/null
{
	echo "# rmp-sync-sim --workload vm-churn --mem 8G --hours $hours --emit-trace F,"
	echo "# PFNs below 4G only, first $max operations (traces/gen-vm-churn.sh)"
	echo "#@ policies rmp_sync upstream"
	echo "mem 4G"
	python3 -c '
import sys
n, top = 0, 1 << 20
for line in open(sys.argv[1]):
    t = line.split()
    if not t or t[0].startswith("#") or t[0] == "mem":
        continue
    if t[0] not in ("tick", "quiesce") and int(t[1], 0) >= top:
        continue
    sys.stdout.write(line)
    n += 1
    if n >= int(sys.argv[2]):
        break
' "$tmp" "$max"
} > "$here/vm-churn-excerpt.trace"
"$sim" --json --trace "$here/vm-churn-excerpt.trace" > /dev/null
echo "$here/vm-churn-excerpt.trace: $(grep -vc '^#\|^mem' "$here/vm-churn-excerpt.trace") operations"
