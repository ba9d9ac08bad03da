#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare IGT subtest results of the series with the base kernel's.

    igt-compare.py BASELINE TAP          print the table, exit 1 if worse
    igt-compare.py --make-baseline TAP BASELINE

TAP lines come from devhold_igt.sh: "ok N igt test@subtest [# SKIP]" or
"not ok N igt test@subtest # RESULT".  The baseline has one
"test@subtest STATUS" line per subtest (pass, skip, fail).  A subtest does
worse when it passed on the base and does not now, or ran on the base and
skips now.
"""
import re
import sys

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
    if sys.argv[1] == "--make-baseline":
        res = parse_tap(sys.argv[2])
        with open(sys.argv[3], "w") as f:
            f.write("# IGT subtests on the unpatched base (make baseline)\n")
            for name in sorted(res):
                f.write(f"{name} {res[name]}\n")
        return 0
    base = {}
    try:
        for line in open(sys.argv[1]):
            if line.strip() and not line.startswith("#"):
                name, status = line.split()[:2]
                base[name] = status
    except FileNotFoundError:
        pass
    now = parse_tap(sys.argv[2])
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
    return 1 if worse else 0


sys.exit(main())
