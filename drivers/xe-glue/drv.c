// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>

#include "xe_glue.h"
#include "xe_glue_drm.h"

/**
 * DOC: DRM device
 *
 * One DRM device per simgpu device, parented to simgpu's platform device,
 * with DRIVER_RENDER only: a primary node (cardN) and a render node
 * (renderD128 and up) whose ioctls are all DRM_RENDER_ALLOW. There is no
 * GEM: nothing is allocated through buffer objects, every GPU address is a
 * process address. DRM 6.12 allows that: drm_dev_init(), drm_file_alloc()
 * and drm_file_free() call into GEM only for DRIVER_GEM, and the GEM and
 * PRIME ioctls return -EOPNOTSUPP without it. The file operations are the
 * standard DRM ones minus mmap, which only GEM would serve.
 *
 * simgpu's platform devices have no driver of their own, so nothing would
 * release devres resources when this module goes: the device is made with
 * drm_dev_alloc() and put at unload, and it finds its &xe_glue_device
 * through &drm_device.dev_private (the embedding devm_drm_dev_alloc() would
 * give ties it to the parent's devres).
 *
 * Debugfs: ``dri/N/xe_glue_vms`` lists the VMs of a device with their
 * counters; each VM's gpusvm has the core's ``drm_gpusvm/<vm name>-<n>/``.
 */

bool xe_glue_mirror_compat;
module_param_named(mirror_compat, xe_glue_mirror_compat, bool, 0444);
MODULE_PARM_DESC(mirror_compat,
		 "Serve the test_hmm ABI (/dev/hmm_dmirrorN) through gpusvm_mirror (default false)");

/* Written at module init only, read after. */
static struct xe_glue_device **xe_glue_devices;
static unsigned int xe_glue_num_devices;

/**
 * xe_glue_device_get() - The DRM device of a simgpu unit
 * @index: Unit
 *
 * Return: the device, or NULL for a bad index. Lives as long as the module.
 */
struct xe_glue_device *xe_glue_device_get(unsigned int index)
{
	return index < xe_glue_num_devices ? xe_glue_devices[index] : NULL;
}

static int xe_glue_open(struct drm_device *drm, struct drm_file *file)
{
	struct xe_glue_file *xfile;

	xfile = kzalloc(sizeof(*xfile), GFP_KERNEL);
	if (!xfile)
		return -ENOMEM;
	xfile->xdev = drm->dev_private;
	xa_init_flags(&xfile->vms, XA_FLAGS_ALLOC1);
	xa_init_flags(&xfile->jobs, XA_FLAGS_ALLOC1);
	file->driver_priv = xfile;
	return 0;
}

/* Any process may close the last reference: it may not even have an mm. */
static void xe_glue_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct xe_glue_file *xfile = file->driver_priv;

	xe_glue_file_vms_fini(xfile);
	xa_destroy(&xfile->jobs);
	xa_destroy(&xfile->vms);
	kfree(xfile);
}

static const struct drm_ioctl_desc xe_glue_ioctls[] = {
	DRM_IOCTL_DEF_DRV(XE_GLUE_VM_CREATE, xe_glue_vm_create_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_GLUE_VM_DESTROY, xe_glue_vm_destroy_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_GLUE_MADVISE, xe_glue_madvise_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_GLUE_PREFETCH, xe_glue_prefetch_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_GLUE_EXEC, xe_glue_exec_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_GLUE_WAIT, xe_glue_wait_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_GLUE_VM_STATS, xe_glue_vm_stats_ioctl,
			  DRM_RENDER_ALLOW),
};

