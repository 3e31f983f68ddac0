/* skiff-lock: hold flock(2) locks on behalf of a Node process.
 *
 * Node has no flock, and a lock that outlives a kill -9 of its holder is the
 * one thing a store must not have. This helper is spawned once by a skiff
 * process that mutates the store; it holds the locks that process asks for
 * and exits when its stdin closes — which the kernel guarantees when the
 * parent dies, however it dies — releasing every lock with it.
 *
 * usage: skiff-lock            (requests on stdin, replies on stdout)
 *
 * Requests, one per line:      Replies, one per request:
 *   x PATH   exclusive lock      ok PATH
 *   s PATH   shared lock         err PATH MESSAGE
 *   u PATH   unlock
 * A lock file is created (mode 0600) if missing. Requests that cannot be
 * granted yet wait without blocking the others: each waiting lock is retried
 * with LOCK_NB every few milliseconds, so one process can hold a lock while
 * waiting for another. Replies may therefore come out of request order;
 * PATH tells them apart. Exit status: 0 on EOF, 1 on a usage error.
 */
#include "common.h"

#include <poll.h>
#include <sys/file.h>

#define MAX_LOCKS 256

struct lock {
  char *path;
  int fd;
  int mode;    /* LOCK_EX or LOCK_SH */
  int granted; /* 0 while waiting */
};

static struct lock locks[MAX_LOCKS];
static int nlocks;

static void reply(const char *status, const char *path, const char *msg) {
  char line[4200];
  int n = msg ? snprintf(line, sizeof line, "%s %s %s\n", status, path, msg) : snprintf(line, sizeof line, "%s %s\n", status, path);
  if (n > 0) write_all(1, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static struct lock *find(const char *path) {
  for (int i = 0; i < nlocks; i++)
    if (!strcmp(locks[i].path, path)) return &locks[i];
  return NULL;
}

static void drop(struct lock *l) {
  close(l->fd);
  free(l->path);
  *l = locks[--nlocks];
}

/* Try to take a waiting lock; reply once it is granted or has failed. */
static void attempt(struct lock *l) {
  if (flock(l->fd, l->mode | LOCK_NB) == 0) {
    l->granted = 1;
    reply("ok", l->path, NULL);
  } else if (errno != EWOULDBLOCK && errno != EINTR) {
    char msg[256];
    snprintf(msg, sizeof msg, "flock: %s", strerror(errno));
    reply("err", l->path, msg);
    drop(l);
  }
}

static void request(char *line) {
  if (strlen(line) < 3 || line[1] != ' ') return;
  char op = line[0];
  const char *path = line + 2;
  struct lock *l = find(path);
  if (op == 'u') {
    if (l) drop(l);
    reply("ok", path, NULL);
    return;
  }
  if (op != 'x' && op != 's') {
    reply("err", path, "unknown request");
    return;
  }
  if (l) {
    reply("err", path, "already held by this process");
    return;
  }
  if (nlocks == MAX_LOCKS) {
    reply("err", path, "too many locks");
    return;
  }
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    char msg[256];
    snprintf(msg, sizeof msg, "open: %s", strerror(errno));
    reply("err", path, msg);
    return;
  }
  l = &locks[nlocks++];
  l->path = strdup(path);
  l->fd = fd;
  l->mode = op == 'x' ? LOCK_EX : LOCK_SH;
  l->granted = 0;
  attempt(l);
}

int main(void) {
  prog = "skiff-lock";
  char buf[65536];
  size_t have = 0;
  for (;;) {
    int waiting = 0;
    for (int i = 0; i < nlocks; i++) waiting |= !locks[i].granted;
    struct pollfd p = {.fd = 0, .events = POLLIN};
    int r = poll(&p, 1, waiting ? 5 : -1);
    if (r < 0 && errno != EINTR) return 1;
    if (r > 0) {
      ssize_t n = read(0, buf + have, sizeof buf - 1 - have);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 0; /* parent gone: the kernel drops our locks */
      have += (size_t)n;
      char *start = buf, *nl;
      while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
        *nl = 0;
        request(start);
        start = nl + 1;
      }
      have -= (size_t)(start - buf);
      memmove(buf, start, have);
      if (have == sizeof buf - 1) have = 0; /* absurd line: drop it */
    }
    for (int i = nlocks - 1; i >= 0; i--)
      if (!locks[i].granted) attempt(&locks[i]);
  }
}
