import type { Readable } from "node:stream";
import type { Descriptor, ImageConfig, Manifest } from "./types.js";

// Transports (STYLE.md, go-containerregistry and containers/image): each
// reads and/or writes images in this one vocabulary, so pull, push, save,
// load and import are all copyImage(source, destination) and verification,
// "already exists", parallelism and progress are written once (copy.ts).

/** One image as a source offers it. */
export interface SourceImage {
  /** Fully qualified names the image should get at the destination. */
  names: string[];
  /** "repo@sha256:…" when the image came from a registry by that digest. */
  repoDigests?: string[];
  manifest: Manifest;
  manifestRaw: Buffer;
  manifestMediaType: string;
  manifestDigest: string;
  config: ImageConfig;
  configRaw: Buffer;
  /**
   * The raw bytes of layer i, as manifest.layers[i] describes them. A
   * descriptor digest of "" means the source cannot tell it before reading
   * (an archive's gzip layer): the destination computes it.
   */
  openLayer(i: number): Promise<Readable>;
  /** Size of layer i uncompressed, when the source knows it without reading. */
  uncompressedSize?(i: number): number | undefined;
}

export type LayerStatus =
  | "Waiting"
  | "Pulling fs layer"
  | "Downloading"
  | "Verifying Checksum"
  | "Download complete"
  | "Extracting"
  | "Pull complete"
  | "Already exists"
  | "Preparing"
  | "Pushing"
  | "Pushed"
  | "Layer already exists"
  | "Loading layer"
  | "Writing"
  | "Mounted";

export interface CopyEvent {
  /** Short id of the layer (12 hex chars), or "" for image-level messages. */
  id: string;
  status: LayerStatus | string;
  /** A message under an id that is no layer's (a pull's "Pulling from", under its tag): Docker sends it without progressDetail. */
  message?: boolean;
  current?: number;
  total?: number;
}

export type Progress = (e: CopyEvent) => void;

/** Where images go. One destination object serves one copy. */
export interface ImageDestination {
  /** How many layers may be written at once (archives: 1, store/registry: 3). */
  readonly concurrency: number;
  /** What to call a layer the destination already has ("Already exists", "Layer already exists"). */
  readonly existsStatus: LayerStatus;
  begin(image: SourceImage): Promise<void>;
  /** The descriptor the destination already holds for layer i, if any: then it is not copied. */
  hasLayer(i: number, desc: Descriptor, diffId: string): Promise<Descriptor | undefined>;
  /** Copy layer i; returns the descriptor as stored (its digest may differ if recompressed). */
  putLayer(i: number, desc: Descriptor, diffId: string, open: () => Promise<Readable>, progress: Progress): Promise<Descriptor>;
  /** Write config and manifest and names, once every layer is in. */
  commit(image: SourceImage, layers: Descriptor[]): Promise<CommitResult>;
  /** Undo what begin() took (locks, temporary files) after a failure. */
  abort(): Promise<void>;
}

export interface CommitResult {
  id: string;
  manifestDigest: string;
  /** Tags that moved here from another image: tag → old image id. */
  retagged: Record<string, string>;
}
