import { isIPv4 } from "node:net";

// IPv4 addresses as 32-bit numbers, and CIDR blocks: enough arithmetic for
// the address pool and the leases of user-defined networks.

export interface Cidr {
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export const size = (c: Cidr) => 2 ** (32 - c.prefix);
export const last = (c: Cidr) => c.base + size(c) - 1;
export const format = (c: Cidr) => `${intToIp(c.base)}/${c.prefix}`;
export const contains = (c: Cidr, ip: number) => ip >= c.base && ip <= last(c);
export const overlaps = (a: Cidr, b: Cidr) => a.base <= last(b) && b.base <= last(a);

/** "a.b.c.d/n" → its block; undefined when it is not one. `exact` keeps the host bits (to tell the user). */
export function parseCidr(s: string): (Cidr & { exact: number }) | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(s);
  if (!m || !isIPv4(m[1]!) || Number(m[2]) > 32) return undefined;
  const prefix = Number(m[2]);
  const exact = ipToInt(m[1]!);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (exact & mask) >>> 0, prefix, exact };
}
