#!/usr/bin/env bash
# Fetch and unpack the base kernel (Debian linux-source-7.3) into the cache.
#
# The archive address is read from this machine's own apt configuration; the
# suite that carries 7.3 is added in a private sources/lists directory, so the
# system's apt state is never changed.  Prints the path of the unpacked tree.
set -euo pipefail

cache=${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}
pkg=${BASE_PKG:-linux-source-7.3}
suites=${BASE_SUITES:-"trixie-backports sid experimental"}
mkdir -p "$cache"

# Already unpacked?
if [ "${1:-}" != --archive-uri ] && [ -f "$cache/base.ok" ]; then
	dir=$(cat "$cache/base.ok")
	if [ -f "$dir/Makefile" ]; then
		echo "$dir"
		exit 0
	fi
fi

# The Debian archive URI of this machine (first non-security "URIs:" or deb line).
. "$(dirname "$0")/apt-private.sh"
uri=$(apt_uris | grep -E '/debian/?$' | head -n1 || true)
[ -n "$uri" ] || { echo "fetch-base: no Debian archive found in apt configuration" >&2; exit 1; }
if [ "${1:-}" = --archive-uri ]; then
	echo "$uri"
	exit 0
fi

lines=()
for s in $suites; do
	lines+=("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $s main")
done
apt_dir=$cache/apt
private_apt "$apt_dir" "${lines[@]}"
echo "fetch-base: updating private apt lists for: $suites" >&2
apt-get "${aptopts[@]}" update -qq >&2

ver=$(apt-cache "${aptopts[@]}" policy "$pkg" | awk '/Candidate:/ {print $2}')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || { echo "fetch-base: $pkg not found in $suites" >&2; exit 1; }
echo "fetch-base: $pkg $ver" >&2

cd "$apt_dir/archives"
apt-get "${aptopts[@]}" download "$pkg=$ver" >&2
deb=$(ls -t "$apt_dir"/archives/"${pkg}"_*.deb | head -n1)

rm -rf "$cache/unpack"
mkdir -p "$cache/unpack"
dpkg-deb -x "$deb" "$cache/unpack"
tarball=$(ls "$cache"/unpack/usr/src/linux-source-*.tar.* | head -n1)
echo "fetch-base: unpacking $(basename "$tarball")" >&2
dest=$cache/linux-$ver
rm -rf "$dest"
mkdir -p "$dest"
tar -xf "$tarball" -C "$dest" --strip-components=1
rm -rf "$cache/unpack"
echo "$ver" >"$dest/.devhold-base-version"
echo "$dest" >"$cache/base.ok"
echo "$dest"
