# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
#   make          build every module with W=1 and the test tools
#   make lint     sparse (C=2), checkpatch --strict, kernel-doc -Wall
#   make check    build, lint, then KUnit suites and hmm-tests in the VM
#   make demo     the main job (see README)
#   make kernel   build the cached debug kernel only

KDIR ?= $(shell bash -c '. scripts/kenv && echo $$GPUSVM_KOBJ')
KSRC ?= $(shell bash -c '. scripts/kenv && echo $$GPUSVM_KSRC')
STAMP := $(shell bash -c '. scripts/kenv && echo $$GPUSVM_STAMP')

SOURCES = $(shell find drm_gpusvm drivers kunit -name '*.[ch]' ! -name '*.mod.c' 2>/dev/null | sort)
# The DRM (dim) flags. MACRO_ARG_REUSE is ignored as well: a for_each
# iterator must name its cursor in the init, test and step of its loop, as
# list_for_each_entry() does.
CHECKPATCH_FLAGS = -q --emacs --strict --show-types --no-tree \
	--max-line-length=100 \
	--ignore=BIT_MACRO,SPLIT_STRING,LONG_LINE_STRING,BOOL_MEMBER,FILE_PATH_CHANGES,MACRO_ARG_REUSE

.PHONY: all modules tools kernel lint sparse checkpatch kerneldoc check demo bench soak clean

all: modules tools

# User-space programs, static so they run in the busybox initramfs.
# The glues' uAPI tests, one per glue.
GLUE_TESTS = tools/xe-glue-test tools/amdgpu-glue-test tools/nouveau-glue-test
# The reliability suite (Documentation/reliability.rst): one table of the
# glues in tools/gpusvm-glue.h.
RELIAB_TOOLS = tools/gpusvm-stress tools/gpusvm-fuzz tools/gpusvm-oom \
	tools/gpusvm-inject
TOOLS = tools/gpusvm-selftest tools/gpusvm-demo tools/gpusvm-bench \
	$(GLUE_TESTS) $(RELIAB_TOOLS)
TOOL_CFLAGS = -static -O2 -Wall -Wextra -Werror
# The glue uAPI headers include <drm/drm.h>, which the host need not have
# (it comes with libdrm-dev): take it from the test kernel's headers_install,
# searched after the system headers so that only drm/ comes from there.
UAPI_CFLAGS = -idirafter $(KDIR)/usr/include

tools: $(TOOLS)

tools/gpusvm-selftest: tools/gpusvm-selftest.c tools/tap.h kunit/selftest/drm_gpusvm_selftest_uapi.h
	$(CC) $(TOOL_CFLAGS) -Ikunit/selftest -o $@ $<

DEMO_GLUES = xe-glue amdgpu-glue nouveau-glue
tools/gpusvm-demo: tools/gpusvm-demo.c tools/demo-amdgpu.h tools/demo-nouveau.h \
		drivers/xe-glue/xe_glue_drm.h drivers/amdgpu-glue/amdgpu_glue_drm.h \
		drivers/nouveau-glue/nouveau_glue_drm.h | $(STAMP)
	$(CC) $(TOOL_CFLAGS) $(DEMO_GLUES:%=-Idrivers/%) $(UAPI_CFLAGS) -o $@ $<

# tools/xe-glue-test.c tests drivers/xe-glue/xe_glue_drm.h, and so on.
.SECONDEXPANSION:
$(GLUE_TESTS): tools/%-test: tools/%-test.c tools/tap.h \
		$$(wildcard drivers/$$*/*_drm.h) | $(STAMP)
	$(CC) $(TOOL_CFLAGS) -pthread -Idrivers/$* $(UAPI_CFLAGS) -o $@ $<

tools/gpusvm-bench: tools/gpusvm-bench.c tools/tap.h drivers/mirror/test_hmm_uapi.h
	$(CC) $(TOOL_CFLAGS) -pthread -Idrivers/mirror -o $@ $<

ALL_GLUE_HEADERS = drivers/xe-glue/xe_glue_drm.h \
	drivers/nouveau-glue/nouveau_glue_drm.h \
	drivers/amdgpu-glue/amdgpu_glue_drm.h drivers/mirror/test_hmm_uapi.h
ALL_GLUE_CFLAGS = -Idrivers/xe-glue -Idrivers/nouveau-glue \
	-Idrivers/amdgpu-glue -Idrivers/mirror $(UAPI_CFLAGS)
$(RELIAB_TOOLS): %: %.c tools/tap.h tools/gpusvm-glue.h $(ALL_GLUE_HEADERS) | $(STAMP)
	$(CC) $(TOOL_CFLAGS) -pthread $(ALL_GLUE_CFLAGS) -o $@ $<

$(STAMP):
	scripts/build-kernel >/dev/null

kernel: $(STAMP)

modules: $(STAMP)
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

sparse: $(STAMP)
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 C=2 modules 2>&1 | tee .sparse.log
	@! grep -E '(warning|error):' .sparse.log

checkpatch: $(STAMP)
	$(KSRC)/scripts/checkpatch.pl $(CHECKPATCH_FLAGS) -f $(SOURCES)

kerneldoc: $(STAMP)
	@out=$$($(KSRC)/scripts/kernel-doc -none -Wall $(SOURCES) 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
	scripts/docs-check $(KSRC)

lint: sparse checkpatch kerneldoc

check:
	scripts/check

demo:
	scripts/demo

# Performance against test_hmm and memcpy (Documentation/bench.rst).
bench:
	scripts/bench

# The reliability suite, longer: scripts/soak, scripts/vm-soak.
soak:
	scripts/soak

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f .sparse.log $(TOOLS)
