"""The KUnit tiers' judges: kreport.py (kernel reports), compare.py (cases
against the baseline), judge.sh (both, end to end) and the mutants' verdict."""
import os

import run as r

KREPORT = r.REPO / 'tools/testing/selftests/devhold/vm/kreport.py'
COMPARE = r.REPO / 'devtools/compare.py'
JUDGE = r.REPO / 'devtools/judge.sh'
VERDICT = r.REPO / 'devtools/mutant-verdict.sh'

TS = '[   12.345678] '


def ktap(suite, cases, inside=()):
    """A KTAP log of one suite; inside: (case index, lines) printed while
    that case runs."""
    out = [TS + 'KTAP version 1', TS + '1..1', TS + '    KTAP version 1',
           TS + f'    # Subtest: {suite}', TS + f'    # module: {suite}',
           TS + f'    1..{len(cases)}']
    extra = dict(inside)
    for i, (name, ok) in enumerate(cases, 1):
        out += [TS + ln if not ln.startswith('[') else ln for ln in extra.get(i, [])]
        out.append(TS + f'    {"ok" if ok else "not ok"} {i} {name}')
    out.append(TS + f'ok 1 {suite}')
    return out


def write(path, lines):
    path.write_text('\n'.join(lines) + '\n')
    return path


CLEAN = ktap('devhold', [('devhold_test_a', True), ('devhold_test_b', True)], [
    (1, ['    # devhold_test_a: an info line naming /home/u/devhold/build/work',
         'devhold: domain devhold-test: 0 objects, 0 holds',
         'Kernel command line: root=/dev/vda devhold.debug_delay=0 BUG: nothing'])])

WARN = ['------------[ cut here ]------------',
        'WARNING: lib/devhold.c:98 at devhold_put+0x1a/0x40, CPU#1: kunit_try_catch/123',
        'Modules linked in:',
        'CPU: 1 UID: 0 PID: 123 Comm: kunit_try_catch Tainted: G        W        N  7.3.4 #1',
        'Call Trace:', ' <TASK>', ' devhold_put+0x1a/0x40', ' </TASK>',
        '---[ end trace 0000000000000000 ]---']

# One console excerpt per report format the judges must fail on.
REPORTS = {
    'plain WARN (new format)': WARN,
    'plain WARN (old format)': ['WARNING: CPU: 0 PID: 1 at drivers/gpu/drm/drm_drv.c:1080 drm_going+0x10/0x20'],
    'refcount_t': ['refcount_t: underflow; use-after-free.',
                   'WARNING: lib/refcount.c:28 at refcount_warn_saturate+0x1/0x2, CPU#0: kworker/0:1/9'],
    'lockdep_assert_held': ['WARNING: lib/devhold.c:300 at devhold_x+0x1/0x2, CPU#0: kunit_try_catch/9'],
    'ODEBUG': ['ODEBUG: free active (active state 0) object: 00000000deadbeef object type: work_struct hint: devhold_work+0x0/0x10'],
    'KASAN': ['BUG: KASAN: slab-use-after-free in devhold_put+0x1/0x2',
              'Write of size 4 at addr ffff888012345678 by task kworker/1:2/77'],
    'KFENCE': ['BUG: KFENCE: use-after-free read in devhold_work+0x1/0x2'],
    'UBSAN': ['UBSAN: shift-out-of-bounds in lib/devhold.c:12:3'],
    'BUG sleeping': ['BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580'],
    'BUG scheduling while atomic': ['BUG: scheduling while atomic: kworker/0:1/9/0x00000002'],
    'BUG spinlock': ['BUG: spinlock bad magic on CPU#0, kunit_try_catch/123'],
    'Bad page state': ['BUG: Bad page state in process kunit_try_catch  pfn:1234'],
    'Oops': ['Oops: general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP KASAN'],
    'general protection fault': ['general protection fault, probably for non-canonical address 0x6b6b6b6b6b6b6b6b'],
    'page fault': ['BUG: unable to handle page fault for address: ffffffffc0a01234'],
    'kernel BUG at': ['kernel BUG at lib/list_debug.c:62!'],
    'panic': ['Kernel panic - not syncing: Fatal exception'],
    'hung task': ['INFO: task kunit_try_catch:123 blocked for more than 122 seconds.'],
    'lockdep circular': ['WARNING: possible circular locking dependency detected'],
    'lockdep inconsistent': ['WARNING: inconsistent lock state'],
    'lockdep recursive': ['WARNING: possible recursive locking detected'],
    'lockdep irq inversion': ['WARNING: possible irq lock inversion dependency detected'],
    'lockdep safe-unsafe': ['WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected'],
    'lockdep softirq safe-unsafe': ['WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected'],
    'lockdep bad unlock': ['WARNING: bad unlock balance detected!'],
    'lockdep held lock freed': ['WARNING: held lock freed!'],
    'lockdep key not registered': ['BUG: key ffff888012345678 has not been registered!'],
    'lockdep MAX too low': ['BUG: MAX_LOCKDEP_CHAIN_HLOCKS too low!'],
    'lockdep turned off': ['turning off the locking correctness validator.'],
    'lockdep invalid wait context': ['BUG: Invalid wait context'],
    'suspicious RCU usage': ['WARNING: suspicious RCU usage'],
    'RCU stall': ['rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:'],
    'RCU self-detected stall': ['rcu: INFO: rcu_preempt self-detected stall on CPU'],
    'RCU expedited stall': ['rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21 jiffies s: 13 root: 0x2/.'],
    'RCU tasks stall': ['INFO: rcu_tasks detected stalls on tasks:'],
    'soft lockup': ['watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [kworker/1:1:40]'],
    'hard lockup': ['NMI watchdog: Watchdog detected hard LOCKUP on cpu 1'],
    'workqueue lockup': ['BUG: workqueue lockup - pool cpus=1 node=0 flags=0x0 nice=0 stuck for 32s!'],
    'kmemleak leak': ['kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)'],
    'kmemleak disabled': ['kmemleak: Kernel memory leak detector disabled'],
    'list corruption': ['list_del corruption, ffff888012345678->next is LIST_POISON1 (dead000000000100)'],
    'stack protector': ['Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: devhold_x+0x1/0x2'],
}


