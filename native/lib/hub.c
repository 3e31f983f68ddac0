#include "hub.h"

#include "buf.h"
#include "frames.h"
#include "jsonlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#define IO_CHUNK 65536
#define CLIENT_HIGH (1u << 20) /* stop reading the process's output above this backlog */
#define CLIENT_LOW (256u << 10)
#define STDIN_HIGH (1u << 20) /* stop reading clients above this much unwritten stdin */

struct output {
  struct watch w; /* fd -1 when closed */
  int stream;     /* 1 stdout, 2 stderr */
  int paused;
};

struct client {
  struct watch w;
  struct buf in, out;
  int reading; /* the peer may still send */
  int events;  /* what epoll watches now */
  struct client *next;
};

static int epfd = -1, tty;
static struct watch listen_watch = {WATCH_LISTEN, -1}, stdin_watch = {WATCH_STDIN, -1};
static struct output outs[2] = {{{WATCH_OUTPUT, -1}, 1, 0}, {{WATCH_OUTPUT, -1}, 2, 0}};
static struct client *clients;
static struct jsonlog logfile;
static const char *log_path;
static struct buf stdin_buf;
static int stdin_close_pending, stdin_events, clients_paused;
static int master = -1;
static struct winsize size;
static int have_size;
static char iobuf[IO_CHUNK];

static void watch_fd(struct watch *w, int op, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = w};
  if (epoll_ctl(epfd, op, w->fd, &ev) < 0) fprintf(stderr, "skiff-monitor: epoll_ctl fd %d: %s\n", w->fd, strerror(errno));
}

static void unwatch(int fd) { epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); }

static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void log_failed(void) { fprintf(stderr, "skiff-monitor: write %s: %s\n", log_path, strerror(errno)); }

int hub_init(int epoll_fd, const char *path, int with_tty) {
  epfd = epoll_fd;
  tty = with_tty;
  log_path = path;
  return jsonlog_open(&logfile, path);
}

/* --- clients -------------------------------------------------------------- */

static int client_process(struct client *c);

static void client_update(struct client *c) {
  int ev = (c->reading && !clients_paused ? EPOLLIN | EPOLLRDHUP : 0) | (c->out.len ? EPOLLOUT : 0);
  if (ev != c->events) watch_fd(&c->w, EPOLL_CTL_MOD, (uint32_t)ev);
  c->events = ev;
}

void hub_add_client(int fd) {
  struct client *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return;
  }
  c->w = (struct watch){WATCH_CLIENT, fd};
  c->reading = 1;
  c->events = EPOLLIN | EPOLLRDHUP;
  nonblock(fd);
  watch_fd(&c->w, EPOLL_CTL_ADD, (uint32_t)c->events);
  c->next = clients;
  clients = c;
}

static void client_drop(struct client *c) {
  for (struct client **p = &clients; *p; p = &(*p)->next)
    if (*p == c) {
      *p = c->next;
      break;
    }
  unwatch(c->w.fd);
  close(c->w.fd);
  buf_free(&c->in);
  buf_free(&c->out);
  free(c);
}

static void outputs_pause(int paused) {
  for (int i = 0; i < 2; i++) {
    struct output *o = &outs[i];
    if (o->w.fd < 0 || o->paused == paused) continue;
    o->paused = paused;
    watch_fd(&o->w, EPOLL_CTL_MOD, paused ? 0 : EPOLLIN);
  }
}

static void broadcast(int type, const char *data, size_t n) {
  int backlog = 0;
  for (struct client *c = clients, *next; c; c = next) {
    next = c->next;
    frame_append(&c->out, type, data, n);
    if (buf_flush(&c->out, c->w.fd) < 0) client_drop(c);
    else client_update(c);
  }
  for (struct client *c = clients; c; c = c->next) backlog |= c->out.len > CLIENT_HIGH;
  if (backlog) outputs_pause(1);
}

/* --- the process's stdin and terminal -------------------------------------- */

static void stdin_update(void) {
  int ev = stdin_buf.len ? EPOLLOUT : 0;
  if (stdin_watch.fd >= 0 && ev != stdin_events) watch_fd(&stdin_watch, EPOLL_CTL_MOD, (uint32_t)ev);
  stdin_events = ev;
  int pause = stdin_buf.len > STDIN_HIGH;
  if (pause == clients_paused) return;
  clients_paused = pause;
  for (struct client *c = clients, *next; c; c = next) {
    next = c->next;
    if (pause || client_process(c) == 0) client_update(c);
  }
}

static void stdin_close(void) {
  if (stdin_watch.fd >= 0) {
    unwatch(stdin_watch.fd);
    close(stdin_watch.fd);
  }
  stdin_watch.fd = -1;
  stdin_close_pending = 0;
  buf_consume(&stdin_buf, stdin_buf.len);
  stdin_update();
}

static void stdin_flush(void) {
  if (stdin_watch.fd < 0) return;
  if (buf_flush(&stdin_buf, stdin_watch.fd) < 0) {
    stdin_close(); /* the process closed its stdin (EPIPE): input goes nowhere */
    return;
  }
  if (!stdin_buf.len && stdin_close_pending) stdin_close();
  else stdin_update();
}

static void apply_size(void) {
  if (master >= 0 && have_size) ioctl(master, TIOCSWINSZ, &size);
}

