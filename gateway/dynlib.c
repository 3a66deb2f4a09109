// SPDX-License-Identifier: MIT
#include "gateway/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

void *gs_dynlib_open(const char *soname, const struct gs_dynsym *syms, size_t n,
                     void *table, char *why, size_t why_len)
{
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	void *sym;

	if (!lib) {
		snprintf(why, why_len, "%s", dlerror());
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		sym = dlsym(lib, syms[i].name);
		if (!sym) {
			snprintf(why, why_len, "%s has no %s", soname,
			         syms[i].name);
			dlclose(lib);
			return NULL;
		}
		/* POSIX: a dlsym() address converts to a function pointer. */
		memcpy((char *)table + syms[i].offset, &sym, sizeof(sym));
	}
	return lib;
}

bool gs_dynlib_loaded(const char *soname)
{
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);

	if (!lib)
		return false;
	dlclose(lib);
	return true;
}

void gs_dynlib_close(void *lib)
{
	if (lib)
		dlclose(lib);
}
