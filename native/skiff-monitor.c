/* skiff-monitor: the one small process that sits between a container process
 * (or an exec session) and its owner, like conmon: it starts the process
 * through skiff-runtime, owns its stdio or terminal, writes the log, serves
 * attach clients, records the exit, restarts by policy and cleans up.
 *
 * usage: skiff-monitor --dir DIR [--status-fd N] [--socket PATH] [--log PATH]
 *          [--tty] [--stdin] [--attach-fd N] [--detach]
 *          [--restart no|always|unless-stopped|on-failure[:MAX]]
 *          [--umount PATH]... [--rm-path PATH]... [--prestart-hook ARG]...
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
 *                  on-failure only for non-zero codes, at most MAX times
 *   --umount       umount2(MNT_DETACH) when it is all over
 *   --rm-path      then remove recursively, never crossing into other mounts
 *   --prestart-hook  argv of a command run (env SKIFF_CONTAINER_PID) when the
 *                  runtime waits (spec sync-before-exec 1); non-zero exit kills
 *                  the process and reports "error prestart ..."
 *
 * Attach protocol: lib/frames.h. State files in DIR: lib/state.h.
 * Signals: SIGINT SIGHUP SIGQUIT SIGPIPE SIGTSTP SIGTTIN SIGTTOU are ignored;
 * SIGTERM is passed to the container process (and cancels a pending restart).
 * Exit status: 0 once it is over (the container's code is in DIR/exit and in
 * exit frames); 125 for a usage error or a failure before anything started.
 */
#include "common.h"

#include "lib/buf.h"
#include "lib/frames.h"
#include "lib/jsonlog.h"
#include "lib/launch.h"
#include "lib/rmtree.h"
#include "lib/state.h"
#include "lib/timefmt.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>

#define IO_CHUNK 65536
#define CLIENT_HIGH (1u << 20) /* stop reading the process's output above this backlog */
#define CLIENT_LOW (256u << 10)
#define STDIN_HIGH (1u << 20) /* stop reading clients above this much unwritten stdin */
#define DRAIN_MS 1000          /* after the exit, how long stragglers may hold the output open */
#define CLOSE_MS 5000          /* at the end, how long a client may sit on unsent output */

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
  char **runtime_argv;
};

/* What an epoll event is about. */
enum watch_kind { W_SIGNAL, W_LISTEN, W_OUTPUT, W_STDIN, W_CLIENT };
struct watch {
  enum watch_kind kind;
  int fd;
};

struct output {
  struct watch w; /* fd -1 when closed */
  int stream;     /* 1 stdout, 2 stderr */
  int paused;
};

struct client {
  struct watch w;
  struct buf in, out;
  int reading; /* the peer may still send */
  int events;  /* what epoll watches now */
  struct client *next;
};

static struct options opt;
static int epfd;
static struct watch sig_watch = {W_SIGNAL, -1}, listen_watch = {W_LISTEN, -1}, stdin_watch = {W_STDIN, -1};
static struct output outs[2] = {{{W_OUTPUT, -1}, 1, 0}, {{W_OUTPUT, -1}, 2, 0}};
static struct client *clients;
static struct jsonlog logfile;
static struct buf stdin_buf;
static int stdin_close_pending, stdin_events, clients_paused;
static int master = -1;
static struct winsize pending_size;
static int have_pending_size;
static pid_t container;
static int exited, exit_code;
static char iobuf[IO_CHUNK];

/* --- failures before the loop ------------------------------------------- */

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

/* --- arguments ------------------------------------------------------------ */

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