def kreport(tmp, lines, *args):
    log = write(tmp / 'test.log', lines)
    return r.run(['python3', str(KREPORT), '--kunit', *args, str(log)])


def report_case(lines):
    return lambda tmp: kreport(tmp, ktap('devhold', [('devhold_test_a', True)],
                                         [(1, lines)]))


def declared(n, lines, end=True, at=' at devhold_put', up_to=False):
    body = ['    # devhold_test_a: kreport: expect %s%d%s' % ('up to ' if up_to else '', n, at)]
    body += lines
    if end:
        body.append('    # devhold_test_a: kreport: end')
    return lambda tmp: kreport(tmp, ktap('devhold', [('devhold_test_a', True)], [(1, body)]))


def known_case(line):
    def fn(tmp):
        log = ktap('drm_framebuffer', [('drm_test_framebuffer_free', True)], [(1, WARN)])
        write(tmp / 'test.log', log)
        # The signature the judge prints for the report, listed as known.
        _, out = r.run(['python3', str(KREPORT), '--kunit', str(tmp / 'test.log')])
        sig = next(ln for ln in out.splitlines() if ln.startswith('report: '))
        where, s = sig[len('report: '):].split(': ', 1)
        (tmp / 'known').write_text(line.format(where=where, sig=s) + '\n')
        return r.run(['python3', str(KREPORT), '--kunit', '--known', str(tmp / 'known'),
                      str(tmp / 'test.log')])
    return fn


def two_logs(tmp):
    write(tmp / 'a.log', CLEAN)
    write(tmp / 'b.log', ktap('drm_mm', [('drm_test_mm_init', True)], [(1, WARN)]))
    return r.run(['python3', str(KREPORT), '--kunit', str(tmp / 'a.log'), str(tmp / 'b.log')])


