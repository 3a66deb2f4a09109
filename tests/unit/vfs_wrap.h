/* SPDX-License-Identifier: MIT */
/*
 * A SQLite VFS that wraps the default one and calls hooks on writes and
 * fsyncs: the store's tests use it to simulate a disk that fills up
 * (ENOSPC, which PRAGMA max_page_count cannot: it never limits the WAL),
 * bench/bench_store.c to count the bytes SQLite writes. Header-only so
 * that both can include it; registered as the default VFS, so code that
 * opens databases the ordinary way goes through it.
 */
#ifndef GS_VFS_WRAP_H
#define GS_VFS_WRAP_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

struct vfs_wrap;

struct vfs_wrap_file {
	sqlite3_file base;
	struct vfs_wrap *w;
	sqlite3_file *real; /* follows this struct in the same allocation */
	int flags;          /* SQLITE_OPEN_MAIN_DB, SQLITE_OPEN_WAL, ... */
	sqlite3_int64 size; /* as far as writes and truncates tell */
	struct vfs_wrap_file *next;
};

struct vfs_wrap {
	sqlite3_vfs vfs; /* first: xOpen finds the wrapper from it */
	sqlite3_vfs *real;
	struct vfs_wrap_file *files; /* open now */
	/* Called before a write reaches the disk: SQLITE_OK lets it go on,
	 * anything else is returned to SQLite instead. */
	int (*on_write)(struct vfs_wrap *w, struct vfs_wrap_file *f, int amt,
	                sqlite3_int64 off);
	void (*on_sync)(struct vfs_wrap *w, struct vfs_wrap_file *f);
	void *ctx;
};

#define VFS_WRAP_REAL(f) (((struct vfs_wrap_file *)(f))->real)

static int vfs_wrap_close(sqlite3_file *f)
{
	struct vfs_wrap_file *wf = (struct vfs_wrap_file *)f;
	struct vfs_wrap_file **p;

	for (p = &wf->w->files; *p; p = &(*p)->next) {
		if (*p == wf) {
			*p = wf->next;
			break;
		}
	}
	return wf->real->pMethods->xClose(wf->real);
}

static int vfs_wrap_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	return VFS_WRAP_REAL(f)->pMethods->xRead(VFS_WRAP_REAL(f), buf, amt,
	                                         off);
}

static int vfs_wrap_write(sqlite3_file *f, const void *buf, int amt,
                          sqlite3_int64 off)
{
	struct vfs_wrap_file *wf = (struct vfs_wrap_file *)f;
	int rc =
	    wf->w->on_write ? wf->w->on_write(wf->w, wf, amt, off) : SQLITE_OK;

	if (rc != SQLITE_OK)
		return rc;
	rc = wf->real->pMethods->xWrite(wf->real, buf, amt, off);
	if (rc == SQLITE_OK && off + amt > wf->size)
		wf->size = off + amt;
	return rc;
}

static int vfs_wrap_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct vfs_wrap_file *wf = (struct vfs_wrap_file *)f;
	int rc = wf->real->pMethods->xTruncate(wf->real, size);

	if (rc == SQLITE_OK)
		wf->size = size;
	return rc;
}

static int vfs_wrap_sync(sqlite3_file *f, int flags)
{
	struct vfs_wrap_file *wf = (struct vfs_wrap_file *)f;

	if (wf->w->on_sync)
		wf->w->on_sync(wf->w, wf);
	return wf->real->pMethods->xSync(wf->real, flags);
}

static int vfs_wrap_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return VFS_WRAP_REAL(f)->pMethods->xFileSize(VFS_WRAP_REAL(f), size);
}

static int vfs_wrap_lock(sqlite3_file *f, int lock)
{
	return VFS_WRAP_REAL(f)->pMethods->xLock(VFS_WRAP_REAL(f), lock);
}

static int vfs_wrap_unlock(sqlite3_file *f, int lock)
{
	return VFS_WRAP_REAL(f)->pMethods->xUnlock(VFS_WRAP_REAL(f), lock);
}

static int vfs_wrap_check_lock(sqlite3_file *f, int *out)
{
	return VFS_WRAP_REAL(f)->pMethods->xCheckReservedLock(VFS_WRAP_REAL(f),
	                                                      out);
}

static int vfs_wrap_file_control(sqlite3_file *f, int op, void *arg)
{
	return VFS_WRAP_REAL(f)->pMethods->xFileControl(VFS_WRAP_REAL(f), op,
	                                                arg);
}

static int vfs_wrap_sector_size(sqlite3_file *f)
{
	return VFS_WRAP_REAL(f)->pMethods->xSectorSize(VFS_WRAP_REAL(f));
}