static void parse_args(int argc, char **argv) {
  opt.status_fd = opt.attach_fd = -1;
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
    else if (i + 1 >= argc) fatal("usage", "%s needs a value", o);
    else {
      const char *v = argv[++i];
      if (!strcmp(o, "--dir")) opt.dir = v;
      else if (!strcmp(o, "--status-fd")) opt.status_fd = fd_value(o, v);
      else if (!strcmp(o, "--socket")) opt.socket_path = v;
      else if (!strcmp(o, "--log")) opt.log_path = v;
      else if (!strcmp(o, "--attach-fd")) opt.attach_fd = fd_value(o, v);
      else if (!strcmp(o, "--umount")) add(&opt.umounts, &opt.n_umounts, v);
      else if (!strcmp(o, "--rm-path")) add(&opt.rm_paths, &opt.n_rm_paths, v);
      else if (!strcmp(o, "--prestart-hook")) add((const char ***)&opt.hook, &opt.n_hook, v);
      else if (!strcmp(o, "--restart")) {
        if (!strcmp(v, "no")) opt.restart = RESTART_NO;
        else if (!strcmp(v, "always")) opt.restart = RESTART_ALWAYS;
        else if (!strcmp(v, "unless-stopped")) opt.restart = RESTART_UNLESS_STOPPED;
        else if (!strncmp(v, "on-failure", 10) && (!v[10] || v[10] == ':')) {
          opt.restart = RESTART_ON_FAILURE;
          opt.max_restarts = v[10] ? atoi(v + 11) : 0;
          if (v[10] && (opt.max_restarts < 0 || !v[11])) fatal("usage", "--restart %s: bad maximum", v);
        } else
          fatal("usage", "--restart %s: not no, always, unless-stopped or on-failure[:MAX]", v);
      } else
        fatal("usage", "unknown option %s", o);
    }
  }
  if (!opt.dir) fatal("usage", "--dir is required");
  if (i >= argc) fatal("usage", "no runtime command after --");
  opt.runtime_argv = argv + i;
}

/* --- epoll helpers -------------------------------------------------------- */

static void watch_fd(struct watch *w, int op, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = w};
  if (epoll_ctl(epfd, op, w->fd, &ev) < 0 && op != EPOLL_CTL_DEL) fatal("monitor", "epoll_ctl: %s", strerror(errno));
}

static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* --- clients -------------------------------------------------------------- */

static void client_update(struct client *c) {
  int ev = (c->reading && !clients_paused ? EPOLLIN | EPOLLRDHUP : 0) | (c->out.len ? EPOLLOUT : 0);
  if (ev != c->events) watch_fd(&c->w, EPOLL_CTL_MOD, (uint32_t)ev);
  c->events = ev;
}

static void client_add(int fd) {
  struct client *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return;
  }
  c->w = (struct watch){W_CLIENT, fd};
  c->reading = 1;
  c->events = EPOLLIN | EPOLLRDHUP;
  nonblock(fd);
  watch_fd(&c->w, EPOLL_CTL_ADD, (uint32_t)c->events);
  c->next = clients;
  clients = c;
}

static void client_drop(struct client *c) {
  for (struct client **p = &clients; *p; p = &(*p)->next)
    if (*p == c) {
      *p = c->next;
      break;
    }
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->w.fd, NULL);
  close(c->w.fd);
  buf_free(&c->in);
  buf_free(&c->out);
  free(c);
}

static void outputs_pause(int paused);
static int client_process(struct client *c);

static void client_send(struct client *c, int type, const char *data, size_t n) {
  frame_append(&c->out, type, data, n);
  if (buf_flush(&c->out, c->w.fd) < 0) client_drop(c);
  else client_update(c);
}

static void broadcast(int type, const char *data, size_t n) {
  int backlog = 0;
  for (struct client *c = clients, *next; c; c = next) {
    next = c->next;
    client_send(c, type, data, n);
  }
  for (struct client *c = clients; c; c = c->next) backlog |= c->out.len > CLIENT_HIGH;
  if (backlog) outputs_pause(1);
}

/* --- the process's stdio -------------------------------------------------- */

static void stdin_update(void) {
  int ev = stdin_buf.len ? EPOLLOUT : 0;
  if (stdin_watch.fd >= 0 && ev != stdin_events) watch_fd(&stdin_watch, EPOLL_CTL_MOD, (uint32_t)ev);
  stdin_events = ev;
  int pause = stdin_buf.len > STDIN_HIGH;
  if (pause != clients_paused) {
    clients_paused = pause;
    for (struct client *c = clients, *next; c; c = next) {
      next = c->next;
      if (pause || client_process(c) == 0) client_update(c);
    }
  }
}

