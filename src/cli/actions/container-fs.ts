import { spawnSync } from "node:child_process";
import { asSkiffError, InvalidArgumentError, SkiffError } from "../../errors.js";
import { relay, parseDetachKeys } from "../../container/attach.js";
import { containerPids } from "../../container/service.js";
import { ExitCode, type CliContext } from "../context.js";
import { bytesSize, formatList, humanSize, renderTable } from "../../gotext/index.js";

// exec, top, port, stats — the commands that look into a running container.

type Opts = Record<string, unknown>;

export async function execCommand(ctx: CliContext, container: string, command: string[], o: Opts): Promise<void> {
  ctx.errorExitCode = 126;
  const engine = await ctx.engine();
  if (o.tty && o.interactive && !process.stdin.isTTY) throw new InvalidArgumentError("the input device is not a TTY", "drop -t, or run it from a terminal");
  const launched = await engine.containers.exec(container, {
    cmd: command,
    env: (o.env as string[]) ?? [],
    envFile: (o.envFile as string[]) ?? [],
    workdir: o.workdir as string | undefined,
    user: o.user as string | undefined,
    tty: Boolean(o.tty),
    interactive: Boolean(o.interactive),
    detach: Boolean(o.detach),
    privileged: Boolean(o.privileged),
  });
  if (o.detach) return;
  const raw = Boolean(o.tty && o.interactive && process.stdin.isTTY);
  if (raw) process.stdin.setRawMode(true);
  try {
    const end = await relay(launched.attach!, {
      stdin: o.interactive ? process.stdin : undefined,
      stdout: process.stdout,
      stderr: process.stderr,
      tty: Boolean(o.tty),
      detachKeys: parseDetachKeys(o.detachKeys as string | undefined),
      size: () => (process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined),
      onResize: (fn) => {
        process.stdout.on("resize", fn);
        return () => process.stdout.off("resize", fn);
      },
    });
    if (end.kind === "exit") throw new ExitCode(end.code);
  } finally {
    if (raw) process.stdin.setRawMode(false);
    launched.attach!.destroy();
  }
}

/** `top`: the host's `ps` (default -ef), keeping only the container's processes, as Docker does. */
export async function topCommand(ctx: CliContext, container: string, psArgs: string[]): Promise<void> {
  const engine = await ctx.engine();
  const view = engine.containers.get(container);
  if (!view.state.Running) throw new SkiffError(`container ${view.record.Id} is not running`);
  const pids = new Set(containerPids(view.state.Pid));
  const args = psArgs.length ? psArgs : ["-ef"];
  const r = spawnSync("ps", args, { encoding: "utf8" });
  if (r.status !== 0) throw new SkiffError(`ps ${args.join(" ")} failed: ${r.stderr.trim()}`);
  const lines = r.stdout.trimEnd().split("\n");
  const header = lines[0]!.trim().split(/\s+/);
  const pidCol = header.indexOf("PID");
  if (pidCol < 0) throw new SkiffError(`Couldn't find PID field in ps output`);
  const rows: string[][] = [];
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/);
    if (!pids.has(Number(f[pidCol]))) continue;
    // The last column (the command) may contain spaces.
    rows.push([...f.slice(0, header.length - 1), f.slice(header.length - 1).join(" ")]);
  }
  process.stdout.write(renderTable(header, rows));
}

export async function portCommand(ctx: CliContext, container: string, privatePort?: string): Promise<void> {
  const engine = await ctx.engine();
  const view = engine.containers.get(container);
  const ports = engine.publishedPorts(view.record.Id);
  if (privatePort) {
    const key = privatePort.includes("/") ? privatePort : `${privatePort}/tcp`;
    const b = ports[key];
    if (!b || b.length === 0) throw new SkiffError(`No public port '${key}' published for ${container}`);
    for (const x of b) process.stdout.write(`${x.HostIp || "0.0.0.0"}:${x.HostPort}\n`);
    return;
  }
  const lines: string[] = [];
  for (const [port, bindings] of Object.entries(ports)) for (const b of bindings ?? []) lines.push(`${port} -> ${b.HostIp || "0.0.0.0"}:${b.HostPort}`);
  // Docker sorts the lines in natural order ("80/tcp" before "443/tcp").
  for (const l of lines.sort(naturalCompare)) process.stdout.write(`${l}\n`);
}

/** Natural order: runs of digits compare as numbers, the rest byte by byte. */
export function naturalCompare(a: string, b: string): number {
  const split = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p === q) continue;
    const numeric = /^\d/.test(p) && /^\d/.test(q);
    if (numeric && Number(p) !== Number(q)) return Number(p) - Number(q);
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

/** `stats`: read from /proc where no cgroup is delegated (src/container/stats.ts); "--" where nothing can tell. */
export async function statsCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const { measureStats } = await import("../../container/stats.js");
  const trunc = o.trunc !== false;
  const pick = () => (names.length ? names.map((n) => engine.containers.get(n)) : engine.containers.list().filter((v) => o.all || v.state.Running));
  const pct = (n: number) => `${n.toFixed(2)}%`;
  const render = async (intervalMs: number) => {
    const stats = await measureStats(pick(), intervalMs);
    const rows = stats.map((s) => {
      const id = trunc ? s.view.record.Id.slice(0, 12) : s.view.record.Id;
      const up = s.view.state.Running;
      return {
        Container: names.length ? names[stats.indexOf(s)]! : id,
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
  const engine = await ctx.engine();
  for (const c of await engine.containers.changes(container)) process.stdout.write(`${c.kind} ${c.path}\n`);
}

export async function exportCommand(ctx: CliContext, container: string, o: Opts): Promise<void> {
  await ctx.enterNamespace();
  const engine = await ctx.engine();
  if (!o.output && process.stdout.isTTY) throw new SkiffError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  await engine.exportContainer(container, (o.output as string | undefined) ?? process.stdout);
}

export async function cpCommand(ctx: CliContext, src: string, dest: string, o: Opts): Promise<void> {
  await ctx.enterNamespace();
  const engine = await ctx.engine();
  try {
    await engine.copy(src, dest, { archive: Boolean(o.archive), followLink: Boolean(o.followLink) });
  } catch (e) {
    throw asSkiffError(e);
  }
}
