// SPDX-License-Identifier: GPL-2.0
/*
 * A KUnit-compatible runner for userspace: runs the suites registered with
 * kunit_test_suites() (lib/test_rmp_sync.c and the harness's own), silent
 * on success, KTAP-like lines with -v, and a closing "N passed, N failed,
 * N skipped" line.
 *
 *   rmp-sync-test [-v] [-s SEED] [-t FILTER]
 */
#include <getopt.h>
#include <stdarg.h>
#include <kunit/test.h>

struct kunit_action {
	kunit_action_t *fn;
	void *ctx;
	struct kunit_action *next;
};

static struct kunit_suite *suites;
unsigned long long kunit_shim_seed;

void kunit_register_suite(struct kunit_suite *suite)
{
	struct kunit_suite **p = &suites;

	while (*p)		/* keep registration order */
		p = &(*p)->next;
	suite->next = NULL;
	*p = suite;
}

void __kunit_fail(struct kunit *test, const char *file, int line,
		  bool assert, const char *fmt, ...)
{
	va_list ap;

	test->failed = true;
	test->status = KUNIT_FAILURE;
	fprintf(stderr, "    # %s: %s:%d: ", test->name, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (assert)
		longjmp(*test->bail, 1);
}

void __kunit_skip(struct kunit *test, const char *fmt, ...)
{
	va_list ap;

	test->skipped = true;
	va_start(ap, fmt);
	vsnprintf(test->status_comment, sizeof(test->status_comment), fmt, ap);
	va_end(ap);
	longjmp(*test->bail, 1);
}

int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action,
			      void *ctx)
{
	struct kunit_action *a = calloc(1, sizeof(*a));

	if (!a) {
		action(ctx);
		return -ENOMEM;
	}
	a->fn = action;
	a->ctx = ctx;
	a->next = test->actions;	/* run in reverse order, like KUnit */
	test->actions = a;
	return 0;
}

void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	void *p = calloc(1, size);

	if (p && kunit_add_action_or_reset(test, free, p))
		return NULL;
	return p;
}

static void run_actions(struct kunit *test)
{
	while (test->actions) {
		struct kunit_action *a = test->actions;

		test->actions = a->next;
		a->fn(a->ctx);
		free(a);
	}
}

static int verbose;
static unsigned int n_pass, n_fail, n_skip;
static char skip_reason[256];

/* One run of one case (one parameter); returns 0 pass, 1 fail, 2 skip. */
static int run_one(struct kunit_suite *suite, struct kunit_case *c,
		   const void *param, const char *name)
{
	struct kunit test = { .name = name, .param_value = param };
	unsigned long splats = kshim_splats;
	jmp_buf bail;

	test.bail = &bail;
	if (!setjmp(bail)) {
		if (suite->init && suite->init(&test))
			KUNIT_FAIL(&test, "suite init failed");
		else
			c->run_case(&test);
	}
	if (!setjmp(bail) && suite->exit)
		suite->exit(&test);
	run_actions(&test);
	/* A splat fails the case, as it fails a kunit.py run. */
	if (kshim_splats != splats) {
		fprintf(stderr, "    # %s: %lu WARNING splat(s)\n", name,
			kshim_splats - splats);
		test.failed = true;
		test.status = KUNIT_FAILURE;
	}
	if (test.skipped && !test.failed) {
		snprintf(skip_reason, sizeof(skip_reason), "%s", test.status_comment);
		return 2;
	}
	return test.failed ? 1 : 0;
}

static void report(int res, const char *name, const char *comment)
{
	if (res == 0)
		n_pass++;
	else if (res == 1)
		n_fail++;
	else
		n_skip++;
	if (verbose || res != 0)
		printf("%s %s%s%s\n", res == 1 ? "not ok" : "ok", name,
		       res == 2 ? " # SKIP " : "", res == 2 ? comment : "");
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	struct kunit_suite *suite;
	int opt;

	kunit_shim_seed = (unsigned long long)time(NULL);
	while ((opt = getopt(argc, argv, "vs:t:h")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			kshim_verbose = 1;
			break;
		case 's':
			kunit_shim_seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			filter = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-v] [-s SEED] [-t SUITE[.CASE]]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	rcu_register_thread();
	printf("# rmp_sync tests, seed %llu (replay with -s %llu)\n",
	       kunit_shim_seed, kunit_shim_seed);

	for (suite = suites; suite; suite = suite->next) {
		struct kunit_case *c;

		if (suite->suite_init && suite->suite_init(suite)) {
			printf("not ok %s # suite_init failed\n", suite->name);
			n_fail++;
			continue;
		}
		for (c = suite->test_cases; c->run_case; c++) {
			char name[512], desc[KUNIT_PARAM_DESC_SIZE];
			const void *param = NULL;
			int res;

			snprintf(name, sizeof(name), "%s.%s", suite->name, c->name);
			if (filter && !strstr(name, filter))
				continue;
			if (!c->generate_params) {
				res = run_one(suite, c, NULL, name);
				report(res, name, skip_reason);
				continue;
			}
			while ((desc[0] = 0, param = c->generate_params(param, desc))) {
				char pname[700];

				snprintf(pname, sizeof(pname), "%s[%s]", name, desc);
				res = run_one(suite, c, param, pname);
				report(res, pname, skip_reason);
			}
		}
		if (suite->suite_exit)
			suite->suite_exit(suite);
	}
	rcu_barrier();
	rcu_unregister_thread();
	printf("%u passed, %u failed, %u skipped\n", n_pass, n_fail, n_skip);
	return n_fail ? 1 : 0;
}