CASES = [('kreport: a clean log', 'PASS', lambda tmp: kreport(tmp, CLEAN))]
CASES += [(f'kreport: {name}', 'FAILED', report_case(lines)) for name, lines in REPORTS.items()]
CASES += [
    ('kreport: a WARN declared with its count', 'PASS', declared(1, WARN)),
    ('kreport: two reports declared as one', 'FAILED', declared(1, WARN + WARN)),
    ('kreport: a declared report that did not come', 'FAILED', declared(1, [])),
    ('kreport: a declaration never ended', 'FAILED', declared(1, WARN, end=False)),
    ('kreport: a declaration that names no function', 'FAILED', declared(1, WARN, at='')),
    ('kreport: a WARN of another function than the declared one', 'FAILED',
     declared(1, WARN, at=' at devhold_get')),
    ('kreport: a WARN of one of the declared functions', 'PASS',
     declared(1, WARN, at=' at devhold_get,devhold_put')),
    # WARN_ONCE(): an earlier case may have fired it already
    ('kreport: a WARN declared as up to one', 'PASS', declared(1, WARN, up_to=True)),
    ('kreport: none of up to one', 'PASS', declared(1, [], up_to=True)),
    ('kreport: two reports declared as up to one', 'FAILED',
     declared(1, WARN + WARN, up_to=True)),
    ('kreport: up to one, of another function', 'FAILED',
     declared(1, WARN, at=' at devhold_get', up_to=True)),
    ('kreport: up to one, never ended', 'FAILED', declared(1, [], end=False, up_to=True)),
    ('kreport: a known report listed exactly', 'PASS',
     known_case('KNOWN {where} {sig} -- the base prints it too')),
    ('kreport: a known report listed in another case', 'FAILED',
     known_case('KNOWN drm_framebuffer.other {sig} -- the base prints it too')),
    ('kreport: a known report listed as a pattern', 'FAILED',
     known_case('KNOWN {where} WARNING | WARNING: .* -- a wildcard')),
    ('kreport: a known-reports file with a malformed line', 'FAILED',
     known_case('KNOWN {where} {sig}')),
    ('kreport: a re-run log with a report', 'FAILED', two_logs),
]


# compare.py: cases against the baseline.
BASE = """\
MIN devhold 3
MIN drm_devhold 1
FAIL\tdrm_mm.drm_test_mm_bad\tthe base fails it
FLAKY\tdrm_hdmi.drm_test_hdmi_b\t3/10\tww_mutex deadlock injection
SUITE drm_hdmi 2
SUITE drm_mm 1
"""
GOOD = {'devhold.devhold_test_a': 'PASS', 'devhold.devhold_test_b': 'PASS',
        'devhold.devhold_test_c': 'PASS', 'drm_devhold.drm_test_x': 'PASS',
        'drm_mm.drm_test_mm_ok': 'PASS', 'drm_mm.drm_test_mm_bad': 'FAIL',
        'drm_hdmi.drm_test_hdmi_a': 'PASS', 'drm_hdmi.drm_test_hdmi_b': 'PASS',
        'drm_hdmi.drm_test_hdmi_c': 'PASS'}


def compare(changes=None, base=BASE, retry=None, drop=()):
    def fn(tmp):
        cases = dict(GOOD)
        cases.update(changes or {})
        for d in drop:
            cases = {k: v for k, v in cases.items() if not k.startswith(d)}
        write(tmp / 'x.cases', [f'{v} {k}' for k, v in sorted(cases.items())])
        args = ['python3', str(COMPARE), 'x', str(tmp / 'x.cases')]
        if base is not None:
            (tmp / 'base.txt').write_text(base)
        args.append(str(tmp / 'base.txt'))
        if retry:
            write(tmp / 'retry.cases', [f'{v} {k}' for k, v in retry.items()])
            args.append(str(tmp / 'retry.cases'))
        return r.run(args)
    return fn


def make_then_compare(tmp):
    """A baseline made from two base runs judges a third run like them."""
    runs = [dict(GOOD), dict(GOOD), dict(GOOD)]
    runs[0]['drm_hdmi.drm_test_hdmi_c.YCBCR444 -> YUV444'] = 'FAIL'
    runs[1]['drm_hdmi.drm_test_hdmi_c.YCBCR444 -> YUV444'] = 'PASS'
    runs[2]['drm_hdmi.drm_test_hdmi_c.YCBCR444 -> YUV444'] = 'FAIL'
    for i, run in enumerate(runs):
        write(tmp / f'{i}.cases', [f'{v} {k}' for k, v in sorted(run.items())])
    (tmp / 'base.txt').write_text('MIN devhold 3\nMIN drm_devhold 1\n')
    st, out = r.run(['python3', str(COMPARE), '--make-baseline', 'x', str(tmp / 'base.txt'),
                     str(tmp / '0.cases'), str(tmp / '1.cases')])
    if st:
        return st, out
    text = (tmp / 'base.txt').read_text().replace('TODO: reason', 'measured')
    (tmp / 'base.txt').write_text(text)
    write(tmp / 'retry.cases', ['PASS drm_hdmi.drm_test_hdmi_c.YCBCR444 -> YUV444'])
    return r.run(['python3', str(COMPARE), 'x', str(tmp / '2.cases'), str(tmp / 'base.txt'),
                  str(tmp / 'retry.cases')])


