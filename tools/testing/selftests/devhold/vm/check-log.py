#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge one boot of the devhold test VM.

usage: check-log.py CONSOLE TAP [--vm-known FILE] [--boot NAME]
                    [--expect-failure SIGS [--expect-also SIGS]]

CONSOLE is the kernel log (first serial), TAP the in-guest command's output
(second serial: TAP 13 / KTAP, the "# devhold-vm:" lines of init.sh and the
kmemleak section).

Kernel reports on the console are found by kreport.py, the one list of
report patterns every devhold judge uses (KASAN, KFENCE, lockdep, RCU
stalls of every kind, soft/hard/workqueue lockups, hung tasks, kmemleak
leaks and kmemleak disabling itself, WARN, BUG, Oops, ...); reports a test
declares ("kreport: expect N" ... "kreport: end") are counted, not failed.
Leaks in the kmemleak section are reports too.  Each report is printed
with a little context, then a summary.  The last line is "N passed, N
failed": passed counts the TAP "ok" lines that are not skips; failed counts
the "not ok" lines (not SKIP/TODO), each skipped case (a skip proves
nothing) but those listed as known skips, a command that skipped
everything ("1..0 # SKIP") or passed nothing, one per distinct kind of
kernel report, one per failed declaration, one for a missing or short
plan, one when the command's "# devhold-vm: exit 0" line is missing, one
when the kmemleak section is missing or does not show a completed scan
(init.sh's "# kmemleak-scan: N of N scans done, report read"), and one
when a "# torture: N of M iterations" line shows fewer iterations than
asked.

--boot NAME is the boot's name (devtools/vm.sh's).  The igt boot's IGT
subtests ("ok N igt TEST@SUBTEST [# SKIP]", "not ok N igt ..." from
devhold_igt.sh) are judged against the base by devtools/igt-compare.py,
not here: this judge counts their passes, and neither their failures nor
their skips (the base skips some too); its other lines count as in any
boot.

--vm-known FILE is devtools/baseline/vm-known.txt.  Its "BOOT report
SIGNATURE -- REASON" lines for --boot NAME are known reports of that boot,
each the exact signature kreport.py makes of a report ("KIND | first line"
with numbers, addresses and tasks taken out): no patterns.  A known report
is printed with its reason and not counted; a line that is not an exact
signature fails the boot.  Its "BOOT leak FUNCTION -- REASON" lines are
known kmemleak leaks of that boot: a leak whose backtrace has a frame in
FUNCTION (an exact function name) is printed with its reason and not
counted, and so is the console's "kmemleak: N new suspected memory leaks"
when every leak of the kmemleak section is known.  Its "BOOT skip N REASON" lines are known skips:
case N of BOOT's TAP may skip, with that reason ("BOOT case N REASON"
lines are read by the selftests, which make the case a TODO).

--expect-failure SIGS makes the boot a busted control's: it passes only if
a report is one of SIGS (the control's own signature), every other report
is one of SIGS or of --expect-also SIGS (what the same bug may also make
the kernel print), and the scenario did not fail itself: "1 passed, 0
failed", else "0 passed, N failed".  SIGS are separated by ";", each

    KIND [at [FILE:]PLACE [from FUNCS]]

KIND is "fault" (Oops, page fault, general protection fault, KASAN,
KFENCE, kernel BUG), "WARNING" (a WARN), "lockdep" (any of lockdep's
reports; PLACE is then a lock class it names) or "kmemleak" (a leak).  PLACE is
where the report is: FUNCS (function names separated by "|"), the function
a WARNING is "at" (in FILE, a path relative to the tree), a KASAN report
is "in", or a fault's RIP is in (the caller, for a fault inside KASAN's
checks); or "unloaded[MODULE]" ("unloaded": any module): code of an
unloaded module, i.e. an address without a symbol in the x86_64 module
area (freed module text is filled with int3, or unmapped), and, in a
report that prints its "Modules linked in:" line (an Oops does, KASAN does
not), "[last unloaded: MODULE]" there.  An address without a symbol
elsewhere (a NULL or wild function pointer: "RIP: 0010:0x0") is no
unloaded code.  "from FUNCS" also needs one of FUNCS among the report's
call trace frames (or its "Workqueue:" function).

Exit status 0 iff nothing failed.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kreport  # noqa: E402

