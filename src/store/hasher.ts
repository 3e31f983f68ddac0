import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

// The store's view of content digests. One place decides which SHA-256
// implementation hashes store content, so the pipelines never care.

export interface Hasher {
  update(chunk: Uint8Array): void;
  /** "sha256:<hex>" */
  digest(): string;
}

export function createHasher(): Hasher {
  const h = createHash("sha256");
  return {
    update: (chunk) => void h.update(chunk),
    digest: () => `sha256:${h.digest("hex")}`,
  };
}

/** A pass-through stream that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  readonly hasher: Hasher = createHasher();
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hasher.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  digest(): string {
    return this.hasher.digest();
  }
}

export function digestOf(data: Uint8Array): string {
  const h = createHasher();
  h.update(data);
  return h.digest();
}
