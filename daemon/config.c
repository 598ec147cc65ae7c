/*
 * config.c: mootd's YAML configuration, read with libyaml's document API.
 *
 * yaml_parser_load() builds the whole node tree (the text is bounded by
 * CONFIG_MAX_TEXT, so the tree is too); the tree is then walked along the
 * schema in docs/configuration.md.  Every mapping is checked for unknown and
 * duplicate keys before its values are read, every scalar is checked for its
 * type and range, and every error names the file, the 1-based line of the
 * offending node and the dotted key path: "FILE:LINE: KEY: what is wrong".
 * Only the first error is reported; the struct is then released, so a
 * caller never sees a half-filled config.  This is the only file that
 * includes yaml.h (STYLE.md habit 9).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "../proto/moot.h"
#include "../proto/wildmat.h"
#include "config.h"

/* Bounds on what a configuration may hold: input is bounded everywhere. */
#define CONFIG_MAX_TEXT (8u << 20)	/* bytes of YAML */
#define CONFIG_MAX_LISTEN 64		/* server.listen entries */
#define CONFIG_MAX_GROUPS 65536		/* groups entries */
#define CONFIG_MAX_PATHHOST 255		/* bytes of server.pathhost */
#define CONFIG_MAX_PATH 1024		/* bytes of a file or folder name */
#define CONFIG_MAX_MOTD 65536		/* bytes of server.motd */
#define CONFIG_MAX_DESCRIPTION 1024	/* bytes of a group description */
#define CONFIG_MAX_RETENTION 36500	/* days: a century */
#define CONFIG_MAX_KEYPATH 320		/* bytes of a dotted key path in messages */
#define CONFIG_MAX_PEERS 1024		/* peers entries */
#define CONFIG_MAX_ADDRESS 270		/* bytes of a peer's "[host]:port" */
#define CONFIG_MAX_WILDMAT 4096		/* bytes of a peer's send or accept */
#define CONFIG_MAX_FINGERPRINT 128	/* bytes of "sha256:" + 32 colon-separated pairs */
#define CONFIG_MAX_USER 255		/* bytes of a peer's AUTHINFO user */
#define CONFIG_MAX_WINDOW 1024		/* a peer's streaming window */
#define CONFIG_MAX_ROLES 4096		/* roles.admins or roles.moderators entries */
#define CONFIG_MAX_COMMAND_TIMEOUT 3600	/* seconds: server.limits.command_timeout_s */
#define CONFIG_MAX_POSTS_PER_HOUR 1000000	/* server.limits.posts_per_hour_* */

/* Defaults for the optional keys (docs/configuration.md). */
#define DEFAULT_STATE "./var"
#define DEFAULT_CERTIFICATE "cert.pem"
#define DEFAULT_KEY "key.pem"
#define DEFAULT_CLIENT_CERTIFICATE "client-cert.pem"
#define DEFAULT_CLIENT_KEY "client-key.pem"
#define DEFAULT_WINDOW 64
#define DEFAULT_MAX_CONNECTIONS 10000
#define DEFAULT_MAX_ARTICLE_BYTES 1000000
#define DEFAULT_IDLE_TIMEOUT_S 600
#define DEFAULT_MAX_CONNECTIONS_PER_ADDRESS 64
#define DEFAULT_COMMAND_TIMEOUT_S 60
#define DEFAULT_POSTS_PER_HOUR_USER 60
#define DEFAULT_POSTS_PER_HOUR_ADDRESS 120

const char config_default_yaml[] =
	"# mootd's embedded default configuration: loopback only.\n"
	"server:\n"
	"  pathhost: moot.localhost\n"
	"  state: ./var\n"
	"  listen:\n"
	"    - { address: \"127.0.0.1:1119\", tls: false }\n"
	"    - { address: \"127.0.0.1:1563\", tls: true }\n"
	"  access: { read: open, post: authenticated }\n"
	"  motd: |\n"
	"    Welcome to moot, a community message board that speaks NNTP.\n"
	"    Say hello in moot.welcome, ask for help in moot.support,\n"
	"    and be kind to one another.\n"
	"groups:\n"
	"  - { name: moot.welcome, description: \"Welcome and introductions\", posting: yes }\n"
	"  - { name: moot.general, description: \"General discussion\", posting: yes }\n"
	"  - { name: moot.support, description: \"Questions and help\", posting: yes }\n"
	"  - { name: moot.ideas, description: \"Ideas and feature requests\", posting: yes }\n";

/* What one load carries along the walk. */
struct ctx {
	const char *file;	/* FILE in messages */
	yaml_document_t *doc;	/* the loaded tree */
	struct config *cfg;	/* being filled */
	char *err;		/* the caller's message buffer, may be NULL */
	size_t errlen;		/* its size */
};

/* One expected key of a mapping and, after map_fields(), what was found. */
struct field {
	const char *key;	/* the schema's name */
	yaml_node_t *keynode;	/* the key as written, NULL when absent */
	yaml_node_t *value;	/* its value, NULL when absent */
};

/*
 * Write "FILE:LINE: KEY: what" (LINE omitted when line is 0) into the
 * caller's buffer and return MOOT_ECONFIG.
 */
static int fail(struct ctx *c, size_t line, const char *key, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (c->err == NULL || c->errlen == 0)
		return MOOT_ECONFIG;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(c->err, c->errlen, "%s:%zu: %s: %s", c->file, line, key, what);
	else
		snprintf(c->err, c->errlen, "%s: %s: %s", c->file, key, what);
	return MOOT_ECONFIG;
}

/* The same, at the line where node starts. */
static int fail_at(struct ctx *c, const yaml_node_t *node, const char *key, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	assert(node != NULL);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fail(c, node->start_mark.line + 1, key, "%s", what);
}

/* Report an allocation failure; returns MOOT_ENOMEM. */
static int fail_nomem(struct ctx *c)
{
	if (c->err != NULL && c->errlen > 0)
		snprintf(c->err, c->errlen, "%s: out of memory", c->file);
	return MOOT_ENOMEM;
}

/*
 * Join parent and name into out as a dotted key path ("server" + "listen" →
 * "server.listen"); name is copied at most 64 bytes, with control bytes shown
 * as '?', since it may be a key as the user wrote it.
 */
static void keypath(char *out, size_t outlen, const char *parent, const char *name)
{
	size_t n, i;

	n = (size_t)snprintf(out, outlen, "%s%s", parent, parent[0] ? "." : "");
	for (i = 0; name[i] != '\0' && i < 64 && n + 1 < outlen; i++, n++)
		out[n] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
	if (name[i] != '\0' && n + 4 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n < outlen ? n : outlen - 1] = '\0';
}

/* The text of a scalar node (NUL-terminated by libyaml). */
static const char *scalar(const yaml_node_t *node)
{
	assert(node->type == YAML_SCALAR_NODE);
	return (const char *)node->data.scalar.value;
}

/* 1 when node is a plain YAML null ("", "~", "null"), as after "key:". */
static int is_null(const yaml_node_t *node)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = scalar(node);
	return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/*
 * Match the pairs of mapping node map (at key path path) against fields:
 * each field gets the key and value nodes found, or NULLs.  An unknown key,
 * a repeated key or a key that is not a scalar is an error, as is a map that
 * is not a mapping.  A value written as null is kept (see present()).
 */
