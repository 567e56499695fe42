// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * drm_gpusvm_test.ko: the KUnit suites of the core. Each suite registers
 * itself in its own file; this one carries the module's metadata once.
 */

#include <linux/module.h>

#include <kunit/visibility.h>

MODULE_DESCRIPTION("KUnit tests for the drm_gpusvm core");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
