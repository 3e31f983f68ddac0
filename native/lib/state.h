/* skiff-monitor's state files in its directory, each written atomically
 * (temp file + rename) so the host never reads half a line:
 *   monitor.pid    "PID STARTTIME\n"                 the monitor
 *   pid            "PID STARTTIME STARTED_AT\n"      the container process
 *   exit           "CODE FINISHED_AT\n"              removed before each (re)start
 *   restart-count  "N\n"
 *   start-error    "MESSAGE\n"                       the last start that failed
 *   health         JSON, Docker's State.Health        with a healthcheck (lib/health.h)
 * STARTTIME is field 22 of /proc/PID/stat (tells a pid from its reuse);
 * times are RFC 3339 UTC with nanoseconds. The host's own file there:
 *   stop-requested  created before stop/kill/rm: no more restarts. */
#ifndef SKIFF_STATE_H
#define SKIFF_STATE_H

#include <sys/types.h>

/* Where the files live; the directory must exist. */
void state_dir(const char *dir);

/* Write NAME with the formatted text; -1 with errno on failure. */
__attribute__((format(printf, 2, 3))) int state_write(const char *name, const char *fmt, ...);
/* Write NAME with these bytes (any length). */
int state_write_data(const char *name, const char *data, size_t len);
void state_remove(const char *name);
int state_exists(const char *name);
/* Read NAME (at most cap-1 bytes, NUL-terminated): its length, -1 with errno. */
int state_read(const char *name, char *buf, size_t cap);

/* Field 22 of /proc/PID/stat, also for a zombie; 0 when unknown. */
unsigned long long state_start_time(pid_t pid);

#endif