static int vfs_wrap_device_chars(sqlite3_file *f)
{
	return VFS_WRAP_REAL(f)->pMethods->xDeviceCharacteristics(
	    VFS_WRAP_REAL(f));
}

static int vfs_wrap_shm_map(sqlite3_file *f, int pg, int pgsz, int extend,
                            void volatile **pp)
{
	return VFS_WRAP_REAL(f)->pMethods->xShmMap(VFS_WRAP_REAL(f), pg, pgsz,
	                                           extend, pp);
}

static int vfs_wrap_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return VFS_WRAP_REAL(f)->pMethods->xShmLock(VFS_WRAP_REAL(f), offset, n,
	                                            flags);
}

static void vfs_wrap_shm_barrier(sqlite3_file *f)
{
	VFS_WRAP_REAL(f)->pMethods->xShmBarrier(VFS_WRAP_REAL(f));
}

static int vfs_wrap_shm_unmap(sqlite3_file *f, int del)
{
	return VFS_WRAP_REAL(f)->pMethods->xShmUnmap(VFS_WRAP_REAL(f), del);
}

static int vfs_wrap_fetch(sqlite3_file *f, sqlite3_int64 off, int amt,
                          void **pp)
{
	return VFS_WRAP_REAL(f)->pMethods->xFetch(VFS_WRAP_REAL(f), off, amt,
	                                          pp);
}

static int vfs_wrap_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return VFS_WRAP_REAL(f)->pMethods->xUnfetch(VFS_WRAP_REAL(f), off, p);
}

static const sqlite3_io_methods vfs_wrap_methods = {
    .iVersion = 3,
    .xClose = vfs_wrap_close,
    .xRead = vfs_wrap_read,
    .xWrite = vfs_wrap_write,
    .xTruncate = vfs_wrap_truncate,
    .xSync = vfs_wrap_sync,
    .xFileSize = vfs_wrap_file_size,
    .xLock = vfs_wrap_lock,
    .xUnlock = vfs_wrap_unlock,
    .xCheckReservedLock = vfs_wrap_check_lock,
    .xFileControl = vfs_wrap_file_control,
    .xSectorSize = vfs_wrap_sector_size,
    .xDeviceCharacteristics = vfs_wrap_device_chars,
    .xShmMap = vfs_wrap_shm_map,
    .xShmLock = vfs_wrap_shm_lock,
    .xShmBarrier = vfs_wrap_shm_barrier,
    .xShmUnmap = vfs_wrap_shm_unmap,
    .xFetch = vfs_wrap_fetch,
    .xUnfetch = vfs_wrap_unfetch,
};

static int vfs_wrap_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                         int flags, int *out_flags)
{
	struct vfs_wrap *w = (struct vfs_wrap *)vfs;
	struct vfs_wrap_file *wf = (struct vfs_wrap_file *)f;
	int rc;

	wf->w = w;
	wf->real = (sqlite3_file *)(wf + 1);
	wf->flags = flags;
	wf->size = 0;
	rc = w->real->xOpen(w->real, name, wf->real, flags, out_flags);
	if (!wf->real->pMethods) {
		wf->base.pMethods = NULL;
		return rc;
	}
	wf->base.pMethods = &vfs_wrap_methods;
	if (wf->real->pMethods->xFileSize(wf->real, &wf->size) != SQLITE_OK)
		wf->size = 0;
	wf->next = w->files;
	w->files = wf;
	return rc;
}

/* Wraps the current default VFS and makes the wrapper the default. */
static inline void vfs_wrap_register(struct vfs_wrap *w)
{
	w->real = sqlite3_vfs_find(NULL);
	if (!w->real) {
		fprintf(stderr, "vfs_wrap: no default SQLite VFS\n");
		abort();
	}
	/* The real VFS's other methods do not depend on which struct calls
	 * them: copy it and replace open. */
	w->vfs = *w->real;
	w->vfs.zName = "gs-wrap";
	w->vfs.szOsFile = (int)sizeof(struct vfs_wrap_file) + w->real->szOsFile;
	w->vfs.xOpen = vfs_wrap_open;
	w->files = NULL;
	if (sqlite3_vfs_register(&w->vfs, 1) != SQLITE_OK) {
		fprintf(stderr, "vfs_wrap: cannot register\n");
		abort();
	}
}

/* The real VFS is the default again. */
static inline void vfs_wrap_unregister(struct vfs_wrap *w)
{
	sqlite3_vfs_unregister(&w->vfs);
	sqlite3_vfs_register(w->real, 1);
}

#endif
