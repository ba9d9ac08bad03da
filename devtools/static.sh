#!/usr/bin/env bash
# Static gate on the assembled series:
#   - scripts/checkpatch.pl --strict on every patch (types listed in
#     devtools/checkpatch.ignore, each with its reason, are ignored);
#   - scripts/kernel-doc -none -Wall on every .c/.h the series adds or changes;
#   - sparse (C=2) + W=1 on the object of every .c file the series adds or
#     changes, in the first configuration that builds it: the tier build
#     dirs, the arm64 one of devtools/users.sh, a copy of the rust tier's
#     (rust/helpers/), else the x86_64 tier's with the object's option set
#     (the benchmark module): no warning that the base version of the file
#     lacks.  A file no configuration builds fails, by name;
#   - make rustfmtcheck (the kernel's own target; the Rust toolchain of
#     devtools/install-rust.sh);
#   - clippy (CLIPPY=1, warnings as errors) on the Rust code the series
#     touches, in a copy of the rust tier's build; a .rs file of the series
#     that no linted object is made of fails, by name;
#   - Coccinelle (scripts/coccinelle/api/devhold.cocci): no report on the
#     series' .c files, a report on the base for each converted site;
#   - devtools/drm-waits.sh: every DRM driver with device-only holders
#     waits for its devices in its module exit.
# Writes O/results/static.counts ("passed failed") and static.summary.
#
#   static.sh WORK O
#   static.sh --coverage SERIES CHECKED   the coverage decision alone (below)
#   static.sh --object-of BDIR FILE       the object of FILE.c in BDIR
set -uo pipefail

