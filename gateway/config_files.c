/* SPDX-License-Identifier: MIT */
#include "gateway/config_files.h"

#include "gateway/dynlib.h"
#include "gateway/err.h"
#include "gateway/input.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The keys that name files, in the order an installer meets them. */
struct gs_file_key {
	const char *key;
	size_t path_off;
	size_t line_off;
	enum gs_file_kind kind;
};

#define GS_FILE_KEY(name, kind)                                                \
	{                                                                      \
#name, offsetof(struct gs_config, name),                       \
		    offsetof(struct gs_config, file_line.name), kind           \
	}

static const struct gs_file_key gs_file_keys[] = {
    GS_FILE_KEY(password_file, GS_FILE_SECRET),
    GS_FILE_KEY(ca_file, GS_FILE_PUBLIC),
    GS_FILE_KEY(ca_path, GS_FILE_DIR),
    GS_FILE_KEY(cert_file, GS_FILE_PUBLIC),
    GS_FILE_KEY(key_file, GS_FILE_SECRET),
};

#define GS_N_FILE_KEYS (sizeof(gs_file_keys) / sizeof(gs_file_keys[0]))

static const char *gs_file_path(const struct gs_config *cfg, size_t i)
{
	return (const char *)cfg + gs_file_keys[i].path_off;
}

static int gs_file_line(const struct gs_config *cfg, size_t i)
{
	int line;

	memcpy(&line, (const char *)cfg + gs_file_keys[i].line_off,
	       sizeof(line));
	return line;
}

int gs_file_user_self(struct gs_file_user *u)
{
	struct passwd *pw;

	u->uid = geteuid();
	u->gid = getegid();
	u->self = true;
	pw = getpwuid(u->uid);
	if (pw)
		snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	else
		snprintf(u->name, sizeof(u->name), "uid %u", (unsigned)u->uid);
	return GS_OK;
}

int gs_file_user_lookup(const char *name, struct gs_file_user *u)
{
	struct passwd *pw = getpwnam(name);

	if (!pw)
		return GS_ENOENT;
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->self = pw->pw_uid == geteuid() && pw->pw_gid == getegid();
	return GS_OK;
}

/* The name of the user's primary group, for a chown hint. */
static void gs_file_group_name(const struct gs_file_user *u, char *buf,
                               size_t len)
{
	struct group *gr = getgrgid(u->gid);

	if (gr)
		snprintf(buf, len, "%s", gr->gr_name);
	else
		snprintf(buf, len, "%u", (unsigned)u->gid);
}

const char *gs_file_policy(const struct stat *st, enum gs_file_kind kind,
                           const struct gs_file_user *u, const char *path,
                           char *buf, size_t len)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);
	bool dir = kind == GS_FILE_DIR;
	char group[64];

	gs_file_group_name(u, group, sizeof(group));
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
		if (dir)
			snprintf(buf, len, "is not a directory");
		else
			snprintf(buf, len, "is %s", gs_input_kind(st->st_mode));
		return buf;
	}
	if (st->st_uid != 0 && st->st_uid != u->uid) {
		struct passwd *pw = getpwuid(st->st_uid);
		char owner[64];

		if (pw)
			snprintf(owner, sizeof(owner), "%s", pw->pw_name);
		else
			snprintf(owner, sizeof(owner), "uid %u",
			         (unsigned)st->st_uid);
		snprintf(buf, len,
		         "is owned by %s: it must belong to root or to %s, "
		         "the user the service runs as (chown root:%s %s)",
		         owner, u->name, group, path);
		return buf;
	}
	if (mode & 022) {
		snprintf(buf, len,
		         "is writable by %s (mode %04o): chmod go-w %s",
		         (mode & 020) && (mode & 002) ? "group and others"
		         : (mode & 020)               ? "its group"
		                                      : "others",
		         mode, path);
		return buf;
	}
	if (kind == GS_FILE_SECRET && (mode & 007)) {
		snprintf(buf, len,
		         "is a secret open to other users (mode %04o): "
		         "chmod o-rwx %s",
		         mode, path);
		return buf;
	}
	return NULL;
}

/* 0 or the errno of opening PATH for reading as this process. */
static int gs_file_try_open(const char *path, enum gs_file_kind kind)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	int fd;

	if (kind == GS_FILE_DIR)
		flags |= O_DIRECTORY;
	fd = open(path, flags);
	if (fd < 0)
		return errno ? errno : EIO;
	close(fd);
	return 0;
}

/* Adds GID to this process's supplementary groups. Needs root. */
static int gs_file_add_group(gid_t gid)
{
	gid_t *groups;
	int n, rc = -1;

	n = getgroups(0, NULL);
	if (n < 0)
		return -1;
	groups = calloc((size_t)n + 1, sizeof(*groups));
	if (!groups)
		return -1;
	n = getgroups(n, groups);
	if (n < 0)
		goto out;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid) {
			rc = 0;
			goto out;
		}
	groups[n++] = gid;
	rc = setgroups((size_t)n, groups);
