"""Reproducible inputs and the gate's bounds: the base is the pinned version
(devtools/fetch-base.sh), IGT results are judged against a baseline of the
same IGT version (devtools/igt-compare.py), static checks every .c/.rs file
of the series in some configuration (devtools/static.sh --coverage), and
make check ends, naming the step, when its time runs out
(devtools/gate-lib.sh)."""
import os
import subprocess

import run as r

FETCH = r.REPO / 'devtools/fetch-base.sh'
IGT = r.REPO / 'devtools/igt-compare.py'
BUGS = r.REPO / 'devtools/bugs-compare.py'
STATIC = r.REPO / 'devtools/static.sh'
GATELIB = r.REPO / 'devtools/gate-lib.sh'

PINNED = '7.3.4-1~bpo13+1'


def env(tmp, **kw):
    e = {k: v for k, v in os.environ.items() if k not in ('BASE_VERSION', 'DEVHOLD_CACHE')}
    e['DEVHOLD_CACHE'] = str(tmp / 'cache')
    e.update(kw)
    return e


def only_if(out, needle, status):
    """A FAILED verdict counts only for the reason the case is about."""
    return (status if needle in out else 0), out


# --- the base's version ------------------------------------------------------

def deb(tmp, version, package='linux-source-7.3'):
    """A package as the archive has it, without its 150 MB of source."""
    root = tmp / 'pkg'
    (root / 'DEBIAN').mkdir(parents=True)
    (root / 'DEBIAN/control').write_text(
        f'Package: {package}\nSource: linux\nVersion: {version}\nArchitecture: all\n'
        'Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>\n'
        'Section: kernel\nPriority: optional\n'
        'Description: Linux kernel source for version 7.3 with Debian patches\n')
    path = tmp / f'{package}_{version.replace(":", "%3a")}_all.deb'
    subprocess.run(['dpkg-deb', '--root-owner-group', '-b', str(root), str(path)],
                   check=True, capture_output=True)
    return path


def base_newer(tmp):
    # The archive moved on: trixie-backports now carries 7.3.5.
    st, out = r.run([FETCH, '--check-version', deb(tmp, '7.3.5-1~bpo13+1')], env=env(tmp))
    return only_if(out, 'BASE_VERSION=', st)


def base_other_package(tmp):
    st, out = r.run([FETCH, '--check-version', deb(tmp, PINNED, 'linux-source-7.4')],
                    env=env(tmp))
    return only_if(out, 'not linux-source-7.3', st)


def base_pinned(tmp):
    return r.run([FETCH, '--check-version', deb(tmp, PINNED)], env=env(tmp))


def base_override(tmp):
    # BASE_VERSION= picks another version on purpose.
    return r.run([FETCH, '--check-version', deb(tmp, '7.3.5-1~bpo13+1')],
                 env=env(tmp, BASE_VERSION='7.3.5-1~bpo13+1'))


def cached_base(tmp, version):
    tree = tmp / 'cache' / f'linux-{version}'
    tree.mkdir(parents=True)
    (tree / 'Makefile').write_text('VERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 4\n')
    (tmp / 'cache/base.ok').write_text(f'version={version}\ndir={tree}\n')
    # No network here: should fetch-base go on to apt, apt fails.
    bin_ = tmp / 'bin'
    bin_.mkdir()
    for tool in ('apt-get', 'apt-cache'):
        (bin_ / tool).write_text('#!/bin/sh\necho "E: no network in gate-selftest" >&2\nexit 100\n')
        (bin_ / tool).chmod(0o755)
    return env(tmp, PATH=f'{bin_}:{os.environ["PATH"]}')


def base_cached_other(tmp):
    # A tree of another version in the cache is not used (silently or not).
    st, out = r.run([FETCH], env=cached_base(tmp, '7.3.3-1~bpo13+1'))
    return only_if(out, 'not using it', st)


