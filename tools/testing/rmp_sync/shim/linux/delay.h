/* SPDX-License-Identifier: GPL-2.0 */
/* linux/delay.h: msleep() on nanosleep(). */
#ifndef _RMP_SYNC_SHIM_LINUX_DELAY_H
#define _RMP_SYNC_SHIM_LINUX_DELAY_H

#include <time.h>

static inline void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

#endif
