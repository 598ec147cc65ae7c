/*
 * newsrc.c: read state in the .newsrc format tin, slrn and INN's clients share.
 *
 * The file is read whole (bounded by NEWSRC_MAX_FILE) and split into lines;
 * each line keeps a pointer to its bytes as read, terminator included, so a
 * line this module did not modify is written back byte for byte.  A line is
 * a group line when it starts with a name followed by ':' (subscribed) or '!'
 * (unsubscribed); its ranges ("1-120, 122") are parsed into a sorted,
 * merged array used for queries.  When the ranges do not parse (a negative or
 * overflowing number, a stray character) the group has no read state but its
 * line is still kept verbatim until the group is modified.  Everything else
 * (options lines, comments, blank lines) is kept verbatim and in order.
 * Only a modified group's line is regenerated, normalized.
 * Groups are found through a small open-addressing hash of line indices.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../proto/moot.h"
#include "../proto/buf.h"
#include "newsrc.h"

/* Longest line whose ranges we parse; longer lines are kept verbatim. */
#define NEWSRC_MAX_LINE (1024 * 1024)
/* Largest .newsrc we load; anything bigger is not a newsrc. */
#define NEWSRC_MAX_FILE (64 * 1024 * 1024)

struct range {
	int64_t lo, hi;		/* inclusive, 0 <= lo <= hi */
};

struct nline {
	const char *raw;	/* the line as read, terminator included; NULL for a new group */
	size_t raw_len;		/* bytes of raw */
	char *group;		/* owned group name; NULL for a line kept only verbatim */
	char mark;		/* ':' subscribed or '!' unsubscribed */
	int modified;		/* written from ranges rather than raw */
	struct range *r;	/* sorted, disjoint, never adjacent */
	size_t nr, cap;		/* ranges used and allocated */
};

struct newsrc {
	char *text;		/* the file as read; nline.raw points here */
	struct nline *lines;	/* in file order, new groups at the end */
	size_t n, cap;		/* lines used and allocated */
	size_t *slot;		/* hash of group lines: index + 1, 0 when empty */
	size_t nslot;		/* a power of two, or 0 */
};

/* FNV-1a over a NUL-terminated name. */
static size_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)h;
}

/* Index of group's line, or -1. */
static ptrdiff_t find_line(const struct newsrc *n, const char *group)
{
	size_t i, s;

	if (n->nslot == 0)
		return -1;
	for (i = hash_name(group) & (n->nslot - 1);; i = (i + 1) & (n->nslot - 1)) {
		s = n->slot[i];
		if (s == 0)
			return -1;
		if (strcmp(n->lines[s - 1].group, group) == 0)
			return (ptrdiff_t)(s - 1);
	}
}

/* Put line idx (a group line not yet in the hash) into the hash, growing it
 * to keep the load under one half; 0 or MOOT_ENOMEM. */
static int hash_insert(struct newsrc *n, size_t idx)
{
	size_t i, j, want, *slot;

	if (n->nslot == 0 || (idx + 1) * 2 > n->nslot) {
		want = n->nslot ? n->nslot : 64;
		while ((idx + 1) * 2 > want) {
			if (want > SIZE_MAX / 2 / sizeof(*slot))
				return MOOT_ENOMEM;
			want *= 2;
		}
		if (want != n->nslot) {
			slot = calloc(want, sizeof(*slot));
			if (slot == NULL)
				return MOOT_ENOMEM;
			for (i = 0; i < n->nslot; i++) {
				if (n->slot[i] == 0)
					continue;
				j = hash_name(n->lines[n->slot[i] - 1].group) & (want - 1);
				while (slot[j] != 0)
					j = (j + 1) & (want - 1);
				slot[j] = n->slot[i];
			}
			free(n->slot);
			n->slot = slot;
			n->nslot = want;
		}
	}
	j = hash_name(n->lines[idx].group) & (n->nslot - 1);
	while (n->slot[j] != 0)
		j = (j + 1) & (n->nslot - 1);
	n->slot[j] = idx + 1;
	return 0;
}

/* Append a zeroed line; returns it or NULL on MOOT_ENOMEM. */
static struct nline *add_line(struct newsrc *n)
{
	struct nline *l;
	size_t cap;

	if (n->n == n->cap) {
		cap = n->cap ? n->cap * 2 : 64;
		if (cap > SIZE_MAX / sizeof(*l))
			return NULL;
		l = realloc(n->lines, cap * sizeof(*l));
		if (l == NULL)
			return NULL;
		n->lines = l;
		n->cap = cap;
	}
	l = &n->lines[n->n++];
	memset(l, 0, sizeof(*l));
	return l;
}