def base_cached_pinned(tmp):
    st, out = r.run([FETCH], env=cached_base(tmp, PINNED))
    return (st or not out.strip().endswith(f'linux-{PINNED}')), out


# --- IGT version -----------------------------------------------------------

BASELINE = '''\
# IGT subtests on the unpatched base (make baseline)
# igt-gpu-tools-tests 2.5-1
core_hotunplug@hotrebind pass
core_hotunplug@hotunbind-rebind pass
core_hotunplug@unbind-rebind pass
prime_vgem@basic-read skip
vgem_basic@unload pass
'''

TAP = '''\
TAP version 13
# IGT_FORCE_DRIVER=virtio_gpu core_hotunplug: exit status 0
# Subtest unbind-rebind: SUCCESS (1.204s)
# IGT_FORCE_DRIVER=vgem vgem_basic: exit status 0
1..5
ok 1 igt core_hotunplug@unbind-rebind
ok 2 igt core_hotunplug@hotunbind-rebind
ok 3 igt core_hotunplug@hotrebind
ok 4 igt vgem_basic@unload
ok 5 igt prime_vgem@basic-read # SKIP
'''


def igt(tmp, root_version, baseline=BASELINE):
    (tmp / 'igt.txt').write_text(baseline)
    (tmp / 'igt.tap').write_text(TAP)
    (tmp / 'vmroot.igt').write_text(root_version + '\n')
    return r.run(['python3', IGT, '--igt-version', tmp / 'vmroot.igt',
                  tmp / 'igt.txt', tmp / 'igt.tap'])


def igt_newer_root(tmp):
    # sid moved to IGT 2.6 since the baseline was made.
    st, out = igt(tmp, '2.6-1')
    return only_if(out, 'igt-gpu-tools-tests 2.6-1', st)


def igt_no_version(tmp):
    st, out = igt(tmp, '2.5-1', BASELINE.replace('# igt-gpu-tools-tests 2.5-1\n', ''))
    return only_if(out, 'no version line', st)


def igt_same(tmp):
    return igt(tmp, '2.5-1')


def igt_roundtrip(tmp):
    # make baseline writes the root's version; the gate then accepts it.
    (tmp / 'igt.tap').write_text(TAP)
    (tmp / 'vmroot.igt').write_text('2.5-1\n')
    st, out = r.run(['python3', IGT, '--igt-version', tmp / 'vmroot.igt', '--make-baseline',
                     tmp / 'igt.tap', tmp / 'igt.txt'])
    if st:
        return st, out
    return r.run(['python3', IGT, '--igt-version', tmp / 'vmroot.igt',
                  tmp / 'igt.txt', tmp / 'igt.tap'])


# --- static: every file of the series checked --------------------------------

SERIES = '''\
drivers/gpu/drm/drm_drv.c
drivers/gpu/drm/drm_gpuvm.c
drivers/gpu/drm/panthor/panthor_drv.c
drivers/gpu/drm/tests/drm_test_unload_rs.rs
lib/devhold.c
lib/test_devhold_scale.c
rust/helpers/devhold.c
rust/helpers/helpers.c
rust/kernel/devhold.rs
tools/testing/selftests/devhold/devhold_fence.c
'''

CHECKED = '''\
sparse drivers/gpu/drm/drm_drv.c x86_64 drivers/gpu/drm/drm_drv.o
sparse drivers/gpu/drm/drm_gpuvm.c x86_64 drivers/gpu/drm/drm_gpuvm.o
sparse lib/devhold.c x86_64 lib/devhold.o
sparse lib/devhold.c x86_64-lib lib/devhold.o
sparse drivers/gpu/drm/panthor/panthor_drv.c arm64 drivers/gpu/drm/panthor/panthor_drv.o
sparse rust/helpers/helpers.c rust rust/helpers/helpers.o
sparse rust/helpers/devhold.c rust rust/helpers/helpers.o
sparse lib/test_devhold_scale.c x86_64+CONFIG_TEST_DEVHOLD_SCALE=m lib/test_devhold_scale.o
clippy rust/kernel/devhold.rs rust/.kernel.o.cmd
clippy drivers/gpu/drm/tests/drm_test_unload_rs.rs drivers/gpu/drm/tests/.drm_test_unload_rs.o.cmd
usercc tools/testing/selftests/devhold/devhold_fence.c
'''


