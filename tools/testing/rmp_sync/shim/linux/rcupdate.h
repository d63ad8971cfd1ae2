/* SPDX-License-Identifier: GPL-2.0 */
/* linux/rcupdate.h: liburcu (memb flavour), with the kernel's publication semantics. */
#ifndef _RMP_SYNC_SHIM_LINUX_RCUPDATE_H
#define _RMP_SYNC_SHIM_LINUX_RCUPDATE_H

#include <linux/types.h>
#include <urcu.h>
#include <linux/compiler.h>

/*
 * liburcu is the RCU here.  tools/include/linux/kernel.h once defined
 * synchronize_rcu() as an empty function-like macro, and RCU silently
 * stopped waiting.  Take the address of the real thing: that does not
 * compile if synchronize_rcu is anything but liburcu's function.
 */
static void (*const kshim_synchronize_rcu_is_real)(void) __attribute__((unused)) =
	synchronize_rcu;

/*
 * RCU: liburcu (memb flavour) for rcu_read_lock() and synchronize_rcu().
 * Pointer publication uses GCC atomics with the kernel's semantics (a
 * release store, a consume load) so that ThreadSanitizer sees them; liburcu's
 * own macros are plain volatile accesses to it.
 */
#undef rcu_assign_pointer
#undef rcu_dereference
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_CONSUME)

/*
 * ThreadSanitizer does not know that synchronize_rcu() waits for readers:
 * every read-side critical section ends with a release of kshim_rcu_hb and
 * every grace period ends with an acquire of it, which is what a grace
 * period guarantees.  Without it, each free after synchronize_rcu() would
 * be reported as a race with the readers it waited for.
 */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
extern int kshim_rcu_hb;
static inline void kshim_rcu_read_unlock(void)
{
	__tsan_release(&kshim_rcu_hb);
	urcu_memb_read_unlock();
}
static inline void kshim_synchronize_rcu(void)
{
	urcu_memb_synchronize_rcu();
	__tsan_acquire(&kshim_rcu_hb);
}
#undef rcu_read_unlock
#undef synchronize_rcu
#define rcu_read_unlock kshim_rcu_read_unlock
#define synchronize_rcu kshim_synchronize_rcu
#endif
#define rcu_dereference_protected(p, c) (p)
#define RCU_INIT_POINTER(p, v) ((p) = (v))

#endif
