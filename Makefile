# devhold: assemble the base kernel + this overlay and patch series, build,
# test and check it.  See README.md.
#
#   make                the main job: UML KUnit tier (project + DRM + Xe suites)
#   make check          the whole gate: deps, the x86_64, x86_64-lib and rust
#                       tiers, the VM harness, the no-THP build, the arm64
#                       users, static checks; closes with "N passed, N failed"
#   make uml-lib        a small UML KUnit kernel without DRM: the library's
#                       suites with DEBUG_DEVHOLD=n
#   make x86_64         the x86_64 KUnit tier (QEMU, TCG)
#   make x86_64-lib     the library's suite on the x86_64 kernel with
#                       DEBUG_DEVHOLD=n (a copy of its build, rebuilt in part)
#   make rust           a Rust-enabled x86_64 KUnit kernel: the series' Rust
#                       code and the Rust drivers built with warnings as
#                       errors, the Rust doctests and the library's suite
#   make vm             the VM harness on the x86_64 tier's kernel: real module
#                       unloads, busted controls, a DRM driver, IGT peer suites
#   make rust-vm        the VM harness on the rust tier's kernel: a Rust DRM
#                       driver under unload, and its broken control
#   make torture        the unload torture alone, long: ITER=N (default 1000)
#   make media          v4l2-compliance on vivid with the series (one VM boot)
#   make nothp          x86_64 config without transparent huge pages: builds
#                       the GPU SVM, pagemap and Xe objects
#   make users          arm64 cross build of the changed drm_gpuvm users
#                       (panthor, imagination, msm, nouveau) with W=1
#   make static         checkpatch, kernel-doc, sparse + W=1, DRM unload waits,
#                       the series' Coccinelle rule on its own code and on
#                       the sites it converts
#   make cocci-scan     the series' Coccinelle rule over the whole base tree:
#                       its reports and counts
#   make gate-selftest  feed every judge of the gate the broken inputs it
#                       exists for (each must say FAILED) and clean ones
#   make drm-kunitconfig  DRM's own .kunitconfig (UML), as DRM's CI runs it
#   make baseline       run the tiers on the unpatched base BASE_RUNS times,
#                       rewrite devtools/baseline/*.txt (known base failures,
#                       flaky cases with their rates) and *.reports (the
#                       kernel reports the base prints)
#   make series         format-patch the series with a cover letter into out/
#   make bisect-check   build every step of the series (UML, incremental)
#   make mutants        broken variants of lib/devhold.c, drm_drv.c,
#                       drm_gpuvm.c, drm_pagemap.c (KUnit) and of the Rust
#                       module guard and drm::ModuleWait (VM boots) must
#                       fail the tests
#   make bite           the drm_gpuvm and drm_pagemap suites must fail on
#                       the unconverted code (the series just before each
#                       conversion)
#   make bench          the devhold benchmark on a timing kernel (UML, SMP)
#   make export         work tree commits -> overlay files + patches/
#   make assemble       base + overlay + patches/ -> $(WORK)
#   make deps           install the packages (apt) and sparse
#
# Knobs: KDIR=/path/to/linux (your tree instead of Debian's linux-source-7.3),
# JOBS=N, TIERS="x86_64 x86_64-lib rust" (the gate's KUnit tiers), BASE_TIERS="uml
# x86_64 rust" and BASE_RUNS=3 (make baseline: the base tiers and how many
# runs failure rates are measured over), BASE_VERSION= (the Debian base
# package's version), GATE_TIMEOUT= (seconds, make check), O=build (outputs),
# FORCE=1 (assemble over unexported work).

SHELL := /bin/bash
.DEFAULT_GOAL := uml

KDIR ?=
JOBS ?= $(shell nproc)
TIERS ?= x86_64 x86_64-lib rust
BASE_TIERS ?= uml x86_64 rust
BASE_RUNS ?= 3
O ?= build
WORK := $(O)/work
RES := $(O)/results
KC := devtools/kunit
export JOBS

CONFIGS_uml := $(KC)/common.config $(KC)/uml.config
CONFIGS_x86_64 := $(KC)/common.config $(KC)/x86_64.config $(KC)/vm.config \
	$(KC)/vm-x86_64.config
