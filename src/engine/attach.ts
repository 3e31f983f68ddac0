import { connect } from "node:net";
import { Duplex, PassThrough, type Readable, type Writable } from "node:stream";
import { ConflictError } from "../errors.js";
import { monitorStreams, type MonitorStreams } from "../container/attach.js";
import type { Engine } from "./engine.js";
import { openLogs } from "./logs.js";

// `attach`: a connection to a container's monitor, which speaks the attach
// protocol (native/lib/frames.h; the client side is src/container/attach.ts)
// and sends output from the moment the connection is made, then the exit
// code. The CLI attaches to running containers; an API client may attach to
// a created one and start it after (`docker run` does): the session then
// waits for this process to start it and is handed the monitor's first
// connection (shared when several clients wait), so no output is lost.

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

/**
 * One monitor connection for several clients that attached before the
 * start: each share reads every byte from the first (so each parses whole
 * frames), writes go through as they come (whole frames), and the
 * connection closes once every share has let go.
 */
export function shareConnection(conn: Duplex, count: number): Duplex[] {
  if (count === 1) return [conn];
  let open = count;
  const shares = Array.from({ length: count }, () => {
    const share: Duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        if (conn.writable) conn.write(chunk, () => cb());
        else cb();
      },
      final(cb) {
        cb();
      },
      destroy(err, cb) {
        if (--open === 0) conn.destroy();
        cb(err);
      },
    });
    return share;
  });
  conn.on("data", (chunk: Buffer) => {
    for (const s of shares) if (!s.destroyed) s.push(chunk);
  });
  const end = () => {
    for (const s of shares) {
      if (s.destroyed || s.readableEnded) continue;
      // Closed like the connection it stands for, once its reader has had every byte.
      s.once("end", () => s.destroy());
      s.push(null);
    }
  };
  conn.once("end", end);
  conn.once("close", end);
  conn.on("error", end);
  return shares;
}

export async function attachContainer(engine: Engine, name: string): Promise<Attached> {
  const view = engine.containers.get(name);
  if (!view.state.Running) throw new ConflictError("You cannot attach to a stopped container, start it first");
  if (view.state.Paused) throw new ConflictError("You cannot attach to a paused container, unpause it first");
  const conn = await connectAttach(engine, view.record.Id);
  engine.containers.logEvent(view.record, "attach");
  return { id: view.record.Id, conn, tty: view.record.Config.Tty, openStdin: view.record.Config.OpenStdin };
}

export interface AttachRequest {
  /** Live output from now until the process exits (Docker's stream=1). */
  stream?: boolean;
  /** The log so far first (Docker's logs=1). */
  logs?: boolean;
  /** The client's input, when the container keeps a stdin open (-i). */
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

/**
 * One client attached. The streams exist at once, also for a container not
 * yet started; its output flows into them once this process starts it.
 */
export interface AttachSession {
  id: string;
  tty: boolean;
  /** The client's input. Its end closes the container's stdin only with StdinOnce (`run -i`'s own stdin), as Docker does. */
  stdin?: Writable;
  /** With a TTY, the terminal's one stream. */
  stdout?: Readable;
  stderr?: Readable;
  /** Settles with the exit code once the output is over; rejects when the wait for a start was given up. */
  exited: Promise<number>;
  /** Let go of the container, which keeps running. */
  detach(): void;
}

/**
 * The API's attach: to a running container at once, to a created (or
 * stopped) one when this process starts it (`docker run` attaches, then
 * starts). `signal` gives up waiting for the start.
 */
export function openAttach(engine: Engine, name: string, req: AttachRequest = {}, signal?: AbortSignal): AttachSession {
  const view = engine.containers.get(name);
  const r = view.record;
  const id = r.Id;
  if (view.state.Paused) throw new ConflictError("You cannot attach to a paused container, unpause it first");
  const tty = r.Config.Tty;
  const stream = req.stream !== false;
  const stdout = req.stdout !== false ? new PassThrough() : undefined;
  const stderr = req.stderr !== false && !tty ? new PassThrough() : undefined;
  const stdin = req.stdin && r.Config.OpenStdin ? new PassThrough() : undefined;
  const gone = new AbortController();
  signal?.addEventListener("abort", () => gone.abort(signal.reason), { once: true });

  // The log so far, written before anything live (which waits in the monitor streams' buffers meanwhile).
  const replay = req.logs
    ? openLogs(engine, id, {}).read((e) => (e.stream === "stderr" && !tty ? stderr : stdout)?.write(e.log))
    : Promise.resolve();
  if (stream) engine.containers.logEvent(r, "attach");
  let live: MonitorStreams | undefined;
  const connected = stream ? (view.state.Running ? connectAttach(engine, id) : engine.sessions.waitForStart(id, gone.signal)) : undefined;
  const exited = (async () => {
    await replay;
    if (!connected) {
      for (const s of [stdout, stderr]) s?.end();
      return engine.containers.view(id).state.ExitCode;
    }
    const s = monitorStreams(await connected);
    live = s;
    if (gone.signal.aborted) s.close();
    const unregister = engine.sessions.register(id, s);
    void s.exited.then(unregister);
    // Output not asked for is read and dropped, so that the monitor never waits on it.
    if (stdout) s.stdout.pipe(stdout);
    else s.stdout.resume();
    if (stderr) s.stderr.pipe(stderr);
    else s.stderr.resume();
    if (stdin) {
      stdin.on("data", (d: Buffer) => s.stdin.write(d));
      stdin.once("end", () => r.Config.StdinOnce && s.stdin.end());
    }
    return s.exited;
  })();
  exited.catch(() => {});
  return {
    id,
    tty,
    stdin,
    stdout,
    stderr,
    exited,
    detach: () => {
      gone.abort();
      live?.close();
    },
  };
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
