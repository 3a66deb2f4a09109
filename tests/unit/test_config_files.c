/* SPDX-License-Identifier: MIT */
/*
 * The one policy for the files a configuration names (gateway/
 * config_files.h): type, owner, mode, readability by the service's user,
 * PEM contents and a client certificate that must fit its key. Temporary
 * files; the checks as another user (nobody) run only as root.
 */
#include "gateway/config.h"
#include "gateway/config_files.h"
#include "gateway/err.h"
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static struct gs_file_user user_of(uid_t uid, gid_t gid)
{
	struct gs_file_user u = {.uid = uid, .gid = gid, .self = false};

	snprintf(u.name, sizeof(u.name), "svc");
	return u;
}

static const char *judge(mode_t type_mode, uid_t owner, enum gs_file_kind k)
{
	static char buf[320];
	struct stat st = {.st_mode = type_mode, .st_uid = owner};
	struct gs_file_user u = user_of(1000, 1000);

	return gs_file_policy(&st, k, &u, "/etc/gapsense/f", buf, sizeof(buf));
}

static void test_policy_modes(void **state)
{
	(void)state;
	/* What works: root:gapsense 0640, the user's own 0600, a 0644 CA. */
	assert_null(judge(S_IFREG | 0640, 0, GS_FILE_SECRET));
	assert_null(judge(S_IFREG | 0600, 1000, GS_FILE_SECRET));
	assert_null(judge(S_IFREG | 0644, 0, GS_FILE_PUBLIC));
	assert_null(judge(S_IFDIR | 0755, 0, GS_FILE_DIR));
	/* One rule for every secret: the key as the password. */
	assert_non_null(strstr(judge(S_IFREG | 0644, 0, GS_FILE_SECRET),
	                       "open to other users (mode 0644)"));
	assert_non_null(strstr(judge(S_IFREG | 0602, 0, GS_FILE_SECRET),
	                       "writable by others"));
	/* Group-writable: refused for every file, secret or not. */
	assert_non_null(strstr(judge(S_IFREG | 0660, 0, GS_FILE_SECRET),
	                       "writable by its group (mode 0660)"));
	assert_non_null(
	    strstr(judge(S_IFREG | 0664, 0, GS_FILE_PUBLIC), "chmod go-w"));
	/* Owned by another user. */
	assert_non_null(strstr(judge(S_IFREG | 0600, 1234, GS_FILE_SECRET),
	                       "must belong to root or to svc"));
	/* Types. */
	assert_non_null(strstr(judge(S_IFDIR | 0700, 0, GS_FILE_SECRET),
	                       "is not a regular file (a directory)"));
	assert_non_null(
	    strstr(judge(S_IFREG | 0644, 0, GS_FILE_DIR), "not a directory"));
	assert_non_null(strstr(judge(S_IFCHR | 0600, 0, GS_FILE_PUBLIC),
	                       "not a regular file (a character device)"));
}

struct files {
	char *dir;
	struct gs_config cfg;
	struct gs_diag diag;
	struct gs_file_user self;
};

static int files_setup(void **state)
{
	struct files *f = calloc(1, sizeof(*f));
	char *conf;

	assert_non_null(f);
	f->dir = gs_test_mkdtemp();
	assert_int_equal(chmod(f->dir, 0755), 0);
	gs_config_defaults(&f->cfg);
	conf = gs_test_write_file(f->dir, "gapsense.conf", "# read first\n");
	assert_int_equal(chmod(conf, 0644), 0);
	snprintf(f->cfg.path, sizeof(f->cfg.path), "%s", conf);
	free(conf);
	snprintf(f->cfg.broker, sizeof(f->cfg.broker), "mqtts://h:8883");
	gs_file_user_self(&f->self);
	*state = f;
	return 0;
}

static int files_teardown(void **state)
{
	struct files *f = *state;

	gs_test_rmdir(f->dir);
	free(f);
	return 0;
}

static int check(struct files *f, const struct gs_file_user *u)
{
	f->diag.count = 0;
	return gs_config_files_check(&f->cfg, u, &f->diag);
}

static bool diag_has(const struct files *f, const char *text)
{
	for (unsigned i = 0; i < f->diag.count && i < GS_DIAG_MAX; i++)
		if (strstr(f->diag.msg[i], text))
			return true;
	return false;
}

static void set_path(char *field, const char *dir, const char *name)
{
	snprintf(field, GS_PATH_MAX, "%s/%s", dir, name);
}

static void test_missing_and_modes(void **state)
{
	struct files *f = *state;
	char *pw = gs_test_write_file(f->dir, "pw", "s3cret\n");

	assert_int_equal(check(f, &f->self), GS_OK); /* names no file */
	/* A CA file that is not there, with an mqtts:// broker. */
	set_path(f->cfg.ca_file, f->dir, "ca.pem");
	f->cfg.file_line.ca_file = 12;
	assert_int_equal(check(f, &f->self), GS_ECONFIG);
	assert_true(diag_has(f, ":12: ca_file: "));
	assert_true(diag_has(f, "ca.pem: no such file"));
	f->cfg.ca_file[0] = '\0';

	snprintf(f->cfg.password_file, GS_PATH_MAX, "%s", pw);
	f->cfg.file_line.password_file = 7;
	assert_int_equal(chmod(pw, 0600), 0);
	assert_int_equal(check(f, &f->self), GS_OK);
	assert_int_equal(chmod(pw, 0644), 0);
	assert_int_equal(check(f, &f->self), GS_ECONFIG);
	assert_true(diag_has(f, ":7: password_file: "));
	assert_true(diag_has(f, "open to other users"));
	assert_int_equal(chmod(pw, 0660), 0);
	assert_int_equal(check(f, &f->self), GS_ECONFIG);
	assert_true(diag_has(f, "writable by its group"));
	/* A directory where a file belongs. */
	snprintf(f->cfg.password_file, GS_PATH_MAX, "%s", f->dir);
	assert_int_equal(check(f, &f->self), GS_ECONFIG);
	assert_true(diag_has(f, "(a directory)"));
	free(pw);
}