/* Append range lo..hi at the end of l's array (no merging); 0 or MOOT_ENOMEM. */
static int push_range(struct nline *l, int64_t lo, int64_t hi)
{
	struct range *r;
	size_t cap;

	if (l->nr == l->cap) {
		cap = l->cap ? l->cap * 2 : 8;
		if (cap > SIZE_MAX / sizeof(*r))
			return MOOT_ENOMEM;
		r = realloc(l->r, cap * sizeof(*r));
		if (r == NULL)
			return MOOT_ENOMEM;
		l->r = r;
		l->cap = cap;
	}
	l->r[l->nr].lo = lo;
	l->r[l->nr].hi = hi;
	l->nr++;
	return 0;
}

/* qsort order of ranges: by lo. */
static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Sort l's ranges and merge overlapping or adjacent ones (1-3,4 -> 1-4). */
static void normalize(struct nline *l)
{
	size_t i, o;

	if (l->nr < 2)
		return;
	qsort(l->r, l->nr, sizeof(*l->r), range_cmp);
	for (o = 0, i = 1; i < l->nr; i++) {
		/* lo >= 0, so lo - 1 cannot overflow where hi + 1 could */
		if (l->r[i].lo - 1 <= l->r[o].hi) {
			if (l->r[i].hi > l->r[o].hi)
				l->r[o].hi = l->r[i].hi;
		} else {
			l->r[++o] = l->r[i];
		}
	}
	l->nr = o + 1;
}

/* SP or HTAB, and CR so a stray one before LF counts as trailing space. */
static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* A byte allowed in a group name here: printable, not a separator.  Looser
 * than RFC 5536 §3.1.4 on purpose: other readers' files may hold any name. */
static int is_name_char(char c)
{
	return c > ' ' && c < 0x7f && c != ':' && c != '!' && c != ',';
}

/* Parse a non-negative decimal at s[*i..len) into *v; 0, or -1 when there
 * is no digit or the value overflows int64. */
static int parse_num(const char *s, size_t len, size_t *i, int64_t *v)
{
	int64_t x = 0;
	size_t start = *i;

	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		int d = s[*i] - '0';

		if (x > (INT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
		(*i)++;
	}
	if (*i == start)
		return -1;
	*v = x;
	return 0;
}

/* Parse the ranges in s[0..len) into l ("1-5, 7,9-10", maybe empty, maybe
 * with whitespace around commas); 0, -1 for garbage, or MOOT_ENOMEM. */
static int parse_ranges(struct nline *l, const char *s, size_t len)
{
	size_t i = 0;
	int64_t lo, hi;
	int rc;

	while (i < len && is_space(s[i]))
		i++;
	if (i == len)
		return 0;
	for (;;) {
		if (parse_num(s, len, &i, &lo) < 0)
			return -1;
		hi = lo;
		if (i < len && s[i] == '-') {
			i++;
			if (parse_num(s, len, &i, &hi) < 0 || hi < lo)
				return -1;
		}
		rc = push_range(l, lo, hi);
		if (rc < 0)
			return rc;
		while (i < len && is_space(s[i]))
			i++;
		if (i == len)
			return 0;
		if (s[i] != ',')
			return -1;
		i++;
		while (i < len && is_space(s[i]))
			i++;
	}
}

/* Length of raw's terminator: 2 for CRLF, 1 for LF, 0 on a last line without. */
static size_t term_len(const char *raw, size_t len)
{
	if (len >= 2 && raw[len - 2] == '\r' && raw[len - 1] == '\n')
		return 2;
	if (len >= 1 && raw[len - 1] == '\n')
		return 1;
	return 0;
}

/* Record one line as read and work out whether it is a group line;
 * 0 or MOOT_ENOMEM. */
static int load_line(struct newsrc *n, const char *raw, size_t raw_len)
{
	size_t len = raw_len - term_len(raw, raw_len), i = 0;
	struct nline *l;
	int rc;

	l = add_line(n);
	if (l == NULL)
		return MOOT_ENOMEM;
	l->raw = raw;
	l->raw_len = raw_len;
	while (i < len && i < MOOT_MAX_GROUP - 1 && is_name_char(raw[i]))
		i++;
	if (i == 0 || i == len || (raw[i] != ':' && raw[i] != '!') || raw[0] == '#')
		return 0;	/* not a group line: verbatim only */
	l->group = strndup(raw, i);
	if (l->group == NULL)
		return MOOT_ENOMEM;
	if (find_line(n, l->group) >= 0) {
		/* A second line for the same group: the first one rules. */
		free(l->group);
		l->group = NULL;
		return 0;
	}
	l->mark = raw[i];
	rc = hash_insert(n, n->n - 1);
	if (rc < 0)
		return rc;
	if (len > NEWSRC_MAX_LINE)
		return 0;	/* too long to parse: no read state */
	rc = parse_ranges(l, raw + i + 1, len - i - 1);
	if (rc == MOOT_ENOMEM)
		return rc;
	if (rc < 0)
		l->nr = 0;	/* garbage ranges: no read state, line kept */
	normalize(l);
	return 0;
}

/* Read all of fd into *out (NUL-terminated), at most NEWSRC_MAX_FILE bytes;
 * 0, -errno, MOOT_ETOOBIG or MOOT_ENOMEM. */
static int read_all(int fd, char **out, size_t *outlen)
{
	struct buf b = { 0 };
	ssize_t got;
	int rc;

	for (;;) {
		rc = buf_reserve(&b, 65536);
		if (rc < 0)
			goto fail;
		got = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto fail;
		}
		if (got == 0)
			break;
		b.len += (size_t)got;
		b.data[b.len] = '\0';
		if (b.len > NEWSRC_MAX_FILE) {
			rc = MOOT_ETOOBIG;
			goto fail;
		}
	}
	*out = b.data;
	*outlen = b.len;
	return 0;
fail:
	buf_release(&b);
	return rc;
}

