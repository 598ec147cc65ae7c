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

/* One SHA-256 fingerprint written three ways, and another one. */
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FP_COLONS "sha256:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:" \
	"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF"
#define FP_OTHER "SHA256:FFEEDDCCBBAA99887766554433221100ffeeddccbbaa99887766554433221100"
#define HEX64_2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define FP_OTHER_BARE "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

/* The keys every peer needs besides its name, inside a flow mapping or as block lines. */
#define PEER_REST "accept: \"*\", identity: { user: u, password_hash: h }"
#define PEER_LINES "    accept: \"*\"\n    identity: { user: u, password_hash: h }\n"

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
	CHECK_STR(cfg.tls_client_certificate, "./var/client-cert.pem");
	CHECK_STR(cfg.tls_client_key, "./var/client-key.pem");
	CHECK_INT(cfg.tls_client_generated, 1);
	CHECK_INT(cfg.npeers, 0);
	CHECK(cfg.peers == NULL);
	CHECK(config_peer_find(&cfg, "moot.localhost") == NULL);
	CHECK_INT(cfg.max_connections, 10000);
	CHECK_INT(cfg.max_article_bytes, 1000000);
	CHECK_INT(cfg.idle_timeout_s, 600);
	/* Anyone reads; posting needs AUTHINFO, written out in the text too. */
	CHECK(strstr(config_default_yaml, "access: { read: open, post: authenticated }") != NULL);
	CHECK_INT(cfg.access_read, ACCESS_OPEN);
	CHECK_INT(cfg.access_post, ACCESS_AUTHENTICATED);
	CHECK_INT(cfg.max_connections_per_address, 64);
	CHECK_INT(cfg.command_timeout_s, 60);
	CHECK_INT(cfg.posts_per_hour_user, 60);
	CHECK_INT(cfg.posts_per_hour_address, 120);
	CHECK(cfg.metrics_address == NULL);
	CHECK_INT(cfg.metrics_port, 0);
	CHECK(cfg.admins == NULL && cfg.nadmins == 0);
	CHECK(cfg.moderators == NULL && cfg.nmoderators == 0);
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
		"  tls: { certificate: certs/server.pem, key: /etc/moot/key.pem,\n"
		"         client_certificate: /etc/moot/client.pem, client_key: certs/client.key }\n"
		"  limits: { max_connections: 50, max_article_bytes: 1024, idle_timeout_s: 30,\n"
		"            max_connections_per_address: 5, command_timeout_s: 3600,\n"
		"            posts_per_hour_user: 0, posts_per_hour_address: 1000000 }\n"
		"  access: { read: Authenticated, post: authenticated }\n"
		"  metrics: { address: \"127.0.0.2:9119\" }\n"
		"  motd: |\n"
		"    line one\n"
		"    line two\n"
		"roles:\n"
		"  admins: [alice, \"b\xc3\xb8" "b\"]\n"
		"  moderators:\n"
		"    - { user: ana, groups: \"moot.support,moot.ideas\" }\n"
		"    - user: alice\n"
		"      groups: \"*,!moot.announce\"\n"
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
	CHECK_STR(cfg.tls_client_certificate, "/etc/moot/client.pem");
	CHECK_STR(cfg.tls_client_key, "/srv/moot/certs/client.key");
	CHECK_INT(cfg.tls_client_generated, 0);
	CHECK_INT(cfg.npeers, 0);
	CHECK_INT(cfg.max_connections, 50);
	CHECK_INT(cfg.max_article_bytes, 1024);
	CHECK_INT(cfg.idle_timeout_s, 30);
	CHECK_INT(cfg.max_connections_per_address, 5);
	CHECK_INT(cfg.command_timeout_s, 3600);
	CHECK_INT(cfg.posts_per_hour_user, 0);
	CHECK_INT(cfg.posts_per_hour_address, 1000000);
	CHECK_INT(cfg.access_read, ACCESS_AUTHENTICATED);
	CHECK_INT(cfg.access_post, ACCESS_AUTHENTICATED);
	CHECK_STR(cfg.metrics_address, "127.0.0.2:9119");
	CHECK_STR(cfg.metrics_host, "127.0.0.2");
	CHECK_INT(cfg.metrics_port, 9119);
	CHECK_INT(cfg.nadmins, 2);
	if (cfg.nadmins == 2) {
		CHECK_STR(cfg.admins[0], "alice");
		CHECK_STR(cfg.admins[1], "b\xc3\xb8" "b");
	}
	CHECK_INT(cfg.nmoderators, 2);
	if (cfg.nmoderators == 2) {
		CHECK_STR(cfg.moderators[0].user, "ana");
		CHECK_STR(cfg.moderators[0].groups, "moot.support,moot.ideas");
		CHECK_STR(cfg.moderators[1].user, "alice");
		CHECK_STR(cfg.moderators[1].groups, "*,!moot.announce");
	}
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
	CHECK_INT(cfg.access_read, ACCESS_OPEN);
	CHECK_INT(cfg.access_post, ACCESS_AUTHENTICATED);
	CHECK_INT(cfg.max_connections_per_address, 64);
	CHECK_INT(cfg.command_timeout_s, 60);
	CHECK_INT(cfg.posts_per_hour_user, 60);
	CHECK_INT(cfg.posts_per_hour_address, 120);
	CHECK(cfg.metrics_address == NULL);
	CHECK_INT(cfg.nadmins, 0);
	CHECK_INT(cfg.nmoderators, 0);
	config_release(&cfg);

	/* Empty or null sections keep every default; one key leaves the others alone. */
	CHECK_INT(load(SERVER "  access: {}\n  metrics:\n  limits: { posts_per_hour_user: 1 }\n"
		       "roles: {}\n", &cfg, err, sizeof(err)), 0);
	CHECK_INT(cfg.access_read, ACCESS_OPEN);
	CHECK_INT(cfg.access_post, ACCESS_AUTHENTICATED);
	CHECK(cfg.metrics_address == NULL);
	CHECK_INT(cfg.posts_per_hour_user, 1);
	CHECK_INT(cfg.posts_per_hour_address, 120);
	CHECK_INT(cfg.command_timeout_s, 60);
	config_release(&cfg);
	CHECK_INT(load(SERVER "  access: { post: OPEN }\nroles: { admins: [], moderators: ~ }\n",
		       &cfg, err, sizeof(err)), 0);
	CHECK_INT(cfg.access_read, ACCESS_OPEN);
	CHECK_INT(cfg.access_post, ACCESS_OPEN);
	CHECK(cfg.admins == NULL && cfg.nadmins == 0 && cfg.moderators == NULL);
	config_release(&cfg);

	CHECK_INT(load(SERVER "  state: st\n  tls: {}\ngroups: []\npeers: []\n", &cfg, err,
		       sizeof(err)), 0);
	CHECK_STR(cfg.tls_key, "st/key.pem");
	CHECK_INT(cfg.tls_generated, 1);
	CHECK_STR(cfg.tls_client_certificate, "st/client-cert.pem");
	CHECK_STR(cfg.tls_client_key, "st/client-key.pem");
	CHECK_INT(cfg.tls_client_generated, 1);
	CHECK_INT(cfg.ngroups, 0);
	CHECK_INT(cfg.npeers, 0);
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
	CHECK_FAILS(SERVER "peer: []\n", "t.yaml:5: peer: unknown key");
	CHECK_FAILS(SERVER "peers:\n  - { name: b, accept: \"*\", identity: { user: u, password_hash: h },\n"
		    "      adress: \"127.0.0.1:1\" }\n", "t.yaml:7: peers[0].adress: unknown key");
	CHECK_FAILS(SERVER "peers:\n  - { name: b, accept: \"*\", identity: { user: u, pasword: h } }\n",
		    "t.yaml:6: peers[0].identity.pasword: unknown key");
	CHECK_FAILS(SERVER "  tls: { client_cert: c.pem }\n", "t.yaml:5: server.tls.client_cert: unknown key");
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