static int map_fields(struct ctx *c, yaml_node_t *map, const char *path,
		      struct field *fields, size_t nfields)
{
	yaml_node_pair_t *p;
	char kp[CONFIG_MAX_KEYPATH];
	size_t i;

	if (map->type != YAML_MAPPING_NODE)
		return fail_at(c, map, path, "expected a mapping");
	for (i = 0; i < nfields; i++)
		fields[i].keynode = fields[i].value = NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);

		assert(k != NULL && v != NULL);
		if (k->type != YAML_SCALAR_NODE)
			return fail_at(c, k, path, "keys must be plain strings");
		for (i = 0; i < nfields; i++)
			if (strcmp(fields[i].key, scalar(k)) == 0)
				break;
		keypath(kp, sizeof(kp), path, scalar(k));
		if (i == nfields || strlen(scalar(k)) != k->data.scalar.length)
			return fail_at(c, k, kp, "unknown key");
		if (fields[i].keynode != NULL)
			return fail_at(c, k, kp, "duplicate key (first on line %zu)",
				       fields[i].keynode->start_mark.line + 1);
		fields[i].keynode = k;
		fields[i].value = v;
	}
	return 0;
}

/* 1 when field f was given a non-null value. */
static int present(const struct field *f)
{
	return f->value != NULL && !is_null(f->value);
}

/*
 * Check that field f of mapping map (at path) has a non-null value: a key
 * left out is reported at the mapping's line, a key with no value at its own.
 */
static int require(struct ctx *c, const yaml_node_t *map, const char *path, const struct field *f)
{
	char kp[CONFIG_MAX_KEYPATH];

	keypath(kp, sizeof(kp), path, f->key);
	if (f->keynode == NULL)
		return fail_at(c, map, kp, "missing");
	if (is_null(f->value))
		return fail_at(c, f->keynode, kp, "missing value");
	return 0;
}

/*
 * Copy the string scalar node (at path) into a new allocation *out, at most
 * max bytes; a non-scalar or a string holding a NUL byte is an error.
 * Returns 0, MOOT_ECONFIG or MOOT_ENOMEM; *out is untouched on error.
 */
static int get_string(struct ctx *c, const yaml_node_t *node, const char *path, size_t max,
		      char **out)
{
	char *s;

	if (node->type != YAML_SCALAR_NODE)
		return fail_at(c, node, path, "expected a string");
	if (strlen(scalar(node)) != node->data.scalar.length)
		return fail_at(c, node, path, "contains a NUL byte");
	if (node->data.scalar.length > max)
		return fail_at(c, node, path, "longer than %zu bytes", max);
	s = strdup(scalar(node));
	if (s == NULL)
		return fail_nomem(c);
	*out = s;
	return 0;
}

/*
 * Read the integer scalar node (at path) into *out: decimal digits with an
 * optional sign, between min and max inclusive.
 */
static int get_long(struct ctx *c, const yaml_node_t *node, const char *path,
		    long min, long max, long *out)
{
	const char *s, *d;
	char *end;
	long v;

	if (node->type != YAML_SCALAR_NODE)
		return fail_at(c, node, path, "expected an integer");
	s = scalar(node);
	d = s + (s[0] == '+' || s[0] == '-');
	if (*d < '0' || *d > '9')
		return fail_at(c, node, path, "expected an integer, not \"%.40s\"", s);
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0')
		return fail_at(c, node, path, "expected an integer, not \"%.40s\"", s);
	if (errno == ERANGE || v < min || v > max)
		return fail_at(c, node, path, "must be between %ld and %ld", min, max);
	*out = v;
	return 0;
}

/* Read the boolean scalar node (at path): true/yes → 1, false/no → 0. */
static int get_bool(struct ctx *c, const yaml_node_t *node, const char *path, int *out)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE)
		return fail_at(c, node, path, "expected true or false");
	s = scalar(node);
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0)
		*out = 1;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0)
		*out = 0;
	else
		return fail_at(c, node, path, "expected true or false, not \"%.40s\"", s);
	return 0;
}

/* 1 when s is a hostname-like token: letters, digits, '.', '-', '_'. */
static int valid_pathhost(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/*
 * 1 when s is a newsgroup name: components of [A-Za-z0-9+_-] separated by
 * single dots, shorter than MOOT_MAX_GROUP bytes (RFC 5536 §3.1.4 grammar,
 * restricted to ASCII).
 */
static int valid_group(const char *s)
{
	size_t n = 0, comp = 0;

	for (; s[n] != '\0'; n++) {
		char ch = s[n];

		if (n + 1 >= MOOT_MAX_GROUP)
			return 0;
		if (ch == '.') {
			if (comp == 0)
				return 0;
			comp = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || ch == '+' || ch == '_' || ch == '-') {
			comp++;
		} else {
			return 0;
		}
	}
	return comp > 0;
}

/*
 * Join state and file into a new allocation: file itself when absolute, else
 * "<state>/<file>" (trailing slashes of state dropped).  NULL when out of
 * memory.
 */
static char *resolve(const char *state, const char *file)
{
	size_t n = strlen(state);
	char *out;

	if (file[0] == '/')
		return strdup(file);
	while (n > 1 && state[n - 1] == '/')
		n--;
	out = malloc(n + 1 + strlen(file) + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, state, n);
	out[n] = '/';
	strcpy(out + n + 1, file);
	if (n == 1 && state[0] == '/')
		memmove(out, out + 1, strlen(out + 1) + 1);	/* "/" + "x" is "/x" */
	return out;
}

/*
 * 1 when s is a DNS host name (RFC 1123 §2.1): dot-separated labels of
 * letters, digits and '-', 1 to 63 bytes, not starting or ending with '-',
 * at most 253 bytes in all.  A name made only of digits and dots is not one:
 * it is an IPv4 address, good or bad (RFC 1123 §2.1 asks the top label to be
 * alphabetic for exactly that reason).
 */
static int valid_dnsname(const char *s)
{
	size_t n = 0, label = 0;
	int alpha = 0;

	for (; s[n] != '\0'; n++) {
		char ch = s[n];

		if (n >= 253)
			return 0;
		if (ch == '.') {
			if (label == 0 || s[n - 1] == '-')
				return 0;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || ch == '-') {
			if ((label == 0 && ch == '-') || ++label > 63)
				return 0;
			alpha |= !(ch >= '0' && ch <= '9');
		} else {
			return 0;
		}
	}
	return label > 0 && s[n - 1] != '-' && alpha;
}

/*
 * Split address a (at path, written at node) into host and port: "HOST:PORT"
 * with an IPv4 literal, or "[HOST]:PORT" with an IPv6 literal (RFC 3986
 * §3.2.2 brackets).  When names is 1, an unbracketed HOST may also be a DNS
 * name (peers are dialled; listeners bind numeric addresses).  Fills host
 * (hostlen bytes, without brackets) and *port.
 */
static int parse_hostport(struct ctx *c, const yaml_node_t *node, const char *path,
			  const char *a, char *host, size_t hostlen, int *port, int names)
{
	const char *colon, *hs, *he;
	unsigned char bin[16];
	long p;
	char *end;
	size_t hl;

	if (a[0] == '[') {
		hs = a + 1;
		he = strchr(hs, ']');
		if (he == NULL)
			return fail_at(c, node, path, "missing ']' after IPv6 address");
		if (he[1] != ':')
			return fail_at(c, node, path, "expected [HOST]:PORT");
		colon = he + 1;
	} else {
		hs = a;
		colon = strrchr(a, ':');
		if (colon == NULL)
			return fail_at(c, node, path, "expected HOST:PORT");
		he = colon;
		if (memchr(hs, ':', (size_t)(he - hs)) != NULL)
			return fail_at(c, node, path, "an IPv6 address must be in brackets, as [::1]:563");
	}
	hl = (size_t)(he - hs);
	if (hl == 0)
		return fail_at(c, node, path, "empty host");
	if (hl >= hostlen)
		return fail_at(c, node, path, "host longer than %zu bytes", hostlen - 1);
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (a[0] == '[') {
		if (inet_pton(AF_INET6, host, bin) != 1)
			return fail_at(c, node, path, "host \"%.64s\" is not an IPv6 address",
				       host);
	} else if (inet_pton(AF_INET, host, bin) != 1 && !(names && valid_dnsname(host))) {
		return fail_at(c, node, path, "host \"%.64s\" is not an IPv4 address%s", host,
			       names ? " or a DNS name" : "");
	}
	if (colon[1] < '0' || colon[1] > '9')
		return fail_at(c, node, path, "port must be a number from 1 to 65535");
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno == ERANGE || p < 1 || p > 65535)
		return fail_at(c, node, path, "port must be a number from 1 to 65535");
	*port = (int)p;
	return 0;
}

