#!/usr/bin/env python3
"""Flatten a kunit.py --json file into "STATUS suite.case" lines."""
import json
import sys


def walk(node, prefix, out):
    name = node.get('name', '')
    cases = node.get('test_cases', [])
    subs = node.get('sub_groups', [])
    path = f'{prefix}.{name}' if prefix else name
    for c in cases:
        out.append((c.get('status', 'UNKNOWN'), f"{path}.{c.get('name')}"))
    for s in subs:
        walk(s, path, out)


def main():
    with open(sys.argv[1]) as f:
        data = json.load(f)
    out = []
    for s in data.get('sub_groups', []):
        walk(s, '', out)
    for status, name in sorted(out, key=lambda x: x[1]):
        print(status, name)


if __name__ == '__main__':
    main()
