/* SPDX-License-Identifier: MIT */
/*
 * Command ids executed within the last hour, so that none runs twice: kept
 * in memory (GS_SYNC_CMD_DEDUPE_MAX) and in meta "sync.cmd_ids", each
 * committed before its command has any visible effect.
 */
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"
#include "gateway/txn.h"
#include "sync/sync_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool gs_sync_id_valid(const cJSON *id)
{
	size_t len;

	if (!cJSON_IsString(id) || !id->valuestring)
		return false;
	len = strlen(id->valuestring);
	if (len == 0 || len > GS_SYNC_CMD_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id->valuestring[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool gs_sync_seen_live(const struct gs_sync_seen *s, int64_t now)
{
	return s->id[0] && now - s->mono_ms < GS_SYNC_CMD_DEDUPE_MS;
}

bool gs_sync_seen_find(const struct gs_sync *sync, const char *id, int64_t now)
{
	for (size_t i = 0; i < GS_SYNC_CMD_DEDUPE_MAX; i++)
		if (gs_sync_seen_live(&sync->seen[i], now) &&
		    strcmp(sync->seen[i].id, id) == 0)
			return true;
	return false;
}

/* A free entry; NULL when all are younger than an hour, with *wait_ms
 * the time until the oldest of them expires. */
struct gs_sync_seen *gs_sync_seen_slot(struct gs_sync *sync, int64_t now,
                                       int64_t *wait_ms)
{
	int64_t oldest = now;

	for (size_t i = 0; i < GS_SYNC_CMD_DEDUPE_MAX; i++) {
		struct gs_sync_seen *s = &sync->seen[i];

		if (!gs_sync_seen_live(s, now))
			return s;
		if (s->mono_ms < oldest)
			oldest = s->mono_ms;
	}
	*wait_ms = oldest + GS_SYNC_CMD_DEDUPE_MS - now;
	return NULL;
}

static bool gs_sync_add_raw_int(cJSON *arr, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	return cJSON_AddItemToArray(arr, cJSON_CreateRaw(num));
}

/*
 * Meta holds {"boot": boot id, "ids": [["id", wall_ms, mono_ms], ...]}
 * with the ids of the last hour. Within one boot the monotonic stamp
 * gives an exact age across restarts, whatever the wall clock did in
 * between (a Pi steps it at its first NTP sync); after a reboot only the
 * wall clock is left. Written into the open transaction.
 */
static int gs_sync_seen_save(struct gs_sync *sync, int64_t now)
{
	int64_t wall = gs_sync_wall_ms(sync);
	cJSON *root = cJSON_CreateObject(), *ids = NULL;
	char *json = NULL;
	bool built;
	int rc;

	if (cJSON_AddStringToObject(root, "boot", sync->boot_id))
		ids = cJSON_AddArrayToObject(root, "ids");
	built = ids != NULL;
	for (size_t i = 0; built && i < GS_SYNC_CMD_DEDUPE_MAX; i++) {
		const struct gs_sync_seen *s = &sync->seen[i];
		cJSON *entry;

		if (!gs_sync_seen_live(s, now))
			continue;
		entry = cJSON_CreateArray();
		built =
		    entry &&
		    cJSON_AddItemToArray(entry, cJSON_CreateString(s->id)) &&
		    gs_sync_add_raw_int(entry, wall - (now - s->mono_ms)) &&
		    gs_sync_add_raw_int(entry, s->mono_ms) &&
		    cJSON_AddItemToArray(ids, entry);
		if (!built)
			cJSON_Delete(entry); /* not attached to ids */
	}
	if (built)
		json = gs_json_print(root);
	cJSON_Delete(root);
	if (!json)
		return GS_ENOMEM;
	rc = gs_store_meta_set(sync->store, GS_SYNC_META_CMD_IDS, json);
	cJSON_free(json);
	return rc;
}

/*
 * Records id as executed and commits it before its command shows any
 * effect, so that a crash (SIGKILL, a power cut) right after cannot let it
 * run again. The accepted price is the other way round: a crash between
 * this commit and the effect loses the command, and a retry with the same
 * id is refused as a duplicate. At most once is what "never twice" costs.
 */
int gs_sync_seen_commit(struct gs_sync *sync, struct gs_sync_seen *slot,
                        const char *id, int64_t now)
{
	int rc;

	snprintf(slot->id, sizeof(slot->id), "%s", id);
	slot->mono_ms = now;
	rc = gs_sync_seen_save(sync, now);
	if (rc == GS_OK)
		rc = gs_txn_commit(sync->txn);
	if (rc && gs_txn_retry(sync->txn, rc)) {
		/* Room was made the usual way: once more. */
		rc = gs_sync_seen_save(sync, now);
		if (rc == GS_OK)
			rc = gs_txn_commit(sync->txn);
	}
	if (rc)
		memset(slot, 0, sizeof(*slot));
	return rc;
}

void gs_sync_seen_load(struct gs_sync *sync)
{
	size_t len = GS_SYNC_CMD_DEDUPE_MAX * (GS_SYNC_CMD_ID_MAX * 6 + 64) +
	             GS_BOOT_ID_LEN + 64;
	int64_t now = gs_sync_mono_ms(sync), wall = gs_sync_wall_ms(sync);
	const cJSON *entry, *ids, *boot;
	char *buf = malloc(len);
	bool same_boot;
	cJSON *root;
	int rc;

	/* Unreadable: ages then come from the wall clock alone. */
	if (gs_boot_id_read(GS_BOOT_ID_PATH, sync->boot_id) != GS_OK)
		sync->boot_id[0] = '\0';
	if (!buf) {
		gs_log(GS_LOG_ERR, "mqtt: out of memory reading the executed "
		                   "command ids; ids of the last hour may run "
		                   "again");
		return;
	}
	rc = gs_store_meta_get(sync->store, GS_SYNC_META_CMD_IDS, buf, len);
	if (rc) {
		if (rc != GS_ENOENT)
			gs_log(GS_LOG_ERR,
			       "mqtt: cannot read the executed command ids: "
			       "%s; ids of the last hour may run again",
			       gs_strerror(rc));
		free(buf);
		return;
	}
	root = cJSON_Parse(buf);
	free(buf);
	/* Before the boot id was kept: a bare array of ["id", wall_ms]. */
	ids = cJSON_IsArray(root)
	          ? root
	          : cJSON_GetObjectItemCaseSensitive(root, "ids");
	boot = cJSON_GetObjectItemCaseSensitive(root, "boot");
	same_boot = cJSON_IsString(boot) && sync->boot_id[0] &&
	            strcmp(boot->valuestring, sync->boot_id) == 0;
	cJSON_ArrayForEach(entry, ids)
	{
		const cJSON *id = cJSON_GetArrayItem(entry, 0);
		const cJSON *w = cJSON_GetArrayItem(entry, 1);
		const cJSON *m = cJSON_GetArrayItem(entry, 2);
		struct gs_sync_seen *slot;
		int64_t age, wait;

		if (!gs_sync_id_valid(id) || !cJSON_IsNumber(w))
			continue;
		if (same_boot && cJSON_IsNumber(m))
			age = now - (int64_t)m->valuedouble;
		else
			age = wall - (int64_t)w->valuedouble;
		/* The clock went back: keep the id a whole hour rather than
		 * forget it. */
		if (age < 0)
			age = 0;
		if (age >= GS_SYNC_CMD_DEDUPE_MS ||
		    gs_sync_seen_find(sync, id->valuestring, now))
			continue;
		slot = gs_sync_seen_slot(sync, now, &wait);
		if (!slot)
			break; /* more than were saved: cannot happen */
		snprintf(slot->id, sizeof(slot->id), "%s", id->valuestring);
		slot->mono_ms = now - age;
	}
	cJSON_Delete(root);
}
