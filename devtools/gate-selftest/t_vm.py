"""The VM judge: check-log.py on canned boots (console and TAP), the busted
controls' signatures as devtools/vm.sh lists them, vm.sh's count of a boot
(boot_counts: check-log.py's, and igt-compare.py's for the IGT subtests,
with devhold_igt.sh run on stand-in IGT binaries), and devhold_unload.sh's
own verdicts on its torture and fault injection."""
import fnmatch
import re

import run as r

CHECK = r.REPO / 'tools/testing/selftests/devhold/vm/check-log.py'
VMSH = r.REPO / 'devtools/vm.sh'
SELFTESTS = r.REPO / 'tools/testing/selftests/devhold'
UNLOAD = SELFTESTS / 'devhold_unload.sh'
IGT = SELFTESTS / 'devhold_igt.sh'


def because(why, st_out):
    """A FAILED verdict counts only when the judge names why (a judge that
    fails the input for another reason would hide a broken check)."""
    st, out = st_out
    return (st if re.search(why, out, re.M) else 0), out


def console(*parts):
    """A console: boot lines, then the parts, each line with a timestamp."""
    lines = [
        'Linux version 7.3.4 (u@box) (x86_64-linux-gnu-gcc (Debian 14.2.0-19) 14.2.0, '
        'GNU ld (GNU Binutils for Debian) 2.44) #1 SMP PREEMPT_DYNAMIC',
        'Command line: console=ttyS0 root=/dev/vda rootfstype=ext4 rw init=/devhold/init.sh '
        'kunit.enable=0 panic_on_warn=0 panic=-1 loglevel=7 kasan_multi_shot',
        'kmemleak: Kernel memory leak detector initialized (mem pool available: 15783)',
        'Run /devhold/init.sh as init process',
        'EXT4-fs (vdb): mounted filesystem 5f3e8c6a-2b1d-4c8e-9f0a-1d2e3f4a5b6c r/w with '
        'ordered data mode. Quota mode: none.',
        'devhold-vm: kmemleak cleared (uptime 13.90s)',
        'devhold-vm: start unload (uptime 14.00s)',
    ]
    for p in parts:
        lines += p
    lines += ['devhold-vm: command exited with 0 (uptime 190.00s)',
              'devhold-vm: kmemleak scanned (2 of 2 scans done) (uptime 201.00s)']
    out, t = [], 0.0
    for i, ln in enumerate(lines):
        # The kernel's boot, then init.sh's command from 14 s on.
        t = i * 0.001 if i < 5 else max(t, 13.75) + 0.25
        out.append(f'[{t:12.6f}] {ln}')
    return out


KMEMLEAK_OK = ['# kmemleak-begin', '# kmemleak-end',
               '# kmemleak-scan: 2 of 2 scans done, report read']


# devhold_unload.sh's output: before its torture, the torture, after it.
BEFORE = ['ok 1 pinned: rmmod fails while held, succeeds after',
          'ok 2 counted: rmmod waits for the holds and reports the holder',
          'ok 3 counted: module exit waits for release tails',
          '# faults: 35 failures injected (12 in provider loads, 23 in takes); '
          '2 provider loads failed, 19 holds failed -ENOMEM',
          'ok 4 faults: failed holds and devices leave counts balanced']
TORTURE = ['# torture: 30 of 30 iterations in 162 s, 0 failed; 7 with fault injection, '
           '41 failures injected',
           'ok 5 torture: 30 iterations, 7 with fault injection (41 failures injected)']
AFTER = ['# puts: ctx_process=41 ctx_timer=38 ctx_hardirq=44 ctx_work=39 ctx_irqoff=38',
         'ok 6 puts from process, timer, hardirq, work and IRQs-off contexts',
         'ok 7 module_init fails while its devices are held and the module pinned']


def tap(name='unload', cases=None, kmemleak=None, extra=()):
    cases = cases if cases is not None else BEFORE + TORTURE + AFTER
    plan = sum(1 for c in cases if re.match(r'(not )?ok \d', c))
    out = [f'# devhold-vm: start {name}', '# devhold-vm: kernel 7.3.4, uptime 14.00s',
           'TAP version 13', f'1..{plan}'] + list(cases) + list(extra) + ['']
    out += KMEMLEAK_OK if kmemleak is None else kmemleak
    out += ['# devhold-vm: uptime 201.50s', '# devhold-vm: exit 0']
    return out


# The machine vm/run.sh boots.
HW = 'Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.3-debian-1.16.3-2 04/01/2014'


def write(path, lines):
    path.write_text('\n'.join(lines) + '\n')
    return path


def check(tmp, con, tp, *args):
    write(tmp / 'boot.console', con)
    write(tmp / 'boot.tap', tp)
    return r.run(['python3', str(CHECK), str(tmp / 'boot.console'), str(tmp / 'boot.tap'),
                  *args])


def boot(con_parts=(), tp=None, args=()):
    return lambda tmp: check(tmp, console(*con_parts), tp or tap(), *args)


# Kernel reports, as Linux 7.3 prints them on x86_64 (no caller ids).
def stall_trace(task='modprobe', pid=211):
    return [f'CPU: 1 UID: 0 PID: {pid} Comm: {task} Not tainted 7.3.4 #1 PREEMPT(voluntary)',
            HW,
            'RIP: 0010:tdp_init+0x1a4/0x3c0 [test_devhold_provider]',
            'Call Trace:', ' <IRQ>', ' rcu_sched_clock_irq+0x6b4/0x1b50', ' </IRQ>',
            ' <TASK>', ' do_one_initcall+0xd8/0x4f0', ' do_init_module+0x27e/0x7e0', ' </TASK>']


RCU_STALL = ['rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:',
             'rcu: \t1-....: (20999 ticks this GP) idle=b64c/1/0x4000000000000000 '
             'softirq=4391/4391 fqs=5046',
             'rcu: \t(detected by 0, t=21002 jiffies, g=10145, q=1139 ncpus=2)',
             'Sending NMI from CPU 0 to CPUs 1:'] + stall_trace()
