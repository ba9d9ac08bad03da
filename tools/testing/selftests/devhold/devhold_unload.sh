#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unload a devhold provider module while other code holds its devices.
#
# Loads test_devhold_provider and test_devhold_holder, takes references on
# the provider's devices from several threads, unbinds the devices through
# sysfs and unloads the provider while references are out, then drops them
# from random contexts after random delays.  Covers both lifetime models:
#
#  - pinned: holds pin the provider module; rmmod fails until they are gone;
#  - counted: the provider's exit waits for its devices; rmmod waits, reports
#    the holder after devhold.wait_warn_secs, and finishes when the last
#    reference goes; a hold that would pin the going module (in a domain
#    of the pinning model) is refused.
#
# Then a torture loop of random iterations of both, a quarter of them with
# slab and page allocation fault injection aimed at the test modules, and a
# module_init that fails while holders hold its devices (their pins on the
# still coming module are refused).  The
# torture fails unless all ITERATIONS ran within SECONDS.  Fault injection
# is counted by the injector itself (the failures failslab and
# fail_page_alloc injected: their "times" counters), apart from the test
# modules' own failures; the faults case and the torture's injected
# iterations each need at least one injected failure.  The kernel log is
# judged by the harness (vm/check-log.py), not here.
#
# Usage: devhold_unload.sh [ITERATIONS [SECONDS]]   (default 100, 600)

ITER=${1:-${TORTURE_ITER:-100}}
SECS=${2:-${TORTURE_SECS:-600}}
. "$(dirname "$0")/lib.sh"

misuse() { cat "$DBG/devhold/misuse" 2>/dev/null || echo 0; }
domain_live() { grep -q "^domain $P:" "$DBG/devhold/holds" 2>/dev/null; }

unbind_some() {	# unbind a random subset (at least one) of the provider's devices
	local d n=0
	for d in "$PDRV/$P".*; do
		[ -e "$d" ] || continue
		if [ $n -eq 0 ] || [ $((RANDOM % 2)) -eq 0 ]; then
			basename "$d" > "$PDRV/unbind" || return 1
			n=$((n + 1))
		fi
	done
}

# After a failed case: put everything back (the holder's exit drops what it
# holds, which lets a waiting rmmod of the provider finish).
cleanup() {
	fault_off
	echo 10 > /sys/module/devhold/parameters/wait_warn_secs
	loaded test_devhold_holder && run rmmod test_devhold_holder
	loaded $P && run rmmod $P
	wait
}

# rmmod of the provider in the background; rmmod_wait collects it.
rmmod_bg() { run rmmod $P & rmmod_pid=$!; }
rmmod_wait() {	# within 150 s, or drop the holder to unblock it
	if ! until_true 150 '! kill -0 $rmmod_pid 2>/dev/null'; then
		diag "rmmod $P stuck: $(grep "^domain $P" "$DBG/devhold/holds")"
		run rmmod test_devhold_holder
	fi
	wait $rmmod_pid
}

# Fault injection for the tasks that set make_it_fail (the test modules'
# set-up and taking threads).  The injector counts down "times" by one per
# failure it injects: fault_off adds what it injected since fault_on to
# $injected.
FI_TIMES=1000000
injected=0 fault_is_on=0
fault_on() {	# PERCENT
	local f
	for f in failslab fail_page_alloc; do
		[ -d "$DBG/$f" ] || continue
		echo 1 > "$DBG/$f/task-filter"
		echo N > "$DBG/$f/ignore-gfp-wait"
		echo 0 > "$DBG/$f/verbose"
		echo $FI_TIMES > "$DBG/$f/times"
		echo "$1" > "$DBG/$f/probability"
	done
	[ -d "$DBG/fail_page_alloc" ] && echo 0 > "$DBG/fail_page_alloc/min-order"
	fault_is_on=1
}
fault_off() {
	local f t
	for f in failslab fail_page_alloc; do
		[ -d "$DBG/$f" ] || continue
		echo 0 > "$DBG/$f/probability"
		if [ $fault_is_on = 1 ]; then
			t=$(cat "$DBG/$f/times" 2>/dev/null)
			injected=$((injected + FI_TIMES - ${t:-$FI_TIMES}))
		fi
	done
	fault_is_on=0
}

