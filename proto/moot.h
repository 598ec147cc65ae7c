/*
 * moot.h: error codes and small definitions shared by every module.
 *
 * One error convention (STYLE.md habit 3): functions return int, 0 on success,
 * a negative MOOT_E* code or a negated errno/libuv code on failure.  The MOOT_E*
 * values sit below -10000 so they never collide with negated errno values.
 */
#ifndef MOOT_H
#define MOOT_H

#define MOOT_OK 0
#define MOOT_EPROTO   (-10001) /* malformed input from the network */
#define MOOT_ETOOBIG  (-10002) /* input over a configured or protocol bound */
#define MOOT_ENOMEM   (-10003) /* allocation failed */
#define MOOT_ENOTFOUND (-10004) /* no such group, article, key */
#define MOOT_EEXIST   (-10005) /* already present (duplicate message-id) */
#define MOOT_ESTORE   (-10006) /* the database failed */
#define MOOT_EAGAIN   (-10007) /* need more input */
#define MOOT_ETLS     (-10008) /* TLS failure */
#define MOOT_ECONFIG  (-10009) /* configuration error */
#define MOOT_EINVAL   (-10010) /* invalid argument */

/* RFC 3977 §3.1: command lines are at most 512 octets including CRLF. */
#define MOOT_MAX_COMMAND 512
/* What we buffer for one command line before declaring it too long. */
#define MOOT_MAX_LINE_BUF 2048
/* RFC 3977 §3.6: message-ids are at most 250 octets. */
#define MOOT_MAX_MSGID 250
/* Longest group name we accept anywhere. */
#define MOOT_MAX_GROUP 256

#define MOOT_VERSION "0.1.0"

#define MOOT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