CONTEXT = 3          # lines printed after a report's first line
SHOW = 5             # reports printed in full per kind (a storm can make 1000s)
REPORT_LINES = 150   # a report's lines end at its end marker, or after these

# The harness's own verdicts, appended to the console by run.sh.
HOST = re.compile(r'^# devhold-vm: host: ([a-z]+)')

# Kinds of report a busted control's signature can name.
FAULTS = ('Oops', 'unable to handle page fault', 'general protection fault',
          'BUG', 'BUG: kernel NULL pointer dereference')
SIG = re.compile(r'(fault|WARNING|lockdep|kmemleak|panic)'
                 r'(?: at (?:([\w./-]+):)?(unloaded(?:\[[\w-]+\])?|[\w.-]+(?:\|[\w.-]+)*)'
                 r'(?: from ([\w.]+(?:\|[\w.]+)*))?)?$')

UNLOADED = '<unloaded>'     # a place without a symbol in the module area
UNKNOWN = '<unknown>'       # a report that names no place

# x86_64's module area (arch/x86/include/asm/pgtable_64_types.h): from
# MODULES_VADDR, __START_KERNEL_map + KERNEL_IMAGE_SIZE (512 MiB without
# KASLR, 1 GiB with it), to MODULES_END (the fixmap).
MODULES = (0xffffffffa0000000, 0xffffffffff000000)
LAST_UNLOADED = re.compile(r'Modules linked in:.*\[last unloaded: ([\w-]+)')

FRAME = re.compile(r'^\s*(\? )?([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+')
KASAN_HELPER = re.compile(r'^(?:__)?(?:kasan|asan)_|^check_memory_region')


def kind_class(kind):
    """What a busted control's signature calls a report of this kind."""
    if kind.startswith(('KASAN:', 'KFENCE:')) or kind in FAULTS:
        return 'fault'
    if kind in ('WARNING', 'WARN'):
        return 'WARNING'
    if kind.startswith('lockdep'):
        return 'lockdep'
    if kind == 'kmemleak: leak':
        return 'kmemleak'
    if kind == 'panic':
        # An Oops in interrupt context ends in "Fatal exception in
        # interrupt" (an int3 from freed module text is one).
        return 'panic'
    return None


def func_name(sym):
    """A symbol without GCC's clone suffixes (.cold, .isra.0, ...)."""
    return sym.split('.')[0]


class Info:
    """What a busted control's signature is matched against."""

    def __init__(self, kind, head, text):
        self.kind = kind
        self.head = head
        self.text = text
        self.file = None
        self.func = UNKNOWN
        self.addr = None        # the place's address, when it has no symbol
        # None: the report printed no "Modules linked in:" line; '': one
        # without "[last unloaded: ...]".
        self.last_unloaded = None
        self.frames = []        # (reliable, function) of the call trace
        self.classes = set()    # the lock classes a lockdep report names
        self.callers = set()    # every frame's function and the work function
        trace = False
        for ln in text:
            if 'Call Trace:' in ln:
                trace = True
            m = FRAME.match(ln)
            if trace and m:
                self.frames.append((not m.group(1), func_name(m.group(2))))
                self.callers.add(func_name(m.group(2)))
            m = re.match(r'\s*Workqueue: \S+ ([\w.]+)', ln)
            if m:
                self.callers.add(func_name(m.group(1)))
            self.classes.update(m.group(1) for m in kreport.LOCK_CLASS.finditer(ln))
            if 'Modules linked in:' in ln and self.last_unloaded is None:
                m = LAST_UNLOADED.search(ln)
                self.last_unloaded = m.group(1) if m else ''
        self._place()

    def _at(self, sym, addr):
        """The place: a symbol's function, or an address without one."""
        if sym:
            self.func = func_name(sym)
            return
        self.addr = int(addr, 16)
        self.func = UNLOADED if MODULES[0] <= self.addr < MODULES[1] else addr

    def _place(self):
        head, kclass = self.head, kind_class(self.kind)
        if kclass == 'WARNING':
            # 7.3: "WARNING: FILE:LINE at FUNC+off/size, CPU#n: task/pid";
            # before: "WARNING: CPU: n PID: n at FILE:LINE FUNC+off/size".
            for ln in [head] + self.text:
                m = re.search(r'WARNING: (?:(\S+):\d+ )?at ([A-Za-z_][\w.]*)\+0x', ln) or \
                    re.search(r'WARNING: CPU: \d+ PID: \d+ at (\S+):\d+ '
                              r'([A-Za-z_][\w.]*)\+0x', ln)
                if m:
                    self.file = m.group(1)
                    self.func = func_name(m.group(2))
                    break
            return
        if kclass != 'fault':
            return
        m = re.search(r'BUG: K\w+: [\w-]+ (?:\w+ )?in (?:([\w.]+)\+0x|(0x[0-9a-f]+))', head)
        if m:
            self._at(*m.groups())
            return
        for ln in self.text:
            m = re.search(r'RIP: [0-9a-f]{4}:(?:([\w.]+)\+0x|(0x[0-9a-f]+))', ln)
            if m:
                self._at(*m.groups())
                break
        if KASAN_HELPER.match(self.func):
            # A fault inside KASAN's check: the place is the checked access.
            self.func = next((f for ok, f in self.frames
                              if ok and not KASAN_HELPER.match(f)), UNKNOWN)

    def where(self):
        if kind_class(self.kind) == 'lockdep':
            return ', '.join(sorted(self.classes)) or UNKNOWN
        f = f'{self.file}:' if self.file else ''
        if self.func == UNLOADED:
            return (f'{self.addr:#x}, no symbol (last unloaded: '
                    f'{self.last_unloaded or "none printed"})')
        return f'{f}{self.func}'