out:
	free(groups);
	return rc;
}

/*
 * errs[i] = 0 or the errno of opening PATHS[i] as U. For another user a
 * child takes U's identity (groups too, as systemd's User= and
 * SupplementaryGroups= give them) and reports through a pipe: what the
 * kernel decides (modes, ACLs, the directories on the way) is then
 * exactly what the service will meet.
 */
static int gs_file_open_as(const struct gs_file_user *u,
                           const char *const *paths,
                           const enum gs_file_kind *kinds, size_t n, int *errs)
{
	struct group *gr;
	int fds[2], status;
	gid_t extra = 0;
	ssize_t got;
	pid_t pid;

	if (u->self) {
		for (size_t i = 0; i < n; i++)
			errs[i] =
			    paths[i] ? gs_file_try_open(paths[i], kinds[i]) : 0;
		return GS_OK;
	}
	/* The unit's SupplementaryGroups=; a system without that group
	 * would not start the unit, which is not for this check to say. */
	gr = getgrnam(GS_SERVICE_GROUPS);
	if (gr)
		extra = gr->gr_gid;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return GS_ESYS;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return GS_ESYS;
	}
	if (pid == 0) {
		int res[GS_N_FILE_KEYS];

		close(fds[0]);
		if (initgroups(u->name, u->gid) < 0 ||
		    (gr && gs_file_add_group(extra) < 0) ||
		    setgid(u->gid) < 0 || setuid(u->uid) < 0)
			_exit(2);
		for (size_t i = 0; i < n && i < GS_N_FILE_KEYS; i++)
			res[i] =
			    paths[i] ? gs_file_try_open(paths[i], kinds[i]) : 0;
		_exit(write(fds[1], res, n * sizeof(int)) ==
		              (ssize_t)(n * sizeof(int))
		          ? 0
		          : 1);
	}
	close(fds[1]);
	do
		got = read(fds[0], errs, n * sizeof(int));
	while (got < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return GS_ESYS;
	if (got != (ssize_t)(n * sizeof(int)) || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return GS_EPERM;
	return GS_OK;
}

/* Refuses to prompt for a pass phrase: the daemon has none to give. */
static int gs_file_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * The OpenSSL functions the checks below use, from libcrypto loaded only
 * when a configuration names TLS files: a plain mqtt:// gateway never maps
 * OpenSSL (gateway/dynlib.h).
 */
struct gs_crypto {
	X509 *(*read_x509)(FILE *f, X509 **x, pem_password_cb *cb, void *u);
	EVP_PKEY *(*read_key)(FILE *f, EVP_PKEY **x, pem_password_cb *cb,
	                      void *u);
	int (*check_key)(const X509 *x, const EVP_PKEY *k);
	void (*x509_free)(X509 *x);
	void (*key_free)(EVP_PKEY *k);
	void *lib;
};

#define GS_CRYPTO_SYM(sym, field)                                              \
	{                                                                      \
#sym, offsetof(struct gs_crypto, field)                        \
	}
static const struct gs_dynsym gs_crypto_syms[] = {
    GS_CRYPTO_SYM(PEM_read_X509, read_x509),
    GS_CRYPTO_SYM(PEM_read_PrivateKey, read_key),
    GS_CRYPTO_SYM(X509_check_private_key, check_key),
    GS_CRYPTO_SYM(X509_free, x509_free),
    GS_CRYPTO_SYM(EVP_PKEY_free, key_free),
};

static X509 *gs_file_read_cert(const struct gs_crypto *c, const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *x;

	if (!f)
		return NULL;
	x = c->read_x509(f, NULL, gs_file_no_passphrase, NULL);
	fclose(f);
	return x;
}

static EVP_PKEY *gs_file_read_key(const struct gs_crypto *c, const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = c->read_key(f, NULL, gs_file_no_passphrase, NULL);
	fclose(f);
	return k;
}

/* The contents: PEM certificates and key, and the key fits the cert. */
static void gs_file_check_tls(const struct gs_config *cfg, bool *bad,
                              struct gs_diag *diag)
{
	struct gs_crypto c = {0};
	X509 *ca = NULL, *cert = NULL;
	EVP_PKEY *key = NULL;
	char why[256];

	if (!cfg->ca_file[0] && !cfg->cert_file[0] && !cfg->key_file[0])
		return;
	c.lib =
	    gs_dynlib_open(GS_CRYPTO_SONAME, gs_crypto_syms,
	                   sizeof(gs_crypto_syms) / sizeof(gs_crypto_syms[0]),
	                   &c, why, sizeof(why));
	if (!c.lib) {
		gs_diag_add(diag, cfg->path,
		            cfg->file_line.ca_file ? cfg->file_line.ca_file
		            : cfg->file_line.cert_file
		                ? cfg->file_line.cert_file
		                : cfg->file_line.key_file,
		            "cannot check the TLS files' contents: %s", why);
		return;
	}
	/* bad[] follows gs_file_keys: 1 ca_file, 3 cert_file, 4 key_file. */
	if (cfg->ca_file[0] && !bad[1]) {
		ca = gs_file_read_cert(&c, cfg->ca_file);
		if (!ca)
			gs_diag_add(diag, cfg->path, cfg->file_line.ca_file,
			            "ca_file: %s: holds no PEM certificate",
			            cfg->ca_file);
	}
	if (cfg->cert_file[0] && !bad[3]) {
		cert = gs_file_read_cert(&c, cfg->cert_file);
		if (!cert)
			gs_diag_add(diag, cfg->path, cfg->file_line.cert_file,
			            "cert_file: %s: holds no PEM certificate",
			            cfg->cert_file);
	}
	if (cfg->key_file[0] && !bad[4]) {
		key = gs_file_read_key(&c, cfg->key_file);
		if (!key)
			gs_diag_add(diag, cfg->path, cfg->file_line.key_file,
			            "key_file: %s: holds no unencrypted PEM "
			            "private key",
			            cfg->key_file);
	}
	if (cert && key && c.check_key(cert, key) != 1)
		gs_diag_add(diag, cfg->path, cfg->file_line.key_file,
		            "key_file: %s is not the key of cert_file %s: "
		            "the broker would refuse every TLS handshake",
		            cfg->key_file, cfg->cert_file);
	c.x509_free(ca);
	c.x509_free(cert);
	c.key_free(key);
	gs_dynlib_close(c.lib);
}

int gs_config_files_check(const struct gs_config *cfg,
                          const struct gs_file_user *u, struct gs_diag *diag)
{
	const char *paths[GS_N_FILE_KEYS] = {0};
	enum gs_file_kind kinds[GS_N_FILE_KEYS];
	int errs[GS_N_FILE_KEYS];
	bool bad[GS_N_FILE_KEYS] = {0};
	unsigned before = diag->count;
	char group[64], why[320];
	int rc;

	gs_file_group_name(u, group, sizeof(group));
	/* The configuration itself, which the service reads first (checked
	 * only for another user: this process has just read it). */
	if (!u->self) {
		const char *conf = cfg->path;
		enum gs_file_kind pub = GS_FILE_PUBLIC;
		int err = 0;

		rc = gs_file_open_as(u, &conf, &pub, 1, &err);
		if (rc == GS_OK && err)
			gs_diag_add(diag, cfg->path, 0,
			            "user %s cannot read this file: %s (for "
			            "example: chmod 0644 %s)",
			            u->name, strerror(err), cfg->path);
	}
	for (size_t i = 0; i < GS_N_FILE_KEYS; i++) {
		const char *path = gs_file_path(cfg, i);
		const char *key = gs_file_keys[i].key;
		int line = gs_file_line(cfg, i);
		const char *problem;
		struct stat st;

		kinds[i] = gs_file_keys[i].kind;
		if (!path[0])
			continue;
		if (stat(path, &st) < 0) {
			gs_diag_add(
			    diag, cfg->path, line, "%s: %s: %s", key, path,
			    errno == ENOENT ? "no such file" : strerror(errno));
			bad[i] = true;
			continue;
		}
		problem =
		    gs_file_policy(&st, kinds[i], u, path, why, sizeof(why));
		if (problem) {
			gs_diag_add(diag, cfg->path, line, "%s: %s %s", key,
			            path, problem);
			bad[i] = true;
			continue;
		}
		paths[i] = path;
	}

	rc = gs_file_open_as(u, paths, kinds, GS_N_FILE_KEYS, errs);
	if (rc == GS_EPERM) {
		gs_diag_add(diag, cfg->path, 0,
		            "cannot check the files as user %s: only root "
		            "can take another user's identity (run "
		            "check-config with sudo)",
		            u->name);
		return GS_EPERM;
	}
	if (rc)
		return rc;
	for (size_t i = 0; i < GS_N_FILE_KEYS; i++) {
		if (!paths[i] || errs[i] == 0)
			continue;
		bad[i] = true;
		if (errs[i] == EACCES || errs[i] == EPERM)
			gs_diag_add(diag, cfg->path, gs_file_line(cfg, i),
			            "%s: %s: user %s cannot read it (for "
			            "example: chown root:%s %s; chmod %s %s)",
			            gs_file_keys[i].key, paths[i], u->name,
			            group, paths[i],
			            kinds[i] == GS_FILE_DIR ? "0750" : "0640",
			            paths[i]);
		else
			gs_diag_add(diag, cfg->path, gs_file_line(cfg, i),
			            "%s: %s: %s", gs_file_keys[i].key, paths[i],
			            strerror(errs[i]));
	}
	gs_file_check_tls(cfg, bad, diag);
	return diag->count > before ? GS_ECONFIG : GS_OK;
}
