#!/usr/bin/env bash
# The series' Coccinelle rule, scripts/coccinelle/api/devhold.cocci (self-
# pinned releases; open-coded deferred-free lists), in report mode.
#
#   cocci.sh scan TREE          every candidate file of TREE (those calling
#                               module_put(THIS_MODULE) or llist_del_all()),
#                               one spatch per file, two at a time; prints
#                               the reports (paths relative to TREE) and
#                               the counts
#   cocci.sh files TREE FILE... only the given files (relative to TREE);
#                               exit 1 when any is reported
#   cocci.sh filter EXEMPT      the reports on stdin that EXEMPT ("FILE
#                               FUNCTION -- reason" lines) does not list;
#                               exit 1 when there is any
#
# The rule is read from RULE (default: the work tree's, $WORK or
# build/work).  spatch comes from Debian's coccinelle (make deps).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ "$1" = filter ]; then
	out=$(awk 'NR == FNR { if ($0 !~ /^#/ && NF) ex[$1 " " $2] = 1; next }
		   { f = $1; sub(/:.*/, "", f); fn = $2; if (fn ~ /^(WARNING|INFO):$/) fn = $3
		     if (!((f " " fn) in ex)) print }' "$2" -)
	[ -z "$out" ] || { printf '%s\n' "$out"; exit 1; }
	exit 0
fi
mode=$1 tree=$(cd "$2" && pwd)
shift 2
rule=${RULE:-${WORK:-$here/../build/work}/scripts/coccinelle/api/devhold.cocci}
command -v spatch >/dev/null || { echo "cocci: no spatch (apt-get install coccinelle: make deps)" >&2; exit 2; }
[ -f "$rule" ] || { echo "cocci: no rule $rule" >&2; exit 2; }
rule=$(cd "$(dirname "$rule")" && pwd)/$(basename "$rule")

# The reports on FILE (relative to the tree); status 2 when spatch failed,
# so that a rule or a spatch that does not work never reads as "no report".
one() {	# FILE
	local out rc
	out=$(spatch --very-quiet -D report --no-includes --include-headers \
		--sp-file "$rule" "$1" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "cocci: spatch failed on $1 (exit $rc): $(tail -n 3 <<<"$out" | tr '\n' ' ')" >&2
		return 2
	fi
	grep -E '^[^ ]+:[0-9]+:[0-9]+-[0-9]+: ' <<<"$out"
	return 0
}
export -f one
export rule

cd "$tree" || exit 2
case $mode in
scan)
	files=$(grep -rlE --include='*.c' 'module_put\(THIS_MODULE\)|llist_del_all' . |
		sed 's|^\./||' | sort)
	out=$(printf '%s\n' $files | xargs -P 2 -I{} bash -c 'one "$1"' _ {})
	st=$?
	out=$(sort <<<"$out")
	[ -z "$out" ] || printf '%s\n' "$out"
	self=$(grep -c 'ends with module_put(THIS_MODULE)' <<<"$out")
	lists=$(grep -c 'open-coded deferred-free list' <<<"$out")
	echo "cocci-scan: $self self-pinned releases, $lists open-coded deferred-free lists" \
	     "($(wc -w <<<"$files") candidate files of $(find . -name '*.c' | wc -l))"
	[ $st -eq 0 ] || { echo "cocci-scan: FAILED, spatch failed on some files (above)"; exit 2; }
	;;
files)
	rc=0
	for f; do
		out=$(one "$f") || exit 2
		[ -z "$out" ] || { printf '%s\n' "$out"; rc=1; }
	done
	exit $rc
	;;
*) echo "cocci: unknown mode $mode" >&2; exit 2 ;;
esac
