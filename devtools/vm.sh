#!/usr/bin/env bash
# The VM harness of the gate: boot the x86_64 tier's kernel (built with
# devtools/kunit/vm.config, so one build serves the KUnit tier and this) with
# a Debian sid root and run the selftests in tools/testing/selftests/devhold,
# one boot each:
#
#   unload          devhold_unload.sh: both lifetime models, fault injection,
#                   a time-boxed torture (VM_ITER iterations, VM_SECS seconds)
#   drm             devhold_drm.sh: a real DRM driver module under unload
#   drm-rs          devhold_drm.sh drm_test_unload_rs: the same with a Rust
#                   DRM driver (the rust tier's kernel: make rust-vm)
#   busted-*        devhold_busted.sh: broken controls; each must make the
#                   kernel print its own report (the table "expect" below)
#                   and no other but those of "expect_also"
#   igt             devhold_igt.sh: IGT core_hotunplug (virtio-gpu), vgem_basic,
#                   prime_vgem; no subtest may do worse than on the base
#                   (devtools/baseline/igt.txt, judged by igt-compare.py; a
#                   subtest that fails or skips on the base too is no failure)
#
#   unload-delay    devhold_unload.sh, shorter, with DEVHOLD_DEBUG_DELAY's
#                   random 1-4 s release delay on (off in the other boots)
#
# Known failures of the series are listed in devtools/baseline/vm-known.txt:
# "BOOT case N REASON" makes case N of that boot a TAP TODO, "BOOT report
# SIGNATURE -- REASON" a kernel report with exactly that signature a known
# one (what kreport.py's signature() makes of the report, printed by
# check-log.py under each report as "signature: ..."; no patterns, and a
# line that is not such a signature fails the boot), "BOOT skip N REASON"
# a skip of case N a known one (any other skip fails its boot: a skip
# proves nothing; the igt boot's IGT subtests are igt-compare.py's); all
# are shown with their reason and not counted as failed.  The gate says
# when a known failure no longer happens (then remove the line).
#
#   vm.sh WORK BUILD_DIR RESULTS_DIR [BOOT...]
#
# The scripts come from WORK; the kernel and its modules from BUILD_DIR, built
# from WORK or, with VM_KSRC=TREE, from TREE (the base, for "make baseline").
# VM_ITER iterations of the unload boot's torture must run within VM_SECS
# seconds (a time box that ran out fails the boot).
#
# Writes RESULTS_DIR/vm.counts ("passed failed") and vm.summary.
set -uo pipefail

work=$1 bdir=$2 res=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
work=$(cd "$work" && pwd)
bdir=$(cd "$bdir" && pwd)
mkdir -p "$res/vm"
res=$(cd "$res" && pwd)
vm=$work/tools/testing/selftests/devhold/vm
known=$here/baseline/vm-known.txt
boots=${*:-unload unload-delay drm bugs busted-nopin busted-ignored_get busted-nobarrier busted-cycle busted-drm_nowait igt}
passed=0 failed=0
: >"$res/vm.summary"
say() { echo "vm: $*" | tee -a "$res/vm.summary"; }

