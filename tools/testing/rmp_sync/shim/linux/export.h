/* SPDX-License-Identifier: GPL-2.0 */
/* linux/export.h: symbol exports mean nothing here. */
#ifndef _RMP_SYNC_SHIM_LINUX_EXPORT_H
#define _RMP_SYNC_SHIM_LINUX_EXPORT_H

#define EXPORT_SYMBOL_GPL(sym)
#define EXPORT_SYMBOL(sym)

#endif
