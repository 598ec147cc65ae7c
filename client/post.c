/*
 * post.c: composing follow-ups and new articles (see post.h).
 *
 * Everything a person edits is plain text with LF line ends; before an
 * article leaves, it is put in wire form and run through the same parser
 * and posting checks the server uses (proto/article.c), so a mistake made
 * in the editor is reported here with a reason instead of a bare 441.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../proto/moot.h"
#include "../proto/line.h"
#include "../proto/article.h"
#include "post.h"

void post_draft_release(struct post_draft *d)
{
	buf_release(&d->head);
	buf_release(&d->body);
}

int post_reply_subject(struct buf *out, const char *subject)
{
	while (*subject == ' ' || *subject == '\t')
		subject++;
	if (strncasecmp(subject, "re:", 3) == 0)
		return buf_puts(out, subject);
	return buf_printf(out, "Re: %s", subject);
}

/* One message-id of a References list. */
struct id {
	const char *p;
	size_t len;
};

int post_references(struct buf *out, const char *parent_refs, const char *parent_msgid)
{
	struct id *ids = NULL;
	size_t n = 0, cap = 0, pos = 0, total, i, len = parent_refs ? strlen(parent_refs) : 0;
	const char *p;
	size_t plen;
	int rc = 0;

	while (parent_refs && article_next_msgid(parent_refs, len, &pos, &p, &plen)) {
		if (n == cap) {
			struct id *g = realloc(ids, (cap ? cap * 2 : 16) * sizeof(*ids));
			if (g == NULL) {
				free(ids);
				return MOOT_ENOMEM;
			}
			ids = g;
			cap = cap ? cap * 2 : 16;
		}
		ids[n].p = p;
		ids[n++].len = plen;
	}
	/* The parent's own id always goes last: trimmed ids come out of the middle. */
	total = strlen("References: ") + strlen(parent_msgid);
	for (i = 0; i < n; i++)
		total += ids[i].len + 1;
	/* RFC 5537 §3.4.4: keep the first id (the thread's start), drop the
	 * oldest after it until the field fits on one line. */
	i = 1;
	while (total > POST_MAX_LINE && i < n) {
		total -= ids[i].len + 1;
		i++;
	}
	if (n > 0)
		rc = buf_append(out, ids[0].p, ids[0].len);
	for (; rc == 0 && i < n; i++) {
		rc = buf_append(out, " ", 1);
		if (rc == 0)
			rc = buf_append(out, ids[i].p, ids[i].len);
	}
	if (rc == 0)
		rc = buf_printf(out, "%s%s", n > 0 ? " " : "", parent_msgid);
	free(ids);
	return rc;
}

int post_reply_groups(struct buf *out, const char *newsgroups, const char *followup_to)
{
	const char *f = followup_to;

	while (f && (*f == ' ' || *f == '\t'))
		f++;
	if (f && *f && strncasecmp(f, "poster", 6) != 0)
		return buf_puts(out, f);
	return buf_puts(out, newsgroups);
}

/* Append s[0..len) trimmed of spaces and surrounding double quotes. */
static int append_trimmed(struct buf *out, const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
	}
	return buf_append(out, s, len);
}

int post_author_name(struct buf *out, const char *from)
{
	const char *lt = strchr(from, '<'), *gt, *lp, *rp;

	if (lt != NULL) {
		gt = strchr(lt, '>');
		/* "Name <addr>": the name when there is one, else the address. */
		if (lt > from) {
			const char *s = from;
			while (s < lt && isspace((unsigned char)*s))
				s++;
			if (s < lt)
				return append_trimmed(out, from, (size_t)(lt - from));
		}
		return append_trimmed(out, lt + 1, gt ? (size_t)(gt - lt - 1) : strlen(lt + 1));
	}
	/* "addr (Name)" (RFC 5322 §4.4 obsolete form, common on Usenet). */
	lp = strchr(from, '(');
	rp = lp ? strrchr(lp, ')') : NULL;
	if (lp != NULL && rp != NULL && rp > lp + 1)
		return append_trimmed(out, lp + 1, (size_t)(rp - lp - 1));
	return append_trimmed(out, from, lp ? (size_t)(lp - from) : strlen(from));
}

