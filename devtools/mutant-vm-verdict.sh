#!/usr/bin/env bash
# Was a mutant caught by the VM harness?  mutant-vm-verdict.sh SUMMARY BOOT...
# Caught (exit 0) only when every named boot FAILED in SUMMARY, the
# vm.summary of devtools/vm.sh ("vm: BOOT: FAILED, ..."): a boot that
# passed, is missing (not run, or the kernel did not build) or failed only
# in another boot does not count.  Names the boots that did not fail.
set -uo pipefail

summary=$1
shift
miss=
for b; do
	grep -qE "^vm: $b: FAILED" "$summary" 2>/dev/null || miss="$miss $b"
done
[ $# -gt 0 ] || miss=" (no boot named)"
[ -z "$miss" ] || { echo "mutant-vm-verdict: named boots that did not fail:$miss"; exit 1; }
