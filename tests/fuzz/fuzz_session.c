/*
 * fuzz_session.c: libFuzzer target feeding whole client dialogues into the
 * daemon's dispatcher (daemon/session.c, reader.c, transit.c, ingest.c,
 * store.c), built with all daemon sources except main.c, plus the proto ones.
 *
 * Set-up happens once: a libuv loop, a struct mootd with a configuration
 * from config_load_string (a few groups including a moderated one, one
 * inbound peer), a store in a fresh temporary folder, groups_sync,
 * ingest_init, and a listener on 127.0.0.1:0.  A real TCP client socket is
 * connected to it so the session has a genuine transport; each fuzz input
 * goes to session_input() exactly as if it had arrived from the network,
 * then the loop turns (UV_RUN_NOWAIT) until the session is idle, so ingest
 * commits and long replies finish, and the client socket is drained
 * (non-blocking) so the output never backs up.
 *
 * Between inputs the session is reused when it is back at the command
 * prompt with nothing pending (its per-dialogue fields -- selected group,
 * current article, peer, stream mode -- are reset, as in a new connection);
 * otherwise (QUIT, an error, an unfinished article or reply) it is closed
 * and a new one accepted, so each input starts from a fresh dialogue.
 *
 * An input whose first line is "#peer" is treated as coming from the
 * configured peer (as if it had proved itself with its client certificate
 * on a TLS handshake), so IHAVE, MODE STREAM, CHECK and TAKETHIS are reached;
 * "#member", "#moderator" and "#admin" stand for a session that passed
 * AUTHINFO (RFC 4643) with that role, so POST and moderation are reached.
 *
 * The store grows as the fuzzer posts; every STORE_RESET_RUNS inputs the
 * whole daemon state is torn down and rebuilt on an empty database.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "../../proto/moot.h"
#include "../../daemon/mootd.h"
#include "../../daemon/config.h"
#include "../../daemon/ingest.h"
#include "../../daemon/session.h"
#include "../../daemon/store.h"
#include "../../daemon/feed.h"
#include "../../daemon/auth.h"
#include "../../daemon/community.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STORE_RESET_RUNS 20000
#define MAX_TURNS 400		/* loop turns per input before giving up on idleness */
#define PEER_NAME "feeder.example.net"

static const char fuzz_yaml[] =
	"server:\n"
	"  pathhost: fuzz.example.org\n"
	"  state: %s\n"
	"  listen:\n"
	"    - { address: \"127.0.0.1:1119\", tls: false }\n"
	"  limits:\n"
	"    max_article_bytes: 65536\n"
	"  motd: |\n"
	"    Fuzzing in progress.\n"
	"groups:\n"
	"  - { name: moot.welcome, description: \"Welcome\", posting: yes }\n"
	"  - { name: moot.general, description: \"General\", posting: yes }\n"
	"  - { name: moot.announce, description: \"Announcements\", posting: moderated }\n"
	"  - { name: moot.readonly, description: \"Read only\", posting: no }\n"
	"  - { name: moot.test, description: \"Tests\", retention_days: 7 }\n"
	"peers:\n"
	"  - name: " PEER_NAME "\n"
	"    accept: \"moot.*,!moot.readonly\"\n"
	"    identity:\n"
	"      fingerprint: \"sha256:"
	"3F1AC27B90DE456608E1B37C5D2AF4193F1AC27B90DE456608E1B37C5D2AF419\"\n";

static uv_loop_t loop;
static struct mootd D;
static uv_tcp_t listener;
static int port;
static int client_fd = -1;
static struct session *cur;	/* the session being fed, or NULL */
static char statedir[256];
static unsigned long runs;
static int verbose;

