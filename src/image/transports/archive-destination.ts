import { mkdirSync, writeFileSync, createWriteStream, existsSync } from "node:fs";
import { join } from "node:path";
import { Transform, Writable, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { DigestMismatchError, SkiffError } from "../../errors.js";
import { createHasher } from "../../store/hasher.js";
import { familiar } from "../service.js";
import type { CommitResult, ImageDestination, Progress, SourceImage } from "../transport.js";
import { layerCompression, MediaType, serialize, type Descriptor } from "../types.js";
import { shortId } from "../../digest.js";

// Image archives as copy destinations (save): docker-archive and OCI layouts
// (as a tar stream or a directory). Several images may go into one archive;
// a layer shared between them is written once.

const MTIME = new Date(0);

/** A sink for named files, written in order: a tar stream or a directory. */
interface FileSink {
  add(name: string, size: number, data: Readable | Buffer): Promise<void>;
  close(): Promise<void>;
}

function tarSink(out: Writable): FileSink {
  const pack = tar.pack();
  const done = pipeline(pack, out);
  done.catch(() => {});
  const dirs = new Set<string>();
  const ensureDir = (name: string) => {
    const parts = name.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (dirs.has(d)) continue;
      dirs.add(d);
      pack.entry({ name: `${d}/`, type: "directory", mode: 0o755, mtime: MTIME });
    }
  };
  return {
    async add(name, size, data) {
      ensureDir(name);
      if (Buffer.isBuffer(data)) {
        pack.entry({ name, size, mode: 0o644, mtime: MTIME }, data);
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name, size, mode: 0o644, mtime: MTIME }, (err) => (err ? reject(err) : resolve()));
        pipeline(data, entry).catch(reject);
      });
    },
    async close() {
      pack.finalize();
      await done;
    },
  };
}

function dirSink(root: string): FileSink {
  mkdirSync(root, { recursive: true });
  return {
    async add(name, _size, data) {
      const path = join(root, name);
      mkdirSync(join(path, ".."), { recursive: true });
      if (Buffer.isBuffer(data)) writeFileSync(path, data);
      else await pipeline(data, createWriteStream(path));
    },
    async close() {},
  };
}

/** Verifies a layer's uncompressed bytes against its diff id while they pass. */
class DiffCheck extends Transform {
  private readonly h = createHasher();
  constructor(
    private readonly diffId: string,
    private readonly id: string,
  ) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(c: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.h.update(c);
    cb(null, c);
  }
  override _flush(cb: TransformCallback): void {
    const got = this.h.digest();
    cb(got === this.diffId ? null : new DigestMismatchError(`stored layer ${this.id}`, this.diffId, got));
  }
}

abstract class ArchiveWriter implements ImageDestination {
  readonly concurrency = 1;
  readonly existsStatus = "Already exists" as const;
  protected readonly written = new Map<string, Descriptor>();

  constructor(protected readonly sink: FileSink) {}

  async begin(): Promise<void> {}
  async hasLayer(_i: number, desc: Descriptor, diffId: string): Promise<Descriptor | undefined> {
    return this.written.get(this.layerKey(desc, diffId));
  }
  async abort(): Promise<void> {}
  protected abstract layerKey(desc: Descriptor, diffId: string): string;
  abstract putLayer(i: number, desc: Descriptor, diffId: string, open: () => Promise<Readable>, progress: Progress): Promise<Descriptor>;
  abstract commit(image: SourceImage, layers: Descriptor[]): Promise<CommitResult>;
  abstract finish(): Promise<void>;
}

/** `docker save` format: <diffid>/layer.tar (uncompressed), <config>.json, manifest.json, repositories. */
export class DockerArchiveWriter extends ArchiveWriter {
  private readonly manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  private readonly repositories: Record<string, Record<string, string>> = {};

  constructor(out: Writable, private readonly sizes: (diffId: string) => number) {
    super(tarSink(out));
  }

  protected layerKey(_d: Descriptor, diffId: string): string {
    return diffId;
  }

