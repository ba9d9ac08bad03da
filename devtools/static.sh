#!/usr/bin/env bash
# Static gate on the assembled series:
#   - scripts/checkpatch.pl --strict on every patch (types listed in
#     devtools/checkpatch.ignore, each with its reason, are ignored);
#   - scripts/kernel-doc -none -Wall on every .c/.h the series adds or changes;
#   - sparse (C=2) + W=1 on every object the series adds or changes, in the
#     tier build dirs and the arm64 one of devtools/users.sh: no warning
#     that the base version of the file lacks;
#   - make rustfmtcheck (the kernel's own target; the Rust toolchain of
#     devtools/install-rust.sh);
#   - clippy (CLIPPY=1, warnings as errors) on the Rust code the series
#     touches, in a copy of the rust tier's build;
#   - devtools/drm-waits.sh: every DRM driver with device-only holders
#     waits for its devices in its module exit.
# Writes O/results/static.counts ("passed failed") and static.summary.
set -uo pipefail

work=$1 O=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ccache.sh"
cache=${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}
RES=$O/results
mkdir -p "$RES"
RES=$(cd "$RES" && pwd)
O=$(cd "$O" && pwd)
tmp=$(mktemp -d)
# A series file swapped for its base version is put back even when the
# script is killed in between.
restore() {
	if [ -f "$tmp/swapped" ]; then
		read -r f o cmd <"$tmp/swapped"
		cp -p "$tmp/keep.c" "$f"
		cp -p "$tmp/keep.o" "$o"
		cp -p "$tmp/keep.cmd" "$cmd"
		rm -f "$tmp/swapped"
	fi
}
trap 'restore; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
passed=0 failed=0
: >"$RES/static.summary"
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "static: FAILED $*" | tee -a "$RES/static.summary"; }

cd "$work" || exit 2

