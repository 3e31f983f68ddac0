#include "health.h"

#include "jsonlog.h"
#include "state.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUTPUT_MAX 4096 /* moby's maxOutputLen */
#define LOG_ENTRIES 5   /* moby's maxLogEntries */

enum phase { OFF, IDLE, PROBING };

struct result {
  char start[40], end[40];
  int code;
  char *output; /* JSON-escaped */
};

static struct health_config cfg;
static void (*changed)(const char *);
static int epfd = -1;
static struct watch timer_w = {WATCH_HEALTH, -1}, sync_w = {WATCH_HEALTH, -1}, out_w = {WATCH_HEALTH, -1};
static enum phase phase = OFF;
static pid_t container;
static long long started; /* CLOCK_MONOTONIC ns of the container's start */
static const char *status = "starting";
static int streak;
static struct result results[LOG_ENTRIES];
static int n_results;

/* The probe in flight. */
static pid_t runtime_pid, probe_pid;
static int runtime_done, probe_done, probe_status, timed_out, dropped;
static char output[OUTPUT_MAX];
static size_t output_len;
static int truncated;
static char error_text[1024], sync_text[2048];
static size_t sync_len;
static char probe_start[40];
static long long probe_start_mono;

/* Children reaped before we knew they were the probe (its pid comes on the sync socket). */
static struct {
  pid_t pid;
  int status;
} recent[16];
static unsigned n_recent;

static long long mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void arm(long long ns) {
  struct itimerspec it = {0};
  if (ns > 0) {
    it.it_value.tv_sec = ns / 1000000000LL;
    it.it_value.tv_nsec = ns % 1000000000LL;
  } else if (ns == 0) {
    it.it_value.tv_nsec = 1; /* now */
  } /* ns < 0: disarm */
  if (timerfd_settime(timer_w.fd, 0, &it, NULL) < 0) fprintf(stderr, "skiff-monitor: timerfd_settime: %s\n", strerror(errno));
}

static long long next_interval(void) {
  long long elapsed = mono_ns() - started;
  if (elapsed >= cfg.start_period) return cfg.interval;
  long long remaining = cfg.start_period - elapsed;
  if (remaining < cfg.interval) return remaining;
  return !strcmp(status, "starting") ? cfg.start_interval : cfg.interval;
}

static void write_state(void) {
  size_t cap = 256;
  for (int i = 0; i < n_results; i++) cap += 160 + strlen(results[i].output);
  char *buf = malloc(cap), *p = buf;
  if (!buf) return;
  p += sprintf(p, "{\"Status\":\"%s\",\"FailingStreak\":%d,\"Log\":[", status, streak);
  for (int i = 0; i < n_results; i++)
    p += sprintf(p, "%s{\"Start\":\"%s\",\"End\":\"%s\",\"ExitCode\":%d,\"Output\":\"%s\"}", i ? "," : "", results[i].start, results[i].end,
                 results[i].code, results[i].output);
  p += sprintf(p, "]}\n");
  if (state_write_data("health", buf, (size_t)(p - buf)) < 0) fprintf(stderr, "skiff-monitor: write health state: %s\n", strerror(errno));
  free(buf);
}

static void unwatch(struct watch *w) {
  if (w->fd < 0) return;
  epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
  close(w->fd);
  w->fd = -1;
}

static void watch_in(struct watch *w, int fd) {
  w->fd = fd;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) fprintf(stderr, "skiff-monitor: epoll_ctl: %s\n", strerror(errno));
}

void health_init(int epoll_fd, const struct health_config *c, void (*on_change)(const char *)) {
  epfd = epoll_fd;
  cfg = *c;
  changed = on_change;
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "skiff-monitor: timerfd_create: %s\n", strerror(errno));
    return;
  }
  watch_in(&timer_w, fd);
}

/* --- one probe -------------------------------------------------------------- */

static void forget_probe(void) {
  unwatch(&sync_w);
  unwatch(&out_w);
  runtime_pid = probe_pid = 0;
  runtime_done = probe_done = timed_out = dropped = truncated = 0;
  output_len = sync_len = 0;
  error_text[0] = 0;
}