RCU_SELF = ['rcu: INFO: rcu_preempt self-detected stall on CPU',
            'rcu: \t1-....: (21000 ticks this GP) idle=b64c/1/0x4000000000000000 '
            'softirq=4391/4391 fqs=5046',
            'rcu: \t(t=21002 jiffies g=10145 q=1139 ncpus=2)'] + stall_trace()
RCU_EXP = ['rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: '
           '{ 1-.... } 21004 jiffies s: 1233 root: 0x2/.',
           'rcu: blocking rcu_node structures (internal RCU debug):',
           'Sending NMI from CPU 0 to CPUs 1:'] + stall_trace()
SOFT_LOCKUP = ['watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [modprobe:211]',
               'Modules linked in: test_devhold_provider(+) test_devhold_holder',
               'irq event stamp: 120364'] + stall_trace()
WQ_LOCKUP = ['BUG: workqueue lockup - pool cpus=0-1 flags=0x4 nice=0 stuck for 33s!',
             'Showing busy workqueues and worker pools:',
             'workqueue devhold: flags=0x6000a',
             '  pwq 4: cpus=0-1 flags=0x4 nice=0 active=1 refcnt=2',
             '    in-flight: 57:devhold_work_fn']
HUNG_TASK = ['INFO: task rmmod:231 blocked for more than 61 seconds.',
             '      Not tainted 7.3.4 #1',
             '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
             'task:rmmod           state:D stack:0     pid:231   tgid:231   ppid:201    '
             'task_flags:0x400100 flags:0x00004000',
             'Call Trace:', ' <TASK>', ' __schedule+0x8b2/0x2370',
             ' devhold_domain_wait_idle+0x1c5/0x2e0', ' </TASK>']
KMEMLEAK_DISABLED = ['kmemleak: Cannot allocate a kmemleak_object structure',
                     'kmemleak: Kernel memory leak detector disabled',
                     'kmemleak: Automatic memory scanning thread ended']
KMEMLEAK_CONSOLE = ['kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)']
LEAK_SECTION = ['# kmemleak-begin',
                '# unreferenced object 0xffff888006b3c2c0 (size 64):',
                '#   comm "thh_taker/0", pid 233, jiffies 4294893456',
                '#   hex dump (first 32 bytes):',
                '#     00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................',
                '#   backtrace (crc 5e6c1a2b):',
                '#     kmemleak_alloc+0x4a/0x90',
                '#     __kmalloc_cache_noprof+0x2f4/0x4a0',
                '#     devhold_get+0x8d/0x3e0',
                '#     thh_pin+0x12e/0x1f0 [test_devhold_holder]',
                '# kmemleak-end',
                '# kmemleak-scan: 2 of 2 scans done, report read']


def warn(file, line, func, task, pid, msg=None, trace=()):
    return (['------------[ cut here ]------------'] + ([msg] if msg else []) +
            [f'WARNING: {file}:{line} at {func}+0x2f1/0x3a0, CPU#1: {task}/{pid}',
             'Modules linked in: test_devhold_holder test_devhold_provider(-)',
             f'CPU: 1 UID: 0 PID: {pid} Comm: {task} Not tainted 7.3.4 #1 PREEMPT(voluntary)',
             HW,
             f'RIP: 0010:{func}+0x2f1/0x3a0',
             'Code: 48 8b 45 00 48 85 c0 74 0a 48 c7 c7 60 1d a3 83 e8 5b <0f> 0b 48 83 c4 08 5b',
             'RSP: 0018:ffffc90000bdfd48 EFLAGS: 00010282',
             'Call Trace:', ' <TASK>'] + [f' {t}' for t in trace] +
            [' </TASK>', 'irq event stamp: 0', '---[ end trace 0000000000000000 ]---'])


def oops(task, pid, trace, workqueue=None, rip='0xffffffffa0201231'):
    return (['Oops: int3: 0000 [#1] SMP KASAN NOPTI',
             f'CPU: 0 UID: 0 PID: {pid} Comm: {task} Tainted: G        W           '
             '7.3.4 #1 PREEMPT(voluntary)',
             'Tainted: [W]=WARN',
             HW] +
            ([f'Workqueue: {workqueue}'] if workqueue else []) +
            [f'RIP: 0010:{rip}',
             'Code: cc cc cc cc cc cc cc cc cc cc cc cc cc cc cc cc cc cc cc cc cc <cc> cc cc cc',
             'RSP: 0018:ffffc90000c2fd58 EFLAGS: 00000246',
             'RAX: ffffffffa0201230 RBX: ffff888006b1c000 RCX: 0000000000000000',
             'Call Trace:', ' <TASK>'] + [f' {t}' for t in trace] +
            [' </TASK>',
             'Modules linked in: test_devhold_holder [last unloaded: test_devhold_provider]',
             '---[ end trace 0000000000000000 ]---',
             f'RIP: 0010:{rip}',
             f'note: {task}[{pid}] exited with irqs disabled'])


def kasan(kind, func, task, pid, trace):
    return (['==================================================================',
             f'BUG: KASAN: {kind} in {func}+0x2e/0xb0',
             f'Write of size 4 at addr ffffffffa0203a40 by task {task}/{pid}', '',
             f'CPU: 1 UID: 0 PID: {pid} Comm: {task} Tainted: G        W           7.3.4 #1',
             'Call Trace:', ' <TASK>', ' dump_stack_lvl+0x82/0xd0', ' print_report+0xcf/0x620',
             ' kasan_report+0xb5/0xf0', ' kasan_check_range+0x39/0x1c0',
             f' {func}+0x2e/0xb0'] + [f' {t}' for t in trace] +
            [' </TASK>', '',
             'The buggy address belongs to the virtual mapping at',
             ' [ffffffffa0203000, ffffffffa0205000) created by:',
             '=================================================================='])


DROP_PATH = ['kthread_worker_fn+0x2a6/0x8d0', 'kthread+0x3a2/0x760',
             'ret_from_fork+0x2e5/0x3b0', 'ret_from_fork_asm+0x1a/0x30']
