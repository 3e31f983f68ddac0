/* One start of the container process by skiff-monitor: run the runtime with
 * a sync socket (and a console socket for a terminal), follow its sync
 * protocol (see skiff-runtime.c), run the prestart hook when it waits, and
 * hand back the process's pid and the monitor's ends of its stdio. */
#ifndef SKIFF_LAUNCH_H
#define SKIFF_LAUNCH_H

#include <sys/types.h>
#include <time.h>

struct launch_config {
  char **runtime_argv;  /* RUNTIME ARGS...; --sync-fd and --console-socket are added */
  char **prestart_hook; /* argv, or NULL */
  int tty, open_stdin;
};

struct launch_result {
  pid_t pid; /* the container process (also set when it failed after the fork) */
  int ok;
  int code;        /* when !ok: 125, 126 (kind exec) or 127 (kind notfound) */
  char kind[32];   /* when !ok */
  char message[1536];
  int master;                          /* tty: the terminal's master, else -1 */
  int stdin_fd, stdout_fd, stderr_fd;  /* no tty: our pipe ends (stdin -1 without open_stdin) */
  struct timespec started;             /* when the exec was seen (CLOCK_REALTIME) */
};

void launch(const struct launch_config *c, struct launch_result *r);

#endif
