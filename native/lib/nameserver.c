#include "nameserver.h"

#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_NETS 64
#define MAX_FORWARDS 128
#define FORWARD_MS 5000 /* a resolver retries after its own timeout: longer is pointless */
#define TCP_READ_MS 2000
#define TTL 600         /* Docker's embedded DNS answers with this TTL */

struct served {
  int udp, tcp; /* -1 when the network is not served */
};

struct forward {
  int upstream;          /* connected UDP socket, -1 when free */
  int net;
  int tcp;               /* the client's TCP connection, or -1: reply over UDP */
  struct sockaddr_in client;
  long long deadline;
};

static struct served nets[MAX_NETS];
static struct forward forwards[MAX_FORWARDS];
static ns_resolve_fn resolve;

void ns_init(ns_resolve_fn fn) {
  resolve = fn;
  for (int i = 0; i < MAX_NETS; i++) nets[i].udp = nets[i].tcp = -1;
  for (int i = 0; i < MAX_FORWARDS; i++) forwards[i].upstream = -1;
}

static int bound_socket(int type, struct in_addr addr, const char *bridge, const char **what) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return *what = "socket", -1;
  int one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr = addr};
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) *what = "setsockopt SO_REUSEADDR";
  else if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, bridge, (socklen_t)strlen(bridge) + 1) < 0) *what = "setsockopt SO_BINDTODEVICE";
  else if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) *what = "bind";
  else if (type == SOCK_STREAM && listen(fd, 32) < 0) *what = "listen";
  else return fd;
  int e = errno;
  close(fd);
  errno = e;
  return -1;
}

int ns_open(int net, struct in_addr addr, const char *bridge, const char **what) {
  if (net < 0 || net >= MAX_NETS) return errno = ENOSPC, *what = "ns_open", -1;
  ns_close(net);
  nets[net].udp = bound_socket(SOCK_DGRAM, addr, bridge, what);
  if (nets[net].udp < 0) return -1;
  nets[net].tcp = bound_socket(SOCK_STREAM, addr, bridge, what);
  if (nets[net].tcp < 0) {
    int e = errno;
    ns_close(net);
    errno = e;
    return -1;
  }
  return 0;
}

static void drop_forward(struct forward *f) {
  close(f->upstream);
  if (f->tcp >= 0) close(f->tcp);
  f->upstream = f->tcp = -1;
}

void ns_close(int net) {
  if (net < 0 || net >= MAX_NETS) return;
  if (nets[net].udp >= 0) close(nets[net].udp);
  if (nets[net].tcp >= 0) close(nets[net].tcp);
  nets[net].udp = nets[net].tcp = -1;
  for (int i = 0; i < MAX_FORWARDS; i++)
    if (forwards[i].upstream >= 0 && forwards[i].net == net) drop_forward(&forwards[i]);
}

int ns_count(void) {
  return MAX_NETS * 2 + MAX_FORWARDS;
}

int ns_fds(struct pollfd *p) {
  int n = 0;
  for (int i = 0; i < MAX_NETS; i++) {
    if (nets[i].udp >= 0) p[n++] = (struct pollfd){nets[i].udp, POLLIN, 0};
    if (nets[i].tcp >= 0) p[n++] = (struct pollfd){nets[i].tcp, POLLIN, 0};
  }
  for (int i = 0; i < MAX_FORWARDS; i++)
    if (forwards[i].upstream >= 0) p[n++] = (struct pollfd){forwards[i].upstream, POLLIN, 0};
  return n;
}

