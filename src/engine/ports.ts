import { NotFoundError } from "../errors.js";
import type { Engine } from "./engine.js";

// `port`: a container's published ports ("80/tcp" → host bindings, Docker's
// NetworkSettings.Ports), all of them or one.

export type PortBindings = Record<string, { HostIp: string; HostPort: string }[] | null>;

export function containerPorts(engine: Engine, name: string): PortBindings {
  return engine.network.publishedPorts(engine.containers.get(name).record);
}

/** The host addresses of one private port ("80" means 80/tcp); Docker's error when it is not published. */
export function containerPort(engine: Engine, name: string, privatePort: string): { HostIp: string; HostPort: string }[] {
  const key = privatePort.includes("/") ? privatePort : `${privatePort}/tcp`;
  const b = containerPorts(engine, name)[key];
  if (!b || b.length === 0) throw new NotFoundError(`No public port '${key}' published for ${name}`);
  return b;
}
