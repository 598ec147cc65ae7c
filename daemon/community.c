/*
 * community.c: the community manager's side of moot.
 *
 * POST goes through here before ingest.c: the session must be allowed to
 * post (server.access), not banned, under its hourly rate limits, and an
 * authenticated member's From must be their own address.  An article for a
 * moderated group from someone who does not moderate it is not ingested but
 * kept in the moderation queue (the poster gets 240 saying so); a moderator
 * approves it (the server adds Approved and ingests it as usual) or rejects
 * it.  Cancels are control articles (RFC 5537 §5.3) made by the server for
 * the author or a moderator, ingested like any article so they reach peers.
 * Every moderator action goes to the audit log (events).
 *
 * Replies of the extension use the private codes (RFC 3977 §3.2.1.1):
 * 290 list follows, 291 done, 292 figures follow, 490 no such item.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../proto/moot.h"
#include "../proto/article.h"
#include "../proto/command.h"
#include "../proto/date.h"
#include "../proto/wildmat.h"
#include "auth.h"
#include "community.h"
#include "ingest.h"
#include "mootd.h"
#include "session.h"
#include "store.h"

#define RATE_SLOTS 4096		/* posters whose recent posts we remember */
#define RATE_WINDOW_S 3600
#define BAN_MAX_S 3155760000LL	/* the longest ban with an end: 100 years (0 is for good) */

/* Recent post times of one user or address, for the hourly limits. */
struct rate {
	char key[96];		/* "u:name" or "a:host", "" when free */
	int64_t *times;		/* ring of the last `cap` post times */
	int cap, n, head;
	int64_t last;		/* newest post, for eviction */
};

struct community {
	struct rate rates[RATE_SLOTS];
};

int community_init(struct mootd *d)
{
	d->community = calloc(1, sizeof(*d->community));
	return d->community ? 0 : MOOT_ENOMEM;
}

void community_free(struct mootd *d)
{
	size_t i;

	if (d->community == NULL)
		return;
	for (i = 0; i < RATE_SLOTS; i++)
		free(d->community->rates[i].times);
	free(d->community);
	d->community = NULL;
}

/* The rate entry for key (created when asked, evicting the stalest). */
static struct rate *rate_find(struct community *c, const char *key, int create)
{
	struct rate *stalest = &c->rates[0];
	size_t i;

	for (i = 0; i < RATE_SLOTS; i++) {
		struct rate *r = &c->rates[i];
		if (r->key[0] && strcmp(r->key, key) == 0)
			return r;
		if (r->last < stalest->last)
			stalest = r;
	}
	if (!create)
		return NULL;
	free(stalest->times);
	memset(stalest, 0, sizeof(*stalest));
	snprintf(stalest->key, sizeof(stalest->key), "%s", key);
	return stalest;
}

/* Seconds until key may post again under limit per hour (0: now). */
static int64_t rate_wait(struct community *c, const char *key, long limit, int64_t now)
{
	struct rate *r;
	int64_t oldest;

	if (limit <= 0 || (r = rate_find(c, key, 0)) == NULL || r->n < limit || r->cap < limit)
		return 0;
	/* The ring is full: the oldest of the last `limit` posts decides. */
	oldest = r->times[r->head];
	return oldest + RATE_WINDOW_S > now ? oldest + RATE_WINDOW_S - now : 0;
}

