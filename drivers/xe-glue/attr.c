// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/interval_tree.h>
#include <linux/lockdep.h>
#include <linux/slab.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>

#include "xe_glue.h"
#include "xe_glue_drm.h"

/**
 * DOC: Memory attributes
 *
 * DRM_IOCTL_XE_GLUE_MADVISE sets a preferred location and an atomic mode
 * on a VA span. Each VM keeps its spans in an interval tree
 * (&xe_glue_vm.attrs, inclusive last, the kernel's generic interval tree);
 * spans never overlap: a new span trims, splits or replaces the ones it
 * covers, and a span set back to the VM's defaults just disappears. Outside
 * every span the VM's defaults apply (&xe_glue_vm.dflt: no preference for
 * a DRM VM, system memory with global atomics for a test_hmm mirror VM).
 *
 * The GPU fault handler and prefetch look up the attributes of the
 * faulting address and turn them into the core's &drm_gpusvm_ctx: the
 * preferred location goes to &drm_gpusvm_ctx.preferred, which policy.c
 * reads; the atomic mode decides what an atomic fault asks for (fault.c).
 * Nothing here moves memory: attributes apply to later faults.
 *
 * The tree is protected by the VM lock. The invalidate op never looks at
 * it, so the reclaim path takes no lock that an allocation here could be
 * waiting under.
 */

/**
 * struct xe_glue_attr_node - A span with non-default attributes
 * @it: Node in &xe_glue_vm.attrs, inclusive last
 * @attr: The attributes
 */
struct xe_glue_attr_node {
	struct interval_tree_node it;
	struct xe_glue_attr attr;
};

/**
 * xe_glue_attr_init() - Start a VM with default attributes everywhere
 * @vm: The VM
 * @dflt: The defaults
 */
void xe_glue_attr_init(struct xe_glue_vm *vm, const struct xe_glue_attr *dflt)
{
	vm->attrs = RB_ROOT_CACHED;
	vm->dflt = *dflt;
}

/**
 * xe_glue_attr_fini() - Free every span of a VM
 * @vm: The VM, no longer reachable by anyone
 */
void xe_glue_attr_fini(struct xe_glue_vm *vm)
{
	struct interval_tree_node *it;

	while ((it = interval_tree_iter_first(&vm->attrs, 0, ULONG_MAX))) {
		interval_tree_remove(it, &vm->attrs);
		kfree(container_of(it, struct xe_glue_attr_node, it));
	}
}

/**
 * xe_glue_attr_lookup() - Attributes of an address
 * @vm: The VM
 * @addr: The address
 *
 * Context: VM lock held.
 *
 * Return: the attributes of the span containing @addr, or the defaults.
 */
struct xe_glue_attr xe_glue_attr_lookup(struct xe_glue_vm *vm,
					unsigned long addr)
{
	struct interval_tree_node *it;

	lockdep_assert_held(&vm->lock);
	it = interval_tree_iter_first(&vm->attrs, addr, addr);
	return it ? container_of(it, struct xe_glue_attr_node, it)->attr :
		    vm->dflt;
}

/* Move a node to [start, last]: the tree caches each subtree's last. */
static void xe_glue_attr_move(struct xe_glue_vm *vm, struct interval_tree_node *it,
			      unsigned long start, unsigned long last)
{
	interval_tree_remove(it, &vm->attrs);
	it->start = start;
	it->last = last;
	interval_tree_insert(it, &vm->attrs);
}

/*
 * Cut [start, last] out of every span; @spare becomes the tail of a span
 * that covers both ends and is consumed (set to NULL) then.
 */
static void xe_glue_attr_clear(struct xe_glue_vm *vm, unsigned long start,
			       unsigned long last,
			       struct xe_glue_attr_node **spare)
{
	struct interval_tree_node *it;

	while ((it = interval_tree_iter_first(&vm->attrs, start, last))) {
		struct xe_glue_attr_node *n =
			container_of(it, struct xe_glue_attr_node, it);
		unsigned long old_last = it->last;

		if (it->start < start && old_last > last) {
			(*spare)->attr = n->attr;
			(*spare)->it.start = last + 1;
			(*spare)->it.last = old_last;
			interval_tree_insert(&(*spare)->it, &vm->attrs);
			*spare = NULL;
			xe_glue_attr_move(vm, it, it->start, start - 1);
		} else if (it->start < start) {
			xe_glue_attr_move(vm, it, it->start, start - 1);
		} else if (old_last > last) {
			xe_glue_attr_move(vm, it, last + 1, old_last);
		} else {
			interval_tree_remove(it, &vm->attrs);
			kfree(n);
		}
	}
}

/*
 * Give [start, end) the attributes @attr. Both nodes it may need are
 * allocated first, so on -ENOMEM nothing changed.
 */
static int xe_glue_attr_set(struct xe_glue_vm *vm, unsigned long start,
			    unsigned long end, const struct xe_glue_attr *attr)
{
	struct xe_glue_attr_node *node, *spare;

	lockdep_assert_held(&vm->lock);
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	spare = kzalloc(sizeof(*spare), GFP_KERNEL);
	if (!node || !spare) {
		kfree(node);
		kfree(spare);
		return -ENOMEM;
	}

	xe_glue_attr_clear(vm, start, end - 1, &spare);
	if (attr->preferred != vm->dflt.preferred ||
	    attr->atomic != vm->dflt.atomic) {
		node->attr = *attr;
		node->it.start = start;
		node->it.last = end - 1;
		interval_tree_insert(&node->it, &vm->attrs);
		node = NULL;
	}
	kfree(node);
	kfree(spare);
	return 0;
}

/**
 * xe_glue_madvise_ioctl() - DRM_IOCTL_XE_GLUE_MADVISE
 * @drm: The DRM device
 * @data: &struct drm_xe_glue_madvise
 * @file: The file
 *
 * Return: 0; -EINVAL for a bad location, atomic mode, pad or span; -ENOENT
 * for an unknown VM; -EACCES from another process than the VM's; -ENOMEM.
 */
int xe_glue_madvise_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct drm_xe_glue_madvise *args = data;
	struct xe_glue_attr attr = {
		.preferred = args->preferred_loc,
		.atomic = args->atomic,
	};
	struct xe_glue_vm *vm;
	int err;

	if (args->pad || args->preferred_loc > DRM_XE_GLUE_LOC_DEVICE ||
	    args->atomic > DRM_XE_GLUE_ATOMIC_GLOBAL)
		return -EINVAL;
	err = xe_glue_check_span(args->start, args->range, true);
	if (err)
		return err;
	vm = xe_glue_vm_lookup(file->driver_priv, args->vm_id, true, &err);
	if (!vm)
		return err;

	mutex_lock(&vm->lock);
	err = xe_glue_attr_set(vm, args->start, args->start + args->range,
			       &attr);
	mutex_unlock(&vm->lock);
	xe_glue_vm_put(vm);
	return err;
}