static void client_frame(int type, const char *p, size_t n) {
  if (type == FRAME_STDIN && stdin_watch.fd >= 0 && !stdin_close_pending) {
    buf_append(&stdin_buf, p, n);
    stdin_flush();
  } else if (type == FRAME_CLOSE_STDIN && !tty && stdin_watch.fd >= 0) {
    stdin_close_pending = 1;
    stdin_flush();
  } else if (type == FRAME_RESIZE) {
    char text[64];
    unsigned rows = 0, cols = 0;
    snprintf(text, sizeof text, "%.*s", (int)(n < 63 ? n : 63), p);
    if (sscanf(text, "%u %u", &rows, &cols) == 2 && rows && cols && rows < 65536 && cols < 65536) {
      size = (struct winsize){.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
      have_size = 1;
      apply_size();
    }
  }
}

/* Act on the complete frames a client sent; 0, or -1 when it was dropped. */
static int client_process(struct client *c) {
  int type, r = 0;
  const char *p;
  size_t len;
  while (!clients_paused && (r = frame_peek(&c->in, &type, &p, &len)) == 1) {
    client_frame(type, p, len);
    buf_consume(&c->in, FRAME_HEADER + len);
  }
  if (r < 0) {
    client_drop(c); /* not speaking the protocol */
    return -1;
  }
  return 0;
}

static void on_client(struct client *c, uint32_t events) {
  if (events & EPOLLIN) {
    ssize_t n = read(c->w.fd, iobuf, sizeof iobuf);
    if (n > 0) buf_append(&c->in, iobuf, (size_t)n);
    else if (n == 0 || (errno != EAGAIN && errno != EINTR)) c->reading = 0; /* it may still read */
    if (client_process(c) < 0) return;
  }
  if ((events & EPOLLOUT) && buf_flush(&c->out, c->w.fd) < 0) {
    client_drop(c);
    return;
  }
  if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN)) {
    client_drop(c); /* gone both ways */
    return;
  }
  client_update(c);
  int backlog = 0;
  for (struct client *x = clients; x; x = x->next) backlog |= x->out.len > CLIENT_LOW;
  if (!backlog) outputs_pause(0);
}

/* --- output ----------------------------------------------------------------- */

static void output_close(struct output *o) {
  if (o->w.fd < 0) return;
  unwatch(o->w.fd);
  close(o->w.fd);
  o->w.fd = -1;
  o->paused = 0;
  if (jsonlog_flush(&logfile, o->stream) < 0) log_failed();
}

static void output_chunk(struct output *o, size_t n) {
  if (jsonlog_write(&logfile, o->stream, iobuf, n) < 0) log_failed();
  broadcast(o->stream == 2 ? FRAME_STDERR : FRAME_STDOUT, iobuf, n);
}

static void on_output(struct output *o) {
  ssize_t n = read(o->w.fd, iobuf, sizeof iobuf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) { /* EOF, or EIO once a terminal's last user is gone */
    output_close(o);
    return;
  }
  output_chunk(o, (size_t)n);
}

/* --- the hub's face --------------------------------------------------------- */

void hub_listen(int fd) {
  listen_watch.fd = fd;
  watch_fd(&listen_watch, EPOLL_CTL_ADD, EPOLLIN);
}

void hub_stop_listening(const char *path) {
  if (listen_watch.fd < 0) return;
  unwatch(listen_watch.fd);
  close(listen_watch.fd);
  listen_watch.fd = -1;
  if (path) unlink(path);
}

void hub_attach(const struct hub_stdio *io) {
  master = io->master;
  outs[0].w.fd = tty ? master : io->stdout_fd; /* the output owns the master */
  outs[1].w.fd = tty ? -1 : io->stderr_fd;
  stdin_watch.fd = io->stdin_fd;
  stdin_close_pending = stdin_events = 0;
  for (int i = 0; i < 2; i++)
    if (outs[i].w.fd >= 0) {
      nonblock(outs[i].w.fd);
      outs[i].paused = 0;
      watch_fd(&outs[i].w, EPOLL_CTL_ADD, EPOLLIN);
    }
  if (stdin_watch.fd >= 0) {
    nonblock(stdin_watch.fd);
    watch_fd(&stdin_watch, EPOLL_CTL_ADD, 0);
    stdin_flush(); /* input that came before the process did */
  }
  apply_size();
}

int hub_output_open(void) { return outs[0].w.fd >= 0 || outs[1].w.fd >= 0; }

void hub_detach(void) {
  for (int i = 0; i < 2; i++) {
    while (outs[i].w.fd >= 0) {
      ssize_t n = read(outs[i].w.fd, iobuf, sizeof iobuf);
      if (n <= 0) break;
      output_chunk(&outs[i], (size_t)n);
    }
    output_close(&outs[i]);
  }
  stdin_close();
  master = -1; /* closed as outs[0] */
}

void hub_handle(struct watch *w, uint32_t events) {
  switch (w->kind) {
  case WATCH_LISTEN:
    for (int fd; (fd = accept4(listen_watch.fd, NULL, NULL, SOCK_CLOEXEC)) >= 0;) hub_add_client(fd);
    break;
  case WATCH_OUTPUT: on_output((struct output *)w); break;
  case WATCH_STDIN: stdin_flush(); break;
  case WATCH_CLIENT: on_client((struct client *)w, events); break;
  case WATCH_OWNER:
  case WATCH_HEALTH: break;
  }
}

void hub_send_exit(int code) {
  char text[16];
  int n = snprintf(text, sizeof text, "%d", code);
  broadcast(FRAME_EXIT, text, (size_t)n);
}

size_t hub_unsent(void) {
  size_t n = 0;
  for (struct client *c = clients; c; c = c->next) n += c->out.len;
  return n;
}

void hub_close_clients(void) {
  while (clients) client_drop(clients);
}