/* Our client certificate towards peers: both or neither, defaults under state. */
static void tls_client_pair(void)
{
	struct config cfg;
	char err[256];

	CHECK_FAILS(SERVER "  tls:\n    client_certificate: client.pem\n",
		    "t.yaml:6: server.tls.client_key: missing (client_certificate and client_key are "
		    "given together or not at all)");
	CHECK_FAILS(SERVER "  tls:\n    certificate: c.pem\n    key: k.pem\n    client_key: ck.pem\n",
		    "t.yaml:6: server.tls.client_certificate: missing (client_certificate and");
	CHECK_FAILS(SERVER "  tls: { client_certificate: \"\", client_key: k.pem }\n",
		    "t.yaml:5: server.tls.client_certificate: must not be empty");
	CHECK_FAILS(SERVER "  tls: { client_certificate: c.pem, client_key: [k.pem] }\n",
		    "t.yaml:5: server.tls.client_key: expected a string");

	/* A server pair given leaves the client pair to its defaults, and the reverse. */
	CHECK_INT(load(SERVER "  state: /srv/m//\n  tls: { certificate: c.pem, key: k.pem }\n", &cfg,
		       err, sizeof(err)), 0);
	CHECK_STR(cfg.tls_certificate, "/srv/m/c.pem");
	CHECK_INT(cfg.tls_generated, 0);
	CHECK_STR(cfg.tls_client_certificate, "/srv/m/client-cert.pem");
	CHECK_STR(cfg.tls_client_key, "/srv/m/client-key.pem");
	CHECK_INT(cfg.tls_client_generated, 1);
	config_release(&cfg);
	CHECK_INT(load(SERVER "  tls: { client_certificate: /c.pem, client_key: k/ck.pem }\n", &cfg,
		       err, sizeof(err)), 0);
	CHECK_STR(cfg.tls_certificate, "./var/cert.pem");
	CHECK_INT(cfg.tls_generated, 1);
	CHECK_STR(cfg.tls_client_certificate, "/c.pem");
	CHECK_STR(cfg.tls_client_key, "./var/k/ck.pem");
	CHECK_INT(cfg.tls_client_generated, 0);
	config_release(&cfg);
}

