/* SPDX-License-Identifier: GPL-2.0 */
/* linux/errno.h: the system header of this name, then libc's errno. */
#include_next <linux/errno.h>
#ifndef _RMP_SYNC_SHIM_LINUX_ERRNO_H
#define _RMP_SYNC_SHIM_LINUX_ERRNO_H

#include <errno.h>

#endif
