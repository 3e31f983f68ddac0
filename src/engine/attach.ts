import { connect } from "node:net";
import { Duplex } from "node:stream";
import { ConflictError } from "../errors.js";
import { monitorStreams, type MonitorStreams } from "../container/attach.js";
import type { Engine } from "./engine.js";

// `attach`: a connection to a container's monitor, which speaks the attach
// protocol (native/lib/frames.h; the client side is src/container/attach.ts)
// and sends output from the moment the connection is made, then the exit
// code. The CLI attaches to running containers; an API client may attach to
// a created one and start it after (`docker run` does): the session then
// waits for this process to start it and is handed the monitor's first
// connection, so no output is lost.

export interface Attached {
  id: string;
  conn: Duplex;
  tty: boolean;
  /** Whether the container keeps a stdin open for clients (-i). */
  openStdin: boolean;
}

/** A connection to the socket of a running container's monitor. */
export async function connectAttach(engine: Engine, id: string): Promise<Duplex> {
  const conn = connect(engine.containers.store.socketPath(id));
  await new Promise<void>((resolve, reject) => {
    conn.once("connect", resolve);
    conn.once("error", reject);
  });
  return conn;
}

/** A connection that is already over (the start it waited for failed). */
export function closedConnection(): Duplex {
  const d = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
  d.push(null);
  setImmediate(() => d.destroy());
  return d;
}

export async function attachContainer(engine: Engine, name: string): Promise<Attached> {
  const view = engine.containers.get(name);
  if (!view.state.Running) throw new ConflictError("You cannot attach to a stopped container, start it first");
  if (view.state.Paused) throw new ConflictError("You cannot attach to a paused container, unpause it first");
  const conn = await connectAttach(engine, view.record.Id);
  engine.containers.logEvent(view.record, "attach");
  return { id: view.record.Id, conn, tty: view.record.Config.Tty, openStdin: view.record.Config.OpenStdin };
}

export interface AttachSession {
  id: string;
  tty: boolean;
  openStdin: boolean;
  /** Close the container's stdin when this client's input ends (Docker's StdinOnce). */
  stdinOnce: boolean;
  /** The streams, once the container runs (at once when it already does). */
  streams: Promise<MonitorStreams>;
}

/**
 * The API's attach: to a running container at once, to a created (or
 * stopped) one when this process starts it. `signal` gives up waiting.
 */
export function openAttach(engine: Engine, name: string, signal?: AbortSignal): AttachSession {
  const view = engine.containers.get(name);
  const id = view.record.Id;
  if (view.state.Paused) throw new ConflictError("You cannot attach to a paused container, unpause it first");
  const conn = view.state.Running ? connectAttach(engine, id) : engine.sessions.waitForStart(id, signal);
  engine.containers.logEvent(view.record, "attach");
  const streams = conn.then((c) => {
    const s = monitorStreams(c);
    const unregister = engine.sessions.register(id, s);
    void s.exited.then(unregister);
    return s;
  });
  return { id, tty: view.record.Config.Tty, openStdin: view.record.Config.OpenStdin, stdinOnce: view.record.Config.StdinOnce, streams };
}

/** A new terminal size for a container's process (the resize endpoint): through this process's session, else the monitor's socket. */
export async function resizeContainer(engine: Engine, name: string, rows: number, cols: number): Promise<void> {
  const view = engine.containers.get(name);
  if (!view.state.Running) throw new ConflictError(`Container ${view.record.Id} is not running`);
  if (engine.sessions.resize(view.record.Id, rows, cols)) return;
  const s = monitorStreams(await connectAttach(engine, view.record.Id));
  s.resize(rows, cols);
  s.close();
}
