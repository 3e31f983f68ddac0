import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "../errors.js";
import { writeJsonAtomic } from "../store/atomic.js";
import type { LockService } from "../store/locks.js";
import type { StoreLayout } from "../store/layout.js";

// Image records and the name index. An image's id is its config digest, as
// in Docker and Podman; its record names the manifest it is stored with and
// its layers' chain ids. Names (repo:tag) and repo digests (repo@sha256:…)
// live in one index file, rewritten atomically under its own lock.

export interface ImageRecord {
  id: string;
  manifestDigest: string;
  manifestMediaType: string;
  layers: string[];
  /** When it entered this store. */
  loaded: string;
  /** The image it was committed or built on (Docker's Parent); untagged parents are build intermediates. */
  parent?: string;
}

export interface NameIndex {
  /** "docker.io/library/busybox:latest" → image id */
  tags: Record<string, string>;
  /** "docker.io/library/busybox@sha256:…" → image id */
  digests: Record<string, string>;
}

const NAMES_LOCK = "image-names";

export class ImageStore {
  private readonly namesFile: string;

  constructor(
    private readonly layout: StoreLayout,
    private readonly locks: LockService,
  ) {
    this.namesFile = join(layout.images, "names.json");
  }

  private recordPath(id: string): string {
    return join(this.layout.images, `${id.replace(/^sha256:/, "")}.json`);
  }

  has(id: string): boolean {
    try {
      readFileSync(this.recordPath(id));
      return true;
    } catch {
      return false;
    }
  }

  get(id: string): ImageRecord {
    try {
      return JSON.parse(readFileSync(this.recordPath(id), "utf8")) as ImageRecord;
    } catch {
      throw new NotFoundError(`No such image: ${id}`);
    }
  }

  list(): ImageRecord[] {
    let files: string[];
    try {
      files = readdirSync(this.layout.images);
    } catch {
      return [];
    }
    const out: ImageRecord[] = [];
    for (const f of files) {
      if (!/^[a-f0-9]{64}\.json$/.test(f)) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.layout.images, f), "utf8")) as ImageRecord);
      } catch {
        /* a record being replaced; skip it */
      }
    }
    return out;
  }

  names(): NameIndex {
    try {
      const v = JSON.parse(readFileSync(this.namesFile, "utf8")) as Partial<NameIndex>;
      return { tags: v.tags ?? {}, digests: v.digests ?? {} };
    } catch {
      return { tags: {}, digests: {} };
    }
  }

  /** Names and repo digests of one image, from an already-read index. */
  static namesOf(index: NameIndex, id: string): { tags: string[]; digests: string[] } {
    return {
      tags: Object.keys(index.tags).filter((t) => index.tags[t] === id).sort(),
      digests: Object.keys(index.digests).filter((d) => index.digests[d] === id).sort(),
    };
  }

  /** Write an image record (replacing any with the same id). */
  putRecord(record: ImageRecord): void {
    writeJsonAtomic(this.recordPath(record.id), record);
  }

  removeRecord(id: string): void {
    rmSync(this.recordPath(id), { force: true });
  }

  /** Change the name index under its lock; `fn` edits the index in place. */
  async editNames<T>(fn: (index: NameIndex) => T): Promise<T> {
    return this.locks.with(NAMES_LOCK, async () => {
      const index = this.names();
      const result = fn(index);
      writeJsonAtomic(this.namesFile, index);
      return result;
    });
  }

  /** Point `tag` at `id`; returns the id it pointed at before, if another. */
  async tag(tag: string, id: string): Promise<string | undefined> {
    return this.editNames((index) => {
      const prev = index.tags[tag];
      index.tags[tag] = id;
      return prev !== id ? prev : undefined;
    });
  }
}
