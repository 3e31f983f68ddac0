#include "netlink.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct request {
  struct nlmsghdr h;
  char body[1024];
};

static void *tail(struct request *r) {
  return (char *)r + NLMSG_ALIGN(r->h.nlmsg_len);
}

static struct rtattr *attr(struct request *r, unsigned short type, const void *data, size_t len) {
  struct rtattr *a = tail(r);
  a->rta_type = type;
  a->rta_len = (unsigned short)RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
  return a;
}

static struct rtattr *nest(struct request *r, unsigned short type) {
  return attr(r, type, NULL, 0);
}

static void end_nest(struct request *r, struct rtattr *a) {
  a->rta_len = (unsigned short)((char *)tail(r) - (char *)a);
}

static void init(struct request *r, unsigned short type, unsigned short flags, size_t header) {
  memset(r, 0, sizeof *r);
  r->h.nlmsg_type = type;
  r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  r->h.nlmsg_len = (unsigned)NLMSG_LENGTH(header);
}

/* Send and wait for the acknowledgement. */
static int talk(int nl, struct request *r) {
  static unsigned seq;
  r->h.nlmsg_seq = ++seq;
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  if (sendto(nl, r, r->h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0) return -1;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(nl, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != r->h.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        if (e->error == 0) return 0;
        errno = -e->error;
        return -1;
      }
    }
  }
}

int nl_open(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  struct sockaddr_nl a = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int nl_index(int nl, const char *name) {
  struct request r;
  init(&r, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
  r.h.nlmsg_flags = NLM_F_REQUEST;
  attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  static unsigned seq = 1u << 30;
  r.h.nlmsg_seq = ++seq;
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  if (sendto(nl, &r, r.h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0) return 0;
  char buf[8192];
  for (;;) {
    ssize_t n = recv(nl, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 0;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != r.h.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) return 0;
      if (h->nlmsg_type == RTM_NEWLINK) return ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
    }
  }
}

static void link_kind(struct request *r, const char *kind) {
  struct rtattr *info = nest(r, IFLA_LINKINFO);
  attr(r, IFLA_INFO_KIND, kind, strlen(kind));
  end_nest(r, info);
}

int nl_add_bridge(int nl, const char *name, int mtu) {
  struct request r;
  init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
  attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  if (mtu > 0) attr(&r, IFLA_MTU, &mtu, sizeof mtu);
  link_kind(&r, "bridge");
  return talk(nl, &r);
}

int nl_add_veth(int nl, const char *name, const char *peer, int mtu) {
  struct request r;
  init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
  attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  if (mtu > 0) attr(&r, IFLA_MTU, &mtu, sizeof mtu);
  struct rtattr *info = nest(&r, IFLA_LINKINFO);
  attr(&r, IFLA_INFO_KIND, "veth", 4);
  struct rtattr *data = nest(&r, IFLA_INFO_DATA);
  struct rtattr *p = nest(&r, VETH_INFO_PEER);
  /* The peer's own link message: an ifinfomsg, then its attributes. */
  r.h.nlmsg_len += (unsigned)sizeof(struct ifinfomsg);
  attr(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
  if (mtu > 0) attr(&r, IFLA_MTU, &mtu, sizeof mtu);
  end_nest(&r, p);
  end_nest(&r, data);
  end_nest(&r, info);
  return talk(nl, &r);
}

int nl_del_link(int nl, const char *name) {
  struct request r;
  init(&r, RTM_DELLINK, 0, sizeof(struct ifinfomsg));
  attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  return talk(nl, &r);
}

int nl_set_link(int nl, int index, int up, int master, const char *new_name, const unsigned char *mac, pid_t netns_pid) {
  struct request r;
  init(&r, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
  struct ifinfomsg *i = NLMSG_DATA(&r.h);
  i->ifi_family = AF_UNSPEC;
  i->ifi_index = index;
  if (up >= 0) {
    i->ifi_change = IFF_UP;
    i->ifi_flags = up ? IFF_UP : 0;
  }
  if (master) attr(&r, IFLA_MASTER, &master, sizeof master);
  if (new_name) attr(&r, IFLA_IFNAME, new_name, strlen(new_name) + 1);
  if (mac) attr(&r, IFLA_ADDRESS, mac, 6);
  if (netns_pid) {
    unsigned pid = (unsigned)netns_pid;
    attr(&r, IFLA_NET_NS_PID, &pid, sizeof pid);
  }
  return talk(nl, &r);
}

int nl_add_addr(int nl, int index, struct in_addr addr, int prefix) {
  struct request r;
  init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, sizeof(struct ifaddrmsg));
  struct ifaddrmsg *a = NLMSG_DATA(&r.h);
  a->ifa_family = AF_INET;
  a->ifa_prefixlen = (unsigned char)prefix;
  a->ifa_index = (unsigned)index;
  attr(&r, IFA_LOCAL, &addr, sizeof addr);
  attr(&r, IFA_ADDRESS, &addr, sizeof addr);
  if (prefix < 31) {
    struct in_addr b = {addr.s_addr | htonl(prefix ? 0xffffffffu >> prefix : 0xffffffffu)};
    attr(&r, IFA_BROADCAST, &b, sizeof b);
  }
  return talk(nl, &r);
}

int nl_add_default_route(int nl, int index, struct in_addr gateway) {
  struct request r;
  init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sizeof(struct rtmsg));
  struct rtmsg *m = NLMSG_DATA(&r.h);
  m->rtm_family = AF_INET;
  m->rtm_table = RT_TABLE_MAIN;
  m->rtm_protocol = RTPROT_BOOT;
  m->rtm_scope = RT_SCOPE_UNIVERSE;
  m->rtm_type = RTN_UNICAST;
  m->rtm_flags = RTNH_F_ONLINK;
  attr(&r, RTA_GATEWAY, &gateway, sizeof gateway);
  attr(&r, RTA_OIF, &index, sizeof index);
  return talk(nl, &r);
}