PROJECT_uml := $(KC)/project.config $(KC)/uml-project.config
CONFIGS_uml-lib := $(KC)/uml-lib.config
PROJECT_uml-lib := $(KC)/project.config $(KC)/uml-project.config
# The library's functional suite only: the benchmark's figures mean nothing
# under lockdep and KASAN, and x86_64 prints them.
SUITES_uml-lib := devhold
PROJECT_x86_64 := $(KC)/project.config $(KC)/x86_64-project.config $(KC)/x86_64-debug.config
# The gate's DEBUG_DEVHOLD=n tier: the x86_64 tier's kernel with the
# library's debugging off, built from a copy of its build (kbuild recompiles
# what the options change), running the library's suite.
CONFIGS_x86_64-lib := $(CONFIGS_x86_64)
PROJECT_x86_64-lib := $(KC)/project.config $(KC)/x86_64-project.config \
	$(KC)/x86_64-lib.config
SUITES_x86_64-lib := devhold
# The Rust tier: its own x86_64 kernel (no KASAN, which RUST needs off with
# GCC), the library's suite, the Rust suites and doctests; vm.config makes it
# bootable for the VM harness's Rust DRM driver (make rust-vm).
CONFIGS_rust := $(KC)/rust.config $(KC)/vm.config
PROJECT_rust := $(KC)/project.config $(KC)/x86_64-debug.config $(KC)/rust-project.config

# Upstream test modules whose suites turn lockdep off for the rest of a
# boot, on the base as well (drm_bridge_test: drm_bridge_helper_reset_crtc()
# unlocks a mutex it does not own after an injected -EDEADLK;
# drm_connector_test: drm_connector_dynamic_register_on_list takes a mutex
# whose magic is wrong, DEBUG_LOCKS_WARN_ON(lock->magic != lock);
# drm_hdmi_state_helper_test: a circular locking dependency of its own,
# after which lockdep reports nothing more): they run
# in a boot of their own, after the tier's main run, so that lockdep sees
# every other suite.  Their cases and kernel log join the tier's
# (TIER-isolated-MODULE.*).
ISOLATE_uml := drm_bridge_test drm_connector_test drm_hdmi_state_helper_test
ISOLATE_x86_64 := drm_bridge_test drm_connector_test drm_hdmi_state_helper_test
isolate_not = $(subst $(eval) ,$(comma),$(patsubst %,module!=%,$(1)))
comma := ,
# $(call isolated,TREE,TIER,BUILD_DIR,OUT_PREFIX,CONFIGS)
isolated = for m in $(ISOLATE_$(2)); do \
	KUNIT_CMD=exec KUNIT_FILTER="module=$$m" devtools/kunit.sh $(1) $(2) $(3) \
		$(4)-isolated-$$m $(5) >/dev/null; \
	[ -s $(4)-isolated-$$m.cases ] || echo "ERROR $$m.<isolated-run>" >$(4)-isolated-$$m.cases; \
	cat $(4)-isolated-$$m.cases >>$(4).cases; done

base_dir = $(if $(KDIR),$(KDIR),$$(devtools/fetch-base.sh))

# One kernel build at a time: the tiers share build directories (x86_64-lib
# starts as a copy of x86_64, vm boots it), and the machines have 2 cores.
.NOTPARALLEL:

.PHONY: gate-selftest uml uml-lib x86_64 x86_64-lib rust vm rust-vm media torture nothp nothp-base users bite check static baseline baseline-uml \
	drm-kunitconfig \
	baseline-x86_64 baseline-rust baseline-bugs series bisect-check export mutants bench cocci-scan \
	matrix matrix-nosmp matrix-rt matrix-kcsan lib-kunitconfig \
	assemble deps base clean help

help:
	@sed -n "4,/^$$/p" Makefile

deps:
	devtools/install-deps.sh

base:
	@echo "base: $(base_dir)"

assemble:
	devtools/assemble.sh "$(base_dir)" $(WORK)

export:
	devtools/export.sh $(WORK)

# The judges of the gate, fed canned broken and clean inputs (seconds).
gate-selftest:
	@mkdir -p $(RES)
	devtools/gate-selftest/run.py $(RES)

