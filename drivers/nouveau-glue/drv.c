// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>

#include "nouveau_glue.h"
#include "nouveau_glue_drm.h"

/**
 * DOC: Devices
 *
 * One DRM device with a render node per simgpu device, without GEM (every
 * GPU address is a process address; see the xe glue's DOC: DRM device for
 * why DRM 6.12 allows that). Each device takes its simgpu's fault buffer
 * (``fault_entries`` entries, a power of two, default 256) with
 * nvg_fault_irq() as interrupt handler; loading fails with -EBUSY if
 * another driver owns one. The device, allocated with drm_dev_alloc()
 * because simgpu's platform devices have no driver to own devres, lives
 * until module unload; open files pin the module, so no channel is left
 * then.
 */

bool nvg_mirror_compat;
module_param_named(mirror_compat, nvg_mirror_compat, bool, 0444);
MODULE_PARM_DESC(mirror_compat,
		 "Serve the test_hmm ABI (/dev/hmm_dmirrorN) through gpusvm_mirror (default false)");

static unsigned int fault_entries = 256;
module_param(fault_entries, uint, 0444);
MODULE_PARM_DESC(fault_entries,
		 "Entries of each device's fault buffer, a power of two 4..65536 (default 256)");

/* Written at module init, read-only after. */
static struct nvg_device **nvg_devices;
static unsigned int nvg_num_devices;

/**
 * nvg_device_get() - The DRM device of a simgpu unit
 * @index: Unit
 *
 * Return: the device, or NULL for a bad index. Lives as long as the module.
 */
struct nvg_device *nvg_device_get(unsigned int index)
{
	return index < nvg_num_devices ? nvg_devices[index] : NULL;
}

static int nvg_open(struct drm_device *drm, struct drm_file *file)
{
	struct nvg_file *nfile = kzalloc(sizeof(*nfile), GFP_KERNEL);

	if (!nfile)
		return -ENOMEM;
	nfile->ndev = drm->dev_private;
	xa_init_flags(&nfile->chans, XA_FLAGS_ALLOC1);
	file->driver_priv = nfile;
	return 0;
}

/* The last close may come from any process, even one without an mm. */
static void nvg_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct nvg_file *nfile = file->driver_priv;

	nvg_file_channels_fini(nfile);
	xa_destroy(&nfile->chans);
	kfree(nfile);
}

static const struct drm_ioctl_desc nvg_ioctls[] = {
	DRM_IOCTL_DEF_DRV(NOUVEAU_GLUE_SVM_INIT, nvg_svm_init_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NOUVEAU_GLUE_CHANNEL_FREE, nvg_channel_free_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NOUVEAU_GLUE_SVM_BIND, nvg_svm_bind_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NOUVEAU_GLUE_EXEC, nvg_exec_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NOUVEAU_GLUE_WAIT, nvg_wait_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NOUVEAU_GLUE_SVM_STATS, nvg_svm_stats_ioctl,
			  DRM_RENDER_ALLOW),
};

/* The DRM file operations without mmap: there is no GEM object to map. */
static const struct file_operations nvg_fops = {
	.owner = THIS_MODULE,
	.open = drm_open,
	.release = drm_release,
	.unlocked_ioctl = drm_ioctl,
	.compat_ioctl = drm_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	.fop_flags = FOP_UNSIGNED_OFFSET,
};

static const struct drm_driver nvg_drm_driver = {
	.driver_features = DRIVER_RENDER,
	.open = nvg_open,
	.postclose = nvg_postclose,
	.ioctls = nvg_ioctls,
	.num_ioctls = ARRAY_SIZE(nvg_ioctls),
	.fops = &nvg_fops,
	.name = "nouveau_glue",
	.desc = "nouveau-style SVM driver on a simulated GPU",
	.major = 1,
	.minor = 0,
};

static void nvg_device_destroy(struct nvg_device *ndev)
{
	drm_dev_unregister(ndev->drm);
	/* Every channel is gone: nothing posts, so the worker stays idle */
	disable_work_sync(&ndev->fault_work);
	simgpu_faultbuf_disable(ndev->sdev);
	WARN_ON(!xa_empty(&ndev->instances));
	xa_destroy(&ndev->instances);
	drm_dev_put(ndev->drm);
	kfree(ndev);
}

static struct nvg_device *nvg_device_create(struct simgpu_device *sdev)
{
	struct nvg_device *ndev;
	struct drm_device *drm;
	int err;

	ndev = kzalloc(sizeof(*ndev), GFP_KERNEL);
	if (!ndev)
		return ERR_PTR(-ENOMEM);
	ndev->sdev = sdev;
	xa_init_flags(&ndev->instances, XA_FLAGS_ALLOC1);
	INIT_WORK(&ndev->fault_work, nvg_fault_work);
	err = simgpu_faultbuf_enable(sdev, fault_entries, nvg_fault_irq, ndev);
	if (err)
		goto err_free;

	drm = drm_dev_alloc(&nvg_drm_driver, simgpu_dma_dev(sdev));
	if (IS_ERR(drm)) {
		err = PTR_ERR(drm);
		goto err_faultbuf;
	}
	drm->dev_private = ndev;
	ndev->drm = drm;
	err = drm_dev_register(drm, 0);
	if (err)
		goto err_put;
	return ndev;

err_put:
	drm_dev_put(drm);
err_faultbuf:
	simgpu_faultbuf_disable(sdev);
err_free:
	kfree(ndev);
	return ERR_PTR(err);
}

static void nvg_destroy_all(void)
{
	while (nvg_num_devices)
		nvg_device_destroy(nvg_devices[--nvg_num_devices]);
	kfree(nvg_devices);
	nvg_devices = NULL;
}

static int __init nvg_init(void)
{
	unsigned int i, n = simgpu_count();
	struct nvg_device *ndev;
	int err;

	if (!n)
		return -ENODEV;
	if (!is_power_of_2(fault_entries))
		return -EINVAL;
	nvg_devices = kcalloc(n, sizeof(*nvg_devices), GFP_KERNEL);
	if (!nvg_devices)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ndev = nvg_device_create(simgpu_get(i));
		if (IS_ERR(ndev)) {
			err = PTR_ERR(ndev);
			goto err_destroy;
		}
		nvg_devices[nvg_num_devices++] = ndev;
	}
	err = nvg_mirror_init();
	if (err)
		goto err_destroy;
	return 0;

err_destroy:
	nvg_destroy_all();
	return err;
}

static void __exit nvg_exit(void)
{
	nvg_mirror_fini();
	nvg_destroy_all();
}

module_init(nvg_init);
module_exit(nvg_exit);

MODULE_DESCRIPTION("nouveau-style DRM driver on simgpu, a drm_gpusvm user");
MODULE_LICENSE("Dual MIT/GPL");
