/*
 * test_config.c: daemon/config.c — the embedded default, a full valid file,
 * and one case per kind of error, each checking the exact
 * "FILE:LINE: KEY:" prefix of the message and that nothing is left behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test.h"
#include "../../proto/moot.h"
#include "../../daemon/config.h"

/* Load text as "t.yaml"; returns the load's result, message in err. */
static int load(const char *text, struct config *cfg, char *err, size_t errlen)
{
	return config_load_string("t.yaml", text, strlen(text), cfg, err, errlen);
}

/* Check that text fails with a message starting with want, leaving cfg zeroed. */
#define CHECK_FAILS(text, want) do { \
	struct config c_; \
	char e_[512]; \
	int rc_ = load((text), &c_, e_, sizeof(e_)); \
	CHECK_INT(rc_, MOOT_ECONFIG); \
	if (strncmp(e_, (want), strlen(want)) != 0) \
		CHECK_STR(e_, (want)); \
	CHECK(c_.file == NULL && c_.groups == NULL && c_.listen == NULL && c_.pathhost == NULL); \
} while (0)

/* A minimal valid server block, for error cases about the groups. */
#define SERVER "server:\n  pathhost: a.example\n  listen:\n    - address: 127.0.0.1:1119\n"

static void default_loads(void)
{
	struct config cfg;
	char err[256] = "";
	const struct config_group *g;

	CHECK_INT(config_load_string("(default)", config_default_yaml, strlen(config_default_yaml),
				     &cfg, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(cfg.file, "(default)");
	CHECK_STR(cfg.pathhost, "moot.localhost");
	CHECK_STR(cfg.state, "./var");
	CHECK_INT(cfg.nlisten, 2);
	if (cfg.nlisten == 2) {
		CHECK_STR(cfg.listen[0].address, "127.0.0.1:1119");
		CHECK_STR(cfg.listen[0].host, "127.0.0.1");
		CHECK_INT(cfg.listen[0].port, 1119);
		CHECK_INT(cfg.listen[0].tls, 0);
		CHECK_INT(cfg.listen[1].port, 1563);
		CHECK_INT(cfg.listen[1].tls, 1);
	}
	CHECK_STR(cfg.tls_certificate, "./var/cert.pem");
	CHECK_STR(cfg.tls_key, "./var/key.pem");
	CHECK_INT(cfg.tls_generated, 1);
	CHECK_INT(cfg.max_connections, 10000);
	CHECK_INT(cfg.max_article_bytes, 1000000);
	CHECK_INT(cfg.idle_timeout_s, 600);
	CHECK(cfg.motd != NULL && strstr(cfg.motd, "moot") != NULL);
	CHECK_INT(cfg.ngroups, 4);
	if (cfg.ngroups == 4) {
		CHECK_STR(cfg.groups[0].name, "moot.welcome");
		CHECK_STR(cfg.groups[0].description, "Welcome and introductions");
		CHECK_STR(cfg.groups[1].name, "moot.general");
		CHECK_STR(cfg.groups[1].description, "General discussion");
		CHECK_STR(cfg.groups[2].name, "moot.support");
		CHECK_STR(cfg.groups[2].description, "Questions and help");
		CHECK_STR(cfg.groups[3].name, "moot.ideas");
		CHECK_STR(cfg.groups[3].description, "Ideas and feature requests");
		CHECK_INT(cfg.groups[3].posting, POSTING_YES);
		CHECK_INT(cfg.groups[3].retention_days, 0);
	}
	g = config_group_find(&cfg, "moot.support");
	CHECK(g != NULL && g == &cfg.groups[2]);
	CHECK(config_group_find(&cfg, "moot.Support") == NULL);
	CHECK(config_group_find(&cfg, "moot") == NULL);
	config_release(&cfg);
	CHECK(cfg.file == NULL && cfg.groups == NULL && cfg.ngroups == 0 && cfg.nlisten == 0);
	config_release(&cfg);	/* a released config may be released again */
}

static void full_valid(void)
{
	static const char text[] =
		"# every key\n"
		"server:\n"
		"  pathhost: news.example.org\n"
		"  state: /srv/moot/\n"
		"  listen:\n"
		"    - { address: \"0.0.0.0:119\" }\n"
		"    - address: \"[::1]:563\"\n"
		"      tls: TRUE\n"
		"    - { address: \"127.0.0.1:563\", tls: yes }\n"
		"    - { address: \"[::]:119\", tls: no }\n"
		"  tls: { certificate: certs/server.pem, key: /etc/moot/key.pem }\n"
		"  limits: { max_connections: 50, max_article_bytes: 1024, idle_timeout_s: 30 }\n"
		"  motd: |\n"
		"    line one\n"
		"    line two\n"
		"groups:\n"
		"  - { name: moot.general, description: \"General discussion\", posting: yes }\n"
		"  - name: moot.announce\n"
		"    posting: moderated\n"
		"    retention_days: 365\n"
		"  - { name: a.b-c.d_e.f+g.H1, posting: False }\n"
		"  - { name: x, posting: NO, description: ~ }\n"
		"  - { name: y, posting: true, retention_days: 0 }\n";
	struct config cfg;
	char err[256] = "";

	CHECK_INT(load(text, &cfg, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(cfg.file, "t.yaml");
	CHECK_STR(cfg.pathhost, "news.example.org");
	CHECK_STR(cfg.state, "/srv/moot/");
	CHECK_INT(cfg.nlisten, 4);
	if (cfg.nlisten == 4) {
		CHECK_STR(cfg.listen[0].host, "0.0.0.0");
		CHECK_INT(cfg.listen[0].port, 119);
		CHECK_INT(cfg.listen[0].tls, 0);
		CHECK_STR(cfg.listen[1].address, "[::1]:563");
		CHECK_STR(cfg.listen[1].host, "::1");
		CHECK_INT(cfg.listen[1].port, 563);
		CHECK_INT(cfg.listen[1].tls, 1);
		CHECK_INT(cfg.listen[2].tls, 1);
		CHECK_STR(cfg.listen[3].host, "::");
		CHECK_INT(cfg.listen[3].tls, 0);
	}
	CHECK_STR(cfg.tls_certificate, "/srv/moot/certs/server.pem");
	CHECK_STR(cfg.tls_key, "/etc/moot/key.pem");
	CHECK_INT(cfg.tls_generated, 0);
	CHECK_INT(cfg.max_connections, 50);
	CHECK_INT(cfg.max_article_bytes, 1024);
	CHECK_INT(cfg.idle_timeout_s, 30);
	CHECK_STR(cfg.motd, "line one\nline two\n");
	CHECK_INT(cfg.ngroups, 5);
	if (cfg.ngroups == 5) {
		CHECK_STR(cfg.groups[0].description, "General discussion");
		CHECK_INT(cfg.groups[0].posting, POSTING_YES);
		CHECK_STR(cfg.groups[1].name, "moot.announce");
		CHECK_STR(cfg.groups[1].description, "");
		CHECK_INT(cfg.groups[1].posting, POSTING_MODERATED);
		CHECK_INT(cfg.groups[1].retention_days, 365);
		CHECK_STR(cfg.groups[2].name, "a.b-c.d_e.f+g.H1");
		CHECK_INT(cfg.groups[2].posting, POSTING_NO);
		CHECK_INT(cfg.groups[3].posting, POSTING_NO);
		CHECK_STR(cfg.groups[3].description, "");
		CHECK_INT(cfg.groups[4].posting, POSTING_YES);
	}
	config_release(&cfg);
}

/* Defaults for every optional key; no groups at all is fine, as is an empty list. */
static void minimal_and_defaults(void)
{
	struct config cfg;
	char err[256];

	CHECK_INT(load(SERVER, &cfg, err, sizeof(err)), 0);
	CHECK_STR(cfg.state, "./var");
	CHECK_STR(cfg.tls_certificate, "./var/cert.pem");
	CHECK_INT(cfg.tls_generated, 1);
	CHECK(cfg.motd == NULL);
	CHECK_INT(cfg.ngroups, 0);
	CHECK_INT(cfg.max_article_bytes, 1000000);
	config_release(&cfg);

	CHECK_INT(load(SERVER "  state: st\n  tls: {}\ngroups: []\n", &cfg, err, sizeof(err)), 0);
	CHECK_STR(cfg.tls_key, "st/key.pem");
	CHECK_INT(cfg.tls_generated, 1);
	CHECK_INT(cfg.ngroups, 0);
	config_release(&cfg);

	/* The upper bound of max_article_bytes is included. */
	CHECK_INT(load(SERVER "  limits:\n    max_article_bytes: 1073741824\n", &cfg, err,
		       sizeof(err)), 0);
	CHECK_INT(cfg.max_article_bytes, 1073741824L);
	config_release(&cfg);
}

static void unknown_key(void)
{
	CHECK_FAILS("server:\n  pathhost: a\n  lisen:\n    - address: 127.0.0.1:1\n",
		    "t.yaml:3: server.lisen: unknown key");
	CHECK_FAILS(SERVER "groups:\n  - name: a\n  - nmae: b\n",
		    "t.yaml:7: groups[1].nmae: unknown key");
	CHECK_FAILS(SERVER "peers: []\n", "t.yaml:5: peers: unknown key");
	CHECK_FAILS("server:\n  pathhost: a\n  listen:\n    - { address: \"127.0.0.1:1\", tsl: true }\n",
		    "t.yaml:4: server.listen[0].tsl: unknown key");
	CHECK_FAILS(SERVER "  limits: { max_conn: 1 }\n", "t.yaml:5: server.limits.max_conn: unknown key");
	/* The same key twice is refused rather than silently overridden. */
	CHECK_FAILS(SERVER "  pathhost: b\n", "t.yaml:5: server.pathhost: duplicate key");
}

static void wrong_type(void)
{
	CHECK_FAILS("server:\n  pathhost: a\n  listen: 127.0.0.1:1119\n",
		    "t.yaml:3: server.listen: expected a list");
	CHECK_FAILS("server: [ 1 ]\n", "t.yaml:1: server: expected a mapping");
	CHECK_FAILS("- a\n", "t.yaml:1: (top level): expected a mapping");
	CHECK_FAILS(SERVER "  limits:\n    max_connections: many\n",
		    "t.yaml:6: server.limits.max_connections: expected an integer");
	CHECK_FAILS(SERVER "  limits:\n    idle_timeout_s: 0\n",
		    "t.yaml:6: server.limits.idle_timeout_s: must be between 1 and");
	CHECK_FAILS(SERVER "  limits:\n    max_article_bytes: 1023\n",
		    "t.yaml:6: server.limits.max_article_bytes: must be between 1024 and 1073741824");
	CHECK_FAILS(SERVER "  limits:\n    max_article_bytes: 1073741825\n",
		    "t.yaml:6: server.limits.max_article_bytes: must be between");
	CHECK_FAILS(SERVER "  limits:\n    max_connections: 99999999999999999999999\n",
		    "t.yaml:6: server.limits.max_connections: must be between");
	CHECK_FAILS(SERVER "  limits:\n    max_connections: 1.5\n",
		    "t.yaml:6: server.limits.max_connections: expected an integer");
	CHECK_FAILS("server:\n  pathhost: a\n  listen:\n    - { address: \"127.0.0.1:1\", tls: maybe }\n",
		    "t.yaml:4: server.listen[0].tls: expected true or false");
	CHECK_FAILS("server:\n  pathhost: [a]\n", "t.yaml:2: server.pathhost: expected a string");
	CHECK_FAILS(SERVER "  motd: { a: b }\n", "t.yaml:5: server.motd: expected a string");
	CHECK_FAILS(SERVER "groups: moot.general\n", "t.yaml:5: groups: expected a list");
	CHECK_FAILS(SERVER "groups:\n  - moot.general\n", "t.yaml:6: groups[0]: expected a mapping");
	CHECK_FAILS(SERVER "groups:\n  - { name: a, retention_days: -1 }\n",
		    "t.yaml:6: groups[0].retention_days: must be between 0 and");
	CHECK_FAILS(SERVER "groups:\n  - { name: a, description: \"two\\nlines\" }\n",
		    "t.yaml:6: groups[0].description: must be a single line");
}

static void bad_group_name(void)
{
	static const char *bad[] = {
		"moot..general", ".moot", "moot.", "moot.gen eral", "moot.général", "moot/x",
		"\"\"", "moot!x",
	};
	char text[1024];
	char name[300];
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), SERVER "groups:\n  - name: ok.group\n  - name: %s\n", bad[i]);
		CHECK_FAILS(text, "t.yaml:7: groups[1].name: ");
	}
	/* 255 bytes are accepted, 256 are not. */
	memset(name, 'a', 255);
	name[255] = '\0';
	snprintf(text, sizeof(text), SERVER "groups:\n  - name: %s\n", name);
	{
		struct config cfg;
		char err[256];

		CHECK_INT(load(text, &cfg, err, sizeof(err)), 0);
		CHECK_INT(cfg.ngroups, 1);
		config_release(&cfg);
	}
	name[255] = 'a';
	name[256] = '\0';
	snprintf(text, sizeof(text), SERVER "groups:\n  - name: %s\n", name);
	CHECK_FAILS(text, "t.yaml:6: groups[0].name: ");
	CHECK_FAILS(SERVER "groups:\n  - { description: nameless }\n", "t.yaml:6: groups[0].name: missing");
}

static void duplicate_group(void)
{
	CHECK_FAILS(SERVER "groups:\n  - name: moot.a\n  - name: moot.b\n  - name: moot.a\n",
		    "t.yaml:8: groups[2].name: duplicate of groups[0]");
}

static void bad_port(void)
{
	static const struct {
		const char *address;
		const char *want;
	} cases[] = {
		{ "127.0.0.1:0", "t.yaml:4: server.listen[0].address: port must be" },
		{ "127.0.0.1:65536", "t.yaml:4: server.listen[0].address: port must be" },
		{ "127.0.0.1:http", "t.yaml:4: server.listen[0].address: port must be" },
		{ "127.0.0.1:", "t.yaml:4: server.listen[0].address: port must be" },
		{ "127.0.0.1:-1", "t.yaml:4: server.listen[0].address: port must be" },
		{ "127.0.0.1:119x", "t.yaml:4: server.listen[0].address: port must be" },
		{ "127.0.0.1", "t.yaml:4: server.listen[0].address: expected HOST:PORT" },
		{ ":119", "t.yaml:4: server.listen[0].address: empty host" },
		{ "[]:119", "t.yaml:4: server.listen[0].address: empty host" },
		{ "::1:563", "t.yaml:4: server.listen[0].address: an IPv6 address must be in brackets" },
		{ "[::1:563", "t.yaml:4: server.listen[0].address: missing ']'" },
		{ "[::1]563", "t.yaml:4: server.listen[0].address: expected [HOST]:PORT" },
		{ "localhost:119", "t.yaml:4: server.listen[0].address: host \"localhost\" is not" },
		{ "[127.0.0.1]:119", "t.yaml:4: server.listen[0].address: host \"127.0.0.1\" is not" },
	};
	char text[512];
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text),
			 "server:\n  pathhost: a\n  listen:\n    - address: \"%s\"\n", cases[i].address);
		CHECK_FAILS(text, cases[i].want);
	}
	/* Both ends of the range are fine. */
	{
		struct config cfg;
		char err[256];

		CHECK_INT(load("server:\n  pathhost: a\n  listen:\n    - address: 127.0.0.1:1\n"
			       "    - address: 127.0.0.1:65535\n", &cfg, err, sizeof(err)), 0);
		CHECK_INT(cfg.listen[0].port, 1);
		CHECK_INT(cfg.listen[1].port, 65535);
		config_release(&cfg);
	}
}