/* The daemon's logger (main.c's is not linked): quiet unless MOOT_FUZZ_LOG is set. */
void mootd_log(const char *level, const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	fprintf(stderr, "%s ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Wall-clock seconds, as main.c's. */
int64_t mootd_now(void)
{
	return (int64_t)time(NULL);
}

/* Set-up failed: say what, and abort (a harness failure, not a finding). */
static void die(const char *what)
{
	fprintf(stderr, "fuzz_session: %s\n", what);
	abort();
}

/* 1 if s is still in the daemon's session list. */
static int alive(struct session *s)
{
	struct session *t;

	for (t = D.sessions; t; t = t->next)
		if (t == s)
			return 1;
	return 0;
}

/* Read and discard whatever the client socket holds. */
static void drain_client(void)
{
	char tmp[65536];
	ssize_t n;

	if (client_fd < 0)
		return;
	do {
		n = recv(client_fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		/* MOOT_FUZZ_LOG=1 also shows the dialogue's replies. */
		if (n > 0 && verbose)
			fwrite(tmp, 1, (size_t)n, stderr);
	} while (n > 0 || (n < 0 && errno == EINTR));
}

/* The listener's callback: accept as listen.c does, and remember the new session. */
static void on_connection(uv_stream_t *server, int status)
{
	struct session *before = D.sessions;

	if (status != 0)
		return;
	session_accept(&D, server, 0);
	if (D.sessions != before && alive(D.sessions) && !D.sessions->x.closing)
		cur = D.sessions;
}

/* Reset the client with an RST (no TIME_WAIT), then let the session's close finish. */
static void drop_session(void)
{
	struct linger lg = { 1, 0 };
	int i;

	if (client_fd >= 0) {
		setsockopt(client_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(client_fd);
		client_fd = -1;
	}
	if (cur && alive(cur) && !cur->x.closing)
		xport_abort(&cur->x);
	for (i = 0; i < 1000 && D.nsessions > 0; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	if (D.nsessions > 0)
		die("a session did not close");
	cur = NULL;
}

/* Connect a client and run the loop until the daemon has accepted it. */
static void new_session(void)
{
	struct sockaddr_in sin;
	int i;

	drop_session();
	client_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (client_fd < 0)
		die("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(client_fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 && errno != EINPROGRESS)
		die("connect");
	for (i = 0; i < 10000 && cur == NULL; i++)
		uv_run(&loop, UV_RUN_ONCE);
	if (cur == NULL)
		die("the session was not accepted");
	drain_client();
}

/* Build the daemon state on an empty database. */
static void world_up(void)
{
	char path[512], err[512], text[sizeof(fuzz_yaml) + 256];
	int n;

	memset(&D, 0, sizeof(D));
	D.loop = &loop;
	loop.data = &D;
	n = snprintf(text, sizeof(text), fuzz_yaml, statedir);
	if (config_load_string("(fuzz)", text, (size_t)n, &D.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		die("config_load_string");
	}
	snprintf(path, sizeof(path), "%s/moot.db", statedir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/moot.db-wal", statedir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/moot.db-shm", statedir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/moot.db", statedir);
	if (store_open(path, &D.store, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		die("store_open");
	}
	if (groups_sync(&D) != 0)
		die("groups_sync");
	if (auth_init(&D) != 0 || community_init(&D) != 0)
		die("auth_init/community_init");
	D.sync_on_loop = 1;	/* every answer within the input's loop turns */
	if (ingest_init(&D) != 0)
		die("ingest_init");
	session_start(&D);
}

/* Tear the daemon state down (sessions, ingest, store, groups, config). */
static void world_down(void)
{
	int i;

	drop_session();
	session_stop(&D);
	ingest_free(&D);
	feed_stop(&D);
	community_free(&D);
	auth_free(&D);
	for (i = 0; i < 100; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	store_close(D.store);
	D.store = NULL;
	groups_free(&D);
	session_addrs_free(&D);
	free(D.held);
	D.held = NULL;
	D.nheld = D.capheld = 0;
	config_release(&D.cfg);
}

/* Remove the temporary database files and folder. */
static void remove_state(void)
{
	char path[512];
	const char *f[] = { "moot.db", "moot.db-wal", "moot.db-shm", "moot.db-journal" };
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(f); i++) {
		snprintf(path, sizeof(path), "%s/%s", statedir, f[i]);
		unlink(path);
	}
	rmdir(statedir);
}

/* At exit: close everything so LeakSanitizer sees only real leaks. */
static void at_exit(void)
{
	world_down();
	uv_close((uv_handle_t *)&listener, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	remove_state();
}

/* One-time set-up: temporary state folder, loop, daemon state, listener. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	const char *tmp = getenv("TMPDIR");

	verbose = getenv("MOOT_FUZZ_LOG") != NULL;
	signal(SIGPIPE, SIG_IGN);
	snprintf(statedir, sizeof(statedir), "%s/moot-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(statedir) == NULL)
		die("mkdtemp");
	if (uv_loop_init(&loop) != 0)
		die("uv_loop_init");
	world_up();
	uv_ip4_addr("127.0.0.1", 0, &sin);
	if (uv_tcp_init(&loop, &listener) != 0 ||
	    uv_tcp_bind(&listener, (const struct sockaddr *)&sin, 0) != 0 ||
	    uv_listen((uv_stream_t *)&listener, 64, on_connection) != 0 ||
	    uv_tcp_getsockname(&listener, (struct sockaddr *)&ss, &len) != 0)
		die("listener");
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	atexit(at_exit);
	return 0;
}

enum { WHO_ANON = 0, WHO_PEER, WHO_MEMBER, WHO_MODERATOR, WHO_ADMIN };

/* The first-line markers and who they stand for (as if AUTHINFO had succeeded). */
static const struct {
	const char *marker;
	const char *user;
	int role;
} identities[] = {
	[WHO_ANON] = { "", "", ROLE_NONE },
	[WHO_PEER] = { "#peer", "", ROLE_NONE },
	[WHO_MEMBER] = { "#member", "alice", ROLE_MEMBER },
	[WHO_MODERATOR] = { "#moderator", "molly", ROLE_MODERATOR },
	[WHO_ADMIN] = { "#admin", "root", ROLE_ADMIN },
};

/* If the input's first line is one of the markers, drop it and say whose it is. */
static int first_line_identity(const char **p, size_t *size)
{
	const char *nl = memchr(*p, '\n', *size);
	size_t n, i;

	if (nl == NULL || **p != '#')
		return WHO_ANON;
	n = (size_t)(nl - *p);
	if (n > 0 && (*p)[n - 1] == '\r')
		n--;
	for (i = 1; i < MOOT_ARRAY_SIZE(identities); i++) {
		if (strlen(identities[i].marker) == n && memcmp(*p, identities[i].marker, n) == 0) {
			*size -= (size_t)(nl - *p) + 1;
			*p = nl + 1;
			return (int)i;
		}
	}
	return WHO_ANON;
}

/* 1 when the session is at the command prompt with nothing in flight. */
static int idle(struct session *s)
{
	return s->state == SESSION_COMMAND && s->in.len == 0 && s->cont == NULL &&
	       s->nslots == 0 && s->out.len == 0 && s->x.write_pending == 0 &&
	       !s->discarding_line && !s->close_after_flush && s->auth_work == NULL;
}

/* 1 when the session can take the next input as a fresh dialogue. */
static int reusable(struct session *s)
{
	return s && alive(s) && !s->x.closing && idle(s) && !s->tls_started;
}

/* One dialogue: feed the input to a session and turn the loop until it is idle. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	int i, who;

	if (size > 1 << 20)
		return 0;
	if (++runs % STORE_RESET_RUNS == 0) {
		world_down();
		world_up();
	}
	if (!reusable(cur))
		new_session();
	/* A fresh dialogue: what a new connection starts with. */
	cur->group = NULL;
	cur->cur = 0;
	cur->mode_reader = 0;
	cur->streaming = 0;
	cur->peer[0] = '\0';
	cur->user[0] = '\0';
	cur->pending_user[0] = '\0';
	cur->role = ROLE_NONE;
	who = first_line_identity(&p, &size);
	if (who == WHO_PEER)
		snprintf(cur->peer, sizeof(cur->peer), "%s", PEER_NAME);
	else if (who != WHO_ANON) {
		snprintf(cur->user, sizeof(cur->user), "%s", identities[who].user);
		cur->role = identities[who].role;
	}
	session_input(cur, p, size);
	for (i = 0; i < MAX_TURNS; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		drain_client();
		if (!alive(cur) || cur->x.closing || idle(cur))
			break;
	}
	/* A last turn so a final write completes and its bytes are read. */
	uv_run(&loop, UV_RUN_NOWAIT);
	drain_client();
	if (!alive(cur))
		cur = NULL;
	return 0;
}
