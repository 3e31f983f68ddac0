import { writeFileSync } from "node:fs";
import type { Duplex } from "node:stream";
import type { Engine } from "../../engine/engine.js";
import { asSkiffError, InvalidArgumentError } from "../../errors.js";
import { parseDetachKeys, relay, type AttachEnd } from "../../container/attach.js";
import { bodyFromFlags, parseBytes, parseRestart, type CreateFlags } from "../../container/create-flags.js";
import { healthFromFlags } from "../../container/health.js";
import { attachContainer } from "../../engine/attach.js";
import { createContainer } from "../../engine/create.js";
import { inspectAny, inspectContainer } from "../../engine/inspect.js";
import {
  killContainer, pauseContainer, removeContainer, renameContainer, restartContainer, signalProcess, startContainer, stopContainer, unpauseContainer, waitContainer,
} from "../../engine/lifecycle.js";
import { logText, openLogs } from "../../engine/logs.js";
import { pruneContainers } from "../../engine/prune.js";
import { updateContainer } from "../../engine/update.js";
import { humanSize } from "../../gotext/index.js";
import { ExitCode, type CliContext } from "../context.js";
import { confirm, printInspect } from "../output.js";
import { ProgressPrinter } from "../progress.js";

// The container commands: flags to an engine verb, its answer printed in
// Docker's words (and exit codes).

type Opts = Record<string, unknown>;

function flags(image: string, command: string[], o: Opts): CreateFlags {
  return {
    image,
    command,
    name: o.name as string | undefined,
    env: o.env as string[],
    envFile: o.envFile as string[],
    workdir: o.workdir as string | undefined,
    user: o.user as string | undefined,
    groupAdd: o.groupAdd as string[],
    entrypoint: o.entrypoint as string | undefined,
    hostname: o.hostname as string | undefined,
    domainname: o.domainname as string | undefined,
    readOnly: o.readOnly as boolean | undefined,
    tmpfs: o.tmpfs as string[],
    ulimit: o.ulimit as string[],
    init: o.init as boolean | undefined,
    stopSignal: o.stopSignal as string | undefined,
    stopTimeout: o.stopTimeout as number | undefined,
    label: o.label as string[],
    labelFile: o.labelFile as string[],
    restart: (o.restart as string) ?? "no",
    memory: o.memory as string | undefined,
    cpus: o.cpus as string | undefined,
    pidsLimit: o.pidsLimit as string | undefined,
    interactive: o.interactive as boolean | undefined,
    tty: o.tty as boolean | undefined,
    rm: o.rm as boolean | undefined,
    volume: o.volume as string[],
    mount: o.mount as string[],
    volumesFrom: o.volumesFrom as string[],
    network: [...((o.network as string[] | undefined) ?? []), ...((o.net as string[] | undefined) ?? [])][0],
    networks: [...((o.network as string[] | undefined) ?? []), ...((o.net as string[] | undefined) ?? [])],
    networkAlias: [...((o.networkAlias as string[] | undefined) ?? []), ...((o.netAlias as string[] | undefined) ?? [])],
    ip: o.ip as string | undefined,
    link: o.link as string[] | undefined,
    publish: o.publish as string[],
    publishAll: o.publishAll as boolean | undefined,
    expose: o.expose as string[],
    dns: o.dns as string[],
    dnsSearch: o.dnsSearch as string[],
    dnsOption: [...(o.dnsOption as string[]), ...((o.dnsOpt as string[] | undefined) ?? [])],
    addHost: o.addHost as string[],
    macAddress: o.macAddress as string | undefined,
    capAdd: o.capAdd as string[],
    capDrop: o.capDrop as string[],
    privileged: o.privileged as boolean | undefined,
    platform: o.platform as string | undefined,
    healthcheck: healthFromFlags({
      cmd: o.healthCmd as string | undefined,
      interval: o.healthInterval as string | undefined,
      timeout: o.healthTimeout as string | undefined,
      retries: o.healthRetries as string | undefined,
      startPeriod: o.healthStartPeriod as string | undefined,
      startInterval: o.healthStartInterval as string | undefined,
      noHealthcheck: o.healthcheck === false,
    }),
  };
}

