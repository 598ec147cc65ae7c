/*
 * reader.h: the reader commands (RFC 3977, RFC 2980, RFC 4642 STARTTLS,
 * RFC 6048 LIST variants).  A dispatch table maps each verb to a handler.
 */
#ifndef READER_H
#define READER_H

struct session;
struct command;

/* Greet a new session (200 or 201, RFC 3977 §5.1). */
void reader_greet(struct session *s);

/* Run one parsed command; every path appends exactly one reply. */
void reader_dispatch(struct session *s, struct command *cmd);

#endif
