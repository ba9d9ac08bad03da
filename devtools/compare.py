#!/usr/bin/env python3
"""Compare a tier's KUnit results with the base's known-failure baseline.

  compare.py [--suites S1,S2] TIER CASES BASELINE [RETRY_CASES...]
                                          gate: exit 1 on a regression;
                                          RETRY_CASES (an upstream suite run
                                          again alone) only tell an
                                          order-dependent failure from a
                                          plain one, they excuse nothing;
                                          --suites judges those suites only
                                          (a run of them alone)
  compare.py --make-baseline TIER BASELINE CASES...
                                          rewrite BASELINE from one or more
                                          runs of the base, keeping the
                                          reasons and MIN lines written there

BASELINE lines (a missing file, or a line of another form, is an error;
the fields of FAIL and FLAKY lines are separated by tabs, as case names may
hold blanks):
  FAIL <suite.case> <reason>         fails in every run of the base
  FLAKY <suite.case> <k>/<n> <reason>
                                     failed in k of n runs of the base; one
                                     case, named exactly (no patterns)
A reason must be written ("TODO" is none), and a project suite's case is
never a known failure.
  SUITE <suite> <passed>             cases of the suite, flaky ones not
                                     counted, passing in every base run
  MIN <suite> <passed>               a project suite (not on the base)
                                     passes at least that many; by hand
The gate fails when a case fails that the baseline does not list, when a
suite passes fewer cases (flaky ones not counted) than its floor (a crash,
a lost suite), and when a project suite (devtools/kunit/project.suites) that
ran has no MIN line.  A listed case that now passes is reported.  Prints
"<tier>: N passed, N failed, N skipped" and the failures.
"""
import collections
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


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


def project_suites():
    try:
        with open(os.path.join(HERE, 'kunit', 'project.suites')) as f:
            return {ln.strip() for ln in f if ln.strip()}
    except OSError:
        return set()


PATTERN_CHARS = re.compile(r'[*?\[\]]')


def read_baseline(path):
    """(fails, suites, flaky, mins, errors) of a baseline file."""
    fails, suites, flaky, mins, errors = {}, {}, {}, {}, []
    try:
        f = open(path)
    except OSError as e:
        return fails, suites, flaky, mins, [f'baseline {path}: {e.strerror}']
    with f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            where = f'{os.path.basename(path)}:{n}'
            if not line.strip() or line.startswith('#'):
                continue
            parts = line.split('\t') if '\t' in line else line.split(None, 2)
            kind = parts[0]
            if kind in ('FAIL', 'FLAKY') and '\t' not in line:
                errors.append(f'{where}: fields not separated by tabs')
            elif kind in ('FAIL', 'FLAKY') and PATTERN_CHARS.search(parts[1]):
                errors.append(f'{where}: {parts[1]}: a pattern; name each case alone')
            elif kind in ('FAIL', 'FLAKY') and suite_of(parts[1]) in project_suites():
                errors.append(f'{where}: {parts[1]}: a project case cannot be a known failure')
            elif kind in ('FAIL', 'FLAKY') and (not parts[-1].strip() or
                                                parts[-1].startswith('TODO')):
                errors.append(f'{where}: {parts[1]}: no reason written')
            elif kind == 'FAIL' and len(parts) == 3:
                fails[parts[1]] = parts[2]
            elif kind == 'FLAKY' and len(parts) == 4 and re.fullmatch(r'\d+/\d+', parts[2]):
                flaky[parts[1]] = (parts[2], parts[3])
            elif kind in ('SUITE', 'MIN') and len(line.split()) == 3 and \
                    line.split()[2].isdigit():
                (suites if kind == 'SUITE' else mins)[parts[1]] = int(line.split()[2])
            else:
                errors.append(f'{where}: not a baseline line: {line}')
    return fails, suites, flaky, mins, errors


def passed_per_suite(cases, skip=()):
    c = collections.Counter()
    for name, status in cases.items():
        if status == 'PASS' and name not in skip:
            c[suite_of(name)] += 1
    return c


