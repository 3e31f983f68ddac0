#include "jsonlog.h"

#include "buf.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int jsonlog_open(struct jsonlog *l, const char *path) {
  memset(l, 0, sizeof *l);
  l->out.name = "stdout";
  l->err.name = "stderr";
  l->fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
  return path && l->fd < 0 ? -1 : 0;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F; /* no surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else
    return 0;
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  return len;
}

/* Escapes as Docker's json-file writer does: the JSON specials, control
 * characters as \u00XX, <>& and U+2028/U+2029 escaped (safe in HTML and
 * JavaScript), invalid UTF-8 as U+FFFD. */
size_t json_escape(char *out, const char *data, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)data;
  char *o = out;
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
      *o++ = (char)c;
      i++;
      continue;
    }
    if (c < 0x80) {
      *o++ = '\\';
      switch (c) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '\n': *o++ = 'n'; break;
      case '\r': *o++ = 'r'; break;
      case '\t': *o++ = 't'; break;
      default:
        memcpy(o, "u00", 3);
        o += 3;
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
      }
      i++;
      continue;
    }
    size_t len = utf8_len(p + i, n - i);
    if (len == 0) {
      memcpy(o, "\\ufffd", 6);
      o += 6;
      i++;
    } else if (len == 3 && c == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
      memcpy(o, p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
      o += 6;
      i += 3;
    } else {
      memcpy(o, p + i, len);
      o += len;
      i += len;
    }
  }
  return (size_t)(o - out);
}

static struct buf pending;

static void entry(struct jsonlog_stream *s, const char *text, size_t n, const char *stamp) {
  static char esc[6 * JSONLOG_LINE_MAX];
  buf_append(&pending, "{\"log\":\"", 8);
  buf_append(&pending, esc, json_escape(esc, text, n));
  char tail[96];
  int t = snprintf(tail, sizeof tail, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", s->name, stamp);
  buf_append(&pending, tail, (size_t)t);
}

static int write_pending(struct jsonlog *l) {
  int r = 0;
  while (pending.len) {
    ssize_t n = write(l->fd, buf_head(&pending), pending.len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      r = -1;
      break;
    }
    buf_consume(&pending, (size_t)n);
  }
  buf_consume(&pending, pending.len);
  return r;
}

int jsonlog_write(struct jsonlog *l, int stream, const char *data, size_t n) {
  if (l->fd < 0) return 0;
  struct jsonlog_stream *s = stream == 2 ? &l->err : &l->out;
  char stamp[40];
  rfc3339_now(stamp, sizeof stamp);
  while (n) {
    size_t room = JSONLOG_LINE_MAX - s->len;
    size_t look = n < room ? n : room;
    const char *nl = memchr(data, '\n', look);
    size_t k = nl ? (size_t)(nl - data) + 1 : look;
    memcpy(s->partial + s->len, data, k);
    s->len += k;
    if (nl || s->len == JSONLOG_LINE_MAX) {
      entry(s, s->partial, s->len, stamp);
      s->len = 0;
    }
    data += k;
    n -= k;
  }
  return write_pending(l);
}

int jsonlog_flush(struct jsonlog *l, int stream) {
  if (l->fd < 0) return 0;
  struct jsonlog_stream *s = stream == 2 ? &l->err : &l->out;
  if (!s->len) return 0;
  char stamp[40];
  rfc3339_now(stamp, sizeof stamp);
  entry(s, s->partial, s->len, stamp);
  s->len = 0;
  return write_pending(l);
}
