import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, type Config } from "../config/config.js";
import { fuseUsable } from "../mount/probe.js";
import { localExec, type NamespaceExec } from "../mount/overlay.js";
import { setDefaultDomain } from "../image/reference.js";
import { ensureRunRoot } from "../userns/runtime-dir.js";
import { currentUser, mappingForCurrentUser } from "../userns/mapping.js";
import { UserNamespace } from "../userns/namespace.js";
import { StoreLayout } from "../store/layout.js";
import { LockService } from "../store/locks.js";
import { BlobStore } from "../store/blobs.js";
import { LayerStore } from "../layer/store.js";
import { ImageService } from "../image/service.js";
import { StoreDestination, type StoreDestinationOptions } from "../image/transports/store-destination.js";
import { ContainerStore } from "../container/store.js";
import { ContainerService, type ContainerView } from "../container/service.js";
import { containerHooks } from "./container-hooks.js";
import { VolumeService } from "../volume/service.js";
import { VolumeStore } from "../volume/store.js";
import { NetworkService } from "../network/service.js";
import { EventLog, DEFAULT_MAX_SIZE } from "../events/log.js";
import { Sessions } from "./sessions.js";

// The engine wires the services once; it is the only place that knows them
// all (DESIGN.md §1). It holds no verbs: each Docker operation is a function
// in its own module beside this one (create.ts, pull.ts, …) that both faces,
// the CLI and the API server, call. Services are made on first use, so that
// a command loads only the rooms it needs — start-up time is part of the
// product.

export interface EngineOptions {
  root?: string;
  runRoot?: string;
  storageDriver?: string;
  logLevel?: string;
  /** This process already runs inside skiff's user namespace (uid 0 there). */
  inNamespace?: boolean;
  /** Registry patience, overriding skiff.conf's (milliseconds without progress). */
  registryTimeoutMs?: number;
  /** Where warnings that no verb returns go (the namespace's set-up): the face prints them. */
  onWarning?: (message: string) => void;
}

export class Engine {
  private cache = new Map<string, unknown>();

  constructor(
    readonly config: Config,
    readonly options: EngineOptions = {},
  ) {
    setDefaultDomain(config.defaultRegistry);
  }

  static open(options: EngineOptions = {}): Engine {
    return new Engine(loadConfig({ storageRoot: options.root, runRoot: options.runRoot }), options);
  }

  private once<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }

  /** True when this process already runs inside skiff's user namespace. */
  get inNamespace(): boolean {
    return Boolean(this.options.inNamespace);
  }

  get registryTimeoutMs(): number | undefined {
    return this.options.registryTimeoutMs || this.config.registryTimeoutMs;
  }

  get runRoot(): string {
    return this.once("runRoot", () => ensureRunRoot(this.config.paths, currentUser().uid));
  }

  get userns(): UserNamespace {
    return this.once("userns", () => new UserNamespace(this.runRoot, mappingForCurrentUser(), currentUser().user, this.options.onWarning));
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

  /** Docker's events, in <storage root>/events/events.log (src/events/log.ts). */
  get events(): EventLog {
    return this.once("events", () => new EventLog(join(this.config.paths.storageRoot, "events", "events.log"), this.config.eventsMaxSize ?? DEFAULT_MAX_SIZE));
  }

  /** A service that logs events, given the log. */
  private withEvents<T extends { events?: EventLog }>(service: T): T {
    service.events = this.events;
    return service;
  }

  get images(): ImageService {
    return this.once("images", () => this.withEvents(new ImageService(this.blobs, this.layers, this.locks, this.layout, (id) => this.containers.usersOf(id))));
  }

  /** "overlay" (fuse-overlayfs) or "vfs" (copies), from the flag, the config or what the host allows. */
  get storageDriver(): "overlay" | "vfs" {
    return this.once("driver", () => {
      const wanted = this.options.storageDriver ?? this.config.storageDriver;
      if (wanted === "overlay" || wanted === "vfs") return wanted;
      return fuseUsable() ? "overlay" : "vfs";
    });
  }

  /** Run a command in skiff's mount namespace: directly when inside, else through skiff-ns. */
  get nsExec(): NamespaceExec {
    return this.inNamespace ? localExec : (cmd) => this.userns.exec(cmd);
  }

  get containers(): ContainerService {
    return this.once("containers", () => {
      const store = new ContainerStore(this.layout, this.runRoot);
      const hooks = containerHooks({
        volumes: () => this.volumes,
        network: () => this.network,
        containerDir: (id) => store.dir(id),
        diffDir: (chainId) => this.layers.diffDir(chainId),
      });
      return this.withEvents(new ContainerService(store, this.images, this.layers, this.locks, this.userns, this.nsExec, () => (this.inNamespace ? "self" : this.userns.livePid()), hooks));
    });
  }

  get volumes(): VolumeService {
    return this.once(
      "volumes",
      () =>
        this.withEvents(new VolumeService(
          new VolumeStore(this.layout),
          this.nsExec,
          {
            list: () => this.containers.list().map((c) => c.record),
            get: (input) => this.containers.get(input).record,
            running: (id) => this.containers.list().some((c) => c.record.Id === id && (c.state.Running || c.state.Restarting)),
            update: (record) => this.containers.store.write(record),
          },
          (name, fn) => this.locks.with(name, fn),
        )),
    );
  }

  get network(): NetworkService {
    return this.once("network", () => {
      const facts = (v: ContainerView) => ({
        id: v.record.Id,
        name: v.record.Name.replace(/^\//, ""),
        running: v.state.Running,
        pid: v.state.Pid,
        userdata: join(this.containers.store.dir(v.record.Id), "userdata"),
        record: v.record,
      });
      return new NetworkService({
        defaultNetwork: this.config.defaultNetwork,
        runDir: this.runRoot,
        storeDir: join(this.layout.root, "networks"),
        pool: this.config.networkPool,
        poolPrefix: this.config.networkPoolPrefix,
        container: (ref) => facts(this.containers.get(ref)),
        containers: () => this.containers.list().map(facts),
        // A container being created has its name before its directory.
        known: (id) => {
          const store = this.containers.store;
          if (existsSync(store.dir(id))) return true;
          try {
            return readdirSync(store.namesDir).some((n) => store.nameOwner(n) === id);
          } catch {
            return false;
          }
        },
        updateRecord: (record) => this.containers.store.write(record),
        acquire: (name, mode) => this.locks.acquire(name, mode),
        lockPath: (name) => join(this.layout.locks, `${name}.lock`),
        nsExec: (cmd) => this.nsExec(cmd),
      });
    });
  }

  /** Attach and exec sessions held by this process (the API server's). */
  get sessions(): Sessions {
    return this.once("sessions", () => new Sessions());
  }

  /** A fresh store destination for one copy (pull, load, import). */
  storeDestination(opts: StoreDestinationOptions = {}): StoreDestination {
    return new StoreDestination(this.images, this.blobs, this.layers, this.locks, {
      ignoreChownErrors: this.userns.mapping.singleId,
      ...opts,
    });
  }
}
