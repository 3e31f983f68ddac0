/* skiff-runtime: start a container process from a spec, or run another
 * process inside a running container. It runs inside skiff's user and mount
 * namespaces (started by skiff-monitor through skiff-ns) as uid 0 there.
 *
 * usage: skiff-runtime run  --spec FILE --sync-fd N [--console-socket FD]
 *        skiff-runtime exec --pid CONTAINER_PID --spec FILE --sync-fd N [--console-socket FD]
 *
 * The spec FILE is text: one directive per line, fields separated by TAB,
 * each field percent-encoded (%09 tab, %0A newline, %25 percent; every %XX is
 * decoded). Absent directives leave things as they are.
 *   rootfs PATH                  the container's root directory (bind-mounted onto itself)
 *   readonly 0|1                 remount the root read-only after the mounts
 *   namespace TYPE [PATH]        TYPE: mount pid uts ipc net cgroup; no PATH = a new
 *                                one, PATH = join it (e.g. /proc/123/ns/net)
 *   hostname NAME                sethostname (needs a new uts namespace)
 *   arg WORD                     repeated: argv, argv[0] searched in the spec's PATH
 *   env KEY=VALUE                repeated: exactly the process environment
 *   cwd PATH                     working directory (`run` creates it if missing)
 *   user UID GID                 the process's uid and gid (default 0 0)
 *   group GID                    repeated: supplementary groups (default none)
 *   umask OCTAL
 *   mount DEST TYPE SOURCE OPTS  repeated, in order. TYPE: bind rbind tmpfs proc sysfs
 *                                devpts mqueue. OPTS: comma list of ro rw nosuid suid
 *                                nodev dev noexec exec sync dirsync noatime relatime
 *                                strictatime nodiratime [r]private [r]slave [r]shared
 *                                [r]unbindable; anything else (size=, mode=, newinstance,
 *                                ptmxmode=, gid=, ...) goes to the filesystem. A bind
 *                                target is created as a file or directory like its source.
 *   device PATH                  bind the host's device node PATH onto PATH in the rootfs
 *   symlink TARGET LINKPATH      create LINKPATH -> TARGET in the rootfs
 *   mask PATH                    OCI maskedPaths: /dev/null over a file, an empty
 *                                read-only tmpfs over a directory; missing paths ignored
 *   readonly-path PATH           OCI readonlyPaths: bind PATH read-only; missing ignored
 *   cap NAME                     repeated: capabilities kept (CAP_CHOWN or chown)
 *   rlimit NAME SOFT HARD        RLIMIT_NOFILE or nofile; a number or "unlimited"
 *   no-new-privileges 0|1
 *   tty 0|1                      open a terminal on the container's /dev/ptmx, send its
 *                                master over --console-socket, use it as stdio
 *   console-size ROWS COLS       the terminal's initial size (Docker's ConsoleSize)
 *   sync-before-exec 0|1         see "waiting" below
 *
 * run: join the namespaces given with a PATH, unshare the new ones (a new pid
 * namespace applies to the child; a new network namespace gets lo up), fork.
 * The child is the container process (pid 1 of a new pid namespace): it makes
 * the mount tree rslave, binds the rootfs onto itself, mounts, binds devices,
 * makes symlinks, sets the hostname, pivot_roots, masks paths, makes paths
 * and the root read-only, then does the process steps: terminal, cwd,
 * rlimits, umask, capability bounding set, groups/gid/uid, capabilities (uid
 * 0: permitted = effective = the cap list; other uids: none; inheritable and
 * ambient empty), no_new_privs, default signal dispositions and mask, no fds
 * above 2, exec.
 * exec: open /proc/PID/ns/{user,ipc,uts,net,pid,mnt,cgroup}, join those that
 * differ from ours, fork (the child lands in the container's pid namespace),
 * and the child does the same process steps (a missing cwd is an error here,
 * as in runc). The filesystem and namespace directives do not apply to exec.
 *
 * Sync fd N (a socket; close-on-exec in the container process):
 *   "pid N\n"                     from the parent: the process's pid in the caller's
 *                                 pid namespace; the parent then exits 0
 *   "waiting\n"                   (sync-before-exec 1) set up, blocked until the
 *                                 byte 'g' is read from the fd
 *   "error KIND MESSAGE\n"        nothing runs. KIND: usage spec setns unshare
 *                                 mount pivot hostname tty cwd rlimit caps user sync net
 *                                 exec (exit 126) notfound (exit 127); others exit 125
 *   EOF                           the process has exec'd
 * Exit status of skiff-runtime itself: 0 once "pid" is written, else as above.
 */
