#!/usr/bin/env python3
"""Flatten a kunit.py --json file into "STATUS suite.case" lines.

  results.py JSON [PROJECT_SUITES]

Cases kunit.py gives at the top level (stand-ins for suites that were lost)
are kept.  A suite whose own result carries parse errors (a kernel that
died after its last case, a missing result line) gets an "ERROR
suite.<suite-result>" line, upstream suites as well as the project's
(PROJECT_SUITES is accepted and no longer needed).
"""
import json
import sys


def walk(node, prefix, out, project):
    name = node.get('name', '')
    cases = node.get('test_cases', [])
    subs = node.get('sub_groups', [])
    path = f'{prefix}.{name}' if prefix else name
    for c in cases:
        out.append((c.get('status', 'UNKNOWN'), f"{path}.{c.get('name')}"))
    own = node.get('misc', {}).get('errors', 0) - sum(
        s.get('misc', {}).get('errors', 0) for s in subs)
    if own > 0:
        out.append(('ERROR', f'{path}.<suite-result>'))
    for s in subs:
        walk(s, path, out, project)


def main():
    with open(sys.argv[1]) as f:
        data = json.load(f)
    project = set()
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            project = {line.strip() for line in f if line.strip()}
    out = []
    for c in data.get('test_cases', []):
        out.append((c.get('status', 'UNKNOWN'), c.get('name')))
    for s in data.get('sub_groups', []):
        walk(s, '', out, project)
    for status, name in sorted(out, key=lambda x: x[1]):
        print(status, name)


if __name__ == '__main__':
    main()
