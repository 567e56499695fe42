// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "nouveau_glue.h"
#include "nouveau_glue_drm.h"
#include "../mirror/gpusvm_mirror.h"

/**
 * DOC: test_hmm ABI
 *
 * With ``mirror_compat=1`` the module registers with gpusvm_mirror, so the
 * kernel's unmodified hmm-tests run against this driver on
 * /dev/hmm_dmirror0 and 1. Each open file is a channel SVM of its own
 * over the whole address space, attached to the device's fault buffer
 * like any channel, with test_hmm's behaviour as attributes: system
 * memory preferred, atomics on system memory through device-exclusive
 * access (%DRM_NOUVEAU_GLUE_ATOMIC_GLOBAL), exactly what nouveau's SVM
 * does for atomics. The mirror touches memory through simgpu's MMU and
 * this driver's GP100 page tables; the mirror serves its device faults and
 * migrations with the same core calls as fault buffer entries and
 * SVM_BIND MIGRATE, under the SVMM lock.
 */

static struct gpusvm_mirror *nvg_mirror;

static const struct nvg_attr nvg_mirror_attr = {
	.target = DRM_NOUVEAU_GLUE_TARGET_HOST,
	.atomic = DRM_NOUVEAU_GLUE_ATOMIC_GLOBAL,
};

static void *nvg_mirror_vm_open(void *glue, unsigned int unit,
				struct mm_struct *mm)
{
	struct nvg_device *ndev = nvg_device_get(unit);

	if (!ndev)
		return ERR_PTR(-ENODEV);
	return nvg_svmm_create(ndev, mm, 0, TASK_SIZE & PAGE_MASK,
			       &nvg_mirror_attr);
}

static void nvg_mirror_vm_close(void *svmm)
{
	nvg_svmm_put(svmm);
}

static struct simgpu_as *nvg_mirror_vm_as(void *svmm)
{
	return &((struct nvg_svmm *)svmm)->as;
}

static struct drm_gpusvm *nvg_mirror_vm_gpusvm(void *svmm)
{
	return &((struct nvg_svmm *)svmm)->gpusvm;
}

static struct mutex *nvg_mirror_vm_lock(void *svmm)
{
	return &((struct nvg_svmm *)svmm)->lock;
}

static const struct gpusvm_mirror_ops nvg_mirror_ops = {
	.owner = THIS_MODULE,
	.vm_open = nvg_mirror_vm_open,
	.vm_close = nvg_mirror_vm_close,
	.vm_as = nvg_mirror_vm_as,
	.vm_gpusvm = nvg_mirror_vm_gpusvm,
	.vm_lock = nvg_mirror_vm_lock,
};

/**
 * nvg_mirror_init() - Register with gpusvm_mirror if asked to
 *
 * Return: 0, or the error of gpusvm_mirror_register().
 */
int nvg_mirror_init(void)
{
	struct gpusvm_mirror *mirror;

	if (!nvg_mirror_compat)
		return 0;
	mirror = gpusvm_mirror_register(&nvg_mirror_ops, NULL,
					min(2U, simgpu_count()));
	if (IS_ERR(mirror))
		return PTR_ERR(mirror);
	nvg_mirror = mirror;
	return 0;
}

/**
 * nvg_mirror_fini() - Unregister from gpusvm_mirror
 */
void nvg_mirror_fini(void)
{
	gpusvm_mirror_unregister(nvg_mirror);
	nvg_mirror = NULL;
}
