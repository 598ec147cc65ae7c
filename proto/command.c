/*
 * command.c: split an NNTP command line into a verb and arguments (RFC 3977
 * §3.1) and map reply codes to their standard texts (RFC 3977 §3.2 and the
 * extensions a reader server answers with: RFC 4642, RFC 4643, RFC 4644,
 * RFC 2980).
 *
 * Parsing validates the whole line before it writes anything, so on error the
 * caller's buffer is left untouched and can still be logged as received.
 */
#include <assert.h>
#include <string.h>

#include "moot.h"
#include "command.h"

/* RFC 3977 §3.1: arguments are separated by one or more spaces or TABs. */
static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Control characters other than TAB, and DEL, have no place in a command line. */
static int is_bad_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* ASCII upper-case without the locale (keywords are ASCII, RFC 3977 §3.1). */
static char ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* 1 if line[b..e) is the ASCII word w, ignoring case (RFC 3977 §3.1). */
static int word_is(const char *line, size_t b, size_t e, const char *w)
{
	size_t i;

	if (e - b != strlen(w))
		return 0;
	for (i = b; i < e; i++)
		if (ascii_upper(line[i]) != w[i - b])
			return 0;
	return 1;
}

/*
 * Parse line[0..len) into cmd; see command.h.  Leading blanks before the
 * verb are tolerated.  cmd->rest points at the first non-blank after the verb
 * (or at the empty string at line[len]); it is only meaningful as a pointer
 * since the splitting NULs cut it at the first argument.  On any error cmd
 * is zeroed and line is not modified.
 *
 * One pass finds the words and any control character; only "AUTHINFO PASS"
 * has a last argument that is the rest of the line, blanks and all (RFC 4643
 * §3.1, erratum 1787: a passphrase keeps its blanks).  Then the words are
 * cut in place.
 */
int command_parse(char *line, size_t len, struct command *cmd)
{
	size_t start[COMMAND_MAX_ARGS + 1], end[COMMAND_MAX_ARGS + 1];
	size_t i = 0, nw = 0, verbatim = len, k;
	int toobig = 0;

	assert(line != NULL && cmd != NULL);
	memset(cmd, 0, sizeof(*cmd));
	if (len > MOOT_MAX_COMMAND - 2)
		return MOOT_ETOOBIG;
	while (i < len) {
		if (is_blank((unsigned char)line[i])) {
			i++;
			continue;
		}
		if (nw == 2 && word_is(line, start[0], end[0], "AUTHINFO") &&
		    word_is(line, start[1], end[1], "PASS")) {
			verbatim = i;
			for (; i < len; i++)
				if (is_bad_control((unsigned char)line[i]))
					return MOOT_EPROTO;
			break;
		}
		if (nw <= COMMAND_MAX_ARGS)
			start[nw] = i;
		for (; i < len && !is_blank((unsigned char)line[i]); i++)
			if (is_bad_control((unsigned char)line[i]))
				return MOOT_EPROTO;
		if (nw <= COMMAND_MAX_ARGS)
			end[nw] = i;
		else
			toobig = 1;	/* still look for control characters */
		nw++;
	}
	if (nw == 0 || end[0] - start[0] >= sizeof(cmd->verb))
		return MOOT_EPROTO;
	if (toobig)
		return MOOT_ETOOBIG;

	/* The line is good: now write. */
	line[len] = '\0';
	for (k = 0; k < end[0] - start[0]; k++)
		cmd->verb[k] = ascii_upper(line[start[0] + k]);
	cmd->verb[k] = '\0';
	cmd->rest = line + (nw > 1 ? start[1] : verbatim < len ? verbatim : len);
	/* Each argument ends at a NUL: the blanks after it become NULs. */
	for (k = 1; k < nw; k++) {
		size_t next = k + 1 < nw ? start[k + 1] : verbatim;
		cmd->argv[cmd->argc++] = line + start[k];
		for (i = end[k]; i < next; i++)
			line[i] = '\0';
	}
	if (verbatim < len)
		cmd->argv[cmd->argc++] = line + verbatim;
	assert(cmd->argc <= COMMAND_MAX_ARGS);
	return 0;
}

struct reply_text {
	int code;		/* three-digit status code */
	const char *text;	/* the standard human-readable text */
};

