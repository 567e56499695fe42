// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/fs.h>
#include <linux/hmm.h>
#include <linux/hugetlb.h>
#include <linux/memremap.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>

#include "gpusvm_mirror.h"
#include "test_hmm_uapi.h"

/**
 * DOC: Overview
 *
 * The kernel's hmm-tests (tools/testing/selftests/mm/hmm-tests.c) drive
 * lib/test_hmm.c, a fake device with a page table in an xarray, through
 * /dev/hmm_dmirrorN and the ioctls of lib/test_hmm_uapi.h. This module
 * serves the same ABI on top of any glue driver, so the unmodified tests
 * exercise drm_gpusvm, a glue's fault handler and simgpu's MMU instead.
 *
 * A glue registers its ops (&struct gpusvm_mirror_ops) and a number of
 * units; unit N is /dev/hmm_dmirrorN. Each open is one glue VM in fault
 * mode mirroring the opener's mm. The commands map to the stack as
 * follows:
 *
 * - READ, WRITE: the device touches each page only through simgpu's MMU
 *   (simgpu_as_access() into or out of a bounce buffer). A missing or
 *   too weak translation is a device fault: the core's fault service
 *   serves it for the rest of the span, under the glue's VM lock, as the
 *   glue's GPU fault handler would, and the access is replayed; ``faults`` counts them, so a fresh
 *   span costs exactly one fault, as in test_hmm.
 * - MIGRATE_TO_DEV: every page must lie in a readable VMA (else -EINVAL);
 *   drm_gpusvm_migrate_span() moves the span to the unit's VRAM and binds
 *   what is present. The data is then read
 *   back through the MMU without faulting; a page without a translation
 *   (nothing could be migrated or mapped, or it is another device's
 *   memory) ends the command with -ENOENT, like test_hmm's read of its
 *   page table.
 * - MIGRATE_TO_SYS: drm_gpusvm_migrate_span_to_ram() moves this unit's
 *   device pages of the span home, 2 MiB at a time, each chunk in one copy
 *   as test_hmm's migrate_vma does; ``cpages`` counts the pages moved.
 * - SNAPSHOT: drm_gpusvm_snapshot() (hmm_range_fault() without faulting,
 *   with the VM's device-private owner) turned into HMM_DMIRROR_PROT_*
 *   bytes exactly as test_hmm's dmirror_mkentry() does.
 * - EXCLUSIVE: one atomic fault over the span (the glue serves atomics on
 *   system memory through the core's device-exclusive access), then the
 *   read-back, which also requires every translation to allow atomics.
 * - CHECK_EXCLUSIVE: -EPERM if any page still has an atomic translation
 *   to system memory, read from the page tables with
 *   simgpu_as_translate(): CPU accesses must have revoked them.
 * - RELEASE: drm_pagemap_evict() of all of the unit's VRAM, as test_hmm
 *   evicts all of its device's chunks.
 * - mmap of the device file inserts freshly zeroed pages, as test_hmm
 *   does (test ``mixedmap``).
 */

/**
 * DOC: Locking
 *
 * &gpusvm_mirror_file.lock serialises the commands of one open file, as
 * test_hmm's per-file mutex does. Unlike that one it is never taken by an
 * invalidation, an eviction or a CPU fault: those reach the VM through
 * the glue's and the core's locks only. So it ranks above everything the
 * glue and the core take (the glue's VM lock, &drm_gpusvm.lock,
 * mmap_lock), and user copies may fault while it is held, even on a user
 * buffer that lives in this VM's VRAM. No glue or core lock is held
 * across a user copy: the ops return before the mirror touches user
 * memory, and simgpu_as_access() works on a kernel bounce buffer.
 *
 * Lifetimes: an open file pins the glue module (&gpusvm_mirror_ops.owner),
 * and misc_open() runs under the misc lock that misc_deregister() takes,
 * so gpusvm_mirror_unregister(), called from the glue's module exit, never
 * races an open file.
 */

