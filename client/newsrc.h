/*
 * newsrc.h: read state in the standard .newsrc format, shared with tin and
 * slrn.  Each line is "group: ranges" (subscribed) or "group! ranges"
 * (unsubscribed), ranges like "1-120,122,130-131".  Lines this module does
 * not understand (options lines, comments, garbage) are kept verbatim and
 * written back in place, as are groups it never touched.  Saving is atomic:
 * a temporary file in the same folder, fsync, rename.
 */
#ifndef NEWSRC_H
#define NEWSRC_H

#include <stdint.h>
#include <stddef.h>

struct newsrc;

/* Load path; a missing file gives an empty newsrc.  0, or -errno / MOOT_ENOMEM. */
int newsrc_load(const char *path, struct newsrc **out);

/* Write it back atomically (temp + fsync + rename); 0 or -errno. */
int newsrc_save(const struct newsrc *n, const char *path);

/* Free; accepts NULL. */
void newsrc_free(struct newsrc *n);

/* 1 if article number is marked read in group. */
int newsrc_is_read(const struct newsrc *n, const char *group, int64_t number);

/* Mark lo..hi read in group (adding a subscribed line for a new group at the end). */
int newsrc_mark_range(struct newsrc *n, const char *group, int64_t lo, int64_t hi);

/* Mark one article unread again. */
int newsrc_mark_unread(struct newsrc *n, const char *group, int64_t number);

/* Mark everything up to high read (catchup: the ranges become "1-high"). */
int newsrc_catchup(struct newsrc *n, const char *group, int64_t high);

/* Mark everything unread (empty ranges). */
int newsrc_unread_all(struct newsrc *n, const char *group);

/* Unread articles among low..high (a server's GROUP figures); an estimate
 * when the group has gaps, exact as far as the ranges go. */
int64_t newsrc_unread_count(const struct newsrc *n, const char *group, int64_t low, int64_t high);

/* The group's line as it would be written ("name: 1-5,7"), into out. */
int newsrc_format_group(const struct newsrc *n, const char *group, char *out, size_t outlen);

#endif