# Every count back to zero: holder empty, provider and its domain gone,
# no misuse reported by devhold.
check_clean() {	# WHAT MISUSE_BEFORE
	local what=$1 m0=$2 bad=
	if loaded test_devhold_holder; then
		[ "$(hstat held)" = 0 ] || bad="$bad held=$(hstat held)"
		[ "$(hstat pending)" = 0 ] || bad="$bad pending=$(hstat pending)"
		[ "$(hstat wrong_ctx)" = 0 ] || bad="$bad wrong_ctx=$(hstat wrong_ctx)"
	fi
	loaded $P && bad="$bad provider-still-loaded"
	domain_live && bad="$bad domain-still-live"
	[ "$(misuse)" = "$m0" ] || bad="$bad misuse=$(misuse)(was $m0)"
	if [ -n "$bad" ]; then
		diag "$what:$bad"
		return 1
	fi
}

[ "$(id -u)" = 0 ] || skip_all "must run as root"
modinfo $P >/dev/null 2>&1 || skip_all "$P not built (CONFIG_TEST_DEVHOLD=m)"
[ -d "$DBG/devhold" ] || skip_all "needs CONFIG_DEBUG_DEVHOLD"
echo "TAP version 13"
echo "1..7"
echo 10 > /sys/module/devhold/parameters/wait_warn_secs

# 1. Pinned model: rmmod fails while a hold is out, succeeds after.
pinned() {	# NREFS TAIL_MS
	local m0 rc
	m0=$(misuse)
	run modprobe $P counted=0 ndevs=2 release_tail_ms="$2" || return 1
	run modprobe test_devhold_holder || return 1
	ctl take "$1" || return 1
	[ "$(hstat held)" = "$1" ] || { diag "held $(hstat held), wanted $1"; return 1; }
	[ "$(cat /sys/module/$P/refcnt)" -ge "$1" ] ||
		{ diag "refcnt $(cat /sys/module/$P/refcnt)"; return 1; }
	unbind_some || return 1
	run rmmod $P && { diag "rmmod succeeded with $1 holds out"; return 1; }
	loaded $P || { diag "provider gone with holds out"; return 1; }
	ctl drop && ctl wait || return 1
	until_true 30 '[ "$(cat /sys/module/$P/refcnt)" = 0 ]' ||
		{ diag "refcnt stays $(cat /sys/module/$P/refcnt)"; return 1; }
	run rmmod $P || return 1
	rc=0
	check_clean pinned "$m0" || rc=1
	run rmmod test_devhold_holder || rc=1
	return $rc
}
if pinned 32 0; then ok "pinned: rmmod fails while held, succeeds after"
else fail "pinned: rmmod fails while held, succeeds after"; cleanup; fi

# The unload wait's promptness: now_ms, drop_in_new_period and prompt
# (lib.sh).
# rmmod of the provider in the background (rmmod_wait collects it), which
# writes when it ended to $RMMOD_END.
RMMOD_END=/tmp/devhold-rmmod.end
rmmod_bg_timed() {
	rm -f $RMMOD_END
	{ run rmmod $P; r=$?; now_ms e; echo "$e" >$RMMOD_END; exit $r; } &
	rmmod_pid=$!
}