# Those of the .cmd files given whose dependencies name FILE.
in_deps() {	# FILE CMD...
	local re
	[ $# -gt 1 ] || return 1
	re=$(printf '%s' "$1" | sed -e 's/[]\\*^$+?(){}|[]/\\&/g' -e 's/\./\\./g')
	shift
	grep -lE "[/[:space:]]$re([[:space:]]|\$)" "$@" 2>/dev/null
}
# The object of the series' FILE.c in build dir BDIR: FILE.o, or for a file
# another one includes the object whose dependencies name it
# (e.g. a rust/helpers/ file is part of rust/helpers/helpers.o).  Nothing when
# BDIR's configuration builds neither.
object_of() {	# BDIR FILE
	local c
	if [ -f "$1/${2%.c}.o" ]; then
		echo "${2%.c}.o"
		return
	fi
	c=$(in_deps "$2" "$1/$(dirname "$2")"/.*.o.cmd | head -n1)
	[ -z "$c" ] || { c=$(basename "$c" .cmd); echo "$(dirname "$2")/${c#.}"; }
}
# Was every .c and .rs file the series adds or changes checked: a .c file by
# sparse/W=1 in some configuration, a .rs file by clippy?  SERIES lists the
# files, CHECKED has "sparse FILE CONFIGURATION OBJECT" and "clippy FILE
# OBJECT" lines.  Prints a line for each file left out; fails when one was.
coverage() {	# SERIES CHECKED
	local f k n=0
	while read -r f; do
		case $f in
		tools/testing/selftests/*.c) k=usercc ;;
		*.c) k=sparse ;;
		*.rs) k=clippy ;;
		*) continue ;;
		esac
		awk -v k="$k" -v f="$f" '$1 == k && $2 == f { c = 1 } END { exit !c }' "$2" &&
			continue
		case $k in
		sparse) echo "sparse/W=1: $f not checked: no configuration static uses builds it" ;;
		clippy) echo "clippy: $f not checked: no object clippy linted is made of it" ;;
		usercc) echo "usercc: $f not checked: the host compiler did not build it" ;;
		esac
		n=$((n + 1))
	done <"$1"
	[ "$n" = 0 ]
}
case ${1:-} in
--coverage)
	coverage "$2" "$3" | sed 's/^/static: FAILED /'
	exit "${PIPESTATUS[0]}" ;;
--object-of)
	object_of "$2" "$3"
	exit ;;
esac

work=$1 O=$2
wabs=$(cd "$work" && pwd)
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

# sparse + W=1 on the object of every .c file the series adds or changes,
# in the first configuration that builds it; each file checked is listed in
# $tmp/checked, and at the end one that was not fails (coverage).
sparse=$cache/sparse/bin/sparse
[ -x "$sparse" ] || sparse=sparse
cfiles=$(git diff --name-only --diff-filter=AM base..HEAD -- '*.c')
added=$(git diff --name-only --diff-filter=A base..HEAD -- '*.c')
git diff --name-only --diff-filter=AM base..HEAD -- '*.c' '*.rs' >"$tmp/series.files"
# Warnings in the headers the series changes are the series' own, even when
# the base version of a source file reaches them too.
git diff --name-only base..HEAD -- '*.h' | sed 's/$/:/' >"$tmp/headers"
# Every file the series adds or changes, as a warning names it.
git diff --name-only base..HEAD | sed 's|^|/|; s|$|:|' >"$tmp/series-paths"
# Warnings without line numbers, one line each: the comparison with the
# base counts repeats, so a second instance of the same message is new.
warnings() { grep -E 'warning:|error:' | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort; }
: >"$tmp/checked"
is_checked() { awk -v f="$1" '$1 == "sparse" && $2 == f { c = 1 } END { exit !c }' "$tmp/checked"; }

# CONF BDIR OBJ FILE...: sparse + W=1 on OBJ, made of the series' FILEs, with
# the make command "mk".  With cmp=base a warning counts when the base
# version of OBJ's source lacks it; with cmp=series when it is in a file the
# series adds or changes.  An object already checked in CONF only records
# the files.
check_obj() {
	local conf=$1 bdir=$2 o=$3 src=${3%.o}.c rc newc cmd f
	shift 3
	if awk -v c="$conf" -v o="$o" '$1 == "sparse" && $3 == c && $4 == o { d = 1 } END { exit !d }' \
		"$tmp/checked"; then
		for f; do echo "sparse $f $conf $o" >>"$tmp/checked"; done
		return
	fi
	"${mk[@]}" "$o" >"$tmp/new" 2>&1
	rc=$?
	warnings <"$tmp/new" >"$tmp/new.w"
	: >"$tmp/old.w"
	if [ "$cmp" = series ]; then
		grep -F -f "$tmp/series-paths" "$tmp/new.w" | sort -u >"$tmp/new.s"
		mv "$tmp/new.s" "$tmp/new.w"
	# With no warning at all there is nothing to compare with the base.
	elif [ -s "$tmp/new.w" ] && ! echo "$added" | grep -qx "$src"; then
		# The base version of the same file, same build dir; then
		# the series' object and its .cmd are put back as they were
		# (with the source's old time), which saves a third compile.
		cmd=$bdir/$(dirname "$o")/.$(basename "$o").cmd
		if git show "base:$src" >"$tmp/file.c" && cp -p "$src" "$tmp/keep.c" &&
			cp -p "$bdir/$o" "$tmp/keep.o" && cp -p "$cmd" "$tmp/keep.cmd"; then
			echo "$src $bdir/$o $cmd" >"$tmp/swapped"
			cp "$tmp/file.c" "$src"
			"${mk[@]}" "$o" 2>&1 | warnings | grep -vF -f "$tmp/headers" >"$tmp/old.w"
			restore
		fi
	fi
	newc=$(comm -23 "$tmp/new.w" "$tmp/old.w")
	if [ $rc -ne 0 ] || [ -n "$newc" ]; then
		bad "sparse/W=1 $conf $*"
		echo "$newc" | head -n 20
		[ $rc -eq 0 ] || tail -n 5 "$tmp/new"
	else
		ok
	fi
	for f; do echo "sparse $f $conf $o" >>"$tmp/checked"; done
}

# x86_64 builds every changed object but the arm64-only drm_gpuvm users,
# which the arm64 tree builds; UML would repeat x86_64's findings.
# x86_64-lib has the library with CONFIG_DEBUG_DEVHOLD=n: its other branch.
cmp=base
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
		# x86_64-lib checks again only what the library's debug option
		# changes (its build is a copy of x86_64's: lib/devhold_debug.o
		# is a stale leftover there, not part of this configuration);
		# the others what no configuration before them checked.
		case $tier:$f in
		x86_64-lib:lib/devhold.c | x86_64-lib:lib/tests/devhold_kunit.c) ;;
		x86_64-lib:*) continue ;;
		*) ! is_checked "$f" || continue ;;
		esac
		o=$(object_of "$bdir" "$f")
		[ -n "$o" ] || continue	# not built in this configuration
		check_obj "$tier" "$bdir" "$o" "$f"
	done
done

# The rust tier's configuration alone builds rust/helpers/helpers.o, of
# which the series' rust/helpers/*.c are part.  Checked in the copy of its
# build that clippy uses below: W=1 changes the C flags bindgen is given, so
# the Rust crates of rust/ are built again there (about a minute), and the
# tier's own build stays as it was.  No comparison with a build of the
# base's helpers.c, whose bindings lack the series' helpers (the crates
# would not build): a warning counts when it is in a file the series adds
# or changes.  So that the base's own helpers cannot stop the build with
# W=1's warnings, CONFIG_WERROR (which COMPILE_TEST sets there) is off on
# make's command line.
vars=$cache/rust/make.vars
rm -rf "$O/clippy"
if [ -f "$vars" ] && [ -f "$O/rust/.config" ]; then
	cp -a "$O/rust" "$O/clippy"
	bdir=$O/clippy
	# shellcheck disable=SC2207
	mk=(make -s ARCH=x86_64 O="$bdir" -j"${JOBS:-2}" C=2 W=1 CHECK="$sparse" CONFIG_WERROR=
		$(cat "$vars"))
	[ "$devhold_cc" = gcc ] || mk+=(CC="$devhold_cc")
	cmp=series
	for f in $cfiles; do
		! is_checked "$f" || continue
		o=$(object_of "$bdir" "$f")
		[ -z "$o" ] || check_obj rust "$bdir" "$o" "$f"
	done
fi

# What no configuration builds (the benchmark module: make bench builds it
# in a UML kernel of its own), in the x86_64 tier's configuration with the
# object's option (its kbuild file's "obj-$(CONFIG_X) += FILE.o") set to m
# on make's command line and in the C flags, as autoconf.h would have it:
# the build's .config stays as it is.  The object is removed afterwards, so
# that nothing takes it for part of the tier's configuration.
obj_option() {	# FILE.c
	local dir name kb
	dir=$(dirname "$1") name=$(basename "${1%.c}")
	kb=$dir/Kbuild
	[ -f "$kb" ] || kb=$dir/Makefile
	sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba}' "$kb" 2>/dev/null |
		sed -nE "s/^obj-\\$\((CONFIG_[A-Z0-9_]+)\)[[:space:]]*[+:]?=(.*[[:space:]])?$name\\.o([[:space:]].*)?$/\1/p" |
		head -n1
}
bdir=$O/x86_64
cmp=base
for f in $cfiles; do
	! is_checked "$f" || continue
	[ -f "$bdir/.config" ] || break
	opt=$(obj_option "$f")
	[ -n "$opt" ] || continue
	mk=(make -s ARCH=x86_64 O="$bdir" -j"${JOBS:-2}" C=2 W=1 CHECK="$sparse"
		"$opt=m" KCFLAGS="-D${opt}_MODULE=1")
	[ "$devhold_cc" = gcc ] || mk+=(CC="ccache gcc")
	o=${f%.c}.o
	check_obj "x86_64+$opt=m" "$bdir" "$o" "$f"
	rm -f "$bdir/$o" "$bdir/$(dirname "$o")/.$(basename "$o").cmd" "$bdir/${o%.o}.mod"
done
echo "static: sparse C=2 + W=1 ($("$sparse" --version 2>/dev/null)) on the objects of" \
	"$(awk '$1 == "sparse"' "$tmp/checked" | wc -l) files:" \
	"$(awk '$1 == "sparse" {print $3}' "$tmp/checked" | sort | uniq -c | awk '{printf "%s%s %s", s, $2, $1; s = ", "}')" \
	>>"$RES/static.summary"

# The documentation: core-api builds with no warning about devhold's pages
# or sources (the base has warnings of its own elsewhere in core-api).
if command -v sphinx-build >/dev/null; then
	make -s O="$O/docs" SPHINXDIRS=core-api htmldocs >"$RES/docs.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ] || ! "$here/docs-judge.sh" "$RES/docs.log"; then
		bad "htmldocs core-api (exit $rc)"
	else
		ok
	fi
	echo "static: htmldocs SPHINXDIRS=core-api" >>"$RES/static.summary"
else
	bad "htmldocs: sphinx-build not installed"
fi

# Rust formatting: the kernel's own rustfmtcheck (every .rs file of the
# tree, the base's too: they are clean with this rustfmt).
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
# (kernel::drm, kernel::driver), Tyr, nova-core, Nova and the
# Rust test driver, every warning an error.  In the copy of the rust tier's
# build made above, whose objects stay as that tier built them; drivers/gpu/
# because Nova's objects are built from drivers/gpu/Makefile (its C objects
# are up to date in the copy: only the Rust ones are built again, by
# clippy-driver).
if [ -f "$vars" ] && grep -q 'CLIPPY_DRIVER=' "$vars" && [ -d "$O/clippy" ]; then
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
	# shellcheck disable=SC2046
	lint=$(grep -l 'clippy-driver' $(find "$O/clippy/rust" "$O/clippy/drivers/gpu" -name '.*.o.cmd') 2>/dev/null)
	n=$(echo "$lint" | grep -c .)
	# Each .rs file of the series and a linted object made of it.
	while read -r f; do
		case $f in *.rs) ;; *) continue ;; esac
		# shellcheck disable=SC2086
		c=$(in_deps "$f" $lint | head -n1)
		[ -z "$c" ] || echo "clippy $f ${c#"$O/clippy/"}" >>"$tmp/checked"
	done <"$tmp/series.files"
	clippy=$(sed -n 's/.*CLIPPY_DRIVER=\([^ ]*\).*/\1/p' "$vars")
	echo "static: CLIPPY=1 on $n Rust objects ($("$clippy" --version 2>&1))" >>"$RES/static.summary"
else
	bad "clippy: no clippy-driver in $vars (devtools/install-rust.sh) or no rust tier build in $O/rust"
fi
rm -rf "$O/clippy"

# Every DRM driver whose devices outlive its unbinding through a helper
# that does not pin its module waits for them in its exit.
if "$here/drm-waits.sh" . "$here/baseline/drm-waits-known.txt" >"$RES/drm-waits.out"; then
	ok
else
	bad "drm-waits"
	grep -E "FAILED|drop it|but keeps" "$RES/drm-waits.out"
fi
echo "static: $(tail -n 1 "$RES/drm-waits.out") (devtools/drm-waits.sh)" >>"$RES/static.summary"

# The series' Coccinelle rule (scripts/coccinelle/api/devhold.cocci): no
# report on the .c files the series adds or changes, and on the base a
# report for every site the series converts (devtools/cocci-converted.txt:
# "FILE FUNCTION", each must be named by a report on the base's FILE).
if [ -f scripts/coccinelle/api/devhold.cocci ]; then
	# shellcheck disable=SC2086
	RULE=scripts/coccinelle/api/devhold.cocci "$here/cocci.sh" files . $cfiles \
		>"$RES/cocci-series.out" 2>&1
	# Reports other than the exempt ones (devtools/cocci-exempt.txt).
	"$here/cocci.sh" filter "$here/cocci-exempt.txt" <"$RES/cocci-series.out" >"$tmp/cocci-new"
	if [ ! -s "$tmp/cocci-new" ]; then
		ok
	else
		bad "cocci: the rule reports code of the series"
		head -n 20 "$tmp/cocci-new"
	fi
	mkdir -p "$tmp/cocci-base"
	conv=0
	while read -r f fn; do
		case $f in ''|'#'*) continue ;; esac
		conv=$((conv + 1))
		mkdir -p "$tmp/cocci-base/$(dirname "$f")"
		git show "base:$f" >"$tmp/cocci-base/$f" 2>/dev/null || : >"$tmp/cocci-base/$f"
		# (Its status is 1 when it reports: read the output, not the status.)
		out=$(RULE=scripts/coccinelle/api/devhold.cocci "$here/cocci.sh" files "$tmp/cocci-base" "$f" </dev/null)
		if grep -qE "^$f:[0-9]+:[0-9-]+: (WARNING|INFO): $fn " <<<"$out"; then
			ok
		else
			bad "cocci: no report of $fn in the base's $f, which the series converts"
		fi
	done <"$here/cocci-converted.txt"
	echo "static: coccinelle devhold.cocci ($(spatch --version | head -n 1 | cut -d' ' -f3)):" \
	     "no report on $(wc -w <<<"$cfiles") .c files of the series, $conv converted sites reported on the base" \
		>>"$RES/static.summary"
else
	bad "cocci: scripts/coccinelle/api/devhold.cocci missing from the series"
fi

# The selftests' userspace programs: the host compiler, warnings as errors,
# against the UAPI headers of the x86_64 tier's kernel (as vm/run.sh
# builds them for the VM).
uprogs=$(grep '^tools/testing/selftests/.*\.c$' "$tmp/series.files")
if [ -n "$uprogs" ]; then
	if (cd "$wabs" && make -s O="$O/x86_64" headers) >"$tmp/headers.log" 2>&1; then
		ubad=0
		for f in $uprogs; do
			if "${HOSTCC:-gcc}" -Wall -Wextra -Werror -fsyntax-only \
				-I"$O/x86_64/usr/include" "$wabs/$f" 2>"$tmp/usercc.log"; then
				echo "usercc $f" >>"$tmp/checked"
			else
				bad "usercc: $f: $(head -n 3 "$tmp/usercc.log" | tr '\n' ' ')"
				ubad=1
			fi
		done
		[ "$ubad" = 1 ] || ok
		echo "static: gcc -Wall -Wextra -Werror on $(wc -w <<<"$uprogs") selftest programs" \
			>>"$RES/static.summary"
	else
		bad "usercc: make headers failed in $O/x86_64: $(tail -n 2 "$tmp/headers.log" | tr '\n' ' ')"
	fi
fi

# Every .c and .rs file of the series was checked, in some configuration.
coverage "$tmp/series.files" "$tmp/checked" >"$tmp/uncovered"
while read -r line; do
	bad "$line"
done <"$tmp/uncovered"
if [ ! -s "$tmp/uncovered" ]; then
	ok
	echo "static: every .c and .rs file of the series checked ($(grep -c . "$tmp/series.files") files)" \
		>>"$RES/static.summary"
fi

echo "$passed $failed" >"$RES/static.counts"
echo "static: $passed passed, $failed failed" | tee -a "$RES/static.summary"
[ "$failed" -eq 0 ]
