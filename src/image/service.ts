import { ConflictError, NotFoundError } from "../errors.js";
import type { BlobStore } from "../store/blobs.js";
import type { LayerStore } from "../layer/store.js";
import type { LockService } from "../store/locks.js";
import { parseReference, type Reference } from "./reference.js";
import { ImageStore, type ImageRecord, type NameIndex } from "./store.js";
import { parseImageConfig, parseManifest, type ImageConfig, type Manifest } from "./types.js";
import { shortId } from "../digest.js";
import type { EventLog } from "../events/log.js";

// The local image store's operations: lookup by name or id, tag, remove
// (Docker's rules), prune. Commands and the API call these; the copy
// pipeline (copy.ts) adds images.

export interface ImageUser {
  containerId: string;
  running: boolean;
}

export interface LocalImage {
  record: ImageRecord;
  config: ImageConfig;
  configRaw: Buffer;
  manifest: Manifest;
  tags: string[];
  digests: string[];
  /** Uncompressed size of all layers. */
  size: number;
}

export interface RemoveReport {
  untagged: string[];
  deleted: string[];
  /** Bytes of layer content freed. */
  reclaimed: number;
}

export class ImageService {
  readonly records: ImageStore;
  /** Where Docker's events go (set by the engine). */
  events?: EventLog;

  constructor(
    readonly blobs: BlobStore,
    readonly layers: LayerStore,
    private readonly locks: LockService,
    layout: ConstructorParameters<typeof ImageStore>[0],
    /** Containers using an image; wired by the engine (containers sit beside images). */
    private readonly usersOf: (imageId: string) => ImageUser[] = () => [],
  ) {
    this.records = new ImageStore(layout, locks);
  }

  /**
   * Resolve what a user typed — a name[:tag], name@digest, a full or short
   * id — the way Docker does: names first, then id prefixes.
   */
  resolve(input: string, index: NameIndex = this.records.names()): { id: string; ref?: Reference } {
    const bare = input.replace(/^sha256:/, "");
    if (input.startsWith("sha256:") && /^[a-f0-9]{1,64}$/.test(bare)) return { id: this.byIdPrefix(bare, input) };
    let ref: Reference | undefined;
    try {
      ref = parseReference(input);
    } catch {
      ref = undefined;
    }
    if (ref) {
      const key = ref.digest ? `${ref.repository()}@${ref.digest}` : ref.toString();
      const id = ref.digest ? index.digests[key] : index.tags[key];
      if (id && this.records.has(id)) return { id, ref };
      if (ref.digest) {
        // repo@digest also names an image whose manifest has that digest.
        const hit = this.records.list().find((r) => r.manifestDigest === ref!.digest);
        if (hit) return { id: hit.id, ref };
      }
    }
    if (/^[a-f0-9]{1,64}$/.test(bare) && !input.includes(":")) {
      const id = this.tryIdPrefix(bare);
      if (id) return { id };
    }
    throw new NotFoundError(`No such image: ${input}`);
  }

  private tryIdPrefix(hex: string): string | undefined {
    const hits = this.records.list().filter((r) => r.id.slice(7).startsWith(hex));
    if (hits.length > 1) throw new ConflictError(`ambiguous image id prefix ${hex}: ${hits.length} images match`, "give more characters of the id");
    return hits[0]?.id;
  }

  private byIdPrefix(hex: string, input: string): string {
    const id = this.tryIdPrefix(hex);
    if (!id) throw new NotFoundError(`No such image: ${input}`);
    return id;
  }

  load(id: string, index: NameIndex = this.records.names()): LocalImage {
    const record = this.records.get(id);
    const configRaw = this.blobs.read(record.id);
    const config = parseImageConfig(configRaw);
    const manifest = parseManifest(this.blobs.read(record.manifestDigest));
    const names = ImageStore.namesOf(index, id);
    let size = 0;
    for (const l of record.layers) {
      try {
        size += this.layers.get(l).size;
      } catch {
        /* reported by system check */
      }
    }
    return { record, config, configRaw, manifest, tags: names.tags, digests: names.digests, size };
  }

  get(input: string): LocalImage {
    const index = this.records.names();
    return this.load(this.resolve(input, index).id, index);
  }

  list(): LocalImage[] {
    const index = this.records.names();
    const out: LocalImage[] = [];
    for (const r of this.records.list()) {
      try {
        out.push(this.load(r.id, index));
      } catch {
        /* broken records are system check's business */
      }
    }
    return out;
  }

