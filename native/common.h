/* Shared by skiff's native helpers: error reporting and small I/O helpers.
 *
 * Every helper reports a failing call as "<prog>: <call> <path>: <strerror>"
 * so the TypeScript host can show the user exactly what went wrong. Helpers
 * carry no policy: the host passes every decision on the command line. */
#ifndef SKIFF_COMMON_H
#define SKIFF_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "skiff";

__attribute__((format(printf, 1, 2), unused)) static void warnx_(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* Write all of buf, retrying on EINTR and short writes. */
__attribute__((unused)) static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Read from fd until a newline (kept) or EOF, at most cap-1 bytes, NUL-terminated:
 * the one-line reports the helpers pass back over pipes ("ok", or an error).
 * Returns the length (0 on EOF with nothing read). */
__attribute__((unused)) static size_t read_line(int fd, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = 0;
  while (len + 1 < cap) {
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
    buf[len] = 0;
    if (memchr(buf + len - (size_t)n, '\n', (size_t)n)) break;
  }
  return len;
}

/* Read a whole small file into buf (NUL-terminated); returns length or -1. */
__attribute__((unused)) static ssize_t read_small_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off + 1 < cap) {
    ssize_t n = read(fd, buf + off, cap - 1 - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    if (n == 0) break;
    off += (size_t)n;
  }
  buf[off] = 0;
  close(fd);
  return (ssize_t)off;
}

/* Write a small file atomically: temp file in the same directory, fsync, rename. */
__attribute__((unused)) static int write_file_atomic(const char *path, const char *data, size_t len) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
    int e = errno;
    close(fd);
    unlink(tmp);
    errno = e;
    return -1;
  }
  close(fd);
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    errno = e;
    return -1;
  }
  return 0;
}

/* Field 22 of /proc/<pid>/stat: the start time, which tells a live process
 * from a later one that reused its pid. Returns 0 when the process is gone. */
__attribute__((unused)) static unsigned long long proc_start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if (read_small_file(path, buf, sizeof buf) < 0) return 0;
  char *p = strrchr(buf, ')'); /* comm may contain spaces */
  if (!p) return 0;
  p += 2; /* now at field 3 (state) */
  if (*p == 'Z' || *p == 'X') return 0;
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}

#endif