# busted=nopin: the last put_device() from the holder's drop worker runs the
# object's release in the freed provider text.
NOPIN_DESTROY = warn('lib/devhold.c', 297, 'devhold_domain_destroy', 'rmmod', 211,
                     'devhold: domain test_devhold_provider destroyed with 1 objects and 0 holds',
                     ['tdp_teardown+0x16a/0x1f0 [test_devhold_provider]',
                      '__do_sys_delete_module+0x36b/0x5c0', 'do_syscall_64+0x91/0x3a0',
                      'entry_SYSCALL_64_after_hwframe+0x76/0x7e'])
NOPIN_OOPS = oops('thh_drop', 215, ['? device_release+0x8c/0x200', '? kobject_put+0x174/0x4c0',
                                    '? thh_put+0x1c3/0x3a0 [test_devhold_holder]',
                                    '? thh_kwork_fn+0x6a/0xa0 [test_devhold_holder]'] +
                  ['? ' + f for f in DROP_PATH])
# busted=ignored_get: module_put() on a module whose count is 0, then freed.
IGNORED_WARN = warn('kernel/module/main.c', 957, 'module_put', 'thh_drop', 215, None,
                    ['thh_put+0x2b1/0x3a0 [test_devhold_holder]',
                     'thh_kwork_fn+0x6a/0xa0 [test_devhold_holder]'] + DROP_PATH)
IGNORED_KASAN = kasan('vmalloc-out-of-bounds', 'module_put', 'thh_drop', 215,
                      ['thh_put+0x2b1/0x3a0 [test_devhold_holder]'] + DROP_PATH)
# busted=nobarrier: the release tail returns into the freed provider text in
# devhold's release work.
WORK_PATH = ['? process_one_work+0x7f4/0x1580', '? worker_thread+0x5c7/0xf80',
             '? kthread+0x3a2/0x760', '? ret_from_fork+0x2e5/0x3b0',
             '? ret_from_fork_asm+0x1a/0x30']
NOBARRIER_OOPS = oops('kworker/u8:3', 57, ['? device_release+0x8c/0x200',
                                           '? kobject_put+0x174/0x4c0',
                                           '? devhold_work_fn+0x3c1/0x6e0'] + WORK_PATH,
                      workqueue='devhold devhold_work_fn', rip='0xffffffffa02010b6')
# A DRM report (v2: DRM's check of a module going with devices alive): a
# sample WARN for the known-report cases.


def drm_warn(module):
    return warn('drivers/gpu/drm/drm_drv.c', 1119, 'drm_module_gone', 'rmmod', 231,
                f'drm: module {module} goes with 1 devices alive, see drm_module_wait()',
                ['drm_module_notify+0x1a/0x30', 'notifier_call_chain+0xb9/0x3f0',
                 '__do_sys_delete_module+0x3a5/0x5c0', 'do_syscall_64+0x91/0x3a0',
                 'entry_SYSCALL_64_after_hwframe+0x76/0x7e'])


# drm_nowait, drm_rs_nowait: a module that does not wait goes with a device
# alive; DRM's check destroys its domain, which WARNs in devhold.
def drm_gone_warn(module):
    return warn('lib/devhold.c', 312, 'devhold_domain_destroy', 'rmmod', 231,
                f'devhold: domain drm:{module} destroyed with 1 objects and 0 holds',
                ['drm_module_gone+0x1a1/0x2b0', 'drm_module_notify+0x1a/0x30',
                 'notifier_call_chain+0xb9/0x3f0', '__do_sys_delete_module+0x3a5/0x5c0',
                 'do_syscall_64+0x91/0x3a0', 'entry_SYSCALL_64_after_hwframe+0x76/0x7e'])


# The same WARN of a destroy from another path (a module's own exit).
OTHER_DESTROY_WARN = warn('lib/devhold.c', 312, 'devhold_domain_destroy', 'rmmod', 231,
                          'devhold: domain tdp destroyed with 1 objects and 0 holds',
                          ['tdp_exit+0x3a/0x60 [test_devhold_provider]',
                           '__do_sys_delete_module+0x3a5/0x5c0', 'do_syscall_64+0x91/0x3a0'])

# Wrong crashes: the same kinds of report from elsewhere.
OTHER_KASAN = kasan('slab-use-after-free', 'kobject_uevent_env', 'modprobe', 198,
                    ['load_module+0x4ad1/0x5a60', '__do_sys_finit_module+0x5e1/0x9c0',
                     'do_syscall_64+0x91/0x3a0'])
# A NULL dereference in the same release work, in code that is still there.
OTHER_FAULT = ['BUG: kernel NULL pointer dereference, address: 0000000000000008',
               '#PF: supervisor read access in kernel mode',
               '#PF: error_code(0x0000) - not-present page',
               'PGD 0 P4D 0'] + \
    [ln.replace('Oops: int3: 0000', 'Oops: Oops: 0000')
     for ln in oops('kworker/u8:3', 57, ['devhold_work_fn+0x3c1/0x6e0'] + WORK_PATH[:2],
                    workqueue='devhold devhold_work_fn', rip='devhold_finish+0x5c/0x1a0')]
OTHER_WARN = warn('kernel/workqueue.c', 3737, 'check_flush_dependency', 'kworker/u8:3', 57,
                  'workqueue: WQ_MEM_RECLAIM devhold:devhold_work_fn is flushing '
                  '!WQ_MEM_RECLAIM events_unbound:0x0', ['__flush_work+0x1c5/0x9e0'])


def circular(a, b, task='modprobe', pid=230):
    """lockdep's report of a cycle between lock classes a and b."""
    return [
        '======================================================',
        'WARNING: possible circular locking dependency detected',
        '7.3.4 #1 Not tainted',
        '------------------------------------------------------',
        f'{task}/{pid} is trying to acquire lock:',
        f'ffff888006f0a2c8 ({b}){{++++}}-{{0:0}}, at: devhold_release_barrier+0x5c/0x140',
        '',
        'but task is already holding lock:',
        f'ffff888006f0b2c8 ({a}){{.+.+}}-{{0:0}}, at: devhold_release_begin+0x8a/0x1c0',
        '',
        'which lock already depends on the new lock.',
        '',
        'stack backtrace:',
        'Call Trace:',
        ' <TASK>',
        ' dump_stack_lvl+0x8f/0xb0',
        ' print_circular_bug+0x2a6/0x390',
        ' __lock_acquire+0x1c2b/0x2f90',
        ' lock_sync+0xb8/0x120',
        ' devhold_release_barrier+0x5c/0x140',
        ' tdp_cycle+0x9c/0x140 [test_devhold_provider]',
        ' tdp_init+0x2a/0x4b0 [test_devhold_provider]',
        ' do_one_initcall+0x9c/0x3b0',
        ' </TASK>',
    ]


