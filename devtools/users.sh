#!/usr/bin/env bash
# Build coverage on another architecture: cross-compiles for arm64 from
# its defconfig (which also has the drm_gpuvm users panthor, imagination,
# msm and nouveau as modules, against the series' drm_gpuvm.h), and
# builds with W=1 the object of every
# .c file under drivers/ the series adds or changes that this configuration
# builds (the static gate then runs sparse on them).
# Usage: users.sh WORK BUILD_DIR
set -euo pipefail

work=$1
mkdir -p "$2"
bdir=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ccache.sh"
cross=aarch64-linux-gnu-
command -v ${cross}gcc >/dev/null || { echo "users: no ${cross}gcc (make deps)" >&2; exit 2; }
mk=(make -s -C "$work" ARCH=arm64 CROSS_COMPILE=$cross O="$bdir" -j"${JOBS:-2}")
[ "$devhold_cc" = gcc ] || mk+=(CC="ccache ${cross}gcc")

[ -f "$bdir/.config" ] || "${mk[@]}" defconfig
"${mk[@]}" olddefconfig
"${mk[@]}" prepare

# The option that builds FILE.c, read from the kbuild files: an obj-$(CONFIG_X)
# line naming it; for a part of a composite object, the part's own option or
# the composite's; else the parent's line for its directory.  Empty: unknown.
mkfile() { if [ -f "$work/$1/Kbuild" ]; then echo "$work/$1/Kbuild"; else echo "$work/$1/Makefile"; fi; }
joined() { sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba}' "$(mkfile "$1")" 2>/dev/null; }
objline() {	# DIR NAME: the option of "obj-... += NAME" in DIR ("y" if always)
	joined "$1" | sed -nE "s/^obj-(\\$\((CONFIG_[A-Z0-9_]+)\)|(y))[[:space:]]*[+:]?=(.*[[:space:]])?$2([[:space:]].*)?$/\2\3/p" | head -n1
}
option() {
	local dir name part c
	dir=$(dirname "$1") name=$(basename "${1%.c}")
	c=$(objline "$dir" "$name\\.o")
	if [ -z "$c" ]; then
		part=$(joined "$dir" | sed -nE "s/^([a-z0-9_]+)-(y|objs|\\$\((CONFIG_[A-Z0-9_]+)\))[[:space:]]*[+:]?=(.*[[:space:]])?$name\\.o([[:space:]].*)?$/\1 \3/p" | head -n1)
		if [ -n "$part" ]; then
			set -- $part
			c=${2:-$(objline "$dir" "$1\\.o")}
		fi
	fi
	[ -n "$c" ] || c=$(objline "$(dirname "$dir")" "$(basename "$dir")/")
	echo "$c"
}

objs=()
for f in $(git -C "$work" diff --name-only --diff-filter=AM base..HEAD -- 'drivers/*.c'); do
	opt=$(option "$f")
	if [ "$opt" = y ] || { [ -n "$opt" ] && grep -qE "^$opt=[ym]" "$bdir/.config"; }; then
		objs+=("${f%.c}.o")
	fi
done
echo "users: arm64 W=1: ${objs[*]}" >&2
"${mk[@]}" W=1 "${objs[@]}"
echo "users: built ${#objs[@]} objects" >&2
