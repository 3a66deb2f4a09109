/* SPDX-License-Identifier: MIT */
/*
 * The Paho MQTT C library, loaded for the broker at hand.
 *
 * Paho ships two builds of one API: paho-mqtt3a, and paho-mqtt3as with
 * TLS, which brings OpenSSL with it. Linked, OpenSSL is mapped into every
 * gateway whether or not its broker is mqtts://: 2.1 MiB of resident
 * memory, half the live target (docs/performance.md). So the daemon links
 * neither; gs_paho_open() loads the build the broker's URI needs, and sync
 * calls Paho through the table it returns.
 *
 * Both builds can live side by side (gateway/dynlib.h), when a reload
 * moves the broker from mqtt:// to mqtts:// while the old client drains.
 * MQTTAsync_global_init() runs once, when a build is first loaded.
 */
#ifndef GS_PAHO_H
#define GS_PAHO_H

#include <MQTTAsync.h>
#include <stdbool.h>

/* The Paho functions gapsense calls, each with MQTTAsync.h's signature. */
struct gs_paho {
	int (*create)(MQTTAsync *handle, const char *uri, const char *client_id,
	              int persistence_type, void *persistence_context,
	              MQTTAsync_createOptions *options);
	int (*set_callbacks)(MQTTAsync handle, void *context,
	                     MQTTAsync_connectionLost *cl,
	                     MQTTAsync_messageArrived *ma,
	                     MQTTAsync_deliveryComplete *dc);
	int (*connect)(MQTTAsync handle, const MQTTAsync_connectOptions *opts);
	int (*disconnect)(MQTTAsync handle,
	                  const MQTTAsync_disconnectOptions *opts);
	int (*subscribe)(MQTTAsync handle, const char *topic, int qos,
	                 MQTTAsync_responseOptions *response);
	int (*send)(MQTTAsync handle, const char *topic,
	            const MQTTAsync_message *msg,
	            MQTTAsync_responseOptions *response);
	void (*destroy)(MQTTAsync *handle);
	void (*free_message)(MQTTAsync_message **msg);
	void (*free)(void *ptr);
	const char *(*strerror)(int code);
	int (*properties_add)(MQTTProperties *props, const MQTTProperty *prop);
	void (*properties_free)(MQTTProperties *props);
	const char *(*reason_string)(enum MQTTReasonCodes code);
	void (*global_init)(MQTTAsync_init_options *opts);
	/* Which build this is, for the log: "paho-mqtt3a" or "paho-mqtt3as". */
	const char *name;
	void *lib; /* gs_dynlib_open()'s handle, closed by gs_paho_close() */
};

/*
 * Loads the build with TLS (tls) or without and fills *out; the caller
 * owns it and frees it with gs_paho_close(). Returns GS_OK, GS_ENOMEM, or
 * GS_EMQTT with the loader's reason logged (library not installed, a
 * function missing).
 */
int gs_paho_open(bool tls, struct gs_paho **out);

/* Frees the table; the library stays loaded (see above). NULL-safe. */
void gs_paho_close(struct gs_paho *paho);

#endif
