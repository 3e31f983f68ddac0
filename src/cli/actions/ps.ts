import { parseFilterFlags } from "../../engine/filters.js";
import { listContainers, type ContainerSummary } from "../../engine/list-containers.js";
import { displayablePorts } from "../../network/display.js";
import type { CliContext } from "../context.js";
import { ago, commandColumn, goTimeString, humanSize } from "../../gotext/index.js";
import { printList } from "../output.js";

// `ps`: the daemon's container summaries in the docker CLI's columns and
// formats (cli/command/formatter/container.go).

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

/** The summary's port list as NetworkSettings.Ports, which the PORTS column is drawn from. */
function portMap(c: ContainerSummary): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const p of c.Ports) {
    const key = `${p.PrivatePort}/${p.Type}`;
    if (p.PublicPort === undefined) out[key] ??= null;
    else (out[key] ??= []).push({ HostIp: p.IP ?? "", HostPort: String(p.PublicPort) });
  }
  return out;
}

export async function psCommand(ctx: CliContext, o: Record<string, unknown>): Promise<void> {
  const engine = await ctx.engine();
  const list = listContainers(engine, {
    all: Boolean(o.all),
    limit: o.latest ? 1 : (o.last as number | undefined),
    size: Boolean(o.size),
    filters: parseFilterFlags((o.filter as string[]) ?? []),
  });
  const trunc = o.trunc !== false;
  const rows = list.map((c) => {
    const created = new Date(c.Created * 1000);
    return {
      ID: trunc ? c.Id.slice(0, 12) : c.Id,
      Image: c.Image,
      Command: commandColumn(c.Command, trunc),
      CreatedAt: goTimeString(created),
      RunningFor: ago(created),
      Ports: displayablePorts(portMap(c)),
      State: c.State,
      Status: c.Status,
      Size: o.size ? `${humanSize(c.SizeRw ?? 0)} (virtual ${humanSize(c.SizeRootFs ?? 0)})` : "",
      Names: c.Names.map((n) => n.replace(/^\//, "")).join(","),
      Labels: Object.entries(c.Labels).map(([k, val]) => `${k}=${val}`).join(","),
      Mounts: c.Mounts.map((m) => m.Name || m.Source).join(","),
      Networks: Object.keys(c.NetworkSettings.Networks).join(","),
      LocalVolumes: String(c.Mounts.filter((m) => m.Type === "volume").length),
    };
  });
  if (o.quiet) {
    for (const r of rows) process.stdout.write(`${r.ID}\n`);
    return;
  }
  const defaultFormat = `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}${o.size ? "\t{{.Size}}" : ""}`;
  printList(rows, { format: o.format as string | undefined, defaultFormat, headers: HEADERS, rowType: "formatter.ContainerContext" });
}
