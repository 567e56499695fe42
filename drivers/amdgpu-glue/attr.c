// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

#include <linux/bits.h>
#include <linux/interval_tree.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/drm_pagemap.h>

#include "amdgpu_glue.h"
#include "amdgpu_glue_drm.h"

/**
 * DOC: SVM attributes
 *
 * DRM_IOCTL_AMDGPU_GLUE_SVM is KFD's AMDKFD_IOC_SVM: SET_ATTR and GET_ATTR
 * over a page-aligned VA span with an array of (type, value) pairs.
 * Attributes are page granular and live in the context's own interval
 * tree (&amdgpu_glue_ctx.attrs, the kernel's generic interval tree,
 * inclusive last), apart from the core's ranges: a range is a mapping
 * artefact the core splits, unmaps and garbage-collects as the CPU side
 * changes, while an attribute is what the user said about an address, so
 * munmap, partial unmap and range GC leave the tree alone. Nodes never
 * overlap. A SET over a span first splits the nodes that straddle its ends
 * (so a partial set leaves the outside parts as they were), then changes
 * the nodes inside the span and fills the gaps with new nodes that start
 * from the defaults. Every node it may need is allocated before anything
 * changes, so -ENOMEM leaves the tree as it was; every value is checked
 * before that.
 *
 * Defaults (never-set pages): see the uAPI. ACCESSIBLE depends on the
 * mode, as in KFD: with XNACK on a fault from any device is served; with
 * XNACK off nothing is mapped until the user says so.
 *
 * GET over a span folds the pieces (set nodes and never-set gaps) with
 * KFD's convention: a location that differs becomes UNDEFINED, ACCESSIBLE
 * and SET_FLAGS are what every piece has, CLR_FLAGS what no piece has,
 * GRANULARITY the smallest.
 *
 * How attributes act: the fault path (fault.c) refuses faults of devices
 * that are not ACCESSIBLE (-EACCES) and writes to GPU_RO spans (-EPERM),
 * turns PREFERRED_LOC into the core's preferred location and GRANULARITY
 * into the span a fault brings in; the bind (pt.c) honours GPU_RO,
 * GPU_EXEC and COHERENT; SET_ATTR migrates for PREFETCH_LOC and, with
 * XNACK off, maps the spans this device may access, which the restore
 * worker (evict.c) maps again after every eviction.
 *
 * Locking: the tree is under the VM lock (&amdgpu_glue_ctx.lock). The
 * invalidate ops never look at it.
 */

/**
 * struct amdgpu_glue_attr_node - A span whose attributes were set
 * @it: Node in &amdgpu_glue_ctx.attrs, inclusive last
 * @attr: The attributes
 * @link: In a list of spare nodes while a SET runs
 */
struct amdgpu_glue_attr_node {
	struct interval_tree_node it;
	struct amdgpu_glue_attr attr;
	struct list_head link;
};

#define AMDGPU_GLUE_DFLT_GRANULARITY	9

static u32 amdgpu_glue_all_devices(void)
{
	return GENMASK(amdgpu_glue_num_devices() - 1, 0);
}

static struct amdgpu_glue_attr amdgpu_glue_attr_dflt(struct amdgpu_glue_ctx *ctx)
{
	return (struct amdgpu_glue_attr) {
		.preferred = ctx->dflt_preferred,
		.prefetch = DRM_AMDGPU_GLUE_SVM_LOC_UNDEFINED,
		.accessible = ctx->xnack ? amdgpu_glue_all_devices() : 0,
		.flags = DRM_AMDGPU_GLUE_SVM_FLAG_HOST_ACCESS |
			 DRM_AMDGPU_GLUE_SVM_FLAG_COHERENT,
		.granularity = AMDGPU_GLUE_DFLT_GRANULARITY,
	};
}

static struct amdgpu_glue_attr_node *to_attr_node(struct interval_tree_node *it)
{
	return container_of(it, struct amdgpu_glue_attr_node, it);
}

/**
 * amdgpu_glue_attr_at() - Attributes of an address
 * @ctx: The context
 * @addr: The address
 * @set: Optional out: whether a SET covered @addr
 * @end: Optional out: end of the piece (set span or gap) @addr lies in,
 *	where the attributes may change next
 *
 * Context: VM lock held.
 *
 * Return: the attributes.
 */