# checkpatch
ignore=$(grep -v '^#' "$here/checkpatch.ignore" 2>/dev/null | awk 'NF {print $1}' | paste -sd, -)
git format-patch -q -o "$tmp/series" base..HEAD
for p in "$tmp"/series/*.patch; do
	[ -e "$p" ] || continue
	out=$(perl scripts/checkpatch.pl --strict --no-tree --terse --show-types \
		${ignore:+--ignore "$ignore"} "$p" 2>&1)
	if echo "$out" | grep -qE '(ERROR|WARNING|CHECK):'; then
		bad "checkpatch $(basename "$p")"
		echo "$out" | grep -E '(ERROR|WARNING|CHECK):' | head -n 20
	else
		ok
	fi
done
echo "static: checkpatch --strict on $(ls "$tmp"/series | wc -l) patches" >>"$RES/static.summary"

# kernel-doc: no warning in a file the series adds, none new in one it changes
kdoc() { scripts/kernel-doc -none -Wall "$1" 2>&1 | sed -E 's/^([A-Za-z]+: )?[^ ]*:[0-9]+ /\1/' | sort -u; }
files=$(git diff --name-only --diff-filter=AM base..HEAD -- '*.c' '*.h')
for f in $files; do
	kdoc "$f" >"$tmp/kd.new"
	: >"$tmp/kd.old"
	if git cat-file -e "base:$f" 2>/dev/null; then
		mkdir -p "$tmp/base/$(dirname "$f")"
		git show "base:$f" >"$tmp/base/$f"
		kdoc "$tmp/base/$f" >"$tmp/kd.old"
	fi
	out=$(comm -23 "$tmp/kd.new" "$tmp/kd.old")
	if [ -n "$out" ]; then
		bad "kernel-doc $f"
		echo "$out" | head -n 20
	else
		ok
	fi
done
echo "static: kernel-doc -Wall on $(echo $files | wc -w) files" >>"$RES/static.summary"

# sparse + W=1, per tier build dir that has a configured kernel
sparse=$cache/sparse/bin/sparse
[ -x "$sparse" ] || sparse=sparse
cfiles=$(git diff --name-only --diff-filter=AM base..HEAD -- '*.c')
added=$(git diff --name-only --diff-filter=A base..HEAD -- '*.c')
# Warnings in the headers the series changes are the series' own, even when
# the base version of a source file reaches them too.
git diff --name-only base..HEAD -- '*.h' | sed 's/$/:/' >"$tmp/headers"
# Warnings without line numbers, one line each: the comparison with the
# base counts repeats, so a second instance of the same message is new.
warnings() { grep -E 'warning:|error:' | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort; }
# x86_64 builds every changed object but the arm64-only drm_gpuvm users,
# which the arm64 tree builds; UML would repeat x86_64's findings.
# x86_64-lib has the library with CONFIG_DEBUG_DEVHOLD=n: its other branch.
for tier in x86_64 x86_64-lib arm64; do
	bdir=$O/$tier
	[ -f "$bdir/.config" ] || continue
	case $tier in uml) arch=um ;; x86_64*) arch=x86_64 ;; *) arch=$tier ;; esac
	mk=(make -s ARCH=$arch O="$bdir" -j"${JOBS:-2}" C=2 W=1 CHECK="$sparse")
	cc=gcc
	if [ "$tier" = arm64 ]; then
		mk+=(CROSS_COMPILE=aarch64-linux-gnu-)
		cc=aarch64-linux-gnu-gcc
	fi
	[ "$devhold_cc" = gcc ] || mk+=(CC="ccache $cc")
	for f in $cfiles; do
		o=${f%.c}.o
		[ -f "$bdir/$o" ] || continue	# not built in this configuration
		# arm64 checks only what x86_64 does not build.
		[ "$tier" = arm64 ] && [ -f "$O/x86_64/$o" ] && continue
		# x86_64-lib only what the library's debug option changes (its
		# build is a copy of x86_64's: lib/devhold_debug.o is a stale
		# leftover there, not part of this configuration).
		case $tier:$f in
		x86_64-lib:lib/devhold.c | x86_64-lib:lib/tests/devhold_kunit.c) ;;
		x86_64-lib:*) continue ;;
		esac
		"${mk[@]}" "$o" >"$tmp/new" 2>&1
		rc=$?
		warnings <"$tmp/new" >"$tmp/new.w"
		: >"$tmp/old.w"
		# With no warning at all there is nothing to compare with the base.
		if [ -s "$tmp/new.w" ] && ! echo "$added" | grep -qx "$f"; then
			# The base version of the same file, same build dir; then
			# the series' object and its .cmd are put back as they were
			# (with the source's old time), which saves a third compile.
			cmd=$bdir/$(dirname "$o")/.$(basename "$o").cmd
			if git show "base:$f" >"$tmp/file.c" && cp -p "$f" "$tmp/keep.c" &&
				cp -p "$bdir/$o" "$tmp/keep.o" && cp -p "$cmd" "$tmp/keep.cmd"; then
				echo "$f $bdir/$o $cmd" >"$tmp/swapped"
				cp "$tmp/file.c" "$f"
				"${mk[@]}" "$o" 2>&1 | warnings | grep -vF -f "$tmp/headers" >"$tmp/old.w"
				restore
			fi
		fi
		newc=$(comm -23 "$tmp/new.w" "$tmp/old.w")
		if [ $rc -ne 0 ] || [ -n "$newc" ]; then
			bad "sparse/W=1 $tier $f"
			echo "$newc" | head -n 20
		else
			ok
		fi
	done
done
echo "static: sparse C=2 + W=1 ($("$sparse" --version 2>/dev/null)) on the changed objects" >>"$RES/static.summary"

# The documentation: core-api builds with no warning about devhold's pages
# or sources (the base has warnings of its own elsewhere in core-api).
if command -v sphinx-build >/dev/null; then
	make -s O="$O/docs" SPHINXDIRS=core-api htmldocs >"$RES/docs.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ] || grep -i devhold "$RES/docs.log" | grep -qiE 'warning|error'; then
		bad "htmldocs core-api (exit $rc)"
		grep -i devhold "$RES/docs.log" | head -n 20
	else
		ok
	fi
	echo "static: htmldocs SPHINXDIRS=core-api" >>"$RES/static.summary"
else
	bad "htmldocs: sphinx-build not installed"
fi

# Rust formatting: the kernel's own rustfmtcheck (every .rs file of the
# tree, the base's too: they are clean with this rustfmt).
vars=$cache/rust/make.vars
if [ -f "$vars" ]; then
	# shellcheck disable=SC2046
	if make -s $(cat "$vars") rustfmtcheck >"$RES/rustfmt.log" 2>&1; then
		ok
	else
		bad "rustfmtcheck"
		head -n 20 "$RES/rustfmt.log"
	fi
	rustfmt=$(sed -n 's/.*RUSTFMT=\([^ ]*\).*/\1/p' "$vars")
	echo "static: make rustfmtcheck ($("$rustfmt" --version 2>&1))" >>"$RES/static.summary"
