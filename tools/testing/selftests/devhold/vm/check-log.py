#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge one boot of the devhold test VM.

usage: check-log.py CONSOLE TAP [--expect-failure REGEX] [--known REGEX=REASON]...

CONSOLE is the kernel log (first serial), TAP the in-guest command's output
(second serial: TAP 13 / KTAP, the "# devhold-vm:" lines of init.sh and the
kmemleak section).

Kernel reports on the console (KASAN, KFENCE, lockdep, suspicious RCU
usage, WARN, BUG, Oops, panic, hung tasks, ODEBUG, refcount_t, UBSAN,
general protection faults, page faults) and leaks in the kmemleak section
are printed with a little context, then a summary.  The last line is
"N passed, N failed": passed counts the TAP "ok" lines (skips included);
failed counts the "not ok" lines (not SKIP/TODO), one per distinct kind of
kernel report, one for a missing or short plan and one when the command's
"# devhold-vm: exit 0" line is missing.

A known failure of the kernel under test is given as --known 'REGEX=REASON'
(or one "REGEX<TAB>REASON" line in the environment's VM_KNOWN_REPORTS): a
report with a line matching REGEX is printed as known, with the reason, and
not counted.

With --expect-failure REGEX (a busted control), the boot passes only if a
report (its header, context or any line of it) matches REGEX, and all other
results are ignored: "1 passed, 0 failed" or "0 passed, 1 failed".

Exit status 0 iff nothing failed.
"""
import argparse
import os
import re
import sys

# Console line prefix: optional "<lvl>", timestamp, caller id ([T123]/[C1]).
PREFIX = re.compile(r'^(?:<\d+>)?\s*\[\s*\d+\.\d+\]\s*(?:\[\s*([TC]\d+)\]\s*)?')

# (kind, regex) in priority order: the first that matches a line names it.
# The kind is a format string over the match's groups.
PATTERNS = [
    ('KASAN: {0}', r'BUG: KASAN: ([\w-]+)'),
    ('KFENCE: {0}', r'BUG: KFENCE: ([\w-]+)'),
    ('lockdep: possible circular locking', r'WARNING: possible circular locking'),
    ('lockdep: inconsistent lock state', r'WARNING: inconsistent lock state'),
    ('suspicious RCU usage', r'suspicious RCU usage'),
    ('lockdep: {0}', r'WARNING: ((?:[\w-]+ )*[\w-]*lock[\w-]*(?: [\w-]+)*)'),
    ('hung task', r'INFO: task \S+ blocked for more than'),
    ('ODEBUG', r'ODEBUG: '),
    ('refcount_t: {0}', r'refcount_t: ([\w -]+)'),
    ('UBSAN: {0}', r'UBSAN: ([\w-]+)'),
    ('general protection fault', r'general protection fault'),
    ('unable to handle page fault', r'(?i:unable to handle page fault)'),
    ('BUG: {0}', r'(?<![A-Za-z_])BUG: ([A-Za-z][\w -]*)'),
    ('BUG', r'kernel BUG at '),
    ('Oops', r'(?<![A-Za-z_])Oops\b'),
    ('panic', r'Kernel panic'),
    ('WARNING', r'WARNING: (?:CPU: |\S+:\d+ at )'),
    ('WARNING: {0}', r'(?<![A-Za-z_])WARNING: ([A-Za-z][\w -]*)'),
    ('WARN', r'-+\[ cut here \]-+'),
    ('host: {0}', r'^# devhold-vm: host: ([a-z]+)'),
]
ANY = re.compile('|'.join(f'(?:{r})' for _, r in PATTERNS))
PATTERNS = [(k, re.compile(r)) for k, r in PATTERNS]

# Worth showing, not counted: TCG makes stalls plausible on a busy host.
NOTES = re.compile(r'rcu: INFO: \S+ (?:self-)?detected stall|'
                   r'kmemleak: .*disabl|Kernel memory leak detector disabled')

# Console lines never taken as reports.
IGNORE = re.compile(r'Kernel command line:|^Command line:|^devhold-vm: ')

# Lines that end a report; a later hit starts a new one.
END = re.compile(r'---\[ end (?:trace|Kernel panic)|^=+$')
MERGE_LINES = 8      # hits this close to a report's last hit belong to it
CONTEXT = 3          # lines printed after a report's first line
SHOW = 5             # reports printed in full per kind (a storm can make 1000s)


def read_lines(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        print(f'check-log: {path}: {e.strerror}')
        return None
    text = data.decode('utf-8', errors='replace')
    if text.endswith('\n'):
        text = text[:-1]
    if not text:
        return []
    return [ln.replace('\r', '').rstrip() for ln in text.split('\n')]


def kind_of(line):
    if not ANY.search(line) or IGNORE.search(line):
        return None
    for fmt, rx in PATTERNS:
        m = rx.search(line)
        if m:
            groups = [re.sub(r'\s+', ' ', g).strip() for g in m.groups()]
            # Addresses, numbers and " at/in <place>" tails are not the kind.
            groups = [re.sub(r'\b(?:at|in|for|on)\b.*$', '', g).strip() for g in groups]
            groups = [re.sub(r'\s*\b(?:0x)?[0-9a-f]*\d[0-9a-f]*\b.*$', '', g).strip()
                      for g in groups]
            return fmt.format(*groups), m.start()
    return None


class Report:
    def __init__(self, kind, idx, caller, col=0):
        self.kinds = [kind]
        self.col = col
        self.first = idx
        self.last = idx
        self.caller = caller
        self.hits = [idx]

    @property
    def kind(self):
        # The most specific kind seen in the report (lowest pattern index).
        order = {fmt.split(':')[0]: i for i, (fmt, _) in enumerate(PATTERNS)}
        return min(self.kinds, key=lambda k: order.get(k.split(':')[0], 99))


def scan_console(lines):
    """Split the console into (caller, text) lines and group report hits."""
    body = []
    for ln in lines:
        m = PREFIX.match(ln)
        if m:
            body.append((m.group(1), ln[m.end():]))
        else:
            body.append((None, ln))

    reports, notes = [], []
    cur = None
    ended = False
    for i, (caller, text) in enumerate(body):
        if cur and END.search(text) and (caller == cur.caller or not caller):
            ended = True
        if NOTES.search(text):
            notes.append(i)
        k = kind_of(text)
        if not k:
            continue
        kind, col = k
        same = cur and not ended and i - cur.last <= MERGE_LINES and \
            caller == cur.caller and \
            kind != 'panic' and 'panic' not in cur.kinds
        if same:
            cur.kinds.append(kind)
            cur.last = i
            cur.hits.append(i)
        else:
            cur = Report(kind, i, caller, col)
            reports.append(cur)
            ended = False
    return body, reports, notes


def context(body, idx, n, caller):
    """The n lines after idx from the same CPU/task when that is known."""
    out = []
    for i in range(idx + 1, len(body)):
        if len(out) >= n:
            break
        c, text = body[i]
        if caller and c and c != caller:
            continue
        if text.startswith('devhold-vm: ') or not text.strip():
            continue
        out.append(text)
    return out


def rip_line(body, r):
    for c, text in body[r.first:r.first + 60]:
        if r.caller and c and c != r.caller:
            continue
        if re.match(r'\s*RIP: [0-9a-f]{4}:', text):
            return text.strip()
    return None


def parse_tap(lines):
    res = dict(ok=0, skip=0, notok=[], todo=0, plan=0, plans=0, bail=None,
               start=None, exit=None, leaks=[], kmemleak=None, other=[])
    in_km = False
    km_lines = []
    for ln in lines:
        if ln == '# kmemleak-begin':
            in_km = True
            res['kmemleak'] = True
            continue
        if ln == '# kmemleak-end':
            in_km = False
            continue
        if in_km:
            km_lines.append(ln[2:] if ln.startswith('# ') else ln)
            continue
        m = re.match(r'# devhold-vm: (start|exit) ?(.*)$', ln)
        if m:
            res[m.group(1)] = m.group(2)
            continue
        if ln.startswith('# kmemleak: not available'):
            res['kmemleak'] = False
            continue
        m = re.match(r'(not )?ok\b\s*(\d+)?\s*-?\s*(.*)$', ln)
        if m:
            desc = m.group(3)
            directive = re.search(r'#\s*(SKIP|TODO)\b', desc, re.I)
            d = directive.group(1).upper() if directive else None
            if d == 'SKIP':
                res['skip'] += 1
                res['ok'] += 1
            elif not m.group(1):
                res['ok'] += 1
            elif d == 'TODO':
                res['todo'] += 1
            else:
                res['notok'].append(ln)
            continue
        m = re.match(r'1\.\.(\d+)\b', ln)
        if m:
            res['plan'] += int(m.group(1))
            res['plans'] += 1
            continue
        if ln.startswith('Bail out!'):
            res['bail'] = ln
    # kmemleak objects: "unreferenced object ..." then details and backtrace.
    for i, ln in enumerate(km_lines):
        if 'unreferenced object' in ln:
            frames = []
            j = i + 1
            while j < len(km_lines) and 'unreferenced object' not in km_lines[j]:
                if re.search(r'\[<[0-9a-f]+>\]|\w+\+0x', km_lines[j]):
                    frames.append(km_lines[j].strip())
                j += 1
            res['leaks'].append((ln.strip(), km_lines[i + 1:j], frames))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('console')
    ap.add_argument('tap')
    ap.add_argument('--expect-failure', metavar='REGEX')
    ap.add_argument('--known', metavar='REGEX=REASON', action='append', default=[])
    args = ap.parse_args()
    expect = re.compile(args.expect_failure) if args.expect_failure else None
    known = [k.split('=', 1) for k in args.known if '=' in k]
    known += [ln.split('\t', 1) for ln in os.environ.get('VM_KNOWN_REPORTS', '').splitlines()
              if '\t' in ln]
    known = [(re.compile(r), why) for r, why in known]

    clines = read_lines(args.console) or []
    tlines = read_lines(args.tap) or []
    body, reports, notes = scan_console(clines)
    tap = parse_tap(tlines)

    kinds = []
    known_seen = {}
    shown = {}
    matched = None
    for r in reports:
        why = None
        if known:
            text = [body[i][1] for i in range(r.first, min(r.last + 1, len(body)))]
            text += [body[i][1] for i in r.hits]
            why = next((w for rx, w in known if any(rx.search(t) for t in text)), None)
        if why is not None:
            if r.kind not in known_seen:
                print(f'known report: {r.kind}: {why}')
                print(f'  {body[r.first][1][r.col:].strip()}')
            known_seen[r.kind] = why
            continue
        if r.kind not in kinds:
            kinds.append(r.kind)
        shown[r.kind] = shown.get(r.kind, 0) + 1
        show = shown[r.kind] <= SHOW
        if not show and (not expect or matched):
            continue
        head = body[r.first][1][r.col:].strip()
        ctx = context(body, r.first, CONTEXT, r.caller)
        rip = rip_line(body, r)
        if show:
            print(f'report: {r.kind}')
            print(f'  {head}')
            for ln in ctx:
                print(f'    {ln.strip()}')
            if rip and rip not in (c.strip() for c in ctx):
                print(f'    {rip}')
        if expect and not matched:
            cand = [head] + ctx + [body[i][1] for i in r.hits] + ([rip] if rip else [])
            cand += [body[i][1] for i in range(r.first, min(r.last + 1, len(body)))]
            for c in cand:
                if expect.search(c):
                    matched = c.strip()
                    break
    for leak in tap['leaks']:
        head, details, frames = leak
        print('report: kmemleak')
        print(f'  {head}')
        for ln in (frames[:CONTEXT] or details[:CONTEXT]):
            print(f'    {ln.strip()}')
        if expect and not matched:
            for c in [head] + details:
                if expect.search(c):
                    matched = c.strip()
                    break
    if tap['leaks']:
        kinds.append('kmemleak')
    for k in kinds:
        if shown.get(k, 0) > SHOW:
            print(f'report: {k}: {shown[k] - SHOW} more not shown')
    for i in notes[:SHOW]:
        print(f'note: {body[i][1].strip()}')
    if len(notes) > SHOW:
        print(f'note: {len(notes) - SHOW} more not shown')

    # Summary.
    print('--- summary')
    print(f'console: {len(clines)} lines; tap: {len(tlines)} lines')
    if tap['start'] is None:
        print('vm: init never started the command (no "# devhold-vm: start")')
    else:
        status = tap['exit'] if tap['exit'] is not None else 'missing'
        print(f'vm: start {tap["start"]}; exit {status}')
    ran = tap['ok'] + len(tap['notok']) + tap['todo']
    print(f'tap: {tap["ok"]} ok ({tap["skip"]} skipped), {len(tap["notok"])} not ok, '
          f'{tap["todo"]} todo; plan {tap["plan"] if tap["plans"] else "missing"}, '
          f'{ran} ran')
    for ln in tap['notok']:
        print(f'  {ln}')
    if tap['bail']:
        print(f'  {tap["bail"]}')
    if tap['kmemleak'] is None:
        print('kmemleak: no section')
    elif tap['kmemleak'] is False:
        print('kmemleak: not available in the guest')
    else:
        print(f'kmemleak: {len(tap["leaks"])} unreferenced objects')
    print(f'kernel reports: {len(reports)}; kinds: {", ".join(kinds) if kinds else "none"}')
    for k, why in known_seen.items():
        print(f'known failure: {k}: {why}')

    if expect:
        # The report may kill the guest before the scenario's own "ok":
        # only a scenario that reported failing itself does not count.
        if matched and (tap['notok'] or tap['start'] is None):
            print(f'expected failure seen, but the scenario did not run as meant: {matched}')
            passed, failed = 0, 1
        elif matched:
            print(f'expected failure seen: {matched}')
            passed, failed = 1, 0
        else:
            print(f'expected failure NOT seen: /{args.expect_failure}/')
            passed, failed = 0, 1
    else:
        passed = tap['ok']
        failed = len(tap['notok']) + len(kinds)
        if tap['plans'] == 0:
            print('failure: no TAP plan')
            failed += 1
        elif ran < tap['plan']:
            print(f'failure: short plan: {ran} of {tap["plan"]} ran')
            failed += 1
        if tap['bail']:
            failed += 1
        if tap['exit'] != '0':
            print('failure: no "# devhold-vm: exit 0" line')
            failed += 1
        if not tap['kmemleak']:
            print('failure: no kmemleak scan (the kernel has DEBUG_KMEMLEAK)')
            failed += 1
    print(f'{passed} passed, {failed} failed')
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
