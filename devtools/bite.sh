#!/usr/bin/env bash
# Show that the DRM suites bite on the code they fix.
#
# drm_gpuvm (UML): run the suite on the series just before
# "drm/gpuvm: Free VMs from a worker ...", where drm_gpuvm.c is still
# 7.3.4's, with the test file of the tip.  Expected there: the atomic-put
# case fails and the kernel reports a sleeping function called from the
# atomic put; the free-at-once, free-order and deferred cleanup cases
# pass.  Then a broken variant of the tip, whose bo_defer cleanup leaves
# the zombies on the extobj and evict lists, must fail the deferred
# cleanup case, and a variant that takes the reservation lock once per
# zombie instead of once per batch must fail the batch case.
#
# drm_pagemap (x86_64: it needs ZONE_DEVICE): run the suite on the series
# just before "drm/pagemap: Hold the provider device with devhold", where
# drm_pagemap.c is 7.3.4's with the try_module_get() fix at the front of
# the series, with the suite and its Kconfig and Makefile lines from that
# commit.  Expected there: the going-provider case fails, since a pagemap
# of a going provider is refused there (the fix), where the hold of the
# device alone keeps it.
#
# Uses the bisect-check checkout.
#   bite.sh WORK_DIR BUILD_DIR RESULTS_DIR UML_CONFIG... [-- X86_64_CONFIG...]
set -uo pipefail

