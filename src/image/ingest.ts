import { PassThrough, Transform, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { DigestMismatchError, InvalidArgumentError } from "../errors.js";
import { extractLayer } from "../layer/extract.js";
import type { BlobStore, BlobWriter } from "../store/blobs.js";
import { HashingStream } from "../store/hasher.js";

// One layer into the store in one pass (DESIGN.md §5): the source bytes are
// hashed and written to a blob file; decompressed, hashed again (the diff
// id) and extracted into a fresh directory. Memory stays flat whatever the
// layer size. The caller renames the directory into place only if both
// digests are what it expected; the blob is committed here, after the check.

/** Feeds each chunk to a blob writer (respecting its back-pressure), then passes it on. */
class BlobTap extends Transform {
  bytes = 0;
  constructor(
    private readonly writer: BlobWriter,
    private readonly onBytes?: (n: number) => void,
  ) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    if (this.writer.stream.write(chunk)) cb(null, chunk);
    else this.writer.stream.once("drain", () => cb(null, chunk));
  }
  override _flush(cb: TransformCallback): void {
    this.writer.stream.end(() => cb());
  }
}

export interface IngestOptions {
  source: Readable;
  compression: "gzip" | "none";
  diffDir: string;
  blobs: BlobStore;
  /** The blob digest the source promised, if it could ("" or undefined: compute it). */
  expectedDigest?: string;
  expectedDiffId?: string;
  what: string;
  ignoreChownErrors?: boolean;
  onWarning?: (msg: string) => void;
  onBytes?: (n: number) => void;
}

export interface IngestResult {
  blob: { digest: string; size: number };
  diffId: string;
  /** Bytes of the uncompressed tar. */
  size: number;
}

export async function ingestLayer(o: IngestOptions): Promise<IngestResult> {
  const writer = o.blobs.writer(o.expectedDigest || undefined, o.what);
  try {
    const tap = new BlobTap(writer, o.onBytes);
    const tar = new HashingStream();
    const flowing = (o.compression === "gzip" ? pipeline(o.source, tap, createGunzip({ chunkSize: 1 << 17 }), tar) : pipeline(o.source, tap, tar)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "Z_DATA_ERROR" || e.code === "Z_BUF_ERROR") throw new InvalidArgumentError(`${o.what}: not valid gzip data (${e.message})`, "the layer blob is corrupt or truncated");
      throw e;
    });
    await Promise.all([extractLayer(tar, o.diffDir, { ignoreChownErrors: o.ignoreChownErrors, onWarning: o.onWarning }), flowing]);
    const diffId = tar.digest();
    if (o.expectedDiffId && diffId !== o.expectedDiffId) throw new DigestMismatchError(`${o.what} (uncompressed)`, o.expectedDiffId, diffId);
    const blob = await writer.commit();
    return { blob, diffId, size: tar.bytes };
  } catch (e) {
    writer.abort();
    throw e;
  }
}

/** Which compression a stream starts with (gzip magic, zstd magic, else plain tar). */
export function sniffCompression(head: Buffer): "gzip" | "zstd" | "none" {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}


/** The first chunk of a stream (empty at EOF), and a stream that still yields every byte. */
export async function peekHead(src: Readable): Promise<{ head: Buffer; stream: Readable }> {
  const head: Buffer = await new Promise((resolve, reject) => {
    const onReadable = () => {
      const c = src.read() as Buffer | null;
      if (c !== null) {
        done();
        resolve(c);
      }
    };
    const onEnd = () => {
      done();
      resolve(Buffer.alloc(0));
    };
    const done = () => {
      src.off("readable", onReadable);
      src.off("end", onEnd);
      src.off("error", reject);
    };
    src.on("readable", onReadable);
    src.on("end", onEnd);
    src.on("error", reject);
  });
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  if (head.length) out.write(head);
  src.on("error", (e) => out.destroy(e));
  src.pipe(out);
  return { head, stream: out };
}
