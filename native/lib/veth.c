#include "veth.h"

#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int bridge_ensure(int nl, const char *name, struct in_addr addr, int prefix, int mtu, const unsigned char *mac, char *err, size_t cap) {
  if (nl_index(nl, name)) return 0;
  int idx;
  if (nl_add_bridge(nl, name, mtu) < 0 && errno != EEXIST) return snprintf(err, cap, "add bridge %s: %s", name, strerror(errno)), -1;
  if (!(idx = nl_index(nl, name))) return snprintf(err, cap, "bridge %s: vanished", name), -1;
  if (nl_set_link(nl, idx, -1, 0, NULL, mac, 0) < 0 || nl_add_addr(nl, idx, addr, prefix) < 0 || nl_set_link(nl, idx, 1, 0, NULL, NULL, 0) < 0) {
    snprintf(err, cap, "configure bridge %s: %s", name, strerror(errno));
    nl_del_link(nl, name);
    return -1;
  }
  return 0;
}

/* Inside the container's namespace: name, MAC, address, up, lo, route. */
static int configure_peer(const struct veth_attach *a, char *err, size_t cap) {
  int cnl = nl_open();
  if (cnl < 0) return snprintf(err, cap, "netlink socket in the container: %s", strerror(errno)), -1;
  int rc = -1, idx = nl_index(cnl, a->peer), lo = nl_index(cnl, "lo");
  if (!idx) snprintf(err, cap, "%s did not arrive in the container's namespace", a->peer);
  else if (nl_set_link(cnl, idx, -1, 0, a->ifname, a->mac, 0) < 0) snprintf(err, cap, "rename %s to %s in the container: %s", a->peer, a->ifname, strerror(errno));
  else if (nl_add_addr(cnl, idx, a->addr, a->prefix) < 0) snprintf(err, cap, "address %s on %s: %s", inet_ntoa(a->addr), a->ifname, strerror(errno));
  else if (nl_set_link(cnl, idx, 1, 0, NULL, NULL, 0) < 0) snprintf(err, cap, "set %s up: %s", a->ifname, strerror(errno));
  else if (lo && nl_set_link(cnl, lo, 1, 0, NULL, NULL, 0) < 0) snprintf(err, cap, "set lo up: %s", strerror(errno));
  else if (a->route && nl_add_default_route(cnl, idx, a->gateway) < 0) snprintf(err, cap, "default route via %s: %s", inet_ntoa(a->gateway), strerror(errno));
  else rc = 0;
  close(cnl);
  return rc;
}

int veth_attach(int nl, int own_netns, const struct veth_attach *a, char *err, size_t cap) {
  int br = nl_index(nl, a->bridge);
  if (!br) return snprintf(err, cap, "no bridge %s", a->bridge), -1;
  /* A veth of an earlier run of this container may linger while the kernel
   * tears its old namespace down. */
  if (nl_index(nl, a->veth)) nl_del_link(nl, a->veth);
  if (nl_add_veth(nl, a->veth, a->peer, a->mtu) < 0) return snprintf(err, cap, "add veth %s: %s", a->veth, strerror(errno)), -1;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)a->pid);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  int idx = nl_index(nl, a->veth), pidx = nl_index(nl, a->peer);
  if (ns < 0) snprintf(err, cap, "open %s: %s", path, strerror(errno));
  else if (!idx || !pidx) snprintf(err, cap, "veth %s vanished", a->veth);
  else if (nl_set_link(nl, idx, 1, br, NULL, NULL, 0) < 0) snprintf(err, cap, "put %s on %s: %s", a->veth, a->bridge, strerror(errno));
  else if (nl_set_link(nl, pidx, -1, 0, NULL, NULL, a->pid) < 0) snprintf(err, cap, "move %s into %s: %s", a->peer, path, strerror(errno));
  else if (setns(ns, CLONE_NEWNET) < 0) snprintf(err, cap, "setns %s: %s", path, strerror(errno));
  else {
    int rc = configure_peer(a, err, cap);
    if (setns(own_netns, CLONE_NEWNET) < 0) {
      snprintf(err, cap, "setns back to the holder's namespace: %s", strerror(errno));
      return -2; /* the caller is stranded in the container's namespace */
    }
    close(ns);
    if (rc == 0) return 0;
    nl_del_link(nl, a->veth);
    return -1;
  }
  if (ns >= 0) close(ns);
  nl_del_link(nl, a->veth);
  return -1;
}
