import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex, Readable, Writable } from "node:stream";
import { apiVersionAtLeast } from "./api-version.js";
import { errorMessage } from "./errors.js";
import { commonHeaders, rawResponse } from "./response.js";
import { frame, STDERR, STDOUT, SYSTEM_ERROR } from "./stdcopy.js";

// Attach and exec start: the connection stops being HTTP and carries the
// process's stdio (moby container_routes.go postContainersAttach, exec.go).
//
// Every Docker client asks with `Connection: Upgrade, Upgrade: tcp` and the
// docker CLI insists on `101` (client/hijack.go), so the answer is
//   HTTP/1.1 101 UPGRADED / Content-Type: …multiplexed-stream (no TTY, API ≥ 1.42)
//   or …raw-stream / Connection: Upgrade / Upgrade: tcp
// and then bytes: stdcopy frames without a TTY, raw with one. Without the
// Upgrade header (dockerode's non-hijack mode) it is an ordinary streamed 200.
//
// The rules clients depend on:
// - the request's own body (exec start's {"Detach","Tty"}, dockerode's
//   options) is exactly Content-Length bytes; only what follows is stdin.
//   Node 20 hands those bytes over in `head`, newer Node parses them as the
//   request body: readUpgradeBody copes with both;
// - a half-close from the client (the CLI's CloseWrite when its stdin ends)
//   is stdin EOF, and output keeps flowing;
// - the connection closes when the process has exited and its output is
//   out — after beforeClose(), where the caller records the exit code,
//   because `docker exec` inspects the exec the moment the stream ends.
// The container and exec endpoints plug the monitor's attach connection in
// through StreamSession; this module knows nothing of containers.

/** One attached process, as an endpoint hands it over. */
export interface StreamSession {
  /** With a TTY output is one raw stream; without, stdout and stderr are multiplexed. */
  tty: boolean;
  /**
   * The client's input. end() means the client's input ended (a half-close);
   * what that means for the process (close its stdin, or not without
   * StdinOnce) is the session's business. Absent: input is read and dropped.
   */
  stdin?: Writable;
  stdout?: Readable;
  /** Ignored with a TTY (the terminal has one stream). */
  stderr?: Readable;
  /** Settles when the process has exited; a rejection is sent to the client as an engine error (stream 3). */
  exited: Promise<unknown>;
  /** After the last output byte, before the connection closes: record the exit code here. */
  beforeClose?(): Promise<void> | void;
  /** The client left before the end (detach; never kill the process for it). */
  clientGone?(): void;
  /** A new terminal size (exec start's ConsoleSize; the resize endpoints). */
  resize?(height: number, width: number): void;
}

/**
 * The Content-Length bytes of an upgrade request's body, and whatever the
 * client sent after them (the first stdin bytes).
 */
export function readUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<{ body: Buffer; rest: Buffer }> {
  const length = Number(req.headers["content-length"] ?? 0) || 0;
  return new Promise((resolve, reject) => {
    const fromReq: Buffer[] = [];
    let fromSocket = head;
    let reqEnded = false;
    let done = false;
    const finish = (result: { body: Buffer; rest: Buffer }) => {
      if (done) return;
      done = true;
      socket.off("data", onSocket);
      socket.off("error", onError);
      socket.off("end", onSocketEnd);
      socket.pause();
      // docker-modem marks a hijack without options as chunked and, without stdin, ends it: a last-chunk is not input.
      const chunked = /chunked/i.test(String(req.headers["transfer-encoding"] ?? ""));
      const rest = chunked && result.rest.subarray(0, 5).toString() === "0\r\n\r\n" ? result.rest.subarray(5) : result.rest;
      resolve({ body: result.body, rest });
    };
    const check = () => {
      const parsed = Buffer.concat(fromReq);
      // Newer Node: the parser delivered the body through `req`; `head` and the socket carry only what follows.
      if (parsed.length >= length && parsed.length > 0) return finish({ body: parsed.subarray(0, length), rest: fromSocket });
      // Node 20: the body is the first bytes of `head` and the socket; `req` ends empty.
      if (reqEnded && fromSocket.length >= length) return finish({ body: fromSocket.subarray(0, length), rest: fromSocket.subarray(length) });
    };
    const onSocket = (chunk: Buffer) => {
      fromSocket = Buffer.concat([fromSocket, chunk]);
      check();
    };
    const onError = (e: Error) => !done && reject(e);
    let socketEnded = false;
    const incomplete = () => {
      if (!done && reqEnded && socketEnded) reject(new Error("connection closed before the request body was complete"));
    };
    const onSocketEnd = () => {
      socketEnded = true;
      incomplete();
    };
    req.on("data", (c: Buffer) => {
      fromReq.push(c);
      check();
    });
    req.on("end", () => {
      reqEnded = true;
      check();
      incomplete();
    });
    socket.on("data", onSocket);
    socket.on("error", onError);
    socket.on("end", onSocketEnd);
    if (length === 0) {
      // Nothing to wait for: do not hold the session on a request that ends later.
      finish({ body: Buffer.alloc(0), rest: head });
    }
  });
}