# 2. Counted model: rmmod waits, reports the holder, ends with the last put;
#    a hold that would pin the going module (in a domain of the pinning
#    model) is refused, a device hold is not, even when it names the module.
counted() {	# NREFS TAIL_MS
	local m0 rc=0 n
	m0=$(misuse)
	dmesg -C
	echo 1 > /sys/module/devhold/parameters/wait_warn_secs
	run modprobe $P counted=1 ndevs=3 release_tail_ms="$2" || return 1
	# The holds name the provider module, and its counted domain still pins none.
	run modprobe test_devhold_holder pin=1 || return 1
	ctl take "$1" || return 1
	[ "$(cat /sys/module/$P/refcnt)" = 0 ] || { diag "counted holds pin the module"; return 1; }
	unbind_some || return 1
	rmmod_bg_timed
	until_true 10 '[ "$(cat /sys/module/$P/initstate 2>/dev/null)" = going ]' ||
		{ diag "provider never went"; rc=1; }
	until_true 15 'dmesg | grep -q "domain $P still busy"' ||
		{ diag "no report while rmmod waits"; rc=1; }
	until_true 5 'dmesg | grep -A40 "domain $P still busy" |
		grep -q "\[test_devhold_holder\]"' ||
		{ diag "report does not name the holder"; rc=1; }
	kill -0 $rmmod_pid 2>/dev/null || { diag "rmmod returned with devices held"; rc=1; }
	n=$(hstat enodev)
	ctl "dup pinning"
	[ "$(hstat enodev)" = $((n + $1)) ] ||
		{ diag "pinning holds on a going module: enodev $(hstat enodev)"; rc=1; }
	# Holds in the provider's counted domain do not need the module.
	ctl dup
	[ "$(hstat held)" = $((2 * $1)) ] ||
		{ diag "device holds during unload: held $(hstat held)"; rc=1; }
	drop_in_new_period $P rmmod || rc=1
	ctl wait || rc=1
	rmmod_wait || { diag "rmmod failed"; rc=1; }
	# The three devices' release tails run one after the other in the
	# domain's release work, and the exit's barrier waits for them: 4.0 s
	# after the drop under TCG with 300 ms tails (0.4 s without), still far
	# from the 9 s a missed wake-up takes.
	prompt rmmod "$(cat $RMMOD_END 2>/dev/null)" "$((3 * $2 + ($2 ? 2000 : 0)))" || rc=1
	echo 10 > /sys/module/devhold/parameters/wait_warn_secs
	check_clean counted "$m0" || rc=1
	run rmmod test_devhold_holder || rc=1
	return $rc
}
if counted 8 0; then ok "counted: rmmod waits for the holds and reports the holder"
else fail "counted: rmmod waits for the holds and reports the holder"; cleanup; fi

# 3. Counted with a release tail: module exit waits for the release code
#    that runs after the count dropped (busted=nobarrier is the control).
if counted 8 300; then ok "counted: module exit waits for release tails"
else fail "counted: module exit waits for release tails"; cleanup; fi

# 4. Allocation failures while taking holds and creating devices: counts
#    stay balanced, nothing leaks (kmemleak is judged by the harness).
#    What the injector injected is counted apart from what failed: a
#    failure with nothing injected is a bug, and injection that hit
#    nothing proves nothing.
faults() {
	local m0 rc=0 i n taken enomem inj_loads=0 inj_takes=0 failed_loads=0 failed_holds=0
	m0=$(misuse)
	for i in 1 2 3 4 5 6; do
		# Odd rounds fail the provider's set-up, even rounds the holds.
		n=$injected
		[ $((i % 2)) = 1 ] && fault_on 20
		if ! run modprobe $P counted=$((i / 2 % 2)) ndevs=4 make_it_fail=1; then
			fault_off
			inj_loads=$((inj_loads + injected - n))
			failed_loads=$((failed_loads + 1))
			[ $injected != "$n" ] ||
				{ diag "faults: provider load failed, nothing injected"; rc=1; }
			check_clean "faults: failed provider load" "$m0" || rc=1
			continue
		fi
		fault_off
		inj_loads=$((inj_loads + injected - n))
		run modprobe test_devhold_holder make_it_fail=1 || return 1
		n=$injected
		[ $((i % 2)) = 0 ] && fault_on 20
		ctl take 64
		fault_off
		inj_takes=$((inj_takes + injected - n))
		taken=$(hstat taken) enomem=$(hstat enomem)
		failed_holds=$((failed_holds + enomem))
		[ "$enomem" = 0 ] || [ $injected != "$n" ] ||
			{ diag "faults: $enomem holds failed -ENOMEM, nothing injected"; rc=1; }
		[ $((taken + enomem + $(hstat unbound) + $(hstat enodev))) = 64 ] ||
			{ diag "take 64: $taken, enomem $enomem unbound $(hstat unbound)"; rc=1; }
		ctl drop && ctl wait || rc=1
		until_true 30 '[ "$(cat /sys/module/$P/refcnt)" = 0 ]'
		run rmmod $P || rc=1
		check_clean faults "$m0" || rc=1
		run rmmod test_devhold_holder || rc=1
	done
	diag "faults: $((inj_loads + inj_takes)) failures injected ($inj_loads in provider" \
		"loads, $inj_takes in takes); $failed_loads provider loads failed," \
		"$failed_holds holds failed -ENOMEM"
	# The injection must have hit something in both, or this proves nothing.
	if [ $inj_loads = 0 ] || [ $inj_takes = 0 ]; then
		diag "faults: no failure injected in provider loads or in takes"
		rc=1
	fi
	return $rc
}
# The configuration (./config) has both injectors: without them, this case
# and the torture's injected iterations would test nothing.
if [ ! -d "$DBG/failslab" ] || [ ! -d "$DBG/fail_page_alloc" ]; then
	fail "faults: no fault injector in $DBG (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC," \
		"CONFIG_FAULT_INJECTION_DEBUG_FS)"
