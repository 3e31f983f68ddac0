import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { ConflictError, NotFoundError } from "../errors.js";
import type { ExecRequest } from "../container/service.js";
import { readState } from "../container/state.js";
import type { Launched } from "../runtime/launch.js";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { monitorStreams } from "../container/attach.js";
import type { Engine } from "./engine.js";

// `exec` as Docker's API has it: create (an id and its configuration), start
// (the process, attached or detached), inspect (running, exit code). Each
// exec keeps a directory in its container's (exec/<id>/: config.json and the
// monitor's state files), so its exit code can be asked for after its stream
// has closed — the docker CLI does exactly that. The CLI's `exec` is create
// then start.

export interface ExecConfig {
  ID: string;
  ContainerID: string;
  request: Omit<ExecRequest, "detach" | "keep">;
  DetachKeys?: string;
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  ContainerID: string;
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  CanRemove: boolean;
  DetachKeys: string;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
}

/** How many finished execs a container keeps for inspection. */
const KEEP_FINISHED = 32;

function execRoot(engine: Engine, containerId: string): string {
  return join(engine.containers.store.dir(containerId), "exec");
}

export function createExec(engine: Engine, container: string, request: ExecConfig["request"], detachKeys?: string): string {
  const v = engine.containers.get(container);
  if (!v.state.Running) throw new ConflictError(`container ${v.record.Id} is not running`);
  if (v.state.Paused) throw new ConflictError(`Container ${v.record.Id} is paused, unpause the container before exec`);
  pruneFinished(engine, v.record.Id);
  const id = randomBytes(32).toString("hex");
  const dir = join(execRoot(engine, v.record.Id), id);
  mkdirSync(dir, { recursive: true });
  const config: ExecConfig = { ID: id, ContainerID: v.record.Id, request, DetachKeys: detachKeys };
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  return id;
}

/** Find an exec by id (or unique prefix) among the containers' exec directories. */
function findExec(engine: Engine, id: string): { dir: string; config: ExecConfig } {
  for (const cid of engine.containers.store.ids()) {
    let names: string[];
    try {
      names = readdirSync(execRoot(engine, cid));
    } catch {
      continue;
    }
    const hit = names.find((n) => n === id) ?? (id.length >= 12 ? names.find((n) => n.startsWith(id)) : undefined);
    if (!hit) continue;
    const dir = join(execRoot(engine, cid), hit);
    try {
      return { dir, config: JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as ExecConfig };
    } catch {
      break;
    }
  }
  throw new NotFoundError(`No such exec instance: ${id}`);
}

export async function startExec(engine: Engine, id: string, opts: { detach?: boolean; tty?: boolean } = {}): Promise<Launched> {
  const { dir, config } = findExec(engine, id);
  if (statOrUndefined(join(dir, "pid"))) throw new ConflictError(`Error: Exec command ${config.ID} has already run`);
  const request = { ...config.request, tty: opts.tty ?? config.request.tty };
  return engine.containers.exec(config.ContainerID, { ...request, detach: Boolean(opts.detach), keep: true }, dir);
}

export function inspectExec(engine: Engine, id: string): ExecInspect {
  const { dir, config } = findExec(engine, id);
  const record = engine.containers.store.read(config.ContainerID);
  const s = readState(dir, { ...record, HostConfig: { ...record.HostConfig, RestartPolicy: { Name: "no", MaximumRetryCount: 0 } } });
  const started = s.Status !== "created";
  const r = config.request;
  return {
    ID: config.ID,
    Running: s.Running,
    ExitCode: started && !s.Running ? s.ExitCode : null,
    Pid: s.Pid,
    ContainerID: config.ContainerID,
    OpenStdin: r.interactive,
    OpenStdout: true,
    OpenStderr: true,
    CanRemove: false,
    DetachKeys: config.DetachKeys ?? "",
    ProcessConfig: { tty: r.tty, entrypoint: r.cmd[0] ?? "", arguments: r.cmd.slice(1), privileged: r.privileged, user: r.user ?? "" },
  };
}

/** Forget the oldest finished execs beyond KEEP_FINISHED (their exit codes were there to be asked for). */
function pruneFinished(engine: Engine, containerId: string): void {
  const root = execRoot(engine, containerId);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  const finished = names
    .map((n) => ({ n, exit: statOrUndefined(join(root, n, "exit")) }))
    .filter((e) => e.exit)
    .sort((a, b) => b.exit!.mtimeMs - a.exit!.mtimeMs);
  for (const e of finished.slice(KEEP_FINISHED)) rmSync(join(root, e.n), { recursive: true, force: true });
}

function statOrUndefined(p: string): { mtimeMs: number } | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** A started exec's stdio, as the API's exec start relays it. */
export interface ExecSession {
  /** Whether output is one raw stream (a terminal) or stdout and stderr apart. */
  tty: boolean;
  /** Present when the exec was created with AttachStdin (`exec -i`); its end closes the process's stdin. */
  stdin?: Writable;
  stdout: Readable;
  /** Absent with a single raw stream. */
  stderr?: Readable;
  /** The exit code, recorded in the exec's state (inspectExec) before this settles. */
  exited: Promise<number>;
  /** Let go; the process keeps running. */
  detach(): void;
}

/**
 * Start an exec and hand over its streams (the API's exec start); its
 * terminal size can then be changed by id. The process has a terminal when
 * the exec was created with one; `tty` (exec start's Tty) only chooses how
 * the output travels, as in Docker: raw, or stdout and stderr apart.
 */
export async function openExecSession(engine: Engine, id: string, opts: { tty?: boolean; consoleSize?: [number, number] } = {}): Promise<ExecSession> {
  const { config } = findExec(engine, id);
  const processTty = config.request.tty;
  const tty = opts.tty ?? processTty;
  const launched = await startExec(engine, id);
  const streams = monitorStreams(launched.attach!);
  if (processTty && opts.consoleSize) streams.resize(opts.consoleSize[0], opts.consoleSize[1]);
  const unregister = engine.sessions.register(config.ID, streams);
  void streams.exited.then(unregister);
  return {
    tty,
    stdin: config.request.interactive ? streams.stdin : undefined,
    stdout: tty && !processTty ? merged(streams.stdout, streams.stderr) : streams.stdout,
    stderr: tty ? undefined : streams.stderr,
    exited: streams.exited,
    detach: () => streams.close(),
  };
}

/** Two streams as one, ending when both have (a raw stream asked for a process without a terminal). */
function merged(a: Readable, b: Readable): Readable {
  const out = new PassThrough();
  let open = 2;
  for (const s of [a, b]) {
    s.on("data", (d: Buffer) => out.write(d));
    s.once("end", () => --open === 0 && out.end());
  }
  return out;
}

/**
 * A new terminal size for a running exec started by this process. One that
 * has already ended has nothing left to resize: the docker CLI resizes
 * right after the start, often after a short command is over, and retries
 * on errors.
 */
export function resizeExec(engine: Engine, id: string, rows: number, cols: number): void {
  const { dir, config } = findExec(engine, id);
  if (engine.sessions.resize(config.ID, rows, cols) || statOrUndefined(join(dir, "exit"))) return;
  throw new ConflictError(`exec ${config.ID} is not running`);
}