def coverage(tmp, leave_out=None):
    (tmp / 'series').write_text(SERIES)
    (tmp / 'checked').write_text(''.join(
        ln + '\n' for ln in CHECKED.splitlines() if not leave_out or leave_out not in ln))
    return r.run(['bash', STATIC, '--coverage', tmp / 'series', tmp / 'checked'])


def static_bench_unchecked(tmp):
    # Today's gap: no tier builds the benchmark module.
    st, out = coverage(tmp, 'lib/test_devhold_scale.c')
    return only_if(out, 'lib/test_devhold_scale.c not checked', st)


def static_helpers_unchecked(tmp):
    # The rust tier's build missing: its helpers are checked nowhere.
    st, out = coverage(tmp, ' rust rust/helpers/helpers.o')
    return only_if(out, 'rust/helpers/devhold.c not checked', st)


def static_rs_unlinted(tmp):
    st, out = coverage(tmp, 'drm_test_unload_rs.rs')
    return only_if(out, 'drm_test_unload_rs.rs not checked', st)


def static_selftest_program_unchecked(tmp):
    # A userspace program of the selftests that the host compiler did not
    # build: sparse never sees it, so only usercc covers it.
    st, out = coverage(tmp, 'usercc ')
    return only_if(out, 'devhold_fence.c not checked', st)


def static_complete(tmp):
    return coverage(tmp)


def static_helper_object(tmp):
    # rust/helpers/devhold.c has no object of its own: the .cmd of the one
    # that includes it names it (as kbuild writes it in an O= build).
    d = tmp / 'rust/rust/helpers'
    d.mkdir(parents=True)
    (d / 'helpers.o').write_bytes(b'')
    (d / '.helpers.o.cmd').write_text(
        'savedcmd_rust/helpers/helpers.o := ccache gcc -Wp,-MMD,rust/helpers/.helpers.o.d '
        '-nostdinc -c -o rust/helpers/helpers.o ../work/rust/helpers/helpers.c\n\n'
        'source_rust/helpers/helpers.o := ../work/rust/helpers/helpers.c\n\n'
        'deps_rust/helpers/helpers.o := \\\n'
        '  ../work/rust/helpers/cred.c \\\n'
        '  ../work/rust/helpers/devhold.c \\\n'
        '  ../work/include/linux/devhold.h \\\n\n'
        'rust/helpers/helpers.o: $(deps_rust/helpers/helpers.o)\n\n'
        '$(deps_rust/helpers/helpers.o):\n')
    st, out = r.run(['bash', STATIC, '--object-of', tmp / 'rust', 'rust/helpers/devhold.c'])
    _, none = r.run(['bash', STATIC, '--object-of', tmp / 'rust', 'rust/helpers/dev.c'])
    return (st or out.strip() != 'rust/helpers/helpers.o' or none.strip() != ''), out + none


# --- the gate's time limit ---------------------------------------------------

def gate(script):
    return r.run(['bash', '-c', f'. "{GATELIB}"; {script}'])


def gate_out_of_time(tmp):
    # A step that hangs (a suite re-run waiting on a deadlocked kernel).
    st, out = gate(f'gate_limit 1; gate_bounded x86_64 "{tmp}/x86_64.out" sleep 60; '
                   f'gate_bounded static "{tmp}/static.out" true; gate_time_verdict')
    return only_if(out, 'gate: out of time in step x86_64 after', st)


def gate_in_time(tmp):
    return gate(f'gate_limit 60; gate_bounded x86_64 "{tmp}/x86_64.out" true && '
                f'gate_time_verdict')


