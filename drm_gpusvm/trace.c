// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (c) 2026 The drm_gpusvm authors
 */

/*
 * The tracepoint definitions; the events are declared, and documented, in
 * gpusvm_trace.h.
 */
#define CREATE_TRACE_POINTS
#include "gpusvm_trace.h"