static void peers_valid(void)
{
	static const char text[] =
		SERVER
		"  state: /srv/moot\n"
		"peers:\n"
		"  - name: partner.example.net\n"
		"    address: \"news.partner.example.net:563\"\n"
		"    tls: true\n"
		"    ca: partner-ca.pem\n"
		"    send: \"moot.*,!moot.internal.*\"\n"
		"    accept: \"moot.*\"\n"
		"    identity: { fingerprint: \"" FP_COLONS "\" }\n"
		"    window: 128\n"
		"  - name: pinned.example\n"
		"    address: \"127.0.0.1:2563\"\n"
		"    fingerprint: \"" FP_OTHER "\"\n"
		"    accept: \"*\"\n"
		"    identity:\n"
		"      fingerprint: " FP_OTHER_BARE "\n"
		"  - name: inbound_only.example\n"
		"    accept: \"moot.*\"\n"
		"    identity: { user: inbound, password_hash: \"$6$salt$hash\" }\n"
		"  - { name: plain, address: \"[::1]:119\", tls: no, send: moot.general, accept: moot.general,\n"
		"      identity: { user: plain, password_hash: x }, window: 1 }\n"
		"  - { name: edge, address: \"127.0.0.1:65535\", ca: /etc/ssl/ca.pem, window: 1024,\n"
		"      accept: x, identity: { fingerprint: " HEX64_2 " } }\n";
	const struct config_peer *p;
	struct config cfg;
	char err[256] = "";

	CHECK_INT(load(text, &cfg, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(cfg.npeers, 5);
	if (cfg.npeers != 5) {
		config_release(&cfg);
		return;
	}
	p = &cfg.peers[0];
	CHECK_STR(p->name, "partner.example.net");
	CHECK_STR(p->address, "news.partner.example.net:563");
	CHECK_STR(p->host, "news.partner.example.net");
	CHECK_INT(p->port, 563);
	CHECK_INT(p->tls, 1);
	CHECK_STR(p->ca, "/srv/moot/partner-ca.pem");
	CHECK(p->fingerprint == NULL);
	CHECK_STR(p->send, "moot.*,!moot.internal.*");
	CHECK_STR(p->accept, "moot.*");
	CHECK_STR(p->identity_fingerprint, FP_COLONS);	/* kept as written */
	CHECK(p->identity_user == NULL && p->identity_password_hash == NULL);
	CHECK_INT(p->window, 128);

	p = &cfg.peers[1];
	CHECK_STR(p->host, "127.0.0.1");
	CHECK_INT(p->port, 2563);
	CHECK_INT(p->tls, 1);
	CHECK(p->ca == NULL);
	CHECK_STR(p->fingerprint, FP_OTHER);
	CHECK_STR(p->send, "*");	/* the default with an address */
	CHECK_STR(p->identity_fingerprint, FP_OTHER_BARE);	/* the same key, no prefix */
	CHECK_INT(p->window, 64);

	p = &cfg.peers[2];
	CHECK_STR(p->name, "inbound_only.example");
	CHECK(p->address == NULL && p->send == NULL && p->ca == NULL && p->fingerprint == NULL);
	CHECK_STR(p->host, "");
	CHECK_INT(p->port, 0);
	CHECK_STR(p->accept, "moot.*");
	CHECK(p->identity_fingerprint == NULL);
	CHECK_STR(p->identity_user, "inbound");
	CHECK_STR(p->identity_password_hash, "$6$salt$hash");
	CHECK_INT(p->window, 64);

	p = &cfg.peers[3];
	CHECK_STR(p->host, "::1");
	CHECK_INT(p->port, 119);
	CHECK_INT(p->tls, 0);
	CHECK_STR(p->send, "moot.general");
	CHECK_STR(p->identity_user, "plain");
	CHECK_INT(p->window, 1);

	p = &cfg.peers[4];
	CHECK_INT(p->port, 65535);
	CHECK_STR(p->ca, "/etc/ssl/ca.pem");
	CHECK_STR(p->identity_fingerprint, HEX64_2);
	CHECK_INT(p->window, 1024);

	/* Found by name, without regard to case; never our own name. */
	CHECK(config_peer_find(&cfg, "pinned.example") == &cfg.peers[1]);
	CHECK(config_peer_find(&cfg, "Partner.Example.NET") == &cfg.peers[0]);
	CHECK(config_peer_find(&cfg, "edge") == &cfg.peers[4]);
	CHECK(config_peer_find(&cfg, "a.example") == NULL);
	CHECK(config_peer_find(&cfg, "partner.example") == NULL);
	CHECK(config_peer_find(&cfg, "") == NULL);
	config_release(&cfg);
	CHECK(cfg.peers == NULL && cfg.npeers == 0 && cfg.tls_client_certificate == NULL);
}

static void peer_name(void)
{
	CHECK_FAILS(SERVER "peers:\n  - accept: x\n    identity: { user: u, password_hash: h }\n",
		    "t.yaml:6: peers[0].name: missing");
	CHECK_FAILS(SERVER "peers:\n  - name:\n" PEER_LINES, "t.yaml:6: peers[0].name: missing value");
	CHECK_FAILS(SERVER "peers:\n  - { name: \"b c\", " PEER_REST " }\n",
		    "t.yaml:6: peers[0].name: \"b c\" is not a host name");
	CHECK_FAILS(SERVER "peers:\n  - { name: \"\", " PEER_REST " }\n", "t.yaml:6: peers[0].name: ");
	CHECK_FAILS(SERVER "peers:\n  - { name: b!c, " PEER_REST " }\n", "t.yaml:6: peers[0].name: ");
	CHECK_FAILS(SERVER "peers:\n  - { name: [b], " PEER_REST " }\n",
		    "t.yaml:6: peers[0].name: expected a string");
	/* Unique, compared as host names are: without regard to case. */
	CHECK_FAILS(SERVER "peers:\n"
		    "  - { name: b.example, " PEER_REST " }\n"
		    "  - { name: c.example, accept: x, identity: { user: v, password_hash: h } }\n"
		    "  - { name: B.Example, accept: x, identity: { user: w, password_hash: h } }\n",
		    "t.yaml:8: peers[2].name: duplicate of peers[0]");
	/* A peer named like us would make our Path entry ambiguous. */
	CHECK_FAILS(SERVER "peers:\n  - { name: a.example, " PEER_REST " }\n",
		    "t.yaml:6: peers[0].name: must differ from server.pathhost");
	CHECK_FAILS(SERVER "peers:\n  - { name: A.EXAMPLE, " PEER_REST " }\n",
		    "t.yaml:6: peers[0].name: must differ from server.pathhost");
	/* The rule holds when peers come before server in the file. */
	CHECK_FAILS("peers:\n  - { name: a.example, " PEER_REST " }\n" SERVER,
		    "t.yaml:2: peers[0].name: must differ from server.pathhost");
}

static void peer_address(void)
{
	static const struct {
		const char *address;
		const char *want;
	} bad[] = {
		{ "partner.example", "t.yaml:6: peers[0].address: expected HOST:PORT" },
		{ "partner.example:0", "t.yaml:6: peers[0].address: port must be" },
		{ "partner.example:65536", "t.yaml:6: peers[0].address: port must be" },
		{ "partner.example:nntp", "t.yaml:6: peers[0].address: port must be" },
		{ ":563", "t.yaml:6: peers[0].address: empty host" },
		{ "::1:563", "t.yaml:6: peers[0].address: an IPv6 address must be in brackets" },
		{ "[::1]563", "t.yaml:6: peers[0].address: expected [HOST]:PORT" },
		{ "[x.example]:563", "t.yaml:6: peers[0].address: host \"x.example\" is not an IPv6" },
		{ "bad_host.example:563", "t.yaml:6: peers[0].address: host \"bad_host.example\" is not an IPv4 address or a DNS name" },
		{ "-a.example:563", "t.yaml:6: peers[0].address: host \"-a.example\" is not" },
		{ "a-.example:563", "t.yaml:6: peers[0].address: host \"a-.example\" is not" },
		{ "a..example:563", "t.yaml:6: peers[0].address: host \"a..example\" is not" },
		{ "a.example.:563", "t.yaml:6: peers[0].address: host \"a.example.\" is not" },
		{ "999.1.1.1:563", "t.yaml:6: peers[0].address: host \"999.1.1.1\" is not" },
		{ "1.2.3:563", "t.yaml:6: peers[0].address: host \"1.2.3\" is not" },
		{ "x.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1",
		  "t.yaml:6: peers[0].address: host \"x.aaaa" },	/* a 64-byte label */
	};
	static const struct {
		const char *address;
		const char *host;
		int port;
	} good[] = {
		{ "localhost:119", "localhost", 119 },
		{ "a-b.c0.example:1", "a-b.c0.example", 1 },
		{ "1a.example:563", "1a.example", 563 },
		{ "10.0.0.1:2563", "10.0.0.1", 2563 },
		{ "[2001:db8::1]:563", "2001:db8::1", 563 },
	};
	char text[1024];
	struct config cfg;
	char err[256];
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), SERVER "peers:\n  - { name: b, address: \"%s\", " PEER_REST " }\n",
			 bad[i].address);
		CHECK_FAILS(text, bad[i].want);
	}
	for (i = 0; i < MOOT_ARRAY_SIZE(good); i++) {
		snprintf(text, sizeof(text), SERVER "peers:\n  - { name: b, address: \"%s\", " PEER_REST " }\n",
			 good[i].address);
		CHECK_INT(load(text, &cfg, err, sizeof(err)), 0);
		if (cfg.npeers != 1) {
			CHECK_STR(err, "");
			continue;
		}
		CHECK_STR(cfg.peers[0].address, good[i].address);
		CHECK_STR(cfg.peers[0].host, good[i].host);
		CHECK_INT(cfg.peers[0].port, good[i].port);
		config_release(&cfg);
	}
	/* A name of 253 bytes is the longest a DNS name can be. */
	{
		char host[260];

		memset(host, 'a', 253);
		for (i = 63; i < 253; i += 64)
			host[i] = '.';
		host[253] = '\0';
		snprintf(text, sizeof(text), SERVER "peers:\n  - { name: b, address: \"%s:1\", " PEER_REST " }\n",
			 host);
		CHECK_INT(load(text, &cfg, err, sizeof(err)), 0);
		CHECK_INT(cfg.npeers, 1);
		if (cfg.npeers == 1)
			CHECK_INT(strlen(cfg.peers[0].host), 253);
		config_release(&cfg);
		host[253] = 'a';
		host[254] = '\0';
		snprintf(text, sizeof(text), SERVER "peers:\n  - { name: b, address: \"%s:1\", " PEER_REST " }\n",
			 host);
		CHECK_FAILS(text, "t.yaml:6: peers[0].address: host \"aaa");
	}
}