def parse_sigs(text, what):
    """[(kind class, file, places, froms)] of a ";"-separated list."""
    sigs = []
    for s in (text or '').split(';'):
        s = s.strip()
        if not s:
            continue
        m = SIG.match(s)
        if not m:
            raise ValueError(f'{what}: not "KIND [at [FILE:]PLACE [from FUNCS]]": {s}')
        kc, file, place, froms = m.groups()
        sigs.append((s, kc, file, place.split('|') if place else None,
                     set(froms.split('|')) if froms else None))
    return sigs


def in_file(path, file):
    """Whether path is file (relative to the tree), wherever the tree is:
    the same, or under a directory outside the tree (absolute, or "../")."""
    if not path or not path.endswith(file):
        return False
    prefix = path[:len(path) - len(file)]
    return not prefix or bool(re.fullmatch(r'(?:/|\.\.?/)(?:[\w.~+-]+/)*', prefix))


def sig_matches(sig, info):
    _, kc, file, places, froms = sig
    if kind_class(info.kind) != kc:
        return False
    if places is not None and kc == 'lockdep':
        if not info.classes & set(places):
            return False
    elif places is not None:
        m = re.fullmatch(r'unloaded(?:\[([\w-]+)\])?', places[0])
        if m:
            if info.func != UNLOADED:
                return False
            # An Oops names the module unloaded last; KASAN and KFENCE
            # reports print no module list.
            prints = not info.kind.startswith(('KASAN:', 'KFENCE:'))
            if m.group(1) and (prints or info.last_unloaded is not None) and \
                    info.last_unloaded != m.group(1):
                return False
        elif info.func not in places:
            return False
        # The file relative to the tree, wherever the tree is.
        if file and not in_file(info.file, file):
            return False
    if froms is not None and not froms & info.callers:
        return False
    return True


def first_match(sigs, info):
    return next((s[0] for s in sigs if sig_matches(s, info)), None)


def exact_signature(sig):
    """Whether sig is a signature kreport.py makes: "KIND | text" with a
    kind it names, in the normal form signature() gives, and no patterns."""
    parts = sig.split(' | ')
    if len(parts) < 2 or any(re.search(r'\*|\\|\(\?|\[\^|\^|\$|\|', p) for p in parts[1:]):
        return False
    kind, text, details = parts[0], parts[1], parts[2:]
    kinds = [re.escape(fmt).replace(r'\{0\}', '[A-Za-z][\\w -]*')
             .replace(r'\{1\}', '[A-Za-z]+').replace(r'\{2\}', '[A-Za-z]+')
             .replace(r'\{3\}', '[A-Za-z]+')
             for fmt, _ in kreport.PATTERNS]
    if not any(re.fullmatch(k, kind) for k in kinds):
        return False
    return kreport.signature(kind, text, details) == sig


KNOWN_LEAKS = {}     # {function: reason} of the boot's "leak" lines


