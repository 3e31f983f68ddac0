import { loadConfig, type Config } from "../config/config.js";
import { fuseUsable } from "../mount/probe.js";
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

  /** True when this process already runs inside skiff's user namespace. */
  get inNamespace(): boolean {
    return process.env.SKIFF_IN_NS === "1";
  }
}
