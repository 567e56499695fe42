// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>

#include "amdgpu_glue.h"
#include "amdgpu_glue_drm.h"

/**
 * DOC: DRM device
 *
 * A render node per simgpu device, DRIVER_RENDER without GEM (every GPU
 * address is a process address), parented to simgpu's platform device
 * and found again through &drm_device.dev_private; the file operations
 * are DRM's plus mmap(), which maps user queues (queue.c). The devices
 * live from module load to unload: open files pin the module.
 */

bool amdgpu_glue_mirror_compat;
module_param_named(mirror_compat, amdgpu_glue_mirror_compat, bool, 0444);
MODULE_PARM_DESC(mirror_compat,
		 "Serve the test_hmm ABI (/dev/hmm_dmirrorN) through gpusvm_mirror (default false)");

bool amdgpu_glue_test_knobs;
module_param_named(test_knobs, amdgpu_glue_test_knobs, bool, 0444);
MODULE_PARM_DESC(test_knobs,
		 "Allow DRM_IOCTL_AMDGPU_GLUE_DEBUG, the test knobs (default false)");

/* Set up at module init, read-only after. */
static struct {
	unsigned int count;
	struct amdgpu_glue_device dev[];
} *amdgpu_glue_devs;

/**
 * amdgpu_glue_num_devices() - Devices of this driver
 *
 * Return: the number of render nodes, one per simgpu device.
 */
unsigned int amdgpu_glue_num_devices(void)
{
	return amdgpu_glue_devs->count;
}

/**
 * amdgpu_glue_device_get() - A device by simgpu index
 * @index: The index
 *
 * Return: the device, NULL for a bad index. Lives as long as the module.
 */
struct amdgpu_glue_device *amdgpu_glue_device_get(unsigned int index)
{
	return index < amdgpu_glue_devs->count ? &amdgpu_glue_devs->dev[index] :
						 NULL;
}

static int amdgpu_glue_open(struct drm_device *drm, struct drm_file *file)
{
	struct amdgpu_glue_file *afile = kzalloc(sizeof(*afile), GFP_KERNEL);

	if (!afile)
		return -ENOMEM;
	afile->adev = drm->dev_private;
	xa_init_flags(&afile->ctxs, XA_FLAGS_ALLOC1);
	xa_init_flags(&afile->mmaps, XA_FLAGS_ALLOC1);
	mutex_init(&afile->mmap_lock);
	file->driver_priv = afile;
	return 0;
}

/* The last close may come from any process, even one without an mm. */
static void amdgpu_glue_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct amdgpu_glue_file *afile = file->driver_priv;

	amdgpu_glue_file_ctxs_fini(afile);
	WARN_ON(!xa_empty(&afile->mmaps));
	mutex_destroy(&afile->mmap_lock);
	xa_destroy(&afile->mmaps);
	xa_destroy(&afile->ctxs);
	kfree(afile);
}

#define AMDGPU_GLUE_IOCTL(name__, fn__) \
	DRM_IOCTL_DEF_DRV(AMDGPU_GLUE_##name__, amdgpu_glue_##fn__##_ioctl, \
			  DRM_RENDER_ALLOW)

static const struct drm_ioctl_desc amdgpu_glue_ioctls[] = {
	AMDGPU_GLUE_IOCTL(CTX_CREATE, ctx_create),
	AMDGPU_GLUE_IOCTL(CTX_DESTROY, ctx_destroy),
	AMDGPU_GLUE_IOCTL(SET_XNACK, set_xnack),
	AMDGPU_GLUE_IOCTL(SVM, svm),
	AMDGPU_GLUE_IOCTL(EXEC, exec),
	AMDGPU_GLUE_IOCTL(WAIT, wait),
	AMDGPU_GLUE_IOCTL(QUEUE_CREATE, queue_create),
	AMDGPU_GLUE_IOCTL(QUEUE_DESTROY, queue_destroy),
	AMDGPU_GLUE_IOCTL(QUEUE_WAIT, queue_wait),
	AMDGPU_GLUE_IOCTL(CTX_STATS, ctx_stats),
	AMDGPU_GLUE_IOCTL(DEBUG, debug),
};

static const struct file_operations amdgpu_glue_fops = {
	.owner = THIS_MODULE,
	.open = drm_open,
	.release = drm_release,
	.unlocked_ioctl = drm_ioctl,
	.compat_ioctl = drm_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.mmap = amdgpu_glue_mmap,
	.llseek = noop_llseek,
	.fop_flags = FOP_UNSIGNED_OFFSET,
};

static const struct drm_driver amdgpu_glue_driver = {
	.driver_features = DRIVER_RENDER,
	.open = amdgpu_glue_open,
	.postclose = amdgpu_glue_postclose,
	.ioctls = amdgpu_glue_ioctls,
	.num_ioctls = ARRAY_SIZE(amdgpu_glue_ioctls),
	.fops = &amdgpu_glue_fops,
	.name = "amdgpu_glue",
	.desc = "KFD-style SVM driver on a simulated GPU",
	.major = 1,
	.minor = 0,
};

/* Unregister and free the first @n devices. */
static void amdgpu_glue_devs_free(unsigned int n)
{
	while (n--) {
		drm_dev_unregister(amdgpu_glue_devs->dev[n].drm);
		drm_dev_put(amdgpu_glue_devs->dev[n].drm);
	}
	kfree(amdgpu_glue_devs);
	amdgpu_glue_devs = NULL;
}

static int amdgpu_glue_devs_init(void)
{
	unsigned int i, n = simgpu_count();
	struct drm_device *drm;
	int err;

	if (!n)
		return -ENODEV;
	amdgpu_glue_devs = kzalloc(struct_size(amdgpu_glue_devs, dev, n),
				   GFP_KERNEL);
	if (!amdgpu_glue_devs)
		return -ENOMEM;
	amdgpu_glue_devs->count = n;
	for (i = 0; i < n; i++) {
		struct amdgpu_glue_device *adev = &amdgpu_glue_devs->dev[i];

		adev->sdev = simgpu_get(i);
		adev->index = i;
		drm = drm_dev_alloc(&amdgpu_glue_driver, simgpu_dma_dev(adev->sdev));
		err = PTR_ERR_OR_ZERO(drm);
		if (!err) {
			drm->dev_private = adev;
			err = drm_dev_register(drm, 0);
			if (err)
				drm_dev_put(drm);
		}
		if (err) {
			amdgpu_glue_devs_free(i);
			return err;
		}
		adev->drm = drm;
	}
	return 0;
}

static int __init amdgpu_glue_init(void)
{
	int err = amdgpu_glue_devs_init();

	if (err)
		return err;
	drm_gpusvm_fence_class_register(&amdgpu_glue_fence_class);
	err = amdgpu_glue_mirror_init();
	if (err) {
		drm_gpusvm_fence_class_unregister(&amdgpu_glue_fence_class);
		amdgpu_glue_devs_free(amdgpu_glue_devs->count);
	}
	return err;
}

static void __exit amdgpu_glue_exit(void)
{
	amdgpu_glue_mirror_fini();
	drm_gpusvm_fence_class_unregister(&amdgpu_glue_fence_class);
	amdgpu_glue_devs_free(amdgpu_glue_devs->count);
}

module_init(amdgpu_glue_init);
module_exit(amdgpu_glue_exit);

MODULE_DESCRIPTION("KFD-style DRM driver on simgpu, a drm_gpusvm user");
MODULE_LICENSE("Dual MIT/GPL");
