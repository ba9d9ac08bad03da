#!/usr/bin/env bash
# Judge an htmldocs log: fail (exit 1) on a warning or error about a file
# the series adds, named by its path in the kernel tree.  Where the tree
# lies (a checkout named "devhold", the cache) does not matter: the base's
# own warnings name that path too and are not ours.
#   docs-judge.sh LOG
set -uo pipefail

ours='(Documentation/core-api/devhold\.rst|include/linux/devhold\.h|include/trace/events/devhold\.h|lib/devhold[a-z_]*\.c|rust/kernel/devhold\.rs)'
# Sphinx: "FILE:LINE: WARNING: ...", "CRITICAL:", docutils "(SEVERE/4)";
# kernel-doc: "FILE:LINE: warning: ...".
level='(\(?(INFO|WARNING|ERROR|SEVERE)/[0-9]\)?|WARNING|ERROR|SEVERE|CRITICAL|warning|error)'
hits=$(sed -E 's#^[^ :]*/((Documentation|include|lib|rust)/)#\1#' "$1" |
	grep -E "^$ours(:[0-9]+)*:? *$level|$level.*[\"'\''\`]core-api/devhold[\"'\''\`]" |
	grep -vE '\(INFO/1\)' || true)
[ -z "$hits" ] || { echo "$hits" | head -n 20; exit 1; }
