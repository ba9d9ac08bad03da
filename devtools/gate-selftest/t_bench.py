"""make bench's judge (devtools/bench.sh --judge): the module prints figures,
bench.sh holds the targets; a missed target, a figure missing or 0, a run
timed during boot or cut short, a run of the other kernel (debug=) than the
one judged, or a kernel report fails the run."""
import re

import run as r

BENCH = r.REPO / 'devtools/bench.sh'

# One reader and two: (median, end-to-end or None), ns per op (session 10).
FIGS = {
    'hold-dev': ((202.03, 220.61), (318.13, 451.93)),
    'hold-mod': ((216.98, 275.12), (349.03, 460.12)),
    'open73': ((659.08, 662.26), (987.88, 1031.05)),
    'sync-dev': ((10.13, None), (78.55, None)),
    'sync-mod': ((23.79, None), (233.57, None)),
    'put-devhold': ((13.10, 66.07), (115.91, 371.27)),
    'put-llist': ((284.89, 289.17), (635.10, 809.86)),
    'put-kref': ((5.01, None), (33.28, None)),
    'push-devhold': ((9.55, 9.80), (150.87, 151.02)),
    'push-llist': ((9.52, 9.77), (125.52, 126.40)),
    'section-devhold': ((488.50, None), (881.75, None)),
    'section-srcu': ((514.64, None), (873.12, None)),
    'section-srcu-fast': ((480.86, None), (838.15, None)),
    'count-devhold': ((20.31, None), (180.52, None)),
    'count-atomic': ((12.19, None), (102.50, None)),
}

BOOT = [
    'Core dump limits :',
    '\tsoft - 0',
    '\thard - NONE',
    'Checking environment variables for a tempdir...none found',
    'Checking if /dev/shm is on tmpfs...OK',
    'Linux version 7.3.4 (root@devhold) (gcc (Debian 14.2.0-19) 14.2.0, GNU ld (GNU Binutils for Debian) 2.44) #1 SMP Thu Dec  3 10:00:00 UTC 2026',
    'Kernel command line: mem=1G console=tty seccomp=on ncpus=2 root=/dev/root rootfstype=hostfs ro init=/bin/sleep test_devhold_scale.scale_type=all test_devhold_scale.shutdown=1 test_devhold_scale.loops=100000 test_devhold_scale.nruns=11 -- infinity',
    'smp: Bringing up secondary CPUs ...',
    'smp: Brought up 1 node, 2 CPUs',
    'devhold: 0 domains',
    'KTAP version 1',
    '1..0',
    'VFS: Mounted root (hostfs filesystem) readonly on device 0:15.',
    'Freeing unused kernel image (initmem) memory: 1204K',
    'Run /bin/sleep as init process',
]


def table(n, figs, what='x'):
    out = [f'devhold_scale: readers={n}: {"op":<18} {"median ns/op":>12} {"min":>10} '
           f'{"max":>10} {"end-to-end":>12}  what']
    for op, (med, e2e) in figs.items():
        e = f'{e2e:.2f}' if e2e is not None else '-'
        out.append(f'devhold_scale: readers={n}: {op:<18} {med:>12.2f} {med * 0.9:>10.2f} '
                   f'{med * 1.3:>10.2f} {e:>12}  {what}')
    return out


def log(start='boot=ended', one=None, two=None, once=None, end=True, cpus=2, debug=0):
    one = one or {op: f[0] for op, f in FIGS.items()}
    two = two or {op: f[1] for op, f in FIGS.items()}
    once = ONCE if once is None else once
    lines = BOOT + [f'devhold_scale: --- start: scale_type=all loops=100000 nreaders=-1 '
                    f'nruns=11 cpus={cpus} debug={debug} {start}']
    lines += table(1, one) + table(cpus, two) + once
    if end:
        lines += ['devhold_scale: --- end', 'reboot: Power down']
    return lines


ONCE = [
    'devhold_scale: barrier (idle, median of 11 runs): devhold_release_barrier 41200 ns, synchronize_srcu 40875 ns, synchronize_srcu_expedited 38960 ns',
    'devhold_scale: isolation: release latency in B, p50/p99: 1280/2304 ns with A idle, 1280/2048 ns with A\'s release blocked; put+flush of B 30464 ns, 31232 ns',
    'devhold_scale: under load: release latency (put to object put) p50/p99 1280/1536 ns, put+flush 40192 ns, with 2 CPUs putting holds in the same domain, 256 then a flush',
    'devhold_scale: under load: barrier with 2 CPUs entering and leaving release sections: devhold_release_barrier 10002350 ns, synchronize_srcu 10001904 ns, synchronize_srcu_expedited 120530 ns (SRCU-fast readers likewise)',
    'devhold_scale: unload drain: 100000 holds put and finished in 7712 us',
    'devhold_scale: list drain: 54021310 entries/s',
    'devhold_scale: memory: hold 48 bytes (own slab cache), open-coded 7.3 hold 24 (kmalloc 32); domain 272 + SRCU per-CPU data; list 64 against llist_head 8',
    'devhold_scale: memory: per VM, bo_defer 8 bytes against 7.3\'s llist_head 8; the deferred VM free\'s work_struct 32',
]


def judge(tmp, lines, name='bench-nodebug.out', *args):
    p = tmp / name
    p.write_text('\n'.join(lines) + '\n')
    return r.run(['bash', str(BENCH), '--judge', *args, str(p)])


def because(why, st_out):
    """A FAILED verdict counts only when the judge names why."""
    st, out = st_out
    return (st if re.search(why, out) else 0), out


