#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Deliberately broken controls: each runs one unload scenario with a broken
# variant of the test modules and must make the kernel report it: an oops
# in the unloaded provider's code (nopin, nobarrier), module_put()'s
# refcount WARN (ignored_get), lockdep's report of a barrier cycle across
# domains (cycle), the WARN of DRM's check of a module that goes with a
# device alive, which does not wait for it (drm_nowait, drm_rs_nowait).  The harness (vm/run.sh with
# VM_EXPECT_FAILURE, the table in devtools/vm.sh) boots a kernel per
# control and fails unless the control's own report comes and no other: a
# test that cannot fail proves nothing.  The check here only decides when
# the scenario is over (any report will do); the host judges which one it
# was.  The correct variants of the same scenarios are cases of
# devhold_unload.sh.
#
# Usage: devhold_busted.sh nopin|ignored_get|nobarrier|cycle|drm_nowait|drm_rs_nowait

. "$(dirname "$0")/lib.sh"

report='BUG: |Oops|general protection fault|WARNING: .*module_put'
crashed() { dmesg | grep -qE "$report"; }
going() { [ "$(cat /sys/module/$P/initstate 2>/dev/null)" = going ]; }

dmesg -C
echo "TAP version 13"
echo "1..1"
case $1 in
nopin)
	# A plain device reference, no module pin: the provider unloads, the
	# last put runs its release code from freed module memory.
	run modprobe $P counted=0 ndevs=1 &&
	run modprobe test_devhold_holder busted=nopin &&
	ctl take 4 &&
	echo $P.0 > $PDRV/unbind &&
	run rmmod $P &&
	ctl drop
	;;
ignored_get)
	# The 7.3 drm_pagemap pattern: (void)try_module_get() on a going module
	# and an unconditional module_put() later.
	run modprobe $P counted=1 ndevs=1 &&
	run modprobe test_devhold_holder &&
	ctl take 4 &&
	{ run rmmod $P & } &&
	until_true 10 going &&
	ctl dup ignored_get &&
	ctl drop
	;;
nobarrier)
	# A count and a wait without the release barrier: the module exit
	# returns when the count drops, the release tail runs on in freed code.
	run modprobe $P counted=1 ndevs=1 busted=nobarrier release_tail_ms=2000 &&
	run modprobe test_devhold_holder &&
	ctl take 4 &&
	{ run rmmod $P & } &&
	until_true 10 going &&
	ctl drop
	;;
drm_nowait)
	# A DRM driver whose module exit does not wait for its devices, with
	# a device reference that is never dropped: the module goes, and DRM's
	# check of going modules must report it (the WARN of the destroy of
	# its domain, which names the device's holders) without waiting for
	# the device under the module notifier: a module that registers a
	# notifier, then any other module, load and unload after it.
	report='WARNING: .*lib/devhold\.c'
	run modprobe drm_test_unload nowait=1 leak=1 &&
	run rmmod drm_test_unload &&
	dmesg | grep -q "drm_test_unload goes with 1 devices alive" &&
	run modprobe test_devhold_holder notifier=1 &&
	run modprobe $P &&
	run rmmod $P test_devhold_holder
	;;
cycle)
	# Barriers of two domains, each inside a release section of the
	# other: lockdep must report the cycle (nothing hangs, one after the
	# other).
	report='WARNING: possible circular locking dependency'
	run modprobe $P busted=cycle
	;;
drm_rs_nowait)
	# The same with the Rust DRM driver, whose exit lacks its ModuleWait.
	report='WARNING: .*lib/devhold\.c'
	run modprobe test_devhold_holder provider=drm_test_unload_rs create=1 notifier=1 &&
	run modprobe drm_test_unload_rs nowait=1 leak=1 &&
	run rmmod drm_test_unload_rs &&
	dmesg | grep -q "drm_test_unload_rs goes with 1 devices alive" &&
	run modprobe $P &&
	run rmmod $P
	;;
*)
	echo "not ok 1 unknown control '$1'"
	exit 1
	;;
esac
rc=$?
if [ $rc != 0 ]; then
	echo "not ok 1 busted $1: the scenario did not run (status $rc)"
	exit 1
fi
if until_true 30 crashed; then
	echo "ok 1 busted $1: the kernel reported it"
else
	echo "not ok 1 busted $1: no kernel report"
	exit 1
fi