def make_lost(tmp):
    """A base run that lost a suite cannot measure it."""
    a = dict(GOOD)
    b = {k: v for k, v in GOOD.items() if not k.startswith('drm_mm.')}
    write(tmp / 'a.cases', [f'{v} {k}' for k, v in sorted(a.items())])
    write(tmp / 'b.cases', [f'{v} {k}' for k, v in sorted(b.items())])
    (tmp / 'base.txt').write_text('MIN devhold 3\n')
    return r.run(['python3', str(COMPARE), '--make-baseline', 'x', str(tmp / 'base.txt'),
                  str(tmp / 'a.cases'), str(tmp / 'b.cases')])


CASES += [
    ('compare: make-baseline from a run that lost a suite', 'FAILED', make_lost),
    ('compare: all as on the base', 'PASS', compare()),
    ('compare: a flaky case fails in the full run only', 'PASS',
     compare({'drm_hdmi.drm_test_hdmi_b': 'FAIL'}, retry={'drm_hdmi.drm_test_hdmi_b': 'PASS'})),
    ('compare: a flaky case failing deterministically (full run and alone)', 'FAILED',
     compare({'drm_hdmi.drm_test_hdmi_b': 'FAIL'}, retry={'drm_hdmi.drm_test_hdmi_b': 'FAIL'})),
    ('compare: a failed flaky case does not count toward the floor', 'FAILED',
     compare({'drm_hdmi.drm_test_hdmi_b': 'FAIL'}, drop=['drm_hdmi.drm_test_hdmi_c'])),
    ('compare: a new failure', 'FAILED', compare({'drm_mm.drm_test_mm_ok': 'FAIL'})),
    ('compare: an order-dependent failure (passes alone)', 'FAILED',
     compare({'drm_mm.drm_test_mm_ok': 'FAIL'}, retry={'drm_mm.drm_test_mm_ok': 'PASS'})),
    ('compare: a project suite missing', 'FAILED', compare(drop=['devhold.'])),
    ('compare: a project suite short', 'FAILED', compare(drop=['devhold.devhold_test_c'])),
    ('compare: a project suite crashed mid-suite', 'FAILED',
     compare({'devhold.<suite-result>': 'ERROR'})),
    ('compare: a project suite with no MIN line', 'FAILED',
     compare(base=BASE.replace('MIN drm_devhold 1\n', ''))),
    ('compare: a FLAKY wildcard in the baseline', 'FAILED',
     compare(base=BASE + 'FLAKY\tdrm_hdmi.*\t1/2\tanything\n')),
    ('compare: a FAIL wildcard in the baseline', 'FAILED',
     compare(base=BASE + 'FAIL\tdrm_mm.drm_test_*\tanything\n')),
    ('compare: a FLAKY line without its measured rate', 'FAILED',
     compare(base=BASE + 'FLAKY\tdrm_mm.drm_test_mm_ok\tseen once\n')),
    ('compare: a failed flaky case whose re-run has no result for it', 'FAILED',
     compare({'drm_hdmi.drm_test_hdmi_b': 'FAIL'},
             retry={'drm_hdmi.<suite-result>': 'ERROR'})),
    ('compare: a failed flaky case never run again', 'FAILED',
     compare({'drm_hdmi.drm_test_hdmi_b': 'FAIL'})),
    ('compare: a FAIL line without a reason', 'FAILED',
     compare({'drm_mm.drm_test_mm_ok': 'FAIL'}, base=BASE + 'FAIL\tdrm_mm.drm_test_mm_ok\tTODO: reason\n')),
    ('compare: a project case listed as a known failure', 'FAILED',
     compare({'devhold.devhold_test_c': 'FAIL'}, base=BASE + 'FAIL\tdevhold.devhold_test_c\tno\n')),
    ('compare: space-separated FAIL line', 'FAILED',
     compare(base=BASE + 'FAIL drm_mm.drm_test_mm_ok anything\n')),
    ('compare: a flaky case with blanks in its name, failing in the full run only', 'PASS',
     compare({'drm_hdmi.drm_test_hdmi_b.YCBCR444 -> YUV444': 'FAIL'},
             base=BASE + 'FLAKY\tdrm_hdmi.drm_test_hdmi_b.YCBCR444 -> YUV444\t2/10\tinjection\n',
             retry={'drm_hdmi.drm_test_hdmi_b.YCBCR444 -> YUV444': 'PASS'})),
    ('compare: a baseline written by --make-baseline from runs with blanks in names', 'PASS',
     make_then_compare),
    ('compare: no baseline file', 'FAILED', compare(base=None)),
    ('compare: an upstream suite lost', 'FAILED', compare(drop=['drm_mm.drm_test_mm_ok'])),
]


