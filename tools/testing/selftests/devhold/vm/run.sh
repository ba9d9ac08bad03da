#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the devhold x86_64 test kernel once under QEMU (TCG) with a Debian sid
# root and run one command in the guest.
#
# Usage
#
#   run.sh KSRC KBUILD OUTDIR NAME CMD...
#
#     KSRC    kernel source tree (e.g. build/work)
#     KBUILD  its O= build directory (e.g. build/x86_64); the kernel is
#             KBUILD/arch/x86/boot/bzImage
#     OUTDIR  where NAME.console (kernel log, first serial) and NAME.tap
#             (the command's stdout+stderr, second serial) are written
#     NAME    name of this boot
#     CMD...  the command run in the guest, as root, from /devhold, with
#             stdout and stderr on the TAP serial; it should print TAP
#             ("1..N", "ok N ...", "not ok N ...")
#
#   e.g. run.sh build/work build/x86_64 /tmp/vm smoke ./some-test.sh -v
#
#   The exit status is check-log.py's on the two files: 0 iff every TAP line
#   passed, the plan was complete, the command exited 0, kmemleak's scans
#   completed, and the kernel log and kmemleak show no report (but known
#   ones, VM_KNOWN).
#
# Environment
#
#   VM_TIMEOUT=1500         seconds before the host kills QEMU (a failure)
#   VM_EXPECT_FAILURE=SIGS  a busted control: pass only if the kernel makes
#                           one of these reports, and no other but those of
#                           VM_EXPECT_ALSO (check-log.py --expect-failure
#                           and --expect-also: "KIND at PLACE from FUNCS");
#                           CHECK_ARGS="--expect-failure SIGS" does the same
#   VM_EXPECT_ALSO=SIGS     what else the busted control may make it report
#   VM_KNOWN=FILE           known reports (devtools/baseline/vm-known.txt):
#                           its "NAME report SIGNATURE -- REASON" lines
#   VM_APPEND="..."         more kernel command line
#   VM_CPU=qemu64           QEMU -cpu model (with "max" one boot in 18 saw a
#                           KASAN storm from the interrupt path under 5-level paging)
#   VM_QEMU_ARGS="..."      more QEMU arguments (split on blanks), e.g.
#                           "-device virtio-gpu-pci" for the IGT suites;
#                           QEMU_EXTRA is taken as well
#   VM_EXTRA="PATH..."      more files or directories copied into /devhold
#   VM_MAKE_ARGS="..."      more make variables for modules_install (split
#                           on blanks, so no value may hold one), e.g. the
#                           Rust toolchain the kernel was built with:
#                           RUSTC=... BINDGEN=...
#   VM_KEEP=1               keep the per-run work directory (stage image)
#   DEVHOLD_CACHE           cache directory (default ~/.cache/devhold)
#
# How a boot is put together
#
#   The root is mkroot.sh's cached debootstrap (built on first use).  It is
#   turned once into an ext4 image, CACHE/vmroot.ext4, together with
#   vm/init.sh at /devhold/init.sh (rebuilt when the root or init.sh
#   changes).  QEMU opens that image as /dev/vda with snapshot=on: the
#   guest's writes go to a temporary overlay, the cached image is never
#   modified, and several boots can share it at once.
#
#   Per run, a small stage image (/dev/vdb, mke2fs -d) carries the kernel's
#   modules (modules_install INSTALL_MOD_STRIP=1, host depmod), the test
#   scripts tools/testing/selftests/devhold/*.sh, init.sh, VM_EXTRA, and
#   the command (/devhold/cmd) and NAME (/devhold/name).  init.sh
#   (init=/devhold/init.sh) mounts it at /devhold and bind-mounts
#   /devhold/lib/modules on /lib/modules, so modprobe finds the modules.
#
#   The machine: TCG (KVM guests hang on our machines), 2 CPUs, 3 GB, no
#   network, no VGA, console on ttyS0, TAP on ttyS1.  The kernel command
#   line adds pci=noacpi (see below) and printk.time=1 to the usual.
#   Timings of each step are printed on stderr.
set -euo pipefail

