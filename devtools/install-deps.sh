#!/usr/bin/env bash
# Install what building and testing devhold needs on a Debian machine:
# kernel build tools, QEMU (x86_64 tier), ccache, an arm64 cross compiler
# (the drm_gpuvm users panthor and imagination), a Rust toolchain
# (devtools/install-rust.sh) and a sparse new enough
# for Linux 7.3 (built from Debian's sid source package into the cache, as
# bookworm's sparse 0.6.4 is rejected by scripts/checker-valid.sh).
set -euo pipefail

cache=${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}
pkgs="build-essential flex bison bc libelf-dev libssl-dev dwarves kmod cpio
      rsync python3 git perl ccache qemu-system-x86 dpkg-dev xz-utils
      libxml2-dev python3-sphinx python3-sphinx-rtd-theme python3-yaml
      gcc-aarch64-linux-gnu e2fsprogs debootstrap debian-archive-keyring
      coccinelle"
. "$(dirname "$0")/apt-private.sh"
# shellcheck disable=SC2086
missing=$(missing_pkgs $pkgs)
if [ -n "$missing" ]; then
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "install-deps: apt-get install$missing" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
fi

# sparse from sid's source package, built into the cache.
sparse=$cache/sparse/bin/sparse
if [ ! -x "$sparse" ]; then
	uri=$("$(dirname "$0")/fetch-base.sh" --archive-uri)
	apt_dir=$cache/apt-src
	private_apt "$apt_dir" \
		"deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri sid main"
	apt-get "${aptopts[@]}" update -qq >&2
	rm -rf "$cache/sparse-src"
	mkdir -p "$cache/sparse-src"
	(cd "$cache/sparse-src" && apt-get "${aptopts[@]}" source -qq sparse >&2)
	src=$(find "$cache/sparse-src" -maxdepth 1 -mindepth 1 -type d | head -n1)
	make -s -C "$src" CC=gcc HAVE_LLVM=no HAVE_GTK=no HAVE_SQLITE=no \
		PREFIX="$cache/sparse" install >&2
	echo "install-deps: sparse $("$sparse" --version)" >&2
fi

# The Rust toolchain of the rust tier (devtools/install-rust.sh).
"$(dirname "$0")/install-rust.sh" >/dev/null
