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

/* The fraction of v / 10^prec without trailing zeros ("" when none), as Go's fmtFrac. */
static void fraction(unsigned long long v, int prec, char *out) {
  char digits[16];
  int n = 0;
  for (int i = 0; i < prec; i++, v /= 10) digits[n++] = (char)('0' + v % 10);
  int start = 0;
  while (start < n && digits[start] == '0') start++;
  char *o = out;
  if (start < n) {
    *o++ = '.';
    for (int i = n - 1; i >= start; i--) *o++ = digits[i];
  }
  *o = 0;
}

void go_duration(long long ns, char *out, size_t cap) {
  const char *sign = ns < 0 ? "-" : "";
  unsigned long long u = ns < 0 ? 0ULL - (unsigned long long)ns : (unsigned long long)ns;
  char frac[16];
  if (u == 0) {
    snprintf(out, cap, "0s");
  } else if (u < 1000000000ULL) {
    int prec = u < 1000ULL ? 0 : u < 1000000ULL ? 3 : 6;
    unsigned long long scale = prec == 0 ? 1 : prec == 3 ? 1000ULL : 1000000ULL;
    fraction(u % scale, prec, frac);
    snprintf(out, cap, "%s%llu%s%s", sign, u / scale, frac, prec == 0 ? "ns" : prec == 3 ? "\xc2\xb5s" : "ms");
  } else {
    fraction(u % 1000000000ULL, 9, frac);
    unsigned long long s = u / 1000000000ULL, m = s / 60, h = m / 60;
    if (h) snprintf(out, cap, "%s%lluh%llum%llu%ss", sign, h, m % 60, s % 60, frac);
    else if (m) snprintf(out, cap, "%s%llum%llu%ss", sign, m, s % 60, frac);
    else snprintf(out, cap, "%s%llu%ss", sign, s, frac);
  }
}
