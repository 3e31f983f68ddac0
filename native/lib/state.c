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

int state_write(const char *name, const char *fmt, ...) {
  char text[2048], path[4096], tmp[4200];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (n < 0 || n >= (int)sizeof text) n = (int)sizeof text - 1;
  path_of(path, sizeof path, name);
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", base, name);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  /* No fsync: these files describe live processes and mean nothing after a
   * reboot, and the rename alone keeps readers from seeing a partial line. */
  ssize_t w = write(fd, text, (size_t)n);
  int e = errno;
  close(fd);
  if (w != n || rename(tmp, path) < 0) {
    if (w == n) e = errno;
    unlink(tmp);
    errno = e;
    return -1;
  }
  return 0;
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
