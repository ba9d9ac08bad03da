#!/usr/bin/env bash
# Build every step of the series (UML, incremental) and say which breaks.
#   bisect-check.sh WORK_DIR BUILD_DIR CONFIG...
# Uses a second checkout of the work repository (BUILD_DIR/tree) so the work
# tree is left alone.  The configuration is the UML tier's, merged once;
# each step gets it afresh through olddefconfig, so options that a step does
# not know yet are simply off there.
set -uo pipefail

work=$(cd "$1" && pwd)
bd=$2
shift 2
mkdir -p "$bd"
bd=$(cd "$bd" && pwd)
# Laid out like the work tree and its UML build dir (work, uml), so that
# ccache's relative paths hit what the main builds cached.
tree=$bd/work obj=$bd/uml
mk=(make -s ARCH=um O="$obj" -j"${JOBS:-$(nproc)}")
. "$(dirname "$0")/ccache.sh"
[ "$devhold_cc" = gcc ] || mk+=(CC="$devhold_cc")

if [ ! -d "$tree/.git" ] && [ ! -f "$tree/.git" ]; then
	git -C "$work" worktree add -q -f --detach "$tree" base
fi
cat "$@" | grep -E '^CONFIG_' >"$bd/kunitconfig"

steps=$(git -C "$work" rev-list --reverse base..HEAD)
n=0 rc=0
for c in $steps; do
	n=$((n + 1))
	git -C "$tree" checkout -q --detach "$c" || exit 2
	mkdir -p "$obj"
	# The KUnit UML base configuration plus the tier's options.
	(cd "$tree" && cat tools/testing/kunit/configs/arch_uml.config "$bd/kunitconfig" \
		>"$obj/.config" && "${mk[@]}" olddefconfig >/dev/null)
	t0=$SECONDS
	if (cd "$tree" && "${mk[@]}" >"$bd/step$n.log" 2>&1); then
		echo "bisect-check: step $n ok ($((SECONDS - t0)) s): $(git -C "$work" log -1 --format='%h %s' "$c")"
	else
		echo "bisect-check: step $n BREAKS: $(git -C "$work" log -1 --format='%h %s' "$c")"
		grep -E 'error:|Error ' "$bd/step$n.log" | head -n 10
		rc=1
	fi
done
[ $rc -eq 0 ] && echo "bisect-check: all $n steps build"
exit $rc