int post_quote(struct buf *out, const char *date, const char *author, const char *body, size_t len)
{
	size_t pos = 0, end;
	int rc;

	rc = buf_printf(out, "On %s, %s wrote:\n", date && *date ? date : "an unknown date",
			author && *author ? author : "someone");
	while (rc == 0 && pos < len) {
		const char *nl = memchr(body + pos, '\n', len - pos);

		end = nl ? (size_t)(nl - body) : len;
		/* A signature ("-- " alone, RFC 3676 §4.3) is not quoted. */
		if (end - pos == 3 && memcmp(body + pos, "-- ", 3) == 0)
			break;
		if (end == pos)
			rc = buf_puts(out, ">\n");
		else
			rc = buf_printf(out, "> %.*s\n", (int)(end - pos), body + pos);
		pos = end + 1;
	}
	return rc;
}

int post_template(struct buf *out, const struct post_draft *d)
{
	int rc = buf_append(out, d->head.data ? d->head.data : "", d->head.len);

	if (rc == 0)
		rc = buf_append(out, "\n", 1);
	if (rc == 0)
		rc = buf_append(out, d->body.data ? d->body.data : "", d->body.len);
	return rc;
}

int post_parse(struct post_draft *d, const char *text, size_t len, const char **why)
{
	size_t pos = 0, end;
	int rc = 0, lines = 0;

	post_draft_release(d);
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n;

		end = nl ? (size_t)(nl - text) : len;
		n = end - pos;
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0) {
			pos = end + 1;
			break;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (lines == 0) {
				*why = "the draft starts with an indented line, not a header";
				return MOOT_EPROTO;
			}
		} else {
			const char *colon = memchr(line, ':', n);
			size_t k;

			if (colon == NULL || colon == line) {
				*why = "a line before the first empty line is not a header (Name: value)";
				return MOOT_EPROTO;
			}
			for (k = 0; line + k < colon; k++)
				if ((unsigned char)line[k] <= ' ' || (unsigned char)line[k] >= 0x7f) {
					*why = "a header name holds a space or control character";
					return MOOT_EPROTO;
				}
		}
		lines++;
		if ((rc = buf_append(&d->head, line, n)) != 0 || (rc = buf_append(&d->head, "\n", 1)) != 0)
			return rc;
		pos = end + 1;
	}
	if (pos < len)
		rc = buf_append(&d->body, text + pos, len - pos);
	return rc;
}

int post_body_written(const char *body, size_t len)
{
	size_t pos = 0, i, end;

	while (pos < len) {
		const char *nl = memchr(body + pos, '\n', len - pos);

		end = nl ? (size_t)(nl - body) : len;
		/* Skip the attribution line we put above a quote. */
		if (!(end - pos >= 3 && memcmp(body + pos, "On ", 3) == 0 &&
		      end - pos >= 6 && memcmp(body + end - 6, "wrote:", 6) == 0) &&
		    body[pos] != '>') {
			for (i = pos; i < end; i++)
				if (!isspace((unsigned char)body[i]))
					return 1;
		}
		pos = end + 1;
	}
	return 0;
}

int post_read_fd(int fd, struct buf *out)
{
	char chunk[8192];
	ssize_t n;
	size_t start = out->len;
	int rc;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if (out->len - start + (size_t)n > POST_MAX_TEXT)
			return MOOT_ETOOBIG;
		if ((rc = buf_append(out, chunk, (size_t)n)) != 0)
			return rc;
	}
}

