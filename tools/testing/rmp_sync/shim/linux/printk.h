/* SPDX-License-Identifier: GPL-2.0 */
/* linux/printk.h: pr_*() to stderr, counted. */
#ifndef _RMP_SYNC_SHIM_LINUX_PRINTK_H
#define _RMP_SYNC_SHIM_LINUX_PRINTK_H

#include <stdio.h>
#include <linux/types.h>

/*
 * pr_err() always reaches stderr, lower levels only with -v; all are
 * counted (the bad-input cases check that nothing was logged).
 */
extern int kshim_verbose;
extern unsigned long kshim_warnings;	/* pr_warn and pr_err */
extern unsigned long kshim_splats;	/* WARN_ON, BUG_ON */
#define __kshim_pr(lvl, counter, loud, fmt, ...) do {			\
	unsigned long *__ctr = (counter);				\
	if (__ctr)							\
		__atomic_add_fetch(__ctr, 1, __ATOMIC_RELAXED);		\
	if (kshim_verbose > 0 || (loud))				\
		fprintf(stderr, lvl pr_fmt(fmt), ##__VA_ARGS__);	\
} while (0)
#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_err(fmt, ...) __kshim_pr("err: ", &kshim_warnings, 1, fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) __kshim_pr("warn: ", &kshim_warnings, 0, fmt, ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...) pr_warn(fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) __kshim_pr("", (unsigned long *)NULL, 0, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) do { } while (0)

#endif
