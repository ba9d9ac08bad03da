#!/usr/bin/env bash
# Judge a tier's KUnit results against the base's baseline.
#   judge.sh TIER WORK_DIR BUILD_DIR RESULTS_DIR CONFIG...
# An upstream suite that does worse than on the base is run once more on the
# same kernel (kunit.py exec): a case that then passes is reported as flaky,
# not failed.  The project's own suites (devtools/kunit/project.suites) get
# no second chance.  Kernel reports that no KUnit result carries (sleeping
# in atomic context, KASAN, lockdep) fail the tier too: the base runs have
# none, and neither does a crash or a hang outside a case.  Writes
# RESULTS_DIR/TIER.gate; exits non-zero on failure.
set -uo pipefail

tier=$1 work=$2 bdir=$3 res=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
base=$here/baseline/$tier.txt
out=$(python3 "$here/compare.py" "$tier" "$res/$tier.cases" "$base")
# Before any re-run replaces the kernel log: each report, with its suite.
reports=$(awk '
	/^[ \t]*# Subtest: / { suite = $3 }
	/BUG: sleeping function called from invalid context|BUG: scheduling while atomic|BUG: KASAN|WARNING: possible circular locking|WARNING: inconsistent lock state|WARNING: possible recursive locking|BUG: workqueue leaked|BUG: unable to handle|kernel BUG at|Oops: |general protection fault|Kernel panic|blocked for more than [0-9]+ seconds|rcu: INFO: .* detected stalls/ {
		sub(/^ *\[[ 0-9.]*\] */, ""); sub(/^.*(BUG|WARNING|INFO): /, ""); print "in suite " suite ": " $0 }
' "$bdir/test.log" 2>/dev/null | sort | uniq -c | sed "s/^ *\([0-9]*\) \(.*\)/$tier: FAILED kernel report \2 (x\1)/")
suites=$(echo "$out" | sed -n -e "s/^$tier: FAILED \([^.]*\)\..*/\1/p" \
	-e "s/^$tier: suite \([^ ]*\) passed.*/\1/p" | sort -u |
	grep -vxF -f "$here/kunit/project.suites" || true)
if [ -n "$suites" ]; then
	retries=()
	for s in $suites; do
		echo "judge: $tier: running suite $s again" >&2
		KUNIT_CMD=exec KUNIT_EXTRA="$s" "$here/kunit.sh" "$work" "$tier" "$bdir" \
			"$res/$tier-retry-$s" "$@" >/dev/null 2>&1
		retries+=("$res/$tier-retry-$s.cases")
	done
	out=$(python3 "$here/compare.py" "$tier" "$res/$tier.cases" "$base" "${retries[@]}")
fi
if [ -n "$reports" ]; then
	n=$(echo "$reports" | wc -l)
	re="^($tier: [0-9]+ passed, )([0-9]+)( failed.*)\$"
	out=$(echo "$out" | while IFS= read -r l; do
		[[ $l =~ $re ]] && l=${BASH_REMATCH[1]}$((BASH_REMATCH[2] + n))${BASH_REMATCH[3]}
		echo "$l"
	done)
	out=$(printf '%s\n%s' "$reports" "$out")
fi
echo "$out" | tee "$res/$tier.gate"
grep -q ' 0 failed' "$res/$tier.gate"