/* 1 when listeners a and b name the same address and port. */
static int same_address(const struct config_listen *a, const struct config_listen *b)
{
	unsigned char x[16], y[16];
	int fa = strchr(a->host, ':') ? AF_INET6 : AF_INET;
	int fb = strchr(b->host, ':') ? AF_INET6 : AF_INET;

	if (a->port != b->port || fa != fb)
		return 0;
	if (inet_pton(fa, a->host, x) != 1 || inet_pton(fb, b->host, y) != 1)
		return strcmp(a->host, b->host) == 0;
	return memcmp(x, y, fa == AF_INET6 ? 16 : 4) == 0;
}

/* Read server.listen (node at path) into cfg->listen: a non-empty list. */
static int load_listen(struct ctx *c, yaml_node_t *node, const char *path)
{
	struct config *cfg = c->cfg;
	yaml_node_item_t *it;
	size_t n, i;
	int rc;

	if (node->type != YAML_SEQUENCE_NODE)
		return fail_at(c, node, path, "expected a list");
	n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (n == 0)
		return fail_at(c, node, path, "at least one address is needed");
	if (n > CONFIG_MAX_LISTEN)
		return fail_at(c, node, path, "more than %d entries", CONFIG_MAX_LISTEN);
	cfg->listen = calloc(n, sizeof(*cfg->listen));
	if (cfg->listen == NULL)
		return fail_nomem(c);
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		struct field f[] = { { "address", NULL, NULL }, { "tls", NULL, NULL } };
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);
		struct config_listen *l = &cfg->listen[cfg->nlisten];
		char ep[CONFIG_MAX_KEYPATH], kp[CONFIG_MAX_KEYPATH];

		snprintf(ep, sizeof(ep), "%s[%zu]", path, cfg->nlisten);
		if ((rc = map_fields(c, e, ep, f, MOOT_ARRAY_SIZE(f))) < 0 ||
		    (rc = require(c, e, ep, &f[0])) < 0)
			return rc;
		keypath(kp, sizeof(kp), ep, "address");
		if ((rc = get_string(c, f[0].value, kp, CONFIG_MAX_PATH, &l->address)) < 0)
			return rc;
		cfg->nlisten++;	/* l->address is now released with cfg */
		if ((rc = parse_hostport(c, f[0].value, kp, l->address, l->host, sizeof(l->host),
					  &l->port, 0)) < 0)
			return rc;
		for (i = 0; i + 1 < cfg->nlisten; i++)
			if (same_address(&cfg->listen[i], l))
				return fail_at(c, f[0].value, kp, "duplicate of %s[%zu]", path, i);
		keypath(kp, sizeof(kp), ep, "tls");
		if (present(&f[1]) && (rc = get_bool(c, f[1].value, kp, &l->tls)) < 0)
			return rc;
	}
	return 0;
}

/*
 * Read one file-name value (node at path) into a new allocation *out,
 * resolved against state; an empty name is an error.
 */
static int get_file(struct ctx *c, const yaml_node_t *node, const char *path, char **out)
{
	char *name = NULL;
	int rc;

	if ((rc = get_string(c, node, path, CONFIG_MAX_PATH, &name)) < 0)
		return rc;
	if (name[0] == '\0') {
		free(name);
		return fail_at(c, node, path, "must not be empty");
	}
	*out = resolve(c->cfg->state, name);
	free(name);
	if (*out == NULL)
		return fail_nomem(c);
	return 0;
}

/*
 * Read a certificate and its key, fields fc and fk of the mapping node (at
 * path, NULL when absent), into *cert and *key, resolved against state.
 * Both or neither: when neither is given, the defaults defc and defk inside
 * state are used and *generated is set, so a missing pair may be generated.
 */
static int load_pair(struct ctx *c, const yaml_node_t *node, const char *path,
		     const struct field *fc, const struct field *fk,
		     const char *defc, const char *defk, char **cert, char **key, int *generated)
{
	char kp[CONFIG_MAX_KEYPATH];
	int rc;

	if (present(fc) != present(fk)) {
		/* A certificate without its key cannot be used, nor the reverse. */
		const struct field *missing = present(fc) ? fk : fc;

		keypath(kp, sizeof(kp), path, missing->key);
		return fail_at(c, node, kp, "missing (%s and %s are given together or not at all)",
			       fc->key, fk->key);
	}
	if (!present(fc)) {
		*generated = 1;
		*cert = resolve(c->cfg->state, defc);
		*key = resolve(c->cfg->state, defk);
		if (*cert == NULL || *key == NULL)
			return fail_nomem(c);
		return 0;
	}
	keypath(kp, sizeof(kp), path, fc->key);
	if ((rc = get_file(c, fc->value, kp, cert)) < 0)
		return rc;
	keypath(kp, sizeof(kp), path, fk->key);
	return get_file(c, fk->value, kp, key);
}

/*
 * Read server.tls (node at path, NULL when absent) into the resolved paths
 * of the server certificate and key and of our client certificate and key
 * towards peers; state must already be set.
 */
static int load_tls(struct ctx *c, yaml_node_t *node, const char *path)
{
	enum { CERT, KEY, CLIENT_CERT, CLIENT_KEY };
	struct config *cfg = c->cfg;
	struct field f[] = {
		[CERT] = { "certificate", NULL, NULL },
		[KEY] = { "key", NULL, NULL },
		[CLIENT_CERT] = { "client_certificate", NULL, NULL },
		[CLIENT_KEY] = { "client_key", NULL, NULL },
	};
	int rc;

	if (node != NULL && (rc = map_fields(c, node, path, f, MOOT_ARRAY_SIZE(f))) < 0)
		return rc;
	if ((rc = load_pair(c, node, path, &f[CERT], &f[KEY], DEFAULT_CERTIFICATE, DEFAULT_KEY,
			    &cfg->tls_certificate, &cfg->tls_key, &cfg->tls_generated)) < 0)
		return rc;
	return load_pair(c, node, path, &f[CLIENT_CERT], &f[CLIENT_KEY], DEFAULT_CLIENT_CERTIFICATE,
			 DEFAULT_CLIENT_KEY, &cfg->tls_client_certificate, &cfg->tls_client_key,
			 &cfg->tls_client_generated);
}

