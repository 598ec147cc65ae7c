/*
 * config.h: mootd's YAML configuration (libyaml; only config.c includes yaml.h).
 *
 * Every key is validated; unknown keys are errors; every error message names
 * the file, the line and the key: "FILE:LINE: KEY: what is wrong".
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

enum posting {
	POSTING_YES = 0,
	POSTING_NO = 1,
	POSTING_MODERATED = 2,
};

struct config_listen {
	char *address;		/* as written, "127.0.0.1:1119" or "[::1]:563" */
	char host[64];		/* parsed host, without brackets */
	int port;		/* parsed port, 1..65535 */
	int tls;		/* 1: implicit TLS (RFC 8143) */
};

struct config_group {
	char *name;		/* valid newsgroup name, unique */
	char *description;	/* "" when absent; no newlines */
	enum posting posting;	/* default POSTING_YES */
	int retention_days;	/* 0 keeps forever */
};

/* A peer: another instance articles flow to and from (docs/federation.md). */
struct config_peer {
	char *name;		/* its pathhost, as it appears in Path; unique */
	char *address;		/* "host:port" we push to, NULL for an inbound-only peer */
	char host[256];		/* parsed from address: a name or an IP (no brackets) */
	int port;		/* parsed from address */
	int tls;		/* outgoing connection uses implicit TLS (default 1) */
	char *ca;		/* resolved CA file verifying their server, or NULL */
	char *fingerprint;	/* pinned "sha256:..." of their server certificate, or NULL */
	char *send;		/* wildmat of groups we offer them (default "*" when address set) */
	char *accept;		/* wildmat of groups we take from them (required) */
	char *identity_fingerprint;	/* their client certificate, or NULL */
	char *identity_user;		/* or AUTHINFO user ... */
	char *identity_password_hash;	/* ... with this hash (auth.c's format) */
	int window;		/* outstanding streaming commands, default 64 (1..1024) */
};

/* Who may read and post (server.access). */
enum access {
	ACCESS_OPEN = 0,		/* anyone */
	ACCESS_AUTHENTICATED = 1,	/* members after AUTHINFO (RFC 4643) */
};

/* A moderator of the groups matching a wildmat (roles.moderators). */
struct config_moderator {
	char *user;
	char *groups;		/* wildmat */
};

struct config {
	char *file;			/* path read, or "(default)" for the embedded text */
	char *pathhost;			/* this instance's Path/Xref name */
	char *state;			/* state folder, as given (default "./var") */
	struct config_listen *listen;	/* at least one */
	size_t nlisten;
	char *tls_certificate;		/* resolved: absolute or relative to state */
	char *tls_key;			/* resolved like the certificate */
	int tls_generated;		/* 1 when neither certificate nor key was given
					   (so a missing pair may be generated) */
	char *tls_client_certificate;	/* our certificate towards peers, resolved
					   (default <state>/client-cert.pem) */
	char *tls_client_key;		/* its key (default <state>/client-key.pem) */
	int tls_client_generated;	/* 1 when neither was given: generated if missing */
	long max_connections;		/* default 10000 */
	long max_article_bytes;		/* default 1000000 */
	long idle_timeout_s;		/* default 600 */
	char *motd;			/* LIST MOTD text, NULL when none */
	enum access access_read;	/* server.access.read, default open */
	enum access access_post;	/* server.access.post, default authenticated */
	long max_connections_per_address; /* limits, default 64 */
	long command_timeout_s;		/* a command line or article must be finished
					   within this many seconds (slowloris), default 60 */
	long posts_per_hour_user;	/* limits; 0 = unlimited; default 60 */
	long posts_per_hour_address;	/* limits; 0 = unlimited; default 120 */
	char *metrics_address;		/* server.metrics.address "127.0.0.1:9119", or NULL */
	char metrics_host[64];		/* parsed (numeric, loopback or any) */
	int metrics_port;
	char **admins;			/* roles.admins: user names */
	size_t nadmins;
	struct config_moderator *moderators;	/* roles.moderators */
	size_t nmoderators;
	struct config_group *groups;
	size_t ngroups;
	struct config_peer *peers;
	size_t npeers;
};

/* The embedded default configuration (loopback ports 1119/1563, state ./var,
 * groups moot.welcome, moot.general, moot.support, moot.ideas). */
extern const char config_default_yaml[];

/*
 * Load and validate the YAML file at path into cfg (zeroed first).  Returns 0,
 * or MOOT_ECONFIG with err holding "FILE:LINE: KEY: what is wrong".
 */
int config_load_file(const char *path, struct config *cfg, char *err, size_t errlen);

/* The same for text held in memory; name is used as FILE in messages. */
int config_load_string(const char *name, const char *text, size_t len,
		       struct config *cfg, char *err, size_t errlen);

/* Free everything cfg holds and zero it. */
void config_release(struct config *cfg);

/* The peer named name, or NULL. */
const struct config_peer *config_peer_find(const struct config *cfg, const char *name);

/* The group named name, or NULL. */
const struct config_group *config_group_find(const struct config *cfg, const char *name);

#endif