static void listen_list(void)
{
	CHECK_FAILS("server:\n  pathhost: a\n  listen:\n    - address: 127.0.0.1:119\n"
		    "    - address: 127.0.0.1:563\n    - address: 127.0.0.1:119\n",
		    "t.yaml:6: server.listen[2].address: duplicate of server.listen[0]");
	/* The same IPv6 address written two ways is still the same. */
	CHECK_FAILS("server:\n  pathhost: a\n  listen:\n    - address: \"[::1]:119\"\n"
		    "    - address: \"[0:0::1]:119\"\n",
		    "t.yaml:5: server.listen[1].address: duplicate of server.listen[0]");
	CHECK_FAILS("server:\n  pathhost: a\n  listen: []\n", "t.yaml:3: server.listen: at least one");
	CHECK_FAILS("server:\n  pathhost: a\n", "t.yaml:2: server.listen: missing");
	CHECK_FAILS("server:\n  pathhost: a\n  listen:\n    - tls: true\n",
		    "t.yaml:4: server.listen[0].address: missing");
}

static void missing_pathhost(void)
{
	CHECK_FAILS("# comment\nserver:\n  state: ./x\n  listen:\n    - address: 127.0.0.1:1\n",
		    "t.yaml:3: server.pathhost: missing");
	CHECK_FAILS("server:\n  pathhost:\n  listen:\n    - address: 127.0.0.1:1\n",
		    "t.yaml:2: server.pathhost: missing value");
	CHECK_FAILS("server:\n  pathhost: news!example\n", "t.yaml:2: server.pathhost: ");
	CHECK_FAILS("server:\n  pathhost: \"news example\"\n", "t.yaml:2: server.pathhost: ");
	CHECK_FAILS("server:\n  pathhost: \"\"\n", "t.yaml:2: server.pathhost: ");
	CHECK_FAILS("groups: []\n", "t.yaml:1: server: missing");
	CHECK_FAILS("server:\n", "t.yaml:1: server: missing value");
}

