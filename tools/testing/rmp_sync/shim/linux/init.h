/* SPDX-License-Identifier: GPL-2.0 */
/* linux/init.h: __init and __exit (linux/compiler.h). */
#ifndef _RMP_SYNC_SHIM_LINUX_INIT_H
#define _RMP_SYNC_SHIM_LINUX_INIT_H

#include <linux/compiler.h>

#endif