# One KUnit tier on the assembled tree, judged against the baseline.
# The x86_64-lib kernel starts as a copy of the x86_64 tier's build: kbuild
# then rebuilds only the objects whose sources use an option that differs.
uml uml-lib x86_64 x86_64-lib rust: assemble
	@mkdir -p $(RES)
	$(if $(filter x86_64-lib,$@),rm -rf $(O)/$@ && \
		{ [ ! -f $(O)/x86_64/.config ] || cp -a $(O)/x86_64 $(O)/$@; })
	KUNIT_EXTRA="$(SUITES_$@)" KUNIT_FILTER="$(call isolate_not,$(ISOLATE_$@))" \
		devtools/kunit.sh $(WORK) $@ $(O)/$@ $(RES)/$@ \
		$(CONFIGS_$@) $(PROJECT_$@); echo "kunit.py exit status $$?"
	@grep -E "Testing complete|Elapsed" $(RES)/$@.log || true
	$(call isolated,$(WORK),$@,$(O)/$@,$(RES)/$@,$(CONFIGS_$@) $(PROJECT_$@))
	devtools/judge.sh $@ $(WORK) $(O)/$@ $(RES) $(CONFIGS_$@) $(PROJECT_$@)

# The VM harness boots the x86_64 tier's kernel (vm.config makes it bootable
# and builds the test modules): one x86_64 build serves both.
ITER ?= 1000
vm: assemble
	@mkdir -p $(RES)
	KUNIT_CMD=build devtools/kunit.sh $(WORK) x86_64 $(O)/x86_64 $(RES)/x86_64-build \
		$(CONFIGS_x86_64) $(PROJECT_x86_64) >/dev/null
	devtools/vm.sh $(WORK) $(O)/x86_64 $(RES)

# The Rust DRM driver under unload, on the rust tier's kernel: its module
# exit waits (drm-rs), and without the wait DRM reports it (the control).
rust-vm: assemble
	@mkdir -p $(RES)
	KUNIT_CMD=build devtools/kunit.sh $(WORK) rust $(O)/rust $(RES)/rust-build \
		$(CONFIGS_rust) $(PROJECT_rust) >/dev/null
	rm -rf $(RES)/rust-vm $(RES)/rust-vm.counts
	devtools/vm.sh $(WORK) $(O)/rust $(RES)/rust-vm drm-rs busted-drm_rs_nowait; \
		rc=$$?; [ ! -f $(RES)/rust-vm/vm.counts ] || \
		cp $(RES)/rust-vm/vm.counts $(RES)/rust-vm.counts; exit $$rc

# videobuf2's conformance test on the series (v4l2-compliance on vivid with
# videobuf2-dma-contig): one boot of the x86_64 tier's kernel, not in the
# gate (the vivid and vimc patches are shown by the bugs boot's cases).
media: assemble
	@mkdir -p $(RES)
	KUNIT_CMD=build devtools/kunit.sh $(WORK) x86_64 $(O)/x86_64 $(RES)/x86_64-build \
		$(CONFIGS_x86_64) $(PROJECT_x86_64) >/dev/null
	devtools/vm.sh $(WORK) $(O)/x86_64 $(RES)/media media

torture: assemble
	@mkdir -p $(RES)
	KUNIT_CMD=build devtools/kunit.sh $(WORK) x86_64 $(O)/x86_64 $(RES)/x86_64-build \
		$(CONFIGS_x86_64) $(PROJECT_x86_64) >/dev/null
	VM_ITER=$(ITER) VM_SECS=$$(( $(ITER) * 10 )) VM_TIMEOUT=$$(( $(ITER) * 12 + 600 )) \
		devtools/vm.sh $(WORK) $(O)/x86_64 $(RES) unload

# The no-THP configuration: a build, judged by its exit status.  nothp-base
# shows that the unpatched base fails to build it.
# Only the objects the configuration is about: linking a whole kernel proves
# nothing more here.
NOTHP_OBJS := lib/devhold.o lib/tests/devhold_kunit.o \
	$(addprefix drivers/gpu/drm/,drm_pagemap.o drm_gpusvm.o drm_gpuvm.o tests/drm_pagemap_test.o \
	xe/xe_svm.o xe/xe_vm.o xe/xe_migrate.o xe/xe_module.o)