static void stdin_close(void) {
  if (stdin_watch.fd >= 0) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, stdin_watch.fd, NULL);
    close(stdin_watch.fd);
  }
  stdin_watch.fd = -1;
  stdin_close_pending = 0;
  buf_consume(&stdin_buf, stdin_buf.len);
  stdin_update();
}

static void stdin_flush(void) {
  if (stdin_watch.fd < 0) return;
  if (buf_flush(&stdin_buf, stdin_watch.fd) < 0) {
    stdin_close(); /* the process closed its stdin (EPIPE): input goes nowhere */
    return;
  }
  if (!stdin_buf.len && stdin_close_pending) stdin_close();
  else stdin_update();
}

static void apply_size(void) {
  if (master >= 0 && have_pending_size) ioctl(master, TIOCSWINSZ, &pending_size);
}

static void client_frame(int type, const char *p, size_t n) {
  if (type == FRAME_STDIN && stdin_watch.fd >= 0 && !stdin_close_pending) {
    buf_append(&stdin_buf, p, n);
    stdin_flush();
  } else if (type == FRAME_CLOSE_STDIN && !opt.tty && stdin_watch.fd >= 0) {
    stdin_close_pending = 1;
    stdin_flush();
  } else if (type == FRAME_RESIZE) {
    char text[64];
    unsigned rows = 0, cols = 0;
    snprintf(text, sizeof text, "%.*s", (int)(n < 63 ? n : 63), p);
    if (sscanf(text, "%u %u", &rows, &cols) == 2 && rows && cols && rows < 65536 && cols < 65536) {
      pending_size = (struct winsize){.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
      have_pending_size = 1;
      apply_size();
    }
  }
}

/* Act on the complete frames a client sent; 0, or -1 when it was dropped. */
static int client_process(struct client *c) {
  int type, r = 0;
  const char *p;
  size_t len;
  while (!clients_paused && (r = frame_peek(&c->in, &type, &p, &len)) == 1) {
    client_frame(type, p, len);
    buf_consume(&c->in, FRAME_HEADER + len);
  }
  if (r < 0) {
    client_drop(c); /* not speaking the protocol */
    return -1;
  }
  return 0;
}

static void on_client(struct client *c, uint32_t events) {
  if (events & EPOLLIN) {
    ssize_t n = read(c->w.fd, iobuf, sizeof iobuf);
    if (n > 0) buf_append(&c->in, iobuf, (size_t)n);
    else if (n == 0 || (errno != EAGAIN && errno != EINTR)) c->reading = 0;
    if (client_process(c) < 0) return;
  }
  if ((events & EPOLLOUT) && buf_flush(&c->out, c->w.fd) < 0) {
    client_drop(c);
    return;
  }
  if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN)) {
    client_drop(c);
    return;
  }
  client_update(c);
  int backlog = 0;
  for (struct client *x = clients; x; x = x->next) backlog |= x->out.len > CLIENT_LOW;
  if (!backlog) outputs_pause(0);
}

static void outputs_pause(int paused) {
  for (int i = 0; i < 2; i++) {
    struct output *o = &outs[i];
    if (o->w.fd < 0 || o->paused == paused) continue;
    o->paused = paused;
    watch_fd(&o->w, EPOLL_CTL_MOD, paused ? 0 : EPOLLIN);
  }
}

static void output_close(struct output *o) {
  if (o->w.fd < 0) return;
  epoll_ctl(epfd, EPOLL_CTL_DEL, o->w.fd, NULL);
  close(o->w.fd);
  o->w.fd = -1;
  o->paused = 0;
  if (jsonlog_flush(&logfile, o->stream) < 0) warnx_("write log %s: %s", opt.log_path, strerror(errno));
}

static void on_output(struct output *o) {
  ssize_t n = read(o->w.fd, iobuf, sizeof iobuf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) { /* EOF, or EIO once a terminal's last user is gone */
    output_close(o);
    return;
  }
  if (jsonlog_write(&logfile, o->stream, iobuf, (size_t)n) < 0) warnx_("write log %s: %s", opt.log_path, strerror(errno));
  broadcast(o->stream == 2 ? FRAME_STDERR : FRAME_STDOUT, iobuf, (size_t)n);
}

