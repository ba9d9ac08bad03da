#!/usr/bin/env bash
# Show that the tests bite: build each deliberately broken variant of a
# source file into a KUnit kernel, run the suite, and check that the cases
# named for it fail.  SET names the variants, devtools/mutants/SET.py, which
# gives the FILE, SUITE and TIER ("uml", "x86_64" or "rust") and the
# MUTANTS.  TIER "rust-vm" builds the rust tier's kernel and boots the VM
# harness instead: SUITE is the list of boots, and the named cases are the
# boots that must fail.  The work tree's file is restored afterwards.
#   mutants.sh SET WORK_DIR BUILD_DIR RESULTS_DIR CONFIG...
set -uo pipefail

set_=$1 work=$2 bdir=$3 res=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
get() { python3 -c "import sys; sys.path.insert(0, '$here/mutants'); import $set_ as m; print($1)"; }
file=$(get m.FILE) suite=$(get m.SUITE) tier=$(get m.TIER)
f=$work/$file
orig=$res/$set_.orig
cp "$f" "$orig"
trap 'cp "$orig" "$f"' EXIT
killed=0 survived=0
names=$(get "' '.join(x[0] for x in m.MUTANTS)")
for name in ${ONLY:-$names}; do
	python3 - "$here/mutants" "$name" "$orig" "$f" "$set_" <<'PY' || exit 2
import importlib, sys
sys.path.insert(0, sys.argv[1])
MUTANTS = importlib.import_module(sys.argv[5]).MUTANTS
m = {x[0]: x for x in MUTANTS}[sys.argv[2]]
s = open(sys.argv[3]).read()
assert s.count(m[2]) == 1, 'mutant %s does not apply' % m[0]
open(sys.argv[4], 'w').write(s.replace(m[2], m[3]))
PY
	expect=$(get "' '.join({x[0]: x for x in m.MUTANTS}['$name'][1])")
	if [ "$tier" = rust-vm ]; then
		# Judged by VM boots: SUITE lists them, the named "cases" are
		# the boots that must fail.  A kernel that does not build
		# leaves no summary: survived.
		vres=$res/mutant-$name.vm
		rm -rf "$vres"
		KUNIT_CMD=build "$here/kunit.sh" "$work" rust "$bdir" "$res/mutant-$name" "$@" \
			>/dev/null 2>&1 &&
			"$here/vm.sh" "$work" "$bdir" "$vres" $suite >/dev/null 2>&1
		verdict=("$here/mutant-vm-verdict.sh" "$vres/vm.summary" $expect)
	else
		KUNIT_EXTRA=$suite KUNIT_TIMEOUT=600 \
			"$here/kunit.sh" "$work" "$tier" "$bdir" "$res/mutant-$name" "$@" >/dev/null 2>&1
		verdict=("$here/mutant-verdict.sh" "$res/mutant-$name.cases" "$bdir/test.log" "$suite" $expect)
	fi
	if "${verdict[@]}"; then
		killed=$((killed + 1))
		echo "mutant $name: caught by $expect"
	else
		survived=$((survived + 1))
		echo "mutant $name: SURVIVED"
	fi
done
echo "mutants ($set_): $killed caught, $survived survived"
[ "$survived" -eq 0 ]