/* Send a reply to the client: a datagram, or length-prefixed on TCP (then closed). */
static void reply(int net, int tcp, const struct sockaddr_in *client, const unsigned char *msg, size_t len) {
  if (tcp < 0) {
    sendto(nets[net].udp, msg, len, MSG_DONTWAIT, (const struct sockaddr *)client, sizeof *client);
    return;
  }
  unsigned char framed[2 + 65535];
  framed[0] = (unsigned char)(len >> 8);
  framed[1] = (unsigned char)len;
  memcpy(framed + 2, msg, len);
  struct pollfd p = {tcp, POLLOUT, 0};
  for (size_t off = 0; off < len + 2;) {
    ssize_t w = send(tcp, framed + off, len + 2 - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno == EAGAIN && poll(&p, 1, TCP_READ_MS) > 0) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  close(tcp);
}

static void forward(int net, int tcp, const struct sockaddr_in *client, const unsigned char *msg, size_t len, struct in_addr upstream, long long now) {
  struct forward *f = NULL;
  for (int i = 0; i < MAX_FORWARDS && !f; i++)
    if (forwards[i].upstream < 0) f = &forwards[i];
  int fd = f ? socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0) : -1;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr = upstream};
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) < 0 || send(fd, msg, len, 0) < 0) {
    /* Too busy, or no way out: the client's resolver moves on. */
    if (fd >= 0) close(fd);
    struct dns_question q;
    unsigned char out[512];
    size_t n = dns_read_question(msg, len, &q) == 0 ? dns_write_answer(msg, &q, out, sizeof out, DNS_SERVFAIL, NULL, 0, 0) : 0;
    if (n) reply(net, tcp, client, out, n);
    else if (tcp >= 0) close(tcp);
    return;
  }
  *f = (struct forward){fd, net, tcp, *client, now + FORWARD_MS};
}

static void answer(int net, int tcp, const struct sockaddr_in *client, const unsigned char *msg, size_t len, long long now) {
  struct dns_question q;
  if (dns_read_question(msg, len, &q) < 0) {
    if (tcp >= 0) close(tcp);
    return;
  }
  struct in_addr addrs[NS_MAX_ADDRS], upstream = {0};
  int n = resolve(net, client->sin_addr, q.name, addrs, NS_MAX_ADDRS, &upstream);
  unsigned char out[1024];
  size_t size = 0;
  if (n > 0 && q.klass == DNS_CLASS_IN) {
    /* Our name: A records; any other type gets an empty answer, so a
     * resolver asking AAAA first does not go looking elsewhere. */
    int as_a = q.type == DNS_TYPE_A || q.type == DNS_TYPE_ANY;
    size = dns_write_answer(msg, &q, out, sizeof out, DNS_NOERROR, addrs, as_a ? n : 0, TTL);
  } else if (n == 0 && upstream.s_addr) {
    forward(net, tcp, client, msg, len, upstream, now);
    return;
  } else
    size = dns_write_answer(msg, &q, out, sizeof out, n < 0 ? DNS_REFUSED : DNS_NXDOMAIN, NULL, 0, 0);
  if (size) reply(net, tcp, client, out, size);
  else if (tcp >= 0) close(tcp);
}

/* One length-prefixed query from a new TCP connection (a client sends it at once). */
static void serve_tcp(int net, long long now) {
  struct sockaddr_in client;
  socklen_t alen = sizeof client;
  int c = accept4(nets[net].tcp, (struct sockaddr *)&client, &alen, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (c < 0) return;
  unsigned char buf[2 + 65535];
  size_t have = 0, want = 2;
  struct pollfd p = {c, POLLIN, 0};
  while (have < want) {
    ssize_t r = recv(c, buf + have, want - have, 0);
    if (r < 0 && errno == EAGAIN && poll(&p, 1, TCP_READ_MS) > 0) continue;
    if (r <= 0) {
      close(c);
      return;
    }
    have += (size_t)r;
    if (have == 2 && want == 2) want = 2 + ((size_t)buf[0] << 8 | buf[1]);
  }
  answer(net, c, &client, buf + 2, want - 2, now);
}

void ns_handle(int fd, short revents, long long now) {
  (void)revents;
  for (int i = 0; i < MAX_NETS; i++) {
    if (fd == nets[i].udp) {
      unsigned char buf[4096];
      struct sockaddr_in client;
      socklen_t alen = sizeof client;
      ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&client, &alen);
      if (n > 0) answer(i, -1, &client, buf, (size_t)n, now);
      return;
    }
    if (fd == nets[i].tcp) {
      serve_tcp(i, now);
      return;
    }
  }
  for (int i = 0; i < MAX_FORWARDS; i++) {
    struct forward *f = &forwards[i];
    if (f->upstream != fd) continue;
    unsigned char buf[65536];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      int tcp = f->tcp;
      f->tcp = -1; /* reply() closes it */
      reply(f->net, tcp, &f->client, buf, (size_t)n);
    }
    drop_forward(f);
    return;
  }
}

void ns_expire(long long now) {
  for (int i = 0; i < MAX_FORWARDS; i++)
    if (forwards[i].upstream >= 0 && now >= forwards[i].deadline) drop_forward(&forwards[i]);
}
