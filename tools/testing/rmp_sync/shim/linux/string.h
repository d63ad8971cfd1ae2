/* SPDX-License-Identifier: GPL-2.0 */
/* linux/string.h: the system header of this name, then libc's string.h. */
#include_next <linux/string.h>
#ifndef _RMP_SYNC_SHIM_LINUX_STRING_H
#define _RMP_SYNC_SHIM_LINUX_STRING_H

#include <string.h>

#endif
