/* Unit tests for client/newsrc.c: parsing, byte-exact round trips, range
 * arithmetic, unread counts and atomic saves.  Files live in a fresh folder
 * under $TMPDIR (or /tmp), removed at the end of each case. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "../../proto/moot.h"
#include "../../client/newsrc.h"

/* A scratch folder: its path and the newsrc path inside it. */
struct scratch {
	char dir[512];
	char path[600];
};

/* Make a fresh folder; 0 or -1. */
static int scratch_make(struct scratch *s)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(s->dir, sizeof(s->dir), "%s/moot-newsrc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	snprintf(s->path, sizeof(s->path), "%s/newsrc", s->dir);
	return 0;
}

/* Number of entries in the folder other than . and .. */
static int scratch_entries(const struct scratch *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Remove the folder and what is in it (no subfolders are made). */
static void scratch_remove(const struct scratch *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *e;
	char p[1024];

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", s->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(s->dir);
}

/* Write len bytes to path, replacing it; 0 or -1. */
static int put_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	size_t w;

	if (f == NULL)
		return -1;
	w = fwrite(text, 1, len, f);
	return (fclose(f) == 0 && w == len) ? 0 : -1;
}

/* Read all of path (malloc'd, NUL-terminated) into *out; its length, or -1. */
static long get_file(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL, *q;
	size_t len = 0, got;

	*out = NULL;
	if (f == NULL)
		return -1;
	for (;;) {
		q = realloc(p, len + 65537);
		if (q == NULL) {
			free(p);
			fclose(f);
			return -1;
		}
		p = q;
		got = fread(p + len, 1, 65536, f);
		len += got;
		if (got < 65536)
			break;
	}
	fclose(f);
	p[len] = '\0';
	*out = p;
	return (long)len;
}

/* The group's formatted line, in a static buffer ("(error N)" on failure). */
static const char *line_of(const struct newsrc *n, const char *group)
{
	static char out[4096];
	int rc = newsrc_format_group(n, group, out, sizeof(out));

	if (rc < 0)
		snprintf(out, sizeof(out), "(error %d)", rc);
	return out;
}

/* Load text written to a scratch file; NULL on failure. */
static struct newsrc *load_text(struct scratch *s, const char *text)
{
	struct newsrc *n = NULL;

	if (put_file(s->path, text, strlen(text)) < 0)
		return NULL;
	if (newsrc_load(s->path, &n) < 0)
		return NULL;
	return n;
}

/* A file nothing modified saves byte for byte: options lines, comments,
 * garbage, blank lines, CRLF, unsubscribed groups, a last line without LF. */
