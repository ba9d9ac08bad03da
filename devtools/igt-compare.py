#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare IGT subtest results of the series with the base kernel's.

    igt-compare.py [--igt-version FILE] BASELINE TAP    print the table,
                                                        exit 1 if worse
    igt-compare.py [--igt-version FILE] --make-baseline TAP BASELINE

TAP lines come from devhold_igt.sh: "ok N igt test@subtest [# SKIP]" or
"not ok N igt test@subtest # RESULT".  The baseline has one
"test@subtest STATUS" line per subtest (pass, skip, fail).  A subtest does
worse when it passed on the base and does not now, or ran on the base and
skips now.

Results of one IGT version say nothing about another's (subtests come, go
and change), and the VM root follows sid: the baseline's header names the
igt-gpu-tools-tests version it was made with, read from FILE (default: the
VM root's, vmroot.igt in the cache, written by
tools/testing/selftests/devhold/vm/mkroot.sh), and the comparison fails when
the root's version differs.
"""
import os
import re
import sys

VERSION_LINE = "# igt-gpu-tools-tests "


def igt_version(path):
    """The version in PATH, or None."""
    try:
        with open(path) as f:
            v = f.read().strip()
    except OSError:
        return None
    return v or None


def default_version_file():
    cache = os.environ.get("DEVHOLD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
        "devhold")
    return os.path.join(cache, "vmroot.igt")

RANK = {"pass": 2, "skip": 1, "fail": 0}


def parse_tap(path):
    res = {}
    for line in open(path, errors="replace"):
        m = re.match(r"^(not ok|ok) \d+ igt (\S+)(.*)$", line.strip())
        if not m:
            continue
        ok, name, rest = m.groups()
        if ok == "not ok":
            res[name] = "fail"
        elif "# SKIP" in rest:
            res[name] = "skip"
        else:
            res[name] = "pass"
    return res


def main():
    args = sys.argv[1:]
    vfile = default_version_file()
    if args[:1] == ["--igt-version"]:
        vfile = args[1]
        del args[:2]
    version = igt_version(vfile)
    if args[0] == "--make-baseline":
        if version is None:
            print(f"igt-compare: no IGT version in {vfile} (the VM root's, written by "
                  "tools/testing/selftests/devhold/vm/mkroot.sh): no baseline written")
            return 1
        res = parse_tap(args[1])
        with open(args[2], "w") as f:
            f.write("# IGT subtests on the unpatched base (make baseline)\n")
            f.write(f"{VERSION_LINE}{version}\n")
            for name in sorted(res):
                f.write(f"{name} {res[name]}\n")
        return 0
    base = {}
    base_version = None
    try:
        for line in open(args[0]):
            if line.startswith(VERSION_LINE):
                base_version = line[len(VERSION_LINE):].split()[0]
            elif line.strip() and not line.startswith("#"):
                name, status = line.split()[:2]
                base[name] = status
    except FileNotFoundError:
        print(f"igt-compare: no baseline {args[0]} (make baseline)")
        return 1
    now = parse_tap(args[1])
    worse = 0
    print(f"{'subtest':48} {'base':6} {'series':6}")
    for name in sorted(set(base) | set(now)):
        b, s = base.get(name, "-"), now.get(name, "missing")
        bad = s == "missing" or (b in RANK and RANK.get(s, 0) < RANK[b]) or \
            (b == "-" and s == "fail")
        worse += bad
        print(f"{name:48} {b:6} {s:6}{'  WORSE' if bad else ''}")
    n = {k: sum(1 for v in now.values() if v == k) for k in RANK}
    print(f"series: {n['pass']} pass, {n['skip']} skip, {n['fail']} fail; "
          f"base: {len(base)} subtests; {worse} worse")
    if not now:
        print("no IGT results")
        return 1
    if base_version is None or version != base_version:
        print(f"igt-compare: FAILED: the VM root has igt-gpu-tools-tests {version or '(unknown)'} "
              f"({vfile}), the baseline {args[0]} was made with "
              f"{base_version or '(no version line)'}: results of different IGT versions do "
              "not compare: run make baseline with this root")
        return 1
    print(f"igt-gpu-tools-tests {version}, as in the baseline")
    return 1 if worse else 0


sys.exit(main())
