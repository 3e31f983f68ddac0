/* skiff-monitor: the one small process that sits between a container process
 * (or an exec session) and its owner, like conmon: it starts the process
 * through skiff-runtime, owns its stdio or terminal, writes the log, serves
 * attach clients, records the exit, restarts by policy and cleans up.
 *
 * usage: skiff-monitor --dir DIR [--status-fd N] [--socket PATH] [--log PATH]
 *          [--tty] [--stdin] [--attach-fd N] [--detach]
 *          [--restart no|always|unless-stopped|on-failure[:MAX]]
 *          [--umount PATH]... [--rm-path PATH]... [--prestart-hook ARG]...
 *          [--events PATH --event-actor FILE [--events-max-size N] [--exec-session]]
 *          [--health-spec FILE --health-interval NS --health-timeout NS
 *           --health-start-period NS --health-start-interval NS --health-retries N]
 *          -- RUNTIME ARGS...
 *
 *   RUNTIME ARGS   e.g. skiff-runtime run --spec F; "--sync-fd K" and, with
 *                  --tty, "--console-socket M" are appended
 *   --status-fd    one line, then closed: "started PID\n" once the process
 *                  has exec'd, or "error KIND MESSAGE\n" (the runtime's KINDs,
 *                  plus usage monitor log socket sync runtime prestart tty;
 *                  notfound means exit 127, exec 126, the rest 125)
 *   --socket       listen for attach clients (many; each gets output from
 *                  the moment it connects)
 *   --attach-fd    an already connected attach client (the caller's end of a
 *                  socketpair), so nothing is lost before it could connect
 *   --log          Docker json-file log of stdout and stderr (lib/jsonlog.h)
 *   --tty          the process gets a terminal (spec "tty 1"); its master is
 *                  received over the console socket
 *   --stdin        keep the process's stdin open for clients (else /dev/null)
 *   --detach       double-fork and setsid first, so the monitor outlives the
 *                  caller; the caller's process exits 0 once monitor.pid exists
 *   --restart      on exit restart unless DIR/stop-requested exists;
 *                  on-failure only for non-zero codes, at most MAX times;
 *                  DIR/restart-policy, when the host writes one, replaces it
 *   --umount       umount2(MNT_DETACH) when it is all over
 *   --rm-path      then remove recursively, never crossing into other mounts
 *   --prestart-hook  argv of a command run (env SKIFF_CONTAINER_PID) when the
 *                  runtime waits (spec sync-before-exec 1); non-zero exit kills
 *                  the process and reports "error prestart ..."
 *   --events       append Docker events to this log (format, rotation at
 *                  --events-max-size bytes, and the --event-actor file the
 *                  host writes: lib/events.h), in Docker's order:
 *                  "start" each time the process has started (before
 *                  "started" is reported), "die" with exitCode and
 *                  execDuration (seconds) each time it has exited (after
 *                  DIR/exit is written), "health_status: healthy|unhealthy"
 *                  when the health status changes, and "destroy" when the
 *                  last --rm-path (the container's own directory) existed
 *                  and was removed. A process that never started has no
 *                  events.
 *   --exec-session   the process is an exec session: its only event is
 *                  "exec_die" with exitCode (the actor file has its execID)
 *   --health-spec  run Docker's healthcheck while the process runs (lib/health.h):
 *                  probes are "RUNTIME exec --pid PID --spec FILE --sync-fd K"
 *                  (RUNTIME: the first word after --); the durations (ns) and
 *                  retries are the effective ones, the host having applied
 *                  Docker's defaults; the state goes to DIR/health
 *
 * Attach protocol: lib/frames.h. State files in DIR: lib/state.h. Stdio,
 * log and clients: lib/hub.h. One start and its sync protocol: lib/launch.h.
 * Signals: SIGINT SIGHUP SIGQUIT SIGPIPE SIGTSTP SIGTTIN SIGTTOU are ignored;
 * SIGTERM is passed to the container process (and cancels a pending restart).
 * Exit status: 0 once it is over, also when the process failed to start (its
 * code is in DIR/exit and the exit frames); 125 when the monitor itself could
 * not be set up (usage, DIR, log, socket), reported on --status-fd.
 */
#include "common.h"

#include "lib/events.h"
#include "lib/health.h"
#include "lib/hub.h"
#include "lib/launch.h"
#include "lib/rmtree.h"
#include "lib/state.h"
#include "lib/timefmt.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#define DRAIN_MS 1000 /* after the exit, how long stragglers may hold the output open */
#define CLOSE_MS 5000 /* at the end, how long a client may sit on unsent output */

