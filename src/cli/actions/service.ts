import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { apiSocketPath } from "../../engine/api-socket.js";
import { cliEntry } from "../../config/install.js";
import { InvalidArgumentError } from "../../errors.js";
import { probeNamespace, type NamespaceFacts } from "../../userns/probe.js";
import { describeTarget, parseListenUri, tcpWarning, type ListenTarget } from "../../api/listener.js";
import { activatedSocket, serviceUnit, socketUnit, unitPath, withoutActivation } from "../../api/systemd.js";
import { ExitCode, type CliContext } from "../context.js";

// `skiff system service [--time SECONDS] [URI]` and `--install`.
//
// The service runs inside skiff's user namespace, so that every engine verb
// runs directly, and re-executes itself there like other commands. Two
// things do not survive that on their own and are handed down explicitly:
// a socket from systemd (LISTEN_PID names the outer process; the inner one
// gets the descriptor as fd 4 and SKIFF_SERVICE_FD=4) and the user's
// identity as seen outside (inside, uid 0 is the user: /info would call the
// service root and not rootless).

const INNER_FD = 4;

interface ServiceOptions {
  time: string;
  install?: boolean;
}

function idleSeconds(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`invalid argument "${value}" for "-t, --time" flag: must be a whole number of seconds`, "give --time 0 to never stop, or e.g. --time 60");
  return Number(value);
}

export async function systemService(ctx: CliContext, uri: string | undefined, opts: ServiceOptions): Promise<void> {
  const seconds = idleSeconds(opts.time);
  const asked = uri === undefined ? undefined : parseListenUri(uri);
  if (opts.install) return installUnits(ctx, asked);
  const engine = await ctx.engine();
  if (!engine.inNamespace) {
    const fd = activatedSocket(process.env);
    const env: NodeJS.ProcessEnv = { ...withoutActivation(process.env), SKIFF_IN_NS: "1", SKIFF_SERVICE_NAMESPACE: JSON.stringify(probeNamespace()) };
    const stdio: (string | number)[] = ["inherit", "inherit", "inherit", "ignore"];
    if (fd !== undefined) {
      stdio[INNER_FD] = fd;
      env.SKIFF_SERVICE_FD = String(INNER_FD);
    }
    const code = await engine.userns.run([process.execPath, cliEntry, ...ctx.argv], { env, stdio: stdio as ("inherit" | "ignore" | number)[] });
    throw new ExitCode(code);
  }

  const inherited = process.env.SKIFF_SERVICE_FD;
  const namespace = process.env.SKIFF_SERVICE_NAMESPACE ? (JSON.parse(process.env.SKIFF_SERVICE_NAMESPACE) as NamespaceFacts) : undefined;
  // For this process only: the engine's children (monitors, pulls) must not take them for theirs.
  delete process.env.SKIFF_SERVICE_FD;
  delete process.env.SKIFF_SERVICE_NAMESPACE;
  const activated = inherited ? Number(inherited) : activatedSocket(process.env);
  const target: ListenTarget = activated !== undefined ? { kind: "fd", fd: activated } : (asked ?? { kind: "unix", path: apiSocketPath(engine.runRoot) });
  if (target.kind === "tcp") process.stderr.write(`${tcpWarning(target)}\n`);

  const { startApiService } = await import("../../api/service.js");
  const service = await startApiService({
    engine,
    target,
    idleSeconds: seconds,
    privateDir: activated === undefined && !asked,
    namespace,
    log: (line, level) => (level === "error" || ctx.debug) && process.stderr.write(`skiff: ${line}\n`),
  });
  process.stderr.write(`API listening on ${service.address}${seconds ? ` (stops after ${seconds}s without requests)` : ""}\n`);
  const onSignal = () => void service.stop({ force: true });
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, onSignal);
  try {
    await service.stopped;
  } finally {
    for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.off(sig, onSignal);
  }
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
}

/** skiff.socket and skiff.service in the user's systemd directory, for this skiff and this node. */
async function installUnits(ctx: CliContext, asked: ListenTarget | undefined): Promise<void> {
  const engine = await ctx.engine();
  const socket = asked ?? { kind: "unix" as const, path: apiSocketPath(engine.config.paths.runRoot) };
  if (socket.kind === "fd") throw new InvalidArgumentError("--install needs a unix:// or tcp:// address");
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  const listen = socket.kind === "unix" ? { kind: "unix" as const, path: unitPath(socket.path, runtimeDir) } : socket;
  const o = engine.options;
  // systemd's user manager sets XDG_RUNTIME_DIR: a CLI without it (the /tmp fallback) must give the service its run root,
  // or the two would keep separate pause processes and container state.
  const runRoot = o.runRoot ?? (engine.config.paths.runRootIsFallback ? engine.config.paths.runRoot : undefined);
  const globals = [...(o.root ? ["--root", o.root] : []), ...(runRoot ? ["--runroot", runRoot] : []), ...(o.storageDriver ? ["--storage-driver", o.storageDriver] : [])];
  const units = { node: process.execPath, entry: cliEntry, listen, globals };
  const dir = join(process.env.XDG_CONFIG_HOME || join(process.env.HOME || homedir(), ".config"), "systemd", "user");
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, "skiff.socket"), socketUnit(units));
  writeAtomic(join(dir, "skiff.service"), serviceUnit(units));
  if (socket.kind === "tcp") process.stderr.write(`${tcpWarning(socket)}\n`);
  process.stdout.write(
    [
      `Wrote ${join(dir, "skiff.socket")}`,
      `Wrote ${join(dir, "skiff.service")}`,
      "Listen now and after every login (the service starts on the first connection and stops when idle):",
      "  systemctl --user daemon-reload",
      "  systemctl --user enable --now skiff.socket",
      "Then point Docker clients at it:",
      `  export DOCKER_HOST=${describeTarget(socket)}`,
      "",
    ].join("\n"),
  );
}
