#!/usr/bin/env bash
# Was a mutant caught?  mutant-verdict.sh CASES LOG SUITE CASE...
# Caught (exit 0) only when every named case itself failed: its status in
# CASES (the "STATUS suite.case" lines of devtools/results.py) is FAIL, or
# the kernel log LOG has a report in that very case that the case does not
# declare (the tiers' judge, vm/kreport.py, fails a case for it too), or the
# kernel died with a report not attributed to a case whose call trace names
# the case's function (it died before the case printed a line).  A case
# that passed cleanly, was skipped, is missing, or never ran because the
# kernel died in an earlier case does not count.  Names the cases that did
# not fail.
set -uo pipefail

cases=$1 log=$2 suite=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
judged=$(python3 "$here/../tools/testing/selftests/devhold/vm/kreport.py" --kunit "$log" 2>/dev/null)
reported=$(sed -n 's/^report: \([^:]*\): .*/\1/p' <<<"$judged" | sort -u)
# A kernel that died before the case printed anything is attributed to the
# suite; its call trace still names the case whose code crashed.
died=$(grep -c "^report: $suite: " <<<"$judged")
miss=
for c; do
	grep -qxF "FAIL $suite.$c" "$cases" 2>/dev/null ||
		grep -qxF "$suite.$c" <<<"$reported" ||
		{ [ "$died" -gt 0 ] && grep -qE "[^A-Za-z0-9_]$c\+0x" "$log"; } ||
		miss="$miss $c"
done
[ $# -gt 0 ] || miss=" (no case named)"
[ -z "$miss" ] || { echo "mutant-verdict: named cases that did not fail:$miss"; exit 1; }