  async putLayer(_i: number, desc: Descriptor, diffId: string, open: () => Promise<Readable>, progress: Progress): Promise<Descriptor> {
    const id = shortId(diffId);
    progress({ id, status: "Writing" });
    const src = await open();
    const check = new DiffCheck(diffId, id);
    const body = layerCompression(desc.mediaType) === "gzip" ? src.pipe(createGunzip()).pipe(check) : src.pipe(check);
    await this.sink.add(`${diffId.slice(7)}/layer.tar`, this.sizes(diffId), body);
    const d = { mediaType: MediaType.DockerLayer, digest: diffId, size: this.sizes(diffId) };
    this.written.set(diffId, d);
    return d;
  }

  async commit(image: SourceImage, layers: Descriptor[]): Promise<CommitResult> {
    const configName = `${image.manifest.config.digest.slice(7)}.json`;
    await this.sink.add(configName, image.configRaw.length, image.configRaw);
    const tags = image.names.map(familiar);
    this.manifest.push({ Config: configName, RepoTags: tags.length ? tags : null, Layers: layers.map((l) => `${l.digest.slice(7)}/layer.tar`) });
    const top = image.config.rootfs.diff_ids.at(-1)?.slice(7) ?? "";
    for (const t of tags) {
      const at = t.lastIndexOf(":");
      (this.repositories[t.slice(0, at)] ??= {})[t.slice(at + 1)] = top;
    }
    return { id: image.manifest.config.digest, manifestDigest: "", retagged: {} };
  }

  async finish(): Promise<void> {
    const m = Buffer.from(JSON.stringify(this.manifest));
    await this.sink.add("manifest.json", m.length, m);
    if (Object.keys(this.repositories).length) {
      const r = Buffer.from(JSON.stringify(this.repositories));
      await this.sink.add("repositories", r.length, r);
    }
    await this.sink.close();
  }
}

/** An OCI image layout (image-spec image-layout.md), in a tar stream or a directory. */
export class OciLayoutWriter extends ArchiveWriter {
  private readonly index: Descriptor[] = [];
  private readonly blobs = new Set<string>();

  constructor(sink: FileSink) {
    super(sink);
  }

  static archive(out: Writable): OciLayoutWriter {
    return new OciLayoutWriter(tarSink(out));
  }

  static directory(root: string): OciLayoutWriter {
    if (existsSync(join(root, "index.json")) && !existsSync(join(root, "oci-layout")))
      throw new SkiffError(`${root} is not an OCI layout`, { hint: "choose an empty directory" });
    return new OciLayoutWriter(dirSink(root));
  }

  protected layerKey(desc: Descriptor): string {
    return desc.digest;
  }

  private async blob(digest: string, size: number, data: Readable | Buffer): Promise<void> {
    if (this.blobs.has(digest)) return;
    this.blobs.add(digest);
    await this.sink.add(`blobs/sha256/${digest.slice(7)}`, size, data);
  }

  async putLayer(_i: number, desc: Descriptor, _diffId: string, open: () => Promise<Readable>, progress: Progress): Promise<Descriptor> {
    progress({ id: shortId(desc.digest), status: "Writing" });
    await this.blob(desc.digest, desc.size, await open());
    this.written.set(desc.digest, desc);
    return desc;
  }

  async commit(image: SourceImage, layers: Descriptor[]): Promise<CommitResult> {
    await this.blob(image.manifest.config.digest, image.configRaw.length, image.configRaw);
    await this.blob(image.manifestDigest, image.manifestRaw.length, image.manifestRaw);
    void layers;
    const names = image.names.length ? image.names : [undefined];
    for (const name of names)
      this.index.push({
        mediaType: image.manifestMediaType,
        digest: image.manifestDigest,
        size: image.manifestRaw.length,
        ...(name ? { annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": name } } : {}),
      });
    return { id: image.manifest.config.digest, manifestDigest: image.manifestDigest, retagged: {} };
  }

  async finish(): Promise<void> {
    const layout = Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    await this.sink.add("oci-layout", layout.length, layout);
    const idx = serialize({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: this.index });
    await this.sink.add("index.json", idx.length, idx);
    await this.sink.close();
  }
}