static void rate_note(struct community *c, const char *key, long limit, int64_t now)
{
	struct rate *r;

	if (limit <= 0 || (r = rate_find(c, key, 1)) == NULL)
		return;
	if (r->cap != limit) {
		free(r->times);
		r->times = calloc((size_t)limit, sizeof(*r->times));
		r->cap = r->times ? (int)limit : 0;
		r->n = r->head = 0;
		if (r->cap == 0)
			return;
	}
	r->times[r->head] = now;
	r->head = (r->head + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
	r->last = now;
}

/* The keys a session's posts are counted under. */
static void rate_keys(const struct session *s, char *ukey, size_t ulen, char *akey, size_t alen)
{
	char host[64];

	session_host_of(s->addr, host, sizeof(host));
	snprintf(ukey, ulen, "u:%s", s->user);
	snprintf(akey, alen, "a:%s", host);
}

/* Seconds the session must wait before posting again, or 0. */
static int64_t post_wait(struct session *s)
{
	struct mootd *d = s->d;
	char ukey[96], akey[96];
	int64_t now = mootd_now(), w = 0, wa;

	rate_keys(s, ukey, sizeof(ukey), akey, sizeof(akey));
	if (s->user[0])
		w = rate_wait(d->community, ukey, d->cfg.posts_per_hour_user, now);
	wa = rate_wait(d->community, akey, d->cfg.posts_per_hour_address, now);
	return wa > w ? wa : w;
}

static void post_counted(struct session *s)
{
	struct mootd *d = s->d;
	char ukey[96], akey[96];
	int64_t now = mootd_now();

	rate_keys(s, ukey, sizeof(ukey), akey, sizeof(akey));
	if (s->user[0])
		rate_note(d->community, ukey, d->cfg.posts_per_hour_user, now);
	rate_note(d->community, akey, d->cfg.posts_per_hour_address, now);
}

/* A ban in force on the session's member or address: 1 and a reply made. */
static int banned(struct session *s, int code)
{
	char host[64], reason[200], when[64];
	int64_t until = 0;
	int rc = 0;

	session_host_of(s->addr, host, sizeof(host));
	if (s->user[0])
		rc = store_ban_active(s->d->store, "user", s->user, mootd_now(), &until, reason, sizeof(reason));
	if (rc <= 0)
		rc = store_ban_active(s->d->store, "address", host, mootd_now(), &until, reason,
				      sizeof(reason));
	if (rc <= 0)
		return 0;
	if (until)
		date_format_rfc5322(until, when, sizeof(when));
	session_reply(s, code, "Posting not permitted: banned %s%s%s%s", until ? "until " : "for good",
		      until ? when : "", reason[0] ? ": " : "", reason);
	return 1;
}

/* Does any active group take posts at all? */
static int posting_possible(struct mootd *d)
{
	size_t i;

	for (i = 0; i < d->ngroups; i++)
		if (d->groups[i]->active && d->groups[i]->posting != POSTING_NO)
			return 1;
	return 0;
}

/* The 441 text for an ingest result (RFC 3977 §6.3.1.2). */
static const char *reason(int rc, const char *why)
{
	if (why)
		return why;
	switch (rc) {
	case MOOT_EEXIST:
		return "Duplicate message-id";
	case MOOT_ENOTFOUND:
		return "No such newsgroup";
	case MOOT_EINVAL:
		return "Posting not allowed to that group";
	case MOOT_ESTORE:
		return "Storage failure";
	default:
		return "Article rejected";
	}
}

/* ingest_cb of a POST: the article committed (or not). */
static void post_done(void *arg, int status, const char *msgid, const char *why)
{
	struct session *s = arg;

	if (status == 0) {
		post_counted(s);
		session_reply(s, 240, "Article received %s", msgid ? msgid : "");
	} else {
		s->d->posts_rejected++;
		session_reply(s, 441, "%s", reason(status, why));
	}
	session_resume(s);
}

/* Put a header line in front of an article (wire form). */
static int prepend_header(struct buf *art, const char *name, const char *value)
{
	struct buf b = { 0 };

	if (buf_printf(&b, "%s: %s\r\n", name, value) != 0 || buf_append(&b, art->data, art->len) != 0) {
		buf_release(&b);
		return MOOT_ENOMEM;
	}
	buf_release(art);
	*art = b;
	return 0;
}

struct modcheck {
	struct session *s;
	int moderated;		/* some group is moderated */
	int all_mine;		/* the poster moderates every moderated one */
};

static int modcheck_one(void *arg, const char *name, size_t len)
{
	struct modcheck *m = arg;
	struct group *g = groups_find_n(m->s->d, name, len);

	if (g && g->active && g->posting == POSTING_MODERATED) {
		m->moderated = 1;
		if (!auth_moderates(m->s, g->name))
			m->all_mine = 0;
	}
	return 0;
}

/* Who approves, as written in Approved (RFC 5536 §3.2.1). */
static void approver(const struct session *s, char *out, size_t outlen)
{
	if (s->user_address[0])
		snprintf(out, outlen, "%s", s->user_address);
	else
		snprintf(out, outlen, "%s@%s", s->user, s->d->cfg.pathhost);
}

/* Keep the article for a moderator; the poster hears it awaits approval. */
static void queue_for_moderation(struct session *s, struct buf *art, const struct article *a)
{
	struct store_mod m;
	const struct article_header *h;
	char host[64], msgid[MOOT_MAX_MSGID + 1];
	struct buf from = { 0 }, subject = { 0 }, groups = { 0 };
	int64_t id;
	int rc;

	h = article_get(a, "Message-ID");
	if (h == NULL) {
		/* Give it its id now, so the poster can follow it. */
		ingest_make_msgid(s->d, msgid, sizeof(msgid));
	} else {
		snprintf(msgid, sizeof(msgid), "%.*s", (int)h->value_len, h->value);
	}
	h = article_get(a, "From");
	article_overview_value(h->value, h->value_len, &from);
	h = article_get(a, "Subject");
	article_overview_value(h->value, h->value_len, &subject);
	h = article_get(a, "Newsgroups");
	article_overview_value(h->value, h->value_len, &groups);
	session_host_of(s->addr, host, sizeof(host));
	if (store_msgid_seen(s->d->store, msgid) > 0 || store_mod_has_msgid(s->d->store, msgid) > 0) {
		session_reply(s, 441, "Duplicate message-id");
		goto out;
	}
	/* a points into art: everything needed was copied above. */
	if (article_get(a, "Message-ID") == NULL && prepend_header(art, "Message-ID", msgid) != 0) {
		session_reply(s, 441, "Out of memory");
		goto out;
	}
	m = (struct store_mod){ 0, mootd_now(), s->user, host, groups.data ? groups.data : "", msgid,
				from.data ? from.data : "", subject.data ? subject.data : "", art->data,
				art->len };
	rc = store_mod_add(s->d->store, &m, &id);
	if (rc != 0) {
		session_reply(s, 441, "Storage failure");
		goto out;
	}
	post_counted(s);
	store_event_add(s->d->store, mootd_now(), "queued", s->user[0] ? s->user : host, msgid, groups.data);
	log_info("%s: %s queued for moderation as #%lld", s->addr, msgid, (long long)id);
	session_reply(s, 240, "Article received %s; it awaits moderator approval", msgid);
out:
	buf_release(&from);
	buf_release(&subject);
	buf_release(&groups);
}

static void cancel_for(struct session *s, const char *id, int via_post);
static int supersede_allowed(struct session *s, const struct article_header *h, const char **why);

/* The article block of a POST is complete. */
static void post_received(struct session *s, struct buf *art, int status)
{
	struct article *a;
	struct modcheck mc = { s, 0, 1 };
	const struct article_header *h;
	const char *why = NULL;
	struct buf addr = { 0 };
	char who[300];
	int64_t wait;
	int rc;

	if (status == MOOT_ETOOBIG) {
		session_reply(s, 441, "Article too large (limit %ld bytes)", s->d->cfg.max_article_bytes);
		return;
	}
	wait = post_wait(s);
	if (wait > 0) {
		/* Issue 6: the 441 says when to retry. */
		session_reply(s, 441, "Posting limit reached; try again in %lld minutes",
			      (long long)((wait + 59) / 60));
		return;
	}
	a = malloc(sizeof(*a));
	if (a == NULL) {
		session_reply(s, 441, "Out of memory");
		return;
	}
	rc = article_parse(art->data ? art->data : "", art->len, a, &why);
	if (rc == 0)
		rc = article_check_post(a, &why);
	if (rc == 0 && (h = article_get(a, "Control")) != NULL) {
		const char *id;
		size_t n;

		if (article_control_cancel(h->value, h->value_len, &id, &n) == 0) {
			/* A newsreader's "cancel": done as XCANCEL would. */
			char target[MOOT_MAX_MSGID + 1];

			memcpy(target, id, n);
			target[n] = '\0';
			cancel_for(s, target, 1);
			goto out;
		}
		why = "Control messages other than cancel are not accepted from readers";
		rc = MOOT_EINVAL;
	}
	if (rc == 0 && (h = article_get(a, "Supersedes")) != NULL && !supersede_allowed(s, h, &why))
		rc = MOOT_EINVAL;
	if (rc == 0 && s->user_address[0]) {
		/* A member posts as themselves. */
		h = article_get(a, "From");
		if (article_from_address(h->value, h->value_len, &addr) != 0 ||
		    strcasecmp(addr.data, s->user_address) != 0) {
			session_reply(s, 441, "From must be your address <%s>", s->user_address);
			goto out;
		}
	}
	if (rc != 0) {
		session_reply(s, 441, "%s", why ? why : "Article rejected");
		goto out;
	}
	h = article_get(a, "Newsgroups");
	article_newsgroups(h->value, h->value_len, modcheck_one, &mc);
	if (mc.moderated && !mc.all_mine) {
		queue_for_moderation(s, art, a);
		goto out;
	}
	if (mc.moderated && article_get(a, "Approved") == NULL) {
		approver(s, who, sizeof(who));
		if (prepend_header(art, "Approved", who) != 0) {
			session_reply(s, 441, "Out of memory");
			goto out;
		}
	}
	rc = ingest_article(s->d, INGEST_POST, NULL, NULL, art, post_done, s, &why);
	if (rc != 0) {
		s->d->posts_rejected++;
		session_reply(s, 441, "%s", reason(rc, why));
		goto out;
	}
	/* The 240 waits for the commit (DESIGN.md: 2xx only after it). */
	session_wait(s);
out:
	buf_release(&addr);
	free(a);
}

void community_post(struct session *s, struct command *cmd)
{
	if (!posting_possible(s->d)) {
		session_reply(s, 440, "Posting not permitted");
		return;
	}
	if (!auth_may_post(s)) {
		session_reply(s, 480, "Authentication required for posting (AUTHINFO over TLS)");
		return;
	}
	if (banned(s, 440))
		return;
	session_reply(s, 340, "Send article to be posted");
	session_receive_article(s, post_received);
}

/* ---- XMOD ---- */

/* 1 if the session moderates some group (or is an admin); else replies. */
static int need_moderator(struct session *s)
{
	size_t i;

	if (s->user[0] == '\0') {
		session_reply(s, 480, "Authentication required");
		return 0;
	}
	if (auth_is_admin(s))
		return 1;
	for (i = 0; i < s->d->ngroups; i++)
		if (auth_moderates(s, s->d->groups[i]->name))
			return 1;
	session_reply(s, 502, "Permission denied: moderators only");
	return 0;
}

struct groups_ok {
	struct session *s;
	int any, all;		/* moderates any / all of the groups named */
	const char *wildmat;
	int match;
	int moderated_only;	/* count only the active moderated groups (the queue) */
};

static int groups_ok_one(void *arg, const char *name, size_t len)
{
	struct groups_ok *c = arg;
	char g[MOOT_MAX_GROUP];
	struct group *grp;

	snprintf(g, sizeof(g), "%.*s", (int)len, name);
	if (c->moderated_only) {
		/* A crosspost's unmoderated groups need no approval. */
		grp = groups_find(c->s->d, g);
		if (grp == NULL || !grp->active || grp->posting != POSTING_MODERATED)
			return 0;
	}
	if (auth_moderates(c->s, g))
		c->any = 1;
	else
		c->all = 0;
	if (c->wildmat && wildmat_match(c->wildmat, g))
		c->match = 1;
	return 0;
}

struct queue_ctx {
	struct session *s;
	const char *wildmat;
};

static int queue_row(void *arg, const struct store_mod *m)
{
	struct queue_ctx *c = arg;
	struct groups_ok ok = { c->s, 0, 1, c->wildmat, c->wildmat == NULL, 1 };

	article_newsgroups(m->groups, strlen(m->groups), groups_ok_one, &ok);
	if (!ok.any || !ok.match)
		return 0;
	session_line(c->s, "%lld\t%lld\t%s\t%s\t%s\t%s\t%s", (long long)m->id, (long long)m->submitted,
		     m->user[0] ? m->user : "-", m->groups, m->msgid, m->from, m->subject);
	return 0;
}

struct mod_item {
	struct buf article;
	char msgid[MOOT_MAX_MSGID + 1];
	char groups[1024];
	int found;
};

static int got_item(void *arg, const struct store_mod *m)
{
	struct mod_item *it = arg;

	it->found = 1;
	buf_append(&it->article, m->article, m->article_len);
	snprintf(it->msgid, sizeof(it->msgid), "%s", m->msgid);
	snprintf(it->groups, sizeof(it->groups), "%s", m->groups);
	return 0;
}

/* Load queued article id the session may act on; 0, or -1 after a reply. */
static int load_item(struct session *s, const char *arg, struct mod_item *it)
{
	struct groups_ok ok = { s, 0, 1, NULL, 1, 1 };
	char *end;
	long long id = strtoll(arg, &end, 10);

	memset(it, 0, sizeof(*it));
	if (*arg == '\0' || *end != '\0' || id <= 0) {
		session_reply(s, 501, "Syntax error in queue id");
		return -1;
	}
	if (store_mod_get(s->d->store, id, got_item, it) != 0 || !it->found) {
		session_reply(s, 490, "No such queued article");
		return -1;
	}
	article_newsgroups(it->groups, strlen(it->groups), groups_ok_one, &ok);
	if (!ok.all && !auth_is_admin(s)) {
		buf_release(&it->article);
		session_reply(s, 502, "Permission denied: you do not moderate all of %s", it->groups);
		return -1;
	}
	return 0;
}

/* ingest_cb of an approval (s->pending_mod is the queue id). */
static void approved(void *arg, int status, const char *msgid, const char *why)
{
	struct session *s = arg;

	if (status == 0 || status == MOOT_EEXIST) {
		store_mod_delete(s->d->store, s->pending_mod);
		store_event_add(s->d->store, mootd_now(), "approve", s->user, msgid, NULL);
		log_info("%s: %s approved %s", s->addr, s->user, msgid);
		session_reply(s, 291, "Approved %s", msgid);
	} else {
		session_reply(s, 441, "Approval failed: %s", reason(status, why));
	}
	s->pending_mod = 0;
	session_resume(s);
}

static void xmod_approve(struct session *s, const char *arg)
{
	struct mod_item it;
	const char *why = NULL;
	char who[300];
	int rc;

	if (load_item(s, arg, &it) != 0)
		return;
	approver(s, who, sizeof(who));
	if (prepend_header(&it.article, "Approved", who) != 0) {
		buf_release(&it.article);
		session_reply(s, 403, "Out of memory");
		return;
	}
	s->pending_mod = strtoll(arg, NULL, 10);
	rc = ingest_article(s->d, INGEST_LOCAL, NULL, NULL, &it.article, approved, s, &why);
	buf_release(&it.article);
	if (rc == MOOT_EEXIST) {
		/* Approved before a crash, or twice: it is in already. */
		store_mod_delete(s->d->store, s->pending_mod);
		s->pending_mod = 0;
		session_reply(s, 291, "Approved %s (it was already in)", it.msgid);
		return;
	}
	if (rc != 0) {
		s->pending_mod = 0;
		session_reply(s, 441, "Approval failed: %s", reason(rc, why));
		return;
	}
	session_wait(s);
}

static void xmod(struct session *s, struct command *cmd);

void community_xmod(struct session *s, struct command *cmd)
{
	if (!need_moderator(s))
		return;
	xmod(s, cmd);
}

/* Parse "USER name" / "ADDRESS host" into kind and target. */
static const char *ban_kind(const char *word)
{
	if (strcasecmp(word, "USER") == 0)
		return "user";
	if (strcasecmp(word, "ADDRESS") == 0)
		return "address";
	return NULL;
}

/* Join argv[from..] with single blanks (a reason). */
static void join(struct command *cmd, int from, char *out, size_t outlen)
{
	size_t n = 0;
	int i;

	out[0] = '\0';
	for (i = from; i < cmd->argc && n + 1 < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%s", i > from ? " " : "", cmd->argv[i]);
}

static void xmod(struct session *s, struct command *cmd)
{
	const char *sub = cmd->argv[0];
	struct store *st = s->d->store;
	char why[300];

	if (strcasecmp(sub, "QUEUE") == 0) {
		struct queue_ctx c = { s, cmd->argc > 1 ? cmd->argv[1] : NULL };
		if (cmd->argc > 2) {
			session_reply(s, 501, "Syntax: XMOD QUEUE [wildmat]");
			return;
		}
		session_reply(s, 290, "Moderation queue follows (id, submitted, user, groups, message-id, from, subject)");
		store_mod_each(st, 0, queue_row, &c);
		session_end(s);
	} else if (strcasecmp(sub, "SHOW") == 0 && cmd->argc == 2) {
		struct mod_item it;
		if (load_item(s, cmd->argv[1], &it) != 0)
			return;
		session_reply(s, 290, "Queued article %s follows", it.msgid);
		/* Stored in wire form: copied as it is. */
		session_write(s, it.article.data, it.article.len);
		session_end(s);
		buf_release(&it.article);
	} else if (strcasecmp(sub, "APPROVE") == 0 && cmd->argc == 2) {
		xmod_approve(s, cmd->argv[1]);
	} else if (strcasecmp(sub, "REJECT") == 0 && cmd->argc >= 2) {
		struct mod_item it;
		if (load_item(s, cmd->argv[1], &it) != 0)
			return;
		buf_release(&it.article);
		join(cmd, 2, why, sizeof(why));
		store_mod_delete(st, strtoll(cmd->argv[1], NULL, 10));
		store_event_add(st, mootd_now(), "reject", s->user, it.msgid, why);
		log_info("%s: %s rejected %s: %s", s->addr, s->user, it.msgid, why);
		session_reply(s, 291, "Rejected %s", it.msgid);
	} else if (strcasecmp(sub, "BAN") == 0 && cmd->argc >= 4 && ban_kind(cmd->argv[1])) {
		char *end;
		long long secs = strtoll(cmd->argv[3], &end, 10);
		int64_t now = mootd_now();
		/* bounded, so that now + secs cannot overflow (strtoll saturates) */
		if (*end != '\0' || secs < 0 || secs > BAN_MAX_S) {
			session_reply(s, 501, "Syntax: XMOD BAN USER|ADDRESS target seconds [reason]");
			return;
		}
		join(cmd, 4, why, sizeof(why));
		if (store_ban_add(st, ban_kind(cmd->argv[1]), cmd->argv[2], secs ? now + secs : 0, why,
				  s->user, now) != 0) {
			session_reply(s, 403, "Storage failure");
			return;
		}
		store_event_add(st, now, "ban", s->user, cmd->argv[2], why);
		log_info("%s: %s banned %s %s for %llds: %s", s->addr, s->user, ban_kind(cmd->argv[1]),
			 cmd->argv[2], secs, why);
		session_reply(s, 291, "Banned %s", cmd->argv[2]);
	} else if (strcasecmp(sub, "UNBAN") == 0 && cmd->argc == 3 && ban_kind(cmd->argv[1])) {
		if (store_ban_remove(st, ban_kind(cmd->argv[1]), cmd->argv[2]) != 0) {
			session_reply(s, 490, "No ban on %s", cmd->argv[2]);
			return;
		}
		store_event_add(st, mootd_now(), "unban", s->user, cmd->argv[2], NULL);
		session_reply(s, 291, "Unbanned %s", cmd->argv[2]);
	} else {
		session_reply(s, 501, "Syntax: XMOD QUEUE|SHOW|APPROVE|REJECT|BAN|UNBAN ...");
	}
}

/* ---- XCANCEL ---- */

struct target {
	int found;
	struct buf from;	/* the poster's address */
	struct buf groups;	/* from Xref: "a,b" */
};

static int got_target(void *arg, const struct store_over *row)
{
	struct target *t = arg;
	const char *p = strchr(row->xref, ' ');

	t->found = 1;
	article_from_address(row->from, strlen(row->from), &t->from);
	/* Xref: "pathhost group:n group:n" -> "group,group". */
	while (p && *p) {
		const char *g = p + 1, *colon = strchr(g, ':');
		if (colon == NULL)
			break;
		if (t->groups.len)
			buf_append(&t->groups, ",", 1);
		buf_append(&t->groups, g, (size_t)(colon - g));
		p = strchr(colon, ' ');
	}
	return 0;
}

static void cancelled(void *arg, int status, const char *msgid, const char *why)
{
	struct session *s = arg;

	if (status == 0)
		session_reply(s, 291, "Cancelled");
	else
		session_reply(s, 441, "Cancel failed: %s", reason(status, why));
	session_resume(s);
}

/* The same for a cancel a reader POSTed: a POST's codes. */
static void cancelled_post(void *arg, int status, const char *msgid, const char *why)
{
	struct session *s = arg;

	if (status == 0)
		session_reply(s, 240, "Article received %s", msgid);
	else
		session_reply(s, 441, "Cancel failed: %s", reason(status, why));
	session_resume(s);
}

/*
 * May s withdraw (cancel, supersede) the stored article id?  It must be its
 * author (a logged-in member whose address is its From), a moderator of one
 * of its groups or an admin.  0 (*author: as its author), MOOT_ENOTFOUND
 * when it is not stored here, MOOT_EINVAL when s may not; t gets its From
 * and groups (the caller releases them).
 */
static int may_withdraw(struct session *s, const char *id, struct target *t, int *author)
{
	struct groups_ok ok = { s, 0, 1, NULL, 1, 0 };
	int64_t article_id;

	*author = 0;
	if (store_msgid_get(s->d->store, id, &article_id) != 0 ||
	    store_over_article(s->d->store, article_id, 0, got_target, t) != 0 || !t->found)
		return MOOT_ENOTFOUND;
	article_newsgroups(t->groups.data ? t->groups.data : "", t->groups.len, groups_ok_one, &ok);
	*author = s->user_address[0] && t->from.data && strcasecmp(t->from.data, s->user_address) == 0;
	return *author || ok.any || auth_is_admin(s) ? 0 : MOOT_EINVAL;
}

/*
 * 1 if s may post an article that supersedes the one h names (RFC 5536
 * §3.2.12; ingest removes that one in the same commit): the right to cancel
 * it, unless it is not stored here.  Else 0 with *why.
 */
static int supersede_allowed(struct session *s, const struct article_header *h, const char **why)
{
	struct target t = { 0, { 0 }, { 0 } };
	char id[MOOT_MAX_MSGID + 1];
	const char *v;
	size_t n;
	int author, rc;

	if (article_single_msgid(h->value, h->value_len, &v, &n) != 0) {
		*why = "invalid Supersedes header";
		return 0;
	}
	memcpy(id, v, n);
	id[n] = '\0';
	rc = may_withdraw(s, id, &t, &author);
	buf_release(&t.from);
	buf_release(&t.groups);
	if (rc == MOOT_EINVAL) {
		*why = "Permission denied: only its author or a moderator may supersede it";
		return 0;
	}
	return 1;
}

/*
 * Cancel the article id for s, who must be its author (their address is its
 * From), a moderator of one of its groups or an admin: XCANCEL, or
 * (via_post) the cancel control article a newsreader POSTs for its user
 * (RFC 5537 §5.3), answered with a POST's codes, 240 or 441.
 */
static void cancel_for(struct session *s, const char *id, int via_post)
{
	struct target t = { 0, { 0 }, { 0 } };
	struct buf art = { 0 };
	char who[300];
	const char *why = NULL;
	int author, rc;

	if (s->user[0] == '\0') {
		session_reply(s, via_post ? 441 : 480, "Authentication required to cancel");
		return;
	}
	if (strlen(id) > MOOT_MAX_MSGID || !article_msgid_valid(id, strlen(id))) {
		session_reply(s, 501, "Syntax: XCANCEL <message-id>");
		return;
	}
	rc = may_withdraw(s, id, &t, &author);
	if (rc == MOOT_ENOTFOUND) {
		session_reply(s, via_post ? 441 : 430, "No article with that message-id");
		goto out;
	}
	if (rc != 0) {
		session_reply(s, via_post ? 441 : 502,
			      "Permission denied: only its author or a moderator may cancel it");
		goto out;
	}
	approver(s, who, sizeof(who));
	/* RFC 5537 §5.3: a cancel control article, sent on like any other. */
	buf_printf(&art, "From: %s\r\nNewsgroups: %s\r\nSubject: cmsg cancel %s\r\nControl: cancel %s\r\n",
		   who, t.groups.data ? t.groups.data : "", id, id);
	if (!author)
		buf_printf(&art, "Approved: %s\r\n", who);
	buf_printf(&art, "\r\nCancelled by %s.\r\n", s->user);
	rc = ingest_article(s->d, INGEST_LOCAL, NULL, NULL, &art, via_post ? cancelled_post : cancelled, s,
			    &why);
	if (rc != 0) {
		session_reply(s, 441, "Cancel failed: %s", reason(rc, why));
		goto out;
	}
	store_event_add(s->d->store, mootd_now(), "cancel", s->user, id, author ? "author" : "moderator");
	log_info("%s: %s cancelled %s%s", s->addr, s->user, id, via_post ? " (a posted cancel)" : "");
	session_wait(s);
out:
	buf_release(&art);
	buf_release(&t.from);
	buf_release(&t.groups);
}

void community_xcancel(struct session *s, struct command *cmd)
{
	cancel_for(s, cmd->argv[0], 0);
}

/* ---- XSTATS ---- */

void community_xstats(struct session *s, struct command *cmd)
{
	const char *w = cmd->argc > 0 ? cmd->argv[0] : "*";
	struct store_stats st;
	int64_t *ids, days = 30;
	size_t i, n = 0;
	int k;

	if (!need_moderator(s))
		return;
	if (cmd->argc > 1) {
		char *end;
		days = strtoll(cmd->argv[1], &end, 10);
		if (*end != '\0' || days < 1 || days > 3650) {
			session_reply(s, 501, "Syntax: XSTATS [wildmat [days]] (days 1..3650)");
			return;
		}
	}
	if (wildmat_valid(w) != 0) {
		session_reply(s, 501, "Invalid wildmat");
		return;
	}
	ids = calloc(s->d->ngroups + 1, sizeof(*ids));
	if (ids == NULL) {
		session_reply(s, 403, "Out of memory");
		return;
	}
	for (i = 0; i < s->d->ngroups; i++)
		if (s->d->groups[i]->active && wildmat_match(w, s->d->groups[i]->name))
			ids[n++] = s->d->groups[i]->id;
	if (store_stats(s->d->store, ids, n, mootd_now() - days * 86400, &st) != 0) {
		free(ids);
		session_reply(s, 403, "Storage failure");
		return;
	}
	free(ids);
	session_reply(s, 292, "Figures for %s over %lld days follow", w, (long long)days);
	session_line(s, "groups %zu", n);
	session_line(s, "posts %lld", (long long)st.posts);
	session_line(s, "threads %lld", (long long)st.threads);
	session_line(s, "posters %lld", (long long)st.posters);
	session_line(s, "new_posters %lld", (long long)st.new_posters);
	session_line(s, "unanswered %lld", (long long)st.unanswered);
	session_line(s, "reply_p50_s %lld", (long long)st.reply_p50);
	session_line(s, "reply_p90_s %lld", (long long)st.reply_p90);
	for (k = 0; k < st.ntop; k++)
		session_line(s, "top %lld %lld %s", (long long)st.top[k].article_id,
			     (long long)st.top[k].replies, st.top[k].subject);
	session_end(s);
}
