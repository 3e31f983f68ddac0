#include "spec.h"

#include "caps.h"
#include "report.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *spec_path;
static int line_no;

__attribute__((noreturn, format(printf, 1, 2))) static void bad(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  die(EXIT_SETUP, "spec", "%s line %d: %s", spec_path, line_no, msg);
}

/* Grow *arr by one element of size sz; returns the new element (zeroed). */
static void *push(void *arr_ptr, int *count, size_t sz) {
  void **arr = arr_ptr;
  char *p = realloc(*arr, (size_t)(*count + 2) * sz); /* +1 spare keeps char** NULL-terminated */
  if (!p) die(EXIT_SETUP, "spec", "out of memory");
  *arr = p;
  memset(p + (size_t)*count * sz, 0, 2 * sz);
  return p + (size_t)(*count)++ * sz;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = (char)tolower((unsigned char)c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Percent-decode s in place. */
static void decode(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (*r != '%') {
      *w++ = *r;
      continue;
    }
    int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
    if (lo < 0) bad("bad percent escape in \"%s\"", s);
    char c = (char)(hi * 16 + lo);
    if (c == 0) bad("NUL byte (%%00) in a field");
    *w++ = c;
    r += 2;
  }
  *w = 0;
}

static long long number(const char *s, const char *what, int base) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, base);
  if (errno || !*s || *end || v < 0) bad("%s: \"%s\" is not a number", what, s);
  return v;
}

static int flag01(const char *s, const char *what) {
  if (!strcmp(s, "0")) return 0;
  if (!strcmp(s, "1")) return 1;
  bad("%s takes 0 or 1, not \"%s\"", what, s);
}

static const struct {
  const char *name;
  int flag;
} ns_names[] = {
    {"mount", CLONE_NEWNS}, {"pid", CLONE_NEWPID}, {"uts", CLONE_NEWUTS},
    {"ipc", CLONE_NEWIPC},  {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP},
};

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"CPU", RLIMIT_CPU},         {"FSIZE", RLIMIT_FSIZE},         {"DATA", RLIMIT_DATA},
    {"STACK", RLIMIT_STACK},     {"CORE", RLIMIT_CORE},           {"RSS", RLIMIT_RSS},
    {"NPROC", RLIMIT_NPROC},     {"NOFILE", RLIMIT_NOFILE},       {"MEMLOCK", RLIMIT_MEMLOCK},
    {"AS", RLIMIT_AS},           {"LOCKS", RLIMIT_LOCKS},         {"SIGPENDING", RLIMIT_SIGPENDING},
    {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},         {"RTPRIO", RLIMIT_RTPRIO},
    {"RTTIME", RLIMIT_RTTIME},
};

static rlim_t rlimit_value(const char *s) {
  if (!strcmp(s, "unlimited") || !strcmp(s, "-1")) return RLIM_INFINITY;
  return (rlim_t)number(s, "rlimit", 10);
}

