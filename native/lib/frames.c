#include "frames.h"

void frame_append(struct buf *b, int type, const void *payload, size_t n) {
  unsigned char h[FRAME_HEADER] = {(unsigned char)type, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                                   (unsigned char)(n >> 8), (unsigned char)n};
  buf_append(b, h, sizeof h);
  if (n) buf_append(b, payload, n);
}

int frame_peek(const struct buf *b, int *type, const char **payload, size_t *n) {
  if (b->len < FRAME_HEADER) return 0;
  const unsigned char *h = (const unsigned char *)buf_head(b);
  if (h[1] || h[2] || h[3]) return -1;
  uint32_t len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
  if (len > FRAME_MAX_PAYLOAD) return -1;
  if (b->len < FRAME_HEADER + (size_t)len) return 0;
  *type = h[0];
  *payload = (const char *)h + FRAME_HEADER;
  *n = len;
  return 1;
}
