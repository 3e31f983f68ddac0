import type { Readable } from "node:stream";
import { SkiffError } from "../../errors.js";
import type { RegistryClient } from "../../registry/client.js";
import { digestOf } from "../../store/hasher.js";
import { selectManifest } from "../platform.js";
import type { Reference } from "../reference.js";
import type { CommitResult, ImageDestination, Progress, SourceImage } from "../transport.js";
import { ACCEPT_MANIFESTS, INDEX_TYPES, MANIFEST_TYPES, documentMediaType, parseImageConfig, parseIndex, parseManifest, type Descriptor, type Platform } from "../types.js";
import { shortId } from "../../digest.js";

// A registry as a copy source (pull) and destination (push), over the
// distribution API client in src/registry/.

export interface RegistryImage extends SourceImage {
  /** The digest a user would pull by: the index's when there is one. */
  topDigest: string;
}

/** Resolve `ref` on a registry to one image for `platform`. */
export async function registryImage(client: RegistryClient, ref: Reference, platform: Platform): Promise<RegistryImage> {
  const repo = ref.path;
  const top = await client.getManifest(repo, ref.digest ?? ref.tag ?? "latest", ACCEPT_MANIFESTS);
  let manifest = top;
  const topType = documentMediaType(top.raw, top.mediaType);
  if (INDEX_TYPES.includes(topType)) {
    const chosen = selectManifest(parseIndex(top.raw), platform, ref.familiarString());
    manifest = await client.getManifest(repo, chosen.digest, ACCEPT_MANIFESTS);
  }
  const mediaType = documentMediaType(manifest.raw, manifest.mediaType);
  if (!MANIFEST_TYPES.includes(mediaType))
    throw new SkiffError(`unsupported manifest media type ${mediaType || "(none)"} for ${ref.familiarString()}`, {
      hint: "skiff pulls Docker schema 2 and OCI images; schema 1 and artifacts are not supported",
    });
  const parsed = parseManifest(manifest.raw);
  const configRaw = await readAll(client.openBlob(repo, parsed.config.digest, { size: parsed.config.size }));
  if (digestOf(configRaw) !== parsed.config.digest) throw new SkiffError(`image config of ${ref.familiarString()} does not match its digest`);
  return {
    names: ref.tag ? [ref.toString()] : [],
    repoDigests: [`${ref.repository()}@${top.digest}`],
    manifest: parsed,
    manifestRaw: manifest.raw,
    manifestMediaType: mediaType,
    manifestDigest: manifest.digest,
    config: parseImageConfig(configRaw),
    configRaw,
    topDigest: top.digest,
    // The store verifies the digest while writing; the client need not hash it twice.
    openLayer: async (i) => client.openBlob(repo, parsed.layers[i]!.digest, { size: parsed.layers[i]!.size, verify: false }),
  };
}

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A registry repository as a push destination. */
export class RegistryDestination implements ImageDestination {
  readonly concurrency = 3;
  readonly existsStatus = "Layer already exists" as const;

  constructor(
    private readonly client: RegistryClient,
    private readonly ref: Reference,
    /** Other repositories of the same registry that may hold the blobs (cross-repository mount). */
    private readonly mountFrom: string[],
  ) {}

  async begin(): Promise<void> {}
  async abort(): Promise<void> {}

  async hasLayer(_i: number, desc: Descriptor): Promise<Descriptor | undefined> {
    return (await this.client.hasBlob(this.ref.path, desc.digest)) ? desc : undefined;
  }

  /** The repository a blob was mounted from, if one of mountFrom had it. */
  private async mount(digest: string): Promise<string | undefined> {
    for (const from of this.mountFrom) {
      if (from === this.ref.path) continue;
      if (await this.client.mountBlob(this.ref.path, digest, from).catch(() => false)) return from;
    }
    return undefined;
  }

  async putLayer(_i: number, desc: Descriptor, _diffId: string, open: () => Promise<Readable>, progress: Progress): Promise<Descriptor> {
    const id = shortId(desc.digest);
    const from = await this.mount(desc.digest);
    if (from) {
      progress({ id, status: `Mounted from ${from}` });
      return desc;
    }
    progress({ id, status: "Pushing", current: 0, total: desc.size });
    await this.client.uploadBlob(this.ref.path, desc.digest, desc.size, open, {
      onProgress: (n: number) => progress({ id, status: "Pushing", current: n, total: desc.size }),
    });
    progress({ id, status: "Pushed" });
    return desc;
  }

  async commit(image: SourceImage): Promise<CommitResult> {
    const repo = this.ref.path;
    const cfg = image.manifest.config;
    // The config is a blob like the layers: mounted when it can be, as Docker does.
    if (!(await this.client.hasBlob(repo, cfg.digest)) && !(await this.mount(cfg.digest))) {
      const { Readable } = await import("node:stream");
      await this.client.uploadBlob(repo, cfg.digest, image.configRaw.length, () => Readable.from([image.configRaw]));
    }
    const digest = await this.client.putManifest(repo, this.ref.tag ?? this.ref.digest ?? "latest", image.manifestRaw, image.manifestMediaType);
    return { id: cfg.digest, manifestDigest: digest, retagged: {} };
  }
}
