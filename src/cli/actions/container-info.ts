import { containerChanges } from "../../engine/container-files.js";
import { containerPort, containerPorts } from "../../engine/ports.js";
import { containerStats } from "../../engine/stats.js";
import { containerTop } from "../../engine/top.js";
import { bytesSize, formatList, humanSize, renderTable } from "../../gotext/index.js";
import { naturalCompare } from "../../gotext/natural-order.js";
import type { CliContext } from "../context.js";

// top, port, stats and diff: what a container runs, publishes, uses and changed.

type Opts = Record<string, unknown>;

export async function topCommand(ctx: CliContext, container: string, psArgs: string[]): Promise<void> {
  const top = containerTop(await ctx.engine(), container, psArgs);
  process.stdout.write(renderTable(top.Titles, top.Processes));
}

export async function portCommand(ctx: CliContext, container: string, privatePort?: string): Promise<void> {
  const engine = await ctx.engine();
  if (privatePort) {
    for (const x of containerPort(engine, container, privatePort)) process.stdout.write(`${x.HostIp || "0.0.0.0"}:${x.HostPort}\n`);
    return;
  }
  const lines: string[] = [];
  for (const [port, bindings] of Object.entries(containerPorts(engine, container))) for (const b of bindings ?? []) lines.push(`${port} -> ${b.HostIp || "0.0.0.0"}:${b.HostPort}`);
  // Docker sorts the lines in natural order ("80/tcp" before "443/tcp").
  for (const l of lines.sort(naturalCompare)) process.stdout.write(`${l}\n`);
}

/** `stats`: "--" where nothing can tell (no delegated cgroup: see src/container/stats.ts). */
export async function statsCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const trunc = o.trunc !== false;
  const pct = (n: number) => `${n.toFixed(2)}%`;
  const render = async (intervalMs: number) => {
    const stats = await containerStats(engine, { names, all: Boolean(o.all), intervalMs });
    const rows = stats.map((s, i) => {
      const id = trunc ? s.view.record.Id.slice(0, 12) : s.view.record.Id;
      const up = s.view.state.Running;
      return {
        Container: names.length ? names[i]! : id,
        ID: id,
        Name: s.view.record.Name,
        CPUPerc: up ? pct(s.cpuPercent) : "--",
        MemUsage: up ? `${bytesSize(s.memoryBytes)} / ${bytesSize(s.memoryLimitBytes)}` : "-- / --",
        MemPerc: up && s.memoryLimitBytes ? pct((s.memoryBytes / s.memoryLimitBytes) * 100) : "--",
        NetIO: s.netIO ? `${humanSize(s.netIO.rx)} / ${humanSize(s.netIO.tx)}` : "--",
        BlockIO: s.blockIO ? `${humanSize(s.blockIO.read)} / ${humanSize(s.blockIO.write)}` : "--",
        PIDs: up ? String(s.pids) : "--",
      };
    });
    return formatList(rows, {
      format: o.format as string | undefined,
      defaultFormat: "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
      headers: { Container: "CONTAINER", ID: "CONTAINER ID", Name: "NAME", CPUPerc: "CPU %", MemUsage: "MEM USAGE / LIMIT", MemPerc: "MEM %", NetIO: "NET I/O", BlockIO: "BLOCK I/O", PIDs: "PIDS" },
      rowType: "formatter.containerStatsContext",
    });
  };
  if (o.stream === false) {
    process.stdout.write(await render(500));
    return;
  }
  // Streaming, as Docker: a fresh reading every second until interrupted, the screen cleared between them on a terminal.
  for (;;) {
    const text = await render(1000);
    process.stdout.write(process.stdout.isTTY ? `\x1b[2J\x1b[H${text}` : text);
  }
}

export async function diffCommand(ctx: CliContext, container: string): Promise<void> {
  await ctx.enterNamespace();
  for (const c of await containerChanges(await ctx.engine(), container)) process.stdout.write(`${c.kind} ${c.path}\n`);
}