static void bad_posting(void)
{
	CHECK_FAILS(SERVER "groups:\n  - name: a\n  - name: b\n  - { name: c, posting: maybe }\n",
		    "t.yaml:8: groups[2].posting: expected yes, no or moderated");
	CHECK_FAILS(SERVER "groups:\n  - { name: c, posting: [yes] }\n",
		    "t.yaml:6: groups[0].posting: expected yes, no or moderated");
}

static void tls_pair(void)
{
	CHECK_FAILS(SERVER "  tls:\n    certificate: cert.pem\n",
		    "t.yaml:6: server.tls.key: missing");
	CHECK_FAILS(SERVER "  tls: { key: key.pem }\n", "t.yaml:5: server.tls.certificate: missing");
	CHECK_FAILS(SERVER "  tls: { certificate: c.pem, key: \"\" }\n",
		    "t.yaml:5: server.tls.key: must not be empty");
	CHECK_FAILS(SERVER "  tls: yes\n", "t.yaml:5: server.tls: expected a mapping");
}

static void yaml_syntax(void)
{
	CHECK_FAILS("server:\n  pathhost: a\n  listen: [ 127.0.0.1:1\n", "t.yaml:4: yaml: ");
	CHECK_FAILS("server:\n  pathhost: a\n listen: x\n", "t.yaml:3: yaml: ");
	CHECK_FAILS("server:\n  pathhost: \"a\n", "t.yaml:");
	CHECK_FAILS("server: *nope\n", "t.yaml:1: yaml: ");
	/* A second document would be ignored silently: it is an error. */
	CHECK_FAILS(SERVER "---\nserver: {}\n", "t.yaml:5: yaml: only one document");
	/* Invalid UTF-8 is found by the reader, which reports an offset. */
	CHECK_FAILS("server:\n  pathhost: a\n  motd: \"\xff\"\n", "t.yaml:3: yaml: ");
}

