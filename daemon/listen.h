/*
 * listen.h: the listening sockets of mootd (one per configured address).
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <stddef.h>
#include "mootd.h"

/* Bind every configured address; 0, or an error with err filled. */
int listen_start(struct mootd *d, char *err, size_t errlen);

/* Close every listener (SIGTERM: no new connections). */
void listen_stop(struct mootd *d);

#endif