# judge.sh end to end, without re-runs (nothing upstream fails).
def judge(log, cases=None, known='', cwd_name='devhold', log_missing=False, isolated=None):
    def fn(tmp):
        repo = tmp / cwd_name
        res = repo / 'build/results'
        bdir = repo / 'build/x86_64'
        res.mkdir(parents=True)
        bdir.mkdir(parents=True)
        if not log_missing:
            write(res / 'selftest.test.log', log)
        c = cases or ['PASS devhold.devhold_test_a', 'PASS devhold.devhold_test_b']
        if isolated is not None:
            # A module run in a boot of its own (the Makefile's ISOLATE_):
            # its cases join the tier's, its log is judged with it.
            icases, ilog = isolated
            write(res / 'selftest-isolated-drm_bridge_test.cases', icases)
            if ilog is not None:
                write(res / 'selftest-isolated-drm_bridge_test.test.log', ilog)
            c = c + icases
        write(res / 'selftest.cases', c)
        bl = tmp / 'baseline'
        bl.mkdir()
        (bl / 'selftest.txt').write_text('MIN devhold 2\n')
        (bl / 'selftest.reports').write_text(known)
        env = dict(os.environ, DEVHOLD_BASELINE_DIR=str(bl))
        return r.run(['bash', str(JUDGE), 'selftest', str(repo / 'build/work'), str(bdir),
                      str(res)], env=env)
    return fn


CASES += [
    ('judge: a clean tier in a checkout named devhold', 'PASS', judge(CLEAN)),
    ('judge: a tier whose kernel log is missing', 'FAILED', judge(CLEAN, log_missing=True)),
    ('judge: a WARN in a passing case', 'FAILED',
     judge(ktap('devhold', [('devhold_test_a', True), ('devhold_test_b', True)], [(2, WARN)]))),
    ('judge: an isolated module, clean', 'PASS',
     judge(CLEAN, isolated=(['PASS drm_bridge_alloc.drm_test_a'],
                            ktap('drm_bridge_alloc', [('drm_test_a', True)])))),
    ('judge: an isolated module with a WARN in its log', 'FAILED',
     judge(CLEAN, isolated=(['PASS drm_bridge_alloc.drm_test_a'],
                            ktap('drm_bridge_alloc', [('drm_test_a', True)], [(1, WARN)])))),
    ('judge: an isolated module whose log is missing', 'FAILED',
     judge(CLEAN, isolated=(['PASS drm_bridge_alloc.drm_test_a'], None))),
    ('judge: an isolated module that gave no results', 'FAILED',
     judge(CLEAN, isolated=(['ERROR drm_bridge_test.<isolated-run>'], CLEAN))),
    ('judge: a failed project case', 'FAILED',
     judge(CLEAN, cases=['PASS devhold.devhold_test_a', 'FAIL devhold.devhold_test_b'])),
]


def verdict(lines, *named, log=None):
    def fn(tmp):
        write(tmp / 'm.cases', lines)
        write(tmp / 'test.log', log or CLEAN)
        return r.run(['bash', str(VERDICT), str(tmp / 'm.cases'), str(tmp / 'test.log'),
                      'devhold', *named])
    return fn


def died_in(case, diag, frame=None):
    """A log whose kernel died with a KASAN report after devhold_test_a's
    result: in case, when it printed a diagnostic line first; frame: a
    function the report's call trace names."""
    out = ktap('devhold', [('devhold_test_a', True)])[:-1]
    if diag:
        out.append(TS + f'    # {case}: kreport: expect 1 at devhold_release_barrier')
    out += [TS + ln for ln in REPORTS['KASAN']]
    if frame:
        out.insert(len(out) - 1, TS + f' {frame}+0x4e6/0x740')
    return out


