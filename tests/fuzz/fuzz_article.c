/*
 * fuzz_article.c: libFuzzer target for proto/article.c on arbitrary bytes
 * taken as an article in wire form (RFC 5536; CRLF lines, dot-stuffed).
 *
 * It parses, runs both acceptance checks (RFC 5537 §3.5 and §3.6), builds
 * the overview value of every header (RFC 3977 §8.3.1), splits Newsgroups,
 * walks References and counts body lines.  Invariants: every header, the
 * head and the body lie inside the input, in order; overview values hold no
 * TAB, CR or LF and no leading or trailing blank; message-ids from
 * article_next_msgid are <...> tokens inside the value and the walk ends;
 * group names handed to the callback are valid; body_lines is within
 * [0, body_len].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../proto/moot.h"
#include "../../proto/buf.h"
#include "../../proto/article.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

/* 1 if [p, p+n) lies inside [base, base+len). */
static int inside(const char *base, size_t len, const char *p, size_t n)
{
	return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

struct groups_seen {
	const char *value;
	size_t len;
	int count;
};

/* Newsgroups callback: every name lies in the value and is valid. */
static int on_group(void *arg, const char *name, size_t name_len)
{
	struct groups_seen *g = arg;

	REQUIRE(inside(g->value, g->len, name, name_len));
	REQUIRE(name_len > 0);
	REQUIRE(article_group_valid(name, name_len));
	g->count++;
	/* Stop early now and then to exercise the callback's return. */
	return g->count == 100 ? 7 : 0;
}

/* Overview and unfolded values of one header: bounded, no TAB/CR/LF, trimmed. */
static void check_overview(const char *value, size_t len)
{
	struct buf o;
	size_t i;

	buf_init(&o);
	REQUIRE(article_overview_value(value, len, &o) == 0);
	REQUIRE(o.len <= len);
	for (i = 0; i < o.len; i++)
		REQUIRE(o.data[i] != '\t' && o.data[i] != '\r' && o.data[i] != '\n');
	if (o.len > 0)
		REQUIRE(o.data[0] != ' ' && o.data[o.len - 1] != ' ');
	buf_clear(&o);
	REQUIRE(article_unfold(value, len, &o) == 0);
	REQUIRE(o.len <= len);
	buf_release(&o);
}

/* Walk the message-ids of value: each a <...> token inside it; the walk ends. */
static void check_refs(const char *value, size_t len)
{
	size_t pos = 0, last = 0;
	const char *id;
	size_t id_len;
	int n = 0;

	while (article_next_msgid(value, len, &pos, &id, &id_len) == 1) {
		REQUIRE(inside(value, len, id, id_len));
		REQUIRE(id_len >= 2 && id[0] == '<' && id[id_len - 1] == '>');
		REQUIRE(pos > last && pos <= len);
		last = pos;
		(void)article_msgid_valid(id, id_len);
		REQUIRE(++n <= (int)len);
	}
}

/* Parse one article and run every check and value builder on it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct article a;	/* ~24 KB: keep it off the stack */
	const char *wire = (const char *)data, *why = NULL;
	const struct article_header *h;
	struct groups_seen g;
	int64_t lines;
	size_t i;

	if (size > 256 * 1024)
		return 0;
	/* Raw bytes as a References value and a body, whatever parses. */
	check_refs(wire, size);
	lines = article_body_lines(wire, size);
	REQUIRE(lines >= 0 && (size_t)lines <= size);
	(void)article_msgid_valid(wire, size);
	(void)article_group_valid(wire, size);

	if (article_parse(wire, size, &a, &why) != 0) {
		REQUIRE(why != NULL);
		return 0;
	}
	REQUIRE(a.nh <= ARTICLE_MAX_HEADERS);
	REQUIRE(inside(wire, size, a.head, a.head_len) || a.head_len == 0);
	REQUIRE(inside(wire, size, a.body, a.body_len) || a.body_len == 0);
	for (i = 0; i < a.nh; i++) {
		const struct article_header *x = &a.h[i];
		REQUIRE(x->name_len > 0);
		REQUIRE(inside(wire, size, x->name, x->name_len));
		REQUIRE(inside(wire, size, x->value, x->value_len));
		REQUIRE(inside(wire, size, x->line, x->line_len));
		REQUIRE(x->line == x->name);
		REQUIRE(memchr(x->name, ':', x->name_len) == NULL);
		if (i > 0)
			REQUIRE(x->line >= a.h[i - 1].line + a.h[i - 1].line_len);
		check_overview(x->value, x->value_len);
	}
	/* The index of known fields agrees with a scan (article_count scans). */
	{
		static const char *const known[] = { "From", "Newsgroups", "Subject", "Message-ID",
			"Date", "References", "Path", "Control", "Supersedes", "Approved", "Xref" };
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			const struct article_header *k = article_get(&a, known[i]);
			int n = article_count(&a, known[i]);
			REQUIRE((k == NULL) == (n == 0));
			REQUIRE(k == NULL || (k->name_len == strlen(known[i]) &&
					      strncasecmp(k->name, known[i], k->name_len) == 0));
			REQUIRE(k == NULL || a.first[i] - 1 == (unsigned)(k - a.h));
			REQUIRE(a.count[i] == (n > 255 ? 255 : n));
		}
	}
	why = NULL;
	if (article_check_post(&a, &why) != 0)
		REQUIRE(why != NULL);
	why = NULL;
	if (article_check_transit(&a, &why) != 0)
		REQUIRE(why != NULL);
	h = article_get(&a, "Newsgroups");
	if (h) {
		REQUIRE(article_count(&a, "newsgroups") >= 1);
		g.value = h->value;
		g.len = h->value_len;
		g.count = 0;
		(void)article_newsgroups(h->value, h->value_len, on_group, &g);
	}
	h = article_get(&a, "References");
	if (h)
		check_refs(h->value, h->value_len);
	lines = article_body_lines(a.body, a.body_len);
	REQUIRE(lines >= 0 && (size_t)lines <= a.body_len);
	return 0;
}