enum restart_policy { RESTART_NO, RESTART_ALWAYS, RESTART_UNLESS_STOPPED, RESTART_ON_FAILURE };

struct options {
  const char *dir, *socket_path, *log_path;
  int status_fd, attach_fd, tty, open_stdin, detach;
  enum restart_policy restart;
  int max_restarts; /* on-failure:MAX; 0 = no limit */
  const char **umounts, **rm_paths;
  int n_umounts, n_rm_paths;
  char **hook; /* NULL-terminated, or NULL */
  int n_hook;
  const char *events_path, *event_actor;
  long long events_max_size;
  int exec_session;
  struct health_config health;
  char **runtime_argv;
};

static struct options opt;
static int epfd, detach_ready_fd = -1;
static struct watch sig_watch = {WATCH_OWNER, -1};
static pid_t container;
static int exited, exit_code;
static struct timespec started_at; /* of the current run (CLOCK_REALTIME) */

/* --- failures before anything runs ------------------------------------------ */

static void report_status(const char *line) {
  if (opt.status_fd < 0) return;
  write_all(opt.status_fd, line, strlen(line));
  close(opt.status_fd);
  opt.status_fd = -1;
}

__attribute__((noreturn, format(printf, 2, 3))) static void fatal(const char *kind, const char *fmt, ...) {
  char msg[1500], line[1600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(line, sizeof line, "error %s %s\n", kind, msg);
  if (opt.status_fd >= 0) report_status(line);
  else fprintf(stderr, "%s: %s", prog, line);
  exit(125);
}

/* --- arguments ------------------------------------------------------------- */

static void add(const char ***list, int *n, const char *v) {
  *list = realloc(*list, (size_t)(*n + 2) * sizeof **list);
  if (!*list) fatal("monitor", "out of memory");
  (*list)[(*n)++] = v;
  (*list)[*n] = NULL;
}

static int fd_value(const char *o, const char *v) {
  char *end;
  long n = strtol(v, &end, 10);
  if (!*v || *end || n < 0 || fcntl((int)n, F_GETFD) < 0) fatal("usage", "%s %s: not an open fd", o, v);
  return (int)n;
}

/* A policy as --restart takes it into opt; -1 when it is not one. */
static int set_restart(const char *v) {
  if (!strcmp(v, "no")) opt.restart = RESTART_NO;
  else if (!strcmp(v, "always")) opt.restart = RESTART_ALWAYS;
  else if (!strcmp(v, "unless-stopped")) opt.restart = RESTART_UNLESS_STOPPED;
  else if (!strncmp(v, "on-failure", 10) && (!v[10] || v[10] == ':')) {
    char *end = NULL;
    long max = v[10] ? strtol(v + 11, &end, 10) : 0;
    if (v[10] && (!v[11] || *end || max < 0 || max > 1000000)) return -1;
    opt.restart = RESTART_ON_FAILURE;
    opt.max_restarts = (int)max;
  } else
    return -1;
  return 0;
}

static void parse_restart(const char *v) {
  if (set_restart(v) < 0) fatal("usage", "--restart %s: not no, always, unless-stopped or on-failure[:MAX]", v);
}

/* The host may have changed the policy since the start (DIR/restart-policy). */
static void reload_restart(void) {
  char v[64];
  if (state_read("restart-policy", v, sizeof v) <= 0) return;
  v[strcspn(v, "\n")] = 0;
  if (set_restart(v) < 0) warnx_("restart-policy %s: not a policy; keeping the one given at start", v);
}

static long long number(const char *o, const char *v, long long min) {
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (!*v || *end || errno || n < min) fatal("usage", "%s %s: not a number of at least %lld", o, v, min);
  return n;
}

static void parse_args(int argc, char **argv) {
  opt.status_fd = opt.attach_fd = -1;
  /* The status fd first, so that every usage error is reported on it. */
  for (int i = 1; i + 1 < argc && strcmp(argv[i], "--"); i++)
    if (!strcmp(argv[i], "--status-fd")) opt.status_fd = fd_value(argv[i], argv[i + 1]);
  int i = 1;
  for (; i < argc; i++) {
    const char *o = argv[i];
    if (!strcmp(o, "--")) {
      i++;
      break;
    }
    if (!strcmp(o, "--tty")) opt.tty = 1;
    else if (!strcmp(o, "--stdin")) opt.open_stdin = 1;
    else if (!strcmp(o, "--detach")) opt.detach = 1;
    else if (!strcmp(o, "--exec-session")) opt.exec_session = 1;
    else if (i + 1 >= argc) fatal("usage", "%s needs a value", o);
    else {
      const char *v = argv[++i];
      if (!strcmp(o, "--dir")) opt.dir = v;
      else if (!strcmp(o, "--status-fd")) continue;
      else if (!strcmp(o, "--socket")) opt.socket_path = v;
      else if (!strcmp(o, "--log")) opt.log_path = v;
      else if (!strcmp(o, "--attach-fd")) opt.attach_fd = fd_value(o, v);
      else if (!strcmp(o, "--umount")) add(&opt.umounts, &opt.n_umounts, v);
      else if (!strcmp(o, "--rm-path")) add(&opt.rm_paths, &opt.n_rm_paths, v);
      else if (!strcmp(o, "--prestart-hook")) add((const char ***)&opt.hook, &opt.n_hook, v);
      else if (!strcmp(o, "--restart")) parse_restart(v);
      else if (!strcmp(o, "--events")) opt.events_path = v;
      else if (!strcmp(o, "--event-actor")) opt.event_actor = v;
      else if (!strcmp(o, "--events-max-size")) opt.events_max_size = number(o, v, 1);
      else if (!strcmp(o, "--health-spec")) opt.health.spec = v;
      else if (!strcmp(o, "--health-interval")) opt.health.interval = number(o, v, 1);
      else if (!strcmp(o, "--health-timeout")) opt.health.timeout = number(o, v, 1);
      else if (!strcmp(o, "--health-start-period")) opt.health.start_period = number(o, v, 0);
      else if (!strcmp(o, "--health-start-interval")) opt.health.start_interval = number(o, v, 1);
      else if (!strcmp(o, "--health-retries")) opt.health.retries = (int)number(o, v, 1);
      else fatal("usage", "unknown option %s", o);
    }
  }
  if (!opt.dir) fatal("usage", "--dir is required");
  if (i >= argc) fatal("usage", "no runtime command after --");
  opt.runtime_argv = argv + i;
  if (opt.events_path && !opt.event_actor) fatal("usage", "--events needs --event-actor");
  struct health_config *h = &opt.health;
  if (h->spec && (!h->interval || !h->timeout || !h->start_interval || !h->retries))
    fatal("usage", "--health-spec needs --health-interval, --health-timeout, --health-start-interval and --health-retries");
  h->runtime = opt.runtime_argv[0];
}

/* --- the loop ---------------------------------------------------------------- */

static void on_signal(int *cancel_restart) {
  struct signalfd_siginfo si;
  while (read(sig_watch.fd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo != SIGTERM) continue;
    if (container > 0 && !exited) kill(container, SIGTERM);
    else *cancel_restart = 1;
  }
  int st;
  pid_t p;
  while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
    if (p != container || exited) {
      health_reaped(p, st); /* a probe, the runtime, a hook, an orphan */
      continue;
    }
    exited = 1;
    exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait up to ms (forever when ms < 0) and handle what comes. */
static void poll_once(int ms, int *cancel_restart) {
  struct epoll_event evs[16];
  int n = epoll_wait(epfd, evs, 16, ms);
  for (int i = 0; i < n; i++) {
    struct watch *w = evs[i].data.ptr;
    if (w == &sig_watch) on_signal(cancel_restart);
    else if (w->kind == WATCH_HEALTH) health_handle(w, evs[i].events);
    else hub_handle(w, evs[i].events);
  }
}

/* Start the process once; on success serve it until it has exited and its
 * output is drained. Returns the exit code (125/126/127 if it never ran). */
static int run_once(int first, int *started) {
  struct launch_config lc = {opt.runtime_argv, opt.hook, opt.tty, opt.open_stdin};
  struct launch_result r;
  state_remove("exit");
  exited = 0;
  launch(&lc, &r);
  container = r.pid;
  *started = r.ok;
  if (!r.ok) {
    char line[1700];
    snprintf(line, sizeof line, "error %s %s\n", r.kind, r.message);
    if (first) report_status(line);
    state_write("start-error", "%s\n", r.message);
    int fds[] = {r.stdin_fd, r.stdout_fd, r.stderr_fd, r.master};
    for (int i = 0; i < 4; i++)
      if (fds[i] >= 0) close(fds[i]);
    return r.code;
  }
  char stamp[40];
  rfc3339(&r.started, stamp, sizeof stamp);
  state_write("pid", "%d %llu %s\n", (int)r.pid, state_start_time(r.pid), stamp);
  started_at = r.started;
  if (!opt.exec_session) events_append("start", NULL);
  if (opt.health.spec) health_started(r.pid);
  if (first) {
    char line[64];
    snprintf(line, sizeof line, "started %d\n", (int)r.pid);
    report_status(line);
  }
  struct hub_stdio io = {r.stdout_fd, r.stderr_fd, r.stdin_fd, r.master};
  if (opt.tty) io.stdin_fd = opt.open_stdin ? dup(r.master) : -1;
  hub_attach(&io);

  int cancel = 0;
  long long drain_until = -1;
  while (hub_output_open() || !exited) {
    if (exited && drain_until < 0) {
      drain_until = now_ms() + DRAIN_MS;
      health_stopped();
    }
    long long left = drain_until < 0 ? -1 : drain_until - now_ms();
    if (drain_until >= 0 && left <= 0) break;
    poll_once((int)left, &cancel);
  }
  hub_detach();
  health_stopped();
  return exit_code;
}

static void health_changed(const char *status) {
  char action[64];
  snprintf(action, sizeof action, "health_status: %s", status);
  events_append(action, NULL);
}

/* After DIR/exit: "die" (or "exec_die") with the code, as Docker logs it once the state is final. */
static void exited_event(int code) {
  char code_s[16], duration_s[24];
  snprintf(code_s, sizeof code_s, "%d", code);
  if (opt.exec_session) {
    const char *extra[] = {"exitCode", code_s, NULL};
    events_append("exec_die", extra);
    return;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  snprintf(duration_s, sizeof duration_s, "%lld", (long long)(now.tv_sec - started_at.tv_sec - (now.tv_nsec < started_at.tv_nsec)));
  const char *extra[] = {"execDuration", duration_s, "exitCode", code_s, NULL};
  events_append("die", extra);
}

/* --- restart, the end ---------------------------------------------------------- */

static int should_restart(int code, int restarts) {
  if (state_exists("stop-requested")) return 0;
  reload_restart();
  switch (opt.restart) {
  case RESTART_NO: return 0;
  case RESTART_ALWAYS:
  case RESTART_UNLESS_STOPPED: return 1;
  case RESTART_ON_FAILURE: return code != 0 && (opt.max_restarts == 0 || restarts < opt.max_restarts);
  }
  return 0;
}

/* Serve clients for ms, or until SIGTERM. Returns 1 if cancelled. */
static int wait_serving(long long ms) {
  int cancel = 0;
  for (long long until = now_ms() + ms; !cancel && now_ms() < until;) poll_once((int)(until - now_ms()), &cancel);
  return cancel;
}

__attribute__((noreturn)) static void finish(int code) {
  hub_send_exit(code);
  hub_stop_listening(opt.socket_path);
  /* Let clients take what they were sent; one that stops reading is cut off. */
  long long deadline = now_ms() + CLOSE_MS;
  for (size_t last = 0, unsent; (unsent = hub_unsent()) && now_ms() < deadline; last = unsent) {
    if (unsent != last) deadline = now_ms() + CLOSE_MS;
    int ignored = 0;
    poll_once((int)(deadline - now_ms()), &ignored);
  }
  hub_close_clients();
  /* A prestart hook may leave helpers that end with the container (the
   * network's keeper and slirp4netns); as a subreaper we own them once the
   * hook has exited. Reap them (briefly), or they would be left as zombies to
   * an init that may not reap. */
  for (long long until = now_ms() + 1000; now_ms() < until;) {
    pid_t p = waitpid(-1, NULL, WNOHANG);
    if (p < 0 && errno != EINTR) break; /* ECHILD: none left */
    if (p == 0) usleep(5000);
  }
  for (int i = 0; i < opt.n_umounts; i++)
    if (umount2(opt.umounts[i], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
      warnx_("umount %s: %s", opt.umounts[i], strerror(errno));
  events_load_actor(); /* before its directory goes */
  int destroyed = 0;
  for (int i = 0; i < opt.n_rm_paths; i++) {
    const char *what = "";
    int existed = access(opt.rm_paths[i], F_OK) == 0;
    if (remove_tree(opt.rm_paths[i], &what) < 0) warnx_("%s: %s", what, strerror(errno));
    else destroyed = existed && i == opt.n_rm_paths - 1;
  }
  if (destroyed && !opt.exec_session) events_append("destroy", NULL);
  exit(0);
}

static void supervise(void) {
  int restarts = 0, delay = 100;
  state_write("restart-count", "0\n");
  for (int first = 1;; first = 0) {
    long long began = now_ms();
    int started = 0;
    int code = run_once(first, &started);
    char stamp[40];
    rfc3339_now(stamp, sizeof stamp);
    state_write("exit", "%d %s\n", code, stamp);
    if (started) exited_event(code);
    if (first && !started) finish(code); /* it never ran: no restart policy applies */
    if (!should_restart(code, restarts)) finish(code);
    /* Docker backs off exponentially and forgets it after 10 s of running;
     * a delay doubling from 100 ms to 1 s does here. */
    if (now_ms() - began >= 10000) delay = 100;
    if (wait_serving(delay) || state_exists("stop-requested")) finish(code);
    delay = delay * 2 > 1000 ? 1000 : delay * 2;
    state_write("restart-count", "%d\n", ++restarts);
  }
}

/* --- setting up ------------------------------------------------------------------ */

static void detach(void) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) fatal("monitor", "pipe: %s", strerror(errno));
  pid_t p = fork();
  if (p < 0) fatal("monitor", "fork: %s", strerror(errno));
  if (p > 0) {
    /* The caller's process: done once the monitor has recorded itself. */
    close(ready[1]);
    char c;
    while (read(ready[0], &c, 1) < 0 && errno == EINTR) {
    }
    while (waitpid(p, NULL, 0) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  close(ready[0]);
  setsid();
  p = fork();
  if (p < 0) fatal("monitor", "fork: %s", strerror(errno));
  if (p > 0) _exit(0);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0), dup2(null, 1), dup2(null, 2);
    if (null > 2) close(null);
  }
  detach_ready_fd = ready[1]; /* closed once monitor.pid is written */
}

static int listen_socket(const char *where) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  const char *slash = strrchr(where, '/');
  int dirfd = -1;
  if (strlen(where) < sizeof a.sun_path) {
    snprintf(a.sun_path, sizeof a.sun_path, "%s", where);
  } else {
    /* Too long for sun_path: name it through its directory's fd. */
    if (!slash) fatal("socket", "socket path too long: %s", where);
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - where), where);
    dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) fatal("socket", "open %s: %s", dir, strerror(errno));
    if (snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/%s", dirfd, slash + 1) >= (int)sizeof a.sun_path)
      fatal("socket", "socket name too long: %s", where);
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) fatal("socket", "socket: %s", strerror(errno));
  unlink(a.sun_path);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) fatal("socket", "bind %s: %s", where, strerror(errno));
  if (listen(fd, 16) < 0) fatal("socket", "listen %s: %s", where, strerror(errno));
  if (dirfd >= 0) close(dirfd);
  return fd;
}

