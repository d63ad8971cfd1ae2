#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages named on the command line that are missing
# (apt-get update first), as root or through sudo.  Every Makefile target
# and script that needs packages calls this, so a fresh machine works.
#
#   scripts/apt-ensure.sh PKG...

missing=""
for p in "$@"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
echo "installing:$missing"
$sudo apt-get update -qq &&
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
