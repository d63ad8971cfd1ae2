# SPDX-License-Identifier: GPL-2.0
#
# rmp_sync: the two commands of the README.
#
#   make demo    rmp-sync-sim: the order-0 vm-churn workload (32 GiB, 24 simulated
#                hours) under every policy, side by side, and its plot
#   make check   every userspace test under ASan + UBSan, the simulator's
#                tests, then the suite under TSan; each run ends
#                "N passed, N failed[, N skipped]"; then the reliability
#                run (stress under ASan and TSan, fuzz-ci, fault sweep,
#                bad input; 10 s of stress and 15 s of fuzzing per
#                target here, make reliability runs longer); then
#                make kernel-check
#   make kernel-check   every series in patches/ (KVER=6.12 or 7.3 for
#                one): generated series checked, applied patch by patch
#                with W=1 builds, KUnit in QEMU in two configurations,
#                the system check in QEMU (scripts/system-check.sh),
#                checkpatch (scripts/kernel-check.sh; KBUILD_DIR picks
#                where the build trees live)
#   make system-check   the kernel steps the system check needs, then
#                the system check itself (README "The whole system")
#   make bench   rmp-sync-bench: rmp_sync against upstream per transition,
#                per region, per core, recovery pass and workload (-O2,
#                no sanitizers, < 2 minutes); BENCH_ARGS=--json for JSON
#   make bench-callgrind   instructions per transition under callgrind
#
# Both install what they need on a Debian machine (as root) first.

HARNESS := tools/testing/rmp_sync
DEPS    := gcc make liburcu-dev gnuplot-nox
SIM     := $(HARNESS)/build/rmp-sync-sim
PLOT    := $(HARNESS)/build/vm-churn.png

all: check

deps:
	@scripts/apt-ensure.sh $(DEPS)

build: deps
	$(MAKE) -C $(HARNESS)

check: build
	$(MAKE) -s -C $(HARNESS) run
	$(MAKE) -s -C $(HARNESS) simtest
	$(MAKE) -s -C $(HARNESS) benchtest
	$(MAKE) -s -C $(HARNESS) tsan
	$(MAKE) -s -C $(HARNESS) reliability STRESS_SECONDS=10 FUZZ_CI_SECONDS=15
	$(MAKE) -s kernel-check

# The kernel side alone (README "In the kernel").
kernel-check:
	scripts/kernel-check.sh

# The whole system in QEMU (README "The whole system in QEMU"): builds
# what it needs (series applied, KUnit's base build), then
# scripts/system-check.sh for every series in patches/ (KVER=... for one).
system-check:
	scripts/kernel-check.sh deps tree series bisect kunit system

# Only the reliability run (README "Reliability").
reliability: build
	$(MAKE) -s -C $(HARNESS) reliability

demo: build
	$(SIM) --workload vm-churn --policy all --plot $(PLOT)
	@echo "plot of split vs. mixed regions over time: $(PLOT)"

# The harness's own targets, from here too (the README shows them so):
# stress and stress-tsan (STRESS_SECONDS, SEED, THREADS), fuzz
# (FUZZ_SECONDS) and fuzz-ci (FUZZ_CI_SECONDS), simtest, tsan.
stress stress-tsan fuzz fuzz-ci simtest tsan: deps
	$(MAKE) -s -C $(HARNESS) $@

# Benchmarks: not part of check (they measure, they do not test).
bench: deps
	$(MAKE) -s -C $(HARNESS) bench BENCH_ARGS="$(BENCH_ARGS)"

bench-callgrind: deps
	@scripts/apt-ensure.sh valgrind
	$(MAKE) -s -C $(HARNESS) bench-callgrind

clean:
	$(MAKE) -C $(HARNESS) clean

.PHONY: all deps build check kernel-check system-check reliability demo bench bench-callgrind clean \
	stress stress-tsan fuzz fuzz-ci simtest tsan