/* Write all of p to fd; 0 or -errno. */
static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int post_edit(const char *editor, struct buf *text, char *err, size_t errlen)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[4096], *cmd = NULL;
	int fd, rc, status;
	pid_t pid;

	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/moot-XXXXXX.txt", tmpdir) >= sizeof(path)) {
		snprintf(err, errlen, "TMPDIR too long");
		return MOOT_EINVAL;
	}
	fd = mkstemps(path, 4);	/* mode 0600 */
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file in %s: %s", tmpdir, strerror(errno));
		return -errno;
	}
	rc = write_all(fd, text->data ? text->data : "", text->len);
	close(fd);
	if (rc != 0) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-rc));
		goto out;
	}
	/* As git does: sh -c 'EDITOR "$@"' EDITOR FILE, so the editor may carry arguments. */
	if (asprintf(&cmd, "%s \"$@\"", editor) < 0) {
		cmd = NULL;
		rc = MOOT_ENOMEM;
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot start the editor: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, editor, path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			rc = -errno;
			snprintf(err, errlen, "waiting for the editor: %s", strerror(errno));
			goto out;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "editor '%s' exited with status %d; nothing posted", editor,
			 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		rc = MOOT_EINVAL;
		goto out;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read '%s' back: %s", path, strerror(errno));
		goto out;
	}
	buf_clear(text);
	rc = post_read_fd(fd, text);
	close(fd);
	if (rc != 0)
		snprintf(err, errlen, "cannot read '%s' back: %s", path,
			 rc == MOOT_ETOOBIG ? "too large" : strerror(-rc));
out:
	free(cmd);
	unlink(path);
	return rc;
}

/* Parse LF text as an article: wire form into *wire, the parse into a. */
static int parse_text(const char *text, size_t len, struct buf *wire, struct article *a, const char **why)
{
	int rc = line_stuff_text(wire, text, len);

	if (rc != 0)
		return rc;
	return article_parse(wire->data ? wire->data : "", wire->len, a, why);
}

int post_draft_header(const struct post_draft *d, const char *name, struct buf *out)
{
	struct buf wire = { 0 };
	struct article *a = malloc(sizeof(*a));
	const struct article_header *h;
	const char *why;
	int rc;

	if (a == NULL)
		return MOOT_ENOMEM;
	rc = parse_text(d->head.data ? d->head.data : "", d->head.len, &wire, a, &why);
	if (rc == 0) {
		h = article_get(a, name);
		rc = h ? article_unfold(h->value, h->value_len, out) : 1;
	}
	buf_release(&wire);
	free(a);
	return rc;
}

/* 1 if any byte of s[0..len) is outside ASCII. */
static int has_8bit(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

int post_build(struct buf *out, const struct post_draft *d, const char *extra_head, const char **why)
{
	struct buf wire = { 0 };
	struct article *a;
	size_t start = out->len;
	int rc;

	rc = buf_append(out, d->head.data ? d->head.data : "", d->head.len);
	if (rc == 0 && extra_head)
		rc = buf_puts(out, extra_head);
	if (rc == 0)
		rc = buf_puts(out, "User-Agent: moot/" MOOT_VERSION "\n");
	/* RFC 2045 §4, §5, §6: say how to read an 8-bit body. */
	if (rc == 0 && has_8bit(d->body.data ? d->body.data : "", d->body.len))
		rc = buf_puts(out, "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
			      "Content-Transfer-Encoding: 8bit\n");
	if (rc == 0)
		rc = buf_append(out, "\n", 1);
	if (rc == 0)
		rc = buf_append(out, d->body.data ? d->body.data : "", d->body.len);
	if (rc == 0 && (out->len == start || out->data[out->len - 1] != '\n'))
		rc = buf_append(out, "\n", 1);
	if (rc != 0)
		return rc;
	if ((a = malloc(sizeof(*a))) == NULL)
		return MOOT_ENOMEM;
	rc = parse_text(out->data + start, out->len - start, &wire, a, why);
	if (rc == 0)
		rc = article_check_post(a, why);
	buf_release(&wire);
	free(a);
	return rc;
}

int post_msgid_from_reply(const char *text, char *out, size_t outlen)
{
	const char *lt = strchr(text, '<'), *gt;
	size_t n;

	if (lt == NULL || (gt = strchr(lt, '>')) == NULL)
		return MOOT_ENOTFOUND;
	n = (size_t)(gt - lt + 1);
	if (n >= outlen || !article_msgid_valid(lt, n))
		return MOOT_ENOTFOUND;
	memcpy(out, lt, n);
	out[n] = '\0';
	return 0;
}