struct amdgpu_glue_attr amdgpu_glue_attr_at(struct amdgpu_glue_ctx *ctx,
					    unsigned long addr, bool *set,
					    unsigned long *end)
{
	struct interval_tree_node *it;

	lockdep_assert_held(&ctx->lock);
	it = interval_tree_iter_first(&ctx->attrs, addr, addr);
	if (set)
		*set = it;
	if (it) {
		if (end)
			*end = it->last + 1;
		return to_attr_node(it)->attr;
	}
	if (end) {
		/* No node holds @addr: the first one overlapping the rest follows it */
		it = interval_tree_iter_first(&ctx->attrs, addr, ULONG_MAX);
		*end = it ? it->start : ULONG_MAX;
	}
	return amdgpu_glue_attr_dflt(ctx);
}

/**
 * amdgpu_glue_attr_fini() - Free every node
 * @ctx: The context, unreachable
 */
void amdgpu_glue_attr_fini(struct amdgpu_glue_ctx *ctx)
{
	struct interval_tree_node *it;

	while ((it = interval_tree_iter_first(&ctx->attrs, 0, ULONG_MAX))) {
		interval_tree_remove(it, &ctx->attrs);
		kfree(to_attr_node(it));
	}
}

/**
 * amdgpu_glue_loc() - The core's location for a uAPI location
 * @ctx: The context
 * @loc: DRM_AMDGPU_GLUE_SVM_LOC_*
 *
 * Another device's memory cannot be mapped by this one (no peer access
 * between simgpu devices by default): it means system memory here.
 *
 * Return: the &enum drm_gpusvm_location.
 */
enum drm_gpusvm_location amdgpu_glue_loc(struct amdgpu_glue_ctx *ctx, u32 loc)
{
	if (loc == DRM_AMDGPU_GLUE_SVM_LOC_UNDEFINED)
		return DRM_GPUSVM_LOC_DEFAULT;
	if (loc == DRM_AMDGPU_GLUE_SVM_LOC_DEVICE(ctx->adev->index))
		return DRM_GPUSVM_LOC_DEVICE;
	return DRM_GPUSVM_LOC_SYSTEM;
}

static bool amdgpu_glue_loc_valid(u32 loc)
{
	return loc == DRM_AMDGPU_GLUE_SVM_LOC_UNDEFINED ||
	       loc == DRM_AMDGPU_GLUE_SVM_LOC_SYSTEM ||
	       loc <= amdgpu_glue_num_devices();
}

/* Is every attribute well formed? For GET only the types matter. */
static int amdgpu_glue_attrs_check(const struct drm_amdgpu_glue_svm_attribute *a,
				   u32 n, bool set)
{
	u32 i;

	for (i = 0; i < n; i++) {
		u32 v = a[i].value;
		bool ok;

		switch (a[i].type) {
		case DRM_AMDGPU_GLUE_SVM_ATTR_PREFERRED_LOC:
		case DRM_AMDGPU_GLUE_SVM_ATTR_PREFETCH_LOC:
			ok = amdgpu_glue_loc_valid(v);
			break;
		case DRM_AMDGPU_GLUE_SVM_ATTR_ACCESSIBLE:
			ok = !(v & ~amdgpu_glue_all_devices());
			break;
		case DRM_AMDGPU_GLUE_SVM_ATTR_SET_FLAGS:
		case DRM_AMDGPU_GLUE_SVM_ATTR_CLR_FLAGS:
			ok = !(v & ~DRM_AMDGPU_GLUE_SVM_FLAGS_ALL);
			break;
		case DRM_AMDGPU_GLUE_SVM_ATTR_GRANULARITY:
			ok = v <= DRM_AMDGPU_GLUE_SVM_MAX_GRANULARITY;
			break;
		default:
			return -EINVAL;
		}
		if (set && !ok)
			return -EINVAL;
	}
	return 0;
}

/* Apply the pairs in order to @attr. */
static void amdgpu_glue_attrs_apply(struct amdgpu_glue_attr *attr,
				    const struct drm_amdgpu_glue_svm_attribute *a,
				    u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		switch (a[i].type) {
		case DRM_AMDGPU_GLUE_SVM_ATTR_PREFERRED_LOC:
			attr->preferred = a[i].value;
			break;
		case DRM_AMDGPU_GLUE_SVM_ATTR_PREFETCH_LOC:
			attr->prefetch = a[i].value;
			break;
		case DRM_AMDGPU_GLUE_SVM_ATTR_ACCESSIBLE:
			attr->accessible = a[i].value;
			break;
		case DRM_AMDGPU_GLUE_SVM_ATTR_SET_FLAGS:
			attr->flags |= a[i].value;
			break;
		case DRM_AMDGPU_GLUE_SVM_ATTR_CLR_FLAGS:
			attr->flags &= ~a[i].value;
			break;
		case DRM_AMDGPU_GLUE_SVM_ATTR_GRANULARITY:
			attr->granularity = a[i].value;
			break;
		}
	}
}

