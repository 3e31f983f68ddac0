import type { Engine } from "../../engine/engine.js";
import { treeSize } from "../../store/tree-size.js";
import { InvalidArgumentError } from "../../errors.js";
import { parseReference } from "../../image/reference.js";
import type { ContainerView } from "../../container/service.js";
import type { CliContext } from "../context.js";
import { ago, commandColumn, containerCommand, containerStatus, goTimeString, humanSize } from "../format/index.js";
import { printList } from "../output.js";
import { parseFilters } from "../options.js";
import { displayablePorts } from "../../network/display.js";
import { join } from "node:path";
import { shortId } from "../../digest.js";

// `ps`: Docker's columns, filters and formats.

const HEADERS = {
  ID: "CONTAINER ID",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Ports: "PORTS",
  State: "STATE",
  Status: "STATUS",
  Size: "SIZE",
  Names: "NAMES",
  Labels: "LABELS",
  Mounts: "MOUNTS",
  Networks: "NETWORKS",
  LocalVolumes: "LOCAL VOLUMES",
};

const t = (s: string) => (s && !s.startsWith("0001-") ? Date.parse(s) : 0);

/** Docker's PORTS column: "53/udp, 0.0.0.0:8080->80/tcp". */
export function portsColumn(engine: Engine, v: ContainerView): string {
  return displayablePorts(engine.publishedPorts(v.record.Id));
}

function matches(engine: Engine, v: ContainerView, filters: Map<string, string[]>): boolean {
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
        for (const x of values)
          if (!["created", "restarting", "running", "removing", "paused", "exited", "dead"].includes(x))
            throw new InvalidArgumentError(`invalid filter 'status=${x}'`);
        if (!any((x) => x === v.state.Status)) return false;
        break;
      case "exited":
        if (v.state.Status !== "exited" || !any((x) => Number(x) === v.state.ExitCode)) return false;
        break;
      case "label":
        if (!values.every((x) => {
          const [k, val] = x.split("=", 2);
          return k! in r.Config.Labels && (val === undefined || r.Config.Labels[k!] === val);
        })) return false;
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
      case "publish":
      case "expose":
        if (!any((x) => Object.keys(key === "publish" ? r.HostConfig.PortBindings : r.Config.ExposedPorts).some((p) => p === x || p === `${x}/tcp`))) return false;
        break;
    }
  }
  return true;
}

function imageColumn(engine: Engine, v: ContainerView): string {
  // The name it was created from, while that name still means the same image.
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

export async function psCommand(ctx: CliContext, o: Record<string, unknown>): Promise<void> {
  const engine = await ctx.engine();
  const filters = parseFilters((o.filter as string[]) ?? [], ["id", "name", "label", "exited", "status", "ancestor", "before", "since", "volume", "network", "publish", "expose", "health", "isolation", "is-task"]);
  let list = engine.containers.list();
  const last = o.latest ? 1 : (o.last as number | undefined);
  if (last !== undefined && last >= 0) list = list.slice(0, last);
  else if (!o.all && !filters.has("status") && !filters.has("exited")) list = list.filter((v) => v.state.Running);
  list = list.filter((v) => matches(engine, v, filters));
  const trunc = o.trunc !== false;
  const rows = list.map((v) => {
    const r = v.record;
    const created = new Date(r.Created);
    const upper = o.size ? treeSize(join(engine.containers.store.dir(r.Id), "upper")) : 0;
    return {
      ID: trunc ? r.Id.slice(0, 12) : r.Id,
      Image: imageColumn(engine, v),
      Command: commandColumn(containerCommand(r.Path, r.Args), trunc),
      CreatedAt: goTimeString(created),
      RunningFor: ago(created),
      Ports: portsColumn(engine, v),
      State: v.state.Status,
      Status: containerStatus({
        running: v.state.Running,
        paused: v.state.Paused,
        restarting: v.state.Restarting,
        dead: v.state.Dead,
        exitCode: v.state.ExitCode,
        startedAt: t(v.state.StartedAt),
        finishedAt: t(v.state.FinishedAt),
      }),
      Size: o.size ? `${humanSize(upper)} (virtual ${humanSize(upper + safeImageSize(engine, r.Image))})` : "",
      Names: r.Name,
      Labels: Object.entries(r.Config.Labels).map(([k, val]) => `${k}=${val}`).join(","),
      Mounts: r.Mounts.map((m) => m.Name || m.Source).join(","),
      Networks: engine.network.networkNames(r).join(","),
      LocalVolumes: String(r.Mounts.filter((m) => m.Type === "volume").length),
    };
  });
  if (o.quiet) {
    for (const r of rows) process.stdout.write(`${r.ID}\n`);
    return;
  }
  const defaultFormat = `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}${o.size ? "\t{{.Size}}" : ""}`;
  printList(rows, { format: o.format as string | undefined, defaultFormat, headers: HEADERS, rowType: "formatter.ContainerContext" });
}

function safeImageSize(engine: Engine, id: string): number {
  try {
    return engine.images.load(id).size;
  } catch {
    return 0;
  }
}