# The reports each broken control must make the kernel print (one of
# "expect"), and all it may print besides (those and "expect_also"): any
# other report fails its boot.  check-log.py --expect-failure/--expect-also:
# "KIND at [FILE:]PLACE [from FUNCS]", alternatives separated by ";".
#
# nopin: the last put_device() of the holder's drop path (thh_put() from
#   the thh_drop kthread worker's thh_kwork_fn()) runs the object's release,
#   tdp_obj_release(), in the unloaded provider's freed text: an oops (int3:
#   freed module text is filled with it) whose RIP has no symbol and is in
#   the module area, with "[last unloaded: test_devhold_provider]" (not a
#   NULL or wild function pointer: "RIP: 0010:0x0").  The provider's exit
#   destroyed its domain with that object counted, which devhold WARNs
#   about.  The dead kthread's references may leak.
# ignored_get: "ctl dup ignored_get" takes references whose
#   try_module_get() failed on the going provider; the holder's drop path
#   (thh_put() from thh_kwork_fn(), the broken references are put from
#   process context only) puts the module anyway: module_put() of a module
#   whose count is 0 WARNs at kernel/module/main.c; once the module is
#   freed, it reads freed memory.  Both from that path: module_put() from
#   rmmod's own path would be another bug.
# nobarrier: the release tail (tdp_release_tail(), under tdp_obj_release())
#   returns from its sleep into the freed provider text, in devhold's
#   release work (devhold_work_fn()): an oops whose RIP has no symbol and
#   is in the module area, with "[last unloaded: test_devhold_provider]".
#   The holds that work had yet to finish leak.  An int3 from freed text
#   is an Oops in interrupt context: it may end in the panic "Fatal
#   exception in interrupt" (nopin's as well).
# cycle: the provider's init runs the barrier of domain tdp-cycle-a inside a
#   release section of tdp-cycle-b, then the other way round: lockdep
#   reports the circular dependency between the two domains' classes.
# drm_nowait, drm_rs_nowait: a driver module that does not wait for its
#   devices goes with a device reference never dropped: DRM's check of a
#   going module (drm_module_gone(), from its module notifier) destroys the
#   module's domain with the device counted, which devhold WARNs about
#   (with the device's holders), and waits for nothing.  The leaked device
#   stays reachable (its minor is still listed), so kmemleak is quiet.
declare -A expect=(
	[nopin]='fault at unloaded[test_devhold_provider] from thh_put|thh_kwork_fn'
	[ignored_get]='WARNING at kernel/module/main.c:module_put from thh_put|thh_kwork_fn; fault at module_put from thh_put|thh_kwork_fn'
	[nobarrier]='fault at unloaded[test_devhold_provider] from devhold_work_fn'
	[cycle]='lockdep at tdp-cycle-a|tdp-cycle-b'
	[drm_nowait]='WARNING at lib/devhold.c:devhold_domain_destroy from drm_module_gone|drm_module_notify'
	[drm_rs_nowait]='WARNING at lib/devhold.c:devhold_domain_destroy from drm_module_gone|drm_module_notify'
)
declare -A expect_also=(
	[nopin]='WARNING at lib/devhold.c:devhold_domain_destroy; kmemleak; panic'
	[nobarrier]='kmemleak; panic'
)

igt_base=$here/baseline/igt.txt
bugs_base=$here/baseline/bugs.txt
igt_version=${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}/vmroot.igt

# boot_counts BOOT OUT TAP STATUS: "passed failed" of a boot (the last line
# printed; what failed besides, on the lines before), from the last
# "N passed, N failed" line of check-log.py in OUT (run.sh's output, whose
# exit status is STATUS; no such line is a failure, and so is a status
# that says failed where the counts do not).  The unload boots must show
# their fault injection and torture lines.  For igt, check-log.py leaves
# the IGT subtests to igt-compare.py, which compares TAP with the base
# (its table in TAP's directory, igt.table): a subtest that does worse
# fails the boot, one that fails on the base too does not.
boot_counts() {
	local b=$1 out=$2 tap=$3 rc=$4 line p f
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	p=${line%% *} f=${line#* passed, }
	f=${f% failed}
	[ -n "$line" ] || { p=0 f=1; }
	[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
	case $b in
	unload|unload-delay)
		local w
		for w in faults torture; do
			grep -q "^# $w: " "$tap" 2>/dev/null ||
				{ echo "vm: $b: no \"# $w:\" line: the case did not run"; f=$((f + 1)); }
		done
		;;
	igt)
		python3 "$here/igt-compare.py" --igt-version "$igt_version" "$igt_base" "$tap" \
			>"$(dirname "$tap")/igt.table" || f=$((f + 1))
		;;
	bugs)
		# The series' results beside the base's (make baseline-bugs):
		# a case proves its fix only if the base fails it.
		[ -n "${VM_KSRC:-}" ] ||
			python3 "$here/bugs-compare.py" "$bugs_base" "$tap" \
				>"$(dirname "$tap")/bugs.table" || f=$((f + 1))
		;;
	esac
	echo "$p $f"
}

DEVHOLD_ARCHIVE=$("$here/fetch-base.sh" --archive-uri) || exit 1
export DEVHOLD_ARCHIVE
"$vm/mkroot.sh" >/dev/null || { say "FAILED: no VM root"; echo "0 1" >"$res/vm.counts"; exit 1; }