static void record(int code, const char *text, size_t len, int more) {
  if (n_results == LOG_ENTRIES) {
    free(results[0].output);
    memmove(results, results + 1, sizeof results[0] * (LOG_ENTRIES - 1));
    n_results--;
  }
  struct result *r = &results[n_results++];
  snprintf(r->start, sizeof r->start, "%s", probe_start);
  rfc3339_now(r->end, sizeof r->end);
  r->code = code;
  r->output = malloc(6 * (len + 3) + 1);
  if (!r->output) abort();
  size_t n = json_escape(r->output, text, len);
  if (more) memcpy(r->output + n, "...", 3), n += 3;
  r->output[n] = 0;
}

/* One probe's result: into the log, the streak and the status (moby's handleProbeResult). */
static void apply(int code, const char *text, size_t len, int more, long long since_start) {
  record(code, text, len, more);
  const char *before = status;
  if (code == 0) {
    streak = 0;
    status = "healthy";
  } else if (strcmp(status, "starting") || since_start >= cfg.start_period) {
    /* A failure within the start period does not count while still starting. */
    if (++streak >= cfg.retries) status = "unhealthy";
  }
  write_state();
  if (strcmp(before, status) && changed) changed(status);
  phase = IDLE;
  arm(next_interval());
}

static void take_output(void) {
  char buf[4096];
  ssize_t n;
  while (out_w.fd >= 0 && (n = read(out_w.fd, buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) unwatch(&out_w);
      return;
    }
    size_t keep = (size_t)n < OUTPUT_MAX - output_len ? (size_t)n : OUTPUT_MAX - output_len;
    memcpy(output + output_len, buf, keep);
    output_len += keep;
    if (keep < (size_t)n) truncated = 1;
  }
  unwatch(&out_w); /* EOF */
}

static void probe_pid_known(void) {
  for (unsigned i = 0; i < n_recent && i < 16; i++)
    if (recent[i].pid == probe_pid) {
      probe_done = 1;
      probe_status = recent[i].status;
      recent[i].pid = 0;
    }
}

static void take_sync(void) {
  ssize_t n;
  while (sync_w.fd >= 0) {
    n = read(sync_w.fd, sync_text + sync_len, sizeof sync_text - 1 - sync_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      unwatch(&sync_w); /* EOF: the probe has exec'd, or failed and said why */
      break;
    }
    sync_len += (size_t)n;
    sync_text[sync_len] = 0;
    char *nl;
    while ((nl = strchr(sync_text, '\n'))) {
      *nl = 0;
      if (!strncmp(sync_text, "pid ", 4)) {
        probe_pid = atoi(sync_text + 4);
        probe_pid_known();
      } else if (!strncmp(sync_text, "error ", 6) && !error_text[0]) {
        const char *msg = strchr(sync_text + 6, ' ');
        snprintf(error_text, sizeof error_text, "%.1000s", msg ? msg + 1 : sync_text + 6);
      }
      sync_len -= (size_t)(nl + 1 - sync_text);
      memmove(sync_text, nl + 1, sync_len + 1);
    }
    if (sync_len == sizeof sync_text - 1) sync_len = 0;
  }
}

static void finish(void) {
  take_sync();
  take_output();
  unwatch(&sync_w);
  unwatch(&out_w);
  if (dropped) {
    forget_probe();
    return;
  }
  char text[OUTPUT_MAX + 1200];
  size_t len;
  int code, more = 0;
  if (timed_out) {
    char d[64];
    go_duration(cfg.timeout, d, sizeof d);
    len = (size_t)snprintf(text, sizeof text, "Health check exceeded timeout (%s)%s", d, output_len ? ": " : "");
    memcpy(text + len, output, output_len);
    len += output_len;
    more = truncated;
    code = -1;
  } else if (error_text[0] || !probe_pid) {
    len = (size_t)snprintf(text, sizeof text, "%s", error_text[0] ? error_text : "the runtime ended without starting the health check");
    code = -1;
  } else {
    memcpy(text, output, output_len);
    len = output_len;
    more = truncated;
    code = WIFEXITED(probe_status) ? WEXITSTATUS(probe_status) : 128 + WTERMSIG(probe_status);
  }
  long long since_start = probe_start_mono - started;
  forget_probe();
  apply(code, text, len, more, since_start);
}

