#include "rootfs.h"

#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static int root_fd = -1;

/* "/proc/self/fd/N": mount(2) follows it to exactly the file we resolved. */
struct fdpath {
  char p[4096];
};
static struct fdpath fdpath(int fd) {
  struct fdpath r;
  snprintf(r.p, sizeof r.p, "/proc/self/fd/%d", fd);
  return r;
}

/* Open PATH inside the rootfs, symlinks resolved as if the rootfs were "/". */
static int open_in_root(const char *path, int flags) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  for (;;) {
    int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return fd;
  }
}

/* mkdir -p inside the rootfs; returns an O_PATH fd of the directory. A
 * dangling symlink on the way has its target made (inside the rootfs), as
 * runc does for /var/run -> /run in images without /run. */
static int mkdir_in_root_depth(const char *path, mode_t mode, int depth) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) die(EXIT_SETUP, "mount", "path too long: %s", path);
  if (depth > 40) die(EXIT_SETUP, "mount", "mkdir %s: %s", path, strerror(ELOOP));
  int fd = open_in_root("/", O_PATH | O_DIRECTORY);
  if (fd < 0) die_sys("mount", "open rootfs", "/");
  for (char *p = buf; *p;) {
    while (*p == '/') p++;
    if (!*p) break;
    char *end = strchrnul(p, '/');
    char saved = *end;
    *end = 0;
    int next = open_in_root(buf, O_PATH | O_DIRECTORY);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(fd, p, mode) < 0 && errno != EEXIST) die_sys("mount", "mkdir", buf);
      next = open_in_root(buf, O_PATH | O_DIRECTORY);
      char link[4096], target[8200];
      ssize_t n = next < 0 && errno == ENOENT ? readlinkat(fd, p, link, sizeof link - 1) : -1;
      if (n > 0) {
        link[n] = 0;
        *(p - 1) = 0; /* buf is now the parent */
        if (link[0] == '/') snprintf(target, sizeof target, "%s", link);
        else snprintf(target, sizeof target, "%s/%s", buf, link);
        *(p - 1) = '/';
        close(mkdir_in_root_depth(target, mode, depth + 1));
        next = open_in_root(buf, O_PATH | O_DIRECTORY);
      }
    }
    if (next < 0) die_sys("mount", "open", buf);
    close(fd);
    fd = next;
    *end = saved;
    p = end;
  }
  return fd;
}

static int mkdir_in_root(const char *path, mode_t mode) { return mkdir_in_root_depth(path, mode, 0); }

/* The mount target DEST inside the rootfs, created (as a directory, or as an
 * empty file when as_file) if missing. Returns an O_PATH fd. */
static int target(const char *dest, int as_file) {
  int fd = open_in_root(dest, O_PATH);
  if (fd >= 0) return fd;
  if (errno != ENOENT) die_sys("mount", "open", dest);
  if (!as_file) return mkdir_in_root(dest, 0755);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", dest);
  char *slash = strrchr(dir, '/');
  const char *base = dest + (slash - dir) + 1;
  *slash = 0;
  int dfd = mkdir_in_root(*dir ? dir : "/", 0755);
  int f = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (f < 0 && errno != EEXIST) die_sys("mount", "create", dest);
  if (f >= 0) close(f);
  close(dfd);
  fd = open_in_root(dest, O_PATH);
  if (fd < 0) die_sys("mount", "open", dest);
  return fd;
}

struct mount_options {
  unsigned long flags;       /* MS_* set */
  unsigned long atime;       /* MS_NOATIME/MS_RELATIME/MS_STRICTATIME/MS_NODIRATIME asked for */
  unsigned long propagation; /* MS_PRIVATE etc. (with MS_REC) */
  char data[1024];           /* everything else, for the filesystem */
};

