#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the devhold test VM (see run.sh).  The root (/dev/vda) is the
# cached Debian sid root, booted with a throw-away write overlay; the per-run
# stage (/dev/vdb: the test scripts, this file, the kernel's modules, the
# command to run) is mounted at /devhold.
#
# Runs /devhold/cmd with stdout and stderr on /dev/ttyS1 (the TAP serial),
# bracketed by "# devhold-vm: start NAME" and "# devhold-vm: exit STATUS",
# then dumps kmemleak between "# kmemleak-begin" and "# kmemleak-end" (each
# line prefixed "# ", so the stream stays valid TAP), says how many of its
# scans completed and whether the report was read ("# kmemleak-scan: N of
# M scans done, report read": check-log.py fails a boot without it, so an
# empty section proves a scan found nothing) and powers off.
# Kernel messages stay on ttyS0 (the console).  Oopses are not made fatal:
# busted controls oops on purpose and their output must reach the host.
# No busybox here: coreutils, util-linux, procps and dash only.

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOME=/root
TERM=dumb
export PATH HOME TERM

say() { echo "devhold-vm: $*"; }
# Console line with the uptime, for the boot's timings.
at() {
	read -r up _ </proc/uptime
	say "$* (uptime ${up}s)"
}

# Shell builtins where possible: under TCG every exec costs about 0.2 s.
mounted() {
	# mounted DIR [OPTION]: DIR is a mount point (with OPTION)
	[ -r /proc/self/mounts ] || return 1
	while read -r _ dir _ opts _; do
		[ "$dir" = "$1" ] || continue
		case ,$opts, in *,${2:-},*) return 0 ;; esac
	done </proc/self/mounts
	return 1
}

mnt() {
	# mnt TYPE DIR [OPTIONS]
	mounted "$2" && return 0
	[ -d "$2" ] || mkdir -p "$2"
	mount -t "$1" ${3:+-o "$3"} "$1" "$2" || say "cannot mount $1 on $2"
}

mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
mnt devpts /dev/pts
mnt tmpfs /dev/shm mode=1777
mnt debugfs /sys/kernel/debug
mnt tmpfs /tmp mode=1777
mnt tmpfs /run mode=755
mounted / rw || mount -o remount,rw /
echo devhold-vm >/proc/sys/kernel/hostname
at "mounted"

# The per-run stage, mounted over the root's /devhold.  This script keeps
# running from the root's copy of it, which run.sh keeps identical to the
# stage's (the root image is rebuilt when init.sh changes).
if [ -b /dev/vdb ]; then
	mount -t ext4 /dev/vdb /devhold || say "cannot mount the stage /dev/vdb"
else
	say "no stage disk /dev/vdb"
fi
if [ -d /devhold/lib/modules ]; then
	mkdir -p /lib/modules
	mount --bind /devhold/lib/modules /lib/modules
fi

# Keep faults non-fatal; catch hangs within a minute.
echo 0 >/proc/sys/kernel/panic_on_oops
echo 60 >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null ||
	say "no hung task detector"

name=$(cat /devhold/name 2>/dev/null || echo unnamed)
if [ -c /dev/ttyS1 ]; then
	# No CR/LF translation: the host reads the file as it is written.
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	exec 3>/dev/ttyS1
else
	say "no /dev/ttyS1; the TAP stream goes to the console"
	exec 3>&1
fi

tap() { echo "$*" >&3; }

km=/sys/kernel/debug/kmemleak
kmemleak=0
# Boot-time suspects are not the tests' doing: scan once, then forget them.
if [ -w "$km" ] && echo scan >"$km" 2>/dev/null; then
	echo clear >"$km" && kmemleak=1
	at "kmemleak cleared"
fi

read -r up _ </proc/uptime
tap "# devhold-vm: start $name"
tap "# devhold-vm: kernel $(uname -r), uptime ${up}s"
say "start $name (uptime ${up}s)"

if [ -f /devhold/cmd ]; then
	(cd /devhold && exec sh /devhold/cmd) </dev/null >&3 2>&1
	status=$?
else
	tap "# devhold-vm: no /devhold/cmd"
	status=127
fi

read -r up _ </proc/uptime
say "command exited with $status (uptime ${up}s)"

# The command's last line may lack its newline.
tap ""
if [ "$kmemleak" = 1 ]; then
	# kmemleak reports only objects older than 5 s, and an object is
	# reported reliably only after a second scan: scan now, and again
	# once 5 s have passed since the command ended (a scan takes ~4 s
	# under TCG).  A write of "scan" returns when its scan is over, and
	# fails once kmemleak has disabled itself.
	scans=0
	echo scan >"$km" && scans=$((scans + 1))
	read -r now _ </proc/uptime
	rest=$((${up%.*} + 6 - ${now%.*}))
	[ "$rest" -gt 0 ] && sleep "$rest"
	echo scan >"$km" && scans=$((scans + 1))
	at "kmemleak scanned ($scans of 2 scans done)"
	tap "# kmemleak-begin"
	report="read"
	sed 's/^/# /' "$km" >&3 || report="not read"
	tap "# kmemleak-end"
	tap "# kmemleak-scan: $scans of 2 scans done, report $report"
else
	tap "# kmemleak: not available"
fi

read -r up _ </proc/uptime
tap "# devhold-vm: uptime ${up}s"
tap "# devhold-vm: exit $status"
exec 3>&-
sync
umount /lib/modules /devhold 2>/dev/null
sync

echo o >/proc/sysrq-trigger 2>/dev/null
sleep 20
command -v poweroff >/dev/null 2>&1 && poweroff -f
# QEMU runs with -no-reboot: a reboot ends it as well.
echo b >/proc/sysrq-trigger 2>/dev/null
# PID 1 must never exit.
while :; do sleep 3600; done