/* Read server.limits (node at path, NULL when absent) over the defaults. */
static int load_limits(struct ctx *c, yaml_node_t *node, const char *path)
{
	struct config *cfg = c->cfg;
	struct field f[] = {
		{ "max_connections", NULL, NULL },
		{ "max_article_bytes", NULL, NULL },
		{ "idle_timeout_s", NULL, NULL },
		{ "max_connections_per_address", NULL, NULL },
		{ "command_timeout_s", NULL, NULL },
		{ "posts_per_hour_user", NULL, NULL },
		{ "posts_per_hour_address", NULL, NULL },
	};
	long *dst[] = {
		&cfg->max_connections, &cfg->max_article_bytes, &cfg->idle_timeout_s,
		&cfg->max_connections_per_address, &cfg->command_timeout_s,
		&cfg->posts_per_hour_user, &cfg->posts_per_hour_address,
	};
	/* A rate of 0 posts an hour means unlimited, not "nobody may post". */
	const long min[] = { 1, 1024, 1, 1, 1, 0, 0 };
	const long max[] = {
		INT_MAX, 1073741824L, INT_MAX, INT_MAX, CONFIG_MAX_COMMAND_TIMEOUT,
		CONFIG_MAX_POSTS_PER_HOUR, CONFIG_MAX_POSTS_PER_HOUR,
	};
	char kp[CONFIG_MAX_KEYPATH];
	size_t i;
	int rc;

	cfg->max_connections = DEFAULT_MAX_CONNECTIONS;
	cfg->max_article_bytes = DEFAULT_MAX_ARTICLE_BYTES;
	cfg->idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S;
	cfg->max_connections_per_address = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
	cfg->command_timeout_s = DEFAULT_COMMAND_TIMEOUT_S;
	cfg->posts_per_hour_user = DEFAULT_POSTS_PER_HOUR_USER;
	cfg->posts_per_hour_address = DEFAULT_POSTS_PER_HOUR_ADDRESS;
	if (node == NULL)
		return 0;
	if ((rc = map_fields(c, node, path, f, MOOT_ARRAY_SIZE(f))) < 0)
		return rc;
	for (i = 0; i < MOOT_ARRAY_SIZE(f); i++) {
		keypath(kp, sizeof(kp), path, f[i].key);
		if (present(&f[i]) && (rc = get_long(c, f[i].value, kp, min[i], max[i], dst[i])) < 0)
			return rc;
	}
	return 0;
}

/* Read an access level (node at path): open or authenticated, in any case. */
static int get_access(struct ctx *c, const yaml_node_t *node, const char *path, enum access *out)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE)
		return fail_at(c, node, path, "expected open or authenticated");
	s = scalar(node);
	if (strcasecmp(s, "open") == 0)
		*out = ACCESS_OPEN;
	else if (strcasecmp(s, "authenticated") == 0)
		*out = ACCESS_AUTHENTICATED;
	else
		return fail_at(c, node, path, "expected open or authenticated, not \"%.40s\"", s);
	return 0;
}

/*
 * Read server.access (node at path, NULL when absent) over the defaults:
 * anyone reads, posting needs AUTHINFO (RFC 4643).
 */
static int load_access(struct ctx *c, yaml_node_t *node, const char *path)
{
	enum { READ, POST };
	struct config *cfg = c->cfg;
	struct field f[] = {
		[READ] = { "read", NULL, NULL },
		[POST] = { "post", NULL, NULL },
	};
	char kp[CONFIG_MAX_KEYPATH];
	int rc;

	cfg->access_read = ACCESS_OPEN;
	cfg->access_post = ACCESS_AUTHENTICATED;
	if (node == NULL)
		return 0;
	if ((rc = map_fields(c, node, path, f, MOOT_ARRAY_SIZE(f))) < 0)
		return rc;
	keypath(kp, sizeof(kp), path, "read");
	if (present(&f[READ]) && (rc = get_access(c, f[READ].value, kp, &cfg->access_read)) < 0)
		return rc;
	keypath(kp, sizeof(kp), path, "post");
	if (present(&f[POST]) && (rc = get_access(c, f[POST].value, kp, &cfg->access_post)) < 0)
		return rc;
	return 0;
}

/* 1 when the numeric host (no brackets) is a loopback address: 127.0.0.0/8 or ::1. */
static int is_loopback(const char *host)
{
	unsigned char bin[16];

	if (inet_pton(AF_INET, host, bin) == 1)
		return bin[0] == 127;
	if (inet_pton(AF_INET6, host, bin) == 1)
		return memcmp(bin, &in6addr_loopback, sizeof(bin)) == 0;
	return 0;
}

/*
 * Read server.metrics (node at path, NULL when absent: no metrics endpoint)
 * into cfg->metrics_*: an address of numeric loopback HOST:PORT, since the
 * Prometheus text it serves is for local scraping only, and not one of the
 * NNTP listeners (server.listen must be read first).
 */
static int load_metrics(struct ctx *c, yaml_node_t *node, const char *path)
{
	struct config *cfg = c->cfg;
	struct field f[] = { { "address", NULL, NULL } };
	struct config_listen m;
	char kp[CONFIG_MAX_KEYPATH];
	size_t i;
	int rc;

	if (node == NULL)
		return 0;
	if ((rc = map_fields(c, node, path, f, MOOT_ARRAY_SIZE(f))) < 0 ||
	    (rc = require(c, node, path, &f[0])) < 0)
		return rc;
	keypath(kp, sizeof(kp), path, "address");
	if ((rc = get_string(c, f[0].value, kp, CONFIG_MAX_ADDRESS, &cfg->metrics_address)) < 0 ||
	    (rc = parse_hostport(c, f[0].value, kp, cfg->metrics_address, cfg->metrics_host,
				 sizeof(cfg->metrics_host), &cfg->metrics_port, 0)) < 0)
		return rc;
	if (!is_loopback(cfg->metrics_host))
		return fail_at(c, f[0].value, kp,
			       "must be a loopback address (127.0.0.0/8 or [::1]): "
			       "metrics are for local scraping");
	memset(&m, 0, sizeof(m));
	memcpy(m.host, cfg->metrics_host, sizeof(m.host));
	m.port = cfg->metrics_port;
	for (i = 0; i < cfg->nlisten; i++)
		if (same_address(&cfg->listen[i], &m))
			return fail_at(c, f[0].value, kp, "same as server.listen[%zu]", i);
	return 0;
}

