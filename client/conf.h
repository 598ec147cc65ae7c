/*
 * conf.h: the client's configuration, ~/.config/moot/moot.yaml (or
 * $MOOT_CONFIG, or --config FILE).  A flat YAML mapping:
 *
 *   server: news.example.org:563     host:port, "[::1]:563"; port defaults by tls
 *   tls: implicit                    implicit | starttls | off
 *   ca: ca.pem                       relative to the config file's folder
 *   fingerprint: "sha256:ab12..."    pin instead of CA verification
 *   user: alice
 *   password_command: pass show news  first line of its output is the password
 *   newsrc: ~/.newsrc
 *   from: "Alice <alice@example.org>"
 *
 * Command-line flags override the file (main.c sets the fields afterwards).
 * Only conf.c includes yaml.h in the client.
 */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include "conn.h"

struct conf {
	char *host;			/* server host (no brackets) */
	int port;			/* 0: default for the TLS mode */
	enum conn_tls tls;
	char *ca;			/* CA file, absolute or as given on the command line */
	char *fingerprint;		/* "sha256:..." pin */
	char *user;
	char *password_command;		/* run with /bin/sh -c */
	char *newsrc;			/* .newsrc path, "~/" expanded */
	char *from;			/* From for posts, "Name <addr>" */
	int insecure;			/* --insecure */
};

/* Defaults: localhost, implicit TLS, port by mode, newsrc ~/.newsrc. 0 or MOOT_ENOMEM. */
int conf_init(struct conf *c);

/*
 * Read path into c (keys present override the defaults).  A missing file is
 * an error only when must_exist; otherwise c keeps its defaults and 0 is
 * returned.  Errors read "FILE:LINE: KEY: what" in err; MOOT_ECONFIG.
 */
int conf_load(struct conf *c, const char *path, int must_exist, char *err, size_t errlen);

/* Set host and port from "host", "host:port", "[v6]" or "[v6]:port". */
int conf_set_server(struct conf *c, const char *s, char *err, size_t errlen);

/* Parse "implicit" | "starttls" | "off" into *out; 0 or MOOT_EINVAL. */
int conf_parse_tls(const char *s, enum conn_tls *out);

/* Replace *field with a copy of s (NULL clears); 0 or MOOT_ENOMEM. */
int conf_set(char **field, const char *s);

/* The port to use: c->port, or 563 for implicit TLS and 119 otherwise. */
int conf_port(const struct conf *c);

/* "~/x" → "$HOME/x" (a new string), others copied; NULL on allocation failure. */
char *conf_expand_home(const char *path);

/*
 * Run password_command with /bin/sh -c and return the first line of its
 * output (newly allocated) in *out.  0, or MOOT_ECONFIG with err.
 */
int conf_password(const struct conf *c, char **out, char *err, size_t errlen);

/* Free the strings; c may be half-built. */
void conf_release(struct conf *c);

#endif
