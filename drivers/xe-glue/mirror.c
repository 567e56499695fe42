// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "xe_glue.h"
#include "xe_glue_drm.h"
#include "../mirror/gpusvm_mirror.h"

/**
 * DOC: test_hmm ABI
 *
 * With ``mirror_compat=1`` the module registers with gpusvm_mirror, which
 * exposes /dev/hmm_dmirror0 (and 1 with two simgpu devices) with the
 * kernel's test_hmm ABI, so the unmodified hmm-tests run on this driver.
 * Each open file gets a VM of its own on the unit's device, with the
 * attributes test_hmm's device has everywhere: system memory preferred,
 * atomics served from system memory through device-exclusive access. The
 * mirror serves device faults and explicit migrations with the core's
 * calls under the VM lock (&gpusvm_mirror_ops.vm_lock); device accesses go
 * through simgpu's MMU and this driver's page tables, as a job's would.
 */

static struct gpusvm_mirror *xe_glue_mirror;

static void *xe_glue_mirror_vm_open(void *glue, unsigned int unit,
				    struct mm_struct *mm)
{
	static const struct xe_glue_attr dflt = {
		.preferred = DRM_XE_GLUE_LOC_SYSTEM,
		.atomic = DRM_XE_GLUE_ATOMIC_GLOBAL,
	};
	struct xe_glue_device *xdev = xe_glue_device_get(unit);

	if (!xdev)
		return ERR_PTR(-ENODEV);
	return xe_glue_vm_create(xdev, mm, &dflt);
}

static void xe_glue_mirror_vm_close(void *vm)
{
	xe_glue_vm_put(vm);
}

static struct simgpu_as *xe_glue_mirror_vm_as(void *vm)
{
	return &((struct xe_glue_vm *)vm)->as;
}

static struct drm_gpusvm *xe_glue_mirror_vm_gpusvm(void *vm)
{
	return &((struct xe_glue_vm *)vm)->gpusvm;
}

static struct mutex *xe_glue_mirror_vm_lock(void *vm)
{
	return &((struct xe_glue_vm *)vm)->lock;
}

static const struct gpusvm_mirror_ops xe_glue_mirror_ops = {
	.owner = THIS_MODULE,
	.vm_open = xe_glue_mirror_vm_open,
	.vm_close = xe_glue_mirror_vm_close,
	.vm_as = xe_glue_mirror_vm_as,
	.vm_gpusvm = xe_glue_mirror_vm_gpusvm,
	.vm_lock = xe_glue_mirror_vm_lock,
};

/**
 * xe_glue_mirror_init() - Register with gpusvm_mirror if asked to
 *
 * Return: 0, or the error of gpusvm_mirror_register().
 */
int xe_glue_mirror_init(void)
{
	struct gpusvm_mirror *mirror;

	if (!xe_glue_mirror_compat)
		return 0;
	mirror = gpusvm_mirror_register(&xe_glue_mirror_ops, NULL,
					min(2U, simgpu_count()));
	if (IS_ERR(mirror))
		return PTR_ERR(mirror);
	xe_glue_mirror = mirror;
	return 0;
}

/**
 * xe_glue_mirror_fini() - Unregister from gpusvm_mirror
 */
void xe_glue_mirror_fini(void)
{
	gpusvm_mirror_unregister(xe_glue_mirror);
	xe_glue_mirror = NULL;
}
