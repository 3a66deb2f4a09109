/* SPDX-License-Identifier: MIT */
/*
 * Room for SQLite's WAL index on a full disk.
 *
 * In WAL mode SQLite maps path-shm into memory. It grows that file by
 * writing one byte at the end of each 4 KiB page and then stores into the
 * mapping; on a file system with 1 KiB blocks (mkfs.ext4's choice for small
 * partitions) that byte allocates one block of four, and the first store
 * into another one on a full disk cannot get its block: the kernel sends
 * SIGBUS (a crash loop under systemd). So, before SQLite touches the file,
 * the store makes sure there is room (taken from the reserve if need be),
 * and right after it allocates the -shm file whole (GS_STORE_SHM_BYTES, so
 * that its later growth needs no block either). Where there is no room at
 * all, the WAL index lives in the process's heap instead (locking_mode
 * EXCLUSIVE: nothing mapped, nothing to fault; other processes cannot read
 * the database until the next start).
 */
#include "gateway/store_priv.h"
#include "gateway/err.h"
#include "gateway/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* What the start needs: the -shm file below and the WAL's first frames. */
#define GS_STORE_OPEN_ROOM (256 * 1024)
/* Four 32 KiB regions of WAL index: 16384 frames, 16 MiB of WAL at 1 KiB
 * pages, four times the WAL's limit. */
#define GS_STORE_SHM_BYTES (128 * 1024)
/* Less than this after the reserve: no -shm at all. */
#define GS_STORE_SHM_MIN_ROOM (64 * 1024)

/*
 * Whether this process can allocate bytes beside the database now: asked of
 * the file system itself (statvfs cannot tell: ext4 keeps blocks back that
 * f_bfree counts, and f_bavail does not count root's). The probe file goes
 * at once.
 */
static bool gs_store_room_probe(const struct gs_store *st, int64_t bytes)
{
	char probe[4096];
	int n = snprintf(probe, sizeof(probe), "%s-probe", st->path);
	int fd, err;

	if (n < 0 || (size_t)n >= sizeof(probe))
		return false;
	fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno != ENOSPC && errno != EDQUOT;
	err = posix_fallocate(fd, 0, bytes);
	close(fd);
	if (unlink(probe) != 0)
		gs_log(GS_LOG_WARNING, "store %s: unlink: %s", probe,
		       strerror(errno));
	/* Another error (a file system without fallocate): SQLite's own
	 * writes will tell. */
	return err != ENOSPC && err != EDQUOT;
}

/* Gives up to want bytes of the reserve back to the file system (from its
 * end: the rest stays allocated for the first SQLITE_FULL). */
static void gs_store_room_shrink_reserve(struct gs_store *st, int64_t want)
{
	struct stat sb;

	if (stat(st->reserve_path, &sb) != 0)
		return;
	if (sb.st_size <= want) {
		if (unlink(st->reserve_path) != 0)
			gs_log(GS_LOG_ERR, "store %s: unlink: %s",
			       st->reserve_path, strerror(errno));
	} else if (truncate(st->reserve_path, sb.st_size - want) != 0) {
		gs_log(GS_LOG_ERR, "store %s: truncate: %s", st->reserve_path,
		       strerror(errno));
		return;
	}
	gs_log(GS_LOG_WARNING,
	       "store %s: the disk is full: took %" PRId64
	       " KiB of the reserve to start",
	       st->path,
	       (int64_t)(sb.st_size < want ? sb.st_size : want) / 1024);
}

bool gs_store_room_before_open(struct gs_store *st)
{
	if (gs_store_room_probe(st, GS_STORE_OPEN_ROOM))
		return true;
	gs_store_room_shrink_reserve(st, GS_STORE_OPEN_ROOM);
	if (gs_store_room_probe(st, GS_STORE_SHM_MIN_ROOM))
		return true;
	gs_log(GS_LOG_WARNING,
	       "store %s: the disk is full: the WAL index stays in memory; "
	       "other processes cannot read the database until the next "
	       "start",
	       st->path);
	return false;
}

void gs_store_room_shm(struct gs_store *st)
{
	char shm[4096];
	int n = snprintf(shm, sizeof(shm), "%s-shm", st->path);
	int err;

	if (n < 0 || (size_t)n >= sizeof(shm))
		return;
	/* Kept open until the connection closes: closing any descriptor of
	 * the file would drop the POSIX locks SQLite holds on it. */
	st->shm_fd = open(shm, O_RDWR | O_CLOEXEC);
	if (st->shm_fd < 0) {
		if (errno != ENOENT) /* ENOENT: exclusive mode, no file */
			gs_log(GS_LOG_WARNING, "store %s: %s", shm,
			       strerror(errno));
		return;
	}
	err = posix_fallocate(st->shm_fd, 0, GS_STORE_SHM_BYTES);
	if (err != 0)
		gs_log(GS_LOG_WARNING,
		       "store %s: cannot allocate the WAL index: %s; a full "
		       "disk may stop the daemon",
		       shm, strerror(err));
}
