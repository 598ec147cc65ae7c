/*
 * conf.c: load the client's YAML configuration (see conf.h).
 *
 * The file is small and flat, so it is loaded as a libyaml document and its
 * root mapping walked once; every key is known or it is an error naming
 * FILE:LINE: KEY, as the daemon's config.c does.  Paths in the file (ca) are
 * taken relative to the file's own folder, so a config can travel with its
 * CA certificate.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml.h>

#include "../proto/moot.h"
#include "conf.h"

#define CONF_MAX_TEXT (64 * 1024)	/* a client config is a few lines */
#define PASSWORD_MAX 1024		/* longest password_command output we read */

int conf_set(char **field, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return MOOT_ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

char *conf_expand_home(const char *path)
{
	const char *home = getenv("HOME");
	char *out;

	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') && home != NULL) {
		if (asprintf(&out, "%s%s", home, path + 1) < 0)
			return NULL;
		return out;
	}
	return strdup(path);
}

int conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->tls = CONN_TLS_IMPLICIT;
	if (conf_set(&c->host, "localhost") != 0 || (c->newsrc = conf_expand_home("~/.newsrc")) == NULL) {
		conf_release(c);
		return MOOT_ENOMEM;
	}
	return 0;
}

void conf_release(struct conf *c)
{
	free(c->host);
	free(c->ca);
	free(c->fingerprint);
	free(c->user);
	free(c->password_command);
	free(c->newsrc);
	free(c->from);
	memset(c, 0, sizeof(*c));
}

int conf_parse_tls(const char *s, enum conn_tls *out)
{
	if (strcmp(s, "implicit") == 0)
		*out = CONN_TLS_IMPLICIT;
	else if (strcmp(s, "starttls") == 0)
		*out = CONN_TLS_STARTTLS;
	else if (strcmp(s, "off") == 0)
		*out = CONN_TLS_OFF;
	else
		return MOOT_EINVAL;
	return 0;
}

int conf_port(const struct conf *c)
{
	if (c->port > 0)
		return c->port;
	return c->tls == CONN_TLS_IMPLICIT ? 563 : 119;
}

/* Parse a decimal port 1..65535 from s; 0 or MOOT_EINVAL. */
static int parse_port(const char *s, int *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return MOOT_EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || v < 1 || v > 65535)
		return MOOT_EINVAL;
	*port = (int)v;
	return 0;
}

int conf_set_server(struct conf *c, const char *s, char *err, size_t errlen)
{
	const char *host = s, *port = NULL, *close;
	size_t hostlen;
	char *h;
	int p = 0;

	if (s[0] == '[') {
		/* RFC 3986 §3.2.2: an IPv6 literal in brackets. */
		close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
			snprintf(err, errlen, "bad server address '%s': expected [v6addr]:port", s);
			return MOOT_EINVAL;
		}
		host = s + 1;
		hostlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
	} else {
		close = strrchr(s, ':');
		if (close != NULL && strchr(s, ':') != close) {
			snprintf(err, errlen, "bad server address '%s': write IPv6 addresses as [addr]:port", s);
			return MOOT_EINVAL;
		}
		hostlen = close ? (size_t)(close - s) : strlen(s);
		if (close)
			port = close + 1;
	}
	if (hostlen == 0 || hostlen > 255) {
		snprintf(err, errlen, "bad server address '%s': no host", s);
		return MOOT_EINVAL;
	}
	if (port != NULL && parse_port(port, &p) != 0) {
		snprintf(err, errlen, "bad server address '%s': port must be 1..65535", s);
		return MOOT_EINVAL;
	}
	if ((h = strndup(host, hostlen)) == NULL)
		return MOOT_ENOMEM;
	free(c->host);
	c->host = h;
	c->port = p;
	return 0;
}

/* A file path from the config: "~/" expanded, relative ones joined to dir. */
static char *config_path(const char *dir, const char *value)
{
	char *out;

	if (value[0] == '/' || value[0] == '~')
		return conf_expand_home(value);
	if (asprintf(&out, "%s/%s", dir, value) < 0)
		return NULL;
	return out;
}

/* Read the whole file (bounded); 0, -errno, or MOOT_ETOOBIG. */
static int slurp(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *t;
	size_t n;

	if (f == NULL)
		return -errno;
	t = malloc(CONF_MAX_TEXT + 1);
	if (t == NULL) {
		fclose(f);
		return MOOT_ENOMEM;
	}
	n = fread(t, 1, CONF_MAX_TEXT + 1, f);
	if (ferror(f)) {
		fclose(f);
		free(t);
		return -EIO;
	}
	fclose(f);
	if (n > CONF_MAX_TEXT) {
		free(t);
		return MOOT_ETOOBIG;
	}
	t[n] = '\0';
	*text = t;
	*len = n;
	return 0;
}

