# Sourced: apt on a private sources/lists directory, leaving the system's
# apt state alone.  private_apt DIR LINE... sets up DIR with the given
# sources.list lines and fills the array "aptopts" for apt-get/apt-cache.
private_apt() {
	local dir=$1
	shift
	mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/sources.list.d"
	printf '%s\n' "$@" >"$dir/sources.list"
	aptopts=(-o Dir::Etc::sourcelist="$dir/sources.list"
		 -o Dir::Etc::sourceparts="$dir/sources.list.d"
		 -o Dir::State::Lists="$dir/lists"
		 -o Dir::Cache::Archives="$dir/archives"
		 -o Dir::Cache::pkgcache="$dir/pkgcache.bin"
		 -o Dir::Cache::srcpkgcache="$dir/srcpkgcache.bin"
		 -o APT::Get::List-Cleanup=0 -o Acquire::Languages=none)
}
