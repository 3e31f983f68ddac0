/* Timestamps in RFC 3339 with nanoseconds, UTC, as Docker writes them
 * ("2024-01-02T03:04:05.123456789Z"; always nine digits, so they sort). */
#ifndef SKIFF_TIMEFMT_H
#define SKIFF_TIMEFMT_H

#include <stddef.h>
#include <time.h>

void rfc3339(const struct timespec *t, char *out, size_t cap);
void rfc3339_now(char *out, size_t cap);

#endif