static void roundtrip_untouched(void)
{
	static const char text[] =
		"options -n all,!alt.*\n"
		"comp.lang.c: 1-120,122\n"
		"alt.test! 1-5\n"
		"\n"
		"# a comment: 1-3\n"
		"nospace:1-3\n"
		"spaced: 1 , 3 ,\t5-6  \n"
		"neg: -5\n"
		"big: 9223372036854775808\n"
		"inverted: 9-3\n"
		"trailing: 1-3,\n"
		"nocomma: 1 23\n"
		"letter: 1-3x\n"
		"empty:\n"
		"crlf: 2-4\r\n"
		"max: 9223372036854775807\n"
		"garbage line without marker\n"
		"last: 7";
	struct scratch s;
	struct newsrc *n;
	char *back = NULL;
	long len;

	CHECK(scratch_make(&s) == 0);
	n = load_text(&s, text);
	CHECK(n != NULL);
	if (n == NULL)
		goto out;
	/* Parsed state */
	CHECK_INT(newsrc_is_read(n, "comp.lang.c", 1), 1);
	CHECK_INT(newsrc_is_read(n, "comp.lang.c", 120), 1);
	CHECK_INT(newsrc_is_read(n, "comp.lang.c", 121), 0);
	CHECK_INT(newsrc_is_read(n, "comp.lang.c", 122), 1);
	CHECK_INT(newsrc_is_read(n, "alt.test", 3), 1);
	CHECK_INT(newsrc_is_read(n, "nospace", 2), 1);
	CHECK_INT(newsrc_is_read(n, "spaced", 3), 1);
	CHECK_INT(newsrc_is_read(n, "spaced", 4), 0);
	CHECK_INT(newsrc_is_read(n, "spaced", 6), 1);
	CHECK_INT(newsrc_is_read(n, "crlf", 4), 1);
	CHECK_INT(newsrc_is_read(n, "max", INT64_MAX), 1);
	CHECK_INT(newsrc_is_read(n, "last", 7), 1);
	/* Garbage ranges: the group exists but has no read state. */
	CHECK_INT(newsrc_is_read(n, "neg", 5), 0);
	CHECK_INT(newsrc_is_read(n, "big", 1), 0);
	CHECK_INT(newsrc_is_read(n, "inverted", 5), 0);
	CHECK_INT(newsrc_is_read(n, "trailing", 2), 0);
	CHECK_INT(newsrc_is_read(n, "nocomma", 1), 0);
	CHECK_INT(newsrc_is_read(n, "letter", 2), 0);
	CHECK_INT(newsrc_unread_count(n, "neg", 1, 10), 10);
	CHECK_INT(newsrc_is_read(n, "options -n all,", 1), 0);
	CHECK_INT(newsrc_is_read(n, "# a comment", 1), 0);
	/* Untouched lines format as read. */
	CHECK_STR(line_of(n, "spaced"), "spaced: 1 , 3 ,\t5-6  ");
	CHECK_STR(line_of(n, "neg"), "neg: -5");
	CHECK_STR(line_of(n, "crlf"), "crlf: 2-4");
	CHECK_STR(line_of(n, "nosuch"), "(error -10004)");

	CHECK_INT(newsrc_save(n, s.path), 0);
	len = get_file(s.path, &back);
	CHECK_INT(len, (long)sizeof(text) - 1);
	CHECK(back != NULL && memcmp(back, text, sizeof(text) - 1) == 0);
	free(back);
	newsrc_free(n);
out:
	scratch_remove(&s);
}

/* Only modified lines are rewritten, normalized, in place; a CRLF line keeps
 * CRLF; a garbage group is rewritten once modified; new groups go last,
 * after a newline added to a last line that had none. */
static void roundtrip_modified(void)
{
	static const char text[] =
		"options -n\n"
		"a: 5,1-3,4\n"
		"b: 2-4\r\n"
		"c! -1,x\n"
		"d: 10 , 1\n"
		"e: 1";
	static const char want[] =
		"options -n\n"
		"a: 1-5,7\n"
		"b: 2-5\r\n"
		"c! 3\n"
		"d: 10 , 1\n"
		"e: 1\n"
		"new: 2\n";
	struct scratch s;
	struct newsrc *n, *n2 = NULL;
	char *back = NULL;

	CHECK(scratch_make(&s) == 0);
	n = load_text(&s, text);
	CHECK(n != NULL);
	if (n == NULL)
		goto out;
	CHECK_INT(newsrc_is_read(n, "a", 4), 1);
	CHECK_INT(newsrc_is_read(n, "d", 10), 1);
	CHECK_STR(line_of(n, "a"), "a: 5,1-3,4");	/* untouched: as read */
	CHECK_INT(newsrc_mark_range(n, "a", 7, 7), 0);
	CHECK_INT(newsrc_mark_range(n, "b", 5, 5), 0);
	CHECK_INT(newsrc_mark_range(n, "c", 3, 3), 0);
	CHECK_INT(newsrc_mark_range(n, "new", 2, 2), 0);
	CHECK_STR(line_of(n, "a"), "a: 1-5,7");
	CHECK_STR(line_of(n, "c"), "c! 3");
	CHECK_INT(newsrc_save(n, s.path), 0);
	CHECK_INT(get_file(s.path, &back), (long)sizeof(want) - 1);
	CHECK_STR(back, want);
	free(back);
	/* Reading it back gives the same state. */
	CHECK_INT(newsrc_load(s.path, &n2), 0);
	if (n2 != NULL) {
		CHECK_INT(newsrc_is_read(n2, "a", 6), 0);
		CHECK_INT(newsrc_is_read(n2, "a", 7), 1);
		CHECK_INT(newsrc_is_read(n2, "new", 2), 1);
		CHECK_INT(newsrc_is_read(n2, "c", 3), 1);
		CHECK_STR(line_of(n2, "new"), "new: 2");
	}
	newsrc_free(n2);
	newsrc_free(n);
out:
	scratch_remove(&s);
}