/* Read the server mapping (node at "server"). */
static int load_server(struct ctx *c, yaml_node_t *node)
{
	enum { PATHHOST, STATE, LISTEN, TLS, LIMITS, MOTD, ACCESS, METRICS };
	struct field f[] = {
		[PATHHOST] = { "pathhost", NULL, NULL },
		[STATE] = { "state", NULL, NULL },
		[LISTEN] = { "listen", NULL, NULL },
		[TLS] = { "tls", NULL, NULL },
		[LIMITS] = { "limits", NULL, NULL },
		[MOTD] = { "motd", NULL, NULL },
		[ACCESS] = { "access", NULL, NULL },
		[METRICS] = { "metrics", NULL, NULL },
	};
	struct config *cfg = c->cfg;
	int rc;

	if ((rc = map_fields(c, node, "server", f, MOOT_ARRAY_SIZE(f))) < 0 ||
	    (rc = require(c, node, "server", &f[PATHHOST])) < 0 ||
	    (rc = get_string(c, f[PATHHOST].value, "server.pathhost", CONFIG_MAX_PATHHOST,
			     &cfg->pathhost)) < 0)
		return rc;
	if (!valid_pathhost(cfg->pathhost))
		return fail_at(c, f[PATHHOST].value, "server.pathhost",
			       "\"%.64s\" is not a host name (letters, digits, '.', '-', '_')",
			       cfg->pathhost);
	if (present(&f[STATE])) {
		if ((rc = get_string(c, f[STATE].value, "server.state", CONFIG_MAX_PATH,
				     &cfg->state)) < 0)
			return rc;
		if (cfg->state[0] == '\0')
			return fail_at(c, f[STATE].value, "server.state", "must not be empty");
	} else if ((cfg->state = strdup(DEFAULT_STATE)) == NULL) {
		return fail_nomem(c);
	}
	if ((rc = require(c, node, "server", &f[LISTEN])) < 0 ||
	    (rc = load_listen(c, f[LISTEN].value, "server.listen")) < 0 ||
	    (rc = load_tls(c, present(&f[TLS]) ? f[TLS].value : NULL, "server.tls")) < 0 ||
	    (rc = load_limits(c, present(&f[LIMITS]) ? f[LIMITS].value : NULL, "server.limits")) < 0 ||
	    (rc = load_access(c, present(&f[ACCESS]) ? f[ACCESS].value : NULL, "server.access")) < 0 ||
	    (rc = load_metrics(c, present(&f[METRICS]) ? f[METRICS].value : NULL,
			       "server.metrics")) < 0)
		return rc;
	if (present(&f[MOTD]) &&
	    (rc = get_string(c, f[MOTD].value, "server.motd", CONFIG_MAX_MOTD, &cfg->motd)) < 0)
		return rc;
	return 0;
}

/* Read posting (node at path): yes/true, no/false or moderated. */
static int get_posting(struct ctx *c, const yaml_node_t *node, const char *path, enum posting *out)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE)
		return fail_at(c, node, path, "expected yes, no or moderated");
	s = scalar(node);
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0)
		*out = POSTING_YES;
	else if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0)
		*out = POSTING_NO;
	else if (strcasecmp(s, "moderated") == 0)
		*out = POSTING_MODERATED;
	else
		return fail_at(c, node, path, "expected yes, no or moderated, not \"%.40s\"", s);
	return 0;
}

/* Read one entry of groups (node at path ep) into g. */
static int load_group(struct ctx *c, yaml_node_t *e, const char *ep, struct config_group *g)
{
	enum { NAME, DESCRIPTION, POSTING, RETENTION };
	struct field f[] = {
		[NAME] = { "name", NULL, NULL },
		[DESCRIPTION] = { "description", NULL, NULL },
		[POSTING] = { "posting", NULL, NULL },
		[RETENTION] = { "retention_days", NULL, NULL },
	};
	char kp[CONFIG_MAX_KEYPATH];
	long days = 0;
	size_t i;
	int rc;

	if ((rc = map_fields(c, e, ep, f, MOOT_ARRAY_SIZE(f))) < 0 ||
	    (rc = require(c, e, ep, &f[NAME])) < 0)
		return rc;
	keypath(kp, sizeof(kp), ep, "name");
	if ((rc = get_string(c, f[NAME].value, kp, MOOT_MAX_GROUP, &g->name)) < 0)
		return rc;
	if (!valid_group(g->name))
		return fail_at(c, f[NAME].value, kp, "\"%.64s\" is not a valid newsgroup name",
			       g->name);
	for (i = 0; &c->cfg->groups[i] != g; i++)
		if (strcmp(c->cfg->groups[i].name, g->name) == 0)
			return fail_at(c, f[NAME].value, kp, "duplicate of groups[%zu]", i);
	keypath(kp, sizeof(kp), ep, "description");
	if (present(&f[DESCRIPTION])) {
		if ((rc = get_string(c, f[DESCRIPTION].value, kp, CONFIG_MAX_DESCRIPTION,
				     &g->description)) < 0)
			return rc;
		/* It is one line of LIST NEWSGROUPS (RFC 3977 §7.6.6). */
		if (strpbrk(g->description, "\r\n") != NULL)
			return fail_at(c, f[DESCRIPTION].value, kp, "must be a single line");
	} else if ((g->description = strdup("")) == NULL) {
		return fail_nomem(c);
	}
	keypath(kp, sizeof(kp), ep, "posting");
	g->posting = POSTING_YES;
	if (present(&f[POSTING]) && (rc = get_posting(c, f[POSTING].value, kp, &g->posting)) < 0)
		return rc;
	keypath(kp, sizeof(kp), ep, "retention_days");
	if (present(&f[RETENTION]) &&
	    (rc = get_long(c, f[RETENTION].value, kp, 0, CONFIG_MAX_RETENTION, &days)) < 0)
		return rc;
	g->retention_days = (int)days;
	return 0;
}

/* Read the groups list (node at "groups", NULL when absent: no groups). */
/*
 * Check that node (at path) is a sequence of at most max entries and put
 * their number in *n; 0 or the error of fail_at.
 */
static int list_len(struct ctx *c, const yaml_node_t *node, const char *path, int max, size_t *n)
{
	*n = 0;
	if (node->type != YAML_SEQUENCE_NODE)
		return fail_at(c, node, path, "expected a list");
	*n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (*n > (size_t)max)
		return fail_at(c, node, path, "more than %d entries", max);
	return 0;
}