def make_baseline(tier, base_path, *cases_paths):
    runs = [read_cases(p) for p in cases_paths]
    old, _, old_flaky, mins, _ = read_baseline(base_path)
    # A run that lost a suite (a crash, a hang) is no sample of it.
    suites = set().union(*[{suite_of(c) for c in r} for r in runs])
    for p, r in zip(cases_paths, runs):
        lost = sorted(suites - {suite_of(c) for c in r})
        if lost or any(c.endswith('.<suite-result>') for c in r):
            print(f'{tier}: {p} lost or broke suites ({", ".join(lost) or "a suite result"}): '
                  'not a base run to measure; run it again')
            return 1
    names = sorted(set().union(*runs))
    n = len(runs)
    fails, flaky = {}, {}
    for name in names:
        bad = sum(1 for r in runs if r.get(name, 'MISSING') not in ('PASS', 'SKIP'))
        if bad == n:
            fails[name] = old.get(name, 'TODO: reason')
        elif bad:
            reason = old_flaky.get(name, (None, 'TODO: reason'))[1]
            flaky[name] = (f'{bad}/{n}', reason)
    floors = None
    for r in runs:
        got = passed_per_suite(r, flaky)
        floors = got if floors is None else \
            collections.Counter({s: min(floors.get(s, 0), got.get(s, 0))
                                 for s in set(floors) | set(got)})
    with open(base_path, 'w') as f:
        f.write(f'# KUnit baseline of the {tier} tier on the unpatched base, '
                f'written by "make baseline" from {n} run(s).\n')
        f.write('# FAIL <case> <reason>: fails in every run of the base; the '
                'reason is written by hand and kept.\n')
        f.write('# FLAKY <case> <k>/<n> <reason>: failed in k of n base runs; '
                'the reason is kept.\n')
        f.write('# SUITE <suite> <passed>: cases passing in every base run, '
                'flaky ones not counted.\n')
        f.write('# MIN <suite> <passed>: a project suite passes at least that '
                'many; kept.\n')
        for name, (rate, reason) in sorted(flaky.items()):
            f.write(f'FLAKY\t{name}\t{rate}\t{reason}\n')
        for suite, m in sorted(mins.items()):
            f.write(f'MIN {suite} {m}\n')
        for name, reason in sorted(fails.items()):
            f.write(f'FAIL\t{name}\t{reason}\n')
        for suite, m in sorted((floors or {}).items()):
            if m:
                f.write(f'SUITE {suite} {m}\n')
    print(f'{tier}: baseline written to {base_path} from {n} run(s)')
    return 0


def gate(tier, cases_path, base_path, *retry_paths, only=None):
    cases = read_cases(cases_path)
    fails, suites, flaky, mins, errors = read_baseline(base_path)
    if only is not None:
        suites = {k: v for k, v in suites.items() if k in only}
        mins = {k: v for k, v in mins.items() if k in only}
    alone = {}
    for path in retry_paths:
        try:
            alone.update(read_cases(path))
        except FileNotFoundError:
            pass
    npass = sum(1 for s in cases.values() if s == 'PASS')
    nskip = sum(1 for s in cases.values() if s == 'SKIP')
    bad = [f'{tier}: FAILED baseline {e}' for e in errors]
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
        if name in flaky and alone.get(name) != 'PASS':
            again = {None: 'did not run again alone'}.get(alone.get(name), 'failed again alone')
            bad.append(f'{tier}: FAILED {name} ({status}; listed as flaky, but it '
                       f'{again})')
            continue
        if name in flaky:
            print(f'{tier}: note: {name} failed; it failed in '
                  f'{flaky[name][0]} base runs ({flaky[name][1]})')
            known += 1
            continue
        if alone.get(name) == 'PASS':
            bad.append(f'{tier}: FAILED {name} ({status}; order-dependent: it '
                       'fails in the full run and passes when its suite runs alone)')
        else:
            bad.append(f'{tier}: FAILED {name} ({status})')
    got = passed_per_suite(cases, flaky)
    floors = [(s, n, f'the base passes {n}') for s, n in suites.items()]
    floors += [(s, n, f'at least {n} must') for s, n in mins.items()]
    for suite, n, why in sorted(floors):
        if got.get(suite, 0) < n:
            bad.append(f'{tier}: suite {suite} passed {got.get(suite, 0)} cases'
                       f'{" (flaky ones not counted)" if any(suite_of(c) == suite for c in flaky) else ""}'
                       f', {why}')
    ran = {suite_of(c) for c in cases}
    for suite in sorted((ran & project_suites()) - set(mins)):
        bad.append(f'{tier}: project suite {suite} has no MIN line in {base_path}')
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
        return make_baseline(*args[1:])
    if args and args[0] == '--suites':
        return gate(*args[2:], only=set(args[1].split(',')))
    return gate(*args)


if __name__ == '__main__':
    sys.exit(main())