# busted=cycle: lockdep's report of the two domains' cycle.
CYCLE_LOCKDEP = circular('tdp-cycle-a', 'tdp-cycle-b')
# A cycle between two other classes.
OTHER_CYCLE = circular('&dev->mode_config.mutex', '&obj->lock')
OTHER_DRM_WARN = warn('drivers/gpu/drm/drm_drv.c', 880, 'drm_dev_put', 'rmmod', 231, None,
                      ['drm_test_unload_remove+0x3a/0x60 [drm_test_unload]'])
# nopin: a NULL function pointer called from the holder's drop path (an
# ops->release left NULL), not freed module text: RIP 0x0, no symbol.
NULL_CALL = ['BUG: kernel NULL pointer dereference, address: 0000000000000000',
             '#PF: supervisor instruction fetch in kernel mode',
             '#PF: error_code(0x0010) - not-present page', 'PGD 0 P4D 0'] + \
    [ln.replace('Oops: int3: 0000', 'Oops: Oops: 0010') for ln in
     oops('thh_drop', 215, ['thh_put+0x1c3/0x3a0 [test_devhold_holder]',
                            'thh_kwork_fn+0x6a/0xa0 [test_devhold_holder]'] + DROP_PATH,
          rip='0x0')]
# nopin: freed provider text unmapped rather than filled with int3: a page
# fault on the instruction fetch, the control's own report all the same.
NOPIN_PF = ['BUG: unable to handle page fault for address: ffffffffa0201231',
            '#PF: supervisor instruction fetch in kernel mode',
            '#PF: error_code(0x0010) - not-present page',
            'PGD 3a2e067 P4D 3a2e067 PUD 3a2f063 PMD 6b25067 PTE 0'] + \
    [ln.replace('Oops: int3: 0000', 'Oops: Oops: 0010') for ln in NOPIN_OOPS]
# nopin: code without a symbol in the module area, but the module unloaded
# last is another one: not the provider's text.
NOPIN_OTHER_MODULE = [ln.replace('[last unloaded: test_devhold_provider]',
                                 '[last unloaded: drm_test_unload]') for ln in NOPIN_OOPS]
# nobarrier: the release work jumps to a wild pointer (the heap), no symbol.
NOBARRIER_WILD = [ln.replace('0xffffffffa02010b6', '0xffff888006b1c000')
                  for ln in NOBARRIER_OOPS]
# ignored_get: a use-after-free in module_put() reached from rmmod's own
# path (not the holder's drop path): another bug, no WARN from the control.
RMMOD_PATH = ['__do_sys_delete_module+0x36b/0x5c0', 'do_syscall_64+0x91/0x3a0',
              'entry_SYSCALL_64_after_hwframe+0x76/0x7e']
RMMOD_KASAN = kasan('slab-use-after-free', 'module_put', 'rmmod', 231, RMMOD_PATH)
RMMOD_WARN = warn('kernel/module/main.c', 957, 'module_put', 'rmmod', 231, None, RMMOD_PATH)
# drm_nowait: a devhold_domain_destroy() of another file.
DRM_WARN_OTHER_FILE = [ln.replace('lib/devhold.c', 'lib/devhold_debug.c')
                       for ln in drm_gone_warn('drm_test_unload')]
# ... and of a file under another directory of the tree that only ends
# like lib/devhold.c's path.
DRM_WARN_SUFFIX = [ln.replace('lib/devhold.c', 'tools/testing/lib/devhold.c')
                   for ln in drm_gone_warn('drm_test_unload')]
# ... and lib/devhold.c's, the tree built in another directory: still its own.
DRM_WARN_ABS = [ln.replace('lib/devhold.c', '/home/u/devhold/build/work/lib/devhold.c')
                for ln in drm_gone_warn('drm_test_unload')]


def sigs(control):
    """(own, also) signatures of a busted control, from devtools/vm.sh's table."""
    text = VMSH.read_text()
    tables = ''.join(m.group(0) for m in
                     re.finditer(r'^declare -A expect(?:_also)?=\(\n.*?^\)\n', text, re.M | re.S))
    st, out = r.run(['bash', '-c', tables + 'printf "%s\\n" "${expect[$1]:-}" '
                     '"${expect_also[$1]:-}"', 'bash', control])
    own, also = (out.split('\n') + ['', ''])[:2]
    if st or not own:
        raise RuntimeError(f'no signature for {control} in {VMSH}: {out}')
    return own, also


def leak_known(line):
    """The unload boot with LEAK_SECTION's leak (in thh_pin), judged with
    vm-known.txt holding line."""
    return lambda tmp: check(tmp, console(), tap(kmemleak=LEAK_SECTION), '--vm-known',
                             str(write(tmp / 'vm-known.txt', [line])), '--boot', 'unload')


def busted(control, parts, result='ok', kmemleak=None, why=None):
    def fn(tmp):
        own, also = sigs(control)
        tp = tap(f'busted-{control}', [f'{result} 1 busted {control}: the kernel reported it'],
                 kmemleak)
        args = ['--expect-failure', own] + (['--expect-also', also] if also else [])
        res = check(tmp, console(*parts), tp, *args)
        return because(why, res) if why else res
    return fn


def unload_part(start, end):
    """Lines of devhold_unload.sh from the one matching start to the next
    matching end."""
    lines = UNLOAD.read_text().splitlines()
    i = next(n for n, ln in enumerate(lines) if re.match(start, ln))
    j = next(n for n in range(i + 1, len(lines)) if re.match(end, lines[n]))
    return '\n'.join(lines[i:j + 1]) + '\n'


