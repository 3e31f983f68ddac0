/* skiff-slirp: the prestart hook that gives a container's new network
 * namespace a user-mode network through slirp4netns and publishes its ports.
 * skiff-monitor runs it once the namespaces exist and before the container's
 * program is exec'd (so the program finds its network up).
 *
 * usage: skiff-slirp --slirp4netns PATH --api-socket PATH [--log PATH]
 *          [--mtu N] [--mac MAC] [--disable-host-loopback]
 *          [--publish PROTO:HOSTIP:HOSTPORT:GUESTPORT]...
 * env:   SKIFF_CONTAINER_PID   the container's init (set by skiff-monitor)
 *
 * It binds the published tcp ports on the host, starts `slirp4netns
 * --configure ... PID tap0` (its output goes to --log), waits for its ready
 * byte, asks it over its API socket (one JSON request per connection:
 * add_hostfwd) to forward each published udp port, and exits 0.
 * A keeper process stays: it is slirp4netns's parent and holds its --exit-fd,
 * a pidfd of the container's init and the tcp listeners; it moves into the
 * container's network namespace and forwards each accepted connection to
 * 10.0.2.100 there (lib/portproxy.h: near loopback speed, where slirp4netns's
 * own tcp forwarding goes through its user-mode TCP stack). When the init
 * exits it closes the exit fd (slirp4netns then ends), reaps it and removes
 * the API socket. So the network lives exactly as long as the container,
 * and each start under a restart policy gets a fresh one.
 * On failure: one line on stderr (what failed and why), exit 1, and no
 * slirp4netns is left behind.
 */
#include "common.h"

#include "lib/portproxy.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define READY_MS 10000 /* slirp4netns configures in a few ms; be patient with a loaded host */
#define RETRY_MS 1500  /* a port still held by the previous run's keeper (restart) */
#define GUEST_ADDRESS "10.0.2.100" /* slirp4netns --configure's address for the container */

struct options {
  const char *slirp, *api_socket, *log, *mtu, *mac;
  int disable_host_loopback;
  const char **publish;
  int n_publish;
};

static struct options opt;
static int report_fd = -1; /* to the hook's parent: "ok\n" or the error line */
static struct portproxy *proxies; /* published tcp ports */
static int n_proxies;

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (report_fd >= 0) dprintf(report_fd, "%s\n", msg);
  else fprintf(stderr, "%s\n", msg);
  _exit(1);
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int pidfd_of(pid_t pid) {
  return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    if (!strcmp(o, "--disable-host-loopback")) {
      opt.disable_host_loopback = 1;
      continue;
    }
    if (i + 1 >= argc) fail("skiff-slirp: %s needs a value", o);
    const char *v = argv[++i];
    if (!strcmp(o, "--slirp4netns")) opt.slirp = v;
    else if (!strcmp(o, "--api-socket")) opt.api_socket = v;
    else if (!strcmp(o, "--log")) opt.log = v;
    else if (!strcmp(o, "--mtu")) opt.mtu = v;
    else if (!strcmp(o, "--mac")) opt.mac = v;
    else if (!strcmp(o, "--publish")) {
      opt.publish = realloc(opt.publish, (size_t)(opt.n_publish + 1) * sizeof *opt.publish);
      if (!opt.publish) fail("skiff-slirp: out of memory");
      opt.publish[opt.n_publish++] = v;
    } else
      fail("skiff-slirp: unknown option %s", o);
  }
  if (!opt.slirp || !opt.api_socket) fail("skiff-slirp: --slirp4netns and --api-socket are required");
}

/* The last line slirp4netns wrote to its log, for an error message. */
static void log_tail(char *out, size_t cap) {
  out[0] = 0;
  char buf[8192];
  if (!opt.log || read_small_file(opt.log, buf, sizeof buf) <= 0) return;
  size_t n = strlen(buf);
  while (n && buf[n - 1] == '\n') buf[--n] = 0;
  char *line = strrchr(buf, '\n');
  snprintf(out, cap, ": %s", line ? line + 1 : buf);
}

