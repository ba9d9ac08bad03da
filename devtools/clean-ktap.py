#!/usr/bin/env python3
"""Undo console replays in a KUnit kernel log before parsing it.

When a WARN on one CPU takes over the console while another CPU is printing,
printk prints "** replaying previous printk message **" and the interrupted
message again: the interrupted copy is cut short, and KTAP parsers then see a
test line twice.  Drop the cut-short copy and the marker.
"""
import sys

MARK = '** replaying previous printk message **'


def main():
    out = []
    with open(sys.argv[1], errors='replace') as f:
        for line in f:
            if line.strip() == MARK:
                if out:
                    out.pop()
                continue
            out.append(line)
    sys.stdout.writelines(out)


if __name__ == '__main__':
    main()
