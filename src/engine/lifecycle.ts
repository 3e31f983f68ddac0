import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { InvalidArgumentError, NotFoundError } from "../errors.js";
import type { ContainerView } from "../container/service.js";
import { waitFor } from "../container/signals.js";
import type { Launched } from "../runtime/launch.js";
import type { Engine } from "./engine.js";
import { closedConnection, connectAttach, shareConnection } from "./attach.js";

// A container's lifecycle verbs: start, stop, restart, kill, pause,
// unpause, rename, remove and wait. Each takes a name or id prefix and
// returns what happened; Docker's refusals (starting a paused container,
// removing a running one) come from the container service as typed errors.

export interface StartResult extends ContainerView, Launched {
  /** False when the container was already running (the API answers 304). */
  started: boolean;
}

/** Start a created or stopped container; with `attach`, the result carries a connection to its stdio from the first byte. */
export async function startContainer(engine: Engine, name: string, opts: { attach?: boolean } = {}): Promise<StartResult> {
  const before = engine.containers.get(name);
  const id = before.record.Id;
  const wasUp = before.state.Running || before.state.MonitorPid > 0;
  // Clients of this process attached before the start (`docker run` does): they get the output from the first byte.
  const waiters = wasUp || opts.attach ? [] : engine.sessions.takeAll(id);
  // Docker's `run` attaches before it starts; an API client that attached earlier was logged then.
  if (opts.attach && !wasUp) engine.containers.logEvent(before.record, "attach");
  let r;
  try {
    r = await engine.containers.start(id, { attach: opts.attach || waiters.length > 0 });
  } catch (e) {
    for (const w of [...waiters, ...engine.sessions.takeAll(id)]) w(closedConnection());
    throw e;
  }
  if (waiters.length && r.attach) {
    const shares = shareConnection(r.attach, waiters.length);
    waiters.forEach((w, i) => w(shares[i]!));
    r = { ...r, attach: undefined };
  }
  for (const late of engine.sessions.takeAll(id)) {
    connectAttach(engine, id).then(late, () => late(closedConnection()));
  }
  return { ...r, started: !wasUp };
}

export interface StopOptions {
  /** Seconds before SIGKILL (the container's StopTimeout, else 10). */
  timeout?: number;
  signal?: string;
}

/** Stop; returns false when it was not running (the API answers 304). */
export async function stopContainer(engine: Engine, name: string, opts: StopOptions = {}): Promise<boolean> {
  const v = engine.containers.get(name);
  if (!v.state.Running && !v.state.Restarting) return false;
  await engine.containers.stop(v.record.Id, opts);
  return true;
}

export async function restartContainer(engine: Engine, name: string, opts: StopOptions = {}): Promise<void> {
  await engine.containers.restart(name, opts);
}

export async function killContainer(engine: Engine, name: string, signal = "KILL"): Promise<string> {
  return engine.containers.kill(name, signal);
}

export async function pauseContainer(engine: Engine, name: string): Promise<string> {
  return engine.containers.pause(name);
}

export async function unpauseContainer(engine: Engine, name: string): Promise<string> {
  return engine.containers.unpause(name);
}

export function renameContainer(engine: Engine, name: string, newName: string): void {
  engine.containers.rename(name, newName);
}

export async function removeContainer(engine: Engine, name: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<string> {
  return engine.containers.remove(name, opts);
}

export type WaitCondition = "not-running" | "next-exit" | "removed";

export function checkWaitCondition(c: string | undefined): WaitCondition {
  if (c === undefined || c === "") return "not-running";
  if (c === "not-running" || c === "next-exit" || c === "removed") return c;
  throw new InvalidArgumentError(`invalid condition: "${c}"`);
}

export interface ContainerWatch {
  id: string;
  /** Settles with the exit code once the condition holds. */
  done: Promise<{ exitCode: number }>;
}

/**
 * Watch a container until it reaches the condition (Docker's conditions:
 * not-running — at once if it is not running; next-exit — the next exit
 * from now, so it can be asked before start, as `docker run` does;
 * removed — after an --rm container or `rm` deleted it). The container is
 * looked up now, so a missing one is refused before the caller commits to
 * waiting (the API sends its 200 only then).
 */
export function watchContainer(engine: Engine, name: string, condition: WaitCondition = "not-running", signal?: AbortSignal): ContainerWatch {
  const first = engine.containers.get(name);
  return { id: first.record.Id, done: untilCondition(engine, first, condition, signal) };
}

/** Block until the container reaches the condition; its exit code. */
export async function waitContainer(engine: Engine, name: string, condition: WaitCondition = "not-running", signal?: AbortSignal): Promise<{ exitCode: number }> {
  return watchContainer(engine, name, condition, signal).done;
}

async function untilCondition(engine: Engine, first: ContainerView, condition: WaitCondition, signal?: AbortSignal): Promise<{ exitCode: number }> {
  const id = first.record.Id;
  const dir = engine.containers.store.dir(id);
  const finishedBefore = first.state.FinishedAt;
  const began = BigInt(Date.now() - 1000) * 1_000_000n;
  let last = first.state.ExitCode;
  for (;;) {
    if (signal?.aborted) throw new InvalidArgumentError("wait cancelled");
    let v: ContainerView | undefined;
    try {
      v = engine.containers.view(id);
    } catch (e) {
      if (!(e instanceof NotFoundError) && existsSync(dir)) throw e;
      // An --rm container can run, exit and be deleted between two looks: its
      // monitor logged the exit code with "die" before it deleted it.
      return { exitCode: lastExitCode(engine, id, began) ?? last };
    }
    const s = v.state;
    const down = !s.Running && !s.Restarting;
    if (down) last = s.ExitCode;
    if (condition === "not-running" && down) return { exitCode: s.ExitCode };
    if (condition === "next-exit" && down && s.FinishedAt !== finishedBefore && s.Status === "exited") return { exitCode: s.ExitCode };
    // Changes to the state files wake us; the removal of the directory wakes the watch on its parent.
    await (condition === "removed" && down ? waitFor(dirname(dir), 200) : waitFor(dir, 200));
  }
}

/** The exit code of the container's last "die" since `since`, from the event log. */
function lastExitCode(engine: Engine, id: string, since: bigint): number | undefined {
  const dies = engine.events.read({ since }).filter((e) => e.Type === "container" && e.Action === "die" && e.Actor.ID === id);
  const code = dies.at(-1)?.Actor.Attributes.exitCode;
  return code === undefined ? undefined : Number(code);
}

/**
 * Pass a signal to the container's process as it is (the CLI's sig-proxy):
 * not a `kill`, which would also stop its restart policy. Nothing happens
 * when it is not running.
 */
export function signalProcess(engine: Engine, id: string, signal: NodeJS.Signals): void {
  try {
    const pid = engine.containers.view(id).state.Pid;
    if (pid) process.kill(pid, signal);
  } catch {
    /* gone */
  }
}
