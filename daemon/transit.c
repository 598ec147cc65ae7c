/*
 * transit.c: articles offered by peers (IHAVE, MODE STREAM, CHECK, TAKETHIS).
 *
 * A peer is recognised by the fingerprint of the client certificate it
 * presents on the TLS handshake (DESIGN.md, Federation).  Everything it
 * sends goes through ingest.c like a POST does, with the peer's accept
 * wildmat applied; the 235/239 goes out only after the commit.
 *
 * Replies: IHAVE 335/435/436 then 235/436/437 (RFC 3977 §6.3.2); CHECK
 * 238/431/438 and TAKETHIS 239/439 with the message-id (RFC 4644 §2.4-2.5).
 * A TAKETHIS article is always read to its end, even when it will be
 * refused, so the stream stays in step.
 */
#include <stdio.h>
#include <string.h>

#include "../proto/moot.h"
#include "../proto/article.h"
#include "../proto/command.h"
#include "../proto/tls.h"
#include "ingest.h"
#include "session.h"
#include "store.h"
#include "transit.h"

enum { T_IHAVE = 1, T_TAKETHIS = 2 };

void transit_identify(struct session *s)
{
	char fp[80];
	size_t i;

	if (xport_peer_fingerprint(&s->x, fp, sizeof(fp)) != 0)
		return;
	for (i = 0; i < s->d->cfg.npeers; i++) {
		const struct config_peer *p = &s->d->cfg.peers[i];
		if (p->identity_fingerprint && tls_fingerprint_equal(fp, p->identity_fingerprint)) {
			snprintf(s->peer, sizeof(s->peer), "%s", p->name);
			log_info("%s: peer %s identified by its certificate", s->addr, p->name);
			return;
		}
	}
	log_info("%s: client certificate %s is no configured peer", s->addr, fp);
}

/* The session's peer, if it is (still) configured. */
static const struct config_peer *peer_of(struct session *s)
{
	if (s->peer[0] == '\0')
		return NULL;
	return config_peer_find(&s->d->cfg, s->peer);
}

/* 1 if arg is a usable message-id argument. */
static int msgid_arg(const char *arg)
{
	return arg && strlen(arg) <= MOOT_MAX_MSGID && article_msgid_valid(arg, strlen(arg));
}

/* Do we already have it, or have we had it?  1, 0, or < 0 on a store error. */
static int have(struct session *s, const char *msgid)
{
	int rc = store_msgid_seen(s->d->store, msgid);

	return rc == 0 && ingest_was_refused(s->d, msgid) ? 1 : rc;
}


void transit_mode_stream(struct session *s)
{
	if (peer_of(s) == NULL) {
		session_reply(s, 502, "Transit service not permitted");
		return;
	}
	s->streaming = 1;
	session_reply(s, 203, "Streaming permitted");
}

/* CHECK <id> (RFC 4644 §2.4). */
void transit_check(struct session *s, struct command *cmd)
{
	const char *id = cmd->argc == 1 ? cmd->argv[0] : NULL;
	int rc;

	if (peer_of(s) == NULL) {
		session_reply(s, 480, "Transit service needs peer authentication");
		return;
	}
	if (!msgid_arg(id)) {
		session_reply(s, 501, "Syntax error in message-id");
		return;
	}
	rc = have(s, id);
	/* Still waiting for its commit or its sync to disk: ask the peer to try
	 * later (RFC 4644 §2.4); "have it" only once it is durable. */
	if (rc < 0 || ingest_pending(s->d, id))
		session_reply(s, 431, "%s", id);
	else if (rc > 0)
		session_reply(s, 438, "%s", id);
	else
		session_reply(s, 238, "%s", id);
}

/* Remember a refused message-id so it is not offered again. */
static void refuse(struct session *s, const char *msgid)
{
	if (msgid_arg(msgid))
		ingest_refused(s->d, msgid);
}

/* ingest_cb for IHAVE: the article committed, or did not. */
static void ihave_done(void *arg, int status, const char *msgid, const char *why)
{
	struct session *s = arg;

	if (status == 0)
		session_reply(s, 235, "Article transferred OK");
	else if (status == MOOT_ESTORE)
		session_reply(s, 436, "Storage failure, try again later");
	else
		session_reply(s, 437, "%s", why ? why : "Article rejected");
	session_resume(s);
}

