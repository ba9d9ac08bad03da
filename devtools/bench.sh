#!/usr/bin/env bash
# The devhold benchmark (lib/test_devhold_scale.c) on a timing kernel: UML
# built with SMP and no checker, booted with two CPUs, and then the same
# kernel with CONFIG_DEBUG_DEVHOLD, to show the debug cost apart.  Prints
# the benchmark's tables and targets of each run.
#   bench.sh WORK_DIR BUILD_DIR RESULTS_DIR
# LOOPS (default 100000) and NRUNS (11) set the benchmark's parameters.
set -uo pipefail

work=$1 bd=$2 res=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$bd" "$res"
rc=0

bench() {	# NAME CONFIG...
	local name=$1 t0=$SECONDS
	shift
	if ! KUNIT_CMD=build "$here/kunit.sh" "$work" uml "$bd/$name" "$res/bench-$name" \
		"$@" >/dev/null; then
		echo "bench: $name: the timing kernel does not build (see $res/bench-$name.log)"
		rc=1
		return
	fi
	echo "bench: $name: built in $((SECONDS - t0)) s"
	t0=$SECONDS
	# kunit_shutdown: should the benchmark not power off, the kernel does
	# after its (empty) KUnit run, before it looks for a root.
	timeout 1800 "$bd/$name/linux" mem=1G console=tty seccomp=on ncpus=2 \
		kunit_shutdown=poweroff \
		test_devhold_scale.scale_type=all test_devhold_scale.shutdown=1 \
		test_devhold_scale.loops="${LOOPS:-100000}" test_devhold_scale.nruns="${NRUNS:-11}" \
		</dev/null >"$res/bench-$name.out" 2>&1
	st=$?
	echo "bench: $name: ran in $((SECONDS - t0)) s (exit status $st)"
	[ $st -ne 124 ] || { echo "bench: $name: timed out"; rc=1; }
	sed -n 's/^.*devhold_scale: //p' "$res/bench-$name.out" | tee "$res/bench-$name.txt"
	grep -q -- '--- end' "$res/bench-$name.txt" || { echo "bench: $name: no end line"; rc=1; }
}

bench nodebug "$here/kunit/bench.config"
# The debug kernel starts as a copy: kbuild then rebuilds what the option
# changes.
rm -rf "$bd/debug"
[ -d "$bd/nodebug" ] && cp -a "$bd/nodebug" "$bd/debug"
bench debug "$here/kunit/bench.config" "$here/kunit/bench-debug.config"
exit $rc
