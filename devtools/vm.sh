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
#                   kernel report (use after free, module refcount WARN, oops)
#   igt             devhold_igt.sh: IGT core_hotunplug (virtio-gpu), vgem_basic,
#                   prime_vgem; no subtest may do worse than on the base
#                   (devtools/baseline/igt.txt)
#
#   unload-delay    devhold_unload.sh, shorter, with DEVHOLD_DEBUG_DELAY's
#                   random 1-4 s release delay on (off in the other boots)
#
# Known failures of the series are listed in devtools/baseline/vm-known.txt:
# "BOOT case N REASON" makes case N of that boot a TAP TODO, "BOOT report
# REGEX REASON" a kernel report matching REGEX a known one; both are shown
# with their reason and not counted as failed.  The gate says when a known
# failure no longer happens (then remove the line).
#
#   vm.sh WORK BUILD_DIR RESULTS_DIR [BOOT...]
#
# The scripts come from WORK; the kernel and its modules from BUILD_DIR, built
# from WORK or, with VM_KSRC=TREE, from TREE (the base, for "make baseline").
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
boots=${*:-unload unload-delay drm busted-nopin busted-ignored_get busted-nobarrier busted-drm_nowait igt}
passed=0 failed=0
: >"$res/vm.summary"
say() { echo "vm: $*" | tee -a "$res/vm.summary"; }

# Signatures the broken controls must produce.
declare -A expect=(
	[nopin]='BUG: unable to handle page fault|BUG: KASAN|general protection fault|Oops'
	[ignored_get]='WARNING: .*kernel/module/main\.c|BUG: KASAN: .*module_put'
	[nobarrier]='BUG: unable to handle page fault|BUG: KASAN|general protection fault|Oops'
	[drm_nowait]='WARNING: .*drivers/gpu/drm/drm_drv\.c'
	[drm_rs_nowait]='WARNING: .*drivers/gpu/drm/drm_drv\.c'
)

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
	expect_re=
	append="devhold.debug_delay=0"
	qemu=
	timeout=300
	case $b in
	unload)
		cmd=(/devhold/devhold_unload.sh "${VM_ITER:-30}" "${VM_SECS:-240}")
		timeout=${VM_TIMEOUT:-$((${VM_SECS:-240} + 480))}
		;;
	unload-delay)
		cmd=(/devhold/devhold_unload.sh "${VM_DELAY_ITER:-10}" 240)
		append=
		timeout=600
		;;
	drm) cmd=(/devhold/devhold_drm.sh) ;;
	drm-rs) cmd=(/devhold/devhold_drm.sh drm_test_unload_rs) ;;
	busted-*)
		c=${b#busted-}
		cmd=(/devhold/devhold_busted.sh "$c")
		expect_re=${expect[$c]}
		;;
	igt)
		cmd=(/devhold/devhold_igt.sh)
		qemu="-device virtio-gpu-pci"
		timeout=900
		;;
	*) say "unknown boot $b"; failed=$((failed + 1)); continue ;;
	esac
	# Known failures of this boot: cases for the guest, reports for the judge.
	awk -v b="$b" '$1 == b && $2 == "case" { $1 = $2 = ""; sub(/^ +/, ""); print }' \
		"$known" 2>/dev/null >"$tmp/known"
	reports=$(awk -v b="$b" '$1 == b && $2 == "report" {
		r = $3; $1 = $2 = $3 = ""; sub(/^ +/, ""); print r "\t" $0 }' "$known" 2>/dev/null)
	VM_TIMEOUT=$timeout VM_EXPECT_FAILURE=$expect_re VM_APPEND=$append VM_QEMU_ARGS=$qemu \
		VM_EXTRA=$tmp/known VM_KNOWN_REPORTS=$reports VM_MAKE_ARGS=$make_args \
		"$vm/run.sh" "${VM_KSRC:-$work}" "$bdir" "$res/vm" "$b" "${cmd[@]}" >"$res/vm/$b.out" 2>&1
	rc=$?
	grep -E '^(report|known|expected|failure|tap|kernel reports|kmemleak):' "$res/vm/$b.out" | head -n 20
	grep -E '^# (torture|faults|puts)' "$res/vm/$b.tap" 2>/dev/null
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$res/vm/$b.out" | tail -n 1)
	p=$(echo "$line" | awk '{print $1}') f=$(echo "$line" | awk '{print $3}')
	p=${p:-0} f=${f:-1}
	[ $rc = 0 ] || [ "$f" != 0 ] || f=1
	if [ "$b" = igt ]; then
		# Subtest results are judged against the base (no subtest may do
		# worse); everything else check-log.py counted still counts.
		notok=$(grep -c '^not ok [0-9]* igt ' "$res/vm/igt.tap" 2>/dev/null)
		f=$((f - ${notok:-0}))
		[ "$f" -ge 0 ] || f=0
		python3 "$here/igt-compare.py" "$here/baseline/igt.txt" "$res/vm/igt.tap" \
			>"$res/vm/igt.table" || f=$((f + 1))
		sed 's/^/  /' "$res/vm/igt.table" | tee -a "$res/vm.summary"
	fi
	grep -h -E '^known failure:' "$res/vm/$b.out" | sed "s/^/vm: $b: /" | tee -a "$res/vm.summary"
	while IFS=$'\t' read -r re why; do
		[ -n "$re" ] || continue
		grep -qE "$re" "$res/vm/$b.console" 2>/dev/null ||
			say "$b: known report no longer seen, remove it: $re ($why)"
	done <<<"$reports"
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
