/* The few rtnetlink requests the user-defined networks need: bridges, veth
 * pairs, addresses, the default route. Each call works on the network
 * namespace its socket was made in and returns 0, or -1 with errno set to
 * the kernel's answer (EEXIST, ENODEV, ...). Talking netlink directly costs
 * a few system calls where running ip(8) costs a process per step. */
#ifndef SKIFF_NETLINK_H
#define SKIFF_NETLINK_H

#include <netinet/in.h>

/* A NETLINK_ROUTE socket in the caller's current network namespace; -1 on failure. */
int nl_open(void);

/* The index of the named link, 0 when there is none. */
int nl_index(int nl, const char *name);

int nl_add_bridge(int nl, const char *name, int mtu);
/* A veth pair, both ends in this namespace. */
int nl_add_veth(int nl, const char *name, const char *peer, int mtu);
int nl_del_link(int nl, const char *name);

/* Set what is given: up (1/0, -1 leaves it), master index (0 leaves it),
 * a new name and MAC (NULL leaves them), the network namespace of a pid
 * (0 leaves it). */
int nl_set_link(int nl, int index, int up, int master, const char *new_name, const unsigned char *mac, pid_t netns_pid);

int nl_add_addr(int nl, int index, struct in_addr addr, int prefix);
/* Through index, with the gateway on-link (it is on the interface's subnet). */
int nl_add_default_route(int nl, int index, struct in_addr gateway);

#endif
