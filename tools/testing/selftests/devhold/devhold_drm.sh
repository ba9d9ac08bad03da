#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unload a real DRM driver module: drm_test_unload creates a GPU VM at
# probe (as xe, panthor, imagination and msm do) and its device release
# destroys a workqueue without WQ_MEM_RECLAIM that still has work (as xe's
# does).
#
#  1. rmmod of the bound driver with no user references succeeds: the VM
#     holds the device, not the module, and the module's exit waits for
#     the device (drm_module_wait());
#  2. a foreign hold (drm_dev_hold(), as a peer's drm_pagemap takes) keeps
#     the device across unbind: rmmod waits in the driver's exit, reports
#     the holder after devhold.wait_warn_secs, and completes when the hold
#     is dropped (its put runs from the devhold worker), within a bound of
#     the drop that a wait which missed its wake-up (and ended at the end
#     of a report period) exceeds;
#  3. (C driver) a driver whose exit does not wait (nowait=1: its init
#     does not say it waits) keeps the pinning model: each hold pins its
#     module, rmmod fails "in use" while one is out, and succeeds once
#     they are put.
#
# With CONFIG_DEVHOLD_DEBUG_DELAY cases 1 and 2 run twice: without and with
# the random release delay.
#
# Usage: devhold_drm.sh [DRIVER]: drm_test_unload (C, the default) or
# drm_test_unload_rs (Rust: a Rust DRM driver's module exit waits through
# kernel::drm::ModuleWait).  The Rust driver registers no platform device
# and publishes no test data: it binds to the device test_devhold_holder
# registers (create=1), and the holder holds its DRM device through the
# device's DRM minor (drm=1).  It has a GPU VM, but no workqueue for its
# release to destroy: that check is the C driver's.
#
# The kernel log (no WARN from the release, no KASAN, no lockdep) is judged
# by the harness.  A case listed as a known failure of the kernel under test
# ("N reason" lines in $KNOWN, or in the file "known" beside this script,
# which the harness writes) is reported as a TAP TODO.

. "$(dirname "$0")/lib.sh"

KNOWN=${KNOWN:-$(cat "$(dirname "$0")/known" 2>/dev/null)}

D=${1:-drm_test_unload}
DDRV=/sys/bus/platform/drivers/$D
case $D in
drm_test_unload_rs) HARGS="create=1 drm=1" ;;
*) HARGS= ;;
esac

# The unload wait's promptness: now_ms, drop_in_new_period and prompt
# (lib.sh).
RMMOD_END=/tmp/devhold-drm-rmmod.end

# Unload what a case left loaded: the driver (unbound first, so that its
# VM goes and the module can be removed) and the holder.
cleanup() {
	local crc=0
	if loaded $D; then
		[ ! -e $DDRV/$D.0 ] || echo $D.0 > $DDRV/unbind
		until_true 30 'run rmmod $D' || { diag "rmmod after unbind failed too"; crc=1; }
	fi
	if loaded test_devhold_holder; then
		run rmmod test_devhold_holder || { diag "rmmod test_devhold_holder failed"; crc=1; }
	fi
	return $crc
}