static void peer_tls(void)
{
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    address: b.example:563\n    ca: ca.pem\n"
		    "    fingerprint: \"" FP_COLONS "\"\n" PEER_LINES,
		    "t.yaml:9: peers[0].fingerprint: give ca or fingerprint, not both (on line 8)");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    address: b.example:119\n    tls: false\n"
		    "    ca: ca.pem\n" PEER_LINES,
		    "t.yaml:9: peers[0].ca: needs tls: true");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    address: b.example:119\n    tls: false\n"
		    "    fingerprint: \"" HEX64 "\"\n" PEER_LINES,
		    "t.yaml:9: peers[0].fingerprint: needs tls: true");
	CHECK_FAILS(SERVER "peers:\n  - { name: b, address: b.example:1, tls: maybe, " PEER_REST " }\n",
		    "t.yaml:6: peers[0].tls: expected true or false");
	CHECK_FAILS(SERVER "peers:\n  - { name: b, address: b.example:1, ca: \"\", " PEER_REST " }\n",
		    "t.yaml:6: peers[0].ca: must not be empty");
}

static void peer_fingerprint(void)
{
	static const char *bad[] = {
		"",
		"sha256:",
		HEX64 "0",					/* 65 digits */
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",	/* 63 */
		"sha1:" HEX64,
		"sha256:" HEX64 ":",
		"sha256::" HEX64,
		"sha256:0:123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256:01::23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256:g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256: " HEX64,
		"sha256:sha256:" HEX64,
	};
	static const char *good[] = {
		HEX64, FP_COLONS, FP_OTHER, "Sha256:" HEX64,
		"sha256:0123:456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	};
	char text[1024];
	struct config cfg;
	char err[256];
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(bad); i++) {
		/* The server pin ... */
		snprintf(text, sizeof(text),
			 SERVER "peers:\n  - name: b\n    address: b.example:563\n"
			 "    fingerprint: \"%s\"\n" PEER_LINES, bad[i]);
		CHECK_FAILS(text, "t.yaml:8: peers[0].fingerprint: expected \"sha256:\" and 64 hex digits");
		/* ... and the identity are checked alike. */
		snprintf(text, sizeof(text),
			 SERVER "peers:\n  - name: b\n    accept: x\n    identity:\n      fingerprint: \"%s\"\n",
			 bad[i]);
		CHECK_FAILS(text, "t.yaml:9: peers[0].identity.fingerprint: expected \"sha256:\"");
	}
	for (i = 0; i < MOOT_ARRAY_SIZE(good); i++) {
		snprintf(text, sizeof(text),
			 SERVER "peers:\n  - { name: b, address: \"b:1\", fingerprint: \"%s\", accept: x,\n"
			 "      identity: { fingerprint: \"%s\" } }\n", good[i], good[i]);
		CHECK_INT(load(text, &cfg, err, sizeof(err)), 0);
		CHECK_INT(cfg.npeers, 1);
		if (cfg.npeers == 1) {
			CHECK_STR(cfg.peers[0].fingerprint, good[i]);
			CHECK_STR(cfg.peers[0].identity_fingerprint, good[i]);
		}
		config_release(&cfg);
	}
	CHECK_FAILS(SERVER "peers:\n  - { name: b, address: \"b:1\", fingerprint: [x], " PEER_REST " }\n",
		    "t.yaml:6: peers[0].fingerprint: expected a string");
}

