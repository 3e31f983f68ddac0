/* Docker's json-file log driver format: one JSON object per line,
 *   {"log":"text\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}
 * Output is cut at newlines (each entry keeps its "\n"); a line without one
 * is held until its newline comes, until 16 KiB have gathered, or until the
 * stream ends, and then written without "\n" (Docker's partial messages). */
#ifndef SKIFF_JSONLOG_H
#define SKIFF_JSONLOG_H

#include <stddef.h>

#define JSONLOG_LINE_MAX 16384

struct jsonlog_stream {
  const char *name; /* "stdout" or "stderr" */
  char partial[JSONLOG_LINE_MAX];
  size_t len;
};

struct jsonlog {
  int fd; /* -1: no log */
  struct jsonlog_stream out, err;
};

/* Open (append, create 0600) PATH; -1 with errno on failure. */
int jsonlog_open(struct jsonlog *l, const char *path);
/* Log bytes of one stream (1 stdout, 2 stderr). Returns -1 if the write failed. */
int jsonlog_write(struct jsonlog *l, int stream, const char *data, size_t n);
/* The stream ended: write what is held. */
int jsonlog_flush(struct jsonlog *l, int stream);

/* JSON string body of data (no quotes) appended to out; returns its length.
 * out must hold 6 * n bytes. Exposed for tests of the escaping. */
size_t json_escape(char *out, const char *data, size_t n);

#endif