elif faults; then ok "faults: failed holds and devices leave counts balanced"
else fail "faults: failed holds and devices leave counts balanced"; cleanup; fi

# 5. Torture: random iterations of both models.
torture_one() {
	local m0 counted ndevs nrefs tail finj n rc=0
	m0=$(misuse)
	counted=$((RANDOM % 2)) ndevs=$((RANDOM % 4 + 1)) nrefs=$((RANDOM % 64 + 1))
	tail=0
	[ $counted = 1 ] && [ $((RANDOM % 4)) = 0 ] && tail=$((RANDOM % 20))
	finj=0
	[ -d "$DBG/failslab" ] && [ $((it % 4)) = 0 ] && finj=1
	n=$injected
	[ $finj = 1 ] && { nfinj=$((nfinj + 1)); fault_on 5; }
	if ! run modprobe $P counted=$counted ndevs="$ndevs" release_tail_ms=$tail \
		make_it_fail=$finj; then
		fault_off
		if [ $injected != "$n" ]; then
			check_clean "torture: failed load" "$m0"
			return
		fi
		diag "provider load failed, nothing injected (finj=$finj)"
		return 1
	fi
	fault_off
	run modprobe test_devhold_holder threads=$((RANDOM % 4 + 1)) \
		max_delay_ms=$((RANDOM % 20)) make_it_fail=$finj || return 1
	[ $finj = 1 ] && fault_on 5
	ctl take "$nrefs" || [ $finj = 1 ] || rc=1
	fault_off
	[ $((RANDOM % 2)) = 0 ] && unbind_some
	if [ $counted = 1 ]; then
		rmmod_bg
		[ $((RANDOM % 2)) = 0 ] &&
			until_true 10 '[ "$(cat /sys/module/$P/initstate 2>/dev/null)" != live ]'
		ctl drop && ctl wait || rc=1
		rmmod_wait || { diag "counted rmmod failed"; rc=1; }
	else
		[ "$(hstat held)" != 0 ] && run rmmod $P &&
			{ diag "pinned rmmod succeeded with $(hstat held) holds"; rc=1; }
		ctl drop && ctl wait || rc=1
		until_true 30 '[ "$(cat /sys/module/$P/refcnt 2>/dev/null || echo 0)" = 0 ]'
		if loaded $P; then run rmmod $P || rc=1; fi
	fi
	check_clean "torture counted=$counted ndevs=$ndevs nrefs=$nrefs tail=$tail finj=$finj" \
		"$m0" || rc=1
	run rmmod test_devhold_holder || rc=1
	return $rc
}
# Every fourth iteration injects faults: ITERATIONS >= 4 tests it.
start=$SECONDS it=0 bad=0 nfinj=0 tinj=$injected
while [ $it -lt "$ITER" ] && [ $((SECONDS - start)) -lt "$SECS" ]; do
	it=$((it + 1))
	if ! torture_one; then
		bad=$((bad + 1))
		cleanup
	fi
done
secs=$((SECONDS - start)) tinj=$((injected - tinj))
diag "torture: $it of $ITER iterations in $secs s, $bad failed;" \
	"$nfinj with fault injection, $tinj failures injected"
if [ "$it" -lt "$ITER" ] || [ "$ITER" -lt 1 ]; then
	fail "torture: ran $it of $ITER iterations in $secs s (time box $SECS s)"
elif [ $bad != 0 ]; then
	fail "torture: $bad of $it iterations failed"