static void peer_wildmats(void)
{
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    send: \"moot.*\"\n" PEER_LINES,
		    "t.yaml:7: peers[0].send: needs an address");
	CHECK_FAILS(SERVER "peers:\n  - { name: b, address: b:1, send: \"moot.[ab\", " PEER_REST " }\n",
		    "t.yaml:6: peers[0].send: \"moot.[ab\" is not a valid wildmat");
	CHECK_FAILS(SERVER "peers:\n  - { name: b, address: b:1, send: \"\", " PEER_REST " }\n",
		    "t.yaml:6: peers[0].send: must not be empty");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept: \"moot.*,a!b\"\n"
		    "    identity: { user: u, password_hash: h }\n",
		    "t.yaml:7: peers[0].accept: \"moot.*,a!b\" is not a valid wildmat");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept: \"\"\n"
		    "    identity: { user: u, password_hash: h }\n",
		    "t.yaml:7: peers[0].accept: must not be empty");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    address: b:1\n"
		    "    identity: { user: u, password_hash: h }\n",
		    "t.yaml:6: peers[0].accept: missing");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept:\n"
		    "    identity: { user: u, password_hash: h }\n",
		    "t.yaml:7: peers[0].accept: missing value");
	CHECK_FAILS(SERVER "peers:\n  - { name: b, accept: [a, b], identity: { user: u, password_hash: h } }\n",
		    "t.yaml:6: peers[0].accept: expected a string");
}