/* As root for the user nobody, as a root check-config does for gapsense:
 * root:root 0600 is what made the service restart in a loop. */
static void test_readable_by_service_user(void **state)
{
	struct files *f = *state;
	struct gs_file_user nobody;
	char *pw = gs_test_write_file(f->dir, "pw", "s3cret\n");

	if (geteuid() != 0 || gs_file_user_lookup("nobody", &nobody)) {
		free(pw);
		skip();
	}
	snprintf(f->cfg.password_file, GS_PATH_MAX, "%s", pw);
	assert_int_equal(chmod(pw, 0600), 0);
	assert_int_equal(chown(pw, 0, 0), 0);
	assert_int_equal(check(f, &nobody), GS_ECONFIG);
	assert_true(diag_has(f, "user nobody cannot read it"));
	assert_true(diag_has(f, "chmod 0640"));
	/* root:<its group> 0640: readable, and root-owned is allowed. */
	assert_int_equal(chown(pw, 0, nobody.gid), 0);
	assert_int_equal(chmod(pw, 0640), 0);
	assert_int_equal(check(f, &nobody), GS_OK);
	/* Owned by a third user: refused even though nobody could read. */
	assert_int_equal(chown(pw, 4242, nobody.gid), 0);
	assert_int_equal(check(f, &nobody), GS_ECONFIG);
	assert_true(diag_has(f, "is owned by uid 4242"));
	/* The same file is fine when nobody owns it. */
	assert_int_equal(chown(pw, nobody.uid, nobody.gid), 0);
	assert_int_equal(chmod(pw, 0600), 0);
	assert_int_equal(check(f, &nobody), GS_OK);
	/* The configuration itself must be readable too. */
	assert_int_equal(chmod(f->cfg.path, 0600), 0);
	assert_int_equal(check(f, &nobody), GS_ECONFIG);
	assert_true(diag_has(f, "user nobody cannot read this file"));
	free(pw);
}

static EVP_PKEY *write_key(const char *path)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	FILE *out = fopen(path, "w");

	assert_non_null(k);
	assert_non_null(out);
	assert_int_equal(
	    PEM_write_PrivateKey(out, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(out);
	assert_int_equal(chmod(path, 0600), 0);
	return k;
}

static void write_cert(const char *path, EVP_PKEY *k)
{
	X509 *x = X509_new();
	FILE *out = fopen(path, "w");

	assert_non_null(x);
	assert_non_null(out);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"unit", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_X509(out, x), 1);
	fclose(out);
	X509_free(x);
}

static void test_cert_key_pair(void **state)
{
	struct files *f = *state;
	EVP_PKEY *k1, *k2;

	set_path(f->cfg.cert_file, f->dir, "client.crt");
	set_path(f->cfg.key_file, f->dir, "client.key");
	set_path(f->cfg.ca_file, f->dir, "other.key");
	k1 = write_key(f->cfg.key_file);
	k2 = write_key(f->cfg.ca_file);
	write_cert(f->cfg.cert_file, k1);
	/* The CA is not a certificate. */
	assert_int_equal(check(f, &f->self), GS_ECONFIG);
	assert_true(diag_has(f, "ca_file: "));
	assert_true(diag_has(f, "holds no PEM certificate"));
	/* The right pair, a certificate as CA. */
	snprintf(f->cfg.ca_file, GS_PATH_MAX, "%s", f->cfg.cert_file);
	assert_int_equal(check(f, &f->self), GS_OK);
	/* A key that is not the certificate's: found at start. */
	set_path(f->cfg.key_file, f->dir, "other.key");
	assert_int_equal(check(f, &f->self), GS_ECONFIG);
	assert_true(diag_has(f, "is not the key of cert_file"));
	/* The key file, a secret: mode 0644 is refused as for a password. */
	set_path(f->cfg.key_file, f->dir, "client.key");
	assert_int_equal(chmod(f->cfg.key_file, 0644), 0);
	assert_int_equal(check(f, &f->self), GS_ECONFIG);
	assert_true(diag_has(f, "key_file: "));
	assert_true(diag_has(f, "open to other users"));
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_modes),
	    cmocka_unit_test_setup_teardown(test_missing_and_modes, files_setup,
	                                    files_teardown),
	    cmocka_unit_test_setup_teardown(test_readable_by_service_user,
	                                    files_setup, files_teardown),
	    cmocka_unit_test_setup_teardown(test_cert_key_pair, files_setup,
	                                    files_teardown),
	};

	return cmocka_run_group_tests_name("config_files", tests, NULL, NULL);
}
