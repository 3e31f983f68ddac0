/* skiff-fsattr: the filesystem calls Node lacks (extended attributes and
 * FIFOs), done in batches for the layer extractor and packer.
 *
 * Usage: skiff-fsattr            (no arguments)
 *
 * Reads requests from stdin, one per line, and writes one reply line per
 * request to stdout, in the same order. Fields are separated by TAB; every
 * field is percent-encoded: the writer must encode TAB as %09, newline as
 * %0A and '%' as %25, and may encode any other byte as %XX; the reader
 * decodes every %XX. Paths and attribute names are raw bytes.
 *
 *   set  PATH NAME HEXVALUE   lsetxattr(PATH, NAME, value): never follows a final symlink
 *   fifo PATH OCTALMODE       mknod(PATH, S_IFIFO | mode): the mode is applied exactly
 *                             (the helper runs with umask 0)
 *   get  PATH                 list every extended attribute of PATH (llistxattr/lgetxattr)
 *
 * Replies:
 *   ok     PATH
 *   xattrs PATH NAME HEX NAME HEX ...      (answer to get; no pairs when there are none)
 *   err    PATH ERRNO_NAME MESSAGE         MESSAGE is "<call> <name or path>: <strerror>"
 *
 * A malformed request gets "err PATH EINVAL ..." (PATH "-" when it cannot be
 * read) so that replies always pair with requests. Replies are flushed
 * whenever no further complete request is waiting, so a client can pipeline
 * many requests and read the answers together. The helper exits 0 at EOF on
 * stdin; it exits 1 when stdin or stdout fail and 2 when memory runs out,
 * after a line on stderr. No policy here: which failures matter is for the
 * host to decide.
 */
#include "common.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>

#define MAX_FIELDS 5

struct buf {
  char *data;
  size_t len, cap;
};

static void die_nomem(void) {
  warnx_("out of memory");
  exit(2);
}

static void buf_reserve(struct buf *b, size_t extra) {
  if (b->len + extra <= b->cap) return;
  size_t cap = b->cap ? b->cap : 65536;
  while (cap < b->len + extra) cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p) die_nomem();
  b->data = p;
  b->cap = cap;
}

static void buf_put(struct buf *b, const void *p, size_t n) {
  buf_reserve(b, n);
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static struct buf out;

static void flush_out(void) {
  if (out.len == 0) return;
  if (write_all(STDOUT_FILENO, out.data, out.len) < 0) {
    warnx_("write stdout: %s", strerror(errno));
    exit(1);
  }
  out.len = 0;
}

/* Append a field, percent-encoding the bytes the protocol reserves. */
static void put_field(const char *p, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  buf_reserve(&out, n * 3 + 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '\t' || c == '\n' || c == '%' || c == '\r' || c == 0) {
      out.data[out.len++] = '%';
      out.data[out.len++] = hex[c >> 4];
      out.data[out.len++] = hex[c & 15];
    } else {
      out.data[out.len++] = (char)c;
    }
  }
}

static void put_str(const char *s) { put_field(s, strlen(s)); }
static void put_sep(void) { buf_put(&out, "\t", 1); }
static void put_end(void) { buf_put(&out, "\n", 1); }

static void put_hex(const unsigned char *p, size_t n) {
  static const char hex[] = "0123456789abcdef";
  buf_reserve(&out, n * 2);
  for (size_t i = 0; i < n; i++) {
    out.data[out.len++] = hex[p[i] >> 4];
    out.data[out.len++] = hex[p[i] & 15];
  }
}

static const char *errno_name(int e) {
  const char *n = strerrorname_np(e);
  static char fallback[24];
  if (n) return n;
  snprintf(fallback, sizeof fallback, "E%d", e);
  return fallback;
}

/* err PATH ERRNO MESSAGE, the message naming the call and its object. */
static void reply_err(const char *path, int e, const char *call, const char *object) {
  put_str("err");
  put_sep();
  put_str(path);
  put_sep();
  put_str(errno_name(e));
  put_sep();
  put_str(call);
  put_str(" ");
  put_str(object);
  put_str(": ");
  put_str(strerror(e));
  put_end();
}

static void reply_ok(const char *path) {
  put_str("ok");
  put_sep();
  put_str(path);
  put_end();
}

