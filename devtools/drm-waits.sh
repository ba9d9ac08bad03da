#!/usr/bin/env bash
# Every DRM or accel driver whose devices a helper can keep without pinning
# the driver's module (a drm_gpuvm freed from drm_gpuvm's worker, with
# DRM_GPUVM_DEFERRED_FREE; a drm_pagemap; a drm_dev_hold() of a module that
# waits) must say so at init and wait for its devices when it
# unloads: its module init calls drm_module_waits_for_devices() and its
# exit drm_module_wait(), or it is registered with one of the drm_module_*()
# macros (C) or drm_module_*_driver! macros (Rust), which do both (or
# keeps a drm::ModuleWait itself).  Other drivers' devices are only referenced
# through things that pin the module (open files, dma-bufs), so their
# unregistration already releases them; should one of them gain such a
# helper, this check names it.
#   drm-waits.sh WORK_DIR KNOWN_FILE
# KNOWN_FILE lists drivers (their directory under drivers/) known not to
# wait yet, each with its reason; such a driver that waits now, or is gone,
# is reported too.  One line per driver on stdout; exit status 1 on any
# finding.  It reads the source, per directory under drivers/gpu/drm and
# drivers/accel, skipping comment lines: a directory of several drivers
# passes when any of them waits (none of those keeps a device-only holder
# today).
set -uo pipefail

work=$1 known=$(realpath "$2") || exit 2
holders='DRM_GPUVM_DEFERRED_FREE|drm_pagemap_init\(|drm_pagemap_create\(|drm_dev_hold\('
macros='drm_module_(pci|platform)_driver(_if_modeset)?\(|drm_module_(platform|auxiliary)_driver!|drm::ModuleWait'
waits="drm_module_wait\\(|$macros"
says="drm_module_waits_for_devices\\(|$macros"
rc=0 n=0
declare -A seen

# Whether a directory's C or Rust code (not its comments) matches.
code_has() {	# PATTERN DIR
	local m
	m=$(grep -rhE --include='*.[ch]' --include='*.rs' "$1" "$2" |
		grep -vE '^[[:space:]]*(\*|//|/\*)')
	[ -n "$m" ]
}

cd "$work" || exit 2
for d in drivers/gpu/drm/*/ drivers/accel/*/; do
	d=${d%/}
	# The DRM core's tests wait in each case; drm_test_unload is a driver
	# of its own and is checked as one by the VM harness.
	[ "$d" != drivers/gpu/drm/tests ] || continue
	code_has "$holders" "$d" || continue
	n=$((n + 1))
	seen[$d]=1
	if code_has "$waits" "$d" && ! code_has "$says" "$d"; then
		echo "drm-waits: $d: FAILED: its exit waits, but its init does not say so (drm_module_waits_for_devices())"
		rc=1
	elif code_has "$waits" "$d"; then
		echo "drm-waits: $d: waits"
		! grep -q "^$d " "$known" ||
			{ echo "drm-waits: $d waits now: drop it from $known"; rc=1; }
	elif grep -q "^$d " "$known"; then
		echo "drm-waits: $d: does not wait (known: $(sed -n "s|^$d ||p" "$known"))"
	else
		echo "drm-waits: $d: FAILED: holds devices without pinning its module, and its exit does not wait"
		rc=1
	fi
done
while read -r d _; do
	case $d in '' | '#'*) continue ;; esac
	[ -n "${seen[$d]:-}" ] ||
		{ echo "drm-waits: $d is in $known but keeps no device-only holder"; rc=1; }
done <"$known"
echo "drm-waits: $n drivers keep devices through device-only holders"
exit $rc