/* One key/value pair of the root mapping into c. */
static int apply(struct conf *c, const char *path, const char *dir, const char *key,
		 const yaml_node_t *v, char *err, size_t errlen)
{
	size_t line = v->start_mark.line + 1;
	const char *s;
	char e[200];
	int rc = 0;

	if (v->type != YAML_SCALAR_NODE) {
		snprintf(err, errlen, "%s:%zu: %s: expected a single value", path, line, key);
		return MOOT_ECONFIG;
	}
	s = (const char *)v->data.scalar.value;
	if (strcmp(key, "server") == 0) {
		if ((rc = conf_set_server(c, s, e, sizeof(e))) != 0 && rc != MOOT_ENOMEM) {
			snprintf(err, errlen, "%s:%zu: server: %s", path, line, e);
			return MOOT_ECONFIG;
		}
	} else if (strcmp(key, "tls") == 0) {
		if (conf_parse_tls(s, &c->tls) != 0) {
			snprintf(err, errlen, "%s:%zu: tls: expected implicit, starttls or off, not '%.40s'",
				 path, line, s);
			return MOOT_ECONFIG;
		}
	} else if (strcmp(key, "ca") == 0) {
		free(c->ca);
		if ((c->ca = config_path(dir, s)) == NULL)
			rc = MOOT_ENOMEM;
	} else if (strcmp(key, "fingerprint") == 0) {
		if (strncmp(s, "sha256:", 7) != 0 || strlen(s) < 7 + 64) {
			snprintf(err, errlen, "%s:%zu: fingerprint: expected \"sha256:\" and 64 hex digits",
				 path, line);
			return MOOT_ECONFIG;
		}
		rc = conf_set(&c->fingerprint, s);
	} else if (strcmp(key, "user") == 0) {
		rc = conf_set(&c->user, s);
	} else if (strcmp(key, "password_command") == 0) {
		rc = conf_set(&c->password_command, s);
	} else if (strcmp(key, "password") == 0) {
		snprintf(err, errlen, "%s:%zu: password: never put a password in the file; use password_command",
			 path, line);
		return MOOT_ECONFIG;
	} else if (strcmp(key, "newsrc") == 0) {
		free(c->newsrc);
		if ((c->newsrc = conf_expand_home(s)) == NULL)
			rc = MOOT_ENOMEM;
	} else if (strcmp(key, "from") == 0) {
		if (strchr(s, '@') == NULL || strpbrk(s, "\r\n") != NULL) {
			snprintf(err, errlen, "%s:%zu: from: expected \"Name <user@domain>\"", path, line);
			return MOOT_ECONFIG;
		}
		rc = conf_set(&c->from, s);
	} else {
		snprintf(err, errlen, "%s:%zu: %.64s: unknown key", path, line, key);
		return MOOT_ECONFIG;
	}
	if (rc == MOOT_ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	return rc;
}

/* Walk the root mapping of doc. */
static int walk(struct conf *c, yaml_document_t *doc, const char *path, const char *dir,
		char *err, size_t errlen)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	yaml_node_pair_t *p;
	int rc;

	if (root == NULL)
		return 0;	/* an empty file: defaults */
	if (root->type != YAML_MAPPING_NODE) {
		snprintf(err, errlen, "%s:%zu: yaml: expected a mapping of keys", path,
			 root->start_mark.line + 1);
		return MOOT_ECONFIG;
	}
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);

		if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE) {
			snprintf(err, errlen, "%s:%zu: yaml: keys must be plain names", path,
				 k ? k->start_mark.line + 1 : 0);
			return MOOT_ECONFIG;
		}
		/* The key's line is the one a person looks for. */
		v->start_mark.line = k->start_mark.line;
		rc = apply(c, path, dir, (const char *)k->data.scalar.value, v, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int conf_load(struct conf *c, const char *path, int must_exist, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	char *text = NULL, *dir, *slash;
	size_t len = 0;
	int rc;

	rc = slurp(path, &text, &len);
	if (rc == -ENOENT && !must_exist)
		return 0;
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path, rc == MOOT_ETOOBIG ? "file too large" :
			 rc == MOOT_ENOMEM ? "out of memory" : strerror(-rc));
		return MOOT_ECONFIG;
	}
	if ((dir = strdup(path)) == NULL) {
		free(text);
		return MOOT_ENOMEM;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (!yaml_parser_initialize(&parser)) {
		free(dir);
		free(text);
		return MOOT_ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu: yaml: %s", path, parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "cannot parse");
		rc = MOOT_ECONFIG;
	} else {
		rc = walk(c, &doc, path, dir, err, errlen);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	free(dir);
	free(text);
	return rc;
}

int conf_password(const struct conf *c, char **out, char *err, size_t errlen)
{
	char buf[PASSWORD_MAX + 1], scratch[256];
	size_t n = 0, r;
	FILE *p;
	int status;

	*out = NULL;
	if (c->password_command == NULL) {
		snprintf(err, errlen, "user is set but password_command is not");
		return MOOT_ECONFIG;
	}
	fflush(NULL);
	p = popen(c->password_command, "r");	/* /bin/sh -c */
	if (p == NULL) {
		snprintf(err, errlen, "password_command: cannot run: %s", strerror(errno));
		return MOOT_ECONFIG;
	}
	while (n < PASSWORD_MAX && (r = fread(buf + n, 1, PASSWORD_MAX - n, p)) > 0)
		n += r;
	/* Drain the rest so the command does not die of SIGPIPE. */
	while (fread(scratch, 1, sizeof(scratch), p) > 0)
		;
	status = pclose(p);
	buf[n < PASSWORD_MAX ? n : PASSWORD_MAX] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "password_command failed (status %d)",
			 status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return MOOT_ECONFIG;
	}
	if ((*out = strdup(buf)) == NULL)
		return MOOT_ENOMEM;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}