# A mutant is caught (status 0): the judge "fails" here means survived.
CASES += [
    ('mutants: the named case failed (caught)', 'PASS',
     verdict(['PASS devhold.a', 'FAIL devhold.b'], 'b')),
    ('mutants: the named case passed (survived)', 'FAILED',
     verdict(['FAIL devhold.a', 'PASS devhold.b'], 'b')),
    ('mutants: the named case skipped (survived)', 'FAILED',
     verdict(['SKIP devhold.b'], 'b')),
    ('mutants: the kernel died in an earlier case (survived)', 'FAILED',
     verdict(['FAIL devhold.a', 'ERROR devhold.<suite-result>'], 'b')),
    ('mutants: one of two named cases failed (survived)', 'FAILED',
     verdict(['FAIL devhold.a', 'PASS devhold.b'], 'a', 'b')),
    ('mutants: the named case passed with a KASAN report in it (caught)', 'PASS',
     verdict(['PASS devhold.devhold_test_a', 'PASS devhold.devhold_test_b'], 'devhold_test_b',
             log=ktap('devhold', [('devhold_test_a', True), ('devhold_test_b', True)],
                      [(2, REPORTS['KASAN'])]))),
    ('mutants: the kernel died in the named case, after a line of it (caught)', 'PASS',
     verdict(['PASS devhold.devhold_test_a'], 'devhold_test_b',
             log=died_in('devhold_test_b', diag=True))),
    ('mutants: the kernel died after a case, before a line of the next (survived)', 'FAILED',
     verdict(['PASS devhold.devhold_test_a'], 'devhold_test_b',
             log=died_in('devhold_test_b', diag=False))),
    ('mutants: the kernel died in the named case, its frame in the trace (caught)', 'PASS',
     verdict(['PASS devhold.devhold_test_a'], 'devhold_test_b',
             log=died_in('devhold_test_b', diag=False, frame='devhold_test_b'))),
    ('mutants: the kernel died, the trace names another case (survived)', 'FAILED',
     verdict(['PASS devhold.devhold_test_a'], 'devhold_test_b',
             log=died_in('devhold_test_b', diag=False, frame='devhold_test_c'))),
    ('mutants: a report in an earlier case only (survived)', 'FAILED',
     verdict(['PASS devhold.devhold_test_a', 'PASS devhold.devhold_test_b'], 'devhold_test_b',
             log=ktap('devhold', [('devhold_test_a', True), ('devhold_test_b', True)],
                      [(1, REPORTS['KASAN'])]))),
]


VM_VERDICT = r.REPO / 'devtools/mutant-vm-verdict.sh'


def vm_verdict(summary, *named):
    def fn(tmp):
        if summary is not None:
            write(tmp / 'vm.summary', summary)
        return r.run(['bash', str(VM_VERDICT), str(tmp / 'vm.summary'), *named])
    return fn


# A mutant judged by VM boots (the Rust module guard and drm::ModuleWait).
CASES += [
    ('mutants (VM): the named boot failed (caught)', 'PASS',
     vm_verdict(['vm: drm-rs: FAILED, 2 passed, 1 failed (40 s): see x'], 'drm-rs')),
    ('mutants (VM): the named boot passed (survived)', 'FAILED',
     vm_verdict(['vm: drm-rs: 4 passed (30 s)'], 'drm-rs')),
    ('mutants (VM): another boot failed, the named one passed (survived)', 'FAILED',
     vm_verdict(['vm: drm: FAILED, 0 passed, 1 failed (9 s): see x',
                 'vm: drm-rs: 4 passed (30 s)'], 'drm-rs')),
    ('mutants (VM): no summary, the kernel did not build (survived)', 'FAILED',
     vm_verdict(None, 'drm-rs')),
    ('mutants (VM): no boot named (survived)', 'FAILED',
     vm_verdict(['vm: drm-rs: FAILED, 0 passed, 1 failed (9 s): see x'])),
]


def other_tree(tmp):
    """The base's report, built in the cache, is known to the series'
    run, built in a checkout named devhold: paths are not identity."""
    def log(path):
        return ktap('drm_framebuffer', [('drm_test_framebuffer_free', True)], [(1, [
            '------------[ cut here ]------------',
            f'WARNING: {path}drivers/gpu/drm/drm_framebuffer.c:870 at '
            'drm_framebuffer_free+0x1a/0x40, CPU#1: kunit_try_catch/123',
            '---[ end trace 0000000000000000 ]---'])])
    write(tmp / 'base.log', log('/root/.cache/devhold/linux-7.3.4-1~bpo13+1/'))
    write(tmp / 'series.log', log('../work/'))
    st, out = r.run(['python3', str(KREPORT), '--kunit', '--make-known',
                     str(tmp / 'known'), str(tmp / 'base.log')])
    if st:
        return st, out
    # make baseline writes "TODO: reason"; a person writes the reason.
    known = (tmp / 'known').read_text().replace('TODO: reason', 'the base prints it too')
    (tmp / 'known').write_text(known)
    return r.run(['python3', str(KREPORT), '--kunit', '--known', str(tmp / 'known'),
                  str(tmp / 'series.log')])


