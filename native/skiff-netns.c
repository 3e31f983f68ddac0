/* skiff-netns: the per-user network namespace of the user-defined networks
 * (DESIGN.md §3.5), and the requests that attach containers to it. Run
 * inside skiff's user namespace (through skiff-ns).
 *
 * usage: skiff-netns start --dir DIR --slirp4netns PATH --iptables-restore PATH
 *          --idle-lock PATH [--mtu N] [--sysctl KEY=VALUE]... [--rules TEXT]
 *        skiff-netns request --socket PATH LINE... [-- NEXT ARGV...]
 *
 * start: under flock(DIR/start.lock), reuse the holder named by
 *   DIR/holder.pid if it lives; else make one: a process that unshares a
 *   network namespace, starts one slirp4netns for it (tap0, outbound NAT;
 *   its --exit-fd ends it with the holder), writes each /proc/sys/KEY, runs
 *   feeds TEXT to `iptables-restore --noflush`, listens on DIR/ctl.sock and records
 *   "PID STARTTIME" in DIR/holder.pid. Prints "ok PID STARTTIME" and exits 0,
 *   or one line saying what failed and exits 1 (nothing left running).
 * The holder serves requests on DIR/ctl.sock (one line each, answered "ok"
 * or "error MESSAGE"):
 *   attach pid=P bridge=B bridge_mac=MAC gateway=G/N internal=0|1 mtu=M
 *          veth=V peer=W ifname=I addr=A/N mac=MAC route=0|1 names=a,b,..
 *          upstream=IP|-
 *     the bridge B (with address G, that MAC, and a name server on G:53) unless it
 *     exists; a veth pair V/W with V on B; W moved into P's network
 *     namespace as I with address A, up, lo up, and a default route via G
 *     when route=1. The names then resolve to A for every container that
 *     shares one of its networks, until P exits or the veth is detached.
 *     Other names this container asks for are forwarded to upstream (none
 *     for "-", and never on an internal network: refused).
 *   detach veth=V      remove the veth pair (the container loses that interface)
 *   forget bridge=B    remove the bridge, its name server and what is left on it
 * It tracks attached containers with pidfds. Once none is left it takes
 * flock(--idle-lock, LOCK_EX|LOCK_NB) — which the host holds shared while it
 * is attaching someone — removes ctl.sock and holder.pid and exits; its
 * network namespace, bridges and slirp4netns end with it. If slirp4netns
 * dies, so does the holder (the next command rebuilds it). Later errors go
 * to DIR/holder.log.
 *
 * request: the prestart hook. Appends " pid=$SKIFF_CONTAINER_PID" to each
 *   LINE, sends it, and fails (exit 1, the holder's error on stderr) on the
 *   first error; then execs NEXT ARGV (e.g. the port forwarder) if given.
 */
#include "common.h"

#include "lib/netlink.h"
#include "lib/nameserver.h"
#include "lib/nettable.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_RULES 32
#define READY_MS 10000
#define IDLE_RETRY_MS 100

static struct {
  const char *dir, *slirp, *restore, *idle_lock, *mtu, *rules;
  const char *sysctl[MAX_RULES];
  int n_sysctl;
} opt;

static int own_netns = -1, nl = -1, ctl = -1, slirp_fd = -1, exit_w = -1;
static pid_t slirp_pid;
static char path_pid[4096], path_sock[4096];

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- making the holder ---------------------------------------------------- */

static int report = -1; /* the starter's pipe until the holder is ready */

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (report >= 0) dprintf(report, "%s\n", msg);
  else fprintf(stderr, "%s: %s\n", prog, msg);
  if (slirp_pid > 0) kill(slirp_pid, SIGKILL);
  _exit(1);
}