static void parse_options(const char *dest, const char *opts, struct mount_options *mo) {
  static const struct {
    const char *name;
    unsigned long set, clear, atime, prop;
  } table[] = {
      {"ro", MS_RDONLY, 0, 0, 0},         {"rw", 0, MS_RDONLY, 0, 0},
      {"nosuid", MS_NOSUID, 0, 0, 0},     {"suid", 0, MS_NOSUID, 0, 0},
      {"nodev", MS_NODEV, 0, 0, 0},       {"dev", 0, MS_NODEV, 0, 0},
      {"noexec", MS_NOEXEC, 0, 0, 0},     {"exec", 0, MS_NOEXEC, 0, 0},
      {"sync", MS_SYNCHRONOUS, 0, 0, 0},  {"dirsync", MS_DIRSYNC, 0, 0, 0},
      {"noatime", 0, 0, MS_NOATIME, 0},   {"relatime", 0, 0, MS_RELATIME, 0},
      {"strictatime", 0, 0, MS_STRICTATIME, 0}, {"nodiratime", 0, 0, MS_NODIRATIME, 0},
      {"private", 0, 0, 0, MS_PRIVATE},   {"rprivate", 0, 0, 0, MS_PRIVATE | MS_REC},
      {"slave", 0, 0, 0, MS_SLAVE},       {"rslave", 0, 0, 0, MS_SLAVE | MS_REC},
      {"shared", 0, 0, 0, MS_SHARED},     {"rshared", 0, 0, 0, MS_SHARED | MS_REC},
      {"unbindable", 0, 0, 0, MS_UNBINDABLE}, {"runbindable", 0, 0, 0, MS_UNBINDABLE | MS_REC},
      {"bind", 0, 0, 0, 0},               {"rbind", 0, 0, 0, 0},
  };
  memset(mo, 0, sizeof *mo);
  char buf[2048];
  snprintf(buf, sizeof buf, "%s", opts);
  char *save = NULL;
  for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    int known = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
      if (strcmp(o, table[i].name)) continue;
      known = 1;
      mo->flags = (mo->flags | table[i].set) & ~table[i].clear;
      mo->atime |= table[i].atime;
      if (table[i].prop) mo->propagation = table[i].prop;
    }
    if (known) continue;
    size_t l = strlen(mo->data);
    if (snprintf(mo->data + l, sizeof mo->data - l, "%s%s", l ? "," : "", o) >= (int)(sizeof mo->data - l))
      die(EXIT_SETUP, "spec", "mount %s: options too long", dest);
  }
}

/* Flags a bind remount must keep. In a user namespace the kernel locks the
 * nosuid/nodev/noexec/ro/atime flags of mounts inherited from a more
 * privileged namespace, and refuses a remount that would drop them. */
static unsigned long current_flags(const char *path) {
  struct statvfs st;
  if (statvfs(path, &st) < 0) die_sys("mount", "statvfs", path);
  unsigned long f = 0;
  if (st.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (st.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) f |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (st.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (st.f_flag & ST_NOATIME) f |= MS_NOATIME;
  else if (st.f_flag & ST_RELATIME) f |= MS_RELATIME;
  else f |= MS_STRICTATIME;
  return f;
}

/* Remount the bind mount at PATH with extra flags (and the locked ones kept). */
static void bind_remount(const char *path, const char *shown, unsigned long flags, unsigned long atime) {
  unsigned long cur = current_flags(path);
  if (atime) cur &= ~(MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME);
  if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | cur | flags | atime, NULL) < 0) die_sys("mount", "remount", shown);
}

static void do_mount(const struct spec_mount *m) {
  struct mount_options mo;
  parse_options(m->dest, m->options, &mo);
  int bind = !strcmp(m->type, "bind"), rbind = !strcmp(m->type, "rbind");
  int fd;
  if (bind || rbind) {
    struct stat st;
    if (stat(m->source, &st) < 0) die_sys("mount", "stat", m->source);
    fd = target(m->dest, !S_ISDIR(st.st_mode));
    if (mount(m->source, fdpath(fd).p, NULL, MS_BIND | (rbind ? MS_REC : 0), NULL) < 0)
      die(EXIT_SETUP, "mount", "mount %s on %s (bind): %s", m->source, m->dest, strerror(errno));
  } else if (!strcmp(m->type, "tmpfs") || !strcmp(m->type, "proc") || !strcmp(m->type, "sysfs") ||
             !strcmp(m->type, "devpts") || !strcmp(m->type, "mqueue")) {
    fd = target(m->dest, 0);
    if (mount(m->source, fdpath(fd).p, m->type, mo.flags | mo.atime, mo.data[0] ? mo.data : NULL) < 0)
      die(EXIT_SETUP, "mount", "mount %s on %s (%s): %s", m->source, m->dest, m->type, strerror(errno));
  } else {
    die(EXIT_SETUP, "spec", "mount %s: unknown type \"%s\"", m->dest, m->type);
  }
  close(fd);
  if (!(bind || rbind) && !mo.propagation) return;
  /* The fd names the directory under the new mount; reopen to get the mount itself. */
  fd = open_in_root(m->dest, O_PATH);
  if (fd < 0) die_sys("mount", "open", m->dest);
  if ((bind || rbind) && (mo.flags || mo.atime)) bind_remount(fdpath(fd).p, m->dest, mo.flags, mo.atime);
  if (mo.propagation && mount(NULL, fdpath(fd).p, NULL, mo.propagation, NULL) < 0) die_sys("mount", "set propagation of", m->dest);
  close(fd);
}