nothp: assemble
	@mkdir -p $(RES)
	KUNIT_CMD=config devtools/kunit.sh $(WORK) x86_64 $(O)/x86_64-nothp $(RES)/nothp \
		$(KC)/nothp.config $(KC)/nothp-project.config
	. devtools/ccache.sh; $(MAKE) -s -C $(WORK) O=$(CURDIR)/$(O)/x86_64-nothp ARCH=x86_64 \
		CC="$$devhold_cc" $(NOTHP_OBJS)

nothp-base:
	@mkdir -p $(RES)
	KUNIT_CMD=config devtools/kunit.sh "$(base_dir)" x86_64 $(O)/base-x86_64-nothp \
		$(RES)/base-nothp $(KC)/nothp.config
	if $(MAKE) -s -C "$(base_dir)" O=$(CURDIR)/$(O)/base-x86_64-nothp ARCH=x86_64 \
		drivers/gpu/drm/drm_pagemap.o >$(RES)/base-nothp.build 2>&1; then \
		echo "nothp-base: drm_pagemap.o builds on the base"; else \
		grep -m3 -E "error" $(RES)/base-nothp.build; \
		echo "nothp-base: drm_pagemap.o fails to build on the base (as expected)"; fi

# The drivers no KUnit tier configures, cross-built for arm64.
users: assemble
	devtools/users.sh $(WORK) $(O)/arm64

static: assemble
	devtools/static.sh $(WORK) $(O)

cocci-scan: assemble
	RULE=$(WORK)/scripts/coccinelle/api/devhold.cocci devtools/cocci.sh scan "$$(devtools/fetch-base.sh)"

# The base's KUnit results per tier; with x86_64, also the IGT peer suites
# booted on the base kernel (the same configuration as the series' VM kernel,
# the harness scripts from the work tree).
baseline: $(addprefix baseline-,$(BASE_TIERS))

baseline-uml baseline-x86_64 baseline-rust: baseline-%:
	@mkdir -p $(RES)
	KUNIT_FILTER="$(call isolate_not,$(ISOLATE_$*))" \
		devtools/kunit.sh "$(base_dir)" $* $(O)/base-$* $(RES)/base-$*-1 $(CONFIGS_$*) || true
	$(call isolated,"$(base_dir)",$*,$(O)/base-$*,$(RES)/base-$*-1,$(CONFIGS_$*))
	for i in $$(seq 2 $(BASE_RUNS)); do \
		KUNIT_CMD=exec KUNIT_FILTER="$(call isolate_not,$(ISOLATE_$*))" \
			devtools/kunit.sh "$(base_dir)" $* $(O)/base-$* $(RES)/base-$*-$$i \
			$(CONFIGS_$*) || true; \
		$(call isolated,"$(base_dir)",$*,$(O)/base-$*,$(RES)/base-$*-$$i,$(CONFIGS_$*)); done
	devtools/compare.py --make-baseline $* devtools/baseline/$*.txt \
		$$(for i in $$(seq 1 $(BASE_RUNS)); do echo $(RES)/base-$*-$$i.cases; done)
	python3 tools/testing/selftests/devhold/vm/kreport.py --kunit \
		--make-known devtools/baseline/$*.reports \
		$$(for i in $$(seq 1 $(BASE_RUNS)); do echo $(RES)/base-$*-$$i.test.log \
			$(foreach m,$(ISOLATE_$*),$(RES)/base-$*-$$i-isolated-$(m).test.log); done)
	if [ $* = x86_64 ]; then \
		$(MAKE) --no-print-directory assemble && \
		VM_KSRC="$(base_dir)" devtools/vm.sh $(WORK) $(O)/base-x86_64 $(RES)/base igt bugs; \
		devtools/igt-compare.py --make-baseline $(RES)/base/vm/igt.tap \
			devtools/baseline/igt.txt; \
		devtools/bugs-compare.py --make-baseline $(RES)/base/vm/bugs.tap \
			$(RES)/base/vm/bugs.console devtools/baseline/bugs.txt; fi