def torture(it, iters, finj_hits):
    """devhold_unload.sh's torture verdict, run by bash with its own fault
    counting (fault_on/fault_off) on a stand-in debugfs: `it` of `iters`
    iterations ran; finj_hits, one per iteration with fault injection, is
    how many failures the injector injected in it."""
    def fn(tmp):
        script = f'. {SELFTESTS}/lib.sh\nDBG={tmp}/dbg\n'
        script += f'mkdir -p $DBG/failslab $DBG/fail_page_alloc\nntest=4\n'
        script += unload_part(r'^FI_TIMES=', r'^}$')
        script += unload_part(r'^fault_off\(\)', r'^}$')
        script += f'ITER={iters} SECS=360 it={it} bad=0 nfinj=0 tinj=$injected\n'
        script += 'start=$((SECONDS - 163))\n'
        for hits in finj_hits:
            script += ('fault_on 5; nfinj=$((nfinj + 1))\n'
                       f'echo $((FI_TIMES - {hits})) > $DBG/failslab/times\nfault_off\n')
        script += unload_part(r'^secs=\$\(\(SECONDS - start\)\)', r'^fi$')
        st, out = r.run(['bash', '-c', script])
        if st:
            return st, out
        return check(tmp, console(), tap(cases=BEFORE + out.splitlines() + AFTER))
    return fn


def known(line, boot='drm', why=None):
    """A drm boot with one WARN and vm-known.txt's line 2: line, in which
    {sig} is the report's signature, {rx} a regular expression and {glob}
    a shell pattern that match it; with why, the judge must say why."""
    def fn(tmp):
        con = console(drm_warn('drm_test_unload'))
        write(tmp / 'boot.console', con)
        write(tmp / 'boot.tap', tap())
        # The signature the judge prints for the report, listed as known.
        _, out = r.run(['python3', str(CHECK), str(tmp / 'boot.console'), str(tmp / 'boot.tap')])
        sig = next(ln.split('signature: ', 1)[1] for ln in out.splitlines()
                   if ln.startswith('  signature: '))
        rx = re.escape(sig).replace('\\ ', ' ').replace('drivers/gpu/drm/', '.*')
        glob = sig.replace('drm_module_gone', 'drm_module_*')
        assert re.fullmatch(rx, sig) and fnmatch.fnmatchcase(sig, glob)
        (tmp / 'vm-known.txt').write_text(
            '# Known failures\n' + line.format(sig=sig, rx=rx, glob=glob) + '\n')
        res = check(tmp, con, tap(), '--vm-known', str(tmp / 'vm-known.txt'), '--boot', boot)
        return because(why.format(rx=re.escape(rx), glob=re.escape(glob)), res) if why else res
    return fn


PATHS = ['Unknown kernel command line parameters "BOOT_IMAGE=/home/u/devhold/build/x86_64/'
         'arch/x86/boot/bzImage", will be passed to user space.',
         'devhold: domain test_devhold_provider still busy after 1 s: 3 objects, 8 holds',
         'devhold:   hold 00000000a1b2c3d4 on test_devhold_provider.0-obj (00000000deadbeef) '
         'owner none, held 1012 ms',
         'devhold:     thh_take_one+0x1c4/0x3a0 [test_devhold_holder]',
         'test_devhold_provider: built from /home/u/devhold/build/work/lib/'
         'test_devhold_provider.c']
PATHS_TAP = tap(extra=['# modprobe: loaded /lib/modules/7.3.4/kernel/lib/test_devhold_holder.ko',
                       '# checkout /home/u/devhold, build /home/u/devhold/build/x86_64'])

