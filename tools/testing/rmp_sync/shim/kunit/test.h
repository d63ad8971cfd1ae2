/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The subset of KUnit (include/kunit/test.h) that lib/test_rmp_sync.c and
 * the harness's own suites use, so that the same file runs in the kernel
 * under kunit.py and in userspace under tools/testing/rmp_sync/rmp-sync-test.
 * Same names and semantics: EXPECT records a failure and goes on, ASSERT
 * and kunit_skip() end the case, cleanup actions run whatever happened.
 */
#ifndef _RMP_SYNC_SHIM_KUNIT_TEST_H
#define _RMP_SYNC_SHIM_KUNIT_TEST_H

#include <setjmp.h>
#include "../kshim.h"

#define KUNIT_PARAM_DESC_SIZE 128

struct kunit_action;

/* As the kernel's: a case's status so far. */
enum kunit_status {
	KUNIT_SUCCESS,
	KUNIT_FAILURE,
	KUNIT_SKIPPED,
};

struct kunit {
	const char *name;
	enum kunit_status status;	/* KUNIT_FAILURE once a check failed */
	bool failed;
	bool skipped;
	char status_comment[256];
	void *priv;
	const void *param_value;
	jmp_buf *bail;
	struct kunit_action *actions;
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
	const void *(*generate_params)(const void *prev, char *desc);
};

struct kunit_suite {
	const char name[256];
	int (*suite_init)(struct kunit_suite *suite);
	void (*suite_exit)(struct kunit_suite *suite);
	int (*init)(struct kunit *test);
	void (*exit)(struct kunit *test);
	struct kunit_case *test_cases;
	struct kunit_suite *next;		/* harness registry */
};

