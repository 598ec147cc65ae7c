/*
 * auth.c: AUTHINFO USER/PASS (RFC 4643 §2.3) and what a session may do.
 *
 * A name is looked up first among peers configured with a user identity
 * (the session then becomes that peer, DESIGN.md Federation), then among the
 * members in the store.  Passwords are never accepted on a plaintext
 * connection (483).  The hash check (PBKDF2, ~0.2 s) runs on libuv's thread
 * pool while the session waits, so the loop never stalls; an unknown name
 * costs the same as a wrong password.  Each failure from an address adds
 * delay before the 481 (1, 2, 4 ... up to 30 s) and is logged and recorded
 * in the audit log.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../proto/moot.h"
#include "../proto/command.h"
#include "../proto/tls.h"
#include "../proto/wildmat.h"
#include "auth.h"
#include "mootd.h"
#include "session.h"
#include "store.h"

#define FAIL_SLOTS 1024		/* addresses whose failures we remember */
#define FAIL_FORGET_S 3600	/* failures older than this are forgotten */
#define FAIL_MAX_DELAY_S 30

/* A password check on the thread pool; owned by the loop thread except
 * while the work callback runs. */
struct auth_work {
	uv_work_t req;			/* req.data == this */
	struct session *s;		/* NULL if the session closed meanwhile */
	struct mootd *d;
	char user[64];
	char password[512];
	char hash[256];			/* the stored hash, or a dummy for unknown names */
	char address[256];		/* the member's address */
	int role;
	int peer;			/* the name is a peer's identity */
	int known;			/* the name exists and is enabled */
	int ok;				/* result of the check */
	uv_timer_t delay;		/* the slowed-down 481 */
	struct auth_work *prev, *next;	/* in auth->pending */
};

struct fail_entry {
	char addr[64];			/* host part of the session's address */
	int count;
	int64_t last;
};

struct auth {
	struct fail_entry fails[FAIL_SLOTS];
	struct auth_work *pending;	/* checks and delayed answers in progress */
};

static void pending_add(struct auth *a, struct auth_work *w)
{
	w->next = a->pending;
	if (a->pending)
		a->pending->prev = w;
	a->pending = w;
}