usage() {
	sed -n '/^# Usage/,/^# How a boot/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
[ $# -ge 5 ] || usage

ksrc=$(cd "$1" && pwd)
kbuild=$(cd "$2" && pwd)
mkdir -p "$3"
outdir=$(cd "$3" && pwd)
name=$4
shift 4

here=$(cd "$(dirname "$0")" && pwd)
seldir=$(dirname "$here")
cache=${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}
timeout=${VM_TIMEOUT:-1500}
qemu=${QEMU:-qemu-system-x86_64}
bzimage=$kbuild/arch/x86/boot/bzImage
console=$outdir/$name.console
tapfile=$outdir/$name.tap
PATH=$PATH:/usr/sbin:/sbin

log() { echo "run[$name]: $*" >&2; }
die() { log "$*"; exit 1; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
secs() { local ms=$(($(now_ms) - $1)); printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100)); }

case $name in
*/* | '') die "NAME must be a plain file name" ;;
esac
[ -f "$bzimage" ] || die "no kernel at $bzimage"
command -v "$qemu" >/dev/null || die "$qemu not found"
command -v mke2fs >/dev/null || die "mke2fs not found (e2fsprogs)"

# check-log.py's judgement: normal, or a busted control's own reports.
judge=()
sigs=${VM_EXPECT_FAILURE:-}
case ${CHECK_ARGS:-} in
--expect-failure\ *) sigs=${sigs:-${CHECK_ARGS#--expect-failure }} ;;
'') ;;
*) die "CHECK_ARGS: only \"--expect-failure SIGS\" is understood" ;;
esac
[ -n "$sigs" ] && judge+=(--expect-failure "$sigs")
[ -n "${VM_EXPECT_ALSO:-}" ] && judge+=(--expect-also "$VM_EXPECT_ALSO")
[ -n "${VM_KNOWN:-}" ] && judge+=(--vm-known "$VM_KNOWN" --boot "$name")

t0=$(now_ms)

# 1. The cached root and its image.
root=$("$here/mkroot.sh")
log "root: $root ($(grep -E '^(igt|gpg)=' "$cache/vmroot.stamp" | tr '\n' ' '))"
base=$cache/vmroot.ext4
want=$({ cat "$cache/vmroot.stamp" "$here/init.sh"; echo "image v1"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$base.id" 2>/dev/null)" != "$want" ] || [ ! -f "$base" ]; then
	exec 9>"$cache/vmroot.lock"
	flock 9
	if [ "$(cat "$base.id" 2>/dev/null)" != "$want" ] || [ ! -f "$base" ]; then
		tb=$(now_ms)
		install -m 0755 "$here/init.sh" "$root/devhold/init.sh"
		used=$(du -sm "$root" | cut -f1)
		rm -f "$base.new" "$base.id"
		mke2fs -q -t ext4 -L devhold-root -d "$root" "$base.new" \
			"$((used + used / 4 + 1024))M" >/dev/null
		mv "$base.new" "$base"
		echo "$want" >"$base.id"
		log "root image built in $(secs "$tb") s: $base"
	fi
	exec 9>&-
fi

# 2. The per-run stage.
work=$(mktemp -d "${TMPDIR:-/tmp}/devhold-vm.XXXXXX")
# shellcheck disable=SC2317 # called from the trap
cleanup() {
	if [ "${VM_KEEP:-0}" = 1 ]; then
		log "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
stage=$work/stage
mkdir -p "$stage"
ts=$(now_ms)

if grep -q '^CONFIG_MODULES=y' "$kbuild/.config"; then
	llvm=()
	grep -q '^CONFIG_CC_IS_CLANG=y' "$kbuild/.config" && llvm=(LLVM=1)
	# shellcheck disable=SC2086 # VM_MAKE_ARGS is split on blanks
	make -s -C "$ksrc" O="$kbuild" "${llvm[@]}" ${VM_MAKE_ARGS:-} modules_install \
		INSTALL_MOD_PATH="$stage" INSTALL_MOD_STRIP=1 >&2
	# Build-tree links are of no use in the guest.
	rm -f "$stage"/lib/modules/*/build "$stage"/lib/modules/*/source
else
	log "CONFIG_MODULES is not set: no modules to install"
fi
for f in "$seldir"/*.sh "$here/init.sh"; do
	[ -f "$f" ] && install -m 0755 "$f" "$stage/"
done
# The selftests' helper programs, static (the root has no compiler),
# against the UAPI headers of the kernel under test.
if compgen -G "$seldir/*.c" >/dev/null; then
	make -s -C "$ksrc" O="$kbuild" headers >&2 || die "make headers failed"
	for f in "$seldir"/*.c; do
		"${HOSTCC:-gcc}" -static -O2 -Wall -I"$kbuild/usr/include" \
			-o "$stage/$(basename "$f" .c)" "$f" || die "cannot build $f"
	done
fi
for p in ${VM_EXTRA:-}; do
	cp -a "$p" "$stage/"
done
echo "$name" >"$stage/name"
# The command, quoted for sh: each word in single quotes.
cmd="exec"
for a in "$@"; do
	cmd+=" '${a//\'/\'\\\'\'}'"
done
echo "$cmd" >"$stage/cmd"

used=$(du -sm "$stage" | cut -f1)
simg=$work/stage.ext4
mke2fs -q -t ext4 -L devhold-stage -d "$stage" "$simg" "$((used + used / 2 + 64))M" >/dev/null
log "stage image (${used} MB) built in $(secs "$ts") s"

# 3. Boot.
append="console=ttyS0 root=/dev/vda rootfstype=ext4 rw init=/devhold/init.sh"
append+=" kunit.enable=0 panic_on_warn=0 panic=-1 loglevel=7 kasan_multi_shot"
append+=" hung_task_panic=0 softlockup_panic=0 no_hash_pointers printk.time=1"
# PCI interrupt routing from the BIOS table, not ACPI: under TCG the
# debug kernel's AML interpreter runs each _PRT evaluation into its 30 s
# loop timeout, and without CONFIG_PCI_MSI the virtio devices are then
# left with no interrupt and the boot hangs.
append+=" pci=noacpi"
append+=" ${VM_APPEND:-}"

qargs=()
read -r -a qargs <<<"${VM_QEMU_ARGS:-} ${QEMU_EXTRA:-}"

rm -f "$console" "$tapfile"
tq=$(now_ms)
# QEMU runs under timeout(1) in the background, out of the terminal's
# process group: pass on our INT/TERM/HUP (timeout forwards them to QEMU).
rc=0 interrupted=
timeout -k 10 "$timeout" "$qemu" -accel tcg -cpu "${VM_CPU:-qemu64}" -smp 2 -m 3072 \
	-nographic -monitor none -no-reboot -nic none -vga none \
	"${qargs[@]}" \
	-kernel "$bzimage" -append "$append" \
	-drive "file=$base,format=raw,if=virtio,snapshot=on" \
	-drive "file=$simg,format=raw,if=virtio" \
	-serial "file:$console" -serial "file:$tapfile" \
	</dev/null >"$work/qemu.out" 2>&1 &
qpid=$!
trap 'interrupted=1; kill -TERM "$qpid" 2>/dev/null' INT TERM HUP
while :; do
	rc=0
	wait "$qpid" || rc=$?
	kill -0 "$qpid" 2>/dev/null || break
done
trap - INT TERM HUP
boot=$(secs "$tq")
if [ -s "$work/qemu.out" ]; then
	sed 's/^/qemu: /' "$work/qemu.out" >&2
fi
touch "$console" "$tapfile"
if [ -n "$interrupted" ]; then
	log "interrupted: qemu stopped"
	echo "# devhold-vm: host: interrupted, qemu stopped" >>"$console"
elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	log "timeout: qemu killed after $timeout s"
	echo "# devhold-vm: host: timeout after $timeout s, qemu killed" >>"$console"
elif [ "$rc" != 0 ]; then
	log "qemu exited with status $rc"
	echo "# devhold-vm: host: qemu failed with status $rc" >>"$console"
fi

up0=$(sed -n 's/^# devhold-vm: kernel .*uptime \([0-9.]*\)s.*/\1/p' "$tapfile" | head -n1)
up1=$(sed -n 's/^# devhold-vm: uptime \([0-9.]*\)s.*/\1/p' "$tapfile" | tail -n1)
log "qemu ran $boot s (guest: init at ${up0:-?} s, done at ${up1:-?} s); total $(secs "$t0") s"
log "console: $console"
log "tap:     $tapfile"

rc=0
python3 "$here/check-log.py" "$console" "$tapfile" "${judge[@]}" || rc=$?
exit "$rc"
