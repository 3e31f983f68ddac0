/* skiff-portfwd: the prestart hook that publishes the tcp ports of a
 * container on a user-defined network (it has no slirp4netns of its own:
 * skiff-slirp does this job for the default network).
 *
 * usage: skiff-portfwd --to ADDRESS --publish tcp:HOSTIP:HOSTPORT:GUESTPORT...
 * env:   SKIFF_CONTAINER_PID   the container's init (set by skiff-monitor)
 *
 * It listens on each host port (in the host's network namespace), then a
 * keeper moves into the container's network namespace and forwards each
 * accepted connection to ADDRESS:GUESTPORT there (lib/portproxy.h), until
 * the container's init exits. The hook itself exits 0 once the keeper is
 * in place; on failure, one line on stderr and exit 1, nothing left behind.
 */
#include "common.h"

#include "lib/portproxy.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define RETRY_MS 1500 /* a port still held by the previous run's keeper (restart) */

static int report_fd = -1;

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  dprintf(report_fd >= 0 ? report_fd : 2, "%s\n", msg);
  _exit(1);
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  prog = "skiff-portfwd";
  const char *to = NULL;
  const char *pid_s = getenv("SKIFF_CONTAINER_PID");
  struct portproxy *proxies = calloc((size_t)argc, sizeof *proxies);
  if (!proxies) fail("skiff-portfwd: out of memory");
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) fail("skiff-portfwd: %s needs a value", argv[i]);
    if (!strcmp(argv[i], "--to")) to = argv[i + 1];
    else if (strcmp(argv[i], "--publish")) fail("skiff-portfwd: unknown option %s", argv[i]);
  }
  pid_t container = pid_s ? (pid_t)atoi(pid_s) : 0;
  struct in_addr addr;
  if (container <= 0) fail("skiff-portfwd: SKIFF_CONTAINER_PID is not set");
  if (!to || inet_pton(AF_INET, to, &addr) != 1) fail("skiff-portfwd: --to needs an IPv4 address");
  int ctr = (int)syscall(SYS_pidfd_open, container, 0);
  if (ctr < 0) fail("container process %d: pidfd_open: %s", (int)container, strerror(errno));
  char netns[64];
  snprintf(netns, sizeof netns, "/proc/%d/ns/net", (int)container);
  int netns_fd = open(netns, O_RDONLY | O_CLOEXEC);
  if (netns_fd < 0) fail("open %s: %s", netns, strerror(errno));
  /* Listen on every port first (here, in the host's namespace). */
  int k = 0;
  for (int i = 1; i < argc; i += 2) {
    if (strcmp(argv[i], "--publish")) continue;
    char ip[64];
    int host_port, guest_port;
    if (sscanf(argv[i + 1], "tcp:%63[0-9.]:%d:%d", ip, &host_port, &guest_port) != 3) fail("skiff-portfwd: bad --publish %s (want tcp:HOSTIP:HOSTPORT:GUESTPORT)", argv[i + 1]);
    int fd;
    for (long long until = now_ms() + RETRY_MS; (fd = portproxy_listen(ip, host_port)) < 0;) {
      if (errno != EADDRINUSE || now_ms() >= until) fail("cannot publish %s:%d -> %d/tcp: listen: %s", ip, host_port, guest_port, strerror(errno));
      usleep(50 * 1000);
    }
    proxies[k].listen_fd = fd;
    proxies[k].to = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((unsigned short)guest_port), .sin_addr = addr};
    k++;
  }
  int rep[2];
  if (pipe2(rep, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
  pid_t keeper = fork();
  if (keeper < 0) fail("fork: %s", strerror(errno));
  if (keeper > 0) {
    close(rep[1]);
    char text[1100];
    size_t len = read_line(rep[0], text, sizeof text);
    if (!strcmp(text, "ok\n")) return 0;
    waitpid(keeper, NULL, 0);
    fprintf(stderr, "%s", len > 0 ? text : "the port forwarder died\n");
    return 1;
  }
  close(rep[0]);
  report_fd = rep[1];
  signal(SIGPIPE, SIG_IGN);
  /* The container's ends of forwarded connections are made in its namespace. */
  if (setns(netns_fd, CLONE_NEWNET) < 0) fail("setns %s: %s", netns, strerror(errno));
  close(netns_fd);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) dup2(null, 0), dup2(null, 1), dup2(null, 2);
  write_all(report_fd, "ok\n", 3);
  close(report_fd);
  struct pollfd *p = calloc((size_t)k + 1, sizeof *p);
  if (!p) _exit(1);
  for (;;) {
    p[0] = (struct pollfd){ctr, POLLIN, 0};
    for (int i = 0; i < k; i++) p[1 + i] = (struct pollfd){proxies[i].listen_fd, POLLIN, 0};
    if (poll(p, (nfds_t)k + 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents) break;
    for (int i = 0; i < k; i++)
      if (p[1 + i].revents) portproxy_accept(&proxies[i]);
  }
  _exit(0);
}
