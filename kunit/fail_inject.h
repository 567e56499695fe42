/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * Fault injection for the KUnit suites: fail the N-th allocation or DMA
 * map the core makes from the test thread, through drm_gpusvm_fail_alloc.
 */

#ifndef __DRM_GPUSVM_KUNIT_FAIL_INJECT_H__
#define __DRM_GPUSVM_KUNIT_FAIL_INJECT_H__

#include <linux/types.h>

struct kunit;

void drm_gpusvm_kunit_fail_init(struct kunit *test);
void drm_gpusvm_kunit_fail_nth(unsigned int nth);
bool drm_gpusvm_kunit_fail_fired(void);

#endif /* __DRM_GPUSVM_KUNIT_FAIL_INJECT_H__ */