/**
 * DOC: Deviations from test_hmm
 *
 * - Commands work in chunks of %MIRROR_CHUNK_PAGES pages, so a huge
 *   ``npages`` costs no huge allocation; a READ that fails part way may
 *   have copied its first chunks to ``ptr`` already (test_hmm copies
 *   nothing on failure), and a WRITE reads ``ptr`` chunk by chunk.
 * - Input checks are stricter: ``npages`` 0, a span that wraps or ends
 *   beyond the mm's task size, or an unaligned ``addr`` are -EINVAL, and
 *   a ``ptr`` that access_ok() refuses is -EFAULT before the device
 *   touches anything. An unknown command is -ENOTTY (test_hmm: -EINVAL).
 * - A command from a process other than the opener works on the opener's
 *   mm, as in test_hmm, and copies to or from the caller's ``ptr``.
 * - MIGRATE_TO_DEV moves whole ranges, as a GPU driver does, so pages
 *   next to the span may move too; ``cpages`` counts the span's pages read
 *   back. The core's migration is best effort: what it leaves in system
 *   memory is mapped there and read back from there.
 * - MIGRATE_TO_SYS is best effort like the core's migrations: a page
 *   that is busy (locked, pinned) stays in device memory and is not
 *   counted in ``cpages``.
 * - EXCLUSIVE leaves ``faults`` at the number of atomic faults replayed
 *   after the first one (usually 0); a page whose atomic translation
 *   vanished before it was read back is faulted again instead of failing
 *   the command.
 * - There is no device-coherent memory: at most %MIRROR_MAX_UNITS units
 *   exist, since hmm-tests takes units 2 and 3 to be device-coherent.
 */

/* Pages of one bounce buffer or snapshot chunk. */
#define MIRROR_CHUNK_PAGES	64
/* Device faults one page may take; one is normal, more are races. */
#define MIRROR_MAX_TRIES	32
/* hmm-tests treats /dev/hmm_dmirror2 and 3 as DEVICE_COHERENT memory. */
#define MIRROR_MAX_UNITS	2

/**
 * struct gpusvm_mirror_unit - One /dev/hmm_dmirrorN
 * @misc: The misc device
 * @mirror: Owner
 * @index: N, the glue's unit number
 * @name: "hmm_dmirrorN"
 */
struct gpusvm_mirror_unit {
	struct miscdevice misc;
	struct gpusvm_mirror *mirror;
	unsigned int index;
	char name[16];
};

/**
 * struct gpusvm_mirror - The devices of one glue
 * @ops: The glue's ops
 * @glue: The glue's cookie for &gpusvm_mirror_ops.vm_open
 * @open_files: Files open on any unit, for the unregister check
 * @nunits: Number of @units
 * @units: The units
 */
struct gpusvm_mirror {
	const struct gpusvm_mirror_ops *ops;
	void *glue;
	atomic_t open_files;
	unsigned int nunits;
	struct gpusvm_mirror_unit units[] __counted_by(nunits);
};

/**
 * struct gpusvm_mirror_file - One open file: a glue VM
 */
struct gpusvm_mirror_file {
	/** @mirror: The glue's mirror */
	struct gpusvm_mirror *mirror;
	/** @vm: The glue's VM */
	void *vm;
	/** @as: The VM's simgpu address space */
	struct simgpu_as *as;
	/** @gpusvm: The VM's gpusvm; its mm is the mirrored mm */
	struct drm_gpusvm *gpusvm;
	/** @dpagemap: VRAM of the VM's device, for "local" and RELEASE */
	struct drm_pagemap *dpagemap;
	/** @vm_lock: The glue's VM lock, held around the core's calls */
	struct mutex *vm_lock;
	/** @lock: Serialises commands, see DOC: Locking */
	struct mutex lock;
};