static void pending_remove(struct auth *a, struct auth_work *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else if (a->pending == w)
		a->pending = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

/* A valid hash (same iterations) of a password nobody knows: unknown names
 * are checked against it so that they take as long as known ones. */
static const char dummy_hash[] =
	"pbkdf2-sha256$600000$80d12c825e71315e73d009b64ed38eeb$"
	"2ca76dd5efccfeb6da3a17258aac4341543212a0e230edf2b93a8975bf3c0b86";

int auth_init(struct mootd *d)
{
	d->auth = calloc(1, sizeof(*d->auth));
	return d->auth ? 0 : MOOT_ENOMEM;
}

void auth_free(struct mootd *d)
{
	free(d->auth);
	d->auth = NULL;
}

static struct fail_entry *fail_slot(struct auth *a, const char *host, int create, int64_t now)
{
	struct fail_entry *oldest = &a->fails[0];
	size_t i;

	for (i = 0; i < FAIL_SLOTS; i++) {
		struct fail_entry *e = &a->fails[i];
		if (e->count && strcmp(e->addr, host) == 0) {
			if (now - e->last > FAIL_FORGET_S)
				e->count = 0;
			return e;
		}
		if (e->last < oldest->last)
			oldest = e;
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", host);
	return oldest;
}

int auth_role_parse(const char *name)
{
	if (strcmp(name, "member") == 0)
		return ROLE_MEMBER;
	if (strcmp(name, "moderator") == 0)
		return ROLE_MODERATOR;
	if (strcmp(name, "admin") == 0)
		return ROLE_ADMIN;
	return ROLE_NONE;
}

const char *auth_role_name(int role)
{
	switch (role) {
	case ROLE_MEMBER:
		return "member";
	case ROLE_MODERATOR:
		return "moderator";
	case ROLE_ADMIN:
		return "admin";
	default:
		return "none";
	}
}

/* store_user_get callback: copy what the check needs. */
static int got_user(void *arg, const struct store_user *u)
{
	struct auth_work *w = arg;

	if (u->disabled)
		return 0;
	w->known = 1;
	snprintf(w->hash, sizeof(w->hash), "%s", u->password_hash);
	snprintf(w->address, sizeof(w->address), "%s", u->address);
	w->role = auth_role_parse(u->role);
	if (w->role == ROLE_NONE)
		w->role = ROLE_MEMBER;
	return 0;
}

static void work_run(uv_work_t *req)
{
	struct auth_work *w = req->data;

	w->ok = tls_password_verify(w->password, w->hash) && w->known;
	tls_thread_done();
}

static void work_free(uv_handle_t *h)
{
	struct auth_work *w = h->data;

	if (w->d->auth)
		pending_remove(w->d->auth, w);
	free(w);
}

/* The delayed 481 is due. */
static void on_delay(uv_timer_t *t)
{
	struct auth_work *w = t->data;
	struct session *s = w->s;

	if (s) {
		s->auth_work = NULL;
		session_reply(s, 481, "Authentication failed");
		session_resume(s);
	}
	uv_close((uv_handle_t *)&w->delay, work_free);
}

static void work_done(uv_work_t *req, int status)
{
	struct auth_work *w = req->data;
	struct session *s = w->s;
	struct mootd *d = w->d;
	char host[64];
	struct fail_entry *e;
	int64_t now = mootd_now();
	unsigned int delay;

	memset(w->password, 0, sizeof(w->password));
	if (s == NULL) {
		uv_close((uv_handle_t *)&w->delay, work_free);
		return;
	}
	session_host_of(s->addr, host, sizeof(host));
	if (status == 0 && w->ok) {
		s->auth_work = NULL;
		if (w->peer) {
			/* A peer is not a member: it gets transit, not posting rights. */
			snprintf(s->peer, sizeof(s->peer), "%s", w->user);
			log_info("%s: peer %s authenticated with AUTHINFO", s->addr, w->user);
		} else {
			snprintf(s->user, sizeof(s->user), "%s", w->user);
			s->role = w->role;
			snprintf(s->user_address, sizeof(s->user_address), "%s", w->address);
			log_info("%s: %s logged in (%s)", s->addr, w->user, auth_role_name(w->role));
		}
		e = fail_slot(d->auth, host, 0, now);
		if (e)
			e->count = 0;
		session_reply(s, 281, "Authentication accepted");
		session_resume(s);
		uv_close((uv_handle_t *)&w->delay, work_free);
		return;
	}
	/* A wrong password: slow the address down, and keep a record. */
	d->login_failures++;
	e = fail_slot(d->auth, host, 1, now);
	e->count++;
	e->last = now;
	delay = e->count >= 6 ? FAIL_MAX_DELAY_S : 1u << (e->count - 1);
	if (delay > FAIL_MAX_DELAY_S)
		delay = FAIL_MAX_DELAY_S;
	log_warn("%s: login failed for '%s' (%d failures from %s, next answer in %us)", s->addr,
		 w->user, e->count, host, delay);
	store_event_add(d->store, now, "login-failure", w->user, host, NULL);
	uv_timer_start(&w->delay, on_delay, (uint64_t)delay * 1000, 0);
}

/* Look up the name and start the check on the thread pool. */
static void check_password(struct session *s, const char *password)
{
	struct mootd *d = s->d;
	struct auth_work *w = calloc(1, sizeof(*w));
	size_t i;

	if (w == NULL || strlen(password) >= sizeof(w->password)) {
		free(w);
		session_reply(s, 481, "Authentication failed");
		return;
	}
	w->req.data = w;
	w->s = s;
	w->d = d;
	snprintf(w->user, sizeof(w->user), "%s", s->pending_user);
	snprintf(w->password, sizeof(w->password), "%s", password);
	snprintf(w->hash, sizeof(w->hash), "%s", dummy_hash);
	for (i = 0; i < d->cfg.npeers; i++) {
		const struct config_peer *p = &d->cfg.peers[i];
		if (p->identity_user && strcmp(p->identity_user, w->user) == 0) {
			w->known = 1;
			w->peer = 1;
			w->role = ROLE_MEMBER;
			snprintf(w->user, sizeof(w->user), "%s", p->name);
			snprintf(w->hash, sizeof(w->hash), "%s", p->identity_password_hash);
			break;
		}
	}
	if (!w->peer && store_user_get(d->store, s->pending_user, got_user, w) != 0 && !w->known)
		w->known = 0;
	if (!w->known)
		snprintf(w->hash, sizeof(w->hash), "%s", dummy_hash);
	s->pending_user[0] = '\0';
	uv_timer_init(d->loop, &w->delay);
	w->delay.data = w;
	if (uv_queue_work(d->loop, &w->req, work_run, work_done) != 0) {
		uv_close((uv_handle_t *)&w->delay, work_free);
		session_reply(s, 403, "Internal fault");
		return;
	}
	s->auth_work = w;
	pending_add(d->auth, w);
	session_wait(s);
}

void auth_stop(struct mootd *d)
{
	struct auth_work *w;

	/* Shutdown: delayed 481s are not worth waiting for. */
	for (w = d->auth ? d->auth->pending : NULL; w; w = w->next) {
		if (w->s) {
			w->s->auth_work = NULL;
			w->s = NULL;
		}
		if (uv_is_active((uv_handle_t *)&w->delay)) {
			uv_timer_stop(&w->delay);
			uv_close((uv_handle_t *)&w->delay, work_free);
		}
	}
}

void auth_authinfo(struct session *s, struct command *cmd)
{
	const char *what = cmd->argc >= 1 ? cmd->argv[0] : "";

	/* RFC 4643 §2.2: credentials only over an encrypted connection. */
	if (!xport_is_tls(&s->x)) {
		session_reply(s, 483, "Encryption required (use STARTTLS or the TLS port)");
		return;
	}
	if (s->user[0]) {
		session_reply(s, 502, "Already authenticated");
		return;
	}
	if (strcasecmp(what, "USER") == 0) {
		if (cmd->argc != 2 || strlen(cmd->argv[1]) >= sizeof(s->pending_user)) {
			session_reply(s, 501, "Syntax: AUTHINFO USER name");
			return;
		}
		snprintf(s->pending_user, sizeof(s->pending_user), "%s", cmd->argv[1]);
		session_reply(s, 381, "Password required");
		return;
	}
	if (strcasecmp(what, "PASS") == 0) {
		if (cmd->argc < 2) {
			session_reply(s, 501, "Syntax: AUTHINFO PASS password");
			return;
		}
		if (s->pending_user[0] == '\0') {
			session_reply(s, 482, "Authentication commands issued out of sequence");
			return;
		}
		/* command_parse gives the password as the rest of the line,
		 * blanks included (RFC 4643 §3.1), so argc is 2 here. */
		assert(cmd->argc == 2);
		check_password(s, cmd->argv[1]);
		return;
	}
	session_reply(s, 501, "Unknown AUTHINFO variant (USER and PASS are supported)");
}

void auth_session_closed(struct session *s)
{
	if (s->auth_work) {
		s->auth_work->s = NULL;
		s->auth_work = NULL;
	}
}

int auth_may_read(const struct session *s)
{
	return s->d->cfg.access_read == ACCESS_OPEN || s->user[0] || s->peer[0];
}

int auth_may_post(const struct session *s)
{
	return s->d->cfg.access_post == ACCESS_OPEN || s->user[0];
}

int auth_is_admin(const struct session *s)
{
	size_t i;

	if (s->user[0] == '\0')
		return 0;
	if (s->role == ROLE_ADMIN)
		return 1;
	for (i = 0; i < s->d->cfg.nadmins; i++)
		if (strcmp(s->d->cfg.admins[i], s->user) == 0)
			return 1;
	return 0;
}

int auth_moderates(const struct session *s, const char *group)
{
	size_t i;

	if (s->user[0] == '\0')
		return 0;
	if (auth_is_admin(s) || s->role == ROLE_MODERATOR)
		return 1;
	for (i = 0; i < s->d->cfg.nmoderators; i++) {
		const struct config_moderator *m = &s->d->cfg.moderators[i];
		if (strcmp(m->user, s->user) == 0 && wildmat_match(m->groups, group))
			return 1;
	}
	return 0;
}
