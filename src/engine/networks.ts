import type { NetworkResource } from "../network/resources.js";
import type { CreateNetworkRequest } from "../network/user-networks.js";
import type { Engine } from "./engine.js";
import type { Filters } from "./filters.js";

// The network verbs: the three built-in networks and the user-defined ones
// (src/network/), in Docker's JSON, with Docker's events.

export function listNetworks(engine: Engine, filters?: Filters): NetworkResource[] {
  return engine.network.list(filters);
}

export function inspectNetwork(engine: Engine, ref: string): NetworkResource {
  return engine.network.inspect(ref);
}

export async function createNetwork(engine: Engine, req: CreateNetworkRequest): Promise<{ Id: string; Warning: string }> {
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

/** The names of the networks removed (those no container uses). */
export async function pruneNetworks(engine: Engine): Promise<string[]> {
  const before = new Map(engine.network.list().map((n) => [n.Name, n]));
  const removed = await engine.network.prune();
  for (const name of removed) {
    const n = before.get(name);
    if (n) engine.events.emit("network", "destroy", n.Id, { name: n.Name, type: n.Driver });
  }
  return removed;
}

export async function connectNetwork(engine: Engine, network: string, container: string, o: { aliases?: string[]; ip?: string; links?: string[] } = {}): Promise<void> {
  await engine.network.connect(network, container, o);
  const n = engine.network.inspect(network);
  engine.events.emit("network", "connect", n.Id, { container: engine.containers.get(container).record.Id, name: n.Name, type: n.Driver });
}

export async function disconnectNetwork(engine: Engine, network: string, container: string, force = false): Promise<void> {
  const n = engine.network.inspect(network);
  const id = engine.containers.get(container).record.Id;
  await engine.network.disconnect(network, container, force);
  engine.events.emit("network", "disconnect", n.Id, { container: id, name: n.Name, type: n.Driver });
}