static void maybe_finish(void) {
  if (runtime_done && (!probe_pid || probe_done)) finish();
}

static void start_probe(void) {
  /* Exits from before this probe cannot be its own (and their pids may be reused by it). */
  n_recent = 0;
  rfc3339_now(probe_start, sizeof probe_start);
  probe_start_mono = mono_ns();
  int sync[2] = {-1, -1}, out[2] = {-1, -1};
  pid_t p = -1;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0 || pipe2(out, O_CLOEXEC) < 0 || (p = fork()) < 0) {
    int e = errno;
    for (int i = 0; i < 2; i++) {
      if (sync[i] >= 0) close(sync[i]);
      if (out[i] >= 0) close(out[i]);
    }
    char text[300];
    int n = snprintf(text, sizeof text, "cannot run the health check: %s", strerror(e));
    apply(-1, text, (size_t)n, 0, probe_start_mono - started);
    return;
  }
  if (p == 0) {
    for (int sig = 1; sig < NSIG; sig++)
      if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0 || fcntl(sync[1], F_SETFD, 0) < 0) _exit(125);
    char pid_s[16], fd_s[16];
    snprintf(pid_s, sizeof pid_s, "%d", (int)container);
    snprintf(fd_s, sizeof fd_s, "%d", sync[1]);
    char *argv[] = {(char *)cfg.runtime, "exec", "--pid", pid_s, "--spec", (char *)cfg.spec, "--sync-fd", fd_s, NULL};
    execv(cfg.runtime, argv);
    dprintf(sync[1], "error runtime cannot run %s: %s\n", cfg.runtime, strerror(errno));
    _exit(125);
  }
  close(sync[1]);
  close(out[1]);
  forget_probe();
  runtime_pid = p;
  watch_in(&sync_w, sync[0]);
  watch_in(&out_w, out[0]);
  phase = PROBING;
  arm(cfg.timeout);
}

static void on_timer(void) {
  uint64_t ticks;
  while (read(timer_w.fd, &ticks, sizeof ticks) < 0 && errno == EINTR) {
  }
  if (phase == IDLE) {
    if (state_exists("paused")) arm(next_interval()); /* Docker runs no probe in a paused container */
    else start_probe();
  } else if (phase == PROBING && !timed_out) {
    timed_out = 1;
    /* The probe leads its own session (skiff-runtime exec): its group goes with it. */
    if (probe_pid > 0) kill(-probe_pid, SIGKILL), kill(probe_pid, SIGKILL);
    else if (runtime_pid > 0) kill(runtime_pid, SIGKILL);
  }
}

/* --- the monitor's face ------------------------------------------------------- */

void health_started(pid_t pid) {
  if (timer_w.fd < 0) return;
  if (runtime_pid) forget_probe(); /* a dropped probe of the last run: its exit no longer matters */
  container = pid;
  started = mono_ns();
  status = "starting";
  streak = 0;
  write_state();
  phase = IDLE;
  arm(next_interval());
}

void health_stopped(void) {
  if (timer_w.fd < 0) return;
  arm(-1);
  if (phase == PROBING) {
    dropped = 1;
    if (probe_pid > 0) kill(-probe_pid, SIGKILL), kill(probe_pid, SIGKILL);
    else if (runtime_pid > 0) kill(runtime_pid, SIGKILL);
  }
  phase = OFF;
}

void health_handle(struct watch *w, uint32_t events) {
  (void)events;
  if (w == &timer_w) on_timer();
  else if (w == &sync_w) take_sync();
  else if (w == &out_w) take_output();
}

int health_reaped(pid_t pid, int st) {
  if (pid <= 0) return 0;
  if (pid == runtime_pid) {
    runtime_done = 1;
    take_sync(); /* its "pid" line came before it exited */
    maybe_finish();
    return 1;
  }
  if (pid == probe_pid) {
    probe_done = 1;
    probe_status = st;
    maybe_finish();
    return 1;
  }
  recent[n_recent++ % 16].pid = pid;
  recent[(n_recent - 1) % 16].status = st;
  return 0;
}
