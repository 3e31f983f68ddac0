import { Duplex, PassThrough } from "node:stream";
import { EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND, SkiffError } from "../errors.js";
import { nativeProgram } from "../config/install.js";
import type { UserNamespace } from "../userns/namespace.js";

// Starting a container process (or an exec session): skiff-ns joins skiff's
// namespaces and execs skiff-monitor, which starts skiff-runtime. No Node
// runs inside the namespace on this path, so `run` pays for one Node start-up
// only (DESIGN.md §6b). The monitor reports "started PID" or an error on fd 4;
// fd 5 is our end of an attach socket when we stay attached.

export interface MonitorOptions {
  dir: string;
  socket?: string;
  log?: string;
  tty?: boolean;
  stdin?: boolean;
  restart?: string;
  umount?: string[];
  rmPaths?: string[];
  prestartHook?: string[];
  /** skiff-runtime's arguments, e.g. ["run", "--spec", file]. */
  runtime: string[];
  /** Keep an attach connection (fd 5) from the first byte. */
  attach?: boolean;
  /** Append the process's events to this log (native/lib/events.h); execSession for an exec's monitor. */
  events?: { log: string; maxSize: number; actor: string; execSession?: boolean };
  /** Run this healthcheck (native/lib/health.h); durations in nanoseconds, Docker's defaults applied. */
  health?: { spec: string; interval: number; timeout: number; startPeriod: number; startInterval: number; retries: number };
}

export interface Launched {
  pid: number;
  attach?: Duplex;
}

const STATUS_FD = 4;
const ATTACH_FD = 5;

export function monitorArgs(o: MonitorOptions): string[] {
  const a = [nativeProgram("skiff-monitor"), "--dir", o.dir, "--status-fd", String(STATUS_FD), "--detach"];
  if (o.socket) a.push("--socket", o.socket);
  if (o.log) a.push("--log", o.log);
  if (o.tty) a.push("--tty");
  if (o.stdin) a.push("--stdin");
  if (o.attach) a.push("--attach-fd", String(ATTACH_FD));
  if (o.restart && o.restart !== "no") a.push("--restart", o.restart);
  for (const p of o.umount ?? []) a.push("--umount", p);
  for (const p of o.rmPaths ?? []) a.push("--rm-path", p);
  for (const h of o.prestartHook ?? []) a.push("--prestart-hook", h);
  if (o.events) {
    a.push("--events", o.events.log, "--events-max-size", String(o.events.maxSize), "--event-actor", o.events.actor);
    if (o.events.execSession) a.push("--exec-session");
  }
  const h = o.health;
  if (h)
    a.push("--health-spec", h.spec, "--health-interval", String(h.interval), "--health-timeout", String(h.timeout),
      "--health-start-period", String(h.startPeriod), "--health-start-interval", String(h.startInterval), "--health-retries", String(h.retries));
  return [...a, "--", nativeProgram("skiff-runtime"), ...o.runtime];
}

export function startError(line: string): SkiffError {
  const [, kind = "", ...rest] = line.trim().split(" ");
  const msg = rest.join(" ");
  if (kind === "notfound")
    return new SkiffError(`failed to create task for container: ${msg}: unknown`, { code: EXIT_NOT_FOUND });
  if (kind === "exec") return new SkiffError(`failed to create task for container: ${msg}: unknown`, { code: EXIT_CANNOT_INVOKE });
  return new SkiffError(`failed to start the container (${kind}): ${msg}`, { code: 125, hint: "skiff info shows what this host is missing" });
}

export async function launchMonitor(userns: UserNamespace, o: MonitorOptions): Promise<Launched> {
  const stdio = ["ignore", "ignore", "ignore", "ignore", "pipe", o.attach ? "pipe" : "ignore"] as const;
  const { child, ready } = userns.spawn(monitorArgs(o), { stdio: [...stdio] });
  const status = child.stdio[STATUS_FD]!;
  const attach = o.attach ? held((child.stdio as unknown as Duplex[])[ATTACH_FD]!) : undefined;
  const line = new Promise<string>((resolve) => {
    let text = "";
    status.on("data", (d: Buffer) => {
      text += d.toString();
      if (text.includes("\n")) resolve(text);
    });
    status.on("end", () => resolve(text));
    status.on("error", () => resolve(text));
  });
  await ready;
  const text = (await line).split("\n")[0] ?? "";
  (status as unknown as { destroy?: () => void }).destroy?.();
  child.unref();
  if (text.startsWith("started ")) return { pid: Number(text.slice(8)), attach };
  attach?.destroy();
  if (text.startsWith("error ")) throw startError(text);
  throw new SkiffError(`the container monitor ended without starting the container${text ? `: ${text}` : ""}`);
}

/**
 * The attach connection, read from the moment it exists. Node resumes a
 * child's extra stdio pipes when the child exits (its flushStdio), and
 * skiff-ns exits as soon as the monitor has detached: output read before the
 * caller listens — for a short-lived container, all of it and its exit
 * frame — would be dropped, and the connection could even close before
 * anyone saw it. So the bytes are moved at once into a buffer the caller
 * reads at its own pace; writes go straight to the monitor.
 */
function held(socket: Duplex): Duplex {
  const buffer = new PassThrough();
  socket.pipe(buffer);
  const conn: Duplex = new Duplex({
    read() {
      buffer.resume();
    },
    write(chunk, encoding, cb) {
      if (socket.destroyed) cb();
      else socket.write(chunk, encoding, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      buffer.destroy();
      cb(err);
    },
  });
  buffer.on("data", (chunk: Buffer) => {
    if (!conn.push(chunk)) buffer.pause();
  });
  buffer.on("end", () => conn.push(null));
  // Once everything read has been consumed the connection is over: 'close' tells the reader.
  conn.on("end", () => conn.destroy());
  socket.on("error", (e) => conn.destroy(e));
  return conn;
}
