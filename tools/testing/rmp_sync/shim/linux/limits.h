/* SPDX-License-Identifier: GPL-2.0 */
/* Forwarder: the system header of this name (libc needs it), then ../kshim.h. */
#include_next <linux/limits.h>
#include "../kshim.h"
