import { InvalidArgumentError, SkiffError } from "../errors.js";
import { isDigest } from "../digest.js";

// The small vocabulary every transport reads and writes (STYLE.md,
// go-containerregistry): descriptors, manifests, indexes and image configs,
// in both the OCI and Docker schema2 spellings.
// https://github.com/opencontainers/image-spec/blob/main/manifest.md

export const MediaType = {
  OciManifest: "application/vnd.oci.image.manifest.v1+json",
  OciIndex: "application/vnd.oci.image.index.v1+json",
  OciConfig: "application/vnd.oci.image.config.v1+json",
  OciLayer: "application/vnd.oci.image.layer.v1.tar",
  OciLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  OciLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  OciLayerNondistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  DockerConfig: "application/vnd.docker.container.image.v1+json",
  DockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  DockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
  DockerForeignLayerGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
} as const;

export const MANIFEST_TYPES: string[] = [MediaType.OciManifest, MediaType.DockerManifest];
export const INDEX_TYPES: string[] = [MediaType.OciIndex, MediaType.DockerManifestList];
/** What we ask registries for, most preferred first. */
export const ACCEPT_MANIFESTS = [MediaType.OciIndex, MediaType.DockerManifestList, MediaType.OciManifest, MediaType.DockerManifest];

/** Manifests and configs larger than this are refused (as containerd and distribution do). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export type Compression = "gzip" | "none" | "zstd";

export function layerCompression(mediaType: string): Compression {
  if (mediaType.endsWith("+gzip") || mediaType.endsWith(".tar.gzip")) return "gzip";
  if (mediaType.endsWith("+zstd")) return "zstd";
  if (mediaType.endsWith(".tar") || mediaType === MediaType.DockerLayer) return "none";
  throw new SkiffError(`unsupported layer media type ${mediaType}`, {
    hint: "the image uses a layer format skiff does not know; rebuild or convert it with gzip layers",
  });
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The runtime part of an image config (Docker's "config" object). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
  OnBuild?: string[] | null;
  Shell?: string[];
  ArgsEscaped?: boolean;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: ContainerConfig;
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}



function parseJson(raw: Buffer | string, what: string): Record<string, unknown> {
  if (raw.length > MAX_MANIFEST_BYTES)
    throw new InvalidArgumentError(`${what} is larger than ${MAX_MANIFEST_BYTES} bytes`, "refusing it: manifests and configs are small JSON documents");
  let v: unknown;
  try {
    v = JSON.parse(raw.toString());
  } catch (e) {
    throw new InvalidArgumentError(`malformed ${what}: ${(e as Error).message}`, "the image source is corrupt or not an image");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidArgumentError(`malformed ${what}: not a JSON object`);
  return v as Record<string, unknown>;
}

function checkDescriptor(d: unknown, what: string): Descriptor {
  const x = d as Descriptor;
  if (!x || typeof x !== "object" || typeof x.mediaType !== "string" || !isDigest(x.digest) || !Number.isSafeInteger(x.size) || x.size < 0)
    throw new InvalidArgumentError(`malformed ${what}: bad descriptor ${JSON.stringify(d)?.slice(0, 200)}`);
  return x;
}

/** The media type a manifest-ish document declares (its own field, or the one it came with). */
export function documentMediaType(raw: Buffer, fallback?: string): string {
  const v = parseJson(raw, "manifest");
  if (typeof v.mediaType === "string") return v.mediaType;
  if (Array.isArray(v.manifests)) return MediaType.OciIndex;
  if (v.config) return fallback && MANIFEST_TYPES.includes(fallback) ? fallback : MediaType.OciManifest;
  return fallback ?? "";
}

export function parseManifest(raw: Buffer): Manifest {
  const v = parseJson(raw, "manifest");
  if (v.schemaVersion !== 2) throw new InvalidArgumentError(`unsupported manifest schema version ${String(v.schemaVersion)}`, "only schema 2 manifests are supported (schema 1 is deprecated)");
  if (!Array.isArray(v.layers)) throw new InvalidArgumentError("malformed manifest: no layers list");
  checkDescriptor(v.config, "manifest config");
  (v.layers as unknown[]).forEach((l) => checkDescriptor(l, "manifest layer"));
  return v as unknown as Manifest;
}

export function parseIndex(raw: Buffer): Index {
  const v = parseJson(raw, "image index");
  if (v.schemaVersion !== 2 || !Array.isArray(v.manifests)) throw new InvalidArgumentError("malformed image index");
  (v.manifests as unknown[]).forEach((m) => checkDescriptor(m, "index entry"));
  return v as unknown as Index;
}

export function parseImageConfig(raw: Buffer): ImageConfig {
  const v = parseJson(raw, "image config");
  const rootfs = v.rootfs as ImageConfig["rootfs"] | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids) || !rootfs.diff_ids.every(isDigest))
    throw new InvalidArgumentError("malformed image config: missing or bad rootfs.diff_ids");
  return v as unknown as ImageConfig;
}

/** Canonical bytes we write for documents we create (compact, like Docker and Podman). */
export function serialize(doc: unknown): Buffer {
  return Buffer.from(JSON.stringify(doc));
}