def gate_own_timeout(tmp):
    # A step's own timeout (status 124) well inside the limit is its own
    # failure, not the gate's time running out.
    return gate(f'gate_limit 60; gate_bounded vm "{tmp}/vm.out" sh -c "exit 124"; '
                f'[ $? = 124 ] && gate_time_verdict')


# --- unload-bug cases: each must fail on the base and pass with the series ---

BUGS_CASE = 'vgem: rmmod while a fence is kept in a sync_file'
BUGS_TAP = ''.join(f'ok {i} {BUGS_CASE} ({i})\n' for i in (1, 2, 3)) + '1..3\n'
BUGS_BASE_CONSOLE = (
    '[   50.100000] ==================================================================\n'
    '[   50.100001] BUG: KASAN: vmalloc-out-of-bounds in dma_fence_release+0x2a/0x1b0\n'
    '[   50.100002] Read of size 1 at addr ffffffffc0a1e3c4 by task devhold_fence/201\n'
    '[   50.100003] Call Trace:\n'
    '[   50.100004]  <TASK>\n'
    '[   50.100005]  dma_fence_release+0x2a/0x1b0\n'
    '[   50.100006]  sync_file_release+0x1e/0x40\n'
    '[   50.100007]  __fput+0x5c/0x2d0\n'
    '[   50.100008]  </TASK>\n'
    '[   50.100009] ==================================================================\n')


def bugs(tmp, series_tap, base_tap, console=''):
    (tmp / 'base.tap').write_text(base_tap)
    (tmp / 'base.console').write_text(console)
    (tmp / 'series.tap').write_text(series_tap)
    st, out = r.run(['python3', BUGS, '--make-baseline', tmp / 'base.tap',
                     tmp / 'base.console', tmp / 'bugs.txt'])
    if st:
        return st, out
    st2, out2 = r.run(['python3', BUGS, tmp / 'bugs.txt', tmp / 'series.tap'])
    return st2, out + out2


def bugs_base_passes(tmp):
    # The case shows nothing: the base kernel passes it too.
    st, out = bugs(tmp, BUGS_TAP, BUGS_TAP)
    return only_if(out, 'does not fail on the base', st)


def bugs_series_fails(tmp):
    tap = BUGS_TAP.replace('ok 2 ', 'not ok 2 ')
    st, out = bugs(tmp, tap, tap.replace('ok 1 ', 'not ok 1 '))
    return only_if(out, 'does not pass with the series', st)


def bugs_base_tap_only(tmp):
    # The base failed the case's own checks but the kernel reported
    # nothing: no evidence of the bug (the check may look for the fix).
    st, out = bugs(tmp, BUGS_TAP, BUGS_TAP.replace('ok 1 ', 'not ok 1 '))
    return only_if(out, 'does not fail on the base', st)


def bugs_not_run(tmp):
    # The case of the baseline did not run with the series.
    st, out = bugs(tmp, '1..0 # SKIP vgem not built\n', BUGS_TAP, BUGS_BASE_CONSOLE)
    return only_if(out, 'did not run', st)


def bugs_unknown_case(tmp):
    (tmp / 'bugs.txt').write_text(f'{BUGS_CASE}\tfails\tKASAN\n')
    (tmp / 'series.tap').write_text(BUGS_TAP.replace('vgem', 'vkms'))
    st, out = r.run(['python3', BUGS, tmp / 'bugs.txt', tmp / 'series.tap'])
    return only_if(out, 'not in the baseline', st)


