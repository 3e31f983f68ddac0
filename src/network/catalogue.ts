import { ConflictError, NotFoundError } from "../errors.js";
import type { ContainerFacts } from "./context.js";
import { readState, type UserAttachments } from "./user-attach.js";
import { BUILTIN, builtinResource, DEFAULT_NETWORK_NAME, endpointId, findBuiltin, userResource, type NetworkEndpoint, type NetworkResource } from "./resources.js";
import type { UserNetwork } from "./store.js";
import type { UserNetworks } from "./user-networks.js";

// The networks as Docker's API shows and manages them: list (with
// `network ls`'s filters), inspect, rm, prune. Built-in networks first, in
// a fixed order, then user-defined ones by name.

export type Filters = Map<string, string[]>;

export class Catalogue {
  constructor(
    private readonly users: UserNetworks,
    private readonly attachments: UserAttachments,
    private readonly containers: () => ContainerFacts[],
  ) {}

  private builtinEndpoints(name: string): Record<string, NetworkEndpoint> {
    const out: Record<string, NetworkEndpoint> = {};
    if (name !== DEFAULT_NETWORK_NAME) return out;
    for (const c of this.containers()) {
      if (!c.running) continue;
      const s = readState(c.userdata);
      if (s?.kind !== "slirp4netns") continue;
      out[c.id] = { Name: c.name, EndpointID: endpointId(c.id, name), MacAddress: s.mac, IPv4Address: s.address ? `${s.address}/${s.prefixLen}` : "", IPv6Address: "" };
    }
    return out;
  }

  private userEndpoints(n: UserNetwork): Record<string, NetworkEndpoint> {
    const out: Record<string, NetworkEndpoint> = {};
    for (const { c, a } of this.attachments.attachedTo(n.Id))
      out[c.id] = { Name: c.name, EndpointID: endpointId(c.id, n.Id), MacAddress: a.mac, IPv4Address: `${a.address}/${a.prefixLen}`, IPv6Address: "" };
    return out;
  }

  /** One network by name, Docker's other names for the default, or id prefix. */
  inspect(ref: string): NetworkResource {
    const b = findBuiltin(ref);
    if (b) return builtinResource(b, this.builtinEndpoints(b.Name));
    const n = this.users.find(ref);
    if (!n) throw new NotFoundError(`network ${ref} not found`);
    return userResource(n, this.userEndpoints(n));
  }

  list(filters: Filters = new Map()): NetworkResource[] {
    const all = [...BUILTIN.map((b) => builtinResource(b, this.builtinEndpoints(b.Name))), ...this.users.list().map((n) => userResource(n, this.userEndpoints(n)))];
    const any = (key: string, test: (v: string) => boolean) => !filters.has(key) || filters.get(key)!.some(test);
    return all.filter(
      (n) =>
        any("name", (v) => n.Name.includes(v)) &&
        any("id", (v) => n.Id.startsWith(v)) &&
        any("driver", (v) => n.Driver === v) &&
        any("scope", (v) => v === "local") &&
        any("type", (v) => (v === "builtin") === Boolean(findBuiltin(n.Name))) &&
        (!filters.has("label") ||
          filters.get("label")!.every((v) => {
            const [k = "", val] = v.split(/=(.*)/s);
            return k in n.Labels && (val === undefined || n.Labels[k] === val);
          })) &&
        any("dangling", (v) => (["true", "1"].includes(v) ? !findBuiltin(n.Name) && Object.keys(n.Containers).length === 0 : true)),
    );
  }

  private inUse(n: UserNetwork): boolean {
    return this.attachments.attachedTo(n.Id).length > 0;
  }

  /** `network rm`: the network's name as given, once it is gone. */
  async remove(ref: string): Promise<string> {
    const b = findBuiltin(ref);
    if (b) throw new ConflictError(`${b.Name} is a pre-defined network and cannot be removed`);
    const n = this.users.get(ref);
    if (this.inUse(n)) throw new ConflictError(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints`, `stop or disconnect its containers first (skiff network inspect ${n.Name} lists them)`);
    await this.attachments.forget(n);
    await this.users.remove(n);
    return ref;
  }

  /** `network prune`: every user-defined network no running container is on (and `wanted`, by name); their names. */
  async prune(wanted: (name: string) => boolean = () => true): Promise<string[]> {
    const removed: string[] = [];
    for (const n of this.users.list()) {
      if (this.inUse(n) || !wanted(n.Name)) continue;
      await this.attachments.forget(n);
      await this.users.remove(n);
      removed.push(n.Name);
    }
    return removed;
  }
}
