#!/usr/bin/env bash
# Build and run one KUnit tier.
#
#   kunit.sh TREE TIER BUILD_DIR OUT_PREFIX CONFIG...
#
# TIER is "uml", "uml-lib" (UML, a smaller configuration), "x86_64",
# "x86_64-lib" or "rust" (QEMU; "rust" with the Rust toolchain of
# devtools/install-rust.sh).  Writes OUT_PREFIX.log (kunit.py output),
# OUT_PREFIX.json (results) and OUT_PREFIX.cases (one "STATUS suite.case"
# line per case), and exits with kunit.py's status.  KUNIT_CMD=build only
# builds; KUNIT_CMD=exec runs the kernel already built (KUNIT_EXTRA=GLOB
# picks the suites).  KUNIT_FILTER=ATTRS passes kunit.py's --filter (e.g.
# "module!=drm_bridge_test").  A run's kernel log is kept as OUT_PREFIX.test.log.
set -uo pipefail

tree=$1 tier=$2 bdir=$3 out=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
jobs=${JOBS:-$(nproc)}
mkdir -p "$bdir" "$(dirname "$out")"
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
bdir=$(abs "$bdir")
out=$(abs "$out")

cmd=${KUNIT_CMD:-run}
args=("$cmd" --build_dir="$bdir")
case $cmd in build|run) args+=(--jobs="$jobs") ;; esac
case $cmd in run|exec) args+=(--timeout="${KUNIT_TIMEOUT:-1800}" --json="$out.json") ;; esac
# Nothing of an earlier run may stand in for this one's results, also when
# this run stops before kunit.py.
rm -f "$out".{log,json,cases,ktap,parse.log}
case $cmd in run|exec) rm -f "$bdir/test.log" "$out.test.log" ;; esac
[ -z "${KUNIT_FILTER:-}" ] || args+=(--filter="$KUNIT_FILTER")
for c; do args+=(--kunitconfig="$(abs "$c")"); done
. "$here/ccache.sh"
[ "$devhold_cc" = gcc ] || args+=(--make_options="CC=$devhold_cc")
case $tier in
uml | uml-lib)
	# Two CPUs so concurrency tests really run in parallel.
	case $cmd in run|exec) args+=(--kernel_args=seccomp=on --kernel_args=ncpus=2) ;; esac
	;;
x86_64 | x86_64-lib | rust)
	export PATH=$here/bin:$PATH
	args+=(--arch=x86_64 --qemu_config="$here/qemu_x86_64_tcg.py")
	;;&
rust)
	# The toolchain by full path (other Rust installs may come first in
	# PATH), and every Rust warning an error.
	cache=${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}
	[ -f "$cache/rust/make.vars" ] || {
		echo "kunit.sh: no Rust toolchain in $cache/rust: run devtools/install-rust.sh" |
			tee "$out.log" >&2
		exit 2
	}
	for v in $(cat "$cache/rust/make.vars") KRUSTFLAGS=-Dwarnings; do
		args+=(--make_options="$v")
	done
	;;
x86_64 | x86_64-lib) ;;
*)
	echo "kunit.sh: unknown tier $tier" >&2
	exit 2
	;;
esac

cd "$tree" || exit 2
python3 tools/testing/kunit/kunit.py "${args[@]}" ${KUNIT_EXTRA:-} >"$out.log" 2>&1
rc=$?
tail -n 5 "$out.log"
if [ "$cmd" = run ] || [ "$cmd" = exec ]; then
	# Parse again from the raw log with console replays undone (with two
	# CPUs, a WARN can make printk repeat a cut-short line).
	if [ -f "$bdir/test.log" ] && grep -q 'replaying previous printk' "$bdir/test.log"; then
		python3 "$here/clean-ktap.py" "$bdir/test.log" >"$out.ktap"
		python3 tools/testing/kunit/kunit.py parse --json="$out.json" "$out.ktap" \
			>"$out.parse.log" 2>&1
		echo "kunit.sh: re-parsed without console replays: $(grep -E 'Testing complete' "$out.parse.log")"
	fi
	python3 "$here/results.py" "$out.json" "$here/kunit/project.suites" >"$out.cases" 2>/dev/null || : >"$out.cases"
	[ ! -f "$bdir/test.log" ] || cp "$bdir/test.log" "$out.test.log"
fi
exit $rc
