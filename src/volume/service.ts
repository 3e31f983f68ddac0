import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { ConflictError, InvalidArgumentError, NotFoundError, SkiffError } from "../errors.js";
import type { ContainerRecord } from "../container/record.js";
import type { NamespaceExec } from "../mount/overlay.js";
import type { SpecMount } from "../runtime/spec-file.js";
import { fillFromImage, isEmptyDir } from "./copy-up.js";
import { resolveMounts, type RecordLookup, type ResolvedMount } from "./mounts.js";
import { ANONYMOUS_LABEL, checkVolumeName, newVolumeName } from "./names.js";
import { treeSize } from "../store/tree-size.js";
import { lockName, rfc3339Local, type VolumeRecord, type VolumeStore } from "./store.js";
import type { EventLog } from "../events/log.js";

// Volumes: named and anonymous volumes under <storage>/volumes/<name>/_data
// (Docker's local driver), and the bind and tmpfs mounts containers ask for.
// A volume is in use while any container — running or not — names it, as in
// Docker: a stopped container can be started again and expects its data.

/** What the volume room needs to know of containers. */
export interface ContainerDirectory {
  list(): ContainerRecord[];
  get: RecordLookup;
  running(id: string): boolean;
  /** Rewrite a container's record (its mount points, at creation). */
  update(record: ContainerRecord): void;
}

/** What a container's start tells the volume room: its mounted root, and its user for :U. */
export interface MountContext {
  /** The container's root filesystem as mounted inside skiff's namespace. */
  rootfs?: string;
  /** The uid and gid the container's process runs as (inside the container). */
  user?: () => { uid: number; gid: number };
}

/** `volume inspect`: Docker's fields, in its order. */
export interface VolumeInspect {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: "local";
}

/** Options Docker's local driver takes (moby volume/local, validOpts). */
const LOCAL_OPTIONS = ["type", "device", "o", "size"];

export class VolumeService {
  /** Where Docker's events go (set by the engine). */
  events?: EventLog;

  constructor(
    readonly store: VolumeStore,
    private readonly exec: NamespaceExec,
    private readonly containers: ContainerDirectory,
    /** Runs `fn` holding the store lock `name` (skiff's LockService); none in unit tests. */
    private readonly withLock: <T>(name: string, fn: () => Promise<T>) => Promise<T> = (_name, fn) => fn(),
  ) {}

