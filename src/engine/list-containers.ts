import { join } from "node:path";
import { InvalidArgumentError } from "../errors.js";
import { parseReference } from "../image/reference.js";
import type { ContainerRecord } from "../container/record.js";
import type { ContainerView } from "../container/service.js";
import { containerCommand, containerStatus } from "../gotext/index.js";
import { treeSize } from "../store/tree-size.js";
import { HEALTH_FILTER_VALUES, healthFilterValue, readHealth } from "../container/health.js";
import { shortId } from "../digest.js";
import type { Engine } from "./engine.js";
import { checkFilters, type Filters } from "./filters.js";

// `ps` / GET /containers/json: Docker's container summaries, with the
// daemon's filters. The CLI prints its columns from these, as the docker CLI
// does from the daemon's answer.

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: PortSummary[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  State: string;
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, unknown> };
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; Driver?: string; Mode: string; RW: boolean; Propagation: string }[];
}

export interface ListContainersRequest {
  all?: boolean;
  /** The n most recently created, in any state (-n; -1 = no limit). */
  limit?: number;
  size?: boolean;
  filters?: Filters;
}

const FILTERS = ["id", "name", "label", "exited", "status", "ancestor", "before", "since", "volume", "network", "publish", "expose", "health", "isolation", "is-task"];
const STATUSES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];

export function listContainers(engine: Engine, req: ListContainersRequest = {}): ContainerSummary[] {
  const filters = checkFilters(req.filters ?? new Map(), FILTERS);
  for (const x of filters.get("status") ?? []) if (!STATUSES.includes(x)) throw new InvalidArgumentError(`invalid filter 'status=${x}'`);
  for (const x of filters.get("health") ?? []) if (!HEALTH_FILTER_VALUES.includes(x)) throw new InvalidArgumentError(`Unrecognised filter value for health: ${x}`);
  let list = engine.containers.list();
  if (req.limit !== undefined && req.limit > 0) list = list.slice(0, req.limit);
  else if (!req.all && !filters.has("status") && !filters.has("exited")) list = list.filter((v) => v.state.Running);
  return list.filter((v) => matches(engine, v, filters)).map((v) => summary(engine, v, Boolean(req.size)));
}

function matches(engine: Engine, v: ContainerView, filters: Filters): boolean {
  const r = v.record;
  for (const [key, values] of filters) {
    const any = (pred: (x: string) => boolean) => values.some(pred);
    switch (key) {
      case "id":
        if (!any((x) => r.Id.startsWith(x))) return false;
        break;
      case "name":
        if (!any((x) => new RegExp(x).test(r.Name))) return false;
        break;
      case "status":
        if (!any((x) => x === v.state.Status)) return false;
        break;
      case "exited":
        if (v.state.Status !== "exited" || !any((x) => Number(x) === v.state.ExitCode)) return false;
        break;
      case "label":
        if (!values.every((x) => labelMatches(r.Config.Labels, x))) return false;
        break;
      case "ancestor":
        if (!any((x) => {
          try {
            return engine.images.resolve(x).id === r.Image;
          } catch {
            return false;
          }
        })) return false;
        break;
      case "before":
      case "since": {
        const other = engine.containers.get(values[0]!).record.Created;
        if (key === "before" ? !(r.Created < other) : !(r.Created > other)) return false;
        break;
      }
      case "volume":
        if (!any((x) => r.Mounts.some((m) => m.Name === x || m.Source === x || m.Destination === x))) return false;
        break;
      case "network":
        if (!any((x) => engine.network.networkNames(r).includes(x) || r.HostConfig.NetworkMode === x || Object.values(r.NetworkSettings?.Networks ?? {}).some((e) => Boolean(e.NetworkID?.startsWith(x))))) return false;
        break;
      case "health":
        if (!any((x) => x === healthFilterValue(healthOf(engine, v)))) return false;
        break;
      case "publish":
      case "expose":
        if (!any((x) => Object.keys(key === "publish" ? r.HostConfig.PortBindings : r.Config.ExposedPorts).some((p) => p === x || p === `${x}/tcp`))) return false;
        break;
    }
  }
  return true;
}

