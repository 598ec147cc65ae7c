/*
 * test_article.c: cases for proto/article.c: header parsing in wire form,
 * folding, the post and transit checks, Message-ID, newsgroup and Newsgroups
 * syntax, References iteration, unfolding, overview values and line counts.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "test.h"
#include "../../proto/moot.h"
#include "../../proto/buf.h"
#include "../../proto/article.h"

/* One parse result kept static: struct article is large (256 headers). */
static struct article A;

/* Parse a C string; returns article_parse's result. */
static int parse(const char *s, const char **why)
{
	*why = NULL;
	return article_parse(s, strlen(s), &A, why);
}

/* A header's value as a NUL-terminated copy in a static buffer. */
static const char *val(const char *name)
{
	static char out[1024];
	const struct article_header *h = article_get(&A, name);

	if (h == NULL || h->value_len >= sizeof(out))
		return NULL;
	memcpy(out, h->value, h->value_len);
	out[h->value_len] = '\0';
	return out;
}

/* The example article of RFC 3977 §6.2.1, in wire form. */
static const char rfc3977_example[] =
	"Path: pathost!demo!whitehouse!not-for-mail\r\n"
	"From: \"Demo User\" <nobody@example.net>\r\n"
	"Newsgroups: misc.test\r\n"
	"Subject: I am just a test article\r\n"
	"Date: 6 Oct 1998 04:38:40 -0500\r\n"
	"Organization: An Example Net, Uncertain, Texas\r\n"
	"Message-ID: <45223423@example.com>\r\n"
	"\r\n"
	"This is just a test article.\r\n";

/* A realistic follow-up: folded Subject and References, crosspost, stuffed body. */
static const char followup[] =
	"From: Ann Example <ann@example.org>\r\n"
	"Newsgroups: comp.lang.c, comp.lang.c.moderated,\r\n"
	"\tcomp.std.c\r\n"
	"Subject: Re: A rather long subject line that a newsreader\r\n"
	" has folded\r\n"
	"References: <1@a.example> <2.x@b.example>\r\n"
	"  <3$y@[192.0.2.1]>\r\n"
	"Message-ID: <4@c.example>\r\n"
	"Date: Tue, 01 Oct 2024 10:00:00 +0000\r\n"
	"User-Agent:x\r\n"
	"\r\n"
	"> quoted\r\n"
	"..leading dot\r\n"
	"\r\n"
	"last line";

static void rfc_example_parses(void)
{
	const char *why;
	const struct article_header *h;

	CHECK_INT(parse(rfc3977_example, &why), 0);
	CHECK_INT(A.nh, 7);
	CHECK_STR(val("path"), "pathost!demo!whitehouse!not-for-mail");
	CHECK_STR(val("MESSAGE-ID"), "<45223423@example.com>");
	CHECK_STR(val("From"), "\"Demo User\" <nobody@example.net>");
	h = &A.h[0];
	CHECK_INT(h->name_len, 4);
	CHECK(memcmp(h->name, "Path", 4) == 0);
	CHECK(h->line == rfc3977_example);
	CHECK_INT(h->line_len, strlen("Path: pathost!demo!whitehouse!not-for-mail\r\n"));
	CHECK(A.head == rfc3977_example);
	CHECK_INT(A.head_len, strstr(rfc3977_example, "\r\n\r\n") + 2 - rfc3977_example);
	CHECK_INT(A.body_len, strlen("This is just a test article.\r\n"));
	CHECK(memcmp(A.body, "This is", 7) == 0);
	CHECK_INT(article_body_lines(A.body, A.body_len), 1);
	CHECK_INT(article_check_post(&A, &why), 0);
	CHECK_INT(article_check_transit(&A, &why), 0);
}

static void folded_followup(void)
{
	const char *why;
	const struct article_header *h;
	char want[] = "Re: A rather long subject line that a newsreader\r\n has folded";
	struct buf b = { 0 };

	CHECK_INT(parse(followup, &why), 0);
	CHECK_INT(A.nh, 7);
	h = article_get(&A, "Subject");
	CHECK(h != NULL);
	CHECK_INT(h->value_len, strlen(want));
	CHECK(h->value_len == strlen(want) && memcmp(h->value, want, h->value_len) == 0);
	CHECK_INT(h->line_len, strlen("Subject: ") + strlen(want) + 2);
	CHECK(memcmp(h->line + h->line_len - 2, "\r\n", 2) == 0);
	CHECK_STR(val("User-Agent"), "x");	/* no space after the colon */
	CHECK_INT(article_check_post(&A, &why), 0);
	/* No Path: fine for a post, not for transit. */
	CHECK_INT(article_check_transit(&A, &why), MOOT_EPROTO);
	CHECK_STR(why, "missing Path header");
	CHECK_INT(article_body_lines(A.body, A.body_len), 4);
	CHECK_INT(article_overview_value(h->value, h->value_len, &b), 0);
	CHECK_STR(b.data, "Re: A rather long subject line that a newsreader has folded");
	buf_release(&b);
}

