/*
 * main.c: mootd's entry point.  Parses the command line, loads the
 * configuration (a file, or the embedded default), prepares the state folder
 * (database, generated certificate), then runs the one libuv loop until
 * SIGTERM.  SIGHUP re-reads the configuration: groups appear, change and
 * disappear, the certificate is reloaded, and open connections stay up.
 *
 * The one struct mootd lives here and is reached through loop->data.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../proto/moot.h"
#include "../proto/tls.h"
#include "auth.h"
#include "community.h"
#include "feed.h"
#include "ingest.h"
#include "listen.h"
#include "metrics.h"
#include "mootd.h"
#include "session.h"
#include "store.h"

#define DRAIN_TIMEOUT_MS 10000	/* SIGTERM: sessions get this long to finish */
#define EXPIRE_EVERY_S 3600	/* retention runs hourly (and soon after start) */
#define FEED_LOG_EVERY_S 300	/* per-peer state goes to the log this often */

void mootd_log(const char *level, const char *fmt, ...)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	flockfile(stderr);	/* one line, whole, when the writer thread logs too */
	fprintf(stderr, "%s %s ", when, level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

int64_t mootd_now(void)
{
	return (int64_t)time(NULL);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mootd [-c FILE]      run in the foreground (default: the embedded configuration)\n"
		"       mootd -t [-c FILE]   check the configuration and exit\n"
		"       mootd -f [-c FILE]   print this server's certificate fingerprints (generating\n"
		"                            missing certificates), for partners' identity settings\n"
		"       mootd -V             print the version\n"
		"       mootd [-c FILE] user add NAME [--role member|moderator|admin] [--address ADDR]\n"
		"                            add a member; the password is read from standard input\n"
		"       mootd [-c FILE] user passwd NAME | disable NAME | enable NAME | list\n"
		"       mootd user hash          print a password hash (stdin) for a peer's identity\n"
		"       mootd [-c FILE] backup FILE   copy the database online (safe while running)\n"
		"       mootd [-c FILE] check    PRAGMA integrity_check of the database\n");
}

/* Load the configuration named by path (NULL: the embedded default). */
static int load_config(const char *path, struct config *cfg)
{
	char err[1024];
	int rc;

	if (path)
		rc = config_load_file(path, cfg, err, sizeof(err));
	else
		rc = config_load_string("(default)", config_default_yaml,
					strlen(config_default_yaml), cfg, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	return rc;
}

/* mkdir -p for the state folder (mode 0750). */
static int make_dirs(const char *path)
{
	char tmp[4096];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
			return -errno;
		tmp[i] = i < n ? '/' : '\0';
	}
	return 0;
}

/* Make the server TLS context, generating a self-signed pair when allowed. */
static struct tls_ctx *load_tls(const struct config *cfg)
{
	char err[512];
	struct tls_ctx *ctx;

	if (access(cfg->tls_certificate, F_OK) != 0 && access(cfg->tls_key, F_OK) != 0 &&
	    cfg->tls_generated) {
		if (tls_generate_self_signed(cfg->tls_certificate, cfg->tls_key, "localhost",
					     err, sizeof(err)) != 0) {
			log_err("%s", err);
			return NULL;
		}
		log_info("generated a self-signed certificate %s", cfg->tls_certificate);
	}
	if (access(cfg->tls_client_certificate, F_OK) != 0 && access(cfg->tls_client_key, F_OK) != 0 &&
	    cfg->tls_client_generated) {
		/* Our identity towards peers (DESIGN.md, Federation). */
		if (tls_generate_self_signed(cfg->tls_client_certificate, cfg->tls_client_key,
					     cfg->pathhost, err, sizeof(err)) != 0) {
			log_err("%s", err);
			return NULL;
		}
		log_info("generated a client certificate %s", cfg->tls_client_certificate);
	}
	ctx = tls_ctx_server_new(cfg->tls_certificate, cfg->tls_key, 1, err, sizeof(err));
	if (ctx == NULL)
		log_err("%s", err);
	return ctx;
}