/* Take a spare node off @spares. */
static struct amdgpu_glue_attr_node *amdgpu_glue_spare(struct list_head *spares)
{
	struct amdgpu_glue_attr_node *n;

	n = list_first_entry(spares, struct amdgpu_glue_attr_node, link);
	list_del(&n->link);
	return n;
}

/* Cut the node holding @at (if it starts before @at) in two at @at. */
static void amdgpu_glue_attr_split(struct amdgpu_glue_ctx *ctx,
				   unsigned long at, struct list_head *spares)
{
	struct interval_tree_node *it = interval_tree_iter_first(&ctx->attrs, at, at);
	struct amdgpu_glue_attr_node *tail;

	if (!it || it->start == at)
		return;
	tail = amdgpu_glue_spare(spares);
	tail->attr = to_attr_node(it)->attr;
	tail->it.start = at;
	tail->it.last = it->last;
	/* The tree caches each subtree's last: move, do not edit in place */
	interval_tree_remove(it, &ctx->attrs);
	it->last = at - 1;
	interval_tree_insert(it, &ctx->attrs);
	interval_tree_insert(&tail->it, &ctx->attrs);
}

/* Nodes a SET of [start, end) may need: two splits and a gap per node + 1. */
static int amdgpu_glue_spares_alloc(struct amdgpu_glue_ctx *ctx,
				    unsigned long start, unsigned long end,
				    struct list_head *spares)
{
	struct interval_tree_node *it;
	unsigned long need = 3;

	for (it = interval_tree_iter_first(&ctx->attrs, start, end - 1); it;
	     it = interval_tree_iter_next(it, start, end - 1))
		need++;
	while (need--) {
		struct amdgpu_glue_attr_node *n = kzalloc(sizeof(*n), GFP_KERNEL);

		if (!n)
			return -ENOMEM;
		list_add(&n->link, spares);
	}
	return 0;
}

static void amdgpu_glue_spares_free(struct list_head *spares)
{
	struct amdgpu_glue_attr_node *n, *next;

	list_for_each_entry_safe(n, next, spares, link)
		kfree(n);
}

/* Give every page of [start, end) the pairs; see DOC: SVM attributes. */
static int amdgpu_glue_attr_set(struct amdgpu_glue_ctx *ctx,
				unsigned long start, unsigned long end,
				const struct drm_amdgpu_glue_svm_attribute *a,
				u32 n)
{
	unsigned long va = start, piece_end;
	LIST_HEAD(spares);
	int err;

	lockdep_assert_held(&ctx->lock);
	err = amdgpu_glue_spares_alloc(ctx, start, end, &spares);
	if (err)
		goto out;
	amdgpu_glue_attr_split(ctx, start, &spares);
	amdgpu_glue_attr_split(ctx, end, &spares);
	while (va < end) {
		struct interval_tree_node *it;
		struct amdgpu_glue_attr_node *node;
		bool set;

		amdgpu_glue_attr_at(ctx, va, &set, &piece_end);
		piece_end = min(piece_end, end);
		if (set) {
			it = interval_tree_iter_first(&ctx->attrs, va, va);
			amdgpu_glue_attrs_apply(&to_attr_node(it)->attr, a, n);
		} else {
			node = amdgpu_glue_spare(&spares);
			node->attr = amdgpu_glue_attr_dflt(ctx);
			amdgpu_glue_attrs_apply(&node->attr, a, n);
			node->it.start = va;
			node->it.last = piece_end - 1;
			interval_tree_insert(&node->it, &ctx->attrs);
		}
		va = piece_end;
	}
out:
	amdgpu_glue_spares_free(&spares);
	return err;
}

/* Fold the attributes of [start, end) into @a, KFD's way. */
static void amdgpu_glue_attr_get(struct amdgpu_glue_ctx *ctx,
				 unsigned long start, unsigned long end,
				 struct drm_amdgpu_glue_svm_attribute *a, u32 n)
{
	struct amdgpu_glue_attr acc = {}, at;
	unsigned long va, piece_end;
	u32 flags_or = 0, i;