static void peer_identity(void)
{
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept: x\n", "t.yaml:6: peers[0].identity: missing");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept: x\n    identity: u\n",
		    "t.yaml:8: peers[0].identity: expected a mapping");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept: x\n    identity: {}\n",
		    "t.yaml:8: peers[0].identity: expected fingerprint, or user and password_hash");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept: x\n    identity:\n"
		    "      fingerprint: \"" HEX64 "\"\n      user: u\n      password_hash: h\n",
		    "t.yaml:9: peers[0].identity: fingerprint, or user and password_hash, not both");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept: x\n"
		    "    identity: { fingerprint: \"" HEX64 "\", user: u }\n",
		    "t.yaml:8: peers[0].identity: fingerprint, or user and password_hash, not both");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept: x\n    identity: { user: u }\n",
		    "t.yaml:8: peers[0].identity.password_hash: missing");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept: x\n    identity: { password_hash: h }\n",
		    "t.yaml:8: peers[0].identity.user: missing");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept: x\n    identity: { user: u, password_hash: \"\" }\n",
		    "t.yaml:8: peers[0].identity.password_hash: must not be empty");
	CHECK_FAILS(SERVER "peers:\n  - name: b\n    accept: x\n    identity: { user: \"u v\", password_hash: h }\n",
		    "t.yaml:8: peers[0].identity.user: must not contain spaces");
	/* Each identity belongs to one peer: the same fingerprint written differently ... */
	CHECK_FAILS(SERVER "peers:\n"
		    "  - { name: b, accept: x, identity: { fingerprint: \"" HEX64 "\" } }\n"
		    "  - { name: c, accept: x, identity: { user: c, password_hash: h } }\n"
		    "  - { name: d, accept: x, identity: { fingerprint: \"" FP_COLONS "\" } }\n",
		    "t.yaml:8: peers[2].identity.fingerprint: duplicate of peers[0].identity.fingerprint");
	/* ... or the same user. */
	CHECK_FAILS(SERVER "peers:\n"
		    "  - { name: b, accept: x, identity: { user: peer, password_hash: h } }\n"
		    "  - { name: c, accept: x, identity: { user: peer, password_hash: h2 } }\n",
		    "t.yaml:7: peers[1].identity.user: duplicate of peers[0].identity.user");
}

static void peer_window_and_list(void)
{
	char *text;
	size_t i, n, cap = 200 * 1100;
	struct config cfg;
	char err[256];

	CHECK_FAILS(SERVER "peers:\n  - name: b\n    address: b:1\n    window: 0\n" PEER_LINES,
		    "t.yaml:8: peers[0].window: must be between 1 and 1024");
	CHECK_FAILS(SERVER "peers:\n  - { name: b, address: b:1, window: 1025, " PEER_REST " }\n",
		    "t.yaml:6: peers[0].window: must be between 1 and 1024");
	CHECK_FAILS(SERVER "peers:\n  - { name: b, address: b:1, window: many, " PEER_REST " }\n",
		    "t.yaml:6: peers[0].window: expected an integer");
	CHECK_FAILS(SERVER "peers: b\n", "t.yaml:5: peers: expected a list");
	CHECK_FAILS(SERVER "peers:\n  - b\n", "t.yaml:6: peers[0]: expected a mapping");
	CHECK_FAILS(SERVER "peers:\n  - { name: b, " PEER_REST ", name: c }\n",
		    "t.yaml:6: peers[0].name: duplicate key");

	/* At most 1024 peers. */
	text = malloc(cap);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	for (n = 1024; n <= 1025; n++) {
		size_t len = (size_t)snprintf(text, cap, SERVER "peers:\n");

		for (i = 0; i < n; i++)
			len += (size_t)snprintf(text + len, cap - len,
						"  - { name: p%zu, accept: x, identity: { user: u%zu, "
						"password_hash: h } }\n", i, i);
		if (n == 1024) {
			CHECK_INT(load(text, &cfg, err, sizeof(err)), 0);
			CHECK_INT(cfg.npeers, 1024);
			CHECK(config_peer_find(&cfg, "p1023") == &cfg.peers[1023]);
			config_release(&cfg);
		} else {
			CHECK_FAILS(text, "t.yaml:6: peers: more than 1024 entries");
		}
	}
	free(text);
}

/* server.access: open or authenticated, nothing else. */
static void access_errors(void)
{
	CHECK_FAILS(SERVER "  access: { read: open, post: members }\n",
		    "t.yaml:5: server.access.post: expected open or authenticated, not \"members\"");
	CHECK_FAILS(SERVER "  access:\n    read: yes\n",
		    "t.yaml:6: server.access.read: expected open or authenticated, not \"yes\"");
	CHECK_FAILS(SERVER "  access:\n    post: [open]\n",
		    "t.yaml:6: server.access.post: expected open or authenticated");
	CHECK_FAILS(SERVER "  access: open\n", "t.yaml:5: server.access: expected a mapping");
	CHECK_FAILS(SERVER "  access: { read: open, write: open }\n",
		    "t.yaml:5: server.access.write: unknown key");
	CHECK_FAILS(SERVER "  acess: { read: open }\n", "t.yaml:5: server.acess: unknown key");
}

