#!/usr/bin/env bash
# Assemble a Rust toolchain for Linux 7.3's Rust code from Debian packages on
# a bookworm machine, and write the make variables that select it.
#
# rustc, rustdoc, rustfmt and clippy-driver come from bookworm-security's
# rustc-web family (the Rust that bookworm keeps current for its browsers),
# libclang from bookworm's LLVM 19; these are installed on the system.
# bindgen comes from sid, which needs a newer glibc than bookworm's: sid's
# bindgen and trixie's libc6 are only downloaded, through a private apt
# directory, unpacked into "$cache/rust/root", and run through trixie's
# dynamic loader by the wrapper "$cache/rust/bin/bindgen".
#
# Writes "$cache/rust/make.vars", one line of make variable assignments with
# full paths (another Rust, e.g. rustup's, may come first in PATH), and prints
# it on stdout:
#
#	make LLVM= $(cat "$cache/rust/make.vars") rustavailable
set -euo pipefail

cache=${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}
rust=$cache/rust
mkdir -p "$rust"
llvm=/usr/lib/llvm-19
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo

# rustc-web and friends from bookworm-security, libclang 19 from bookworm.
# (clang-19 itself is not needed: bindgen only dlopens libclang, which finds
# its builtin headers in libclang-common-19-dev.)
sec_pkgs="rustc-web rust-web-src rustfmt-web rust-web-clippy"
pkgs="$sec_pkgs libclang1-19 libclang-common-19-dev"

# The packages below exist in this combination only on bookworm for amd64
# (rustc-web is bookworm-security's; the wrapper runs x86_64 binaries): on
# another host, say what is needed instead of failing half-way in apt.
# shellcheck disable=SC1091
codename=$(. /etc/os-release 2>/dev/null && echo "${ID:-}/${VERSION_CODENAME:-}")
arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
if [ "$codename" != debian/bookworm ] || [ "$arch" != amd64 ]; then
	# A toolchain set up by hand: make.vars naming programs that exist.
	if [ -f "$rust/make.vars" ] && vars=$(cat "$rust/make.vars") &&
		(for v in $vars; do [ -x "${v#*=}" ] || exit 1; done); then
		echo "install-rust: not a bookworm amd64 host; using $rust/make.vars as it is" >&2
		echo "$vars"
		exit 0
	fi
	cat >&2 <<-EOF
	install-rust: this host is ${codename:-unknown} $arch; install-rust.sh supports
	Debian 12 (bookworm) on amd64 only.  It installs, from bookworm-security:
	  $sec_pkgs
	from bookworm: libclang1-19 libclang-common-19-dev; and downloads privately
	(through the archive of the apt configuration) sid's bindgen and trixie's
	libc6 for amd64, to run bindgen on trixie's dynamic loader.
	Elsewhere, install a Rust toolchain that Linux 7.3 accepts (rustc, rustdoc,
	rustfmt, clippy-driver, bindgen, libclang: "make LLVM= rustavailable" in
	the base tree says what is missing) and write its programs' full paths into
	$rust/make.vars, one line:
	  RUSTC=... HOSTRUSTC=... RUSTDOC=... RUSTFMT=... CLIPPY_DRIVER=... BINDGEN=...
	EOF
	exit 1
fi

. "$(dirname "$0")/apt-private.sh"
# shellcheck disable=SC2086
missing=$(missing_pkgs $pkgs)
if [ -n "$missing" ]; then
	uri=$("$(dirname "$0")/fetch-base.sh" --archive-uri)
	echo "install-rust: apt-get install$missing" >&2
	$sudo apt-get update -qq >&2
	sys_aptopts=()
	policy=$(apt-cache policy rustc-web)
	if [ "${policy#* bookworm-security/}" = "$policy" ]; then
		# bookworm-security is not in the apt configuration: use a
		# private sources/lists directory with bookworm and the
		# security archive, taken from the apt configuration if it
		# names one, else the configured archive's "-security"
		# sibling (the Debian mirror layout).
		sec=$(apt_uris | grep -E '/debian-security/?$' | head -n1 || true)
		[ -n "$sec" ] || sec=${uri%/}-security
		echo "install-rust: bookworm-security not configured, using $sec privately" >&2
		private_apt "$rust/apt-security" \
			"deb [signed-by=$keyring] $uri bookworm main" \
			"deb [signed-by=$keyring] $uri bookworm-updates main" \
			"deb [signed-by=$keyring] $sec bookworm-security main"
		# apt runs as root here; its _apt user may not reach the cache.
		sys_aptopts=("${aptopts[@]}" -o APT::Sandbox::User=root)
		$sudo apt-get "${sys_aptopts[@]}" update -qq >&2
	fi
	sel=
	for p in $missing; do
		case " $sec_pkgs " in
		*" $p "*) sel="$sel $p/bookworm-security" ;;
		*) sel="$sel $p" ;;
		esac
	done
	DEBIAN_FRONTEND=noninteractive $sudo apt-get "${sys_aptopts[@]}" \
		install -y -qq --no-install-recommends $sel >&2
