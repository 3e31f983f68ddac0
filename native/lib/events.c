#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ACTOR_MAX 8192
#define LINE_CAP (ACTOR_MAX + 1024)

static const char *log_path, *actor_path;
static long long max_size;
static char actor[ACTOR_MAX];
static int have_actor;

void events_setup(const char *path, long long max, const char *actor_file) {
  log_path = path;
  max_size = max;
  actor_path = actor_file;
}

int events_enabled(void) { return log_path != NULL; }

void events_load_actor(void) {
  if (!actor_path) return;
  int fd = open(actor_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[ACTOR_MAX];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof buf - 1 && ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0) len += (size_t)n;
  close(fd);
  buf[len] = 0;
  if (len && strchr(buf, '\n')) {
    memcpy(actor, buf, len + 1);
    have_actor = 1;
  }
}

struct out {
  char buf[LINE_CAP];
  size_t len;
};

static void put(struct out *o, const char *s, size_t n) {
  if (o->len + n >= sizeof o->buf) n = sizeof o->buf - 1 - o->len;
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = 0;
}

static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

/* The key of a member line ("key":"value"), compared with a plain key. */
static int key_cmp(const char *member, const char *key) {
  const char *k = member + 1; /* after the opening quote */
  size_t klen = strlen(key);
  for (size_t i = 0;; i++) {
    char c = k[i] == '"' ? 0 : k[i];
    char d = i < klen ? key[i] : 0;
    if (c != d || !c) return (unsigned char)c - (unsigned char)d;
  }
}

/* The raw JSON string of the "image" member's value, or NULL. */
static const char *image_value(const char *members, size_t *len) {
  for (const char *m = members; *m; m = strchr(m, '\n') + 1) {
    const char *nl = strchr(m, '\n');
    if (!nl) break;
    if (!strncmp(m, "\"image\":", 8)) {
      *len = (size_t)(nl - m - 8);
      return m + 8;
    }
  }
  return NULL;
}

static int build(struct out *o, const char *action, const char *const *extra) {
  const char *nl = strchr(actor, '\n');
  const char *sp = memchr(actor, ' ', (size_t)(nl - actor));
  if (!sp) return -1;
  char type[64], id[256];
  snprintf(type, sizeof type, "%.*s", (int)(sp - actor), actor);
  snprintf(id, sizeof id, "%.*s", (int)(nl - sp - 1), sp + 1);
  const char *members = nl + 1;
  int legacy = !strcmp(type, "container") || !strcmp(type, "image");
  puts_(o, "{");
  if (legacy) {
    puts_(o, "\"status\":\"");
    puts_(o, action);
    puts_(o, "\",\"id\":\"");
    puts_(o, id);
    puts_(o, "\",");
    size_t ilen;
    const char *image = !strcmp(type, "container") ? image_value(members, &ilen) : NULL;
    if (image && ilen > 2) {
      puts_(o, "\"from\":");
      put(o, image, ilen);
      puts_(o, ",");
    }
  }
  puts_(o, "\"Type\":\"");
  puts_(o, type);
  puts_(o, "\",\"Action\":\"");
  puts_(o, action);
  puts_(o, "\",\"Actor\":{\"ID\":\"");
  puts_(o, id);
  puts_(o, "\",\"Attributes\":{");
  /* Merge the extra attributes into the sorted members. */
  int first = 1;
  const char *m = members;
  const char *const *x = extra;
  for (;;) {
    const char *end = *m ? strchr(m, '\n') : NULL;
    int have_member = end != NULL;
    int have_extra = x && *x;
    if (!have_member && !have_extra) break;
    int cmp = !have_member ? 1 : !have_extra ? -1 : key_cmp(m, x[0]);
    if (!first) puts_(o, ",");
    first = 0;
    if (cmp <= 0) {
      /* On a tie the actor's attribute (a label) wins, as labels do in Docker. */
      put(o, m, (size_t)(end - m));
      m = end + 1;
      if (cmp == 0) x += 2;
      continue;
    }
    puts_(o, "\"");
    puts_(o, x[0]);
    puts_(o, "\":\"");
    puts_(o, x[1]);
    puts_(o, "\"");
    x += 2;
  }
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  char tail[96];
  snprintf(tail, sizeof tail, "}},\"scope\":\"local\",\"time\":%lld,\"timeNano\":%lld%09ld}\n", (long long)t.tv_sec, (long long)t.tv_sec, t.tv_nsec);
  puts_(o, tail);
  return 0;
}

int events_append(const char *action, const char *const *extra) {
  if (!log_path) return 0;
  events_load_actor();
  if (!have_actor) {
    fprintf(stderr, "skiff-monitor: event %s: no actor in %s\n", action, actor_path ? actor_path : "(none)");
    errno = ENOENT;
    return -1;
  }
  static struct out o;
  o.len = 0;
  if (build(&o, action, extra) < 0) {
    fprintf(stderr, "skiff-monitor: event %s: malformed actor file %s\n", action, actor_path);
    errno = EINVAL;
    return -1;
  }
  int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENOENT) {
    /* The log's directory is made by the host's first event; make it if that is gone. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", log_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    if (slash && mkdir(dir, 0700) == 0) fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  }
  if (fd < 0) {
    int e = errno;
    fprintf(stderr, "skiff-monitor: open %s: %s\n", log_path, strerror(e));
    errno = e;
    return -1;
  }
  ssize_t n;
  while ((n = write(fd, o.buf, o.len)) < 0 && errno == EINTR) {
  }
  int e = errno;
  if (n != (ssize_t)o.len) {
    fprintf(stderr, "skiff-monitor: write %s: %s\n", log_path, n < 0 ? strerror(e) : "short write");
    close(fd);
    errno = n < 0 ? e : EIO;
    return -1;
  }
  struct stat mine, named;
  if (max_size > 0 && fstat(fd, &mine) == 0 && mine.st_size > max_size && stat(log_path, &named) == 0 && named.st_ino == mine.st_ino &&
      named.st_dev == mine.st_dev) {
    char prev[4200];
    snprintf(prev, sizeof prev, "%s.1", log_path);
    if (rename(log_path, prev) < 0) fprintf(stderr, "skiff-monitor: rename %s to %s: %s\n", log_path, prev, strerror(errno));
  }
  close(fd);
  return 0;
}
