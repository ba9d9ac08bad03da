#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Find kernel reports in a kernel log: the one list every devhold judge uses.

usage: kreport.py [--kunit] [--known FILE] LOG...
       kreport.py [--kunit] --make-known FILE LOG...

The VM judge (check-log.py) and the KUnit tiers' judge (devtools/judge.sh,
through this command) read the same PATTERNS: KASAN, KFENCE, BUG (sleeping
in atomic context, spinlock, Bad page state, soft lockups, workqueue
lockups, lockdep's BUGs), Oops, general protection faults, kernel BUG at,
panics, hung tasks, every lockdep report title, lockdep turning itself off,
suspicious RCU usage, RCU stalls of every kind, kmemleak (leaks, and the
detector disabling itself), ODEBUG, refcount_t, UBSAN, hard lockups, list
corruption and plain WARN()s.

A WARN a test provokes on purpose is declared by that test around the
code that provokes it: a line holding "kreport: expect N at F1,F2" (N WARNs,
from any task, each raised in one of the functions F1, F2...) before, and
one holding "kreport: end" after; "kreport: expect up to N at ..." for a
WARN_ONCE() that an earlier case may have fired already.  Inside such a block those WARNs are
counted, not failed; a block that saw a number other than N fails, and so
does a block that never ends or names no function.  Only plain WARN()s can
be declared: any other report (KASAN, lockdep, an Oops, a stall, ...)
inside a block is unexpected all the same.  (A KUnit test whose
WARN comes from its own task uses KUnit's warning suppression instead, and
prints nothing.)

A report the base kernel also prints under the same configuration is listed
in a known-reports file, one per line, exactly:

    KNOWN <where> <signature> -- <reason>

<where> is the KUnit case (suite.case) it happens in, or "-" outside any
case; <signature> is what signature() makes of the report's first line
(kind and place, with numbers, addresses and task names taken out).  No
patterns: a line matches one report signature and nothing else.

--make-known writes FILE from logs of the base (one per run): every report
seen, with "seen in k of n runs" and the reason already written there for
it ("TODO: reason" for a new one).

With --kunit, a report is attributed to the KUnit case it happens in (the
"# Subtest:" lines and the next case result).  Prints one line per report
that is neither declared nor known,

    report: <where>: <signature>

then "kreport: N unexpected, N declared, N known"; exits 1 iff a report was
unexpected, a declaration failed, or a known report's line is malformed.
"""
import argparse
import re
import sys

# Console line prefix: optional "<lvl>", timestamp, caller id ([T123]/[C1]).
PREFIX = re.compile(r'^(?:<\d+>)?\s*\[\s*\d+\.\d+\](?: ?\[\s*([TC]\d+)\])? ?')

# (kind, regex) in priority order: the first that matches a line names it.
# The kind is a format string over the match's groups.
PATTERNS = [
    ('KASAN: {0}', r'BUG: KASAN: ([\w-]+)'),
    ('KFENCE: {0}', r'BUG: KFENCE: ([\w-]+)'),
    ('KMSAN: {0}', r'BUG: KMSAN: ([\w-]+)'),
    ('KCSAN: {0}', r'BUG: KCSAN: ([\w-]+)'),
    # lockdep's report titles, its BUGs and its turning itself off.
    ('lockdep: possible circular locking', r'WARNING: possible circular locking'),
    ('lockdep: inconsistent lock state', r'WARNING: inconsistent lock state'),
    ('lockdep: possible recursive locking', r'WARNING: possible recursive locking'),
    ('lockdep: irq lock inversion', r'WARNING: possible irq lock inversion'),
    ('lockdep: {0}-safe -> {1}-unsafe', r'WARNING: ([A-Z]+)-safe -> ([A-Z]+)-unsafe'),
    ('lockdep: {0}-{1}-safe -> {2}-{3}-unsafe',
     r'WARNING: ([A-Z]+)-([A-Z]+)-safe -> ([A-Z]+)-([A-Z]+)-unsafe'),
    ('lockdep: bad unlock balance', r'WARNING: bad unlock balance'),
    ('lockdep: held lock freed', r'WARNING: held lock freed'),
    ('lockdep: lock held when returning to user space',
     r'WARNING: lock held when returning to user space'),
    ('lockdep: nested lock was not taken', r'WARNING: Nested lock was not taken'),
    ('lockdep: lock held at task exit', r'WARNING: lock held by .* is freed|'
     r'WARNING: .* still has locks held'),
    ('suspicious RCU usage', r'suspicious RCU usage'),
    ('lockdep: invalid wait context', r'BUG: Invalid wait context'),
    ('lockdep: key not registered', r'BUG: key \S+ has not been registered'),
    ('lockdep: non-static key', r'INFO: trying to register non-static key'),
    ('lockdep: {0} too low', r'BUG: (MAX_[A-Z_]+) too low'),
    ('lockdep: turned off', r'turning off the locking correctness validator|'
     r'INFO: lockdep is turned off|debug_locks_off|'
     r'lockdep bfs error'),
    ('lockdep: DEBUG_LOCKS_WARN_ON', r'DEBUG_LOCKS_WARN_ON\('),
    # RCU stalls of every kind (normal, self-detected, expedited, tasks).
    ('RCU stall: {0}', r'INFO: (\S+) (?:self-)?detected (?:expedited )?stalls?\b'),
    ('RCU stall: {0}', r'INFO: (\S+) detected stalls on tasks'),
    ('RCU stall', r'rcu: .*(?:RCU grace-period kthread starved|'
     r'rcu_\w+ kthread (?:starved|timer wakeup didn\'t happen))'),
    ('hung task', r'INFO: task \S+ blocked for more than'),
    ('hung task', r'INFO: task \S+ blocked on'),
    ('soft lockup', r'BUG: soft lockup'),
    ('hard lockup', r'(?i:watchdog detected hard lockup)'),
    ('workqueue lockup', r'BUG: workqueue lockup'),
    ('kmemleak: leak', r'kmemleak: \d+ new suspected memory leaks|unreferenced object 0x'),
    ('kmemleak: disabled', r'kmemleak: .*(?:[Dd]etector disabled|disabled|'
     r'Cannot allocate|Memory pool empty)'),
    ('ODEBUG', r'ODEBUG: '),
    ('refcount_t: {0}', r'refcount_t: ([\w -]+)'),
    ('UBSAN: {0}', r'UBSAN: ([\w-]+)'),
    ('list corruption', r'(?:list_add|list_del|list_head|hlist_\w+) corruption'),
    ('stack corruption', r'stack-protector: Kernel stack is corrupted|'
     r'stack guard page was hit|Kernel stack overflow'),
    ('general protection fault', r'general protection fault'),
    ('unable to handle page fault', r'(?i:unable to handle (?:kernel )?page fault)'),
    ('BUG: {0}', r'(?<![A-Za-z_])BUG: ([A-Za-z][\w -]*)'),
    ('BUG', r'kernel BUG at '),
    ('Oops', r'(?<![A-Za-z_])Oops\b'),
    ('panic', r'Kernel panic'),
    ('WARNING', r'WARNING: (?:CPU: |\S+:\d+ at )'),
    ('WARNING: {0}', r'(?<![A-Za-z_])WARNING: ([A-Za-z][\w -]*)'),
    ('WARN', r'-+\[ cut here \]-+'),
]
ANY = re.compile('|'.join(f'(?:{r})' for _, r in PATTERNS))
PATTERNS = [(k, re.compile(r)) for k, r in PATTERNS]
ORDER = {fmt.split(':')[0]: i for i, (fmt, _) in enumerate(PATTERNS)}

# Lines never taken as reports: the command line, the judges' own lines,
# the declarations below, and KTAP's result and diagnostic lines (a test's
# name or message is not a report).
IGNORE = re.compile(r'Kernel command line:|^Command line:|^devhold-vm: |kreport: |'
                    r'^\s*(?:not )?ok \d+ |^\s*# ')

# The kinds a test may declare: plain WARN()s.
DECLARABLE = re.compile(r'^WARN(?:ING)?$|^WARNING: (?!possible|inconsistent|bad unlock|'
                        r'held lock|suspicious|lock held|Nested)')

EXPECT = re.compile(r'kreport: expect (up to )?(\d+)(?: at ([\w.,]+))?')
EXPECT_END = re.compile(r'kreport: end\b')

# Lines that end a report; a later hit starts a new one.
END = re.compile(r'---\[ end (?:trace|Kernel panic)|^=+$')
MERGE_LINES = 8      # hits this close to a report's last hit belong to it


def read_lines(path):
    """The log's lines, or None when it cannot be read."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    text = data.decode('utf-8', errors='replace')
    if text.endswith('\n'):
        text = text[:-1]
    if not text:
        return []
    return [ln.replace('\r', '').rstrip() for ln in text.split('\n')]


def kind_of(line):
    """(kind, column) of a report line, or None."""
    if not ANY.search(line) or IGNORE.search(line):
        return None
    for fmt, rx in PATTERNS:
        m = rx.search(line)
        if m:
            groups = [re.sub(r'\s+', ' ', g or '').strip() for g in m.groups()]
            # Addresses, numbers and " at/in <place>" tails are not the kind.
            groups = [re.sub(r'\b(?:at|in|for|on)\b.*$', '', g).strip() for g in groups]
            groups = [re.sub(r'\s*\b(?:0x)?[0-9a-f]*\d[0-9a-f]*\b.*$', '', g).strip()
                      for g in groups]
            return fmt.format(*groups), m.start()
    return None


def normalise(text):
    """A line without numbers, addresses, CPUs, PIDs, task names, offsets,
    line numbers, compiler clone suffixes and tree paths."""
    s = TREE_PREFIX.sub('', text)
    s = re.sub(r'\.(?:cold|isra|part|constprop|llvm)(?:\.\d+)*\b', '', s)
    s = re.sub(r'\bkworker/[\w:.+-]+', 'kworker', s)
    s = re.sub(r'\+0x[0-9a-f]+/0x[0-9a-f]+', '', s)
    s = re.sub(r'\.(c|h|rs):\d+', r'.\1', s)
    s = re.sub(r'\bCPU[#:]? ?\d+', 'CPU', s)
    s = re.sub(r'\bPID: \d+', 'PID', s)
    s = re.sub(r'\b(?:0x)?[0-9a-f]{6,}\b', '_', s)
    s = re.sub(r'\b\d+(s|ms|us|ns)\b', r'N\1', s)
    s = re.sub(r'\b\d+\b', 'N', s)
    s = re.sub(r'(CPU: )\S+/N', r'\1', s)
    s = re.sub(r'(?<=[,:] )[\w.:-]+/N\b', 'TASK', s)
    return re.sub(r'\s+', ' ', s).strip()


def signature(kind, text, details=()):
    """A report's identity: its kind, its title line and its details, all
    normalised."""
    return ' | '.join([kind, normalise(text)] + [normalise(d) for d in details])


CUT = re.compile(r'-+\[ cut here \]-+')
# lockdep's "(&domain->lock){+.+.}-{3:3}" and "(rcu_read_lock){....}".
LOCK_CLASS = re.compile(r'\(([^(){}\s]+)\)\{[^}]*\}')
DETAIL_LINES = 40
FRAME = re.compile(r'^\s*(?:\? )?([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+')
# The reporting code's own frames: not what tells reports apart.
HELPERS = re.compile(r'^(?:dump_stack\w*|show_stack|__warn\w*|warn_\w+|report_bug|'
                     r'handle_bug|exc_invalid_op|asm_exc_\w+|__might_\w+|might_\w+|'
                     r'__schedule_bug|schedule\w*|refcount_warn_saturate|'
                     r'debug_print_object|debug_object_\w+|lockdep_\w+|'
                     r'__lock_acquire|lock_acquire|print_\w+|ubsan_\w+|__ubsan_\w+|'
                     r'kasan_\w+|__asan_\w+|check_\w+|__list_\w+_valid\w*|'
                     r'__bad_\w+|bad_page\w*|__dump_page|dump_page)$')


def first_frame(lines):
    """The first call-trace frame outside the reporting code."""
    seen = False
    for t in lines:
        if 'Call Trace:' in t:
            seen = True
            continue
        m = FRAME.match(t)
        if seen and m and not t.strip().startswith('?'):
            name = re.sub(r'\.(?:cold|isra|part|constprop)(?:\.\d+)*$', '', m.group(1))
            if not HELPERS.match(name):
                return name
    return None


# Whatever leads to a kernel source path (the build's relative srctree, a
# checkout or cache directory) is not part of a report's identity: the
# same report of the base and of the series, built in other directories,
# must compare equal.
TREE_PREFIX = re.compile(r'(?<![\w/.-])[\w./~+-]*/(?=(?:arch|block|certs|crypto|drivers|fs|'
                         r'include|init|io_uring|ipc|kernel|lib|mm|net|rust|samples|'
                         r'security|sound|virt)/)')


class Report:
    """One report: the console lines from its first hit to its last."""

    def __init__(self, kind, idx, caller, col=0):
        self.kinds = [kind]
        self.col = col
        self.first = idx
        self.last = idx
        self.caller = caller
        self.hits = [idx]
        self.hit_kinds = [kind]
        self.hit_cols = [col]
        self.where = '-'
        self.declared = None

    @property
    def kind(self):
        """The most specific kind seen in the report."""
        return min(self.kinds, key=lambda k: ORDER.get(k.split(':')[0], 99))

    def head(self, body):
        """The line that named the report's kind."""
        kind = self.kind
        for i, k, col in zip(self.hits, self.hit_kinds, self.hit_cols):
            if k == kind:
                return body[i][1][col:].strip()
        return body[self.first][1][self.col:].strip()

    def function(self, body):
        """The function a WARN's title names ("at FUNC+0x...")."""
        m = re.search(r'\bat (?:\S+:\d+ )?([A-Za-z_][\w.]*)\+0x', self.head(body))
        return re.sub(r'\.(?:cold|isra|part|constprop)(?:\.\d+)*$', '', m.group(1)) if m else None

    def signature(self, body):
        """Kind, title line and what tells two reports of one kind apart:
        a WARN's message, lockdep's lock classes, the first frame of the
        call trace outside the reporting code."""
        return signature(self.kind, self.head(body), self.details(body))

    def details(self, body):
        lines = [t for c, t in body[self.first:self.last + 1 + DETAIL_LINES]
                 if not self.caller or not c or c == self.caller]
        end = next((i for i, t in enumerate(lines) if i and END.search(t)), len(lines))
        lines = lines[:end]
        out = []
        kind = self.kind
        if kind.startswith('WARN'):
            # WARN(cond, fmt): the message between cut-here and the title.
            for t in lines:
                if kind_of(t) and kind_of(t)[0] == 'WARNING':
                    break
                if not CUT.search(t) and t.strip():
                    out.append(t.strip())
                    break
        if kind.startswith('lockdep') or kind == 'suspicious RCU usage':
            classes = sorted({m.group(1) for t in lines for m in LOCK_CLASS.finditer(t)})
            out += classes[:6]
            for t in lines[1:4]:
                m = re.search(r'(\S+\.[ch]:\d+ .*)', t)
                if m and kind == 'suspicious RCU usage':
                    out.append(m.group(1))
                    break
        if not kind.startswith(('WARN', 'lockdep', 'KASAN', 'KFENCE', 'RCU stall',
                                'hung task', 'kmemleak')):
            frame = first_frame(lines)
            if frame:
                out.append(frame)
        return out


# Kinds a WARN prints before its WARNING title (its message).
MESSAGES = ('refcount_t', 'lockdep: DEBUG_LOCKS_WARN_ON', 'ODEBUG', 'list corruption',
            'UBSAN', 'stack corruption')
# Kinds that are the Oops of a fault or BUG already reported.
FAULTS = ('BUG', 'KASAN', 'KFENCE', 'unable to handle page fault',
          'general protection fault', 'Oops')


def base_kind(kind):
    return kind.split(':')[0] if not kind.startswith('lockdep: DEBUG') else kind


def belongs(kind, kinds):
    """Whether a hit of kind continues a report that has kinds."""
    titles = [k for k in kinds if k != 'WARN' and base_kind(k) not in MESSAGES]
    if not titles:
        # Only a cut-here line or a WARN's message so far: its title or
        # more of its message.
        return True
    if base_kind(kind) in FAULTS and all(base_kind(k) in FAULTS for k in titles):
        # "BUG: unable to handle page fault" ... "Oops:"; "kernel BUG at"
        # ... "Oops: invalid opcode"; KASAN's "general protection fault".
        return 'Oops' not in titles or kind != 'Oops'
    return False


def split_prefix(lines):
    """(caller, text) per console line."""
    body = []
    for ln in lines:
        m = PREFIX.match(ln)
        if m:
            body.append((m.group(1), ln[m.end():]))
        else:
            body.append((None, ln))
    return body


REPLAY = '** replaying previous printk message **'


def unreplay(lines):
    """The console without printk's replays: when a WARN on one CPU takes
    the console over from another, printk prints REPLAY and the
    interrupted message again; the cut-short copy before REPLAY goes."""
    out = []
    for ln in lines:
        if ln.strip() == REPLAY or PREFIX.sub('', ln).strip() == REPLAY:
            if out:
                out.pop()
            continue
        out.append(ln)
    return out


def scan(lines):
    """Group the report lines of a console: (body, reports)."""
    body = split_prefix(unreplay(lines))
    reports = []
    cur = None
    ended = False
    for i, (caller, text) in enumerate(body):
        if cur and END.search(text) and (caller == cur.caller or not caller):
            ended = True
        k = kind_of(text)
        if not k:
            continue
        kind, col = k
        # Two CPUs' reports may interleave: every WARN begins with its
        # cut-here line, and a report has one title, but for the lines
        # one report's own format prints after it (an Oops after a BUG).
        same = cur and not ended and i - cur.last <= MERGE_LINES and \
            caller == cur.caller and \
            kind != 'panic' and 'panic' not in cur.kinds and \
            kind != 'WARN' and belongs(kind, cur.kinds)
        if same:
            cur.kinds.append(kind)
            cur.last = i
            cur.hits.append(i)
            cur.hit_kinds.append(kind)
            cur.hit_cols.append(col)
        else:
            cur = Report(kind, i, caller, col)
            reports.append(cur)
            ended = False
    return body, reports


def declarations(body, reports):
    """Mark the reports inside "kreport: expect N" blocks; return the
    failed declarations as messages."""
    blocks = []
    start = None
    for i, (_, text) in enumerate(body):
        m = EXPECT.search(text)
        if m:
            if start is not None:
                blocks.append((start[0], i, *start[1:], 'not ended before the next one'))
            start = (i, int(m.group(2)), set((m.group(3) or '').split(',')) - {''},
                     bool(m.group(1)))
            continue
        if EXPECT_END.search(text):
            if start is None:
                blocks.append((i, i, -1, set(), False, 'ended without a start'))
            else:
                blocks.append((start[0], i, start[1], start[2], start[3],
                               None if start[2] else 'names no function'))
            start = None
    if start is not None:
        blocks.append((start[0], len(body), *start[1:], 'never ended'))
    bad = []
    for b0, b1, n, places, up_to, why in blocks:
        inside = [r for r in reports if b0 < r.first < b1 and DECLARABLE.match(r.kind)
                  and r.function(body) in places]
        for r in inside:
            r.declared = b0
        where = f'line {b0 + 1}'
        if why:
            bad.append(f'declaration at {where}: {why}')
        elif len(inside) > n if up_to else len(inside) != n:
            kinds = ', '.join(r.kind for r in inside) or 'none'
            bad.append(f'declaration at {where}: expected {"up to " if up_to else ""}{n} '
                       f'reports, saw {len(inside)} ({kinds})')
    return bad


# KTAP: "# Subtest: NAME" opens a suite (or a parameterised case); a case
# ends with its result line.
SUBTEST = re.compile(r'^(\s*)# Subtest: (\S+)')
# A case's diagnostic line: KUnit prefixes it with the case's name.
DIAG = re.compile(r'^\s*# ([A-Za-z_]\w*): ')
RESULT = re.compile(r'^(\s*)(?:not )?ok \d+ (?:- )?([^#\s]+)')


def attribute_kunit(body, reports):
    """Set each report's where to suite.case of the KUnit case it is in."""
    # Per line: the innermost open suite and the case that ends next.
    suite_at = [None] * len(body)
    suites = []     # (indent, name)
    for i, (_, text) in enumerate(body):
        m = SUBTEST.match(text)
        if m:
            ind = len(m.group(1).expandtabs())
            while suites and suites[-1][0] >= ind:
                suites.pop()
            suites.append((ind, m.group(2)))
        m = RESULT.match(text)
        if m:
            ind = len(m.group(1).expandtabs())
            # KTAP prints a suite's header at its cases' indent and its
            # result one level out: a result closes the deeper headers.
            while suites and suites[-1][0] > ind:
                suites.pop()
        suite_at[i] = suites[0][1] if suites else None
    results = [(i, len(m.group(1).expandtabs()), m.group(2))
               for i, (_, t) in enumerate(body) for m in [RESULT.match(t)] if m]
    for r in reports:
        suite = suite_at[r.first]
        if not suite:
            continue
        # The first result line after the report one level inside the
        # top suite names the case (parameterised cases nest deeper).
        case = None
        for i, ind, name in results:
            if i <= r.first:
                continue
            if ind == 0:
                break
            if ind <= 8 and name != suite:
                case = name
                if ind <= 4:
                    break
        if not case:
            # No result follows: the kernel died in a case.  It is the
            # one whose diagnostic lines came after the last result.
            last = max((i for i, _, _ in results if i < r.first), default=-1)
            for j in range(r.first - 1, last, -1):
                m = DIAG.match(body[j][1])
                if m and m.group(1) not in (suite, 'Subtest', 'module'):
                    case = m.group(1)
                    break
        r.where = f'{suite}.{case}' if case else suite


def read_known(path):
    """{(where, signature): reason} of a known-reports file; errors."""
    known, errors = {}, []
    if not path:
        return known, errors
    try:
        f = open(path)
    except OSError as e:
        return known, [f'{path}: {e.strerror}']
    with f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            m = re.match(r'KNOWN (\S+) (.+?) -- (\S.*)$', line)
            if not m:
                errors.append(f'{path}:{n}: not "KNOWN <where> <signature> -- <reason>"')
                continue
            if m.group(3).startswith('TODO'):
                errors.append(f'{path}:{n}: no reason written ("TODO")')
            known[(m.group(1), m.group(2))] = m.group(3)
    return known, errors


def judge(lines, known=None, kunit=False):
    """(unexpected reports, failed declarations, declared, known) of a log."""
    body, reports = scan(lines)
    if kunit:
        attribute_kunit(body, reports)
    bad_decl = declarations(body, reports)
    unexpected, declared, known_seen = [], [], []
    for r in reports:
        if r.declared is not None:
            declared.append(r)
            continue
        sig = r.signature(body)
        if known and (r.where, sig) in known:
            known_seen.append((r, known[(r.where, sig)]))
            continue
        unexpected.append(r)
    return body, unexpected, bad_decl, declared, known_seen


def lockdep_lost(lines):
    """The suites that ran after lockdep turned itself off in a KUnit log:
    [(the report's case, signature, the suites after it)]."""
    body, reports = scan(lines)
    attribute_kunit(body, reports)
    out = []
    for r in reports:
        if not r.kind.startswith('lockdep'):
            continue
        after = [m.group(2) for _, t in body[r.last + 1:] for m in [SUBTEST.match(t)]
                 if m and not m.group(1).strip('\t')[4:]]
        if after:
            out.append((r.where, r.signature(body), after))
        break
    return out


def make_known(path, logs, kunit):
    """Rewrite a known-reports file from base runs' logs."""
    old, _ = read_known(path) if path else ({}, [])
    # A run's own log and those of its isolated modules' boots (NAME.test.log,
    # NAME-isolated-MODULE.test.log) are one run.
    runs = len({re.sub(r'-isolated-[\w-]+(?=\.test\.log$)', '', lg) for lg in logs})
    seen = {}
    for log in logs:
        lines = read_lines(log) or []
        body, reports = scan(lines)
        if kunit:
            attribute_kunit(body, reports)
        declarations(body, reports)
        for key in {(r.where, r.signature(body)) for r in reports if r.declared is None}:
            seen[key] = seen.get(key, 0) + 1
    with open(path, 'w') as f:
        f.write('# Kernel reports the unpatched base prints in this tier, written by\n'
                '# "make baseline" (kreport.py --make-known): KNOWN <where> <signature>\n'
                '# -- <reason>; the reasons are written by hand and kept.\n')
        for (where, sig), k in sorted(seen.items()):
            why = old.get((where, sig), 'TODO: reason')
            why = re.sub(r' \(seen in \d+ of \d+ base runs\)$', '', why)
            f.write(f'KNOWN {where} {sig} -- {why} (seen in {k} of {runs} base runs)\n')
    print(f'kreport: {len(seen)} known reports written to {path}')
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--kunit', action='store_true',
                    help='attribute reports to KUnit cases')
    ap.add_argument('--known', metavar='FILE', help='known reports of the base')
    ap.add_argument('--make-known', metavar='FILE', help='write FILE from base logs')
    ap.add_argument('--lockdep-whole', action='store_true',
                    help='fail when lockdep turned itself off before later suites ran')
    ap.add_argument('--prefix', default='', help='prefix of each output line')
    ap.add_argument('logs', nargs='+')
    args = ap.parse_args()
    if args.make_known:
        return make_known(args.make_known, args.logs, args.kunit)
    if args.lockdep_whole:
        bad = 0
        for path in args.logs:
            lines = read_lines(path)
            if lines is None:
                print(f'{args.prefix}FAILED {path}: cannot be read')
                bad += 1
                continue
            for where, sig, after in lockdep_lost(lines):
                print(f'{args.prefix}FAILED lockdep turned itself off in {where} ({sig}); '
                      f'{len(after)} suites ran after it without lockdep, from {after[0]}: '
                      'run its module in a boot of its own (ISOLATE_ in the Makefile)')
                bad += 1
        return 1 if bad else 0
    known, errors = read_known(args.known)
    p = args.prefix
    for e in errors:
        print(f'{p}FAILED known-reports file: {e}')
    total_bad = len(errors)
    nd = nk = 0
    for path in args.logs:
        lines = read_lines(path)
        if lines is None:
            print(f'{p}FAILED {path}: cannot be read')
            total_bad += 1
            continue
        body, unexpected, bad_decl, declared, known_seen = judge(lines, known, args.kunit)
        for r in unexpected:
            print(f'{p}report: {r.where}: {r.signature(body)}')
        for d in bad_decl:
            print(f'{p}FAILED {d}')
        for r, why in known_seen:
            print(f'{p}known report: {r.where}: {r.signature(body)} ({why})')
        total_bad += len(unexpected) + len(bad_decl)
        nd += len(declared)
        nk += len(known_seen)
    print(f'{p}kreport: {total_bad} unexpected, {nd} declared, {nk} known')
    return 1 if total_bad else 0


if __name__ == '__main__':
    sys.exit(main())
