import { loadConfig, type Config } from "../config/config.js";
import { fuseUsable } from "../mount/probe.js";
import { isMounted, mountOverlay, mountPoints, unmount } from "../mount/overlay.js";
import { SkiffError } from "../errors.js";
import { join } from "node:path";
import { existsSync, readdirSync } from "node:fs";
import { spawn } from "node:child_process";
import { cliEntry } from "../config/install.js";
import { probeCgroups } from "../runtime/cgroups.js";
import { parseReference, setDefaultDomain } from "../image/reference.js";
import { treeSize } from "../store/tree-size.js";
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
import { ContainerService, type ContainerHooks, type ContainerView } from "../container/service.js";
import { localExec, type NamespaceExec } from "../mount/overlay.js";
import { containerHooks } from "./container-hooks.js";
import { VolumeService } from "../volume/service.js";
import { VolumeStore } from "../volume/store.js";
import { NetworkService } from "../network/service.js";

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
  ) {
    setDefaultDomain(config.defaultRegistry);
  }

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

  /** Said once per command that creates a container, when fuse-overlayfs was wanted by default but cannot be used. */
  storageDriverWarning(): string | undefined {
    if (this.storageDriver !== "vfs" || this.options.storageDriver || this.config.storageDriver) return undefined;
    return "fuse-overlayfs cannot be used here (skiff info says why): using the vfs storage driver, which copies the image for each container";
  }

  /** Containers that use an image (rmi refuses to delete it). */
  protected imageUsers(imageId: string): { containerId: string; running: boolean }[] {
    return this.containers.usersOf(imageId);
  }

  /** Run a command in skiff's mount namespace: directly when inside, else through skiff-ns. */
  get nsExec(): NamespaceExec {
    return this.inNamespace ? localExec : (cmd) => this.userns.exec(cmd);
  }

  get containers(): ContainerService {
    return this.once("containers", () => {
      const store = new ContainerStore(this.layout, this.runRoot);
      const hooks: ContainerHooks = containerHooks({
        volumes: () => this.volumes,
        network: () => this.network,
        containerDir: (id) => store.dir(id),
        diffDir: (chainId) => this.layers.diffDir(chainId),
      });
      return new ContainerService(store, this.images, this.layers, this.locks, this.userns, this.nsExec, () => (this.inNamespace ? "self" : this.userns.livePid()), hooks);
    });
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
    const all = this.containers.list();
    let size = 0;
    let reclaimable = 0;
    for (const c of all) {
      const n = treeSize(join(this.containers.store.dir(c.record.Id), "upper"));
      size += n;
      if (!c.state.Running) reclaimable += n;
    }
    return { total: all.length, active: all.filter((c) => c.state.Running).length, size, reclaimable };
  }

  protected volumeUsage() {
    return this.volumes.usage();
  }

  /** `system prune`: stopped containers, (anonymous) volumes, dangling or all unused images. */
  async prune(opts: { all?: boolean; volumes?: boolean }): Promise<{ containers: string[]; volumes: string[]; images: { untagged: string[]; deleted: string[] }; reclaimed: number }> {
    const containers = await this.pruneContainers();
    const volumes = opts.volumes ? await this.pruneVolumes() : { removed: [], reclaimed: 0 };
    const images = await this.images.prune({ all: opts.all });
    this.layout.removeAbandonedTemps();
    return { containers: containers.removed, volumes: volumes.removed, images, reclaimed: containers.reclaimed + volumes.reclaimed + images.reclaimed };
  }

  /** `container prune`: every container that is not running. */
  async pruneContainers(): Promise<{ removed: string[]; reclaimed: number }> {
    const removed: string[] = [];
    let reclaimed = 0;
    for (const c of this.containers.list()) {
      if (c.state.Running || c.state.Restarting || c.state.MonitorPid) continue;
      const size = treeSize(join(this.containers.store.dir(c.record.Id), "upper"));
      try {
        await this.containers.remove(c.record.Id, {});
        removed.push(c.record.Id);
        reclaimed += size;
      } catch {
        /* started meanwhile */
      }
    }
    return { removed, reclaimed };
  }

  /**
   * The image a container needs, present locally: pulled when missing (or
   * always, with --pull always), as `docker run` does.
   */
  async ensureImage(name: string, opts: { pull: string; platform?: string; quiet?: boolean }): Promise<void> {
    if (!["always", "missing", "never"].includes(opts.pull))
      throw new SkiffError(`invalid pull option: '${opts.pull}': must be one of "always", "missing" or "never"`);
    let present = true;
    try {
      this.images.resolve(name);
    } catch {
      present = false;
    }
    if (present && opts.pull !== "always") return;
    if (!present && opts.pull === "never") throw new SkiffError(`No such image: ${name}`, { code: 125 });
    if (!present) process.stderr.write(`Unable to find image '${familiarOrInput(name)}' locally\n`);
    await this.pullForRun(name, opts);
  }

  /** `run`'s pull: `skiff pull` inside the namespace (extraction needs it), its output on stderr as Docker's. */
  protected async pullForRun(name: string, opts: { platform?: string; quiet?: boolean }): Promise<void> {
    const globals = [...(this.options.root ? ["--root", this.options.root] : []), ...(this.options.runRoot ? ["--runroot", this.options.runRoot] : [])];
    const args = [process.execPath, cliEntry, ...globals, "pull", ...(opts.platform ? ["--platform", opts.platform] : []), ...(opts.quiet ? ["-q"] : []), name];
    const env = { ...process.env, SKIFF_IN_NS: "1" };
    const code = this.inNamespace ? await runLocal(args, env) : await this.userns.run(args, { env, stdio: ["ignore", 2, 2] });
    if (code !== 0) throw new SkiffError(`pulling ${name} failed`, { code: 125, reported: true }); // the pull said why
  }

  /** `export`: the container's root filesystem as one tar (run inside the namespace). */
  async exportContainer(name: string, out: string | NodeJS.WritableStream): Promise<void> {
    const { packDirectory } = await import("../layer/pack.js");
    const { pipeline } = await import("node:stream/promises");
    const { createWriteStream } = await import("node:fs");
    const rootfs = await this.containers.mountedRootfs(name);
    await pipeline(packDirectory(rootfs), typeof out === "string" ? createWriteStream(out) : out);
  }

  /** `cp` in either direction (run inside the namespace, where the container's rootfs is mounted). */
  async copy(src: string, dest: string, opts: { archive: boolean; followLink: boolean }): Promise<void> {
    const { splitCopyArg, resolveInRoot, copyTree, tarOf, untarInto } = await import("../container/copy.js");
    const from = splitCopyArg(src);
    const to = splitCopyArg(dest);
    if (from.container && to.container) throw new SkiffError("copying between containers is not supported", { code: 1 });
    if (!from.container && !to.container) throw new SkiffError("must specify at least one container source", { code: 1 });
    const contentsOnly = (p: string) => p.endsWith("/.");
    if (from.container) {
      const root = await this.containers.mountedRootfs(from.container);
      const path = resolveInRoot(root, from.path, opts.followLink || from.path.endsWith("/"));
      if (to.path === "-") await tarOf(path, process.stdout);
      else copyTree(path, to.path, { contentsOnly: contentsOnly(from.path), archive: opts.archive, ownerRoot: true });
      return;
    }
    const root = await this.containers.mountedRootfs(to.container!);
    const target = resolveInRoot(root, to.path, true);
    if (from.path === "-") await untarInto(process.stdin, target);
    else copyTree(from.path, target, { contentsOnly: contentsOnly(from.path), archive: opts.archive, ownerRoot: !opts.archive });
  }

  /** Ports published for a container: "80/tcp" → host bindings (Docker's NetworkSettings.Ports). */
  publishedPorts(id: string): Record<string, { HostIp: string; HostPort: string }[] | null> {
    return this.network.publishedPorts(this.containers.store.read(id));
  }

  /** The container's address on its network ("" for host networking). */
  containerAddress(id: string): string {
    return this.network.address(this.containers.store.read(id));
  }

  /** Volume inspect JSON, or undefined when no such volume. */
  async inspectVolume(name: string): Promise<unknown> {
    return this.volumes.inspect(name);
  }

  get volumes(): VolumeService {
    return this.once(
      "volumes",
      () =>
        new VolumeService(
          new VolumeStore(this.layout),
          this.nsExec,
          {
            list: () => this.containers.list().map((c) => c.record),
            get: (input) => this.containers.get(input).record,
            running: (id) => this.containers.list().some((c) => c.record.Id === id && (c.state.Running || c.state.Restarting)),
            update: (record) => this.containers.store.write(record),
          },
          (name, fn) => this.locks.with(name, fn),
        ),
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

  /** One warning per limit that cannot be enforced here (no delegated cgroup v2), as Podman does. */
  resourceWarnings(req: { memory?: string; cpus?: string; pidsLimit?: string }): string[] {
    const asked = [req.memory && "--memory", req.cpus && "--cpus", req.pidsLimit && "--pids-limit"].filter(Boolean);
    if (!asked.length) return [];
    // Limits are never dropped silently: with a delegated subtree they are still not applied.
    if (probeCgroups().delegated) return [`${asked.join(", ")} ignored: skiff does not apply cgroup limits yet, although this host delegates a cgroup v2 subtree`];
    return [`${asked.join(", ")} ignored: no delegated cgroup v2 subtree for this user, so resource limits cannot be enforced rootless here (skiff info)`];
  }

  protected async pruneVolumes(): Promise<{ removed: string[]; reclaimed: number }> {
    return this.volumes.prune();
  }

  /** True when this process already runs inside skiff's user namespace. */
  get inNamespace(): boolean {
    return process.env.SKIFF_IN_NS === "1";
  }
}

function familiarOrInput(name: string): string {
  try {
    return parseReference(name).familiarString();
  } catch {
    return name;
  }
}

function runLocal(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(args[0]!, args.slice(1), { env, stdio: ["ignore", 2, 2] });
    child.on("close", (code) => resolve(code ?? 1));
    child.on("error", () => resolve(127));
  });
}
