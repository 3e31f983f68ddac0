/* The attach protocol between skiff-monitor and its clients: Docker's stream
 * multiplexing header, extended with a few control types.
 *   header: 1 byte type, 3 zero bytes, 4-byte big-endian payload length
 * monitor -> client: 1 stdout, 2 stderr, 3 exit (payload: decimal exit code,
 *                    after all output)
 * client -> monitor: 0 stdin data, 5 close stdin, 6 resize ("ROWS COLS") */
#ifndef SKIFF_FRAMES_H
#define SKIFF_FRAMES_H

#include "buf.h"

#include <stdint.h>

enum {
  FRAME_STDIN = 0,
  FRAME_STDOUT = 1,
  FRAME_STDERR = 2,
  FRAME_EXIT = 3,
  FRAME_CLOSE_STDIN = 5,
  FRAME_RESIZE = 6,
};

#define FRAME_HEADER 8
#define FRAME_MAX_PAYLOAD (1u << 20)

void frame_append(struct buf *b, int type, const void *payload, size_t n);

/* The next complete frame at the front of b: 1 and its type/payload (valid
 * until b changes; consume FRAME_HEADER + *n afterwards), 0 when incomplete,
 * -1 when malformed. */
int frame_peek(const struct buf *b, int *type, const char **payload, size_t *n);

#endif