  /**
   * Record an image whose layers are all in the store: its config and
   * manifest blobs, its record, and its names. Used by every way images
   * arrive (copy, import, commit, build).
   */
  async addImage(a: {
    configRaw: Buffer;
    configDigest?: string;
    manifestRaw: Buffer;
    manifestDigest?: string;
    manifestMediaType: string;
    chainIds: string[];
    names?: string[];
    repoDigests?: string[];
    parent?: string;
  }): Promise<{ id: string; manifestDigest: string; retagged: Record<string, string> }> {
    const id = this.blobs.putBytes(a.configRaw, a.configDigest || undefined, "image config");
    const manifestDigest = this.blobs.putBytes(a.manifestRaw, a.manifestDigest || undefined, "manifest");
    this.records.putRecord({ id, manifestDigest, manifestMediaType: a.manifestMediaType, layers: a.chainIds, loaded: new Date().toISOString(), ...(a.parent ? { parent: a.parent } : {}) });
    const retagged: Record<string, string> = {};
    if (a.names?.length || a.repoDigests?.length)
      await this.records.editNames((index) => {
        for (const name of a.names ?? []) {
          const prev = index.tags[name];
          if (prev && prev !== id) retagged[name] = prev;
          index.tags[name] = id;
        }
        for (const d of a.repoDigests ?? []) index.digests[d] = id;
      });
    return { id, manifestDigest, retagged };
  }

  /**
   * An image event as Docker logs it (moby LogImageEvent): the actor is an
   * id or a reference, its attributes the image's labels (while it exists)
   * and `name`.
   */
  logEvent(action: string, actorId: string, name: string, labels = this.labelsOf(actorId)): void {
    this.events?.emit("image", action, actorId, { ...labels, name });
  }

  private labelsOf(input: string): Record<string, string> {
    if (!this.events) return {};
    try {
      return this.get(input).config.config?.Labels ?? {};
    } catch {
      return {}; // deleted, or a name that no longer resolves
    }
  }

  /** `tag SOURCE TARGET` */
  async tag(source: string, target: string): Promise<void> {
    const { id } = this.resolve(source);
    const ref = parseReference(target);
    if (ref.digest) throw new ConflictError(`refusing to create a tag with a digest reference`);
    await this.records.tag(ref.toString(), id);
    this.logEvent("tag", id, ref.familiarString());
  }