#include "common.h"

#include "lib/process.h"
#include "lib/report.h"
#include "lib/rootfs.h"
#include "lib/spec.h"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct args {
  const char *verb, *spec_path;
  pid_t pid;
  int sync_fd, console_fd;
};

static int fd_arg(const char *opt, const char *v) {
  char *end;
  long n = strtol(v, &end, 10);
  if (!*v || *end || n < 0 || n > 65535 || fcntl((int)n, F_GETFD) < 0) die(EXIT_SETUP, "usage", "%s %s: not an open fd", opt, v);
  return (int)n;
}

static void parse_args(int argc, char **argv, struct args *a) {
  memset(a, 0, sizeof *a);
  a->sync_fd = a->console_fd = -1;
  if (argc < 2 || (strcmp(argv[1], "run") && strcmp(argv[1], "exec"))) die(EXIT_SETUP, "usage", "usage: skiff-runtime run|exec --spec FILE --sync-fd N ...");
  a->verb = argv[1];
  /* Find the sync fd first, so even a bad option is reported there (our
   * stderr may be the container's, which the monitor logs). */
  for (int i = 2; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--sync-fd")) report_to(a->sync_fd = fd_arg(argv[i], argv[i + 1]));
  for (int i = 2; i < argc; i++) {
    if (i + 1 >= argc) die(EXIT_SETUP, "usage", "%s needs a value", argv[i]);
    const char *o = argv[i], *v = argv[++i];
    if (!strcmp(o, "--spec")) a->spec_path = v;
    else if (!strcmp(o, "--sync-fd")) report_to(a->sync_fd = fd_arg(o, v));
    else if (!strcmp(o, "--console-socket")) a->console_fd = fd_arg(o, v);
    else if (!strcmp(o, "--pid") && !strcmp(a->verb, "exec")) a->pid = atoi(v);
    else die(EXIT_SETUP, "usage", "unknown option %s", o);
  }
  if (a->sync_fd < 0) die(EXIT_SETUP, "usage", "--sync-fd is required");
  if (!a->spec_path) die(EXIT_SETUP, "usage", "--spec is required");
  if (!strcmp(a->verb, "exec") && a->pid <= 0) die(EXIT_SETUP, "usage", "exec needs --pid");
  /* Our own descriptors must not reach the container process. */
  if (fcntl(a->sync_fd, F_SETFD, FD_CLOEXEC) < 0 || (a->console_fd >= 0 && fcntl(a->console_fd, F_SETFD, FD_CLOEXEC) < 0))
    die_sys("usage", "fcntl", "sync fd");
}

static const char *ns_name(int flag) {
  switch (flag) {
  case CLONE_NEWNS: return "mnt";
  case CLONE_NEWPID: return "pid";
  case CLONE_NEWUTS: return "uts";
  case CLONE_NEWIPC: return "ipc";
  case CLONE_NEWNET: return "net";
  case CLONE_NEWCGROUP: return "cgroup";
  case CLONE_NEWUSER: return "user";
  }
  return "?";
}

/* Fork; the parent reports the child's pid, then lets it go on, so that
 * "pid" always comes before anything the child writes on the sync fd. */
static void fork_and_report(int sync_fd) {
  int go[2];
  if (pipe2(go, O_CLOEXEC) < 0) die_sys("unshare", "pipe", NULL);
  pid_t child = fork();
  if (child < 0) die_sys("unshare", "fork", NULL);
  if (child == 0) {
    close(go[1]);
    char c;
    while (read(go[0], &c, 1) < 0 && errno == EINTR) {
    }
    close(go[0]);
    return;
  }
  char line[32];
  int n = snprintf(line, sizeof line, "pid %d\n", (int)child);
  if (write_all(sync_fd, line, (size_t)n) < 0) {
    kill(child, SIGKILL);
    die_sys("sync", "write", "sync fd");
  }
  _exit(0);
}

/* A new network namespace starts with lo down; Docker's containers (also
 * --network none) have it up, and slirp4netns only adds tap0. */
static void loopback_up(void) {
  struct ifreq ifr = {.ifr_name = "lo"};
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die_sys("net", "socket", "lo");
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) die_sys("net", "SIOCGIFFLAGS", "lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) die_sys("net", "SIOCSIFFLAGS", "lo");
  close(fd);
}

static void do_run(const struct args *a, const struct spec *s) {
  int fresh = 0;
  for (int i = 0; i < s->n_ns; i++) {
    if (!s->ns[i].path) {
      fresh |= s->ns[i].flag;
      continue;
    }
    int fd = open(s->ns[i].path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die_sys("setns", "open", s->ns[i].path);
    if (setns(fd, s->ns[i].flag) < 0) die_sys("setns", "setns", s->ns[i].path);
    close(fd);
  }
  if (fresh && unshare(fresh) < 0) die(EXIT_SETUP, "unshare", "unshare(%#x): %s", fresh, strerror(errno));
  if (fresh & CLONE_NEWNET) loopback_up();
  if ((s->rootfs || s->n_mounts || s->n_devices || s->n_symlinks || s->n_masks || s->n_readonly_paths || s->readonly) &&
      !(fresh & CLONE_NEWNS))
    die(EXIT_SETUP, "spec", "rootfs, mounts, masks and read-only paths need a new mount namespace");
  if (s->n_mounts && !s->rootfs) die(EXIT_SETUP, "spec", "mount directives need a rootfs");

  fork_and_report(a->sync_fd);

  if (s->rootfs) {
    rootfs_prepare(s);
    if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) die_sys("hostname", "sethostname", s->hostname);
    rootfs_pivot(s);
    rootfs_finish(s);
  } else if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) {
    die_sys("hostname", "sethostname", s->hostname);
  }
  process_start(s, a->sync_fd, a->console_fd, 1);
}