CASES = [
    ('check-log: a clean boot', 'PASS', boot()),
    ('check-log: a clean boot, checkout path containing "devhold"', 'PASS',
     boot([PATHS], PATHS_TAP)),
    ('check-log: RCU stall', 'FAILED', boot([RCU_STALL])),
    ('check-log: RCU self-detected stall', 'FAILED', boot([RCU_SELF])),
    ('check-log: RCU expedited stall', 'FAILED', boot([RCU_EXP])),
    ('check-log: soft lockup', 'FAILED', boot([SOFT_LOCKUP])),
    ('check-log: workqueue lockup', 'FAILED', boot([WQ_LOCKUP])),
    ('check-log: hung task', 'FAILED', boot([HUNG_TASK])),
    ('check-log: kmemleak disabled itself', 'FAILED', boot([KMEMLEAK_DISABLED])),
    ('check-log: empty kmemleak section without the scan marker', 'FAILED',
     boot(tp=tap(kmemleak=['# kmemleak-begin', '# kmemleak-end']))),
    ('check-log: kmemleak section, one of two scans done', 'FAILED',
     boot(tp=tap(kmemleak=['# kmemleak-begin', '# kmemleak-end',
                           '# kmemleak-scan: 1 of 2 scans done, report read']))),
    ('check-log: kmemleak section never ended', 'FAILED',
     boot(tp=tap(kmemleak=['# kmemleak-begin']))),
    ('check-log: no kmemleak section', 'FAILED', boot(tp=tap(kmemleak=[]))),
    ('check-log: a kmemleak leak', 'FAILED', boot([KMEMLEAK_CONSOLE], tap(kmemleak=LEAK_SECTION))),
    ('check-log: a kmemleak leak in the section only', 'FAILED',
     boot(tp=tap(kmemleak=LEAK_SECTION))),
    ('check-log: a leak known by a function of its backtrace', 'PASS',
     leak_known('unload leak thh_pin -- a stand-in reason')),
    ('check-log: a leak, a function of another leak known', 'FAILED',
     leak_known('unload leak virtio_gpu_mode_dumb_create -- a stand-in reason')),
    ('check-log: a leak known for another boot', 'FAILED',
     leak_known('igt leak thh_pin -- a stand-in reason')),
    ('check-log: a leak line naming a pattern, not a function', 'FAILED',
     leak_known('unload leak thh_.* -- a stand-in reason')),
    ('check-log: the host killed QEMU', 'FAILED',
     lambda tmp: check(tmp, console() + ['# devhold-vm: host: timeout after 840 s, qemu killed'],
                       tap())),
    ('torture: all iterations, failures injected', 'PASS', torture(30, 30, [3, 0, 5, 2])),
    ('torture: short of its iterations (time box)', 'FAILED', torture(12, 30, [3, 1])),
    ('torture: fault injection that injected nothing', 'FAILED', torture(30, 30, [0, 0])),
    ('check-log: a torture line short of its iterations, case ok', 'FAILED',
     boot(tp=tap(cases=BEFORE + [
         '# torture: 12 of 30 iterations in 361 s, 0 failed; 3 with fault injection, '
         '9 failures injected', 'ok 5 torture: 12 iterations'] + AFTER))),
    ('check-log: a known report listed exactly', 'PASS',
     known('drm report {sig} -- the base prints it too')),
    ('check-log: a known report of another boot', 'FAILED',
     known('drm-rs report {sig} -- the base prints it too')),
    # Each malformed line matches the report as a pattern would: only the
    # judge's refusal of the line can fail these boots.
    ('check-log: a known report listed as a pattern', 'FAILED',
     known('drm report {rx} -- a pattern',
           why=r'vm-known\.txt:2: not an exact report signature .*: {rx}$')),
    ('check-log: a known report with a wildcard', 'FAILED',
     known('drm report {glob} -- a wildcard',
           why=r'vm-known\.txt:2: not an exact report signature .*: {glob}$')),
    ('check-log: a known report of the old REGEX REASON form', 'FAILED',
     known(r'drm report drm_drv\.c the base prints it too',
           why=r'vm-known\.txt:2: not "BOOT case N REASON".*: '
               r'drm report drm_drv\\\.c the base prints it too$')),
    ('check-log: a known report listed by its line, not in the normal form', 'FAILED',
     known('drm report WARNING | WARNING: drivers/gpu/drm/drm_drv.c:1119 at '
           'drm_module_gone+0x2f1/0x3a0, CPU#1: rmmod/231 -- its line',
           why=r'vm-known\.txt:2: not an exact report signature .*: WARNING \| '
               r'WARNING: drivers/gpu/drm/drm_drv\.c:1119 at')),
    ('check-log: a non-exact known line of another boot', 'FAILED',
     known('drm report {sig} -- exact\nigt report {rx} -- a pattern',
           why=r'vm-known\.txt:3: not an exact report signature .*: {rx}$')),
    # Skips: each fails the boot unless vm-known.txt lists it.
    ('check-log: every case skipped (the modules missing)', 'FAILED',
     boot(tp=tap(cases=['ok 1 pinned # SKIP test_devhold_provider not found',
                        'ok 2 counted # SKIP test_devhold_provider not found',
                        'not ok 3 faults # SKIP no failslab in this kernel']))),
    ('check-log: one case skipped, the others passed', 'FAILED',
     boot(tp=tap(cases=BEFORE[:3] + ['ok 4 faults # SKIP no CONFIG_FAILSLAB'] +
                 TORTURE + AFTER))),
    ('check-log: the command skipped everything (1..0 # SKIP)', 'FAILED',
     lambda tmp: check(tmp, console(),
                       tap(cases=[])[:2] + ['1..0 # SKIP must run as root'] +
                       KMEMLEAK_OK + ['# devhold-vm: uptime 20.00s', '# devhold-vm: exit 0'])),
    ('check-log: a skip listed as a known skip of the boot', 'PASS',
     lambda tmp: check(tmp, console(),
                       tap(cases=BEFORE[:4] + ['ok 4 faults # SKIP no CONFIG_FAILSLAB'] +
                           TORTURE + AFTER),
                       '--vm-known', str(write(tmp / 'vm-known.txt', [
                           'unload skip 4 the faults case needs CONFIG_FAILSLAB'])),
                       '--boot', 'unload')),
    ('check-log: a skip listed as a known skip of another boot', 'FAILED',
     lambda tmp: check(tmp, console(),
                       tap(cases=BEFORE[:4] + ['ok 4 faults # SKIP no CONFIG_FAILSLAB'] +
                           TORTURE + AFTER),
                       '--vm-known', str(write(tmp / 'vm-known.txt', [
                           'unload-delay skip 4 the faults case needs CONFIG_FAILSLAB'])),
                       '--boot', 'unload')),
    ('check-log: IGT subtest lines in a boot that is not igt\'s', 'FAILED',
     lambda tmp: check(tmp, console(),
                       tap(cases=BEFORE + TORTURE + AFTER +
                           ['not ok 8 igt vgem_basic@unload # FAIL']),
                       '--boot', 'unload')),
    ('check-log: a skip in a busted control\'s scenario', 'FAILED',
     lambda tmp: check(tmp, console(*CONTROLS['drm_nowait']),
                       tap('busted-drm_nowait',
                           ['ok 1 busted drm_nowait # SKIP no drm_test_unload']),
                       '--expect-failure', sigs('drm_nowait')[0])),
]

CONTROLS = {
    'nopin': [NOPIN_DESTROY, NOPIN_OOPS, KMEMLEAK_CONSOLE],
    'ignored_get': [IGNORED_WARN, IGNORED_WARN],
    'nobarrier': [NOBARRIER_OOPS, KMEMLEAK_CONSOLE],
    'cycle': [CYCLE_LOCKDEP],
    'drm_nowait': [drm_gone_warn('drm_test_unload')],
    'drm_rs_nowait': [drm_gone_warn('drm_test_unload_rs')],
}
WRONG = {
    'nopin': [NOPIN_DESTROY, NOBARRIER_OOPS],
    'ignored_get': [OTHER_WARN],
    'nobarrier': [OTHER_FAULT],
    'cycle': [OTHER_CYCLE],
    'drm_nowait': [OTHER_DRM_WARN, OTHER_DESTROY_WARN],
    'drm_rs_nowait': [IGNORED_WARN, OTHER_DESTROY_WARN],
}
for c in CONTROLS:
    leaks = LEAK_SECTION if c in ('nopin', 'nobarrier') else None
    CASES += [
        (f'busted {c}: its own signature', 'PASS', busted(c, CONTROLS[c], kmemleak=leaks)),
        (f'busted {c}: an unrelated crash instead', 'FAILED', busted(c, WRONG[c])),
        (f'busted {c}: no report at all', 'FAILED', busted(c, [])),
        (f'busted {c}: its own signature and an unrelated KASAN in modprobe', 'FAILED',
         busted(c, CONTROLS[c] + [OTHER_KASAN])),
    ]
