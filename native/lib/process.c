#include "process.h"

#include "caps.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* Docker's PATH when the image sets none. */
static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* strerror in Go's spelling ("no such file or directory"), which Docker users know. */
static const char *go_error(int e) {
  static char buf[128];
  snprintf(buf, sizeof buf, "%s", strerror(e));
  if (buf[0] >= 'A' && buf[0] <= 'Z' && (buf[1] < 'A' || buf[1] > 'Z')) buf[0] = (char)(buf[0] - 'A' + 'a');
  return buf;
}

static void wait_for_go(int sync_fd) {
  static const char waiting[] = "waiting\n";
  if (write(sync_fd, waiting, sizeof waiting - 1) != (ssize_t)sizeof waiting - 1) die_sys("sync", "write", "sync fd");
  char c = 0;
  ssize_t n;
  while ((n = read(sync_fd, &c, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1 || c != 'g') die(EXIT_SETUP, "sync", "the monitor did not let the process start");
}

/* A pseudo-terminal from the container's own devpts: the master goes to the
 * monitor over the console socket, the slave becomes our controlling
 * terminal and stdio. */
static void open_console(const struct spec *s, int console_fd) {
  if (console_fd < 0) die(EXIT_SETUP, "tty", "tty 1 needs --console-socket");
  /* /dev/ptmx is normally a symlink to pts/ptmx; without one, use the devpts
   * instance directly (never the host's ptmx: its terminals are not ours). */
  const char *ptmx = "/dev/ptmx";
  int master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 && errno == ENOENT) master = open(ptmx = "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die_sys("tty", "open", ptmx);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) die_sys("tty", "unlockpt", ptmx);
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) die_sys("tty", "open the terminal of", ptmx);
  /* The caller's terminal size, in place before the process can ask for it. */
  struct winsize ws = {.ws_row = s->rows, .ws_col = s->cols};
  if (s->rows && s->cols && ioctl(master, TIOCSWINSZ, &ws) < 0) die_sys("tty", "ioctl(TIOCSWINSZ)", "the terminal");

  char byte = 'm';
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof(int));
  ssize_t n;
  while ((n = sendmsg(console_fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (n < 0) die_sys("tty", "send the terminal on", "the console socket");
  close(master);
  close(console_fd);

  if (setsid() < 0 && errno != EPERM) die_sys("tty", "setsid", NULL);
  if (ioctl(slave, TIOCSCTTY, 0) < 0) die_sys("tty", "ioctl(TIOCSCTTY)", "the terminal");
  /* The user owns its terminal, as after a login. */
  if (fchown(slave, s->uid, (gid_t)-1) < 0) die_sys("tty", "chown", "the terminal");
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0) die_sys("tty", "dup2", "the terminal");
  close(slave);
}

static void enter_cwd(const char *cwd, int create) {
  if (chdir(cwd) == 0) return;
  if (errno != ENOENT || !create) die(EXIT_SETUP, "cwd", "chdir to cwd (\"%s\") set in config.json failed: %s", cwd, go_error(errno));
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", cwd);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p) continue;
    char saved = *p;
    *p = 0;
    if (mkdir(buf, 0755) < 0 && errno != EEXIST) die_sys("cwd", "mkdir", buf);
    *p = saved;
    if (!saved) break;
  }
  if (chdir(cwd) < 0) die(EXIT_SETUP, "cwd", "chdir to cwd (\"%s\") set in config.json failed: %s", cwd, go_error(errno));
}

static void become_user(const struct spec *s) {
  caps_limit_bounding(s->caps);
  if (setgroups((size_t)s->n_groups, s->groups) < 0) die_sys("user", "setgroups", NULL);
  if (setresgid(s->gid, s->gid, s->gid) < 0) die(EXIT_SETUP, "user", "setresgid %u: %s", s->gid, strerror(errno));
  /* Leaving uid 0 clears the permitted and effective sets (capabilities(7)),
   * which is what a non-root container user gets. */
  if (setresuid(s->uid, s->uid, s->uid) < 0) die(EXIT_SETUP, "user", "setresuid %u: %s", s->uid, strerror(errno));
  caps_set_final(s->caps, s->uid == 0);
}

static void clean_process_state(int sync_fd) {
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* Only stdio survives; the sync fd is close-on-exec, so the monitor sees
   * EOF exactly when the exec succeeds. */
  if (sync_fd > 3) close_range(3, (unsigned)sync_fd - 1, 0);
  close_range((unsigned)sync_fd + 1, ~0U, 0);
  if (fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0) die_sys("exec", "fcntl", "sync fd");
}

static int is_executable(const char *path, int *err) {
  struct stat st;
  if (stat(path, &st) < 0) {
    *err = errno;
    return 0;
  }
  if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) {
    *err = EACCES;
    return 0;
  }
  return 1;
}

/* Find argv[0] the way runc does (Go's exec.LookPath with the container's
 * PATH), and word the failures as Docker shows them. */
__attribute__((noreturn)) static void exec_process(const struct spec *s) {
  const char *name = s->argv[0];
  char found[4096];
  int err = 0;
  if (strchr(name, '/')) {
    if (!is_executable(name, &err)) {
      if (err == EACCES) die(EXIT_CANNOT_EXEC, "exec", "exec: \"%s\": permission denied", name);
      die(err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC, err == ENOENT || err == ENOTDIR ? "notfound" : "exec",
          "exec: \"%s\": stat %s: %s", name, name, go_error(err));
    }
    snprintf(found, sizeof found, "%s", name);
  } else {
    const char *path = spec_getenv(s, "PATH");
    if (!path) path = default_path;
    int ok = 0;
    for (const char *p = path;; p++) {
      const char *end = strchrnul(p, ':');
      int n = end == p ? snprintf(found, sizeof found, "./%s", name) : snprintf(found, sizeof found, "%.*s/%s", (int)(end - p), p, name);
      if (n > 0 && n < (int)sizeof found && is_executable(found, &err)) {
        ok = 1;
        break;
      }
      if (!*end) break;
      p = end;
    }
    if (!ok) die(EXIT_NOT_FOUND, "notfound", "exec: \"%s\": executable file not found in $PATH", name);
  }
  execve(found, s->argv, s->env);
  err = errno;
  if (err == ENOENT) die(EXIT_NOT_FOUND, "notfound", "exec %s: %s", found, go_error(err));
  die(EXIT_CANNOT_EXEC, "exec", "exec %s: %s", found, go_error(err));
}

void process_start(const struct spec *s, int sync_fd, int console_fd, int create_cwd) {
  if (s->sync_before_exec) wait_for_go(sync_fd);
  if (s->tty) {
    open_console(s, console_fd);
  } else {
    if (console_fd >= 0) close(console_fd);
    /* Our own session, so the monitor's terminal signals never reach us. */
    if (setsid() < 0 && errno != EPERM) die_sys("exec", "setsid", NULL);
  }
  enter_cwd(s->cwd ? s->cwd : "/", create_cwd);
  for (int i = 0; i < s->n_rlimits; i++)
    if (setrlimit(s->rlimits[i].resource, &s->rlimits[i].limit) < 0)
      die(EXIT_SETUP, "rlimit", "setrlimit %s: %s", s->rlimits[i].name, strerror(errno));
  if (s->has_umask) umask(s->umask);
  become_user(s);
  if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_sys("caps", "prctl(PR_SET_NO_NEW_PRIVS)", NULL);
  clean_process_state(sync_fd);
  exec_process(s);
}
