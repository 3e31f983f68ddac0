#include "dns.h"

#include <ctype.h>
#include <string.h>

#define HEADER 12

static unsigned get16(const unsigned char *p) {
  return (unsigned)p[0] << 8 | p[1];
}

static void put16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)(v >> 8);
  p[1] = (unsigned char)v;
}

int dns_read_question(const unsigned char *msg, size_t len, struct dns_question *q) {
  if (len < HEADER) return -1;
  unsigned flags = get16(msg + 2);
  if (flags & 0x8000 || (flags >> 11 & 0xf) != 0 || get16(msg + 4) != 1) return -1; /* a response, not QUERY, or not one question */
  size_t off = HEADER, out = 0;
  for (;;) {
    if (off >= len) return -1;
    unsigned label = msg[off++];
    if (label == 0) break;
    if (label > 63 || off + label > len || out + label + 1 >= sizeof q->name) return -1; /* compression is not used in questions */
    if (out) q->name[out++] = '.';
    for (unsigned i = 0; i < label; i++) q->name[out++] = (char)tolower(msg[off + i]);
    off += label;
  }
  q->name[out] = 0;
  if (off + 4 > len) return -1;
  q->type = (int)get16(msg + off);
  q->klass = (int)get16(msg + off + 2);
  q->end = off + 4;
  return 0;
}

size_t dns_write_answer(const unsigned char *msg, const struct dns_question *q, unsigned char *out, size_t cap, int rcode,
                        const struct in_addr *addrs, int n, unsigned ttl) {
  size_t len = q->end + (size_t)n * 16;
  if (len > cap) return 0;
  memcpy(out, msg, q->end);
  unsigned rd = get16(msg + 2) & 0x0100;
  put16(out + 2, 0x8000 | 0x0400 | rd | 0x0080 | (unsigned)rcode); /* QR, AA, RD as asked, RA */
  put16(out + 4, 1);
  put16(out + 6, (unsigned)n);
  put16(out + 8, 0);
  put16(out + 10, 0);
  unsigned char *p = out + q->end;
  for (int i = 0; i < n; i++, p += 16) {
    put16(p, 0xc000 | HEADER); /* the name: a pointer to the question's */
    put16(p + 2, DNS_TYPE_A);
    put16(p + 4, DNS_CLASS_IN);
    put16(p + 6, ttl >> 16);
    put16(p + 8, ttl & 0xffff);
    put16(p + 10, 4);
    memcpy(p + 12, &addrs[i].s_addr, 4);
  }
  return len;
}
