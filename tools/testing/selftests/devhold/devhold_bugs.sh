#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unload bugs of the base kernel that the series fixes: each case unloads
# a provider while something it made is still out, then drops that.  One
# TAP line per case and iteration, "CASE: ... (I)"; the kernel log (no
# KASAN, no oops, no WARN) is judged by the harness, which also compares
# the results with the base kernel's (devtools/bugs-compare.py): a case
# must fail there, by a kernel report or a TAP failure.  The base's results
# come from one boot per case, so that each report is the case's own.
#
#  vgem: a vgem fence kept in a sync_file outlives the drm file and the
#  dma-buf, which alone pinned vgem (devhold_fence.c).  On 7.3 "rmmod
#  vgem" then succeeds, and closing the sync_file runs the fence's release
#  callback in the freed module.  With the series a signalled vgem fence
#  no longer calls into vgem: the unload may succeed or fail "in use"
#  (either is safe), and the close must report nothing.
#
#  vkms: the worker of a nonblocking commit holds the commit's state, and
#  with it a device reference, after the hw_done and flip_done that
#  vkms' exit waits for (devhold_vkms.c).  On 7.3 "rmmod vkms" returns
#  while the worker still runs vkms' commit tail, which then returns into
#  freed code.  With the series vkms' exit waits for its devices: the
#  unload returns after the worker's last put.
#
#  bochs: fbdev's release drops the driver module reference before the
#  fbdev client's device reference (devhold_fbclose.c): unbind the device
#  with its /dev/fbN open, then close it while rmmod retries.  On 7.3 the
#  device's release can run after bochs is gone; with the series bochs'
#  exit (drm_module_pci_driver_if_modeset()) waits for it.
#
# Usage: devhold_bugs.sh [ITERATIONS [CASE...]] (2 iterations of every
# case by default).

. "$(dirname "$0")/lib.sh"

ITER=${1:-2}
here=$(dirname "$0")

# Run a helper that prints "unload-held ..." and "closed": it must get to
# the unload and through the close, and the module must go once the
# helper has dropped what it kept (whatever puts that defers included).
unload_case() {	# MODULE HELPER...: the helper's output in $out
	local mod=$1 rc=0

	shift
	out=$("$@" 2>&1)
	printf '%s\n' "$out" | sed 's/^/# /'
	case $out in
	*"unload-held in-use"* | *"unload-held OK"*) ;;
	*) diag "the helper did not get to the unload"; rc=1 ;;
	esac
	case $out in
	*closed*) ;;
	*) diag "the helper did not get through the close"; rc=1 ;;
	esac
	until_true 10 '! loaded $mod || rmmod $mod 2>/dev/null' ||
		{ diag "$mod still loaded once the reference was dropped"; rc=1; }
	return $rc
}

vgem_case() {
	run modprobe vgem || return 1
	unload_case vgem "$here/devhold_fence"
}

# The unload must have overlapped the worker: with the series it waits for
# the device (the helper saw it asleep in the idle wait); on the base it
# does not, and the worker runs freed code.
vkms_case() {
	run modprobe vkms || return 1
	unload_case vkms "$here/devhold_vkms" || return 1
	case $out in
	*"unload waited: yes"*) ;;
	*) diag "the unload did not wait for the commit's worker"; return 1 ;;
	esac
}

# The close is stretched out, not stopped: the unload may miss the window
# between the module put and the device put.  Up to 5 tries until it
# began inside the close (a try that missed it proves nothing).
bochs_case() {
	local drv=/sys/bus/pci/drivers/bochs-drm dev fb try

	for ((try = 1; try <= 5; try++)); do
		run modprobe bochs || return 1
		dev=$(cd "$drv" 2>/dev/null && echo 0000:*)
		[ -e "$drv/$dev" ] || { diag "no device bound to bochs-drm"; return 1; }
		until_true 10 'compgen -G "$drv/$dev/graphics/fb*" >/dev/null' ||
			{ diag "no fbdev device for $dev"; return 1; }
		fb=$(compgen -G "$drv/$dev/graphics/fb*" | head -n 1)
		unload_case bochs "$here/devhold_fbclose" "/dev/${fb##*/}" "$drv/unbind" \
			"$dev" bochs || return 1
		case $out in
		*"unload began in the close: yes"*) return 0 ;;
		esac
		diag "try $try: the unload did not race the close"
	done
	diag "the unload never raced the close"
	return 1
}

declare -A what=(
	[vgem]="rmmod while a fence is kept in a sync_file"
	[vkms]="rmmod while a nonblocking commit's worker holds the device"
	[bochs]="close /dev/fbN racing rmmod after the unbind"
)

[ "$(id -u)" = 0 ] || skip_all "must run as root"
cases=("${@:2}")
[ ${#cases[@]} != 0 ] || cases=(vgem vkms bochs)
for c in "${cases[@]}"; do
	[ -n "${what[$c]:-}" ] || { echo "unknown case $c" >&2; exit 1; }
	mod=$c
	prog=devhold_fence
	[ "$c" != vkms ] || prog=devhold_vkms
	[ "$c" != bochs ] || prog=devhold_fbclose
	modinfo "$mod" >/dev/null 2>&1 || skip_all "$mod not built"
	[ -x "$here/$prog" ] || skip_all "$prog not built"
done
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"

echo "1..$((ITER * ${#cases[@]}))"
for c in "${cases[@]}"; do
	diag "case: $c: ${what[$c]}"
	for ((i = 1; i <= ITER; i++)); do
		if "${c}_case"; then
			ok "$c: ${what[$c]} ($i)"
		else
			fail "$c: ${what[$c]} ($i)"
		fi
	done
done
[ $nfail = 0 ]