	for (va = start; va < end; va = piece_end) {
		at = amdgpu_glue_attr_at(ctx, va, NULL, &piece_end);
		if (va == start) {
			acc = at;
			flags_or = at.flags;
			continue;
		}
		if (acc.preferred != at.preferred)
			acc.preferred = DRM_AMDGPU_GLUE_SVM_LOC_UNDEFINED;
		if (acc.prefetch != at.prefetch)
			acc.prefetch = DRM_AMDGPU_GLUE_SVM_LOC_UNDEFINED;
		acc.accessible &= at.accessible;
		acc.flags &= at.flags;
		flags_or |= at.flags;
		acc.granularity = min(acc.granularity, at.granularity);
	}
	for (i = 0; i < n; i++) {
		static const size_t field[] = {
			[DRM_AMDGPU_GLUE_SVM_ATTR_PREFERRED_LOC] =
				offsetof(struct amdgpu_glue_attr, preferred),
			[DRM_AMDGPU_GLUE_SVM_ATTR_PREFETCH_LOC] =
				offsetof(struct amdgpu_glue_attr, prefetch),
			[DRM_AMDGPU_GLUE_SVM_ATTR_ACCESSIBLE] =
				offsetof(struct amdgpu_glue_attr, accessible),
			[DRM_AMDGPU_GLUE_SVM_ATTR_SET_FLAGS] =
				offsetof(struct amdgpu_glue_attr, flags),
			[DRM_AMDGPU_GLUE_SVM_ATTR_GRANULARITY] =
				offsetof(struct amdgpu_glue_attr, granularity),
		};

		if (a[i].type == DRM_AMDGPU_GLUE_SVM_ATTR_CLR_FLAGS)
			a[i].value = ~flags_or & DRM_AMDGPU_GLUE_SVM_FLAGS_ALL;
		else
			a[i].value = *(u32 *)((char *)&acc + field[a[i].type]);
	}
}

/* Does this device keep @attr's pages mapped (XNACK off, ALWAYS_MAPPED)? */
static bool amdgpu_glue_attr_keep_mapped(struct amdgpu_glue_ctx *ctx,
					 const struct amdgpu_glue_attr *attr)
{
	if (attr->flags & DRM_AMDGPU_GLUE_SVM_FLAG_GPU_ALWAYS_MAPPED)
		return true;
	return !ctx->xnack && (attr->accessible & BIT(ctx->adev->index));
}

/*
 * Place and map one piece with uniform attributes. @prefetch: the SET named
 * PREFETCH_LOC, so the data moves there first.
 */
static int amdgpu_glue_piece_map(struct amdgpu_glue_ctx *ctx,
				 unsigned long start, unsigned long end,
				 const struct amdgpu_glue_attr *attr,
				 bool prefetch)
{
	struct drm_pagemap *dpagemap = simgpu_pagemap(ctx->adev->sdev);
	bool ro = attr->flags & DRM_AMDGPU_GLUE_SVM_FLAG_GPU_RO;
	enum drm_gpusvm_location loc;
	long moved;

	if (prefetch && attr->prefetch != DRM_AMDGPU_GLUE_SVM_LOC_UNDEFINED) {
		loc = amdgpu_glue_loc(ctx, attr->prefetch);
		if (loc == DRM_GPUSVM_LOC_SYSTEM) {
			moved = drm_gpusvm_migrate_span_to_ram(&ctx->gpusvm, start,
							       end, dpagemap);
			if (moved < 0)
				return moved;
		}
		return amdgpu_glue_map_span(ctx, start, end, loc,
					    loc == DRM_GPUSVM_LOC_DEVICE ?
					    dpagemap : NULL, ro);
	}
	if (!amdgpu_glue_attr_keep_mapped(ctx, attr))
		return 0;
	/* Mapping is not a placement decision: map pages where they are */
	return amdgpu_glue_map_span(ctx, start, end,
				    amdgpu_glue_loc(ctx, attr->preferred), NULL,
				    ro);
}

/* What a SET does beyond the attributes, piece by piece. */
static int amdgpu_glue_attr_act(struct amdgpu_glue_ctx *ctx,
				unsigned long start, unsigned long end,
				bool prefetch)
{
	unsigned long va, piece_end;
	int err = 0;

	for (va = start; va < end && !err; va = piece_end) {
		struct amdgpu_glue_attr attr;

		attr = amdgpu_glue_attr_at(ctx, va, NULL, &piece_end);
		piece_end = min(piece_end, end);
		err = amdgpu_glue_piece_map(ctx, va, piece_end, &attr, prefetch);
	}
	return err;
}

/**
 * amdgpu_glue_restore_spans() - Map again every span that stays mapped
 * @ctx: The context, evicted
 *
 * Pages are mapped where they are (no migration). Parts the CPU no longer
 * maps, or that cannot be mapped, are skipped.
 *
 * Context: VM lock held.
 *
 * Return: 0, or an error worth retrying (-ENOMEM, -EBUSY, ...).
 */
