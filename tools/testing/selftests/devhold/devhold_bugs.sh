#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unload bugs of the base kernel that the series fixes: each case unloads
# a provider while something it made is still out, then drops that.  One
# TAP line per case and iteration, "CASE: ... (I)"; the kernel log (no
# KASAN, no oops, no WARN) is judged by the harness, which also compares
# the results with the base kernel's (devtools/bugs-compare.py): a case
# must fail there by a kernel report (its own checks may fail there by
# construction).  The base's results come from one boot per case, so that
# each report is the case's own.
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
#  while the worker still waits in vkms' commit tail for the composition
#  under way, which then runs freed code.  With the series vkms' exit waits for its devices: the
#  unload returns after the worker's last put.
#
#  fbdev: fbdev's release drops the driver module reference before the
#  fbdev client's device reference (devhold_fbclose.c): take a DRM device
#  away with its /dev/fbN open, then close it while rmmod retries.  The
#  device is one of vkms' made through configfs, taken away by disabling
#  it (vkms_destroy(), what an unbind does) and removing its configfs
#  directory (which pins vkms).  On 7.3 the device's release can run after
#  vkms is gone; with the series vkms' exit waits for it.
#
#  vivid, vimc: a videobuf2-dma-contig buffer exported as a dma-buf keeps
#  its allocation device, the driver's platform device (devhold_expbuf.c).
#  The dma-buf pins videobuf2-dma-contig, not the driver: "rmmod" succeeds.
#  On 7.3 the device is defined in the driver's module, and mapping the
#  dma-buf, then freeing the buffer, go through the device in the freed
#  module.  With the series the drivers allocate their devices, whose
#  release is the platform core's: after the unload the dma-buf maps and
#  syncs, the driver loads again under the same device name, and the last
#  munmap() frees the buffer (gone from the dma-buf debugfs list).  No
#  devhold here: a hold pinning the driver would make the unload fail
#  while a buffer is exported (see the series' vivid patch).
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

# A vkms device made through configfs: one primary plane, CRTC, encoder
# and connector.  Its directory is $cfg/dh.
cfg=/sys/kernel/config/vkms
vkms_cfg_make() {
	local d=$cfg/dh

	mkdir "$d" "$d/planes/p" "$d/crtcs/c" "$d/encoders/e" "$d/connectors/n" &&
		echo 1 >"$d/planes/p/type" &&
		ln -s "$d/crtcs/c" "$d/planes/p/possible_crtcs/c" &&
		ln -s "$d/crtcs/c" "$d/encoders/e/possible_crtcs/c" &&
		ln -s "$d/encoders/e" "$d/connectors/n/possible_encoders/e" &&
		echo 1 >"$d/enabled"
}
vkms_cfg_rm="d=$cfg/dh; rm -f \$d/planes/p/possible_crtcs/c \$d/encoders/e/possible_crtcs/c \
\$d/connectors/n/possible_encoders/e && rmdir \$d/planes/p \$d/crtcs/c \$d/encoders/e \
\$d/connectors/n \$d"

# The close is stretched out, not stopped: the unload may miss the window
# between the module put and the device put.  Up to 5 tries until the
# unload was seen waiting for the device (a try in which the release was
# done first proves nothing; "began in the close" alone does not show it,
# as the close may have released the device before returning).  On the
# base nothing waits: every try runs, and the kernel's reports are the
# evidence.
fbdev_case() {
	local fb try

	for ((try = 1; try <= 5; try++)); do
		run modprobe vkms create_default_dev=0 || return 1
		[ -d "$cfg" ] || mount -t configfs none /sys/kernel/config
		vkms_cfg_make || { diag "cannot make a vkms device in configfs"; return 1; }
		until_true 10 'grep -lqs vkmsdrmfb /sys/class/graphics/fb*/name' ||
			{ diag "no fbdev device for the vkms device"; return 1; }
		fb=$(grep -ls vkmsdrmfb /sys/class/graphics/fb*/name | head -n 1)
		fb=${fb%/name}
		unload_case vkms "$here/devhold_fbclose" "/dev/${fb##*/}" "$cfg/dh/enabled" 0 \
			vkms "$vkms_cfg_rm" || return 1
		case $out in
		*"unload waited: yes"*) return 0 ;;
		esac
		diag "try $try: the unload did not wait for the device"
	done
	diag "the unload never waited for the device"
	return 1
}

# The unload must have succeeded, so that the buffer was used and freed
# with the driver gone, and every step after it must have worked; on the
# base the reports of those steps are the evidence.
expbuf_case() {	# MODULE PARAMETER
	local mod=$1 par=$2 w

	run modprobe "$mod" "$par=1" || return 1
	case $(cat "/sys/module/$mod/parameters/$par") in
	1 | 1,*) ;;
	*) diag "$mod does not use videobuf2-dma-contig"; return 1 ;;
	esac
	until_true 10 "ls /sys/bus/platform/devices/$mod.0/video4linux/video* >/dev/null 2>&1" ||
		{ diag "no $mod video device"; return 1; }
	unload_case "$mod" "$here/devhold_expbuf" "$mod" "$mod" "$par=1" || return 1
	for w in "listed yes" "unload-held OK" "mapped OK" "reloaded OK" "released yes"; do
		case $out in
		*"$w"*) ;;
		*) diag "expected \"$w\""; return 1 ;;
		esac
	done
}
vivid_case() { expbuf_case vivid allocators; }
vimc_case() { expbuf_case vimc allocator; }

declare -A what=(
	[vgem]="rmmod while a fence is kept in a sync_file"
	[vkms]="rmmod while a nonblocking commit's worker holds the device"
	[fbdev]="close /dev/fbN racing rmmod after the device went"
	[vivid]="rmmod vivid while a videobuf2 buffer is exported as a dma-buf"
	[vimc]="rmmod vimc while a videobuf2 buffer is exported as a dma-buf"
)

[ "$(id -u)" = 0 ] || skip_all "must run as root"
cases=("${@:2}")
[ ${#cases[@]} != 0 ] || cases=(vgem vkms fbdev vivid vimc)
for c in "${cases[@]}"; do
	[ -n "${what[$c]:-}" ] || { echo "unknown case $c" >&2; exit 1; }
	mod=$c
	prog=devhold_fence
	[ "$c" != vkms ] || prog=devhold_vkms
	[ "$c" != fbdev ] || { mod=vkms prog=devhold_fbclose; }
	case $c in vivid | vimc) prog=devhold_expbuf ;; esac
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
