// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>

#include "nouveau_glue.h"
#include "nouveau_glue_drm.h"

/**
 * DOC: SVM_BIND
 *
 * nouveau's NOUVEAU_SVM_BIND has one command, MIGRATE, whose target is
 * VRAM or (target 0) system memory. nouveau_glue keeps it and adds ATTR,
 * which gives a span the attributes the fault handler passes to the core:
 * the preferred location and the atomic mode.
 *
 * Attributes live in a maple tree per channel (&nvg_svmm.attrs), keyed by
 * address with inclusive ends; each span's value is the pair packed into
 * an xa_mk_value(). Storing a span over older ones overwrites exactly the
 * overlap: the maple tree splits and trims the old spans itself, so
 * attributes survive munmap, partial unmaps and the core's range garbage
 * collection, as they describe the address space rather than its memory.
 * Addresses never set have the channel's defaults (policy.c decides the
 * location; atomics on VRAM if the data is there, else device-exclusive).
 *
 * MIGRATE to VRAM is the core's prefetch (drm_gpusvm_prefetch_span() with
 * the device preferred: faults the span in, -EFAULT if part of it is not
 * mapped readable, migration when policy.c agrees); MIGRATE to HOST is
 * drm_gpusvm_migrate_span_to_ram(). The migrations copy through the
 * device's copy engine behind simgpu's pagemap.
 */

#define NVG_ATTR_ATOMIC_SHIFT	8

/**
 * nvg_target_loc() - The core's location for a DRM_NOUVEAU_GLUE_TARGET_*
 * @target: The target
 *
 * Return: the &enum drm_gpusvm_location; DEFAULT for anything else.
 */
enum drm_gpusvm_location nvg_target_loc(u32 target)
{
	switch (target) {
	case DRM_NOUVEAU_GLUE_TARGET_HOST:
		return DRM_GPUSVM_LOC_SYSTEM;
	case DRM_NOUVEAU_GLUE_TARGET_VRAM:
		return DRM_GPUSVM_LOC_DEVICE;
	default:
		return DRM_GPUSVM_LOC_DEFAULT;
	}
}

/**
 * nvg_atomic_mode() - The core's atomic mode for a DRM_NOUVEAU_GLUE_ATOMIC_*
 * @atomic: The mode
 *
 * Return: the &enum drm_gpusvm_atomic_mode; DEFAULT for anything else.
 */
enum drm_gpusvm_atomic_mode nvg_atomic_mode(u32 atomic)
{
	switch (atomic) {
	case DRM_NOUVEAU_GLUE_ATOMIC_DEVICE:
		return DRM_GPUSVM_ATOMIC_DEVICE;
	case DRM_NOUVEAU_GLUE_ATOMIC_GLOBAL:
		return DRM_GPUSVM_ATOMIC_GLOBAL;
	default:
		return DRM_GPUSVM_ATOMIC_DEFAULT;
	}
}

/**
 * nvg_attr_get() - Attributes of an address
 * @svmm: The channel's SVM
 * @addr: The address
 *
 * Context: Any process context; the maple tree is read under RCU.
 *
 * Return: the attributes of the span containing @addr, or the defaults.
 */
struct nvg_attr nvg_attr_get(struct nvg_svmm *svmm, unsigned long addr)
{
	void *v = mtree_load(&svmm->attrs, addr);
	unsigned long packed;

	if (!v)
		return svmm->dflt;
	packed = xa_to_value(v);
	return (struct nvg_attr) {
		.target = packed & ((1UL << NVG_ATTR_ATOMIC_SHIFT) - 1),
		.atomic = packed >> NVG_ATTR_ATOMIC_SHIFT,
	};
}

/* Store the attributes of [start, end); the tree trims what it covers. */
static int nvg_attr_set(struct nvg_svmm *svmm, unsigned long start,
			unsigned long end, u32 target, u32 atomic)
{
	unsigned long packed = target | (atomic << NVG_ATTR_ATOMIC_SHIFT);

	return mtree_store_range(&svmm->attrs, start, end - 1,
				 xa_mk_value(packed), GFP_KERNEL);
}

/* Check the arguments against the command; the span against the window. */
static int nvg_bind_check(const struct drm_nouveau_glue_svm_bind *args,
			  const struct nvg_svmm *svmm)
{
	if (!PAGE_ALIGNED(args->va_start) || !PAGE_ALIGNED(args->va_end) ||
	    args->va_start >= args->va_end)
		return -EINVAL;
	if (args->va_start < svmm->va_start || args->va_end > svmm->va_end)
		return -EINVAL;
	switch (args->command) {
	case DRM_NOUVEAU_GLUE_BIND_ATTR:
		return args->target > DRM_NOUVEAU_GLUE_TARGET_VRAM ||
		       args->atomic > DRM_NOUVEAU_GLUE_ATOMIC_GLOBAL ?
		       -EINVAL : 0;
	case DRM_NOUVEAU_GLUE_BIND_MIGRATE:
		return (args->target != DRM_NOUVEAU_GLUE_TARGET_HOST &&
			args->target != DRM_NOUVEAU_GLUE_TARGET_VRAM) ||
		       args->atomic ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/* MIGRATE: move the span; returns pages moved or -errno. VM lock held. */
static long nvg_bind_migrate(struct nvg_svmm *svmm,
			     const struct drm_nouveau_glue_svm_bind *args)
{
	struct drm_pagemap *dpagemap = simgpu_pagemap(svmm->ndev->sdev);
	u64 before = atomic64_read(&svmm->gpusvm.stats.pages_to_devmem);
	int err;

	if (args->target == DRM_NOUVEAU_GLUE_TARGET_HOST)
		return drm_gpusvm_migrate_span_to_ram(&svmm->gpusvm,
						      args->va_start,
						      args->va_end, dpagemap);
	err = drm_gpusvm_prefetch_span(&svmm->gpusvm, args->va_start,
				       args->va_end, DRM_GPUSVM_LOC_DEVICE,
				       dpagemap);
	if (err)
		return err;
	/* The VM lock keeps other faults of this channel out meanwhile */
	return atomic64_read(&svmm->gpusvm.stats.pages_to_devmem) - before;
}

/**
 * nvg_svm_bind_ioctl() - DRM_IOCTL_NOUVEAU_GLUE_SVM_BIND
 * @drm: The DRM device
 * @data: &struct drm_nouveau_glue_svm_bind
 * @file: The file
 *
 * Return: 0; -EINVAL for a bad command, target, mode or span; -ENOENT for
 * an unknown channel; -EACCES from another process than the channel's;
 * -EFAULT when MIGRATE meets unmapped memory; -ENOMEM; -EINTR; or a fault
 * service error.
 */
int nvg_svm_bind_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct drm_nouveau_glue_svm_bind *args = data;
	struct nvg_svmm *svmm;
	long ret;
	int err;

	svmm = nvg_svmm_lookup(file->driver_priv, args->channel, true, &err);
	if (!svmm)
		return err;
	err = nvg_bind_check(args, svmm);
	if (err)
		goto out_put;

	mutex_lock(&svmm->lock);
	if (args->command == DRM_NOUVEAU_GLUE_BIND_ATTR) {
		err = nvg_attr_set(svmm, args->va_start, args->va_end,
				   args->target, args->atomic);
		args->result = 0;
	} else {
		ret = nvg_bind_migrate(svmm, args);
		err = ret < 0 ? ret : 0;
		args->result = ret < 0 ? 0 : ret;
	}
	mutex_unlock(&svmm->lock);
out_put:
	nvg_svmm_put(svmm);
	return err;
}