static int same_ns(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

static void do_exec(const struct args *a, const struct spec *s) {
  /* The user namespace first (it grants the rights to join the others), the
   * mount namespace last (it changes what /proc means). All are opened before
   * any is joined. */
  static const int order[] = {CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWCGROUP, CLONE_NEWNS};
  int fds[7];
  char paths[7][64];
  for (int i = 0; i < 7; i++) {
    char self[64];
    snprintf(paths[i], sizeof paths[i], "/proc/%d/ns/%s", (int)a->pid, ns_name(order[i]));
    snprintf(self, sizeof self, "/proc/self/ns/%s", ns_name(order[i]));
    fds[i] = -1;
    if (same_ns(paths[i], self)) continue;
    fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) {
      if (errno == ENOENT && kill(a->pid, 0) < 0) die(EXIT_SETUP, "setns", "container process %d is not running", (int)a->pid);
      die_sys("setns", "open", paths[i]);
    }
  }
  for (int i = 0; i < 7; i++) {
    if (fds[i] < 0) continue;
    if (setns(fds[i], order[i]) < 0) die_sys("setns", "setns", paths[i]);
    close(fds[i]);
  }
  fork_and_report(a->sync_fd);
  process_start(s, a->sync_fd, a->console_fd, 0);
}

int main(int argc, char **argv) {
  prog = "skiff-runtime";
  /* Until the exec, no process of the container may ptrace us or open our
   * /proc files (and the fds there): we hold its sync socket and full
   * capabilities. exec(2) restores the flag for the container's program. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct args a;
  parse_args(argc, argv, &a);
  struct spec s;
  spec_read(a.spec_path, &s);
  if (!strcmp(a.verb, "run")) do_run(&a, &s);
  else do_exec(&a, &s);
  return EXIT_SETUP;
}
