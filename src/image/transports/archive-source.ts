import { existsSync, readFileSync, createReadStream, statSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { InvalidArgumentError } from "../../errors.js";
import { digestOf } from "../../store/hasher.js";
import { parseReference } from "../reference.js";
import { selectManifest } from "../platform.js";
import type { SourceImage } from "../transport.js";
import { INDEX_TYPES, MediaType, documentMediaType, parseImageConfig, parseIndex, parseManifest, type Descriptor, type Platform } from "../types.js";
import { TarIndex } from "./tar-index.js";
import { isDigest } from "../../digest.js";

// Image archives as copy sources: docker-archive (what `docker save` and
// `podman save` write: manifest.json, <config>.json, layer tars) and OCI
// layouts (oci-layout, index.json, blobs/), in a tar or as a directory.

/** Read access to the files of an archive, whether a tar or a directory. */
export interface ArchiveFiles {
  has(name: string): boolean;
  read(name: string, what?: string): Buffer;
  stream(name: string, what?: string): Readable;
  peek(name: string, n: number, what?: string): Buffer;
  size(name: string): number;
}

export function tarFiles(index: TarIndex): ArchiveFiles {
  return {
    has: (n) => index.has(n),
    read: (n, w) => index.read(n, w),
    stream: (n, w) => index.stream(n, w),
    peek: (n, k, w) => index.peek(n, k, w),
    size: (n) => index.member(n, "archive").size,
  };
}

export function dirFiles(root: string): ArchiveFiles {
  const p = (n: string) => {
    const full = join(root, n);
    if (!full.startsWith(root)) throw new InvalidArgumentError(`archive path ${n} escapes ${root}`);
    return full;
  };
  return {
    has: (n) => existsSync(p(n)),
    read: (n) => readFileSync(p(n)),
    stream: (n) => createReadStream(p(n), { highWaterMark: 1 << 20 }),
    peek: (n, k) => readFileSync(p(n)).subarray(0, k),
    size: (n) => statSync(p(n)).size,
  };
}

const GZIP_MAGIC = [0x1f, 0x8b];

function qualified(name: string): string | undefined {
  try {
    return parseReference(name).toString();
  } catch {
    return undefined;
  }
}

interface DockerArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** The images of a docker-archive (manifest.json). */
export function dockerArchiveImages(files: ArchiveFiles): SourceImage[] {
  let entries: DockerArchiveEntry[];
  try {
    entries = JSON.parse(files.read("manifest.json", "docker archive").toString()) as DockerArchiveEntry[];
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw e;
    throw new InvalidArgumentError(`malformed manifest.json in the archive: ${(e as Error).message}`);
  }
  if (!Array.isArray(entries)) throw new InvalidArgumentError("malformed manifest.json in the archive: not a list");
  return entries.map((entry) => {
    const configRaw = files.read(entry.Config, "docker archive");
    const config = parseImageConfig(configRaw);
    const configDigest = digestOf(configRaw);
    if (/^blobs\/sha256\/[a-f0-9]{64}$/.test(entry.Config) && configDigest !== `sha256:${entry.Config.slice(13)}`)
      throw new InvalidArgumentError(`image config ${entry.Config} does not match its digest`, "the archive is corrupt");
    const layers: Descriptor[] = entry.Layers.map((path, i) => {
      const gzip = files.peek(path, 2, "docker archive").every((b, k) => b === GZIP_MAGIC[k]);
      const named = /blobs\/sha256\/([a-f0-9]{64})$/.exec(path);
      const diffId = config.rootfs.diff_ids[i] ?? "";
      return {
        mediaType: gzip ? MediaType.OciLayerGzip : MediaType.OciLayer,
        // An uncompressed layer's digest is its diff id; a gzip one's is only known by reading it.
        digest: named ? `sha256:${named[1]}` : gzip ? "" : diffId,
        size: files.size(path),
      };
    });
    return {
      names: (entry.RepoTags ?? []).map(qualified).filter((n): n is string => !!n),
      manifest: { schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configRaw.length }, layers },
      manifestRaw: Buffer.alloc(0),
      manifestMediaType: MediaType.OciManifest,
      manifestDigest: "",
      config,
      configRaw,
      openLayer: async (i) => files.stream(entry.Layers[i]!, "docker archive"),
      uncompressedSize: (i) => (layers[i]!.mediaType === MediaType.OciLayer ? layers[i]!.size : undefined),
    };
  });
}

function blobPath(digest: string): string {
  if (!isDigest(digest)) throw new InvalidArgumentError(`unsupported digest ${digest} in the OCI layout`);
  return `blobs/sha256/${digest.slice(7)}`;
}

/** The images of an OCI layout (index.json), one per manifest (indexes resolved for `platform`). */
export function ociLayoutImages(files: ArchiveFiles, platform: Platform): SourceImage[] {
  if (!files.has("index.json")) throw new InvalidArgumentError("not an OCI layout: index.json is missing");
  const index = parseIndex(files.read("index.json", "OCI layout"));
  const out: SourceImage[] = [];
  for (const top of index.manifests) {
    let desc = top;
    if (INDEX_TYPES.includes(desc.mediaType)) desc = selectManifest(parseIndex(files.read(blobPath(desc.digest))), platform, desc.digest);
    const manifestRaw = files.read(blobPath(desc.digest), "OCI layout");
    const manifestDigest = digestOf(manifestRaw);
    if (manifestDigest !== desc.digest) throw new InvalidArgumentError(`manifest ${desc.digest} does not match its digest`, "the archive is corrupt");
    const manifest = parseManifest(manifestRaw);
    const configRaw = files.read(blobPath(manifest.config.digest), "OCI layout");
    const names: string[] = [];
    const full = top.annotations?.["io.containerd.image.name"] ?? top.annotations?.["org.opencontainers.image.ref.name"];
    // A ref.name may be only a tag ("latest"): that alone names no image.
    const isBareTag = full !== undefined && !full.includes("/") && !full.includes(":") && !full.includes("@");
    if (full && !isBareTag) {
      const q = qualified(full);
      if (q) names.push(q);
    }
    out.push({
      names,
      manifest,
      manifestRaw,
      manifestMediaType: documentMediaType(manifestRaw, desc.mediaType),
      manifestDigest,
      config: parseImageConfig(configRaw),
      configRaw,
      openLayer: async (i) => files.stream(blobPath(manifest.layers[i]!.digest), "OCI layout"),
    });
  }
  return out;
}

/** Which kind of archive this is, by its files. */
export function archiveImages(files: ArchiveFiles, platform: Platform): SourceImage[] {
  if (files.has("manifest.json")) return dockerArchiveImages(files);
  if (files.has("index.json")) return ociLayoutImages(files, platform);
  throw new InvalidArgumentError("the archive holds no image: neither manifest.json (docker-archive) nor index.json (OCI layout) found", "give an archive written by `skiff save`, `docker save`, `podman save` or `skopeo copy`");
}