/* The new limits: each bound is included, one past it is an error. */
static void limits_ranges(void)
{
	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
		{ "max_connections_per_address: 0",
		  "t.yaml:6: server.limits.max_connections_per_address: must be between 1 and 2147483647" },
		{ "max_connections_per_address: 2147483648",
		  "t.yaml:6: server.limits.max_connections_per_address: must be between 1 and" },
		{ "command_timeout_s: 0",
		  "t.yaml:6: server.limits.command_timeout_s: must be between 1 and 3600" },
		{ "command_timeout_s: 3601",
		  "t.yaml:6: server.limits.command_timeout_s: must be between 1 and 3600" },
		{ "posts_per_hour_user: -1",
		  "t.yaml:6: server.limits.posts_per_hour_user: must be between 0 and 1000000" },
		{ "posts_per_hour_user: 1000001",
		  "t.yaml:6: server.limits.posts_per_hour_user: must be between 0 and 1000000" },
		{ "posts_per_hour_address: 1000001",
		  "t.yaml:6: server.limits.posts_per_hour_address: must be between 0 and 1000000" },
		{ "posts_per_hour_address: lots",
		  "t.yaml:6: server.limits.posts_per_hour_address: expected an integer" },
		{ "command_timeout: 5", "t.yaml:6: server.limits.command_timeout: unknown key" },
	};
	struct config cfg;
	char text[512], err[256];
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), SERVER "  limits:\n    %s\n", bad[i].text);
		CHECK_FAILS(text, bad[i].want);
	}
	CHECK_INT(load(SERVER "  limits:\n    max_connections_per_address: 1\n"
		       "    command_timeout_s: 1\n    posts_per_hour_address: 0\n"
		       "    max_connections_per_address: 2147483647\n", &cfg, err, sizeof(err)),
		  MOOT_ECONFIG);
	CHECK_STR(err, "t.yaml:9: server.limits.max_connections_per_address: duplicate key "
		  "(first on line 6)");
	CHECK_INT(load(SERVER "  limits:\n    max_connections_per_address: 2147483647\n"
		       "    command_timeout_s: 1\n    posts_per_hour_address: 0\n", &cfg, err,
		       sizeof(err)), 0);
	CHECK_INT(cfg.max_connections_per_address, 2147483647L);
	CHECK_INT(cfg.command_timeout_s, 1);
	CHECK_INT(cfg.posts_per_hour_address, 0);
	CHECK_INT(cfg.posts_per_hour_user, 60);
	config_release(&cfg);
}

/* server.metrics: a numeric loopback HOST:PORT, apart from the NNTP listeners. */
static void metrics(void)
{
	static const struct {
		const char *address;
		const char *want;
	} bad[] = {
		{ "0.0.0.0:9119", "t.yaml:5: server.metrics.address: must be a loopback address" },
		{ "10.0.0.1:9119", "t.yaml:5: server.metrics.address: must be a loopback address" },
		{ "128.0.0.1:9119", "t.yaml:5: server.metrics.address: must be a loopback address" },
		{ "[::]:9119", "t.yaml:5: server.metrics.address: must be a loopback address" },
		{ "[::ffff:127.0.0.1]:9119",
		  "t.yaml:5: server.metrics.address: must be a loopback address" },
		{ "localhost:9119",
		  "t.yaml:5: server.metrics.address: host \"localhost\" is not an IPv4 address" },
		{ "metrics.example:9119",
		  "t.yaml:5: server.metrics.address: host \"metrics.example\" is not an IPv4 address" },
		{ "127.0.0.1:0", "t.yaml:5: server.metrics.address: port must be a number from 1 to 65535" },
		{ "127.0.0.1:65536",
		  "t.yaml:5: server.metrics.address: port must be a number from 1 to 65535" },
		{ "127.0.0.1:prom", "t.yaml:5: server.metrics.address: port must be" },
		{ "127.0.0.1", "t.yaml:5: server.metrics.address: expected HOST:PORT" },
		{ "::1:9119", "t.yaml:5: server.metrics.address: an IPv6 address must be in brackets" },
		{ "127.0.0.1:1119", "t.yaml:5: server.metrics.address: same as server.listen[0]" },
	};
	struct config cfg;
	char text[512], err[256];
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), SERVER "  metrics: { address: \"%s\" }\n",
			 bad[i].address);
		CHECK_FAILS(text, bad[i].want);
	}
	CHECK_FAILS(SERVER "  metrics: { port: 9119 }\n", "t.yaml:5: server.metrics.port: unknown key");
	CHECK_FAILS(SERVER "  metrics: {}\n", "t.yaml:5: server.metrics.address: missing");
	CHECK_FAILS(SERVER "  metrics:\n    address:\n",
		    "t.yaml:6: server.metrics.address: missing value");
	CHECK_FAILS(SERVER "  metrics: \"127.0.0.1:9119\"\n", "t.yaml:5: server.metrics: expected a mapping");

	CHECK_INT(load(SERVER "  metrics:\n    address: \"[::1]:9119\"\n", &cfg, err, sizeof(err)), 0);
	CHECK_STR(cfg.metrics_address, "[::1]:9119");
	CHECK_STR(cfg.metrics_host, "::1");
	CHECK_INT(cfg.metrics_port, 9119);
	config_release(&cfg);
	CHECK(cfg.metrics_address == NULL);
	/* Another port on a listener's address is fine, as is the whole of 127/8. */
	CHECK_INT(load(SERVER "  metrics: { address: 127.255.255.254:1120 }\n", &cfg, err,
		       sizeof(err)), 0);
	CHECK_STR(cfg.metrics_host, "127.255.255.254");
	CHECK_INT(cfg.metrics_port, 1120);
	config_release(&cfg);
}

