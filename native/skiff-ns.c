/* skiff-ns: keep the rootless pause process, and run commands inside its
 * user and mount namespaces (DESIGN.md §3).
 *
 * usage: skiff-ns --pidfile PATH [--uidmap MAP --gidmap MAP]
 *                 [--newuidmap PATH --newgidmap PATH] [--status-fd N]
 *                 [--cwd DIR] [--print-pid] [--die-with-parent] [--] [CMD ARG...]
 *
 *   MAP    "inside outside count[ inside outside count ...]"
 *   --newuidmap/--newgidmap  the setuid helpers that apply MAP (the normal
 *          rootless case). Without them MAP is written to /proc/PID/uid_map and gid_map
 *          directly, which the kernel allows for root, and for a user who maps
 *          only itself (the single-uid fallback).
 *
 * Steps: take flock(PATH.lock); if PATH names a live pause process, reuse it;
 * else create one (the child unshares a user and a mount namespace, the parent
 * maps it, the child then waits forever) and record "PID STARTTIME" in PATH;
 * open its namespaces; release the lock; join them as uid/gid 0; exec CMD.
 * setns(CLONE_NEWUSER) refuses multi-threaded callers, which is why this is C
 * and not part of the Node host.
 *
 * Status on --status-fd N (close-on-exec, so the host sees EOF once CMD runs):
 *   "ok PID\n"               the namespace is ready and CMD is about to start
 *   "error KIND MESSAGE\n"   nothing ran. KIND: usage lock pidfile unshare
 *                            newuidmap newgidmap mapwrite setns exec notfound
 * --die-with-parent: CMD gets SIGKILL when the process that started skiff-ns
 *          dies (the CLI re-running itself inside the namespace: a kill -9 of
 *          the outer CLI must not leave the inner one working on).
 * Without --status-fd, errors go to stderr in the same form.
 * Exit status: CMD's own; else 125 (126 exec failed, 127 CMD not found).
 */
#include "common.h"

#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>

static int status_fd = -1;

__attribute__((noreturn, format(printf, 3, 4))) static void fail(int code, const char *kind, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (char *p = msg; *p; p++)
    if (*p == '\n') *p = ' ';
  char line[1200];
  int n = snprintf(line, sizeof line, "error %s %s\n", kind, msg);
  if (status_fd >= 0)
    write_all(status_fd, line, (size_t)n);
  else
    fprintf(stderr, "%s: %s", prog, line);
  exit(code);
}

/* Split MAP into argv words (in place). Returns the count. */
static int split_words(char *s, char **out, int max) {
  int n = 0;
  for (char *tok = strtok(s, " \t\n"); tok && n < max; tok = strtok(NULL, " \t\n")) out[n++] = tok;
  return n;
}

