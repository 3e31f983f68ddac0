#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int out_fd = -1;

void report_to(int fd) { out_fd = fd; }
int report_fd(void) { return out_fd; }

void die(int code, const char *kind, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  char line[2200];
  int n = snprintf(line, sizeof line, "error %s %s\n", kind, msg);
  if (n >= (int)sizeof line) n = sizeof line - 1, line[n - 1] = '\n';
  int fd = out_fd >= 0 ? out_fd : 2;
  for (const char *p = line; n > 0;) {
    ssize_t w = write(fd, p, (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    p += w;
    n -= (int)w;
  }
  _exit(code);
}

void die_sys(const char *kind, const char *call, const char *path) {
  int e = errno;
  if (path && *path) die(EXIT_SETUP, kind, "%s %s: %s", call, path, strerror(e));
  die(EXIT_SETUP, kind, "%s: %s", call, strerror(e));
}
