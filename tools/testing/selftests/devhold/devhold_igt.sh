#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Peer suites: IGT's hot-unplug and vgem tests, which unbind, unload and
# reload DRM drivers while files, dma-bufs and mappings are open.  Each IGT
# subtest becomes one TAP line "igt <test>@<subtest>"; the harness compares
# them with the base kernel's (no subtest may do worse: devtools/igt-compare.py),
# so the exit status says only whether this ran: 0 once the subtests ran,
# whatever their results (some fail or skip on the base too).
#
#   core_hotunplug  on virtio-gpu (QEMU's virtio-gpu-pci), all subtests
#   vgem_basic      on vgem, including "unload"
#   prime_vgem      on vgem (subtests that need another driver skip)
#   kms_writeback   on vkms: writeback commits, whose jobs are cleaned up
#                   from a worker (drm_writeback.c)
#
# IGT_TIMEOUT (seconds, default 240) bounds each binary.

. "$(dirname "$0")/lib.sh"

IGT_DIR=${IGT_DIR:-}
for d in /usr/libexec/igt-gpu-tools /usr/lib/x86_64-linux-gnu/igt-gpu-tools /usr/libexec/igt; do
	[ -z "$IGT_DIR" ] && [ -x "$d/core_hotunplug" ] && IGT_DIR=$d
done
[ -n "$IGT_DIR" ] || skip_all "IGT not installed (igt-gpu-tools-tests)"

results=$(mktemp)
log=$(mktemp)
# TEST DRIVER: run one IGT binary, one result line per subtest.
igt() {
	local test=$1 drv=$2 out rc
	out=$(mktemp)
	IGT_FORCE_DRIVER=$drv timeout "${IGT_TIMEOUT:-240}" "$IGT_DIR/$test" >"$out" 2>&1
	rc=$?
	echo "IGT_FORCE_DRIVER=$drv $test: exit status $rc" >>"$log"
	grep -E '^(Subtest|Starting subtest)|FAIL|CRASH|TIMEOUT' "$out" | tail -n 40 >>"$log"
	sed -n 's/^Subtest \([^:]*\): \([A-Z]*\).*/\1 \2/p' "$out" |
	while read -r sub res; do
		case $res in
		SUCCESS) echo "ok igt $test@$sub" ;;
		SKIP) echo "ok igt $test@$sub # SKIP" ;;
		*) echo "not ok igt $test@$sub # $res" ;;
		esac
	done >>"$results"
	# 0: ran; 77: every subtest skipped; anything else lost subtests.
	case $rc in
	0|77) ;;
	124) echo "not ok igt $test@timeout" >>"$results" ;;
	*) echo "not ok igt $test@exit-$rc" >>"$results" ;;
	esac
	rm -f "$out"
}

for m in virtio_gpu vgem; do
	run modprobe $m || echo "not ok igt modprobe-$m" >>"$results"
done
igt core_hotunplug virtio_gpu
igt vgem_basic vgem
igt prime_vgem vgem
# vkms last: its card is there only for the test that uses it.
run modprobe vkms || echo "not ok igt modprobe-vkms" >>"$results"
igt kms_writeback vkms

echo "TAP version 13"
sed 's/^/# /' "$log"
[ -s "$results" ] || echo "not ok igt no-results" >"$results"
echo "1..$(wc -l <"$results")"
while IFS= read -r line; do
	case $line in
	"not ok "*) fail "${line#not ok }" ;;
	*) ok "${line#ok }" ;;
	esac
done <"$results"
rm -f "$results" "$log"
exit 0