/* A repeated group line: the first rules, the second is kept verbatim. */
static void duplicate_group_line(void)
{
	static const char text[] = "g: 1-3\ng: 10-20\n";
	struct scratch s;
	struct newsrc *n;
	char *back = NULL;

	CHECK(scratch_make(&s) == 0);
	n = load_text(&s, text);
	CHECK(n != NULL);
	if (n == NULL)
		goto out;
	CHECK_INT(newsrc_is_read(n, "g", 2), 1);
	CHECK_INT(newsrc_is_read(n, "g", 15), 0);
	CHECK_INT(newsrc_mark_range(n, "g", 4, 4), 0);
	CHECK_INT(newsrc_save(n, s.path), 0);
	get_file(s.path, &back);
	CHECK_STR(back, "g: 1-4\ng: 10-20\n");
	free(back);
	newsrc_free(n);
out:
	scratch_remove(&s);
}

/* mark_range merges overlapping and adjacent ranges and keeps them sorted. */
static void mark_range_merging(void)
{
	struct newsrc *n = NULL;

	CHECK_INT(newsrc_load("/nonexistent-h8/newsrc", &n), 0);
	if (n == NULL)
		return;
	CHECK_INT(newsrc_mark_range(n, "g", 5, 5), 0);
	CHECK_STR(line_of(n, "g"), "g: 5");
	CHECK_INT(newsrc_mark_range(n, "g", 1, 3), 0);
	CHECK_STR(line_of(n, "g"), "g: 1-3,5");
	CHECK_INT(newsrc_mark_range(n, "g", 4, 4), 0);	/* 1-3,4,5 -> 1-5 */
	CHECK_STR(line_of(n, "g"), "g: 1-5");
	CHECK_INT(newsrc_mark_range(n, "g", 20, 20), 0);
	CHECK_INT(newsrc_mark_range(n, "g", 10, 12), 0);
	CHECK_INT(newsrc_mark_range(n, "g", 30, 31), 0);
	CHECK_STR(line_of(n, "g"), "g: 1-5,10-12,20,30-31");
	CHECK_INT(newsrc_mark_range(n, "g", 11, 25), 0);	/* spans two, touches none after */
	CHECK_STR(line_of(n, "g"), "g: 1-5,10-25,30-31");
	CHECK_INT(newsrc_mark_range(n, "g", 3, 4), 0);		/* inside: no change */
	CHECK_STR(line_of(n, "g"), "g: 1-5,10-25,30-31");
	CHECK_INT(newsrc_mark_range(n, "g", 6, 9), 0);		/* fills a gap exactly */
	CHECK_STR(line_of(n, "g"), "g: 1-25,30-31");
	CHECK_INT(newsrc_mark_range(n, "g", 0, 100), 0);	/* swallows all */
	CHECK_STR(line_of(n, "g"), "g: 0-100");
	/* The top of int64 merges without overflow. */
	CHECK_INT(newsrc_mark_range(n, "h", INT64_MAX - 1, INT64_MAX), 0);
	CHECK_INT(newsrc_mark_range(n, "h", INT64_MAX - 3, INT64_MAX - 2), 0);
	CHECK_STR(line_of(n, "h"), "h: 9223372036854775804-9223372036854775807");
	/* Bad arguments */
	CHECK_INT(newsrc_mark_range(n, "g", -1, 3), MOOT_EINVAL);
	CHECK_INT(newsrc_mark_range(n, "g", 5, 4), MOOT_EINVAL);
	CHECK_INT(newsrc_mark_range(n, "a b", 1, 1), MOOT_EINVAL);
	CHECK_INT(newsrc_mark_range(n, "a:b", 1, 1), MOOT_EINVAL);
	CHECK_INT(newsrc_mark_range(n, "", 1, 1), MOOT_EINVAL);
	CHECK_STR(line_of(n, "a b"), "(error -10004)");
	newsrc_free(n);
}

