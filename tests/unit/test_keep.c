/* SPDX-License-Identifier: MIT */
/* The keep queue (gateway/keep.c) and the declared losses
 * (gateway/loss.c): order, the bound, what a rolled-back group loses, and
 * the declaration surviving a restart through meta. */
#include "gateway/err.h"
#include "gateway/keep.h"
#include "gateway/loss.h"
#include "gateway/store.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static cJSON *payload(int n)
{
	cJSON *p = cJSON_CreateObject();

	cJSON_AddNumberToObject(p, "n", n);
	return p;
}

struct sink {
	int seen[16];
	size_t n;
	size_t fail_at; /* refuse the message at this index */
};

static int store_fn(void *ctx, const struct gs_kept *m)
{
	struct sink *s = ctx;

	if (s->n == s->fail_at)
		return GS_EFULL;
	s->seen[s->n++] = (int)cJSON_GetObjectItem(m->payload, "n")->valueint;
	return GS_OK;
}

static void test_keep_order_and_bound(void **state)
{
	struct gs_keep *k = gs_keep_new(3);
	struct gs_kept lost;
	struct sink s = {.fail_at = 2};

	(void)state;
	assert_non_null(k);
	for (int i = 0; i < 3; i++)
		assert_false(gs_keep_push(k, GS_MSG_METRICS, "t", i, i * 60000,
		                          payload(i), &lost));
	/* Full: the oldest goes and is described. */
	assert_true(
	    gs_keep_push(k, GS_MSG_METRICS, "t", 3, 180000, payload(3), &lost));
	assert_int_equal(lost.window_start_ms, 0);
	assert_null(lost.payload);
	assert_int_equal(gs_keep_count(k), 3);
	/* Stored in order until one is refused: it stays, first. */
	assert_int_equal(gs_keep_flush(k, store_fn, &s), 2);
	assert_int_equal(s.seen[0], 1);
	assert_int_equal(s.seen[1], 2);
	assert_int_equal(gs_keep_count(k), 1);
	s.fail_at = 99;
	assert_int_equal(gs_keep_flush(k, store_fn, &s), 1);
	assert_int_equal(s.seen[2], 3);
	gs_keep_free(k);
}

static void test_losses_rollback_and_meta(void **state)
{
	char *dir = gs_test_mkdtemp();
	char path[4096];
	struct gs_store *st;
	struct gs_losses *l = gs_losses_new(), *again = gs_losses_new();
	cJSON *o = cJSON_CreateObject();
	char *json;

	(void)state;
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(gs_store_open(path, NULL, &st), GS_OK);
	/* Two events of a group committed, then three rolled back. */
	gs_losses_event_pending(l, 0, 1000);
	gs_losses_event_pending(l, 0, 2000);
	gs_losses_event_pending(l, 1, 5000);
	gs_losses_event_pending(l, 1, 4000);
	gs_losses_event_pending(l, 1, 6000);
	gs_losses_rolled_back(l, 1);
	/* A second rollback with nothing new loses nothing more. */
	gs_losses_rolled_back(l, 1);
	gs_losses_add(l, "metrics", 2, 60000, 120000);
	assert_int_equal(gs_losses_total(l), 5);
	gs_losses_to_json(l, o);
	json = cJSON_PrintUnformatted(o);
	assert_string_equal(
	    json,
	    "{\"losses\":[{\"kind\":\"events\",\"count\":3,\"from\":"
	    "\"1970-01-01T00:00:04Z\",\"to\":\"1970-01-01T00:00:06Z\"},"
	    "{\"kind\":\"metrics\",\"count\":2,\"from\":"
	    "\"1970-01-01T00:01:00Z\",\"to\":\"1970-01-01T00:02:00Z\"}]}");
	cJSON_free(json);
	cJSON_Delete(o);
	/* Nothing lost: nothing added (messages stay byte-identical). */
	o = cJSON_CreateObject();
	gs_losses_to_json(again, o);
	assert_null(cJSON_GetObjectItem(o, "losses"));
	cJSON_Delete(o);
	/* Saved with a commit, read back after a restart. */
	assert_int_equal(gs_losses_save(l, st), GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);
	gs_losses_saved(l);
	gs_store_close(st);
	assert_int_equal(gs_store_open(path, NULL, &st), GS_OK);
	assert_int_equal(gs_losses_load(again, st), GS_OK);
	assert_int_equal(gs_losses_total(again), 5);
	gs_store_close(st);
	gs_losses_free(l);
	gs_losses_free(again);
	gs_test_rmdir(dir);
}