/* mootd -f: the fingerprints partners put in their configuration. */
static int print_fingerprints(struct config *cfg)
{
	struct tls_ctx *ctx;
	char fp[80];
	int rc;

	rc = make_dirs(cfg->state);
	if (rc != 0) {
		log_err("cannot create state folder '%s': %s", cfg->state, strerror(-rc));
		return 1;
	}
	ctx = load_tls(cfg);
	if (ctx == NULL)
		return 1;
	tls_ctx_free(ctx);
	if (tls_file_fingerprint(cfg->tls_certificate, fp, sizeof(fp)) == 0)
		printf("server %s %s\n", fp, cfg->tls_certificate);
	if (tls_file_fingerprint(cfg->tls_client_certificate, fp, sizeof(fp)) == 0)
		printf("client %s %s\n", fp, cfg->tls_client_certificate);
	return 0;
}

/* Read one line (the password) from standard input, without its newline. */
static int read_password(char *out, size_t outlen)
{
	size_t n;

	if (fgets(out, (int)outlen, stdin) == NULL)
		return -1;
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int print_user(void *arg, const struct store_user *u)
{
	(void)arg;
	printf("%s\t%s\t%s\t%s\n", u->name, u->role, u->address[0] ? u->address : "-",
	       u->disabled ? "disabled" : "enabled");
	return 0;
}

/* mootd user ...: manage members in the store (the daemon may be running). */
static int user_command(struct config *cfg, int argc, char **argv)
{
	char path[4096], err[512], pw[512], hash[256];
	const char *role = "member", *address = "";
	struct store *st = NULL;
	int rc = 1, i;

	if (argc < 1)
		goto usage;
	if (strcmp(argv[0], "hash") == 0 && argc == 1) {
		/* For a peer's identity.password_hash: needs no database. */
		if (read_password(pw, sizeof(pw)) != 0 || tls_password_hash(pw, hash, sizeof(hash)) != 0) {
			fprintf(stderr, "mootd: no password on standard input\n");
			return 1;
		}
		memset(pw, 0, sizeof(pw));
		printf("%s\n", hash);
		return 0;
	}
	if (make_dirs(cfg->state) != 0) {
		fprintf(stderr, "mootd: cannot create state folder '%s'\n", cfg->state);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/moot.db", cfg->state);
	if (store_open(path, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "mootd: %s\n", err);
		return 1;
	}
	if (strcmp(argv[0], "list") == 0 && argc == 1) {
		rc = store_users_each(st, print_user, NULL) == 0 ? 0 : 1;
	} else if (strcmp(argv[0], "add") == 0 && argc >= 2) {
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
				role = argv[++i];
			else if (strcmp(argv[i], "--address") == 0 && i + 1 < argc)
				address = argv[++i];
			else
				goto usage;
		}
		if (auth_role_parse(role) == ROLE_NONE) {
			fprintf(stderr, "mootd: unknown role '%s' (member, moderator, admin)\n", role);
			goto out;
		}
		if (strlen(argv[1]) >= 64 || strpbrk(argv[1], " \t\r\n") || argv[1][0] == '\0') {
			fprintf(stderr, "mootd: a user name is 1 to 63 characters without blanks\n");
			goto out;
		}
		if (read_password(pw, sizeof(pw)) != 0 || tls_password_hash(pw, hash, sizeof(hash)) != 0) {
			fprintf(stderr, "mootd: no password on standard input\n");
			goto out;
		}
		rc = store_user_add(st, argv[1], hash, role, address, mootd_now());
		if (rc == MOOT_EEXIST)
			fprintf(stderr, "mootd: user '%s' exists\n", argv[1]);
		else if (rc == 0)
			printf("added %s (%s)\n", argv[1], role);
		rc = rc ? 1 : 0;
	} else if (strcmp(argv[0], "passwd") == 0 && argc == 2) {
		if (read_password(pw, sizeof(pw)) != 0 || tls_password_hash(pw, hash, sizeof(hash)) != 0) {
			fprintf(stderr, "mootd: no password on standard input\n");
			goto out;
		}
		rc = store_user_set_password(st, argv[1], hash);
		if (rc == MOOT_ENOTFOUND)
			fprintf(stderr, "mootd: no user '%s'\n", argv[1]);
		rc = rc ? 1 : 0;
	} else if ((strcmp(argv[0], "disable") == 0 || strcmp(argv[0], "enable") == 0) && argc == 2) {
		rc = store_user_set_disabled(st, argv[1], argv[0][0] == 'd');
		if (rc == MOOT_ENOTFOUND)
			fprintf(stderr, "mootd: no user '%s'\n", argv[1]);
		else if (rc == 0)
			printf("%sd %s\n", argv[0], argv[1]);
		rc = rc ? 1 : 0;
	} else {
		goto usage;
	}
out:
	memset(pw, 0, sizeof(pw));
	store_close(st);
	return rc;
usage:
	store_close(st);
	usage(stderr);
	return 2;
}

/* mootd backup FILE / mootd check: operations on the database file. */
static int db_command(struct config *cfg, const char *what, int argc, char **argv)
{
	char db[4096], err[512];

	snprintf(db, sizeof(db), "%s/moot.db", cfg->state);
	if (access(db, R_OK) != 0) {
		fprintf(stderr, "mootd: no database at '%s'\n", db);
		return 1;
	}
	if (strcmp(what, "backup") == 0) {
		if (argc != 1) {
			usage(stderr);
			return 2;
		}
		if (store_backup(db, argv[0], err, sizeof(err)) != 0) {
			fprintf(stderr, "mootd: %s\n", err);
			return 1;
		}
		printf("backed up %s to %s\n", db, argv[0]);
		return 0;
	}
	if (argc != 0) {
		usage(stderr);
		return 2;
	}
	if (store_check(db, err, sizeof(err)) != 0) {
		fprintf(stderr, "mootd: %s: %s\n", db, err);
		return 1;
	}
	printf("%s: ok\n", db);
	return 0;
}

/* SIGHUP: re-read the file; on any error keep the configuration in force. */
static void reload(struct mootd *d)
{
	struct config cfg;
	struct tls_ctx *ctx;

	if (d->config_path == NULL) {
		log_info("SIGHUP: running the embedded configuration, nothing to re-read");
		return;
	}
	if (load_config(d->config_path, &cfg) != 0) {
		log_err("SIGHUP: configuration not reloaded");
		return;
	}
	if (cfg.nlisten != d->cfg.nlisten || strcmp(cfg.state, d->cfg.state) != 0)
		log_warn("SIGHUP: listen addresses and state folder change only on restart");
	/* Keep the running listeners and state: they are not re-bound on reload. */
	ctx = load_tls(&cfg);
	if (ctx) {
		/* Open connections keep a reference to the old context. */
		tls_ctx_free(d->tls);
		d->tls = ctx;
	}
	config_release(&d->cfg);
	d->cfg = cfg;
	if (groups_sync(d) != 0)
		log_err("SIGHUP: group sync failed");
	feed_reload(d);
	/* Retention may have changed: apply it now rather than within the hour. */
	d->last_expire = mootd_now();
	groups_expire(d);
	log_info("SIGHUP: configuration reloaded (%zu groups)", d->cfg.ngroups);
}

static void on_close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void on_drain_timeout(uv_timer_t *t)
{
	struct mootd *d = t->loop->data;
	struct session *s;

	log_warn("drain timeout: closing remaining connections");
	for (s = d->sessions; s; s = s->next)
		xport_abort(&s->x);
}

/* The end of every loop turn (after the I/O callbacks): no read snapshot
 * is kept across the wait for the next events. */
static void on_turn_end(uv_check_t *h)
{
	struct mootd *d = h->loop->data;

	if (d->store != NULL)
		store_read_release(d->store);
}

/* SIGTERM: stop accepting, commit what is queued, finish replies, exit. */
static void drain(struct mootd *d)
{
	if (d->draining)
		return;
	d->draining = 1;
	log_info("shutting down: %zu connections open", d->nsessions);
	listen_stop(d);
	metrics_stop(d);
	ingest_flush(d);
	feed_stop(d);
	auth_stop(d);
	session_close_all(d);
	uv_close((uv_handle_t *)&d->tick, NULL);
	uv_close((uv_handle_t *)&d->turn_end, NULL);
	uv_close((uv_handle_t *)&d->sighup, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_timer_init(d->loop, &d->drain_timer);
	uv_timer_start(&d->drain_timer, on_drain_timeout, DRAIN_TIMEOUT_MS, 0);
	/* The timer does not keep the loop alive by itself. */
	uv_unref((uv_handle_t *)&d->drain_timer);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct mootd *d = h->loop->data;

	if (signum == SIGHUP)
		reload(d);
	else
		drain(d);
}

static void on_tick(uv_timer_t *t)
{
	struct mootd *d = t->loop->data;
	int64_t now = mootd_now();

	session_sweep_idle(d);
	ingest_tick(d);
	if (now % FEED_LOG_EVERY_S == 0)
		feed_log_state(d);
	if (now - d->last_expire >= EXPIRE_EVERY_S) {
		d->last_expire = now;
		groups_expire(d);
	}
}

/* Everything up to the loop; returns 0 or 1 (an error was printed). */
static int start(struct mootd *d)
{
	char path[4096], err[512];
	int rc;

	rc = make_dirs(d->cfg.state);
	if (rc != 0) {
		log_err("cannot create state folder '%s': %s", d->cfg.state, strerror(-rc));
		return 1;
	}
	d->tls = load_tls(&d->cfg);
	if (d->tls == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/moot.db", d->cfg.state);
	if (store_open(path, &d->store, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return 1;
	}
	if (groups_sync(d) != 0) {
		log_err("cannot sync groups with the store");
		return 1;
	}
	if (auth_init(d) != 0 || community_init(d) != 0) {
		log_err("cannot start: out of memory");
		return 1;
	}
	if (ingest_init(d) != 0 || listen_start(d, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return 1;
	}
	if (feed_start(d) != 0) {
		log_err("cannot start the feeds");
		return 1;
	}
	if (metrics_start(d) != 0)
		return 1;
	uv_signal_init(d->loop, &d->sighup);
	uv_signal_init(d->loop, &d->sigterm);
	uv_signal_init(d->loop, &d->sigint);
	uv_signal_start(&d->sighup, on_signal, SIGHUP);
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_timer_init(d->loop, &d->tick);
	uv_timer_start(&d->tick, on_tick, 1000, 1000);
	/* A read snapshot kept between commands lasts one turn at most. */
	uv_check_init(d->loop, &d->turn_end);
	uv_check_start(&d->turn_end, on_turn_end);
	uv_unref((uv_handle_t *)&d->turn_end);
	session_start(d);
	/* First expiry a minute after start, not in the way of start-up. */
	d->last_expire = mootd_now() - EXPIRE_EVERY_S + 60;
	log_info("mootd %s ready: pathhost %s, %zu groups, state %s", MOOT_VERSION,
		 d->cfg.pathhost, d->cfg.ngroups, d->cfg.state);
	return 0;
}

int main(int argc, char **argv)
{
	struct mootd d;
	const char *path = NULL;
	int check = 0, fingerprints = 0, opt, rc;

	memset(&d, 0, sizeof(d));
	/* '+': options stop at the first word (mootd user add NAME --role x). */
	while ((opt = getopt(argc, argv, "+c:tfhV")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'f':
			fingerprints = 1;
			break;
		case 'V':
			printf("mootd %s\n", MOOT_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc && strcmp(argv[optind], "user") != 0 && strcmp(argv[optind], "backup") != 0 &&
	    strcmp(argv[optind], "check") != 0) {
		usage(stderr);
		return 2;
	}
	if (load_config(path, &d.cfg) != 0)
		return 1;
	if (optind != argc) {
		if (strcmp(argv[optind], "user") == 0)
			rc = user_command(&d.cfg, argc - optind - 1, argv + optind + 1);
		else
			rc = db_command(&d.cfg, argv[optind], argc - optind - 1, argv + optind + 1);
		config_release(&d.cfg);
		return rc;
	}
	if (fingerprints) {
		rc = print_fingerprints(&d.cfg);
		config_release(&d.cfg);
		return rc;
	}
	if (check) {
		printf("%s: configuration ok\n", path ? path : "(default)");
		config_release(&d.cfg);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	d.config_path = path;
	d.loop = uv_default_loop();
	d.loop->data = &d;
	rc = start(&d);
	if (rc == 0)
		uv_run(d.loop, UV_RUN_DEFAULT);
	/* Close whatever is left (a failed start) and let close callbacks run. */
	ingest_free(&d);
	feed_stop(&d);
	listen_stop(&d);
	metrics_stop(&d);
	uv_walk(d.loop, on_close_walk, NULL);
	uv_run(d.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(d.loop) != 0)
		log_warn("loop did not close cleanly");
	auth_free(&d);
	community_free(&d);
	session_addrs_free(&d);
	free(d.held);
	store_close(d.store);
	tls_ctx_free(d.tls);
	groups_free(&d);
	config_release(&d.cfg);
	if (rc == 0)
		log_info("stopped");
	return rc;
}