def bugs_report_of_another_boot(tmp):
    # Two base boots, one case each: the report of the vgem boot is no
    # evidence for the vkms case, which passed in its own boot.
    vkms = BUGS_TAP.replace('vgem', 'vkms')
    (tmp / 'vgem.tap').write_text(BUGS_TAP)
    (tmp / 'vgem.console').write_text(BUGS_BASE_CONSOLE)
    (tmp / 'vkms.tap').write_text(vkms)
    (tmp / 'vkms.console').write_text('')
    (tmp / 'series.tap').write_text(BUGS_TAP + vkms)
    st, out = r.run(['python3', BUGS, '--make-baseline', tmp / 'vgem.tap', tmp / 'vgem.console',
                     tmp / 'vkms.tap', tmp / 'vkms.console', tmp / 'bugs.txt'])
    if st:
        return 0, out + '\nno baseline from two boots'  # not the failure this is about
    st, out2 = r.run(['python3', BUGS, tmp / 'bugs.txt', tmp / 'series.tap'])
    out += out2
    if 'vgem: rmmod while a fence is kept in a sync_file: does not fail' in out:
        return 1, out + '\nthe vgem case lost its own report'
    return only_if(out, 'vkms: rmmod while a fence is kept in a sync_file: does not fail', st)


def bugs_case_killed(tmp):
    # The base kernel died in the case: no TAP line, its "# case:" line and
    # the report are the evidence.
    st, out = bugs(tmp, BUGS_TAP, f'# case: {BUGS_CASE}\n', BUGS_BASE_CONSOLE)
    if f'{BUGS_CASE} | fails (KASAN' not in out:
        return 1, out + '\nthe case that began is not failed by its report'
    return st, out


def bugs_fixed(tmp):
    # A report on the base, every iteration passing with the series.
    st, out = bugs(tmp, BUGS_TAP, BUGS_TAP.replace('ok 3 ', 'not ok 3 '),
                    BUGS_BASE_CONSOLE)
    if 'KASAN' not in out:
        return 1, out + '\nthe report of the base is not the evidence'
    return st, out


CASES = [
    ('fetch-base: the archive has 7.3.5, not the pinned version', 'FAILED', base_newer),
    ('fetch-base: another package', 'FAILED', base_other_package),
    ('fetch-base: the pinned version', 'PASS', base_pinned),
    ('fetch-base: another version asked for with BASE_VERSION=', 'PASS', base_override),
    ('fetch-base: a cached tree of another version', 'FAILED', base_cached_other),
    ('fetch-base: the cached tree of the pinned version', 'PASS', base_cached_pinned),
    ('igt-compare: the VM root has a newer IGT than the baseline', 'FAILED', igt_newer_root),
    ('igt-compare: a baseline without its IGT version', 'FAILED', igt_no_version),
    ('igt-compare: the same IGT version', 'PASS', igt_same),
    ('igt-compare: make baseline, then the gate', 'PASS', igt_roundtrip),
    ('bugs-compare: a case the base passes too', 'FAILED', bugs_base_passes),
    ('bugs-compare: a case failing with the series', 'FAILED', bugs_series_fails),
    ('bugs-compare: the base failed the TAP only, no report', 'FAILED', bugs_base_tap_only),
    ('bugs-compare: a case of the baseline not run', 'FAILED', bugs_not_run),
    ('bugs-compare: a case the baseline does not know', 'FAILED', bugs_unknown_case),
    ('bugs-compare: the report of another boot is no evidence', 'FAILED',
     bugs_report_of_another_boot),
    ('bugs-compare: the base died in the case, with a report', 'PASS', bugs_case_killed),
    ('bugs-compare: fails on the base, passes with the series', 'PASS', bugs_fixed),
    ('static: the benchmark module checked nowhere', 'FAILED', static_bench_unchecked),
    ('static: the Rust helpers checked nowhere', 'FAILED', static_helpers_unchecked),
    ('static: a .rs file clippy did not lint', 'FAILED', static_rs_unlinted),
    ('static: a selftest program the host compiler did not build', 'FAILED',
     static_selftest_program_unchecked),
    ('static: every file of the series checked', 'PASS', static_complete),
    ('static: rust/helpers/devhold.c is part of helpers.o', 'PASS', static_helper_object),
    ('gate: a step runs out of the time limit', 'FAILED', gate_out_of_time),
    ('gate: steps within the time limit', 'PASS', gate_in_time),
    ("gate: a step's own timeout inside the limit", 'PASS', gate_own_timeout),
]
