/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 *
 * Tracepoints of the core (R19): the counters in debugfs say how often,
 * these say when and where. Events are cheap when disabled and take no
 * lock when enabled, so they may fire under the notifier lock.
 */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM drm_gpusvm

#if !defined(__DRM_GPUSVM_TRACE_H__) || defined(TRACE_HEADER_MULTI_READ)
#define __DRM_GPUSVM_TRACE_H__

#include <linux/tracepoint.h>

#include <drm/drm_gpusvm.h>

/* A GPU fault served by drm_gpusvm_fault_service(), with its result. */
TRACE_EVENT(drm_gpusvm_fault,
	    TP_PROTO(struct drm_gpusvm *gpusvm, const struct drm_gpusvm_fault_req *req,
		     unsigned int tries, int err),
	    TP_ARGS(gpusvm, req, tries, err),
	    TP_STRUCT__entry(__field(const void *, gpusvm)
			     __field(unsigned long, addr)
			     __field(unsigned int, access)
			     __field(unsigned int, preferred)
			     __field(unsigned int, tries)
			     __field(int, err)),
	    TP_fast_assign(__entry->gpusvm = gpusvm;
			   __entry->addr = req->addr;
			   __entry->access = req->access;
			   __entry->preferred = req->preferred;
			   __entry->tries = tries;
			   __entry->err = err;),
	    TP_printk("gpusvm=%p addr=0x%lx access=%u preferred=%u tries=%u err=%d",
		      __entry->gpusvm, __entry->addr, __entry->access,
		      __entry->preferred, __entry->tries, __entry->err)
);

/* One drm_gpusvm_range_get_pages() call that collected pages, or failed. */
TRACE_EVENT(drm_gpusvm_get_pages,
	    TP_PROTO(struct drm_gpusvm *gpusvm, unsigned long start,
		     unsigned long end, unsigned int retries, int err),
	    TP_ARGS(gpusvm, start, end, retries, err),
	    TP_STRUCT__entry(__field(const void *, gpusvm)
			     __field(unsigned long, start)
			     __field(unsigned long, end)
			     __field(unsigned int, retries)
			     __field(int, err)),
	    TP_fast_assign(__entry->gpusvm = gpusvm;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->retries = retries;
			   __entry->err = err;),
	    TP_printk("gpusvm=%p [0x%lx, 0x%lx) retries=%u err=%d",
		      __entry->gpusvm, __entry->start, __entry->end,
		      __entry->retries, __entry->err)
);

/* An MMU notifier callback that reached the core. */
TRACE_EVENT(drm_gpusvm_invalidate,
	    TP_PROTO(struct drm_gpusvm *gpusvm, unsigned long start,
		     unsigned long end, unsigned int event, bool blockable,
		     bool gpu),
	    TP_ARGS(gpusvm, start, end, event, blockable, gpu),
	    TP_STRUCT__entry(__field(const void *, gpusvm)
			     __field(unsigned long, start)
			     __field(unsigned long, end)
			     __field(unsigned int, event)
			     __field(bool, blockable)
			     __field(bool, gpu)),
	    TP_fast_assign(__entry->gpusvm = gpusvm;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->event = event;
			   __entry->blockable = blockable;
			   __entry->gpu = gpu;),
	    TP_printk("gpusvm=%p [0x%lx, 0x%lx) event=%u blockable=%d gpu=%d",
		      __entry->gpusvm, __entry->start, __entry->end,
		      __entry->event, __entry->blockable, __entry->gpu)
);

/* Pages moved between system and device memory. */
DECLARE_EVENT_CLASS(drm_pagemap_migrate_class,
		    TP_PROTO(const void *dpagemap, unsigned long start, unsigned long end,
			     long moved),
		    TP_ARGS(dpagemap, start, end, moved),
		    TP_STRUCT__entry(__field(const void *, dpagemap)
				     __field(unsigned long, start)
				     __field(unsigned long, end)
				     __field(long, moved)),
		    TP_fast_assign(__entry->dpagemap = dpagemap;
				   __entry->start = start;
				   __entry->end = end;
				   __entry->moved = moved;),
		    TP_printk("dpagemap=%p [0x%lx, 0x%lx) moved=%ld", __entry->dpagemap,
			      __entry->start, __entry->end, __entry->moved)
);

DEFINE_EVENT(drm_pagemap_migrate_class, drm_pagemap_migrate_to_devmem,
	     TP_PROTO(const void *dpagemap, unsigned long start, unsigned long end,
		      long moved),
	     TP_ARGS(dpagemap, start, end, moved)
);

DEFINE_EVENT(drm_pagemap_migrate_class, drm_pagemap_migrate_to_ram,
	     TP_PROTO(const void *dpagemap, unsigned long start, unsigned long end,
		      long moved),
	     TP_ARGS(dpagemap, start, end, moved)
);

/* An allocation evicted by pfn (start/end are 0: no VA is involved). */
DEFINE_EVENT(drm_pagemap_migrate_class, drm_pagemap_evict,
	     TP_PROTO(const void *dpagemap, unsigned long start, unsigned long end,
		      long moved),
	     TP_ARGS(dpagemap, start, end, moved)
);

#endif /* __DRM_GPUSVM_TRACE_H__ */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE gpusvm_trace
#include <trace/define_trace.h>