/* The whole rule set in one iptables-restore run (one process, one commit). */
static void apply_rules(void) {
  int in[2], err[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
  pid_t p = fork();
  if (p < 0) fail("fork: %s", strerror(errno));
  if (p == 0) {
    dup2(in[0], 0);
    dup2(err[1], 2);
    execl(opt.restore, opt.restore, "--noflush", (char *)NULL);
    dprintf(2, "exec %s: %s", opt.restore, strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(err[1]);
  write_all(in[1], opt.rules, strlen(opt.rules));
  close(in[1]);
  char text[512] = "";
  ssize_t len = read(err[0], text, sizeof text - 1);
  close(err[0]);
  text[len > 0 ? len : 0] = 0;
  for (char *c = text; *c; c++)
    if (*c == '\n') *c = ' ';
  int st = 0;
  if (waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) fail("%s: %s", opt.restore, text[0] ? text : "failed");
}

static void write_sysctl(const char *kv) {
  char key[256], path[300];
  const char *eq = strchr(kv, '=');
  if (!eq || eq - kv >= (long)sizeof key) fail("bad --sysctl %s", kv);
  snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
  for (char *c = key; *c; c++)
    if (*c == '.') *c = '/';
  snprintf(path, sizeof path, "/proc/sys/%s", key);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write_all(fd, eq + 1, strlen(eq + 1)) < 0) fail("write %s: %s", path, strerror(errno));
  close(fd);
}

/* slirp4netns for our namespace: forked before the unshare (it must stay in
 * the host's network namespace), exec'd once the namespace exists. */
static void start_slirp(int *go_w, int *ready_r) {
  int go[2], ready[2], ex[2];
  if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
  pid_t holder = getpid();
  slirp_pid = fork();
  if (slirp_pid < 0) fail("fork: %s", strerror(errno));
  if (slirp_pid == 0) {
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(1);
    if (fcntl(ready[1], F_SETFD, 0) < 0 || fcntl(ex[0], F_SETFD, 0) < 0) _exit(125);
    char ready_s[32], exit_s[32], pid_s[16], mtu_s[32];
    snprintf(ready_s, sizeof ready_s, "--ready-fd=%d", ready[1]);
    snprintf(exit_s, sizeof exit_s, "--exit-fd=%d", ex[0]);
    snprintf(pid_s, sizeof pid_s, "%d", (int)holder);
    snprintf(mtu_s, sizeof mtu_s, "--mtu=%s", opt.mtu ? opt.mtu : "65520");
    const char *argv[] = {opt.slirp, "--configure", mtu_s, ready_s, exit_s, pid_s, "tap0", NULL};
    execv(opt.slirp, (char **)argv);
    fprintf(stderr, "exec %s: %s\n", opt.slirp, strerror(errno));
    _exit(127);
  }
  close(go[0]);
  close(ready[1]);
  close(ex[0]);
  *go_w = go[1];
  *ready_r = ready[0];
  exit_w = ex[1];
}

static void wait_slirp_ready(int ready_r) {
  slirp_fd = (int)syscall(SYS_pidfd_open, slirp_pid, 0);
  if (slirp_fd < 0) fail("pidfd_open slirp4netns: %s", strerror(errno));
  struct pollfd p[2] = {{ready_r, POLLIN, 0}, {slirp_fd, POLLIN, 0}};
  int n = poll(p, 2, READY_MS);
  char c;
  if (n > 0 && p[0].revents && read(ready_r, &c, 1) == 1) {
    close(ready_r);
    return;
  }
  if (n == 0) fail("slirp4netns did not configure the network namespace within %d s (see %s/holder.log)", READY_MS / 1000, opt.dir);
  int st = 0;
  waitpid(slirp_pid, &st, 0);
  slirp_pid = 0;
  fail("slirp4netns exited (status %d) before the network was up (see %s/holder.log)", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), opt.dir);
}

static void listen_ctl(void) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path_sock) >= sizeof a.sun_path) fail("socket path too long: %s", path_sock);
  strcpy(a.sun_path, path_sock);
  ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unlink(path_sock);
  if (ctl < 0 || bind(ctl, (struct sockaddr *)&a, sizeof a) < 0 || listen(ctl, 64) < 0) fail("listen %s: %s", path_sock, strerror(errno));
}

