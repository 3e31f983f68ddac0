import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, type ReadStream } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { DigestMismatchError, NotFoundError } from "../errors.js";
import { writeFileAtomic } from "./atomic.js";
import { digestOf, HashingStream, StreamHasher } from "./hasher.js";
import type { StoreLayout } from "./layout.js";
import { isDigest } from "../digest.js";

// Content-addressed blobs: manifests, configs and layer blobs, each stored
// under its own sha256 and verified on the way in — a blob is renamed into
// place only after its bytes hashed to the expected digest.

export class BlobStore {
  constructor(private readonly layout: StoreLayout) {}

  path(digest: string): string {
    if (!isDigest(digest)) throw new NotFoundError(`invalid blob digest ${digest}`);
    return join(this.layout.blobs, digest.slice(7));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  size(digest: string): number {
    return statSync(this.path(digest)).size;
  }

  read(digest: string): Buffer {
    try {
      return readFileSync(this.path(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(`blob ${digest} is missing from the store`, "run `skiff system check --repair`, then pull or load the image again");
      throw e;
    }
  }

  open(digest: string): ReadStream {
    if (!this.has(digest)) throw new NotFoundError(`blob ${digest} is missing from the store`, "run `skiff system check --repair`, then pull or load the image again");
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }

  /** Store a small document; returns its digest. Refuses bytes that do not match `expected`. */
  putBytes(data: Buffer, expected?: string, what = "blob"): string {
    const digest = digestOf(data);
    if (expected && digest !== expected) throw new DigestMismatchError(what, expected, digest);
    if (!this.has(digest)) writeFileAtomic(this.path(digest), data, 0o644);
    return digest;
  }

  /**
   * A writer for a large blob: bytes go to a temporary file under tmp/ while
   * they are hashed; commit() checks the digest and renames it into place.
   */
  writer(expected?: string, what = "blob"): BlobWriter {
    return new BlobWriter(this, this.layout.tempPath("blob"), expected, what);
  }

  async putStream(src: Readable, expected?: string, what = "blob"): Promise<{ digest: string; size: number }> {
    const w = this.writer(expected, what);
    try {
      await pipeline(src, w.stream);
      return await w.commit();
    } catch (e) {
      w.abort();
      throw e;
    }
  }

  delete(digest: string): void {
    rmSync(this.path(digest), { force: true });
  }

  list(): string[] {
    try {
      return readdirSync(this.layout.blobs).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
    } catch {
      return [];
    }
  }

  /** Re-hash a stored blob; true when its content still matches its name. */
  async verify(digest: string): Promise<boolean> {
    const h = new HashingStream();
    await pipeline(this.open(digest), h, new Writable({ write: (_c, _e, cb) => cb() }));
    return h.digest() === digest;
  }
}

export class BlobWriter {
  private readonly hasher = new StreamHasher();
  private size = 0;
  readonly stream: Writable;

  constructor(
    private readonly store: BlobStore,
    private readonly tmp: string,
    private readonly expected: string | undefined,
    private readonly what: string,
  ) {
    const file = createWriteStream(tmp, { flags: "wx", mode: 0o644, highWaterMark: 1 << 20 });
    const hasher = this.hasher;
    this.stream = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, cb) => {
        this.size += chunk.length;
        const hashed = hasher.update(chunk);
        const written = file.write(chunk) ? undefined : new Promise<void>((r) => file.once("drain", r));
        Promise.all([hashed, written]).then(() => cb(), cb);
      },
      final: (cb) => {
        file.end(() => cb());
      },
      destroy: (err, cb) => {
        file.destroy();
        cb(err);
      },
    });
    file.on("error", (e) => this.stream.destroy(e));
  }

  /** Verify and move into place; returns the digest and size. */
  async commit(): Promise<{ digest: string; size: number }> {
    const digest = await this.hasher.finish();
    if (this.expected && digest !== this.expected) {
      this.abort();
      throw new DigestMismatchError(this.what, this.expected, digest);
    }
    if (this.store.has(digest)) rmSync(this.tmp, { force: true });
    else renameSync(this.tmp, this.store.path(digest));
    return { digest, size: this.size };
  }

  abort(): void {
    rmSync(this.tmp, { force: true });
  }
}
