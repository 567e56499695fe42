/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * gpusvm_mirror: the kernel's lib/test_hmm_uapi.h ABI (/dev/hmm_dmirrorN)
 * on top of any glue driver, so the kernel's unmodified hmm-tests run
 * against drm_gpusvm. The glue supplies a VM per open file through these
 * ops; device accesses go through simgpu's MMU, snapshots and evictions
 * through the core.
 */

#ifndef __GPUSVM_MIRROR_H__
#define __GPUSVM_MIRROR_H__

#include <linux/types.h>

#include "../simgpu/simgpu.h"

struct drm_gpusvm;
struct gpusvm_mirror;
struct module;
struct mm_struct;
struct mutex;

/**
 * struct gpusvm_mirror_ops - What a glue driver provides to the mirror
 *
 * A "vm" is the glue's own object, opaque here. The mirror serialises its
 * calls per vm (one mutex per open file), takes no glue lock itself and
 * never holds mmap_lock across a call except where noted.
 */
struct gpusvm_mirror_ops {
	/** @owner: Module of the glue, pinned while a file is open */
	struct module *owner;

	/**
	 * @vm_open: A VM of simgpu device @unit mirroring @mm in fault mode,
	 * with every span preferring system memory and atomics served from
	 * system memory through device-exclusive access (as test_hmm does).
	 * Return the vm or an ERR_PTR.
	 */
	void *(*vm_open)(void *glue, unsigned int unit, struct mm_struct *mm);

	/** @vm_close: Tear the VM down; nothing of it may reach memory after */
	void (*vm_close)(void *vm);

	/** @vm_as: The VM's simgpu address space */
	struct simgpu_as *(*vm_as)(void *vm);

	/** @vm_gpusvm: The VM's gpusvm */
	struct drm_gpusvm *(*vm_gpusvm)(void *vm);

	/**
	 * @vm_lock: The VM lock the glue registered with
	 * drm_gpusvm_driver_set_lock(). The mirror serves device faults
	 * (drm_gpusvm_fault_service(), system memory preferred, atomics
	 * through device-exclusive access, as test_hmm does) and explicit
	 * migrations (drm_gpusvm_migrate_span()) itself, holding it; the
	 * glue's &drm_gpusvm_ops.bind maps the pages.
	 */
	struct mutex *(*vm_lock)(void *vm);
};

struct gpusvm_mirror *gpusvm_mirror_register(const struct gpusvm_mirror_ops *ops,
					     void *glue, unsigned int nunits);
void gpusvm_mirror_unregister(struct gpusvm_mirror *mirror);

#endif /* __GPUSVM_MIRROR_H__ */
