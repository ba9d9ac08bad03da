#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# videobuf2's conformance with the series: v4l2-compliance (v4l-utils),
# streaming and EXPBUF included, on vivid's video capture node with
# videobuf2-dma-contig (allocators=1), whose buffers hold their device
# with devhold, then vivid unloaded.  videobuf2-vmalloc (allocators=0) is
# unchanged: "devhold_media.sh 1 0" tests both.  One TAP line per
# allocator; the kernel log is judged by the harness.

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "must run as root"
command -v v4l2-compliance >/dev/null || skip_all "no v4l2-compliance (v4l-utils)"
modinfo vivid >/dev/null 2>&1 || skip_all "vivid not built"

# The video capture node of vivid instance 0, with node_types=1.
capture_node() {
	local n

	for n in /sys/class/video4linux/video*; do
		[ "$(cat "$n/name" 2>/dev/null)" = vivid-000-vid-cap ] &&
			{ echo "/dev/${n##*/}"; return 0; }
	done
	return 1
}

allocators=("${@:-1}")
echo "1..${#allocators[@]}"
for a in "${allocators[@]}"; do
	what="v4l2-compliance -s on vivid allocators=$a"
	if ! run modprobe vivid allocators=$a node_types=1; then
		fail "$what: modprobe"
		continue
	fi
	if ! until_true 10 capture_node >/dev/null; then
		fail "$what: no capture node"
		continue
	fi
	out=$(v4l2-compliance -d "$(capture_node)" -s 10 2>&1)
	printf '%s\n' "$out" | grep -E '^(Total|fail|.*FAIL)' | sed 's/^/# /'
	total=$(printf '%s\n' "$out" | grep -E '^Total for ' | tail -n 1)
	if ! until_true 10 'rmmod vivid 2>/dev/null || ! loaded vivid'; then
		fail "$what: vivid did not unload"
	elif [[ $total =~ Succeeded:\ ([0-9]+),\ Failed:\ 0, ]] &&
	     [ "${BASH_REMATCH[1]}" -gt 0 ]; then
		ok "$what"
	else
		fail "$what: ${total:-no total}"
	fi
done
[ $nfail = 0 ]
