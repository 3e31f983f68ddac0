/* The holder's table (skiff-netns): the networks it serves (a bridge and a
 * name server each) and the containers attached to them (an address, a
 * veth, the names they answer to, a pidfd that says when they are gone).
 * Requests come as skiff-netns's protocol lines (see its header):
 * attach, detach, forget. */
#ifndef SKIFF_NETTABLE_H
#define SKIFF_NETTABLE_H

#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>

#define TABLE_MAX_ENDPOINTS 512

/* nl: an rtnetlink socket of the holder's namespace, netns an fd of it. */
void table_init(int nl, int netns);

/* One request line: 0 done, -1 refused (reason in err), -2 the holder was
 * left in a container's namespace and must exit. */
int table_request(char *line, char *err, size_t cap);

/* The name servers' lookup (an ns_resolve_fn). */
int table_resolve(int net, struct in_addr client, const char *name, struct in_addr *addrs, int max, struct in_addr *upstream);

/* Attached endpoints; their pidfds for poll; one whose process has exited. */
int table_size(void);
int table_pollfds(struct pollfd *p);
void table_exited(int pidfd);

#endif
