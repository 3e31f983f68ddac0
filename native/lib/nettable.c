#include "nettable.h"

#include "nameserver.h"
#include "netlink.h"
#include "veth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_NETS 64
#define MAX_ENDPOINTS TABLE_MAX_ENDPOINTS

struct network {
  char bridge[IFNAMSIZ];
  struct in_addr gateway, upstream;
  int prefix, internal, used;
};

struct endpoint {
  pid_t pid;
  int pidfd; /* -1: free slot */
  int net;
  struct in_addr addr, upstream;
  char veth[IFNAMSIZ];
  char names[1024]; /* ",a,b,c," */
};

static struct network nets[MAX_NETS];
static struct endpoint eps[MAX_ENDPOINTS];
static int nl = -1, own_netns = -1;

void table_init(int netlink, int netns) {
  nl = netlink;
  own_netns = netns;
  for (int i = 0; i < MAX_ENDPOINTS; i++) eps[i].pidfd = -1;
}

static int in_list(const char *list, const char *name) {
  char key[300];
  snprintf(key, sizeof key, ",%s,", name);
  return strstr(list, key) != NULL;
}

/* The name server's view: names of the containers that share a network with the asker. */
int table_resolve(int net, struct in_addr client, const char *name, struct in_addr *addrs, int max, struct in_addr *upstream) {
  pid_t asker = 0;
  struct in_addr via = nets[net].upstream;
  for (int i = 0; i < MAX_ENDPOINTS; i++)
    if (eps[i].pidfd >= 0 && eps[i].net == net && eps[i].addr.s_addr == client.s_addr) asker = eps[i].pid, via = eps[i].upstream;
  int n = 0;
  for (int i = 0; i < MAX_ENDPOINTS && n < max; i++) {
    if (eps[i].pidfd < 0 || !in_list(eps[i].names, name)) continue;
    int shared = eps[i].net == net;
    for (int j = 0; j < MAX_ENDPOINTS && !shared && asker; j++)
      shared = eps[j].pidfd >= 0 && eps[j].pid == asker && eps[j].net == eps[i].net;
    if (shared) addrs[n++] = eps[i].addr;
  }
  if (n) return n;
  if (nets[net].internal || !via.s_addr) return -1;
  *upstream = via;
  return 0;
}

static const char *field(char *line, const char *key) {
  size_t k = strlen(key);
  for (char *p = line; (p = strstr(p, key)); p += k)
    if ((p == line || p[-1] == ' ') && p[k] == '=') {
      static char value[1024];
      const char *v = p + k + 1;
      size_t n = strcspn(v, " \n");
      snprintf(value, sizeof value, "%.*s", (int)(n < sizeof value ? n : sizeof value - 1), v);
      return value;
    }
  return NULL;
}

static int cidr(const char *s, struct in_addr *a, int *prefix) {
  char ip[32];
  if (!s || sscanf(s, "%31[0-9.]/%d", ip, prefix) != 2 || *prefix < 8 || *prefix > 30) return -1;
  return inet_pton(AF_INET, ip, a) == 1 ? 0 : -1;
}

static int net_of(const char *bridge, int create) {
  int free_slot = -1;
  for (int i = 0; i < MAX_NETS; i++) {
    if (nets[i].used && !strcmp(nets[i].bridge, bridge)) return i;
    if (!nets[i].used && free_slot < 0) free_slot = i;
  }
  return create ? free_slot : -1;
}

static void forget(int n) {
  ns_close(n);
  nl_del_link(nl, nets[n].bridge);
  nets[n].used = 0;
}

#define ERR(...) return snprintf(err, cap, __VA_ARGS__), -1

static int parse_mac(const char *s, unsigned char *out) {
  unsigned m[6];
  if (!s || sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) return -1;
  for (int i = 0; i < 6; i++) out[i] = (unsigned char)m[i];
  return 0;
}

