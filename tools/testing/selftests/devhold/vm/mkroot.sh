#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once, cached) the Debian sid root the devhold VM harness boots, and
# print its path on stdout.
#
#   mkroot.sh            build if needed, print the root's path
#   mkroot.sh --force    rebuild even if the cache looks valid
#   mkroot.sh --info     print the stamp (packages, IGT version, ...)
#
# The root is ${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}/vmroot
# and is made by
#
#   debootstrap --variant=minbase --include=PACKAGES sid vmroot ARCHIVE
#
# with ARCHIVE read from this machine's apt configuration through
# devtools/fetch-base.sh --archive-uri.  The stamp vmroot.stamp beside it
# records the package list (a different list rebuilds the root), the date of
# the build and the IGT version installed (igt=...), for reports.  The IGT
# version is also alone in vmroot.igt beside it: devtools/igt-compare.py
# judges IGT results only against a baseline made with the same version.
#
# Signatures are checked against the host's debian-archive-keyring.  Only if
# that fails (a sid Release signed solely by keys newer than the host's
# keyring) is debootstrap retried with --no-check-gpg; the stamp then says
# gpg=unchecked and a warning is printed.  DEVHOLD_VMROOT_NOGPG=1 skips the
# checked attempt.
#
# Runs unattended (CI=true, no stdin); installs debootstrap with apt-get when
# missing (root or sudo needed, as for the rest of the project's set-up).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../../.." && pwd)
cache=${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}
root=$cache/vmroot
stamp=$cache/vmroot.stamp
igtfile=$cache/vmroot.igt
# Also taken by devtools/fetch-base.sh while it unpacks the base.
lock=$cache/vmroot.lock
suite=sid
packages="igt-gpu-tools-tests,kmod,procps,util-linux,v4l-utils"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

log() { echo "mkroot: $*" >&2; }

force=0
case "${1:-}" in
--force) force=1 ;;
--info)
	[ -f "$stamp" ] || { log "no root built yet"; exit 1; }
	cat "$stamp"
	exit 0 ;;
"") ;;
*) log "usage: mkroot.sh [--force|--info]"; exit 2 ;;
esac

mkdir -p "$cache"

# The cache is valid when the stamp names the same suite and package list
# and the root looks complete.
valid() {
	[ -f "$stamp" ] && [ -x "$root/bin/sh" ] && [ -d "$root/usr/libexec/igt-gpu-tools" ] &&
		grep -qx "suite=$suite" "$stamp" && grep -qx "packages=$packages" "$stamp"
}

# The IGT version of a root, from its own dpkg database.
# shellcheck disable=SC2016 # ${Version} is dpkg-query's, not ours
igt_version() {
	dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${Version}' igt-gpu-tools-tests 2>/dev/null
}

if [ "$force" = 0 ] && valid; then
	# A root made before vmroot.igt existed.
	[ -s "$igtfile" ] || { igt=$(igt_version "$root") && echo "$igt" >"$igtfile"; } || true
	echo "$root"
	exit 0
fi

# One builder at a time; a second caller waits and then reuses the result.
exec 9>"$lock"
flock 9
if [ "$force" = 0 ] && valid; then
	echo "$root"
	exit 0
fi

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null 2>&1 && [ ! -x /usr/sbin/debootstrap ]; then
	log "installing debootstrap"
	$sudo apt-get update -qq </dev/null >&2
	$sudo apt-get install -y -qq --no-install-recommends debootstrap </dev/null >&2
fi
PATH=$PATH:/usr/sbin:/sbin

# The archive address of this machine's apt configuration: given by the
# caller (the project's devtools/vm.sh), or read by the project's script.
archive=${DEVHOLD_ARCHIVE:-}
if [ -z "$archive" ] && [ -x "$repo/devtools/fetch-base.sh" ]; then
	archive=$("$repo/devtools/fetch-base.sh" --archive-uri)
fi
[ -n "$archive" ] || { log "no Debian archive in the apt configuration"; exit 1; }

tmp=$cache/vmroot.new
cleanup() { [ -d "$tmp" ] && $sudo rm -rf --one-file-system "$tmp"; true; }
trap cleanup EXIT

run_debootstrap() {
	cleanup
	mkdir -p "$tmp"
	$sudo debootstrap --variant=minbase --include="$packages" "$@" \
		"$suite" "$tmp" "$archive" </dev/null >"$cache/vmroot.log" 2>&1
}

start=$(date +%s)
gpg=checked
log "debootstrap $suite ($packages) into $root; log: $cache/vmroot.log"
if [ "${DEVHOLD_VMROOT_NOGPG:-0}" = 1 ] || ! run_debootstrap --keyring="$keyring"; then
	if [ "${DEVHOLD_VMROOT_NOGPG:-0}" != 1 ] &&
		! grep -qE '^E: .*([Ss]ignature|signed|[Kk]ey|NO_PUBKEY|EXPKEYSIG)' \
			"$cache/vmroot.log"; then
		log "debootstrap failed:"
		tail -n 20 "$cache/vmroot.log" >&2
		exit 1
	fi
	# Documented fallback: sid may be signed by keys newer than this
	# host's keyring.  The packages are still checked against the
	# (unverified) Release file's hashes.
	[ "${DEVHOLD_VMROOT_NOGPG:-0}" = 1 ] ||
		log "WARNING: Release signature check failed; retrying with --no-check-gpg"
	gpg=unchecked
	if ! run_debootstrap --no-check-gpg; then
		log "debootstrap failed:"
		tail -n 20 "$cache/vmroot.log" >&2
		exit 1
	fi
fi

# Small fix-ups for a root that boots with init=/devhold/init.sh.
$sudo mkdir -p "$tmp/devhold" "$tmp/usr/lib/modules"
$sudo rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"* 2>/dev/null || true

igt=$(igt_version "$tmp") || { log "no igt-gpu-tools-tests in the new root"; exit 1; }
# shellcheck disable=SC2016
kmodv=$($sudo chroot "$tmp" dpkg-query -W -f='${Version}' kmod 2>/dev/null || echo unknown)

$sudo rm -rf --one-file-system "$root" "$cache/vmroot.ext4" "$cache/vmroot.ext4.id" "$igtfile"
mv "$tmp" "$root"
echo "$igt" >"$igtfile"
{
	echo "suite=$suite"
	echo "packages=$packages"
	echo "gpg=$gpg"
	echo "igt=$igt"
	echo "kmod=$kmodv"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "seconds=$(($(date +%s) - start))"
} >"$stamp.new"
mv "$stamp.new" "$stamp"
log "root ready in $(($(date +%s) - start)) s; igt-gpu-tools-tests $igt"
echo "$root"
