import type { Readable } from "node:stream";
import { SkiffError } from "../../errors.js";
import { chainIds, type LayerStore } from "../../layer/store.js";
import type { BlobStore } from "../../store/blobs.js";
import { ingestLayer } from "../ingest.js";
import type { Release, LockService } from "../../store/locks.js";
import { imageLock, layerLock, type ImageService } from "../service.js";
import type { CommitResult, ImageDestination, Progress, SourceImage } from "../transport.js";
import { layerCompression, MediaType, serialize, type Descriptor, type Manifest } from "../types.js";
import { shortId } from "../../digest.js";

// The local store as a copy destination (pull, load, import, build). Each
// layer streams in one pass: source bytes → digest of the blob and the blob
// file → gunzip → digest of the tar (diff id) → extraction into a fresh
// directory. Both digests are checked before the layer and its blob are
// renamed into place; a mismatch leaves nothing behind (DESIGN.md §5).

export interface StoreDestinationOptions {
  ignoreChownErrors?: boolean;
  onWarning?: (msg: string) => void;
  /** Status words: pull says "Extracting"/"Pull complete", load says "Loading layer". */
  mode?: "pull" | "load";
}

export class StoreDestination implements ImageDestination {
  readonly concurrency = 3;
  readonly existsStatus = "Already exists" as const;
  private chains: string[] = [];
  private held: Release[] = [];

  constructor(
    private readonly images: ImageService,
    private readonly blobs: BlobStore,
    private readonly layers: LayerStore,
    private readonly locks: LockService,
    private readonly opts: StoreDestinationOptions = {},
  ) {}

  async begin(image: SourceImage): Promise<void> {
    this.chains = chainIds(image.config.rootfs.diff_ids);
    // Shared: other copies of the same image may run; rmi takes it exclusively.
    this.held.push(await this.locks.acquire(imageLock(image.manifest.config.digest), "shared"));
  }

  async hasLayer(i: number): Promise<Descriptor | undefined> {
    const chainId = this.chains[i]!;
    this.held.push(await this.locks.acquire(layerLock(chainId), "shared"));
    if (!this.layers.has(chainId)) return undefined;
    const rec = this.layers.get(chainId);
    return rec.blob ? { mediaType: rec.blob.mediaType, digest: rec.blob.digest, size: rec.blob.size } : undefined;
  }

  async putLayer(i: number, desc: Descriptor, diffId: string, open: () => Promise<Readable>, progress: Progress): Promise<Descriptor> {
    const compression = layerCompression(desc.mediaType);
    if (compression === "zstd")
      throw new SkiffError(`layer ${shortId(desc.digest)} is zstd-compressed, which skiff does not support`, {
        hint: "push the image with gzip layers (e.g. podman push --compression-format gzip)",
      });
    const id = shortId(desc.digest || diffId);
    const chainId = this.chains[i]!;
    // Download and extraction are one pass here, so a pull reports "Downloading" until the layer is in.
    const verbs = this.opts.mode === "load" ? { run: "Loading layer", done: "Loading layer" } : { run: "Downloading", done: "Pull complete" };
    if (this.opts.mode !== "load") progress({ id, status: "Pulling fs layer" });
    let stored: Descriptor | undefined;
    let last = 0;
    await this.layers.create({ chainId, diffId, parent: i > 0 ? this.chains[i - 1] : undefined }, async (diffDir) => {
      const r = await ingestLayer({
        source: await open(),
        compression,
        diffDir,
        blobs: this.blobs,
        expectedDigest: desc.digest,
        expectedDiffId: diffId,
        what: `layer ${id}`,
        ignoreChownErrors: this.opts.ignoreChownErrors,
        onWarning: this.opts.onWarning,
        onBytes: (n) => {
          if (n - last >= 1 << 20 || n === desc.size) {
            last = n;
            progress({ id, status: verbs.run, current: n, total: desc.size || undefined });
          }
        },
      });
      stored = { mediaType: desc.mediaType, digest: r.blob.digest, size: r.blob.size };
      return { size: r.size, blob: { ...r.blob, mediaType: desc.mediaType } };
    });
    if (this.opts.mode !== "load") progress({ id, status: "Download complete" });
    progress({ id, status: verbs.done });
    return stored!;
  }

  async commit(image: SourceImage, layers: Descriptor[]): Promise<CommitResult> {
    try {
      const same = image.manifestDigest !== "" && layers.every((l, i) => l.digest === image.manifest.layers[i]!.digest && l.mediaType === image.manifest.layers[i]!.mediaType);
      // A source that could not give blob digests up front (an archive) gets a manifest describing what we stored.
      const manifestRaw = same ? image.manifestRaw : ociManifest(image.configRaw, image.manifest.config.digest, layers);
      const added = await this.images.addImage({
        configRaw: image.configRaw,
        configDigest: image.manifest.config.digest,
        manifestRaw,
        manifestDigest: same ? image.manifestDigest : undefined,
        manifestMediaType: same ? image.manifestMediaType : MediaType.OciManifest,
        chainIds: this.chains,
        names: image.names,
        repoDigests: image.repoDigests,
      });
      // A pull's event names the reference and is logged by the pull itself.
      if (this.opts.mode === "load") this.images.logEvent("load", added.id, added.id);
      return added;
    } finally {
      await this.abort();
    }
  }

  async abort(): Promise<void> {
    const held = this.held;
    this.held = [];
    for (const release of held.reverse()) await release();
  }
}

/** An OCI manifest for a config and stored layers. */
export function ociManifest(configRaw: Buffer, configDigest: string, layers: Descriptor[]): Buffer {
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configRaw.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  return serialize(manifest);
}