# The unload-bug cases alone on the base (devtools/baseline/bugs.txt): the
# base's x86_64 kernel, booted once per case (devhold_bugs.sh), so that a
# report is the evidence of its own case only.
BUGS_CASES := vgem vkms fbdev vivid vimc
baseline-bugs: assemble
	@mkdir -p $(RES)
	KUNIT_CMD=build devtools/kunit.sh "$(base_dir)" x86_64 $(O)/base-x86_64 \
		$(RES)/base-x86_64-build $(CONFIGS_x86_64) >/dev/null
	VM_KSRC="$(base_dir)" devtools/vm.sh $(WORK) $(O)/base-x86_64 $(RES)/base \
		$(addprefix bugs-,$(BUGS_CASES)); \
		devtools/bugs-compare.py --make-baseline \
			$(foreach c,$(BUGS_CASES),$(RES)/base/vm/bugs-$(c).tap \
				$(RES)/base/vm/bugs-$(c).console) devtools/baseline/bugs.txt

series: assemble
	devtools/series.sh $(WORK) out/series

bisect-check: assemble
	devtools/bisect-check.sh $(WORK) $(O)/bisect $(CONFIGS_uml) $(PROJECT_uml)

check: deps
	devtools/gate.sh "$(TIERS)"

clean:
	rm -rf $(O) out

bite: assemble
	@mkdir -p $(RES)
	devtools/bite.sh $(WORK) $(O)/bisect $(RES) $(CONFIGS_uml) $(PROJECT_uml) \
		-- $(CONFIGS_x86_64) $(PROJECT_x86_64)

# The devhold benchmark on a timing kernel (UML, SMP, two CPUs, no checker),
# then with CONFIG_DEBUG_DEVHOLD: one table per run, with the targets.
bench: assemble
	devtools/bench.sh $(WORK) $(O)/bench $(RES)

# DRM's own KUnit configuration (drivers/gpu/drm/tests/.kunitconfig, UML),
# as DRM's CI runs it: the series' DRM suites must run there, not skip.
drm-kunitconfig: assemble
	@mkdir -p $(RES)
	devtools/kunit.sh $(WORK) uml $(O)/drm-kunitconfig $(RES)/drm-kunitconfig \
		$(WORK)/drivers/gpu/drm/tests/.kunitconfig; echo "kunit.py exit status $$?"
	@for s in drm_devhold drm_gpuvm; do \
		echo "drm-kunitconfig: $$s: $$(grep -c "^PASS $$s\." $(RES)/drm-kunitconfig.cases) passed," \
		"$$(grep -c "^FAIL $$s\." $(RES)/drm-kunitconfig.cases) failed," \
		"$$(grep -c "^SKIP $$s\." $(RES)/drm-kunitconfig.cases) skipped"; done
	@awk '{n[$$1]++} END {for (k in n) printf "drm-kunitconfig: all suites: %s %d\n", k, n[k]}' \
		$(RES)/drm-kunitconfig.cases | sort
	@! grep -E "^(FAIL|ERROR) |^SKIP drm_(devhold|gpuvm)\." $(RES)/drm-kunitconfig.cases
	@grep -q "^PASS drm_devhold\." $(RES)/drm-kunitconfig.cases && \
		grep -q "^PASS drm_gpuvm\." $(RES)/drm-kunitconfig.cases

# The library's own lib/tests/.kunitconfig-devhold on UML, as a user of
# kunit.py runs it: every devhold case passes or skips, the log has no report.
lib-kunitconfig: assemble
	@mkdir -p $(RES)
	devtools/kunit.sh $(WORK) uml $(O)/lib-kunitconfig $(RES)/lib-kunitconfig \
		$(WORK)/lib/tests/.kunitconfig-devhold; echo "kunit.py exit status $$?"
	@echo "lib-kunitconfig: devhold: $$(grep -c '^PASS devhold\.' $(RES)/lib-kunitconfig.cases)" \
		"passed, $$(grep -c '^SKIP devhold\.' $(RES)/lib-kunitconfig.cases) skipped"
	@! grep -E "^(FAIL|ERROR) " $(RES)/lib-kunitconfig.cases
	@grep -q "^PASS devhold\." $(RES)/lib-kunitconfig.cases
	python3 tools/testing/selftests/devhold/vm/kreport.py --kunit $(RES)/lib-kunitconfig.test.log

