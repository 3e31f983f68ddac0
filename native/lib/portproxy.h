/* A TCP port forwarder for published ports, the way podman's rootlessport
 * works: the listening socket is made in the host's network namespace, then
 * the process moves into the container's, so every connection accepted on
 * the host is joined by a socket made inside the container's namespace and
 * connected to the container's address there. The bytes then move between
 * two kernel sockets with splice(2) (no user-mode TCP stack on the way, so
 * an upload runs near loopback speed; slirp4netns's own forwarding copies
 * every segment through its TCP emulation).
 * Each connection gets two threads, one per direction, blocking in splice;
 * a direction that reaches EOF shuts down writing on the other side, and
 * the second one to finish closes both sockets. */
#ifndef SKIFF_PORTPROXY_H
#define SKIFF_PORTPROXY_H

#include <netinet/in.h>

struct portproxy {
  int listen_fd;           /* host side, non-blocking */
  struct sockaddr_in to;   /* the container's address and port */
};

/* Bind and listen on ip:port (SO_REUSEADDR). -1 with errno on failure. */
int portproxy_listen(const char *ip, int port);

/* Accept every pending connection on p->listen_fd and start forwarding it.
 * Call from a process already in the container's network namespace.
 * Connections the container refuses are closed at once. */
void portproxy_accept(const struct portproxy *p);

#endif