elif [ $nfinj -gt 0 ] && [ $tinj = 0 ]; then
	fail "torture: no failure injected in $nfinj iterations with fault injection"
else
	ok "torture: $it iterations, $nfinj with fault injection ($tinj failures injected)"
fi

# 6. Every context a put was made from was seen, and was what it claimed.
ctxs() {
	local c m0 rc=0
	m0=$(misuse)
	run modprobe $P counted=1 ndevs=2 || return 1
	run modprobe test_devhold_holder max_delay_ms=5 || return 1
	ctl take 200 && ctl drop && ctl wait || rc=1
	for c in process timer hardirq work irqoff; do
		[ "$(hstat ctx_$c)" -gt 0 ] || { diag "no put from $c"; rc=1; }
	done
	[ "$(hstat wrong_ctx)" = 0 ] || { diag "wrong_ctx $(hstat wrong_ctx)"; rc=1; }
	diag "puts: $(awk '/^ctx_/ { printf "%s=%s ", $1, $2 }' "$H/stats")"
	run rmmod $P || rc=1
	check_clean contexts "$m0" || rc=1
	run rmmod test_devhold_holder || rc=1
	return $rc
}
if ctxs; then ok "puts from process, timer, hardirq, work and IRQs-off contexts"
else fail "puts from process, timer, hardirq, work and IRQs-off contexts"; cleanup; fi

# 7. module_init fails while holders hold its devices: a pinning hold on
#    the still coming module is refused (the loader frees a module whose
#    init fails, pinned or not); device holds in the counted domain are
#    taken, and the failing init waits for them as its exit would (it
#    reports them while it waits): the module goes only after the last.
init_fails() {	# COUNTED NREFS
	local m0 pid end c0 refs rc=0 PARAMS=/sys/module/$P/parameters
	m0=$(misuse)
	dmesg -C
	echo 1 > /sys/module/devhold/parameters/wait_warn_secs
	run modprobe test_devhold_holder pin=1 || return 1
	modprobe $P counted="$1" ndevs=2 init_wait=1 fail_init=1 & pid=$!
	if ! until_true 60 '[ "$(cat $PARAMS/init_waiting 2>/dev/null)" = Y ]'; then
		diag "module_init does not wait"
		kill $pid
		return 1
	fi
	[ "$(cat /sys/module/$P/initstate)" = coming ] || { diag "not coming"; rc=1; }
	c0=$(hstat coming) refs=$(cat /sys/module/$P/refcnt)
	# pin=1: the device holds pin the module too, unless counted.
	ctl take "$2" && ctl "dup pinning" || rc=1
	[ "$(hstat held)" = $(($1 * $2)) ] || { diag "held $(hstat held) while coming"; rc=1; }
	[ "$(hstat coming)" = $((c0 + $2)) ] ||
		{ diag "$(($(hstat coming) - c0)) pinning holds refused while coming"; rc=1; }
	[ "$(cat /sys/module/$P/refcnt)" = "$refs" ] ||
		{ diag "refcnt $(cat /sys/module/$P/refcnt), was $refs, while coming"; rc=1; }
	echo Y > $PARAMS/init_go
	if [ "$1" = 1 ]; then
		until_true 15 'dmesg | grep -q "domain $P still busy"' ||
			{ diag "no report while the failing init waits"; rc=1; }
		kill -0 $pid 2>/dev/null || { diag "module_init returned with devices held"; rc=1; }
		drop_in_new_period $P modprobe || rc=1
	fi
	wait $pid && { diag "module_init did not fail"; rc=1; }
	if [ "$1" = 1 ]; then
		now_ms end
		ctl wait || rc=1
		prompt "the failing module_init" "$end" 0 || rc=1
	fi
	dmesg | grep -q "$P: module_init fails: -11" ||
		{ diag "init did not fail its own way"; rc=1; }
	echo 10 > /sys/module/devhold/parameters/wait_warn_secs
	check_clean "failed init (counted=$1)" "$m0" || rc=1
	run rmmod test_devhold_holder || rc=1
	return $rc
}
if init_fails 0 8 && init_fails 1 8; then
	ok "module_init fails: pins on it refused, its device holds waited for"
else
	fail "module_init fails: pins on it refused, its device holds waited for"
	cleanup
fi

diag "$((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