static const struct file_operations xe_glue_fops = {
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

static const struct drm_driver xe_glue_drm_driver = {
	.driver_features = DRIVER_RENDER,
	.open = xe_glue_open,
	.postclose = xe_glue_postclose,
	.ioctls = xe_glue_ioctls,
	.num_ioctls = ARRAY_SIZE(xe_glue_ioctls),
	.fops = &xe_glue_fops,
	.name = "xe_glue",
	.desc = "xe-style SVM driver on a simulated GPU",
	.major = 1,
	.minor = 0,
};

/* debugfs xe_glue_vms: the VM count, then one line per VM. */
static int xe_glue_vms_show(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct xe_glue_device *xdev = entry->file.data;
	struct xe_glue_vm *vm;

	mutex_lock(&xdev->vms_lock);
	seq_printf(m, "vms %u\n", xdev->num_vms);
	list_for_each_entry(vm, &xdev->vms, link)
		seq_printf(m, "%s faults %lld pages_mapped %lld to_vram %lld invalidations %lld jobs %lld failed %lld pt_pages %lld entries_4k %lld entries_64k %lld entries_2m %lld\n",
			   vm->name, (long long)atomic64_read(&vm->stats.faults),
			   (long long)atomic64_read(&vm->stats.pages_mapped),
			   (long long)atomic64_read(&vm->gpusvm.stats.pages_to_devmem),
			   (long long)atomic64_read(&vm->stats.invalidations),
			   (long long)atomic64_read(&vm->stats.jobs),
			   (long long)atomic64_read(&vm->stats.jobs_failed),
			   (long long)atomic64_read(&vm->stats.pt_pages),
			   (long long)atomic64_read(&vm->stats.entries[0]),
			   (long long)atomic64_read(&vm->stats.entries[1]),
			   (long long)atomic64_read(&vm->stats.entries[2]));
	mutex_unlock(&xdev->vms_lock);
	return 0;
}

static struct xe_glue_device *xe_glue_device_create(struct simgpu_device *sdev)
{
	struct xe_glue_device *xdev;
	struct drm_device *drm;
	int err;

	xdev = kzalloc(sizeof(*xdev), GFP_KERNEL);
	if (!xdev)
		return ERR_PTR(-ENOMEM);
	xdev->sdev = sdev;
	mutex_init(&xdev->vms_lock);
	INIT_LIST_HEAD(&xdev->vms);

	drm = drm_dev_alloc(&xe_glue_drm_driver, simgpu_dma_dev(sdev));
	if (IS_ERR(drm)) {
		err = PTR_ERR(drm);
		goto err_free;
	}
	drm->dev_private = xdev;
	xdev->drm = drm;
	err = drm_dev_register(drm, 0);
	if (err)
		goto err_put;
	drm_debugfs_add_file(drm, "xe_glue_vms", xe_glue_vms_show, xdev);
	return xdev;

err_put:
	drm_dev_put(drm);
err_free:
	mutex_destroy(&xdev->vms_lock);
	kfree(xdev);
	return ERR_PTR(err);
}

/* Open files pin the module, so no VM is left when this runs. */
static void xe_glue_device_destroy(struct xe_glue_device *xdev)
{
	drm_dev_unregister(xdev->drm);
	WARN_ON(!list_empty(&xdev->vms));
	drm_dev_put(xdev->drm);
	mutex_destroy(&xdev->vms_lock);
	kfree(xdev);
}

static void xe_glue_destroy_all(void)
{
	while (xe_glue_num_devices)
		xe_glue_device_destroy(xe_glue_devices[--xe_glue_num_devices]);
	kfree(xe_glue_devices);
	xe_glue_devices = NULL;
}

static int __init xe_glue_init(void)
{
	unsigned int i, n = simgpu_count();
	struct xe_glue_device *xdev;
	int err;

	if (!n)
		return -ENODEV;
	xe_glue_devices = kcalloc(n, sizeof(*xe_glue_devices), GFP_KERNEL);
	if (!xe_glue_devices)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		xdev = xe_glue_device_create(simgpu_get(i));
		if (IS_ERR(xdev)) {
			err = PTR_ERR(xdev);
			goto err_destroy;
		}
		xe_glue_devices[xe_glue_num_devices++] = xdev;
	}
	err = xe_glue_mirror_init();
	if (err)
		goto err_destroy;
	return 0;

err_destroy:
	xe_glue_destroy_all();
	return err;
}

static void __exit xe_glue_exit(void)
{
	xe_glue_mirror_fini();
	xe_glue_destroy_all();
}

module_init(xe_glue_init);
module_exit(xe_glue_exit);

MODULE_DESCRIPTION("xe-style DRM driver on simgpu, a drm_gpusvm user");
MODULE_LICENSE("Dual MIT/GPL");
