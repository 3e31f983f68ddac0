import { ConflictError, InvalidArgumentError } from "../errors.js";
import { contains, format, intToIp, ipToInt, last, overlaps, parseCidr, type Cidr } from "./cidr.js";
import type { Leases, UserNetwork } from "./store.js";

// Addresses for user-defined networks: a subnet per network (given, or the
// next free block of the pool), and an address per container on it. The
// messages are Docker's (libnetwork's ipam and the daemon's checks).

/** slirp4netns's own network in the holder's namespace: no user network may overlap it. */
export const RESERVED: Cidr = { base: ipToInt("10.0.2.0"), prefix: 24 };

export function parseSubnet(s: string): Cidr {
  const c = parseCidr(s);
  if (!c) {
    if (s.includes(":")) throw new InvalidArgumentError(`IPv6 subnets are not supported: ${s}`, "give an IPv4 subnet, e.g. --subnet 10.90.0.0/24");
    throw new InvalidArgumentError(`invalid CIDR address: ${s}`, "give the subnet as ADDRESS/BITS, e.g. --subnet 10.90.0.0/24");
  }
  if (c.exact !== c.base) throw new InvalidArgumentError(`invalid subnet ${s} : it should be ${format(c)}`);
  if (c.prefix > 30 || c.prefix < 8) throw new InvalidArgumentError(`invalid subnet ${s}: a network needs a prefix between /8 and /30`);
  return c;
}

/** The first block of the pool that overlaps no network in use. */
export function chooseSubnet(pool: Cidr, prefix: number, taken: Cidr[]): Cidr {
  for (let base = pool.base; base + 2 ** (32 - prefix) - 1 <= last(pool); base += 2 ** (32 - prefix)) {
    const c = { base, prefix };
    if (!taken.some((t) => overlaps(t, c))) return c;
  }
  throw new ConflictError("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
    `remove unused networks (skiff network prune), give --subnet, or widen [network] pool in skiff.conf (now ${format(pool)})`,
  );
}

/** The addresses a network hands to containers: its ip-range (or subnet) less network, gateway and broadcast. */
function usable(n: UserNetwork): { from: number; to: number; subnet: Cidr; gateway: number } {
  const subnet = parseCidr(n.Subnet)!;
  const range = n.IPRange ? parseCidr(n.IPRange)! : subnet;
  return { from: Math.max(range.base, subnet.base + 1), to: Math.min(last(range), last(subnet) - 1), subnet, gateway: ipToInt(n.Gateway) };
}

/**
 * The container's address on n, recorded in leases: the one it has, the one
 * asked for, or the next free one. `stale(id)` says a lease's holder is gone.
 */
export function lease(n: UserNetwork, leases: Leases, containerId: string, wanted: string | undefined, stale: (id: string) => boolean): string {
  for (const [id, ip] of Object.entries(leases.byContainer)) if (id !== containerId && stale(id)) delete leases.byContainer[id];
  const mine = leases.byContainer[containerId];
  if (mine && (!wanted || wanted === mine)) return mine;
  const taken = new Set(Object.entries(leases.byContainer).filter(([id]) => id !== containerId).map(([, ip]) => ip));
  const u = usable(n);
  if (wanted) {
    const ip = ipToInt(wanted);
    if (!contains(u.subnet, ip) || (n.IPRange && !contains(parseCidr(n.IPRange)!, ip)))
      throw new InvalidArgumentError(`no configured subnet or ip-range contain the IP address ${wanted}`, `give an address in ${n.IPRange ?? n.Subnet}`);
    if (taken.has(wanted) || ip === u.gateway || ip === u.subnet.base || ip === last(u.subnet))
      throw new ConflictError("Address already in use", `${wanted} belongs to another container or to the network itself: leave --ip out, or choose a free address`);
    leases.byContainer[containerId] = wanted;
    return wanted;
  }
  const count = u.to - u.from + 1;
  const start = leases.next >= u.from && leases.next <= u.to ? leases.next - u.from : 0;
  for (let i = 0; i < count; i++) {
    const ip = u.from + ((start + i) % count);
    const s = intToIp(ip);
    if (ip === u.gateway || taken.has(s)) continue;
    leases.byContainer[containerId] = s;
    leases.next = ip + 1;
    return s;
  }
  throw new ConflictError(`no available IPv4 addresses on network ${n.Name}`, "remove containers from it, or create a network with a larger subnet");
}

