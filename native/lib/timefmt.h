/* Timestamps in RFC 3339 with nanoseconds, UTC, as Docker writes them
 * ("2024-01-02T03:04:05.123456789Z"; always nine digits, so they sort). */
#ifndef SKIFF_TIMEFMT_H
#define SKIFF_TIMEFMT_H

#include <stddef.h>
#include <time.h>

void rfc3339(const struct timespec *t, char *out, size_t cap);
void rfc3339_now(char *out, size_t cap);

/* Go's time.Duration String(): "30s", "1m30s", "1h0m0s", "1.5s", "250ms", "0s". */
void go_duration(long long ns, char *out, size_t cap);

#endif
