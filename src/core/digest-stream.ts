// A pass-through stream whose bytes are hashed in a digest worker, for
// pipelines (HTTP body -> hash -> gunzip -> hash -> tar) that should not
// spend main-thread time on SHA-256.
import { Transform, type TransformCallback } from "node:stream";
import { SkiffError } from "../errors.js";
import { type DigestWorkers, digestWorkers } from "./digest-worker.js";

export class WorkerSha256Stream extends Transform {
  private readonly hash;
  private result: string | undefined;
  /** Bytes that have passed. */
  bytes = 0;

  constructor(pool: DigestWorkers = digestWorkers()) {
    super();
    this.hash = pool.create();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    // The chunk also goes downstream, so it is copied to the worker, not transferred;
    // waiting on update() passes the worker's backpressure upstream.
    this.hash.update(chunk).then(() => done(null, chunk), done);
  }

  override _flush(done: TransformCallback): void {
    this.hash.hex().then((hex) => {
      this.result = hex;
      done();
    }, done);
  }

  /** Hex digest of everything that passed; only after the stream has ended. */
  get hex(): string {
    if (this.result === undefined) throw new SkiffError("sha256: stream has not finished");
    return this.result;
  }
}