# Deliberately broken variants of lib/devhold.c, drm_drv.c, drm_gpuvm.c,
# drm_pagemap.c, drm_connector.c, drm_writeback.c and drm_mode_config.c
# must fail their suites; those of rust/kernel/driver.rs and
# rust/kernel/drm/driver.rs the Rust driver's VM boot (make rust-vm).
mutants: assemble
	@mkdir -p $(RES)
	devtools/mutants.sh devhold $(WORK) $(O)/uml-lib $(RES) $(CONFIGS_uml-lib) $(PROJECT_uml-lib)
	devtools/mutants.sh devhold_list $(WORK) $(O)/uml-lib $(RES) $(CONFIGS_uml-lib) $(PROJECT_uml-lib)
	devtools/mutants.sh drm $(WORK) $(O)/uml $(RES) $(CONFIGS_uml) $(PROJECT_uml)
	devtools/mutants.sh drm_gpuvm $(WORK) $(O)/uml $(RES) $(CONFIGS_uml) $(PROJECT_uml)
	devtools/mutants.sh devhold_delay $(WORK) $(O)/x86_64 $(RES) $(CONFIGS_x86_64) $(PROJECT_x86_64)
	devtools/mutants.sh drm_pagemap $(WORK) $(O)/x86_64 $(RES) $(CONFIGS_x86_64) $(PROJECT_x86_64)
	devtools/mutants.sh drm_connector $(WORK) $(O)/x86_64 $(RES) $(CONFIGS_x86_64) $(PROJECT_x86_64)
	devtools/mutants.sh drm_writeback $(WORK) $(O)/x86_64 $(RES) $(CONFIGS_x86_64) $(PROJECT_x86_64)
	devtools/mutants.sh drm_writeback_teardown $(WORK) $(O)/x86_64 $(RES) $(CONFIGS_x86_64) $(PROJECT_x86_64)
	devtools/mutants.sh rust_driver $(WORK) $(O)/rust $(RES) $(CONFIGS_rust) $(PROJECT_rust)
	devtools/mutants.sh rust_drm $(WORK) $(O)/rust $(RES) $(CONFIGS_rust) $(PROJECT_rust)

# The reliability matrix (make matrix; not in the gate: three kernels of
# their own, about 45 min from scratch).  Each run is judged as the gate
# judges its tier: the library's suite on a uniprocessor UML kernel (Tiny
# SRCU) and on a PREEMPT_RT x86_64 kernel, and the VM unload boot on a KCSAN
# kernel.
matrix: matrix-nosmp matrix-rt matrix-kcsan
matrix-nosmp: assemble
	@mkdir -p $(RES)/matrix-nosmp
	grep -v '^CONFIG_SMP=' $(KC)/uml-lib.config >$(RES)/matrix-nosmp/uml-lib-nosmp.config
	KUNIT_EXTRA=devhold devtools/kunit.sh $(WORK) uml-lib $(O)/matrix-nosmp \
		$(RES)/matrix-nosmp/uml-lib $(RES)/matrix-nosmp/uml-lib-nosmp.config \
		$(PROJECT_uml-lib) $(KC)/matrix-nosmp.config; echo "kunit.py exit status $$?"
	DEVHOLD_BASELINE_DIR=$(CURDIR)/devtools/baseline/matrix-nosmp \
	devtools/judge.sh uml-lib $(WORK) $(O)/matrix-nosmp $(RES)/matrix-nosmp \
		$(RES)/matrix-nosmp/uml-lib-nosmp.config $(PROJECT_uml-lib) $(KC)/matrix-nosmp.config
matrix-rt: assemble
	@mkdir -p $(RES)/matrix-rt
	KUNIT_EXTRA=devhold devtools/kunit.sh $(WORK) x86_64-lib $(O)/matrix-rt \
		$(RES)/matrix-rt/x86_64-lib $(KC)/matrix-lib.config $(KC)/matrix-rt.config; \
		echo "kunit.py exit status $$?"
	devtools/judge.sh x86_64-lib $(WORK) $(O)/matrix-rt $(RES)/matrix-rt \
		$(KC)/matrix-lib.config $(KC)/matrix-rt.config
matrix-kcsan: assemble
	@mkdir -p $(RES)/matrix-kcsan
	KUNIT_CMD=build devtools/kunit.sh $(WORK) x86_64 $(O)/matrix-kcsan \
		$(RES)/matrix-kcsan/build $(KC)/matrix-lib.config $(KC)/vm.config \
		$(KC)/matrix-kcsan.config >/dev/null
	devtools/vm.sh $(WORK) $(O)/matrix-kcsan $(RES)/matrix-kcsan unload
