#!/usr/bin/env bash
# Fetch and unpack the base kernel (Debian linux-source-7.3) into the cache.
#
# The archive address is read from this machine's own apt configuration; the
# suite that carries 7.3 is added in a private sources/lists directory, so the
# system's apt state is never changed.  Prints the path of the unpacked tree.
#
# The version is pinned: BASE_VERSION (default below: the version the
# baselines in devtools/baseline/ were made with) is downloaded and nothing
# else, and the downloaded package's own version is checked, so the base
# cannot drift with the archive.  base.ok in the cache records the version
# and the tree; a tree of another version is not used.  (make's KDIR= uses a
# tree of your own instead and does not come here.)
#
#   fetch-base.sh                      fetch once, print the tree's path
#   fetch-base.sh --archive-uri        print the Debian archive address
#   fetch-base.sh --check-version DEB  is DEB the pinned package and version?
set -euo pipefail

cache=${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}
pkg=${BASE_PKG:-linux-source-7.3}
pinned=7.3.4-1~bpo13+1
want=${BASE_VERSION:-$pinned}
suites=${BASE_SUITES:-"trixie-backports sid experimental"}

# Is DEB the package and version wanted?  Says what differs and the knob.
check_version() {
	local deb=$1 p='' v=''
	if ! p=$(dpkg-deb -f "$deb" Package 2>&1) || ! v=$(dpkg-deb -f "$deb" Version 2>&1); then
		echo "fetch-base: cannot read the version of $deb: $p$v" >&2
		return 1
	fi
	if [ "$p" != "$pkg" ]; then
		echo "fetch-base: $(basename "$deb") is package $p, not $pkg" >&2
		return 1
	fi
	if [ "$v" != "$want" ]; then
		echo "fetch-base: $(basename "$deb") is $pkg $v, not $want (BASE_VERSION=$want):" \
			"set BASE_VERSION=$v to use it (the baselines in devtools/baseline/" \
			"were made with $pinned)" >&2
		return 1
	fi
	echo "fetch-base: $(basename "$deb") is $pkg $v, as BASE_VERSION wants" >&2
}

if [ "${1:-}" = --check-version ]; then
	[ $# = 2 ] || { echo "usage: fetch-base.sh --check-version DEB" >&2; exit 2; }
	check_version "$2"
	exit
fi

mkdir -p "$cache"

# The tree base.ok names, if it is complete and of the wanted version.
# base.ok has "version=" and "dir=" lines; an older one is the path alone,
# its version in the tree's .devhold-base-version.
cached() {
	local ok=$cache/base.ok dir ver
	[ -f "$ok" ] || return 1
	if grep -q '^dir=' "$ok"; then
		dir=$(sed -n 's/^dir=//p' "$ok")
		ver=$(sed -n 's/^version=//p' "$ok")
	else
		dir=$(head -n1 "$ok")
		ver=$(cat "$dir/.devhold-base-version" 2>/dev/null || echo unknown)
	fi
	[ -f "$dir/Makefile" ] || return 1
	if [ "$ver" != "$want" ]; then
		echo "fetch-base: the cached base $dir is $ver, BASE_VERSION is $want: not using it" >&2
		return 1
	fi
	grep -q '^dir=' "$ok" || record "$ver" "$dir"
	echo "$dir"
}
record() {	# VERSION DIR
	printf 'version=%s\ndir=%s\n' "$1" "$2" >"$cache/base.ok.new"
	mv "$cache/base.ok.new" "$cache/base.ok"
}

if [ "${1:-}" != --archive-uri ] && cached; then
	exit 0
fi

# The Debian archive URI of this machine (first non-security "URIs:" or deb line).
. "$(dirname "$0")/apt-private.sh"
uri=$(apt_uris | grep -E '/debian/?$' | head -n1 || true)
[ -n "$uri" ] || { echo "fetch-base: no Debian archive found in apt configuration" >&2; exit 1; }
if [ "${1:-}" = --archive-uri ]; then
	echo "$uri"
	exit 0
fi

# The same lock as the VM root's (tools/testing/selftests/devhold/vm/mkroot.sh):
# both fill the cache, and the gate makes the root while the tiers assemble.
# A second caller waits, then uses what the first unpacked.
exec 9>"$cache/vmroot.lock"
flock 9
if cached 2>/dev/null; then
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

avail=$(apt-cache "${aptopts[@]}" madison "$pkg" |
	awk -F'|' '{gsub(/[[:space:]]/, "", $2); print $2}' | sort -u | paste -sd' ' -)
if ! tr ' ' '\n' <<<"$avail" | grep -qxF "$want"; then
	echo "fetch-base: $pkg $want (BASE_VERSION=$want) is not in $suites;" \
		"available: ${avail:-none}.  Set BASE_VERSION= to one of those (the" \
		"baselines in devtools/baseline/ were made with $pinned), or KDIR= to a tree" >&2
	exit 1
fi
echo "fetch-base: $pkg $want" >&2

cd "$apt_dir/archives"
rm -f "$apt_dir"/archives/"${pkg}"_*.deb
apt-get "${aptopts[@]}" download "$pkg=$want" >&2
deb=$(ls "$apt_dir"/archives/"${pkg}"_*.deb | head -n1)
check_version "$deb" || exit 1

rm -rf "$cache/unpack"
mkdir -p "$cache/unpack"
dpkg-deb -x "$deb" "$cache/unpack"
tarball=$(ls "$cache"/unpack/usr/src/linux-source-*.tar.* | head -n1)
echo "fetch-base: unpacking $(basename "$tarball")" >&2
dest=$cache/linux-$want
rm -rf "$dest"
mkdir -p "$dest"
tar -xf "$tarball" -C "$dest" --strip-components=1
rm -rf "$cache/unpack"
echo "$want" >"$dest/.devhold-base-version"
record "$want" "$dest"
echo "$dest"