/*
 * Load path into a new newsrc (*out, freed with newsrc_free); a missing
 * file gives an empty one.  0, -errno (-EINVAL for a path that is not a
 * regular file), MOOT_ETOOBIG (over NEWSRC_MAX_FILE) or MOOT_ENOMEM.
 */
int newsrc_load(const char *path, struct newsrc **out)
{
	struct newsrc *n;
	struct stat st;
	size_t len = 0, start, i;
	int fd, rc;

	*out = NULL;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return MOOT_ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			*out = n;
			return 0;
		}
		rc = -errno;
		goto fail;
	}
	/* Only a regular file: a FIFO or device would block or never end. */
	rc = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (rc < 0) {
		close(fd);
		goto fail;
	}
	rc = read_all(fd, &n->text, &len);
	close(fd);
	if (rc < 0)
		goto fail;
	for (start = 0, i = 0; i < len; i++) {
		if (n->text[i] != '\n')
			continue;
		rc = load_line(n, n->text + start, i + 1 - start);
		if (rc < 0)
			goto fail;
		start = i + 1;
	}
	if (start < len) {
		rc = load_line(n, n->text + start, len - start);
		if (rc < 0)
			goto fail;
	}
	*out = n;
	return 0;
fail:
	newsrc_free(n);
	return rc;
}

/* Free n and everything it owns; accepts NULL and half-loaded objects. */
void newsrc_free(struct newsrc *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		free(n->lines[i].group);
		free(n->lines[i].r);
	}
	free(n->lines);
	free(n->slot);
	free(n->text);
	free(n);
}

/* Append l as a normalized line ("name: 1-5,7" or "name!"), without terminator. */
static int format_line(const struct nline *l, struct buf *b)
{
	size_t i;
	int rc;

	rc = buf_printf(b, "%s%c", l->group, l->mark);
	for (i = 0; rc == 0 && i < l->nr; i++) {
		const char *sep = i ? "," : " ";

		if (l->r[i].lo == l->r[i].hi)
			rc = buf_printf(b, "%s%lld", sep, (long long)l->r[i].lo);
		else
			rc = buf_printf(b, "%s%lld-%lld", sep, (long long)l->r[i].lo,
					(long long)l->r[i].hi);
	}
	return rc;
}

/* The whole file as it will be written, into b; 0 or MOOT_ENOMEM. */
static int format_all(const struct newsrc *n, struct buf *b)
{
	const struct nline *l;
	size_t i, t;
	int rc = 0;

	for (i = 0; rc == 0 && i < n->n; i++) {
		l = &n->lines[i];
		/* A last line read without LF gets one when something follows. */
		if (b->len > 0 && b->data[b->len - 1] != '\n')
			rc = buf_puts(b, "\n");
		if (rc < 0)
			break;
		if (!l->modified) {
			rc = buf_append(b, l->raw, l->raw_len);
			continue;
		}
		rc = format_line(l, b);
		t = l->raw ? term_len(l->raw, l->raw_len) : 0;
		if (rc == 0)
			rc = t ? buf_append(b, l->raw + l->raw_len - t, t) : buf_puts(b, "\n");
	}
	return rc;
}