static void empty_document(void)
{
	struct config cfg;
	char err[256];

	CHECK_FAILS("", "t.yaml:1: server: missing");
	CHECK_FAILS("# only a comment\n", "t.yaml:1: server: missing");
	CHECK_INT(config_load_string("t.yaml", NULL, 0, &cfg, err, sizeof(err)), MOOT_ECONFIG);
	CHECK_STR(err, "t.yaml:1: server: missing");
}

/* A tiny message buffer is filled, truncated and terminated, never overrun. */
static void small_err_buffer(void)
{
	struct config cfg;
	char err[12];

	memset(err, 'x', sizeof(err));
	CHECK_INT(config_load_string("t.yaml", "x: 1\n", 5, &cfg, err, 8), MOOT_ECONFIG);
	CHECK_STR(err, "t.yaml:");
	CHECK(err[8] == 'x');
	CHECK_INT(config_load_string("t.yaml", "x: 1\n", 5, &cfg, NULL, 0), MOOT_ECONFIG);
}

static void files(void)
{
	struct config cfg;
	char err[512];
	FILE *fp;

	mkdir("/tmp/h3", 0700);
	CHECK_INT(config_load_file("/tmp/h3/does-not-exist.yaml", &cfg, err, sizeof(err)),
		  MOOT_ECONFIG);
	CHECK_STR(err, "/tmp/h3/does-not-exist.yaml: cannot open: No such file or directory");
	CHECK(cfg.file == NULL);

	fp = fopen("/tmp/h3/good.yaml", "w");
	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	fputs(config_default_yaml, fp);
	fclose(fp);
	CHECK_INT(config_load_file("/tmp/h3/good.yaml", &cfg, err, sizeof(err)), 0);
	CHECK_STR(cfg.file, "/tmp/h3/good.yaml");
	CHECK_INT(cfg.ngroups, 4);
	config_release(&cfg);

	fp = fopen("/tmp/h3/bad.yaml", "w");
	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	fputs("server:\n  pathhost: a\n  listen:\n    - address: 127.0.0.1:70000\n", fp);
	fclose(fp);
	CHECK_INT(config_load_file("/tmp/h3/bad.yaml", &cfg, err, sizeof(err)), MOOT_ECONFIG);
	CHECK_STR(err, "/tmp/h3/bad.yaml:4: server.listen[0].address: port must be a number from 1 to 65535");
	CHECK(cfg.file == NULL && cfg.listen == NULL);
	remove("/tmp/h3/good.yaml");
	remove("/tmp/h3/bad.yaml");

	CHECK_INT(config_load_file("/tmp/h3", &cfg, err, sizeof(err)), MOOT_ECONFIG);
	CHECK_STR(err, "/tmp/h3: cannot read: Is a directory");
}

void test_config(void)
{
	RUN(default_loads);
	RUN(full_valid);
	RUN(minimal_and_defaults);
	RUN(unknown_key);
	RUN(wrong_type);
	RUN(bad_group_name);
	RUN(duplicate_group);
	RUN(bad_port);
	RUN(listen_list);
	RUN(missing_pathhost);
	RUN(bad_posting);
	RUN(tls_pair);
	RUN(yaml_syntax);
	RUN(empty_document);
	RUN(small_err_buffer);
	RUN(files);
}