static void make_symlink(const struct spec_symlink *l) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", l->linkpath);
  char *slash = strrchr(dir, '/');
  if (!slash || !slash[1]) die(EXIT_SETUP, "spec", "symlink %s: not an absolute file path", l->linkpath);
  const char *base = l->linkpath + (slash - dir) + 1;
  *slash = 0;
  int dfd = mkdir_in_root(*dir ? dir : "/", 0755);
  if (symlinkat(l->target, dfd, base) < 0) {
    char have[4096];
    ssize_t n = errno == EEXIST ? readlinkat(dfd, base, have, sizeof have - 1) : -1;
    if (n < 0 || (have[n] = 0, strcmp(have, l->target))) die_sys("mount", "symlink", l->linkpath);
  }
  close(dfd);
}

void rootfs_prepare(const struct spec *s) {
  /* Nothing we mount may propagate back to the namespace we came from. */
  if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) die_sys("mount", "make rslave", "/");
  /* pivot_root needs the new root to be a mount point. */
  if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) die_sys("mount", "bind", s->rootfs);
  root_fd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) die_sys("mount", "open", s->rootfs);

  for (int i = 0; i < s->n_mounts; i++) do_mount(&s->mounts[i]);
  for (int i = 0; i < s->n_devices; i++) {
    int fd = target(s->devices[i], 1);
    if (mount(s->devices[i], fdpath(fd).p, NULL, MS_BIND, NULL) < 0)
      die(EXIT_SETUP, "mount", "bind device %s: %s", s->devices[i], strerror(errno));
    close(fd);
  }
  for (int i = 0; i < s->n_symlinks; i++) make_symlink(&s->symlinks[i]);
}

void rootfs_pivot(const struct spec *s) {
  if (fchdir(root_fd) < 0) die_sys("pivot", "chdir", s->rootfs);
  /* pivot_root(".", ".") stacks the old root on top of the new one; detaching
   * "." then removes it without needing a directory to park it in. */
  if (syscall(SYS_pivot_root, ".", ".") < 0) die_sys("pivot", "pivot_root", s->rootfs);
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) die_sys("pivot", "make rslave", "old root");
  if (umount2(".", MNT_DETACH) < 0) die_sys("pivot", "umount", "old root");
  if (chdir("/") < 0) die_sys("pivot", "chdir", "/");
  close(root_fd);
  root_fd = -1;
}

/* After pivot_root paths are plain, but we still refuse to follow a final
 * symlink; /proc/self/fd names the opened file when /proc is mounted. */
static int open_in_container(const char *path, struct fdpath *where) {
  int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fd;
  *where = fdpath(fd);
  if (access(where->p, F_OK) < 0) snprintf(where->p, sizeof where->p, "%s", path);
  return fd;
}

void rootfs_finish(const struct spec *s) {
  for (int i = 0; i < s->n_masks; i++) {
    struct fdpath at;
    int fd = open_in_container(s->masks[i], &at);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
      die_sys("mount", "open", s->masks[i]);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) die_sys("mount", "stat", s->masks[i]);
    int r = S_ISDIR(st.st_mode) ? mount("tmpfs", at.p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)
                                : mount("/dev/null", at.p, NULL, MS_BIND, NULL);
    if (r < 0) die_sys("mount", "mask", s->masks[i]);
    close(fd);
  }
  for (int i = 0; i < s->n_readonly_paths; i++) {
    struct fdpath at;
    int fd = open_in_container(s->readonly_paths[i], &at);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
      die_sys("mount", "open", s->readonly_paths[i]);
    }
    if (mount(at.p, at.p, NULL, MS_BIND | MS_REC, NULL) < 0) die_sys("mount", "bind", s->readonly_paths[i]);
    close(fd);
    fd = open_in_container(s->readonly_paths[i], &at);
    if (fd < 0) die_sys("mount", "open", s->readonly_paths[i]);
    bind_remount(at.p, s->readonly_paths[i], MS_RDONLY, 0);
    close(fd);
  }
  if (s->readonly) bind_remount("/", "/", MS_RDONLY, 0);
}
