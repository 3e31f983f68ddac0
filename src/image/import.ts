import type { Readable } from "node:stream";
import { InvalidArgumentError, SkiffError } from "../errors.js";
import type { LayerStore } from "../layer/store.js";
import type { BlobStore } from "../store/blobs.js";
import type { LockService } from "../store/locks.js";
import { ingestLayer, peekHead, sniffCompression } from "./ingest.js";
import { hostPlatform } from "./platform.js";
import { layerLock, type ImageService } from "./service.js";
import { ociManifest } from "./transports/store-destination.js";
import { MediaType, serialize, type ContainerConfig, type ImageConfig, type Platform } from "./types.js";

// `import`: a root filesystem tarball becomes a one-layer image, as
// `docker import` does (the config gets only what --change sets).

export interface ImportOptions {
  names: string[];
  config: ContainerConfig;
  message?: string;
  sourceName: string;
  platform?: Platform;
  ignoreChownErrors?: boolean;
  onWarning?: (msg: string) => void;
}

export async function importImage(
  deps: { images: ImageService; blobs: BlobStore; layers: LayerStore; locks: LockService },
  source: Readable,
  opts: ImportOptions,
): Promise<string> {
  const { head, stream } = await peekHead(source);
  if (head.length === 0) throw new InvalidArgumentError("the tarball to import is empty", "give a tar archive of a root filesystem");
  const compression = sniffCompression(head);
  if (compression === "zstd") throw new SkiffError("zstd-compressed tarballs are not supported", { hint: "decompress it first, or use gzip" });
  const layer = await deps.layers.create({ chainId: "", diffId: "" }, async (diffDir) => {
    const r = await ingestLayer({
      source: stream,
      compression,
      diffDir,
      blobs: deps.blobs,
      what: "imported tarball",
      ignoreChownErrors: opts.ignoreChownErrors,
      onWarning: opts.onWarning,
    });
    return {
      chainId: r.diffId,
      diffId: r.diffId,
      size: r.size,
      blob: { digest: r.blob.digest, size: r.blob.size, mediaType: compression === "gzip" ? MediaType.OciLayerGzip : MediaType.OciLayer },
    };
  });
  const release = await deps.locks.acquire(layerLock(layer.chainId), "shared");
  try {
    if (!deps.layers.has(layer.chainId)) throw new SkiffError("the imported layer was removed while importing", { hint: "run the import again" });
    const now = new Date().toISOString();
    const platform = opts.platform ?? hostPlatform();
    const comment = opts.message ?? `Imported from ${opts.sourceName}`;
    const config: ImageConfig = {
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
      os: platform.os,
      created: now,
      comment,
      config: opts.config,
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
      history: [{ created: now, comment }],
    };
    const configRaw = serialize(config);
    const { digestOf } = await import("../store/hasher.js");
    const configDigest = digestOf(configRaw);
    const manifestRaw = ociManifest(configRaw, configDigest, [{ ...layer.blob! }]);
    const r = await deps.images.addImage({ configRaw, configDigest, manifestRaw, manifestMediaType: MediaType.OciManifest, chainIds: [layer.chainId], names: opts.names });
    deps.images.logEvent("import", r.id, r.id);
    return r.id;
  } finally {
    await release();
  }
}