CASES += [
    ('busted ignored_get: KASAN in module_put once the module is freed', 'PASS',
     busted('ignored_get', [IGNORED_WARN, IGNORED_KASAN])),
    ('busted ignored_get: its own WARN and a WARN of another place', 'FAILED',
     busted('ignored_get', [IGNORED_WARN, OTHER_WARN])),
    ('busted drm_nowait: its own signature and a kmemleak leak', 'FAILED',
     busted('drm_nowait', CONTROLS['drm_nowait'] + [KMEMLEAK_CONSOLE])),
    ('busted nopin: its own signature and an RCU stall', 'FAILED',
     busted('nopin', CONTROLS['nopin'] + [RCU_SELF])),
    ('busted nopin: its own signature, but the scenario failed itself', 'FAILED',
     busted('nopin', CONTROLS['nopin'], result='not ok')),
]
CASES += [
    # The wrong crash of the right kind, from the control's own path.
    ('busted nopin: a NULL function pointer called from the drop path', 'FAILED',
     busted('nopin', [NOPIN_DESTROY, NULL_CALL],
            why=r'a report this control does not make: BUG: kernel NULL pointer')),
    ('busted nopin: code of another unloaded module', 'FAILED',
     busted('nopin', [NOPIN_DESTROY, NOPIN_OTHER_MODULE],
            why=r'\(at 0xffffffffa0201231, no symbol \(last unloaded: drm_test_unload\)\)')),
    ('busted nopin: freed provider text unmapped (page fault, not int3)', 'PASS',
     busted('nopin', [NOPIN_DESTROY, NOPIN_PF, KMEMLEAK_CONSOLE], kmemleak=LEAK_SECTION)),
    ('busted nobarrier: a jump to a wild pointer from the release work', 'FAILED',
     busted('nobarrier', [NOBARRIER_WILD], why=r'\(at 0xffff888006b1c000\)')),
    ('busted ignored_get: KASAN in module_put from rmmod, no WARN', 'FAILED',
     busted('ignored_get', [RMMOD_KASAN], why=r'expected failure NOT seen')),
    ('busted ignored_get: module_put\'s WARN from rmmod\'s path', 'FAILED',
     busted('ignored_get', [RMMOD_WARN], why=r'expected failure NOT seen')),
    # FILE:PLACE: the function's name in another file is another place.
    ('busted drm_nowait: devhold_domain_destroy WARNs in another file', 'FAILED',
     busted('drm_nowait', [DRM_WARN_OTHER_FILE], why=r'expected failure NOT seen')),
    ('busted drm_nowait: a file that only ends like lib/devhold.c\'s path', 'FAILED',
     busted('drm_nowait', [DRM_WARN_SUFFIX], why=r'expected failure NOT seen')),
    ('busted drm_nowait: lib/devhold.c under the build\'s absolute tree path', 'PASS',
     busted('drm_nowait', [DRM_WARN_ABS])),
    ('busted drm_nowait: the same WARN from a module\'s own exit', 'FAILED',
     busted('drm_nowait', [OTHER_DESTROY_WARN], why=r'expected failure NOT seen')),
]


def boot_counts(tmp, b, out, tp, rc):
    """(status, output) of vm.sh's boot_counts() on a boot's judge output
    OUT and TAP, run.sh's status rc: FAILED unless it counts 0 failed."""
    text = VMSH.read_text()
    m = re.search(r'^boot_counts\(\) \{\n.*?^\}\n', text, re.M | re.S)
    if not m:
        raise RuntimeError(f'no boot_counts() in {VMSH}')
    write(tmp / f'{b}.out', out.splitlines())
    write(tmp / f'{b}.tap', tp)
    script = (f'here={r.REPO / "devtools"} igt_base={tmp}/igt.txt '
              f'igt_version={tmp}/vmroot.igt\n' + m.group(0) + 'boot_counts "$@"\n')
    st, counts = r.run(['bash', '-c', script, 'bash', b, str(tmp / f'{b}.out'),
                        str(tmp / f'{b}.tap'), str(rc)])
    table = (tmp / 'igt.table').read_text() if (tmp / 'igt.table').exists() else ''
    last = (counts.strip().splitlines() or [''])[-1]
    ok = st == 0 and re.fullmatch(r'\d+ 0', last)
    return (0 if ok else 1), out + table + counts


def judged(b, tp, con=(), extra=()):
    """check-log.py on a boot as run.sh runs it, then boot_counts()."""
    def fn(tmp):
        known = write(tmp / 'vm-known.txt', ['# none'])
        rc, out = check(tmp, console(*con), tp, '--vm-known', str(known), '--boot', b, *extra)
        return boot_counts(tmp, b, out, tp, rc)
    return fn


# IGT on stand-in binaries: each prints its subtests' results as IGT does
# and exits with IGT's status (98: a subtest failed, 77: all skipped).
IGT_BASE = {
    'core_hotunplug': ([('hotrebind', 'SUCCESS'), ('hotunplug-rescan', 'FAIL'),
                        ('unbind-rebind', 'SUCCESS')], 98),
    'vgem_basic': ([('create', 'SUCCESS'), ('unload', 'SUCCESS')], 0),
    'prime_vgem': ([('basic-read', 'SKIP'), ('basic-write', 'SKIP')], 77),
    'kms_writeback': ([('writeback-fb-id', 'SUCCESS'),
                       ('writeback-fb-id-XRGB2101010', 'SKIP')], 0),
}
# The base's results, as igt-compare.py --make-baseline writes them.
IGT_BASELINE = ['# IGT subtests on the unpatched base (make baseline)',
                '# igt-gpu-tools-tests 2.5-1',
                'core_hotunplug@exit-98 fail', 'core_hotunplug@hotrebind pass',
                'core_hotunplug@hotunplug-rescan fail', 'core_hotunplug@unbind-rebind pass',
                'kms_writeback@writeback-fb-id pass',
                'kms_writeback@writeback-fb-id-XRGB2101010 skip',
                'prime_vgem@basic-read skip', 'prime_vgem@basic-write skip',
                'vgem_basic@create pass', 'vgem_basic@unload pass']


