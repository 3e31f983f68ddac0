#include "rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char what_buf[4200];
static int first_errno;

static void note(const char *call, const char *path, const char *name) {
  if (first_errno) return;
  first_errno = errno;
  snprintf(what_buf, sizeof what_buf, "%s %s/%s", call, path, name);
}

static int mount_id(int dfd, const char *name, uint64_t *id, mode_t *mode) {
  struct statx sx;
  if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_MNT_ID, &sx) < 0) return -1;
  *id = sx.stx_mnt_id;
  *mode = sx.stx_mode;
  return 0;
}

/* Empty the directory dfd (which is on mount root_id); path is for messages. */
static void empty_dir(int dfd, const char *path, uint64_t root_id, int depth) {
  DIR *d = fdopendir(dfd);
  if (!d) {
    note("opendir", path, "");
    close(dfd);
    return;
  }
  struct dirent *e;
  while ((errno = 0, e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    uint64_t id;
    mode_t mode;
    if (mount_id(dirfd(d), e->d_name, &id, &mode) < 0) {
      if (errno != ENOENT) note("stat", path, e->d_name);
      continue;
    }
    if (id != root_id) continue; /* another mount: not ours to empty */
    if (S_ISDIR(mode)) {
      int sub = depth < 1000 ? openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
      if (sub < 0) {
        if (depth >= 1000) errno = ELOOP;
        note("open", path, e->d_name);
        continue;
      }
      char subpath[4096];
      snprintf(subpath, sizeof subpath, "%s/%s", path, e->d_name);
      empty_dir(sub, subpath, root_id, depth + 1);
      if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT) note("rmdir", path, e->d_name);
    } else if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
      note("unlink", path, e->d_name);
    }
  }
  if (errno) note("readdir", path, "");
  closedir(d);
}

int remove_tree(const char *path, const char **what) {
  first_errno = 0;
  uint64_t id;
  mode_t mode;
  if (mount_id(AT_FDCWD, path, &id, &mode) < 0) {
    if (errno == ENOENT) return 0;
    snprintf(what_buf, sizeof what_buf, "stat %s", path);
    *what = what_buf;
    return -1;
  }
  if (S_ISDIR(mode)) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) note("open", path, "");
    else empty_dir(fd, path, id, 0);
    if (rmdir(path) < 0 && errno != ENOENT) note("rmdir", path, "");
  } else if (unlink(path) < 0 && errno != ENOENT) {
    note("unlink", path, "");
  }
  if (!first_errno) return 0;
  errno = first_errno;
  *what = what_buf;
  return -1;
}
