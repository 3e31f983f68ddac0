import { existsSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Duplex } from "node:stream";
import type { Engine } from "../../engine/engine.js";
import { asSkiffError, InvalidArgumentError } from "../../errors.js";
import { parseDetachKeys, relay, type AttachEnd } from "../../container/attach.js";
import type { CreateRequest } from "../../container/create.js";
import { streamLogs, parseLogTime } from "../../container/logs.js";
import type { ContainerView } from "../../container/service.js";
import { waitFor } from "../../container/signals.js";
import { containerInspect } from "../../container/inspect.js";
import { ExitCode, type CliContext } from "../context.js";
import { printInspect, confirm } from "../output.js";

// What the container commands do and print (Docker's messages and codes).

type Opts = Record<string, unknown>;

function request(image: string, command: string[], o: Opts): CreateRequest {
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
  };
}

async function createContainer(ctx: CliContext, image: string, command: string[], o: Opts) {
  ctx.errorExitCode = 125;
  const engine = await ctx.engine();
  const req = request(image, command, o);
  await engine.ensureImage(req.image, { pull: (o.pull as string) ?? "missing", platform: req.platform, quiet: Boolean(o.quiet) });
  // Docker's words for -p/-P with the host's network, where nothing is forwarded.
  const hostPorts = req.network === "host" && (req.publish.length > 0 || req.publishAll) ? "Published ports are discarded when using host network mode" : undefined;
  const warnings = [engine.storageDriverWarning(), ...engine.resourceWarnings(req), hostPorts].filter((w): w is string => Boolean(w));
  for (const w of warnings) process.stderr.write(`WARNING: ${w}\n`);
  const record = await engine.containers.create(req, engine.storageDriver);
  try {
    // Its volumes exist from creation on (and --volumes-from names real containers), as in Docker.
    engine.volumes.prepare(record);
  } catch (e) {
    await engine.containers.remove(record.Id, { force: true }).catch(() => {});
    throw e;
  }
  if (o.cidfile) writeFileSync(o.cidfile as string, record.Id);
  return { engine, record };
}

export async function createCommand(ctx: CliContext, image: string, command: string[], o: Opts): Promise<void> {
  const { record } = await createContainer(ctx, image, command, o);
  process.stdout.write(`${record.Id}\n`);
}

/** Stay attached to a started container until it exits (or we detach); returns its exit code. */
async function attachTo(engine: Engine, view: ContainerView, conn: Duplex, o: { stdin: boolean; detachKeys?: string; sigProxy: boolean }): Promise<AttachEnd> {
  const tty = view.record.Config.Tty;
  const stdin = o.stdin ? process.stdin : undefined;
  const raw = tty && stdin && process.stdin.isTTY;
  if (raw) process.stdin.setRawMode(true);
  const proxied: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
  const forward = (sig: NodeJS.Signals) => {
    try {
      const pid = engine.containers.view(view.record.Id).state.Pid;
      if (pid) process.kill(pid, sig);
    } catch {
      /* gone */
    }
  };
  const handlers = proxied.map((s) => [s, () => forward(s)] as const);
  if (o.sigProxy && !tty) for (const [s, h] of handlers) process.on(s, h);
  try {
    return await relay(conn, {
      stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      tty,
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
  const { engine, record } = await createContainer(ctx, image, command, o);
  if (o.detach) {
    await engine.containers.start(record.Id);
    process.stdout.write(`${record.Id}\n`);
    return;
  }
  if (o.tty && o.interactive && !process.stdin.isTTY) {
    await engine.containers.remove(record.Id, { force: true }).catch(() => {});
    throw new InvalidArgumentError("the input device is not a TTY", "drop -t, or run it from a terminal");
  }
  const started = await engine.containers.start(record.Id, { attach: true });
  const end = await attachTo(engine, started, started.attach!, { stdin: Boolean(o.interactive), detachKeys: o.detachKeys as string | undefined, sigProxy: o.sigProxy !== false });
  if (end.kind === "detached") {
    process.stderr.write("\nread escape sequence\n");
    return;
  }
  const code = end.kind === "exit" ? end.code : await engine.containers.wait(record.Id);
  if (record.HostConfig.AutoRemove) {
    // The monitor removes it right after the exit: return once it is gone, as `docker run --rm` does.
    // Woken by the removal itself (a watch on the containers directory), not a polling step.
    const dir = engine.containers.store.dir(record.Id);
    const deadline = Date.now() + 5000;
    while (existsSync(dir) && Date.now() < deadline) await waitFor(dirname(dir), 50);
  }
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
    const started = await engine.containers.start(names[0]!, { attach: true });
    const end = await attachTo(engine, started, started.attach!, { stdin: Boolean(o.interactive), detachKeys: o.detachKeys as string | undefined, sigProxy: true });
    if (end.kind === "exit") throw new ExitCode(end.code);
    return;
  }
  await each(names, async (n) => {
    await engine.containers.start(n);
  });
}

export async function stopCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await engine.containers.stop(n, { timeout: o.time as number | undefined, signal: o.signal as string | undefined });
  });
}