/**
 * struct mirror_xfer - How to move the pages of a span through the MMU
 * @start: First page of the span
 * @end: End of the span
 * @uptr: User buffer, one page per page of the span
 * @access: Access to the bounce buffer: %SIMGPU_ACCESS_READ or _WRITE
 * @fault_access: Access a device fault asks the glue for
 * @fault: Serve missing translations with mirror_vm_fault();
 *	without, a missing translation ends the transfer with -ENOENT
 * @need_atomic: A translation without %SIMGPU_XLATE_ATOMIC counts as
 *	missing
 */
struct mirror_xfer {
	unsigned long start;
	unsigned long end;
	void __user *uptr;
	enum simgpu_access access;
	enum simgpu_access fault_access;
	bool fault;
	bool need_atomic;
};

static unsigned long mirror_cmd_end(const struct hmm_dmirror_cmd *cmd)
{
	return cmd->addr + (cmd->npages << PAGE_SHIFT);
}

/* Does the page at @va have a translation that allows device atomics? */
static bool mirror_has_atomic(struct gpusvm_mirror_file *mf, unsigned long va)
{
	struct simgpu_xlate xl;

	return simgpu_as_translate(mf->as, va, &xl) &&
	       (xl.flags & SIMGPU_XLATE_ATOMIC);
}

/* One try; -ENOENT or -EACCES is a device fault. */
static int mirror_try_access(struct gpusvm_mirror_file *mf,
			     const struct mirror_xfer *x, unsigned long va,
			     void *buf)
{
	if (x->need_atomic && !mirror_has_atomic(mf, va))
		return -ENOENT;
	return simgpu_as_access(mf->as, va, buf, PAGE_SIZE, x->access);
}

static enum drm_gpusvm_access mirror_access(enum simgpu_access access)
{
	if (access == SIMGPU_ACCESS_ATOMIC)
		return DRM_GPUSVM_ACCESS_ATOMIC;
	return access == SIMGPU_ACCESS_WRITE ? DRM_GPUSVM_ACCESS_WRITE :
					       DRM_GPUSVM_ACCESS_READ;
}

/*
 * A device fault over [@start, @end): every range of the span through the
 * core's fault service, under the glue's VM lock, with test_hmm's device
 * attributes: system memory preferred, atomics from device-exclusive
 * system memory. On 0 every page of the span was bound with @access (an
 * invalidation may have raced in since; the caller faults again then).
 */
static int mirror_vm_fault(struct gpusvm_mirror_file *mf, unsigned long start,
			   unsigned long end, enum simgpu_access access)
{
	struct drm_gpusvm_fault_req req = {
		.start = start & PAGE_MASK,
		.end = PAGE_ALIGN(end),
		.access = mirror_access(access),
		.preferred = DRM_GPUSVM_LOC_SYSTEM,
		.atomic = DRM_GPUSVM_ATOMIC_GLOBAL,
		.dpagemap = mf->dpagemap,
	};
	unsigned long next;
	int err = 0;

	if (req.start >= req.end)
		return -EINVAL;
	mutex_lock(mf->vm_lock);
	for (req.addr = req.start; req.addr < req.end && !err;
	     req.addr = next) {
		err = drm_gpusvm_fault_service(mf->gpusvm, &req, &next);
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
	}
	mutex_unlock(mf->vm_lock);
	return err;
}

/*
 * Access the page at @va through the MMU as an engine would: a fault is
 * served for the rest of the span, [@va, end), so that a fresh span costs
 * one fault as in test_hmm, and the access is replayed.
 */
static int mirror_access_page(struct gpusvm_mirror_file *mf,
			      const struct mirror_xfer *x, unsigned long va,
			      void *buf, u64 *faults)
{
	unsigned int tries;
	int err;

	for (tries = 0; ; tries++) {
		err = mirror_try_access(mf, x, va, buf);
		if (err != -ENOENT && err != -EACCES)
			return err;
		if (!x->fault)
			return -ENOENT;
		if (tries == MIRROR_MAX_TRIES)
			return -EBUSY;
		if (fatal_signal_pending(current))
			return -EINTR;
		err = mirror_vm_fault(mf, va, x->end, x->fault_access);
		if (err)
			return err;
		(*faults)++;
	}
}

