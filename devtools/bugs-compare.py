#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare the unload-bug cases of the series with the base kernel's.

    bugs-compare.py BASELINE TAP                  print the table, exit 1
                                                   unless every case fails
                                                   on the base and passes now
    bugs-compare.py --make-baseline TAP CONSOLE [TAP CONSOLE...] BASELINE

TAP lines come from devhold_bugs.sh: "ok N CASE (I)" or "not ok N CASE
(I)", one per iteration I of CASE, after a "# case: CASE" line.  The
baseline, made from boots of the base kernel (one TAP and console log
each, one case per boot), has one "CASE<TAB>RESULT<TAB>EVIDENCE" line per
case: RESULT is "fails" when the kernel reported anything during the boot
of that case (the first report's signature is the evidence), "passes"
otherwise.  A report is evidence only for the cases of its own boot.  A
failed TAP line alone is no evidence: the bugs are use-after-frees, which
the kernel reports, and a case may fail its own checks on the base by
construction (the series' wait that it looks for is not there).  A case
proves its fix only when it fails on the base: one that passes there,
or that the baseline does not know, fails the comparison, and so does a
case of the baseline that did not run now.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                                'tools', 'testing', 'selftests', 'devhold', 'vm'))
import kreport  # noqa: E402

TAP = re.compile(r'^(not ok|ok) \d+ (.*?) \((\d+)\)\s*(#.*)?$')
CASE = re.compile(r'^# case: (.*?)\s*$')


def parse_tap(path):
    """{case: [passed, failed]} in the order of the TAP."""
    res = {}
    for line in open(path, errors='replace'):
        m = CASE.match(line.strip())
        if m:
            # A case that began, though the kernel may not let it end.
            res.setdefault(m.group(1), [0, 0])
            continue
        m = TAP.match(line.strip())
        if not m:
            continue
        ok, case = m.group(1), m.group(2)
        r = res.setdefault(case, [0, 0])
        r[0 if ok == 'ok' else 1] += 1
    return res


def first_report(console):
    body, reports = kreport.scan(kreport.read_lines(console))
    return reports[0].signature(body) if reports else None


def make_baseline(boots, out):
    lines = []
    for tap, console in boots:
        cases = parse_tap(tap)
        report = first_report(console)
        for case, (p, f) in cases.items():
            if report:
                lines.append(f'{case}\tfails\t{report}')
            elif f:
                lines.append(f'{case}\tpasses\t{f} of {p + f} iterations failed, '
                             'no kernel report')
            elif p:
                lines.append(f'{case}\tpasses\t{p} iterations passed')
            else:
                lines.append(f'{case}\tpasses\tbegan, ended without a result or a report')
    if not lines:
        print(f'bugs-compare: no case in {" ".join(t for t, _ in boots)}', file=sys.stderr)
        return 1
    with open(out, 'w') as f:
        f.write('# unload-bug cases on the base kernel (devtools/bugs-compare.py'
                ' --make-baseline)\n')
        f.write(''.join(line + '\n' for line in lines))
    print(''.join(line + '\n' for line in lines), end='')
    return 0


def compare(baseline, tap):
    base = {}
    if not os.path.exists(baseline):
        print(f'bugs-compare: no baseline {baseline}: run make baseline-bugs')
        return 1
    for line in open(baseline):
        if line.startswith('#') or not line.strip():
            continue
        case, result, evidence = (line.rstrip('\n').split('\t') + ['', ''])[:3]
        base[case] = (result, evidence)
    now = parse_tap(tap)
    bad = 0
    print('case | base | series')
    for case in list(now) + [c for c in base if c not in now]:
        b = base.get(case)
        p, f = now.get(case, (0, 0))
        series = f'{p} of {p + f} passed' if p + f else 'did not run'
        print(f'{case} | {b[0] + " (" + b[1] + ")" if b else "not in the baseline"} | {series}')
        if not b or b[0] != 'fails':
            print(f'  -> {case}: does not fail on the base, so it proves nothing')
            bad += 1
        if f or not p:
            print(f'  -> {case}: does not pass with the series')
            bad += 1
    return 1 if bad or not now else 0


def main(argv):
    if len(argv) >= 5 and len(argv) % 2 == 1 and argv[1] == '--make-baseline':
        files = argv[2:-1]
        return make_baseline(list(zip(files[0::2], files[1::2])), argv[-1])
    if len(argv) == 3:
        return compare(argv[1], argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
