#!/usr/bin/env python3
"""Compare a tier's KUnit results with the base's known-failure baseline.

  compare.py TIER CASES BASELINE [RETRY_CASES...]
                                          gate: exit 1 on a regression; a case
                                          of an upstream suite that passes in
                                          a RETRY_CASES run counts as flaky
  compare.py --make-baseline TIER CASES BASELINE
                                          rewrite BASELINE from a base run,
                                          keeping the reasons already written

BASELINE lines:  FAIL <suite.case> <reason>   a case failing on the base
                 FLAKY <pattern> <reason>      cases (fnmatch pattern) that fail
                                               at random in these configurations,
                                               on the base too; kept by hand
                 SUITE <suite> <passed>        passed cases per suite on the base
                 MIN <suite> <passed>          at least that many cases of a
                                               project suite (not on the base)
                                               pass; kept by hand
The gate fails when a case fails that the baseline does not list, or when a
suite passes fewer cases than on the base (a crash, a lost suite).  A listed
case that now passes is reported.  Prints "<tier>: N passed, N failed,
N skipped" and the new failures.
"""
import collections
import fnmatch
import sys


def read_cases(path):
    cases = {}
    with open(path) as f:
        for line in f:
            parts = line.split(None, 1)
            if len(parts) == 2:
                name, n = parts[1].strip(), 1
                while (name if n == 1 else f'{name}#{n}') in cases:
                    n += 1
                cases[name if n == 1 else f'{name}#{n}'] = parts[0]
    return cases


def suite_of(case):
    return case.split('.', 1)[0]


def read_baseline(path):
    fails, suites, flaky, mins = {}, {}, {}, {}
    try:
        with open(path) as f:
            for line in f:
                line = line.rstrip('\n')
                if line.startswith('FAIL '):
                    parts = line.split(None, 2)
                    fails[parts[1]] = parts[2] if len(parts) > 2 else ''
                elif line.startswith('FLAKY '):
                    parts = line.split(None, 2)
                    flaky[parts[1]] = parts[2] if len(parts) > 2 else ''
                elif line.startswith('SUITE '):
                    _, name, n = line.split()
                    suites[name] = int(n)
                elif line.startswith('MIN '):
                    _, name, n = line.split()[:3]
                    mins[name] = int(n)
    except FileNotFoundError:
        pass
    return fails, suites, flaky, mins


def is_flaky(name, flaky):
    return any(fnmatch.fnmatchcase(name, p) for p in flaky)


def passed_per_suite(cases):
    c = collections.Counter()
    for name, status in cases.items():
        if status == 'PASS':
            c[suite_of(name)] += 1
    return c


def make_baseline(tier, cases_path, base_path):
    cases = read_cases(cases_path)
    old, _, flaky, mins = read_baseline(base_path)
    with open(base_path, 'w') as f:
        f.write(f'# KUnit baseline of the {tier} tier on the unpatched base, '
                'written by "make baseline".\n')
        f.write('# FAIL <case> <reason>: fails on the base; the reason is '
                'written by hand and kept across runs.\n')
        f.write('# FLAKY <pattern> <reason>: fails at random here, base too; kept.\n')
        f.write('# SUITE <suite> <passed>: cases passing on the base.\n')
        f.write('# MIN <suite> <passed>: a project suite passes at least that many; kept.\n')
        for pattern, reason in sorted(flaky.items()):
            f.write(f'FLAKY {pattern} {reason}\n')
        for suite, n in sorted(mins.items()):
            f.write(f'MIN {suite} {n}\n')
        for name in sorted(cases):
            if cases[name] not in ('PASS', 'SKIP') and not is_flaky(name, flaky):
                reason = old.get(name, 'TODO: reason')
                f.write(f'FAIL {name} {reason}\n')
        for suite, n in sorted(passed_per_suite(cases).items()):
            f.write(f'SUITE {suite} {n}\n')
    print(f'{tier}: baseline written to {base_path}')
    return 0


def gate(tier, cases_path, base_path, *retry_paths):
    cases = read_cases(cases_path)
    fails, suites, flaky, mins = read_baseline(base_path)
    retried = {}
    for path in retry_paths:
        try:
            for name, status in read_cases(path).items():
                if status == 'PASS':
                    retried[name] = status
        except FileNotFoundError:
            pass
    # A case of an upstream suite that passes when its suite runs again.
    for name, status in list(cases.items()):
        if status not in ('PASS', 'SKIP') and name in retried:
            print(f'{tier}: note: {name} failed ({status}) and passed when '
                  'its suite ran again: flaky')
            cases[name] = 'PASS'
    for name in retried:
        if name not in cases:
            print(f'{tier}: note: {name} was lost and passed when its suite '
                  'ran again')
            cases[name] = 'PASS'
    npass = sum(1 for s in cases.values() if s == 'PASS')
    nskip = sum(1 for s in cases.values() if s == 'SKIP')
    bad = []
    known = 0
    for name, status in sorted(cases.items()):
        if status in ('PASS', 'SKIP'):
            if name in fails:
                print(f'{tier}: note: {name} is listed as failing on the '
                      'base and now passes')
            continue
        if name in fails:
            known += 1
            continue
        if is_flaky(name, flaky):
            print(f'{tier}: note: {name} failed; it is listed as flaky')
            known += 1
            continue
        bad.append(f'{tier}: FAILED {name} ({status})')
    got = passed_per_suite(cases)
    # A flaky case that failed this time is not a lost pass.
    for name, status in cases.items():
        if status not in ('PASS', 'SKIP') and is_flaky(name, flaky):
            got[suite_of(name)] += 1
    floors = [(s, n, f'the base passes {n}') for s, n in suites.items()]
    floors += [(s, n, f'at least {n} must') for s, n in mins.items()]
    for suite, n, why in sorted(floors):
        if got.get(suite, 0) < n:
            bad.append(f'{tier}: suite {suite} passed {got.get(suite, 0)} cases, {why}')
    if not cases:
        bad.append(f'{tier}: no results')
    for line in bad:
        print(line)
    print(f'{tier}: {npass} passed, {len(bad)} failed, {nskip} skipped'
          + (f' ({known} known base failures or flaky)' if known else ''))
    return 1 if bad else 0


def main():
    args = sys.argv[1:]
    if args and args[0] == '--make-baseline':
        return make_baseline(*args[1:4])
    return gate(*args)


if __name__ == '__main__':
    sys.exit(main())