static pid_t start_slirp(pid_t container, int ready_w, int exit_r) {
  pid_t p = fork();
  if (p < 0) fail("cannot start slirp4netns: fork: %s", strerror(errno));
  if (p > 0) return p;
  int null = open("/dev/null", O_RDWR);
  int log = opt.log ? open(opt.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
  if (null < 0 || dup2(null, 0) < 0 || dup2(log >= 0 ? log : null, 1) < 0 || dup2(log >= 0 ? log : null, 2) < 0) _exit(125);
  if (fcntl(ready_w, F_SETFD, 0) < 0 || fcntl(exit_r, F_SETFD, 0) < 0) _exit(125);
  signal(SIGPIPE, SIG_DFL);
  char ready_s[16], exit_s[16], pid_s[16], mtu_s[32], mac_s[64], api_s[4200];
  snprintf(ready_s, sizeof ready_s, "--ready-fd=%d", ready_w);
  snprintf(exit_s, sizeof exit_s, "--exit-fd=%d", exit_r);
  snprintf(pid_s, sizeof pid_s, "%d", (int)container);
  snprintf(mtu_s, sizeof mtu_s, "--mtu=%s", opt.mtu ? opt.mtu : "65520");
  snprintf(api_s, sizeof api_s, "--api-socket=%s", opt.api_socket);
  const char *argv[16];
  int n = 0;
  argv[n++] = opt.slirp;
  argv[n++] = "--configure";
  argv[n++] = mtu_s;
  argv[n++] = ready_s;
  argv[n++] = exit_s;
  argv[n++] = api_s;
  if (opt.disable_host_loopback) argv[n++] = "--disable-host-loopback";
  if (opt.mac) {
    snprintf(mac_s, sizeof mac_s, "--macaddress=%s", opt.mac);
    argv[n++] = mac_s;
  }
  argv[n++] = pid_s;
  argv[n++] = "tap0";
  argv[n] = NULL;
  execv(opt.slirp, (char **)argv);
  fprintf(stderr, "exec %s: %s\n", opt.slirp, strerror(errno));
  _exit(127);
}

/* Wait for slirp4netns's ready byte; fail with its last words if it dies first. */
static void wait_ready(pid_t slirp, int ready_r) {
  int slirp_fd = pidfd_of(slirp);
  long long deadline = now_ms() + READY_MS;
  for (;;) {
    long long left = deadline - now_ms();
    if (left <= 0) fail("slirp4netns did not configure the container's network within %d s", READY_MS / 1000);
    struct pollfd p[2] = {{ready_r, POLLIN, 0}, {slirp_fd, POLLIN, 0}};
    if (poll(p, slirp_fd >= 0 ? 2 : 1, (int)left) < 0 && errno != EINTR) fail("poll: %s", strerror(errno));
    if (p[0].revents) {
      char c;
      ssize_t n = read(ready_r, &c, 1);
      if (n == 1) break;
      if (n < 0 && errno == EINTR) continue;
      p[1].revents = POLLIN; /* EOF: it has gone */
    }
    if (p[1].revents) {
      int st = 0;
      waitpid(slirp, &st, 0);
      char tail[600];
      log_tail(tail, sizeof tail);
      fail("slirp4netns exited (status %d) before the network was up%s", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), tail);
    }
  }
  if (slirp_fd >= 0) close(slirp_fd);
}

/* One API request; the reply in out. 0 when it was sent and answered. */
static int api_call(const char *req, char *out, size_t cap) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(opt.api_socket) >= sizeof a.sun_path) fail("slirp4netns API socket path too long: %s", opt.api_socket);
  strcpy(a.sun_path, opt.api_socket);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    errno = e;
    return -1;
  }
  /* slirp4netns reads a request with a single read(2): one write. */
  if (write_all(fd, req, strlen(req)) < 0) {
    close(fd);
    return -1;
  }
  shutdown(fd, SHUT_WR);
  size_t len = 0;
  for (ssize_t n; len + 1 < cap && (n = read(fd, out + len, cap - 1 - len)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    len += (size_t)n;
  }
  out[len] = 0;
  close(fd);
  return 0;
}

struct published {
  char proto[8], ip[64];
  int host_port, guest_port;
};

static void parse_publish(const char *spec, struct published *p) {
  if (sscanf(spec, "%7[a-z]:%63[0-9.]:%d:%d", p->proto, p->ip, &p->host_port, &p->guest_port) != 4 ||
      (strcmp(p->proto, "tcp") && strcmp(p->proto, "udp")))
    fail("skiff-slirp: bad --publish %s (want tcp|udp:HOSTIP:HOSTPORT:GUESTPORT)", spec);
}

/* tcp: our own forwarder (lib/portproxy.h), listening from here on. */
static void listen_tcp(const struct published *p) {
  int fd;
  for (long long until = now_ms() + RETRY_MS; (fd = portproxy_listen(p->ip, p->host_port)) < 0;) {
    if (errno != EADDRINUSE || now_ms() >= until) fail("cannot publish %s:%d -> %d/tcp: listen: %s", p->ip, p->host_port, p->guest_port, strerror(errno));
    usleep(50 * 1000);
  }
  proxies = realloc(proxies, (size_t)(n_proxies + 1) * sizeof *proxies);
  if (!proxies) fail("skiff-slirp: out of memory");
  struct portproxy *x = &proxies[n_proxies++];
  x->listen_fd = fd;
  x->to = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((unsigned short)p->guest_port)};
  inet_pton(AF_INET, GUEST_ADDRESS, &x->to.sin_addr);
}

/* udp: slirp4netns's add_hostfwd. */
static void publish_udp(const struct published *p) {
  char req[512], reply[512];
  snprintf(req, sizeof req,
           "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_addr\":\"%s\",\"host_port\":%d,\"guest_port\":%d}}",
           p->ip, p->host_port, p->guest_port);
  for (long long until = now_ms() + RETRY_MS;;) {
    if (api_call(req, reply, sizeof reply) < 0) fail("cannot reach slirp4netns's API socket %s: %s", opt.api_socket, strerror(errno));
    if (strstr(reply, "\"return\"")) return;
    if (now_ms() >= until) break;
    usleep(50 * 1000);
  }
  const char *desc = strstr(reply, "\"desc\":\"");
  fail("cannot publish %s:%d -> %d/udp: %.200s (is the host port in use?)", p->ip, p->host_port, p->guest_port, desc ? desc + 8 : reply);
}