/* --- signals -------------------------------------------------------------- */

static void on_signal(int *cancel_restart) {
  struct signalfd_siginfo si;
  while (read(sig_watch.fd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGTERM) {
      if (container > 0 && !exited) kill(container, SIGTERM);
      else *cancel_restart = 1;
    }
  }
  int st;
  pid_t p;
  while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
    if (p != container || exited) continue;
    exited = 1;
    exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
}

static void on_listen(void) {
  for (;;) {
    int fd = accept4(listen_watch.fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return;
    client_add(fd);
  }
}

/* --- one run of the process ----------------------------------------------- */

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait up to ms (or forever when ms < 0) and handle what comes. */
static void poll_once(int ms, int *cancel_restart) {
  struct epoll_event evs[16];
  int n = epoll_wait(epfd, evs, 16, ms);
  for (int i = 0; i < n; i++) {
    struct watch *w = evs[i].data.ptr;
    switch (w->kind) {
    case W_SIGNAL: on_signal(cancel_restart); break;
    case W_LISTEN: on_listen(); break;
    case W_OUTPUT: on_output((struct output *)w); break;
    case W_STDIN: stdin_flush(); break;
    case W_CLIENT: on_client((struct client *)w, evs[i].events); break;
    }
  }
}

/* Start the process once; on success serve it until it exited and its
 * output is drained. Returns the exit code (125/126/127 if it never ran). */
static int run_once(int first, int *started) {
  struct launch_config lc = {opt.runtime_argv, opt.hook, opt.tty, opt.open_stdin};
  struct launch_result r;
  state_remove("exit");
  exited = 0;
  launch(&lc, &r);
  container = r.pid;
  if (!r.ok) {
    char line[1700];
    snprintf(line, sizeof line, "error %s %s\n", r.kind, r.message);
    if (first) report_status(line);
    state_write("start-error", "%s\n", r.message);
    int fds[] = {r.stdin_fd, r.stdout_fd, r.stderr_fd, r.master};
    for (int i = 0; i < 4; i++)
      if (fds[i] >= 0) close(fds[i]);
    *started = 0;
    return r.code;
  }
  *started = 1;
  char stamp[40];
  rfc3339(&r.started, stamp, sizeof stamp);
  state_write("pid", "%d %llu %s\n", (int)r.pid, state_start_time(r.pid), stamp);
  if (first) {
    char line[64];
    snprintf(line, sizeof line, "started %d\n", (int)r.pid);
    report_status(line);
  }

  master = r.master;
  outs[0].w.fd = opt.tty ? master : r.stdout_fd;
  outs[1].w.fd = opt.tty ? -1 : r.stderr_fd;
  stdin_watch.fd = opt.tty ? (opt.open_stdin ? dup(master) : -1) : r.stdin_fd;
  stdin_close_pending = stdin_events = 0;
  for (int i = 0; i < 2; i++)
    if (outs[i].w.fd >= 0) {
      nonblock(outs[i].w.fd);
      outs[i].paused = 0;
      watch_fd(&outs[i].w, EPOLL_CTL_ADD, EPOLLIN);
    }
  if (stdin_watch.fd >= 0) {
    nonblock(stdin_watch.fd);
    watch_fd(&stdin_watch, EPOLL_CTL_ADD, 0);
    stdin_flush(); /* input that came before the process did */
  }
  apply_size();

  int cancel = 0;
  long long drain_until = -1;
  while (outs[0].w.fd >= 0 || outs[1].w.fd >= 0 || !exited) {
    if (exited && drain_until < 0) drain_until = now_ms() + DRAIN_MS;
    long long left = drain_until < 0 ? -1 : drain_until - now_ms();
    if (drain_until >= 0 && left <= 0) break;
    poll_once((int)left, &cancel);
  }
  /* Read what is already buffered, then let go of the process's stdio. */
  for (int i = 0; i < 2; i++) {
    if (outs[i].w.fd < 0) continue;
    outs[i].paused = 0;
    while (outs[i].w.fd >= 0) {
      ssize_t n = read(outs[i].w.fd, iobuf, sizeof iobuf);
      if (n <= 0) break;
      jsonlog_write(&logfile, outs[i].stream, iobuf, (size_t)n);
      broadcast(outs[i].stream == 2 ? FRAME_STDERR : FRAME_STDOUT, iobuf, (size_t)n);
    }
    output_close(&outs[i]);
  }
  stdin_close();
  master = -1; /* closed as outs[0] */
  return exit_code;
}

/* --- restart, the end ------------------------------------------------------ */

static int should_restart(int code, int restarts) {
  if (state_exists("stop-requested")) return 0;
  switch (opt.restart) {
  case RESTART_NO: return 0;
  case RESTART_ALWAYS:
  case RESTART_UNLESS_STOPPED: return 1;
  case RESTART_ON_FAILURE: return code != 0 && (opt.max_restarts == 0 || restarts < opt.max_restarts);
  }
  return 0;
}

/* Serve clients (stdin is gone) for ms, or until SIGTERM. Returns 1 if cancelled. */
static int wait_serving(long long ms) {
  int cancel = 0;
  for (long long until = now_ms() + ms; !cancel && now_ms() < until;) poll_once((int)(until - now_ms()), &cancel);
  return cancel;
}

static void finish(int code) {
  char text[16];
  int n = snprintf(text, sizeof text, "%d", code);
  broadcast(FRAME_EXIT, text, (size_t)n);
  if (listen_watch.fd >= 0) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, listen_watch.fd, NULL);
    close(listen_watch.fd);
    listen_watch.fd = -1;
    unlink(opt.socket_path);
  }
  /* Let clients take what they were sent; one that stops reading is cut off. */
  long long deadline = now_ms() + CLOSE_MS;
  size_t last = 0;
  for (;;) {
    size_t pending = 0;
    for (struct client *c = clients; c; c = c->next) pending += c->out.len;
    if (!pending || now_ms() >= deadline) break;
    if (pending != last) deadline = now_ms() + CLOSE_MS;
    last = pending;
    int ignored = 0;
    poll_once((int)(deadline - now_ms()), &ignored);
  }
  while (clients) client_drop(clients);
  for (int i = 0; i < opt.n_umounts; i++)
    if (umount2(opt.umounts[i], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
      warnx_("umount %s: %s", opt.umounts[i], strerror(errno));
  for (int i = 0; i < opt.n_rm_paths; i++) {
    const char *what = "";
    if (remove_tree(opt.rm_paths[i], &what) < 0) warnx_("%s: %s", what, strerror(errno));
  }
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

/* --- setting up ------------------------------------------------------------ */

static int detach_ready_fd = -1;

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

static void listen_socket(void) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  char path[sizeof a.sun_path];
  const char *slash = strrchr(opt.socket_path, '/');
  int dirfd = -1;
  if (strlen(opt.socket_path) < sizeof a.sun_path) {
    snprintf(path, sizeof path, "%s", opt.socket_path);
  } else if (slash) {
    /* Too long for sun_path: name it through its directory's fd. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - opt.socket_path), opt.socket_path);
    dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) fatal("socket", "open %s: %s", dir, strerror(errno));
    if (snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dirfd, slash + 1) >= (int)sizeof path)
      fatal("socket", "socket name too long: %s", opt.socket_path);
  } else {
    fatal("socket", "socket path too long: %s", opt.socket_path);
  }
  memcpy(a.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) fatal("socket", "socket: %s", strerror(errno));
  unlink(path);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) fatal("socket", "bind %s: %s", opt.socket_path, strerror(errno));
  if (listen(fd, 16) < 0) fatal("socket", "listen %s: %s", opt.socket_path, strerror(errno));
  if (dirfd >= 0) close(dirfd);
  listen_watch.fd = fd;
  watch_fd(&listen_watch, EPOLL_CTL_ADD, EPOLLIN);
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
  watch_fd(&sig_watch, EPOLL_CTL_ADD, EPOLLIN);
  if (jsonlog_open(&logfile, opt.log_path) < 0) fatal("log", "open %s: %s", opt.log_path, strerror(errno));
  if (opt.socket_path) listen_socket();
  if (opt.attach_fd >= 0) client_add(opt.attach_fd);
  supervise();
}
