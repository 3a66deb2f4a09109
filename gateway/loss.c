/* SPDX-License-Identifier: MIT */
#include "gateway/loss.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GS_LOSS_KINDS    8
#define GS_LOSS_KIND_MAX 16
#define GS_LOSS_META     "gateway.losses"
#define GS_LOSS_META_MAX 1024
#define GS_LOSS_SEQS     "seqs"

struct gs_loss {
	char kind[GS_LOSS_KIND_MAX]; /* "" = free */
	uint64_t count;
	int64_t from_ms, to_ms;
	uint64_t seq_first, seq_last; /* kind "seqs"; 0 otherwise */
};

struct gs_losses {
	struct gs_loss k[GS_LOSS_KINDS];
	bool dirty;    /* changed since the last save */
	bool saving;   /* saved into the open transaction */
	uint64_t mark; /* gs_store_commits() when the group began */
	uint64_t pending;
	int64_t pending_from, pending_to;
	struct gs_complaint complaint; /* a full disk loses per group */
};

struct gs_losses *gs_losses_new(void)
{
	return calloc(1, sizeof(struct gs_losses));
}

void gs_losses_free(struct gs_losses *l)
{
	free(l);
}

static struct gs_loss *gs_losses_slot(struct gs_losses *l, const char *kind)
{
	for (size_t i = 0; i < GS_LOSS_KINDS; i++)
		if (strcmp(l->k[i].kind, kind) == 0)
			return &l->k[i];
	for (size_t i = 0; i < GS_LOSS_KINDS; i++)
		if (!l->k[i].kind[0]) {
			snprintf(l->k[i].kind, sizeof(l->k[i].kind), "%s",
			         kind);
			l->k[i].from_ms = INT64_MAX;
			l->k[i].to_ms = INT64_MIN;
			return &l->k[i];
		}
	return NULL;
}

void gs_losses_add(struct gs_losses *l, const char *kind, uint64_t n,
                   int64_t from_ms, int64_t to_ms)
{
	struct gs_loss *s;

	if (!l || n == 0)
		return;
	s = gs_losses_slot(l, kind);
	if (!s) {
		gs_log(GS_LOG_ERR, "losses: no slot for kind %s", kind);
		return;
	}
	s->count += n;
	if (from_ms < s->from_ms)
		s->from_ms = from_ms;
	if (to_ms > s->to_ms)
		s->to_ms = to_ms;
	l->dirty = true;
	l->saving = false; /* a save in flight does not hold this one */
	gs_complain(&l->complaint, GS_LOG_ERR,
	            "lost %" PRIu64 " %s (declared in the status message; "
	            "%" PRIu64 " in all)",
	            n, kind, s->count);
}

void gs_losses_add_seqs(struct gs_losses *l, uint64_t first, uint64_t last,
                        int64_t from_ms, int64_t to_ms)
{
	struct gs_loss *s;

	if (!l || first == 0 || last < first)
		return;
	gs_losses_add(l, GS_LOSS_SEQS, last - first + 1, from_ms, to_ms);
	s = gs_losses_slot(l, GS_LOSS_SEQS);
	if (!s)
		return;
	if (s->seq_first == 0 || first < s->seq_first)
		s->seq_first = first;
	if (last > s->seq_last)
		s->seq_last = last;
}

uint64_t gs_losses_seqs_upto(const struct gs_losses *l)
{
	for (size_t i = 0; l && i < GS_LOSS_KINDS; i++)
		if (strcmp(l->k[i].kind, GS_LOSS_SEQS) == 0)
			return l->k[i].seq_last;
	return 0;
}

void gs_losses_event_pending(struct gs_losses *l, uint64_t commits,
                             int64_t t_ms)
{
	if (commits != l->mark) {
		l->mark = commits;
		l->pending = 0;
	}
	if (l->pending == 0 || t_ms < l->pending_from)
		l->pending_from = t_ms;
	if (l->pending == 0 || t_ms > l->pending_to)
		l->pending_to = t_ms;
	l->pending++;
}

void gs_losses_rolled_back(struct gs_losses *l, uint64_t commits)
{
	l->saving = false;
	if (commits == l->mark && l->pending > 0)
		gs_losses_add(l, "events", l->pending, l->pending_from,
		              l->pending_to);
	l->pending = 0;
}

