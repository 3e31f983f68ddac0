// SHA-256 off the main thread: a small pool of worker threads, each with its
// own core.wasm instance and any number of open hashes. The wasm digest is
// ~6× slower than OpenSSL's, so a pull hashes in workers, several layers at
// once, instead of letting hashing gate the download.
//
// The worker's code is the short script below, run with `eval`: it needs no
// file of its own, so it works the same from build/js and from sources under
// the test runner, and it receives the already compiled module, so it
// neither searches for nor recompiles core.wasm.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { SkiffError } from "../errors.js";
import { SHA256_CONTEXT_SIZE, SHA256_DIGEST_SIZE } from "./layout.js";
import { type WasmModule, coreModule, instantiateCore } from "./module.js";

/** Open hashes one worker can hold (its context table is fixed). */
const STREAMS_PER_WORKER = 1024;

/** Bytes a hash may have in flight to its worker before update() makes the caller wait. */
export const HIGH_WATER = 8 << 20;

// Messages: to the worker {t:"init"|"update"|"final", id, data?}; back
// {t:"ack", id, n} per init and update, {t:"digest", id, digest} or {t:"error", id, message}.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { module, contextSize, digestSize, streams } = workerData;
const x = new WebAssembly.Instance(module, {}).exports;
const base = (x.heapBase() + 63) & ~63;
const dataAt = base + streams * contextSize;
const free = [];
for (let i = streams - 1; i >= 0; i--) free.push(base + i * contextSize);
const open = new Map();
function room(bytes) {
  const need = dataAt + bytes - x.memory.buffer.byteLength;
  if (need > 0) x.memory.grow(Math.ceil(need / 65536));
}
room(1 << 20);
parentPort.on("message", (m) => {
  try {
    if (m.t === "init") {
      const ctx = free.pop();
      if (ctx === undefined) throw new Error("too many open hashes in one digest worker");
      x.sha256Init(ctx);
      open.set(m.id, ctx);
      parentPort.postMessage({ t: "ack", id: m.id, n: 0 });
    } else if (m.t === "update") {
      const ctx = open.get(m.id);
      const data = m.data;
      room(data.length);
      new Uint8Array(x.memory.buffer).set(data, dataAt);
      x.sha256Update(ctx, dataAt, data.length);
      parentPort.postMessage({ t: "ack", id: m.id, n: data.length });
    } else if (m.t === "final") {
      const ctx = open.get(m.id);
      open.delete(m.id);
      x.sha256Final(ctx, dataAt);
      free.push(ctx);
      const digest = new Uint8Array(x.memory.buffer, dataAt, digestSize).slice();
      parentPort.postMessage({ t: "digest", id: m.id, digest }, [digest.buffer]);
    }
  } catch (err) {
    parentPort.postMessage({ t: "error", id: m.id, message: String(err && err.message || err) });
  }
});
`;

type Reply = { t: "ack"; id: number; n: number } | { t: "digest"; id: number; digest: Uint8Array } | { t: "error"; id: number; message: string };

class DigestThread {
  readonly worker: Worker;
  /** Open hashes, by id. */
  readonly hashes = new Map<number, WorkerSha256>();
  /** Messages not yet answered; the thread keeps the process alive only while there are some. */
  private outstanding = 0;
  failed: Error | undefined;

  constructor(module: WasmModule) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, contextSize: SHA256_CONTEXT_SIZE, digestSize: SHA256_DIGEST_SIZE, streams: STREAMS_PER_WORKER },
    });
    this.worker.unref();
    this.worker.on("message", (m: Reply) => {
      this.settle();
      this.hashes.get(m.id)?.receive(m);
    });
    this.worker.on("error", (err) => this.fail(err));
    this.worker.on("exit", (code) => this.fail(new Error(`digest worker exited with code ${code}`)));
  }

  send(message: { t: string; id: number; data?: Uint8Array }, transfer?: ArrayBuffer[]): void {
    if (this.failed) throw new SkiffError(`digest worker failed: ${this.failed.message}`, { cause: this.failed });
    if (this.outstanding++ === 0) this.worker.ref();
    this.worker.postMessage(message, transfer);
  }

  private settle(): void {
    if (--this.outstanding === 0) this.worker.unref();
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    for (const hash of this.hashes.values()) hash.receive({ t: "error", id: -1, message: err.message });
    this.hashes.clear();
  }
}

let nextId = 1;

/** A SHA-256 computed in a digest worker. */
export class WorkerSha256 {
  private inFlight = 0;
  private waiting: (() => void)[] = [];
  private result: Promise<Buffer> | undefined;
  private finish: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private error: Error | undefined;
  readonly id = nextId++;

  constructor(private readonly thread: DigestThread) {
    thread.hashes.set(this.id, this);
    thread.send({ t: "init", id: this.id });
  }

  /**
   * Hash `data`. The bytes are copied to the worker, unless `transfer` is set
   * and `data` spans its whole ArrayBuffer: then the buffer moves to the
   * worker without a copy and is unusable here afterwards. Resolves at once
   * while less than HIGH_WATER bytes are in flight, else when the worker has
   * caught up — await it to keep memory flat.
   */
  update(data: Uint8Array, opts: { transfer?: boolean } = {}): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.result) return Promise.reject(new SkiffError("sha256: update after digest"));
    if (data.length === 0) return Promise.resolve();
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    if (opts.transfer && whole) this.thread.send({ t: "update", id: this.id, data }, [data.buffer as ArrayBuffer]);
    else this.thread.send({ t: "update", id: this.id, data });
    this.inFlight += data.length;
    if (this.inFlight <= HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The 32-byte digest, once the worker has hashed everything sent. */
  digest(): Promise<Buffer> {
    if (this.error) return Promise.reject(this.error);
    this.result ??= new Promise<Buffer>((resolve, reject) => {
      this.finish = { resolve, reject };
      this.thread.send({ t: "final", id: this.id });
    });
    return this.result;
  }

  async hex(): Promise<string> {
    return (await this.digest()).toString("hex");
  }

  /** @internal */
  receive(m: Reply): void {
    if (m.t === "ack") {
      this.inFlight -= m.n;
      if (this.inFlight <= HIGH_WATER) for (const wake of this.waiting.splice(0)) wake();
    } else if (m.t === "digest") {
      this.thread.hashes.delete(this.id);
      this.finish?.resolve(Buffer.from(m.digest.buffer, m.digest.byteOffset, m.digest.byteLength));
    } else {
      this.error = new SkiffError(`digest worker: ${m.message}`);
      this.thread.hashes.delete(this.id);
      for (const wake of this.waiting.splice(0)) wake();
      this.finish?.reject(this.error);
    }
  }
}

/** A pool of digest threads; each new hash goes to the thread with the fewest open hashes. */
export class DigestWorkers {
  private readonly threads: DigestThread[] = [];

  constructor(readonly size: number = Math.max(1, Math.min(4, availableParallelism()))) {}

  create(): WorkerSha256 {
    for (let i = this.threads.length - 1; i >= 0; i--) if (this.threads[i].failed) this.threads.splice(i, 1);
    let thread: DigestThread;
    if (this.threads.length < this.size) {
      const module = coreModule();
      instantiateCore(module); // fail here, with the hint, if the wasm is stale
      thread = new DigestThread(module);
      this.threads.push(thread);
    } else thread = this.threads.reduce((a, b) => (b.hashes.size < a.hashes.size ? b : a));
    return new WorkerSha256(thread);
  }

  /** Stop every thread; open hashes fail. */
  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}

let shared: DigestWorkers | undefined;

/** The process-wide pool (threads start on first use and do not keep the process alive when idle). */
export function digestWorkers(): DigestWorkers {
  shared ??= new DigestWorkers();
  return shared;
}
