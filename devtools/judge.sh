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
# the tier.  Writes RESULTS_DIR/TIER.gate and keeps each kernel log as
# RESULTS_DIR/TIER[-retry-SUITE].test.log; exits non-zero on failure.
set -uo pipefail

tier=$1 work=$2 bdir=$3 res=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
base=$here/baseline/$tier.txt
known=$here/baseline/$tier.reports
kreport=$here/../tools/testing/selftests/devhold/vm/kreport.py

# The kernel log before any re-run replaces it.  A tier whose log is missing
# fails: nothing of an earlier run stands in for it.
logs=()
if [ -f "$bdir/test.log" ]; then
	cp "$bdir/test.log" "$res/$tier.test.log"
	logs+=("$res/$tier.test.log")
else
	: >"$res/$tier.test.log"
	logs+=("$res/$tier.test.log-missing")
fi
out=$(python3 "$here/compare.py" "$tier" "$res/$tier.cases" "$base")
# Suites with a new failure, a lost case, or a failed flaky case (which must
# pass alone to stay flaky).
suites=$(echo "$out" | sed -n -e "s/^$tier: FAILED \([^.]*\)\..*/\1/p" \
	-e "s/^$tier: suite \([^ ]*\) passed.*/\1/p" \
	-e "s/^$tier: note: \([^.]*\)\.[^ ]* failed; it failed in .*/\1/p" | sort -u |
	grep -vxF -f "$here/kunit/project.suites" || true)
if [ -n "$suites" ]; then
	retries=()
	for s in $suites; do
		echo "judge: $tier: running suite $s again, alone" >&2
		KUNIT_CMD=exec KUNIT_EXTRA="$s" "$here/kunit.sh" "$work" "$tier" "$bdir" \
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
n=$(echo "$reports" | grep -c -E "^$tier: (report|FAILED)")
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