/** The media type of the hijacked stream (moby: multiplexed only on an upgrade without a TTY from API 1.42). */
export function streamContentType(tty: boolean, apiVersion: string, upgrade: boolean): string {
  return upgrade && !tty && apiVersionAtLeast(apiVersion, "1.42") ? "application/vnd.docker.multiplexed-stream" : "application/vnd.docker.raw-stream";
}

export function upgradeResponseHead(contentType: string): string {
  const headers: Record<string, string> = { "Content-Type": contentType, Connection: "Upgrade", Upgrade: "tcp", ...commonHeaders() };
  return `HTTP/1.1 101 UPGRADED\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
}

interface Output {
  write(chunk: Buffer): boolean;
  onDrain(fn: () => void): void;
  /** Resolves when the client has gone away. */
  readonly gone: Promise<void>;
  close(): void;
}

/**
 * Pump the session's output into `out` until the process has exited and its
 * streams have ended (then beforeClose, then close), or until the client goes.
 */
async function pump(session: StreamSession, out: Output): Promise<void> {
  let clientGone = false;
  void out.gone.then(() => (clientGone = true));
  const sources: [Readable, typeof STDOUT | typeof STDERR][] = [];
  if (session.stdout) sources.push([session.stdout, STDOUT]);
  if (session.stderr && !session.tty) sources.push([session.stderr, STDERR]);
  const ended = sources.map(
    ([src, stream]) =>
      new Promise<void>((resolve) => {
        src.on("data", (chunk: Buffer) => {
          if (clientGone) return;
          if (!out.write(session.tty ? chunk : frame(stream, chunk))) {
            src.pause();
            out.onDrain(() => src.resume());
          }
        });
        src.once("end", resolve);
        src.once("close", resolve);
        src.once("error", () => resolve());
      }),
  );
  let failure: unknown;
  const done = Promise.all([session.exited.catch((e: unknown) => (failure = e ?? new Error("the process failed"))), ...ended]);
  const how = await Promise.race([done.then(() => "done" as const), out.gone.then(() => "gone" as const)]);
  if (how === "gone") {
    session.clientGone?.();
    return;
  }
  if (failure !== undefined) {
    const text = Buffer.from(`${errorMessage(failure)}\n`);
    out.write(session.tty ? text : frame(SYSTEM_ERROR, text));
  }
  try {
    await session.beforeClose?.();
  } finally {
    out.close();
  }
}

/** Feed the client's input to the session: `first` (bytes that came with the request), then `input` until it ends. */
function feedStdin(session: StreamSession, first: Buffer, input: Readable): void {
  const sink = session.stdin;
  if (!sink) {
    input.on("data", () => {});
    input.resume();
    return;
  }
  sink.on("error", () => {}); // a process that exits closes its stdin under us
  if (first.length) sink.write(first);
  input.on("data", (chunk: Buffer) => {
    if (!sink.write(chunk)) {
      input.pause();
      sink.once("drain", () => input.resume());
    }
  });
  if (input.readableEnded) sink.end();
  else input.once("end", () => sink.end());
  input.resume();
}

/** Serve an upgraded connection: 101, then the session's stdio, then close. */
export async function serveUpgraded(socket: Duplex, session: StreamSession, opts: { apiVersion: string; stdinPrefix: Buffer }): Promise<void> {
  let finished = false;
  socket.on("error", () => {});
  const gone = new Promise<void>((resolve) => socket.once("close", () => !finished && resolve()));
  socket.write(upgradeResponseHead(streamContentType(session.tty, opts.apiVersion, true)));
  feedStdin(session, opts.stdinPrefix, socket);
  await pump(session, {
    write: (chunk) => socket.write(chunk),
    onDrain: (fn) => socket.once("drain", fn),
    gone,
    close: () => {
      finished = true;
      // Our side is done; the client's may still be open: close both once the last byte is out.
      socket.end(() => socket.destroy());
    },
  });
}

/** Serve a hijack endpoint asked without Upgrade: a streamed 200 whose request body (if still unread) is stdin. */
export async function servePlain(req: IncomingMessage, res: ServerResponse, session: StreamSession, opts: { stdin: boolean }): Promise<void> {
  let finished = false;
  const gone = new Promise<void>((resolve) => res.once("close", () => !finished && resolve()));
  res.writeHead(200, { "Content-Type": streamContentType(session.tty, "", false) });
  res.flushHeaders();
  if (opts.stdin) feedStdin(session, Buffer.alloc(0), req);
  else req.resume();
  await pump(session, {
    write: (chunk) => res.write(chunk),
    onDrain: (fn) => res.once("drain", fn),
    gone,
    close: () => {
      finished = true;
      res.end();
    },
  });
}

/** Refuse an upgrade request before any stream began: a whole HTTP response on the raw socket, then close. */
export function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  socket.on("error", () => {});
  socket.end(rawResponse(status, body), () => socket.destroy());
}
