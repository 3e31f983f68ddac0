/* Docker's healthcheck, run by skiff-monitor while the container process
 * runs (moby daemon/health.go is the behaviour copied):
 * - a probe is "RUNTIME exec --pid PID --spec SPEC --sync-fd K": a process
 *   in the container, its stdout and stderr together kept up to 4096 bytes
 *   ("..." added when more came);
 * - the first probe comes one interval after the start; the next one an
 *   interval after the previous one ended. Within the start period, while
 *   the status is still "starting", the start interval is used instead, and
 *   no probe is later than the end of the start period;
 * - a probe running longer than the timeout is killed (its process group):
 *   exit code -1, output "Health check exceeded timeout (30s)" (Go's
 *   duration), with ": OUTPUT" when it printed some;
 * - exit 0 is healthy and ends the failing streak; anything else adds to
 *   the streak (not while "starting" within the start period), and the
 *   status turns unhealthy when the streak reaches the retries;
 * - every (re)start of the process begins again at "starting" with no
 *   streak; the last five results are kept across restarts; no probe runs
 *   while DIR/paused exists.
 * The state is DIR/health, replaced atomically after every change, in the
 * shape of Docker's State.Health:
 *   {"Status":"starting|healthy|unhealthy","FailingStreak":N,
 *    "Log":[{"Start":T,"End":T,"ExitCode":N,"Output":"..."}]}
 * All on the monitor's epoll set: one timerfd, the probe's sync socket and
 * output pipe; its exit comes through the monitor's SIGCHLD handling. */
#ifndef SKIFF_HEALTH_H
#define SKIFF_HEALTH_H

#include "hub.h"

#include <sys/types.h>
#include <time.h>

struct health_config {
  const char *runtime; /* skiff-runtime */
  const char *spec;    /* the probe's spec file */
  long long interval, timeout, start_period, start_interval; /* nanoseconds */
  int retries;
};

/* on_change is called with the new status when it changes to healthy or unhealthy. */
void health_init(int epfd, const struct health_config *c, void (*on_change)(const char *status));
/* The container process started: reset to "starting" and schedule the first probe. */
void health_started(pid_t container);
/* The container process exited: no more probes; a running one is killed and its result dropped. */
void health_stopped(void);
/* One epoll event on a health watch. */
void health_handle(struct watch *w, uint32_t events);
/* A child was reaped: 1 when it was the probe's (or its runtime), else 0. */
int health_reaped(pid_t pid, int status);

#endif
