import { loadConfig, type Config } from "../config/config.js";
import { fuseUsable } from "../mount/probe.js";
import { isMounted, mountOverlay, mountPoints, unmount } from "../mount/overlay.js";
import { SkiffError } from "../errors.js";
import { join } from "node:path";
import { ensureRunRoot } from "../userns/runtime-dir.js";
import { currentUser, mappingForCurrentUser } from "../userns/mapping.js";
import { UserNamespace } from "../userns/namespace.js";
import { StoreLayout } from "../store/layout.js";
import { LockService } from "../store/locks.js";
import { BlobStore } from "../store/blobs.js";
import { LayerStore } from "../layer/store.js";
import { ImageService } from "../image/service.js";
import { StoreDestination, type StoreDestinationOptions } from "../image/transports/store-destination.js";

// The engine wires the services once; it is the only place that knows them
// all (DESIGN.md §1). Services are created on first use so that a command
// loads only the rooms it needs — start-up time is part of the product.

export interface EngineOptions {
  root?: string;
  runRoot?: string;
  storageDriver?: string;
  logLevel?: string;
}

export class Engine {
  private cache = new Map<string, unknown>();

  constructor(
    readonly config: Config,
    readonly options: EngineOptions = {},
  ) {}

  static open(options: EngineOptions = {}): Engine {
    return new Engine(loadConfig({ storageRoot: options.root, runRoot: options.runRoot }), options);
  }

  protected once<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }

  get runRoot(): string {
    return this.once("runRoot", () => ensureRunRoot(this.config.paths, currentUser().uid));
  }

  get userns(): UserNamespace {
    return this.once("userns", () => new UserNamespace(this.runRoot, mappingForCurrentUser(), currentUser().user));
  }

  get layout(): StoreLayout {
    return this.once("layout", () => new StoreLayout(this.config.paths.storageRoot).ensure());
  }

  get locks(): LockService {
    return this.once("locks", () => new LockService(this.layout.locks));
  }

  get blobs(): BlobStore {
    return this.once("blobs", () => new BlobStore(this.layout));
  }

  get layers(): LayerStore {
    return this.once("layers", () => new LayerStore(this.layout));
  }

  get images(): ImageService {
    return this.once("images", () => new ImageService(this.blobs, this.layers, this.locks, this.layout, (id) => this.imageUsers(id)));
  }

  /** "overlay" (fuse-overlayfs) or "vfs" (copies), from the config, the flag or what the host allows. */
  get storageDriver(): "overlay" | "vfs" {
    return this.once("driver", () => {
      const wanted = this.options.storageDriver ?? this.config.storageDriver;
      if (wanted === "overlay" || wanted === "vfs") return wanted;
      return fuseUsable() ? "overlay" : "vfs";
    });
  }

  /** Containers that use an image (rmi refuses to delete it). */
  protected imageUsers(_imageId: string): { containerId: string; running: boolean }[] {
    return [];
  }

  /** A fresh store destination for one copy (pull, load, import). */
  storeDestination(opts: StoreDestinationOptions = {}): StoreDestination {
    return new StoreDestination(this.images, this.blobs, this.layers, this.locks, {
      ignoreChownErrors: this.userns.mapping.singleId,
      ...opts,
    });
  }

  /** Where `image mount` puts an image's read-only tree. */
  imageMountPoint(id: string): string {
    return join(this.layout.root, "mounts", id.replace(/^sha256:/, ""));
  }

  /**
   * `image mount`: the image's layers as one read-only fuse-overlayfs tree,
   * visible inside skiff's mount namespace (so: from `skiff unshare`).
   */
  async mountImage(name: string): Promise<string> {
    this.requireNamespace("image mount");
    const img = this.images.get(name);
    const target = this.imageMountPoint(img.record.id);
    if (isMounted(target)) return target;
    if (this.storageDriver !== "overlay")
      throw new SkiffError("image mount needs the overlay storage driver (fuse-overlayfs)", { hint: "make /dev/fuse usable and install fuse-overlayfs (skiff info)" });
    await mountOverlay({ lowerDirs: img.record.layers.map((l) => this.layers.diffDir(l)), target });
    return target;
  }

  async unmountImage(name: string): Promise<string> {
    this.requireNamespace("image unmount");
    const img = this.images.get(name);
    const target = this.imageMountPoint(img.record.id);
    await unmount(target);
    return img.record.id;
  }

  mountedImages(): { id: string; path: string }[] {
    const mounted = mountPoints();
    return this.images.records
      .list()
      .map((r) => ({ id: r.id, path: this.imageMountPoint(r.id) }))
      .filter((m) => mounted.has(m.path));
  }

  private requireNamespace(what: string): void {
    if (!this.inNamespace)
      throw new SkiffError(`cannot run "${what}" in rootless mode outside skiff's user namespace`, {
        hint: "run `skiff unshare` first, then the command inside that shell",
      });
  }

  /** `system df`: totals per kind of object. */
  diskUsage(): Record<"images" | "containers" | "volumes", { total: number; active: number; size: number; reclaimable: number }> {
    const images = this.images.list();
    const sizeOf = (chainId: string) => {
      try {
        return this.layers.get(chainId).size;
      } catch {
        return 0;
      }
    };
    const all = new Set(images.flatMap((i) => i.record.layers));
    const active = images.filter((i) => this.imageUsers(i.record.id).length > 0);
    const activeLayers = new Set(active.flatMap((i) => i.record.layers));
    const size = [...all].reduce((n, l) => n + sizeOf(l), 0);
    const used = [...activeLayers].reduce((n, l) => n + sizeOf(l), 0);
    return {
      images: { total: images.length, active: active.length, size, reclaimable: size - used },
      containers: this.containerUsage(),
      volumes: this.volumeUsage(),
    };
  }

  protected containerUsage() {
    return { total: 0, active: 0, size: 0, reclaimable: 0 };
  }

  protected volumeUsage() {
    return { total: 0, active: 0, size: 0, reclaimable: 0 };
  }

  /** `system prune`: stopped containers, (anonymous) volumes, dangling or all unused images. */
  async prune(opts: { all?: boolean; volumes?: boolean }): Promise<{ containers: string[]; volumes: string[]; images: { untagged: string[]; deleted: string[] }; reclaimed: number }> {
    const containers = await this.pruneContainers();
    const volumes = opts.volumes ? await this.pruneVolumes() : { removed: [], reclaimed: 0 };
    const images = await this.images.prune({ all: opts.all });
    this.layout.removeAbandonedTemps();
    return { containers: containers.removed, volumes: volumes.removed, images, reclaimed: containers.reclaimed + volumes.reclaimed + images.reclaimed };
  }

  protected async pruneContainers(): Promise<{ removed: string[]; reclaimed: number }> {
    return { removed: [], reclaimed: 0 };
  }

  protected async pruneVolumes(): Promise<{ removed: string[]; reclaimed: number }> {
    return { removed: [], reclaimed: 0 };
  }

  /** True when this process already runs inside skiff's user namespace. */
  get inNamespace(): boolean {
    return process.env.SKIFF_IN_NS === "1";
  }
}