fi

# The installed executable NAME of package PKG (rustc-web installs plain
# /usr/bin/rustc etc. today; accept NAME-web too).
pkg_bin() {
	local f
	for f in $(dpkg -L "$1" | grep -E "/bin/$2(-web)?\$"); do
		[ -f "$f" ] && [ -x "$f" ] && { echo "$f"; return; }
	done
	echo "install-rust: no $2 in package $1" >&2
	exit 1
}
rustc=$(pkg_bin rustc-web rustc)
rustdoc=$(pkg_bin rustc-web rustdoc)
rustfmt=$(pkg_bin rustfmt-web rustfmt)
clippy=$(pkg_bin rust-web-clippy clippy-driver)

# sid's bindgen on trixie's glibc, unpacked into the cache.
root=$rust/root
bindgen=$rust/bin/bindgen
if ! "$bindgen" --version >/dev/null 2>&1; then
	uri=$("$(dirname "$0")/fetch-base.sh" --archive-uri)
	apt_dir=$rust/apt
	private_apt "$apt_dir" \
		"deb [signed-by=$keyring] $uri sid main" \
		"deb [signed-by=$keyring] $uri trixie main"
	# As root, apt would warn that its _apt user cannot write the cache.
	[ "$(id -u)" != 0 ] || aptopts+=(-o APT::Sandbox::User=root)
	echo "install-rust: updating private apt lists for: sid trixie" >&2
	apt-get "${aptopts[@]}" update -qq >&2
	rm -f "$apt_dir"/archives/*.deb
	(cd "$apt_dir/archives" &&
		apt-get "${aptopts[@]}" download -qq bindgen/sid libc6/trixie >&2)
	rm -rf "$root"
	mkdir -p "$root" "$rust/bin"
	for deb in "$apt_dir"/archives/*.deb; do
		echo "install-rust: unpacking $(basename "$deb")" >&2
		dpkg-deb -x "$deb" "$root"
	done
	# trixie's libc6 is laid out for a merged /usr; add the /lib link
	# a merged-/usr system has, so both spellings work.
	[ -e "$root/lib" ] || ln -s usr/lib "$root/lib"
	ld=$root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
	libpath=$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu
	# Everything else bindgen links (libgcc_s) must come from bookworm;
	# libclang is dlopened from LIBCLANG_PATH.
	libs=$("$ld" --library-path "$libpath" --list "$root/usr/bin/bindgen") ||
		{ echo "install-rust: trixie's loader does not run bindgen: $libs" >&2; exit 1; }
	if echo "$libs" | grep 'not found' >&2; then
		echo "install-rust: bindgen needs libraries not found above" >&2
		exit 1
	fi
	cat >"$bindgen.tmp" <<-EOF
	#!/bin/sh
	# Written by devtools/install-rust.sh: sid's bindgen on trixie's glibc.
	LIBCLANG_PATH=$llvm/lib
	export LIBCLANG_PATH
	exec "$ld" --library-path "$libpath" "$root/usr/bin/bindgen" "\$@"
	EOF
	chmod +x "$bindgen.tmp"
	"$bindgen.tmp" --version >&2 ||
		{ echo "install-rust: the bindgen wrapper does not run" >&2; exit 1; }
	mv "$bindgen.tmp" "$bindgen"
fi

vars="RUSTC=$rustc HOSTRUSTC=$rustc RUSTDOC=$rustdoc RUSTFMT=$rustfmt CLIPPY_DRIVER=$clippy BINDGEN=$bindgen"
[ "$(cat "$rust/make.vars" 2>/dev/null)" = "$vars" ] ||
	echo "$vars" >"$rust/make.vars"
echo "$vars"