/* The keeper: from here until the container's init is gone, in the
 * container's network namespace (the tcp listeners stay in the host's). */
static void keep(pid_t slirp, int exit_w, int ctr_fd) {
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) dup2(null, 0), dup2(null, 1), dup2(null, 2);
  int slirp_fd = pidfd_of(slirp);
  struct pollfd *p = calloc((size_t)n_proxies + 2, sizeof *p);
  if (!p) _exit(1);
  for (;;) {
    p[0] = (struct pollfd){ctr_fd, POLLIN, 0};
    p[1] = (struct pollfd){slirp_fd, POLLIN, 0};
    for (int i = 0; i < n_proxies; i++) p[2 + i] = (struct pollfd){proxies[i].listen_fd, POLLIN, 0};
    if (poll(p, (nfds_t)n_proxies + 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents || p[1].revents) break;
    for (int i = 0; i < n_proxies; i++)
      if (p[2 + i].revents) portproxy_accept(&proxies[i]);
  }
  close(exit_w); /* slirp4netns's --exit-fd reads EOF and it ends */
  for (long long until = now_ms() + 2000; waitpid(slirp, NULL, WNOHANG) == 0;) {
    if (now_ms() >= until) {
      kill(slirp, SIGKILL);
      waitpid(slirp, NULL, 0);
      break;
    }
    usleep(10 * 1000);
  }
  unlink(opt.api_socket);
  _exit(0);
}

int main(int argc, char **argv) {
  prog = "skiff-slirp";
  parse_args(argc, argv);
  const char *pid_s = getenv("SKIFF_CONTAINER_PID");
  pid_t container = pid_s ? (pid_t)atoi(pid_s) : 0;
  if (container <= 0) fail("skiff-slirp: SKIFF_CONTAINER_PID is not set");
  int ctr_fd = pidfd_of(container);
  if (ctr_fd < 0) fail("container process %d: pidfd_open: %s", (int)container, strerror(errno));
  int rep[2];
  if (pipe2(rep, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
  pid_t keeper = fork();
  if (keeper < 0) fail("fork: %s", strerror(errno));
  if (keeper > 0) {
    /* The hook itself: done when the keeper says so. The keeper stays (it
     * becomes the monitor's, a subreaper, when we exit). */
    close(rep[1]);
    char text[1100];
    size_t len = read_line(rep[0], text, sizeof text);
    if (!strcmp(text, "ok\n")) return 0;
    waitpid(keeper, NULL, 0);
    fprintf(stderr, "%s", len ? text : "the slirp4netns keeper died\n");
    return 1;
  }
  close(rep[0]);
  report_fd = rep[1];
  signal(SIGPIPE, SIG_IGN);
  struct published *pub = calloc((size_t)opt.n_publish + 1, sizeof *pub);
  if (!pub) fail("skiff-slirp: out of memory");
  for (int i = 0; i < opt.n_publish; i++) parse_publish(opt.publish[i], &pub[i]);
  for (int i = 0; i < opt.n_publish; i++)
    if (!strcmp(pub[i].proto, "tcp")) listen_tcp(&pub[i]);
  char netns[64];
  snprintf(netns, sizeof netns, "/proc/%d/ns/net", (int)container);
  int netns_fd = open(netns, O_RDONLY | O_CLOEXEC);
  if (netns_fd < 0) fail("open %s: %s", netns, strerror(errno));
  int ready[2], ex[2];
  if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
  unlink(opt.api_socket);
  pid_t slirp = start_slirp(container, ready[1], ex[0]);
  close(ready[1]);
  close(ex[0]);
  /* From here a failure must take slirp4netns with it. */
  wait_ready(slirp, ready[0]);
  close(ready[0]);
  pid_t helper = fork();
  if (helper == 0) {
    for (int i = 0; i < opt.n_publish; i++)
      if (!strcmp(pub[i].proto, "udp")) publish_udp(&pub[i]);
    _exit(0);
  }
  int st = 0;
  while (helper > 0 && waitpid(helper, &st, 0) < 0 && errno == EINTR) {
  }
  if (helper < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    kill(slirp, SIGKILL);
    waitpid(slirp, NULL, 0);
    unlink(opt.api_socket);
    if (helper < 0) fail("fork: %s", strerror(errno));
    _exit(1); /* the helper has reported */
  }
  /* New sockets (the container's ends of forwarded connections) are made in
   * the container's network namespace from here on. */
  if (setns(netns_fd, CLONE_NEWNET) < 0) {
    kill(slirp, SIGKILL);
    waitpid(slirp, NULL, 0);
    unlink(opt.api_socket);
    fail("setns %s: %s", netns, strerror(errno));
  }
  close(netns_fd);
  write_all(report_fd, "ok\n", 3);
  close(report_fd);
  keep(slirp, ex[1], ctr_fd);
}