  /** Docker's `rmi` rules, one argument at a time; `noPrune` keeps the untagged parents (`rmi --no-prune`). */
  async remove(input: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<RemoveReport> {
    const { id, ref } = this.resolve(input);
    const parent = this.records.has(id) ? this.records.get(id).parent : undefined;
    const report = await this.locks.with(imageLock(id), () => this.removeLocked(input, id, ref, opts));
    if (report.deleted.includes(id) && !opts.noPrune) await this.removeIntermediates(parent, report);
    return report;
  }

  /**
   * After an image is deleted, the untagged images it was built on go too,
   * down the chain, while no other image was built on them and no container
   * uses them (Docker's image delete, without --no-prune).
   */
  private async removeIntermediates(parent: string | undefined, report: RemoveReport): Promise<void> {
    for (let id = parent; id && this.records.has(id); ) {
      const record = this.records.get(id);
      if (ImageStore.namesOf(this.records.names(), id).tags.length) return;
      if (this.records.list().some((r) => r.parent === id)) return;
      if (this.usersOf(id).length) return;
      const r = await this.locks.with(imageLock(id), () => this.removeLocked(id!, id!, undefined, {}));
      report.deleted.push(...r.deleted);
      report.reclaimed += r.reclaimed;
      id = record.parent;
    }
  }

  private async removeLocked(input: string, id: string, ref: Reference | undefined, opts: { force?: boolean }): Promise<RemoveReport> {
    const report: RemoveReport = { untagged: [], deleted: [], reclaimed: 0 };
    const record = this.records.get(id);
    const labels = this.labelsOf(id);
    const users = this.usersOf(id);
    const byName = ref !== undefined && !/^(sha256:)?[a-f0-9]{1,64}$/.test(input);
    const deleteImage = await this.records.editNames((index): ImageRecord | false => {
      const names = ImageStore.namesOf(index, id);
      const untag = (key: string, table: Record<string, string>) => {
        delete table[key];
        report.untagged.push(familiar(key));
      };
      if (byName) {
        const key = ref!.digest ? `${ref!.repository()}@${ref!.digest}` : ref!.toString();
        if (ref!.digest ? index.digests[key] === id : index.tags[key] === id) untag(key, ref!.digest ? index.digests : index.tags);
        // With other tags left, removing a name only untags (Docker).
        if (names.tags.filter((t) => t !== key).length > 0) return false;
        if (users.length > 0 && !opts.force) {
          // Put the name back: the image stays because a container uses it.
          if (ref!.digest) index.digests[key] = id;
          else index.tags[key] = id;
          report.untagged.pop();
          throw new ConflictError(
            `conflict: unable to remove repository reference "${input}" (must force) - container ${shortId(users[0]!.containerId)} is using its referenced image ${shortId(id)}`,
          );
        }
      } else {
        const repos = new Set(names.tags.map((t) => parseReference(t).repository()));
        if (repos.size > 1 && !opts.force)
          throw new ConflictError(`conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`);
      }
      const running = users.find((u) => u.running);
      if (running)
        throw new ConflictError(`conflict: unable to delete ${shortId(id)} (cannot be forced) - image is being used by running container ${shortId(running.containerId)}`);
      if (users.length > 0 && !opts.force)
        throw new ConflictError(`conflict: unable to delete ${shortId(id)} (must be forced) - image is being used by stopped container ${shortId(users[0]!.containerId)}`);
      for (const t of names.tags) if (index.tags[t] === id) untag(t, index.tags);
      for (const d of names.digests) if (index.digests[d] === id) untag(d, index.digests);
      // Forced removal of an image a stopped container uses only untags it.
      if (users.length > 0) return false;
      this.records.removeRecord(id);
      return record;
    });
    // Docker logs one untag per name taken away, then the deletion, both naming the id.
    for (let i = 0; i < report.untagged.length; i++) this.logEvent("untag", id, id, labels);
    if (deleteImage) {
      this.logEvent("delete", id, id);
      report.deleted.push(id);
      const gone = await this.collectGarbage(deleteImage);
      report.deleted.push(...gone.map((g) => g.chainId));
      report.reclaimed = gone.reduce((n, g) => n + g.size, 0);
    }
    return report;
  }

  /**
   * After an image record is gone: drop its manifest and config blobs and
   * the layers no other image uses. Each layer is taken under its exclusive
   * lock and re-checked, so a pull that is reusing it (it holds the layer's
   * shared lock) keeps it.
   */
  private async collectGarbage(removed: ImageRecord): Promise<{ chainId: string; size: number }[]> {
    const deleted: { chainId: string; size: number }[] = [];
    for (const chainId of [...removed.layers].reverse()) {
      await this.locks.with(layerLock(chainId), async () => {
        if (this.records.list().some((r) => r.layers.includes(chainId))) return;
        let blob: string | undefined;
        let size = 0;
        try {
          const rec = this.layers.get(chainId);
          blob = rec.blob?.digest;
          size = rec.size;
        } catch {
          blob = undefined;
        }
        this.layers.remove(chainId);
        if (blob && !this.layers.list().some((l) => this.layerBlob(l) === blob)) this.blobs.delete(blob);
        deleted.push({ chainId, size });
      });
    }
    const stillUsed = new Set(this.records.list().flatMap((r) => [r.id, r.manifestDigest]));
    for (const b of [removed.id, removed.manifestDigest]) if (!stillUsed.has(b)) this.blobs.delete(b);
    return deleted;
  }

  /** `image prune`: dangling images (all unused ones with `all`) that no container uses, and that `match` (the filters) accepts. */
  async prune(opts: { all?: boolean; match?: (img: LocalImage) => boolean } = {}): Promise<RemoveReport> {
    const total: RemoveReport = { untagged: [], deleted: [], reclaimed: 0 };
    const images = this.list();
    // An untagged image another was built on is a build intermediate, not dangling (Docker keeps it).
    const parents = new Set(images.map((i) => i.record.parent).filter(Boolean));
    for (const img of images) {
      if (!opts.all && img.tags.length > 0) continue;
      if (!opts.all && parents.has(img.record.id)) continue;
      if (this.usersOf(img.record.id).length > 0) continue;
      if (opts.match && !opts.match(img)) continue;
      try {
        const r = await this.remove(img.record.id, { force: true });
        total.untagged.push(...r.untagged);
        total.deleted.push(...r.deleted);
        total.reclaimed += r.reclaimed;
      } catch {
        /* in use meanwhile: keep it */
      }
    }
    return total;
  }

  private layerBlob(chainId: string): string | undefined {
    try {
      return this.layers.get(chainId).blob?.digest;
    } catch {
      return undefined;
    }
  }
}

export function layerLock(chainId: string): string {
  return `layer-${chainId.replace(/^sha256:/, "")}`;
}

export function imageLock(id: string): string {
  return `image-${id.replace(/^sha256:/, "")}`;
}

/** Docker's display form of a stored name: drops docker.io/ and library/. */
export function familiar(key: string): string {
  try {
    return parseReference(key).familiarString();
  } catch {
    return key;
  }
}