/* The holder, from fork to ready (then it serves: see serve()). */
static void become_holder(void) {
  setsid();
  int null = open("/dev/null", O_RDWR);
  char log[4200];
  snprintf(log, sizeof log, "%s/holder.log", opt.dir);
  int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(logfd >= 0 ? logfd : null, 2) < 0) fail("stdio: %s", strerror(errno));
  int go, ready;
  start_slirp(&go, &ready);
  if (unshare(CLONE_NEWNET) < 0) fail("unshare(CLONE_NEWNET): %s", strerror(errno));
  own_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own_netns < 0) fail("open /proc/self/ns/net: %s", strerror(errno));
  if (write(go, "g", 1) != 1) fail("start slirp4netns: %s", strerror(errno));
  close(go);
  wait_slirp_ready(ready);
  if ((nl = nl_open()) < 0) fail("netlink socket: %s", strerror(errno));
  int lo = nl_index(nl, "lo");
  if (!lo || nl_set_link(nl, lo, 1, 0, NULL, NULL, 0) < 0) fail("set lo up: %s", strerror(errno));
  for (int i = 0; i < opt.n_sysctl; i++) write_sysctl(opt.sysctl[i]);
  if (opt.rules) apply_rules();
  listen_ctl();
  char line[64];
  int len = snprintf(line, sizeof line, "%d %llu\n", (int)getpid(), proc_start_time(getpid()));
  if (write_file_atomic(path_pid, line, (size_t)len) < 0) fail("write %s: %s", path_pid, strerror(errno));
}

/* The live holder named by holder.pid, or 0. */
static pid_t live_holder(unsigned long long *start) {
  char buf[128];
  if (read_small_file(path_pid, buf, sizeof buf) <= 0) return 0;
  int pid = 0;
  unsigned long long st = 0;
  if (sscanf(buf, "%d %llu", &pid, &st) != 2 || pid <= 0 || proc_start_time(pid) != st) return 0;
  *start = st;
  return pid;
}

