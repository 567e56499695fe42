// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "amdgpu_glue.h"
#include "amdgpu_glue_drm.h"
#include "../mirror/gpusvm_mirror.h"

/**
 * DOC: test_hmm ABI
 *
 * With ``mirror_compat=1`` the module registers with gpusvm_mirror, so the
 * kernel's unmodified hmm-tests run on /dev/hmm_dmirror0 and 1 against
 * this driver. Each open file is a context with XNACK on (test_hmm's
 * device retries its faults) whose never-set pages prefer system memory
 * and whose atomics are served in system memory through device-exclusive
 * access, as test_hmm's are. The mirror serves its device faults and
 * explicit migrations with the core's calls under the context lock; they
 * reach this driver's page tables through its &drm_gpusvm_ops.bind.
 */

static struct gpusvm_mirror *amdgpu_glue_mirror;

static void *amdgpu_glue_mirror_vm_open(void *glue, unsigned int unit,
					struct mm_struct *mm)
{
	struct amdgpu_glue_device *adev = amdgpu_glue_device_get(unit);

	return adev ? amdgpu_glue_ctx_create(adev, mm, true, true) :
		      ERR_PTR(-ENODEV);
}

static void amdgpu_glue_mirror_vm_close(void *vm)
{
	amdgpu_glue_ctx_put(vm);
}

static struct simgpu_as *amdgpu_glue_mirror_vm_as(void *vm)
{
	return &((struct amdgpu_glue_ctx *)vm)->as;
}

static struct drm_gpusvm *amdgpu_glue_mirror_vm_gpusvm(void *vm)
{
	return &((struct amdgpu_glue_ctx *)vm)->gpusvm;
}

static struct mutex *amdgpu_glue_mirror_vm_lock(void *vm)
{
	return &((struct amdgpu_glue_ctx *)vm)->lock;
}

static const struct gpusvm_mirror_ops amdgpu_glue_mirror_ops = {
	.owner = THIS_MODULE,
	.vm_open = amdgpu_glue_mirror_vm_open,
	.vm_close = amdgpu_glue_mirror_vm_close,
	.vm_as = amdgpu_glue_mirror_vm_as,
	.vm_gpusvm = amdgpu_glue_mirror_vm_gpusvm,
	.vm_lock = amdgpu_glue_mirror_vm_lock,
};

/**
 * amdgpu_glue_mirror_init() - Register with gpusvm_mirror when asked to
 *
 * Return: 0, or the error of gpusvm_mirror_register().
 */
int amdgpu_glue_mirror_init(void)
{
	struct gpusvm_mirror *mirror;

	if (!amdgpu_glue_mirror_compat)
		return 0;
	mirror = gpusvm_mirror_register(&amdgpu_glue_mirror_ops, NULL,
					min(2U, amdgpu_glue_num_devices()));
	if (IS_ERR(mirror))
		return PTR_ERR(mirror);
	amdgpu_glue_mirror = mirror;
	return 0;
}

/**
 * amdgpu_glue_mirror_fini() - Unregister from gpusvm_mirror
 */
void amdgpu_glue_mirror_fini(void)
{
	gpusvm_mirror_unregister(amdgpu_glue_mirror);
	amdgpu_glue_mirror = NULL;
}
