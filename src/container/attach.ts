import { PassThrough, Writable as WritableStream, type Duplex, type Readable, type Writable } from "node:stream";

// The client side of the monitor's attach protocol (native/lib/frames.h):
// Docker's stream header — 1 byte type, 3 zero bytes, 4-byte big-endian
// length — around each payload.
//   monitor → us: 1 stdout, 2 stderr, 3 exit (decimal code, after all output)
//   us → monitor: 0 stdin, 5 close stdin, 6 resize ("ROWS COLS")

export const FRAME = { stdin: 0, stdout: 1, stderr: 2, exit: 3, closeStdin: 5, resize: 6 } as const;

export function frame(type: number, payload: Buffer | string): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload) : payload;
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

/** Call `each` for every whole frame that arrives on the monitor's connection. */
function onFrames(conn: Duplex, each: (type: number, payload: Buffer) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  conn.on("data", (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 8) {
      const len = buf.readUInt32BE(4);
      if (buf.length < 8 + len) break;
      const type = buf[0]!;
      const payload = buf.subarray(8, 8 + len);
      buf = buf.subarray(8 + len);
      each(type, payload);
    }
  });
}

export interface AttachIO {
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  tty?: boolean;
  /** Docker's ctrl-p,ctrl-q (as bytes); empty to disable. */
  detachKeys?: number[];
  /** Terminal size now and on change. */
  size?: () => { rows: number; cols: number } | undefined;
  onResize?: (fn: () => void) => () => void;
}

export type AttachEnd = { kind: "exit"; code: number } | { kind: "detached" } | { kind: "closed" };

/** Parse Docker's --detach-keys ("ctrl-p,ctrl-q", "a,ctrl-x"). */
export function parseDetachKeys(spec = "ctrl-p,ctrl-q"): number[] {
  if (spec === "") return [];
  return spec.split(",").map((k) => {
    const m = /^ctrl-(.)$/.exec(k);
    if (m) {
      const c = m[1]!;
      if (c === "@") return 0;
      if (c === "[") return 27;
      if (c === "\\") return 28;
      if (c === "]") return 29;
      if (c === "^") return 30;
      if (c === "_") return 31;
      return c.toLowerCase().charCodeAt(0) - 96;
    }
    return k.charCodeAt(0);
  });
}

/** Relay between local stdio and an attach connection until exit, detach or close. */
export function relay(conn: Duplex, io: AttachIO): Promise<AttachEnd> {
  return new Promise((resolve) => {
    let done = false;
    const cleanups: (() => void)[] = [];
    const finish = (end: AttachEnd) => {
      if (done) return;
      done = true;
      for (const c of cleanups) c();
      resolve(end);
    };
    onFrames(conn, (type, payload) => {
      if (type === FRAME.stdout) io.stdout.write(payload);
      else if (type === FRAME.stderr) io.stderr.write(payload);
      else if (type === FRAME.exit) {
        const code = Number(payload.toString()) || 0;
        // Flush what we printed before reporting.
        io.stdout.write("", () => io.stderr.write("", () => finish({ kind: "exit", code })));
      }
    });
    conn.on("close", () => finish({ kind: "closed" }));
    conn.on("error", () => finish({ kind: "closed" }));

    if (io.tty && io.size) {
      const send = () => {
        const s = io.size!();
        if (s && !conn.destroyed) conn.write(frame(FRAME.resize, `${s.rows} ${s.cols}`));
      };
      send();
      if (io.onResize) cleanups.push(io.onResize(send));
    }
    if (io.stdin) {
      const keys = io.detachKeys ?? [];
      let matched = 0;
      const onData = (d: Buffer) => {
        if (keys.length && io.tty) {
          for (let i = 0; i < d.length; i++) {
            if (d[i] === keys[matched]) {
              matched++;
              if (matched === keys.length) {
                finish({ kind: "detached" });
                return;
              }
            } else matched = d[i] === keys[0] ? 1 : 0;
          }
        }
        conn.write(frame(FRAME.stdin, d));
      };
      const onEnd = () => {
        if (!conn.destroyed) conn.write(frame(FRAME.closeStdin, ""));
      };
      io.stdin.on("data", onData);
      io.stdin.on("end", onEnd);
      cleanups.push(() => {
        io.stdin!.off("data", onData);
        io.stdin!.off("end", onEnd);
        io.stdin!.pause();
      });
    }
  });
}

/**
 * The monitor's attach connection as separate streams, for a caller that
 * relays them elsewhere (the API server's hijacked connections): stdout and
 * stderr end when the process has exited, `exited` then settles with its
 * code (or with -1 when the connection closed without one); writes to stdin
 * become stdin frames, its end a close-stdin frame.
 */
export interface MonitorStreams {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<number>;
  resize(rows: number, cols: number): void;
  close(): void;
}

export function monitorStreams(conn: Duplex): MonitorStreams {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let settle!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (settle = resolve));
  let code = -1;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    stdout.end();
    stderr.end();
    settle(code);
  };
  onFrames(conn, (type, payload) => {
    if (type === FRAME.stdout) stdout.write(payload);
    else if (type === FRAME.stderr) stderr.write(payload);
    else if (type === FRAME.exit) {
      code = Number(payload.toString()) || 0;
      end();
      conn.destroy();
    }
  });
  conn.on("close", end);
  conn.on("error", end);
  const send = (type: number, payload: Buffer | string) => {
    if (!conn.destroyed && conn.writable) conn.write(frame(type, payload));
  };
  const stdin = new WritableStream({
    write(chunk: Buffer, _enc, cb) {
      send(FRAME.stdin, chunk);
      cb();
    },
    final(cb) {
      send(FRAME.closeStdin, "");
      cb();
    },
  });
  return {
    stdin,
    stdout,
    stderr,
    exited,
    resize: (rows, cols) => send(FRAME.resize, `${rows} ${cols}`),
    close: () => conn.destroy(),
  };
}