function healthOf(engine: Engine, v: ContainerView) {
  return readHealth(engine.containers.store.dir(v.record.Id), v.record);
}

/** Docker's label filter: "k" (present) or "k=v" (equal). */
export function labelMatches(labels: Record<string, string> | null | undefined, filter: string): boolean {
  const eq = filter.indexOf("=");
  const k = eq < 0 ? filter : filter.slice(0, eq);
  return labels != null && k in labels && (eq < 0 || labels[k] === filter.slice(eq + 1));
}

/** The name a container was created from, while that name still means its image; else the short image id (as the daemon answers). */
function imageName(engine: Engine, v: ContainerView): string {
  try {
    if (engine.images.resolve(v.record.ImageName).id === v.record.Image) {
      try {
        const ref = parseReference(v.record.ImageName);
        return ref.tag === "latest" && !/:latest$/.test(v.record.ImageName) ? ref.familiarName() : v.record.ImageName;
      } catch {
        return v.record.ImageName;
      }
    }
  } catch {
    /* untagged since */
  }
  return shortId(v.record.Image);
}

const millis = (s: string) => (s && !s.startsWith("0001-") ? Date.parse(s) : 0);

function summary(engine: Engine, v: ContainerView, size: boolean): ContainerSummary {
  const r = v.record;
  const ports: PortSummary[] = [];
  for (const [key, bindings] of Object.entries(engine.network.publishedPorts(r))) {
    const [port = "", type = "tcp"] = key.split("/");
    if (!bindings?.length) ports.push({ PrivatePort: Number(port), Type: type });
    else for (const b of bindings) ports.push({ IP: b.HostIp || "0.0.0.0", PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  const settings = engine.network.settings(r) as { Networks: Record<string, unknown> };
  return {
    Id: r.Id,
    Names: [`/${r.Name}`],
    Image: imageName(engine, v),
    ImageID: r.Image,
    Command: containerCommand(r.Path, r.Args),
    Created: Math.floor(Date.parse(r.Created) / 1000),
    Ports: ports,
    ...(size ? containerSizes(engine, r) : {}),
    Labels: r.Config.Labels,
    State: v.state.Status,
    Status: containerStatus({
      running: v.state.Running,
      paused: v.state.Paused,
      restarting: v.state.Restarting,
      dead: v.state.Dead,
      exitCode: v.state.ExitCode,
      startedAt: millis(v.state.StartedAt),
      finishedAt: millis(v.state.FinishedAt),
      health: v.state.Running ? healthOf(engine, v)?.Status : undefined,
    }),
    HostConfig: { NetworkMode: r.HostConfig.NetworkMode },
    NetworkSettings: { Networks: settings.Networks },
    Mounts: r.Mounts.map((m) => ({
      Type: m.Type,
      ...(m.Name ? { Name: m.Name } : {}),
      Source: m.Source,
      Destination: m.Destination,
      ...(m.Type === "volume" ? { Driver: "local" } : {}),
      Mode: m.Options.join(","),
      RW: !m.ReadOnly,
      Propagation: m.Type === "bind" ? "rprivate" : "",
    })),
  };
}

/** Docker's SizeRw (the container's own changes) and SizeRootFs (those and its image). */
export function containerSizes(engine: Engine, r: ContainerRecord): { SizeRw: number; SizeRootFs: number } {
  const upper = treeSize(join(engine.containers.store.dir(r.Id), "upper"));
  return { SizeRw: upper, SizeRootFs: upper + imageSize(engine, r.Image) };
}

function imageSize(engine: Engine, id: string): number {
  try {
    return engine.images.load(id).size;
  } catch {
    return 0;
  }
}
