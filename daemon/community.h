/*
 * community.h: what makes moot a community board: posting policy (login,
 * bans, rate limits, the member's own From), the moderation queue, cancels
 * and the health figures.  The commands are an extension advertised in
 * CAPABILITIES as "XMOOT MOD CANCEL STATS" (RFC 3977 §3.3.2: private
 * extensions start with X; replies use the private x9x codes, §3.2.1.1).
 */
#ifndef COMMUNITY_H
#define COMMUNITY_H

struct mootd;
struct session;
struct command;

int community_init(struct mootd *d);
void community_free(struct mootd *d);

/* POST (RFC 3977 §6.3.1) with the community's rules. */
void community_post(struct session *s, struct command *cmd);

/* XMOD QUEUE [wildmat] | SHOW id | APPROVE id | REJECT id [reason] |
 *      BAN USER|ADDRESS target seconds [reason] | UNBAN USER|ADDRESS target */
void community_xmod(struct session *s, struct command *cmd);

/* XCANCEL <message-id>: by its author or a moderator of its groups. */
void community_xcancel(struct session *s, struct command *cmd);

/* XSTATS [wildmat [days]]: the health figures. */
void community_xstats(struct session *s, struct command *cmd);

#endif
