import { randomBytes } from "node:crypto";
import { networkInterfaces } from "node:os";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../errors.js";
import { contains, format, intToIp, overlaps, parseCidr, type Cidr } from "./cidr.js";
import { BRIDGE_PREFIX, INTERNAL_PREFIX } from "./holder.js";
import { chooseSubnet, lease, parseSubnet, RESERVED } from "./ipam.js";
import { DEFAULT_MTU } from "./mode.js";
import type { NetworkStore, UserNetwork } from "./store.js";

// User-defined networks as objects: create (Docker's checks and words),
// find, remove, and the address each container holds on one. Whether a
// network is in use is the service's question (it knows the containers).

/** The names `network create` must not take: the networks every engine has. */
export const PREDEFINED = ["bridge", "host", "none", "default", "slirp4netns"];

export interface CreateNetworkRequest {
  name: string;
  driver?: string;
  subnets?: string[];
  gateways?: string[];
  ipRanges?: string[];
  internal?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

export interface UserNetworkDeps {
  store: NetworkStore;
  /** Run fn under the named store lock. */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Whether a container id is known (created, or being created): leases of unknown ones are freed. */
  known(containerId: string): boolean;
  pool: Cidr;
  poolPrefix: number;
}

/** Subnets of the host's own interfaces: a network there would hide them from containers. */
function hostSubnets(): Cidr[] {
  const out: Cidr[] = [];
  for (const addrs of Object.values(networkInterfaces()))
    for (const a of addrs ?? []) {
      if (a.family !== "IPv4" || a.internal) continue;
      const c = parseCidr(a.cidr ?? "");
      if (c) out.push(c);
    }
  return out;
}

export class UserNetworks {
  constructor(private readonly d: UserNetworkDeps) {}

  list(): UserNetwork[] {
    return this.d.store.list();
  }

  find(ref: string): UserNetwork | undefined {
    return this.d.store.find(ref);
  }

  get(ref: string): UserNetwork {
    const n = this.find(ref);
    if (!n) throw new NotFoundError(`network ${ref} not found`, "skiff network ls lists the networks; skiff network create makes one");
    return n;
  }

  async create(req: CreateNetworkRequest): Promise<{ Id: string; Warning: string }> {
    const name = req.name;
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name))
      throw new InvalidArgumentError(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const driver = req.driver || "bridge";
    if (driver !== "bridge")
      throw new NotFoundError(`plugin "${driver}" not found`, "rootless skiff has the bridge driver only: leave --driver out");
    const subnets = req.subnets ?? [];
    if (subnets.length > 1) throw new InvalidArgumentError("rootless skiff gives a network one IPv4 subnet: give --subnet once");
    if ((req.gateways?.length ?? 0) > subnets.length) throw new InvalidArgumentError("every ip-range or gateway must have a corresponding subnet");
    if ((req.ipRanges?.length ?? 0) > subnets.length) throw new InvalidArgumentError("every ip-range or gateway must have a corresponding subnet");
    const asked = subnets[0] !== undefined ? parseSubnet(subnets[0]) : undefined;
    let mtu = DEFAULT_MTU;
    const mtuOpt = req.options?.["com.docker.network.driver.mtu"];
    if (mtuOpt !== undefined) {
      mtu = Number(mtuOpt);
      if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65520) throw new InvalidArgumentError(`invalid MTU: ${mtuOpt}`, "give com.docker.network.driver.mtu between 68 and 65520");
    }
    return this.d.withLock("networks", async () => {
      const all = this.d.store.list();
      if (PREDEFINED.includes(name) || all.some((n) => n.Name === name)) throw new ConflictError(`network with name ${name} already exists`, "choose another name, or remove the existing network first");
      const taken = [RESERVED, ...all.map((n) => parseCidr(n.Subnet)!)];
      let subnet: Cidr;
      if (asked) {
        if (taken.some((t) => overlaps(t, asked)))
          throw new ConflictError("invalid pool request: Pool overlaps with other one on this address space", "choose a subnet no other network (nor slirp4netns's 10.0.2.0/24) uses");
        subnet = asked;
      } else subnet = chooseSubnet(this.d.pool, this.d.poolPrefix, [...taken, ...hostSubnets()]);
      let gateway = intToIp(subnet.base + 1);
      if (req.gateways?.[0]) {
        const g = parseCidr(`${req.gateways[0]}/32`);
        if (!g || !contains(subnet, g.base)) throw new InvalidArgumentError(`no matching subnet for gateway ${req.gateways[0]}`, `give a gateway inside ${format(subnet)}`);
        gateway = req.gateways[0];
      }
      let ipRange: string | undefined;
      if (req.ipRanges?.[0]) {
        const r = parseCidr(req.ipRanges[0]);
        if (!r) throw new InvalidArgumentError(`invalid CIDR address: ${req.ipRanges[0]}`);
        if (r.prefix < subnet.prefix || !contains(subnet, r.base)) throw new InvalidArgumentError(`no matching subnet for range ${req.ipRanges[0]}`, `give a range inside ${format(subnet)}`);
        ipRange = format(r);
      }
      const id = randomBytes(32).toString("hex");
      const n: UserNetwork = {
        Name: name,
        Id: id,
        Created: new Date().toISOString(),
        Driver: "bridge",
        Subnet: format(subnet),
        Gateway: gateway,
        ...(ipRange ? { IPRange: ipRange } : {}),
        Internal: Boolean(req.internal),
        Labels: req.labels ?? {},
        Options: req.options ?? {},
        Bridge: `${req.internal ? INTERNAL_PREFIX : BRIDGE_PREFIX}${id.slice(0, 12)}`,
        Mtu: mtu,
      };
      this.d.store.write(n);
      return { Id: id, Warning: "" };
    });
  }

  /** The container's address on n (kept across restarts; a static one if asked). */
  lease(n: UserNetwork, containerId: string, wanted?: string): Promise<string> {
    return this.d.withLock(`network-${n.Id}`, async () => {
      if (!this.d.store.find(n.Id)) throw new NotFoundError(`network ${n.Name} not found`);
      const leases = this.d.store.leases(n.Id);
      const before = JSON.stringify(leases);
      const ip = lease(n, leases, containerId, wanted, (id) => !this.d.known(id));
      // A restart keeps its address: nothing to write (each write is fsynced).
      if (JSON.stringify(leases) !== before) this.d.store.writeLeases(n.Id, leases);
      return ip;
    });
  }

  /** The address a container holds on n, if any. */
  leased(n: UserNetwork, containerId: string): string | undefined {
    return this.d.store.leases(n.Id).byContainer[containerId];
  }

  release(n: UserNetwork, containerId: string): Promise<void> {
    return this.d.withLock(`network-${n.Id}`, async () => {
      const leases = this.d.store.leases(n.Id);
      if (!(containerId in leases.byContainer)) return;
      delete leases.byContainer[containerId];
      if (this.d.store.find(n.Id)) this.d.store.writeLeases(n.Id, leases);
    });
  }

  remove(n: UserNetwork): Promise<void> {
    return this.d.withLock("networks", async () => this.d.withLock(`network-${n.Id}`, async () => this.d.store.remove(n.Id)));
  }
}