/* mark_unread splits a range, trims its ends, removes a single. */
static void mark_unread_split(void)
{
	struct scratch s;
	struct newsrc *n;

	CHECK(scratch_make(&s) == 0);
	n = load_text(&s, "g: 1-10\nu! 1-3\n");
	CHECK(n != NULL);
	if (n == NULL)
		goto out;
	CHECK_INT(newsrc_mark_unread(n, "g", 50), 0);		/* not read: untouched */
	CHECK_STR(line_of(n, "g"), "g: 1-10");
	CHECK_INT(newsrc_mark_unread(n, "g", 5), 0);
	CHECK_STR(line_of(n, "g"), "g: 1-4,6-10");
	CHECK_INT(newsrc_is_read(n, "g", 5), 0);
	CHECK_INT(newsrc_is_read(n, "g", 6), 1);
	CHECK_INT(newsrc_mark_unread(n, "g", 1), 0);
	CHECK_STR(line_of(n, "g"), "g: 2-4,6-10");
	CHECK_INT(newsrc_mark_unread(n, "g", 10), 0);
	CHECK_STR(line_of(n, "g"), "g: 2-4,6-9");
	CHECK_INT(newsrc_mark_unread(n, "g", 3), 0);
	CHECK_STR(line_of(n, "g"), "g: 2,4,6-9");
	CHECK_INT(newsrc_mark_unread(n, "g", 2), 0);
	CHECK_STR(line_of(n, "g"), "g: 4,6-9");
	CHECK_INT(newsrc_mark_unread(n, "u", 2), 0);		/* keeps '!' */
	CHECK_STR(line_of(n, "u"), "u! 1,3");
	CHECK_INT(newsrc_mark_unread(n, "nosuch", 2), 0);	/* no line is made */
	CHECK_STR(line_of(n, "nosuch"), "(error -10004)");
	CHECK_INT(newsrc_mark_unread(n, "g", -1), MOOT_EINVAL);
	newsrc_free(n);
out:
	scratch_remove(&s);
}

/* catchup makes the ranges exactly 1-high; unread_all empties them. */
static void catchup_and_unread_all(void)
{
	struct scratch s;
	struct newsrc *n;

	CHECK(scratch_make(&s) == 0);
	n = load_text(&s, "g: 1-5,8,40\nu! 1-3\n");
	CHECK(n != NULL);
	if (n == NULL)
		goto out;
	CHECK_INT(newsrc_catchup(n, "g", 20), 0);
	CHECK_STR(line_of(n, "g"), "g: 1-20");
	CHECK_INT(newsrc_is_read(n, "g", 40), 0);
	CHECK_INT(newsrc_catchup(n, "u", 7), 0);
	CHECK_STR(line_of(n, "u"), "u! 1-7");
	CHECK_INT(newsrc_catchup(n, "fresh", 3), 0);		/* a new subscribed line */
	CHECK_STR(line_of(n, "fresh"), "fresh: 1-3");
	CHECK_INT(newsrc_catchup(n, "g", 0), 0);
	CHECK_STR(line_of(n, "g"), "g:");
	CHECK_INT(newsrc_unread_all(n, "u"), 0);
	CHECK_STR(line_of(n, "u"), "u!");
	CHECK_INT(newsrc_is_read(n, "u", 1), 0);
	CHECK_INT(newsrc_unread_all(n, "nosuch"), 0);
	CHECK_STR(line_of(n, "nosuch"), "(error -10004)");
	newsrc_free(n);
out:
	scratch_remove(&s);
}

