import { createHash } from "node:crypto";
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../store/atomic.js";

// The classic builder's layer cache: a step is skipped when an earlier build
// made an image from the same parent image with the same instruction (and,
// for COPY/ADD, the same files). Each entry is one small file,
// build-cache/<key>, naming the image the step made; the images themselves
// are the build's untagged intermediate images, so an entry is good for as
// long as its image record lives, and is ignored once it is gone.

export interface CacheProbe {
  /** The image the step starts from ("" for scratch). */
  parent: string;
  /** What the step does, with its variables expanded (its history line, and whatever else changes the result). */
  instruction: string;
  /** For COPY/ADD: the digest of the files copied. */
  content?: string;
}

export function cacheKey(p: CacheProbe): string {
  return createHash("sha256").update(JSON.stringify([p.parent, p.instruction, p.content ?? ""])).digest("hex");
}

export class BuildCache {
  readonly dir: string;

  constructor(storageRoot: string) {
    this.dir = join(storageRoot, "build-cache");
  }

  /** The image id recorded for the probe, if any. */
  get(p: CacheProbe): string | undefined {
    try {
      const id = readFileSync(join(this.dir, cacheKey(p)), "utf8").trim();
      return /^sha256:[a-f0-9]{64}$/.test(id) ? id : undefined;
    } catch {
      return undefined;
    }
  }

  put(p: CacheProbe, imageId: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(this.dir, cacheKey(p)), `${imageId}\n`);
  }
}

/** One file of a COPY, for its content digest. */
export interface CopiedFile {
  /** The name it is copied under (relative to the source it came with). */
  name: string;
  /** Where it is on this host. */
  path: string;
}

/**
 * A digest of the files a COPY/ADD takes: names, types, modes, sizes, link
 * targets and contents. Owners and times are left out: COPY gives its files
 * root (or --chown) as owner, and a fresh checkout must still hit the cache.
 */
export function contentDigest(files: Iterable<CopiedFile>): string {
  const h = createHash("sha256");
  const buf = Buffer.allocUnsafe(1 << 16);
  for (const f of files) {
    const st = lstatSync(f.path);
    const type = st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : st.isFile() ? "f" : "o";
    h.update(`${JSON.stringify(f.name)} ${type} ${(st.mode & 0o7777).toString(8)} ${type === "f" ? st.size : 0}`);
    if (type === "l") h.update(` -> ${readlinkSync(f.path)}`);
    h.update("\n");
    if (type === "f") {
      const fd = openSync(f.path, "r");
      try {
        for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) h.update(buf.subarray(0, n));
      } finally {
        closeSync(fd);
      }
    }
  }
  return `sha256:${h.digest("hex")}`;
}