static int load_groups(struct ctx *c, yaml_node_t *node)
{
	struct config *cfg = c->cfg;
	yaml_node_item_t *it;
	size_t n;
	int rc;

	if (node == NULL)
		return 0;
	if ((rc = list_len(c, node, "groups", CONFIG_MAX_GROUPS, &n)) < 0 || n == 0)
		return rc;
	cfg->groups = calloc(n, sizeof(*cfg->groups));
	if (cfg->groups == NULL)
		return fail_nomem(c);
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		char ep[CONFIG_MAX_KEYPATH];

		snprintf(ep, sizeof(ep), "groups[%zu]", cfg->ngroups);
		/* Counted first so that config_release() frees a partial entry. */
		rc = load_group(c, yaml_document_get_node(c->doc, *it), ep,
				&cfg->groups[cfg->ngroups++]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Put the 64 lower-case hex digits of fingerprint s into out (65 bytes) and
 * return 0, or return -1 when s is not one: an optional "sha256:" prefix in
 * any case, then 64 hex digits in any case, optionally with a colon between
 * two pairs, as `openssl x509 -noout -fingerprint -sha256` prints it
 * (DESIGN.md, Federation).  OpenSSL is not needed to check the form.
 */
static int fingerprint_hex(const char *s, char out[65])
{
	size_t n = 0;

	if (strncasecmp(s, "sha256:", 7) == 0)
		s += 7;
	for (; *s != '\0'; s++) {
		if (*s == ':') {
			/* Only between pairs: not first, not last, not doubled. */
			if (n == 0 || n % 2 != 0 || n == 64 || s[1] == ':' || s[1] == '\0')
				return -1;
			continue;
		}
		if (n == 64)
			return -1;
		if (*s >= '0' && *s <= '9')
			out[n++] = *s;
		else if (*s >= 'a' && *s <= 'f')
			out[n++] = *s;
		else if (*s >= 'A' && *s <= 'F')
			out[n++] = (char)(*s - 'A' + 'a');
		else
			return -1;
	}
	out[n] = '\0';
	return n == 64 ? 0 : -1;
}

/* Read a fingerprint (node at path) into *out, kept as written once its form is checked. */
static int get_fingerprint(struct ctx *c, const yaml_node_t *node, const char *path, char **out)
{
	char hex[65];
	int rc;

	if ((rc = get_string(c, node, path, CONFIG_MAX_FINGERPRINT, out)) < 0)
		return rc;
	if (fingerprint_hex(*out, hex) < 0)
		return fail_at(c, node, path,
			       "expected \"sha256:\" and 64 hex digits (colons allowed between pairs)");
	return 0;
}

/* Read a wildmat (node at path) into *out: not empty, RFC 3977 §4.1 syntax. */
static int get_wildmat(struct ctx *c, const yaml_node_t *node, const char *path, char **out)
{
	int rc;

	if ((rc = get_string(c, node, path, CONFIG_MAX_WILDMAT, out)) < 0)
		return rc;
	if ((*out)[0] == '\0')
		return fail_at(c, node, path, "must not be empty");
	if (wildmat_valid(*out) < 0)
		return fail_at(c, node, path, "\"%.64s\" is not a valid wildmat (RFC 3977 §4.1)",
			       *out);
	return 0;
}

/*
 * Read a user name (node at path) into a new allocation *out: not empty, at
 * most CONFIG_MAX_USER bytes, no spaces or control characters, since it
 * travels as one AUTHINFO USER argument (RFC 4643 §2.3, RFC 3977 §3.1).
 */
static int get_user(struct ctx *c, const yaml_node_t *node, const char *path, char **out)
{
	const unsigned char *u;
	int rc;

	if ((rc = get_string(c, node, path, CONFIG_MAX_USER, out)) < 0)
		return rc;
	if ((*out)[0] == '\0')
		return fail_at(c, node, path, "must not be empty");
	for (u = (const unsigned char *)*out; *u != '\0'; u++)
		if (*u <= 0x20 || *u == 0x7f)
			return fail_at(c, node, path,
				       "must not contain spaces or control characters");
	return 0;
}

/*
 * Read peers[i].identity (node at path, a mapping) into p: exactly one of
 * a client certificate fingerprint, or an AUTHINFO user with its password
 * hash (RFC 4643 §2.3).  A fingerprint or user already claimed by an earlier
 * peer is an error, since an incoming session must map to one peer.
 */
static int load_identity(struct ctx *c, yaml_node_t *node, const char *path,
			 struct config_peer *p)
{
	enum { FINGERPRINT, USER, PASSWORD_HASH };
	struct field f[] = {
		[FINGERPRINT] = { "fingerprint", NULL, NULL },
		[USER] = { "user", NULL, NULL },
		[PASSWORD_HASH] = { "password_hash", NULL, NULL },
	};
	struct config *cfg = c->cfg;
	char kp[CONFIG_MAX_KEYPATH];
	char hex[65], other[65];
	size_t i;
	int rc;

	if ((rc = map_fields(c, node, path, f, MOOT_ARRAY_SIZE(f))) < 0)
		return rc;
	if (present(&f[FINGERPRINT]) && (present(&f[USER]) || present(&f[PASSWORD_HASH])))
		return fail_at(c, node, path, "fingerprint, or user and password_hash, not both");
	if (present(&f[FINGERPRINT])) {
		keypath(kp, sizeof(kp), path, "fingerprint");
		rc = get_fingerprint(c, f[FINGERPRINT].value, kp, &p->identity_fingerprint);
		if (rc < 0)
			return rc;
		fingerprint_hex(p->identity_fingerprint, hex);
		for (i = 0; &cfg->peers[i] != p; i++) {
			if (cfg->peers[i].identity_fingerprint == NULL)
				continue;
			fingerprint_hex(cfg->peers[i].identity_fingerprint, other);
			if (strcmp(hex, other) == 0)
				return fail_at(c, f[FINGERPRINT].value, kp,
					       "duplicate of peers[%zu].identity.fingerprint", i);
		}
		return 0;
	}
	if (!present(&f[USER]) && !present(&f[PASSWORD_HASH]))
		return fail_at(c, node, path, "expected fingerprint, or user and password_hash");
	if ((rc = require(c, node, path, &f[USER])) < 0 ||
	    (rc = require(c, node, path, &f[PASSWORD_HASH])) < 0)
		return rc;
	keypath(kp, sizeof(kp), path, "user");
	if ((rc = get_user(c, f[USER].value, kp, &p->identity_user)) < 0)
		return rc;
	for (i = 0; &cfg->peers[i] != p; i++)
		if (cfg->peers[i].identity_user != NULL &&
		    strcmp(cfg->peers[i].identity_user, p->identity_user) == 0)
			return fail_at(c, f[USER].value, kp,
				       "duplicate of peers[%zu].identity.user", i);
	keypath(kp, sizeof(kp), path, "password_hash");
	if ((rc = get_string(c, f[PASSWORD_HASH].value, kp, CONFIG_MAX_PATH,
			     &p->identity_password_hash)) < 0)
		return rc;
	if (p->identity_password_hash[0] == '\0')
		return fail_at(c, f[PASSWORD_HASH].value, kp, "must not be empty");
	return 0;
}

/* Read one entry of peers (node e at path ep) into p (docs/configuration.md, Peers). */
static int load_peer(struct ctx *c, yaml_node_t *e, const char *ep, struct config_peer *p)
{
	enum { NAME, ADDRESS, TLS, CA, FINGERPRINT, SEND, ACCEPT, IDENTITY, WINDOW };
	struct field f[] = {
		[NAME] = { "name", NULL, NULL },
		[ADDRESS] = { "address", NULL, NULL },
		[TLS] = { "tls", NULL, NULL },
		[CA] = { "ca", NULL, NULL },
		[FINGERPRINT] = { "fingerprint", NULL, NULL },
		[SEND] = { "send", NULL, NULL },
		[ACCEPT] = { "accept", NULL, NULL },
		[IDENTITY] = { "identity", NULL, NULL },
		[WINDOW] = { "window", NULL, NULL },
	};
	struct config *cfg = c->cfg;
	char kp[CONFIG_MAX_KEYPATH];
	long window = DEFAULT_WINDOW;
	size_t i;
	int rc;

	if ((rc = map_fields(c, e, ep, f, MOOT_ARRAY_SIZE(f))) < 0 ||
	    (rc = require(c, e, ep, &f[NAME])) < 0)
		return rc;
	keypath(kp, sizeof(kp), ep, "name");
	if ((rc = get_string(c, f[NAME].value, kp, CONFIG_MAX_PATHHOST, &p->name)) < 0)
		return rc;
	if (!valid_pathhost(p->name))
		return fail_at(c, f[NAME].value, kp,
			       "\"%.64s\" is not a host name (letters, digits, '.', '-', '_')",
			       p->name);
	/* Our own name in Path stops flooding (RFC 5537 §3.2): a peer may not share it. */
	if (strcasecmp(p->name, cfg->pathhost) == 0)
		return fail_at(c, f[NAME].value, kp, "must differ from server.pathhost");
	for (i = 0; &cfg->peers[i] != p; i++)
		if (strcasecmp(cfg->peers[i].name, p->name) == 0)
			return fail_at(c, f[NAME].value, kp, "duplicate of peers[%zu]", i);

	keypath(kp, sizeof(kp), ep, "address");
	if (present(&f[ADDRESS])) {
		if ((rc = get_string(c, f[ADDRESS].value, kp, CONFIG_MAX_ADDRESS,
				     &p->address)) < 0 ||
		    (rc = parse_hostport(c, f[ADDRESS].value, kp, p->address, p->host,
					 sizeof(p->host), &p->port, 1)) < 0)
			return rc;
	}
	keypath(kp, sizeof(kp), ep, "tls");
	p->tls = 1;
	if (present(&f[TLS]) && (rc = get_bool(c, f[TLS].value, kp, &p->tls)) < 0)
		return rc;
	if (present(&f[CA]) && present(&f[FINGERPRINT])) {
		keypath(kp, sizeof(kp), ep, "fingerprint");
		return fail_at(c, f[FINGERPRINT].keynode, kp,
			       "give ca or fingerprint, not both (on line %zu)",
			       f[CA].keynode->start_mark.line + 1);
	}
	for (i = CA; i <= FINGERPRINT; i++) {
		keypath(kp, sizeof(kp), ep, f[i].key);
		if (!present(&f[i]))
			continue;
		if (!p->tls)
			return fail_at(c, f[i].keynode, kp, "needs tls: true");
		rc = i == CA ? get_file(c, f[i].value, kp, &p->ca)
			     : get_fingerprint(c, f[i].value, kp, &p->fingerprint);
		if (rc < 0)
			return rc;
	}

	keypath(kp, sizeof(kp), ep, "send");
	if (present(&f[SEND])) {
		/* Only an outgoing feed offers articles: no address, nothing to send. */
		if (p->address == NULL)
			return fail_at(c, f[SEND].keynode, kp,
				       "needs an address (inbound-only peer)");
		if ((rc = get_wildmat(c, f[SEND].value, kp, &p->send)) < 0)
			return rc;
	} else if (p->address != NULL && (p->send = strdup("*")) == NULL) {
		return fail_nomem(c);
	}
	keypath(kp, sizeof(kp), ep, "accept");
	if ((rc = require(c, e, ep, &f[ACCEPT])) < 0 ||
	    (rc = get_wildmat(c, f[ACCEPT].value, kp, &p->accept)) < 0)
		return rc;
	keypath(kp, sizeof(kp), ep, "identity");
	if ((rc = require(c, e, ep, &f[IDENTITY])) < 0 ||
	    (rc = load_identity(c, f[IDENTITY].value, kp, p)) < 0)
		return rc;
	keypath(kp, sizeof(kp), ep, "window");
	if (present(&f[WINDOW]) &&
	    (rc = get_long(c, f[WINDOW].value, kp, 1, CONFIG_MAX_WINDOW, &window)) < 0)
		return rc;
	p->window = (int)window;
	return 0;
}

/* Read the peers list (node at "peers", NULL when absent: no peers); server is read. */
static int load_peers(struct ctx *c, yaml_node_t *node)
{
	struct config *cfg = c->cfg;
	yaml_node_item_t *it;
	size_t n;
	int rc;

	if (node == NULL)
		return 0;
	if ((rc = list_len(c, node, "peers", CONFIG_MAX_PEERS, &n)) < 0 || n == 0)
		return rc;
	cfg->peers = calloc(n, sizeof(*cfg->peers));
	if (cfg->peers == NULL)
		return fail_nomem(c);
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		char ep[CONFIG_MAX_KEYPATH];

		snprintf(ep, sizeof(ep), "peers[%zu]", cfg->npeers);
		/* Counted first so that config_release() frees a partial entry. */
		rc = load_peer(c, yaml_document_get_node(c->doc, *it), ep,
			       &cfg->peers[cfg->npeers++]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Read roles.admins (node at path): a list of unique user names. */
static int load_admins(struct ctx *c, yaml_node_t *node, const char *path)
{
	struct config *cfg = c->cfg;
	yaml_node_item_t *it;
	size_t n, i;
	int rc;

	if ((rc = list_len(c, node, path, CONFIG_MAX_ROLES, &n)) < 0 || n == 0)
		return rc;
	cfg->admins = calloc(n, sizeof(*cfg->admins));
	if (cfg->admins == NULL)
		return fail_nomem(c);
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);
		char ep[CONFIG_MAX_KEYPATH];

		snprintf(ep, sizeof(ep), "%s[%zu]", path, cfg->nadmins);
		/* Counted first so that config_release() frees it (calloc left NULL). */
		if ((rc = get_user(c, e, ep, &cfg->admins[cfg->nadmins++])) < 0)
			return rc;
		for (i = 0; i + 1 < cfg->nadmins; i++)
			if (strcmp(cfg->admins[i], cfg->admins[cfg->nadmins - 1]) == 0)
				return fail_at(c, e, ep, "duplicate of %s[%zu]", path, i);
	}
	return 0;
}

/*
 * Read roles.moderators (node at path): a list of { user, groups }, groups a
 * wildmat of the groups the user moderates.  A user appears once: several
 * patterns are joined with ',' in one wildmat (RFC 3977 §4.2).
 */
static int load_moderators(struct ctx *c, yaml_node_t *node, const char *path)
{
	struct config *cfg = c->cfg;
	yaml_node_item_t *it;
	size_t n, i;
	int rc;

	if ((rc = list_len(c, node, path, CONFIG_MAX_ROLES, &n)) < 0 || n == 0)
		return rc;
	cfg->moderators = calloc(n, sizeof(*cfg->moderators));
	if (cfg->moderators == NULL)
		return fail_nomem(c);
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		struct field f[] = { { "user", NULL, NULL }, { "groups", NULL, NULL } };
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);
		struct config_moderator *m = &cfg->moderators[cfg->nmoderators++];
		char ep[CONFIG_MAX_KEYPATH], kp[CONFIG_MAX_KEYPATH];

		snprintf(ep, sizeof(ep), "%s[%zu]", path, cfg->nmoderators - 1);
		if ((rc = map_fields(c, e, ep, f, MOOT_ARRAY_SIZE(f))) < 0 ||
		    (rc = require(c, e, ep, &f[0])) < 0)
			return rc;
		keypath(kp, sizeof(kp), ep, "user");
		if ((rc = get_user(c, f[0].value, kp, &m->user)) < 0)
			return rc;
		for (i = 0; &cfg->moderators[i] != m; i++)
			if (strcmp(cfg->moderators[i].user, m->user) == 0)
				return fail_at(c, f[0].value, kp,
					       "duplicate of %s[%zu].user (join the wildmats with ',')",
					       path, i);
		keypath(kp, sizeof(kp), ep, "groups");
		if ((rc = require(c, e, ep, &f[1])) < 0 ||
		    (rc = get_wildmat(c, f[1].value, kp, &m->groups)) < 0)
			return rc;
	}
	return 0;
}