/* roles: admins are user names, moderators pair a user with a wildmat. */
static void roles_errors(void)
{
	CHECK_FAILS(SERVER "roles:\n  admins: alice\n", "t.yaml:6: roles.admins: expected a list");
	CHECK_FAILS(SERVER "roles:\n  admins: { alice: true }\n",
		    "t.yaml:6: roles.admins: expected a list");
	CHECK_FAILS(SERVER "roles:\n  admins: [alice, \"bo b\"]\n",
		    "t.yaml:6: roles.admins[1]: must not contain spaces or control characters");
	CHECK_FAILS(SERVER "roles:\n  admins:\n    - alice\n    - \"\"\n",
		    "t.yaml:8: roles.admins[1]: must not be empty");
	CHECK_FAILS(SERVER "roles:\n  admins:\n    - alice\n    - [bob]\n",
		    "t.yaml:8: roles.admins[1]: expected a string");
	CHECK_FAILS(SERVER "roles:\n  admins: [alice, bob, alice]\n",
		    "t.yaml:6: roles.admins[2]: duplicate of roles.admins[0]");
	CHECK_FAILS(SERVER "roles:\n  admins: [\"a\\tb\"]\n",
		    "t.yaml:6: roles.admins[0]: must not contain spaces or control characters");
	CHECK_FAILS(SERVER "roles:\n  admin: [alice]\n", "t.yaml:6: roles.admin: unknown key");
	CHECK_FAILS(SERVER "roles:\n  moderators: []\n  owners: [x]\n",
		    "t.yaml:7: roles.owners: unknown key");
	CHECK_FAILS(SERVER "roles: [alice]\n", "t.yaml:5: roles: expected a mapping");
	CHECK_FAILS(SERVER "role: {}\n", "t.yaml:5: role: unknown key");

	CHECK_FAILS(SERVER "roles:\n  moderators:\n    - { user: ana, groups: moot.* }\n"
		    "    - { user: bob }\n",
		    "t.yaml:8: roles.moderators[1].groups: missing");
	CHECK_FAILS(SERVER "roles:\n  moderators:\n    - { user: ana, groups: }\n",
		    "t.yaml:7: roles.moderators[0].groups: missing value");
	CHECK_FAILS(SERVER "roles:\n  moderators:\n    - { groups: moot.* }\n",
		    "t.yaml:7: roles.moderators[0].user: missing");
	CHECK_FAILS(SERVER "roles:\n  moderators:\n    - user: ana\n      groups: \"moot.[a-\"\n",
		    "t.yaml:8: roles.moderators[0].groups: \"moot.[a-\" is not a valid wildmat");
	CHECK_FAILS(SERVER "roles:\n  moderators:\n    - { user: ana, groups: \"a,,b\" }\n",
		    "t.yaml:7: roles.moderators[0].groups: \"a,,b\" is not a valid wildmat");
	CHECK_FAILS(SERVER "roles:\n  moderators:\n    - { user: ana, groups: \"\" }\n",
		    "t.yaml:7: roles.moderators[0].groups: must not be empty");
	CHECK_FAILS(SERVER "roles:\n  moderators:\n    - { user: ana, groups: [a, b] }\n",
		    "t.yaml:7: roles.moderators[0].groups: expected a string");
	CHECK_FAILS(SERVER "roles:\n  moderators:\n    - { user: ana, group: a }\n",
		    "t.yaml:7: roles.moderators[0].group: unknown key");
	CHECK_FAILS(SERVER "roles:\n  moderators:\n    - { user: \"a na\", groups: a }\n",
		    "t.yaml:7: roles.moderators[0].user: must not contain spaces");
	CHECK_FAILS(SERVER "roles:\n  moderators:\n    - { user: ana, groups: a }\n"
		    "    - { user: ana, groups: b }\n",
		    "t.yaml:8: roles.moderators[1].user: duplicate of roles.moderators[0].user");
	CHECK_FAILS(SERVER "roles:\n  moderators:\n    - ana\n",
		    "t.yaml:7: roles.moderators[0]: expected a mapping");
	CHECK_FAILS(SERVER "roles:\n  moderators: ana\n", "t.yaml:6: roles.moderators: expected a list");
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
	RUN(tls_client_pair);
	RUN(peers_valid);
	RUN(peer_name);
	RUN(peer_address);
	RUN(peer_tls);
	RUN(peer_fingerprint);
	RUN(peer_wildmats);
	RUN(peer_identity);
	RUN(peer_window_and_list);
	RUN(access_errors);
	RUN(limits_ranges);
	RUN(metrics);
	RUN(roles_errors);
	RUN(yaml_syntax);
	RUN(empty_document);
	RUN(small_err_buffer);
	RUN(files);
}
