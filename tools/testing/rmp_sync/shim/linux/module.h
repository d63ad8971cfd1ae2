/* SPDX-License-Identifier: GPL-2.0 */
/* linux/module.h: the system header of this name, then module metadata (nothing here). */
#include_next <linux/module.h>
#ifndef _RMP_SYNC_SHIM_LINUX_MODULE_H
#define _RMP_SYNC_SHIM_LINUX_MODULE_H

#include <linux/export.h>
#include <linux/init.h>

#define MODULE_LICENSE(x)
#define MODULE_DESCRIPTION(x)

#endif
