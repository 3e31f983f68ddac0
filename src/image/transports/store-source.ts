import type { LayerStore } from "../../layer/store.js";
import type { BlobStore } from "../../store/blobs.js";
import type { LocalImage } from "../service.js";
import type { SourceImage } from "../transport.js";
import { documentMediaType } from "../types.js";

// The local store as a copy source (push, save): the manifest and blobs
// exactly as stored, so an unchanged image keeps its manifest digest.

export function storeSource(image: LocalImage, blobs: BlobStore, layers: LayerStore, names = image.tags): SourceImage {
  const manifestRaw = blobs.read(image.record.manifestDigest);
  return {
    names,
    manifest: image.manifest,
    manifestRaw,
    manifestMediaType: image.record.manifestMediaType || documentMediaType(manifestRaw),
    manifestDigest: image.record.manifestDigest,
    config: image.config,
    configRaw: image.configRaw,
    openLayer: async (i) => blobs.open(image.manifest.layers[i]!.digest),
    uncompressedSize: (i) => layers.get(image.record.layers[i]!).size,
  };
}