work=$(cd "$1" && pwd)
bd=$2 res=$3
shift 3
uml_configs=() x86_configs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do uml_configs+=("$1"); shift; done
[ $# -gt 0 ] && shift
x86_configs=("$@")
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$bd" "$res"
bd=$(cd "$bd" && pwd)
tree=$bd/work obj=$bd/uml
[ -e "$tree/.git" ] || git -C "$work" worktree add -q -f --detach "$tree" base

pin=$(git -C "$work" log --format=%H --grep='^drm/gpuvm: Free VMs from a worker' base..HEAD | head -n1)
[ -n "$pin" ] || { echo "bite: no drm/gpuvm pin commit in the series" >&2; exit 2; }
git -C "$tree" checkout -q -f --detach "$pin~1" || exit 2
t=drivers/gpu/drm/tests
git -C "$work" show "HEAD:$t/drm_gpuvm_test.c" >"$tree/$t/drm_gpuvm_test.c"
# Without the cases of drm_gpuvm_flush_deferred(), which 7.3.4 does not
# have, and with DRM_GPUVM_DEFERRED_FREE a flag 7.3.4 does not know (0).
python3 - "$tree/$t/drm_gpuvm_test.c" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
for f in ("drm_gpuvm_test_flusher", "drm_gpuvm_test_start_flusher", "drm_gpuvm_test_ungate",
          "drm_test_gpuvm_flush_blocks", "drm_test_gpuvm_flush_not_starved"):
    s, n = re.subn(r"\nstatic (?:int|void) %s\(.*?\n}\n" % f, "\n", s, flags=re.S)
    assert n == 1, f
    s = s.replace("\tKUNIT_CASE(%s),\n" % f, "")
s = s.replace("#include <drm/drm_kunit_helpers.h>\n",
              "#include <drm/drm_kunit_helpers.h>\n\n#define DRM_GPUVM_DEFERRED_FREE 0\n", 1)
open(p, "w").write(s)
PY
sed -i 's/^\tdrm_gem_shmem_test.o \\$/&\n\tdrm_gpuvm_test.o \\/' "$tree/$t/Makefile"
sed -i '/^config DRM_KUNIT_TEST$/,/^config /s/^\tselect DRM_GEM_SHMEM_HELPER$/&\n\tselect DRM_GPUVM/' \
	"$tree/drivers/gpu/drm/Kconfig.debug"

KUNIT_EXTRA=drm_gpuvm "$here/kunit.sh" "$tree" uml "$obj" "$res/bite" "${uml_configs[@]}"
git -C "$tree" checkout -q -f --detach "$pin~1"
git -C "$tree" clean -q -f "$t"

rc=0
expect() {	# STATUS CASE [RUN [SUITE]]
	local got c=${4:-drm_gpuvm}.$2
	got=$(awk -v c="$c" '$2 == c { print $1 }' "$res/${3:-bite}.cases")
	echo "bite: ${3:-bite}: $c: ${got:-missing} (expected $1)"
	[ "$got" = "$1" ] || rc=1
}
expect FAIL drm_test_gpuvm_put_atomic
expect PASS drm_test_gpuvm_put_frees_at_once
expect PASS drm_test_gpuvm_free_order
expect PASS drm_test_gpuvm_bo_deferred_cleanup
n=$(grep -c 'BUG: sleeping function called from invalid context' "$obj/test.log")
echo "bite: kernel reports of a sleeping function called from invalid context: $n (expected > 0)"
[ "$n" -gt 0 ] || rc=1

# The tip with a broken bo_defer cleanup.
git -C "$tree" checkout -q -f --detach "$(git -C "$work" rev-parse HEAD)" || exit 2
sed -i '/^drm_gpuvm_bo_deferred_cleanup(/,/^}/{/drm_gpuvm_bo_list_del(vm_bo, \(extobj\|evict\), false);/d}' \
	"$tree/drivers/gpu/drm/drm_gpuvm.c"
if git -C "$tree" diff --quiet; then
	echo "bite: could not make the broken variant" >&2
	rc=1
else
	KUNIT_EXTRA=drm_gpuvm "$here/kunit.sh" "$tree" uml "$obj" "$res/bite-broken" "${uml_configs[@]}"
	expect FAIL drm_test_gpuvm_bo_deferred_cleanup bite-broken
fi

# The tip with the zombie batch cleaned up one reservation lock per entry
# (the regression drm_test_gpuvm_bo_deferred_batch is for): each zombie is
# freed while the others are still on the VM's lists.
git -C "$tree" checkout -q -f --detach "$(git -C "$work" rev-parse HEAD)" || exit 2
python3 - "$tree/drivers/gpu/drm/drm_gpuvm.c" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
batch = re.compile(r"\tif \(drm_gpuvm_resv_protected\(gpuvm\)\) \{\n"
		   r"\t\tdma_resv_lock\(drm_gpuvm_resv\(gpuvm\), NULL\);\n"
		   r"\t\tllist_for_each_entry\(vm_bo, bo_defer, list\.entry\.bo_defer\) \{\n"
		   r"(?P<del>(?:\t\t\tdrm_gpuvm_bo_list_del\(.*\n)+)\t\t\}\n"
		   r"\t\tdma_resv_unlock\(drm_gpuvm_resv\(gpuvm\)\);\n\t\}\n\n"
		   r"(?P<loop>\twhile \(bo_defer\) \{\n.*\n\t\tbo_defer = bo_defer->next;\n)")
m = batch.search(s)
if m:
	per_entry = ("\t\tif (drm_gpuvm_resv_protected(gpuvm)) {\n"
		     "\t\t\tdma_resv_lock(drm_gpuvm_resv(gpuvm), NULL);\n" + m["del"] +
		     "\t\t\tdma_resv_unlock(drm_gpuvm_resv(gpuvm));\n\t\t}\n")
	s = s[:m.start()] + m["loop"] + per_entry + s[m.end():]
	open(p, "w").write(s)
PY
if git -C "$tree" diff --quiet; then
	echo "bite: could not make the per-entry-lock variant" >&2
	rc=1
else
	KUNIT_EXTRA=drm_gpuvm "$here/kunit.sh" "$tree" uml "$obj" "$res/bite-per-entry" "${uml_configs[@]}"
	expect FAIL drm_test_gpuvm_bo_deferred_batch bite-per-entry
fi
git -C "$tree" checkout -q -f HEAD

# drm_pagemap on drm_pagemap.c before the devhold conversion.
if [ ${#x86_configs[@]} -gt 0 ]; then
	pm=$(git -C "$work" log --format=%H --grep='^drm/pagemap: Hold the provider' base..HEAD | head -n1)
	[ -n "$pm" ] || { echo "bite: no drm/pagemap pin commit in the series" >&2; exit 2; }
	git -C "$tree" checkout -q -f --detach "$pm~1" || exit 2
	git -C "$work" diff "$pm~1" "$pm" -- drivers/gpu/drm/Kconfig.debug "$t/Makefile" \
		"$t/drm_pagemap_test.c" | git -C "$tree" apply || exit 2
	# Without the options of the test modules that later steps add.
	cat "${x86_configs[@]}" | grep -vE '^CONFIG_(DRM_TEST_UNLOAD|TEST_DEVHOLD)=' \
		>"$bd/x86_64.kunitconfig"
	KUNIT_EXTRA=drm_pagemap "$here/kunit.sh" "$tree" x86_64 "$bd/x86_64" "$res/bite-pagemap" \
		"$bd/x86_64.kunitconfig"
	git -C "$tree" checkout -q -f --detach "$pm~1"
	git -C "$tree" clean -q -f "$t"
	expect FAIL drm_pagemap_test_going_provider bite-pagemap drm_pagemap
	grep '^[A-Z]* drm_pagemap\.' "$res/bite-pagemap.cases" | sed "s/^/bite: bite-pagemap: (not judged) /"
fi

[ $rc -eq 0 ] && echo "bite: the DRM suites fail where they must"
exit $rc
