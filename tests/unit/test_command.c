/* Unit tests for proto/command.c: command-line parsing (RFC 3977 §3.1) and reply texts. */
#include "test.h"
#include "../../proto/moot.h"
#include "../../proto/command.h"

/* Parse a C string copied into a private buffer (command_parse writes into it). */
static int parse(char *buf, size_t cap, const char *s, struct command *cmd)
{
	size_t n = strlen(s);

	if (n + 1 > cap)
		return -1;
	memcpy(buf, s, n + 1);
	return command_parse(buf, n, cmd);
}

/* The verb is upper-cased, arguments split on runs of spaces and tabs. */
static void parse_basic(void)
{
	char buf[600];
	struct command c;

	CHECK_INT(parse(buf, sizeof(buf), "group misc.test", &c), 0);
	CHECK_STR(c.verb, "GROUP");
	CHECK_INT(c.argc, 1);
	CHECK_STR(c.argv[0], "misc.test");

	CHECK_INT(parse(buf, sizeof(buf), "XoVeR  1-10\t \t", &c), 0);
	CHECK_STR(c.verb, "XOVER");
	CHECK_INT(c.argc, 1);
	CHECK_STR(c.argv[0], "1-10");

	CHECK_INT(parse(buf, sizeof(buf), "LIST\tACTIVE  comp.*", &c), 0);
	CHECK_STR(c.verb, "LIST");
	CHECK_INT(c.argc, 2);
	CHECK_STR(c.argv[0], "ACTIVE");	/* arguments keep their case */
	CHECK_STR(c.argv[1], "comp.*");

	CHECK_INT(parse(buf, sizeof(buf), "quit", &c), 0);
	CHECK_STR(c.verb, "QUIT");
	CHECK_INT(c.argc, 0);
	CHECK_STR(c.rest, "");

	/* Leading blanks are tolerated; UTF-8 arguments pass through. */
	CHECK_INT(parse(buf, sizeof(buf), "  mode reader", &c), 0);
	CHECK_STR(c.verb, "MODE");
	CHECK_STR(c.argv[0], "reader");
	CHECK_INT(parse(buf, sizeof(buf), "GROUP gr\xc3\xbc\xc3\x9f", &c), 0);
	CHECK_STR(c.argv[0], "gr\xc3\xbc\xc3\x9f");
}

/* rest points at the first non-blank after the verb (or at ""), inside line. */
static void parse_rest(void)
{
	char buf[600];
	struct command c;

	CHECK_INT(parse(buf, sizeof(buf), "AUTHINFO  \tPASS secret", &c), 0);
	CHECK(c.rest == buf + 11);
	CHECK(c.rest == c.argv[0]);
	CHECK_STR(c.argv[1], "secret");
	CHECK_INT(parse(buf, sizeof(buf), "DATE   ", &c), 0);
	CHECK(c.rest != NULL);
	CHECK_STR(c.rest, "");
	CHECK_INT(c.argc, 0);
}

/* Empty lines, NUL bytes and control characters are protocol errors. */
static void parse_rejects(void)
{
	char buf[600];
	char nul[] = "GROUP a\0b";
	struct command c;

	CHECK_INT(parse(buf, sizeof(buf), "", &c), MOOT_EPROTO);
	CHECK_INT(parse(buf, sizeof(buf), " \t ", &c), MOOT_EPROTO);
	CHECK_INT(command_parse(nul, 9, &c), MOOT_EPROTO);
	CHECK_INT(parse(buf, sizeof(buf), "GROUP a\rb", &c), MOOT_EPROTO);
	CHECK_INT(parse(buf, sizeof(buf), "GROUP a\nb", &c), MOOT_EPROTO);
	CHECK_INT(parse(buf, sizeof(buf), "GR\x1bOUP", &c), MOOT_EPROTO);
	CHECK_INT(parse(buf, sizeof(buf), "GROUP \x7f", &c), MOOT_EPROTO);
	/* On error the line is left as received. */
	CHECK_INT(parse(buf, sizeof(buf), "GROUP a b\x01", &c), MOOT_EPROTO);
	CHECK(memcmp(buf, "GROUP a b\x01", 10) == 0);
	CHECK_INT(c.argc, 0);
}

/* Verb length 31 is fine, 32 is not. */
static void parse_verb_length(void)
{
	char buf[600], line[40];
	struct command c;

	memset(line, 'x', 31);
	line[31] = '\0';
	CHECK_INT(parse(buf, sizeof(buf), line, &c), 0);
	CHECK_INT(strlen(c.verb), 31);
	CHECK_INT(c.verb[0], 'X');
	memset(line, 'x', 32);
	line[32] = '\0';
	CHECK_INT(parse(buf, sizeof(buf), line, &c), MOOT_EPROTO);
}

