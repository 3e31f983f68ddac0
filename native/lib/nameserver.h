/* The name server of the user-defined networks: one UDP socket and one TCP
 * listener per network, on its gateway address, bound to its bridge (so a
 * query that comes in over another bridge is not answered with this
 * network's names). Each query is answered from the holder's table through
 * the resolve callback, or passed on to an upstream server; replies from
 * upstream go back to whoever asked. Everything runs in the caller's poll
 * loop: ns_fds() adds the descriptors, ns_handle() serves what is ready. */
#ifndef SKIFF_NAMESERVER_H
#define SKIFF_NAMESERVER_H

#include <netinet/in.h>
#include <poll.h>

#define NS_MAX_ADDRS 16

/* What the table says for a name asked by client over network net:
 * n addresses (n > 0: the name is ours), 0 with *upstream set to where to
 * forward it, or -1: nowhere (an --internal network: refused). */
typedef int (*ns_resolve_fn)(int net, struct in_addr client, const char *name, struct in_addr *addrs, int max, struct in_addr *upstream);

void ns_init(ns_resolve_fn resolve);

/* Serve network net on addr, bound to the device bridge. -1 with errno and
 * the failing call in *what. */
int ns_open(int net, struct in_addr addr, const char *bridge, const char **what);
void ns_close(int net);

/* Append our descriptors to p (room for at least ns_count()); returns how many. */
int ns_count(void);
int ns_fds(struct pollfd *p);
/* Serve one ready descriptor (from ns_fds); now_ms for forward deadlines. */
void ns_handle(int fd, short revents, long long now_ms);
/* Drop forwards whose upstream has not answered in time. */
void ns_expire(long long now_ms);

#endif
