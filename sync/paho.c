// SPDX-License-Identifier: MIT
#include "sync/paho.h"
#include "gateway/dynlib.h"
#include "gateway/err.h"
#include "gateway/log.h"

#include <stddef.h>
#include <stdlib.h>

/* The sonames come from Paho's CMake package (sync/CMakeLists.txt). */
static const char *const gs_paho_soname[2] = {GS_PAHO_SONAME,
                                              GS_PAHO_TLS_SONAME};
static const char *const gs_paho_build[2] = {"paho-mqtt3a", "paho-mqtt3as"};

#define GS_PAHO_SYM(sym, field)                                                \
	{                                                                      \
#sym, offsetof(struct gs_paho, field)                          \
	}
static const struct gs_dynsym gs_paho_syms[] = {
    GS_PAHO_SYM(MQTTAsync_createWithOptions, create),
    GS_PAHO_SYM(MQTTAsync_setCallbacks, set_callbacks),
    GS_PAHO_SYM(MQTTAsync_connect, connect),
    GS_PAHO_SYM(MQTTAsync_disconnect, disconnect),
    GS_PAHO_SYM(MQTTAsync_subscribe, subscribe),
    GS_PAHO_SYM(MQTTAsync_sendMessage, send),
    GS_PAHO_SYM(MQTTAsync_destroy, destroy),
    GS_PAHO_SYM(MQTTAsync_freeMessage, free_message),
    GS_PAHO_SYM(MQTTAsync_free, free),
    GS_PAHO_SYM(MQTTAsync_strerror, strerror),
    GS_PAHO_SYM(MQTTProperties_add, properties_add),
    GS_PAHO_SYM(MQTTProperties_free, properties_free),
    GS_PAHO_SYM(MQTTReasonCode_toString, reason_string),
    GS_PAHO_SYM(MQTTAsync_global_init, global_init),
};

int gs_paho_open(bool tls, struct gs_paho **out)
{
	const char *soname = gs_paho_soname[tls];
	MQTTAsync_init_options init = MQTTAsync_init_options_initializer;
	struct gs_paho *paho;
	char why[256];
	bool first;

	*out = NULL;
	paho = calloc(1, sizeof(*paho));
	if (!paho)
		return GS_ENOMEM;
	/* Loaded already when a reload replaces a client of the same
	 * build: Paho is initialised once per process. */
	first = !gs_dynlib_loaded(soname);
	paho->lib =
	    gs_dynlib_open(soname, gs_paho_syms,
	                   sizeof(gs_paho_syms) / sizeof(gs_paho_syms[0]), paho,
	                   why, sizeof(why));
	if (!paho->lib) {
		gs_log(GS_LOG_ERR,
		       "mqtt: cannot load Paho (%s, package "
		       "libpaho-mqtt1.3): %s",
		       soname, why);
		free(paho);
		return GS_EMQTT;
	}
	/*
	 * Paho is told not to initialise OpenSSL: its default loads every
	 * cipher, digest and error string (1.4 MiB) whether or not a
	 * connection uses TLS; OpenSSL 1.1 and later initialise themselves
	 * at the first handshake.
	 */
	if (first) {
		init.do_openssl_init = 0;
		paho->global_init(&init);
	}
	paho->name = gs_paho_build[tls];
	*out = paho;
	return GS_OK;
}

void gs_paho_close(struct gs_paho *paho)
{
	if (!paho)
		return;
	gs_dynlib_close(paho->lib);
	free(paho);
}