static void head_only_and_empty_body(void)
{
	const char *why;
	const char *s = "From: a@b.example\r\nSubject: x\r\n";

	CHECK_INT(parse(s, &why), 0);
	CHECK_INT(A.nh, 2);
	CHECK_INT(A.head_len, strlen(s));
	CHECK_INT(A.body_len, 0);
	CHECK(A.body == s + strlen(s));
	CHECK_INT(parse("From: a@b.example\r\n\r\n", &why), 0);
	CHECK_INT(A.head_len, strlen("From: a@b.example\r\n"));
	CHECK_INT(A.body_len, 0);
	/* A body may contain NUL and bare LF; only the head is checked. */
	CHECK_INT(article_parse("A: b\r\n\r\nx\0y\nz", 13, &A, &why), 0);
	CHECK_INT(A.body_len, 5);
	/* Nothing at all: no headers, empty body. */
	CHECK_INT(parse("", &why), 0);
	CHECK_INT(A.nh, 0);
	CHECK_INT(article_check_post(&A, &why), MOOT_EPROTO);
	CHECK_STR(why, "missing From header");
}

static void value_edges(void)
{
	const char *why;
	const struct article_header *h;

	/* Empty value, then a value only on the continuation line. */
	CHECK_INT(parse("Keywords:\r\nSubject:\r\n   \r\n\thello  \r\n\r\n", &why), 0);
	CHECK_INT(A.nh, 2);
	CHECK_STR(val("Keywords"), "");
	CHECK_STR(val("Subject"), "hello  ");	/* trailing WSP is kept raw */
	h = article_get(&A, "Subject");
	CHECK_INT(h->line_len, strlen("Subject:\r\n   \r\n\thello  \r\n"));
	/* Leading WSP after the colon is not part of the value. */
	CHECK_INT(parse("X-A: \t v \r\n", &why), 0);
	CHECK_STR(val("X-A"), "v ");
	/* Field names may hold any ftext, such as '.' or '!' (RFC 5322 §3.6.8). */
	CHECK_INT(parse("X.y!z~: 1\r\n", &why), 0);
	CHECK_STR(val("X.y!z~"), "1");
}