/* write(2) all of p, retrying on EINTR; 0 or -errno. */
static int write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* fsync the folder holding path so the rename itself survives a crash;
 * best effort (some file systems refuse fsync on a directory). */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

/*
 * Write n to path atomically: "<path>.tmp.<pid>" in the same folder, with
 * the original file's mode (0600 for a new file), fsync, rename over path.
 * On failure path is untouched and the temporary file removed.  0, -errno
 * or MOOT_ENOMEM.
 */
int newsrc_save(const struct newsrc *n, const char *path)
{
	struct buf out = { 0 }, tmp = { 0 };
	struct stat st;
	mode_t mode = 0600;
	int fd = -1, rc;

	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	rc = format_all(n, &out);
	if (rc == 0)
		rc = buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if (rc < 0)
		goto done;
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* Left by an earlier process with our pid that died mid-save. */
		(void)unlink(tmp.data);
		fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		rc = -errno;
		goto done;
	}
	/* fchmod, not the open mode: the umask must not change the file's mode. */
	if (fchmod(fd, mode) < 0 || (rc = write_all(fd, out.data, out.len)) < 0 ||
	    fsync(fd) < 0) {
		rc = rc < 0 ? rc : -errno;
		goto unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = -errno;
		goto unlink;
	}
	fd = -1;
	if (rename(tmp.data, path) < 0) {
		rc = -errno;
		goto unlink;
	}
	sync_dir(path);
	rc = 0;
	goto done;
unlink:
	if (fd >= 0)
		close(fd);
	fd = -1;
	(void)unlink(tmp.data);
done:
	buf_release(&out);
	buf_release(&tmp);
	return rc;
}

/* The group's line, or NULL. */
static struct nline *get(const struct newsrc *n, const char *group)
{
	ptrdiff_t i = find_line(n, group);

	return i < 0 ? NULL : &n->lines[i];
}

/* A name this module will write as a group line: 1..MOOT_MAX_GROUP-1 name bytes. */
static int name_ok(const char *group)
{
	size_t i;

	for (i = 0; group[i]; i++)
		if (!is_name_char(group[i]) || i + 1 >= MOOT_MAX_GROUP)
			return 0;
	return i > 0 && group[0] != '#';
}

/* The group's line, adding a subscribed one at the end when missing;
 * NULL when out of memory. */
static struct nline *get_or_add(struct newsrc *n, const char *group)
{
	struct nline *l = get(n, group);

	if (l != NULL)
		return l;
	l = add_line(n);
	if (l == NULL)
		return NULL;
	l->mark = ':';
	l->modified = 1;
	l->group = strdup(group);
	if (l->group == NULL || hash_insert(n, n->n - 1) < 0) {
		free(l->group);
		n->n--;
		return NULL;
	}
	return l;
}

/* Index of the range holding number in l, or -1 (binary search). */
static ptrdiff_t range_find(const struct nline *l, int64_t number)
{
	size_t lo = 0, hi = l->nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (l->r[mid].hi < number)
			lo = mid + 1;
		else if (l->r[mid].lo > number)
			hi = mid;
		else
			return (ptrdiff_t)mid;
	}
	return -1;
}

/* 1 if number is marked read in group, else 0 (also for unknown groups). */
int newsrc_is_read(const struct newsrc *n, const char *group, int64_t number)
{
	const struct nline *l = get(n, group);

	return l != NULL && range_find(l, number) >= 0;
}

/*
 * Mark lo..hi read in group, merging with the ranges around it; a group
 * not yet in the file gets a subscribed line at the end.  0, MOOT_EINVAL
 * (bad name, lo < 0 or hi < lo) or MOOT_ENOMEM.
 */
int newsrc_mark_range(struct newsrc *n, const char *group, int64_t lo, int64_t hi)
{
	struct nline *l;
	size_t i, j;
	int rc;

	if (!name_ok(group) || lo < 0 || hi < lo)
		return MOOT_EINVAL;
	l = get_or_add(n, group);
	if (l == NULL)
		return MOOT_ENOMEM;
	/* Ranges i..j-1 overlap or touch lo..hi (written to avoid hi + 1). */
	for (i = 0; i < l->nr && l->r[i].hi < lo - 1; i++)
		;
	for (j = i; j < l->nr && l->r[j].lo - 1 <= hi; j++)
		;
	if (i == j) {
		rc = push_range(l, lo, hi);
		if (rc < 0)
			return rc;
		memmove(&l->r[i + 1], &l->r[i], (l->nr - 1 - i) * sizeof(*l->r));
		l->r[i].lo = lo;
		l->r[i].hi = hi;
	} else {
		if (l->r[i].lo < lo)
			lo = l->r[i].lo;
		if (l->r[j - 1].hi > hi)
			hi = l->r[j - 1].hi;
		l->r[i].lo = lo;
		l->r[i].hi = hi;
		memmove(&l->r[i + 1], &l->r[j], (l->nr - j) * sizeof(*l->r));
		l->nr -= j - i - 1;
	}
	l->modified = 1;
	return 0;
}