def igt(binaries, con=()):
    """The igt boot: devhold_igt.sh on stand-in IGT binaries and modprobe,
    its output in the TAP stream as init.sh writes it, judged by
    check-log.py and boot_counts() against IGT_BASELINE."""
    def fn(tmp):
        bindir, igtdir = tmp / 'bin', tmp / 'igt'
        bindir.mkdir()
        igtdir.mkdir()
        (bindir / 'modprobe').write_text('#!/bin/sh\nexit 0\n')
        (bindir / 'modprobe').chmod(0o755)
        for name, (subs, status) in binaries.items():
            f = igtdir / name
            f.write_text('#!/bin/sh\n' + ''.join(
                f'echo "Starting subtest: {s}"\necho "Subtest {s}: {res} (0.412s)"\n'
                for s, res in subs) + f'exit {status}\n')
            f.chmod(0o755)
        st, out = r.run(['bash', str(IGT)], env={'PATH': f'{bindir}:/usr/bin:/bin',
                                                 'IGT_DIR': str(igtdir)})
        tp = (['# devhold-vm: start igt', '# devhold-vm: kernel 7.3.4, uptime 14.00s'] +
              out.splitlines() + [''] + KMEMLEAK_OK +
              ['# devhold-vm: uptime 201.50s', f'# devhold-vm: exit {st}'])
        write(tmp / 'igt.txt', IGT_BASELINE)
        (tmp / 'vmroot.igt').write_text('2.5-1\n')
        known = write(tmp / 'vm-known.txt', ['# none'])
        rc, res = check(tmp, console(*con), tp, '--vm-known', str(known), '--boot', 'igt')
        return boot_counts(tmp, 'igt', res, tp, rc)
    return fn


def unload_faults(dirs):
    """devhold_unload.sh's own verdict on its faults case (the case that
    follows faults(), which passes here) on a stand-in debugfs with dirs:
    FAILED when it prints a "not ok" line."""
    def fn(tmp):
        script = f'. {SELFTESTS}/lib.sh\nDBG={tmp}/dbg\nntest=3\n'
        script += ''.join(f'mkdir -p $DBG/{d}\n' for d in dirs)
        script += 'faults() { return 0; }\ncleanup() { :; }\n'
        script += unload_part(r'^if \[ ! -d "\$DBG/failslab" \]', r'.*\bfi$')
        st, out = r.run(['bash', '-c', script])
        return (1 if st or re.search(r'^not ok', out, re.M) else 0), out
    return fn


IGT_WORSE = dict(IGT_BASE, vgem_basic=([('create', 'SUCCESS'), ('unload', 'FAIL')], 98))
IGT_SKIPS_MORE = dict(IGT_BASE, vgem_basic=([('create', 'SUCCESS'), ('unload', 'SKIP')], 0))
IGT_LOST = {k: v for k, v in IGT_BASE.items() if k != 'kms_writeback'}
UNLOAD_OUT = '\n'.join(['report: none', '--- summary', '7 passed, 0 failed']) + '\n'
CASES += [
    ('vm.sh: the unload boot, clean', 'PASS', judged('unload', tap())),
    ('vm.sh: the unload boot without its torture lines', 'FAILED',
     judged('unload', tap(cases=BEFORE + ['ok 5 torture'] + AFTER))),
    ('vm.sh: the unload boot without its fault injection line', 'FAILED',
     judged('unload', tap(cases=BEFORE[:3] + BEFORE[4:] + TORTURE + AFTER))),
    ('vm.sh: the judge printed no counts, run.sh failed', 'FAILED',
     lambda tmp: boot_counts(tmp, 'drm', 'Traceback (most recent call last):\n', tap(), 1)),
    ('vm.sh: the judge printed no counts, run.sh status 0', 'FAILED',
     lambda tmp: boot_counts(tmp, 'drm', 'report: none\n', tap(), 0)),
    ('vm.sh: counts of 0 failed, run.sh failed', 'FAILED',
     lambda tmp: boot_counts(tmp, 'drm', UNLOAD_OUT, tap(), 1)),
    ('vm.sh igt: a subtest that fails on the base too, prime_vgem skips', 'PASS',
     igt(IGT_BASE)),
    ('vm.sh igt: a subtest that passed on the base fails', 'FAILED', igt(IGT_WORSE)),
    ('vm.sh igt: a subtest that passed on the base skips', 'FAILED', igt(IGT_SKIPS_MORE)),
    ('vm.sh igt: an IGT binary missing (kms_writeback)', 'FAILED', igt(IGT_LOST)),
    ('vm.sh igt: as the base, and a kernel report', 'FAILED',
     igt(IGT_BASE, [OTHER_KASAN])),
    ('vm.sh igt: the judge printed no counts, a subtest failing as on the base', 'FAILED',
     lambda tmp: (igt(IGT_BASE)(tmp), boot_counts(
         tmp, 'igt', 'Traceback (most recent call last):\n',
         (tmp / 'igt.tap').read_text().splitlines(), 1))[1]),
    ('devhold_unload.sh: faults with both injectors', 'PASS',
     unload_faults(['failslab', 'fail_page_alloc'])),
    ('devhold_unload.sh: faults without failslab', 'FAILED',
     unload_faults(['fail_page_alloc'])),
    ('devhold_unload.sh: faults without fail_page_alloc', 'FAILED',
     unload_faults(['failslab'])),
]


# An int3 from freed module text is handled as an NMI-like exception: the
# Oops ends in "Fatal exception in interrupt" (oops_end() -> panic()).
PANIC = ['Kernel panic - not syncing: Fatal exception in interrupt',
         'Kernel Offset: disabled',
         '---[ end Kernel panic - not syncing: Fatal exception in interrupt ]---']
CASES += [
    ('busted nopin: its own Oops, then the panic of an Oops in interrupt context', 'PASS',
     busted('nopin', CONTROLS['nopin'] + [PANIC])),
    ('busted nobarrier: its own Oops, then the panic', 'PASS',
     busted('nobarrier', CONTROLS['nobarrier'] + [PANIC])),
    ('busted drm_nowait: its own WARN, then a panic', 'FAILED',
     busted('drm_nowait', CONTROLS['drm_nowait'] + [PANIC])),
    ('busted nobarrier: a panic without its own Oops', 'FAILED',
     busted('nobarrier', [PANIC])),
]