/* One directive: words[0] is its name, nw the number of fields. */
static void directive(struct spec *s, char **w, int nw) {
  const char *d = w[0];
#define NEED(n)                                                                                        \
  do {                                                                                                 \
    if (nw != (n) + 1) bad("%s takes %d field%s, got %d", d, (n), (n) == 1 ? "" : "s", nw - 1);        \
  } while (0)
  if (!strcmp(d, "rootfs")) {
    NEED(1);
    if (w[1][0] != '/') bad("rootfs must be an absolute path");
    s->rootfs = w[1];
  } else if (!strcmp(d, "readonly")) {
    NEED(1);
    s->readonly = flag01(w[1], d);
  } else if (!strcmp(d, "namespace")) {
    if (nw != 2 && nw != 3) bad("namespace takes TYPE [PATH]");
    int flag = 0;
    for (size_t i = 0; i < sizeof ns_names / sizeof ns_names[0]; i++)
      if (!strcmp(w[1], ns_names[i].name)) flag = ns_names[i].flag;
    if (!flag) bad("unknown namespace type \"%s\"", w[1]);
    if (spec_namespace(s, flag)) bad("namespace %s given twice", w[1]);
    s->ns[s->n_ns].flag = flag;
    s->ns[s->n_ns++].path = nw == 3 ? w[2] : NULL;
  } else if (!strcmp(d, "hostname")) {
    NEED(1);
    s->hostname = w[1];
  } else if (!strcmp(d, "arg")) {
    NEED(1);
    *(char **)push(&s->argv, &s->argc, sizeof(char *)) = w[1];
  } else if (!strcmp(d, "env")) {
    NEED(1);
    if (!strchr(w[1], '=')) bad("env \"%s\" is not KEY=VALUE", w[1]);
    *(char **)push(&s->env, &s->envc, sizeof(char *)) = w[1];
  } else if (!strcmp(d, "cwd")) {
    NEED(1);
    if (w[1][0] != '/') bad("cwd must be an absolute path");
    s->cwd = w[1];
  } else if (!strcmp(d, "user")) {
    NEED(2);
    s->uid = (uid_t)number(w[1], "user uid", 10);
    s->gid = (gid_t)number(w[2], "user gid", 10);
  } else if (!strcmp(d, "group")) {
    NEED(1);
    *(gid_t *)push(&s->groups, &s->n_groups, sizeof(gid_t)) = (gid_t)number(w[1], "group", 10);
  } else if (!strcmp(d, "umask")) {
    NEED(1);
    s->has_umask = 1;
    s->umask = (mode_t)number(w[1], "umask", 8) & 07777;
  } else if (!strcmp(d, "mount")) {
    NEED(4);
    if (w[1][0] != '/') bad("mount destination must be an absolute path");
    struct spec_mount *m = push(&s->mounts, &s->n_mounts, sizeof *m);
    *m = (struct spec_mount){w[1], w[2], w[3], w[4]};
  } else if (!strcmp(d, "device")) {
    NEED(1);
    if (strncmp(w[1], "/dev/", 5)) bad("device \"%s\" is not under /dev", w[1]);
    *(const char **)push(&s->devices, &s->n_devices, sizeof(char *)) = w[1];
  } else if (!strcmp(d, "symlink")) {
    NEED(2);
    struct spec_symlink *l = push(&s->symlinks, &s->n_symlinks, sizeof *l);
    *l = (struct spec_symlink){w[1], w[2]};
  } else if (!strcmp(d, "mask")) {
    NEED(1);
    *(const char **)push(&s->masks, &s->n_masks, sizeof(char *)) = w[1];
  } else if (!strcmp(d, "readonly-path")) {
    NEED(1);
    *(const char **)push(&s->readonly_paths, &s->n_readonly_paths, sizeof(char *)) = w[1];
  } else if (!strcmp(d, "cap")) {
    NEED(1);
    int c = cap_from_name(w[1]);
    if (c < 0) bad("unknown capability \"%s\"", w[1]);
    s->caps |= 1ULL << c;
  } else if (!strcmp(d, "rlimit")) {
    NEED(3);
    const char *name = strncasecmp(w[1], "RLIMIT_", 7) ? w[1] : w[1] + 7;
    int res = -1;
    for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
      if (!strcasecmp(name, rlimit_names[i].name)) res = rlimit_names[i].resource;
    if (res < 0) bad("unknown rlimit \"%s\"", w[1]);
    struct spec_rlimit *r = push(&s->rlimits, &s->n_rlimits, sizeof *r);
    r->resource = res;
    r->name = w[1];
    r->limit.rlim_cur = rlimit_value(w[2]);
    r->limit.rlim_max = rlimit_value(w[3]);
    if (r->limit.rlim_cur > r->limit.rlim_max) bad("rlimit %s: soft limit above hard limit", w[1]);
  } else if (!strcmp(d, "no-new-privileges")) {
    NEED(1);
    s->no_new_privs = flag01(w[1], d);
  } else if (!strcmp(d, "tty")) {
    NEED(1);
    s->tty = flag01(w[1], d);
  } else if (!strcmp(d, "console-size")) {
    NEED(2);
    long long rows = number(w[1], "console-size rows", 10), cols = number(w[2], "console-size columns", 10);
    if (rows > 65535 || cols > 65535) bad("console-size %s %s is out of range", w[1], w[2]);
    s->rows = (unsigned short)rows;
    s->cols = (unsigned short)cols;
  } else if (!strcmp(d, "sync-before-exec")) {
    NEED(1);
    s->sync_before_exec = flag01(w[1], d);
  } else {
    bad("unknown directive \"%s\"", d);
  }
#undef NEED
}

void spec_read(const char *path, struct spec *s) {
  spec_path = path;
  memset(s, 0, sizeof *s);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_sys("spec", "open", path);
  size_t cap = 8192, len = 0;
  char *text = NULL;
  for (;;) {
    if (!text || len + 1 >= cap) {
      text = realloc(text, cap *= 2);
      if (!text) die(EXIT_SETUP, "spec", "out of memory");
    }
    ssize_t n = read(fd, text + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die_sys("spec", "read", path);
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  text[len] = 0;
  if (strlen(text) != len) die(EXIT_SETUP, "spec", "%s: NUL byte in the file", path);

  for (char *line = text; *line;) {
    char *nl = strchrnul(line, '\n');
    char *next = *nl ? nl + 1 : nl;
    *nl = 0;
    line_no++;
    if (*line) {
      char *w[8];
      int nw = 0;
      for (char *f = line;;) {
        if (nw == 8) bad("too many fields");
        w[nw++] = f;
        char *tab = strchr(f, '\t');
        if (!tab) break;
        *tab = 0;
        f = tab + 1;
      }
      for (int i = 0; i < nw; i++) decode(w[i]);
      directive(s, w, nw);
    }
    line = next;
  }
  if (s->argc == 0 || !s->argv[0][0]) die(EXIT_SETUP, "spec", "%s: no arg directive: nothing to run", path);
}

const struct spec_ns *spec_namespace(const struct spec *s, int flag) {
  for (int i = 0; i < s->n_ns; i++)
    if (s->ns[i].flag == flag) return &s->ns[i];
  return NULL;
}

const char *spec_getenv(const struct spec *s, const char *name) {
  size_t n = strlen(name);
  for (int i = 0; i < s->envc; i++)
    if (!strncmp(s->env[i], name, n) && s->env[i][n] == '=') return s->env[i] + n + 1;
  return NULL;
}