export async function restartCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await engine.containers.stop(n, { timeout: o.time as number | undefined, signal: o.signal as string | undefined });
    await engine.containers.start(n);
  });
}

export async function killCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await engine.containers.kill(n, o.signal as string);
  });
}

export async function rmCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await engine.containers.remove(n, { force: Boolean(o.force), volumes: Boolean(o.volumes) });
  });
}

export async function waitCommand(ctx: CliContext, names: string[]): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => String(await engine.containers.wait(n)));
}

export async function pauseCommand(ctx: CliContext, names: string[]): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await engine.containers.pause(n);
  });
}

export async function unpauseCommand(ctx: CliContext, names: string[]): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await engine.containers.unpause(n);
  });
}

export async function renameCommand(ctx: CliContext, container: string, newName: string): Promise<void> {
  (await ctx.engine()).containers.rename(container, newName);
}

export async function logsCommand(ctx: CliContext, name: string, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const view = engine.containers.get(name);
  const tail = o.tail === undefined || o.tail === "all" ? undefined : Number(o.tail);
  if (tail !== undefined && !(tail >= 0)) throw new InvalidArgumentError(`invalid value for --tail: ${String(o.tail)}`);
  await streamLogs(
    engine.containers.logPath(view.record.Id),
    {
      since: o.since ? parseLogTime(o.since as string) : undefined,
      until: o.until ? parseLogTime(o.until as string) : undefined,
      tail,
      follow: Boolean(o.follow),
    },
    (e) => {
      const text = o.timestamps ? `${e.time} ${e.log}` : e.log;
      (e.stream === "stderr" ? process.stderr : process.stdout).write(text);
    },
    () => {
      try {
        return engine.containers.view(view.record.Id).state.Running;
      } catch {
        return false;
      }
    },
  );
}

export async function attachCommand(ctx: CliContext, name: string, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const view = engine.containers.get(name);
  if (!view.state.Running) throw new InvalidArgumentError("You cannot attach to a stopped container, start it first");
  const { connect } = await import("node:net");
  const conn = connect(engine.containers.store.socketPath(view.record.Id));
  await new Promise<void>((resolve, reject) => {
    conn.once("connect", resolve);
    conn.once("error", reject);
  });
  const end = await attachTo(engine, view, conn, { stdin: o.stdin !== false && view.record.Config.OpenStdin, detachKeys: o.detachKeys as string | undefined, sigProxy: o.sigProxy !== false });
  if (end.kind === "exit") throw new ExitCode(end.code);
  if (end.kind === "detached") process.stderr.write("\nread escape sequence\n");
}

export async function containerInspectCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const items: unknown[] = [];
  let failed = false;
  for (const n of names) {
    try {
      items.push(containerInspect(engine, engine.containers.get(n)));
    } catch (e) {
      failed = true;
      process.stderr.write(`Error: ${asSkiffError(e).message}\n`);
    }
  }
  printInspect(items, o.format as string | undefined);
  if (failed) throw new ExitCode(1);
}

/** `inspect`: containers, then images, then volumes, as Docker looks them up. */
export async function inspectCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const { imageInspect } = await import("../../image/inspect.js");
  const items: unknown[] = [];
  let failed = false;
  for (const n of names) {
    const type = o.type as string | undefined;
    try {
      if (!type || type === "container") {
        try {
          items.push(containerInspect(engine, engine.containers.get(n)));
          continue;
        } catch (e) {
          if (type === "container") throw e;
        }
      }
      if (!type || type === "image") {
        try {
          const img = engine.images.get(n);
          items.push(imageInspect(img, engine.storageDriver, img.record.layers.map((l) => engine.layers.diffDir(l))));
          continue;
        } catch (e) {
          if (type === "image") throw e;
        }
      }
      if (!type || type === "volume") {
        const v = await engine.inspectVolume?.(n);
        if (v) {
          items.push(v);
          continue;
        }
      }
      throw new InvalidArgumentError(`No such object: ${n}`);
    } catch (e) {
      failed = true;
      process.stderr.write(`Error: ${asSkiffError(e).message}\n`);
    }
  }
  printInspect(items, o.format as string | undefined);
  if (failed) throw new ExitCode(1);
}

export async function containerPruneCommand(ctx: CliContext, o: Opts): Promise<void> {
  if (!o.force) {
    process.stdout.write("WARNING! This will remove all stopped containers.\n");
    if (!(await confirm("Are you sure you want to continue?"))) return;
  }
  const engine = await ctx.engine();
  const r = await engine.pruneContainers();
  if (r.removed.length) process.stdout.write(`Deleted Containers:\n${r.removed.join("\n")}\n\n`);
  const { humanSize } = await import("../format/index.js");
  process.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
}

export { psCommand } from "./ps.js";
export { execCommand, topCommand, diffCommand, cpCommand, exportCommand, portCommand, statsCommand } from "./container-fs.js";
