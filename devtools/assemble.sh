#!/usr/bin/env bash
# Assemble base kernel + devhold series into the work tree (a git repository).
#
#   assemble.sh BASE_DIR WORK_DIR [REPO_DIR]
#
# The work tree gets one commit holding the untouched base (tag "base") and
# one commit per entry of patches/series on branch "devhold".  A series line
# is "NAME.patch [OVERLAY_PATH...]": the patch carries the commit message and
# the changes to upstream files; the overlay paths name the files the project
# owns, stored at their kernel paths in the repo, that this commit introduces.
#
# Commits are built with plumbing on a private index and checked out at the
# end, so only files that really change are touched (incremental builds stay
# incremental).  The work tree is never overwritten while it holds commits or
# edits that were not exported (run "make export" or set FORCE=1).
set -euo pipefail

base=$(cd "$1" && pwd)
work=$2
repo=$(cd "${3:-$(dirname "$0")/..}" && pwd)
series=$repo/patches/series

g() { git -C "$work" "$@"; }

basever=$(cat "$base/.devhold-base-version" 2>/dev/null || make -s -C "$base" kernelversion 2>/dev/null || echo unknown)
if ! g rev-parse -q --verify refs/tags/base >/dev/null 2>&1 ||
   [ "$(g config devhold.basedir 2>/dev/null)" != "$base" ]; then
	echo "assemble: importing base $base ($basever)" >&2
	rm -rf "$work"
	mkdir -p "$work"
	g init -q -b devhold
	g config core.autocrlf false
	g config gc.auto 0
	g config devhold.basedir "$base"
	# Snapshot the base: a git tree contributes its tracked and untracked,
	# not ignored files; an unpacked source package all of its files.
	gd=$(cd "$work" && pwd)/.git
	if [ -e "$base/.git" ]; then
		git -C "$base" ls-files -z -co --exclude-standard |
			git --git-dir="$gd" --work-tree="$base" -C "$base" update-index --add -z --stdin
	else
		git --git-dir="$gd" --work-tree="$base" -C "$base" add -A -f . \
			':!.devhold-base-version'
	fi
	tree=$(g write-tree)
	c=$(GIT_AUTHOR_NAME=devhold GIT_AUTHOR_EMAIL=devhold@localhost \
	    GIT_COMMITTER_NAME=devhold GIT_COMMITTER_EMAIL=devhold@localhost \
	    GIT_AUTHOR_DATE='@0 +0000' GIT_COMMITTER_DATE='@0 +0000' \
	    g commit-tree "$tree" -m "Base: Linux $basever" -m "Imported unmodified from $base")
	g tag -f base "$c" >/dev/null
	g update-ref refs/heads/devhold "$c"
	g update-ref refs/devhold/assembled "$c"
	g checkout -q -f devhold
fi

# Build the series commits on a private index.
idx=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$idx" "$tmp"' EXIT
export GIT_INDEX_FILE=$idx
g read-tree base
parent=$(g rev-parse base)
n=0
if [ -f "$series" ]; then
	while read -r name overlay; do
		case $name in ''|'#'*) continue ;; esac
		n=$((n + 1))
		p=$repo/patches/$name
		[ -f "$p" ] || { echo "assemble: missing $p" >&2; exit 1; }
		git mailinfo -k "$tmp/msg" "$tmp/diff" <"$p" >"$tmp/info"
		author=$(sed -n 's/^Author: //p' "$tmp/info")
		email=$(sed -n 's/^Email: //p' "$tmp/info")
		date=$(sed -n 's/^Date: //p' "$tmp/info")
		subject=$(sed -n 's/^Subject: //p' "$tmp/info" | sed 's/^\[PATCH[^]]*\] *//')
		if [ -s "$tmp/diff" ]; then
			g apply --cached --whitespace=nowarn "$tmp/diff" ||
				{ echo "assemble: $name does not apply" >&2; exit 1; }
		fi
		for f in $overlay; do
			[ -f "$repo/$f" ] || { echo "assemble: $name: overlay $f missing" >&2; exit 1; }
			mode=100644
			[ -x "$repo/$f" ] && mode=100755
			h=$(g hash-object -w --no-filters "$repo/$f")
			g update-index --add --cacheinfo "$mode,$h,$f"
		done
		tree=$(g write-tree)
		{ printf '%s\n\n' "$subject"; cat "$tmp/msg"; } >"$tmp/full"
		parent=$(GIT_AUTHOR_NAME=$author GIT_AUTHOR_EMAIL=$email GIT_AUTHOR_DATE=$date \
			 GIT_COMMITTER_NAME=$author GIT_COMMITTER_EMAIL=$email GIT_COMMITTER_DATE=$date \
			 g commit-tree "$tree" -p "$parent" -F "$tmp/full")
	done <"$series"
fi
unset GIT_INDEX_FILE

tip=$parent
head=$(g rev-parse HEAD)
last=$(g rev-parse refs/devhold/assembled)
if [ "$head" != "$tip" ]; then
	if [ -z "${FORCE:-}" ]; then
		if [ "$head" != "$last" ] &&
		   [ "$(g rev-parse "$head^{tree}")" != "$(g rev-parse "$tip^{tree}")" ]; then
			echo "assemble: $work has commits that were not exported (make export, or FORCE=1)" >&2
			exit 1
		fi
		if [ -n "$(g status --porcelain --untracked-files=no)" ]; then
			echo "assemble: $work has uncommitted edits (commit + make export, or FORCE=1)" >&2
			exit 1
		fi
	fi
	g checkout -q -f -B devhold "$tip"
fi
g update-ref refs/devhold/assembled "$tip"
echo "assemble: $work: base $basever + $n patches, tip $(g log -1 --format='%h %s')" >&2
