#!/usr/bin/env bash
# The whole gate: the KUnit tiers judged against the base's known failures,
# the VM harness (real module unloads), the no-THP build, the arm64 build of the drivers no tier configures, and
# the static checks, and the self-test of the judges (make gate-selftest).
# Closes with "N passed, N failed"
# counting KUnit cases and checks; exits non-zero when anything failed.
# GATE_TIMEOUT (seconds, default 90 min) bounds the whole: each step gets the
# time left, and a step that runs out fails the gate by name.
set -uo pipefail

tiers=${1:-x86_64 x86_64-lib rust}
O=${O:-build}
RES=$O/results
mkdir -p "$RES"
start=$(date +%s)
. "$(dirname "$0")/gate-lib.sh"
gate_limit "${GATE_TIMEOUT:-5400}"
passed=0 failed=0
declare -a lines=()

step() {	# NAME COMMAND...: run a make step, keep its output in $RES/NAME.out
	local name=$1 t0=$SECONDS rc
	shift
	echo "=== gate: $name" >&2
	gate_bounded "$name" "$RES/$name.out" "$@"
	rc=$?
	tail -n 15 "$RES/$name.out"
	lines+=("$name: exit $rc, $((SECONDS - t0)) s")
	return $rc
}

# The VM harness's Debian root (debootstrap: mostly download and unpack, a
# cached no-op once made) is made while the kernels build.
mkroot_pid=
case " $tiers " in *" x86_64 "*)
	# Bounded: a stalled download must not hang the gate.
	(DEVHOLD_ARCHIVE=$(devtools/fetch-base.sh --archive-uri) &&
		export DEVHOLD_ARCHIVE &&
		timeout "$(gate_cap 1800)" tools/testing/selftests/devhold/vm/mkroot.sh </dev/null
	) >"$RES/mkroot.out" 2>&1 &
	mkroot_pid=$!
	trap '[ -z "$mkroot_pid" ] || kill "$mkroot_pid" 2>/dev/null' EXIT
	;;
esac

for t in $tiers; do
	rm -f "$RES/$t.gate"
	step "$t" make --no-print-directory "$t"
	rc=$?
	if [ -f "$RES/$t.gate" ]; then
		read -r p f < <(gate_tier_counts "$t" "$RES/$t.gate" "$rc")
		passed=$((passed + p))
		failed=$((failed + f))
	else
		echo "gate: $t produced no results" >&2
		failed=$((failed + 1))
	fi
done

# A make step that writes $RES/NAME.counts ("passed failed"); no file is
# one failure.
counted_step() {	# NAME
	local p f rc
	rm -f "$RES/$1.counts"
	step "$1" make --no-print-directory "$1"
	rc=$?
	if [ -f "$RES/$1.counts" ]; then
		read -r p f < <(gate_counts "$RES/$1.counts" "$rc")
		passed=$((passed + p))
		failed=$((failed + f))
	else
		echo "gate: $1 produced no results" >&2
		failed=$((failed + 1))
	fi
}

# The VM harness boots the x86_64 tier's kernel.
case " $tiers " in *" x86_64 "*)
	# vm.sh makes the root itself if this failed, and reports why.
	wait "$mkroot_pid"
	lines+=("mkroot (in the background): exit $?")
	mkroot_pid=
	counted_step vm
	;;
esac

# The Rust DRM driver under unload boots the rust tier's kernel.
case " $tiers " in *" rust "*) counted_step rust-vm ;; esac

if step nothp make --no-print-directory nothp; then
	passed=$((passed + 1))
else
	echo "gate: FAILED the no-THP x86_64 build" >&2
	failed=$((failed + 1))
fi

if step users make --no-print-directory users; then
	passed=$((passed + 1))
else
	echo "gate: FAILED the arm64 build of the drm_gpuvm users" >&2
	failed=$((failed + 1))
fi

counted_step static

# The judges above, fed the broken inputs each exists for (seconds).
counted_step gate-selftest

gate_time_verdict || failed=$((failed + 1))

echo
echo "gate summary ($(( $(date +%s) - start )) s):"
printf '  %s\n' "${lines[@]}"
for t in $tiers; do [ -f "$RES/$t.gate" ] && sed 's/^/  /' "$RES/$t.gate"; done
[ -f "$RES/vm.summary" ] && sed 's/^/  /' "$RES/vm.summary"
case " $tiers " in *" rust "*)
	[ -f "$RES/rust-vm/vm.summary" ] && sed 's/^/  rust-/' "$RES/rust-vm/vm.summary" ;;
esac
[ -f "$RES/static.summary" ] && sed 's/^/  /' "$RES/static.summary"
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
