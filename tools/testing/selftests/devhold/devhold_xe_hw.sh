#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Xe hardware checks of the unload model; needs one or more Intel GPUs
# driven by xe and IGT (igt-gpu-tools-tests).  Without them it skips
# (exit 4), as it does in the project's VM.
#
#   xe_module_load, core_hotunplug (IGT_FORCE_DRIVER=xe),
#   xe_exec_system_allocator and, with two GPUs, xe_multigpu_svm;
#   peer_pagemap: while an SVM workload on GPU 0 uses GPU 1's memory as its
#   preferred location (a foreign drm_pagemap reference), GPU 1 is unbound;
#   once the workload is gone (its files pin xe until then), xe is unloaded.
#   Neither may crash.  This does not show the unload waiting for a foreign
#   reference: the workload's references go with its files, before the
#   unload can begin.  The VM harness shows that wait with a real module
#   (devhold_drm.sh: a drm_dev_hold() held by another module).
#
# Not covered here, and not shown anywhere without the hardware: the xe
# fixes of the devcoredump work (a dump with devcoredump disabled, a dump
# during the unbind), of the CSC error work and of the OA fence work
# (close an OA stream with a configuration pending, then rmmod).
#
# Run as root on the machine with the GPUs, with the series' kernel booted
# and KASAN/lockdep on if possible:  ./devhold_xe_hw.sh
# Kernel reports are checked with dmesg at the end.

IGT_DIR=${IGT_DIR:-/usr/libexec/igt-gpu-tools}
ntest=0 nfail=0
ok() { ntest=$((ntest + 1)); echo "ok $ntest $*"; }
fail() { ntest=$((ntest + 1)); nfail=$((nfail + 1)); echo "not ok $ntest $*"; }
skip() { ntest=$((ntest + 1)); echo "ok $ntest $* # SKIP"; }

gpus=()
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor" 2>/dev/null)" = 0x8086 ] || continue
	case $(cat "$d/class") in 0x03*) ;; *) continue ;; esac
	modprobe xe 2>/dev/null
	[ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" = xe ] && gpus+=("$(basename "$d")")
done
if [ ${#gpus[@]} = 0 ]; then
	echo "1..0 # SKIP no Intel GPU driven by xe"
	exit 4
fi
if [ ! -x "$IGT_DIR/xe_module_load" ]; then
	echo "1..0 # SKIP IGT not installed (igt-gpu-tools-tests)"
	exit 4
fi
echo "TAP version 13"
echo "1..5"
dmesg -C

igt() {	# NAME ARGS...: one IGT binary, ok when it exits 0 (77: skip)
	local name=$1 rc
	shift
	IGT_FORCE_DRIVER=xe timeout 3600 "$IGT_DIR/$name" "$@"
	rc=$?
	case $rc in
	0) ok "$name" ;;
	77) skip "$name" ;;
	*) fail "$name (status $rc)" ;;
	esac
}

igt xe_module_load
igt core_hotunplug
igt xe_exec_system_allocator
if [ ${#gpus[@]} -ge 2 ]; then igt xe_multigpu_svm; else skip "xe_multigpu_svm needs two GPUs"; fi

# peer_pagemap: GPU 1 provides device memory that GPU 0's SVM uses.
if [ ${#gpus[@]} -ge 2 ]; then
	IGT_FORCE_DRIVER=xe "$IGT_DIR/xe_multigpu_svm" >/tmp/peer.log 2>&1 &
	pid=$!
	until grep -q "Starting subtest" /tmp/peer.log || ! kill -0 $pid 2>/dev/null; do
		sleep 0.1
	done
	echo "${gpus[1]}" > /sys/bus/pci/drivers/xe/unbind
	wait $pid
	rc=0
	rmmod xe || rc=1
	dmesg | grep -qE 'BUG:|WARNING:|Oops|KASAN' && rc=1
	echo "${gpus[1]}" > /sys/bus/pci/drivers_probe 2>/dev/null
	modprobe xe
	if [ $rc = 0 ]; then ok "peer_pagemap: unbind and unload with a foreign pagemap reference"
	else fail "peer_pagemap: unbind and unload with a foreign pagemap reference"; fi
else
	skip "peer_pagemap needs two GPUs"
fi
dmesg | grep -E 'BUG:|WARNING:|Oops|KASAN' | sed 's/^/# /'
[ $nfail = 0 ]