static int unhex(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decode %XX in place; returns the new length, or -1 on a bad escape. The
 * result is NUL-terminated (the field was at least that long). */
static ssize_t percent_decode(char *s, size_t n) {
  size_t w = 0;
  for (size_t r = 0; r < n; r++) {
    if (s[r] == '%') {
      if (r + 2 >= n) return -1;
      int hi = unhex((unsigned char)s[r + 1]), lo = unhex((unsigned char)s[r + 2]);
      if (hi < 0 || lo < 0) return -1;
      s[w++] = (char)(hi << 4 | lo);
      r += 2;
    } else {
      s[w++] = s[r];
    }
  }
  s[w] = 0;
  return (ssize_t)w;
}

/* Decode a hex string in place into bytes; returns the length or -1. */
static ssize_t hex_decode(char *s, size_t n) {
  if (n % 2) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = unhex((unsigned char)s[2 * i]), lo = unhex((unsigned char)s[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    s[i] = (char)(hi << 4 | lo);
  }
  return (ssize_t)(n / 2);
}

static void do_set(const char *path, const char *name, char *hexval, size_t hexlen) {
  ssize_t n = hex_decode(hexval, hexlen);
  if (n < 0) {
    reply_err(path, EINVAL, "decode", "value");
    return;
  }
  if (lsetxattr(path, name, hexval, (size_t)n, 0) < 0) reply_err(path, errno, "lsetxattr", name);
  else reply_ok(path);
}

static void do_fifo(const char *path, const char *mode_text) {
  char *end;
  errno = 0;
  unsigned long mode = strtoul(mode_text, &end, 8);
  if (errno || *end || end == mode_text || mode > 07777) {
    reply_err(path, EINVAL, "parse mode", mode_text);
    return;
  }
  if (mknod(path, S_IFIFO | (mode_t)mode, 0) < 0) reply_err(path, errno, "mknod", path);
  else reply_ok(path);
}

static void do_get(const char *path) {
  static struct buf names, value;
  ssize_t n;
  /* The list can grow between the size query and the read: retry on ERANGE. */
  for (;;) {
    n = llistxattr(path, NULL, 0);
    if (n < 0) {
      reply_err(path, errno, "llistxattr", path);
      return;
    }
    names.len = 0;
    buf_reserve(&names, (size_t)n + 1);
    n = llistxattr(path, names.data, (size_t)n);
    if (n >= 0) break;
    if (errno != ERANGE) {
      reply_err(path, errno, "llistxattr", path);
      return;
    }
  }
  size_t start = out.len; /* to drop a half-written reply on error */
  put_str("xattrs");
  put_sep();
  put_str(path);
  for (char *name = names.data; name < names.data + n; name += strlen(name) + 1) {
    ssize_t v;
    for (;;) {
      v = lgetxattr(path, name, NULL, 0);
      if (v >= 0) {
        value.len = 0;
        buf_reserve(&value, (size_t)v + 1);
        v = lgetxattr(path, name, value.data, (size_t)v);
      }
      if (v >= 0 || errno != ERANGE) break;
    }
    if (v < 0) {
      if (errno == ENODATA) continue; /* removed meanwhile */
      out.len = start;
      reply_err(path, errno, "lgetxattr", name);
      return;
    }
    put_sep();
    put_str(name);
    put_sep();
    put_hex((const unsigned char *)value.data, (size_t)v);
  }
  put_end();
}

/* Handle one request line (without its newline). */
static void handle(char *line, size_t len) {
  char *field[MAX_FIELDS];
  size_t flen[MAX_FIELDS];
  int nf = 0;
  char *p = line, *end = line + len;
  while (nf < MAX_FIELDS) {
    char *tab = memchr(p, '\t', (size_t)(end - p));
    field[nf] = p;
    flen[nf] = (size_t)((tab ? tab : end) - p);
    nf++;
    if (!tab) break;
    p = tab + 1;
  }
  for (int i = 0; i < nf; i++) {
    field[i][flen[i]] = 0; /* the separator (or newline) becomes the terminator */
    ssize_t n = percent_decode(field[i], flen[i]);
    if (n < 0) {
      reply_err("-", EINVAL, "decode", "request field");
      return;
    }
    flen[i] = (size_t)n;
  }
  const char *path = nf > 1 ? field[1] : "-";
  if (nf == 4 && strcmp(field[0], "set") == 0) do_set(path, field[2], field[3], flen[3]);
  else if (nf == 3 && strcmp(field[0], "fifo") == 0) do_fifo(path, field[2]);
  else if (nf == 2 && strcmp(field[0], "get") == 0) do_get(path);
  else reply_err(path, EINVAL, "request", field[0]);
}

int main(void) {
  prog = "skiff-fsattr";
  umask(0);
  struct buf in = {0};
  size_t done = 0; /* bytes of `in` already handled */
  for (;;) {
    buf_reserve(&in, 65536);
    ssize_t n = read(STDIN_FILENO, in.data + in.len, in.cap - in.len);
    if (n < 0) {
      if (errno == EINTR) continue;
      warnx_("read stdin: %s", strerror(errno));
      return 1;
    }
    if (n == 0) break;
    in.len += (size_t)n;
    char *nl;
    while ((nl = memchr(in.data + done, '\n', in.len - done))) {
      handle(in.data + done, (size_t)(nl - (in.data + done)));
      done = (size_t)(nl - in.data) + 1;
    }
    /* Nothing complete is waiting: answer what we have. */
    flush_out();
    memmove(in.data, in.data + done, in.len - done);
    in.len -= done;
    done = 0;
  }
  if (in.len > 0) handle(in.data, in.len); /* a last line without newline */
  flush_out();
  return 0;
}