CASES += [('kreport: a base report built in another directory is known', 'PASS', other_tree)]


KASAN_BY_WORKER = ['BUG: KASAN: slab-use-after-free in devhold_work_fn+0x1/0x2',
                   'Read of size 8 at addr ffff888012345678 by task kworker/1:2/77']


def lockdep_circular(cls):
    return ['======================================================',
            'WARNING: possible circular locking dependency detected',
            '7.3.4 #1 Tainted: G        W        N',
            '------------------------------------------------------',
            'kunit_try_catch/123 is trying to acquire lock:',
            f'ffff888012345678 ({cls}){{+.+.}}-{{3:3}}, at: some_func+0x1/0x2',
            '',
            'but task is already holding lock:',
            'ffff888012345600 (other_lock){+.+.}-{3:3}, at: other_func+0x1/0x2']


def known_from(base_lines, series_lines, case='drm_test_framebuffer_free'):
    def fn(tmp):
        write(tmp / 'base.log', ktap('drm_framebuffer', [(case, True)], [(1, base_lines)]))
        write(tmp / 'series.log', ktap('drm_framebuffer', [(case, True)], [(1, series_lines)]))
        st, out = r.run(['python3', str(KREPORT), '--kunit', '--make-known',
                         str(tmp / 'known'), str(tmp / 'base.log')])
        known = (tmp / 'known').read_text().replace('TODO: reason', 'the base prints it')
        (tmp / 'known').write_text(known)
        return r.run(['python3', str(KREPORT), '--kunit', '--known', str(tmp / 'known'),
                      str(tmp / 'series.log')])
    return fn


def param_case(tmp):
    """A report in the second parameter of a case names that case."""
    log = [TS + 'KTAP version 1', TS + '1..1', TS + '    KTAP version 1',
           TS + '    # Subtest: drm_hdmi', TS + '    1..2',
           TS + '        KTAP version 1', TS + '        # Subtest: drm_test_param',
           TS + '        ok 1 first param'] + [TS + ln for ln in WARN] + [
           TS + '        ok 2 second param', TS + '    ok 1 drm_test_param',
           TS + '    ok 2 drm_test_other', TS + 'ok 1 drm_hdmi']
    write(tmp / 'test.log', log)
    st, out = r.run(['python3', str(KREPORT), '--kunit', str(tmp / 'test.log')])
    # Status 1 (the report) and the right case named, or a failure here.
    return (1 if 'report: drm_hdmi.drm_test_param:' in out else 0), out


def malformed_known_only(tmp):
    write(tmp / 'test.log', CLEAN)
    (tmp / 'known').write_text('KNOWN drm_x.y WARNING | WARNING: a.c at f, CPU:\n')
    return r.run(['python3', str(KREPORT), '--kunit', '--known', str(tmp / 'known'),
                  str(tmp / 'test.log')])


COLD = ['------------[ cut here ]------------',
        'WARNING: drivers/gpu/drm/drm_drv.c:880 at drm_dev_put.cold+0x1a/0x40, CPU#1: kworker/u8:1/77',
        '---[ end trace 0000000000000000 ]---']
HOT = [ln.replace('drm_dev_put.cold', 'drm_dev_put').replace('kworker/u8:1', 'kworker/0:2')
       for ln in COLD]
INTERLEAVED = WARN[:3] + ['------------[ cut here ]------------',
                          'WARNING: lib/devhold.c:300 at devhold_domain_destroy+0x1a/0x40, CPU#0: kunit_try_catch/124'] + WARN[3:]

