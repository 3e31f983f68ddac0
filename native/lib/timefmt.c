#include "timefmt.h"

#include <stdio.h>

void rfc3339(const struct timespec *t, char *out, size_t cap) {
  struct tm tm;
  gmtime_r(&t->tv_sec, &tm);
  snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, t->tv_nsec);
}

void rfc3339_now(char *out, size_t cap) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  rfc3339(&t, out, cap);
}
