# SPDX-License-Identifier: GPL-2.0
#
# rmp_sync: the two commands of the README.
#
#   make demo    built-in scenario on the emulated SNP host: the direct map
#                before, during and after, under upstream 6.12 and rmp_sync
#   make check   every userspace test under ASan + UBSan, then under TSan;
#                each run ends "N passed, N failed, N skipped"
#
# Both install what they need on a Debian machine (as root) first.

HARNESS := tools/testing/rmp_sync
DEPS    := gcc make liburcu-dev
SUDO    := $(if $(filter 0,$(shell id -u)),,sudo)

all: check

deps:
	@missing=""; for p in $(DEPS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(MAKE) -C $(HARNESS)

check: build
	$(MAKE) -s -C $(HARNESS) run
	$(MAKE) -s -C $(HARNESS) tsan

demo: build
	$(HARNESS)/build/rmp-sync-demo

clean:
	$(MAKE) -C $(HARNESS) clean

.PHONY: all deps build check demo clean