def read_vm_known(path, boot):
    """({("-", signature): reason} of BOOT's report lines, {N: reason} of
    its skip lines, errors); BOOT's leak lines go to KNOWN_LEAKS."""
    known, skips, errors = {}, {}, []
    if not path:
        return known, skips, errors
    try:
        f = open(path)
    except OSError as e:
        return known, skips, [f'{path}: {e.strerror}']
    with f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            parts = line.split(None, 2)
            if len(parts) >= 2 and parts[1] in ('case', 'skip'):
                m = re.match(r'(\d+) (\S.*)$', parts[2] if len(parts) == 3 else '')
                if not m:
                    errors.append(f'{path}:{n}: not "BOOT {parts[1]} N REASON": {line}')
                elif parts[1] == 'skip' and parts[0] == boot:
                    skips[int(m.group(1))] = m.group(2)
                continue
            m = re.match(r'(\S+) leak (\S+) -- (\S.*)$', line)
            if m:
                if not re.fullmatch(r'[A-Za-z_]\w*', m.group(2)):
                    errors.append(f'{path}:{n}: not a function name: {m.group(2)}')
                elif m.group(1) == boot:
                    KNOWN_LEAKS[m.group(2)] = m.group(3)
                continue
            m = re.match(r'(\S+) report (.+?) -- (\S.*)$', line)
            if not m:
                errors.append(f'{path}:{n}: not "BOOT case N REASON", "BOOT skip N REASON", '
                              f'"BOOT leak FUNCTION -- REASON" '
                              f'or "BOOT report SIGNATURE -- REASON": {line}')
                continue
            if not exact_signature(m.group(2)):
                errors.append(f'{path}:{n}: not an exact report signature (what '
                              f'kreport.py signature() prints, no patterns): {m.group(2)}')
                continue
            if m.group(1) == boot:
                known[('-', m.group(2))] = m.group(3)
    return known, skips, errors


def report_text(body, r, nxt):
    """The lines of report r: to its end marker, the next report or a limit."""
    out = []
    for i in range(r.first, min(len(body), nxt, r.first + REPORT_LINES)):
        text = body[i][1]
        out.append(text)
        if i > r.last and kreport.END.search(text):
            break
    return out


def context(body, idx, n, head):
    """n lines of the report at idx but its head line (a WARN's message and
    the lines after its head)."""
    out = []
    for i in range(idx + 1, len(body)):
        if len(out) >= n:
            break
        text = body[i][1]
        if text.startswith('devhold-vm: ') or not text.strip() or head in text:
            continue
        out.append(text)
    return out


IGT_LINE = re.compile(r'igt \S')