else
	bad "rustfmtcheck: no Rust toolchain ($vars): run devtools/install-rust.sh"
fi

# Clippy on the Rust code the series touches: the kernel crate
# (kernel::devhold, kernel::drm, kernel::driver), Tyr, nova-core, Nova and the
# Rust test driver, every warning an error.  In a copy of the rust tier's
# build, whose objects stay as that tier built them; drivers/gpu/ because
# Nova's objects are built from drivers/gpu/Makefile (its C objects are up to
# date in the copy: only the Rust ones are built again, by clippy-driver).
if [ -f "$vars" ] && grep -q 'CLIPPY_DRIVER=' "$vars" && [ -f "$O/rust/.config" ]; then
	rm -rf "$O/clippy"
	cp -a "$O/rust" "$O/clippy"
	linted() { grep -l 'clippy-driver' "$O/clippy/$1" 2>/dev/null; }
	# shellcheck disable=SC2046
	if make -s ARCH=x86_64 O="$O/clippy" -j"${JOBS:-$(nproc)}" CC="$devhold_cc" $(cat "$vars") \
		CLIPPY=1 KRUSTFLAGS=-Dwarnings rust/ drivers/gpu/ >"$RES/clippy.log" 2>&1 &&
		linted rust/.kernel.o.cmd && linted drivers/gpu/drm/tyr/.tyr.o.cmd &&
		linted drivers/gpu/drm/nova/.nova.o.cmd &&
		linted drivers/gpu/drm/tests/.drm_test_unload_rs.o.cmd; then
		ok
	else
		bad "clippy (or an object it did not lint)"
		head -n 30 "$RES/clippy.log"
	fi
	n=$(grep -l 'clippy-driver' $(find "$O/clippy/rust" "$O/clippy/drivers/gpu" -name '.*.o.cmd') 2>/dev/null | wc -l)
	rm -rf "$O/clippy"
	clippy=$(sed -n 's/.*CLIPPY_DRIVER=\([^ ]*\).*/\1/p' "$vars")
	echo "static: CLIPPY=1 on $n Rust objects ($("$clippy" --version 2>&1))" >>"$RES/static.summary"
else
	bad "clippy: no clippy-driver in $vars (devtools/install-rust.sh) or no rust tier build in $O/rust"
fi

# Every DRM driver whose devices outlive its unbinding through a helper
# that does not pin its module waits for them in its exit.
if "$here/drm-waits.sh" . "$here/baseline/drm-waits-known.txt" >"$RES/drm-waits.out"; then
	ok
else
	bad "drm-waits"
	grep -E "FAILED|drop it|but keeps" "$RES/drm-waits.out"
fi
echo "static: $(tail -n 1 "$RES/drm-waits.out") (devtools/drm-waits.sh)" >>"$RES/static.summary"

echo "$passed $failed" >"$RES/static.counts"
echo "static: $passed passed, $failed failed" | tee -a "$RES/static.summary"
[ "$failed" -eq 0 ]
