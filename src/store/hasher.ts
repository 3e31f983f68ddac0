import { Transform, type TransformCallback } from "node:stream";
import { Sha256 } from "../core/sha256.js";
import { digestWorkers, type WorkerSha256 } from "../core/digest-worker.js";

// The store's view of content digests: SHA-256 from the WASM core (core.wasm).
// Small documents (manifests, configs) are hashed on the calling thread;
// streams (layer blobs and their uncompressed tars) in the digest worker pool,
// so a pull's two digests per layer, for several layers at once, run beside
// gunzip and extraction instead of in front of them. Portable WASM has no SHA
// instructions: one stream hashes at a few hundred MB/s (npm run bench --
// digest), which is why the streams are spread over threads.

export interface Hasher {
  update(chunk: Uint8Array): void;
  /** "sha256:<hex>" */
  digest(): string;
}

/** A hash on the calling thread. */
export function createHasher(): Hasher {
  const h = new Sha256();
  return {
    update: (chunk) => void h.update(chunk),
    digest: () => `sha256:${h.hex()}`,
  };
}

/** A hash in a digest worker: updates resolve when the worker has room (back-pressure). */
export class StreamHasher {
  private readonly hash: WorkerSha256 = digestWorkers().create();
  private result: string | undefined;

  update(chunk: Uint8Array): Promise<void> {
    return this.hash.update(chunk);
  }

  /** "sha256:<hex>" of everything given. */
  async finish(): Promise<string> {
    this.result ??= `sha256:${await this.hash.hex()}`;
    return this.result;
  }
}

/** A pass-through stream that hashes (in a digest worker) and counts what flows through it. */
export class HashingStream extends Transform {
  private readonly hasher = new StreamHasher();
  private result: string | undefined;
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hasher.update(chunk).then(() => cb(null, chunk), cb);
  }

  override _flush(cb: TransformCallback): void {
    this.hasher.finish().then((d) => {
      this.result = d;
      cb();
    }, cb);
  }

  /** "sha256:<hex>"; only once the stream has finished. */
  digest(): string {
    if (this.result === undefined) throw new Error("HashingStream: digest() before the stream finished");
    return this.result;
  }
}

export function digestOf(data: Uint8Array): string {
  const h = createHasher();
  h.update(data);
  return h.digest();
}