/* Read the roles mapping (node at "roles", NULL when absent: no admins, no moderators). */
static int load_roles(struct ctx *c, yaml_node_t *node)
{
	enum { ADMINS, MODERATORS };
	struct field f[] = {
		[ADMINS] = { "admins", NULL, NULL },
		[MODERATORS] = { "moderators", NULL, NULL },
	};
	int rc;

	if (node == NULL)
		return 0;
	if ((rc = map_fields(c, node, "roles", f, MOOT_ARRAY_SIZE(f))) < 0)
		return rc;
	if (present(&f[ADMINS]) && (rc = load_admins(c, f[ADMINS].value, "roles.admins")) < 0)
		return rc;
	if (present(&f[MODERATORS]) &&
	    (rc = load_moderators(c, f[MODERATORS].value, "roles.moderators")) < 0)
		return rc;
	return 0;
}

/* Walk the document's root along the schema. */
static int load_root(struct ctx *c)
{
	struct field f[] = {
		{ "server", NULL, NULL }, { "groups", NULL, NULL }, { "peers", NULL, NULL },
		{ "roles", NULL, NULL },
	};
	yaml_node_t *root = yaml_document_get_root_node(c->doc);
	int rc;

	if (root == NULL || is_null(root))
		return fail(c, root ? root->start_mark.line + 1 : 1, "server", "missing");
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(c, root, "(top level)", "expected a mapping");
	if ((rc = map_fields(c, root, "", f, MOOT_ARRAY_SIZE(f))) < 0 ||
	    (rc = require(c, root, "", &f[0])) < 0 ||
	    (rc = load_server(c, f[0].value)) < 0 ||
	    (rc = load_groups(c, present(&f[1]) ? f[1].value : NULL)) < 0 ||
	    (rc = load_peers(c, present(&f[2]) ? f[2].value : NULL)) < 0 ||
	    (rc = load_roles(c, present(&f[3]) ? f[3].value : NULL)) < 0)
		return rc;
	return 0;
}