static void malformed_heads(void)
{
	const char *why;

	CHECK_INT(parse("From a@b\r\n\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "header line without colon");
	CHECK_INT(parse(" From: a@b\r\n\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "continuation line before the first header");
	CHECK_INT(parse(": x\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "empty header field name");
	CHECK_INT(parse("Subject : x\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "bad character in header field name");
	CHECK_INT(parse("Sub\x01ject: x\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "bad character in header field name");
	CHECK_INT(parse("Sub\xc3\xa9: x\r\n", &why), MOOT_EPROTO);
	CHECK_INT(parse("From: a@b\r\n.Subject: x\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "header line starts with '.'");
	CHECK_INT(parse("From: a@b\r\n.\r\n", &why), MOOT_EPROTO);
	CHECK_INT(parse("From: a@b\nSubject: x\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "bare LF in headers");
	CHECK_INT(parse("From: a\rb\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "bare CR in headers");
	CHECK_INT(parse("From: a@b\r\nSubject: x", &why), MOOT_EPROTO);
	CHECK_STR(why, "header line without CRLF");
	CHECK_INT(parse("From: a@b\r\nSubject: x\r", &why), MOOT_EPROTO);
	CHECK_STR(why, "header line without CRLF");
	CHECK_INT(article_parse("From: a\0b\r\n\r\n", 13, &A, &why), MOOT_EPROTO);
	CHECK_STR(why, "NUL byte in headers");
	CHECK_INT(article_parse("From: a\r\n \0\r\n\r\n", 15, &A, &why), MOOT_EPROTO);
	CHECK_STR(why, "NUL byte in headers");
	/* the first of a NUL and a bare LF names the fault */
	CHECK_INT(article_parse("From: a\0b\nc\r\n\r\n", 15, &A, &why), MOOT_EPROTO);
	CHECK_STR(why, "NUL byte in headers");
	CHECK_INT(article_parse("From: a\nb\0c\r\n\r\n", 15, &A, &why), MOOT_EPROTO);
	CHECK_STR(why, "bare LF in headers");
}

/* Build n headers "X-N: v" then a body; caller frees. */
static char *many_headers(int n)
{
	char *s = malloc((size_t)n * 16 + 16);
	size_t len = 0;
	int i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "X-%d: v\r\n", i);
	strcpy(s + len, "\r\nbody\r\n");
	return s;
}

static void header_limit(void)
{
	const char *why;
	char *s;

	s = many_headers(ARTICLE_MAX_HEADERS);
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_INT(parse(s, &why), 0);
		CHECK_INT(A.nh, ARTICLE_MAX_HEADERS);
		CHECK_INT(A.body_len, 6);
	}
	free(s);
	s = many_headers(ARTICLE_MAX_HEADERS + 1);
	if (s != NULL) {
		CHECK_INT(parse(s, &why), MOOT_EPROTO);
		CHECK_STR(why, "too many headers");
	}
	free(s);
	s = many_headers(300);
	if (s != NULL)
		CHECK_INT(parse(s, &why), MOOT_EPROTO);
	free(s);
}

static void get_and_count(void)
{
	const char *why;

	CHECK_INT(parse("Path: a\r\nPATH: b\r\npath: c\r\nPathX: d\r\n\r\n", &why), 0);
	CHECK_INT(article_count(&A, "Path"), 3);
	CHECK_INT(article_count(&A, "Pat"), 0);
	CHECK_INT(article_count(&A, "Xref"), 0);
	CHECK_STR(val("pAtH"), "a");
	CHECK(article_get(&A, "Xref") == NULL);
	CHECK(article_get(&A, "PathX") == &A.h[3]);
}

/* The first header named name by a plain scan, for checking the index against. */
static const struct article_header *scan(const char *name)
{
	size_t i;

	for (i = 0; i < A.nh; i++)
		if (A.h[i].name_len == strlen(name) &&
		    strncasecmp(A.h[i].name, name, A.h[i].name_len) == 0)
			return &A.h[i];
	return NULL;
}

/*
 * article_get finds the fields article_parse indexes (From, Date, Path ...)
 * through the index: it must give what a scan gives, in any case, with
 * names of the same length and first letter that are not those fields
 * (Dist: no; "Subjekt", "Controls"), and nothing left from an earlier parse.
 */
static void known_fields_index(void)
{
	static const char *const names[] = {
		"From", "Newsgroups", "Subject", "Message-ID", "Date", "References", "Path",
		"Control", "Supersedes", "Approved", "Xref", "FROM", "message-id", "xREF",
		"Subjekt", "Supersede", "Fromm", "Dato", "Newsgroupz", "Approver", "X-Ref",
		"Bpproved", "approved", "Message_ID", "Message-Id",
	};
	const char *why;
	size_t i;

	CHECK_INT(parse("Subjekt: no\r\nDATE: 1 Jan 2024 00:00 +0000\r\nfrom: a@b.example\r\n"
			"Supersedes: <1@x>\r\nXref: h g:1\r\nNewsgroups: a.b\r\n"
			"Approved: m@x\r\nMessage-id: <2@x>\r\nReferences: <0@x>\r\n"
			"Control: cancel <1@x>\r\nPath: p!q\r\nSubject: yes\r\nBpproved: no\r\n"
			"Message_ID: <3@x>\r\n"
			"From: b@c.example\r\nDato: x\r\n\r\n", &why), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK(article_get(&A, names[i]) == scan(names[i]));
	}
	CHECK_STR(val("subject"), "yes");
	CHECK_STR(val("From"), "a@b.example");
	CHECK(article_get(&A, "Subjekt") == &A.h[0]);
	/* Two From fields: the check sees both. */
	CHECK_INT(article_check_post(&A, &why), MOOT_EPROTO);
	CHECK_STR(why, "duplicate From header");
	/* A second parse forgets the first one's fields. */
	CHECK_INT(parse("Subject: s\r\n\r\n", &why), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK(article_get(&A, names[i]) == scan(names[i]));
	}
	CHECK(article_get(&A, "From") == NULL);
	CHECK(article_get(&A, "Subject") == &A.h[0]);
}

/* Parse a head with the common post headers plus extra, run the post check. */
static int post_with(const char *from, const char *groups, const char *extra, const char **why)
{
	static char s[4096];

	snprintf(s, sizeof(s), "%s%sSubject: test\r\n%s\r\nbody\r\n", from, groups, extra);
	if (parse(s, why) < 0)
		return 1;
	return article_check_post(&A, why);
}

static void post_checks(void)
{
	const char *why;
	const char *f = "From: a@b.example\r\n", *g = "Newsgroups: misc.test\r\n";

	CHECK_INT(post_with(f, g, "", &why), 0);
	CHECK_INT(post_with("", g, "", &why), MOOT_EPROTO);
	CHECK_STR(why, "missing From header");
	CHECK_INT(post_with("From: a@b\r\nFrom: c@d\r\n", g, "", &why), MOOT_EPROTO);
	CHECK_STR(why, "duplicate From header");
	CHECK_INT(post_with("From:\r\n", g, "", &why), MOOT_EPROTO);
	CHECK_STR(why, "empty From header");
	CHECK_INT(post_with("From: \t\r\n \r\n", g, "", &why), MOOT_EPROTO);
	CHECK_STR(why, "empty From header");
	/* RFC 5537 §3.5: From must name a mailbox (INN refuses these too). */
	CHECK_INT(post_with("From: not an address\r\n", g, "", &why), MOOT_EPROTO);
	CHECK_STR(why, "no address in From header");
	CHECK_INT(post_with("From: Joe <@b.example>\r\n", g, "", &why), MOOT_EPROTO);
	CHECK_INT(post_with("From: Joe <joe@>\r\n", g, "", &why), MOOT_EPROTO);
	CHECK_INT(post_with("From: Joe <a@b@c>\r\n", g, "", &why), MOOT_EPROTO);
	CHECK_INT(post_with("From: joe@b.example (Joe)\r\n", g, "", &why), 0);
	CHECK_INT(post_with("From: \"Joe, Jr.\" <joe@b.example>\r\n", g, "", &why), 0);
	CHECK_INT(post_with("From: \"joe doe\"@b.example\r\n", g, "", &why), 0);
	CHECK_INT(post_with("From: joe@localhost\r\n", g, "", &why), 0);
	CHECK_INT(post_with(f, "", "", &why), MOOT_EPROTO);
	CHECK_STR(why, "missing Newsgroups header");
	CHECK_INT(post_with(f, "Newsgroups: a..b\r\n", "", &why), MOOT_EPROTO);
	CHECK_STR(why, "invalid Newsgroups header");
	CHECK_INT(post_with(f, "Newsgroups: a.b,\r\n", "", &why), MOOT_EPROTO);
	CHECK_INT(post_with(f, "Newsgroups: a.b\r\nNewsgroups: c\r\n", "", &why), MOOT_EPROTO);
	CHECK_STR(why, "duplicate Newsgroups header");
	CHECK_INT(post_with(f, g, "Subject: again\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "duplicate Subject header");
	CHECK_INT(post_with(f, g, "Message-ID: <x@y.example>\r\n", &why), 0);
	CHECK_INT(post_with(f, g, "Message-ID:\r\n <x@y.example> (c)\r\n", &why), 0);
	CHECK_INT(post_with(f, g, "Message-ID: <x y@z>\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "invalid Message-ID header");
	CHECK_INT(post_with(f, g, "Message-ID: <x@y> <z@w>\r\n", &why), MOOT_EPROTO);
	CHECK_INT(post_with(f, g, "Message-ID: x@y\r\n", &why), MOOT_EPROTO);
	CHECK_INT(post_with(f, g, "Message-ID: <a@b>\r\nMessage-ID: <a@b>\r\n", &why),
		  MOOT_EPROTO);
	CHECK_STR(why, "duplicate Message-ID header");
	CHECK_INT(post_with(f, g, "Date: x\r\nDate: y\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "duplicate Date header");
	CHECK_INT(post_with(f, g, "Date:  \r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "empty Date header");
	CHECK_INT(post_with(f, g, "References: <1@a> <2@b>\r\n\t<3@c>\r\n", &why), 0);
	CHECK_INT(post_with(f, g, "References: <1@a> <2 @b>\r\n", &why), MOOT_EPROTO);
	CHECK_STR(why, "invalid References header");
	CHECK_INT(post_with(f, g, "References: <1@a> junk\r\n", &why), MOOT_EPROTO);
	CHECK_INT(post_with(f, g, "References: <1@a\r\n", &why), MOOT_EPROTO);
	CHECK_INT(post_with(f, g, "References: <1@a>\r\nReferences: <2@b>\r\n", &why),
		  MOOT_EPROTO);
	CHECK_STR(why, "duplicate References header");
	/* The server rewrites Path and Xref, so repeats are tolerated. */
	CHECK_INT(post_with(f, g, "Path: a\r\nPath: b\r\nXref: h g:1\r\nXref: h g:2\r\n", &why),
		  0);
	/* A crosspost, folded. */
	CHECK_INT(post_with(f, "Newsgroups: a.b ,\r\n c.d,e\r\n", "", &why), 0);
}

/* RFC 5322 §2.1.1: 998 octets before the CRLF is the longest header line a
 * post may have, counted per physical line (a fold starts a new one); the
 * body and relayed articles are not held to it. */
static void post_line_length(void)
{
	static char extra[3000], art[3200];
	const char *why;
	const char *f = "From: a@b.example\r\n", *g = "Newsgroups: misc.test\r\n";

	snprintf(extra, sizeof(extra), "X-Long: %0*d\r\n", 998 - 8, 0);
	CHECK_INT(post_with(f, g, extra, &why), 0);
	snprintf(extra, sizeof(extra), "X-Long: %0*d\r\n", 999 - 8, 0);
	CHECK_INT(post_with(f, g, extra, &why), MOOT_EPROTO);
	CHECK_STR(why, "header line too long");
	/* Two folded lines of 600 each are fine; a 999-octet continuation is not. */
	snprintf(extra, sizeof(extra), "X-Long: %0*d\r\n %0*d\r\n", 592, 0, 599, 0);
	CHECK_INT(post_with(f, g, extra, &why), 0);
	snprintf(extra, sizeof(extra), "X-Long: a\r\n %0*d\r\n", 998, 0);
	CHECK_INT(post_with(f, g, extra, &why), MOOT_EPROTO);
	/* A long body line is accepted, as INN does. */
	snprintf(art, sizeof(art), "%s%sSubject: t\r\n\r\n%0*d\r\n", f, g, 2000, 0);
	CHECK_INT(parse(art, &why), 0);
	CHECK_INT(article_check_post(&A, &why), 0);
	/* A relayed article keeps its long header line. */
	snprintf(art, sizeof(art), "Path: p\r\n%s%sSubject: t\r\nMessage-ID: <a@b>\r\n"
		 "Date: Tue, 01 Oct 2024 10:00:00 +0000\r\nX-Long: %0*d\r\n\r\nb\r\n", f, g, 1500, 0);
	CHECK_INT(parse(art, &why), 0);
	CHECK_INT(article_check_transit(&A, &why), 0);
}

static void transit_checks(void)
{
	const char *why;
	static const char base[] =
		"Path: peer.example!not-for-mail\r\n"
		"From: a@b.example\r\n"
		"Newsgroups: misc.test\r\n"
		"Subject: s\r\n"
		"Date: 6 Oct 1998 04:38:40 -0500\r\n"
		"Message-ID: <1@peer.example>\r\n"
		"\r\n";
	char s[512];
	char *p;

	CHECK_INT(parse(base, &why), 0);
	CHECK_INT(article_check_transit(&A, &why), 0);
	/* Drop each required header in turn. */
	strcpy(s, base);
	p = strstr(s, "Message-ID");
	*p = 'X';
	CHECK_INT(parse(s, &why), 0);
	CHECK_INT(article_check_post(&A, &why), 0);
	CHECK_INT(article_check_transit(&A, &why), MOOT_EPROTO);
	CHECK_STR(why, "missing Message-ID header");
	strcpy(s, base);
	p = strstr(s, "Date");
	*p = 'X';
	CHECK_INT(parse(s, &why), 0);
	CHECK_INT(article_check_transit(&A, &why), MOOT_EPROTO);
	CHECK_STR(why, "missing Date header");
	strcpy(s, base);
	p = strstr(s, "Path");
	*p = 'X';
	CHECK_INT(parse(s, &why), 0);
	CHECK_INT(article_check_transit(&A, &why), MOOT_EPROTO);
	CHECK_STR(why, "missing Path header");
	snprintf(s, sizeof(s), "Path: other!x\r\n%s", base);
	CHECK_INT(parse(s, &why), 0);
	CHECK_INT(article_check_transit(&A, &why), 0);
}

static int mv(const char *s)
{
	return article_msgid_valid(s, strlen(s));
}

static void msgid_syntax(void)
{
	char id[300];

	CHECK(mv("<45223423@example.com>"));			/* RFC 3977 §6.2.1 */
	CHECK(mv("<i.am.a.test.article@example.com>"));	/* RFC 3977 §6.1.2 */
	CHECK(mv("<a@b>"));
	CHECK(mv("<part1.x$y%z!{}~@news.example.org>"));
	CHECK(mv("<x@[192.0.2.1]>"));
	CHECK(mv("<x@[a@b]>"));	/* '@' inside the literal is text */
	CHECK(mv("<x@[]>"));
	CHECK(!mv("<a b@c>"));
	CHECK(!mv("<@c>"));
	CHECK(!mv("<a@>"));
	CHECK(!mv("a@b"));
	CHECK(!mv("<a@b"));
	CHECK(!mv("a@b>"));
	CHECK(!mv("<ab>"));
	CHECK(!mv("<>"));
	CHECK(!mv(""));
	CHECK(!mv("<a@b@c>"));
	CHECK(!mv("<a..b@c>"));
	CHECK(!mv("<.a@c>"));
	CHECK(!mv("<a@c.>"));
	CHECK(!mv("<a<b@c>"));
	CHECK(!mv("<a@b>c>"));
	CHECK(!mv("<a@b>>"));
	CHECK(!mv("<a@[b]c>"));
	CHECK(!mv("<a@[b[c]>"));
	CHECK(!mv("<a@[b\\]>"));
	CHECK(!mv("<a\"b@c>"));
	CHECK(!mv("<a@b\x7f>"));
	CHECK(!mv("<a\xc3\xa9@b>"));
	CHECK(!mv("<a@b\tc>"));
	CHECK(!article_msgid_valid("<a@b\0c>", 7));
	CHECK(!article_msgid_valid(NULL, 0));
	/* Length: 250 is the most, 251 is too long (RFC 3977 §3.6). */
	memset(id, 'a', sizeof(id));
	id[0] = '<';
	id[10] = '@';
	id[249] = '>';
	CHECK(article_msgid_valid(id, 250));
	id[249] = 'a';
	id[250] = '>';
	CHECK(!article_msgid_valid(id, 251));
}

static int gv(const char *s)
{
	return article_group_valid(s, strlen(s));
}

static void group_syntax(void)
{
	char g[300];

	CHECK(gv("misc.test"));
	CHECK(gv("comp.lang.c++"));
	CHECK(gv("alt.a-b_c+d.9"));
	CHECK(gv("x"));
	CHECK(gv("Misc.Test"));
	CHECK(!gv("a..b"));
	CHECK(!gv(".a"));
	CHECK(!gv("a."));
	CHECK(!gv("."));
	CHECK(!gv("A b"));
	CHECK(!gv(" a"));
	CHECK(!gv("a*"));
	CHECK(!gv("a?"));
	CHECK(!gv("a[b]"));
	CHECK(!gv("!a"));
	CHECK(!gv("a,b"));
	CHECK(!gv("a\\b"));
	CHECK(!gv("a/b"));
	CHECK(!gv("a\tb"));
	CHECK(!gv("caf\xc3\xa9"));
	CHECK(!gv(""));
	CHECK(!article_group_valid("a\0b", 3));
	memset(g, 'a', sizeof(g));
	CHECK(article_group_valid(g, MOOT_MAX_GROUP - 1));
	CHECK(!article_group_valid(g, MOOT_MAX_GROUP));
}

/* Collects names joined by '|' into a buf; stops with 7 at a name "stop". */
static int collect(void *arg, const char *name, size_t name_len)
{
	struct buf *b = arg;

	if (name_len == 4 && memcmp(name, "stop", 4) == 0)
		return 7;
	if (b->len > 0)
		buf_append(b, "|", 1);
	return buf_append(b, name, name_len);
}

/* Run article_newsgroups on s; *out gets the names; returns its result. */
static int ng(const char *s, struct buf *out)
{
	buf_clear(out);
	return article_newsgroups(s, strlen(s), collect, out);
}

static void newsgroups_list(void)
{
	struct buf b = { 0 };

	CHECK_INT(ng("misc.test", &b), 0);
	CHECK_STR(b.data, "misc.test");
	CHECK_INT(ng("a.b,c.d,e", &b), 0);
	CHECK_STR(b.data, "a.b|c.d|e");
	CHECK_INT(ng(" a.b , c.d\t", &b), 0);
	CHECK_STR(b.data, "a.b|c.d");
	CHECK_INT(ng("a.b,\r\n c.d\r\n\t,e", &b), 0);
	CHECK_STR(b.data, "a.b|c.d|e");
	CHECK_INT(ng("a.b,,c", &b), MOOT_EPROTO);
	CHECK_INT(ng("a.b,", &b), MOOT_EPROTO);
	CHECK_INT(ng(",a.b", &b), MOOT_EPROTO);
	CHECK_INT(ng("", &b), MOOT_EPROTO);
	CHECK_INT(ng("  ", &b), MOOT_EPROTO);
	CHECK_INT(ng("a.b c.d", &b), MOOT_EPROTO);
	CHECK_INT(ng("a.b,c..d", &b), MOOT_EPROTO);
	CHECK_INT(ng("a.b;c.d", &b), MOOT_EPROTO);
	CHECK_INT(ng("a,stop,b", &b), 7);
	CHECK_STR(b.data, "a");
	buf_release(&b);
}

/* All ids of a References value joined by ' '. */
static const char *refs(const char *v)
{
	static char out[512];
	size_t pos = 0, n = 0, len;
	const char *id;

	out[0] = '\0';
	while (article_next_msgid(v, strlen(v), &pos, &id, &len) == 1) {
		if (n + len + 2 > sizeof(out))
			break;
		if (n > 0)
			out[n++] = ' ';
		memcpy(out + n, id, len);
		n += len;
		out[n] = '\0';
	}
	return out;
}

static void references_iteration(void)
{
	CHECK_STR(refs("<1@a> <2@b>\r\n\t<3@c>"), "<1@a> <2@b> <3@c>");
	CHECK_STR(refs("<1@a><2@b>"), "<1@a> <2@b>");
	CHECK_STR(refs("(see <x@y>) <1@a> (nested (c) <z@w>)"), "<1@a>");
	CHECK_STR(refs("<1@a> <2@b"), "<1@a>");
	CHECK_STR(refs("<1@a <2@b>"), "<2@b>");
	CHECK_STR(refs("<1@a> (unterminated <2@b>"), "<1@a>");
	CHECK_STR(refs("junk <1@a> more"), "<1@a>");
	CHECK_STR(refs(""), "");
	CHECK_STR(refs("   \r\n "), "");
}

/* article_unfold of s appended to prefix; returns the buffer text. */
static const char *unfold(const char *prefix, const char *s, int overview)
{
	static char out[256];
	struct buf b = { 0 };
	int rc;

	buf_puts(&b, prefix);
	rc = overview ? article_overview_value(s, strlen(s), &b)
		      : article_unfold(s, strlen(s), &b);
	snprintf(out, sizeof(out), "%s", rc == 0 && b.data ? b.data : "(error)");
	CHECK(b.len == strlen(out));
	buf_release(&b);
	return out;
}

static void unfold_values(void)
{
	/* RFC 5322 §2.2.3's example of a folded Subject. */
	CHECK_STR(unfold("", "This is a test", 0), "This is a test");
	CHECK_STR(unfold("", "This\r\n is a test", 0), "This is a test");
	CHECK_STR(unfold("", " a \r\n\tb  ", 0), "a \tb");
	CHECK_STR(unfold("", "a\r\n\r\n b", 0), "a\r\n b");
	CHECK_STR(unfold("", "\r\n \r\n ", 0), "");
	CHECK_STR(unfold("", "", 0), "");
	CHECK_STR(unfold("x\t", "  y", 0), "x\ty");
}

static void overview_values(void)
{
	CHECK_STR(unfold("", "a\tb\r\n\tc", 1), "a b c");
	CHECK_STR(unfold("", "\tx\t", 1), "x");
	CHECK_STR(unfold("", "Re: long\r\n subject\twith\ttabs", 1), "Re: long subject with tabs");
	CHECK_STR(unfold("", "a\r\n\r\n b", 1), "a   b");
	CHECK_STR(unfold("", " \t\r\n\t ", 1), "");
	/* What was in the buffer before is left alone, tabs included. */
	CHECK_STR(unfold("1\tSubj\t", "\t From \t", 1), "1\tSubj\tFrom");
	CHECK_STR(unfold("p ", "", 1), "p ");
}

static int64_t bl(const char *s)
{
	return article_body_lines(s, strlen(s));
}

static void body_line_counts(void)
{
	CHECK_INT(bl(""), 0);
	CHECK_INT(bl("a"), 1);
	CHECK_INT(bl("a\r\n"), 1);
	CHECK_INT(bl("a\r\nb"), 2);
	CHECK_INT(bl("\r\n"), 1);
	CHECK_INT(bl("\r\n\r\n"), 2);
	CHECK_INT(bl("..stuffed\r\nline two\r\n"), 2);
	CHECK_INT(article_body_lines(NULL, 0), 0);
}

static int64_t st(const char *s)
{
	return article_body_stuffing(s, strlen(s));
}

static void body_stuffing_counts(void)
{
	CHECK_INT(st(""), 0);
	CHECK_INT(st("plain\r\ntext\r\n"), 0);
	CHECK_INT(st("..first\r\n"), 1);
	CHECK_INT(st("a\r\n..\r\nb\r\n...x\r\n"), 2);
	CHECK_INT(st("a.b\r\n a\r\n"), 0);	/* a dot inside a line is not stuffing */
	CHECK_INT(st("a\r\n"), 0);
	CHECK_INT(st("a\r\n."), 1);		/* a last line without CRLF */
	CHECK_INT(article_body_stuffing(NULL, 0), 0);
}

static int cancel_of(const char *v, char *out)
{
	const char *id;
	size_t n;
	int rc = article_control_cancel(v, strlen(v), &id, &n);

	out[0] = '\0';
	if (rc == 0) {
		memcpy(out, id, n);
		out[n] = '\0';
	}
	return rc;
}

static void control_cancel_target(void)
{
	char id[300];

	CHECK_INT(cancel_of("cancel <a@b.example>", id), 0);
	CHECK_STR(id, "<a@b.example>");
	CHECK_INT(cancel_of("  CANCEL\t <a@b.example> \t", id), 0);
	CHECK_STR(id, "<a@b.example>");
	CHECK_INT(cancel_of("newgroup moot.x", id), MOOT_ENOTFOUND);
	CHECK_INT(cancel_of("cancel", id), MOOT_ENOTFOUND);
	CHECK_INT(cancel_of("cancellation <a@b>", id), MOOT_ENOTFOUND);
	CHECK_INT(cancel_of("cancel a@b", id), MOOT_EPROTO);
	CHECK_INT(cancel_of("cancel <a@b> <c@d>", id), MOOT_EPROTO);
	CHECK_INT(cancel_of("cancel ", id), MOOT_EPROTO);
}

static void single_msgid(void)
{
	const char *id;
	size_t n;

	CHECK_INT(article_single_msgid(" <a@b.example>\r\n ", 17, &id, &n), 0);
	CHECK_INT((int)n, 13);
	CHECK_INT(strncmp(id, "<a@b.example>", n), 0);
	CHECK_INT(article_single_msgid("<a@b> <c@d>", 11, &id, &n), MOOT_EPROTO);
	CHECK_INT(article_single_msgid("a@b", 3, &id, &n), MOOT_EPROTO);
	CHECK_INT(article_single_msgid("  ", 2, &id, &n), MOOT_EPROTO);
}

static void body_counts_in_one_pass(void)
{
	int64_t lines = -1, stuffing = -1;

	article_body_counts("..a\r\nb\r\n.", 9, &lines, &stuffing);
	CHECK_INT(lines, 3);
	CHECK_INT(stuffing, 2);
	article_body_counts(NULL, 0, &lines, &stuffing);
	CHECK_INT(lines, 0);
	CHECK_INT(stuffing, 0);
}

void test_article(void)
{
	RUN(rfc_example_parses);
	RUN(body_stuffing_counts);
	RUN(body_counts_in_one_pass);
	RUN(control_cancel_target);
	RUN(single_msgid);
	RUN(folded_followup);
	RUN(head_only_and_empty_body);
	RUN(value_edges);
	RUN(malformed_heads);
	RUN(header_limit);
	RUN(get_and_count);
	RUN(known_fields_index);
	RUN(post_checks);
	RUN(post_line_length);
	RUN(transit_checks);
	RUN(msgid_syntax);
	RUN(group_syntax);
	RUN(newsgroups_list);
	RUN(references_iteration);
	RUN(unfold_values);
	RUN(overview_values);
	RUN(body_line_counts);
}
