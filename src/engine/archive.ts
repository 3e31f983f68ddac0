import { renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { InvalidArgumentError, SkiffError } from "../errors.js";
import { loadImages, saveImages as writeArchive, type ArchiveFormat } from "../image/archive.js";
import { applyChanges } from "../image/changes.js";
import { importImage as ingestTarball } from "../image/import.js";
import { hostPlatform, parsePlatform } from "../image/platform.js";
import { parseReference } from "../image/reference.js";
import { familiar } from "../image/service.js";
import type { Progress } from "../image/transport.js";
import type { Engine } from "./engine.js";

// save, load and import: images to and from archives, through the same copy
// pipeline as pull and push. Files are written beside their target and
// renamed, so a failed save leaves no half archive.

const FORMATS: Record<string, ArchiveFormat> = { "docker-archive": "docker-archive", "oci-archive": "oci-archive", "oci-dir": "oci-dir" };

export function checkArchiveFormat(format: string): ArchiveFormat {
  const f = FORMATS[format];
  if (!f) throw new InvalidArgumentError(`unknown archive format "${format}"`, "use docker-archive, oci-archive or oci-dir");
  return f;
}

/** `save`: images by name or id into one archive (a stream, a file, or an OCI directory). */
export async function saveImages(engine: Engine, names: string[], out: Writable | string, format: ArchiveFormat = "docker-archive"): Promise<void> {
  const selected = names.map((n) => {
    const image = engine.images.get(n);
    // Saved by name: that name goes into the archive; by id: all its names, as Docker does.
    const byId = /^(sha256:)?[a-f0-9]{6,64}$/.test(n) && image.record.id.slice(7).startsWith(n.replace(/^sha256:/, ""));
    let wanted: string[];
    if (byId) wanted = image.tags;
    else {
      const ref = parseReference(n);
      wanted = ref.digest ? [] : [ref.toString()];
    }
    return { image, names: wanted };
  });
  const progress = () => {};
  if (typeof out !== "string" || format === "oci-dir") {
    await writeArchive(engine.images, selected, format, out, progress);
    return;
  }
  const tmp = join(dirname(out), `.${basename(out)}.skiff-tmp-${process.pid}`);
  try {
    await writeArchive(engine.images, selected, format, tmp, progress);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface LoadResult {
  images: { id: string; names: string[]; retagged: { name: string; oldId: string }[] }[];
  warnings: string[];
}

/**
 * What `load` reports, line by line, in Docker's words: the CLI prints these
 * and the API streams them ({"stream": "Loaded image: busybox:latest\n"},
 * which docker-py parses with `^Loaded image( ID)?: `).
 */
export function loadMessages(r: LoadResult): string[] {
  const lines: string[] = [];
  for (const img of r.images) {
    for (const x of img.retagged) lines.push(`The image ${x.name} already exists, renaming the old one with ID ${x.oldId} to empty string`);
    if (img.names.length) for (const n of img.names) lines.push(`Loaded image: ${n}`);
    else lines.push(`Loaded image ID: ${img.id}`);
  }
  return lines;
}

/** `load`: every image of a docker-archive, oci-archive or OCI directory (a path, or a stream). */
export async function loadArchive(engine: Engine, input: string | Readable, opts: { platform?: string; signal?: AbortSignal } = {}, progress: Progress = () => {}): Promise<LoadResult> {
  const warnings: string[] = [];
  const loaded = await loadImages(
    input,
    engine.layout,
    () => engine.storeDestination({ mode: "load", onWarning: (w) => warnings.push(w) }),
    opts.platform ? parsePlatform(opts.platform) : hostPlatform(),
    progress,
    opts.signal,
  );
  return {
    images: loaded.map((img) => ({
      id: img.id,
      names: img.names.map(familiar),
      retagged: Object.entries(img.retagged).map(([name, oldId]) => ({ name: familiar(name), oldId })),
    })),
    warnings,
  };
}

export interface ImportRequest {
  /** Repository[:tag] for the new image. */
  repo?: string;
  /** Dockerfile instructions for the config (--change). */
  changes?: string[];
  message?: string;
  platform?: string;
  /** How the source is named in the image's history ("-" for stdin). */
  sourceName: string;
}

/** `import`: a root filesystem tarball (plain or compressed) as a one-layer image. */
export async function importTarball(engine: Engine, source: Readable, req: ImportRequest): Promise<{ id: string; warnings: string[] }> {
  if (/^https?:\/\//.test(req.sourceName)) throw new SkiffError(`importing from a URL is not supported: ${req.sourceName}`, { hint: "download it first (curl -LO URL), then import the file" });
  const warnings: string[] = [];
  const id = await ingestTarball(engine, source, {
    names: req.repo ? [parseReference(req.repo).toString()] : [],
    config: applyChanges({}, req.changes ?? []),
    message: req.message,
    sourceName: req.sourceName,
    platform: req.platform ? parsePlatform(req.platform) : undefined,
    ignoreChownErrors: engine.userns.mapping.singleId,
    onWarning: (w) => warnings.push(w),
  });
  return { id, warnings };
}