/*
 * Report the parser's error as "FILE:LINE: yaml: problem".  Reader errors
 * (bad encoding) carry a byte offset rather than a mark, so the line is
 * counted from text.
 */
static int fail_yaml(struct ctx *c, const yaml_parser_t *p, const char *text, size_t len)
{
	size_t line = p->problem_mark.line + 1, i;

	if (p->error == YAML_MEMORY_ERROR)
		return fail_nomem(c);
	if (p->error == YAML_READER_ERROR)
		for (i = 0, line = 1; i < p->problem_offset && i < len; i++)
			line += text[i] == '\n';
	return fail(c, line, "yaml", "%s", p->problem ? p->problem : "cannot parse");
}

/*
 * Parse text (len bytes) as exactly one YAML document and walk it into c->cfg.
 */
static int load(struct ctx *c, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	int rc;

	if (len > CONFIG_MAX_TEXT)
		return fail(c, 0, "yaml", "longer than %u bytes", CONFIG_MAX_TEXT);
	if (!yaml_parser_initialize(&parser))
		return fail_nomem(c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		/* yaml_parser_load() has already deleted doc. */
		rc = fail_yaml(c, &parser, text, len);
		yaml_parser_delete(&parser);
		return rc;
	}
	c->doc = &doc;
	rc = load_root(c);
	c->doc = NULL;
	if (rc == 0) {
		/* A second document would be silently ignored: refuse it. */
		if (!yaml_parser_load(&parser, &extra)) {
			rc = fail_yaml(c, &parser, text, len);
		} else {
			yaml_node_t *r = yaml_document_get_root_node(&extra);

			if (r != NULL)
				rc = fail(c, extra.start_mark.line + 1, "yaml",
					  "only one document is allowed");
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

/*
 * Load the text (len bytes) named name into cfg, zeroed first; on error cfg
 * is released and err holds the message.  The text is not kept.
 */
int config_load_string(const char *name, const char *text, size_t len,
		       struct config *cfg, char *err, size_t errlen)
{
	struct ctx c = { name, NULL, cfg, err, errlen };
	int rc;

	assert(name != NULL && cfg != NULL && (text != NULL || len == 0));
	memset(cfg, 0, sizeof(*cfg));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	cfg->file = strdup(name);
	if (cfg->file == NULL)
		return fail_nomem(&c);
	rc = load(&c, text ? text : "", len);
	if (rc < 0)
		config_release(cfg);
	return rc;
}

/*
 * Read the file at path (at most CONFIG_MAX_TEXT bytes) and load it like
 * config_load_string(), naming it by path in messages.
 */
int config_load_file(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct ctx c = { path, NULL, cfg, err, errlen };
	size_t len = 0, cap = 4096;
	char *text, *grown;
	FILE *fp;
	size_t n;
	int rc;

	assert(path != NULL && cfg != NULL);
	memset(cfg, 0, sizeof(*cfg));
	fp = fopen(path, "rb");
	if (fp == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return MOOT_ECONFIG;
	}
	text = malloc(cap);
	if (text == NULL) {
		fclose(fp);
		return fail_nomem(&c);
	}
	for (;;) {
		n = fread(text + len, 1, cap - len, fp);
		len += n;
		if (len < cap)
			break;
		if (cap > CONFIG_MAX_TEXT) {
			free(text);
			fclose(fp);
			return fail(&c, 0, "yaml", "longer than %u bytes", CONFIG_MAX_TEXT);
		}
		grown = realloc(text, cap * 2);
		if (grown == NULL) {
			free(text);
			fclose(fp);
			return fail_nomem(&c);
		}
		text = grown;
		cap *= 2;
	}
	if (ferror(fp)) {
		int e = errno;

		free(text);
		fclose(fp);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
		return MOOT_ECONFIG;
	}
	fclose(fp);
	rc = config_load_string(path, text, len, cfg, err, errlen);
	free(text);
	return rc;
}

/* Free everything cfg holds and zero it; a zeroed or partial cfg is fine. */
void config_release(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->file);
	free(cfg->pathhost);
	free(cfg->state);
	for (i = 0; i < cfg->nlisten; i++)
		free(cfg->listen[i].address);
	free(cfg->listen);
	free(cfg->tls_certificate);
	free(cfg->tls_key);
	free(cfg->tls_client_certificate);
	free(cfg->tls_client_key);
	free(cfg->motd);
	for (i = 0; i < cfg->ngroups; i++) {
		free(cfg->groups[i].name);
		free(cfg->groups[i].description);
	}
	free(cfg->groups);
	for (i = 0; i < cfg->npeers; i++) {
		struct config_peer *p = &cfg->peers[i];

		free(p->name);
		free(p->address);
		free(p->ca);
		free(p->fingerprint);
		free(p->send);
		free(p->accept);
		free(p->identity_fingerprint);
		free(p->identity_user);
		free(p->identity_password_hash);
	}
	free(cfg->peers);
	free(cfg->metrics_address);
	for (i = 0; i < cfg->nadmins; i++)
		free(cfg->admins[i]);
	free(cfg->admins);
	for (i = 0; i < cfg->nmoderators; i++) {
		free(cfg->moderators[i].user);
		free(cfg->moderators[i].groups);
	}
	free(cfg->moderators);
	memset(cfg, 0, sizeof(*cfg));
}

/* The group named name (compared exactly), or NULL; valid until release. */
const struct config_group *config_group_find(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ngroups; i++)
		if (strcmp(cfg->groups[i].name, name) == 0)
			return &cfg->groups[i];
	return NULL;
}

/*
 * The peer named name, or NULL; valid until release.  Names are host names,
 * compared without regard to case (RFC 4343), as they were checked unique.
 */
const struct config_peer *config_peer_find(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->npeers; i++)
		if (strcasecmp(cfg->peers[i].name, name) == 0)
			return &cfg->peers[i];
	return NULL;
}