/* Unread counts over a server's low..high. */
static void unread_counts(void)
{
	struct scratch s;
	struct newsrc *n;

	CHECK(scratch_make(&s) == 0);
	n = load_text(&s, "g: 1-10,15,20-30\ne:\n");
	CHECK(n != NULL);
	if (n == NULL)
		goto out;
	CHECK_INT(newsrc_unread_count(n, "g", 1, 30), 8);	/* 11-14, 16-19 */
	CHECK_INT(newsrc_unread_count(n, "g", 5, 12), 2);
	CHECK_INT(newsrc_unread_count(n, "g", 15, 15), 0);
	CHECK_INT(newsrc_unread_count(n, "g", 25, 40), 10);
	CHECK_INT(newsrc_unread_count(n, "g", 31, 30), 0);	/* empty group: high < low */
	CHECK_INT(newsrc_unread_count(n, "g", 100, 1), 0);
	CHECK_INT(newsrc_unread_count(n, "e", 10, 19), 10);
	CHECK_INT(newsrc_unread_count(n, "nosuch", 10, 19), 10);
	CHECK_INT(newsrc_unread_count(n, "g", 0, INT64_MAX), INT64_MAX - 21);
	CHECK_INT(newsrc_unread_count(n, "e", INT64_MIN, INT64_MAX), INT64_MAX);	/* saturates */
	newsrc_free(n);
out:
	scratch_remove(&s);
}

/* Saving replaces the file by rename, keeps its mode, leaves no temp file;
 * a new file is 0600 whatever the umask; a failed save leaves nothing. */
static void save_atomic(void)
{
	struct scratch s;
	struct newsrc *n;
	struct stat st1, st2;
	char *back = NULL, bad[700];
	mode_t old;

	CHECK(scratch_make(&s) == 0);
	n = load_text(&s, "g: 1-3\n");
	CHECK(n != NULL);
	if (n == NULL)
		goto out;
	CHECK(chmod(s.path, 0640) == 0);
	CHECK(stat(s.path, &st1) == 0);
	CHECK_INT(newsrc_mark_range(n, "g", 4, 9), 0);
	CHECK_INT(newsrc_save(n, s.path), 0);
	CHECK(stat(s.path, &st2) == 0);
	CHECK_INT(st2.st_mode & 07777, 0640);
	CHECK(st1.st_ino != st2.st_ino);	/* replaced, not rewritten in place */
	CHECK_INT(scratch_entries(&s), 1);	/* no temporary left */
	get_file(s.path, &back);
	CHECK_STR(back, "g: 1-9\n");
	free(back);

	/* A new file: 0600 even under a permissive umask. */
	CHECK(unlink(s.path) == 0);
	old = umask(0);
	CHECK_INT(newsrc_save(n, s.path), 0);
	umask(old);
	CHECK(stat(s.path, &st2) == 0);
	CHECK_INT(st2.st_mode & 07777, 0600);
	CHECK_INT(scratch_entries(&s), 1);

	/* rename fails (the target is a non-empty folder): the temp file goes. */
	snprintf(bad, sizeof(bad), "%s/sub", s.dir);
	CHECK(mkdir(bad, 0700) == 0);
	snprintf(bad, sizeof(bad), "%s/sub/x", s.dir);
	CHECK(put_file(bad, "x", 1) == 0);
	snprintf(bad, sizeof(bad), "%s/sub", s.dir);
	CHECK(newsrc_save(n, bad) < 0);
	CHECK_INT(scratch_entries(&s), 2);	/* newsrc and sub only */
	snprintf(bad, sizeof(bad), "%s/sub/x", s.dir);
	unlink(bad);
	snprintf(bad, sizeof(bad), "%s/sub", s.dir);
	rmdir(bad);

	/* A folder that does not exist: -ENOENT, and nothing appears. */
	snprintf(bad, sizeof(bad), "%s/nodir/newsrc", s.dir);
	CHECK_INT(newsrc_save(n, bad), -ENOENT);
	CHECK_INT(scratch_entries(&s), 1);
	newsrc_free(n);
out:
	scratch_remove(&s);
}