def parse_tap(lines, igt=False):
    """The TAP stream's counts; with igt, IGT subtest lines are counted
    apart (res["igt"]: pass, skip, fail), as igt-compare.py reads them."""
    res = dict(ok=0, skip=0, skips=[], notok=[], todo=0, plan=0, plans=0, bail=None,
               skip_all=None, start=None, exit=None, leaks=[], kmemleak=None,
               km_ended=False, km_scan=None, torture=[], cases=0,
               igt=dict(passed=0, skip=0, fail=0))
    in_km = False
    km_lines = []
    for ln in lines:
        if ln == '# kmemleak-begin':
            in_km = True
            res['kmemleak'] = True
            continue
        if ln == '# kmemleak-end':
            in_km = False
            res['km_ended'] = True
            continue
        if in_km:
            km_lines.append(ln[2:] if ln.startswith('# ') else ln)
            continue
        m = re.match(r'# kmemleak-scan: (\d+) of (\d+) scans done, report (read|not read)$', ln)
        if m:
            res['km_scan'] = (int(m.group(1)), int(m.group(2)), m.group(3) == 'read')
            continue
        m = re.match(r'# torture: (?:ran )?(\d+) of (\d+) iterations', ln)
        if m:
            res['torture'].append((int(m.group(1)), int(m.group(2)), ln))
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
            res['cases'] += 1
            desc = m.group(3)
            directive = re.search(r'#\s*(SKIP|TODO)\b', desc, re.I)
            d = directive.group(1).upper() if directive else None
            if igt and IGT_LINE.match(desc):
                res['igt']['fail' if m.group(1) else
                           'skip' if re.search(r'# SKIP', desc) else 'passed'] += 1
            elif d == 'SKIP':
                res['skip'] += 1
                res['ok'] += 1
                res['skips'].append((int(m.group(2) or res['cases']), ln))
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
            if re.match(r'1\.\.0\b.*#\s*SKIP\b', ln, re.I):
                res['skip_all'] = ln
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
    ap.add_argument('--vm-known', metavar='FILE', help='devtools/baseline/vm-known.txt')
    ap.add_argument('--boot', default='', help='the boot\'s name in --vm-known')
    ap.add_argument('--expect-failure', metavar='SIGS')
    ap.add_argument('--expect-also', metavar='SIGS')
    args = ap.parse_args()
    try:
        own = parse_sigs(args.expect_failure, '--expect-failure')
        also = parse_sigs(args.expect_also, '--expect-also')
    except ValueError as e:
        print(f'check-log: {e}')
        print('0 passed, 1 failed')
        return 1
    expect = bool(own)
    known, known_skips, known_errors = read_vm_known(args.vm_known, args.boot)

    clines = kreport.read_lines(args.console)
    tlines = kreport.read_lines(args.tap)
    for path, lines in ((args.console, clines), (args.tap, tlines)):
        if lines is None:
            print(f'check-log: {path}: cannot be read')
    clines, tlines = clines or [], tlines or []
    body, unexpected, bad_decl, declared, known_seen = kreport.judge(clines, known)
    tap = parse_tap(tlines, igt=args.boot == 'igt')

    # Each report with its lines, then the kmemleak section's leaks.
    firsts = sorted(r.first for r in unexpected + declared + [r for r, _ in known_seen])
    items = []
    known_leaks = []
    for head, details, frames in tap['leaks']:
        funcs = [m.group(1) for f in frames for m in [re.match(r'(?:\[<[0-9a-f]+>\] )?'
                                                            r'([A-Za-z_]\w*)', f)] if m]
        hit = next((fn for fn in funcs if fn in KNOWN_LEAKS), None)
        if hit:
            known_leaks.append((head, hit))
        else:
            items.append(('kmemleak: leak', head, [head] + (frames or details), None, None))
    all_leaks_known = bool(tap['leaks']) and len(known_leaks) == len(tap['leaks'])
    for r in unexpected:
        if all_leaks_known and r.kind == 'kmemleak: leak':
            known_leaks.append((r.head(body), 'the kmemleak section'))
            continue
        nxt = next((f for f in firsts if f > r.first), len(body))
        items.append((r.kind, r.head(body), report_text(body, r, nxt), r.first,
                      r.signature(body)))
    for i, (_, text) in enumerate(body):
        m = HOST.match(text)
        if m:
            items.append((f'host: {m.group(1)}', text, [text], i, None))

    kinds, bad_kinds, shown = [], [], {}
    own_seen = None
    for kind, head, text, idx, sig in items:
        info = Info(kind, head, text)
        verdict = None
        if expect:
            s = first_match(own, info)
            if s:
                verdict = f'the control\'s own report ({s})'
                own_seen = own_seen or (head, s)
            else:
                s = first_match(also, info)
                if s:
                    verdict = f'allowed in this control ({s})'
        if kind not in kinds:
            kinds.append(kind)
        if expect and not verdict and kind not in bad_kinds:
            bad_kinds.append(kind)
        shown[kind] = shown.get(kind, 0) + 1
        if shown[kind] > SHOW:
            continue
        print(f'report: {kind}')
        print(f'  {head}')
        if sig:
            print(f'  signature: {sig}')
        ctx = context(body, idx, CONTEXT, head) if idx is not None else text[1:1 + CONTEXT]
        for ln in ctx:
            print(f'    {ln.strip()}')
        rip = next((t.strip() for t in text if re.match(r'\s*RIP: [0-9a-f]{4}:', t)), None)
        if rip and rip not in (c.strip() for c in ctx):
            print(f'    {rip}')
        if expect:
            print(f'  -> {verdict or "unexpected in this control"}'
                  f'{"" if verdict else f" (at {info.where()})"}')
    for k in kinds:
        if shown.get(k, 0) > SHOW:
            print(f'report: {k}: {shown[k] - SHOW} more not shown')
    for r, why in known_seen:
        print(f'known report: {r.signature(body)} ({why})')
    for head, fn in known_leaks:
        why = KNOWN_LEAKS.get(fn, 'every leak of the section is known')
        print(f'known leak: {head} (in {fn}: {why})')
    seen_sigs = {r.signature(body) for r, _ in known_seen}
    for (_, sig), why in known.items():
        if sig not in seen_sigs:
            print(f'known report no longer seen, remove it: {sig} ({why})')

    # Summary.
    print('--- summary')
    print(f'console: {len(clines)} lines; tap: {len(tlines)} lines')
    if tap['start'] is None:
        print('vm: init never started the command (no "# devhold-vm: start")')
    else:
        status = tap['exit'] if tap['exit'] is not None else 'missing'
        print(f'vm: start {tap["start"]}; exit {status}')
    igt = tap['igt']
    nigt = sum(igt.values())
    ran = tap['ok'] + len(tap['notok']) + tap['todo'] + nigt
    print(f'tap: {tap["ok"]} ok ({tap["skip"]} skipped), {len(tap["notok"])} not ok, '
          f'{tap["todo"]} todo; plan {tap["plan"] if tap["plans"] else "missing"}, '
          f'{ran} ran')
    for ln in tap['notok']:
        print(f'  {ln}')
    if tap['bail']:
        print(f'  {tap["bail"]}')
    if nigt:
        print(f'igt: {nigt} subtests, {igt["passed"]} pass, {igt["skip"]} skip, '
              f'{igt["fail"]} fail: judged against the base by igt-compare.py')
    if tap['kmemleak'] is None:
        print('kmemleak: no section')
    elif tap['kmemleak'] is False:
        print('kmemleak: not available in the guest')
    else:
        scan = tap['km_scan']
        done = f'{scan[0]} of {scan[1]} scans done' if scan else 'no scan recorded'
        print(f'kmemleak: {len(tap["leaks"])} unreferenced objects; {done}')
    print(f'kernel reports: {len(items)}; kinds: {", ".join(kinds) if kinds else "none"}; '
          f'{len(declared)} declared, {len(known_seen)} known')

    failed = len(known_errors) + len(bad_decl)
    for e in known_errors:
        print(f'failure: known-reports file: {e}')
    for d in bad_decl:
        print(f'failure: {d}')
    if expect:
        # The report may kill the guest before the scenario's own "ok":
        # only a scenario that reported failing itself does not count.
        if not own_seen:
            print(f'expected failure NOT seen: {args.expect_failure}')
            failed += 1
        elif tap['notok'] or tap['skip'] or tap['start'] is None:
            print(f'expected failure seen, but the scenario did not run as meant: '
                  f'{own_seen[0]}')
            failed += 1
        else:
            print(f'expected failure seen: {own_seen[0]} ({own_seen[1]})')
        for k in bad_kinds:
            print(f'failure: a report this control does not make: {k}')
        failed += len(bad_kinds)
        passed = 0 if failed else 1
    else:
        passed = tap['ok'] - tap['skip'] + igt['passed']
        failed += len(tap['notok']) + len(kinds)
        # A skip proves nothing: each fails the boot unless it is known.
        for n, ln in tap['skips']:
            if n in known_skips:
                print(f'known skip: {ln} ({known_skips[n]})')
            else:
                print(f'failure: a case skipped (not a known skip of this boot): {ln}')
                failed += 1
        for n, why in known_skips.items():
            if n not in (k for k, _ in tap['skips']):
                print(f'known skip no longer seen, remove it: case {n} ({why})')
        if tap['skip_all']:
            print(f'failure: the command skipped everything: {tap["skip_all"]}')
            failed += 1
        elif passed == 0:
            print('failure: no case passed')
            failed += 1
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
        elif not tap['km_ended']:
            print('failure: the kmemleak section never ended')
            failed += 1
        elif not tap['km_scan'] or tap['km_scan'][0] < tap['km_scan'][1] or \
                tap['km_scan'][1] < 1 or not tap['km_scan'][2]:
            print('failure: the kmemleak section shows no completed scan '
                  '(no "# kmemleak-scan: N of N scans done, report read")')
            failed += 1
        for n, m, ln in tap['torture']:
            if n < m:
                print(f'failure: torture ran {n} of {m} iterations: {ln}')
                failed += 1
    print(f'{passed} passed, {failed} failed')
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