  /** `volume create`: a new volume, or the one of that name that exists (Docker returns it unchanged). */
  create(req: { name?: string; driver?: string; labels?: Record<string, string>; options?: Record<string, string> } = {}): VolumeRecord {
    const name = req.name || newVolumeName();
    checkVolumeName(name);
    const driver = req.driver ?? "local";
    if (driver !== "local") throw new NotFoundError(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    for (const k of Object.keys(req.options ?? {}))
      if (!LOCAL_OPTIONS.includes(k)) throw new InvalidArgumentError(`create ${name}: invalid option: "${k}"`);
    const record = this.store.create({ Name: name, CreatedAt: rfc3339Local(), Driver: "local", Labels: req.labels ?? null, Options: req.options ?? null }).record;
    // Docker logs a create also for a volume that was there.
    this.events?.emit("volume", "create", name, { driver: "local" });
    return record;
  }

  list(): VolumeRecord[] {
    return this.store.list().sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  inspectOne(name: string): VolumeInspect {
    const v = this.store.read(name);
    return { CreatedAt: v.CreatedAt, Driver: v.Driver, Labels: v.Labels, Mountpoint: this.store.dataDir(v.Name), Name: v.Name, Options: v.Options, Scope: "local" };
  }

  /** Volume inspect JSON, or undefined when there is no such volume (for the generic `inspect`). */
  async inspect(name: string): Promise<VolumeInspect | undefined> {
    return this.store.has(name) ? this.inspectOne(name) : undefined;
  }

  /** Every mount of every container, volume names resolved; a container whose sources are gone counts with what it has. */
  private allMounts(): { record: ContainerRecord; mounts: ResolvedMount[] }[] {
    return this.containers.list().map((record) => {
      let mounts: ResolvedMount[];
      try {
        mounts = resolveMounts(record, this.containers.get, false);
      } catch {
        mounts = resolveMounts({ ...record, HostConfig: { ...record.HostConfig, VolumesFrom: [] } }, this.containers.get, false);
      }
      return { record, mounts };
    });
  }

  /** Names of the volumes some container uses (`volume ls --filter dangling`). */
  inUse(): Set<string> {
    return new Set(this.allMounts().flatMap((c) => c.mounts.map((m) => m.VolumeName ?? "")).filter(Boolean));
  }

  /** Ids of the containers that use a volume. */
  usersOf(name: string, all = this.allMounts()): string[] {
    return all.filter((c) => c.mounts.some((m) => m.VolumeName === name)).map((c) => c.record.Id);
  }

  /**
   * `volume rm`. Refused while a container uses the volume (Docker's
   * message); with force, refused only while a running one does — a stopped
   * container then finds an empty volume again when it starts.
   */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    if (!this.store.has(name)) {
      if (opts.force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const users = this.usersOf(name);
    const blocking = opts.force ? users.filter((id) => this.containers.running(id)) : users;
    if (blocking.length) throw new ConflictError(`remove ${name}: volume is in use - [${blocking.join(" ")}]`, "remove the container(s) using it first (skiff rm), then the volume");
    await this.deleteTrees([this.store.moveOut(name)]);
    this.events?.emit("volume", "destroy", name, { driver: "local" });
  }

  private async deleteTrees(paths: string[]): Promise<void> {
    if (!paths.length) return;
    // Containers' files belong to subordinate ids: delete from inside the namespace.
    const r = await this.exec(["rm", "-rf", "--one-file-system", ...paths]);
    if (r.code !== 0) throw new SkiffError(`removing volume data: ${r.stderr.trim()}`);
  }

  /** `volume prune`: unused volumes — anonymous ones only unless `all` (Docker 23+). */
  async prune(opts: { all?: boolean; labels?: string[] } = {}): Promise<{ removed: string[]; reclaimed: number }> {
    const all = this.allMounts();
    const removed: string[] = [];
    const trees: string[] = [];
    let reclaimed = 0;
    for (const v of this.list()) {
      if (!opts.all && !(v.Labels && ANONYMOUS_LABEL in v.Labels)) continue;
      if (!(opts.labels ?? []).every((l) => labelMatches(v.Labels, l))) continue;
      if (this.usersOf(v.Name, all).length) continue;
      const size = treeSize(this.store.dataDir(v.Name));
      try {
        trees.push(this.store.moveOut(v.Name));
      } catch {
        continue; // removed meanwhile
      }
      removed.push(v.Name);
      reclaimed += size;
    }
    await this.deleteTrees(trees);
    for (const name of removed) this.events?.emit("volume", "destroy", name, { driver: "local" });
    return { removed, reclaimed };
  }

  /** `system df`: each volume's size and how many containers use it (Docker's UsageData). */
  usage(): Map<string, { Size: number; RefCount: number }> {
    const all = this.allMounts();
    const out = new Map<string, { Size: number; RefCount: number }>();
    for (const v of this.list()) out.set(v.Name, { Size: treeSize(this.store.dataDir(v.Name)), RefCount: this.usersOf(v.Name, all).length });
    return out;
  }

  /**
   * At container creation: the volumes it names exist from now on (`volume
   * ls` shows them, as Docker's); the containers of --volumes-from must
   * exist, and their mount points are copied into the record, as Docker
   * does, so the volumes stay this container's even when their first
   * owner is removed.
   */
  prepare(record: ContainerRecord): ContainerRecord {
    const resolved = resolveMounts(record, this.containers.get, true);
    for (const m of resolved) if (m.Type === "volume" && !m.From) this.ensure(m);
    if (!resolved.some((m) => m.Type === "volume")) return record;
    // A volume mount's Source is its Mountpoint, as Docker's inspect shows it.
    const mounts = resolved.map(({ VolumeName, From, ...m }) =>
      m.Type !== "volume"
        ? m
        : {
            ...m,
            Name: VolumeName ?? m.Name,
            Source: this.store.dataDir(VolumeName!),
            Options: m.Options.filter((o) => !o.startsWith("volume-")),
            ...(From ? { Anonymous: false } : {}),
          },
    );
    const updated = { ...record, Mounts: mounts };
    this.containers.update(updated);
    return updated;
  }

  /** The mount's volume, made when missing (with what --mount's volume-label, volume-opt and volume-driver say). */
  private ensure(m: ResolvedMount): VolumeRecord {
    const name = m.VolumeName!;
    if (this.store.has(name)) return this.store.read(name);
    const setting = (key: string) => m.Options.filter((o) => o.startsWith(`${key}=`)).map((o) => o.slice(key.length + 1));
    const pairs = (items: string[]) => (items.length ? Object.fromEntries(items.map((i) => (i.includes("=") ? [i.slice(0, i.indexOf("=")), i.slice(i.indexOf("=") + 1)] : [i, ""]))) : null);
    const labels = pairs(setting("volume-label"));
    return this.create({
      name,
      driver: setting("volume-driver")[0],
      labels: m.Anonymous ? { ...labels, [ANONYMOUS_LABEL]: "" } : (labels ?? undefined),
      options: pairs(setting("volume-opt")) ?? undefined,
    });
  }

  /**
   * Runtime mounts for a container's Mounts, at each start: volumes are
   * created when missing and, while empty, filled from the image's content
   * at the mount path (`rootfs` is the container's mounted root there).
   */
  async mountsFor(record: ContainerRecord, ctx: MountContext = {}): Promise<SpecMount[]> {
    const out: SpecMount[] = [];
    const rootfs = ctx.rootfs;
    for (const m of resolveMounts(record, this.containers.get, false)) {
      const ro = m.ReadOnly ? ["ro"] : [];
      if (m.Type === "tmpfs") {
        out.push({ destination: m.Destination, type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", ...m.Options, ...ro] });
        continue;
      }
      if (m.Type === "bind") {
        const source = resolve(m.Source);
        // -v creates a missing host directory, as Docker does.
        if (!existsSync(source)) mkdirSync(source, { recursive: true });
        if (m.Options.includes("U")) await this.chownToUser(source, ctx);
        out.push({ destination: m.Destination, type: "bind", source, options: ["rbind", ...ro] });
        continue;
      }
      const v = this.ensure(m);
      const opts = v.Options ?? {};
      if (opts.type === "tmpfs") {
        out.push({ destination: m.Destination, type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", ...(opts.o ? opts.o.split(",") : []), ...ro] });
        continue;
      }
      if (opts.device && (opts.o ?? "").split(",").includes("bind")) {
        out.push({ destination: m.Destination, type: "bind", source: resolve(opts.device), options: ["rbind", ...ro] });
        continue;
      }
      const data = this.store.dataDir(v.Name);
      // A volume taken with --volumes-from is its source's: filled, if at all, from the source's image.
      // Two containers starting at once on a new volume: one fills it, the other then finds it filled.
      if (rootfs && !m.From && !m.Options.includes("nocopy") && isEmptyDir(data))
        await this.withLock(lockName(v.Name), () => fillFromImage(this.exec, rootfs, m.Destination, data));
      if (m.Options.includes("U")) await this.chownToUser(data, ctx);
      out.push({ destination: m.Destination, type: "bind", source: data, options: ["rbind", ...ro] });
      this.events?.emit("volume", "mount", v.Name, { container: record.Id, destination: m.Destination, driver: "local", propagation: "", "read/write": String(!m.ReadOnly) });
    }
    return out;
  }

  /**
   * Podman's :U — the mount's source, recursively, made the container
   * user's (as the namespace's root, so the ids land on the matching
   * subordinate ids outside).
   */
  private async chownToUser(path: string, ctx: MountContext): Promise<void> {
    const { uid, gid } = ctx.user?.() ?? { uid: 0, gid: 0 };
    const r = await this.exec(["chown", "-R", "-h", "--", `${uid}:${gid}`, path]);
    if (r.code !== 0) throw new SkiffError(`chown ${path} for :U: ${r.stderr.trim()}`);
  }

  /**
   * Anonymous volumes that go with the container (`rm -v`, `--rm`): its own,
   * not those it took from others, and not one another container still uses.
   */
  anonymousPaths(record: ContainerRecord): string[] {
    let own: ResolvedMount[];
    try {
      own = resolveMounts({ ...record, HostConfig: { ...record.HostConfig, VolumesFrom: [] } }, this.containers.get, false);
    } catch {
      return [];
    }
    const others = this.allMounts().filter((c) => c.record.Id !== record.Id);
    return own
      .filter((m) => m.Type === "volume" && m.Anonymous && this.usersOf(m.VolumeName!, others).length === 0)
      .flatMap((m) => [this.store.dir(m.VolumeName!), this.store.lockPath(m.VolumeName!)]);
  }
}

/** Docker's label filter: `key` (present) or `key=value`. */
export function labelMatches(labels: Record<string, string> | null, filter: string): boolean {
  const eq = filter.indexOf("=");
  const key = eq < 0 ? filter : filter.slice(0, eq);
  if (!labels || !(key in labels)) return false;
  return eq < 0 || labels[key] === filter.slice(eq + 1);
}
