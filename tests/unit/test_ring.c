/* SPDX-License-Identifier: MIT */
/* The growable FIFO the engine and the simulator share (gateway/ring.h). */
#include "gateway/ring.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

/* Pushes and pops interleaved so the ring wraps before each growth: the
 * order, at() and front() survive every unwrap. */
static void test_fifo(void **state)
{
	struct gs_ring r = {0};
	int64_t next_in = 0, next_out = 0;

	(void)state;
	assert_null(gs_ring_front(&r));
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 3 + round % 7; i++, next_in++)
			assert_int_equal(gs_ring_push(&r, next_in, -next_in),
			                 0);
		assert_true(r.cap >= r.len && (r.cap & (r.cap - 1)) == 0);
		for (size_t i = 0; i < r.len; i++) {
			assert_int_equal(gs_ring_at(&r, i)->t,
			                 next_out + (int64_t)i);
			assert_int_equal(gs_ring_at(&r, i)->v,
			                 -(next_out + (int64_t)i));
		}
		for (int i = 0; i < 2 + round % 5 && r.len > 0;
		     i++, next_out++) {
			assert_int_equal(gs_ring_front(&r)->t, next_out);
			gs_ring_pop(&r);
		}
	}
	while (r.len > 0) {
		assert_int_equal(gs_ring_front(&r)->t, next_out++);
		gs_ring_pop(&r);
	}
	assert_int_equal(next_out, next_in);
	assert_null(gs_ring_front(&r));
	free(r.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
