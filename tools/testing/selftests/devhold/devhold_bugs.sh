#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unload bugs of the base kernel that the series fixes: each case unloads
# a provider while something it made is still out, then drops that.  One
# TAP line per case and iteration, "CASE (I)"; the kernel log (no KASAN,
# no oops, no WARN) is judged by the harness, which also compares the
# results with the base kernel's (devtools/bugs-compare.py): a case must
# fail there, by a kernel report or a TAP failure.
#
#  vgem: a vgem fence kept in a sync_file outlives the drm file and the
#  dma-buf, which alone pinned vgem (devhold_fence.c).  On 7.3 "rmmod
#  vgem" then succeeds, and closing the sync_file runs the fence's release
#  callback in the freed module.  With the series a signalled vgem fence
#  no longer calls into vgem: the unload may succeed or fail "in use"
#  (either is safe), and the close must report nothing.
#
# Usage: devhold_bugs.sh [ITERATIONS] (2 by default).

. "$(dirname "$0")/lib.sh"

ITER=${1:-2}
here=$(dirname "$0")

# Run a helper that prints "unload-held ..." and "closed": it must get to
# the unload and through the close, and the module must go once the
# helper has dropped what it kept (whatever puts that defers included).
unload_case() {	# MODULE HELPER...
	local mod=$1 out rc=0

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

[ "$(id -u)" = 0 ] || skip_all "must run as root"
modinfo vgem >/dev/null 2>&1 || skip_all "vgem not built (CONFIG_DRM_VGEM=m)"
[ -x "$here/devhold_fence" ] || skip_all "devhold_fence not built"

echo "1..$ITER"
for ((i = 1; i <= ITER; i++)); do
	if vgem_case; then
		ok "vgem: rmmod while a fence is kept in a sync_file ($i)"
	else
		fail "vgem: rmmod while a fence is kept in a sync_file ($i)"
	fi
done
[ $nfail = 0 ]
