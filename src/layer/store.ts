import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "../errors.js";
import { writeJsonAtomic } from "../store/atomic.js";
import { digestOf } from "../store/hasher.js";
import type { StoreLayout } from "../store/layout.js";

// Extracted layers, one directory each, keyed by chain id so that a layer
// shared by two images is on disk once (image-spec config.md, "ChainID").
// A layer's diff/ holds exactly its own tar's content — OCI whiteouts kept as
// `.wh.` files, which fuse-overlayfs honours in lower dirs — so extraction
// needs no parent and layers of one image can be extracted in parallel.
// A layer becomes visible only by the rename of a complete directory.

export interface LayerRecord {
  chainId: string;
  diffId: string;
  parent?: string;
  /** Bytes of the uncompressed tar (Docker's layer size). */
  size: number;
  /** The blob it came from, as stored in blobs/. */
  blob?: { digest: string; mediaType: string; size: number };
  created: string;
}

export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : digestOf(Buffer.from(`${out[out.length - 1]} ${d}`)));
  return out;
}

export class LayerStore {
  constructor(private readonly layout: StoreLayout) {}

  dir(chainId: string): string {
    return join(this.layout.layers, chainId.replace(/^sha256:/, ""));
  }

  diffDir(chainId: string): string {
    return join(this.dir(chainId), "diff");
  }

  has(chainId: string): boolean {
    return existsSync(join(this.dir(chainId), "layer.json"));
  }

  get(chainId: string): LayerRecord {
    try {
      return JSON.parse(readFileSync(join(this.dir(chainId), "layer.json"), "utf8")) as LayerRecord;
    } catch {
      throw new NotFoundError(`layer ${chainId} is missing from the store`, "run `skiff system check --repair`, then pull or load the image again");
    }
  }

  list(): string[] {
    try {
      return readdirSync(this.layout.layers).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
    } catch {
      return [];
    }
  }

  /**
   * Create a layer: `populate` fills a fresh diff directory under tmp/;
   * the finished directory is renamed into place. If another process made
   * the same layer meanwhile, ours is dropped and theirs kept.
   */
  async create(record: Omit<LayerRecord, "created" | "size"> & { size?: number }, populate: (diffDir: string) => Promise<Partial<LayerRecord> | void>): Promise<LayerRecord> {
    const tmp = this.layout.tempPath("layer");
    mkdirSync(join(tmp, "diff"), { recursive: true, mode: 0o755 });
    try {
      const extra = (await populate(join(tmp, "diff"))) ?? {};
      const full: LayerRecord = { size: 0, ...record, ...extra, created: new Date().toISOString() };
      writeJsonAtomic(join(tmp, "layer.json"), full);
      if (this.has(full.chainId)) {
        rmSync(tmp, { recursive: true, force: true });
        return this.get(full.chainId);
      }
      try {
        renameSync(tmp, this.dir(full.chainId));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "ENOTEMPTY" && code !== "EEXIST") throw e;
        // A directory without layer.json is debris of a killed delete: replace it.
        if (!this.has(full.chainId)) {
          this.remove(full.chainId);
          renameSync(tmp, this.dir(full.chainId));
        } else rmSync(tmp, { recursive: true, force: true });
      }
      return full;
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /** Remove a layer: first out of sight (renamed under tmp/), then from disk. */
  remove(chainId: string): void {
    const dir = this.dir(chainId);
    if (!existsSync(dir)) return;
    const trash = this.layout.tempPath("deleted-layer");
    renameSync(dir, trash);
    rmSync(trash, { recursive: true, force: true });
  }
}