/* Run a setuid map helper: HELPER PID MAP...; its stderr becomes our message. */
static void run_map_helper(const char *helper, pid_t pid, const char *map, const char *kind) {
  char mapbuf[1024];
  snprintf(mapbuf, sizeof mapbuf, "%s", map);
  char *words[96];
  int nw = split_words(mapbuf, words, 90);
  char pidstr[32];
  snprintf(pidstr, sizeof pidstr, "%d", (int)pid);
  char *argv[100];
  int a = 0;
  argv[a++] = (char *)helper;
  argv[a++] = pidstr;
  for (int i = 0; i < nw; i++) argv[a++] = words[i];
  argv[a] = NULL;

  int errp[2];
  if (pipe2(errp, O_CLOEXEC) < 0) fail(125, kind, "pipe: %s", strerror(errno));
  pid_t c = fork();
  if (c < 0) fail(125, kind, "fork: %s", strerror(errno));
  if (c == 0) {
    dup2(errp[1], 2);
    execv(helper, argv);
    fprintf(stderr, "exec %s: %s", helper, strerror(errno));
    _exit(127);
  }
  close(errp[1]);
  char err[600];
  size_t off = 0;
  for (;;) {
    ssize_t r = read(errp[0], err + off, sizeof err - 1 - off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    off += (size_t)r;
    if (off >= sizeof err - 1) break;
  }
  err[off] = 0;
  close(errp[0]);
  int st = 0;
  while (waitpid(c, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    kill(pid, SIGKILL);
    fail(125, kind, "%s %s failed: %s", helper, map, off ? err : "no message");
  }
}

/* Write MAP to /proc/PID/FILE, one "inside outside count" triple per line. */
static void write_map(pid_t pid, const char *file, const char *map) {
  char words_buf[1024], text[1024] = "", path[64];
  snprintf(words_buf, sizeof words_buf, "%s", map);
  char *w[96];
  int n = split_words(words_buf, w, 90);
  for (int i = 0; i + 2 < n; i += 3) {
    size_t l = strlen(text);
    snprintf(text + l, sizeof text - l, "%s %s %s\n", w[i], w[i + 1], w[i + 2]);
  }
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) {
    int e = errno;
    kill(pid, SIGKILL);
    fail(125, "mapwrite", "write %s: %s", path, strerror(e));
  }
  close(fd);
}

/* The pause process: holds the namespaces open, does nothing else. */
__attribute__((noreturn)) static void pause_forever(int ready_w, int go_r) {
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
    int e = errno;
    write_all(ready_w, &e, sizeof e);
    _exit(1);
  }
  int zero = 0;
  write_all(ready_w, &zero, sizeof zero);
  close(ready_w);
  char go = 0;
  while (read(go_r, &go, 1) < 0 && errno == EINTR) {
  }
  if (go != 'g') _exit(1);
  /* Drop every inherited descriptor, above all the flock on PATH.lock. */
  close_range(3, ~0U, 0);

  prctl(PR_SET_NAME, "skiff-pause", 0, 0, 0);
  if (chdir("/") < 0) _exit(1);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2) close(null);
  }
  /* Terminal and hang-up signals are for the CLI, not for the namespace
   * keeper; SIGTERM and SIGKILL still end it (skiff system migrate). */
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGUSR1, SIG_IGN);
  signal(SIGUSR2, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  signal(SIGTTIN, SIG_IGN);
  signal(SIGTTOU, SIG_IGN);
  for (;;) pause();
}

static pid_t create_pause(const char *uidmap, const char *gidmap, const char *newuidmap, const char *newgidmap) {
  /* ready: the middle process sends the pause process's pid; unshared: the
   * pause process sends its unshare result. Two pipes, because both are
   * 4-byte writes racing each other: on one pipe the result could arrive
   * first and be read as the pid. */
  int ready[2], unshared[2], go[2];
  if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(unshared, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) fail(125, "unshare", "pipe: %s", strerror(errno));
  pid_t mid = fork();
  if (mid < 0) fail(125, "unshare", "fork: %s", strerror(errno));
  if (mid == 0) {
    /* Double fork: the pause process must not stay a child of CMD. */
    setsid();
    pid_t p = fork();
    if (p < 0) {
      p = -errno;
      write_all(ready[1], &p, sizeof p);
      _exit(1);
    }
    if (p == 0) {
      close(ready[0]);
      close(ready[1]);
      close(unshared[0]);
      close(go[1]);
      pause_forever(unshared[1], go[0]);
    }
    write_all(ready[1], &p, sizeof p);
    _exit(0);
  }
  close(ready[1]);
  close(unshared[1]);
  close(go[0]);
  int st = 0;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {
  }
  pid_t pid = 0;
  int err = -1;
  ssize_t n;
  while ((n = read(ready[0], &pid, sizeof pid)) < 0 && errno == EINTR) {
  }
  if (n == sizeof pid && pid < 0) fail(125, "unshare", "fork: %s", strerror((int)-pid));
  if (n != sizeof pid || pid <= 0) {
    if (WIFSIGNALED(st)) fail(125, "unshare", "fork: the pause process's parent was killed by signal %d", WTERMSIG(st));
    fail(125, "unshare", "fork: the pause process did not start");
  }
  close(ready[0]);
  while ((n = read(unshared[0], &err, sizeof err)) < 0 && errno == EINTR) {
  }
  if (n != sizeof err) fail(125, "unshare", "the pause process died before unsharing");
  close(unshared[0]);
  if (err != 0) fail(125, "unshare", "unshare(CLONE_NEWUSER|CLONE_NEWNS): %s", strerror(err));

  if (newuidmap)
    run_map_helper(newuidmap, pid, uidmap, "newuidmap");
  else
    write_map(pid, "uid_map", uidmap);
  if (newgidmap) {
    run_map_helper(newgidmap, pid, gidmap, "newgidmap");
  } else {
    if (getuid() != 0) {
      /* An unprivileged writer must give up setgroups(2) first (user_namespaces(7)). */
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
      int fd = open(path, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, "deny", 4) < 0) {
        kill(pid, SIGKILL);
        fail(125, "mapwrite", "write %s: %s", path, strerror(errno));
      }
      close(fd);
    }
    write_map(pid, "gid_map", gidmap);
  }
  if (write(go[1], "g", 1) != 1) fail(125, "unshare", "the pause process died while being mapped");
  close(go[1]);
  return pid;
}

