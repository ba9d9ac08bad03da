# Sourced: apt on a private sources/lists directory, leaving the system's
# apt state alone, and what the scripts read of the system's apt.  private_apt DIR LINE... sets up DIR with the given
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

# The archive URIs of the machine's apt configuration, one a line.
apt_uris() {
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk '/^[[:space:]]*URIs:/ {for (i = 2; i <= NF; i++) print $i}'
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '/^[[:space:]]*deb[[:space:]]/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}'
	} || true
}

# Those of the packages named that are not installed, each after a space.
missing_pkgs() {
	local p missing=
	for p; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	echo "$missing"
}