static int give_seq(void *ctx, struct gs_kept *m)
{
	uint64_t *next = ctx;

	if (m->seq)
		return 0;
	if (*next > 2)
		return 1; /* the reservation ran out */
	m->seq = (*next)++;
	return 0;
}

static int check_seq(void *ctx, struct gs_kept *m)
{
	uint64_t *want = ctx;

	assert_int_equal(m->seq, *want);
	assert_int_equal(m->delivered, *want == 2);
	*want = *want == 2 ? 0 : *want + 1;
	return 0;
}

/* Seqs go to the oldest first, so the messages with one are the head of
 * the queue; an acknowledgement is noted on its message; a message let go
 * is described with its seq. */
static void test_keep_seqs(void **state)
{
	struct gs_keep *k = gs_keep_new(3);
	struct gs_kept lost;
	uint64_t next = 1, want = 1;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_false(gs_keep_push(k, GS_MSG_METRICS, "t", i, i * 60000,
		                          payload(i), &lost));
	gs_keep_each(k, give_seq, &next);
	assert_int_equal(next, 3);
	assert_true(gs_keep_delivered(k, 2));
	assert_false(gs_keep_delivered(k, 3));
	assert_false(gs_keep_delivered(k, 0));
	gs_keep_each(k, check_seq, &want);
	assert_true(
	    gs_keep_push(k, GS_MSG_METRICS, "t", 3, 180000, payload(3), &lost));
	assert_int_equal(lost.seq, 1);
	assert_false(lost.delivered);
	assert_true(
	    gs_keep_push(k, GS_MSG_METRICS, "t", 4, 240000, payload(4), &lost));
	assert_int_equal(lost.seq, 2);
	assert_true(lost.delivered);
	gs_keep_free(k);
}

/* Seqs that may carry no message: their own kind, with the seq span, in
 * the status message and through meta. */
static void test_losses_seqs(void **state)
{
	char *dir = gs_test_mkdtemp();
	char path[4096];
	struct gs_store *st;
	struct gs_losses *l = gs_losses_new(), *again = gs_losses_new();
	cJSON *o = cJSON_CreateObject();
	char *json;

	(void)state;
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(gs_store_open(path, NULL, &st), GS_OK);
	assert_int_equal(gs_losses_seqs_upto(l), 0);
	gs_losses_add(l, "events", 2, 1000, 2000);
	gs_losses_add_seqs(l, 10, 18, 60000, 120000);
	gs_losses_add_seqs(l, 7, 7, 30000, 30000);
	gs_losses_add_seqs(l, 5, 4, 0, 0); /* empty: nothing */
	assert_int_equal(gs_losses_seqs_upto(l), 18);
	assert_int_equal(gs_losses_total(l), 12);
	gs_losses_to_json(l, o);
	json = cJSON_PrintUnformatted(o);
	assert_string_equal(
	    json, "{\"losses\":[{\"kind\":\"events\",\"count\":2,\"from\":"
	          "\"1970-01-01T00:00:01Z\",\"to\":\"1970-01-01T00:00:02Z\"},"
	          "{\"kind\":\"seqs\",\"count\":10,\"from\":"
	          "\"1970-01-01T00:00:30Z\",\"to\":\"1970-01-01T00:02:00Z\","
	          "\"first_seq\":7,\"last_seq\":18}]}");
	cJSON_free(json);
	cJSON_Delete(o);
	assert_int_equal(gs_losses_save(l, st), GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);
	gs_losses_saved(l);
	gs_store_close(st);
	assert_int_equal(gs_store_open(path, NULL, &st), GS_OK);
	assert_int_equal(gs_losses_load(again, st), GS_OK);
	assert_int_equal(gs_losses_total(again), 12);
	assert_int_equal(gs_losses_seqs_upto(again), 18);
	o = cJSON_CreateObject();
	gs_losses_to_json(again, o);
	json = cJSON_PrintUnformatted(o);
	assert_non_null(strstr(json, "\"first_seq\":7,\"last_seq\":18"));
	cJSON_free(json);
	cJSON_Delete(o);
	gs_store_close(st);
	gs_losses_free(l);
	gs_losses_free(again);
	gs_test_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keep_order_and_bound),
	    cmocka_unit_test(test_losses_rollback_and_meta),
	    cmocka_unit_test(test_keep_seqs),
	    cmocka_unit_test(test_losses_seqs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