int amdgpu_glue_restore_spans(struct amdgpu_glue_ctx *ctx)
{
	struct interval_tree_node *it;
	int err;

	lockdep_assert_held(&ctx->lock);
	for (it = interval_tree_iter_first(&ctx->attrs, 0, ULONG_MAX); it;
	     it = interval_tree_iter_next(it, 0, ULONG_MAX)) {
		err = amdgpu_glue_piece_map(ctx, it->start, it->last + 1,
					    &to_attr_node(it)->attr, false);
		/*
		 * Worth a retry; anything else stays unmapped, and a job
		 * touching it fails as it would on memory never mapped
		 */
		if (err == -ENOMEM || err == -EBUSY || err == -EINTR)
			return err;
	}
	return 0;
}

static bool amdgpu_glue_has_prefetch(const struct drm_amdgpu_glue_svm_attribute *a,
				     u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (a[i].type == DRM_AMDGPU_GLUE_SVM_ATTR_PREFETCH_LOC)
			return true;
	return false;
}

/* SET_ATTR or GET_ATTR with the context locked. */
static int amdgpu_glue_svm_locked(struct amdgpu_glue_ctx *ctx,
				  const struct drm_amdgpu_glue_svm *args,
				  struct drm_amdgpu_glue_svm_attribute *a)
{
	unsigned long start = args->start, end = args->start + args->size;
	int err;

	lockdep_assert_held(&ctx->lock);
	err = amdgpu_glue_attrs_check(a, args->nattr,
				      args->op == DRM_AMDGPU_GLUE_SVM_OP_SET_ATTR);
	if (err)
		return err;
	if (args->op == DRM_AMDGPU_GLUE_SVM_OP_GET_ATTR) {
		amdgpu_glue_attr_get(ctx, start, end, a, args->nattr);
		return 0;
	}
	/* Every page in a VMA we can mirror (KFD: -EFAULT) */
	err = drm_gpusvm_span_check_vmas(ctx->gpusvm.mm, start, end, 0,
					 VM_IO | VM_PFNMAP | VM_MIXEDMAP);
	if (!err)
		err = amdgpu_glue_attr_set(ctx, start, end, a, args->nattr);
	if (!err)
		err = amdgpu_glue_attr_act(ctx, start, end,
					   amdgpu_glue_has_prefetch(a, args->nattr));
	return err;
}

/**
 * amdgpu_glue_svm_ioctl() - DRM_IOCTL_AMDGPU_GLUE_SVM
 * @drm: The DRM device
 * @data: &struct drm_amdgpu_glue_svm
 * @file: The file
 *
 * Return: 0; -EINVAL for a bad op, count, pad, span, type or value;
 * -EFAULT for a bad attribute pointer or (SET) a span not wholly mapped;
 * -ENOENT for an unknown context; -EACCES from another process; -ENOMEM;
 * after the attributes are set, an error of the migration or mapping.
 */
int amdgpu_glue_svm_ioctl(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct drm_amdgpu_glue_svm *args = data;
	struct drm_amdgpu_glue_svm_attribute *a;
	struct amdgpu_glue_ctx *ctx;
	size_t bytes;
	int err;

	if (args->pad || args->op > DRM_AMDGPU_GLUE_SVM_OP_GET_ATTR ||
	    !args->nattr || args->nattr > DRM_AMDGPU_GLUE_SVM_MAX_ATTRS)
		return -EINVAL;
	err = amdgpu_glue_check_span(args->start, args->size, true);
	if (err)
		return err;
	bytes = array_size(args->nattr, sizeof(*a));
	a = memdup_user(u64_to_user_ptr(args->attrs), bytes);
	if (IS_ERR(a))
		return PTR_ERR(a);
	ctx = amdgpu_glue_ctx_lookup(file->driver_priv, args->ctx_id, true, &err);
	if (!ctx)
		goto out_free;

	mutex_lock(&ctx->lock);
	err = amdgpu_glue_svm_locked(ctx, args, a);
	mutex_unlock(&ctx->lock);
	amdgpu_glue_ctx_put(ctx);
	/* Outside the VM lock: the user buffer may need a CPU fault */
	if (!err && args->op == DRM_AMDGPU_GLUE_SVM_OP_GET_ATTR &&
	    copy_to_user(u64_to_user_ptr(args->attrs), a, bytes))
		err = -EFAULT;
out_free:
	kfree(a);
	return err;
}
