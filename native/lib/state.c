#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *base = ".";

void state_dir(const char *dir) { base = dir; }

static void path_of(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", base, name); }

int state_write_data(const char *name, const char *data, size_t len) {
  char path[4096], tmp[4200];
  path_of(path, sizeof path, name);
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", base, name);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  /* No fsync: these files describe live processes and mean nothing after a
   * reboot, and the rename alone keeps readers from seeing a partial line. */
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, data + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  int e = off < len ? (errno ? errno : EIO) : 0;
  close(fd);
  if (off < len) {
    unlink(tmp);
    errno = e;
    return -1;
  }
  if (rename(tmp, path) < 0) {
    e = errno;
    unlink(tmp);
    errno = e;
    return -1;
  }
  return 0;
}

int state_write(const char *name, const char *fmt, ...) {
  char text[2048];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (n < 0 || n >= (int)sizeof text) n = (int)sizeof text - 1;
  return state_write_data(name, text, (size_t)n);
}

void state_remove(const char *name) {
  char path[4096];
  path_of(path, sizeof path, name);
  unlink(path);
}

int state_exists(const char *name) {
  char path[4096];
  path_of(path, sizeof path, name);
  return access(path, F_OK) == 0;
}

int state_read(const char *name, char *buf, size_t cap) {
  char path[4096];
  path_of(path, sizeof path, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, cap - 1);
  int e = errno;
  close(fd);
  if (n < 0) {
    errno = e;
    return -1;
  }
  buf[n] = 0;
  return (int)n;
}

unsigned long long state_start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  if (!p) return 0;
  p += 2;
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}
