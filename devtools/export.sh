#!/usr/bin/env bash
# Export the work tree's series (base..devhold) back into the repo.
#
#   export.sh WORK_DIR [REPO_DIR]
#
# For every commit after the base: the files it adds are project-owned and
# are written to the repo at their kernel paths (overlay); its changes to
# files that existed before are written as patches/NNNN-slug.patch with the
# commit message; patches/series lists "NNNN-slug.patch [overlay paths]".
# A project-owned file is introduced whole by one commit: a later commit
# that modifies or deletes it is refused (fold the change into the commit
# that adds it, e.g. with "git rebase -i" and fixup).
set -euo pipefail

work=$1
repo=$(cd "${2:-$(dirname "$0")/..}" && pwd)
g() { git -C "$work" "$@"; }

[ -z "$(g status --porcelain --untracked-files=no)" ] ||
	{ echo "export: $work has uncommitted changes; commit them first" >&2; exit 1; }

commits=$(g rev-list --reverse base..HEAD)
declare -A owner=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/series"
n=0
for c in $commits; do
	n=$((n + 1))
	added=$(g diff-tree --no-commit-id -r --diff-filter=A --name-only "$c")
	changed=$(g diff-tree --no-commit-id -r --diff-filter=a --name-only "$c")
	upstream=()
	for f in $changed; do
		if [ -n "${owner[$f]:-}" ]; then
			echo "export: $(g log -1 --format='%h %s' "$c") changes $f," \
			     "which ${owner[$f]} adds: fold it there" >&2
			exit 1
		fi
		upstream+=("$f")
	done
	for f in $added; do owner[$f]=$(g log -1 --format=%h "$c"); done
	slug=$(g log -1 --format=%f "$c" | cut -c1-52)
	name=$(printf '%04d-%s.patch' "$n" "$slug")
	{
		g show -s --format=email "$c" | sed '1s/^From [0-9a-f]*/From 0000000000000000000000000000000000000000/'
		echo "---"
		if [ ${#upstream[@]} -gt 0 ]; then
			g diff --stat=72 "$c^" "$c" -- "${upstream[@]}"
			echo
			# An empty context line is stored empty, not as one space:
			# git apply and patch read it the same, and the stored patch
			# has no trailing whitespace (checkpatch checks tracked files
			# as source files).
			g diff --full-index "$c^" "$c" -- "${upstream[@]}" | sed 's/^ $//'
		fi
	} >"$tmp/$name"
	echo "$name" $added >>"$tmp/series"
done

# Files the previous series owned and the new one does not any more.
if [ -f "$repo/patches/series" ]; then
	while read -r name overlay; do
		case $name in ''|'#'*) continue ;; esac
		for f in $overlay; do
			[ -n "${owner[$f]:-}" ] || rm -f "$repo/$f"
		done
	done <"$repo/patches/series"
fi
for f in "${!owner[@]}"; do
	mkdir -p "$repo/$(dirname "$f")"
	g show "HEAD:$f" >"$repo/$f"
	if [ "$(g ls-tree HEAD -- "$f" | cut -c1-6)" = 100755 ]; then
		chmod +x "$repo/$f"
	else
		chmod -x "$repo/$f"
	fi
done
rm -f "$repo"/patches/*.patch
cp "$tmp"/*.patch "$repo/patches/" 2>/dev/null || true
cp "$tmp/series" "$repo/patches/series"
g update-ref refs/devhold/assembled HEAD
echo "export: $n patches, ${#owner[@]} project files -> $repo" >&2
