#!/usr/bin/env python3
"""make gate-selftest: feed every judge of the gate the broken input it exists
for, and a clean one.

  run.py [RESULTS_DIR] [-k SUBSTRING]

Each devtools/gate-selftest/t_*.py module has CASES, a list of
(name, expect, function): expect is "FAILED" or "PASS"; the function gets a
fresh temporary directory (a pathlib.Path) and returns (status, output) of
the judge it ran on its canned input.  A judge's verdict is FAILED when its
status is non-zero.  A case whose verdict differs from expect fails the
self-test, so a judge change that lets a broken input through fails the
gate.  Prints one line per case and "gate-selftest: N passed, N failed";
with RESULTS_DIR, writes RESULTS_DIR/gate-selftest.counts ("passed failed").
"""
import importlib
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent


def run(cmd, cwd=None, env=None, stdin=None):
    """(status, output) of a command; output is stdout and stderr."""
    p = subprocess.run(cmd, cwd=cwd, env=env, input=stdin, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p.returncode, p.stdout


def main():
    args = sys.argv[1:]
    only = None
    if '-k' in args:
        i = args.index('-k')
        only = args[i + 1]
        del args[i:i + 2]
    res = pathlib.Path(args[0]) if args else None
    sys.path.insert(0, str(HERE))
    passed = failed = 0
    for mod in sorted(HERE.glob('t_*.py')):
        m = importlib.import_module(mod.stem)
        for name, expect, fn in m.CASES:
            full = f'{mod.stem[2:]}: {name}'
            if only and only not in full:
                continue
            with tempfile.TemporaryDirectory(prefix='gate-selftest.') as d:
                try:
                    status, out = fn(pathlib.Path(d))
                    verdict = 'FAILED' if status else 'PASS'
                except Exception as e:      # a broken case is a failure
                    verdict, out = f'ERROR ({e!r})', ''
            if verdict == expect:
                passed += 1
                print(f'ok {full}: {verdict} as it must')
            else:
                failed += 1
                print(f'not ok {full}: {verdict}, must be {expect}')
                for ln in (out or '').splitlines()[-15:]:
                    print(f'#   {ln}')
    print(f'gate-selftest: {passed} passed, {failed} failed')
    if res:
        res.mkdir(parents=True, exist_ok=True)
        (res / 'gate-selftest.counts').write_text(f'{passed} {failed}\n')
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main())
