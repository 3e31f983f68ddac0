import type { NetworkResource } from "../network/resources.js";
import type { CreateNetworkRequest } from "../network/user-networks.js";
import type { Engine } from "./engine.js";
import { InvalidArgumentError, NotFoundError } from "../errors.js";
import { parseTimestamp } from "../events/time.js";
import { checkFilters, type Filters } from "./filters.js";
import { labelMatches } from "./list-containers.js";

// The network verbs: the three built-in networks and the user-defined ones
// (src/network/), in Docker's JSON, with Docker's events.

/** The filters `network ls` and GET /networks take. */
const LIST_FILTERS = ["name", "id", "driver", "type", "scope", "label", "dangling"];

export function listNetworks(engine: Engine, filters: Filters = new Map()): NetworkResource[] {
  for (const t of checkFilters(filters, LIST_FILTERS).get("type") ?? [])
    if (t !== "custom" && t !== "builtin") throw new InvalidArgumentError(`invalid filter: 'type'='${t}'`, "use type=custom or type=builtin");
  return engine.network.list(filters);
}

export function inspectNetwork(engine: Engine, ref: string): NetworkResource {
  return engine.network.inspect(ref);
}

export interface NetworkCreation extends CreateNetworkRequest {
  /** IPAM's driver: Docker's "default" is the only one. */
  ipamDriver?: string;
  enableIPv6?: boolean;
}

export async function createNetwork(engine: Engine, req: NetworkCreation): Promise<{ Id: string; Warning: string }> {
  if (req.ipamDriver && req.ipamDriver !== "default") throw new NotFoundError(`plugin "${req.ipamDriver}" not found`, "rootless skiff has the default IPAM driver only: leave the IPAM driver out");
  if (req.enableIPv6) throw new InvalidArgumentError("IPv6 is not supported on skiff's rootless networks", "create the network without IPv6");
  const r = await engine.network.create(req);
  engine.events.emit("network", "create", r.Id, { name: req.name, type: req.driver ?? "bridge" });
  return r;
}

/** Returns the name removed. */
export async function removeNetwork(engine: Engine, ref: string): Promise<string> {
  const n = engine.network.inspect(ref);
  const name = await engine.network.remove(ref);
  engine.events.emit("network", "destroy", n.Id, { name: n.Name, type: n.Driver });
  return name;
}

/** The names of the networks removed (those no container uses; with `label`, `label!` and `until`, those that match). */
export async function pruneNetworks(engine: Engine, filters: Filters = new Map()): Promise<string[]> {
  checkFilters(filters, ["label", "label!", "until"]);
  const now = new Date();
  const limits = (filters.get("until") ?? []).map((v) => Number(parseTimestamp(v, now) / 1_000_000n));
  const labels = filters.get("label") ?? [];
  const notLabels = filters.get("label!") ?? [];
  const all = engine.network.list();
  const wanted = (n: NetworkResource) =>
    labels.every((l) => labelMatches(n.Labels, l)) && !notLabels.some((l) => labelMatches(n.Labels, l)) && limits.every((t) => Date.parse(n.Created) < t);
  const before_ = new Map(all.map((n) => [n.Name, n]));
  const removed = await engine.network.prune((name) => {
    const n = before_.get(name);
    return n !== undefined && wanted(n);
  });
  for (const name of removed) {
    const n = before_.get(name);
    if (n) engine.events.emit("network", "destroy", n.Id, { name: n.Name, type: n.Driver });
  }
  return removed;
}

/** `links` as `--link` gives them: "name" or "name:alias". */
export async function connectNetwork(engine: Engine, network: string, container: string, o: { aliases?: string[]; ip?: string; links?: string[] } = {}): Promise<void> {
  const links = (o.links ?? []).map((l) => (l.includes(":") ? l : `${l}:${l}`));
  await engine.network.connect(network, container, { ...o, links });
  const n = engine.network.inspect(network);
  engine.events.emit("network", "connect", n.Id, { container: engine.containers.get(container).record.Id, name: n.Name, type: n.Driver });
}

export async function disconnectNetwork(engine: Engine, network: string, container: string, force = false): Promise<void> {
  const n = engine.network.inspect(network);
  const id = engine.containers.get(container).record.Id;
  await engine.network.disconnect(network, container, force);
  engine.events.emit("network", "disconnect", n.Id, { container: id, name: n.Name, type: n.Driver });
}
