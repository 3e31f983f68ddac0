// SHA-256 on the calling thread, in core.wasm. Many hashes may be open at
// once (a layer's compressed and uncompressed digests are computed
// together); each owns one context slot in linear memory.
import { Transform, type TransformCallback } from "node:stream";
import { SkiffError } from "../errors.js";
import { SHA256_DIGEST_SIZE } from "./layout.js";
import { type CoreMemory, coreMemory } from "./memory.js";

/** Largest piece copied into linear memory per call. */
const CHUNK = 1 << 20;
/** Updates smaller than this are gathered and hashed together, so small writes do not each cross into wasm. */
const SMALL = 16 * 1024;
const STAGE = 64 * 1024;

// A hash dropped before digest() gives its slot back when collected.
const abandoned = new FinalizationRegistry<{ core: CoreMemory; ctx: number }>(({ core, ctx }) => core.freeContext(ctx));

export class Sha256 {
  private readonly core: CoreMemory;
  private readonly ctx: number;
  private stage: Uint8Array | undefined;
  private staged = 0;
  private result: Buffer | undefined;

  constructor(core: CoreMemory = coreMemory()) {
    this.core = core;
    this.ctx = core.allocContext();
    core.exports.sha256Init(this.ctx);
    abandoned.register(this, { core, ctx: this.ctx }, this);
  }

  /** Add bytes (a string is hashed as UTF-8). */
  update(data: Uint8Array | string): this {
    if (this.result) throw new SkiffError("sha256: update after digest");
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    if (bytes.length < SMALL) {
      this.stage ??= new Uint8Array(STAGE);
      if (this.staged + bytes.length > STAGE) this.flush();
      this.stage.set(bytes, this.staged);
      this.staged += bytes.length;
      return this;
    }
    this.flush();
    this.hashInWasm(bytes);
    return this;
  }

  /** The 32-byte digest; the hash is finished (later calls return the same digest). */
  digest(): Buffer {
    if (this.result) return this.result;
    this.flush();
    const { core, ctx } = this;
    const out = core.arena(SHA256_DIGEST_SIZE);
    core.exports.sha256Final(ctx, out);
    this.result = Buffer.from(core.u8.subarray(out, out + SHA256_DIGEST_SIZE));
    abandoned.unregister(this);
    core.freeContext(ctx);
    this.stage = undefined;
    return this.result;
  }

  /** The digest as lowercase hex (without the "sha256:" prefix). */
  hex(): string {
    return this.digest().toString("hex");
  }

  private flush(): void {
    if (this.staged === 0) return;
    this.hashInWasm(this.stage!.subarray(0, this.staged));
    this.staged = 0;
  }

  private hashInWasm(bytes: Uint8Array): void {
    const { core, ctx } = this;
    const ptr = core.arena(Math.min(bytes.length, CHUNK));
    const { sha256Update } = core.exports;
    for (let off = 0; off < bytes.length; off += CHUNK) {
      const piece = bytes.subarray(off, Math.min(off + CHUNK, bytes.length));
      core.u8.set(piece, ptr);
      sha256Update(ctx, ptr, piece.length);
    }
  }
}

/** SHA-256 of one buffer or string. */
export function sha256(data: Uint8Array | string): Buffer {
  return new Sha256().update(data).digest();
}

/** Lowercase hex SHA-256 of one buffer or string. */
export function sha256Hex(data: Uint8Array | string): string {
  return new Sha256().update(data).hex();
}

/** Hex SHA-256 of everything an async source (a Readable, say) yields. */
export async function sha256HexOf(source: AsyncIterable<Uint8Array | string>): Promise<string> {
  const hash = new Sha256();
  for await (const chunk of source) hash.update(chunk);
  return hash.hex();
}

/** A pass-through stream that hashes what flows through it; `hex` is set once it has flushed. */
export class Sha256Stream extends Transform {
  private readonly hash = new Sha256();
  private result: string | undefined;
  /** Bytes that have passed. */
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.result = this.hash.hex();
    done();
  }

  /** Hex digest of everything that passed; only after the stream has ended. */
  get hex(): string {
    if (this.result === undefined) throw new SkiffError("sha256: stream has not finished");
    return this.result;
  }
}

export function sha256Stream(): Sha256Stream {
  return new Sha256Stream();
}
