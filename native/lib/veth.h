/* Put a container on a bridge: a veth pair whose one end joins the bridge
 * in the caller's network namespace and whose other end moves into the
 * network namespace of the container's process, where it is renamed,
 * addressed and brought up (with lo, and a default route when asked).
 * The caller must be single-purpose about its namespace: it enters the
 * container's for a moment (setns) and comes back to own_netns. */
#ifndef SKIFF_VETH_H
#define SKIFF_VETH_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>

struct veth_attach {
  pid_t pid;
  char bridge[IFNAMSIZ], veth[IFNAMSIZ], peer[IFNAMSIZ], ifname[IFNAMSIZ];
  struct in_addr addr, gateway;
  int prefix, mtu, route;
  unsigned char mac[6];
};

/* 0, or -1 with a one-line reason ("CALL WHAT: strerror") in err; nothing
 * is left behind on failure; -2 when the caller could not return to
 * own_netns (it must exit). nl is a rtnetlink socket of own_netns. */
int veth_attach(int nl, int own_netns, const struct veth_attach *a, char *err, size_t cap);

/* The bridge with its address and MAC, up; 0 if it already existed or was
 * made. The MAC is fixed: a bridge otherwise takes its lowest port's, and
 * changes it when that port leaves, behind the ARP caches of the others. */
int bridge_ensure(int nl, const char *name, struct in_addr addr, int prefix, int mtu, const unsigned char *mac, char *err, size_t cap);

#endif
