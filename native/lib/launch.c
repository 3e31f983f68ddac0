#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4))) static void failed(struct launch_result *r, const char *kind, const char *fmt, ...) {
  if (!r->ok && r->kind[0]) return; /* keep the first cause */
  r->ok = 0;
  r->code = !strcmp(kind, "notfound") ? 127 : !strcmp(kind, "exec") ? 126 : 125;
  snprintf(r->kind, sizeof r->kind, "%s", kind);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->message, sizeof r->message, fmt, ap);
  va_end(ap);
}

/* A child of the monitor starts with default signals and an empty mask. */
static void reset_signals(void) {
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static void read_all(int fd, char *out, size_t cap, size_t *len) {
  for (;;) {
    char tmp[1024];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    size_t take = (size_t)n < cap - 1 - *len ? (size_t)n : cap - 1 - *len;
    memcpy(out + *len, tmp, take);
    *len += take;
    out[*len] = 0;
  }
}

/* Run the prestart hook with SKIFF_CONTAINER_PID; 0 when it exited 0. */
static int run_hook(char **argv, pid_t container, struct launch_result *r) {
  int out[2];
  pid_t hook = -1;
  if (pipe2(out, O_CLOEXEC) < 0 || (hook = fork()) < 0) {
    failed(r, "prestart", "cannot run the prestart hook: %s", strerror(errno));
    return -1;
  }
  if (hook == 0) {
    reset_signals();
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)container);
    setenv("SKIFF_CONTAINER_PID", pid, 1);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0) _exit(125);
    execvp(argv[0], argv);
    fprintf(stderr, "exec %s: %s", argv[0], strerror(errno));
    _exit(127);
  }
  close(out[1]);
  /* The hook may leave a daemon holding the pipe (slirp4netns): watch the
   * hook itself through a pidfd, and the pipe only for its words. */
  int pidfd = (int)syscall(SYS_pidfd_open, hook, 0);
  char text[600] = "";
  size_t len = 0;
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  for (int done = 0; !done;) {
    struct pollfd p[2] = {{out[0], POLLIN, 0}, {pidfd, POLLIN, 0}};
    if (poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 50) < 0 && errno != EINTR) break;
    read_all(out[0], text, sizeof text, &len);
    done = pidfd >= 0 ? (p[1].revents != 0) : waitpid(hook, NULL, WNOHANG | __WNOTHREAD) != 0;
    if (p[0].revents & POLLHUP) done = 1;
  }
  int st = 0;
  while (waitpid(hook, &st, 0) < 0 && errno == EINTR) {
  }
  read_all(out[0], text, sizeof text, &len);
  close(out[0]);
  if (pidfd >= 0) close(pidfd);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
  while (len && (text[len - 1] == '\n' || text[len - 1] == ' ')) text[--len] = 0;
  if (WIFSIGNALED(st)) failed(r, "prestart", "prestart hook %s killed by signal %d%s%s", argv[0], WTERMSIG(st), len ? ": " : "", text);
  else failed(r, "prestart", "prestart hook %s exited with status %d%s%s", argv[0], WEXITSTATUS(st), len ? ": " : "", text);
  return -1;
}

/* Handle one line of the sync protocol. */
static void sync_line(char *line, int sync_fd, const struct launch_config *c, struct launch_result *r) {
  if (!strncmp(line, "pid ", 4)) {
    r->pid = atoi(line + 4);
  } else if (!strcmp(line, "waiting")) {
    if (c->prestart_hook && run_hook(c->prestart_hook, r->pid, r) < 0) {
      if (r->pid > 0) kill(r->pid, SIGKILL);
      return;
    }
    if (write(sync_fd, "g", 1) != 1) failed(r, "sync", "write to the runtime: %s", strerror(errno));
  } else if (!strncmp(line, "error ", 6)) {
    char *kind = line + 6, *msg = strchr(kind, ' ');
    if (msg) *msg++ = 0;
    failed(r, kind, "%s", msg ? msg : "");
  } else {
    failed(r, "sync", "unexpected line from the runtime: %.200s", line);
  }
}

static int recv_fd(int sock) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0) return -1;
  struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
  if (!h || h->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(h), sizeof fd);
  return fd;
}

static void exec_runtime(const struct launch_config *c, int sync_fd, int console_fd, int in, int out, int err) {
  reset_signals();
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(125);
  if (fcntl(sync_fd, F_SETFD, 0) < 0 || (console_fd >= 0 && fcntl(console_fd, F_SETFD, 0) < 0)) _exit(125);
  int n = 0;
  while (c->runtime_argv[n]) n++;
  char **argv = calloc((size_t)n + 5, sizeof *argv);
  char sync_s[16], console_s[16];
  snprintf(sync_s, sizeof sync_s, "%d", sync_fd);
  snprintf(console_s, sizeof console_s, "%d", console_fd);
  memcpy(argv, c->runtime_argv, (size_t)n * sizeof *argv);
  argv[n++] = "--sync-fd";
  argv[n++] = sync_s;
  if (console_fd >= 0) {
    argv[n++] = "--console-socket";
    argv[n++] = console_s;
  }
  execv(argv[0], argv);
  dprintf(sync_fd, "error runtime cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(125);
}

void launch(const struct launch_config *c, struct launch_result *r) {
  memset(r, 0, sizeof *r);
  r->ok = 1;
  r->master = r->stdin_fd = r->stdout_fd = r->stderr_fd = -1;
  int sync[2], console[2] = {-1, -1}, in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0 ||
      (c->tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) < 0) ||
      (!c->tty && (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)) || (!c->tty && c->open_stdin && pipe2(in, O_CLOEXEC) < 0))
  {
    failed(r, "monitor", "cannot make the container's stdio: %s", strerror(errno));
    return;
  }

  pid_t rt = fork();
  if (rt < 0) {
    failed(r, "monitor", "fork: %s", strerror(errno));
    return;
  }
  if (rt == 0)
    exec_runtime(c, sync[1], console[1], in[0] >= 0 ? in[0] : null, out[1] >= 0 ? out[1] : null, err[1] >= 0 ? err[1] : null);
  close(sync[1]);
  if (console[1] >= 0) close(console[1]);
  if (in[0] >= 0) close(in[0]);
  if (out[1] >= 0) close(out[1]), close(err[1]);
  close(null);
  r->stdin_fd = in[1];
  r->stdout_fd = out[0];
  r->stderr_fd = err[0];

  char text[4096];
  size_t len = 0;
  for (;;) {
    ssize_t n = read(sync[0], text + len, sizeof text - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failed(r, "sync", "read from the runtime: %s", strerror(errno));
      break;
    }
    if (n == 0) break;
    len += (size_t)n;
    text[len] = 0;
    char *nl;
    while ((nl = strchr(text, '\n'))) {
      *nl = 0;
      sync_line(text, sync[0], c, r);
      len -= (size_t)(nl + 1 - text);
      memmove(text, nl + 1, len + 1);
    }
    if (len == sizeof text - 1) len = 0; /* an absurd line: drop it */
  }
  clock_gettime(CLOCK_REALTIME, &r->started);
  if (r->ok && r->pid <= 0) failed(r, "runtime", "the runtime ended without starting a process%s%s", len ? ": " : "", text);
  if (r->ok && c->tty && (r->master = recv_fd(console[0])) < 0) {
    failed(r, "tty", "the runtime sent no terminal");
    kill(r->pid, SIGKILL);
  }
  close(sync[0]);
  if (console[0] >= 0) close(console[0]);
}