/* The pages of one chunk, [@va, @va + @len), through the bounce buffer. */
static int mirror_xfer_chunk(struct gpusvm_mirror_file *mf,
			     const struct mirror_xfer *x, unsigned long va,
			     size_t len, void *bounce,
			     struct hmm_dmirror_cmd *cmd)
{
	void __user *uptr = x->uptr + (va - x->start);
	bool write = x->access == SIMGPU_ACCESS_WRITE;
	size_t off;
	int err;

	if (write && copy_from_user(bounce, uptr, len))
		return -EFAULT;
	for (off = 0; off < len; off += PAGE_SIZE) {
		err = mirror_access_page(mf, x, va + off, bounce + off,
					 &cmd->faults);
		if (err)
			return err;
		cmd->cpages++;
	}
	if (!write && copy_to_user(uptr, bounce, len))
		return -EFAULT;
	return 0;
}

/* Move the span of @x between the user buffer and the device, by chunks. */
static int mirror_xfer(struct gpusvm_mirror_file *mf,
		       const struct mirror_xfer *x, struct hmm_dmirror_cmd *cmd)
{
	size_t chunk = min_t(unsigned long, x->end - x->start,
			     MIRROR_CHUNK_PAGES << PAGE_SHIFT);
	unsigned long va;
	void *bounce;
	int err = 0;

	lockdep_assert_held(&mf->lock);
	if (!access_ok(x->uptr, x->end - x->start))
		return -EFAULT;
	bounce = kvmalloc(chunk, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	for (va = x->start; va < x->end && !err; va += chunk) {
		err = mirror_xfer_chunk(mf, x, va,
					min_t(unsigned long, chunk, x->end - va),
					bounce, cmd);
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
	}
	kvfree(bounce);
	return err;
}

/* READ and WRITE: a device access that faults its way in. */
static int mirror_rw(struct gpusvm_mirror_file *mf,
		     struct hmm_dmirror_cmd *cmd, enum simgpu_access access)
{
	struct mirror_xfer x = {
		.start = cmd->addr,
		.end = mirror_cmd_end(cmd),
		.uptr = u64_to_user_ptr(cmd->ptr),
		.access = access,
		.fault_access = access,
		.fault = true,
	};

	return mirror_xfer(mf, &x, cmd);
}

/* Read the span back through the MMU; with @atomic, atomic faults allowed. */
static int mirror_read_back(struct gpusvm_mirror_file *mf,
			    struct hmm_dmirror_cmd *cmd, bool atomic)
{
	struct mirror_xfer x = {
		.start = cmd->addr,
		.end = mirror_cmd_end(cmd),
		.uptr = u64_to_user_ptr(cmd->ptr),
		.access = SIMGPU_ACCESS_READ,
		.fault_access = SIMGPU_ACCESS_ATOMIC,
		.fault = atomic,
		.need_atomic = atomic,
	};

	return mirror_xfer(mf, &x, cmd);
}

/*
 * Every page of [@start, @end) must lie in a readable VMA that
 * migrate_vma_setup() accepts, or test_hmm fails the migration with
 * -EINVAL (test migrate_mixed). Only a check: the VMAs may change after.
 */
static int mirror_check_vmas(struct mm_struct *mm, unsigned long start,
			     unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long addr;
	int err = 0;

	if (!mmget_not_zero(mm))
		return -EINVAL;
	mmap_read_lock(mm);
	for (addr = start; addr < end; addr = vma->vm_end) {
		vma = vma_lookup(mm, addr);
		if (!vma || !(vma->vm_flags & VM_READ) ||
		    is_vm_hugetlb_page(vma) || (vma->vm_flags & VM_SPECIAL) ||
		    vma_is_dax(vma)) {
			err = -EINVAL;
			break;
		}
	}
	mmap_read_unlock(mm);
	mmput(mm);
	return err;
}

static int mirror_migrate_to_dev(struct gpusvm_mirror_file *mf,
				 struct hmm_dmirror_cmd *cmd)
{
	unsigned long end = mirror_cmd_end(cmd);
	long moved;
	int err;

	err = mirror_check_vmas(mf->gpusvm->mm, cmd->addr, end);
	if (err)
		return err;
	mutex_lock(mf->vm_lock);
	moved = drm_gpusvm_migrate_span(mf->gpusvm, cmd->addr, end,
					mf->dpagemap);
	mutex_unlock(mf->vm_lock);
	if (moved < 0)
		return moved;
	return mirror_read_back(mf, cmd, false);
}

/* Is @page in this file's VRAM? */
static bool mirror_page_is_local(struct gpusvm_mirror_file *mf,
				 struct page *page)
{
	/*
	 * The snapshot holds no reference, but a ZONE_DEVICE page keeps its
	 * pgmap while the pagemap lives, and the pagemaps of the glue's
	 * devices live at least as long as this file pins the glue.
	 */
	return page->pgmap == &mf->dpagemap->pagemap;
}

/* test_hmm's dmirror_mkentry(): one hmm_range_fault() entry as PROT bits. */
static u8 mirror_prot(struct gpusvm_mirror_file *mf, unsigned long entry)
{
	struct page *page;
	u8 prot;

	if (entry & HMM_PFN_ERROR)
		return HMM_DMIRROR_PROT_ERROR;
	if (!(entry & HMM_PFN_VALID))
		return HMM_DMIRROR_PROT_NONE;

	page = hmm_pfn_to_page(entry);
	if (is_device_private_page(page))
		prot = mirror_page_is_local(mf, page) ?
		       HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL :
		       HMM_DMIRROR_PROT_DEV_PRIVATE_REMOTE;
	else if (is_device_coherent_page(page))
		prot = mirror_page_is_local(mf, page) ?
		       HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL :
		       HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE;
	else if (is_zero_pfn(page_to_pfn(page)))
		prot = HMM_DMIRROR_PROT_ZERO;
	else
		prot = HMM_DMIRROR_PROT_NONE;

	prot |= entry & HMM_PFN_WRITE ? HMM_DMIRROR_PROT_WRITE :
					HMM_DMIRROR_PROT_READ;
	if (hmm_pfn_to_map_order(entry) + PAGE_SHIFT == PMD_SHIFT)
		prot |= HMM_DMIRROR_PROT_PMD;
	else if (hmm_pfn_to_map_order(entry) + PAGE_SHIFT == PUD_SHIFT)
		prot |= HMM_DMIRROR_PROT_PUD;
	return prot;
}

static int mirror_snapshot(struct gpusvm_mirror_file *mf,
			   struct hmm_dmirror_cmd *cmd)
{
	unsigned long addr, next, end = mirror_cmd_end(cmd);
	char __user *uptr = u64_to_user_ptr(cmd->ptr);
	unsigned long *pfns;
	unsigned long i, n;
	u8 *prot;
	int err = 0;

	lockdep_assert_held(&mf->lock);
	if (!access_ok(uptr, cmd->npages))
		return -EFAULT;
	pfns = kmalloc_array(MIRROR_CHUNK_PAGES, sizeof(*pfns), GFP_KERNEL);
	prot = kmalloc(MIRROR_CHUNK_PAGES, GFP_KERNEL);
	if (!pfns || !prot) {
		err = -ENOMEM;
		goto out_free;
	}

	for (addr = cmd->addr; addr < end; addr = next) {
		next = min(end, addr + (MIRROR_CHUNK_PAGES << PAGE_SHIFT));
		n = (next - addr) >> PAGE_SHIFT;
		err = drm_gpusvm_snapshot(mf->gpusvm, addr, next, pfns);
		if (err)
			break;
		for (i = 0; i < n; i++)
			prot[i] = mirror_prot(mf, pfns[i]);
		if (copy_to_user(uptr, prot, n)) {
			err = -EFAULT;
			break;
		}
		cmd->cpages += n;
		uptr += n;
	}

out_free:
	kfree(prot);
	kfree(pfns);
	return err;
}

/* Pages of one explicit migration back to RAM: one 2 MiB range at most. */
#define MIRROR_TO_RAM_PAGES	512

/*
 * The explicit way back, like test_hmm's migrate_vma over the span: the
 * core moves this unit's device pages of each chunk home in one copy.
 */
static int mirror_migrate_to_sys(struct gpusvm_mirror_file *mf,
				 struct hmm_dmirror_cmd *cmd)
{
	unsigned long addr, next, end = mirror_cmd_end(cmd);
	long moved;
	int err;

	err = mirror_check_vmas(mf->gpusvm->mm, cmd->addr, end);
	for (addr = cmd->addr; addr < end && !err; addr = next) {
		next = min(end, ALIGN_DOWN(addr, MIRROR_TO_RAM_PAGES << PAGE_SHIFT) +
				(MIRROR_TO_RAM_PAGES << PAGE_SHIFT));
		moved = drm_gpusvm_migrate_span_to_ram(mf->gpusvm, addr, next,
						       mf->dpagemap);
		if (moved < 0)
			err = moved;
		else
			cmd->cpages += moved;
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
	}
	return err;
}

static int mirror_exclusive(struct gpusvm_mirror_file *mf,
			    struct hmm_dmirror_cmd *cmd)
{
	int err;

	err = mirror_vm_fault(mf, cmd->addr, mirror_cmd_end(cmd),
			      SIMGPU_ACCESS_ATOMIC);
	if (err)
		return err;
	return mirror_read_back(mf, cmd, true);
}

/*
 * test_hmm's dmirror_check_atomic(): once the CPU touched the pages, no
 * atomic translation of system memory may be left (VRAM is always atomic).
 */
static int mirror_check_exclusive(struct gpusvm_mirror_file *mf,
				  const struct hmm_dmirror_cmd *cmd)
{
	unsigned long va, end = mirror_cmd_end(cmd);
	struct simgpu_xlate xl;

	for (va = cmd->addr; va < end; va += PAGE_SIZE) {
		if (simgpu_as_translate(mf->as, va, &xl) &&
		    (xl.flags & SIMGPU_XLATE_ATOMIC) &&
		    !(xl.addr & SIMGPU_VRAM_TAG))
			return -EPERM;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/* Reject what test_hmm rejects, and spans it would trip over. */
static int mirror_check_cmd(struct gpusvm_mirror_file *mf,
			    const struct hmm_dmirror_cmd *cmd)
{
	u64 size, end;

	if (!cmd->npages || !PAGE_ALIGNED(cmd->addr) ||
	    check_shl_overflow(cmd->npages, PAGE_SHIFT, &size) ||
	    check_add_overflow(cmd->addr, size, &end) ||
	    end > mf->gpusvm->mm->task_size)
		return -EINVAL;
	return 0;
}

static int mirror_dispatch(struct gpusvm_mirror_file *mf, unsigned int command,
			   struct hmm_dmirror_cmd *cmd)
{
	lockdep_assert_held(&mf->lock);

	switch (command) {
	case HMM_DMIRROR_READ:
		return mirror_rw(mf, cmd, SIMGPU_ACCESS_READ);
	case HMM_DMIRROR_WRITE:
		return mirror_rw(mf, cmd, SIMGPU_ACCESS_WRITE);
	case HMM_DMIRROR_MIGRATE_TO_DEV:
		return mirror_migrate_to_dev(mf, cmd);
	case HMM_DMIRROR_MIGRATE_TO_SYS:
		return mirror_migrate_to_sys(mf, cmd);
	case HMM_DMIRROR_SNAPSHOT:
		return mirror_snapshot(mf, cmd);
	case HMM_DMIRROR_EXCLUSIVE:
		return mirror_exclusive(mf, cmd);
	case HMM_DMIRROR_CHECK_EXCLUSIVE:
		return mirror_check_exclusive(mf, cmd);
	case HMM_DMIRROR_RELEASE:
		drm_pagemap_evict(mf->dpagemap, ULONG_MAX);
		return 0;
	default:
		return -ENOTTY;
	}
}

static bool mirror_known_command(unsigned int command)
{
	switch (command) {
	case HMM_DMIRROR_READ:
	case HMM_DMIRROR_WRITE:
	case HMM_DMIRROR_MIGRATE_TO_DEV:
	case HMM_DMIRROR_MIGRATE_TO_SYS:
	case HMM_DMIRROR_SNAPSHOT:
	case HMM_DMIRROR_EXCLUSIVE:
	case HMM_DMIRROR_CHECK_EXCLUSIVE:
	case HMM_DMIRROR_RELEASE:
		return true;
	default:
		return false;
	}
}

static long mirror_ioctl(struct file *file, unsigned int command,
			 unsigned long arg)
{
	struct gpusvm_mirror_file *mf = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct hmm_dmirror_cmd cmd;
	int err;

	if (!mirror_known_command(command))
		return -ENOTTY;
	if (copy_from_user(&cmd, uarg, sizeof(cmd)))
		return -EFAULT;
	err = mirror_check_cmd(mf, &cmd);
	if (err)
		return err;
	cmd.cpages = 0;
	cmd.faults = 0;

	if (mutex_lock_interruptible(&mf->lock))
		return -ERESTARTSYS;
	err = mirror_dispatch(mf, command, &cmd);
	mutex_unlock(&mf->lock);
	if (err)
		return err;
	return copy_to_user(uarg, &cmd, sizeof(cmd)) ? -EFAULT : 0;
}

/* test_hmm's dmirror_fops_mmap(): freshly zeroed, ordinary kernel pages. */
static int mirror_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long addr;

	for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE) {
		struct page *page;
		int err;

		if (fatal_signal_pending(current))
			return -EINTR;
		page = alloc_page(GFP_HIGHUSER | __GFP_ZERO);
		if (!page)
			return -ENOMEM;
		err = vm_insert_page(vma, addr, page);
		/* On success the mapping holds its own reference. */
		put_page(page);
		if (err)
			return err;
	}
	return 0;
}

static int mirror_open(struct inode *inode, struct file *file)
{
	/* misc_open() left the miscdevice here. */
	struct gpusvm_mirror_unit *unit =
		container_of(file->private_data, struct gpusvm_mirror_unit,
			     misc);
	struct gpusvm_mirror *mirror = unit->mirror;
	const struct gpusvm_mirror_ops *ops = mirror->ops;
	struct gpusvm_mirror_file *mf;
	void *vm;
	int err;

	if (!current->mm)
		return -EINVAL;
	if (!try_module_get(ops->owner))
		return -ENODEV;
	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	if (!mf) {
		err = -ENOMEM;
		goto err_put_module;
	}
	vm = ops->vm_open(mirror->glue, unit->index, current->mm);
	if (IS_ERR(vm)) {
		err = PTR_ERR(vm);
		goto err_free;
	}

	mf->mirror = mirror;
	mf->vm = vm;
	mf->as = ops->vm_as(vm);
	mf->gpusvm = ops->vm_gpusvm(vm);
	mf->dpagemap = simgpu_pagemap(mf->as->sdev);
	mf->vm_lock = ops->vm_lock(vm);
	mutex_init(&mf->lock);
	atomic_inc(&mirror->open_files);
	file->private_data = mf;
	return 0;

err_free:
	kfree(mf);
err_put_module:
	module_put(ops->owner);
	return err;
}

static int mirror_release(struct inode *inode, struct file *file)
{
	struct gpusvm_mirror_file *mf = file->private_data;
	struct gpusvm_mirror *mirror = mf->mirror;
	struct module *owner = mirror->ops->owner;

	mirror->ops->vm_close(mf->vm);
	mutex_destroy(&mf->lock);
	kfree(mf);
	atomic_dec(&mirror->open_files);
	/* Last: the glue may unload, and free @mirror, once this returns. */
	module_put(owner);
	return 0;
}

static const struct file_operations mirror_fops = {
	.owner = THIS_MODULE,
	.open = mirror_open,
	.release = mirror_release,
	.mmap = mirror_mmap,
	.unlocked_ioctl = mirror_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static bool mirror_ops_valid(const struct gpusvm_mirror_ops *ops)
{
	return ops && ops->vm_open && ops->vm_close && ops->vm_as &&
	       ops->vm_gpusvm && ops->vm_lock;
}

/**
 * gpusvm_mirror_register() - Expose a glue through the test_hmm ABI
 * @ops: The glue's ops; every member but @ops->owner is required
 * @glue: Cookie passed to &gpusvm_mirror_ops.vm_open
 * @nunits: Number of units, 1 or 2: /dev/hmm_dmirror0 up to
 *	/dev/hmm_dmirror(@nunits - 1). hmm-tests takes units 2 and 3 to be
 *	device-coherent memory, which simgpu does not have, so there are none.
 *
 * Each open of unit N calls &gpusvm_mirror_ops.vm_open(@glue, N,
 * current->mm); see DOC: Overview for the commands. Fails if another
 * driver (test_hmm) already has the device names.
 *
 * Context: Process context, typically the glue's module init.
 *
 * Return: the mirror, to pass to gpusvm_mirror_unregister(), or an
 * ERR_PTR: -EINVAL for bad @ops or @nunits, -ENOMEM, or the error of
 * misc_register().
 */
struct gpusvm_mirror *gpusvm_mirror_register(const struct gpusvm_mirror_ops *ops,
					     void *glue, unsigned int nunits)
{
	struct gpusvm_mirror *mirror;
	unsigned int i;
	int err;

	might_sleep();
	if (!mirror_ops_valid(ops) || !nunits || nunits > MIRROR_MAX_UNITS)
		return ERR_PTR(-EINVAL);
	mirror = kzalloc(struct_size(mirror, units, nunits), GFP_KERNEL);
	if (!mirror)
		return ERR_PTR(-ENOMEM);
	mirror->nunits = nunits;
	mirror->ops = ops;
	mirror->glue = glue;
	atomic_set(&mirror->open_files, 0);

	for (i = 0; i < nunits; i++) {
		struct gpusvm_mirror_unit *unit = &mirror->units[i];

		unit->mirror = mirror;
		unit->index = i;
		snprintf(unit->name, sizeof(unit->name), "hmm_dmirror%u", i);
		unit->misc.minor = MISC_DYNAMIC_MINOR;
		unit->misc.name = unit->name;
		unit->misc.fops = &mirror_fops;
		err = misc_register(&unit->misc);
		if (err)
			goto err_deregister;
	}
	return mirror;

err_deregister:
	while (i--)
		misc_deregister(&mirror->units[i].misc);
	kfree(mirror);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(gpusvm_mirror_register);

/**
 * gpusvm_mirror_unregister() - Remove the devices of a glue
 * @mirror: From gpusvm_mirror_register(); NULL is ignored
 *
 * Call it from the glue's module exit: open files pin the glue module, so
 * none is left by then (and none can be opened any more), and the glue's
 * VMs are all closed.
 *
 * Context: Process context.
 */
void gpusvm_mirror_unregister(struct gpusvm_mirror *mirror)
{
	unsigned int i;

	might_sleep();
	if (!mirror)
		return;
	for (i = 0; i < mirror->nunits; i++)
		misc_deregister(&mirror->units[i].misc);
	WARN_ON(atomic_read(&mirror->open_files));
	kfree(mirror);
}
EXPORT_SYMBOL_GPL(gpusvm_mirror_unregister);

MODULE_DESCRIPTION("The test_hmm ABI (/dev/hmm_dmirrorN) on drm_gpusvm glue drivers");
MODULE_LICENSE("Dual MIT/GPL");