/** create, and run's first half: a pull's progress and the warnings on stderr, as the docker CLI prints them. */
async function create(ctx: CliContext, image: string, command: string[], o: Opts): Promise<{ engine: Engine; id: string }> {
  ctx.errorExitCode = 125;
  const engine = await ctx.engine();
  const printer = new ProgressPrinter(process.stderr, Boolean(process.stderr.isTTY));
  const f = flags(image, command, o);
  const created = await createContainer(engine, { body: bodyFromFlags(f), name: f.name, platform: f.platform }, { pull: (o.pull as string) ?? "missing", progress: o.quiet ? () => {} : printer.event });
  for (const w of created.warnings) process.stderr.write(`WARNING: ${w}\n`);
  if (o.cidfile) writeFileSync(o.cidfile as string, created.id);
  return { engine, id: created.id };
}

export async function createCommand(ctx: CliContext, image: string, command: string[], o: Opts): Promise<void> {
  const { id } = await create(ctx, image, command, o);
  process.stdout.write(`${id}\n`);
}

/** Stay attached to a started container until it exits (or we detach); returns how it ended. */
async function attachTo(engine: Engine, id: string, conn: Duplex, o: { tty: boolean; stdin: boolean; detachKeys?: string; sigProxy: boolean }): Promise<AttachEnd> {
  const stdin = o.stdin ? process.stdin : undefined;
  const raw = o.tty && stdin && process.stdin.isTTY;
  if (raw) process.stdin.setRawMode(true);
  const proxied: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
  const forward = (sig: NodeJS.Signals) => signalProcess(engine, id, sig);
  const handlers = proxied.map((s) => [s, () => forward(s)] as const);
  if (o.sigProxy && !o.tty) for (const [s, h] of handlers) process.on(s, h);
  try {
    return await relay(conn, {
      stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      tty: o.tty,
      detachKeys: parseDetachKeys(o.detachKeys),
      size: () => (process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined),
      onResize: (fn) => {
        process.stdout.on("resize", fn);
        return () => process.stdout.off("resize", fn);
      },
    });
  } finally {
    if (raw) process.stdin.setRawMode(false);
    for (const [s, h] of handlers) process.off(s, h);
    conn.destroy();
  }
}

export async function runCommand(ctx: CliContext, image: string, command: string[], o: Opts): Promise<void> {
  const { engine, id } = await create(ctx, image, command, o);
  if (o.detach) {
    await startContainer(engine, id);
    process.stdout.write(`${id}\n`);
    return;
  }
  if (o.tty && o.interactive && !process.stdin.isTTY) {
    await removeContainer(engine, id, { force: true }).catch(() => {});
    throw new InvalidArgumentError("the input device is not a TTY", "drop -t, or run it from a terminal");
  }
  const started = await startContainer(engine, id, { attach: true });
  const end = await attachTo(engine, id, started.attach!, { tty: started.record.Config.Tty, stdin: Boolean(o.interactive), detachKeys: o.detachKeys as string | undefined, sigProxy: o.sigProxy !== false });
  if (end.kind === "detached") {
    process.stderr.write("\nread escape sequence\n");
    return;
  }
  const code = end.kind === "exit" ? end.code : (await waitContainer(engine, id)).exitCode;
  // The monitor removes an --rm container right after the exit: return once it is gone, as `docker run --rm` does.
  if (started.record.HostConfig.AutoRemove) await waitContainer(engine, id, "removed", AbortSignal.timeout(5000)).catch(() => {});
  throw new ExitCode(code);
}

/** Run `fn` on each argument, printing Docker's per-item errors; exit 1 if any failed. */
async function each(names: string[], fn: (name: string) => Promise<string | void>, print = true): Promise<void> {
  let failed = false;
  for (const n of names) {
    try {
      const out = await fn(n);
      if (print) process.stdout.write(`${out ?? n}\n`);
    } catch (e) {
      failed = true;
      process.stderr.write(`Error response from daemon: ${asSkiffError(e).message}\n`);
    }
  }
  if (failed) throw new ExitCode(1);
}

export async function startCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  if (o.attach || o.interactive) {
    if (names.length > 1) throw new InvalidArgumentError("you cannot start and attach multiple containers at once");
    const started = await startContainer(engine, names[0]!, { attach: true });
    const end = await attachTo(engine, started.record.Id, started.attach!, { tty: started.record.Config.Tty, stdin: Boolean(o.interactive), detachKeys: o.detachKeys as string | undefined, sigProxy: true });
    if (end.kind === "exit") throw new ExitCode(end.code);
    return;
  }
  await each(names, async (n) => {
    await startContainer(engine, n);
  });
}

