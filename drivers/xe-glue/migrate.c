// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/drm_pagemap.h>

#include "xe_glue.h"
#include "xe_glue_drm.h"

/**
 * DOC: Migration and prefetch
 *
 * The glue decides no placement: faults and prefetches go through the
 * core's fault service, where policy.c decides whether a range moves to
 * VRAM and the eviction policy whether older data makes room for it
 * (drm_gpusvm_range_migrate_policy()). Everything is best effort (R3).
 *
 * DRM_IOCTL_XE_GLUE_PREFETCH is drm_gpusvm_prefetch_span(): every range of
 * the span is served like a GPU read fault preferring the requested
 * location, faulting in only the requested part (R16); a prefetch to
 * system memory first moves this device's VRAM pages of the span home. A
 * span with an unmapped or unreadable page fails with -EFAULT before
 * anything is done.
 */

/**
 * xe_glue_prefetch_ioctl() - DRM_IOCTL_XE_GLUE_PREFETCH
 * @drm: The DRM device
 * @data: &struct drm_xe_glue_prefetch
 * @file: The file
 *
 * Return: 0; -EINVAL for a bad location or span; -ENOENT for an unknown
 * VM; -EACCES from another process than the VM's; -EFAULT when part of
 * the span is not mapped readable; -EINTR; or a fault-service error.
 */
int xe_glue_prefetch_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	struct drm_xe_glue_prefetch *args = data;
	enum drm_gpusvm_location loc;
	struct xe_glue_vm *vm;
	int err;

	if (args->location != DRM_XE_GLUE_LOC_SYSTEM &&
	    args->location != DRM_XE_GLUE_LOC_DEVICE)
		return -EINVAL;
	loc = xe_glue_loc(args->location);
	err = xe_glue_check_span(args->start, args->range, true);
	if (err)
		return err;
	vm = xe_glue_vm_lookup(file->driver_priv, args->vm_id, true, &err);
	if (!vm)
		return err;

	mutex_lock(&vm->lock);
	err = drm_gpusvm_prefetch_span(&vm->gpusvm, args->start,
				       args->start + args->range, loc,
				       simgpu_pagemap(vm->xdev->sdev));
	mutex_unlock(&vm->lock);
	xe_glue_vm_put(vm);
	return err;
}
