/*
 * auth.h: who a session is.  AUTHINFO USER/PASS (RFC 4643) for members
 * (users in the store) and for peers configured with a user identity; only
 * over TLS; password checks run on libuv's thread pool, never on the loop;
 * repeated failures from one address are answered more and more slowly.
 */
#ifndef AUTH_H
#define AUTH_H

struct mootd;
struct session;
struct command;

enum auth_role {
	ROLE_NONE = 0,		/* not authenticated */
	ROLE_MEMBER = 1,
	ROLE_MODERATOR = 2,	/* of every group (store role); roles.moderators narrows per group */
	ROLE_ADMIN = 3,
};

int auth_init(struct mootd *d);
void auth_free(struct mootd *d);

/* Shutdown: drop pending delayed answers so the loop can end. */
void auth_stop(struct mootd *d);

/* AUTHINFO USER name / AUTHINFO PASS password. */
void auth_authinfo(struct session *s, struct command *cmd);

/* The session closes: forget its pending password check. */
void auth_session_closed(struct session *s);

/* 1 if the session may read (server.access.read), 1 if it may post. */
int auth_may_read(const struct session *s);
int auth_may_post(const struct session *s);

/* 1 if the session's member moderates group (admin, store role moderator,
 * or roles.moderators wildmat). */
int auth_moderates(const struct session *s, const char *group);

/* 1 if the session's member is an admin (store role or roles.admins). */
int auth_is_admin(const struct session *s);

/* Parse a role name; ROLE_NONE if unknown. */
int auth_role_parse(const char *name);
const char *auth_role_name(int role);

#endif
