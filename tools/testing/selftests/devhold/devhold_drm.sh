#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unload a real DRM driver module: drm_test_unload creates a GPU VM at
# probe (as xe, panthor, imagination and msm do) and its device release
# destroys a workqueue without WQ_MEM_RECLAIM that still has work (as xe's
# does).
#
#  1. rmmod of the bound driver with no user references succeeds;
#  2. a foreign hold (drm_dev_hold(), as a peer's drm_pagemap takes) keeps
#     the device across unbind: rmmod does not complete while it is out (it
#     fails or waits, as the lifetime model says); dropping it releases the
#     device from the devhold worker; then the driver is gone.
#
# The kernel log (no WARN from the release, no KASAN, no lockdep) is judged
# by the harness.  A case listed as a known failure of the kernel under test
# ("N reason" lines in $KNOWN, or in the file "known" beside this script,
# which the harness writes) is reported as a TAP TODO.

. "$(dirname "$0")/lib.sh"

KNOWN=${KNOWN:-$(cat "$(dirname "$0")/known" 2>/dev/null)}

D=drm_test_unload
DDRV=/sys/bus/platform/drivers/$D

# TAP result of case N: RC 0 passed, 2 failed the way the harness lists as a
# known failure (TODO), anything else failed.
result() {	# N RC DESCRIPTION
	local todo
	todo=$(printf '%s\n' "${KNOWN:-}" |
		awk -v n="$1" '$1 == n { $1 = ""; sub(/^ /, ""); print }')
	if [ "$2" = 0 ]; then
		ok "$3${todo:+ # TODO $todo}"
	elif [ "$2" = 2 ] && [ -n "$todo" ]; then
		ntest=$((ntest + 1))
		echo "not ok $ntest $3 # TODO $todo"
	else
		fail "$3"
	fi
}

[ "$(id -u)" = 0 ] || skip_all "must run as root"
modinfo $D >/dev/null 2>&1 || skip_all "$D not built (CONFIG_DRM_TEST_UNLOAD=m)"
modinfo test_devhold_holder >/dev/null 2>&1 || skip_all "CONFIG_TEST_DEVHOLD=m needed"
echo "TAP version 13"
echo "1..2"

# 1. rmmod of a bound driver whose device has a kernel VM.
rc=0
run modprobe $D || rc=1
[ -e $DDRV/$D.0 ] || { diag "$D.0 not bound"; rc=1; }
diag "module references while bound: $(cat /sys/module/$D/refcnt)"
if [ $rc = 0 ] && ! out=$(rmmod $D 2>&1); then
	diag "rmmod: $out"
	rc=1
	# The known failure: the module is pinned ("in use"), nothing else.
	case $out in *"in use"*) rc=2 ;; esac
fi
result 1 $rc "rmmod of the bound driver with a VM created at probe"
if loaded $D; then
	# Unbind, so that the VM goes and the module can be removed.
	echo $D.0 > $DDRV/unbind
	until_true 30 'run rmmod $D' || diag "rmmod after unbind failed too"
fi

# 2. A foreign hold across unbind; the last put comes from the devhold worker.
rc=0
if ! run modprobe $D || ! run modprobe test_devhold_holder provider=$D; then
	rc=1
else
	ctl take 4 || rc=1
	[ "$(hstat held)" = 4 ] || { diag "held $(hstat held)"; rc=1; }
	echo $D.0 > $DDRV/unbind || rc=1
	[ -e /sys/bus/platform/devices/$D.0/drm ] && { diag "drm device still registered"; rc=1; }
	# The hold is out: rmmod may fail or wait, but must not complete.
	run rmmod $D &
	pid=$!
	until_true 2 '! kill -0 $pid 2>/dev/null'
	loaded $D || { diag "$D unloaded with a foreign hold out"; rc=1; }
	ctl drop && ctl wait || rc=1
	until_true 60 '! kill -0 $pid 2>/dev/null'
	wait $pid
	if loaded $D && ! until_true 60 'run rmmod $D'; then
		diag "refcnt $(cat /sys/module/$D/refcnt)"
		rc=1
	fi
	run rmmod test_devhold_holder || rc=1
	loaded $D && { diag "$D still loaded"; rc=1; }
fi
result 2 $rc "a foreign hold keeps the device across unbind, its put releases it"

diag "$((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
