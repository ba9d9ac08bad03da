#!/usr/bin/env bash
# Show that the devhold tests bite: build each deliberately broken variant of
# lib/devhold.c (devtools/mutants/devhold.py) into the UML KUnit kernel, run
# the devhold suite, and check that the cases named for it fail.  The work
# tree's lib/devhold.c is restored afterwards.
#   mutants.sh WORK_DIR BUILD_DIR RESULTS_DIR CONFIG...
set -uo pipefail

work=$1 bdir=$2 res=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
f=$work/lib/devhold.c
cp "$f" "$res/devhold.c.orig"
trap 'cp "$res/devhold.c.orig" "$f"' EXIT
killed=0 survived=0
names=$(python3 -c "import sys; sys.path.insert(0, '$here/mutants'); from devhold import MUTANTS; print(' '.join(m[0] for m in MUTANTS))")
for name in ${ONLY:-$names}; do
	python3 - "$here/mutants" "$name" "$res/devhold.c.orig" "$f" <<'PY' || exit 2
import sys
sys.path.insert(0, sys.argv[1])
from devhold import MUTANTS
m = {x[0]: x for x in MUTANTS}[sys.argv[2]]
s = open(sys.argv[3]).read()
assert s.count(m[2]) == 1, 'mutant %s does not apply' % m[0]
open(sys.argv[4], 'w').write(s.replace(m[2], m[3]))
PY
	expect=$(python3 -c "import sys; sys.path.insert(0, '$here/mutants'); from devhold import MUTANTS; print(' '.join({x[0]: x for x in MUTANTS}['$name'][1]))")
	KUNIT_EXTRA=devhold KUNIT_TIMEOUT=600 \
		"$here/kunit.sh" "$work" uml "$bdir" "$res/mutant-$name" "$@" >/dev/null 2>&1
	miss=
	for c in $expect; do
		! grep -q "^PASS devhold\.$c$" "$res/mutant-$name.cases" || miss="$miss $c"
	done
	if [ -s "$res/mutant-$name.cases" ] && [ -z "$miss" ]; then
		killed=$((killed + 1))
		echo "mutant $name: caught by $expect"
	elif [ ! -s "$res/mutant-$name.cases" ] && grep -qE 'crash|Kernel panic|timed out' "$res/mutant-$name.log"; then
		killed=$((killed + 1))
		echo "mutant $name: caught (the kernel crashed or hung)"
	else
		survived=$((survived + 1))
		echo "mutant $name: SURVIVED (expected failures:$miss)"
	fi
done
echo "mutants: $killed caught, $survived survived"
[ "$survived" -eq 0 ]
