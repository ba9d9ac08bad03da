#!/usr/bin/env bash
# Judge a tier's KUnit results against the base's baseline.
#   judge.sh TIER WORK_DIR BUILD_DIR RESULTS_DIR CONFIG...
# compare.py judges the cases (devtools/baseline/TIER.txt).  An upstream
# suite that does worse than on the base runs once more, alone, on the same
# kernel (kunit.py exec): that tells an order-dependent failure from a plain
# one and excuses neither.  The kernel log of every run, first and again, is
# judged by tools/testing/selftests/devhold/vm/kreport.py, the one list of
# report patterns of all judges: a report no case declares and the base
# does not print (devtools/baseline/TIER.reports, exact signatures) fails
# the tier.  An upstream case can turn lockdep off for the rest of a run:
# kreport.py --lockdep-whole then fails the tier (the module that did it
# belongs in a boot of its own, ISOLATE_ in the Makefile), so the project
# suites need no second boot of their own.  Writes RESULTS_DIR/TIER.gate and
# keeps each kernel log as RESULTS_DIR/TIER[-retry-SUITE].test.log; exits
# non-zero on failure.  DEVHOLD_BASELINE_DIR overrides devtools/baseline,
# DEVHOLD_KUNIT_SH devtools/kunit.sh (for make gate-selftest).
set -uo pipefail

tier=$1 work=$2 bdir=$3 res=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
bl=${DEVHOLD_BASELINE_DIR:-$here/baseline}
base=$bl/$tier.txt
known=$bl/$tier.reports
kreport=$here/../tools/testing/selftests/devhold/vm/kreport.py
# The runner of re-runs (a stand-in in make gate-selftest).
kunit_sh=${DEVHOLD_KUNIT_SH:-$here/kunit.sh}

# The kernel logs of the tier's run and of its isolated modules' runs (the
# Makefile's ISOLATE_TIER), as devtools/kunit.sh kept them.  A tier whose
# log is missing fails: nothing of an earlier run stands in for it.
logs=()
if [ -f "$res/$tier.test.log" ]; then
	logs+=("$res/$tier.test.log")
else
	logs+=("$res/$tier.test.log-missing")
fi
for f in "$res/$tier"-isolated-*.cases; do
	[ -f "$f" ] || continue
	logs+=("${f%.cases}.test.log")
	[ -f "${f%.cases}.test.log" ] || logs[-1]+=-missing
done
out=$(python3 "$here/compare.py" "$tier" "$res/$tier.cases" "$base")
# Suites with a new failure, a lost case, or a failed flaky case (which must
# pass alone to stay flaky); only suites of this run's cases.
ran=$(sed -n 's/^[A-Z]* \([^.]*\)\..*/\1/p' "$res/$tier.cases" | sort -u)
suites=$(echo "$out" | sed -n -e "s/^$tier: FAILED \([^. ]*\)\..*/\1/p" \
	-e "s/^$tier: suite \([^ ]*\) passed.*/\1/p" \
	-e "s/^$tier: note: \([^. ]*\)\..* failed; it failed in .*/\1/p" | sort -u |
	grep -vxF -f "$here/kunit/project.suites" | grep -xF -f <(echo "$ran") || true)
if [ -n "$suites" ]; then
	retries=()
	for s in $suites; do
		echo "judge: $tier: running suite $s again, alone" >&2
		KUNIT_CMD=exec KUNIT_EXTRA="$s" "$kunit_sh" "$work" "$tier" "$bdir" \
			"$res/$tier-retry-$s" "$@" >/dev/null 2>&1
		retries+=("$res/$tier-retry-$s.cases")
		if [ -f "$bdir/test.log" ]; then
			cp "$bdir/test.log" "$res/$tier-retry-$s.test.log"
			logs+=("$res/$tier-retry-$s.test.log")
		fi
	done
	out=$(python3 "$here/compare.py" "$tier" "$res/$tier.cases" "$base" "${retries[@]}")
fi
known_arg=(--known "$known")
[ -f "$known" ] || known_arg=(--known "$known-missing")
reports=$(python3 "$kreport" --kunit "${known_arg[@]}" --prefix "$tier: " "${logs[@]}")
rc=$?
summary=$(echo "$reports" | tail -n 1)
reports=$(echo "$reports" | sed '$d')
# Lockdep must see every suite of the main run: one that makes it turn
# itself off (any lockdep report does) belongs in a boot of its own.
lost=$(python3 "$kreport" --lockdep-whole --prefix "$tier: " "${logs[0]}") || rc=1
[ -z "$lost" ] || reports=$(printf '%s\n%s' "$reports" "$lost")
n=$(printf '%s\n' "$reports" |
	grep -c -E "^$tier: (report|FAILED|suite|no results)|Error")
[ "$rc" = 0 ] || [ "$n" != 0 ] || n=1
if [ "$n" != 0 ]; then
	re="^($tier: [0-9]+ passed, )([0-9]+)( failed.*)\$"
	out=$(echo "$out" | while IFS= read -r l; do
		[[ $l =~ $re ]] && l=${BASH_REMATCH[1]}$((BASH_REMATCH[2] + n))${BASH_REMATCH[3]}
		echo "$l"
	done)
fi
out=$(printf '%s\n%s\n%s' "$reports" "$summary" "$out" | sed '/^$/d')
echo "$out" | tee "$res/$tier.gate"
grep -qE "^$tier: [0-9]+ passed, 0 failed" "$res/$tier.gate"
