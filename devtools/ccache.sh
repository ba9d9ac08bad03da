# Sourced: the compiler of every build.  Sets "devhold_cc" to "ccache gcc"
# when ccache is installed (and NO_CCACHE is empty), with one cache for all
# builds and relative paths in its keys (trees laid out alike share hits);
# to "gcc" otherwise.
devhold_cc=gcc
if command -v ccache >/dev/null && [ -z "${NO_CCACHE:-}" ]; then
	export CCACHE_DIR=${CCACHE_DIR:-${DEVHOLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devhold}/ccache}
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
	export CCACHE_BASEDIR=${CCACHE_BASEDIR:-/}
	devhold_cc="ccache gcc"
fi
