# Sourced by devtools/gate.sh: the gate's overall time limit.  A step that
# hangs (a suite re-run, a boot, a download) must end the gate with a verdict
# that names it, not hold the machine.
#
#   gate_limit SECONDS             the whole gate's time, from now
#   gate_bounded NAME OUT CMD...   CMD with its output in OUT, within the time
#                                  left; status 124 when the time ran out
#   gate_cap N                     the seconds left, at most N, at least 1
#                                  (for timeout(1), to which 0 is no limit)
#   gate_time_verdict              fails, saying where, when the time ran out
#
# gate_limit also makes SIGINT and SIGTERM stop the running step: timeout(1)
# puts it in a process group of its own, which a ^C at the terminal misses.

gate_deadline=
gate_timeout=
gate_out_of_time=
gate_pid=

gate_limit() {
	gate_timeout=$1
	gate_deadline=$(($(date +%s) + $1))
	gate_out_of_time=
	trap 'gate_stop 130' INT
	trap 'gate_stop 143' TERM
}

gate_stop() {	# STATUS
	[ -z "$gate_pid" ] || kill -TERM "$gate_pid" 2>/dev/null
	exit "$1"
}

gate_left() {
	local left=$((gate_deadline - $(date +%s)))
	[ "$left" -gt 0 ] || left=0
	echo "$left"
}

gate_cap() {	# N
	local left
	left=$(gate_left)
	[ "$left" -le "$1" ] || left=$1
	[ "$left" -gt 0 ] || left=1
	echo "$left"
}

gate_bounded() {	# NAME OUT CMD...
	local name=$1 out=$2 t0 left rc
	shift 2
	left=$(gate_left)
	if [ -n "$gate_out_of_time" ] || [ "$left" -le 0 ]; then
		echo "gate: out of time: step $name not run" | tee "$out" >&2
		gate_out_of_time=${gate_out_of_time:-$name}
		return 124
	fi
	t0=$(date +%s)
	# timeout signals the step's whole process group (make, kunit.py,
	# QEMU); what ignores SIGTERM is killed a minute later.
	timeout --kill-after=60 "$left" "$@" >"$out" 2>&1 </dev/null &
	gate_pid=$!
	wait "$gate_pid"
	rc=$?
	gate_pid=
	# 124 (137 after the kill) from a step that ended at the deadline is
	# the limit's; a step's own timeouts end earlier.
	if { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && [ "$(gate_left)" = 0 ]; then
		gate_out_of_time=$name
		echo "gate: out of time in step $name after $(($(date +%s) - t0)) s" \
			"(GATE_TIMEOUT=$gate_timeout s for the whole gate)" | tee -a "$out" >&2
		return 124
	fi
	return "$rc"
}

gate_time_verdict() {
	[ -n "$gate_out_of_time" ] || return 0
	echo "gate: FAILED: out of time in step $gate_out_of_time (GATE_TIMEOUT=$gate_timeout s)"
	return 1
}

# gate_counts FILE STATUS: "passed failed" of a step's counts file.  A file
# that is not two numbers is one failure; a step that failed (STATUS not 0)
# fails the gate whatever its counts say.
gate_counts() {
	local line p=0 f=1
	line=$(cat "$1" 2>/dev/null)
	if [[ $line =~ ^([0-9]+)\ ([0-9]+)$ ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
	fi
	[ "$2" = 0 ] || [ "$f" != 0 ] || f=1
	echo "$p $f"
}

# gate_tier_counts TIER GATE_FILE STATUS: "passed failed" of a KUnit tier's
# judgement: its one "TIER: N passed, N failed" line; none, or more than
# one, is one failure, and so is a failed make step.
gate_tier_counts() {
	local lines p=0 f=1
	lines=$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed" "$2" 2>/dev/null)
	if [ "$(printf '%s' "$lines" | grep -c .)" = 1 ]; then
		p=$(sed -E 's/^[^:]*: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$lines")
		f=$(sed -E 's/^[^:]*: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$lines")
	fi
	[ "$3" = 0 ] || [ "$f" != 0 ] || f=1
	echo "$p $f"
}