def with_op(which, op, fig):
    """The figures of one table (0: one reader, 1: two) with op's (median,
    end-to-end) replaced by fig, or its line left out when fig is None."""
    figs = {o: f[which] for o, f in FIGS.items()}
    if fig is None:
        del figs[op]
    else:
        figs[op] = fig
    return figs


def once_with(key, line):
    return [line if key in ln else ln for ln in ONCE]


WARN = ['------------[ cut here ]------------',
        'WARNING: lib/test_devhold_scale.c:85 at scale_obj_nop+0x1a/0x30, CPU#1: devhold_scale/0/61',
        'Modules linked in:',
        'CPU: 1 UID: 0 PID: 61 Comm: devhold_scale/0 Not tainted 7.3.4 #1 NONE',
        'Call Trace:',
        ' [<60035f1a>] scale_obj_put+0x2c/0x40',
        '---[ end trace 0000000000000000 ]---']

CASES = [
    ('every target met', 'PASS', lambda t: judge(t, log())),
    ('debug run (--debug, debug=1) over the hold target: figures only', 'PASS',
     lambda t: judge(t, log(debug=1, one=with_op(0, 'hold-dev', (2812.40, 2830.11)),
                            two=with_op(1, 'hold-dev', (3960.02, 4001.50))),
                     'bench-debug.out', '--debug')),
    # The timing kernel built with CONFIG_DEBUG_DEVHOLD by mistake: its
    # run says debug=1, and its targets are judged all the same.
    ('timing run from a debug kernel (debug=1), every target met', 'FAILED',
     lambda t: because(r'FAILED debug=1: not the timing kernel',
                       judge(t, log(debug=1)))),
    ('timing run from a debug kernel (debug=1), 15x over the hold target', 'FAILED',
     lambda t: because(r'FAILED target missed: hold take\+release \(device only\)',
                       judge(t, log(debug=1, one=with_op(0, 'hold-dev', (3300.0, 3400.0)),
                                    two=with_op(1, 'hold-dev', (5000.0, 5100.0)))))),
    ('debug run (--debug) from a kernel without the option (debug=0)', 'FAILED',
     lambda t: because(r'FAILED debug=0: not the CONFIG_DEBUG_DEVHOLD kernel',
                       judge(t, log(), 'bench-debug.out', '--debug'))),
    ('hold take+release over 7.3 open-coded (2 readers)', 'FAILED',
     lambda t: judge(t, log(two=with_op(1, 'hold-dev', (1002.20, 1100.00))))),
    ('release section 1.12x SRCU-fast (1 reader)', 'FAILED',
     lambda t: judge(t, log(one=with_op(0, 'section-devhold', (538.56, None))))),
    ('idle barrier 2.4x synchronize_srcu', 'FAILED',
     lambda t: judge(t, log(once=once_with('barrier (idle', 'devhold_scale: barrier (idle, median of 11 runs): devhold_release_barrier 97400 ns, synchronize_srcu 40875 ns, synchronize_srcu_expedited 38960 ns')))),
    ('idle barrier 1.15x synchronize_srcu', 'FAILED',
     lambda t: judge(t, log(once=once_with('barrier (idle', 'devhold_scale: barrier (idle, median of 11 runs): devhold_release_barrier 47000 ns, synchronize_srcu 40875 ns, synchronize_srcu_expedited 9960 ns')))),
    ('idle barrier 5x expedited, as synchronize_srcu', 'PASS',
     lambda t: judge(t, log(once=once_with('barrier (idle', 'devhold_scale: barrier (idle, median of 11 runs): devhold_release_barrier 50002112 ns, synchronize_srcu 49999936 ns, synchronize_srcu_expedited 9999456 ns')))),
    ('device count 2.1x atomic count (2 readers)', 'FAILED',
     lambda t: because(r'FAILED target missed: device count / atomic count \+ wake_up_var, 2 readers',
                       judge(t, log(two=with_op(1, 'count-devhold', (215.30, None)))))),
    ('drain 130 ms', 'FAILED',
     lambda t: judge(t, log(once=once_with('unload drain', 'devhold_scale: unload drain: 100000 holds put and finished in 130211 us')))),
    ('an op measured 0', 'FAILED',
     lambda t: judge(t, log(one=with_op(0, 'push-llist', (0.0, 0.0))))),
    ('an op line missing', 'FAILED',
     lambda t: judge(t, log(two=with_op(1, 'put-llist', None)))),
    ('an op with failed runs', 'FAILED',
     lambda t: judge(t, log()[:-3] + ['devhold_scale: open73: 1 of 2 readers started, error -12'] + log()[-3:])),
    ('isolation not measured', 'FAILED',
     lambda t: judge(t, log(once=once_with('isolation', 'devhold_scale: isolation: not measured with CONFIG_DEVHOLD_DEBUG_DELAY')))),
    ('barrier line missing', 'FAILED',
     lambda t: judge(t, log(once=[ln for ln in ONCE if 'barrier (idle' not in ln]))),
    ('timed during boot', 'FAILED', lambda t: judge(t, log(start='boot=running'))),
    ('one CPU', 'FAILED', lambda t: judge(t, log(cpus=1))),
    ('truncated: kernel died in the table', 'FAILED',
     lambda t: judge(t, log()[:len(BOOT) + 9] + [
         'Kernel panic - not syncing: Segfault with no mm',
         'CPU: 0 UID: 0 PID: 60 Comm: devhold_scale/1 Not tainted 7.3.4 #1 NONE'])),
    ('truncated: no end line', 'FAILED', lambda t: judge(t, log(end=False))),
    ('a WARNING during the run', 'FAILED',
     lambda t: judge(t, log()[:len(BOOT) + 5] + WARN + log()[len(BOOT) + 5:])),
    ('empty console', 'FAILED', lambda t: judge(t, [])),
]
