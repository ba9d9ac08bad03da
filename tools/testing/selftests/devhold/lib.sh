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

# An unload wait must end with the last put, not at the end of one of its
# report periods (devhold.wait_warn_secs): that is how a wait that missed
# its wake-up would end.  The period is set back to 10 s and the holds are
# dropped once the waiting task sleeps in a period that has just begun, so
# that a missed wake-up would end the wait some 9 s after the drop.  The
# bound (PROMPT_MS) is the second the wake-up is allowed, plus what the
# release takes after the drop (the holder's random put delay, at most
# 20 ms, and the release work), what rmmod or modprobe still does after the
# wait, and TCG's slowness with KASAN and lockdep: the "ended N ms after
# the drop" diagnostics give the figures.  A release tail, and the random
# 1-4 s release delay of DEVHOLD_DEBUG_DELAY when it is on, add their own.
PROMPT_MS=3000
now_ms() {	# VAR: milliseconds since boot, without a fork
	local up
	read -r up _ </proc/uptime
	printf -v "$1" %d $((10#${up/./} * 10))
}
sleeps_idle() {	# COMM: a task COMM sleeps in an idle wait ("I"), as the unload wait
	local f s
	for f in /proc/[0-9]*/stat; do
		read -r s 2>/dev/null <"$f" || continue
		[[ $s == *" ($1) I "* ]] && return 0
	done
	return 1
}
drop_in_new_period() {	# DOMAIN COMM: drop the holds; t_drop says when
	local dom=$1 comm=$2 last rc=0
	echo 10 > /sys/module/devhold/parameters/wait_warn_secs
	last=$(dmesg | grep "domain $dom still busy" | tail -n 1)
	# The period under way ends with a report; the next one is 10 s long.
	until_true 15 '[ "$(dmesg | grep "domain $dom still busy" | tail -n 1)" != "$last" ]' ||
		{ diag "no report after the period was set to 10 s"; rc=1; }
	until_true 5 'sleeps_idle "$comm"' || { diag "$comm does not sleep in its wait"; rc=1; }
	now_ms t_drop
	ctl drop || rc=1
	return $rc
}
prompt() {	# WHAT END_MS [EXTRA_MS]: WHAT ended within the bound after the drop
	local bound=$((PROMPT_MS + ${3:-0}))
	[ "$(cat /sys/module/devhold/parameters/debug_delay 2>/dev/null)" = Y ] &&
		bound=$((bound + 4000))
	[ -n "$2" ] || { diag "$1: no end time"; return 1; }
	diag "$1 ended $(($2 - t_drop)) ms after the drop (bound $bound ms)"
	[ $(($2 - t_drop)) -le $bound ] || { diag "$1: the wait missed the last put"; return 1; }
}

