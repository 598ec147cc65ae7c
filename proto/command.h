/*
 * command.h: parse an NNTP command line into a verb and arguments
 * (RFC 3977 §3.1), and the table of standard reply texts (RFC 3977 §3.2).
 */
#ifndef COMMAND_H
#define COMMAND_H

#include <stddef.h>

#define COMMAND_MAX_ARGS 8

struct command {
	char verb[32];			/* upper-cased keyword, NUL-terminated */
	int argc;			/* arguments after the verb */
	char *argv[COMMAND_MAX_ARGS];	/* point into the caller's line buffer */
	char *rest;			/* the line after the verb, leading blanks skipped */
};

/*
 * Split line (len bytes, no CRLF; modified in place: separators become NULs,
 * a NUL is written at line[len], so the buffer needs len+1 bytes) into
 * cmd.  Words are separated by spaces and tabs, except that the argument
 * after "AUTHINFO PASS" is the rest of the line verbatim, inner and trailing
 * blanks included (RFC 4643 §3.1: a password may hold blanks; it counts as
 * one argument).  Returns 0, MOOT_EPROTO for
 * an empty line, a NUL byte or a control character, or a verb over 31 bytes,
 * MOOT_ETOOBIG when there are more than COMMAND_MAX_ARGS arguments or the
 * line is over MOOT_MAX_COMMAND - 2 bytes.  cmd->rest is computed before
 * splitting, as a copy-free pointer the caller must not use after argv
 * (it is clobbered by the NULs); use it only for verbs that need the raw rest.
 */
int command_parse(char *line, size_t len, struct command *cmd);

/* The standard text for a reply code, e.g. 430 -> "No article with that message-id". */
const char *command_reply_text(int code);

#endif