CASES += [
    ('kreport: a KASAN report inside a declaration block', 'FAILED',
     declared(1, WARN + KASAN_BY_WORKER)),
    ('kreport: a declared WARN with a KASAN instead of it', 'FAILED',
     declared(1, KASAN_BY_WORKER)),
    ('kreport: a known WARN with a new one interleaved', 'FAILED',
     known_from(WARN, INTERLEAVED)),
    ('kreport: a known lockdep report with other lock classes', 'FAILED',
     known_from(lockdep_circular('crtc_ww_class_mutex'), lockdep_circular('&domain->lock'))),
    ('kreport: a known lockdep report with the same lock classes', 'PASS',
     known_from(lockdep_circular('crtc_ww_class_mutex'), lockdep_circular('crtc_ww_class_mutex'))),
    ('kreport: a known WARN, built as a .cold clone in the base', 'PASS', known_from(COLD, HOT)),
    ('kreport: a known WARN with another message', 'FAILED',
     known_from(WARN[:1] + ['devhold: double put of hold 00000000deadbeef'] + WARN[1:],
                WARN[:1] + ['devhold: hold on a destroyed domain'] + WARN[1:])),
    ('kreport: a report in a parameterised case names the case', 'FAILED', param_case),
    ('kreport: KTAP lines naming BUG and WARNING', 'PASS',
     lambda tmp: kreport(tmp, ktap('drm_x', [('drm_test_BUG_on_WARNING: x', True)], [
         (1, ['    # drm_test_BUG_on_WARNING: BUG: not on UML; WARNING: ignored',
              '    ok 1 a # SKIP BUG: not on UML'])]))),
    ('kreport: a known-reports file with only a malformed line', 'FAILED', malformed_known_only),
    ('kreport: a known report without a written reason', 'FAILED',
     known_case('KNOWN {where} {sig} -- TODO: reason')),
]




LOCKS_OFF = ['------------[ cut here ]------------',
             'DEBUG_LOCKS_WARN_ON(__owner_task(owner) != get_current())',
             'WARNING: kernel/locking/mutex.c:1009 at __mutex_unlock_slowpath+0x65c/0x950, CPU#1: kunit_try_catch/180',
             'Modules linked in:']
LOCKS_OFF_END = ['Call Trace:', ' <TASK>', ' drm_bridge_helper_reset_crtc+0xf8/0x140', ' </TASK>',
                 '---[ end trace 0000000000000000 ]---']
CASES += [(f'kreport: a known report with {name} printed inside it', 'FAILED',
           known_from(LOCKS_OFF + LOCKS_OFF_END, LOCKS_OFF + other + LOCKS_OFF_END))
          for name, other in [
              ('a sleeping-function BUG', REPORTS['BUG sleeping']),
              ('an Oops', REPORTS['Oops']),
              ('a hung task', REPORTS['hung task']),
              ('a KASAN report', REPORTS['KASAN'])]]
CASES += [('kreport: an Oops after its kernel BUG is one report', 'PASS',
           known_from(REPORTS['kernel BUG at'] + ['Oops: invalid opcode: 0000 [#1] SMP KASAN'],
                      REPORTS['kernel BUG at'] + ['Oops: invalid opcode: 0000 [#1] SMP KASAN']))]


def lockdep_then(more_suites):
    log = ktap('drm_hdmi', [('drm_test_a', True)], [(1, lockdep_circular('crtc_ww_class_mutex'))])
    if more_suites:
        log += ktap('drm_mm', [('drm_test_mm_init', True)])
    return log


def known_all(log):
    """The log's reports all listed as known: only the lockdep rule can fail."""
    def fn(tmp):
        write(tmp / 'k.log', log)
        st, out = r.run(['python3', str(KREPORT), '--kunit', '--make-known', str(tmp / 'known'),
                         str(tmp / 'k.log')])
        known = (tmp / 'known').read_text().replace('TODO: reason', 'the base prints it')
        return judge(log, cases=['PASS devhold.devhold_test_a', 'PASS devhold.devhold_test_b'],
                     known=known)(tmp)
    return fn


CASES += [
    ('judge: a known lockdep report, and suites after it', 'FAILED', known_all(lockdep_then(True))),
    ('judge: a known lockdep report in the last suite', 'PASS', known_all(lockdep_then(False))),
    ('kreport: --lockdep-whole on a missing log', 'FAILED',
     lambda tmp: r.run(['python3', str(KREPORT), '--lockdep-whole', str(tmp / 'none.log')])),
]


REPLAYED = (['------------[ cut here ]------------', '** replaying previous printk message **']
            + WARN)
CASES += [
    ('kreport: a declared WARN whose cut-here line printk replayed', 'PASS', declared(1, REPLAYED)),
    ('kreport: a replayed WARN, undeclared', 'FAILED', report_case(REPLAYED)),
]