static int do_attach(char *line, char *err, size_t cap) {
  struct veth_attach a = {0};
  struct network net = {0};
  const char *v;
  if (!(v = field(line, "pid")) || (a.pid = atoi(v)) <= 0) ERR("attach: no pid");
  if (!(v = field(line, "bridge")) || strlen(v) >= IFNAMSIZ) ERR("attach: bad bridge");
  snprintf(a.bridge, sizeof a.bridge, "%s", v);
  snprintf(net.bridge, sizeof net.bridge, "%s", v);
  if (cidr(field(line, "gateway"), &net.gateway, &net.prefix) < 0) ERR("attach: bad gateway");
  if (cidr(field(line, "addr"), &a.addr, &a.prefix) < 0) ERR("attach: bad addr");
  a.gateway = net.gateway;
  net.internal = (v = field(line, "internal")) && !strcmp(v, "1");
  if ((v = field(line, "upstream")) && strcmp(v, "-") && inet_pton(AF_INET, v, &net.upstream) != 1) ERR("attach: bad upstream %s", v);
  a.mtu = (v = field(line, "mtu")) ? atoi(v) : 0;
  a.route = (v = field(line, "route")) && !strcmp(v, "1");
  const char *keys[] = {"veth", "peer", "ifname"};
  char *dest[] = {a.veth, a.peer, a.ifname};
  for (int i = 0; i < 3; i++) {
    if (!(v = field(line, keys[i])) || !*v || strlen(v) >= IFNAMSIZ) ERR("attach: bad %s", keys[i]);
    snprintf(dest[i], IFNAMSIZ, "%s", v);
  }
  unsigned char bridge_mac[6];
  if (parse_mac(field(line, "mac"), a.mac) < 0) ERR("attach: bad mac");
  if (parse_mac(field(line, "bridge_mac"), bridge_mac) < 0) ERR("attach: bad bridge_mac");
  char names[1024];
  snprintf(names, sizeof names, ",%s,", (v = field(line, "names")) ? v : "");
  int slot = -1;
  for (int i = 0; i < MAX_ENDPOINTS && slot < 0; i++)
    if (eps[i].pidfd < 0) slot = i;
  int n = net_of(a.bridge, 1);
  if (slot < 0 || n < 0) ERR("attach: too many containers or networks");
  int pidfd = (int)syscall(SYS_pidfd_open, a.pid, 0);
  if (pidfd < 0) ERR("pidfd_open %d: %s", (int)a.pid, strerror(errno));
  if (!nets[n].used) {
    if (bridge_ensure(nl, net.bridge, net.gateway, net.prefix, a.mtu, bridge_mac, err, cap) < 0) return close(pidfd), -1;
    const char *what = "";
    if (ns_open(n, net.gateway, net.bridge, &what) < 0) {
      snprintf(err, cap, "name server on %s:53: %s: %s", inet_ntoa(net.gateway), what, strerror(errno));
      nl_del_link(nl, net.bridge);
      return close(pidfd), -1;
    }
    net.used = 1;
    nets[n] = net;
  }
  nets[n].upstream = net.upstream; /* the host decides; the latest word counts */
  int rc = veth_attach(nl, own_netns, &a, err, cap);
  if (rc < 0) return close(pidfd), rc;
  eps[slot] = (struct endpoint){.pid = a.pid, .pidfd = pidfd, .net = n, .addr = a.addr, .upstream = net.upstream};
  snprintf(eps[slot].veth, sizeof eps[slot].veth, "%s", a.veth);
  snprintf(eps[slot].names, sizeof eps[slot].names, "%s", names);
  return 0;
}

static void drop_endpoint(int i) {
  close(eps[i].pidfd);
  eps[i].pidfd = -1;
}

int table_request(char *line, char *err, size_t cap) {
  const char *v;
  if (!strncmp(line, "attach ", 7)) return do_attach(line, err, cap);
  if (!strncmp(line, "detach ", 7)) {
    if (!(v = field(line, "veth"))) ERR("detach: no veth");
    for (int i = 0; i < MAX_ENDPOINTS; i++)
      if (eps[i].pidfd >= 0 && !strcmp(eps[i].veth, v)) drop_endpoint(i);
    if (nl_del_link(nl, v) < 0 && errno != ENODEV) ERR("delete %s: %s", v, strerror(errno));
    return 0;
  }
  if (!strncmp(line, "forget ", 7)) {
    int n = (v = field(line, "bridge")) ? net_of(v, 0) : -1;
    if (n >= 0) {
      /* The host has checked that no running container is on it; endpoints
       * still here belong to containers whose exit we have not seen yet. */
      for (int i = 0; i < MAX_ENDPOINTS; i++)
        if (eps[i].pidfd >= 0 && eps[i].net == n) {
          nl_del_link(nl, eps[i].veth);
          drop_endpoint(i);
        }
      forget(n);
    }
    return 0;
  }
  ERR("unknown request: %.40s", line);
}


int table_size(void) {
  int n = 0;
  for (int i = 0; i < MAX_ENDPOINTS; i++) n += eps[i].pidfd >= 0;
  return n;
}

int table_pollfds(struct pollfd *p) {
  int n = 0;
  for (int i = 0; i < MAX_ENDPOINTS; i++)
    if (eps[i].pidfd >= 0) p[n++] = (struct pollfd){eps[i].pidfd, POLLIN, 0};
  return n;
}

void table_exited(int pidfd) {
  for (int i = 0; i < MAX_ENDPOINTS; i++)
    if (eps[i].pidfd == pidfd) drop_endpoint(i);
}
