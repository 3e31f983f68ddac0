/* Just enough of the DNS wire format (RFC 1035) for the user-defined
 * networks' name server: read a query's question, write an answer of A
 * records (or none) for it. Forwarded queries are passed on untouched. */
#ifndef SKIFF_DNS_H
#define SKIFF_DNS_H

#include <netinet/in.h>
#include <stddef.h>

#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_ANY 255
#define DNS_CLASS_IN 1

#define DNS_NOERROR 0
#define DNS_SERVFAIL 2
#define DNS_NXDOMAIN 3
#define DNS_REFUSED 5

struct dns_question {
  char name[256];     /* lower case, no trailing dot */
  int type, klass;
  size_t end;         /* offset just past the question */
};

/* 0 when msg is a standard query with one question, read into q. */
int dns_read_question(const unsigned char *msg, size_t len, struct dns_question *q);

/* The reply to msg (whose question q is) in out: rcode, and one A record
 * (TTL ttl) per address. Returns its length, or 0 when it does not fit. */
size_t dns_write_answer(const unsigned char *msg, const struct dns_question *q, unsigned char *out, size_t cap, int rcode,
                        const struct in_addr *addrs, int n, unsigned ttl);

#endif
