import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import type { Socket } from "node:net";
import { join } from "node:path";
import { SkiffError } from "../errors.js";
import { nativeDir } from "../config/install.js";
import { toByteString } from "./paths.js";

// Host side of native/skiff-fsattr: extended attributes and FIFOs, which
// Node's fs cannot do. One helper per process, started on first use; requests
// are pipelined (many written before any answer is read) and answered in
// order, so a layer with thousands of xattrs costs a few pipe writes, not a
// round trip each. The helper is unref'd while idle, so it never keeps this
// process alive; it exits when our end of its stdin closes.

export class FsAttrError extends SkiffError {
  constructor(
    readonly path: string,
    /** errno name, e.g. "EPERM", "ENOTSUP". */
    readonly errno: string,
    detail: string,
  ) {
    super(`${detail} (${path})`);
  }
}

type Reply = { kind: string; fields: string[] };
type Waiter = (r: Reply | Error) => void;

const RESERVED = /[%\t\n\r\0]/g;
const escape = (s: string) => s.replace(RESERVED, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase()}`);
const unescape = (s: string) => (s.includes("%") ? s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : s);

/** A path or name as a protocol field (byte string). */
function field(v: string | Buffer): string {
  return escape(toByteString(v));
}

export class FsAttr {
  private child: ChildProcessWithoutNullStreams | undefined;
  private waiters: Waiter[] = [];
  private head = 0;
  private outgoing = "";
  private flushQueued = false;
  private incoming = "";
  private stderr = "";

  constructor(readonly program = join(nativeDir, "skiff-fsattr")) {}

  /** Set an extended attribute without following a final symlink. */
  setXattr(path: string | Buffer, name: string | Buffer, value: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.queueSetXattr(path, name, value, (e) => (e ? reject(e) : resolve())));
  }

  /** Create a FIFO with exactly `mode` (the helper has no umask). */
  mkfifo(path: string | Buffer, mode: number): Promise<void> {
    return new Promise((resolve, reject) => this.queueMkfifo(path, mode, (e) => (e ? reject(e) : resolve())));
  }

  /**
   * The same, for batches: `done` runs synchronously when the answer is read,
   * before drain() resolves, so a caller can send many and check once.
   */
  queueSetXattr(path: string | Buffer, name: string | Buffer, value: Buffer, done: (err: Error | null) => void): void {
    this.send(`set\t${field(path)}\t${field(name)}\t${value.toString("hex")}`, (r) => done(r instanceof Error ? r : null));
  }

  queueMkfifo(path: string | Buffer, mode: number, done: (err: Error | null) => void): void {
    this.send(`fifo\t${field(path)}\t${(mode & 0o7777).toString(8)}`, (r) => done(r instanceof Error ? r : null));
  }

  /** All extended attributes of `path` (not following a final symlink); names as byte strings. */
  listXattrs(path: string | Buffer): Promise<Map<string, Buffer>> {
    return new Promise((resolve, reject) =>
      this.send(`get\t${field(path)}`, (r) => {
        if (r instanceof Error) return reject(r);
        const out = new Map<string, Buffer>();
        for (let i = 1; i + 1 < r.fields.length; i += 2) out.set(r.fields[i]!, Buffer.from(r.fields[i + 1]!, "hex"));
        resolve(out);
      }),
    );
  }

  /** Resolves once every request sent so far has been answered and its callback has run. */
  drain(): Promise<void> {
    if (this.pending() === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const last = this.waiters.length - 1;
      const prev = this.waiters[last]!;
      this.waiters[last] = (r) => {
        prev(r);
        resolve();
      };
    });
  }

  pending(): number {
    return this.waiters.length - this.head;
  }

  /** Queue one request line; `onReply` gets the reply, or an Error for "err" replies and a dead helper. */
  private send(line: string, onReply: (r: Reply | Error) => void): void {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = this.start();
    } catch (e) {
      onReply(e as Error);
      return;
    }
    if (this.pending() === 0) {
      child.ref();
      (child.stdout as Socket).ref();
    }
    this.waiters.push((r) => {
      if (!(r instanceof Error) && r.kind === "err") onReply(new FsAttrError(r.fields[0] ?? "", r.fields[1] ?? "EIO", r.fields[2] ?? "failed"));
      else onReply(r);
    });
    this.outgoing += `${line}\n`;
    if (!this.flushQueued) {
      // Gather the requests of this turn of the event loop into one write.
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    if (!this.child || this.outgoing === "") return;
    this.child.stdin.write(Buffer.from(this.outgoing, "latin1"));
    this.outgoing = "";
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(this.program, [], { stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    child.stdout.on("data", (d: Buffer) => this.onData(d));
    child.stderr.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    child.stdin.on("error", () => {
      /* the helper died; its exit handler reports it */
    });
    child.on("error", (e: NodeJS.ErrnoException) =>
      this.fail(
        child,
        new SkiffError(`cannot start ${this.program}: ${e.message}`, {
          hint: "run `npm run build` in skiff's directory to build the native helpers",
        }),
      ),
    );
    // "close", not "exit": replies still in the pipe are read first.
    child.on("close", (code, signal) => {
      const why = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      this.fail(child, new SkiffError(`skiff-fsattr ${why}${this.stderr ? `: ${this.stderr.trim()}` : ""}`));
    });
    child.unref();
    (child.stdout as Socket).unref();
    (child.stderr as Socket).unref();
    (child.stdin as Socket).unref();
    return child;
  }

  private onData(d: Buffer): void {
    const text = this.incoming + d.toString("latin1", 0, d.length);
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf("\n", start)) >= 0) {
      const parts = text.slice(start, nl).split("\t").map(unescape);
      start = nl + 1;
      const waiter = this.waiters[this.head];
      if (!waiter) continue;
      this.waiters[this.head++] = undefined as unknown as Waiter;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters = this.waiters.slice(this.head);
        this.head = 0;
      }
      waiter({ kind: parts[0]!, fields: parts.slice(1) });
    }
    this.incoming = text.slice(start);
    if (this.pending() === 0 && this.child) {
      this.child.unref();
      (this.child.stdout as Socket).unref();
    }
  }

  /** The helper is gone: every waiting request fails, the next one starts a new helper. */
  private fail(child: ChildProcessWithoutNullStreams, err: Error): void {
    if (this.child !== child) return; // an earlier helper, already accounted for
    const waiting = this.waiters.slice(this.head);
    this.waiters = [];
    this.head = 0;
    this.child = undefined;
    this.incoming = "";
    for (const w of waiting) w(err);
  }
}

let shared: FsAttr | undefined;

/** The process's helper, started lazily on the first request. */
export function fsAttr(): FsAttr {
  return (shared ??= new FsAttr());
}