# Load the driver and the holder: the holder first when it makes the device.
load() {
	if [ -n "$HARGS" ]; then
		run modprobe test_devhold_holder provider=$D $HARGS && run modprobe $D
	else
		run modprobe $D && run modprobe test_devhold_holder provider=$D
	fi
}

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
modinfo $D >/dev/null 2>&1 || skip_all "$D not built (CONFIG_DRM_TEST_UNLOAD=m, or _RUST=m)"
modinfo test_devhold_holder >/dev/null 2>&1 || skip_all "CONFIG_TEST_DEVHOLD=m needed"
# Both cases, with the debug release delay as it is set (the title suffix
# says which).
cases() {	# SUFFIX

	# 1. rmmod of a bound driver whose device has a kernel VM.
	rc=0
	if [ -n "$HARGS" ]; then
		run modprobe test_devhold_holder provider=$D $HARGS || rc=1
	fi
	run modprobe $D || rc=1
	[ -e $DDRV/$D.0 ] || { diag "$D.0 not bound"; rc=1; }
	diag "module references while bound: $(cat /sys/module/$D/refcnt)"
	if [ $rc = 0 ] && ! out=$(rmmod $D 2>&1); then
		diag "rmmod: $out"
		rc=1
		# The known failure: the module is pinned ("in use"), nothing else.
		case $out in *"in use"*) rc=2 ;; esac
	fi
	cleanup || { [ $rc != 0 ] || rc=1; }
	result $((ntest + 1)) $rc "rmmod of the bound driver with a VM created at probe$1"

	# 2. A foreign hold across unbind and unload: rmmod waits, reports the
	#    holder, and completes with the hold's put from the devhold worker.
	rc=0
	if ! load; then
		rc=1
		cleanup
	else
		ctl take 4 || rc=1
		[ "$(hstat held)" = 4 ] || { diag "held $(hstat held)"; rc=1; }
		# Holds and the VM keep the device, never the module.
		refs=$(cat /sys/module/$D/refcnt)
		[ "$refs" = 0 ] || { diag "module references while held: $refs"; rc=1; }
		dmesg -C
		warn=$(cat /sys/module/devhold/parameters/wait_warn_secs)
		echo 1 > /sys/module/devhold/parameters/wait_warn_secs
		rm -f $RMMOD_END
		{ run rmmod $D; r=$?; now_ms e; echo "$e" >$RMMOD_END; exit $r; } &
		pid=$!
		# The exit unbound the device and waits for it: the report says so.
		until_true 15 'dmesg | grep -q "domain drm:$D still busy"' ||
			{ diag "no report of the wait"; rc=1; }
		kill -0 $pid 2>/dev/null ||
			{ diag "rmmod completed with a foreign hold out"; rc=1; }
		drop_in_new_period "drm:$D" rmmod || rc=1
		if until_true 60 '! kill -0 $pid 2>/dev/null'; then
			wait $pid || { diag "rmmod failed"; rc=1; }
			prompt rmmod "$(cat $RMMOD_END 2>/dev/null)" || rc=1
		else
			diag "rmmod still waits after the holds were dropped"
			rc=1
		fi
		echo "$warn" > /sys/module/devhold/parameters/wait_warn_secs
		loaded $D && { diag "$D still loaded"; rc=1; }
		ctl wait || rc=1
		run rmmod test_devhold_holder || rc=1
	fi
	result $((ntest + 1)) $rc \
		"rmmod waits for a foreign hold, reports it, completes after its put$1"
}

# 3. A driver that does not wait: holds pin its module.
nowait_pins() {
	local refs out rc=0
	run modprobe $D nowait=1 || return 1
	run modprobe test_devhold_holder provider=$D || { cleanup; return 1; }
	ctl take 4 || rc=1
	[ "$(hstat held)" = 4 ] || { diag "held $(hstat held)"; rc=1; }
	refs=$(cat /sys/module/$D/refcnt)
	[ "$refs" = 4 ] || { diag "module references while held: $refs, not 4"; rc=1; }
	if out=$(rmmod $D 2>&1); then
		diag "rmmod succeeded with 4 holds pinning the module"
		rc=1
	else
		case $out in *"in use"*) ;; *) diag "rmmod: $out"; rc=1 ;; esac
	fi
	if loaded $D; then
		ctl drop && ctl wait || rc=1
		refs=$(cat /sys/module/$D/refcnt)
		[ "$refs" = 0 ] || { diag "module references after the puts: $refs"; rc=1; }
		run rmmod $D || rc=1
	fi
	cleanup || rc=1
	return $rc
}

delay=/sys/module/devhold/parameters/debug_delay
n=3
[ $D = drm_test_unload ] || n=2
echo "TAP version 13"
if [ -w $delay ]; then
	# DEVHOLD_DEBUG_DELAY: off, then every deferred release delayed 1-4 s.
	echo "1..$((n + 2))"
	echo 0 > $delay
	cases ""
	echo 1 > $delay
	cases " (release delay)"
	echo 0 > $delay
else
	echo "1..$n"
	cases ""
fi
if [ $n = 3 ]; then
	if nowait_pins; then rc=0; else rc=1; fi
	result $((ntest + 1)) $rc "a driver that does not wait: holds pin its module"
fi

diag "$((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