/* Sorted by code; texts as in the RFC examples so logs read familiar. */
static const struct reply_text replies[] = {
	{ 100, "Help text follows" },				/* RFC 3977 §7.2 */
	{ 101, "Capability list follows" },			/* §5.2 */
	{ 111, "Server date and time" },			/* §7.1 */
	{ 200, "Service available, posting allowed" },		/* §5.1 */
	{ 201, "Service available, posting prohibited" },	/* §5.1 */
	{ 205, "Connection closing" },				/* §5.4 */
	{ 211, "Group successfully selected" },			/* §6.1.1 */
	{ 215, "Information follows" },				/* §7.6.1 */
	{ 218, "tin-style index follows" },			/* RFC 2980 §2.11 */
	{ 220, "Article follows" },				/* §6.2.1 */
	{ 221, "Headers follow" },				/* §6.2.2 */
	{ 222, "Body follows" },				/* §6.2.3 */
	{ 223, "Article exists" },				/* §6.2.4 */
	{ 224, "Overview information follows" },		/* §8.3 */
	{ 225, "Headers follow" },				/* §8.5 */
	{ 230, "List of new articles follows" },		/* §7.4 */
	{ 231, "List of new newsgroups follows" },		/* §7.3 */
	{ 235, "Article transferred OK" },			/* §6.3.2 */
	{ 238, "Send article" },				/* RFC 4644 §2.4 */
	{ 239, "Article transferred OK" },			/* RFC 4644 §2.5 */
	{ 240, "Article received OK" },				/* §6.3.1 */
	{ 281, "Authentication accepted" },			/* RFC 4643 §2.3 */
	{ 282, "List of groups and descriptions follows" },	/* RFC 2980 §2.9 */
	{ 335, "Send article to be transferred" },		/* §6.3.2 */
	{ 340, "Send article to be posted" },			/* §6.3.1 */
	{ 381, "Password required" },				/* RFC 4643 §2.3 */
	{ 382, "Continue with TLS negotiation" },		/* RFC 4642 §2.2 */
	{ 400, "Service temporarily unavailable" },		/* §3.2.1 */
	{ 401, "Wrong mode" },					/* §3.2.1 */
	{ 403, "Internal fault or problem preventing action being taken" }, /* §3.2.1 */
	{ 411, "No such newsgroup" },				/* §6.1.1 */
	{ 412, "No newsgroup selected" },			/* §6.1.3 */
	{ 420, "Current article number is invalid" },		/* §6.1.3 */
	{ 421, "No next article in this group" },		/* §6.1.4 */
	{ 422, "No previous article in this group" },		/* §6.1.3 */
	{ 423, "No article with that number" },			/* §6.2.1 */
	{ 430, "No article with that message-id" },		/* §6.2.1 */
	{ 431, "Try sending it again later" },			/* RFC 4644 §2.4 */
	{ 435, "Article not wanted" },				/* §6.3.2 */
	{ 436, "Transfer not possible; try again later" },	/* §6.3.2 */
	{ 437, "Transfer rejected; do not retry" },		/* §6.3.2 */
	{ 438, "Article not wanted" },				/* RFC 4644 §2.4 */
	{ 439, "Transfer rejected; do not retry" },		/* RFC 4644 §2.5 */
	{ 440, "Posting not permitted" },			/* §6.3.1 */
	{ 441, "Posting failed" },				/* §6.3.1 */
	{ 480, "Authentication required" },			/* RFC 4643 §2.2 */
	{ 481, "Authentication failed" },			/* RFC 4643 §2.3 */
	{ 482, "Authentication commands issued out of sequence" }, /* RFC 4643 §2.3 */
	{ 483, "Encryption or stronger authentication required" }, /* RFC 4643 §2.2 */
	{ 500, "Unknown command" },				/* §3.2.1 */
	{ 501, "Syntax error" },				/* §3.2.1 */
	{ 502, "Command unavailable" },				/* §3.2.1 */
	{ 503, "Feature not supported" },			/* §3.2.1 */
	{ 504, "Invalid base64-encoded argument" },		/* §3.2.1 */
};

/*
 * The standard text for a reply code, a static string; "" (never NULL) for
 * a code not in the table.  Binary search over the sorted table.
 */
const char *command_reply_text(int code)
{
	size_t lo = 0, hi = MOOT_ARRAY_SIZE(replies), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (replies[mid].code == code)
			return replies[mid].text;
		if (replies[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "";
}