int main(int argc, char **argv) {
  prog = "skiff-monitor";
  /* Descriptors we did not ask for must not reach the container. */
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) return 125;
  parse_args(argc, argv);
  state_dir(opt.dir);
  if (opt.detach) detach();

  static const int ignored[] = {SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
  for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) signal(ignored[i], SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  /* The container process is the runtime's child: when the runtime exits it
   * must come to us, not to init. */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) fatal("monitor", "prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));

  if (state_write("monitor.pid", "%d %llu\n", (int)getpid(), state_start_time(getpid())) < 0)
    fatal("monitor", "write %s/monitor.pid: %s", opt.dir, strerror(errno));
  if (detach_ready_fd >= 0) close(detach_ready_fd);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  sig_watch.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (epfd < 0 || sig_watch.fd < 0) fatal("monitor", "epoll/signalfd: %s", strerror(errno));
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &sig_watch};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, sig_watch.fd, &ev) < 0) fatal("monitor", "epoll_ctl: %s", strerror(errno));
  if (hub_init(epfd, opt.log_path, opt.tty) < 0) fatal("log", "open %s: %s", opt.log_path, strerror(errno));
  if (opt.socket_path) hub_listen(listen_socket(opt.socket_path));
  events_setup(opt.events_path, opt.events_max_size, opt.event_actor);
  if (opt.health.spec) health_init(epfd, &opt.health, health_changed);
  if (opt.attach_fd >= 0) hub_add_client(opt.attach_fd);
  supervise();
}