/* Eight arguments are allowed, nine are too many. */
static void parse_arg_count(void)
{
	char buf[600];
	struct command c;

	CHECK_INT(parse(buf, sizeof(buf), "X 1 2 3 4 5 6 7 8", &c), 0);
	CHECK_INT(c.argc, 8);
	CHECK_STR(c.argv[7], "8");
	CHECK_INT(parse(buf, sizeof(buf), "X 1 2 3 4 5 6 7 8 ", &c), 0);
	CHECK_INT(parse(buf, sizeof(buf), "X 1 2 3 4 5 6 7 8 9", &c), MOOT_ETOOBIG);
}

/* RFC 4643 §3.1: the argument after AUTHINFO PASS is the rest of the line,
 * verbatim, however many blanks or words it holds; AUTHINFO USER and other
 * verbs are split as usual. */
static void parse_authinfo_pass(void)
{
	char buf[600];
	struct command c;

	CHECK_INT(parse(buf, sizeof(buf), "authinfo pass a  long\tpass phrase ", &c), 0);
	CHECK_STR(c.verb, "AUTHINFO");
	CHECK_INT(c.argc, 2);
	CHECK_STR(c.argv[0], "pass");
	CHECK_STR(c.argv[1], "a  long\tpass phrase ");
	CHECK_INT(parse(buf, sizeof(buf), "AUTHINFO PASS 1 2 3 4 5 6 7 8 9 10 11 12", &c), 0);
	CHECK_INT(c.argc, 2);
	CHECK_STR(c.argv[1], "1 2 3 4 5 6 7 8 9 10 11 12");
	CHECK_INT(parse(buf, sizeof(buf), "AUTHINFO \t PASS \t secret", &c), 0);
	CHECK_STR(c.argv[1], "secret");
	CHECK_INT(parse(buf, sizeof(buf), "AUTHINFO PASS   ", &c), 0);
	CHECK_INT(c.argc, 1);
	CHECK_INT(parse(buf, sizeof(buf), "AUTHINFO USER a  b", &c), 0);
	CHECK_INT(c.argc, 3);
	CHECK_INT(parse(buf, sizeof(buf), "AUTHINFO PASSWORD a b", &c), 0);
	CHECK_INT(c.argc, 3);
	CHECK_INT(parse(buf, sizeof(buf), "XAUTHINFO PASS a b", &c), 0);
	CHECK_INT(c.argc, 3);
	CHECK_INT(parse(buf, sizeof(buf), "AUTHINFO SASL 1 2 3 4 5 6 7 8", &c), MOOT_ETOOBIG);
	/* Control characters are still refused in a password. */
	CHECK_INT(parse(buf, sizeof(buf), "AUTHINFO PASS a\x01b", &c), MOOT_EPROTO);
}

/* RFC 3977 §3.1: 512 octets with CRLF, so 510 of content is the most. */
static void parse_line_length(void)
{
	char buf[600];
	struct command c;

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "XPAT ", 5);
	CHECK_INT(command_parse(buf, 510, &c), 0);
	CHECK_INT(c.argc, 1);
	CHECK_INT(strlen(c.argv[0]), 505);
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "XPAT ", 5);
	CHECK_INT(command_parse(buf, 511, &c), MOOT_ETOOBIG);
}

/* Every code a reader server sends has its standard text; unknown codes give "". */
static void reply_texts(void)
{
	static const int codes[] = {
		100, 101, 111, 200, 201, 205, 211, 215, 218, 220, 221, 222, 223, 224,
		225, 230, 231, 235, 238, 239, 240, 281, 282, 335, 340, 381, 382, 400,
		401, 403, 411, 412, 420, 421, 422, 423, 430, 431, 435, 436, 437, 438,
		439, 440, 441, 480, 481, 482, 483, 500, 501, 502, 503, 504,
	};
	size_t i;
	int missing = 0;

	for (i = 0; i < MOOT_ARRAY_SIZE(codes); i++) {
		const char *t = command_reply_text(codes[i]);

		if (t == NULL || t[0] == '\0') {
			fprintf(stderr, "no text for %d\n", codes[i]);
			missing++;
		}
	}
	CHECK_INT(missing, 0);
	CHECK_STR(command_reply_text(430), "No article with that message-id");
	CHECK_STR(command_reply_text(411), "No such newsgroup");
	CHECK_STR(command_reply_text(500), "Unknown command");
	CHECK_STR(command_reply_text(340), "Send article to be posted");
	CHECK_STR(command_reply_text(0), "");
	CHECK_STR(command_reply_text(-1), "");
	CHECK_STR(command_reply_text(299), "");
	CHECK_STR(command_reply_text(999), "");
	CHECK_STR(command_reply_text(100000), "");
}

void test_command(void)
{
	RUN(parse_basic);
	RUN(parse_rest);
	RUN(parse_rejects);
	RUN(parse_verb_length);
	RUN(parse_arg_count);
	RUN(parse_authinfo_pass);
	RUN(parse_line_length);
	RUN(reply_texts);
}