#define KUNIT_CASE(fn) { .run_case = fn, .name = #fn }
#define KUNIT_CASE_PARAM(fn, gen) \
	{ .run_case = fn, .name = #fn, .generate_params = gen }

void kunit_register_suite(struct kunit_suite *suite);
#define __kunit_suites_reg(id, ...)					\
	static struct kunit_suite *__kunit_suites_##id[] = { __VA_ARGS__ }; \
	static void __attribute__((constructor)) __kunit_reg_##id(void) \
	{								\
		for (size_t __i = 0; __i < ARRAY_SIZE(__kunit_suites_##id); __i++) \
			kunit_register_suite(__kunit_suites_##id[__i]);	\
	}
#define __kunit_suites_cat(a, b) __kunit_suites_reg(b, a)
#define kunit_test_suites(...) __kunit_suites_reg(__COUNTER__, __VA_ARGS__)
#define kunit_test_suite(s) kunit_test_suites(&(s))

/* Failures. */
void __kunit_fail(struct kunit *test, const char *file, int line,
		  bool assert, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void __kunit_skip(struct kunit *test, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
#define kunit_skip(test, fmt, ...) __kunit_skip(test, fmt, ##__VA_ARGS__)
#define kunit_mark_skipped(test, fmt, ...) do {				\
	(test)->skipped = true;						\
	snprintf((test)->status_comment, sizeof((test)->status_comment), \
		 fmt, ##__VA_ARGS__);					\
} while (0)
#define kunit_info(test, fmt, ...) do {					\
	if (kshim_verbose > 0)						\
		printf("    # %s: " fmt "\n", (test)->name, ##__VA_ARGS__); \
} while (0)
#define kunit_err(test, fmt, ...) \
	fprintf(stderr, "    # %s: " fmt "\n", (test)->name, ##__VA_ARGS__)

#define __KUNIT_BINOP(test, assert, l, op, r, fmt, ...) do {		\
	typeof(l) __l = (l);						\
	typeof(r) __r = (r);						\
	if (!(__l op __r))						\
		__kunit_fail(test, __FILE__, __LINE__, assert,		\
			     "Expected %s %s %s, but %s == %lld, %s == %lld" fmt, \
			     #l, #op, #r, #l, (long long)__l, #r,	\
			     (long long)__r, ##__VA_ARGS__);		\
} while (0)
#define __KUNIT_BOOL(test, assert, c, want, fmt, ...) do {		\
	if ((!!(c)) != (want))						\
		__kunit_fail(test, __FILE__, __LINE__, assert,		\
			     "Expected %s to be %s" fmt, #c,		\
			     (want) ? "true" : "false", ##__VA_ARGS__);	\
} while (0)

#define KUNIT_EXPECT_EQ(t, l, r) __KUNIT_BINOP(t, false, l, ==, r, "")
#define KUNIT_EXPECT_NE(t, l, r) __KUNIT_BINOP(t, false, l, !=, r, "")
#define KUNIT_EXPECT_LT(t, l, r) __KUNIT_BINOP(t, false, l, <, r, "")
#define KUNIT_EXPECT_LE(t, l, r) __KUNIT_BINOP(t, false, l, <=, r, "")
#define KUNIT_EXPECT_GT(t, l, r) __KUNIT_BINOP(t, false, l, >, r, "")
#define KUNIT_EXPECT_GE(t, l, r) __KUNIT_BINOP(t, false, l, >=, r, "")
#define KUNIT_EXPECT_TRUE(t, c) __KUNIT_BOOL(t, false, c, true, "")
#define KUNIT_EXPECT_FALSE(t, c) __KUNIT_BOOL(t, false, c, false, "")
#define KUNIT_EXPECT_NULL(t, p) __KUNIT_BOOL(t, false, (p) == NULL, true, "")
#define KUNIT_EXPECT_NOT_NULL(t, p) __KUNIT_BOOL(t, false, (p) != NULL, true, "")
#define KUNIT_EXPECT_EQ_MSG(t, l, r, fmt, ...) \
	__KUNIT_BINOP(t, false, l, ==, r, ": " fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_TRUE_MSG(t, c, fmt, ...) \
	__KUNIT_BOOL(t, false, c, true, ": " fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_FALSE_MSG(t, c, fmt, ...) \
	__KUNIT_BOOL(t, false, c, false, ": " fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_EQ(t, l, r) __KUNIT_BINOP(t, true, l, ==, r, "")
#define KUNIT_ASSERT_NE(t, l, r) __KUNIT_BINOP(t, true, l, !=, r, "")
#define KUNIT_ASSERT_LT(t, l, r) __KUNIT_BINOP(t, true, l, <, r, "")
#define KUNIT_ASSERT_LE(t, l, r) __KUNIT_BINOP(t, true, l, <=, r, "")
#define KUNIT_ASSERT_GT(t, l, r) __KUNIT_BINOP(t, true, l, >, r, "")
#define KUNIT_ASSERT_GE(t, l, r) __KUNIT_BINOP(t, true, l, >=, r, "")
#define KUNIT_ASSERT_TRUE(t, c) __KUNIT_BOOL(t, true, c, true, "")
#define KUNIT_ASSERT_FALSE(t, c) __KUNIT_BOOL(t, true, c, false, "")
#define KUNIT_ASSERT_NOT_NULL(t, p) __KUNIT_BOOL(t, true, (p) != NULL, true, "")
#define KUNIT_ASSERT_NOT_ERR_OR_NULL(t, p) KUNIT_ASSERT_NOT_NULL(t, p)
#define KUNIT_ASSERT_EQ_MSG(t, l, r, fmt, ...) \
	__KUNIT_BINOP(t, true, l, ==, r, ": " fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_TRUE_MSG(t, c, fmt, ...) \
	__KUNIT_BOOL(t, true, c, true, ": " fmt, ##__VA_ARGS__)
#define KUNIT_FAIL(t, fmt, ...) \
	__kunit_fail(t, __FILE__, __LINE__, false, fmt, ##__VA_ARGS__)

/* Resources released when the case ends, even when it failed. */
typedef void (kunit_action_t)(void *ctx);
int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action,
			      void *ctx);
void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp);

/* Parameterized cases over an array, as in the kernel. */
#define KUNIT_ARRAY_PARAM(name, array, get_desc)			\
	static const void *name##_gen_params(const void *prev, char *desc) \
	{								\
		typeof((array)[0]) *__next = prev ? ((typeof(__next))prev) + 1 : (array); \
		if (__next - (array) < (long)ARRAY_SIZE(array)) {	\
			void (*__get_desc)(typeof(__next), char *) = get_desc; \
			if (__get_desc)					\
				__get_desc(__next, desc);		\
			return __next;					\
		}							\
		return NULL;						\
	}
#define KUNIT_ARRAY_PARAM_DESC(name, array, desc_member)		\
	static const void *name##_gen_params(const void *prev, char *desc) \
	{								\
		typeof((array)[0]) *__next = prev ? ((typeof(__next))prev) + 1 : (array); \
		if (__next - (array) < (long)ARRAY_SIZE(array)) {	\
			snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", __next->desc_member); \
			return __next;					\
		}							\
		return NULL;						\
	}

/* Harness extras (userspace only): the seed of this run. */
extern unsigned long long kunit_shim_seed;

#endif /* _RMP_SYNC_SHIM_KUNIT_TEST_H */
