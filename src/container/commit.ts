import { chmodSync, lstatSync, readdirSync, renameSync, rmdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { classifyUpper, whiteoutPath, type UpperEntry } from "../core/index.js";
import { SkiffError } from "../errors.js";
import { applyChanges } from "../image/changes.js";
import { ingestLayer } from "../image/ingest.js";
import { hostPlatform } from "../image/platform.js";
import { familiar, layerLock, type ImageService, type LocalImage } from "../image/service.js";
import { ociManifest } from "../image/transports/store-destination.js";
import { MediaType, serialize, type ContainerConfig, type Descriptor, type HistoryEntry, type ImageConfig } from "../image/types.js";
import { fsAttr } from "../layer/fsattr.js";
import { packLayer, type LayerChange } from "../layer/pack.js";
import { OPAQUE_MARKER, TreePaths, WHITEOUT_PREFIX, toByteString } from "../layer/paths.js";
import type { LayerRecord, LayerStore } from "../layer/store.js";
import { walkTree } from "../layer/tree-walk.js";
import type { BlobStore } from "../store/blobs.js";
import { digestOf } from "../store/hasher.js";
import type { LockService } from "../store/locks.js";
import { rootfsLayerChanges, typeOf } from "./changes.js";
import type { ContainerRecord } from "./record.js";
import type { ContainerService } from "./service.js";

// `commit` and every build step that changes files: a container's upper dir
// *is* its change set (DESIGN.md §5). Its entries are classified in the WASM
// core (fuse-overlayfs's char-device whiteouts and opaque xattrs become OCI
// `.wh.` files), packed into one tar, and ingested as a new layer on top of
// the image's. Runs inside skiff's namespace, where the upper dir's files
// (owned by subordinate ids) are readable and the new layer's owners can be set.

export interface CommitDeps {
  images: ImageService;
  blobs: BlobStore;
  layers: LayerStore;
  locks: LockService;
}

/**
 * What the runtime makes as mount points (Docker keeps these in a hidden
 * "init" layer, Buildah removes them after a RUN): left out of a layer while
 * they are still the empty placeholders the runtime created.
 */
const MOUNT_POINTS = new Set(["dev", "proc", "sys", "etc/hosts", "etc/hostname", "etc/resolv.conf", ".containerenv", "run/.containerenv"]);
/** Directories the runtime creates to hold a mount point; dropped when nothing else is in them. */
const MOUNT_PARENTS = new Set(["etc", "run"]);
const OPAQUE_XATTRS = ["trusted.overlay.opaque", "user.overlay.opaque", "user.fuseoverlayfs.opaque"];

function isEmptyPlaceholder(paths: TreePaths, path: string): boolean {
  try {
    const st = lstatSync(paths.fs(path));
    if (st.isFile()) return st.size === 0;
    // fuse-overlayfs marks a directory it creates opaque; its bookkeeping names do not count.
    if (st.isDirectory()) return readdirSync(paths.fs(path)).every((n) => n === OPAQUE_MARKER || n === ".wh..opq");
  } catch {
    /* gone */
  }
  return false;
}

/** The entries of a fuse-overlayfs upper dir as the changes of an OCI layer, in layer-tar order. */
export async function upperChanges(upper: string): Promise<LayerChange[]> {
  const paths = new TreePaths(upper);
  const attrs = fsAttr();
  const entries: UpperEntry[] = [];
  const opaqueChecks: Promise<void>[] = [];
  for (const path of walkTree(upper)) {
    const st = lstatSync(paths.fs(path));
    const type = typeOf(st);
    const entry: { -readonly [K in keyof UpperEntry]: UpperEntry[K] } = { path, type };
    if (type === "char" || type === "block") {
      entry.rdevMajor = Number((BigInt(st.rdev) >> 8n) & 0xfffn);
      entry.rdevMinor = Number(BigInt(st.rdev) & 0xffn);
    }
    if (type === "dir")
      opaqueChecks.push(
        attrs.listXattrs(paths.fs(path)).then(
          (x) => {
            entry.opaque = OPAQUE_XATTRS.some((n) => x.get(n)?.toString() === "y");
          },
          () => {},
        ),
      );
    entries.push(entry);
  }
  await Promise.all(opaqueChecks);
  const layer = classifyUpper(entries);
  const changes: LayerChange[] = [];
  const dropped = new Set<string>();
  for (const m of layer.members) {
    if (m.entry) {
      if (MOUNT_POINTS.has(m.path) && isEmptyPlaceholder(paths, m.path)) {
        dropped.add(m.path);
        continue;
      }
      changes.push({ kind: "add", path: m.path });
      continue;
    }
    const slash = m.path.lastIndexOf("/");
    const dir = slash < 0 ? "" : m.path.slice(0, slash);
    const name = m.path.slice(slash + 1);
    if (name === OPAQUE_MARKER) changes.push({ kind: "opaque", path: dir });
    else if (name.startsWith(WHITEOUT_PREFIX)) changes.push({ kind: "whiteout", path: (dir ? `${dir}/` : "") + name.slice(WHITEOUT_PREFIX.length) });
  }
  // Nothing below a dropped mount point (its opaque marker); and a parent the
  // runtime made only to hold a mount point goes too.
  const under = (p: string, d: string) => p === d || p.startsWith(`${d}/`);
  const left = changes.filter((c) => ![...dropped].some((d) => under(c.path as string, d)));
  return left.filter((c) => {
    if (c.kind === "whiteout" || !MOUNT_PARENTS.has(c.path as string)) return true;
    const prefix = `${c.path as string}/`;
    const kept = left.some((o) => (o.path as string).startsWith(prefix));
    return kept || ![...dropped].some((d) => d.startsWith(prefix));
  });
}

/**
 * A new layer from changes below `root`, on top of the layer `parentChainId`
 * (none: a base layer). The tar is ingested as an uncompressed blob, as
 * containers-storage keeps locally built layers; push compresses nothing
 * the registry cannot take.
 */
export async function layerFromChanges(deps: CommitDeps, root: string, changes: LayerChange[], parentChainId: string | undefined): Promise<LayerRecord> {
  return layerFromTar(deps, packLayer(root, changes), parentChainId, "committed layer");
}

/** A new layer from a tar stream (uncompressed), on top of `parentChainId`. */
export async function layerFromTar(deps: CommitDeps, tar: Readable, parentChainId: string | undefined, what: string): Promise<LayerRecord> {
  return deps.layers.create({ chainId: "", diffId: "", parent: parentChainId }, async (diffDir) => {
    const r = await ingestLayer({ source: tar, compression: "none", diffDir, blobs: deps.blobs, what });
    const chainId = parentChainId ? digestOf(Buffer.from(`${parentChainId} ${r.diffId}`)) : r.diffId;
    return { chainId, diffId: r.diffId, size: r.size, blob: { digest: r.blob.digest, size: r.blob.size, mediaType: MediaType.OciLayer } };
  });
}

export interface ImageOnTop {
  /** The image built on (undefined: scratch). */
  parent?: LocalImage;
  /** The new layer, if the step made one. */
  layer?: LayerRecord;
  config: ContainerConfig;
  history: HistoryEntry;
  author?: string;
  comment?: string;
  names?: string[];
}

/** The image config of `parent` plus one layer (or none) and one history entry. */
export function configOnTop(o: ImageOnTop, created = new Date().toISOString()): ImageConfig {
  const platform = hostPlatform();
  const base = o.parent?.config;
  const history = [...(base?.history ?? []), { created, ...o.history, ...(o.layer ? {} : { empty_layer: true }) }];
  const cfg: ImageConfig = {
    architecture: base?.architecture ?? platform.architecture,
    ...(base?.variant ?? platform.variant ? { variant: base?.variant ?? platform.variant } : {}),
    os: base?.os ?? platform.os,
    created,
    config: o.config,
    rootfs: { type: "layers", diff_ids: [...(base?.rootfs.diff_ids ?? []), ...(o.layer ? [o.layer.diffId] : [])] },
    history,
  };
  if (o.author !== undefined) cfg.author = o.author;
  else if (base?.author) cfg.author = base.author;
  if (o.comment) cfg.comment = o.comment;
  return cfg;
}

/** Record the image `configOnTop` describes; returns its id. */
export async function addImageOnTop(deps: CommitDeps, o: ImageOnTop, created?: string): Promise<string> {
  const config = configOnTop(o, created);
  const configRaw = serialize(config);
  const parentLayers: Descriptor[] = o.parent ? o.parent.manifest.layers : [];
  const layers = [...parentLayers];
  const chainIds = [...(o.parent?.record.layers ?? [])];
  if (o.layer) {
    if (!o.layer.blob) throw new SkiffError(`layer ${o.layer.chainId} has no blob`);
    layers.push({ mediaType: o.layer.blob.mediaType, digest: o.layer.blob.digest, size: o.layer.blob.size });
    chainIds.push(o.layer.chainId);
  }
  const release = await deps.locks.acquire(layerLock(chainIds.at(-1) ?? "scratch"), "shared");
  try {
    for (const c of chainIds)
      if (!deps.layers.has(c)) throw new SkiffError(`layer ${c} was removed while the image was being made`, { hint: "run the command again" });
    const configDigest = digestOf(configRaw);
    const manifestRaw = ociManifest(configRaw, configDigest, layers);
    const r = await deps.images.addImage({ configRaw, configDigest, manifestRaw, manifestMediaType: MediaType.OciManifest, chainIds, names: o.names, parent: o.parent?.record.id });
    return r.id;
  } finally {
    await release();
  }
}

export interface CommitOptions {
  author?: string;
  message?: string;
  /** Dockerfile instructions applied to the config (`-c`). */
  changes: string[];
  /** Pause a running container while its changes are read (Docker's default). */
  pause: boolean;
  names: string[];
}

/** The image config a commit starts from: the image's, with what the container ran with (Docker's merge). */
export function committedConfig(image: ContainerConfig, r: ContainerRecord): ContainerConfig {
  const c = r.Config;
  const out: ContainerConfig = { ...image, Env: c.Env, Cmd: c.Cmd, Entrypoint: c.Entrypoint };
  if (c.User) out.User = c.User;
  if (c.WorkingDir) out.WorkingDir = c.WorkingDir;
  if (Object.keys(c.Labels).length) out.Labels = c.Labels;
  if (Object.keys(c.ExposedPorts).length) out.ExposedPorts = c.ExposedPorts;
  if (c.Volumes && Object.keys(c.Volumes).length) out.Volumes = c.Volumes;
  if (c.StopSignal && (c.StopSignal !== "SIGTERM" || image.StopSignal)) out.StopSignal = c.StopSignal;
  if (c.Healthcheck) out.Healthcheck = c.Healthcheck;
  return out;
}

/** `commit`: the container's upper dir becomes one new layer on its image. Returns the new image id. */
export async function commitContainer(deps: CommitDeps & { containers: ContainerService }, input: string, o: CommitOptions): Promise<string> {
  const view = deps.containers.get(input);
  const r = view.record;
  const parent = deps.images.load(r.Image);
  const config = applyChanges(committedConfig(parent.config.config ?? {}, r), o.changes);
  const upper = join(deps.containers.store.dir(r.Id), "upper");
  const pause = o.pause && view.state.Running && !view.state.Paused;
  if (pause) await deps.containers.pause(r.Id);
  let layer: LayerRecord;
  try {
    if (r.Driver === "overlay") layer = await layerFromChanges(deps, upper, await upperChanges(upper), parent.record.layers.at(-1));
    else {
      // vfs: no upper dir; the copy is compared with the image's layers (WASM tree diff).
      const rootfs = await deps.containers.mountedRootfs(r.Id);
      const layerDirs = r.Layers.map((l) => deps.layers.diffDir(l));
      layer = await layerFromChanges(deps, rootfs, rootfsLayerChanges(layerDirs, rootfs), parent.record.layers.at(-1));
    }
  } finally {
    if (pause) await deps.containers.unpause(r.Id).catch(() => {});
  }
  const id = await addImageOnTop(deps, {
    parent,
    layer,
    config,
    history: { created_by: (r.Config.Cmd ?? []).join(" "), ...(o.author ? { author: o.author } : {}), ...(o.message ? { comment: o.message } : {}) },
    author: o.author,
    comment: o.message,
    names: o.names,
  });
  deps.containers.logEvent(r, "commit", { comment: o.message ?? "", imageID: id, imageRef: o.names[0] ? familiar(o.names[0]) : "" });
  return id;
}

/**
 * For a container that is discarded right after (a build step): its upper
 * dir *becomes* the layer's directory — renamed, not copied — once the tar
 * is written. What is not a member of the layer is removed from it, and the
 * overlay's whiteouts (char devices, opaque xattrs) are written out as the
 * OCI files the tar holds, so the directory is what extracting the tar
 * would give. The container's root must be unmounted first.
 */
export async function adoptUpperAsLayer(deps: CommitDeps, upper: string, changes: LayerChange[], parentChainId: string | undefined): Promise<LayerRecord> {
  const blob = await deps.blobs.putStream(packLayer(upper, changes), undefined, "layer");
  const diffId = blob.digest; // an uncompressed blob is its own diff
  const chainId = parentChainId ? digestOf(Buffer.from(`${parentChainId} ${diffId}`)) : diffId;
  const members = new Set<string>();
  const markers: string[] = [];
  for (const c of changes) {
    const p = toByteString(c.path);
    if (c.kind === "add") members.add(p);
    else {
      const marker = c.kind === "whiteout" ? whiteoutPath(p) : p === "" ? OPAQUE_MARKER : `${p}/${OPAQUE_MARKER}`;
      members.add(marker);
      markers.push(marker);
    }
  }
  return deps.layers.create({ chainId, diffId, parent: parentChainId, size: blob.size, blob: { ...blob, mediaType: MediaType.OciLayer } }, async (diffDir) => {
    rmdirSync(diffDir);
    renameSync(upper, diffDir);
    const paths = new TreePaths(diffDir);
    let removed: string | undefined;
    for (const p of [...walkTree(diffDir)]) {
      if (removed !== undefined && p.startsWith(`${removed}/`)) continue;
      if (members.has(p)) continue;
      rmSync(paths.fs(p), { recursive: true, force: true });
      removed = p;
    }
    // Whiteout and opaque markers as extraction writes them: empty files, mode 0, owned by root.
    for (const m of markers) {
      const f = paths.fs(m);
      writeFileSync(f, "");
      chmodSync(f, 0);
      utimesSync(f, 0, 0);
    }
  });
}