export async function stopCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await stopContainer(engine, n, { timeout: o.time as number | undefined, signal: o.signal as string | undefined });
  });
}

export async function restartCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await each(names, (n) => restartContainer(engine, n, { timeout: o.time as number | undefined, signal: o.signal as string | undefined }));
}

export async function killCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await killContainer(engine, n, o.signal as string);
  });
}

export async function rmCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await removeContainer(engine, n, { force: Boolean(o.force), volumes: Boolean(o.volumes) });
  });
}

export async function waitCommand(ctx: CliContext, names: string[]): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => String((await waitContainer(engine, n)).exitCode));
}

export async function pauseCommand(ctx: CliContext, names: string[]): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await pauseContainer(engine, n);
  });
}

export async function unpauseCommand(ctx: CliContext, names: string[]): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await unpauseContainer(engine, n);
  });
}

export async function renameCommand(ctx: CliContext, container: string, newName: string): Promise<void> {
  renameContainer(await ctx.engine(), container, newName);
}

/** `update`: each name updated, then the warnings (limits that cannot apply), on stdout as the docker CLI prints them. */
export async function updateCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const resources = {
    Memory: o.memory ? parseBytes(o.memory as string) : 0,
    NanoCpus: o.cpus ? Math.round(Number(o.cpus) * 1e9) : 0,
    PidsLimit: o.pidsLimit ? Number(o.pidsLimit) : 0,
  };
  const restart = o.restart === undefined ? undefined : parseRestart(o.restart as string);
  const warnings: string[] = [];
  try {
    await each(names, async (n) => {
      warnings.push(...updateContainer(engine, n, { RestartPolicy: restart, resources }).warnings);
    });
  } finally {
    if (warnings.length) process.stdout.write(`${warnings.join("\n")}\n`);
  }
}

export async function logsCommand(ctx: CliContext, name: string, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const logs = openLogs(engine, name, { since: o.since as string | undefined, until: o.until as string | undefined, tail: o.tail as string | undefined, follow: Boolean(o.follow) });
  await logs.read((e) => {
    (e.stream === "stderr" ? process.stderr : process.stdout).write(logText(e, Boolean(o.timestamps)));
  });
}

export async function attachCommand(ctx: CliContext, name: string, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const a = await attachContainer(engine, name);
  const end = await attachTo(engine, a.id, a.conn, { tty: a.tty, stdin: o.stdin !== false && a.openStdin, detachKeys: o.detachKeys as string | undefined, sigProxy: o.sigProxy !== false });
  if (end.kind === "exit") throw new ExitCode(end.code);
  if (end.kind === "detached") process.stderr.write("\nread escape sequence\n");
}

/** Inspect each name with `lookup`, print the array (or the template per item); exit 1 if any was missing. */
async function inspectEach(names: string[], lookup: (name: string) => unknown, format?: string): Promise<void> {
  const items: unknown[] = [];
  let failed = false;
  for (const n of names) {
    try {
      items.push(lookup(n));
    } catch (e) {
      failed = true;
      process.stderr.write(`Error: ${asSkiffError(e).message}\n`);
    }
  }
  printInspect(items, format);
  if (failed) throw new ExitCode(1);
}

export async function containerInspectCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await inspectEach(names, (n) => inspectContainer(engine, n, { size: Boolean(o.size) }), o.format as string | undefined);
}

/** `inspect`: containers, then images, then volumes, as Docker looks them up. */
export async function inspectCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await inspectEach(names, (n) => inspectAny(engine, n, o.type as string | undefined), o.format as string | undefined);
}

export async function containerPruneCommand(ctx: CliContext, o: Opts): Promise<void> {
  if (!o.force) {
    process.stdout.write("WARNING! This will remove all stopped containers.\n");
    if (!(await confirm("Are you sure you want to continue?"))) return;
  }
  const engine = await ctx.engine();
  const r = await pruneContainers(engine);
  if (r.removed.length) process.stdout.write(`Deleted Containers:\n${r.removed.join("\n")}\n\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
}

export { psCommand } from "./ps.js";
export { execCommand } from "./exec.js";
export { topCommand, portCommand, statsCommand, diffCommand } from "./container-info.js";
export { cpCommand, exportCommand } from "./container-files.js";