static int same_ns(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* execvp, but telling "not found anywhere" (127) from "found, cannot run"
 * (126) as Docker does; execvp reports EACCES if any $PATH entry was merely
 * unreadable. */
__attribute__((noreturn)) static void exec_command(char **cmd) {
  if (strchr(cmd[0], '/')) {
    execv(cmd[0], cmd);
    if (errno == ENOENT) fail(127, "notfound", "%s: no such file or directory", cmd[0]);
    fail(126, "exec", "exec %s: %s", cmd[0], strerror(errno));
  }
  const char *path = getenv("PATH");
  if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
  int found_errno = 0;
  char candidate[4096];
  for (const char *p = path; *p;) {
    const char *end = strchrnul(p, ':');
    int n = snprintf(candidate, sizeof candidate, "%.*s/%s", (int)(end - p), p, cmd[0]);
    p = *end ? end + 1 : end;
    if (n <= 0 || n >= (int)sizeof candidate) continue;
    struct stat st;
    if (stat(candidate, &st) < 0 || !S_ISREG(st.st_mode)) continue;
    execv(candidate, cmd);
    found_errno = errno;
  }
  if (!found_errno) fail(127, "notfound", "%s: executable file not found in $PATH", cmd[0]);
  fail(126, "exec", "exec %s: %s", cmd[0], strerror(found_errno));
}

int main(int argc, char **argv) {
  prog = "skiff-ns";
  const char *pidfile = NULL, *uidmap = NULL, *gidmap = NULL, *newuidmap = NULL, *newgidmap = NULL, *cwd = NULL;
  int print_pid = 0, die_with_parent = 0;
  pid_t parent = getppid();
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) {
      i++;
      break;
    }
    if (a[0] != '-') break;
    if (!strcmp(a, "--print-pid")) {
      print_pid = 1;
      continue;
    }
    if (!strcmp(a, "--die-with-parent")) {
      die_with_parent = 1;
      continue;
    }
    if (i + 1 >= argc) fail(125, "usage", "%s needs a value", a);
    const char *v = argv[++i];
    if (!strcmp(a, "--pidfile")) pidfile = v;
    else if (!strcmp(a, "--uidmap")) uidmap = v;
    else if (!strcmp(a, "--gidmap")) gidmap = v;
    else if (!strcmp(a, "--newuidmap")) newuidmap = v;
    else if (!strcmp(a, "--newgidmap")) newgidmap = v;
    else if (!strcmp(a, "--cwd")) cwd = v;
    else if (!strcmp(a, "--status-fd")) {
      status_fd = atoi(v);
      if (fcntl(status_fd, F_SETFD, FD_CLOEXEC) < 0) status_fd = -1;
    } else
      fail(125, "usage", "unknown option %s", a);
  }
  if (!pidfile) fail(125, "usage", "--pidfile is required");
  if (!print_pid && i >= argc) fail(125, "usage", "no command given");

  char lockpath[4096];
  snprintf(lockpath, sizeof lockpath, "%s.lock", pidfile);
  int lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) fail(125, "lock", "open %s: %s", lockpath, strerror(errno));
  while (flock(lock, LOCK_EX) < 0)
    if (errno != EINTR) fail(125, "lock", "flock %s: %s", lockpath, strerror(errno));

  pid_t pid = 0;
  char buf[128];
  if (read_small_file(pidfile, buf, sizeof buf) > 0) {
    unsigned long long start = 0;
    int p = 0;
    if (sscanf(buf, "%d %llu", &p, &start) == 2 && p > 0 && start != 0 && proc_start_time(p) == start) pid = p;
  }
  if (!pid) {
    if (!uidmap || !gidmap) fail(125, "usage", "no live pause process and no --uidmap/--gidmap to create one");
    pid = create_pause(uidmap, gidmap, newuidmap, newgidmap);
    unsigned long long start = proc_start_time(pid);
    int n = snprintf(buf, sizeof buf, "%d %llu\n", (int)pid, start);
    if (write_file_atomic(pidfile, buf, (size_t)n) < 0) {
      int e = errno;
      kill(pid, SIGKILL);
      fail(125, "pidfile", "write %s: %s", pidfile, strerror(e));
    }
  }

  if (print_pid) {
    printf("%d\n", (int)pid);
    return 0;
  }

  char upath[64], mpath[64];
  snprintf(upath, sizeof upath, "/proc/%d/ns/user", (int)pid);
  snprintf(mpath, sizeof mpath, "/proc/%d/ns/mnt", (int)pid);
  int join_user = !same_ns(upath, "/proc/self/ns/user");
  int join_mnt = !same_ns(mpath, "/proc/self/ns/mnt");
  int ufd = open(upath, O_RDONLY | O_CLOEXEC);
  int mfd = open(mpath, O_RDONLY | O_CLOEXEC);
  if (ufd < 0 || mfd < 0) fail(125, "setns", "open %s: %s", ufd < 0 ? upath : mpath, strerror(errno));
  close(lock); /* the open descriptors keep the namespaces alive from here on */

  char here[4096];
  if (!cwd && getcwd(here, sizeof here)) cwd = here;
  if (join_user && setns(ufd, CLONE_NEWUSER) < 0) fail(125, "setns", "setns %s: %s", upath, strerror(errno));
  if (join_mnt && setns(mfd, CLONE_NEWNS) < 0) fail(125, "setns", "setns %s: %s", mpath, strerror(errno));
  close(ufd);
  close(mfd);
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) fail(125, "setns", "setresuid(0) in the namespace: %s", strerror(errno));
  /* Supplementary groups from outside show up as nogroup inside; drop them
   * where the kernel lets us (it does not after a "deny" in setgroups). */
  if (setgroups(0, NULL) < 0 && errno != EPERM) fail(125, "setns", "setgroups: %s", strerror(errno));
  if (cwd && chdir(cwd) < 0 && chdir("/") < 0) fail(125, "setns", "chdir %s: %s", cwd, strerror(errno));

  /* After setresuid: a change of credentials clears the parent-death signal. */
  if (die_with_parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail(125, "setns", "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
    if (getppid() != parent) _exit(137); /* the parent is already gone */
  }
  if (status_fd >= 0) {
    int n = snprintf(buf, sizeof buf, "ok %d\n", (int)pid);
    write_all(status_fd, buf, (size_t)n);
  }
  exec_command(argv + i);
}
