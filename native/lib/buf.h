/* A growable byte queue: append at the end, consume from the front. */
#ifndef SKIFF_BUF_H
#define SKIFF_BUF_H

#include <stddef.h>
#include <sys/types.h>

struct buf {
  char *data;
  size_t off, len, cap; /* live bytes are data[off, off+len) */
};

void buf_append(struct buf *b, const void *p, size_t n);
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);
static inline const char *buf_head(const struct buf *b) { return b->data + b->off; }

/* Write as much as the (non-blocking) fd takes. Returns -1 on an error other
 * than EAGAIN (errno set), else 0. */
int buf_flush(struct buf *b, int fd);

#endif