# A Rust kernel's modules_install needs the toolchain it was built with.
make_args=
if grep -q '^CONFIG_RUST=y' "$bdir/.config"; then
	make_args=$(cat "${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}/rust/make.vars") ||
		{ say "FAILED: no Rust toolchain for $bdir"; echo "0 1" >"$res/vm.counts"; exit 1; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for b in $boots; do
	t0=$SECONDS
	expect_sigs='' also_sigs=''
	append="devhold.debug_delay=0"
	qemu=
	timeout=300
	case $b in
	unload)
		cmd=(/devhold/devhold_unload.sh "${VM_ITER:-30}" "${VM_SECS:-360}")
		timeout=${VM_TIMEOUT:-$((${VM_SECS:-360} + 480))}
		;;
	unload-delay)
		cmd=(/devhold/devhold_unload.sh "${VM_DELAY_ITER:-10}" 240)
		append=
		timeout=600
		;;
	drm) cmd=(/devhold/devhold_drm.sh) ;;
	media) cmd=(/devhold/devhold_media.sh) ;;
	drm-rs) cmd=(/devhold/devhold_drm.sh drm_test_unload_rs) ;;
	bugs | bugs-*)
		# bugs-CASE: that case alone, as the base's boots run them.
		cmd=(/devhold/devhold_bugs.sh)
		[ "$b" = bugs ] || cmd+=(2 "${b#bugs-}")
		;;
	busted-*)
		c=${b#busted-}
		cmd=(/devhold/devhold_busted.sh "$c")
		expect_sigs=${expect[$c]:-}
		also_sigs=${expect_also[$c]:-}
		if [ -z "$expect_sigs" ]; then
			say "$b: FAILED, no signature listed for the control $c"
			failed=$((failed + 1))
			continue
		fi
		;;
	igt)
		cmd=(/devhold/devhold_igt.sh)
		qemu="-device virtio-gpu-pci"
		timeout=900
		;;
	*) say "unknown boot $b"; failed=$((failed + 1)); continue ;;
	esac
	# Known failures of this boot: cases for the guest; reports are read
	# by the judge (VM_KNOWN), which fails on a line that is no signature.
	awk -v b="$b" '$1 == b && $2 == "case" { $1 = $2 = ""; sub(/^ +/, ""); print }' \
		"$known" 2>/dev/null >"$tmp/known"
	VM_TIMEOUT=$timeout VM_EXPECT_FAILURE=$expect_sigs VM_EXPECT_ALSO=$also_sigs \
		VM_APPEND=$append VM_QEMU_ARGS=$qemu \
		VM_EXTRA=$tmp/known VM_KNOWN=$known VM_MAKE_ARGS=$make_args \
		"$vm/run.sh" "${VM_KSRC:-$work}" "$bdir" "$res/vm" "$b" "${cmd[@]}" >"$res/vm/$b.out" 2>&1
	rc=$?
	grep -E '^(report|known|expected|failure|tap|kernel reports|kmemleak):|^  -> ' \
		"$res/vm/$b.out" | head -n 30
	grep -E '^# (torture|faults|puts)' "$res/vm/$b.tap" 2>/dev/null
	boot_counts "$b" "$res/vm/$b.out" "$res/vm/$b.tap" "$rc" >"$tmp/counts"
	sed '$d' "$tmp/counts" | tee -a "$res/vm.summary"
	read -r p f <<<"$(tail -n 1 "$tmp/counts")"
	[ "$b" != igt ] || sed 's/^/  /' "$res/vm/igt.table" | tee -a "$res/vm.summary"
	[ "$b" != bugs ] || [ ! -f "$res/vm/bugs.table" ] ||
		sed 's/^/  /' "$res/vm/bugs.table" | tee -a "$res/vm.summary"
	grep -h -E '^known (report|skip)( no longer seen, remove it)?:' "$res/vm/$b.out" |
		sed "s/^/vm: $b: /" | tee -a "$res/vm.summary"
	grep -h -E '^(not )?ok [0-9]+ .*# TODO' "$res/vm/$b.tap" 2>/dev/null |
		sed "s/^/vm: $b: known failure: /" | tee -a "$res/vm.summary"
	grep -h -E '^ok [0-9]+ .*# TODO' "$res/vm/$b.tap" 2>/dev/null |
		sed "s/^/vm: $b: known failure now passes, remove it: /" | tee -a "$res/vm.summary"
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" = 0 ]; then
		say "$b: $p passed ($((SECONDS - t0)) s)"
	else
		say "$b: FAILED, $p passed, $f failed ($((SECONDS - t0)) s): see $res/vm/$b.*"
	fi
done
echo "$passed $failed" >"$res/vm.counts"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