/*
 * Mark one article unread again, splitting the range that held it.  A group
 * not in the file, or an article not read, is left alone.  0, MOOT_EINVAL
 * or MOOT_ENOMEM.
 */
int newsrc_mark_unread(struct newsrc *n, const char *group, int64_t number)
{
	struct nline *l = get(n, group);
	ptrdiff_t k;
	size_t i;
	int rc;

	if (number < 0)
		return MOOT_EINVAL;
	if (l == NULL || (k = range_find(l, number)) < 0)
		return 0;
	i = (size_t)k;
	if (l->r[i].lo == number && l->r[i].hi == number) {
		memmove(&l->r[i], &l->r[i + 1], (l->nr - i - 1) * sizeof(*l->r));
		l->nr--;
	} else if (l->r[i].lo == number) {
		l->r[i].lo = number + 1;
	} else if (l->r[i].hi == number) {
		l->r[i].hi = number - 1;
	} else {
		rc = push_range(l, 0, 0);
		if (rc < 0)
			return rc;
		memmove(&l->r[i + 2], &l->r[i + 1], (l->nr - 2 - i) * sizeof(*l->r));
		l->r[i + 1].lo = number + 1;
		l->r[i + 1].hi = l->r[i].hi;
		l->r[i].hi = number - 1;
	}
	l->modified = 1;
	return 0;
}

/*
 * Catch up: the ranges become exactly "1-high" (empty when high < 1), adding
 * the group when missing.  0, MOOT_EINVAL or MOOT_ENOMEM.
 */
int newsrc_catchup(struct newsrc *n, const char *group, int64_t high)
{
	struct nline *l;

	if (!name_ok(group))
		return MOOT_EINVAL;
	l = get_or_add(n, group);
	if (l == NULL)
		return MOOT_ENOMEM;
	l->nr = 0;
	l->modified = 1;
	return high >= 1 ? push_range(l, 1, high) : 0;
}

/* Mark everything in group unread (its line becomes "name:"); a group not
 * in the file is left alone.  Always 0. */
int newsrc_unread_all(struct newsrc *n, const char *group)
{
	struct nline *l = get(n, group);

	if (l != NULL) {
		l->nr = 0;
		l->modified = 1;
	}
	return 0;
}

/*
 * Numbers in low..high not covered by group's ranges (0 when high < low;
 * all of them for an unknown group), saturated at INT64_MAX.
 */
int64_t newsrc_unread_count(const struct newsrc *n, const char *group, int64_t low, int64_t high)
{
	const struct nline *l = get(n, group);
	uint64_t total, covered = 0;
	int64_t a, b;
	size_t i;

	if (high < low)
		return 0;
	/* Unsigned arithmetic: high - low + 1 may not fit int64. */
	total = (uint64_t)high - (uint64_t)low + 1;
	if (total == 0)
		total = UINT64_MAX;	/* the whole int64 line, one short */
	for (i = 0; l != NULL && i < l->nr; i++) {
		a = l->r[i].lo > low ? l->r[i].lo : low;
		b = l->r[i].hi < high ? l->r[i].hi : high;
		if (a <= b)
			covered += (uint64_t)b - (uint64_t)a + 1;
	}
	total -= covered;
	return total > INT64_MAX ? INT64_MAX : (int64_t)total;
}

/*
 * The group's line as it would be written, without line terminator, into
 * out (NUL-terminated).  0, MOOT_ENOTFOUND, MOOT_ETOOBIG (out too small;
 * out then holds ""), or MOOT_ENOMEM.
 */
int newsrc_format_group(const struct newsrc *n, const char *group, char *out, size_t outlen)
{
	const struct nline *l = get(n, group);
	struct buf b = { 0 };
	int rc;

	if (outlen > 0)
		out[0] = '\0';
	if (l == NULL)
		return MOOT_ENOTFOUND;
	if (l->modified)
		rc = format_line(l, &b);
	else
		rc = buf_append(&b, l->raw, l->raw_len - term_len(l->raw, l->raw_len));
	if (rc == 0 && b.len >= outlen)
		rc = MOOT_ETOOBIG;
	if (rc == 0)
		memcpy(out, b.data, b.len + 1);
	buf_release(&b);
	return rc;
}
