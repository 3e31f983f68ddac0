/* The runtime spec: what skiff-runtime is told to do, read from a text file
 * the host writes (src/runtime/spec-file.ts). One directive per line, fields
 * separated by TAB, every field percent-encoded (%09 tab, %0A newline, %25
 * percent; any %XX is decoded). The directives are listed at the top of
 * skiff-runtime.c. Nothing here has defaults the host did not choose, except
 * that absent directives mean "leave as is". */
#ifndef SKIFF_SPEC_H
#define SKIFF_SPEC_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct spec_ns {
  int flag;         /* CLONE_NEW* */
  const char *path; /* join this one; NULL = create a new one */
};

struct spec_mount {
  const char *dest, *type, *source, *options;
};

struct spec_symlink {
  const char *target, *linkpath;
};

struct spec_rlimit {
  int resource;
  struct rlimit limit;
  const char *name;
};

#define SPEC_MAX_NS 8

struct spec {
  const char *rootfs;
  int readonly;
  struct spec_ns ns[SPEC_MAX_NS];
  int n_ns;
  const char *hostname;
  char **argv; /* NULL-terminated */
  int argc;
  char **env; /* NULL-terminated; exactly the process environment */
  int envc;
  const char *cwd;
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  int n_groups;
  int has_umask;
  mode_t umask;
  struct spec_mount *mounts;
  int n_mounts;
  const char **devices;
  int n_devices;
  struct spec_symlink *symlinks;
  int n_symlinks;
  const char **masks;
  int n_masks;
  const char **readonly_paths;
  int n_readonly_paths;
  uint64_t caps; /* bit N = capability N is kept */
  struct spec_rlimit *rlimits;
  int n_rlimits;
  int no_new_privs, tty, sync_before_exec;
  unsigned short rows, cols; /* console-size; 0 = leave the kernel's default */
};

/* Read and check PATH; a malformed file ends the process with an "error spec" line. */
void spec_read(const char *path, struct spec *out);

/* The spec's CLONE_NEW* entry for flag, or NULL. */
const struct spec_ns *spec_namespace(const struct spec *s, int flag);

/* The value of NAME in the spec's environment, or NULL. */
const char *spec_getenv(const struct spec *s, const char *name);

#endif
