# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# Shared by the devhold selftests (sourced).

DBG=/sys/kernel/debug
H=$DBG/test_devhold_holder
P=test_devhold_provider
PDRV=/sys/bus/platform/drivers/$P
KSFT_SKIP=4
ntest=0
nfail=0

ok() { ntest=$((ntest + 1)); echo "ok $ntest $*"; }
fail() { ntest=$((ntest + 1)); nfail=$((nfail + 1)); echo "not ok $ntest $*"; }
diag() { echo "# $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit $KSFT_SKIP; }

# A command whose output goes into the TAP stream as diagnostics.
run() { "$@" 2>&1 | sed 's/^/# /'; return "${PIPESTATUS[0]}"; }

ctl() { echo "$*" > "$H/ctl"; }
hstat() { awk -v k="$1" '$1 == k { print $2 }' "$H/stats"; }
loaded() { [ -d "/sys/module/$1" ]; }

# Poll a shell condition every 50 ms for at most SECS seconds.
until_true() {	# SECS CONDITION
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 20; i++)); do
		eval "$*" && return 0
		sleep 0.05
	done
	eval "$*"
}
