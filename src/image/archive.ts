import { closeSync, createWriteStream, openSync, readSync, statSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { InvalidArgumentError, SkiffError } from "../errors.js";
import type { StoreLayout } from "../store/layout.js";
import { copyImage } from "./copy.js";
import { peekHead } from "./ingest.js";
import type { Platform } from "./types.js";
import type { CopyEvent, SourceImage } from "./transport.js";
import { archiveImages, dirFiles, tarFiles } from "./transports/archive-source.js";
import { DockerArchiveWriter, OciLayoutWriter } from "./transports/archive-destination.js";
import { TarIndex } from "./transports/tar-index.js";
import type { StoreDestination } from "./transports/store-destination.js";
import { storeSource } from "./transports/store-source.js";
import type { ImageService, LocalImage } from "./service.js";

// load and save: copies between archives and the store (DESIGN.md §5).

function sniff(head: Buffer): "gzip" | "tar" | "bzip2" | "xz" | "zstd" {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  if (head.subarray(0, 3).toString("latin1") === "BZh") return "bzip2";
  if (head[0] === 0xfd && head.subarray(1, 6).toString("latin1") === "7zXZ\0") return "xz";
  return "tar";
}

function headOf(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(6);
    readSync(fd, b, 0, 6, 0);
    return b;
  } finally {
    closeSync(fd);
  }
}

/**
 * An uncompressed tar file to index: the input itself when it is one,
 * otherwise a copy under the store's tmp/ (stdin, gzip), removed by `done`.
 */
export async function materializeArchive(input: string | Readable, layout: StoreLayout): Promise<{ path: string; done: () => void }> {
  if (typeof input === "string") {
    let st;
    try {
      st = statSync(input);
    } catch {
      throw new InvalidArgumentError(`open ${input}: no such file or directory`);
    }
    if (st.isDirectory()) return { path: input, done: () => {} };
    const kind = sniff(headOf(input));
    if (kind === "tar") return { path: input, done: () => {} };
    const { createReadStream } = await import("node:fs");
    return spool(createReadStream(input), kind, layout);
  }
  // stdin: look at the first bytes, then copy.
  const { head, stream } = await peekHead(input);
  if (head.length === 0) throw new InvalidArgumentError("requested load from stdin, but stdin is empty", "pipe an image archive into it, or use -i FILE");
  return spool(stream, sniff(head), layout);
}

async function spool(src: Readable, kind: ReturnType<typeof sniff>, layout: StoreLayout): Promise<{ path: string; done: () => void }> {
  if (kind !== "tar" && kind !== "gzip")
    throw new InvalidArgumentError(`${kind}-compressed archives are not supported`, "decompress it first (e.g. xz -d or bzip2 -d), or use gzip");
  layout.ensure();
  const path = layout.tempPath("archive");
  const { rmSync } = await import("node:fs");
  try {
    if (kind === "gzip") await pipeline(src, createGunzip(), createWriteStream(path, { mode: 0o600 }));
    else await pipeline(src, createWriteStream(path, { mode: 0o600 }));
  } catch (e) {
    rmSync(path, { force: true });
    if ((e as NodeJS.ErrnoException).code === "Z_DATA_ERROR") throw new InvalidArgumentError("the archive is not valid gzip data");
    throw e;
  }
  return { path, done: () => rmSync(path, { force: true }) };
}

export interface LoadedImage {
  id: string;
  names: string[];
  retagged: Record<string, string>;
}

/** `load`: every image in the archive, into the store. */
export async function loadImages(
  input: string | Readable,
  layout: StoreLayout,
  destination: () => StoreDestination,
  platform: Platform,
  progress: (e: CopyEvent) => void,
  signal?: AbortSignal,
): Promise<LoadedImage[]> {
  const archive = await materializeArchive(input, layout);
  try {
    const files = statSync(archive.path).isDirectory() ? dirFiles(archive.path) : tarFiles(TarIndex.open(archive.path));
    const images: SourceImage[] = archiveImages(files, platform);
    const out: LoadedImage[] = [];
    for (const img of images) {
      const r = await copyImage(img, destination(), progress, { signal });
      out.push({ id: r.id, names: img.names, retagged: r.retagged });
    }
    return out;
  } finally {
    archive.done();
  }
}

export type ArchiveFormat = "docker-archive" | "oci-archive" | "oci-dir";

/** `save`: images from the store into one archive. */
export async function saveImages(
  service: ImageService,
  selected: { image: LocalImage; names: string[] }[],
  format: ArchiveFormat,
  out: Writable | string,
  progress: (e: CopyEvent) => void,
): Promise<void> {
  let writer: DockerArchiveWriter | OciLayoutWriter;
  if (format === "oci-dir") {
    if (typeof out !== "string") throw new SkiffError("an OCI directory needs a path (-o DIR)");
    writer = OciLayoutWriter.directory(out);
  } else {
    const stream = typeof out === "string" ? createWriteStream(out, { mode: 0o644 }) : out;
    writer =
      format === "oci-archive"
        ? OciLayoutWriter.archive(stream)
        : new DockerArchiveWriter(stream, (diffId) => {
            for (const s of selected) {
              const i = s.image.config.rootfs.diff_ids.indexOf(diffId);
              if (i >= 0) return service.layers.get(s.image.record.layers[i]!).size;
            }
            throw new SkiffError(`layer ${diffId} not found`);
          });
  }
  for (const s of selected) await copyImage(storeSource(s.image, service.blobs, service.layers, s.names), writer, progress);
  await writer.finish();
  for (const s of selected) service.logEvent("save", s.image.record.id, s.image.record.id);
}
