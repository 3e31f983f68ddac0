#include "portproxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIPE_BYTES (1 << 20)
#define SPLICE_BYTES (1 << 20)

struct connection {
  int client, server;
  atomic_int running; /* directions still copying */
};

struct direction {
  struct connection *c;
  int from, to;
};

int portproxy_listen(const char *ip, int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
    errno = EINVAL;
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  if (fd < 0) return -1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* Move what is readable on from into to, through the pipe; 1 at EOF, -1 on an error. */
static int pump(int from, int to, const int pipefd[2]) {
  for (;;) {
    ssize_t n = splice(from, NULL, pipefd[1], NULL, SPLICE_BYTES, SPLICE_F_MOVE);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return 1;
    if (n < 0) return -1;
    while (n > 0) {
      ssize_t w = splice(pipefd[0], NULL, to, NULL, (size_t)n, SPLICE_F_MOVE);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return -1;
      n -= w;
    }
  }
}

/* One direction, until EOF or an error; the second to end closes the connection. */
static void *copy(void *arg) {
  struct direction *d = arg;
  struct connection *c = d->c;
  int pipefd[2];
  int end = -1;
  if (pipe2(pipefd, O_CLOEXEC) == 0) {
    fcntl(pipefd[1], F_SETPIPE_SZ, PIPE_BYTES); /* best effort: pipe-max-size may be lower */
    end = pump(d->from, d->to, pipefd);
    close(pipefd[0]);
    close(pipefd[1]);
  }
  if (end == 1) {
    shutdown(d->to, SHUT_WR); /* the sender is done: so are we, towards the receiver */
  } else {
    /* A reset or a failure: end both ways, so the other direction's splice returns too. */
    shutdown(c->client, SHUT_RDWR);
    shutdown(c->server, SHUT_RDWR);
  }
  if (atomic_fetch_sub(&c->running, 1) == 1) {
    close(c->client);
    close(c->server);
    free(c);
  }
  free(d);
  return NULL;
}

static int start_direction(struct connection *c, int from, int to) {
  struct direction *d = malloc(sizeof *d);
  if (!d) return -1;
  *d = (struct direction){c, from, to};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_t t;
  int r = pthread_create(&t, &attr, copy, d);
  pthread_attr_destroy(&attr);
  if (r != 0) {
    free(d);
    return -1;
  }
  return 0;
}

void portproxy_accept(const struct portproxy *p) {
  for (;;) {
    int client = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return; /* EAGAIN: none left (or a transient error: the next poll retries) */
    }
    int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (server < 0 || connect(server, (const struct sockaddr *)&p->to, sizeof p->to) < 0) {
      /* Nothing listens in the container (yet): refuse, as a closed port would. */
      struct linger l = {1, 0};
      setsockopt(client, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      close(client);
      if (server >= 0) close(server);
      continue;
    }
    struct connection *c = malloc(sizeof *c);
    if (!c) {
      close(client), close(server);
      continue;
    }
    c->client = client;
    c->server = server;
    atomic_init(&c->running, 2);
    if (start_direction(c, client, server) != 0) {
      close(client), close(server), free(c);
      continue;
    }
    if (start_direction(c, server, client) != 0) {
      /* One direction runs; end the connection through it. */
      shutdown(client, SHUT_RDWR);
      shutdown(server, SHUT_RDWR);
      if (atomic_fetch_sub(&c->running, 1) == 1) close(client), close(server), free(c);
    }
  }
}