/*
 * ingest_cb for TAKETHIS: fills the reply reserved when the article was
 * queued.  Streaming peers pipeline, so later commands went on meanwhile;
 * the slots keep the replies in order (RFC 4644 §2.5).
 */
static void takethis_done(void *arg, int status, const char *msgid, const char *why)
{
	struct session *s = arg;

	if (status == 0) {
		session_fill(s, 239, "%s", msgid);
	} else if (status == MOOT_ESTORE) {
		/* Not stored and not refused: the peer must offer it again. */
		session_fill(s, 400, "Storage failure, try again later");
		session_close_after_flush(s);
	} else {
		session_fill(s, 439, "%s", msgid);
	}
	session_resume(s);
}

/* The article of an IHAVE or TAKETHIS has been read. */
static void transfer_received(struct session *s, struct buf *art, int status)
{
	const struct config_peer *p = peer_of(s);
	int takethis = s->transit_cmd == T_TAKETHIS;
	const char *why = NULL;
	int rc;

	if (p == NULL) {
		/* TAKETHIS from a stranger: read, then refused (RFC 4644 §2.5). */
		session_reply(s, 480, "Transit service needs peer authentication");
		return;
	}
	if (status == MOOT_ETOOBIG) {
		rc = MOOT_ETOOBIG;
		why = "Article too large";
	} else if (!msgid_arg(s->transit_id)) {
		rc = MOOT_EPROTO;
		why = "Bad message-id";
	} else {
		rc = ingest_article(s->d, INGEST_PEER, p->name, s->transit_id, art,
				    takethis ? takethis_done : ihave_done, s, &why);
	}
	if (rc == 0) {
		/* IHAVE is lock-step; TAKETHIS keeps a place for its reply and
		 * lets the peer's next commands run meanwhile. */
		if (!takethis) {
			session_wait(s);
		} else if (session_defer(s) != 0) {
			log_err("%s: out of memory", s->addr);
			xport_abort(&s->x);
		}
		return;
	}
	if (rc == MOOT_ENOMEM || rc == MOOT_ESTORE) {
		/* Not refused: the peer offers it again later. */
		if (takethis) {
			session_reply(s, 400, "Server busy, try again later");
			session_close_after_flush(s);
		} else {
			session_reply(s, 436, "Try again later");
		}
		return;
	}
	if (rc != MOOT_EEXIST) {
		refuse(s, s->transit_id);
		log_info("%s: %s from %s refused: %s", s->addr, s->transit_id, s->peer,
			 why ? why : "rejected");
	}
	/* After the transfer, IHAVE knows only 235/436/437 (RFC 3977 §6.3.2.2). */
	if (takethis)
		session_reply(s, 439, "%s", s->transit_id);
	else
		session_reply(s, 437, "%s", rc == MOOT_EEXIST ? "Duplicate" : why ? why : "Article rejected");
}

/* IHAVE <id> (RFC 3977 §6.3.2). */
void transit_ihave(struct session *s, struct command *cmd)
{
	const char *id = cmd->argc == 1 ? cmd->argv[0] : NULL;
	int rc;

	if (peer_of(s) == NULL) {
		session_reply(s, 480, "Transit service needs peer authentication");
		return;
	}
	if (!msgid_arg(id)) {
		session_reply(s, 501, "Syntax error in message-id");
		return;
	}
	rc = have(s, id);
	if (rc >= 0 && ingest_pending(s->d, id))
		rc = -1;
	if (rc != 0) {
		session_reply(s, rc > 0 ? 435 : 436, rc > 0 ? "Duplicate" : "Try again later");
		return;
	}
	snprintf(s->transit_id, sizeof(s->transit_id), "%s", id);
	s->transit_cmd = T_IHAVE;
	session_reply(s, 335, "Send it; end with <CR-LF>.<CR-LF>");
	session_receive_article(s, transfer_received);
}

/* TAKETHIS <id> (RFC 4644 §2.5): the article follows at once. */
void transit_takethis(struct session *s, struct command *cmd)
{
	const char *id = cmd->argc >= 1 ? cmd->argv[0] : "";

	snprintf(s->transit_id, sizeof(s->transit_id), "%s", strlen(id) <= MOOT_MAX_MSGID ? id : "");
	s->transit_cmd = T_TAKETHIS;
	session_receive_article(s, transfer_received);
}