static int start(void) {
  char lock[4200];
  snprintf(lock, sizeof lock, "%s/start.lock", opt.dir);
  int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lfd < 0 || flock(lfd, LOCK_EX) < 0) fail("lock %s: %s", lock, strerror(errno));
  unsigned long long st = 0;
  pid_t live = live_holder(&st);
  if (live) {
    printf("ok %d %llu\n", (int)live, st);
    return 0;
  }
  int rep[2];
  if (pipe2(rep, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
  pid_t p = fork();
  if (p < 0) fail("fork: %s", strerror(errno));
  if (p == 0) {
    close(rep[0]);
    report = rep[1];
    pid_t h = fork(); /* not our caller's child: it outlives it */
    if (h < 0) fail("fork: %s", strerror(errno));
    if (h > 0) _exit(0);
    close(lfd);
    become_holder();
    dprintf(report, "ready\n");
    close(report);
    report = -1;
    return -1; /* the caller serves */
  }
  close(rep[1]);
  waitpid(p, NULL, 0);
  char text[1100];
  size_t len = read_line(rep[0], text, sizeof text);
  if (strcmp(text, "ready\n") != 0) {
    fprintf(stderr, "%s", len ? text : "the network namespace holder died while starting\n");
    return 1;
  }
  live = live_holder(&st);
  if (!live) {
    fprintf(stderr, "the network namespace holder exited right after starting (see %s/holder.log)\n", opt.dir);
    return 1;
  }
  printf("ok %d %llu\n", (int)live, st);
  return 0;
}

/* ---- serving --------------------------------------------------------------- */

__attribute__((format(printf, 1, 2))) static void logf_(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  fflush(stderr);
  va_end(ap);
}

/* Control clients live in the poll loop like everything else: one that
 * stalls must not hold up the name servers. */
#define MAX_CLIENTS 16
static struct client {
  int fd; /* -1: free */
  size_t len;
  char buf[4096];
} clients[MAX_CLIENTS];

static void client_close(struct client *c) {
  close(c->fd);
  c->fd = -1;
}

static void client_accept(void) {
  int fd = accept4(ctl, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (clients[i].fd < 0) {
      clients[i].fd = fd;
      clients[i].len = 0;
      return;
    }
  close(fd); /* too many at once: the client sees the connection closed */
}

static void client_read(struct client *c) {
  ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return client_close(c);
  c->len += (size_t)n;
  c->buf[c->len] = 0;
  char *eol;
  while ((eol = strchr(c->buf, '\n'))) {
    *eol = 0;
    char err[1024] = "", out[1100];
    int rc = table_request(c->buf, err, sizeof err);
    if (rc == -2) fail("%s", err);
    if (rc < 0) logf_("%s", err);
    int len = rc == 0 ? snprintf(out, sizeof out, "ok\n") : snprintf(out, sizeof out, "error %s\n", err);
    /* A few bytes into an empty socket buffer: this does not block. */
    if (send(c->fd, out, (size_t)len, MSG_NOSIGNAL) != len) return client_close(c);
    size_t used = (size_t)(eol + 1 - c->buf);
    memmove(c->buf, eol + 1, c->len - used + 1);
    c->len -= used;
  }
  if (c->len == sizeof c->buf - 1) client_close(c); /* a line too long: not one of ours */
}

/* No container left: leave, unless a host command is attaching one right now. */
static int try_leave(void) {
  int fd = open(opt.idle_lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    close(fd);
    return 0;
  }
  unlink(path_sock);
  unlink(path_pid);
  close(exit_w); /* slirp4netns reads EOF on its --exit-fd and ends */
  for (long long until = now_ms() + 2000; waitpid(slirp_pid, NULL, WNOHANG) == 0;) {
    if (now_ms() >= until) {
      kill(slirp_pid, SIGKILL);
      waitpid(slirp_pid, NULL, 0);
      break;
    }
    usleep(5000);
  }
  _exit(0);
}

__attribute__((noreturn)) static void serve(void) {
  signal(SIGPIPE, SIG_IGN);
  ns_init(table_resolve);
  table_init(nl, own_netns);
  for (int i = 0; i < MAX_CLIENTS; i++) clients[i].fd = -1;
  static struct pollfd *p;
  if (!p && !(p = calloc((size_t)(2 + MAX_CLIENTS + TABLE_MAX_ENDPOINTS + ns_count()), sizeof *p))) fail("out of memory");
  int idle = 1;
  for (;;) {
    int n = 0;
    p[n++] = (struct pollfd){ctl, POLLIN, 0};
    p[n++] = (struct pollfd){slirp_fd, POLLIN, 0};
    int first_client = n;
    for (int i = 0; i < MAX_CLIENTS; i++)
      if (clients[i].fd >= 0) p[n++] = (struct pollfd){clients[i].fd, POLLIN, 0};
    int first_ep = n;
    n += table_pollfds(p + n);
    int first_ns = n;
    n += ns_fds(p + n);
    int r = poll(p, (nfds_t)n, idle ? IDLE_RETRY_MS : 1000);
    long long now = now_ms();
    ns_expire(now);
    if (r < 0 && errno != EINTR) fail("poll: %s", strerror(errno));
    if (r > 0) {
      if (p[1].revents) {
        logf_("slirp4netns exited: the user-defined networks lose their way out; leaving");
        unlink(path_sock);
        unlink(path_pid);
        _exit(1);
      }
      for (int j = first_ep; j < first_ns; j++)
        if (p[j].revents) table_exited(p[j].fd);
      for (int j = first_ns; j < n; j++)
        if (p[j].revents) ns_handle(p[j].fd, p[j].revents, now);
      for (int j = first_client; j < first_ep; j++)
        for (int i = 0; i < MAX_CLIENTS; i++)
          if (p[j].revents && clients[i].fd == p[j].fd) client_read(&clients[i]);
      if (p[0].revents) client_accept();
    }
    idle = table_size() == 0;
    if (idle) try_leave();
  }
}

/* ---- the client ------------------------------------------------------------ */

static int request(int argc, char **argv) {
  const char *sock = NULL;
  int i = 2;
  for (; i < argc && strcmp(argv[i], "--"); i++) {
    if (!strcmp(argv[i], "--socket") && i + 1 < argc) sock = argv[++i];
    else break;
  }
  const char *pid_s = getenv("SKIFF_CONTAINER_PID");
  if (!sock || !pid_s) fail("usage: skiff-netns request --socket PATH LINE... [-- ARGV] (with SKIFF_CONTAINER_PID set)");
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
    fail("cannot reach the network namespace holder at %s: %s", sock, strerror(errno));
  FILE *in = fdopen(fcntl(fd, F_DUPFD_CLOEXEC, 0), "r");
  for (; i < argc && strcmp(argv[i], "--"); i++) {
    char line[4096], answer[1100];
    int n = snprintf(line, sizeof line, "%s pid=%s\n", argv[i], pid_s);
    if (n >= (int)sizeof line || write_all(fd, line, (size_t)n) < 0) fail("write to %s: %s", sock, strerror(errno));
    if (!in || !fgets(answer, sizeof answer, in)) fail("the network namespace holder closed the connection");
    if (strcmp(answer, "ok\n") != 0) {
      fprintf(stderr, "%s", strncmp(answer, "error ", 6) ? answer : answer + 6);
      return 1;
    }
  }
  close(fd);
  if (in) fclose(in); /* nothing of the connection must reach the program exec'd next */
  if (i < argc && !strcmp(argv[i], "--") && i + 1 < argc) {
    execv(argv[i + 1], argv + i + 1);
    fail("exec %s: %s", argv[i + 1], strerror(errno));
  }
  return 0;
}

int main(int argc, char **argv) {
  prog = "skiff-netns";
  if (argc > 1 && !strcmp(argv[1], "request")) return request(argc, argv);
  /* The holder outlives its caller: it must not keep the caller's
   * descriptors (a lock it inherited would stop it from ever leaving). */
  close_range(3, ~0U, 0);
  if (argc < 2 || strcmp(argv[1], "start")) fail("usage: skiff-netns start|request ...");
  for (int i = 2; i < argc; i++) {
    if (i + 1 >= argc) fail("%s needs a value", argv[i]);
    const char *o = argv[i], *v = argv[++i];
    if (!strcmp(o, "--dir")) opt.dir = v;
    else if (!strcmp(o, "--slirp4netns")) opt.slirp = v;
    else if (!strcmp(o, "--iptables-restore")) opt.restore = v;
    else if (!strcmp(o, "--idle-lock")) opt.idle_lock = v;
    else if (!strcmp(o, "--mtu")) opt.mtu = v;
    else if (!strcmp(o, "--sysctl") && opt.n_sysctl < MAX_RULES) opt.sysctl[opt.n_sysctl++] = v;
    else if (!strcmp(o, "--rules")) opt.rules = v;
    else fail("unknown option %s", o);
  }
  if (!opt.dir || !opt.slirp || !opt.restore || !opt.idle_lock) fail("--dir, --slirp4netns, --iptables-restore and --idle-lock are required");
  snprintf(path_pid, sizeof path_pid, "%s/holder.pid", opt.dir);
  snprintf(path_sock, sizeof path_sock, "%s/ctl.sock", opt.dir);
  int r = start();
  if (r >= 0) return r;
  serve();
}