/* A missing file loads empty; saving it creates the file. */
static void missing_file_empty(void)
{
	struct scratch s;
	struct newsrc *n = NULL;
	char *back = NULL;

	CHECK(scratch_make(&s) == 0);
	CHECK_INT(newsrc_load(s.path, &n), 0);
	CHECK(n != NULL);
	if (n == NULL)
		goto out;
	CHECK_INT(newsrc_is_read(n, "g", 1), 0);
	CHECK_INT(newsrc_unread_count(n, "g", 1, 5), 5);
	CHECK_INT(newsrc_save(n, s.path), 0);	/* empty file */
	CHECK_INT(get_file(s.path, &back), 0);
	free(back);
	CHECK_INT(newsrc_mark_range(n, "a.b", 1, 2), 0);
	CHECK_INT(newsrc_mark_range(n, "c.d", 7, 7), 0);
	CHECK_INT(newsrc_save(n, s.path), 0);
	get_file(s.path, &back);
	CHECK_STR(back, "a.b: 1-2\nc.d: 7\n");
	free(back);
	newsrc_free(n);
	/* A folder in place of the file is an error, not an empty newsrc. */
	n = NULL;
	CHECK_INT(newsrc_load(s.dir, &n), -EINVAL);
	CHECK(n == NULL);
	newsrc_free(NULL);
out:
	scratch_remove(&s);
}

/* A line of almost 1 MiB parses; a longer one is kept but has no state. */
static void long_lines(void)
{
	struct scratch s;
	struct newsrc *n;
	char *text, *back = NULL, *p;
	size_t cap = 3 * 1024 * 1024, len;
	int64_t k;

	CHECK(scratch_make(&s) == 0);
	text = malloc(cap);
	CHECK(text != NULL);
	if (text == NULL)
		goto out;
	p = text + sprintf(text, "big: 0");
	for (k = 2; p - text < 1024 * 1024 - 16; k += 2)
		p += sprintf(p, ",%lld", (long long)k);
	p += sprintf(p, "\nhuge: 0");
	for (k = 2; p - text < 2 * 1024 * 1024 + 64; k += 2)
		p += sprintf(p, ",%lld", (long long)k);
	p += sprintf(p, "\n");
	len = (size_t)(p - text);
	CHECK(put_file(s.path, text, len) == 0);
	n = NULL;
	CHECK_INT(newsrc_load(s.path, &n), 0);
	if (n != NULL) {
		CHECK_INT(newsrc_is_read(n, "big", 2000), 1);
		CHECK_INT(newsrc_is_read(n, "big", 2001), 0);
		CHECK_INT(newsrc_is_read(n, "huge", 2), 0);
		CHECK_INT(newsrc_save(n, s.path), 0);
		CHECK_INT(get_file(s.path, &back), (long)len);
		CHECK(back != NULL && memcmp(back, text, len) == 0);
		free(back);
		CHECK_INT(newsrc_mark_range(n, "big", 1, 1), 0);	/* 0,1,2 merge */
		CHECK_INT(newsrc_is_read(n, "big", 1), 1);
		CHECK_INT(newsrc_unread_count(n, "big", 0, 10), 4);	/* 3,5,7,9 */
	}
	newsrc_free(n);
	free(text);
out:
	scratch_remove(&s);
}

void test_newsrc(void)
{
	RUN(roundtrip_untouched);
	RUN(roundtrip_modified);
	RUN(duplicate_group_line);
	RUN(mark_range_merging);
	RUN(mark_unread_split);
	RUN(catchup_and_unread_all);
	RUN(unread_counts);
	RUN(save_atomic);
	RUN(missing_file_empty);
	RUN(long_lines);
}
