/* SPDX-License-Identifier: MIT */
/*
 * The store's one transaction owner: commits on request and hands every
 * failure to one policy (gateway/txn.h).
 */
#include "gateway/txn.h"
#include "gateway/err.h"
#include "gateway/store.h"

#include <stdlib.h>

struct gs_txn {
	struct gs_store *st;
	struct gs_txn_policy policy;
	void *ctx;
};

static void gs_txn_on_rollback(void *ctx, int err)
{
	struct gs_txn *t = ctx;

	if (t->policy.rolled_back)
		t->policy.rolled_back(t->ctx, err);
}

struct gs_txn *gs_txn_new(struct gs_store *st,
                          const struct gs_txn_policy *policy, void *ctx)
{
	struct gs_txn *t;

	if (!st)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->st = st;
	if (policy)
		t->policy = *policy;
	t->ctx = ctx;
	gs_store_on_rollback(st, gs_txn_on_rollback, t);
	return t;
}

void gs_txn_free(struct gs_txn *t)
{
	if (!t)
		return;
	gs_store_on_rollback(t->st, NULL, NULL);
	free(t);
}

int gs_txn_commit(struct gs_txn *t)
{
	int rc;

	if (t->policy.joining)
		t->policy.joining(t->ctx);
	rc = gs_store_commit(t->st);
	if (rc == GS_OK) {
		if (t->policy.committed)
			t->policy.committed(t->ctx);
	} else if (rc == GS_EFULL && t->policy.make_room) {
		(void)t->policy.make_room(t->ctx); /* the next group may fit */
	}
	return rc;
}

bool gs_txn_retry(struct gs_txn *t, int err)
{
	return err == GS_EFULL && t->policy.make_room &&
	       t->policy.make_room(t->ctx);
}