uint64_t gs_losses_total(const struct gs_losses *l)
{
	uint64_t n = 0;

	for (size_t i = 0; l && i < GS_LOSS_KINDS; i++)
		n += l->k[i].count;
	return n;
}

void gs_losses_to_json(const struct gs_losses *l, cJSON *obj)
{
	cJSON *arr;

	if (gs_losses_total(l) == 0)
		return;
	arr = cJSON_AddArrayToObject(obj, "losses");
	for (size_t i = 0; arr && i < GS_LOSS_KINDS; i++) {
		const struct gs_loss *s = &l->k[i];
		cJSON *o;

		if (!s->kind[0] || s->count == 0)
			continue;
		o = cJSON_CreateObject();
		if (!o)
			return;
		cJSON_AddStringToObject(o, "kind", s->kind);
		gs_json_add_int(o, "count", (int64_t)s->count);
		gs_json_add_time(o, "from", s->from_ms, false);
		gs_json_add_time(o, "to", s->to_ms, false);
		if (s->seq_last > 0) {
			gs_json_add_int(o, "first_seq", (int64_t)s->seq_first);
			gs_json_add_int(o, "last_seq", (int64_t)s->seq_last);
		}
		cJSON_AddItemToArray(arr, o);
	}
}

void gs_losses_parse(struct gs_losses *l, const char *text)
{
	const char *p = text;

	/* "kind count from to[ first_seq last_seq];" repeated: our own
	 * format, from our own writes; a malformed tail is ignored. */
	while (*p) {
		char kind[GS_LOSS_KIND_MAX], item[128];
		const char *end = strchr(p, ';');
		uint64_t n, first = 0, last = 0;
		int64_t from, to;
		size_t len;
		int got;
		struct gs_loss *s;

		if (!end || (len = (size_t)(end - p)) >= sizeof(item))
			break;
		memcpy(item, p, len);
		item[len] = '\0';
		got = sscanf(item,
		             "%15s %" SCNu64 " %" SCNd64 " %" SCNd64 " %" SCNu64
		             " %" SCNu64,
		             kind, &n, &from, &to, &first, &last);
		if (got != 4 && got != 6)
			break;
		p = end + 1;
		while (*p == ' ')
			p++;
		s = gs_losses_slot(l, kind);
		if (s) {
			s->count += n;
			s->from_ms = from < s->from_ms ? from : s->from_ms;
			s->to_ms = to > s->to_ms ? to : s->to_ms;
			if (got == 6 && last >= first && first > 0) {
				if (s->seq_first == 0 || first < s->seq_first)
					s->seq_first = first;
				if (last > s->seq_last)
					s->seq_last = last;
			}
		}
	}
}

int gs_losses_load(struct gs_losses *l, struct gs_store *st)
{
	char buf[GS_LOSS_META_MAX];
	int rc = gs_store_meta_get(st, GS_LOSS_META, buf, sizeof(buf));

	if (rc == GS_ENOENT)
		return GS_OK;
	if (rc)
		return rc;
	gs_losses_parse(l, buf);
	return GS_OK;
}

int gs_losses_save(struct gs_losses *l, struct gs_store *st)
{
	char buf[GS_LOSS_META_MAX];
	size_t off = 0;
	int rc;

	if (!l->dirty)
		return GS_OK;
	buf[0] = '\0';
	for (size_t i = 0; i < GS_LOSS_KINDS; i++) {
		const struct gs_loss *s = &l->k[i];
		int n;

		if (!s->kind[0] || s->count == 0)
			continue;
		if (s->seq_last > 0)
			n = snprintf(buf + off, sizeof(buf) - off,
			             "%s %" PRIu64 " %" PRId64 " %" PRId64
			             " %" PRIu64 " %" PRIu64 "; ",
			             s->kind, s->count, s->from_ms, s->to_ms,
			             s->seq_first, s->seq_last);
		else
			n = snprintf(buf + off, sizeof(buf) - off,
			             "%s %" PRIu64 " %" PRId64 " %" PRId64 "; ",
			             s->kind, s->count, s->from_ms, s->to_ms);
		if (n < 0 || (size_t)n >= sizeof(buf) - off)
			return GS_EINVAL;
		off += (size_t)n;
	}
	rc = gs_store_meta_set(st, GS_LOSS_META, buf);
	if (rc == GS_OK)
		l->saving = true;
	return rc;
}

void gs_losses_saved(struct gs_losses *l)
{
	if (l->saving)
		l->dirty = false;
	l->saving = false;
}
