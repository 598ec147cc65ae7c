/*
 * transit.h: the commands a peer uses to hand us articles: IHAVE (RFC 3977
 * §6.3.2), MODE STREAM, CHECK and TAKETHIS (RFC 4644).  Only a session that
 * proved it is a configured peer (its client certificate's fingerprint, see
 * transit_identify) may use them.
 */
#ifndef TRANSIT_H
#define TRANSIT_H

struct session;
struct command;

/* After the TLS handshake: if the client certificate's fingerprint is a
 * configured peer's identity, the session becomes that peer. */
void transit_identify(struct session *s);

void transit_mode_stream(struct session *s);
void transit_ihave(struct session *s, struct command *cmd);
void transit_check(struct session *s, struct command *cmd);
void transit_takethis(struct session *s, struct command *cmd);

#endif
