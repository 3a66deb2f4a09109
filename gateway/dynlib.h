/* SPDX-License-Identifier: MIT */
/*
 * Loading a shared library only when it is needed, into a table of
 * function pointers.
 *
 * A library linked into the daemon is mapped in every process, used or
 * not, and its pages count against the live memory target. The libraries
 * only a TLS broker needs (Paho's TLS build, OpenSSL) are therefore loaded
 * with gs_dynlib_open() by the code that needs them (sync/paho.h,
 * gateway/config_files.c), with the soname the build found.
 *
 * Libraries are opened RTLD_LOCAL (their symbols never interpose on
 * anybody else's, so two builds of one API can coexist) and RTLD_NODELETE
 * (never unmapped: threads and exit handlers of a library like OpenSSL
 * outlive the code that asked for it, so a table stays valid for the life
 * of the process once filled).
 */
#ifndef GS_DYNLIB_H
#define GS_DYNLIB_H

#include <stdbool.h>
#include <stddef.h>

/* One function to look up, and where in the caller's table it goes. */
struct gs_dynsym {
	const char *name;
	size_t offset; /* offsetof(table's struct, its function pointer) */
};

/*
 * Loads SONAME and stores the address of each of SYMS[0..N) at
 * (char *)TABLE + offset; every table field must be a function pointer.
 * Returns the library's handle for gs_dynlib_close(), or NULL with the
 * reason (not installed, a function missing) in WHY.
 */
void *gs_dynlib_open(const char *soname, const struct gs_dynsym *syms, size_t n,
                     void *table, char *why, size_t why_len);

/* Whether SONAME is loaded in this process already (by anyone). */
bool gs_dynlib_loaded(const char *soname);

/* Drops the handle; the code stays mapped (see above). NULL-safe. */
void gs_dynlib_close(void *lib);

#endif
