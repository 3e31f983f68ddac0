#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void buf_append(struct buf *b, const void *p, size_t n) {
  if (b->off + b->len + n > b->cap) {
    if (b->off) {
      memmove(b->data, b->data + b->off, b->len);
      b->off = 0;
    }
    if (b->len + n > b->cap) {
      size_t cap = b->cap ? b->cap : 4096;
      while (cap < b->len + n) cap *= 2;
      char *d = realloc(b->data, cap);
      if (!d) abort();
      b->data = d;
      b->cap = cap;
    }
  }
  memcpy(b->data + b->off + b->len, p, n);
  b->len += n;
}

void buf_consume(struct buf *b, size_t n) {
  if (n >= b->len) {
    b->off = b->len = 0;
    /* Give back memory a burst needed; an idle monitor stays small. */
    if (b->cap > 65536) {
      free(b->data);
      b->data = NULL;
      b->cap = 0;
    }
    return;
  }
  b->off += n;
  b->len -= n;
}

void buf_free(struct buf *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

int buf_flush(struct buf *b, int fd) {
  while (b->len) {
    ssize_t n = write(fd, buf_head(b), b->len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return 0;
      return -1;
    }
    buf_consume(b, (size_t)n);
  }
  return 0;
}
