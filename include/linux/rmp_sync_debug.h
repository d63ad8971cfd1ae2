/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmp_sync's test and debug scaffolding, kept out of <linux/rmp_sync.h>:
 *
 *  - fault injection in the style of should_fail() (<linux/fault-inject.h>):
 *    a struct rmp_sync_fault_attr per failure point, armed to fail its Nth
 *    call, and rmp_sync_should_fail() at the point;
 *  - the pseudo-random generator of the tests and tools, rmp_sync_rand().
 *
 * The software RMP, which uses both, is declared in <linux/rmp_sync_swrmp.h>.
 */
#ifndef _LINUX_RMP_SYNC_DEBUG_H
#define _LINUX_RMP_SYNC_DEBUG_H

#include <linux/types.h>
#include <linux/atomic.h>

/**
 * struct rmp_sync_fault_attr - one failure point.
 * @calls: calls counted since the point was armed.
 * @nth: the first call to fail (1-based); 0: disarmed, nothing counted.
 * @times: how many calls fail from @nth on.
 * @error: what a failing call returns: a negative errno, or the RMP status
 *	or collapse result the backend reports.
 */
struct rmp_sync_fault_attr {
	atomic_t calls;
	int nth;
	int times;
	int error;
};

/**
 * rmp_sync_fault_arm() - fail calls @nth .. @nth + @times - 1 from now.
 * @attr: the failure point.
 * @nth: first call to fail, 1-based; 0 disarms.
 * @times: number of calls that fail.
 * @error: what they return.
 */
static inline void rmp_sync_fault_arm(struct rmp_sync_fault_attr *attr,
				      int nth, int times, int error)
{
	atomic_set(&attr->calls, 0);
	attr->times = times;
	attr->error = error;
	WRITE_ONCE(attr->nth, nth);
}

/**
 * rmp_sync_should_fail() - count a call at a failure point.
 * @attr: the failure point.
 * @error: set to the armed error when this call must fail.
 *
 * Disarmed, it costs one load.
 *
 * Return: true if this call must fail with *@error.
 */
static inline bool rmp_sync_should_fail(struct rmp_sync_fault_attr *attr,
					int *error)
{
	int nth = READ_ONCE(attr->nth);
	int call;

	if (!nth)
		return false;
	call = atomic_inc_return(&attr->calls);
	if (call < nth || call >= nth + attr->times)
		return false;
	*error = attr->error;
	return true;
}

/**
 * rmp_sync_fault_fired() - has the armed failure happened yet?
 * @attr: the failure point.
 *
 * Return: true once the @nth call since arming was made.
 */
static inline bool rmp_sync_fault_fired(struct rmp_sync_fault_attr *attr)
{
	int nth = READ_ONCE(attr->nth);

	return nth && atomic_read(&attr->calls) >= nth;
}

/*
 * The core's own allocations (arch/x86/mm/rmp_sync.c).  The userspace
 * harness has a second point of the same kind, kshim_alloc_fault, which
 * fails any allocation (core and emulated host).
 */
extern struct rmp_sync_fault_attr rmp_sync_alloc_fault;

/**
 * rmp_sync_rand() - the tests' and tools' pseudo-random generator.
 * @state: its state, nonzero; updated.
 *
 * xorshift64*: small, seedable and the same in the kernel and in
 * userspace, so that a seed a test or a tool prints replays its run.
 *
 * Return: the next 64-bit value.
 */
static inline u64 rmp_sync_rand(u64 *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1DULL;
}

#endif /* _LINUX_RMP_SYNC_DEBUG_H */
