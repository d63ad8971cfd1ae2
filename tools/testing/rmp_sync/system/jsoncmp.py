#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two flat JSON objects key by key.

  jsoncmp.py [--label TEXT] [--ignore KEY]... A.json B.json

A and B are files holding one JSON object each (a flat object, as
rmp-sync-sim --json prints for one policy and the kernel's replay file
returns).  Prints one line per key whose values differ or that only one
side has:

  LABEL: KEY: kernel VALUE, simulator VALUE

Numbers are compared as numbers (1.5 equals 1.500), everything else
exactly.  Exit: 0 equal, 1 some key differs, 2 bad usage or input.
"""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            obj = json.load(f)
    except (OSError, ValueError) as e:
        print(f"jsoncmp: {path}: {e}", file=sys.stderr)
        sys.exit(2)
    if not isinstance(obj, dict):
        print(f"jsoncmp: {path}: not a JSON object", file=sys.stderr)
        sys.exit(2)
    return obj


def same(a, b):
    num = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, num) and isinstance(b, num):
        return a == b
    return a == b


def main(argv):
    label, ignore, files = None, set(), []
    names = ("kernel", "simulator")
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--label" and i + 1 < len(argv):
            label = argv[i + 1]
            i += 2
        elif a == "--ignore" and i + 1 < len(argv):
            ignore.add(argv[i + 1])
            i += 2
        elif a == "--names" and i + 1 < len(argv):
            names = tuple(argv[i + 1].split(",", 1))
            i += 2
        elif a.startswith("-") and a != "-":
            print(f"jsoncmp: unknown option {a}", file=sys.stderr)
            return 2
        else:
            files.append(a)
            i += 1
    if len(files) != 2 or len(names) != 2:
        print("usage: jsoncmp.py [--label TEXT] [--names A,B] [--ignore KEY]... A.json B.json",
              file=sys.stderr)
        return 2
    a, b = load(files[0]), load(files[1])
    prefix = f"{label}: " if label else ""
    diffs = 0
    for key in list(a) + [k for k in b if k not in a]:
        if key in ignore:
            continue
        if key not in b:
            print(f"{prefix}{key}: {names[0]} {json.dumps(a[key])}, {names[1]} (missing)")
        elif key not in a:
            print(f"{prefix}{key}: {names[0]} (missing), {names[1]} {json.dumps(b[key])}")
        elif same(a[key], b[key]):
            continue
        else:
            print(f"{prefix}{key}: {names[0]} {json.dumps(a[key])}, {names[1]} {json.dumps(b[key])}")
        diffs += 1
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
